/*
** semantic.c -- vector spaces as an index feature: building the latent
** semantic model over everything stored, folding new records in on insert,
** external embeddings, and the nearest records of a query (one contiguous
** matrix per space and kind, loaded lazily and reloaded under the store's
** cache rule).
**
** Features are the analyzer's main tokens (words; no colocated sub-words or
** bigrams), weighted (1 + ln tf) * ln(N / df) with the column weights of
** title 2, body 1, keywords 2; rows are L2-normalized before the SVD.
** Terms in fewer than two records are left out of the model.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "semantic.h"
#include "vectors.h"

static const double col_w[3] = { 2.0, 1.0, 2.0 };

/* ---- tokens of a record ------------------------------------------------------- */

typedef struct { lmx_qterms *q; double w; } tokctx;

static int main_tok(void *ctx, int flags, const char *t, int n, int s, int e)
{
    tokctx *c = ctx;
    if ((flags & LMX_TOK_COLOCATED) || n <= 0 || n > 255) return 0;
    return lmx_qterms_add(c->q, t, n, c->w, 0);
}

/* Weighted term frequencies of up to three texts (title, body, keywords). */
static int record_terms(const lmx_analyzer *an, const char *const *texts, lmx_qterms *out)
{
    for (int c = 0; c < 3; c++) {
        if (!texts[c] || !*texts[c]) continue;
        tokctx t = { out, col_w[c] };
        int rc = lmx_analyze(an, texts[c], (int)strlen(texts[c]), 0, main_tok, &t);
        if (rc) return rc;
    }
    return LM_OK;
}

int lmx_semantic_dim(lmx_store *st)
{
    return (int)lmx_store_meta_int(st, "lsa_dim", 0);
}

/* ---- building ------------------------------------------------------------------ */

typedef struct { int64_t rid; int n; int *term; float *tf; } rowterms;

typedef struct {
    const lmx_analyzer *an;
    lmx_qterms vocab;          /* term -> index; w = document frequency */
    rowterms *rows;
    int nrows, cap;
    int rc;                    /* an analyzer failure */
    const lmx_progress *pg;
    lmx_error *err;
} buildctx;

static int build_row(void *ctx, int64_t rid, const char *const texts[3])
{
    buildctx *b = ctx;
    lmx_qterms t = {0};
    int rc = record_terms(b->an, texts, &t);
    if (!rc && b->nrows == b->cap) {
        int nc = b->cap ? b->cap * 2 : 1024;
        rowterms *nr = realloc(b->rows, sizeof *nr * (size_t)nc);
        if (nr) { b->rows = nr; b->cap = nc; } else rc = LM_ENOMEM;
    }
    if (!rc) {
        rowterms *r = &b->rows[b->nrows++];
        r->rid = rid;
        r->n = t.n;
        r->term = malloc(sizeof(int) * (size_t)(t.n ? t.n : 1));
        r->tf = malloc(sizeof(float) * (size_t)(t.n ? t.n : 1));
        if (!r->term || !r->tf) rc = LM_ENOMEM;
        for (int j = 0; j < t.n && !rc; j++) {
            rc = lmx_qterms_add(&b->vocab, t.t[j].tok, t.t[j].len, 1.0, 0);   /* df += 1 */
            r->term[j] = lmx_qterms_find(&b->vocab, t.t[j].tok, t.t[j].len);
            r->tf[j] = (float)t.t[j].w;
        }
    }
    lmx_qterms_free(&t);
    if (rc) return b->rc = rc;
    if (b->nrows % 1000 == 0 && lmx_progress_report(b->pg, b->err, "vectors", b->nrows, -1)) return b->rc = LM_ESTATE;
    return LM_OK;
}

