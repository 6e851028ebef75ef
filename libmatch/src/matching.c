/*
** matching.c -- match options, query building, candidates, fusion, results.
**
**   query record / text -> analyzer -> weighted terms (+ synonyms)
**     -> keep the most informative (weight x IDF) -> quoted raw tokens OR'ed
**     -> FTS5 MATCH with lm_bm25() over the target kind, filters in SQL
**     -> candidates with features (bm25, fields, region, maturity)
**     -> weighted sum -> sorted hits with matched terms
**
** User text never reaches FTS5 as query syntax: every term is an analyzer
** token, quoted, and marked raw (LMX_RAW_MARK) so the tokenizer passes it
** through unchanged.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "options.h"

/* ---- results ------------------------------------------------------------- */

enum { C_BM25, C_FIELDS, C_REGION, C_MATURITY, C_EVIDENCE, C_TOPIC, C_COSINE, C_COSINE_EXT, C_BM25_RAW, NCOMP };
static const char *const comp_names[NCOMP] = { "bm25", "fields", "region", "maturity", "evidence", "topic", "cosine",
                                               "cosine_ext", "bm25_raw" };

#define MAX_EVIDENCE 5

typedef struct {
    char *id;
    char *label;           /* title or name, set for the returned hits */
    int kind;
    double score;
    double comp[NCOMP];
    int nterms;
    char **terms;
    int64_t rid;
    unsigned char *mask;   /* matched query terms (while building) */
    int nev;               /* supporting achievements, best first */
    char *ev_id[MAX_EVIDENCE];
    double ev_score[MAX_EVIDENCE];
    double ev_total;       /* aggregated evidence before normalization */
    int ev_seen;           /* linked achievements among the candidates */
} hit;

struct lm_results {
    int n;
    hit *h;
    int nq;
    char **qterms;
};

static void hit_free(hit *h)
{
    free(h->id);
    free(h->label);
    for (int j = 0; j < h->nterms; j++) free(h->terms[j]);
    free(h->terms);
    free(h->mask);
    for (int j = 0; j < h->nev; j++) free(h->ev_id[j]);
}

LM_API void lm_results_free(lm_results *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) hit_free(&r->h[i]);
    free(r->h);
    for (int j = 0; j < r->nq; j++) free(r->qterms[j]);
    free(r->qterms);
    free(r);
}

static const hit *HIT(const lm_results *r, int i)
{
    return r && i >= 0 && i < r->n ? &r->h[i] : NULL;
}

LM_API int lm_results_count(const lm_results *r) { return r ? r->n : 0; }
LM_API const char *lm_result_id(const lm_results *r, int i) { const hit *h = HIT(r, i); return h ? h->id : NULL; }
LM_API const char *lm_result_label(const lm_results *r, int i)
{
    const hit *h = HIT(r, i);
    return h ? (h->label ? h->label : "") : NULL;
}
LM_API int lm_result_kind(const lm_results *r, int i) { const hit *h = HIT(r, i); return h ? h->kind : 0; }
LM_API double lm_result_score(const lm_results *r, int i) { const hit *h = HIT(r, i); return h ? h->score : 0; }
LM_API int lm_result_component_count(const lm_results *r, int i) { return HIT(r, i) ? NCOMP : 0; }
LM_API const char *lm_result_component_name(const lm_results *r, int i, int j)
{
    return HIT(r, i) && j >= 0 && j < NCOMP ? comp_names[j] : NULL;
}
LM_API double lm_result_component_value(const lm_results *r, int i, int j)
{
    const hit *h = HIT(r, i);
    return h && j >= 0 && j < NCOMP ? h->comp[j] : 0;
}
LM_API int lm_result_term_count(const lm_results *r, int i) { const hit *h = HIT(r, i); return h ? h->nterms : 0; }
LM_API const char *lm_result_term(const lm_results *r, int i, int j)
{
    const hit *h = HIT(r, i);
    return h && j >= 0 && j < h->nterms ? h->terms[j] : NULL;
}
LM_API int lm_result_evidence_count(const lm_results *r, int i) { const hit *h = HIT(r, i); return h ? h->nev : 0; }
LM_API const char *lm_result_evidence_id(const lm_results *r, int i, int j)
{
    const hit *h = HIT(r, i);
    return h && j >= 0 && j < h->nev ? h->ev_id[j] : NULL;
}
LM_API double lm_result_evidence_score(const lm_results *r, int i, int j)
{
    const hit *h = HIT(r, i);
    return h && j >= 0 && j < h->nev ? h->ev_score[j] : 0;
}
LM_API int lm_results_query_term_count(const lm_results *r) { return r ? r->nq : 0; }
LM_API const char *lm_results_query_term(const lm_results *r, int j)
{
    return r && j >= 0 && j < r->nq ? r->qterms[j] : NULL;
}

LM_API int lm_results_json(const lm_results *r, char **out)
{
    if (!out) return LM_EINVAL;
    *out = NULL;
    if (!r) return LM_EINVAL;
    cJSON *o = cJSON_CreateObject();
    cJSON *qt = cJSON_AddArrayToObject(o, "query_terms");
    cJSON *res = cJSON_AddArrayToObject(o, "results");
    if (!o || !qt || !res) { cJSON_Delete(o); return LM_ENOMEM; }
    for (int j = 0; j < r->nq; j++) cJSON_AddItemToArray(qt, cJSON_CreateString(r->qterms[j]));
    for (int i = 0; i < r->n; i++) {
        const hit *h = &r->h[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "id", h->id);
        cJSON_AddStringToObject(e, "kind", lm_kind_name(h->kind));
        cJSON_AddStringToObject(e, "label", h->label ? h->label : "");
        cJSON_AddNumberToObject(e, "score", h->score);
        cJSON *c = cJSON_AddObjectToObject(e, "components");
        for (int j = 0; j < NCOMP; j++) cJSON_AddNumberToObject(c, comp_names[j], h->comp[j]);
        cJSON *t = cJSON_AddArrayToObject(e, "terms");
        for (int j = 0; j < h->nterms; j++) cJSON_AddItemToArray(t, cJSON_CreateString(h->terms[j]));
        if (h->kind == LM_EXPERT) {
            cJSON *ev = cJSON_AddArrayToObject(e, "evidence");
            for (int j = 0; j < h->nev; j++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "id", h->ev_id[j]);
                cJSON_AddNumberToObject(x, "score", h->ev_score[j]);
                cJSON_AddItemToArray(ev, x);
            }
        }
        cJSON_AddItemToArray(res, e);
    }
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? LM_OK : LM_ENOMEM;
}

/* ---- query building ------------------------------------------------------ */

typedef struct { lmx_qterms *q; double w; } addctx;

