/* The fold's per-event shell, compiled: an event's clock (epoch seconds, local hour, weekday,
 * zone offset) read off its timestamp, and one event folded into each of its entities' states
 * (the late flag, every family's update, the state's clock). The references are
 * fold.event_clock_reference and fold.fold_event_reference; tests/profiles/test_fold_kernels.py
 * checks the two give the same values and the same bits.
 */
#include "_kernels.h"

#include <datetime.h>
#include <stddef.h>
#include <string.h>

/* state[0..2]: latest event time, first event time, event count (family.py's clock). */
#define LAST_EVENT 0
#define FIRST_EVENT 1
#define EVENT_COUNT 2
#define CLOCK_SIZE 3

/* Days from 0001-01-01 (day 1) to the given date, as datetime's toordinal() counts them. */
static long long
ordinal(int year, int month, int day)
{
    static const int before_month[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long long y = year - 1;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return y * 365 + y / 4 - y / 100 + y / 400 + before_month[month] + (month > 2 && leap) + day;
}

#define EPOCH_ORDINAL 719163LL /* date(1970, 1, 1).toordinal() */
#define MAX_EXACT_MICROSECONDS 9007199254740992LL /* 2**53: beyond it, int / int rounds twice */

/* A timedelta as whole microseconds. */
static long long
delta_microseconds(PyObject *delta)
{
    return ((long long)PyDateTime_DELTA_GET_DAYS(delta) * 86400LL +
            PyDateTime_DELTA_GET_SECONDS(delta)) *
               1000000LL +
           PyDateTime_DELTA_GET_MICROSECONDS(delta);
}

/* The offsets of the last few fixed-offset zones seen (datetime.timezone, which is immutable), by
 * identity: msgspec gives every timestamp with the same offset the same zone object, and asking
 * it for its offset is a method call per event. The entries hold their zones, so an address
 * cannot be reused by another zone while it is cached. */
#define ZONE_CACHE_SIZE 8
static PyObject *cached_zones[ZONE_CACHE_SIZE];
static long long cached_offsets[ZONE_CACHE_SIZE];
static int next_zone;

/* timestamp.utcoffset() as whole microseconds: 1 (aware), 0 (naive), or -1 with an error. */
static int
zone_offset(PyObject *ts, long long *offset_us)
{
    PyObject *zone = PyDateTime_DATE_GET_TZINFO(ts);
    int fixed = zone != Py_None && Py_IS_TYPE(zone, Py_TYPE(PyDateTime_TimeZone_UTC));
    if (fixed) {
        for (int i = 0; i < ZONE_CACHE_SIZE; i++) {
            if (cached_zones[i] == zone) {
                *offset_us = cached_offsets[i];
                return 1;
            }
        }
    }
    PyObject *offset = PyObject_CallMethod(ts, "utcoffset", NULL);
    if (offset == NULL) {
        return -1;
    }
    if (offset == Py_None) {
        Py_DECREF(offset);
        return 0;
    }
    if (!PyDelta_Check(offset)) {
        Py_DECREF(offset);
        PyErr_SetString(PyExc_TypeError, "utcoffset() did not return a timedelta");
        return -1;
    }
    *offset_us = delta_microseconds(offset);
    Py_DECREF(offset);
    if (fixed) {
        Py_XSETREF(cached_zones[next_zone], Py_NewRef(zone));
        cached_offsets[next_zone] = *offset_us;
        next_zone = (next_zone + 1) % ZONE_CACHE_SIZE;
    }
    return 1;
}

/* event_clock(timestamp) -> (t, hour, weekday, utc_offset): timestamp.timestamp(), hour +
 * minute / 60 + second / 3600, weekday(), utcoffset().total_seconds() (0.0 if None). Python
 * divides the whole microseconds of a timedelta by 10**6 as integers, which rounds once, as a
 * double division does while both are below 2**53; outside that, or for a naive timestamp
 * (which Python reads in the machine's zone), Python computes t itself. */
int
rk_clock(PyObject *ts, EventClock *out)
{
    if (!PyDateTime_Check(ts)) {
        PyErr_SetString(PyExc_TypeError, "event_clock takes a datetime");
        return -1;
    }
    int hour = PyDateTime_DATE_GET_HOUR(ts);
    int minute = PyDateTime_DATE_GET_MINUTE(ts);
    int second = PyDateTime_DATE_GET_SECOND(ts);
    long long days = ordinal(PyDateTime_GET_YEAR(ts), PyDateTime_GET_MONTH(ts),
                             PyDateTime_GET_DAY(ts));
    long weekday = (long)((days + 6) % 7);
    double local_hour = (double)hour + (double)minute / 60.0 + (double)second / 3600.0;

    long long offset_us = 0;
    int aware = zone_offset(ts, &offset_us);
    if (aware < 0) {
        return -1;
    }
    double t;
    double utc_offset = 0.0;
    int exact = 0;
    if (aware) {
        utc_offset = (double)offset_us / 1e6;
        long long local_us =
            ((days - EPOCH_ORDINAL) * 86400LL + hour * 3600LL + minute * 60LL + second) *
                1000000LL +
            PyDateTime_DATE_GET_MICROSECOND(ts);
        long long us = local_us - offset_us;
        if (us > -MAX_EXACT_MICROSECONDS && us < MAX_EXACT_MICROSECONDS) {
            t = (double)us / 1e6;
            exact = 1;
        }
    }
    if (!exact) {
        PyObject *seconds = PyObject_CallMethod(ts, "timestamp", NULL);
        if (seconds == NULL) {
            return -1;
        }
        t = PyFloat_AsDouble(seconds);
        Py_DECREF(seconds);
        if (t == -1.0 && PyErr_Occurred()) {
            return -1;
        }
    }
    out->t = t;
    out->hour = local_hour;
    out->weekday = weekday;
    out->utc_offset = utc_offset;
    return 0;
}

static PyObject *
event_clock(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("event_clock", 1);
    EventClock clock;
    if (rk_clock(args[0], &clock) < 0) {
        return NULL;
    }
    return Py_BuildValue("(ddld)", clock.t, clock.hour, clock.weekday, clock.utc_offset);
}

static PyObject *late_name; /* "late" */
static PyObject *t_name;    /* "t" */
static PyObject *hour_name, *weekday_name, *utc_offset_name, *merchant_id_name;

Names rk_names;

int
rk_attr_double(PyObject *obj, PyObject *name, double *out)
{
    PyObject *value = rk_getattr(obj, name);
    if (value == NULL) {
        return -1;
    }
    if (value == Py_None) {
        Py_DECREF(value);
        return 0;
    }
    *out = PyFloat_AsDouble(value);
    Py_DECREF(value);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 1;
}

static unsigned long crc_table[256];

static void
crc_init(void)
{
    for (unsigned long n = 0; n < 256; n++) {
        unsigned long c = n;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? 0xEDB88320UL ^ (c >> 1) : c >> 1;
        }
        crc_table[n] = c;
    }
}

