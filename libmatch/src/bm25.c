/*
** bm25.c -- text relevance: the lm_bm25() FTS5 auxiliary function, the
** collector of the best rows, and the column lengths it reads.
**
** BM25 is computed by an FTS5 auxiliary function, lm_bm25(fts, params), so
** that every query term can carry its own weight (title terms count more than
** body terms; synonyms a little less than the term they expand) and every
** column its own weight (BM25F-style: weighted term frequencies and a
** weighted document length).  The IDF of each term is computed by the query
** builder from the index's document frequencies and folded into the term's
** weight, so the function needs no extra pass over the posting lists.
**
**   params: a blob of doubles: k1, b, w_col[LMX_NCOLS], w_term[nPhrase]
**   score  = sum_t w_t * tf_t*(k1+1) / (tf_t + k1*(1 - b + b*dl/avgdl))
**   tf_t   = sum_c w_col[c] * count(t in column c)
**   dl     = sum_c w_col[c] * length(column c);  avgdl likewise over the index
**
** lm_bm25(fts, params, top), with a collector bound as a pointer (see
** lmx_bm25_top in bm25.h), also keeps the best rows with the query terms
** each contains, so that the caller needs no ORDER BY and no second pass.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "bm25.h"
#include "record.h"

/* ---- the collector ---------------------------------------------------------- */

int lmx_bm25_top_init(lmx_bm25_top *t, int limit, int nterms)
{
    memset(t, 0, sizeof *t);
    if (nterms < 0) return LM_EINVAL;
    t->nterms = nterms;
    return lmx_topk_init(&t->top, limit);
}

void lmx_bm25_top_free(lmx_bm25_top *t)
{
    lmx_topk_free(&t->top);
    free(t->mask);
    memset(t, 0, sizeof *t);
}

int lmx_bm25_top_push(lmx_bm25_top *t, double s, int64_t rowid, const unsigned char *mask)
{
    int slot;
    if (lmx_topk_push(&t->top, s, rowid, &slot)) return LM_ENOMEM;
    if (slot < 0 || !t->nterms) return LM_OK;
    if (t->top.cap > t->mask_cap) {
        unsigned char *m = realloc(t->mask, (size_t)t->nterms * (size_t)t->top.cap);
        if (!m) return LM_ENOMEM;
        t->mask = m;
        t->mask_cap = t->top.cap;
    }
    memcpy(t->mask + (size_t)slot * (size_t)t->nterms, mask, (size_t)t->nterms);
    return LM_OK;
}

/* ---- column lengths -------------------------------------------------------- */

struct lmx_doclen {
    lmx_stamp stamp;           /* taken under the store's cache rule */
    int n, cap;
    int64_t *rid;              /* ascending */
    int *len;                  /* LMX_NCOLS per row */
    int bad;                   /* a size blob did not decode */
};

static void doclen_free1(lmx_doclen *c)
{
    if (!c) return;
    free(c->rid);
    free(c->len);
    free(c);
}

void lmx_bm25_cache_free(lmx_bm25_cache *cache)
{
    for (int k = 0; k <= LMX_NKINDS; k++) {
        doclen_free1(cache->dl[k]);
        cache->dl[k] = NULL;
        lmx_qterms_free(&cache->df[k].t);
        cache->df[k].valid = 0;
    }
}

/* ---- document frequencies ---------------------------------------------------- */

/* Terms a cache holds at most: past it, it starts over (a long-running
   handle seeing ever new query terms stays bounded: ~50 MB). */
#define DF_CACHE_MAX 500000

int lmx_bm25_doc_freqs(lmx_store *st, lmx_bm25_cache *cache, int kind, const lmx_qterms *q, int64_t *df)
{
    if (kind < 1 || kind > LMX_NKINDS) return lmx_error_set(st->err, LM_EINVAL, "unknown kind %d", kind);
    lmx_dfcache *c = &cache->df[kind];
    lmx_stamp now = lmx_store_stamp(st, kind);
    if (!c->valid || !lmx_stamp_eq(c->stamp, now) || c->t.n > DF_CACHE_MAX) {
        lmx_qterms_free(&c->t);
        c->stamp = now;
        c->valid = 1;
    }
    for (int i = 0; i < q->n; i++) {
        const lmx_qterm *t = &q->t[i];
        int j = lmx_qterms_find(&c->t, t->tok, t->len);
        if (j >= 0) { df[i] = (int64_t)c->t.t[j].w; continue; }
        int rc = lmx_store_doc_freq(st, kind, t->tok, t->len, &df[i]);
        if (rc) return rc;
        if (lmx_qterms_add(&c->t, t->tok, t->len, (double)df[i], 0)) {
            lmx_qterms_free(&c->t);             /* a cache that cannot grow starts over */
            c->valid = 0;
        }
    }
    return LM_OK;
}

