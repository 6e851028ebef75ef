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
**
** The same top-k without scoring every posting: lmx_bm25_search() runs over
** the store's posting index (postings.h) with block-max MaxScore, as
** Lucene's MaxScoreBulkScorer and PISA's block_max_maxscore do (Turtle and
** Flood 1995; Ding and Suel 2011).  The row ids are cut into windows of
** WINDOW rows.  In each window every term gets a bound, the largest of its
** blocks' bounds there (impacts, postings.h); sorted by bound, the terms
** whose bounds add up to no more than the k-th best score so far are
** "non-essential": a row holding only those cannot enter the top k.  The
** rows of the essential terms' postings in the window are its candidates;
** the non-essential terms' postings of those rows (blocks without a
** candidate row are not decoded) are added to them too, each posting with a
** bound of its contribution (its tf and length class), so that every
** candidate gets a bound from all of its terms without a lookup per row.
** The non-essential terms come largest bound first, and before each a
** candidate whose bound so far plus the bounds of the terms still to come
** cannot beat the k-th score is dropped: it pulls in no more postings, and
** a block left without candidates is not decoded.  A
** candidate whose bound cannot beat the k-th score is dropped, any other is
** scored exactly -- from the same postings, the terms added in query order
** with the very expression lm_bm25() uses -- and offered to the collector.
** Rows come in ascending order, so a row that only ties the k-th score
** would lose the tie (ties keep the lower row id) and "cannot beat" is
** "<=".  Bounds are compared with a relative margin of
** 1e-9, far above the rounding of a sum of 1,000 terms.  The result is the
** exhaustive scan's, row for row and bit for bit.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "bm25.h"
#include "postings.h"
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
    int64_t tot[LMX_NCOLS];    /* each column's total, as FTS5's averages */
    int bad;                   /* a size blob did not decode */
    int32_t *pos;              /* row of rid - rid[0] (-1: none), when the ids are dense enough */
    int64_t npos;
};

static void doclen_free1(lmx_doclen *c)
{
    if (!c) return;
    free(c->rid);
    free(c->len);
    free(c->pos);
    free(c);
}

/* A direct map from row id to row when the kind's ids are not too sparse
   (4 bytes per id in their range): one memory access per lookup instead of a
   binary search. */
static void doclen_map(lmx_doclen *c)
{
    if (c->n == 0) return;
    int64_t range = c->rid[c->n - 1] - c->rid[0] + 1;
    if (range > 4 * (int64_t)c->n + 65536 || range > INT32_MAX) return;
    if (!(c->pos = malloc(sizeof(int32_t) * (size_t)range))) return;
    memset(c->pos, 0xFF, sizeof(int32_t) * (size_t)range);
    for (int i = 0; i < c->n; i++) c->pos[c->rid[i] - c->rid[0]] = i;
    c->npos = range;
}

/* The row of rid in c, or -1; *hint: where a binary search starts. */
static inline int doclen_row_of(const lmx_doclen *c, int64_t rid, int *hint)
{
    if (c->pos) {
        int64_t o = rid - c->rid[0];
        return o >= 0 && o < c->npos ? c->pos[o] : -1;
    }
    int lo = *hint, hi = c->n;
    if (lo >= c->n || (lo > 0 && c->rid[lo - 1] >= rid)) lo = 0;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->rid[mid] < rid) lo = mid + 1;
        else hi = mid;
    }
    *hint = lo;
    return lo < c->n && c->rid[lo] == rid ? lo : -1;
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
    for (int col = 0; col < LMX_NCOLS; col++) c->tot[col] += l[col];
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
    doclen_map(c);
    cache->dl[kind] = c;
    return c;
}

int lmx_bm25_lengths(lmx_store *st, lmx_bm25_cache *cache, int kind, int64_t *rows, int64_t tot[LMX_NCOLS])
{
    const lmx_doclen *dl = doclen_get(st, cache, kind);
    if (!dl) return lmx_error_set(st->err, LM_EDB, "the column lengths of kind %d could not be read", kind);
    *rows = dl->n;
    for (int c = 0; c < LMX_NCOLS; c++) tot[c] = dl->tot[c];
    return LM_OK;
}

/* The lengths of row `rowid`, or NULL.  Rows of one scan come in ascending
   order, so the search starts where the previous one ended. */