double
rk_stable_hash(PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "an identifier is a str");
        return -1.0;
    }
    Py_ssize_t size;
    const char *bytes = PyUnicode_AsUTF8AndSize(text, &size);
    if (bytes == NULL) {
        return -1.0;
    }
    unsigned long c = 0xFFFFFFFFUL;
    for (Py_ssize_t i = 0; i < size; i++) {
        c = crc_table[(c ^ (unsigned char)bytes[i]) & 0xFF] ^ (c >> 8);
    }
    return (double)(c ^ 0xFFFFFFFFUL);
}

/* The FoldEvent of an event and its FoldContext (late as ctx says): 0, or -1. On success the
 * caller releases out->merchant (a Python update could replace ctx's). */
static int
read_context(PyObject *event, PyObject *ctx, FoldEvent *out)
{
    PyObject *names[4] = {t_name, hour_name, weekday_name, utc_offset_name};
    double *values[4] = {&out->t, &out->hour, &out->weekday, &out->utc_offset};
    for (int i = 0; i < 4; i++) {
        if (rk_attr_double(ctx, names[i], values[i]) != 1) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "ctx.%U is None", names[i]);
            }
            return -1;
        }
    }
    PyObject *late = rk_getattr(ctx, late_name);
    if (late == NULL) {
        return -1;
    }
    out->late = PyObject_IsTrue(late);
    Py_DECREF(late);
    if (out->late < 0) {
        return -1;
    }
    PyObject *merchant = rk_getattr(ctx, merchant_id_name);
    if (merchant == NULL) {
        return -1;
    }
    out->merchant = merchant;
    out->event = event;
    return 0;
}

/* kernel(state, offset, event, ctx): the Updater a Python caller sees. */
static PyObject *
family_kernel_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    FamilyKernel *k = (FamilyKernel *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_SetString(PyExc_TypeError, "a family kernel takes no keyword arguments");
        return NULL;
    }
    CHECK_NARGS("a family kernel", 4);
    FoldEvent e;
    if (read_context(args[2], args[3], &e) < 0) {
        return NULL;
    }
    Span f;
    if (rk_span(args[0], args[1], k->span, &f) < 0) {
        Py_DECREF(e.merchant);
        return NULL;
    }
    int failed = k->fold(f.s, &e, k);
    PyBuffer_Release(&f.view);
    Py_DECREF(e.merchant);
    if (failed) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static void
family_kernel_dealloc(PyObject *self)
{
    Py_XDECREF(((FamilyKernel *)self)->objects);
    PyObject_Free(self);
}

