/*
** scoring.c -- text relevance and the structured features of a candidate.
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
** lmx_top in internal.h), also keeps the best rows with the query terms
** each contains, so that the caller needs no ORDER BY and no second pass.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static fts5_api *get_fts5(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

/* ---- top-N collector ---------------------------------------------------- */

int lmx_top_init(lmx_top *t, int limit, int nterms)
{
    memset(t, 0, sizeof *t);
    if (limit < 0 || nterms < 0) return LM_EINVAL;
    t->limit = limit;
    t->nterms = nterms;
    return LM_OK;
}

void lmx_top_free(lmx_top *t)
{
    free(t->heap);
    free(t->score);
    free(t->rowid);
    free(t->mask);
    memset(t, 0, sizeof *t);
}

/* Entry a ranks below entry b: a lower score, or the same and a higher rowid. */
static int top_worse(const lmx_top *t, int a, int b)
{
    return t->score[a] < t->score[b] || (t->score[a] == t->score[b] && t->rowid[a] > t->rowid[b]);
}

/* Sift entry j down in the first n heap slots. */
static void top_down(lmx_top *t, int j, int n)
{
    int *h = t->heap;
    for (;;) {
        int a = 2 * j + 1, b = a + 1, w = j;
        if (a < n && top_worse(t, h[a], h[w])) w = a;
        if (b < n && top_worse(t, h[b], h[w])) w = b;
        if (w == j) return;
        int x = h[j]; h[j] = h[w]; h[w] = x;
        j = w;
    }
}

static int top_grow(lmx_top *t)
{
    int nc = t->cap ? 2 * t->cap : 64;
    if (nc > t->limit) nc = t->limit;
    int *h = realloc(t->heap, sizeof(int) * (size_t)nc);
    if (h) t->heap = h;
    double *sc = realloc(t->score, sizeof(double) * (size_t)nc);
    if (sc) t->score = sc;
    int64_t *r = realloc(t->rowid, sizeof(int64_t) * (size_t)nc);
    if (r) t->rowid = r;
    unsigned char *m = t->nterms ? realloc(t->mask, (size_t)t->nterms * (size_t)nc) : t->mask;
    if (t->nterms && m) t->mask = m;
    if (!h || !sc || !r || (t->nterms && !m)) return LM_ENOMEM;
    t->cap = nc;
    return LM_OK;
}

/* Offer one row; its mask (nterms bytes) is copied when the row is kept. */
int lmx_top_push(lmx_top *t, double s, int64_t rowid, const unsigned char *mask)
{
    int e;
    if (t->limit <= 0) return LM_OK;
    if (t->n < t->limit) {
        if (t->n == t->cap && top_grow(t)) return LM_ENOMEM;
        e = t->n;
        t->score[e] = s;
        t->rowid[e] = rowid;
        int j = t->n++;
        t->heap[j] = e;
        while (j > 0 && top_worse(t, t->heap[j], t->heap[(j - 1) / 2])) {
            int p = (j - 1) / 2, x = t->heap[j];
            t->heap[j] = t->heap[p];
            t->heap[p] = x;
            j = p;
        }
    } else {
        e = t->heap[0];
        if (s < t->score[e] || (s == t->score[e] && rowid > t->rowid[e])) return LM_OK;
        t->score[e] = s;
        t->rowid[e] = rowid;
        top_down(t, 0, t->n);
    }
    if (t->nterms) memcpy(t->mask + (size_t)e * (size_t)t->nterms, mask, (size_t)t->nterms);
    return LM_OK;
}

int lmx_top_sort(lmx_top *t, int **order)
{
    *order = malloc(sizeof(int) * (size_t)(t->n ? t->n : 1));
    if (!*order) return LM_ENOMEM;
    /* Heap sort in place: repeatedly move the worst to the end. */
    int n = t->n;
    int *h = t->heap;
    for (int end = n - 1; end > 0; end--) {
        int x = h[0]; h[0] = h[end]; h[end] = x;
        top_down(t, 0, end);
    }
    memcpy(*order, h, sizeof(int) * (size_t)n);
    return LM_OK;
}

/* ---- column lengths -------------------------------------------------------- */

struct lmx_doclen {
    int64_t gen, version;
    int n;
    int64_t *rid;              /* ascending */
    int *len;                  /* LMX_NCOLS per row */
};

static void doclen_free1(lmx_doclen *c)
{
    if (!c) return;
    free(c->rid);
    free(c->len);
    free(c);
}