static int add_tok(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    addctx *a = ctx;
    if (n <= 0 || n > 255) return 0;
    return lmx_qterms_add(a->q, tok, n, a->w, 0);
}

static int analyze_into(lm_db *db, lmx_qterms *q, const char *text, double w)
{
    if (!text || !*text || w <= 0) return LM_OK;
    addctx a = { q, w };
    size_t len = strlen(text);
    if (len > LM_MAX_FIELD_BYTES) return lmx_err(db, LM_ETOOBIG, "query text of %zu bytes exceeds %u", len, (unsigned)LM_MAX_FIELD_BYTES);
    int rc = lmx_analyze(db->an, text, (int)len, 1, add_tok, &a);
    if (rc == LM_EINVAL_UTF8) return lmx_err(db, rc, "query text is not valid UTF-8 (or holds a NUL byte)");
    if (rc) return lmx_err(db, rc, "analyzing the query failed: %s", lm_errstr(rc));
    return LM_OK;
}

typedef struct { int idx; double key; } ranked;

static int by_key_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? 1 : -1;
    return x->idx - y->idx;
}

/* Selected terms: token, final weight (query weight x IDF). */
typedef struct { int n; char **tok; double *w; } selected;

static void selected_free(selected *s)
{
    for (int i = 0; i < s->n; i++) free(s->tok[i]);
    free(s->tok);
    free(s->w);
    memset(s, 0, sizeof *s);
}

static int64_t doc_freq(lm_db *db, int to, const char *tok, int len)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT doc FROM %s_v WHERE term=?", lmx_fts_table(to));
    sqlite3_stmt *st = lmx_stmt(db, 16 + to, sql);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, tok, len, SQLITE_STATIC);
    int64_t df = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) df = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE) { lmx_sqlerr(db, rc, "reading term statistics"); df = -1; }
    sqlite3_reset(st);
    return df;
}