static PyTypeObject FamilyKernelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rapport.profiles._kernels.FamilyKernel",
    .tp_basicsize = sizeof(FamilyKernel),
    .tp_dealloc = family_kernel_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(FamilyKernel, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_doc = "A family's compiled update: kernel(state, offset, event, ctx).",
};

/* family_kernel(name, size, groups, objects=()): the compiled update of the named family, whose
 * floats are size long, folding with the given groups of numbers and tuple of objects. */
static PyObject *
family_kernel(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3 && nargs != 4) {
        PyErr_Format(PyExc_TypeError, "family_kernel takes 3 or 4 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *objects = nargs == 4 ? args[3] : NULL;
    if (objects != NULL && !PyTuple_Check(objects)) {
        PyErr_SetString(PyExc_TypeError, "objects must be a tuple");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(args[0]);
    if (name == NULL) {
        return NULL;
    }
    const FamilyEntry *tables[] = {rk_customer_families, rk_money_families, rk_digital_families};
    const FamilyEntry *entry = NULL;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0] && entry == NULL; t++) {
        for (entry = tables[t]; entry->name != NULL && strcmp(entry->name, name) != 0; entry++) {
        }
        entry = entry->name == NULL ? NULL : entry;
    }
    if (entry == NULL) {
        PyErr_Format(PyExc_ValueError, "no family kernel is named %R", args[0]);
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    if (size == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *groups = PySequence_Fast(args[2], "groups must be a sequence");
    if (groups == NULL) {
        return NULL;
    }
    Py_ssize_t group_count = PySequence_Fast_GET_SIZE(groups);
    if (group_count > MAX_GROUPS) {
        Py_DECREF(groups);
        PyErr_Format(PyExc_ValueError, "at most %d groups", MAX_GROUPS);
        return NULL;
    }
    FamilyKernel *k = PyObject_New(FamilyKernel, &FamilyKernelType);
    if (k == NULL) {
        Py_DECREF(groups);
        return NULL;
    }
    k->vectorcall = family_kernel_call;
    k->fold = entry->fold;
    k->objects = objects != NULL ? Py_NewRef(objects) : PyTuple_New(0);
    if (k->objects == NULL) {
        Py_DECREF(groups);
        Py_DECREF(k);
        return NULL;
    }
    k->groups = (int)group_count;
    double *cursor = k->params;
    for (Py_ssize_t i = 0; i < group_count; i++) {
        Py_ssize_t count = rk_floats(PySequence_Fast_GET_ITEM(groups, i), cursor, "group");
        if (count < 0) {
            Py_DECREF(groups);
            Py_DECREF(k);
            return NULL;
        }
        k->group[i] = cursor;
        k->count[i] = count;
        cursor += count;
    }
    Py_DECREF(groups);
    k->span = entry->span(k);
    if (k->span < 0) {
        Py_DECREF(k);
        return NULL;
    }
    if (k->span > size) {
        PyErr_Format(PyExc_ValueError, "%s folds %zd floats; the family has %zd", name, k->span,
                     size);
        Py_DECREF(k);
        return NULL;
    }
    return (PyObject *)k;
}


/* One entity's state: the late flag on ctx, each (update, offset) of the entity's families for
 * this event, then the state's clock. 0, or -1 with an exception set. */
static int
fold_one(PyObject *state, PyObject *updaters, FoldEvent *e, PyObject *ctx)
{
    Py_buffer view;
    double *s = rk_doubles(state, &view, 0, CLOCK_SIZE);
    if (s == NULL) {
        return -1;
    }
    Py_ssize_t length = view.len / (Py_ssize_t)sizeof(double);
    double t = e->t;
    int late = e->late = t < s[LAST_EVENT];
    if (PyObject_SetAttr(ctx, late_name, late ? Py_True : Py_False) < 0) {
        goto fail;
    }
    if (updaters != NULL) {
        if (!PyTuple_Check(updaters)) {
            PyErr_SetString(PyExc_TypeError, "a plan's updaters must be a tuple");
            goto fail;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(updaters); i++) {
            PyObject *pair = PyTuple_GET_ITEM(updaters, i);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "an updater is an (update, offset) pair");
                goto fail;
            }
            PyObject *update = PyTuple_GET_ITEM(pair, 0), *offset = PyTuple_GET_ITEM(pair, 1);
            if (Py_IS_TYPE(update, &FamilyKernelType)) {
                /* compiled: straight to its kernel, on the floats it owns */
                const FamilyKernel *k = (const FamilyKernel *)update;
                Py_ssize_t start = PyLong_AsSsize_t(offset);
                if (start == -1 && PyErr_Occurred()) {
                    goto fail;
                }
                if (start < 0 || start > length - k->span) {
                    PyErr_SetString(PyExc_IndexError, "state index out of range");
                    goto fail;
                }
                if (k->fold(s + start, e, k) < 0) {
                    goto fail;
                }
                continue;
            }
            PyObject *call[4] = {state, offset, e->event, ctx};
            PyObject *result = PyObject_Vectorcall(update, call, 4, NULL);
            if (result == NULL) {
                goto fail;
            }
            Py_DECREF(result);
        }
    }
    if (s[EVENT_COUNT] == 0.0 || t < s[FIRST_EVENT]) {
        s[FIRST_EVENT] = t;
    }
    if (!late) {
        s[LAST_EVENT] = t;
    }
    s[EVENT_COUNT] += 1.0;
    PyBuffer_Release(&view);
    return 0;
fail:
    PyBuffer_Release(&view);
    return -1;
}