int lmx_semantic_build(lmx_store *st, const lmx_analyzer *an, int dim, const lmx_progress *pg)
{
    buildctx b = { .an = an, .pg = pg, .err = st->err };
    int rc = LM_OK;
    int *colof = NULL, *colidx = NULL;
    int64_t *rowptr = NULL;
    float *val = NULL, *idf = NULL, *x = NULL;
    lmx_lsa mod = {0};
    for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
        rc = lmx_store_texts_scan(st, k, build_row, &b);
        if (rc && b.rc == LM_ESTATE) goto done;                /* message already set */
        if (rc && b.rc) rc = lmx_error_set(st->err, b.rc, "analyzing texts for vectors: %s", lm_errstr(b.rc));
    }
    if (rc) goto done;
    if (b.nrows < 3) { rc = lmx_error_set(st->err, LM_ESTATE, "too few records (%d) to build vectors", b.nrows); goto done; }
    /* Columns: terms in two or more records. */
    colof = malloc(sizeof(int) * (size_t)(b.vocab.n ? b.vocab.n : 1));
    if (!colof) { rc = LM_ENOMEM; goto done; }
    int ncols = 0;
    for (int v = 0; v < b.vocab.n; v++) colof[v] = b.vocab.t[v].w >= 2 ? ncols++ : -1;
    int64_t nnz = 0;
    for (int i = 0; i < b.nrows; i++)
        for (int j = 0; j < b.rows[i].n; j++) nnz += colof[b.rows[i].term[j]] >= 0;
    rowptr = malloc(sizeof(int64_t) * (size_t)(b.nrows + 1));
    colidx = malloc(sizeof(int) * (size_t)(nnz ? nnz : 1));
    val = malloc(sizeof(float) * (size_t)(nnz ? nnz : 1));
    idf = malloc(sizeof(float) * (size_t)(ncols ? ncols : 1));
    if (!rowptr || !colidx || !val || !idf) { rc = LM_ENOMEM; goto done; }
    for (int v = 0; v < b.vocab.n; v++)
        if (colof[v] >= 0) idf[colof[v]] = (float)log((double)b.nrows / b.vocab.t[v].w);
    int64_t p = 0;
    for (int i = 0; i < b.nrows; i++) {
        rowptr[i] = p;
        double norm = 0;
        int64_t start = p;
        for (int j = 0; j < b.rows[i].n; j++) {
            int c = colof[b.rows[i].term[j]];
            if (c < 0) continue;
            colidx[p] = c;
            val[p] = (float)((1.0 + log(b.rows[i].tf[j])) * idf[c]);
            norm += (double)val[p] * val[p];
            p++;
        }
        if (norm > 0)
            for (int64_t q = start; q < p; q++) val[q] = (float)(val[q] / sqrt(norm));
    }
    rowptr[b.nrows] = p;
    lmx_csr A = { b.nrows, ncols, rowptr, colidx, val };
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = dim;
    o.power_iters = 2;
    o.seed = 42;
    if ((rc = lmx_lsa_fit(&mod, NULL, &A, &o))) {
        rc = lmx_error_set(st->err, rc, "building the semantic model failed (%d records, %d terms): %s", b.nrows, ncols,
                           lm_errstr(rc));
        goto done;
    }
    /* Store the model and every record's vector. */
    const int d = mod.d;
    if ((rc = lmx_store_lsa_clear(st))) goto done;
    for (int v = 0; v < b.vocab.n && !rc; v++)
        if (colof[v] >= 0)
            rc = lmx_store_lsa_put(st, b.vocab.t[v].tok, b.vocab.t[v].len, idf[colof[v]], mod.proj + (size_t)colof[v] * d, d);
    if (!rc && !(x = malloc(sizeof(float) * (size_t)d))) rc = LM_ENOMEM;
    for (int i = 0; i < b.nrows && !rc; i++) {
        lmx_lsa_fold(&mod, colidx + rowptr[i], val + rowptr[i], (int)(rowptr[i + 1] - rowptr[i]), x);  /* zero if empty */
        rc = lmx_store_vec_put(st, LMX_SPACE_BUILTIN, b.rows[i].rid, x, d);
    }
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_dim", d);
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_records", b.nrows);
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_folded", 0);
done:
    if (rc == LM_ENOMEM) lmx_error_set(st->err, rc, "out of memory building vectors");
    lmx_lsa_free(&mod);
    free(x);
    free(colof);
    free(rowptr);
    free(colidx);
    free(val);
    free(idf);
    for (int i = 0; i < b.nrows; i++) { free(b.rows[i].term); free(b.rows[i].tf); }
    free(b.rows);
    lmx_qterms_free(&b.vocab);
    return rc;
}

/* ---- fold-in ---------------------------------------------------------------------- */

/* Project weighted terms through the stored model into out (d floats).
   Returns 1 when some term was known, 0 when none, < 0 on error. */
