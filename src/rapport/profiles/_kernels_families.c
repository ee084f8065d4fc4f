/* Family kernels: each is its family's Python update in C, given the event's fields as
 * numbers (the Python side picks them out of the event). Half-lives come in as decay rates from
 * the family's module, so the two sides share one definition of each. See _kernels.c for what
 * "the same bits" asks of them.
 */
#include "_kernels.h"

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
PyObject *
rk_activity_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
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
    if (rk_span(args[0], args[1], gaps + 1 + 3 * gap_rates_count, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    const double one = 1.0;
    rk_add_block(s + COUNTS, count_rates, count_rates_count, &one, 1, t);
    double last = s[LAST];
    if (late || last <= 0.0) {
        s[LAST] = py_max(last, t);
    }
    else {
        double gap = log1p((t - last) / 60.0);
        double x[3] = {1.0, gap, gap * gap};
        rk_add_block(s + gaps, gap_rates, gap_rates_count, x, 3, t);
        s[GAP] = t - last;
        s[LAST] = t;
    }
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* spending_update(state, offset, rates, baseline_rates, amount, t): Spending, for a debit. */
PyObject *
rk_spending_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
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
    if (rk_span(args[0], args[1], moments + 1 + 3 * baseline_rates_count, &f) < 0) {
        return NULL;
    }
    double *s = f.s;
    double log_amount = log1p(amount);
    double sums[2] = {1.0, amount};
    rk_add_block(s + SUMS, rates, rates_count, sums, 2, t);
    double logs[3] = {1.0, log_amount, libm_pow(log_amount, 2.0)};
    rk_add_block(s + moments, baseline_rates, baseline_rates_count, logs, 3, t);
    if (t >= s[TIME]) {
        s[AMOUNT] = amount;
        s[TIME] = t;
    }
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* habits_update(state, offset, rates, hour, weekday, t): TimeHabits. */
PyObject *
rk_habits_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    enum { HOUR, DAY, TIME, BLOCK, STATS = 6 };
    CHECK_NARGS("habits_update", 6)
    RATES_ARG(rates, args[2])
    FLOAT_ARG(hour, args[3])
    FLOAT_ARG(weekday, args[4])
    FLOAT_ARG(t, args[5])
    Span f;
    if (rk_span(args[0], args[1], BLOCK + 1 + STATS * rates_count, &f) < 0) {
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
    rk_add_block(s + BLOCK, rates, rates_count, x, STATS, t);
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
PyObject *
rk_geo_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
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
    if (rk_span(args[0], args[1], HOME + 1 + 4 * rates_count, &f) < 0) {
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
    rk_add_block(s + HOME, rates, rates_count, x, 4, t);
    PyBuffer_Release(&f.view);
    Py_RETURN_NONE;
}

/* novelty_update(state, offset, rates, sets, merchant, device, country, t, late): Novelty.
 * sets: (capacity, rate) of the merchant, device and country recency sets, flattened; an
 * identifier's key is NaN when the event has none. */
PyObject *
rk_novelty_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
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
    Py_ssize_t starts[3], capacities[3], cursor = SETS;
    for (int i = 0; i < 3; i++) {
        double capacity = sets[2 * i];
        if (!(capacity >= 1 && capacity <= 4096) || capacity != floor(capacity)) {
            PyErr_SetString(PyExc_ValueError, "sets: a capacity is a whole number, 1 to 4096");
            return NULL;
        }
        capacities[i] = (Py_ssize_t)capacity;
        starts[i] = cursor;
        cursor += 1 + 2 * capacities[i];
    }
    Span f;
    if (rk_span(args[0], args[1], cursor + 1 + STATS * rates_count, &f) < 0) {
        return NULL;
    }
    double counts[STATS] = {0.0};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        if (isnan(keys[i])) {
            continue;
        }
        int known = rk_observe(f.s + starts[i], capacities[i], sets[2 * i + 1], keys[i], t);
        counts[2 * i] = 1.0;
        counts[2 * i + 1] = known ? 0.0 : 1.0;
        if (!late) {
            f.s[FLAGS + i] = counts[2 * i + 1];
        }
        any = 1;
    }
    if (any) {
        rk_add_block(f.s + cursor, rates, rates_count, counts, STATS, t);
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

PyObject *
rk_rhythm_update(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
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
    if (rk_span(args[0], args[1], RH_SIZE, &f) < 0) {
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

