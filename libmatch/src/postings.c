/*
** postings.c -- blocked posting lists: the block codec, the impact
** frontiers that bound a block's scores, a document's terms as FTS5 counts
** them, and the writes that wait for the commit (see postings.h).
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "postings.h"

const int lmx_pst_refw2[LMX_NCOLS] = { 4, 2, 4, 1 };

/* ---- varints (LEB128: 7 bits a byte, low first) ------------------------------------ */

static int put_varint(unsigned char *p, uint64_t v)
{
    int n = 0;
    while (v >= 0x80) { p[n++] = (unsigned char)(v | 0x80); v >>= 7; }
    p[n++] = (unsigned char)v;
    return n;
}

/* Bytes read, 0 when the varint runs past end or is longer than 10. */
static int get_varint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10 && p + i < end; i++) {
        x |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) { *v = x; return i + 1; }
    }
    return 0;
}

/* ---- length classes ------------------------------------------------------------- */

static uint32_t g_dlq[256];
static pthread_once_t g_dlq_once = PTHREAD_ONCE_INIT;

static void dlq_init(void)
{
    uint64_t t = 0;
    for (int q = 0; q < 256; q++) {
        g_dlq[q] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        uint64_t step = t / 12;
        t += step > 1 ? step : 1;
    }
}

uint32_t lmx_pst_dlq_floor(uint8_t q)
{
    pthread_once(&g_dlq_once, dlq_init);
    return g_dlq[q];
}

uint8_t lmx_pst_dlq(uint32_t dl2)
{
    pthread_once(&g_dlq_once, dlq_init);
    int lo = 0, hi = 255;                /* the largest q with g_dlq[q] <= dl2 */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (g_dlq[mid] <= dl2) lo = mid;
        else hi = mid - 1;
    }
    return (uint8_t)lo;
}

/* ---- impacts ------------------------------------------------------------------ */

lmx_impact lmx_pst_impact_of(const uint32_t tf[LMX_NCOLS], const uint32_t len[LMX_NCOLS])
{
    uint64_t t = 0, d = 0;
    for (int c = 0; c < LMX_NCOLS; c++) {
        t += (uint64_t)lmx_pst_refw2[c] * tf[c];
        d += (uint64_t)lmx_pst_refw2[c] * len[c];
    }
    lmx_impact x = { t > UINT32_MAX ? UINT32_MAX : (uint32_t)t, d > UINT32_MAX ? UINT32_MAX : (uint32_t)d };
    return x;
}

void lmx_pst_impact_add(lmx_impact *imp, int *n, lmx_impact x)
{
    int m = 0, placed = 0;
    for (int i = 0; i < *n; i++)
        if (imp[i].tf2 >= x.tf2 && imp[i].dl2 <= x.dl2) return;       /* x is dominated */
    lmx_impact out[LMX_PST_MAXIMP + 2];
    for (int i = 0; i < *n; i++) {
        if (imp[i].tf2 <= x.tf2 && imp[i].dl2 >= x.dl2) continue;       /* x dominates it */
        if (!placed && (x.tf2 < imp[i].tf2 || (x.tf2 == imp[i].tf2 && x.dl2 < imp[i].dl2))) {
            out[m++] = x;
            placed = 1;
        }
        out[m++] = imp[i];
    }
    if (!placed) out[m++] = x;
    while (m > LMX_PST_MAXIMP) {
        /* Merge the closest neighbours into one point dominating both. */
        int best = 0;
        double bl = 1e300;
        for (int i = 0; i + 1 < m; i++) {
            double l = (double)(out[i + 1].tf2 - out[i].tf2) / (out[i + 1].tf2 + 1.0) +
                       (double)(out[i + 1].dl2 - out[i].dl2) / (out[i + 1].dl2 + 1.0);
            if (l < bl) { bl = l; best = i; }
        }
        out[best].tf2 = out[best + 1].tf2;
        memmove(out + best + 1, out + best + 2, sizeof *out * (size_t)(m - best - 2));
        m--;
    }
    memcpy(imp, out, sizeof *out * (size_t)m);
    *n = m;
}

/* ---- blocks ----------------------------------------------------------------------- */

