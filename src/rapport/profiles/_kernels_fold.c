/* The fold's per-event shell, compiled: an event's clock (epoch seconds, local hour, weekday,
 * zone offset) read off its timestamp, and one event folded into each of its entities' states
 * (the late flag, every family's update, the state's clock). The references are
 * fold.event_clock_reference and fold.fold_event_reference; tests/profiles/test_fold_kernels.py
 * checks the two give the same values and the same bits.
 */
#include "_kernels.h"

#include <datetime.h>

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

/* event_clock(timestamp) -> (t, hour, weekday, utc_offset): timestamp.timestamp(), hour +
 * minute / 60 + second / 3600, weekday(), utcoffset().total_seconds() (0.0 if None). Python
 * divides the whole microseconds of a timedelta by 10**6 as integers, which rounds once, as a
 * double division does while both are below 2**53; outside that, or for a naive timestamp
 * (which Python reads in the machine's zone), Python computes t itself. */
static PyObject *
event_clock(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    CHECK_NARGS("event_clock", 1);
    PyObject *ts = args[0];
    if (!PyDateTime_Check(ts)) {
        PyErr_SetString(PyExc_TypeError, "event_clock takes a datetime");
        return NULL;
    }
    int hour = PyDateTime_DATE_GET_HOUR(ts);
    int minute = PyDateTime_DATE_GET_MINUTE(ts);
    int second = PyDateTime_DATE_GET_SECOND(ts);
    long long days = ordinal(PyDateTime_GET_YEAR(ts), PyDateTime_GET_MONTH(ts),
                             PyDateTime_GET_DAY(ts));
    long weekday = (long)((days + 6) % 7);
    double local_hour = (double)hour + (double)minute / 60.0 + (double)second / 3600.0;

    PyObject *offset = PyObject_CallMethod(ts, "utcoffset", NULL);
    if (offset == NULL) {
        return NULL;
    }
    double t;
    double utc_offset = 0.0;
    int exact = 0;
    if (offset != Py_None) {
        if (!PyDelta_Check(offset)) {
            Py_DECREF(offset);
            PyErr_SetString(PyExc_TypeError, "utcoffset() did not return a timedelta");
            return NULL;
        }
        long long offset_us = delta_microseconds(offset);
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
    Py_DECREF(offset);
    if (!exact) {
        PyObject *seconds = PyObject_CallMethod(ts, "timestamp", NULL);
        if (seconds == NULL) {
            return NULL;
        }
        t = PyFloat_AsDouble(seconds);
        Py_DECREF(seconds);
        if (t == -1.0 && PyErr_Occurred()) {
            return NULL;
        }
    }
    return Py_BuildValue("(ddld)", t, local_hour, weekday, utc_offset);
}

static PyObject *late_name; /* "late" */
static PyObject *t_name;    /* "t" */

/* One entity's state: the late flag on ctx, each (update, offset) of the entity's families for
 * this event, then the state's clock. 0, or -1 with an exception set. */
static int
fold_one(PyObject *state, PyObject *updaters, PyObject *event, PyObject *ctx, double t)
{
    Py_buffer view;
    double *s = rk_doubles(state, &view, 0, CLOCK_SIZE);
    if (s == NULL) {
        return -1;
    }
    int late = t < s[LAST_EVENT];
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
            PyObject *call[4] = {state, PyTuple_GET_ITEM(pair, 1), event, ctx};
            PyObject *result = PyObject_Vectorcall(PyTuple_GET_ITEM(pair, 0), call, 4, NULL);
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

/* fold_event(plan, keys, states, event, ctx): fold_event_reference. */
static PyObject *
fold_event(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    CHECK_NARGS("fold_event", 5);
    PyObject *plan = args[0], *keys = args[1], *states = args[2], *event = args[3],
             *ctx = args[4];
    if (!PyDict_Check(plan) || !PyList_Check(keys) || !PyDict_Check(states)) {
        PyErr_SetString(PyExc_TypeError, "fold_event takes a plan dict, a key list, a state dict");
        return NULL;
    }
    PyObject *t_object = PyObject_GetAttr(ctx, t_name);
    if (t_object == NULL) {
        return NULL;
    }
    double t = PyFloat_AsDouble(t_object);
    Py_DECREF(t_object);
    if (t == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
            PyErr_SetString(PyExc_TypeError, "a profile key is an (entity, id) pair");
            return NULL;
        }
        PyObject *state = PyDict_GetItemWithError(states, key);
        if (state == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetObject(PyExc_KeyError, key);
            }
            return NULL;
        }
        PyObject *updaters = PyDict_GetItemWithError(plan, PyTuple_GET_ITEM(key, 0));
        if (updaters == NULL && PyErr_Occurred()) {
            return NULL;
        }
        /* Held: an update could, in principle, change either dict. */
        Py_INCREF(state);
        Py_XINCREF(updaters);
        int failed = fold_one(state, updaters, event, ctx, t);
        Py_XDECREF(updaters);
        Py_DECREF(state);
        if (failed) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

static PyMethodDef fold_methods[] = {
    {"event_clock", (PyCFunction)(void (*)(void))event_clock, METH_FASTCALL,
     "An event timestamp's (t, hour, weekday, utc_offset)."},
    {"fold_event", (PyCFunction)(void (*)(void))fold_event, METH_FASTCALL,
     "Fold one event into each of its entities' states."},
    {NULL, NULL, 0, NULL},
};

int
rk_add_fold_functions(PyObject *module)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
    }
    late_name = PyUnicode_InternFromString("late");
    t_name = PyUnicode_InternFromString("t");
    if (late_name == NULL || t_name == NULL) {
        return -1;
    }
    return PyModule_AddFunctions(module, fold_methods);
}
