/* The fold's hot paths, compiled: a decayed block's update and read, a recency set's sighting,
 * and the whole update of the families that cost most per event. Each does exactly the
 * floating-point operations of its Python reference, in the same order (libm's exp, log1p, sin,
 * cos and pow, as Python calls them; no fused multiply-add: built with -ffp-contract=off), so a
 * profile folded or read with either holds the same bits. The references are
 * decay.block_add_reference, decay.block_read_reference, RecencySet.observe_reference and each
 * compiled family's Python update; tests/profiles/test_kernels.py and test_family_kernels.py check
 * the bits.
 */
#include "_kernels.h"

#include <string.h>

double *
rk_doubles(PyObject *state, Py_buffer *view, Py_ssize_t offset, Py_ssize_t span)
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
    Py_ssize_t length = view->len / (Py_ssize_t)sizeof(double);
    if (offset < 0 || span < 0 || span > length || offset > length - span) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_IndexError, "state index out of range");
        return NULL;
    }
    return (double *)view->buf;
}

Py_ssize_t
rk_floats(PyObject *sequence, double *out, const char *what)
{
    PyObject *fast = PySequence_Fast(sequence, what);
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    if (count > MAX_TERMS) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_ValueError, "%s: at most %d terms", what, MAX_TERMS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        out[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (out[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return count;
}

void
rk_add_block(double *s, const double *rates, Py_ssize_t rate_count, const double *x,
          Py_ssize_t stat_count, double t)
{
    double reference = s[0];
    double *sum = s + 1;
    int forward = t >= reference;
    double elapsed = forward ? t - reference : reference - t;
    for (Py_ssize_t r = 0; r < rate_count; r++) {
        double factor = exp(-rates[r] * elapsed);
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
        s[0] = t;
    }
}

int
rk_span(PyObject *state, PyObject *offset_arg, Py_ssize_t size, Span *out)
{
    Py_ssize_t offset = PyLong_AsSsize_t(offset_arg);
    if (offset == -1 && PyErr_Occurred()) {
        return -1;
    }
    double *s = rk_doubles(state, &out->view, offset, size);
    if (s == NULL) {
        return -1;
    }
    out->s = s + offset;
    return 0;
}

/* Rescale forward-decayed weights before exp(rate * (t - epoch)) could overflow. */
#define MAX_EXPONENT 500.0

int
rk_observe(double *s, Py_ssize_t k, double rate, double key, double t)
{
    double *hashes = s + 1;
    double *weights = hashes + k;
    double epoch = s[0];
    if (epoch == 0.0) {
        epoch = s[0] = t;
    }
    double exponent = rate * (t - epoch);
    if (exponent > MAX_EXPONENT) {
        double factor = exp(-rate * (t - s[0]));
        for (Py_ssize_t i = 0; i < k; i++) {
            weights[i] *= factor;
        }
        s[0] = t;
        exponent = 0.0;
    }
    double weight = exp(exponent);
    for (Py_ssize_t i = 0; i < k; i++) {
        if (hashes[i] == key) {
            weights[i] += weight;
            return 1;
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
    return 0;
}

/* block_add(state, offset, decay_rates, contributions, t) */
static PyObject *
block_add(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("block_add", 5)
    Py_ssize_t offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    double rates[MAX_TERMS], x[MAX_TERMS];
    Py_ssize_t rate_count = rk_floats(args[2], rates, "decay_rates");
    if (rate_count < 0) {
        return NULL;
    }
    Py_ssize_t stat_count = rk_floats(args[3], x, "contributions");
    if (stat_count < 0) {
        return NULL;
    }
    double t = PyFloat_AsDouble(args[4]);
    if (t == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer view;
    double *s = rk_doubles(args[0], &view, offset, 1 + rate_count * stat_count);
    if (s == NULL) {
        return NULL;
    }
    rk_add_block(s + offset, rates, rate_count, x, stat_count, t);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* block_read(state, offset, decay_rates, stat_count, at) -> list of the sums decayed to at */
static PyObject *
block_read(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("block_read", 5)
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
    if (stat_count > MAX_TERMS) {
        PyErr_Format(PyExc_ValueError, "stat_count: at most %d", MAX_TERMS);
        return NULL;
    }
    double at = PyFloat_AsDouble(args[4]);
    if (at == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    double rates[MAX_TERMS];
    Py_ssize_t rate_count = rk_floats(args[2], rates, "decay_rates");
    if (rate_count < 0) {
        return NULL;
    }
    Py_buffer view;
    double *s = rk_doubles(args[0], &view, offset, 1 + rate_count * stat_count);
    if (s == NULL) {
        return NULL;
    }
    double since = at - s[offset];
    double elapsed = since > 0.0 ? since : 0.0; /* Python's max(0.0, since), NaN included */
    const double *sum = s + offset + 1;
    PyObject *out = PyList_New(rate_count * stat_count);
    for (Py_ssize_t r = 0, i = 0; out != NULL && r < rate_count; r++) {
        double factor = exp(-rates[r] * elapsed);
        for (Py_ssize_t j = 0; j < stat_count; j++, i++) {
            PyObject *value = PyFloat_FromDouble(sum[i] * factor);
            if (value == NULL) {
                Py_CLEAR(out);
                break;
            }
            PyList_SET_ITEM(out, i, value);
        }
    }
    PyBuffer_Release(&view);
    return out;
}

/* recency_observe(state, offset, capacity, rate, key, t) -> bool (known before) */
static PyObject *
recency_observe(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("recency_observe", 6)
    Py_ssize_t k = PyLong_AsSsize_t(args[2]);
    if (k == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (k < 1) {
        PyErr_SetString(PyExc_ValueError, "capacity must be at least 1");
        return NULL;
    }
    FLOAT_ARG(rate, args[3])
    FLOAT_ARG(key, args[4])
    FLOAT_ARG(t, args[5])
    Span f;
    if (rk_span(args[0], args[1], 1 + 2 * k, &f) < 0) {
        return NULL;
    }
    int known = rk_observe(f.s, k, rate, key, t);
    PyBuffer_Release(&f.view);
    return PyBool_FromLong(known);
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
    "Compiled fold kernels, bit-for-bit equal to their Python references.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    PyObject *created = PyModule_Create(&module);
    if (created != NULL &&
        (rk_add_fold_functions(created) < 0 || rk_add_admit_functions(created) < 0 ||
         rk_add_attr_functions(created) < 0)) {
        Py_DECREF(created);
        return NULL;
    }
    return created;
}
