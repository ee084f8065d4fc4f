/* Admission's common path, compiled: Admission.run's loop over a batch's candidates for every
 * one that is new, not an id conflict and within the lateness bound. It stops at the first
 * candidate that is not (a duplicate, a conflict, a late event) and hands it back, so that every
 * refusal is worded, and dead-lettered, by the one Python function that does it for both paths
 * (Admission.admit_one, the reference). tests/profiles/test_admit_kernel.py checks that the two
 * give the same verdicts, log records, states and bits.
 */
#include "_kernels.h"

#include <stddef.h>

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *plans;       /* dict: event class -> Plan (fold.ProfileFold.plans by class) */
    PyObject *kinds;       /* dict: event class -> its type tag */
    PyObject *transaction; /* the TransactionEvent class */
    PyObject *context;     /* the FoldContext class */
    PyObject *verdict;     /* the Verdict class */
    PyObject *record;      /* the EventRecord class */
    double lateness;
} Admitter;

static PyObject *event_name, *event_id_name, *digest_name, *body_name, *index_name;
static PyObject *timestamp_name, *accepted_word, *merchant_id_word, *transaction_event_id_name;

/* states[key], made with new_state when missing: a new reference, or NULL. */
static PyObject *
state_of(PyObject *new_state, PyObject *states, PyObject *key)
{
    PyObject *state = PyDict_GetItemWithError(states, key);
    if (state != NULL) {
        return Py_NewRef(state);
    }
    if (PyErr_Occurred()) {
        return NULL;
    }
    state = PyObject_CallOneArg(new_state, key);
    if (state != NULL && PyDict_SetItem(states, key, state) < 0) {
        Py_CLEAR(state);
    }
    return state;
}

/* The latest event time a state has applied (its LAST_EVENT), or -1 with an exception set. */
static int
watermark_of(PyObject *state, double *out)
{
    Py_buffer view;
    double *s = rk_doubles(state, &view, 0, 1);
    if (s == NULL) {
        return -1;
    }
    *out = s[0];
    PyBuffer_Release(&view);
    return 0;
}

/* The FoldContext Admission.run builds: FoldContext(t, hour, weekday, False, merchant, offset). */
static PyObject *
new_context(const Admitter *a, const EventClock *clock, PyObject *merchant)
{
    PyObject *t = PyFloat_FromDouble(clock->t), *hour = PyFloat_FromDouble(clock->hour);
    PyObject *weekday = PyLong_FromLong(clock->weekday);
    PyObject *offset = PyFloat_FromDouble(clock->utc_offset);
    PyObject *ctx = NULL;
    if (t != NULL && hour != NULL && weekday != NULL && offset != NULL) {
        PyObject *args[6] = {t, hour, weekday, Py_False, merchant, offset};
        ctx = PyObject_Vectorcall(a->context, args, 6, NULL);
    }
    Py_XDECREF(t);
    Py_XDECREF(hour);
    Py_XDECREF(weekday);
    Py_XDECREF(offset);
    return ctx;
}

/* After the fold: the keys touched, the id known, a transaction's merchant kept, the log record
 * and the verdict appended. 0, or -1. */
static int
record_accepted(const Admitter *a, PyObject *const *batch, PyObject *c, PyObject *event,
                PyObject *event_id, PyObject *keys, PyObject *merchant, double t, int is_transaction)
{
    PyObject *known = batch[0], *merchants = batch[1], *verdicts = batch[4];
    PyObject *records = batch[5], *touched = batch[6];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        if (PySet_Add(touched, PyList_GET_ITEM(keys, i)) < 0) {
            return -1;
        }
    }
    int failed = -1;
    PyObject *kind = NULL, *digest = NULL, *customer_id = NULL, *body = NULL, *time = NULL;
    PyObject *record = NULL, *index = NULL, *verdict = NULL;
    kind = PyDict_GetItemWithError(a->kinds, (PyObject *)Py_TYPE(event));
    if (kind == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetObject(PyExc_KeyError, (PyObject *)Py_TYPE(event));
        }
        return -1;
    }
    Py_INCREF(kind);
    digest = rk_getattr(c, digest_name);
    if (digest == NULL || PyDict_SetItem(known, event_id, digest) < 0) {
        goto done;
    }
    if (is_transaction && PyDict_SetItem(merchants, event_id, merchant) < 0) {
        goto done;
    }
    customer_id = rk_getattr(event, rk_names.customer_id);
    body = customer_id == NULL ? NULL : rk_getattr(c, body_name);
    time = body == NULL ? NULL : PyFloat_FromDouble(t);
    if (time == NULL) {
        goto done;
    }
    PyObject *fields[7] = {event_id, kind, customer_id, time, digest, body, merchant};
    record = PyObject_Vectorcall(a->record, fields, 7, NULL);
    if (record == NULL || PyList_Append(records, record) < 0) {
        goto done;
    }
    index = rk_getattr(c, index_name);
    if (index == NULL) {
        goto done;
    }
    PyObject *outcome[3] = {index, accepted_word, event_id};
    verdict = PyObject_Vectorcall(a->verdict, outcome, 3, NULL);
    if (verdict == NULL || PyList_Append(verdicts, verdict) < 0) {
        goto done;
    }
    failed = 0;
