/* Attribute reads for the kernels: getattr(obj, name), with the fields of msgspec structs (the
 * events, their payloads, the admission's candidates) read straight from their slots.
 *
 * A struct's field is a member descriptor on its class: Python's getattr looks the name up in
 * the class's MRO, finds the descriptor and reads the object at the descriptor's offset. The
 * fold reads some thirty fields per event, and the lookup, not the read, is most of the cost.
 * So the offset is found once per (class, name) and kept, with the class's version tag, which
 * CPython changes whenever the class or one of its bases is modified: an entry is used only
 * while the tag is the same, and a class whose attribute lookup is not the generic one, or a
 * name that is not a plain object member on it, always goes through getattr.
 */
#include "_kernels.h"

#include <stdint.h>
#include <structmember.h>

#define SLOT_CACHE_SIZE 256 /* a power of two */

typedef struct {
    PyTypeObject *type; /* held, so that its address cannot be reused while cached */
    PyObject *name;     /* held */
    unsigned int version;
    Py_ssize_t offset; /* of the object pointer in the instance; 0: go through getattr */
} SlotEntry;

static SlotEntry slot_cache[SLOT_CACHE_SIZE];

static inline SlotEntry *
entry_for(PyTypeObject *type, PyObject *name)
{
    uintptr_t key = ((uintptr_t)type >> 4) * 31u + ((uintptr_t)name >> 4);
    return &slot_cache[(key ^ (key >> 8)) & (SLOT_CACHE_SIZE - 1)];
}

static inline int
valid_tag(PyTypeObject *type)
{
    return PyType_HasFeature(type, Py_TPFLAGS_VALID_VERSION_TAG);
}

/* The offset of name's object member on type, or 0 if getattr must be asked. */
static Py_ssize_t
member_offset(PyTypeObject *type, PyObject *name)
{
    if (type->tp_getattro != PyObject_GenericGetAttr || !valid_tag(type)) {
        return 0;
    }
    PyObject *descriptor = _PyType_Lookup(type, name); /* borrowed */
    if (descriptor == NULL || !Py_IS_TYPE(descriptor, &PyMemberDescr_Type)) {
        return 0;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descriptor)->d_member;
    if ((member->type != T_OBJECT_EX && member->type != T_OBJECT) || member->offset <= 0) {
        return 0;
    }
    return member->offset;
}

PyObject *
rk_getattr(PyObject *obj, PyObject *name)
{
    PyTypeObject *type = Py_TYPE(obj);
    SlotEntry *entry = entry_for(type, name);
    if (entry->type == type && entry->name == name && valid_tag(type) &&
        entry->version == type->tp_version_tag) {
        if (entry->offset > 0) {
            PyObject *value = *(PyObject **)((char *)obj + entry->offset);
            if (value != NULL) {
                return Py_NewRef(value);
            }
        }
        return PyObject_GetAttr(obj, name); /* unset slots raise as Python does */
    }
    PyObject *value = PyObject_GetAttr(obj, name); /* also gives the class its version tag */
    if (value == NULL) {
        return NULL;
    }
    Py_ssize_t offset = member_offset(type, name);
    if (offset > 0) {
        PyTypeObject *old_type = entry->type;
        PyObject *old_name = entry->name;
        entry->type = (PyTypeObject *)Py_NewRef((PyObject *)type);
        entry->name = Py_NewRef(name);
        entry->version = type->tp_version_tag;
        entry->offset = offset;
        Py_XDECREF((PyObject *)old_type);
        Py_XDECREF(old_name);
    }
    return value;
}

/* field(obj, name): rk_getattr from Python, for the tests. */
static PyObject *
field(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    CHECK_NARGS("field", 2);
    if (!PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "field takes an object and an attribute name");
        return NULL;
    }
    return rk_getattr(args[0], args[1]);
}

static PyMethodDef attr_methods[] = {
    {"field", (PyCFunction)(void (*)(void))field, METH_FASTCALL,
     "getattr(obj, name) as the kernels read it (struct fields straight from their slots)."},
    {NULL, NULL, 0, NULL},
};

int
rk_add_attr_functions(PyObject *module)
{
    return PyModule_AddFunctions(module, attr_methods);
}