/* One varint of FTS5's size blob (SQLite's varint format, values < 2^31). */
static int get_varint32(const unsigned char *p, int n, int *v)
{
    uint64_t x = 0;
    for (int i = 0; i < n && i < 9; i++) {
        if (i == 8) { x = (x << 8) | p[i]; *v = x > INT32_MAX ? -1 : (int)x; return 9; }
        x = (x << 7) | (p[i] & 0x7F);
        if (!(p[i] & 0x80)) { *v = x > INT32_MAX ? -1 : (int)x; return i + 1; }
    }
    return 0;
}

static int doclen_row(void *ctx, int64_t rid, const unsigned char *b, int nb)
{
    lmx_doclen *c = ctx;
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 1024;
        int64_t *r = realloc(c->rid, sizeof(int64_t) * (size_t)nc);
        if (r) c->rid = r;
        int *l = realloc(c->len, sizeof(int) * LMX_NCOLS * (size_t)nc);
        if (l) c->len = l;
        if (!r || !l) return LM_ENOMEM;
        c->cap = nc;
    }
    int *l = c->len + (size_t)LMX_NCOLS * (size_t)c->n, off = 0;
    for (int col = 0; col < LMX_NCOLS; col++) {
        int used = b ? get_varint32(b + off, nb - off, &l[col]) : 0;
        if (!used || l[col] < 0) { c->bad = 1; return LM_EDB; }
        off += used;
    }
    c->rid[c->n++] = rid;
    return LM_OK;
}

/*
** The token count of every column of every indexed row of a kind, read
** once from FTS5's docsize table and kept under the store's cache rule:
** lm_bm25() then needs no per-row lookup (which cost ~40% of a record query
** at 100,000 records).  NULL when it cannot be loaded (lm_bm25() then asks
** FTS5 row by row).
*/
static const lmx_doclen *doclen_get(lmx_store *st, lmx_bm25_cache *cache, int kind)
{
    if (kind < 1 || kind > LMX_NKINDS) return NULL;
    lmx_stamp now = lmx_store_stamp(st, kind);
    lmx_doclen *c = cache->dl[kind];
    if (c && lmx_stamp_eq(c->stamp, now)) return c;
    doclen_free1(c);
    cache->dl[kind] = NULL;
    if (!(c = calloc(1, sizeof *c))) return NULL;
    c->stamp = now;
    lmx_error keep = *st->err;         /* a failure here is not the call's */
    int rc = lmx_store_docsize_scan(st, kind, doclen_row, c);
    *st->err = keep;
    if (rc) { doclen_free1(c); return NULL; }
    cache->dl[kind] = c;
    return c;
}

/* The lengths of row `rowid`, or NULL.  Rows of one scan come in ascending
   order, so the search starts where the previous one ended. */
static const int *doclen_find(lmx_bm25_top *t, int64_t rowid)
{
    const lmx_doclen *c = t->dl;
    int lo = t->dl_pos, hi = c->n;
    if (lo >= c->n || (lo > 0 && c->rid[lo - 1] >= rowid)) lo = 0;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->rid[mid] < rowid) lo = mid + 1;
        else hi = mid;
    }
    t->dl_pos = lo;
    return lo < c->n && c->rid[lo] == rowid ? c->len + (size_t)LMX_NCOLS * (size_t)lo : NULL;
}

/* ---- BM25 ---------------------------------------------------------------- */

typedef struct {
    double avgdl;
} bm25_aux;