static int project(lmx_store *st, const lmx_qterms *t, int d, float *out)
{
    float *v = malloc(sizeof(float) * (size_t)d);
    if (!v) { lmx_error_set(st->err, LM_ENOMEM, "out of memory"); return -1; }
    memset(out, 0, sizeof(float) * (size_t)d);
    int known = 0;
    for (int j = 0; j < t->n; j++) {
        double idf;
        int r = lmx_store_lsa_term(st, t->t[j].tok, t->t[j].len, d, &idf, v);
        if (r < 0) { free(v); return -1; }
        if (!r) continue;
        float w = (float)((1.0 + log(t->t[j].w > 1 ? t->t[j].w : 1)) * idf);
        for (int i = 0; i < d; i++) out[i] += w * v[i];
        known = 1;
    }
    free(v);
    return known && lmx_vec_normalize(out, d);
}

int lmx_semantic_fold(lmx_store *st, const lmx_analyzer *an, int64_t rid, const lmx_record *r)
{
    int d = lmx_semantic_dim(st);
    if (d <= 0) return LM_OK;
    const char *texts[3] = { r->text[LMX_COL_TITLE], r->text[LMX_COL_BODY], r->text[LMX_COL_KEYWORDS] };
    lmx_qterms t = {0};
    float *x = malloc(sizeof(float) * (size_t)d);
    int rc = x ? record_terms(an, texts, &t) : LM_ENOMEM;
    if (rc) rc = lmx_error_set(st->err, rc, "folding record '%s' into the semantic space: %s", r->id, lm_errstr(rc));
    if (!rc && project(st, &t, d, x) < 0) rc = st->err->code;
    if (!rc) rc = lmx_store_vec_put(st, LMX_SPACE_BUILTIN, rid, x, d);
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_folded", lmx_store_meta_int(st, "lsa_folded", 0) + 1);
    lmx_qterms_free(&t);
    free(x);
    return rc;
}

/* ---- matrices of a space ------------------------------------------------------------ */

struct lmx_densecache {
    int n, d, cap;
    lmx_stamp stamp;
    float *M;
    int64_t *rid;      /* ascending */
    char **id;
    lmx_dense D;       /* M described once (its largest norm), for top-k */
};

static void cache_free(lmx_densecache *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) free(c->id[i]);
    free(c->id);
    free(c->M);
    free(c->rid);
    free(c);
}

void lmx_semantic_free(lmx_semantic *sem)
{
    for (int s = 0; s < LMX_NSPACES; s++)
        for (int k = 0; k <= LMX_NKINDS; k++) {
            cache_free(sem->m[s][k]);
            sem->m[s][k] = NULL;
        }
}

static int matrix_row(void *ctx, int64_t rid, const char *id, const float *v)
{
    lmx_densecache *c = ctx;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 256;
        float *nm = realloc(c->M, sizeof(float) * (size_t)cap * (size_t)c->d);
        if (nm) c->M = nm;
        int64_t *nr = realloc(c->rid, sizeof(int64_t) * (size_t)cap);
        if (nr) c->rid = nr;
        char **ni = realloc(c->id, sizeof(char *) * (size_t)cap);
        if (ni) c->id = ni;
        if (!nm || !nr || !ni) return LM_ENOMEM;
        c->cap = cap;
    }
    if (!(c->id[c->n] = lmx_strdup(id))) return LM_ENOMEM;
    c->rid[c->n] = rid;
    memcpy(c->M + (size_t)c->n * (size_t)c->d, v, sizeof(float) * (size_t)c->d);
    c->n++;
    return LM_OK;
}

/* The matrix of one space and kind at dimension d, loaded when stale. */
static int matrix(lmx_semantic *sem, lmx_store *st, int space, int kind, int d, lmx_densecache **out)
{
    lmx_stamp now = lmx_store_stamp(st, 0);
    lmx_densecache *c = sem->m[space][kind];
    if (c && lmx_stamp_eq(c->stamp, now) && c->d == d) { *out = c; return LM_OK; }
    cache_free(c);
    sem->m[space][kind] = NULL;
    *out = NULL;
    if (!(c = calloc(1, sizeof *c))) return lmx_error_set(st->err, LM_ENOMEM, "out of memory loading vectors");
    c->d = d;
    c->stamp = now;
    int rc = lmx_store_vec_scan(st, space, kind, d, matrix_row, c);
    if (rc == LM_ENOMEM) rc = lmx_error_set(st->err, rc, "out of memory loading vectors");
    if (!rc && (rc = lmx_dense_init(&c->D, c->M, c->n, d)))
        rc = lmx_error_set(st->err, rc, "stored vectors are out of range");
    if (rc) { cache_free(c); return rc; }
    sem->m[space][kind] = *out = c;
    return LM_OK;
}

