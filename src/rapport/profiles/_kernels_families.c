/* Family kernels of a customer's activity, spending, habits, places and rhythm, and of a
 * device's use (the money families are in _kernels_money.c): each is its family's Python update in C, reading the event's fields itself,
 * so that fold_event calls it without entering Python. Half-lives and other constants come in
 * as groups of numbers from the family's module (Family.compiled), so the two sides share one
 * definition of each. See _kernels.c for what "the same bits" asks of them.
 */
#include "_kernels.h"

/* -1 with a ValueError unless the kernel has groups groups. */
int
rk_expect_groups(const FamilyKernel *k, int groups, const char *family)
{
    if (k->groups != groups) {
        PyErr_Format(PyExc_ValueError, "%s takes %d groups of numbers, not %d", family, groups,
                     k->groups);
        return -1;
    }
    return 0;
}

/* -1 with a ValueError unless the kernel has that many objects. */
int
rk_expect_objects(const FamilyKernel *k, Py_ssize_t objects, const char *family)
{
    if (PyTuple_GET_SIZE(k->objects) != objects) {
        PyErr_Format(PyExc_ValueError, "%s takes %zd objects, not %zd", family, objects,
                     PyTuple_GET_SIZE(k->objects));
        return -1;
    }
    return 0;
}

/* Whether the str attribute equals word: 1, 0, or -1. */
int
rk_attr_is(PyObject *obj, PyObject *name, PyObject *word)
{
    PyObject *value = rk_getattr(obj, name);
    if (value == NULL) {
        return -1;
    }
    int equal = PyUnicode_Check(value) && PyUnicode_Compare(value, word) == 0;
    Py_DECREF(value);
    return equal;
}

/* Whether the transaction event's payload is a debit (1), a credit (0), or -1 on error; its
 * amount in *amount. */
int
rk_debit_amount(const FoldEvent *e, double *amount)
{
    PyObject *payload = rk_getattr(e->event, rk_names.payload);
    if (payload == NULL) {
        return -1;
    }
    int debit = rk_attr_is(payload, rk_names.direction, rk_names.debit);
    if (debit < 0) {
        Py_DECREF(payload);
        return -1;
    }
    int found = rk_attr_double(payload, rk_names.amount, amount);
    Py_DECREF(payload);
    if (found < 0) {
        return -1;
    }
    if (found == 0) {
        PyErr_SetString(PyExc_TypeError, "a transaction's amount is None");
        return -1;
    }
    return debit;
}

/* ActivityRhythm: groups count rates, gap rates. */
enum { ACT_LAST, ACT_GAP, ACT_COUNTS };

static Py_ssize_t
activity_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "activity") < 0) {
        return -1;
    }
    return ACT_COUNTS + block_span(1, k->count[0]) + block_span(3, k->count[1]);
}

static int
activity_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    double t = e->t;
    Py_ssize_t gaps = ACT_COUNTS + block_span(1, k->count[0]);
    const double one = 1.0;
    rk_add_block(s + ACT_COUNTS, k->group[0], k->count[0], &one, 1, t);
    double last = s[ACT_LAST];
    if (e->late || last <= 0.0) {
        s[ACT_LAST] = py_max(last, t);
        return 0;
    }
    double gap = log1p((t - last) / 60.0);
    double x[3] = {1.0, gap, gap * gap};
    rk_add_block(s + gaps, k->group[1], k->count[1], x, 3, t);
    s[ACT_GAP] = t - last;
    s[ACT_LAST] = t;
    return 0;
}

/* Spending, for a debit: groups rates, baseline rates. */
enum { SP_AMOUNT, SP_TIME, SP_SUMS };

static Py_ssize_t
spending_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "spending") < 0) {
        return -1;
    }
    return SP_SUMS + block_span(2, k->count[0]) + block_span(3, k->count[1]);
}