static int select_terms(lm_db *db, lmx_qterms *q, int to, const lm_opts *o, selected *out)
{
    memset(out, 0, sizeof *out);
    int64_t N = lmx_kind_count(db, to);
    if (N < 0) return db->errcode;
    ranked *rk = malloc(sizeof *rk * (size_t)(q->n ? q->n : 1));
    double *idf = malloc(sizeof(double) * (size_t)(q->n ? q->n : 1));
    if (!rk || !idf) { free(rk); free(idf); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    int nr = 0;
    for (int i = 0; i < q->n; i++) {
        int64_t df = doc_freq(db, to, q->t[i].tok, q->t[i].len);
        if (df < 0) { free(rk); free(idf); return db->errcode; }
        if (df == 0) continue;
        if (df > N) N = df;     /* never a negative IDF */
        idf[i] = log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
        double qw = sqrt(q->t[i].w);
        rk[nr].idx = i;
        rk[nr].key = qw * idf[i];
        nr++;
    }
    qsort(rk, (size_t)nr, sizeof *rk, by_key_desc);
    if (nr > LMX_OI(o, MAX_TERMS)) nr = LMX_OI(o, MAX_TERMS);
    out->tok = calloc((size_t)(nr ? nr : 1), sizeof(char *));
    out->w = calloc((size_t)(nr ? nr : 1), sizeof(double));
    if (!out->tok || !out->w) { free(rk); free(idf); selected_free(out); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    for (int j = 0; j < nr; j++) {
        const lmx_qterm *t = &q->t[rk[j].idx];
        if (!(out->tok[j] = lmx_strndup(t->tok, (size_t)t->len))) {
            free(rk); free(idf); selected_free(out);
            return lmx_err(db, LM_ENOMEM, "out of memory");
        }
        out->w[j] = rk[j].key;
        out->n++;
    }
    free(rk);
    free(idf);
    return LM_OK;
}

/* "\x01tok1" OR "\x01tok2" ... with quotes doubled inside a token. */
static char *build_match(const selected *s)
{
    size_t n = 1;
    for (int i = 0; i < s->n; i++) n += 2 * strlen(s->tok[i]) + 8;
    char *m = malloc(n), *p = m;
    if (!m) return NULL;
    for (int i = 0; i < s->n; i++) {
        if (i) { memcpy(p, " OR ", 4); p += 4; }
        *p++ = '"';
        *p++ = LMX_RAW_MARK;
        for (const char *c = s->tok[i]; *c; c++) {
            if (*c == '"') *p++ = '"';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p = 0;
    return m;
}

/* ---- the query ------------------------------------------------------------ */

typedef struct {
    int to;
    int64_t exclude_rid;        /* the query record itself, or 0 */
    int64_t query_rid;          /* the stored query record, or 0 */
    const char *region;         /* query record's region */
    cJSON *fields;              /* query record's domain tags */
} query_ctx;

static int by_score(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    if (x->comp[C_BM25_RAW] != y->comp[C_BM25_RAW]) return x->comp[C_BM25_RAW] < y->comp[C_BM25_RAW] ? 1 : -1;
    return strcmp(x->id, y->id);
}

static char *fields_json(const lm_opts *o, cJSON *qfields, int from_opts)
{
    cJSON *a = cJSON_CreateArray();
    if (!a) return NULL;
    if (from_opts)
        for (int i = 0; i < o->nfields; i++) cJSON_AddItemToArray(a, cJSON_CreateString(o->fields[i]));
    else
        for (cJSON *f = qfields ? qfields->child : NULL; f; f = f->next)
            cJSON_AddItemToArray(a, cJSON_CreateString(f->valuestring));
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

/* A candidate list: hits with features, unsorted. */
typedef struct { hit *h; int n, cap; } hitlist;

static hit *hitlist_push(hitlist *l)
{
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 64;
        hit *nh = realloc(l->h, sizeof *nh * (size_t)nc);
        if (!nh) return NULL;
        l->h = nh;
        l->cap = nc;
    }
    hit *h = &l->h[l->n++];
    memset(h, 0, sizeof *h);
    return h;
}

static void hitlist_free(hitlist *l)
{
    for (int i = 0; i < l->n; i++) hit_free(&l->h[i]);
    free(l->h);
    memset(l, 0, sizeof *l);
}

/* Shared SQL pieces: filters and the structured features of a record r. */
typedef struct {
    char *qfields, *ffilter;
    int nq;                     /* query domain tags */
} sqlparts;

static void bind_parts(sqlite3_stmt *st, const sqlparts *p, const lm_opts *o, const query_ctx *qc, int filters)
{
    if (p->nq) sqlite3_bind_text(st, 4, p->qfields, -1, SQLITE_STATIC);
    if (!filters) return;
    if (o->region) sqlite3_bind_text(st, 5, o->region, -1, SQLITE_STATIC);
    if (LMX_OI(o, MIN_MATURITY)) sqlite3_bind_int(st, 6, LMX_OI(o, MIN_MATURITY));
    if (p->ffilter) sqlite3_bind_text(st, 7, p->ffilter, -1, SQLITE_STATIC);
    if (qc->exclude_rid) sqlite3_bind_int64(st, 8, qc->exclude_rid);
}

static void filter_sql(char *buf, size_t n, const sqlparts *p, const lm_opts *o, const query_ctx *qc, int kind)
{
    snprintf(buf, n, "%s%s%s%s",
             o->region ? " AND substr(r.region, 1, length(?5)) = ?5" : "",
             LMX_OI(o, MIN_MATURITY) && kind == LM_ACHIEVEMENT ? " AND r.maturity >= ?6" : "",
             p->ffilter ? " AND EXISTS(SELECT 1 FROM record_field rf2 WHERE rf2.rid = r.rid AND rf2.field IN "
                          "(SELECT value FROM json_each(?7)))" : "",
             qc->exclude_rid ? " AND r.rid != ?8" : "");
}

#define FIELD_COUNT_SQL "(SELECT count(*) FROM record_field rf WHERE rf.rid = r.rid AND rf.field IN " \
                        "(SELECT value FROM json_each(?4)))"

/* The statement reading a record's id and features by rid (?9), with the
   filters `filt` (from filter_sql(), or ""). */
static int features_stmt(lm_db *db, const sqlparts *p, const char *filt, sqlite3_stmt **st)
{
    char sql[1400];
    snprintf(sql, sizeof sql, "SELECT r.id, r.region, r.maturity, %s FROM record r WHERE r.rid = ?9%s",
             p->nq ? FIELD_COUNT_SQL : "0", filt);
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);
    return rc == SQLITE_OK ? LM_OK : lmx_sqlerr(db, rc, "preparing the candidate query");
}

static void set_features(hit *h, sqlite3_stmt *st, int col, const query_ctx *qc, const sqlparts *p, int kind)
{
    h->kind = kind;
    h->comp[C_REGION] = lmx_region_score(qc->region, (const char *)sqlite3_column_text(st, col));
    h->comp[C_MATURITY] = kind == LM_ACHIEVEMENT ? sqlite3_column_int(st, col + 1) / 9.0 : 0;
    h->comp[C_FIELDS] = p->nq ? (double)sqlite3_column_int(st, col + 2) / p->nq : 0;
    if (h->comp[C_FIELDS] > 1) h->comp[C_FIELDS] = 1;
}

/*
** BM25 candidates of `kind` for the selected terms, best first.  lm_bm25()
** keeps the best `limit` rows in a C collector while FTS5 scans the matches;
** SQL runs no sort and joins the record table only when a filter needs it,
** and the features are read for the kept rows alone.
*/
static int retrieve(lm_db *db, int kind, const selected *sel, const lm_opts *o, const query_ctx *qc,
                    const sqlparts *p, int filters, int limit, hitlist *out)
{
    if (sel->n == 0 || limit <= 0) return LM_OK;
    int rc;
    char *match = build_match(sel);
    size_t nblob = 2 + LMX_NCOLS + (size_t)sel->n;
    double *blob = malloc(sizeof(double) * nblob);
    lmx_top top;
    lmx_top_init(&top, limit, sel->n);
    top.dl = lmx_doclen_get(db, kind);
    int *order = NULL;
    sqlite3_stmt *st = NULL, *info = NULL;
    if (!match || !blob) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    blob[0] = LMX_OD(o, BM25_K1);
    blob[1] = LMX_OD(o, BM25_B);
    for (int c = 0; c < LMX_NCOLS; c++) blob[2 + c] = o->v[LMX_O_W_TITLE + c];
    for (int j = 0; j < sel->n; j++) blob[2 + LMX_NCOLS + j] = sel->w[j];

    const char *fts = lmx_fts_table(kind);
    char sql[1400], filt[600];
    filt[0] = 0;
    if (filters) filter_sql(filt, sizeof filt, p, o, qc, kind);
    if (filt[0])
        snprintf(sql, sizeof sql, "SELECT lm_bm25(f.%s, ?1, ?9) FROM %s f JOIN record r ON r.rid = f.rowid "
                 "WHERE f.%s MATCH ?2%s", fts, fts, fts, filt);
    else
        snprintf(sql, sizeof sql, "SELECT lm_bm25(f.%s, ?1, ?9) FROM %s f WHERE f.%s MATCH ?2", fts, fts, fts);
    if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL)) != SQLITE_OK) {
        rc = lmx_sqlerr(db, rc, "preparing the match query");
        goto done;
    }
    sqlite3_bind_blob(st, 1, blob, (int)(sizeof(double) * nblob), SQLITE_STATIC);
    sqlite3_bind_text(st, 2, match, -1, SQLITE_STATIC);
    sqlite3_bind_pointer(st, 9, &top, LMX_TOP_PTR, NULL);
    if (filt[0]) bind_parts(st, p, o, qc, 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
    if (rc != SQLITE_DONE) {
        rc = top.oom ? lmx_err(db, LM_ENOMEM, "out of memory") : lmx_sqlerr(db, rc, "matching");
        goto done;
    }
    rc = LM_OK;
    if (top.n == 0) goto done;
    if (lmx_top_sort(&top, &order)) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    if ((rc = features_stmt(db, p, "", &info))) goto done;
    bind_parts(info, p, o, qc, 0);
    for (int i = 0; i < top.n && !rc; i++) {
        int e = order[i];
        sqlite3_reset(info);
        sqlite3_bind_int64(info, 9, top.rowid[e]);
        int src = sqlite3_step(info);
        if (src == SQLITE_DONE) continue;         /* an index row without its record: skip */
        if (src != SQLITE_ROW) { rc = lmx_sqlerr(db, src, "reading a candidate"); break; }
        hit *h = hitlist_push(out);
        if (!h) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        h->rid = top.rowid[e];
        h->comp[C_BM25_RAW] = top.score[e];
        h->mask = malloc((size_t)sel->n);
        h->id = lmx_strdup((const char *)sqlite3_column_text(info, 0));
        if (!h->mask || !h->id) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        memcpy(h->mask, top.mask + (size_t)e * (size_t)sel->n, (size_t)sel->n);
        set_features(h, info, 1, qc, p, kind);
    }
done:
    sqlite3_finalize(st);
    sqlite3_finalize(info);
    lmx_top_free(&top);
    free(order);
    free(match);
    free(blob);
    return rc;
}

static int add_term(hit *h, const char *t)
{
    for (int j = 0; j < h->nterms; j++)
        if (!strcmp(h->terms[j], t)) return LM_OK;
    char **nt = realloc(h->terms, sizeof(char *) * (size_t)(h->nterms + 1));
    if (!nt) return LM_ENOMEM;
    h->terms = nt;
    if (!(h->terms[h->nterms] = lmx_strdup(t))) return LM_ENOMEM;
    h->nterms++;
    return LM_OK;
}

static int terms_from_mask(hit *h, const selected *sel)
{
    if (!h->mask) return LM_OK;
    for (int j = 0; j < sel->n; j++)
        if (h->mask[j] && add_term(h, sel->tok[j])) return LM_ENOMEM;
    free(h->mask);
    h->mask = NULL;
    return LM_OK;
}

/*
** Semantic evidence: the achievements nearest to the query in the built-in
** space join the BM25 ones, and every achievement's relevance becomes
** (w_bm25 bm25 + w_cosine cosine) / (w_bm25 + w_cosine); best first after.
** Nothing changes without a built model.
*/
static int dense_evidence(lm_db *db, const lmx_qterms *q, const lm_opts *o, hitlist *ach)
{
    float *qv = NULL;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    int rc = lmx_semantic_query(db, q, LM_ACHIEVEMENT, LMX_OI(o, DENSE_CANDIDATES), &qv, &dh, &dn);
    if (rc || !qv) { free(dh); free(qv); return rc; }
    sqlite3_stmt *st = NULL;
    if ((rc = sqlite3_prepare_v2(db->sql, "SELECT id FROM record WHERE rid = ?", -1, &st, NULL)) != SQLITE_OK) {
        free(dh);
        free(qv);
        return lmx_sqlerr(db, rc, "preparing the evidence query");
    }
    rc = LM_OK;
    int nbm = ach->n;
    for (int i = 0; i < dn && !rc; i++) {
        if (dh[i].cosine <= 0) break;
        int present = 0;
        for (int j = 0; j < nbm && !present; j++) present = ach->h[j].rid == dh[i].rid;
        if (present) continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, dh[i].rid);
        if (sqlite3_step(st) != SQLITE_ROW) continue;
        hit *h = hitlist_push(ach);
        if (!h) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        h->rid = dh[i].rid;
        if (!(h->id = lmx_strdup((const char *)sqlite3_column_text(st, 0)))) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    }
    sqlite3_finalize(st);
    double wb = LMX_OD(o, W_BM25), wc = LMX_OD(o, W_COSINE);
    for (int i = 0; i < ach->n && !rc; i++) {
        double c = lmx_semantic_cosine(db, LM_ACHIEVEMENT, qv, ach->h[i].rid);
        ach->h[i].comp[C_COSINE] = c > 0 ? c : 0;
        ach->h[i].score = (wb * ach->h[i].score + wc * ach->h[i].comp[C_COSINE]) / (wb + wc);
    }
    if (!rc && ach->n) qsort(ach->h, (size_t)ach->n, sizeof *ach->h, by_score);
    free(dh);
    free(qv);
    return rc;
}

