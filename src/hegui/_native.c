/*
 * hegui._native: the normaliser's hot loop in C.
 *
 * One pass over the text: look each code point up in the packed table built by
 * hegui.detectors.normalize (bits 0-20 mapped code point, bits 24-25 class
 * KEEP/HARD/SOFT, bit 26 "ASCII letter or digit"), drop noise, turn a noise run
 * between two ASCII letters/digits into one space, collapse runs of three or
 * more identical characters, and record for every output character the
 * original start and end index. Same semantics as the NumPy fallback in
 * normalize.py; the tests check that the two agree.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_CP 0x110000
#define CP_MASK 0x1FFFFFu
#define CLS_SHIFT 24
#define CLS_KEEP 0u
#define CLS_SOFT 2u
#define ALNUM_BIT (1u << 26)

static Py_buffer tables[2];
static int tables_set[2] = {0, 0};

static PyObject *
set_table(PyObject *self, PyObject *args)
{
    int slot;
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "iO", &slot, &obj))
        return NULL;
    if (slot < 0 || slot > 1) {
        PyErr_SetString(PyExc_ValueError, "slot must be 0 or 1");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len != (Py_ssize_t)(MAX_CP * sizeof(uint32_t))) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "table must hold 0x110000 uint32 entries");
        return NULL;
    }
    if (tables_set[slot])
        PyBuffer_Release(&tables[slot]);
    tables[slot] = view; /* keeps a reference to the exporter */
    tables_set[slot] = 1;
    Py_RETURN_NONE;
}

static PyObject *
normalize(PyObject *self, PyObject *args)
{
    PyObject *text;
    int slot, collapse;
    if (!PyArg_ParseTuple(args, "Uip", &text, &slot, &collapse))
        return NULL;
    if (slot < 0 || slot > 1 || !tables_set[slot]) {
        PyErr_SetString(PyExc_RuntimeError, "normalisation table not loaded");
        return NULL;
    }
    const uint32_t *table = (const uint32_t *)tables[slot].buf;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);

    Py_UCS4 *out = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(Py_UCS4));
    PyObject *idx_bytes = PyBytes_FromStringAndSize(NULL, (n > 0 ? n : 1) * (Py_ssize_t)sizeof(int64_t));
    PyObject *end_bytes = PyBytes_FromStringAndSize(NULL, (n > 0 ? n : 1) * (Py_ssize_t)sizeof(int64_t));
    if (!out || !idx_bytes || !end_bytes) {
        PyMem_Free(out);
        Py_XDECREF(idx_bytes);
        Py_XDECREF(end_bytes);
        return PyErr_NoMemory();
    }
    int64_t *idx = (int64_t *)PyBytes_AS_STRING(idx_bytes);
    int64_t *end = (int64_t *)PyBytes_AS_STRING(end_bytes);

    Py_ssize_t m = 0;          /* output length */
    Py_ssize_t pending = -1;   /* first noise index since the last kept character */
    int have_soft = 0;         /* the pending run holds soft noise (not only hard) */
    int last_alnum = 0;
    Py_ssize_t run_len = 0;    /* length of the current run of identical output characters */

    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint32_t v = table[c < MAX_CP ? c : 0]; /* a valid str never holds c >= MAX_CP */
        uint32_t cls = (v >> CLS_SHIFT) & 3u;
        if (cls != CLS_KEEP) {
            if (pending < 0)
                pending = i;
            if (cls == CLS_SOFT)
                have_soft = 1;
            continue;
        }
        Py_UCS4 cp = v & CP_MASK;
        int alnum = (v & ALNUM_BIT) != 0;
        if (pending >= 0 && have_soft && alnum && last_alnum && m > 0) {
            out[m] = ' ';
            idx[m] = pending;
            end[m] = pending + 1;
            m++;
            run_len = 1;
        }
        pending = -1;
        have_soft = 0;
        if (collapse && m > 0 && out[m - 1] == cp) {
            run_len++;
            if (run_len >= 3) {
                if (run_len == 3) {
                    /* drop the second of the run; the first now covers all of it */
                    m--;
                }
                end[m - 1] = i + 1;
                last_alnum = alnum;
                continue;
            }
        } else {
            run_len = 1;
        }
        out[m] = cp;
        idx[m] = i;
        end[m] = i + 1;
        m++;
        last_alnum = alnum;
    }

    PyObject *res_text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m);
    PyMem_Free(out);
    if (!res_text) {
        Py_DECREF(idx_bytes);
        Py_DECREF(end_bytes);
        return NULL;
    }
    if (_PyBytes_Resize(&idx_bytes, (m > 0 ? m : 0) * (Py_ssize_t)sizeof(int64_t)) < 0 ||
        _PyBytes_Resize(&end_bytes, (m > 0 ? m : 0) * (Py_ssize_t)sizeof(int64_t)) < 0) {
        Py_DECREF(res_text);
        Py_XDECREF(idx_bytes);
        Py_XDECREF(end_bytes);
        return NULL;
    }
    return Py_BuildValue("(NNN)", res_text, idx_bytes, end_bytes);
}

static PyMethodDef methods[] = {
    {"set_table", set_table, METH_VARARGS, "set_table(slot, buffer): install a packed normalisation table."},
    {"normalize", normalize, METH_VARARGS,
     "normalize(text, slot, collapse) -> (text, index_bytes, end_bytes): int64 original start/end per character."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "hegui._native", "hegui's C hot loops.", -1, methods};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModule_Create(&module);
}