static int
spending_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    double amount;
    int debit = rk_debit_amount(e, &amount);
    if (debit <= 0) {
        return debit;
    }
    double t = e->t;
    Py_ssize_t moments = SP_SUMS + block_span(2, k->count[0]);
    double log_amount = log1p(amount);
    double sums[2] = {1.0, amount};
    rk_add_block(s + SP_SUMS, k->group[0], k->count[0], sums, 2, t);
    double logs[3] = {1.0, log_amount, libm_pow(log_amount, 2.0)};
    rk_add_block(s + moments, k->group[1], k->count[1], logs, 3, t);
    if (t >= s[SP_TIME]) {
        s[SP_AMOUNT] = amount;
        s[SP_TIME] = t;
    }
    return 0;
}

/* TimeHabits: group rates. */
enum { HB_HOUR, HB_DAY, HB_TIME, HB_BLOCK, HB_STATS = 6 };

static Py_ssize_t
habits_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 1, "habits") < 0) {
        return -1;
    }
    return HB_BLOCK + block_span(HB_STATS, k->count[0]);
}

static int
habits_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    double hour = e->hour, weekday = e->weekday, t = e->t;
    double hour_angle = hour * (2 * M_PI / 24);
    double day_angle = weekday * (2 * M_PI / 7);
    double x[HB_STATS] = {
        1.0,
        cos(hour_angle),
        sin(hour_angle),
        cos(day_angle),
        sin(day_angle),
        0.0 <= hour && hour < 5.0 ? 1.0 : 0.0,
    };
    rk_add_block(s + HB_BLOCK, k->group[0], k->count[0], x, HB_STATS, t);
    if (t >= s[HB_TIME]) {
        s[HB_HOUR] = hour;
        s[HB_DAY] = weekday;
        s[HB_TIME] = t;
    }
    return 0;
}

/* Geography, for an event with coordinates: groups rates, (earth radius in km, shortest
 * interval for a speed in seconds). */
enum { GEO_LAT, GEO_LON, GEO_TIME, GEO_DIST, GEO_SPEED, GEO_HOME };

static Py_ssize_t
geo_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "geo") < 0) {
        return -1;
    }
    if (k->count[1] != 2) {
        PyErr_SetString(PyExc_ValueError, "geo: earth radius and shortest interval");
        return -1;
    }
    return GEO_HOME + block_span(4, k->count[0]);
}

static int
geo_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    PyObject *location = rk_getattr(e->event, rk_names.location);
    if (location == NULL) {
        return -1;
    }
    if (location == Py_None) {
        Py_DECREF(location);
        return 0;
    }
    double lat, lon;
    int has_lat = rk_attr_double(location, rk_names.lat, &lat);
    int has_lon = has_lat < 0 ? -1 : rk_attr_double(location, rk_names.lon, &lon);
    Py_DECREF(location);
    if (has_lat < 0 || has_lon < 0) {
        return -1;
    }
    if (!has_lat || !has_lon) {
        return 0;
    }
    double t = e->t, earth_radius_km = k->group[1][0], min_interval = k->group[1][1];
    double last_t = s[GEO_TIME];
    /* Python's (lat, lon) > (last lat, last lon) */
    int larger = lat != s[GEO_LAT] ? lat > s[GEO_LAT] : lon > s[GEO_LON];
    if (t > last_t || (t == last_t && larger)) {
        if (last_t > 0) {
            double p1 = radians(s[GEO_LAT]), p2 = radians(lat);
            double dp = p2 - p1, dl = radians(lon - s[GEO_LON]);
            double a = libm_pow(sin(dp / 2), 2.0) + cos(p1) * cos(p2) * libm_pow(sin(dl / 2), 2.0);
            double distance = 2 * earth_radius_km * asin(py_min(1.0, sqrt(a)));
            double hours = py_max(t - last_t, min_interval) / 3600.0;
            s[GEO_DIST] = distance;
            s[GEO_SPEED] = distance / hours;
        }
        s[GEO_LAT] = lat;
        s[GEO_LON] = lon;
        s[GEO_TIME] = t;
    }
    double phi = radians(lat), lam = radians(lon);
    double x[4] = {1.0, cos(phi) * cos(lam), cos(phi) * sin(lam), sin(phi)};
    rk_add_block(s + GEO_HOME, k->group[0], k->count[0], x, 4, t);
    return 0;
}