/*
** Expert evidence: run the query against achievements, then credit each
** expert linked to a retrieved achievement.  Experts found only this way
** join the candidates (when they pass the filters).
*/
static int add_evidence(lm_db *db, lmx_qterms *q, const lm_opts *o, const query_ctx *qc,
                        const sqlparts *p, hitlist *experts)
{
    if (LMX_OI(o, EVIDENCE_CANDIDATES) <= 0 || LMX_OD(o, W_EVIDENCE) <= 0) return LM_OK;
    selected sel;
    int rc = select_terms(db, q, LM_ACHIEVEMENT, o, &sel);
    if (rc) return rc;
    hitlist ach = {0};
    query_ctx aq = { LM_ACHIEVEMENT, 0, 0, NULL, NULL };
    sqlparts none = {0};
    rc = retrieve(db, LM_ACHIEVEMENT, &sel, o, &aq, &none, 0, LMX_OI(o, EVIDENCE_CANDIDATES), &ach);
    double maxa = 0;
    for (int i = 0; i < ach.n; i++)
        if (ach.h[i].comp[C_BM25_RAW] > maxa) maxa = ach.h[i].comp[C_BM25_RAW];
    /* An achievement's relevance (in score): its normalized BM25, or with
       semantic vectors the weighted mean of that and its cosine. */
    for (int i = 0; i < ach.n; i++) ach.h[i].score = maxa > 0 ? ach.h[i].comp[C_BM25_RAW] / maxa : 0;
    if (!rc && LMX_OD(o, W_COSINE) > 0) rc = dense_evidence(db, q, o, &ach);
    sqlite3_stmt *links = NULL, *info = NULL;
    char filt[600], sql[1400];
    if (!rc && ach.n) {
        rc = sqlite3_prepare_v2(db->sql,
            "SELECT DISTINCT l.expert FROM link l WHERE l.achievement = ?1", -1, &links, NULL);
        filter_sql(filt, sizeof filt, p, o, qc, LM_EXPERT);
        snprintf(sql, sizeof sql, "SELECT r.rid, r.region, r.maturity, %s FROM record r "
                 "WHERE r.kind = 3 AND r.id = ?1%s", p->nq ? FIELD_COUNT_SQL : "0", filt);
        if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db->sql, sql, -1, &info, NULL);
        rc = rc == SQLITE_OK ? LM_OK : lmx_sqlerr(db, rc, "preparing the evidence query");
    }
    /* Per expert: the relevance of each linked achievement, best first
       (achievements arrive sorted by score). */
    for (int i = 0; i < ach.n && !rc; i++) {
        double rel = ach.h[i].score;
        sqlite3_reset(links);
        sqlite3_bind_text(links, 1, ach.h[i].id, -1, SQLITE_STATIC);
        while (!rc && sqlite3_step(links) == SQLITE_ROW) {
            const char *eid = (const char *)sqlite3_column_text(links, 0);
            hit *e = NULL;
            for (int k = 0; k < experts->n; k++)
                if (!strcmp(experts->h[k].id, eid)) { e = &experts->h[k]; break; }
            if (!e) {
                /* Not a profile candidate: look it up and apply the filters. */
                sqlite3_reset(info);
                sqlite3_bind_text(info, 1, eid, -1, SQLITE_TRANSIENT);
                bind_parts(info, p, o, qc, 1);
                if (sqlite3_step(info) != SQLITE_ROW) continue;
                if (!(e = hitlist_push(experts))) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
                e->rid = sqlite3_column_int64(info, 0);
                e->id = lmx_strdup(eid);
                if (!e->id) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
                set_features(e, info, 1, qc, p, LM_EXPERT);
            }
            int rank = e->ev_seen++;
            switch (LMX_OI(o, EVIDENCE_MODE)) {
            case LM_EVIDENCE_MAX: if (rel > e->ev_total) e->ev_total = rel; break;
            case LM_EVIDENCE_SUM: e->ev_total += rel; break;
            default: if (rank < LMX_OI(o, EVIDENCE_M)) e->ev_total += rel / (rank + 1); break;
            }
            if (e->nev < MAX_EVIDENCE) {
                if (!(e->ev_id[e->nev] = lmx_strdup(ach.h[i].id))) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
                e->ev_score[e->nev++] = rel;
                for (int j = 0; j < sel.n; j++)
                    if (ach.h[i].mask && ach.h[i].mask[j] && add_term(e, sel.tok[j])) {
                        rc = lmx_err(db, LM_ENOMEM, "out of memory");
                        break;
                    }
            }
        }
    }
    sqlite3_finalize(links);
    sqlite3_finalize(info);
    double maxe = 0;
    for (int k = 0; k < experts->n; k++)
        if (experts->h[k].ev_total > maxe) maxe = experts->h[k].ev_total;
    for (int k = 0; k < experts->n; k++)
        experts->h[k].comp[C_EVIDENCE] = maxe > 0 ? experts->h[k].ev_total / maxe : 0;
    hitlist_free(&ach);
    selected_free(&sel);
    return rc;
}

