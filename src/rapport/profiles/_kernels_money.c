/* Family kernels of money: balance, income, spending categories, and a merchant's traffic and
 * fraud risk. Like those of _kernels_families.c, each is its family's Python update in C, and
 * folds the same bits.
 */
#include "_kernels.h"

/* Python's numerator / denominator if denominator > 1e-12 else 0.0 (decay.ratio). */
static inline double
ratio(double numerator, double denominator)
{
    return denominator > 1e-12 ? numerator / denominator : 0.0;
}

/* A number attribute that may not be None: 0, or -1. */
static int
attr_number(PyObject *obj, PyObject *name, double *out)
{
    int found = rk_attr_double(obj, name, out);
    if (found == 0) {
        PyErr_Format(PyExc_TypeError, "%U is None", name);
        return -1;
    }
    return found < 0 ? -1 : 0;
}

/* The truth of function(payload) (income.looks_like_salary), called only for a credit, as the
 * function answers False for anything else: 1, 0, or -1. */
static int
salary_credit(PyObject *function, PyObject *payload)
{
    int credit = rk_attr_is(payload, rk_names.direction, rk_names.credit);
    if (credit <= 0) {
        return credit;
    }
    PyObject *answer = PyObject_CallOneArg(function, payload);
    if (answer == NULL) {
        return -1;
    }
    int truth = PyObject_IsTrue(answer);
    Py_DECREF(answer);
    return truth;
}

/* Balance: groups balance rates, slow rates; objects TransactionEvent, StatementEvent,
 * looks_like_salary. */
enum { BL_BAL, BL_BAL_T, BL_UTIL, BL_LIMIT, BL_STMT_T, BL_FAST };

static Py_ssize_t
balance_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "balance") < 0 || rk_expect_objects(k, 3, "balance") < 0) {
        return -1;
    }
    return BL_FAST + block_span(3, k->count[0]) + block_span(4, k->count[1]);
}

static int
balance_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    PyObject *kind = (PyObject *)Py_TYPE(e->event);
    double t = e->t;
    double *slow = s + BL_FAST + block_span(3, k->count[0]);
    PyObject *payload = rk_getattr(e->event, rk_names.payload);
    if (payload == NULL) {
        return -1;
    }
    int result = -1;
    if (kind == PyTuple_GET_ITEM(k->objects, 0)) {
        double balance, amount;
        int found = rk_attr_double(payload, rk_names.balance_after, &balance);
        if (found <= 0) {
            result = found;
            goto done;
        }
        double x[3] = {1.0, balance, balance < 0 ? 1.0 : 0.0};
        rk_add_block(s + BL_FAST, k->group[0], k->count[0], x, 3, t);
        int salary = salary_credit(PyTuple_GET_ITEM(k->objects, 2), payload);
        if (salary < 0) {
            goto done;
        }
        if (salary) {
            if (attr_number(payload, rk_names.amount, &amount) < 0) {
                goto done;
            }
            double before[4] = {1.0, balance - amount, 0.0, 0.0};
            rk_add_block(slow, k->group[1], k->count[1], before, 4, t);
        }
        if (t >= s[BL_BAL_T]) {
            s[BL_BAL] = balance;
            s[BL_BAL_T] = t;
        }
    }
    else if (kind == PyTuple_GET_ITEM(k->objects, 1)) {
        double balance, limit;
        if (attr_number(payload, rk_names.balance, &balance) < 0 ||
            attr_number(payload, rk_names.credit_limit, &limit) < 0) {
            goto done;
        }
        double utilisation = ratio(py_max(balance, 0.0), limit);
        double x[4] = {0.0, 0.0, 1.0, utilisation};
        rk_add_block(slow, k->group[1], k->count[1], x, 4, t);
        if (t >= s[BL_STMT_T]) {
            s[BL_UTIL] = utilisation;
            s[BL_LIMIT] = limit;
            s[BL_STMT_T] = t;
        }
    }
    result = 0;
done:
    Py_DECREF(payload);
    return result;
}

/* Income, for a credit: groups credit rates, regularity rates; objects looks_like_salary. */
enum { IN_LAST_T, IN_LAST_AMOUNT, IN_CREDITS };

static Py_ssize_t
income_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "income") < 0 || rk_expect_objects(k, 1, "income") < 0) {
        return -1;
    }
    return IN_CREDITS + block_span(4, k->count[0]) + block_span(6, k->count[1]);
}

static int
income_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    PyObject *payload = rk_getattr(e->event, rk_names.payload);
    if (payload == NULL) {
        return -1;
    }
    double amount;
    int salary = salary_credit(PyTuple_GET_ITEM(k->objects, 0), payload);
    int credit = salary < 0 ? -1 : rk_attr_is(payload, rk_names.direction, rk_names.credit);
    int failed = credit < 0 || (credit && attr_number(payload, rk_names.amount, &amount) < 0);
    Py_DECREF(payload);
    if (failed) {
        return -1;
    }
    if (!credit) {
        return 0;
    }
    double t = e->t;
    double credits[4] = {1.0, amount, salary ? 1.0 : 0.0, salary ? amount : 0.0};
    rk_add_block(s + IN_CREDITS, k->group[0], k->count[0], credits, 4, t);
    if (!salary) {
        return 0;
    }
    double last_t = s[IN_LAST_T];
    double x[6] = {1.0, amount, amount * amount, 0.0, 0.0, 0.0};
    if (last_t > 0 && t > last_t) {
        double interval = (t - last_t) / 86400.0;
        x[3] = 1.0;
        x[4] = interval;
        x[5] = interval * interval;
    }
    rk_add_block(s + IN_CREDITS + block_span(4, k->count[0]), k->group[1], k->count[1], x, 6, t);
    if (t >= last_t) {
        s[IN_LAST_T] = t;
        s[IN_LAST_AMOUNT] = amount;
    }
    return 0;
}