/* Novelty: groups rates, (capacity, rate) of the merchant, device and country recency sets. */
enum { NV_FLAGS, NV_SETS = 3, NV_STATS = 6 };

static Py_ssize_t
novelty_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "novelty") < 0) {
        return -1;
    }
    if (k->count[1] != 6) {
        PyErr_SetString(PyExc_ValueError, "sets: (capacity, rate) for three recency sets");
        return -1;
    }
    Py_ssize_t cursor = NV_SETS;
    for (int i = 0; i < 3; i++) {
        double capacity = k->group[1][2 * i];
        if (!(capacity >= 1 && capacity <= 4096) || capacity != floor(capacity)) {
            PyErr_SetString(PyExc_ValueError, "sets: a capacity is a whole number, 1 to 4096");
            return -1;
        }
        cursor += 1 + 2 * (Py_ssize_t)capacity;
    }
    return cursor + block_span(NV_STATS, k->count[0]);
}

/* The stable hash of an optional str identifier into *key (NAN for None): 0, or -1. */
static int
identifier_key(PyObject *identifier, double *key)
{
    if (identifier == Py_None) {
        *key = NAN;
        return 0;
    }
    *key = rk_stable_hash(identifier);
    return *key == -1.0 && PyErr_Occurred() ? -1 : 0;
}

static int
novelty_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    double keys[3];
    if (identifier_key(e->merchant, &keys[0]) < 0) {
        return -1;
    }
    PyObject *device = rk_getattr(e->event, rk_names.device_id);
    if (device == NULL) {
        return -1;
    }
    int failed = identifier_key(device, &keys[1]);
    Py_DECREF(device);
    if (failed) {
        return -1;
    }
    PyObject *location = rk_getattr(e->event, rk_names.location);
    if (location == NULL) {
        return -1;
    }
    keys[2] = NAN;
    if (location != Py_None) {
        PyObject *country = rk_getattr(location, rk_names.country);
        failed = country == NULL || identifier_key(country, &keys[2]) < 0;
        Py_XDECREF(country);
    }
    Py_DECREF(location);
    if (failed) {
        return -1;
    }
    const double *sets = k->group[1];
    double t = e->t;
    Py_ssize_t cursor = NV_SETS;
    double counts[NV_STATS] = {0.0};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        Py_ssize_t capacity = (Py_ssize_t)sets[2 * i];
        Py_ssize_t start = cursor;
        cursor += 1 + 2 * capacity;
        if (isnan(keys[i])) {
            continue;
        }
        int known = rk_observe(s + start, capacity, sets[2 * i + 1], keys[i], t);
        counts[2 * i] = 1.0;
        counts[2 * i + 1] = known ? 0.0 : 1.0;
        if (!e->late) {
            s[NV_FLAGS + i] = counts[2 * i + 1];
        }
        any = 1;
    }
    if (any) {
        rk_add_block(s + cursor, k->group[0], k->count[0], counts, NV_STATS, t);
    }
    return 0;
}

/* RhythmChange. Its one group: warm-up days, longest gap fed to the detector, minimum scale,
 * then Page-Hinkley's minimum instances, delta, threshold and alpha. */
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


static Py_ssize_t
rhythm_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 1, "rhythm_change") < 0) {
        return -1;
    }
    if (k->count[0] != P_COUNT) {
        PyErr_Format(PyExc_ValueError, "rhythm_change: %d numbers", P_COUNT);
        return -1;
    }
    return RH_SIZE;
}