static const int *doclen_find(lmx_bm25_top *t, int64_t rowid)
{
    int i = doclen_row_of(t->dl, rowid, &t->dl_pos);
    return i >= 0 ? t->dl->len + (size_t)LMX_NCOLS * (size_t)i : NULL;
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
        if (top && top->glen) nrow = top->glen[0];            /* the collection's (gstats.h) */
        for (int c = 0; c < ncol; c++) {
            if (top && top->glen) tot = top->glen[1 + c];
            else if (api->xColumnTotalSize(fts, c, &tot) != SQLITE_OK) tot = 0;
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

/* ---- the pruned top-k over the posting index ---------------------------------------- */

static int g_strategy = LMX_BM25_PRUNED;
static _Thread_local int64_t g_scored;

void lmx_bm25_set_strategy(int strategy) { g_strategy = strategy; }
int64_t lmx_bm25_scored(void) { return g_scored; }

#define WINDOW 4096
#define MARGIN (1.0 + 1e-9)

typedef struct bm25p {
    double k1, b, avgdl, wcol[LMX_NCOLS], rhi, rlo;
    const lmx_doclen *dl;
    const double *wterm;         /* by query term */
    double normlb[256];          /* the smallest length norm of each length class */
} bm25p;

/* A query term's posting list, read whole from the store. */
typedef struct {
    int t;                       /* the term's index in the query */
    double w;                    /* its weight */
    int nb, bcap;                /* blocks */
    int64_t *first, *last;
    int *cnt, *off, *nbytes;     /* postings; where they start in the blob; blob size */
    size_t *at;                  /* where each blob starts in buf */
    double *ub;                  /* bound of the term's score in each block */
    double *bnorm;               /* the smallest length norm a posting of the block can have */
    unsigned char *buf;
    size_t blen, cap;
    int bi, pi, dec_bi;          /* cursor: block, posting in the decoded block; which block is decoded */
    lmx_posting *dec;
    double wub;                  /* bound in the current window */
    int essential;
    const bm25p *P;
    int bad;
} tlist;

/* The bound of w * BM25 over an impact frontier; *norm the smallest length
   norm of its points. */
static double impact_bound(const bm25p *P, double w, const lmx_impact *imp, int nimp, double *norm)
{
    double best = 0;
    *norm = INFINITY;
    for (int i = 0; i < nimp; i++) {
        double tf = P->rhi * imp[i].tf2 / 2.0, dl = P->rlo * imp[i].dl2 / 2.0;
        double nm = P->k1 * (1 - P->b + P->b * dl / P->avgdl);
        if (nm < *norm) *norm = nm;
        if (!(tf > 0)) continue;
        double v = w * tf * (P->k1 + 1) / (tf + nm);
        if (v != v) return INFINITY;
        if (v > best) best = v;
    }
    if (*norm != *norm || *norm < 0) *norm = 0;
    return best;
}

static int read_block(void *ctx, int64_t last, const unsigned char *b, int n)
{
    tlist *L = ctx;
    if (L->nb == L->bcap) {
        int nc = L->bcap ? 2 * L->bcap : 16;
#define GROW(f) do { void *np_ = realloc(L->f, sizeof *L->f * (size_t)nc); if (!np_) return LM_ENOMEM; L->f = np_; } while (0)
        GROW(first); GROW(last); GROW(cnt); GROW(off); GROW(nbytes); GROW(at); GROW(ub); GROW(bnorm);
#undef GROW
        L->bcap = nc;
    }
    if (L->blen + (size_t)n > L->cap) {
        size_t nc = L->cap ? 2 * L->cap : 4096;
        while (nc < L->blen + (size_t)n) nc *= 2;
        unsigned char *nbuf = realloc(L->buf, nc);
        if (!nbuf) return LM_ENOMEM;
        L->buf = nbuf;
        L->cap = nc;
    }
    memcpy(L->buf + L->blen, b, (size_t)n);
    int i = L->nb, nimp = 0;
    lmx_impact imp[LMX_PST_MAXIMP];
    if (lmx_pst_header(b, n, &L->cnt[i], imp, &nimp, &L->off[i]) || L->cnt[i] < 1 ||
        lmx_pst_first(b, n, L->off[i], &L->first[i]) || L->first[i] > last || (i > 0 && L->first[i] <= L->last[i - 1])) {
        L->bad = 1;
        return LM_EDB;
    }
    L->last[i] = last;
    L->at[i] = L->blen;
    L->nbytes[i] = n;
    L->ub[i] = impact_bound(L->P, L->w, imp, nimp, &L->bnorm[i]);
    L->blen += (size_t)n;
    L->nb++;
    return LM_OK;
}

static void tlist_free(tlist *L)
{
    free(L->first); free(L->last); free(L->cnt); free(L->off); free(L->nbytes); free(L->at); free(L->ub);
    free(L->bnorm); free(L->buf); free(L->dec);
}

/* Make block b the decoded one. */
static int decode(tlist *L, int b)
{
    if (L->dec_bi == b) return LM_OK;
    if (lmx_pst_decode(L->buf + L->at[b], L->nbytes[b], L->off[b], L->cnt[b], L->dec)) { L->bad = 1; return LM_EDB; }
    L->dec_bi = b;
    return LM_OK;
}

/* The row id the cursor is at (INT64_MAX at the end). */
static int64_t at_rid(const tlist *L)
{
    if (L->bi >= L->nb) return INT64_MAX;
    return L->dec_bi == L->bi ? L->dec[L->pi].rid : L->first[L->bi];
}

/* A term's contribution to a row: lm_bm25()'s expression, term frequency
   summed instance by instance in column order as FTS5 lists them. */
static inline double contribution(const bm25p *P, double w, const uint32_t tf[LMX_NCOLS], double norm)
{
    double f = 0;
    for (int c = 0; c < LMX_NCOLS; c++)
        for (uint32_t i = 0; i < tf[c]; i++) f += P->wcol[c];
    return f > 0 ? w * f * (P->k1 + 1) / (f + norm) : 0;
}

/* An upper bound of contribution() given a norm no larger than the row's. */
static inline double contribution_bound(const bm25p *P, double w, const uint32_t tf[LMX_NCOLS], double norm)
{
    double f = 0;
    for (int c = 0; c < LMX_NCOLS; c++) f += P->wcol[c] * tf[c];
    return f > 0 ? w * f * (P->k1 + 1) / (f + norm) * MARGIN : 0;
}

/* The length norm of row rid: lm_bm25()'s expression. -1 when rid has no
   lengths. */
static double norm_of(const bm25p *P, int64_t rid, int *hint)
{
    int i = doclen_row_of(P->dl, rid, hint);
    if (i < 0) return -1;
    const int *len = P->dl->len + (size_t)LMX_NCOLS * (size_t)i;
    double dl = 0;
    for (int col = 0; col < LMX_NCOLS; col++) dl += P->wcol[col] * len[col];
    return P->k1 * (1 - P->b + P->b * dl / P->avgdl);
}

typedef struct {
    lmx_store *st;
    const lmx_filter *f;
} filterctx;

static int passes(const filterctx *fc, int64_t rid)
{
    const lmx_filter *f = fc->f;
    if (!f) return 1;
    if (f->exclude_rid && rid == f->exclude_rid) return 0;
    if (!f->region && !f->min_maturity && !f->nfields) return 1;
    lmx_recinfo info;
    int rc = lmx_store_info(fc->st, rid, &info);
    if (rc) return rc == LM_ENOTFOUND ? 0 : -1;
    int ok = lmx_filter_pass(f, rid, &info);
    lmx_recinfo_free(&info);
    return ok;
}

/* A posting of a candidate row in the window, chained per row. */
typedef struct { int next, t; uint32_t tf[LMX_NCOLS]; } pentry;

/* Whether any of bits lo..hi (inclusive, within one window) is set. */
static int any_bit(const uint64_t *bits, int lo, int hi)
{
    int wl = lo >> 6, wh = hi >> 6;
    uint64_t ml = ~0ull << (lo & 63), mh = ~0ull >> (63 - (hi & 63));
    if (wl == wh) return (bits[wl] & ml & mh) != 0;
    if (bits[wl] & ml) return 1;
    for (int w = wl + 1; w < wh; w++)
        if (bits[w]) return 1;
    return (bits[wh] & mh) != 0;
}

/*
** The postings of list T in the window [ws, we): each one of a row already a
** candidate (essential 0: its bit set) or of any row (essential 1: the bit
** set now) is chained to its row with a bound of its contribution (added to
** ubacc[d] when pruning).  A non-essential list skips its blocks that hold
** no candidate row of the window without decoding them.  LM_OK, LM_ENOMEM or
** 1 (a malformed block).
*/
static int gather(tlist *T, int essential, int64_t ws, int64_t we, uint64_t *bits, double *ubacc, int *head,
                  pentry **pool, int *np, int *pcap, const bm25p *P, int prune)
{
    while (T->bi < T->nb && T->first[T->bi] < we) {
        if (!essential && T->dec_bi != T->bi) {
            int64_t lo = T->first[T->bi] > ws ? T->first[T->bi] : ws, hi = T->last[T->bi] < we ? T->last[T->bi] : we - 1;
            if (!any_bit(bits, (int)(lo - ws), (int)(hi - ws))) {
                if (T->last[T->bi] >= we) break;               /* the rest is the next window's */
                T->bi++;
                T->pi = 0;
                continue;
            }
        }
        if (T->dec_bi != T->bi) T->pi = 0;
        if (decode(T, T->bi)) return 1;
        int cnt = T->cnt[T->bi];
        for (; T->pi < cnt && T->dec[T->pi].rid < we; T->pi++) {
            const lmx_posting *p = &T->dec[T->pi];
            if (p->rid < ws) continue;
            int d = (int)(p->rid - ws);
            if (!(bits[d >> 6] & (1ull << (d & 63)))) {
                if (!essential) continue;
                bits[d >> 6] |= 1ull << (d & 63);
                ubacc[d] = 0;
                head[d] = -1;
            }
            if (prune) ubacc[d] += contribution_bound(P, T->w, p->tf, P->normlb[p->dlq]);   /* also while the top k fills */
            if (*np == *pcap) {
                int nc = *pcap ? 2 * *pcap : 4096;
                pentry *npool = realloc(*pool, sizeof *npool * (size_t)nc);
                if (!npool) return LM_ENOMEM;
                *pool = npool;
                *pcap = nc;
            }
            pentry *e = &(*pool)[*np];
            e->next = head[d];
            e->t = T->t;
            memcpy(e->tf, p->tf, sizeof e->tf);
            head[d] = (*np)++;
        }
        if (T->pi < cnt) break;
        T->bi++;
        T->pi = 0;
    }
    return LM_OK;
}

/*
** The search itself over n lists of nterms query terms.  Per window: the
** essential terms' postings make the candidate rows, each with an upper
** bound of its score from its postings (each with its block's smallest
** length norm); the non-essential terms' postings of those rows are then
** added to the bounds (their blocks without a candidate row are not even
** decoded); rows whose bounds cannot beat the k-th score are dropped before
** their length is even looked up; the others are scored exactly.  Returns
** LM_OK, LM_ENOMEM, -1 (an error in the store), or 1 when the index and the
** column lengths disagree (the caller falls back to the FTS5 scan).
*/
static int maxscore(tlist *L, int n, int nterms, const bm25p *P, const filterctx *fc, lmx_bm25_top *top, int prune)
{
    double *ubacc = malloc(sizeof(double) * WINDOW), *cval = malloc(sizeof(double) * (size_t)(nterms + 1));
    int *head = malloc(sizeof(int) * WINDOW), *seen = malloc(sizeof(int) * (size_t)(nterms + 1));
    unsigned char *mask = malloc((size_t)nterms + 1);
    tlist **ord = malloc(sizeof(tlist *) * (size_t)(n + 1));
    uint64_t bits[WINDOW / 64];
    pentry *pool = NULL;
    int pcap = 0, rc = LM_OK, hint = 0, stamp = 0;
    int64_t scored = 0, end_prev = INT64_MIN;
    if (!ubacc || !cval || !head || !seen || !mask || !ord) { rc = LM_ENOMEM; goto done; }
    for (int i = 0; i < n; i++) ord[i] = &L[i];
    for (int t = 0; t < nterms; t++) seen[t] = -1;
    memset(bits, 0, sizeof bits);
    for (;;) {
        /* The next window starts at the first posting left, or where the
           last one ended when a list's next block is not decoded yet. */
        int64_t ws = INT64_MAX;
        for (int i = 0; i < n; i++) {
            tlist *T = &L[i];
            while (T->bi < T->nb && T->last[T->bi] < end_prev) { T->bi++; T->pi = 0; }
            int64_t r = at_rid(T);
            if (r != INT64_MAX && r < end_prev) r = end_prev;
            if (r < ws) ws = r;
        }
        if (ws == INT64_MAX) break;
        int64_t we = ws > INT64_MAX - WINDOW ? INT64_MAX : ws + WINDOW;
        end_prev = we;
        double theta = prune && lmx_topk_full(&top->top) ? lmx_topk_worst(&top->top) : -INFINITY;
        /* Bounds in the window; the essential terms. */
        double total = 0, nonsum = 0;
        int nne = 0;                       /* ord[0 .. nne) are the non-essential terms */
        for (int i = 0; i < n; i++) {
            tlist *T = &L[i];
            T->wub = 0;
            for (int b = T->bi; b < T->nb && T->first[b] < we; b++)
                if (T->ub[b] > T->wub) T->wub = T->ub[b];
            T->essential = 1;
            total += T->wub;
        }
        if (theta > -INFINITY) {
            if (total * MARGIN <= theta) continue;                 /* nothing here can enter */
            for (int i = 1; i < n; i++) {                           /* by bound: insertion sort */
                tlist *x = ord[i];
                int j = i;
                while (j > 0 && ord[j - 1]->wub > x->wub) { ord[j] = ord[j - 1]; j--; }
                ord[j] = x;
            }
            for (nne = 0; nne < n; nne++) {
                if ((nonsum + ord[nne]->wub) * MARGIN > theta) break;
                nonsum += ord[nne]->wub;
                ord[nne]->essential = 0;
            }
        }
        /* The essential terms' postings make the candidates; then the
           non-essential terms' postings of those rows. */
        int np = 0;
        for (int i = 0; i < n; i++) {
            if (!L[i].essential) continue;
            int g = gather(&L[i], 1, ws, we, bits, ubacc, head, &pool, &np, &pcap, P, prune);
            if (g) { rc = g; goto done; }
        }
        /* The non-essential terms, the largest bound first; before each, a
           candidate whose bound so far plus the bounds of the terms still
           to come cannot beat the k-th score is dropped, so that it pulls
           no more postings (nor blocks) in. */
        double rest = nonsum;                  /* the bounds of ord[0 .. j] */
        for (int j = nne - 1; j >= 0; j--) {
            double limit = theta / MARGIN - rest;
            for (int w = 0; w < WINDOW / 64; w++)
                for (uint64_t m = bits[w]; m; m &= m - 1) {
                    int d = w * 64 + __builtin_ctzll(m);
                    if (ubacc[d] <= limit) bits[w] &= ~(1ull << (d & 63));
                }
            int g = gather(ord[j], 0, ws, we, bits, ubacc, head, &pool, &np, &pcap, P, prune);
            if (g) { rc = g; goto done; }
            rest -= ord[j]->wub;
        }
        /* The candidates in row order: bounded from all their postings
           (each with its length class); only then scored exactly. */
        for (int w = 0; w < WINDOW / 64; w++) {
            while (bits[w]) {
                int d = w * 64 + __builtin_ctzll(bits[w]);
                bits[w] &= bits[w] - 1;
                int64_t rid = ws + d;
                theta = prune && lmx_topk_full(&top->top) ? lmx_topk_worst(&top->top) : -INFINITY;
                if (theta > -INFINITY && ubacc[d] <= theta) continue;
                /* Exactly: lm_bm25()'s score, the terms added in query order. */
                double norm = norm_of(P, rid, &hint);
                if (norm < 0) { rc = 1; goto done; }
                stamp++;
                for (int e = head[d]; e >= 0; e = pool[e].next) {
                    int t = pool[e].t;
                    seen[t] = stamp;
                    cval[t] = contribution(P, P->wterm[t], pool[e].tf, norm);
                }
                scored++;
                double score = 0;
                for (int t = 0; t < nterms; t++) {
                    mask[t] = seen[t] == stamp;
                    if (mask[t]) score += cval[t];        /* 0 when its columns weigh 0: no change */
                }
                int ok = passes(fc, rid);
                if (ok < 0) { rc = -1; goto done; }
                if (ok && lmx_bm25_top_push(top, score, rid, mask)) { rc = LM_ENOMEM; goto done; }
            }
        }
    }
done:
    g_scored = scored;
    free(ubacc); free(cval); free(head); free(seen); free(mask); free(ord); free(pool);
    return rc;
}

/* The search over the posting index: LM_OK, an error, or 1 to fall back. */
static int pst_search(lmx_store *st, lmx_bm25_cache *cache, int kind, int n, const char *const *tok,
                      const double *params, const lmx_filter *f, lmx_bm25_top *top, int prune)
{
    const lmx_doclen *dl = doclen_get(st, cache, kind);
    if (!dl) return 1;
    bm25p P = { params[0], params[1], 1.0, { 0 }, 0, INFINITY, dl, params + 2 + LMX_NCOLS, { 0 } };
    double wtot = 0;
    const int64_t *glen = top->glen;                   /* the collection's lengths (gstats.h), or NULL */
    for (int c = 0; c < LMX_NCOLS; c++) {
        P.wcol[c] = params[2 + c];
        wtot += P.wcol[c] * (double)(glen ? glen[1 + c] : dl->tot[c]);
        double r = P.wcol[c] / (lmx_pst_refw2[c] / 2.0);
        if (r > P.rhi) P.rhi = r;
        if (r < P.rlo) P.rlo = r;
    }
    int64_t nrows = glen ? glen[0] : dl->n;
    P.avgdl = nrows > 0 ? wtot / (double)nrows : 1.0;   /* as lm_bm25() from FTS5's averages */
    if (P.avgdl <= 0) P.avgdl = 1.0;
    for (int q = 0; q < 256; q++) {
        double nm = P.k1 * (1 - P.b + P.b * (P.rlo * lmx_pst_dlq_floor((uint8_t)q) / 2.0) / P.avgdl);
        P.normlb[q] = nm == nm && nm > 0 ? nm : 0;
    }
    if (P.rlo < 0 || P.rhi < 0 || P.k1 < 0 || P.b < 0 || P.b > 1) return 1;   /* bounds need these */
    tlist *L = calloc((size_t)(n ? n : 1), sizeof *L);
    if (!L) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    int rc = LM_OK, m = 0;
    for (int i = 0; i < n && !rc; i++) {
        int64_t tid, df;
        tlist *T = &L[m];
        T->t = i;
        T->w = params[2 + LMX_NCOLS + i];
        T->P = &P;
        T->dec_bi = -1;
        int r = lmx_store_pst_term(st, kind, tok[i], (int)strlen(tok[i]), &tid, &df);
        if (r < 0) { rc = st->err->code; break; }
        if (r == 0) continue;
        rc = lmx_store_pst_blocks(st, tid, read_block, T);
        if (rc == LM_ENOMEM) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
        else if (rc) { rc = T->bad ? 1 : rc; break; }
        int maxc = 0;
        for (int b = 0; b < T->nb; b++) if (T->cnt[b] > maxc) maxc = T->cnt[b];
        if (T->nb && !(T->dec = malloc(sizeof *T->dec * (size_t)maxc))) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
        if (T->nb) m++;
        else tlist_free(T), memset(T, 0, sizeof *T);
    }
    filterctx fc = { st, f };
    if (!rc) {
        rc = maxscore(L, m, n, &P, &fc, top, prune);
        if (rc == LM_ENOMEM) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
        else if (rc < 0) rc = st->err->code ? st->err->code : LM_EDB;
    }
    for (int i = 0; i < n; i++) tlist_free(&L[i]);
    free(L);
    return rc;
}

int lmx_bm25_search(lmx_store *st, lmx_bm25_cache *cache, int kind, int n, const char *const *tok, const char *match,
                    const double *params, const lmx_filter *f, lmx_bm25_top *t)
{
    g_scored = 0;
    if (g_strategy != LMX_BM25_FTS5) {
        int ready = lmx_store_pst_ready(st);
        if (ready < 0) return st->err->code;
        if (ready) {
            lmx_error keep = *st->err;
            int rc = pst_search(st, cache, kind, n, tok, params, f, t, g_strategy == LMX_BM25_PRUNED);
            if (rc != 1) return rc;
            /* The index disagrees with the column lengths: the FTS5 scan,
               from an empty collector. */
            *st->err = keep;
            int limit = t->top.k, nterms = t->nterms;
            const int64_t *glen = t->glen;
            lmx_bm25_top_free(t);
            if (lmx_bm25_top_init(t, limit, nterms)) return lmx_error_set(st->err, LM_EINVAL, "bad collector");
            t->glen = glen;
        }
    }
    return lmx_bm25_scan(st, cache, kind, match, params, f, t);
}