done:
    Py_XDECREF(kind);
    Py_XDECREF(digest);
    Py_XDECREF(customer_id);
    Py_XDECREF(body);
    Py_XDECREF(time);
    Py_XDECREF(record);
    Py_XDECREF(index);
    Py_XDECREF(verdict);
    return failed;
}

/* One candidate with its route (merchant, keys): 1 admitted and folded, 0 left for Python (a
 * duplicate, a conflict or too late; nothing changed but the customer's state made if missing,
 * as the reference does), -1 with an exception set. batch: known_digests, merchants, states,
 * new_state, verdicts, records, touched. */
static int
admit_one(const Admitter *a, PyObject *c, PyObject *route, PyObject *const *batch)
{
    PyObject *states = batch[2], *new_state = batch[3];
    if (!PyTuple_Check(route) || PyTuple_GET_SIZE(route) != 2 ||
        !PyList_Check(PyTuple_GET_ITEM(route, 1)) || PyList_GET_SIZE(PyTuple_GET_ITEM(route, 1)) == 0) {
        PyErr_SetString(PyExc_TypeError, "a route is a (merchant, non-empty key list) pair");
        return -1;
    }
    PyObject *merchant = PyTuple_GET_ITEM(route, 0), *keys = PyTuple_GET_ITEM(route, 1);
    int result = -1;
    PyObject *event = NULL, *event_id = NULL, *timestamp = NULL, *state = NULL, *ctx = NULL;
    event = rk_getattr(c, event_name);
    event_id = event == NULL ? NULL : rk_getattr(event, event_id_name);
    if (event_id == NULL) {
        goto done;
    }
    if (PyDict_GetItemWithError(batch[0], event_id) != NULL) {
        result = 0; /* a duplicate or a conflict */
        goto done;
    }
    EventClock clock;
    timestamp = PyErr_Occurred() ? NULL : rk_getattr(event, timestamp_name);
    if (timestamp == NULL || rk_clock(timestamp, &clock) < 0) {
        goto done;
    }
    double watermark;
    state = state_of(new_state, states, PyList_GET_ITEM(keys, 0)); /* keys_for puts the customer first */
    if (state == NULL || watermark_of(state, &watermark) < 0) {
        goto done;
    }
    if (watermark - clock.t > a->lateness) {
        result = 0; /* too late */
        goto done;
    }
    for (Py_ssize_t i = 1; i < PyList_GET_SIZE(keys); i++) {
        PyObject *made = state_of(new_state, states, PyList_GET_ITEM(keys, i));
        if (made == NULL) {
            goto done;
        }
        Py_DECREF(made);
    }
    PyObject *plan = PyDict_GetItemWithError(a->plans, (PyObject *)Py_TYPE(event));
    if (plan == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetObject(PyExc_KeyError, (PyObject *)Py_TYPE(event));
        }
        goto done;
    }
    int is_transaction = PyObject_TypeCheck(event, (PyTypeObject *)a->transaction);
    PyObject *ctx_merchant = is_transaction ? merchant : Py_None;
    ctx = new_context(a, &clock, ctx_merchant);
    if (ctx == NULL) {
        goto done;
    }
    FoldEvent e = {event, ctx_merchant, clock.t, clock.hour, (double)clock.weekday,
                   clock.utc_offset, 0};
    if (rk_fold_keys(plan, keys, states, &e, ctx) < 0 ||
        record_accepted(a, batch, c, event, event_id, keys, merchant, clock.t, is_transaction) <
            0) {
        goto done;
    }
    result = 1;
done:
    Py_XDECREF(event);
    Py_XDECREF(event_id);
    Py_XDECREF(timestamp);
    Py_XDECREF(state);
    Py_XDECREF(ctx);
    return result;
}

/* admit(candidates, start, routes, known_digests, merchants, states, new_state, verdicts,
 * records, touched) -> the position of the first candidate from start that it left for Python, or
 * len(candidates). */
