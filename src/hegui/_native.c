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

/* The normalising loop shared by normalize() and normalize_utf8(). Writes up to n characters into out,
 * with their original start (idx) and end (end) indexes; returns the output length. */
static Py_ssize_t
norm_core(PyObject *text, const uint32_t *table, int collapse, Py_UCS4 *out, int64_t *idx, int64_t *end)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
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
    return m;
}

static const uint32_t *
get_table(int slot)
{
    if (slot < 0 || slot > 1 || !tables_set[slot]) {
        PyErr_SetString(PyExc_RuntimeError, "normalisation table not loaded");
        return NULL;
    }
    return (const uint32_t *)tables[slot].buf;
}

static PyObject *
normalize(PyObject *self, PyObject *args)
{
    PyObject *text;
    int slot, collapse;
    if (!PyArg_ParseTuple(args, "Uip", &text, &slot, &collapse))
        return NULL;
    const uint32_t *table = get_table(slot);
    if (!table)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t cap = n > 0 ? n : 1;
    Py_UCS4 *out = PyMem_Malloc((size_t)cap * sizeof(Py_UCS4));
    PyObject *idx_bytes = PyBytes_FromStringAndSize(NULL, cap * (Py_ssize_t)sizeof(int64_t));
    PyObject *end_bytes = PyBytes_FromStringAndSize(NULL, cap * (Py_ssize_t)sizeof(int64_t));
    if (!out || !idx_bytes || !end_bytes) {
        PyMem_Free(out);
        Py_XDECREF(idx_bytes);
        Py_XDECREF(end_bytes);
        return PyErr_NoMemory();
    }
    Py_ssize_t m = norm_core(text, table, collapse, out, (int64_t *)PyBytes_AS_STRING(idx_bytes),
                             (int64_t *)PyBytes_AS_STRING(end_bytes));
    PyObject *res_text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m);
    PyMem_Free(out);
    if (!res_text || _PyBytes_Resize(&idx_bytes, m * (Py_ssize_t)sizeof(int64_t)) < 0 ||
        _PyBytes_Resize(&end_bytes, m * (Py_ssize_t)sizeof(int64_t)) < 0) {
        Py_XDECREF(res_text);
        Py_XDECREF(idx_bytes);
        Py_XDECREF(end_bytes);
        return NULL;
    }
    return Py_BuildValue("(NNN)", res_text, idx_bytes, end_bytes);
}

/* normalize_utf8(text, slot, collapse) -> (utf8_bytes, start_bytes, end_bytes)
 * The same normalisation, written as UTF-8, with the original start and end index of the character each
 * output BYTE belongs to (int32: texts of 2**31 characters or more are refused). Lets a byte-level matcher run without building a str or converting
 * offsets. */