/* Each key's state: fold_one with the plan's updaters for its entity. 0, or -1. */
int
rk_fold_keys(PyObject *plan, PyObject *keys, PyObject *states, FoldEvent *e, PyObject *ctx)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
            PyErr_SetString(PyExc_TypeError, "a profile key is an (entity, id) pair");
            return -1;
        }
        PyObject *state = PyDict_GetItemWithError(states, key);
        if (state == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetObject(PyExc_KeyError, key);
            }
            return -1;
        }
        PyObject *updaters = PyDict_GetItemWithError(plan, PyTuple_GET_ITEM(key, 0));
        if (updaters == NULL && PyErr_Occurred()) {
            return -1;
        }
        /* Held: a Python update could, in principle, change either dict. */
        Py_INCREF(state);
        Py_XINCREF(updaters);
        int failed = fold_one(state, updaters, e, ctx);
        Py_XDECREF(updaters);
        Py_DECREF(state);
        if (failed) {
            return -1;
        }
    }
    return 0;
}

/* fold_event(plan, keys, states, event, ctx): fold_event_reference. */
static PyObject *
fold_event(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("fold_event", 5);
    PyObject *plan = args[0], *keys = args[1], *states = args[2], *ctx = args[4];
    if (!PyDict_Check(plan) || !PyList_Check(keys) || !PyDict_Check(states)) {
        PyErr_SetString(PyExc_TypeError, "fold_event takes a plan dict, a key list, a state dict");
        return NULL;
    }
    FoldEvent e;
    if (read_context(args[3], ctx, &e) < 0) {
        return NULL;
    }
    Py_INCREF(keys);
    int failed = rk_fold_keys(plan, keys, states, &e, ctx);
    Py_DECREF(keys);
    Py_DECREF(e.merchant);
    if (failed) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef fold_methods[] = {
    {"event_clock", (PyCFunction)(void (*)(void))event_clock, METH_FASTCALL,
     "An event timestamp's (t, hour, weekday, utc_offset)."},
    {"fold_event", (PyCFunction)(void (*)(void))fold_event, METH_FASTCALL,
     "Fold one event into each of its entities' states."},
    {"family_kernel", (PyCFunction)(void (*)(void))family_kernel, METH_FASTCALL,
     "The compiled update of a family: family_kernel(name, size, groups)."},
    {NULL, NULL, 0, NULL},
};

int
rk_add_fold_functions(PyObject *module)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
    }
    crc_init();
    struct {
        PyObject **slot;
        const char *text;
    } interned[] = {
        {&late_name, "late"},
        {&t_name, "t"},
        {&hour_name, "hour"},
        {&weekday_name, "weekday"},
        {&utc_offset_name, "utc_offset"},
        {&merchant_id_name, "merchant_id"},
        {&rk_names.payload, "payload"},
        {&rk_names.direction, "direction"},
        {&rk_names.amount, "amount"},
        {&rk_names.location, "location"},
        {&rk_names.lat, "lat"},
        {&rk_names.lon, "lon"},
        {&rk_names.country, "country"},
        {&rk_names.device_id, "device_id"},
        {&rk_names.balance_after, "balance_after"},
        {&rk_names.balance, "balance"},
        {&rk_names.credit_limit, "credit_limit"},
        {&rk_names.mcc, "mcc"},
        {&rk_names.category, "category"},
        {&rk_names.is_fraud, "is_fraud"},
        {&rk_names.customer_id, "customer_id"},
        {&rk_names.success, "success"},
        {&rk_names.session_id, "session_id"},
        {&rk_names.page, "page"},
        {&rk_names.dwell_ms, "dwell_ms"},
        {&rk_names.debit, "debit"},
        {&rk_names.credit, "credit"},
    };
    for (size_t i = 0; i < sizeof interned / sizeof interned[0]; i++) {
        *interned[i].slot = PyUnicode_InternFromString(interned[i].text);
        if (*interned[i].slot == NULL) {
            return -1;
        }
    }
    if (PyType_Ready(&FamilyKernelType) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(module, fold_methods);
}