static PyObject *
admitter_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    const Admitter *a = (const Admitter *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_SetString(PyExc_TypeError, "an admitter takes no keyword arguments");
        return NULL;
    }
    CHECK_NARGS("an admitter", 10);
    PyObject *candidates = args[0], *routes = args[2];
    if (!PyList_Check(candidates) || !PyList_Check(routes) || !PyDict_Check(args[3]) ||
        !PyDict_Check(args[4]) || !PyDict_Check(args[5]) || !PyCallable_Check(args[6]) ||
        !PyList_Check(args[7]) || !PyList_Check(args[8]) || !PySet_Check(args[9])) {
        PyErr_SetString(PyExc_TypeError,
                        "admit(candidates: list, start: int, routes: list, known_digests: dict, "
                        "merchants: dict, states: dict, new_state, verdicts: list, "
                        "records: list, touched: set)");
        return NULL;
    }
    Py_ssize_t position = PyLong_AsSsize_t(args[1]);
    if (position == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (position < 0 || PyList_GET_SIZE(routes) != PyList_GET_SIZE(candidates)) {
        PyErr_SetString(PyExc_ValueError, "start must be >= 0, and routes one per candidate");
        return NULL;
    }
    /* The lists are re-measured each time round: a Python update could change them. */
    for (; position < PyList_GET_SIZE(candidates) && position < PyList_GET_SIZE(routes);
         position++) {
        PyObject *c = Py_NewRef(PyList_GET_ITEM(candidates, position));
        PyObject *route = Py_NewRef(PyList_GET_ITEM(routes, position));
        int admitted = admit_one(a, c, route, args + 3);
        Py_DECREF(c);
        Py_DECREF(route);
        if (admitted < 0) {
            return NULL;
        }
        if (admitted == 0) {
            break;
        }
    }
    return PyLong_FromSsize_t(position);
}

static int
admitter_traverse(PyObject *self, visitproc visit, void *arg)
{
    Admitter *a = (Admitter *)self;
    Py_VISIT(a->plans);
    Py_VISIT(a->kinds);
    Py_VISIT(a->transaction);
    Py_VISIT(a->context);
    Py_VISIT(a->verdict);
    Py_VISIT(a->record);
    return 0;
}

static int
admitter_clear(PyObject *self)
{
    Admitter *a = (Admitter *)self;
    Py_CLEAR(a->plans);
    Py_CLEAR(a->kinds);
    Py_CLEAR(a->transaction);
    Py_CLEAR(a->context);
    Py_CLEAR(a->verdict);
    Py_CLEAR(a->record);
    return 0;
}

static void
admitter_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    admitter_clear(self);
    PyObject_GC_Del(self);
}

static PyTypeObject AdmitterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rapport.profiles._kernels.Admitter",
    .tp_basicsize = sizeof(Admitter),
    .tp_dealloc = admitter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = admitter_traverse,
    .tp_clear = admitter_clear,
    .tp_vectorcall_offset = offsetof(Admitter, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_doc = "Admission's common path: admit(candidates, start, routes, known_digests, "
              "merchants, states, new_state, verdicts, records, touched) -> where it stopped.",
};

/* admitter(plans, kinds, transaction, lateness, context, verdict, record). */
static PyObject *
admitter(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("admitter", 7);
    if (!PyDict_Check(args[0]) || !PyDict_Check(args[1]) || !PyType_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "admitter takes plans and kinds dicts keyed by event class, then the "
                        "transaction class");
        return NULL;
    }
    FLOAT_ARG(lateness, args[3]);
    for (int i = 4; i < 7; i++) {
        if (!PyCallable_Check(args[i])) {
            PyErr_Format(PyExc_TypeError, "admitter's argument %d must be callable", i + 1);
            return NULL;
        }
    }
    Admitter *a = PyObject_GC_New(Admitter, &AdmitterType);
    if (a == NULL) {
        return NULL;
    }
    a->vectorcall = admitter_call;
    a->plans = Py_NewRef(args[0]);
    a->kinds = Py_NewRef(args[1]);
    a->transaction = Py_NewRef(args[2]);
    a->lateness = lateness;
    a->context = Py_NewRef(args[4]);
    a->verdict = Py_NewRef(args[5]);
    a->record = Py_NewRef(args[6]);
    PyObject_GC_Track((PyObject *)a);
    return (PyObject *)a;
}

/* One candidate's route: (merchant, keys), keys as ProfileFold.keys_for makes them. A new
 * reference, or NULL. */
