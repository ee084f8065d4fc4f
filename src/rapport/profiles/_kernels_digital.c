/* Family kernels of digital behaviour: engagement (logins, sessions, sensitive pages) and
 * product interest (the pages' product families). Like the others, each is its family's Python
 * update in C and folds the same bits; what a page path means (page_kind, page_products) stays
 * in Python, which the kernels call.
 */
#include "_kernels.h"

/* The floats of a Python function's tuple of numbers into out[]: how many, or -1. */
static Py_ssize_t
call_for_numbers(PyObject *function, PyObject *argument, double *out, Py_ssize_t expected)
{
    PyObject *answer = PyObject_CallOneArg(function, argument);
    if (answer == NULL) {
        return -1;
    }
    Py_ssize_t count = rk_floats(answer, out, "a page's flags");
    Py_DECREF(answer);
    if (count >= 0 && count != expected) {
        PyErr_Format(PyExc_ValueError, "a page's flags: %zd numbers, not %zd", count, expected);
        return -1;
    }
    return count;
}

/* Engagement: groups login rates, page rates; objects LoginEvent, PageViewEvent, page_kind. */
enum { EN_SESSION, EN_LOGIN_T, EN_LOGINS };

static Py_ssize_t
engagement_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "engagement") < 0) {
        return -1;
    }
    if (rk_expect_objects(k, 3, "engagement") < 0) {
        return -1;
    }
    return EN_LOGINS + block_span(2, k->count[0]) + block_span(5, k->count[1]);
}

static int
engagement_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    PyObject *kind = (PyObject *)Py_TYPE(e->event);
    int login = kind == PyTuple_GET_ITEM(k->objects, 0);
    if (!login && kind != PyTuple_GET_ITEM(k->objects, 1)) {
        return 0;
    }
    PyObject *payload = rk_getattr(e->event, rk_names.payload);
    if (payload == NULL) {
        return -1;
    }
    double t = e->t;
    int result = -1;
    if (login) {
        PyObject *success = rk_getattr(payload, rk_names.success);
        int ok = success == NULL ? -1 : PyObject_IsTrue(success);
        Py_XDECREF(success);
        if (ok < 0) {
            goto done;
        }
        double x[2] = {ok ? 1.0 : 0.0, ok ? 0.0 : 1.0};
        rk_add_block(s + EN_LOGINS, k->group[0], k->count[0], x, 2, t);
        if (ok && t > s[EN_LOGIN_T]) {
            s[EN_LOGIN_T] = t;
        }
        result = 0;
        goto done;
    }
    PyObject *session_id = rk_getattr(payload, rk_names.session_id);
    if (session_id == NULL) {
        goto done;
    }
    double session = rk_stable_hash(session_id);
    Py_DECREF(session_id);
    if (session == -1.0 && PyErr_Occurred()) {
        goto done;
    }
    double new_session = session != s[EN_SESSION] ? 1.0 : 0.0;
    if (!e->late) {
        s[EN_SESSION] = session;
    }
    double flags[2], dwell_ms = 0.0;
    PyObject *page = rk_getattr(payload, rk_names.page);
    Py_ssize_t count = page == NULL
                           ? -1
                           : call_for_numbers(PyTuple_GET_ITEM(k->objects, 2), page, flags, 2);
    Py_XDECREF(page);
    if (count < 0 || rk_attr_double(payload, rk_names.dwell_ms, &dwell_ms) < 0) {
        goto done;
    }
    double x[5] = {1.0, dwell_ms / 1000.0, new_session, flags[0], flags[1]};
    rk_add_block(s + EN_LOGINS + block_span(2, k->count[0]), k->group[1], k->count[1], x, 5, t);
    result = 0;
done:
    Py_DECREF(payload);
    return result;
}

/* ProductInterest, for a page view: groups rates, (statistics,); objects page_products. */
static Py_ssize_t
product_interest_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "product_interest") < 0) {
        return -1;
    }
    double stats = k->count[1] == 1 ? k->group[1][0] : -1;
    if (rk_expect_objects(k, 1, "product_interest") < 0) {
        return -1;
    }
    if (!(stats >= 1 && stats <= MAX_TERMS) || stats != floor(stats)) {
        PyErr_SetString(PyExc_ValueError, "product_interest: 1 to 64 statistics");
        return -1;
    }
    return block_span((Py_ssize_t)stats, k->count[0]);
}

static int
product_interest_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    Py_ssize_t stats = (Py_ssize_t)k->group[1][0];
    double x[MAX_TERMS];
    x[0] = 1.0;
    PyObject *payload = rk_getattr(e->event, rk_names.payload);
    PyObject *page = payload == NULL ? NULL : rk_getattr(payload, rk_names.page);
    Py_XDECREF(payload);
    if (page == NULL) {
        return -1;
    }
    Py_ssize_t count = call_for_numbers(PyTuple_GET_ITEM(k->objects, 0), page, x + 1, stats - 1);
    Py_DECREF(page);
    if (count < 0) {
        return -1;
    }
    rk_add_block(s, k->group[0], k->count[0], x, stats, e->t);
    return 0;
}

const FamilyEntry rk_digital_families[] = {
    {"engagement", engagement_fold, engagement_span},
    {"product_interest", product_interest_fold, product_interest_span},
    {NULL, NULL, NULL},
};
