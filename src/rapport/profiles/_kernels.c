/* The fold's hottest primitives, compiled: a decayed block's update and read, and a recency
 * set's sighting. Each does exactly the floating-point operations of its Python reference, in
 * the same order (libm's exp, no fused multiply-add: built with -ffp-contract=off), so a profile
 * folded or read with either holds the same bits; tests/profiles/test_kernels.py checks that.
 * The Python references are decay.block_add_reference, decay.block_read_reference and
 * RecencySet.observe_reference.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

/* A writable buffer of C doubles (an array('d')), with [offset, offset + span) inside it. */
static double *
doubles(PyObject *state, Py_buffer *view, Py_ssize_t offset, Py_ssize_t span)
{
    if (PyObject_GetBuffer(state, view, PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        return NULL;
    }
    if (view->itemsize != (Py_ssize_t)sizeof(double) || view->format == NULL ||
        strcmp(view->format, "d") != 0) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "state must be a writable buffer of C doubles");
        return NULL;
    }
    if (offset < 0 || span < 0 || offset + span > view->len / (Py_ssize_t)sizeof(double)) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_IndexError, "state index out of range");
        return NULL;
    }
    return (double *)view->buf;
}

/* block_add(state, offset, decay_rates, contributions, t) */
static PyObject *
block_add(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "block_add takes 5 arguments");
        return NULL;
    }
    Py_ssize_t offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *rates = PySequence_Fast(args[2], "decay_rates must be a sequence");
    if (rates == NULL) {
        return NULL;
    }
    PyObject *contributions = PySequence_Fast(args[3], "contributions must be a sequence");
    if (contributions == NULL) {
        Py_DECREF(rates);
        return NULL;
    }
    double t = PyFloat_AsDouble(args[4]);
    Py_ssize_t rate_count = PySequence_Fast_GET_SIZE(rates);
    Py_ssize_t stat_count = PySequence_Fast_GET_SIZE(contributions);
    double x[64];
    PyObject *result = NULL;
    Py_buffer view;
    double *s;
    if (t == -1.0 && PyErr_Occurred()) {
        goto done;
    }
    if (stat_count > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 statistics per block");
        goto done;
    }
    for (Py_ssize_t j = 0; j < stat_count; j++) {
        x[j] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(contributions, j));
        if (x[j] == -1.0 && PyErr_Occurred()) {
            goto done;
        }
    }
    s = doubles(args[0], &view, offset, 1 + rate_count * stat_count);
    if (s == NULL) {
        goto done;
    }
    double reference = s[offset];
    double *sum = s + offset + 1;
    int forward = t >= reference;
    double elapsed = forward ? t - reference : reference - t;
    for (Py_ssize_t r = 0; r < rate_count; r++) {
        double rate = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(rates, r));
        if (rate == -1.0 && PyErr_Occurred()) {
            PyBuffer_Release(&view);
            goto done;
        }
        double factor = exp(-rate * elapsed);
        if (forward) {
            for (Py_ssize_t j = 0; j < stat_count; j++, sum++) {
                *sum = *sum * factor + x[j];
            }
        }
        else {
            for (Py_ssize_t j = 0; j < stat_count; j++, sum++) {
                *sum += x[j] * factor;
            }
        }
    }
    if (forward) {
        s[offset] = t;
    }
    PyBuffer_Release(&view);
    result = Py_NewRef(Py_None);
done:
    Py_DECREF(rates);
    Py_DECREF(contributions);
    return result;
}