/*
** Pseudo-relevance feedback (RM3-like): the terms that best characterize the
** top BM25 hits, P(t|d) weighted by the hit's normalized score and by IDF,
** are added to the query with weight w_prf relative to the query's own
** terms.  Helps topical matching, where relevant records share the subject
** rather than the words.
*/
typedef struct { lmx_qterms *q; double w; int n; } prfctx;

static int prf_tok(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    prfctx *c = ctx;
    if (flags & LMX_TOK_COLOCATED) return 0;      /* main words only */
    if (n <= 0 || n > 255) return 0;
    c->n++;
    return lmx_qterms_add(c->q, tok, n, c->w, 0);
}

static int expand_prf(lm_db *db, lmx_qterms *q, int to, const hitlist *hl, const lm_opts *o)
{
    int nd = hl->n < LMX_OI(o, PRF_DOCS) ? hl->n : LMX_OI(o, PRF_DOCS);
    if (nd <= 0 || LMX_OI(o, PRF_TERMS) <= 0 || LMX_OD(o, W_PRF) <= 0) return LM_OK;
    double maxbm = hl->h[0].comp[C_BM25_RAW];
    if (maxbm <= 0) return LM_OK;
    lmx_qterms acc = {0};
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT title, body, keywords FROM %s WHERE rowid = ?", lmx_fts_table(to));
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "reading feedback records");
    rc = LM_OK;
    for (int i = 0; i < nd && !rc; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, hl->h[i].rid);
        if (sqlite3_step(st) != SQLITE_ROW) continue;
        /* P(t|d): term counts of this record divided by its length. */
        lmx_qterms doc = {0};
        prfctx c = { &doc, 1.0, 0 };
        for (int col = 0; col < 3 && !rc; col++) {
            const char *t = (const char *)sqlite3_column_text(st, col);
            if (t && *t) rc = lmx_analyze(db->an, t, sqlite3_column_bytes(st, col), 0, prf_tok, &c);
        }
        double sd = hl->h[i].comp[C_BM25_RAW] / maxbm;
        for (int j = 0; j < doc.n && !rc; j++)
            rc = lmx_qterms_add(&acc, doc.t[j].tok, doc.t[j].len, sd * doc.t[j].w / (c.n ? c.n : 1), 0);
        lmx_qterms_free(&doc);
    }
    sqlite3_finalize(st);
    if (rc) { lmx_qterms_free(&acc); return lmx_err(db, rc, "feedback analysis failed"); }
    /* Rank candidate expansion terms by P(t|R) x IDF. */
    int64_t N = lmx_kind_count(db, to);
    ranked *rk = malloc(sizeof *rk * (size_t)(acc.n ? acc.n : 1));
    if (!rk) { lmx_qterms_free(&acc); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    int nr = 0;
    double qmax = 0;
    for (int i = 0; i < q->n; i++) if (q->t[i].w > qmax) qmax = q->t[i].w;
    for (int i = 0; i < acc.n; i++) {
        int64_t df = doc_freq(db, to, acc.t[i].tok, acc.t[i].len);
        if (df <= 0 || df >= N) continue;
        rk[nr].idx = i;
        rk[nr].key = acc.t[i].w * log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
        nr++;
    }
    qsort(rk, (size_t)nr, sizeof *rk, by_key_desc);
    int added = 0;
    for (int j = 0; j < nr && added < LMX_OI(o, PRF_TERMS) && !rc; j++) {
        const lmx_qterm *t = &acc.t[rk[j].idx];
        double w = LMX_OD(o, W_PRF) * qmax * rk[j].key / rk[0].key;
        rc = lmx_qterms_add(q, t->tok, t->len, w, 1);
        added++;
    }
    free(rk);
    lmx_qterms_free(&acc);
    return rc ? lmx_err(db, rc, "out of memory") : LM_OK;
}

/*
** Vector neighbours join the candidates: every candidate gets its cosine in
** component `comp` (via `cosine`), and the neighbours dh[0..dn) not yet
** there are added when they pass the filters.
*/
static int join_neighbours(lm_db *db, const lm_opts *o, const query_ctx *qc, const sqlparts *p, hitlist *hl,
                           const lmx_dense_hit *dh, int dn, int comp,
                           double (*cosine)(lm_db *, int, const float *, int64_t), const float *qv)
{
    for (int i = 0; i < hl->n; i++) {
        double c = cosine(db, qc->to, qv, hl->h[i].rid);
        hl->h[i].comp[comp] = c > 0 ? c : 0;
    }
    if (dn <= 0) return LM_OK;
    char filt[600];
    filter_sql(filt, sizeof filt, p, o, qc, qc->to);
    sqlite3_stmt *st = NULL;
    int rc = features_stmt(db, p, filt, &st);
    if (rc) return rc;
    for (int i = 0; i < dn && !rc; i++) {
        if (dh[i].cosine <= 0) break;
        int present = dh[i].rid == qc->exclude_rid;
        for (int j = 0; j < hl->n && !present; j++) present = hl->h[j].rid == dh[i].rid;
        if (present) continue;
        sqlite3_reset(st);
        bind_parts(st, p, o, qc, 1);
        sqlite3_bind_int64(st, 9, dh[i].rid);
        if (sqlite3_step(st) != SQLITE_ROW) continue;
        hit *h = hitlist_push(hl);
        if (!h) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        h->rid = dh[i].rid;
        if (!(h->id = lmx_strdup((const char *)sqlite3_column_text(st, 0)))) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        set_features(h, st, 1, qc, p, qc->to);
        h->comp[comp] = dh[i].cosine;
    }
    sqlite3_finalize(st);
    return rc;
}