/* The ncand records of a loaded matrix nearest to qv, best first. */
static int nearest(lmx_store *st, const lmx_densecache *c, const float *qv, int ncand, lmx_dense_hit **out, int *nout)
{
    int k = ncand < c->n ? ncand : c->n;
    int *idx = malloc(sizeof(int) * (size_t)(k ? k : 1));
    float *sc = malloc(sizeof(float) * (size_t)(k ? k : 1));
    lmx_dense_hit *h = malloc(sizeof *h * (size_t)(k ? k : 1));
    if (!idx || !sc || !h) { free(idx); free(sc); free(h); return lmx_error_set(st->err, LM_ENOMEM, "out of memory"); }
    int n = 0;
    int rc = lmx_dense_topk(&n, idx, sc, &c->D, qv, k, NULL);
    for (int i = 0; i < n; i++) { h[i].rid = c->rid[idx[i]]; h[i].cosine = sc[i]; }
    free(idx);
    free(sc);
    if (rc) { free(h); return lmx_error_set(st->err, rc, "dense top-k failed: %s", lm_errstr(rc)); }
    *out = h;
    *nout = n;
    return LM_OK;
}

int lmx_semantic_query(lmx_semantic *sem, lmx_store *st, const lmx_qterms *q, int kind, int ncand,
                       float **out_q, lmx_dense_hit **out_hits, int *out_n)
{
    *out_q = NULL;
    *out_hits = NULL;
    *out_n = 0;
    int d = lmx_semantic_dim(st);
    if (d <= 0) return LM_OK;
    float *qv = malloc(sizeof(float) * (size_t)d);
    if (!qv) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    int known = project(st, q, d, qv);
    if (known <= 0) { free(qv); return known < 0 ? st->err->code : LM_OK; }
    lmx_densecache *c;
    int rc = matrix(sem, st, LMX_SPACE_BUILTIN, kind, d, &c);
    if (!rc) rc = nearest(st, c, qv, ncand, out_hits, out_n);
    if (rc) { free(qv); return rc; }
    *out_q = qv;
    return LM_OK;
}

double lmx_semantic_cosine(const lmx_semantic *sem, int space, int kind, const float *q, int64_t rid)
{
    const lmx_densecache *c = sem->m[space][kind];
    if (!c || !q) return 0;
    int lo = 0, hi = c->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c->rid[mid] == rid) {
            double s = 0;
            for (int i = 0; i < c->d; i++) s += (double)q[i] * c->M[(size_t)mid * c->d + i];
            return s;
        }
        if (c->rid[mid] < rid) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* ---- external vectors (bring your own embeddings) ----------------------------------------- */

int lmx_external_check(lmx_store *st, const char *model, const float *v, int dim, int *fixed)
{
    *fixed = 0;
    if (!model || !*model || strlen(model) > 256)
        return lmx_error_set(st->err, LM_EINVAL, "a vector needs a model name (1 to 256 bytes)");
    if (!lmx_utf8_valid(model, strlen(model), NULL)) return lmx_error_set(st->err, LM_EINVAL_UTF8, "model name is not valid UTF-8");
    if (!v) return lmx_error_set(st->err, LM_EINVAL, "no vector (NULL)");
    if (dim < 1 || dim > LM_MAX_DIM) return lmx_error_set(st->err, LM_ERANGE, "dimension %d is not in 1..%d", dim, LM_MAX_DIM);
    for (int i = 0; i < dim; i++)
        if (!isfinite(v[i]))
            return lmx_error_set(st->err, LM_EINVAL, "vector component %d is %s", i, isnan(v[i]) ? "NaN" : "infinite");
    char m[300];
    int found = lmx_store_meta_get(st, "ext_model", m, sizeof m);
    if (found < 0) return st->err->code;
    int64_t d = lmx_store_meta_int(st, "ext_dim", 0);
    *fixed = found > 0;
    if (*fixed && (strcmp(m, model) != 0 || d != dim))
        return lmx_error_set(st->err, LM_EMISMATCH,
                             "this database's external vectors are '%s' of dimension %lld, not '%s' of dimension %d",
                             m, (long long)d, model, dim);
    return LM_OK;
}

int lmx_external_put(lmx_store *st, int64_t rid, const char *model, const float *v, int dim)
{
    int fixed, rc = lmx_external_check(st, model, v, dim, &fixed);
    if (!rc && !fixed) rc = lmx_store_meta_set_int(st, "ext_dim", dim);
    if (!rc && !fixed) rc = lmx_store_meta_set(st, "ext_model", model);
    if (!rc) rc = lmx_store_vec_put(st, LMX_SPACE_EXTERNAL, rid, v, dim);
    return rc;
}

