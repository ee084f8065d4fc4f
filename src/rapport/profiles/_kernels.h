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

/* What a family kernel knows of the event being folded: the event itself and its fold context
 * (FoldContext), read once per event by fold_event. */
typedef struct {
    PyObject *event;    /* borrowed */
    PyObject *merchant; /* borrowed: ctx.merchant_id, a str or None */
    double t, hour, weekday, utc_offset;
    int late;
} FoldEvent;

#define MAX_GROUPS 4
#define MAX_PARAMS (MAX_GROUPS * MAX_TERMS)

/* A family's compiled update (a Python callable with the Updater signature, which fold_event
 * calls without going through Python): its kernel, and the constants it folds with, as groups
 * of numbers (decay rates, sizes, thresholds) from the family's module. */
typedef struct FamilyKernel FamilyKernel;

/* One event into the family's floats s (its span checked): 0, or -1 with an exception set. */
typedef int (*FamilyFn)(double *s, const FoldEvent *e, const FamilyKernel *k);

struct FamilyKernel {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    FamilyFn fold;
    Py_ssize_t span; /* the floats fold touches from the family's offset */
    PyObject *objects; /* a tuple: the classes, words or functions the kernel needs */
    int groups;
    Py_ssize_t count[MAX_GROUPS];
    const double *group[MAX_GROUPS];
    double params[MAX_PARAMS];
};

/* A family kernel's name, fold, and the span its groups imply (-1 with an exception set if the
 * groups are not what it takes). */
typedef struct {
    const char *name;
    FamilyFn fold;
    Py_ssize_t (*span)(const FamilyKernel *k);
} FamilyEntry;

/* The family kernels (_kernels_families.c, _kernels_money.c, _kernels_digital.c), each list
 * ending with a NULL name. */
extern const FamilyEntry rk_customer_families[];
extern const FamilyEntry rk_money_families[];
extern const FamilyEntry rk_digital_families[];

/* -1 with a ValueError unless the kernel has that many groups of numbers. */
int rk_expect_groups(const FamilyKernel *k, int groups, const char *family);

/* -1 with a ValueError unless the kernel has that many objects. */
int rk_expect_objects(const FamilyKernel *k, Py_ssize_t objects, const char *family);

/* Whether the str attribute equals word: 1, 0, or -1 with an exception set. */
int rk_attr_is(PyObject *obj, PyObject *name, PyObject *word);

/* Whether a transaction event's payload is a debit (1), a credit (0), or -1 on error; its
 * amount in *amount. */
int rk_debit_amount(const FoldEvent *e, double *amount);

/* Python's max(a, b) and min(a, b) for floats: the first argument unless the second beats it. */
static inline double
py_max(double a, double b)
{
    return b > a ? b : a;
}

static inline double
py_min(double a, double b)
{
    return b < a ? b : a;
}

/* Python's x ** y: libm's pow. Called through a pointer because compilers rewrite pow(x, 2.0)
 * as x * x, which is not always libm's pow (glibc's pow is not correctly rounded everywhere):
 * about one profile in two thousand differed in its last bit before this. */
static double (*volatile const libm_pow)(double, double) = pow;

/* Python's math.radians. */
static inline double
radians(double degrees)
{
    return degrees * (M_PI / 180.0);
}


/* The number of floats a decayed block of stats statistics over count rates takes. */
static inline Py_ssize_t
block_span(Py_ssize_t stats, Py_ssize_t rates)
{
    return 1 + stats * rates;
}



/* Interned attribute names and constants the kernels read events with. */
typedef struct {
    PyObject *payload, *direction, *amount, *location, *lat, *lon, *country, *device_id;
    PyObject *balance_after, *balance, *credit_limit, *mcc, *category, *is_fraud;
    PyObject *customer_id, *success, *session_id, *page, *dwell_ms;
    PyObject *debit, *credit;
} Names;
extern Names rk_names;

/* getattr(obj, name), a new reference or NULL; struct fields read from their slots
 * (_kernels_attr.c). */
PyObject *rk_getattr(PyObject *obj, PyObject *name);

/* Adds field (rk_getattr, for the tests). */
int rk_add_attr_functions(PyObject *module);

/* getattr(obj, name) as a float: 1, 0 if it is None, -1 with an exception set. */
int rk_attr_double(PyObject *obj, PyObject *name, double *out);

/* The stable 32-bit hash of a str (zlib.crc32 of its UTF-8, as sketches.stable_hash), or -1.0
 * with an exception set. */
double rk_stable_hash(PyObject *text);

/* An event timestamp's epoch seconds, local hour, weekday (Monday = 0) and zone offset. */
typedef struct {
    double t, hour, utc_offset;
    long weekday;
} EventClock;

/* fold.event_clock_reference of a datetime into *out: 0, or -1 with an exception set. */
int rk_clock(PyObject *timestamp, EventClock *out);

/* fold.fold_event_reference's loop over keys, with the event already read into e: 0, or -1. */
int rk_fold_keys(PyObject *plan, PyObject *keys, PyObject *states, FoldEvent *e, PyObject *ctx);

/* The per-event shell (_kernels_fold.c): adds event_clock, fold_event and family_kernel. */
int rk_add_fold_functions(PyObject *module);

/* Admission's common path (_kernels_admit.c): adds admitter. */
int rk_add_admit_functions(PyObject *module);

#endif
