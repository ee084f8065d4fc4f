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

/* Up to this many half-lives or statistics per block: more is refused, not overrun. */
#define MAX_TERMS 64

/* A sequence of floats into out[]; its length, or -1 with an exception set. */
static Py_ssize_t
floats(PyObject *sequence, double *out, const char *what)
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

/* decay.block_add_reference on a block starting at s (its reference time, then the sums). */
static void
add_block(double *s, const double *rates, Py_ssize_t rate_count, const double *x,
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
    double rates[MAX_TERMS], x[MAX_TERMS];
    Py_ssize_t rate_count = floats(args[2], rates, "decay_rates");
    if (rate_count < 0) {
        return NULL;
    }
    Py_ssize_t stat_count = floats(args[3], x, "contributions");
    if (stat_count < 0) {
        return NULL;
    }
    double t = PyFloat_AsDouble(args[4]);
    if (t == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer view;
    double *s = doubles(args[0], &view, offset, 1 + rate_count * stat_count);
    if (s == NULL) {
        return NULL;
    }
    add_block(s + offset, rates, rate_count, x, stat_count, t);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
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

/* Family kernels: each is its family's update_reference in C, given the event's fields as
 * numbers (the Python side picks them out of the event). Half-lives come in as decay rates from
 * the family's module, so the two sides share one definition of each. */

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
    Py_ssize_t name##_count = floats((arg), name, #name);                                      \
    if (name##_count < 0) {                                                                    \
        return NULL;                                                                           \
    }

/* The family's floats: state[offset : offset + size] of a buffer of doubles. */
typedef struct {
    Py_buffer view;
    double *s;
} Span;

static int
span(PyObject *state, PyObject *offset_arg, Py_ssize_t size, Span *out)
{
    Py_ssize_t offset = PyLong_AsSsize_t(offset_arg);
    if (offset == -1 && PyErr_Occurred()) {
        return -1;
    }
    double *s = doubles(state, &out->view, offset, size);
    if (s == NULL) {
        return -1;
    }
    out->s = s + offset;
    return 0;
}

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

/* activity_update(state, offset, count_rates, gap_rates, t, late): ActivityRhythm. */
static PyObject *
activity_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    enum { LAST, GAP, COUNTS };
    CHECK_NARGS("activity_update", 6)
    RATES_ARG(count_rates, args[2])
    RATES_ARG(gap_rates, args[3])
    FLOAT_ARG(t, args[4])
    int late = PyObject_IsTrue(args[5]);
    if (late < 0) {
        return NULL;
    }
    Py_ssize_t gaps = COUNTS + 1 + count_rates_count;
    Span f;
    if (span(args[0], args[1], gaps + 1 + 3 * gap_rates_count, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    const double one = 1.0;
    add_block(s + COUNTS, count_rates, count_rates_count, &one, 1, t);
    double last = s[LAST];
    if (late || last <= 0.0) {
        s[LAST] = py_max(last, t);
    }
    else {
        double gap = log1p((t - last) / 60.0);
        double x[3] = {1.0, gap, gap * gap};
        add_block(s + gaps, gap_rates, gap_rates_count, x, 3, t);
        s[GAP] = t - last;
        s[LAST] = t;
    }
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* spending_update(state, offset, rates, baseline_rates, amount, t): Spending, for a debit. */
static PyObject *
spending_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    enum { AMOUNT, TIME, SUMS };
    CHECK_NARGS("spending_update", 6)
    RATES_ARG(rates, args[2])
    RATES_ARG(baseline_rates, args[3])
    FLOAT_ARG(amount, args[4])
    FLOAT_ARG(t, args[5])
    Py_ssize_t moments = SUMS + 1 + 2 * rates_count;
    Span f;
    if (span(args[0], args[1], moments + 1 + 3 * baseline_rates_count, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    double log_amount = log1p(amount);
    double sums[2] = {1.0, amount};
    add_block(s + SUMS, rates, rates_count, sums, 2, t);
    double logs[3] = {1.0, log_amount, libm_pow(log_amount, 2.0)};
    add_block(s + moments, baseline_rates, baseline_rates_count, logs, 3, t);
    if (t >= s[TIME]) {
        s[AMOUNT] = amount;
        s[TIME] = t;
    }
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* habits_update(state, offset, rates, hour, weekday, t): TimeHabits. */
static PyObject *
habits_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    enum { HOUR, DAY, TIME, BLOCK, STATS = 6 };
    CHECK_NARGS("habits_update", 6)
    RATES_ARG(rates, args[2])
    FLOAT_ARG(hour, args[3])
    FLOAT_ARG(weekday, args[4])
    FLOAT_ARG(t, args[5])
    Span f;
    if (span(args[0], args[1], BLOCK + 1 + STATS * rates_count, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    double hour_angle = hour * (2 * M_PI / 24);
    double day_angle = weekday * (2 * M_PI / 7);
    double x[STATS] = {
        1.0,
        cos(hour_angle),
        sin(hour_angle),
        cos(day_angle),
        sin(day_angle),
        0.0 <= hour && hour < 5.0 ? 1.0 : 0.0,
    };
    add_block(s + BLOCK, rates, rates_count, x, STATS, t);
    if (t >= s[TIME]) {
        s[HOUR] = hour;
        s[DAY] = weekday;
        s[TIME] = t;
    }
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* geo_update(state, offset, rates, lat, lon, t, earth_radius_km, min_speed_interval_s): Geography,
 * for an event with coordinates. */
static PyObject *
geo_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    enum { LAT, LON, TIME, DIST, SPEED, HOME };
    CHECK_NARGS("geo_update", 8)
    RATES_ARG(rates, args[2])
    FLOAT_ARG(lat, args[3])
    FLOAT_ARG(lon, args[4])
    FLOAT_ARG(t, args[5])
    FLOAT_ARG(earth_radius_km, args[6])
    FLOAT_ARG(min_interval, args[7])
    Span f;
    if (span(args[0], args[1], HOME + 1 + 4 * rates_count, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    double last_t = s[TIME];
    /* Python's (lat, lon) > (last lat, last lon) */
    int larger = lat != s[LAT] ? lat > s[LAT] : lon > s[LON];
    if (t > last_t || (t == last_t && larger)) {
        if (last_t > 0) {
            double p1 = radians(s[LAT]), p2 = radians(lat);
            double dp = p2 - p1, dl = radians(lon - s[LON]);
            double a = libm_pow(sin(dp / 2), 2.0) + cos(p1) * cos(p2) * libm_pow(sin(dl / 2), 2.0);
            double distance = 2 * earth_radius_km * asin(py_min(1.0, sqrt(a)));
            double hours = py_max(t - last_t, min_interval) / 3600.0;
            s[DIST] = distance;
            s[SPEED] = distance / hours;
        }
        s[LAT] = lat;
        s[LON] = lon;
        s[TIME] = t;
    }
    double phi = radians(lat), lam = radians(lon);
    double x[4] = {1.0, cos(phi) * cos(lam), cos(phi) * sin(lam), sin(phi)};
    add_block(s + HOME, rates, rates_count, x, 4, t);
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* Rescale forward-decayed weights before exp(rate * (t - epoch)) could overflow. */
#define MAX_EXPONENT 500.0

/* RecencySet.observe_reference on a set starting at s (epoch, k hashes, k weights): whether
 * key was known. */
static int
observe(double *s, Py_ssize_t k, double rate, double key, double t)
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
    if (span(args[0], args[1], 1 + 2 * k, &f) < 0) {
        return NULL;
    }
    int known = observe(f.s, k, rate, key, t);
    PyBuffer_Release(&f.view);
    return PyBool_FromLong(known);
}

/* novelty_update(state, offset, rates, sets, merchant, device, country, t, late): Novelty.
 * sets: (capacity, rate) of the merchant, device and country recency sets, flattened; an
 * identifier's key is NaN when the event has none. */
static PyObject *
novelty_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    enum { FLAGS, SETS = 3, STATS = 6 };
    CHECK_NARGS("novelty_update", 9)
    RATES_ARG(rates, args[2])
    RATES_ARG(sets, args[3])
    if (sets_count != 6) {
        PyErr_SetString(PyExc_ValueError, "sets: (capacity, rate) for three recency sets");
        return NULL;
    }
    double keys[3];
    for (int i = 0; i < 3; i++) {
        keys[i] = PyFloat_AsDouble(args[4 + i]);
        if (keys[i] == -1.0 && PyErr_Occurred()) {
            return NULL;
        }
    }
    FLOAT_ARG(t, args[7])
    int late = PyObject_IsTrue(args[8]);
    if (late < 0) {
        return NULL;
    }
    Py_ssize_t starts[3], cursor = SETS;
    for (int i = 0; i < 3; i++) {
        starts[i] = cursor;
        cursor += 1 + 2 * (Py_ssize_t)sets[2 * i];
    }
    Span f;
    if (span(args[0], args[1], cursor + 1 + STATS * rates_count, &f) < 0) {
        return NULL;
    }
    double counts[STATS] = {0.0};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        if (isnan(keys[i])) {
            continue;
        }
        int known = observe(f.s + starts[i], (Py_ssize_t)sets[2 * i], sets[2 * i + 1], keys[i], t);
        counts[2 * i] = 1.0;
        counts[2 * i + 1] = known ? 0.0 : 1.0;
        if (!late) {
            f.s[FLAGS + i] = counts[2 * i + 1];
        }
        any = 1;
    }
    if (any) {
        add_block(f.s + cursor, rates, rates_count, counts, STATS, t);
    }
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* rhythm_update(state, offset, params, local_time, amount): RhythmChange, for a debit at
 * local_time (event time plus the zone's offset, in seconds). params: warm-up days, longest
 * gap fed to the detector, minimum scale, then Page-Hinkley's minimum instances, delta,
 * threshold and alpha. */
enum { PH_N, PH_MEAN, PH_INC, PH_DEC, PH_MIN_INC, PH_MAX_DEC, PH_MIN_DAY, PH_MAX_DAY, PH_SIZE };
enum { RH_DAY, RH_TOTAL, RH_W_N, RH_W_MEAN, RH_W_M2, RH_PH };
enum { RH_ALARM_DAY = RH_PH + PH_SIZE, RH_ONSET_DAY, RH_DIRECTION, RH_ALARMS, RH_SIZE };
enum { P_WARMUP, P_MAX_GAP, P_MIN_SCALE, P_MIN_INSTANCES, P_DELTA, P_THRESHOLD, P_ALPHA, P_COUNT };

static void
page_hinkley_reset(double *ph)
{
    ph[PH_N] = ph[PH_MEAN] = ph[PH_INC] = ph[PH_DEC] = 0.0;
    ph[PH_MIN_INC] = INFINITY;
    ph[PH_MAX_DEC] = -1.0;
    ph[PH_MIN_DAY] = ph[PH_MAX_DAY] = 0.0;
}

/* PageHinkley.update: +1 (increase), -1 (decrease) or 0 (no alarm). */
static int
page_hinkley_update(double *ph, const double *p, double x, double day)
{
    double n = ph[PH_N] + 1.0;
    double mean = ph[PH_MEAN] + (x - ph[PH_MEAN]) / n;
    ph[PH_N] = n;
    ph[PH_MEAN] = mean;
    double deviation = x - mean;
    double increase = p[P_ALPHA] * ph[PH_INC] + deviation - p[P_DELTA];
    double decrease = p[P_ALPHA] * ph[PH_DEC] + deviation + p[P_DELTA];
    ph[PH_INC] = increase;
    ph[PH_DEC] = decrease;
    if (increase < ph[PH_MIN_INC]) {
        ph[PH_MIN_INC] = increase;
        ph[PH_MIN_DAY] = day;
    }
    if (decrease > ph[PH_MAX_DEC]) {
        ph[PH_MAX_DEC] = decrease;
        ph[PH_MAX_DAY] = day;
    }
    if (n < p[P_MIN_INSTANCES]) {
        return 0;
    }
    if (increase - ph[PH_MIN_INC] > p[P_THRESHOLD]) {
        return 1;
    }
    if (ph[PH_MAX_DEC] - decrease > p[P_THRESHOLD]) {
        return -1;
    }
    return 0;
}

/* RhythmChange._observe: one day's observation x. */
static void
rhythm_observe(double *s, const double *p, double x, double day)
{
    double n = s[RH_W_N];
    double spread = n >= 2 ? sqrt(s[RH_W_M2] / n) : 1.0;
    double scaled = x / py_max(spread, p[P_MIN_SCALE]);
    int warm = n >= p[P_WARMUP];
    n += 1.0;
    double delta = x - s[RH_W_MEAN];
    s[RH_W_MEAN] += delta / n;
    s[RH_W_M2] += delta * (x - s[RH_W_MEAN]);
    s[RH_W_N] = n;
    if (!warm) {
        return;
    }
    double *ph = s + RH_PH;
    int direction = page_hinkley_update(ph, p, scaled, day);
    if (direction) {
        double onset = ph[direction > 0 ? PH_MIN_DAY : PH_MAX_DAY];
        s[RH_ALARM_DAY] = day;
        s[RH_ONSET_DAY] = onset;
        s[RH_DIRECTION] = (double)direction;
        s[RH_ALARMS] += 1.0;
        page_hinkley_reset(ph);
    }
}

static PyObject *
rhythm_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("rhythm_update", 5)
    RATES_ARG(params, args[2])
    if (params_count != P_COUNT) {
        PyErr_Format(PyExc_ValueError, "params: %d numbers", P_COUNT);
        return NULL;
    }
    FLOAT_ARG(local_time, args[3])
    FLOAT_ARG(amount, args[4])
    Span f;
    if (span(args[0], args[1], RH_SIZE, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    double day = floor(local_time / 86400.0);
    double open_day = s[RH_DAY];
    if (open_day == 0.0) {
        s[RH_DAY] = day;
    }
    else if (day > open_day) {
        /* RhythmChange._close: the open day, then the spend-free days up to this one */
        rhythm_observe(s, params, log1p(s[RH_TOTAL]), open_day);
        double gap = py_min(day - open_day - 1, params[P_MAX_GAP]);
        long empty = (long)gap;
        for (long k = 1; k <= empty; k++) {
            rhythm_observe(s, params, 0.0, open_day + (double)k);
        }
        s[RH_DAY] = day;
        s[RH_TOTAL] = 0.0;
    }
    else if (day < open_day) {
        PyBuffer_Release(&f.view);
        Py_RETURN_NONE;
    }
    s[RH_TOTAL] += amount;
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"block_add", (PyCFunction)(void (*)(void))block_add, METH_FASTCALL,
     "Fold one event's contributions at event time t into a decayed block."},
    {"block_read", (PyCFunction)(void (*)(void))block_read, METH_FASTCALL,
     "All sums of a decayed block, decayed to time at, half-life-major order."},
    {"activity_update", (PyCFunction)(void (*)(void))activity_update, METH_FASTCALL,
     "ActivityRhythm's update."},
    {"spending_update", (PyCFunction)(void (*)(void))spending_update, METH_FASTCALL,
     "Spending's update for a debit."},
    {"habits_update", (PyCFunction)(void (*)(void))habits_update, METH_FASTCALL,
     "TimeHabits' update."},
    {"geo_update", (PyCFunction)(void (*)(void))geo_update, METH_FASTCALL,
     "Geography's update for an event with coordinates."},
    {"novelty_update", (PyCFunction)(void (*)(void))novelty_update, METH_FASTCALL,
     "Novelty's update."},
    {"rhythm_update", (PyCFunction)(void (*)(void))rhythm_update, METH_FASTCALL,
     "RhythmChange's update for a debit."},
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