/*
** Dense candidates: the records nearest to the query in the built-in
** semantic space join the BM25 candidates, and every candidate gets its
** cosine.  Nothing happens without a built model.
*/
static int add_dense(lm_db *db, const lmx_qterms *q, const lm_opts *o, const query_ctx *qc,
                     const sqlparts *p, hitlist *hl)
{
    float *qv = NULL;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    int rc = lmx_semantic_query(db, q, qc->to, LMX_OI(o, DENSE_CANDIDATES), &qv, &dh, &dn);
    if (!rc && qv) rc = join_neighbours(db, o, qc, p, hl, dh, dn, C_COSINE, lmx_semantic_cosine, qv);
    free(dh);
    free(qv);
    return rc;
}

/*
** External embeddings: when the query is a stored record with a vector of
** the database's external space, its nearest records in that space join the
** candidates and every candidate gets its cosine ("cosine_ext").
*/
static int add_external(lm_db *db, const lm_opts *o, const query_ctx *qc, const sqlparts *p, hitlist *hl)
{
    if (!qc->query_rid || LMX_OD(o, W_COSINE_EXT) <= 0) return LM_OK;
    char model[300];
    float *qv = NULL;
    int dim = 0;
    int rc = lmx_external_vector(db, qc->query_rid, model, sizeof model, &qv, &dim);
    if (rc || !qv) return rc;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    rc = lmx_external_query(db, model, qv, dim, qc->to, LMX_OI(o, DENSE_CANDIDATES), &dh, &dn);
    if (!rc) rc = join_neighbours(db, o, qc, p, hl, dh, dn, C_COSINE_EXT, lmx_external_cosine, qv);
    free(dh);
    free(qv);
    return rc;
}

/*
** Topic: the domain tags ("fields") of the query's best BM25 hits vote for
** the query's domain, each hit by its normalized score shared among its
** tags; a candidate's topic component is the vote of its best tag, divided
** by the top vote.  Relevant records usually share the query's domain even
** when they share few words with it.
*/
typedef struct { char *field; double v; } vote;

static int hit_fields(sqlite3_stmt *st, int64_t rid, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, rid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **nv = realloc(*out, sizeof(char *) * (size_t)(*n + 1));
        if (!nv) return LM_ENOMEM;
        *out = nv;
        if (!((*out)[*n] = lmx_strdup((const char *)sqlite3_column_text(st, 0)))) return LM_ENOMEM;
        (*n)++;
    }
    return LM_OK;
}

static int add_topic(lm_db *db, hitlist *hl, const lm_opts *o)
{
    if (LMX_OI(o, TOPIC_DOCS) <= 0 || LMX_OD(o, W_TOPIC) <= 0 || hl->n == 0) return LM_OK;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, "SELECT field FROM record_field WHERE rid = ?", -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "reading domain tags");
    vote *votes = NULL;
    int nv = 0;
    rc = LM_OK;
    /* hl is in BM25 order here. */
    double maxbm = hl->h[0].comp[C_BM25_RAW];
    for (int i = 0; i < hl->n && i < LMX_OI(o, TOPIC_DOCS) && !rc && maxbm > 0; i++) {
        char **f;
        int nf;
        if ((rc = hit_fields(st, hl->h[i].rid, &f, &nf))) { for (int k = 0; k < nf; k++) free(f[k]); free(f); break; }
        double w = hl->h[i].comp[C_BM25_RAW] / maxbm / (nf ? nf : 1);
        for (int k = 0; k < nf && !rc; k++) {
            int j = 0;
            while (j < nv && strcmp(votes[j].field, f[k])) j++;
            if (j == nv) {
                vote *nvv = realloc(votes, sizeof *votes * (size_t)(nv + 1));
                if (!nvv) { rc = LM_ENOMEM; break; }
                votes = nvv;
                votes[nv].field = f[k];
                votes[nv].v = 0;
                f[k] = NULL;
                nv++;
            }
            votes[j].v += w;
        }
        for (int k = 0; k < nf; k++) free(f[k]);
        free(f);
    }
    double top = 0;
    for (int j = 0; j < nv; j++) if (votes[j].v > top) top = votes[j].v;
    for (int i = 0; i < hl->n && !rc && top > 0; i++) {
        char **f;
        int nf;
        if ((rc = hit_fields(st, hl->h[i].rid, &f, &nf)) == LM_OK) {
            double best = 0;
            for (int k = 0; k < nf; k++)
                for (int j = 0; j < nv; j++)
                    if (!strcmp(votes[j].field, f[k]) && votes[j].v > best) best = votes[j].v;
            hl->h[i].comp[C_TOPIC] = best / top;
        }
        for (int k = 0; k < nf; k++) free(f[k]);
        free(f);
    }
    sqlite3_finalize(st);
    for (int j = 0; j < nv; j++) free(votes[j].field);
    free(votes);
    return rc ? lmx_err(db, rc, "out of memory") : LM_OK;
}

/*
** Reciprocal rank fusion: each component ranks the candidates on its own
** (ties share the better rank; a zero value does not rank), and the score is
** sum_c w_c / (60 + rank_c).  Scale-free, so no normalization is needed.
*/
static int fuse_rrf(lm_db *db, hitlist *hl, const lm_opts *o)
{
    static const int comps[] = { C_BM25, C_FIELDS, C_REGION, C_MATURITY, C_EVIDENCE, C_TOPIC, C_COSINE, C_COSINE_EXT };
    static const int weights[] = { LMX_O_W_BM25, LMX_O_W_FIELDS, LMX_O_W_REGION, LMX_O_W_MATURITY, LMX_O_W_EVIDENCE,
                                   LMX_O_W_TOPIC, LMX_O_W_COSINE, LMX_O_W_COSINE_EXT };
    for (int i = 0; i < hl->n; i++) hl->h[i].score = 0;
    for (size_t c = 0; c < sizeof comps / sizeof comps[0]; c++) {
        double w = o->v[weights[c]];
        if (w <= 0) continue;
        for (int i = 0; i < hl->n; i++) {
            double v = hl->h[i].comp[comps[c]];
            if (v <= 0) continue;
            int rank = 1;
            for (int j = 0; j < hl->n; j++) rank += hl->h[j].comp[comps[c]] > v;
            hl->h[i].score += w / (60.0 + rank);
        }
    }
    (void)db;
    return LM_OK;
}

/* The display label of every hit: its record's title, or an expert's name. */
static int set_labels(lm_db *db, lm_results *res)
{
    for (int i = 0; i < res->n; i++) {
        hit *h = &res->h[i];
        char *json = NULL;
        int rc = lmx_load_json(db, h->kind, h->id, &json, NULL);
        if (rc) return rc;
        cJSON *j = cJSON_Parse(json);
        free(json);
        cJSON *t = cJSON_GetObjectItemCaseSensitive(j, h->kind == LM_EXPERT ? "name" : "title");
        h->label = lmx_strdup(cJSON_IsString(t) ? t->valuestring : "");
        cJSON_Delete(j);
        if (!h->label) return lmx_err(db, LM_ENOMEM, "out of memory");
    }
    return LM_OK;
}