/* A debit on its local day (event time plus the zone's offset). */
static int
rhythm_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    double amount;
    int debit = rk_debit_amount(e, &amount);
    if (debit <= 0) {
        return debit;
    }
    const double *params = k->group[0];
    double day = floor((e->t + e->utc_offset) / 86400.0);
    double open_day = s[RH_DAY];
    if (open_day == 0.0) {
        s[RH_DAY] = day;
    }
    else if (day > open_day) {
        /* RhythmChange._close: the open day, then the spend-free days up to this one */
        rhythm_observe(s, params, log1p(s[RH_TOTAL]), open_day);
        double gap = py_min(day - open_day - 1, params[P_MAX_GAP]);
        long empty = (long)gap;
        for (long d = 1; d <= empty; d++) {
            rhythm_observe(s, params, 0.0, open_day + (double)d);
        }
        s[RH_DAY] = day;
        s[RH_TOTAL] = 0.0;
    }
    else if (day < open_day) {
        return 0;
    }
    s[RH_TOTAL] += amount;
    return 0;
}

/* DeviceUsage: groups rates, (capacity, rate) of the customer and country recency sets;
 * objects LoginEvent. */
static Py_ssize_t
device_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "device_usage") < 0) {
        return -1;
    }
    const double *sets = k->group[1];
    if (rk_expect_objects(k, 1, "device_usage") < 0) {
        return -1;
    }
    if (k->count[1] != 4) {
        PyErr_SetString(PyExc_ValueError, "device_usage: two recency sets");
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        if (!(sets[2 * i] >= 1 && sets[2 * i] <= 4096) || sets[2 * i] != floor(sets[2 * i])) {
            PyErr_SetString(PyExc_ValueError, "sets: a capacity is a whole number, 1 to 4096");
            return -1;
        }
    }
    return 2 + 2 * (Py_ssize_t)sets[0] + 2 * (Py_ssize_t)sets[2] + block_span(3, k->count[0]);
}

static int
device_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    const double *sets = k->group[1];
    Py_ssize_t customers = (Py_ssize_t)sets[0], countries = (Py_ssize_t)sets[2];
    double *country_set = s + 1 + 2 * customers, *block = country_set + 1 + 2 * countries;
    double t = e->t, customer, country = NAN;
    PyObject *customer_id = rk_getattr(e->event, rk_names.customer_id);
    if (customer_id == NULL) {
        return -1;
    }
    int failed = identifier_key(customer_id, &customer);
    Py_DECREF(customer_id);
    PyObject *location = failed ? NULL : rk_getattr(e->event, rk_names.location);
    if (location == NULL) {
        return -1;
    }
    if (location != Py_None) {
        PyObject *name = rk_getattr(location, rk_names.country);
        failed = name == NULL || identifier_key(name, &country) < 0;
        Py_XDECREF(name);
    }
    Py_DECREF(location);
    double failed_login = 0.0;
    if (!failed && Py_TYPE(e->event) == (PyTypeObject *)PyTuple_GET_ITEM(k->objects, 0)) {
        PyObject *payload = rk_getattr(e->event, rk_names.payload);
        PyObject *success = payload == NULL ? NULL : rk_getattr(payload, rk_names.success);
        int ok = success == NULL ? -1 : PyObject_IsTrue(success);
        Py_XDECREF(success);
        Py_XDECREF(payload);
        failed = ok < 0;
        failed_login = ok ? 0.0 : 1.0;
    }
    if (failed) {
        return -1;
    }
    int known = rk_observe(s, customers, sets[1], customer, t);
    if (!isnan(country)) {
        rk_observe(country_set, countries, sets[3], country, t);
    }
    double x[3] = {1.0, failed_login, known ? 0.0 : 1.0};
    rk_add_block(block, k->group[0], k->count[0], x, 3, t);
    return 0;
}

const FamilyEntry rk_customer_families[] = {
    {"activity", activity_fold, activity_span},
    {"spending", spending_fold, spending_span},
    {"habits", habits_fold, habits_span},
    {"geo", geo_fold, geo_span},
    {"novelty", novelty_fold, novelty_span},
    {"rhythm_change", rhythm_fold, rhythm_span},
    {"device_usage", device_fold, device_span},
    {NULL, NULL, NULL},
};