void lmx_doclen_free(lm_db *db)
{
    for (int k = 0; k <= LMX_NKINDS; k++) {
        doclen_free1(db->doclen[k]);
        db->doclen[k] = NULL;
    }
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

const lmx_doclen *lmx_doclen_get(lm_db *db, int kind)
{
    if (kind < 1 || kind > LMX_NKINDS) return NULL;
    int64_t ver = lmx_data_version(db);
    lmx_doclen *c = db->doclen[kind];
    if (c && c->gen == db->kind_gen[kind] && c->version == ver) return c;
    doclen_free1(c);
    db->doclen[kind] = NULL;
    if (!(c = calloc(1, sizeof *c))) return NULL;
    c->gen = db->kind_gen[kind];
    c->version = ver;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id, sz FROM %s_docsize ORDER BY id", lmx_fts_table(kind));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) { free(c); return NULL; }
    int cap = 0, ok = 1, rc;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->n == cap) {
            int nc = cap ? 2 * cap : 1024;
            int64_t *r = realloc(c->rid, sizeof(int64_t) * (size_t)nc);
            if (r) c->rid = r;
            int *l = realloc(c->len, sizeof(int) * LMX_NCOLS * (size_t)nc);
            if (l) c->len = l;
            if (!r || !l) { ok = 0; break; }
            cap = nc;
        }
        const unsigned char *b = sqlite3_column_blob(st, 1);
        int nb = sqlite3_column_bytes(st, 1), off = 0;
        int *l = c->len + (size_t)LMX_NCOLS * (size_t)c->n;
        for (int col = 0; col < LMX_NCOLS && ok; col++) {
            int used = b ? get_varint32(b + off, nb - off, &l[col]) : 0;
            if (!used || l[col] < 0) ok = 0;
            off += used;
        }
        c->rid[c->n++] = sqlite3_column_int64(st, 0);
    }
    if (ok && rc != SQLITE_DONE) ok = 0;
    sqlite3_finalize(st);
    if (!ok) { doclen_free1(c); return NULL; }
    db->doclen[kind] = c;
    return c;
}

/* The lengths of row `rowid`, or NULL.  Rows of one scan come in ascending
   order, so the search starts where the previous one ended. */
static const int *doclen_find(lmx_top *t, int64_t rowid)
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
    lmx_top *top = nval == 2 ? sqlite3_value_pointer(val[1], LMX_TOP_PTR) : NULL;
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
    int rc = top ? lmx_top_push(top, score, rowid, seen) : LM_OK;
    if (tf != tfbuf) sqlite3_free(tf);
    if (seen != seenbuf) sqlite3_free(seen);
    if (rc) { top->oom = 1; sqlite3_result_error_nomem(ctx); return; }
    sqlite3_result_double(ctx, score);
}

int lmx_scoring_register(sqlite3 *db)
{
    fts5_api *api = get_fts5(db);
    if (!api) return LM_EDB;
    if (api->xCreateFunction(api, "lm_bm25", NULL, bm25_fn, NULL) != SQLITE_OK) return LM_EDB;
    return LM_OK;
}

/* ---- structured features ------------------------------------------------- */

/* Split a Chinese administrative region into its first two levels:
   "陕西省西安市雁塔区" -> "陕西省" | "西安市"; "北京市海淀区" -> "北京市" |
   "海淀区".  A level ends after 省, 市, 区, 县, 州, 盟 or 自治区. */
static int region_levels(const char *s, const char *lv[2], size_t len[2])
{
    static const char *const ends[] = { "自治区", "省", "市", "区", "县", "州", "盟" };
    int n = 0;
    const char *start = s, *p = s;
    while (*p && n < 2) {
        size_t matched = 0;
        for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
            size_t l = strlen(ends[i]);
            if (strncmp(p, ends[i], l) == 0) { matched = l; break; }
        }
        if (matched) {
            p += matched;
            lv[n] = start;
            len[n] = (size_t)(p - start);
            n++;
            start = p;
        } else {
            p++;
        }
    }
    return n;
}

double lmx_region_score(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b) return 0;
    const char *la[2], *lb[2];
    size_t na[2], nb[2];
    int ka = region_levels(a, la, na), kb = region_levels(b, lb, nb);
    if (ka == 0 || kb == 0) return strcmp(a, b) == 0 ? 1.0 : 0.0;
    if (na[0] != nb[0] || memcmp(la[0], lb[0], na[0]) != 0) return 0;
    if (ka >= 2 && kb >= 2 && na[1] == nb[1] && memcmp(la[1], lb[1], na[1]) == 0) return 1.0;
    if (ka == 1 && kb == 1) return 1.0;
    return 0.5;
}