/* block_read(state, offset, decay_rates, stat_count, at) -> list of the sums decayed to at */
static PyObject *
block_read(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "block_read takes 5 arguments");
        return NULL;
    }
    Py_ssize_t offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t stat_count = PyLong_AsSsize_t(args[3]);
    if (stat_count == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (stat_count < 0) {
        PyErr_SetString(PyExc_ValueError, "stat_count must not be negative");
        return NULL;
    }
    double at = PyFloat_AsDouble(args[4]);
    if (at == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *rates = PySequence_Fast(args[2], "decay_rates must be a sequence");
    if (rates == NULL) {
        return NULL;
    }
    Py_ssize_t rate_count = PySequence_Fast_GET_SIZE(rates);
    PyObject *out = NULL;
    Py_buffer view;
    double *s = doubles(args[0], &view, offset, 1 + rate_count * stat_count);
    if (s == NULL) {
        goto done;
    }
    double since = at - s[offset];
    double elapsed = since > 0.0 ? since : 0.0; /* Python's max(0.0, since), NaN included */
    const double *sum = s + offset + 1;
    out = PyList_New(rate_count * stat_count);
    if (out == NULL) {
        goto release;
    }
    for (Py_ssize_t r = 0, i = 0; r < rate_count; r++) {
        double rate = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(rates, r));
        if (rate == -1.0 && PyErr_Occurred()) {
            Py_CLEAR(out);
            goto release;
        }
        double factor = exp(-rate * elapsed);
        for (Py_ssize_t j = 0; j < stat_count; j++, i++) {
            PyObject *value = PyFloat_FromDouble(sum[i] * factor);
            if (value == NULL) {
                Py_CLEAR(out);
                goto release;
            }
            PyList_SET_ITEM(out, i, value);
        }
    }
release:
    PyBuffer_Release(&view);
done:
    Py_DECREF(rates);
    return out;
}

/* Rescale forward-decayed weights before exp(rate * (t - epoch)) could overflow. */
#define MAX_EXPONENT 500.0

/* recency_observe(state, offset, capacity, rate, key, t) -> bool (known before) */
static PyObject *
recency_observe(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "recency_observe takes 6 arguments");
        return NULL;
    }
    Py_ssize_t offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t k = PyLong_AsSsize_t(args[2]);
    if (k == -1 && PyErr_Occurred()) {
        return NULL;
    }
    double rate = PyFloat_AsDouble(args[3]);
    if (rate == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    double key = PyFloat_AsDouble(args[4]);
    if (key == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    double t = PyFloat_AsDouble(args[5]);
    if (t == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    if (k < 1) {
        PyErr_SetString(PyExc_ValueError, "capacity must be at least 1");
        return NULL;
    }
    Py_buffer view;
    double *s = doubles(args[0], &view, offset, 1 + 2 * k);
    if (s == NULL) {
        return NULL;
    }
    double *hashes = s + offset + 1;
    double *weights = hashes + k;
    double epoch = s[offset];
    if (epoch == 0.0) {
        epoch = s[offset] = t;
    }
    double exponent = rate * (t - epoch);
    if (exponent > MAX_EXPONENT) {
        double factor = exp(-rate * (t - s[offset]));
        for (Py_ssize_t i = 0; i < k; i++) {
            weights[i] *= factor;
        }
        s[offset] = t;
        exponent = 0.0;
    }
    double weight = exp(exponent);
    for (Py_ssize_t i = 0; i < k; i++) {
        if (hashes[i] == key) {
            weights[i] += weight;
            PyBuffer_Release(&view);
            Py_RETURN_TRUE;
        }
    }
    Py_ssize_t victim = 0; /* the first of the least familiar: empty slots weigh 0 */
    for (Py_ssize_t i = 1; i < k; i++) {
        if (weights[i] < weights[victim]) {
            victim = i;
        }
    }
    hashes[victim] = key;
    weights[victim] = weight;
    PyBuffer_Release(&view);
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"block_add", (PyCFunction)(void (*)(void))block_add, METH_FASTCALL,
     "Fold one event's contributions at event time t into a decayed block."},
    {"block_read", (PyCFunction)(void (*)(void))block_read, METH_FASTCALL,
     "All sums of a decayed block, decayed to time at, half-life-major order."},
    {"recency_observe", (PyCFunction)(void (*)(void))recency_observe, METH_FASTCALL,
     "Record a key seen at t in a recency set; return whether it was already known."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "rapport.profiles._kernels",
    "Compiled fold primitives, bit-for-bit equal to their Python references.", -1, methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