int lmx_pst_encode(const lmx_posting *p, int n, const lmx_impact *imp, int nimp, unsigned char **out, int *nout)
{
    size_t cap = 20 + (size_t)nimp * 10 + (size_t)n * (10 + 2 + LMX_NCOLS * 5);
    unsigned char *b = malloc(cap), *q = b;
    if (!b) return LM_ENOMEM;
    q += put_varint(q, (uint64_t)n);
    q += put_varint(q, (uint64_t)nimp);
    for (int i = 0; i < nimp; i++) {
        q += put_varint(q, imp[i].tf2);
        q += put_varint(q, imp[i].dl2);
    }
    int64_t prev = 0;
    for (int i = 0; i < n; i++) {
        q += put_varint(q, (uint64_t)(p[i].rid - prev));
        prev = p[i].rid;
        unsigned char code = 0;
        for (int c = 0; c < LMX_NCOLS; c++) code |= (unsigned char)((p[i].tf[c] < 3 ? p[i].tf[c] : 3) << (2 * c));
        *q++ = code;
        for (int c = 0; c < LMX_NCOLS; c++)
            if (p[i].tf[c] >= 3) q += put_varint(q, p[i].tf[c] - 3);
        *q++ = p[i].dlq;
    }
    *out = b;
    *nout = (int)(q - b);
    return LM_OK;
}

int lmx_pst_header(const unsigned char *b, int nb, int *n, lmx_impact *imp, int *nimp, int *data_off)
{
    const unsigned char *p = b, *end = b + nb;
    uint64_t v, w;
    int k;
    if (!(k = get_varint(p, end, &v)) || v > 1u << 24) return LM_EDB;
    p += k;
    *n = (int)v;
    if (!(k = get_varint(p, end, &v)) || v > LMX_PST_MAXIMP) return LM_EDB;
    p += k;
    *nimp = (int)v;
    for (int i = 0; i < *nimp; i++) {
        if (!(k = get_varint(p, end, &v)) || v > UINT32_MAX) return LM_EDB;
        p += k;
        if (!(k = get_varint(p, end, &w)) || w > UINT32_MAX) return LM_EDB;
        p += k;
        imp[i].tf2 = (uint32_t)v;
        imp[i].dl2 = (uint32_t)w;
    }
    *data_off = (int)(p - b);
    return LM_OK;
}

int lmx_pst_first(const unsigned char *b, int nb, int data_off, int64_t *rid)
{
    uint64_t v;
    if (data_off >= nb || !get_varint(b + data_off, b + nb, &v) || v > (uint64_t)INT64_MAX) return LM_EDB;
    *rid = (int64_t)v;
    return LM_OK;
}

/* get_varint() with the one- and two-byte cases (a row id gap below 16384,
   almost every posting) inline. */
static inline int get_varint_fast(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
    if (end - p >= 2) {
        if (!(p[0] & 0x80)) { *v = p[0]; return 1; }
        if (!(p[1] & 0x80)) { *v = (uint64_t)(p[0] & 0x7F) | (uint64_t)p[1] << 7; return 2; }
    }
    return get_varint(p, end, v);
}

int lmx_pst_decode(const unsigned char *b, int nb, int data_off, int n, lmx_posting *out)
{
    const unsigned char *p = b + data_off, *end = b + nb;
    int64_t prev = 0;
    uint64_t v;
    int k;
    for (int i = 0; i < n; i++) {
        if (!(k = get_varint_fast(p, end, &v)) || (i > 0 && v == 0) || v > (uint64_t)INT64_MAX - (uint64_t)prev)
            return LM_EDB;
        p += k;
        out[i].rid = prev + (int64_t)v;
        prev = out[i].rid;
        if (end - p < 2) return LM_EDB;               /* the tf byte and the length byte at least */
        unsigned code = *p++;
        if (!(code & (code >> 1) & 0x55)) {           /* no column at 3 (a varint follows): the common case */
            for (int c = 0; c < LMX_NCOLS; c++) out[i].tf[c] = (code >> (2 * c)) & 3;
        } else {
            for (int c = 0; c < LMX_NCOLS; c++) {
                uint32_t t = (code >> (2 * c)) & 3;
                if (t == 3) {
                    if (!(k = get_varint(p, end, &v)) || v > UINT32_MAX - 3) return LM_EDB;
                    p += k;
                    t = (uint32_t)v + 3;
                }
                out[i].tf[c] = t;
            }
            if (p >= end) return LM_EDB;
        }
        out[i].dlq = *p++;
    }
    return p == end ? LM_OK : LM_EDB;
}