/* CategoryShares, for a debit: groups rates, (group count,); objects group_of. Each group's
 * slot is a one-statistic decayed block of its own. */
static Py_ssize_t
categories_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "categories") < 0 || rk_expect_objects(k, 1, "categories") < 0) {
        return -1;
    }
    double groups = k->count[1] == 1 ? k->group[1][0] : -1;
    if (!(groups >= 1 && groups <= 256) || groups != floor(groups)) {
        PyErr_SetString(PyExc_ValueError, "categories: the number of groups, 1 to 256");
        return -1;
    }
    return (Py_ssize_t)groups * block_span(1, k->count[0]);
}

static int
categories_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    PyObject *payload = rk_getattr(e->event, rk_names.payload);
    if (payload == NULL) {
        return -1;
    }
    int result = -1;
    PyObject *mcc = NULL, *category = NULL, *group = NULL;
    int debit = rk_attr_is(payload, rk_names.direction, rk_names.debit);
    if (debit <= 0) {
        result = debit;
        goto done;
    }
    double amount;
    if (attr_number(payload, rk_names.amount, &amount) < 0 ||
        (mcc = rk_getattr(payload, rk_names.mcc)) == NULL ||
        (category = rk_getattr(payload, rk_names.category)) == NULL) {
        goto done;
    }
    group = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(k->objects, 0), mcc, category, NULL);
    if (group == NULL) {
        goto done;
    }
    Py_ssize_t index = PyLong_AsSsize_t(group);
    if (index == -1 && PyErr_Occurred()) {
        goto done;
    }
    if (index < 0 || index >= (Py_ssize_t)k->group[1][0]) {
        PyErr_SetString(PyExc_IndexError, "group_of gave a group out of range");
        goto done;
    }
    rk_add_block(s + index * block_span(1, k->count[0]), k->group[0], k->count[0], &amount, 1,
                 e->t);
    result = 0;
done:
    Py_XDECREF(group);
    Py_XDECREF(category);
    Py_XDECREF(mcc);
    Py_DECREF(payload);
    return result;
}

/* MerchantRisk: groups rates; objects TransactionEvent, FraudReportEvent. */
enum { MR_FRAUD_T, MR_BLOCK };

static Py_ssize_t
merchant_risk_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 1, "merchant_risk") < 0 || rk_expect_objects(k, 2, "merchant_risk") < 0) {
        return -1;
    }
    return MR_BLOCK + block_span(3, k->count[0]);
}

static int
merchant_risk_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    PyObject *kind = (PyObject *)Py_TYPE(e->event);
    double t = e->t;
    if (kind == PyTuple_GET_ITEM(k->objects, 0)) {
        double x[3] = {1.0, 0.0, 0.0};
        rk_add_block(s + MR_BLOCK, k->group[0], k->count[0], x, 3, t);
    }
    else if (kind == PyTuple_GET_ITEM(k->objects, 1)) {
        PyObject *payload = rk_getattr(e->event, rk_names.payload);
        if (payload == NULL) {
            return -1;
        }
        PyObject *verdict = rk_getattr(payload, rk_names.is_fraud);
        Py_DECREF(payload);
        if (verdict == NULL) {
            return -1;
        }
        int fraud = PyObject_IsTrue(verdict);
        Py_DECREF(verdict);
        if (fraud < 0) {
            return -1;
        }
        double x[3] = {0.0, fraud ? 1.0 : 0.0, fraud ? 0.0 : 1.0};
        rk_add_block(s + MR_BLOCK, k->group[0], k->count[0], x, 3, t);
        if (fraud) {
            s[MR_FRAUD_T] = py_max(s[MR_FRAUD_T], t);
        }
    }
    return 0;
}

/* MerchantTraffic: groups rates, (the largest small amount,). */
static Py_ssize_t
merchant_traffic_span(const FamilyKernel *k)
{
    if (rk_expect_groups(k, 2, "merchant_traffic") < 0) {
        return -1;
    }
    if (k->count[1] != 1) {
        PyErr_SetString(PyExc_ValueError, "merchant_traffic: the largest small amount");
        return -1;
    }
    return block_span(4, k->count[0]);
}

static int
merchant_traffic_fold(double *s, const FoldEvent *e, const FamilyKernel *k)
{
    double amount;
    if (rk_debit_amount(e, &amount) < 0) {
        return -1;
    }
    double x[4] = {1.0, amount, log1p(amount), amount <= k->group[1][0] ? 1.0 : 0.0};
    rk_add_block(s, k->group[0], k->count[0], x, 4, e->t);
    return 0;
}

const FamilyEntry rk_money_families[] = {
    {"merchant_traffic", merchant_traffic_fold, merchant_traffic_span},
    {"merchant_risk", merchant_risk_fold, merchant_risk_span},
    {"balance", balance_fold, balance_span},
    {"income", income_fold, income_span},
    {"categories", categories_fold, categories_span},
    {NULL, NULL, NULL},
};