static int run_query(lm_db *db, const query_ctx *qc, lmx_qterms *q, const lm_opts *o, lm_results **out)
{
    int rc;
    selected sel = {0};
    hitlist hl = {0};
    sqlparts p = {0};
    lm_results *res = calloc(1, sizeof *res);
    if (!res) return lmx_err(db, LM_ENOMEM, "out of memory");
    if ((rc = lmx_synonyms_expand(db, q, 0.8))) goto done;
    if ((rc = select_terms(db, q, qc->to, o, &sel))) goto done;
    p.nq = qc->fields && qc->fields->child ? cJSON_GetArraySize(qc->fields) : 0;
    p.qfields = fields_json(o, qc->fields, 0);
    p.ffilter = o->nfields ? fields_json(o, NULL, 1) : NULL;
    if (!p.qfields || (o->nfields && !p.ffilter)) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }

    int limit = LMX_OI(o, CANDIDATES) > LMX_OI(o, OFFSET) + LMX_OI(o, K) ? LMX_OI(o, CANDIDATES) : LMX_OI(o, OFFSET) + LMX_OI(o, K);
    if ((rc = retrieve(db, qc->to, &sel, o, qc, &p, 1, limit, &hl))) goto done;
    if (qc->to != LM_EXPERT && LMX_OI(o, PRF_DOCS) > 0 && hl.n > 0) {
        /* Second round with the feedback terms; the first round's hits are
           sorted by BM25 (the SQL orders them). */
        lm_opts o2 = *o;
        o2.v[LMX_O_MAX_TERMS] = LMX_OI(o, MAX_TERMS) + LMX_OI(o, PRF_TERMS);
        if ((rc = expand_prf(db, q, qc->to, &hl, o))) goto done;
        hitlist_free(&hl);
        selected_free(&sel);
        if ((rc = select_terms(db, q, qc->to, &o2, &sel))) goto done;
        if ((rc = retrieve(db, qc->to, &sel, o, qc, &p, 1, limit, &hl))) goto done;
    }
    double maxbm = 0;
    for (int i = 0; i < hl.n; i++)
        if (hl.h[i].comp[C_BM25_RAW] > maxbm) maxbm = hl.h[i].comp[C_BM25_RAW];
    for (int i = 0; i < hl.n; i++) {
        hit *h = &hl.h[i];
        h->comp[C_BM25] = maxbm > 0 ? h->comp[C_BM25_RAW] / maxbm : 0;
        if (terms_from_mask(h, &sel)) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    }
    if (LMX_OD(o, W_COSINE) > 0 && (rc = add_dense(db, q, o, qc, &p, &hl))) goto done;
    if ((rc = add_external(db, o, qc, &p, &hl))) goto done;
    /* Evidence may add experts found only through their achievements; the
       topic vote then covers them too (the first hits stay in BM25 order). */
    if (qc->to == LM_EXPERT && (rc = add_evidence(db, q, o, qc, &p, &hl))) goto done;
    if ((rc = add_topic(db, &hl, o))) goto done;
    if (LMX_OI(o, FUSION) == LM_FUSION_RRF) {
        if ((rc = fuse_rrf(db, &hl, o))) goto done;
    } else for (int i = 0; i < hl.n; i++) {
        hit *h = &hl.h[i];
        h->score = LMX_OD(o, W_BM25) * h->comp[C_BM25] + LMX_OD(o, W_FIELDS) * h->comp[C_FIELDS] +
                   LMX_OD(o, W_REGION) * h->comp[C_REGION] + LMX_OD(o, W_MATURITY) * h->comp[C_MATURITY] +
                   LMX_OD(o, W_EVIDENCE) * h->comp[C_EVIDENCE] + LMX_OD(o, W_TOPIC) * h->comp[C_TOPIC] +
                   LMX_OD(o, W_COSINE) * h->comp[C_COSINE] + LMX_OD(o, W_COSINE_EXT) * h->comp[C_COSINE_EXT];
    }
    if (hl.n) qsort(hl.h, (size_t)hl.n, sizeof *hl.h, by_score);
    /* Keep [offset, offset+k). */
    int from = LMX_OI(o, OFFSET) < hl.n ? LMX_OI(o, OFFSET) : hl.n;
    int to = from + LMX_OI(o, K) < hl.n ? from + LMX_OI(o, K) : hl.n;
    for (int i = 0; i < from; i++) hit_free(&hl.h[i]);
    for (int i = to; i < hl.n; i++) hit_free(&hl.h[i]);
    if (to > from) memmove(hl.h, hl.h + from, sizeof *hl.h * (size_t)(to - from));
    res->h = hl.h;
    res->n = to - from;
    hl.h = NULL;
    hl.n = 0;
    if ((rc = set_labels(db, res))) goto done;
    res->qterms = sel.tok;          /* the set owns the selected terms */
    res->nq = sel.n;
    sel.tok = NULL;
    sel.n = 0;
    rc = LM_OK;
done:
    selected_free(&sel);
    hitlist_free(&hl);
    free(p.qfields);
    free(p.ffilter);
    if (rc) { lm_results_free(res); return rc; }
    *out = res;
    return lmx_ok(db);
}

static int check_to(lm_db *db, int to, const lm_opts **o, lm_opts *defaults, lm_results **out)
{
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (!lm_kind_name(to)) return lmx_err(db, LM_EINVAL, "unknown target kind %d", to);
    if (!*o) { lmx_opts_defaults(defaults); *o = defaults; }
    return LM_OK;
}

static int match_parsed(lm_db *db, const lmx_record *r, int64_t rid, int to, const lm_opts *o, lm_results **out)
{
    lmx_qterms q = {0};
    int rc = LM_OK;
    for (int c = 0; c < LMX_NCOLS && !rc; c++)
        if (c != LMX_COL_EXTRA) rc = analyze_into(db, &q, r->text[c], o->v[LMX_O_W_TITLE + c]);
    if (!rc) {
        query_ctx qc = { to, r->kind == to ? rid : 0, rid, r->region, r->fields };
        rc = run_query(db, &qc, &q, o, out);
    }
    lmx_qterms_free(&q);
    return rc;
}

/* All statements of one match read one snapshot of the database, so a
   concurrent writer cannot make statistics and postings disagree. */