/* ---- a document's terms ------------------------------------------------------------- */

static unsigned hash_bytes(const char *s, int n, int kind)
{
    unsigned h = 2166136261u ^ (unsigned)kind;
    for (int i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

void lmx_pst_doc_reset(lmx_pst_doc *d)
{
    d->n = 0;
    d->plen = 0;
    d->oom = 0;
    memset(d->len, 0, sizeof d->len);
    if (d->hash) for (int i = 0; i < d->hcap; i++) d->hash[i] = -1;
}

void lmx_pst_doc_free(lmx_pst_doc *d)
{
    free(d->t);
    free(d->hash);
    free(d->pool);
    memset(d, 0, sizeof *d);
}

static int doc_rehash(lmx_pst_doc *d, int ncap)
{
    int *h = malloc(sizeof(int) * (size_t)ncap);
    if (!h) return LM_ENOMEM;
    for (int i = 0; i < ncap; i++) h[i] = -1;
    for (int i = 0; i < d->n; i++) {
        unsigned k = hash_bytes(d->pool + d->t[i].off, d->t[i].len, 0) & (unsigned)(ncap - 1);
        while (h[k] >= 0) k = (k + 1) & (unsigned)(ncap - 1);
        h[k] = i;
    }
    free(d->hash);
    d->hash = h;
    d->hcap = ncap;
    return LM_OK;
}

int lmx_pst_doc_token(lmx_pst_doc *d, int col, int colocated, const char *tok, int n)
{
    if (col < 0 || col >= LMX_NCOLS || n <= 0) return LM_OK;
    if (!colocated || d->len[col] == 0) d->len[col]++;
    if ((d->n + 1) * 2 > d->hcap && doc_rehash(d, d->hcap ? d->hcap * 2 : 256)) return d->oom = LM_ENOMEM;
    unsigned k = hash_bytes(tok, n, 0) & (unsigned)(d->hcap - 1);
    while (d->hash[k] >= 0) {
        lmx_pst_term *t = &d->t[d->hash[k]];
        if (t->len == n && !memcmp(d->pool + t->off, tok, (size_t)n)) {
            t->tf[col]++;
            return LM_OK;
        }
        k = (k + 1) & (unsigned)(d->hcap - 1);
    }
    if (d->n == d->cap) {
        int nc = d->cap ? d->cap * 2 : 128;
        lmx_pst_term *nt = realloc(d->t, sizeof *nt * (size_t)nc);
        if (!nt) return d->oom = LM_ENOMEM;
        d->t = nt;
        d->cap = nc;
    }
    if (d->plen + (size_t)n > d->pcap) {
        size_t nc = d->pcap ? d->pcap * 2 : 4096;
        while (nc < d->plen + (size_t)n) nc *= 2;
        char *np = realloc(d->pool, nc);
        if (!np) return d->oom = LM_ENOMEM;
        d->pool = np;
        d->pcap = nc;
    }
    memcpy(d->pool + d->plen, tok, (size_t)n);
    lmx_pst_term *t = &d->t[d->n];
    t->off = d->plen;
    t->len = n;
    memset(t->tf, 0, sizeof t->tf);
    t->tf[col] = 1;
    d->plen += (size_t)n;
    d->hash[k] = d->n++;
    return LM_OK;
}

/* ---- pending writes ------------------------------------------------------------------- */

static int pend_rehash(lmx_pst_pending *p, int ncap)
{
    int *h = malloc(sizeof(int) * (size_t)ncap);
    if (!h) return LM_ENOMEM;
    for (int i = 0; i < ncap; i++) h[i] = -1;
    for (int i = 0; i < p->n; i++) {
        unsigned k = hash_bytes(p->e[i].tok, p->e[i].len, p->e[i].kind) & (unsigned)(ncap - 1);
        while (h[k] >= 0) k = (k + 1) & (unsigned)(ncap - 1);
        h[k] = i;
    }
    free(p->hash);
    p->hash = h;
    p->hcap = ncap;
    return LM_OK;
}

static lmx_pst_entry *pend_entry(lmx_pst_pending *p, int kind, const char *tok, int len)
{
    if ((p->n + 1) * 2 > p->hcap && pend_rehash(p, p->hcap ? p->hcap * 2 : 1024)) return NULL;
    unsigned k = hash_bytes(tok, len, kind) & (unsigned)(p->hcap - 1);
    while (p->hash[k] >= 0) {
        lmx_pst_entry *e = &p->e[p->hash[k]];
        if (e->kind == kind && e->len == len && !memcmp(e->tok, tok, (size_t)len)) return e;
        k = (k + 1) & (unsigned)(p->hcap - 1);
    }
    if (p->n == p->cap) {
        int nc = p->cap ? p->cap * 2 : 1024;
        lmx_pst_entry *ne = realloc(p->e, sizeof *ne * (size_t)nc);
        if (!ne) return NULL;
        p->e = ne;
        p->cap = nc;
    }
    lmx_pst_entry *e = &p->e[p->n];
    memset(e, 0, sizeof *e);
    if (!(e->tok = malloc((size_t)len + 1))) return NULL;
    memcpy(e->tok, tok, (size_t)len);
    e->tok[len] = 0;
    e->len = len;
    e->kind = kind;
    p->hash[k] = p->n++;
    return e;
}

int lmx_pst_pending_doc(lmx_pst_pending *p, int kind, int64_t rid, const lmx_pst_doc *d, int del)
{
    for (int i = 0; i < d->n; i++) {
        const lmx_pst_term *t = &d->t[i];
        lmx_pst_entry *e = pend_entry(p, kind, d->pool + t->off, t->len);
        if (!e) return LM_ENOMEM;
        if (e->n == e->cap) {
            int nc = e->cap ? e->cap * 2 : 4;
            lmx_pst_op *no = realloc(e->op, sizeof *no * (size_t)nc);
            if (!no) return LM_ENOMEM;
            e->op = no;
            e->cap = nc;
        }
        lmx_pst_op *o = &e->op[e->n++];
        o->rid = rid;
        o->del = (unsigned char)(del != 0);
        memcpy(o->tf, t->tf, sizeof o->tf);
        o->dl2 = lmx_pst_impact_of(t->tf, d->len).dl2;
        p->nops++;
    }
    return LM_OK;
}

static int entry_cmp(const void *a, const void *b)
{
    const lmx_pst_entry *x = a, *y = b;
    if (x->kind != y->kind) return x->kind - y->kind;
    int n = x->len < y->len ? x->len : y->len, c = memcmp(x->tok, y->tok, (size_t)n);
    return c ? c : x->len - y->len;
}

/* Stable sort of an entry's operations by row id (they usually arrive
   sorted: then nothing moves). */
static int ops_sort(lmx_pst_entry *e)
{
    int sorted = 1;
    for (int i = 1; i < e->n && sorted; i++) sorted = e->op[i].rid >= e->op[i - 1].rid;
    if (sorted) return LM_OK;
    lmx_pst_op *tmp = malloc(sizeof *tmp * (size_t)e->n);
    if (!tmp) return LM_ENOMEM;
    /* Bottom-up merge sort: stable. */
    lmx_pst_op *a = e->op, *b = tmp;
    for (int w = 1; w < e->n; w *= 2) {
        for (int lo = 0; lo < e->n; lo += 2 * w) {
            int mid = lo + w < e->n ? lo + w : e->n, hi = lo + 2 * w < e->n ? lo + 2 * w : e->n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) b[k++] = a[j].rid < a[i].rid ? a[j++] : a[i++];
            while (i < mid) b[k++] = a[i++];
            while (j < hi) b[k++] = a[j++];
        }
        lmx_pst_op *x = a; a = b; b = x;
    }
    if (a != e->op) memcpy(e->op, a, sizeof *a * (size_t)e->n);
    free(tmp);
    return LM_OK;
}

int lmx_pst_pending_sort(lmx_pst_pending *p)
{
    if (p->n > 1) qsort(p->e, (size_t)p->n, sizeof *p->e, entry_cmp);
    free(p->hash);                       /* positions moved: no lookups after this */
    p->hash = NULL;
    p->hcap = 0;
    for (int i = 0; i < p->n; i++)
        if (ops_sort(&p->e[i])) return LM_ENOMEM;
    return LM_OK;
}

void lmx_pst_pending_clear(lmx_pst_pending *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->e[i].tok);
        free(p->e[i].op);
    }
    free(p->e);
    free(p->hash);
    memset(p, 0, sizeof *p);
}
