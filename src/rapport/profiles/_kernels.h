/* What the fold kernels' two files share: argument parsing, the state buffer, decayed blocks
 * and recency sets (defined in _kernels.c), and the family kernels (in _kernels_families.c).
 */
#ifndef RAPPORT_KERNELS_H
#define RAPPORT_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* Up to this many half-lives or statistics per block: more is refused, not overrun. */
#define MAX_TERMS 64

/* Argument parsing shared by every kernel. */
#define CHECK_NARGS(name, expected)                                                            \
    if (nargs != (expected)) {                                                                 \
        PyErr_Format(PyExc_TypeError, name " takes %d arguments, got %zd", (expected), nargs); \
        return NULL;                                                                           \
    }

#define FLOAT_ARG(name, arg)                                                                   \
    double name = PyFloat_AsDouble(arg);                                                       \
    if (name == -1.0 && PyErr_Occurred()) {                                                   \
        return NULL;                                                                           \
    }

#define RATES_ARG(name, arg)                                                                   \
    double name[MAX_TERMS];                                                                    \
    Py_ssize_t name##_count = rk_floats((arg), name, #name);                                   \
    if (name##_count < 0) {                                                                    \
        return NULL;                                                                           \
    }

/* A writable buffer of C doubles (an array('d')), with [offset, offset + span) inside it; NULL
 * with an exception set otherwise. The caller releases the view. */
double *rk_doubles(PyObject *state, Py_buffer *view, Py_ssize_t offset, Py_ssize_t span);

/* A sequence of at most MAX_TERMS floats into out[]; its length, or -1 with an exception set. */
Py_ssize_t rk_floats(PyObject *sequence, double *out, const char *what);

/* decay.block_add_reference on a block starting at s (its reference time, then the sums). */
void rk_add_block(double *s, const double *rates, Py_ssize_t rate_count, const double *x,
                  Py_ssize_t stat_count, double t);

/* RecencySet.observe_reference on a set starting at s (epoch, k hashes, k weights): whether
 * key was known. */
int rk_observe(double *s, Py_ssize_t k, double rate, double key, double t);

/* The family's floats: state[offset : offset + size] of a buffer of doubles. */
typedef struct {
    Py_buffer view;
    double *s;
} Span;

/* state[offset : offset + size], or -1 with an exception set. */
int rk_span(PyObject *state, PyObject *offset_arg, Py_ssize_t size, Span *out);

/* The family kernels: each is its family's Python update, given the event's fields as
 * numbers. */
PyObject *rk_activity_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *rk_spending_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *rk_habits_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *rk_geo_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *rk_novelty_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *rk_rhythm_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* The per-event shell (_kernels_fold.c): adds event_clock and fold_event to the module. */
int rk_add_fold_functions(PyObject *module);

#endif