static int read_begin(lm_db *db)
{
    if (!sqlite3_get_autocommit(db->sql)) return 0;
    return sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

static void read_end(lm_db *db, int began)
{
    if (began) sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
}

static int match_stored(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out);

LM_API int lm_match(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    int began = read_begin(db);
    int rc = match_stored(db, from, id, to, o, out);
    read_end(db, began);
    return rc;
}

static int match_stored(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    lm_opts defaults;
    int rc = check_to(db, to, &o, &defaults, out);
    if (rc) return rc;
    char *json = NULL;
    int64_t rid = 0;
    if ((rc = lmx_load_json(db, from, id, &json, &rid))) return rc;
    lmx_record r;
    char msg[768];
    rc = lmx_record_parse(json, strlen(json), 1, &r, msg, sizeof msg);
    free(json);
    if (rc) return lmx_err(db, rc, "stored %s", msg);
    rc = match_parsed(db, &r, rid, to, o, out);
    lmx_record_free(&r);
    return rc;
}

int lmx_match_all(lm_db *db, int from, const char *id, int to, const lm_opts *opts,
                  int64_t n, lm_results **out)
{
    lm_opts o;
    if (opts) o = *opts;            /* shallow: region/fields stay borrowed */
    else lmx_opts_defaults(&o);
    o.v[LMX_O_K] = n < 1 ? 1 : n > 1000000 ? 1000000 : (int)n;
    o.v[LMX_O_OFFSET] = 0;
    if (o.v[LMX_O_CANDIDATES] < o.v[LMX_O_K]) o.v[LMX_O_CANDIDATES] = o.v[LMX_O_K];
    return lm_match(db, from, id, to, &o, out);
}

static int match_record(lm_db *db, const char *json, size_t len, int to, const lm_opts *o, lm_results **out);

LM_API int lm_match_record(lm_db *db, const char *json, size_t len, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    int began = read_begin(db);
    int rc = match_record(db, json, len, to, o, out);
    read_end(db, began);
    return rc;
}

static int match_record(lm_db *db, const char *json, size_t len, int to, const lm_opts *o, lm_results **out)
{
    lm_opts defaults;
    int rc = check_to(db, to, &o, &defaults, out);
    if (rc) return rc;
    lmx_record r;
    char msg[768];
    if ((rc = lmx_record_parse(json, len, 0, &r, msg, sizeof msg))) return lmx_err(db, rc, "%s", msg);
    rc = match_parsed(db, &r, 0, to, o, out);
    lmx_record_free(&r);
    return rc;
}

static int match_text(lm_db *db, const char *text, size_t len, int to, const lm_opts *o, lm_results **out);

LM_API int lm_match_text(lm_db *db, const char *text, size_t len, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    int began = read_begin(db);
    int rc = match_text(db, text, len, to, o, out);
    read_end(db, began);
    return rc;
}

static int match_text(lm_db *db, const char *text, size_t len, int to, const lm_opts *o, lm_results **out)
{
    lm_opts defaults;
    int rc = check_to(db, to, &o, &defaults, out);
    if (rc) return rc;
    if (!text) return lmx_err(db, LM_EINVAL, "no query text (NULL)");
    if (len == LM_NUL_TERMINATED) len = strlen(text);
    if (len > LM_MAX_FIELD_BYTES) return lmx_err(db, LM_ETOOBIG, "query text of %zu bytes exceeds %u", len, (unsigned)LM_MAX_FIELD_BYTES);
    if (!lmx_utf8_valid(text, len, NULL)) return lmx_err(db, LM_EINVAL_UTF8, "query text is not valid UTF-8 (or holds a NUL byte)");
    char *t = lmx_strndup(text, len);
    if (!t) return lmx_err(db, LM_ENOMEM, "out of memory");
    lmx_qterms q = {0};
    rc = analyze_into(db, &q, t, 1.0);
    free(t);
    if (!rc) {
        query_ctx qc = { to, 0, 0, NULL, NULL };
        rc = run_query(db, &qc, &q, o, out);
    }
    lmx_qterms_free(&q);
    return rc;
}

/* ---- external vectors ------------------------------------------------------- */

static int match_vector(lm_db *db, const char *model, const float *q, int dim, int to, const lm_opts *o,
                        lm_results **out)
{
    lm_opts defaults;
    int rc = check_to(db, to, &o, &defaults, out);
    if (rc) return rc;
    int want = LMX_OI(o, OFFSET) + LMX_OI(o, K);
    int ncand = LMX_OI(o, CANDIDATES) > want ? LMX_OI(o, CANDIDATES) : want;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    if ((rc = lmx_external_query(db, model, q, dim, to, ncand, &dh, &dn))) return rc;
    query_ctx qc = { to, 0, 0, NULL, NULL };
    sqlparts p = {0};
    p.ffilter = o->nfields ? fields_json(o, NULL, 1) : NULL;
    hitlist hl = {0};
    char filt[600], sql[1400];
    filter_sql(filt, sizeof filt, &p, o, &qc, to);
    snprintf(sql, sizeof sql, "SELECT r.id, r.region, r.maturity, 0 FROM record r WHERE r.rid = ?9%s", filt);
    sqlite3_stmt *st = NULL;
    if ((o->nfields && !p.ffilter)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    else if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL)) != SQLITE_OK) rc = lmx_sqlerr(db, rc, "preparing the vector query");
    for (int i = 0; i < dn && !rc && hl.n < want; i++) {
        sqlite3_reset(st);
        bind_parts(st, &p, o, &qc, 1);
        sqlite3_bind_int64(st, 9, dh[i].rid);
        if (sqlite3_step(st) != SQLITE_ROW) continue;
        hit *h = hitlist_push(&hl);
        if (!h) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        h->rid = dh[i].rid;
        if (!(h->id = lmx_strdup((const char *)sqlite3_column_text(st, 0)))) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        set_features(h, st, 1, &qc, &p, to);
        h->comp[C_COSINE_EXT] = dh[i].cosine;
        h->score = dh[i].cosine;
    }
    sqlite3_finalize(st);
    free(dh);
    free(p.ffilter);
    lm_results *res = rc ? NULL : calloc(1, sizeof *res);
    if (!rc && !res) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    if (rc) { hitlist_free(&hl); return rc; }
    int from = LMX_OI(o, OFFSET) < hl.n ? LMX_OI(o, OFFSET) : hl.n;
    for (int i = 0; i < from; i++) hit_free(&hl.h[i]);
    if (hl.n > from) memmove(hl.h, hl.h + from, sizeof *hl.h * (size_t)(hl.n - from));
    res->h = hl.h;
    res->n = hl.n - from;
    if ((rc = set_labels(db, res))) { lm_results_free(res); return rc; }
    *out = res;
    return lmx_ok(db);
}

LM_API int lm_match_vector(lm_db *db, const char *model, const float *q, int dim, int to, const lm_opts *o,
                           lm_results **out)
{
    if (!db) return LM_EINVAL;
    int began = read_begin(db);
    int rc = match_vector(db, model, q, dim, to, o, out);
    read_end(db, began);
    return rc;
}