static void bm25_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
                    sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    int nphrase = api->xPhraseCount(fts);
    int ncol = api->xColumnCount(fts);
    lmx_bm25_top *top = nval == 2 ? sqlite3_value_pointer(val[1], LMX_BM25_PTR) : NULL;
    if (nval < 1 || nval > 2 || (nval == 2 && (!top || top->nterms != nphrase)) || ncol != LMX_NCOLS ||
        sqlite3_value_bytes(val[0]) != (int)sizeof(double) * (2 + LMX_NCOLS + nphrase)) {
        sqlite3_result_error(ctx, "lm_bm25: bad parameters", -1);
        return;
    }
    const double *p = sqlite3_value_blob(val[0]);
    double k1 = p[0], b = p[1];
    const double *wcol = p + 2, *wterm = p + 2 + LMX_NCOLS;

    bm25_aux *aux = api->xGetAuxdata(fts, 0);
    if (!aux) {
        aux = sqlite3_malloc(sizeof *aux);
        if (!aux) { sqlite3_result_error_nomem(ctx); return; }
        sqlite3_int64 nrow = 0, tot = 0;
        double wtot = 0;
        api->xRowCount(fts, &nrow);
        for (int c = 0; c < ncol; c++) {
            if (api->xColumnTotalSize(fts, c, &tot) != SQLITE_OK) tot = 0;
            wtot += wcol[c] * (double)tot;
        }
        aux->avgdl = nrow > 0 ? wtot / (double)nrow : 1.0;
        if (aux->avgdl <= 0) aux->avgdl = 1.0;
        if (api->xSetAuxdata(fts, aux, sqlite3_free) != SQLITE_OK) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }

    double tfbuf[64], *tf = nphrase <= 64 ? tfbuf : sqlite3_malloc64(sizeof(double) * (size_t)nphrase);
    unsigned char seenbuf[64], *seen = nphrase <= 64 ? seenbuf : sqlite3_malloc64((size_t)nphrase);
    if (!tf || !seen) {
        if (tf != tfbuf) sqlite3_free(tf);
        if (seen != seenbuf) sqlite3_free(seen);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    memset(tf, 0, sizeof(double) * (size_t)nphrase);
    memset(seen, 0, (size_t)nphrase);
    /* Per phrase (cheaper than xInst, which merges all phrases' instances). */
    for (int t = 0; t < nphrase; t++) {
        Fts5PhraseIter it;
        int ic = -1, io = -1;
        if (api->xPhraseFirst(fts, t, &it, &ic, &io) != SQLITE_OK) continue;
        for (; ic >= 0; api->xPhraseNext(fts, &it, &ic, &io)) {
            seen[t] = 1;
            if (ic < ncol) tf[t] += wcol[ic];
        }
    }
    double dl = 0;
    sqlite3_int64 rowid = api->xRowid(fts);
    const int *len = top && top->dl ? doclen_find(top, rowid) : NULL;
    for (int c = 0; c < ncol; c++) {
        int n = 0;
        if (len) dl += wcol[c] * len[c];
        else if (api->xColumnSize(fts, c, &n) == SQLITE_OK) dl += wcol[c] * n;
    }
    double norm = k1 * (1 - b + b * dl / aux->avgdl), score = 0;
    for (int t = 0; t < nphrase; t++)
        if (tf[t] > 0) score += wterm[t] * tf[t] * (k1 + 1) / (tf[t] + norm);
    int rc = top ? lmx_bm25_top_push(top, score, rowid, seen) : LM_OK;
    if (tf != tfbuf) sqlite3_free(tf);
    if (seen != seenbuf) sqlite3_free(seen);
    if (rc) { top->oom = 1; sqlite3_result_error_nomem(ctx); return; }
    sqlite3_result_double(ctx, score);
}

int lmx_bm25_register(lmx_store *st)
{
    fts5_api *api = lmx_store_fts5(st);
    if (!api) return LM_EDB;
    if (api->xCreateFunction(api, LMX_BM25_FN, NULL, bm25_fn, NULL) != SQLITE_OK) return LM_EDB;
    return LM_OK;
}

int lmx_bm25_scan(lmx_store *st, lmx_bm25_cache *cache, int kind, const char *match, const double *params,
                 const lmx_filter *f, lmx_bm25_top *t)
{
    t->dl = doclen_get(st, cache, kind);
    int rc = lmx_store_bm25_scan(st, kind, match, params, (int)sizeof(double) * (2 + LMX_NCOLS + t->nterms), f, t);
    if (rc && t->oom) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    return rc;
}