static PyObject *
route_of(PyObject *c, PyObject *merchants, PyObject *const *classes, PyObject *const *entities)
{
    PyObject *route = NULL, *event = NULL, *payload = NULL, *merchant = NULL, *keys = NULL;
    PyObject *customer = NULL, *device = NULL;
    event = rk_getattr(c, event_name);
    if (event == NULL) {
        return NULL;
    }
    PyObject *cls = (PyObject *)Py_TYPE(event);
    if (cls == classes[0] || cls == classes[1]) {
        payload = rk_getattr(event, rk_names.payload);
        if (payload == NULL) {
            goto done;
        }
    }
    if (cls == classes[0]) {
        merchant = rk_getattr(payload, merchant_id_word);
    }
    else if (cls == classes[1]) {
        PyObject *reported = rk_getattr(payload, transaction_event_id_name);
        if (reported == NULL) {
            goto done;
        }
        merchant = PyDict_GetItemWithError(merchants, reported);
        Py_DECREF(reported);
        merchant = merchant != NULL ? Py_NewRef(merchant) : PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    else {
        merchant = Py_NewRef(Py_None);
    }
    customer = merchant == NULL ? NULL : rk_getattr(event, rk_names.customer_id);
    device = customer == NULL ? NULL : rk_getattr(event, rk_names.device_id);
    keys = device == NULL ? NULL : PyList_New(0);
    if (keys == NULL) {
        goto done;
    }
    PyObject *pairs[3][2] = {{entities[0], customer}, {entities[1], merchant}, {entities[2], device}};
    for (int i = 0; i < 3; i++) {
        if (i > 0 && pairs[i][1] == Py_None) {
            continue;
        }
        if (i == 2) {
            int takes_devices = PySet_Contains(classes[2], cls);
            if (takes_devices < 0) {
                goto done;
            }
            if (!takes_devices) {
                continue;
            }
        }
        PyObject *key = PyTuple_Pack(2, pairs[i][0], pairs[i][1]);
        if (key == NULL || PyList_Append(keys, key) < 0) {
            Py_XDECREF(key);
            goto done;
        }
        Py_DECREF(key);
    }
    route = PyTuple_Pack(2, merchant, keys);
done:
    Py_XDECREF(event);
    Py_XDECREF(payload);
    Py_XDECREF(merchant);
    Py_XDECREF(keys);
    Py_XDECREF(customer);
    Py_XDECREF(device);
    return route;
}

/* routes(candidates, merchants, wanted, (transaction, fraud_report, device_classes),
 * (customer, merchant, device)) -> Admission.routes_reference(candidates, merchants, wanted). */
static PyObject *
routes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("routes", 5);
    PyObject *candidates = args[0], *merchants = args[1], *wanted = args[2];
    PyObject *classes = args[3], *entities = args[4];
    if (!PyList_Check(candidates) || !PyDict_Check(merchants) || !PySet_Check(wanted) ||
        !PyTuple_Check(classes) || PyTuple_GET_SIZE(classes) != 3 ||
        !PyAnySet_Check(PyTuple_GET_ITEM(classes, 2)) || !PyTuple_Check(entities) ||
        PyTuple_GET_SIZE(entities) != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "routes(candidates: list, merchants: dict, wanted: set, (transaction, "
                        "fraud report, device classes: set), (customer, merchant, device))");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    PyObject *const *class_items = &PyTuple_GET_ITEM(classes, 0);
    PyObject *const *entity_items = &PyTuple_GET_ITEM(entities, 0);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(candidates); i++) {
        PyObject *c = Py_NewRef(PyList_GET_ITEM(candidates, i));
        PyObject *route = route_of(c, merchants, class_items, entity_items);
        Py_DECREF(c);
        if (route == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyObject *keys = PyTuple_GET_ITEM(route, 1);
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(keys); k++) {
            if (PySet_Add(wanted, PyList_GET_ITEM(keys, k)) < 0) {
                Py_DECREF(route);
                Py_DECREF(out);
                return NULL;
            }
        }
        int failed = PyList_Append(out, route);
        Py_DECREF(route);
        if (failed) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyMethodDef admit_methods[] = {
    {"admitter", (PyCFunction)(void (*)(void))admitter, METH_FASTCALL,
     "Admission's compiled common path: admitter(plans, kinds, transaction, lateness, "
     "context, verdict, record)."},
    {"routes", (PyCFunction)(void (*)(void))routes, METH_FASTCALL,
     "Each candidate's (merchant, keys), as Admission.routes_reference gives them."},
    {NULL, NULL, 0, NULL},
};

int
rk_add_admit_functions(PyObject *module)
{
    struct {
        PyObject **slot;
        const char *text;
    } interned[] = {
        {&event_name, "event"},         {&event_id_name, "event_id"}, {&digest_name, "digest"},
        {&body_name, "body"},           {&index_name, "index"},       {&timestamp_name, "timestamp"},
        {&accepted_word, "accepted"},   {&merchant_id_word, "merchant_id"},
        {&transaction_event_id_name, "transaction_event_id"},
    };
    for (size_t i = 0; i < sizeof interned / sizeof interned[0]; i++) {
        *interned[i].slot = PyUnicode_InternFromString(interned[i].text);
        if (*interned[i].slot == NULL) {
            return -1;
        }
    }
    if (PyType_Ready(&AdmitterType) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(module, admit_methods);
}