int lmx_external_vector(lmx_store *st, int64_t rid, char *model, size_t mlen, float **out, int *dim)
{
    *out = NULL;
    *dim = 0;
    int found = lmx_store_meta_get(st, "ext_model", model, mlen);
    int d = (int)lmx_store_meta_int(st, "ext_dim", 0);
    if (found < 0) return st->err->code;
    if (!found || d < 1 || d > LM_MAX_DIM) return LM_OK;
    float *v = malloc(sizeof(float) * (size_t)d);
    if (!v) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    int r = lmx_store_vec_get(st, LMX_SPACE_EXTERNAL, rid, d, v);
    if (r <= 0) { free(v); return r < 0 ? st->err->code : LM_OK; }
    *out = v;
    *dim = d;
    return LM_OK;
}

int lmx_external_query(lmx_semantic *sem, lmx_store *st, const char *model, const float *q, int dim, int kind,
                       int ncand, lmx_dense_hit **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    int fixed, rc = lmx_external_check(st, model, q, dim, &fixed);
    if (rc) return rc;
    if (!fixed) return lmx_error_set(st->err, LM_EMISMATCH, "no external vectors are stored yet");
    float *qv = malloc(sizeof(float) * (size_t)dim);
    if (!qv) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    memcpy(qv, q, sizeof(float) * (size_t)dim);
    if (!lmx_vec_normalize(qv, dim)) { free(qv); return lmx_error_set(st->err, LM_EINVAL, "zero query vector"); }
    lmx_densecache *c;
    rc = matrix(sem, st, LMX_SPACE_EXTERNAL, kind, dim, &c);
    if (!rc) rc = nearest(st, c, qv, ncand, out, nout);
    free(qv);
    return rc;
}

/* ---- batch matching ------------------------------------------------------------------------- */

typedef struct {
    const lmx_densecache *Q, *M;
    int (*cb)(void *ctx, const char *from_id, int n, const char *const *ids, const float *scores);
    void *ctx;
    const char **ids;
    const lmx_progress *pg;
    lmx_error *err;
    int stopped;               /* the caller's callback stopped the batch */
} batchctx;

/* A record is not its own match. */
static int not_self(void *ctx, int qrow, int row)
{
    const batchctx *b = ctx;
    return b->M->rid[row] != b->Q->rid[qrow];
}

static int batch_row(void *ctx, int qrow, const int *idx, const float *score, int n)
{
    batchctx *b = ctx;
    for (int i = 0; i < n; i++) b->ids[i] = b->M->id[idx[i]];
    int rc = b->cb(b->ctx, b->Q->id[qrow], n, b->ids, score);
    if (rc) { b->stopped = 1; return rc; }
    if ((qrow + 1) % 256 == 0 || qrow + 1 == b->Q->n) {
        if (lmx_progress_report(b->pg, b->err, "batch", qrow + 1, b->Q->n)) { b->stopped = -1; return LM_ESTATE; }
    }
    return 0;
}

int lmx_semantic_batch(lmx_semantic *sem, lmx_store *st, int from, int to, int k,
                       int (*cb)(void *ctx, const char *from_id, int n, const char *const *ids, const float *scores),
                       void *ctx, const lmx_progress *pg)
{
    int d = lmx_semantic_dim(st);
    if (d <= 0) return lmx_error_set(st->err, LM_ESTATE, "no semantic vectors: call lm_vectors_build() first");
    lmx_densecache *Q, *M;
    int rc = matrix(sem, st, LMX_SPACE_BUILTIN, to, d, &M);
    if (!rc) rc = matrix(sem, st, LMX_SPACE_BUILTIN, from, d, &Q);
    if (rc) return rc;
    if (M->n == 0 || Q->n == 0) return LM_OK;
    batchctx b = { Q, M, cb, ctx, malloc(sizeof(char *) * (size_t)(k < M->n ? k : M->n)), pg, st->err, 0 };
    if (!b.ids) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
    if (from == to) { o.filter = not_self; o.filter_ctx = &b; }
    rc = lmx_dense_topk_batch(&M->D, Q->M, Q->n, k, &o, batch_row, &b);
    free(b.ids);
    if (rc && b.stopped > 0) return lmx_error_set(st->err, rc, "batch stopped by the callback (%d)", rc);
    if (rc && b.stopped < 0) return st->err->code;
    if (rc) return lmx_error_set(st->err, rc, "batch matching failed: %s", lm_errstr(rc));
    return LM_OK;
}