static PyObject *
normalize_utf8(PyObject *self, PyObject *args)
{
    PyObject *text;
    int slot, collapse;
    if (!PyArg_ParseTuple(args, "Uip", &text, &slot, &collapse))
        return NULL;
    const uint32_t *table = get_table(slot);
    if (!table)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "text too long to normalise (2**31 characters or more)");
        return NULL;
    }
    Py_ssize_t cap = n > 0 ? n : 1;
    Py_UCS4 *out = PyMem_Malloc((size_t)cap * sizeof(Py_UCS4));
    int64_t *idx = PyMem_Malloc((size_t)cap * sizeof(int64_t));
    int64_t *end = PyMem_Malloc((size_t)cap * sizeof(int64_t));
    if (!out || !idx || !end) {
        PyMem_Free(out);
        PyMem_Free(idx);
        PyMem_Free(end);
        return PyErr_NoMemory();
    }
    Py_ssize_t m = norm_core(text, table, collapse, out, idx, end);
    Py_ssize_t nb = 0;
    for (Py_ssize_t k = 0; k < m; k++)
        nb += out[k] < 0x80 ? 1 : out[k] < 0x800 ? 2 : out[k] < 0x10000 ? 3 : 4;
    PyObject *utf8 = PyBytes_FromStringAndSize(NULL, nb);
    PyObject *bs = PyBytes_FromStringAndSize(NULL, nb * (Py_ssize_t)sizeof(int32_t));
    PyObject *be = PyBytes_FromStringAndSize(NULL, nb * (Py_ssize_t)sizeof(int32_t));
    if (!utf8 || !bs || !be) {
        PyMem_Free(out);
        PyMem_Free(idx);
        PyMem_Free(end);
        Py_XDECREF(utf8);
        Py_XDECREF(bs);
        Py_XDECREF(be);
        return NULL;
    }
    unsigned char *u = (unsigned char *)PyBytes_AS_STRING(utf8);
    int32_t *ps = (int32_t *)PyBytes_AS_STRING(bs);
    int32_t *pe = (int32_t *)PyBytes_AS_STRING(be);
    Py_ssize_t j = 0;
    for (Py_ssize_t k = 0; k < m; k++) {
        Py_UCS4 c = out[k];
        Py_ssize_t j0 = j;
        if (c < 0x80) {
            u[j++] = (unsigned char)c;
        } else if (c < 0x800) {
            u[j++] = (unsigned char)(0xC0 | (c >> 6));
            u[j++] = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            u[j++] = (unsigned char)(0xE0 | (c >> 12));
            u[j++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            u[j++] = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            u[j++] = (unsigned char)(0xF0 | (c >> 18));
            u[j++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            u[j++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            u[j++] = (unsigned char)(0x80 | (c & 0x3F));
        }
        for (Py_ssize_t q = j0; q < j; q++) {
            ps[q] = (int32_t)idx[k];
            pe[q] = (int32_t)end[k];
        }
    }
    PyMem_Free(out);
    PyMem_Free(idx);
    PyMem_Free(end);
    return Py_BuildValue("(NNN)", utf8, bs, be);
}

/*
 * pii_gate(text) -> (max_number_run, max_digit_run, province_then_capital)
 * One pass of cheap character classes that tells the PII scanner which of its regular expressions can
 * possibly match, so texts without long digit runs skip them:
 *   max_number_run: longest run of ASCII/full-width digits and the separators ' ', '-', U+FF0D;
 *   max_digit_run:  longest run of ASCII/full-width digits;
 *   province_then_capital: a licence-plate province character is followed directly by a plate letter.
 */
static const Py_UCS4 PROVINCES[] = {
    0x4EAC, 0x6D25, 0x6CAA, 0x6E1D, 0x5180, 0x8C6B, 0x4E91, 0x8FBD, 0x9ED1, 0x6E58, 0x7696,
    0x9C81, 0x65B0, 0x82CF, 0x6D59, 0x8D63, 0x9102, 0x6842, 0x7518, 0x664B, 0x8499, 0x9655,
    0x5409, 0x95FD, 0x8D35, 0x7CA4, 0x9752, 0x85CF, 0x5DDD, 0x5B81, 0x743C};

static int
is_province(Py_UCS4 c)
{
    for (size_t k = 0; k < sizeof(PROVINCES) / sizeof(PROVINCES[0]); k++)
        if (PROVINCES[k] == c)
            return 1;
    return 0;
}

#define GATE_LOOP(TYPE)                                                                           \
    do {                                                                                          \
        const TYPE *p = (const TYPE *)data;                                                       \
        Py_UCS4 prev = 0;                                                                         \
        for (Py_ssize_t i = 0; i < n; i++) {                                                      \
            Py_UCS4 c = p[i];                                                                     \
            if ((c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19)) {                        \
                if (++num > best_num)                                                             \
                    best_num = num;                                                               \
                if (++dig > best_dig)                                                             \
                    best_dig = dig;                                                               \
            } else {                                                                              \
                dig = 0;                                                                          \
                if (c == ' ' || c == '-' || c == 0xFF0D) {                                        \
                    if (++num > best_num)                                                         \
                        best_num = num;                                                           \
                } else {                                                                          \
                    num = 0;                                                                      \
                    if (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && prev >= 0x4E00 && !plate) \
                        plate = is_province(prev);                                                \
                }                                                                                 \
            }                                                                                     \
            prev = c;                                                                             \
        }                                                                                         \
    } while (0)

static PyObject *
pii_gate(PyObject *self, PyObject *args)
{
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t num = 0, best_num = 0, dig = 0, best_dig = 0;
    int plate = 0;
    if (kind == PyUnicode_1BYTE_KIND)
        GATE_LOOP(Py_UCS1);
    else if (kind == PyUnicode_2BYTE_KIND)
        GATE_LOOP(Py_UCS2);
    else
        GATE_LOOP(Py_UCS4);
    return Py_BuildValue("(nni)", best_num, best_dig, plate);
}

/*
 * The risk classifier's hot loop (hegui.detectors.classifier): for each window of a normalised text, hash every
 * character n-gram (n = 1 .. max_n; FNV-1a 64 over code points from FNV_OFFSET ^ n, then Fibonacci hashing to
 * `bits` bits, exactly as features.ngram_buckets) and add up the int8 table rows of the buckets. Integer sums, so
 * the result is bit-identical to the NumPy path; model.py checks it in its tests.
 */
#define FNV_OFFSET 0xCBF29CE484222325ull
#define FNV_PRIME 0x100000001B3ull
#define GOLDEN 0x9E3779B97F4A7C15ull

#define CP_AT(i) (kind == PyUnicode_1BYTE_KIND ? (uint64_t)((const Py_UCS1 *)data)[i]       \
                  : kind == PyUnicode_2BYTE_KIND ? (uint64_t)((const Py_UCS2 *)data)[i]     \
                  : (uint64_t)((const Py_UCS4 *)data)[i])

static PyObject *
ngram_window_sums(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer starts, table;
    Py_ssize_t win, heads;
    int max_n, bits;
    if (!PyArg_ParseTuple(args, "Uy*nii" "y*n", &text, &starts, &win, &max_n, &bits, &table, &heads))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t nwin = starts.len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *st = (const int64_t *)starts.buf;
    const int8_t *tab = (const int8_t *)table.buf;
    Py_ssize_t rows = heads > 0 ? table.len / heads : 0;
    if (bits < 1 || bits > 32 || max_n < 1 || heads < 1 || win < 1 || rows < ((Py_ssize_t)1 << bits)) {
        PyErr_SetString(PyExc_ValueError, "ngram_window_sums: bad parameters or table too small");
        goto done;
    }
    PyObject *sums = PyBytes_FromStringAndSize(NULL, nwin * heads * (Py_ssize_t)sizeof(int64_t));
    PyObject *counts = PyBytes_FromStringAndSize(NULL, nwin * (Py_ssize_t)sizeof(int64_t));
    if (sums == NULL || counts == NULL) {
        Py_XDECREF(sums);
        Py_XDECREF(counts);
        goto done;
    }
    int64_t *out = (int64_t *)PyBytes_AS_STRING(sums);
    int64_t *cnt = (int64_t *)PyBytes_AS_STRING(counts);
    memset(out, 0, (size_t)(nwin * heads) * sizeof(int64_t));
    int shift = 64 - bits;
    /* Windows in ascending order (what ClassifierModel.window_starts gives): each n-gram's row is read once and
       added to a running sum per order; a window's sum is that running sum at its end minus the sum at its start
       (exact integer arithmetic, so the result is identical to summing window by window, below). */
    int ascending = nwin > 0;
    for (Py_ssize_t w = 0; w < nwin; w++) {
        if (st[w] < 0 || st[w] > n || (w > 0 && st[w] < st[w - 1])) {
            ascending = 0;
            break;
        }
    }
    Py_ssize_t *rowoff = ascending && heads <= 256 && n > 0 ? PyMem_Malloc((size_t)n * sizeof(Py_ssize_t)) : NULL;
    if (rowoff != NULL) {
        int64_t acc[256];
        for (int k = 1; k <= max_n; k++) {
            memset(acc, 0, (size_t)heads * sizeof(int64_t));
            Py_ssize_t last = n - k + 1; /* positions 0 .. last-1 start an n-gram of order k */
            /* first every row's offset, with a prefetch each: the table is large and read at random, so the
               reads overlap instead of waiting one after another */
            for (Py_ssize_t i = 0; i < last; i++) {
                uint64_t h = FNV_OFFSET ^ (uint64_t)k;
                for (int j = 0; j < k; j++) {
                    h ^= CP_AT(i + j);
                    h *= FNV_PRIME;
                }
                h *= GOLDEN;
                rowoff[i] = (Py_ssize_t)(h >> shift) * heads;
                __builtin_prefetch(tab + rowoff[i]);
                __builtin_prefetch(tab + rowoff[i] + heads - 1);
            }
            Py_ssize_t ws = 0, we = 0; /* next window whose start (end) snapshot is due */
            for (Py_ssize_t i = 0;; i++) {
                /* window w holds the n-grams starting in [a, e) with e = max(a, min(a + win, n) - k + 1) */
                while (ws < nwin && (st[ws] <= i || i >= last)) {
                    int64_t *o = out + ws * heads;
                    for (Py_ssize_t t = 0; t < heads; t++)
                        o[t] -= acc[t];
                    ws++;
                }
                while (we < nwin) {
                    Py_ssize_t a = (Py_ssize_t)st[we];
                    Py_ssize_t b = a + win < n ? a + win : n;
                    Py_ssize_t e = b - k + 1 > a ? b - k + 1 : a;
                    if (e > i && i < last)
                        break;
                    int64_t *o = out + we * heads;
                    for (Py_ssize_t t = 0; t < heads; t++)
                        o[t] += acc[t];
                    cnt[we] = (k == 1 ? 0 : cnt[we]) + (e - a);
                    we++;
                }
                if (i >= last)
                    break;
                const int8_t *row = tab + rowoff[i];
                for (Py_ssize_t t = 0; t < heads; t++)
                    acc[t] += row[t];
            }
        }
        PyMem_Free(rowoff);
        result = Py_BuildValue("(NN)", sums, counts);
        goto done;
    }
    for (Py_ssize_t w = 0; w < nwin; w++) {
        Py_ssize_t a = (Py_ssize_t)st[w];
        Py_ssize_t b = a + win < n ? a + win : n;
        if (a < 0 || a > n) {
            Py_DECREF(sums);
            Py_DECREF(counts);
            PyErr_SetString(PyExc_ValueError, "ngram_window_sums: a window starts outside the text");
            goto done;
        }
        int64_t *acc = out + w * heads;
        int64_t c = 0;
        for (int k = 1; k <= max_n; k++) {
            for (Py_ssize_t i = a; i + k <= b; i++) {
                uint64_t h = FNV_OFFSET ^ (uint64_t)k;
                for (int j = 0; j < k; j++) {
                    h ^= CP_AT(i + j);
                    h *= FNV_PRIME;
                }
                h *= GOLDEN;
                const int8_t *row = tab + (Py_ssize_t)(h >> shift) * heads;
                for (Py_ssize_t t = 0; t < heads; t++)
                    acc[t] += row[t];
                c++;
            }
        }
        cnt[w] = c;
    }
    result = Py_BuildValue("(NN)", sums, counts);
done:
    PyBuffer_Release(&starts);
    PyBuffer_Release(&table);
    return result;
}

static PyMethodDef methods[] = {
    {"pii_gate", pii_gate, METH_VARARGS,
     "pii_gate(text) -> (max_number_run, max_digit_run, province_then_capital): which PII patterns can match."},
    {"set_table", set_table, METH_VARARGS, "set_table(slot, buffer): install a packed normalisation table."},
    {"normalize_utf8", normalize_utf8, METH_VARARGS,
     "normalize_utf8(text, slot, collapse) -> (utf8, start_bytes, end_bytes): int32 original start/end per byte."},
    {"normalize", normalize, METH_VARARGS,
     "normalize(text, slot, collapse) -> (text, index_bytes, end_bytes): int64 original start/end per character."},
    {"ngram_window_sums", ngram_window_sums, METH_VARARGS,
     "ngram_window_sums(text, starts_int64, window, max_n, bits, table_int8, heads) -> (sums_int64, counts_int64)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "hegui._native", "hegui's C hot loops.", -1, methods};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModule_Create(&module);
}
