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
#include <pthread.h>
#include <stdint.h>
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

int lmx_semantic_auto(lmx_store *st)
{
    return lmx_semantic_dim(st) > 0 && lmx_store_meta_int(st, "lsa_auto", 0) != 0;
}

int lmx_semantic_candidates(lmx_store *st, int n)
{
    if (n >= 0) return n;
    return lmx_semantic_auto(st) ? -1 : LMX_SEMANTIC_CANDIDATES;
}

/* ---- building ------------------------------------------------------------------ */

/*
** The texts are read by the calling thread and analyzed by lmx_threads()
** workers, a batch of rows at a time; batches are merged into the
** vocabulary and the sparse matrix in the order they were read, so the
** model does not depend on the number of threads.  The matrix is built in
** place: one array of (term, weight) entries for all rows, compacted to
** the model's columns (terms in two or more records) after the scan.
*/
#define BATCH_ROWS 256
#define NSLOTS 8                   /* batches in flight */

enum { B_FREE, B_FILLED, B_TAKEN, B_DONE };

typedef struct {
    int state, n, rc;
    int64_t rid[BATCH_ROWS];
    char *text;                    /* every row's three texts, NUL-terminated */
    size_t tlen, tcap;
    size_t toff[BATCH_ROWS][3];    /* offsets into text; SIZE_MAX: none */
    char *tok;                     /* the analyzed terms, concatenated */
    size_t klen, kcap;
    int *klens, nt, ntcap;         /* per term: its length ... */
    float *kw;                     /* ... and its weighted frequency */
    int rowend[BATCH_ROWS];        /* terms of row i end at rowend[i] */
} batch;

typedef struct {
    const lmx_analyzer *an;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    batch slot[NSLOTS];
    int64_t head, tail, next;      /* next to merge, next to fill, next to analyze */
    int quit, nworkers;
    pthread_t th[8];
    /* the merge, on the calling thread */
    lmx_qterms vocab;              /* term -> index; w = document frequency */
    int64_t *rowptr, *rids;
    int *colidx;
    float *val;
    int nrows, rcap;
    int64_t nnz, ncap;
    int rc;                        /* an analyzer or allocation failure */
    const lmx_progress *pg;
    int64_t total;                      /* progress total: 2 x records (analysis, then fold) */
    lmx_error *err;
} buildctx;

static int grow(void **p, size_t elem, size_t need, size_t *cap)
{
    if (need <= *cap) return LM_OK;
    size_t nc = *cap ? *cap : 256;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, elem * nc);
    if (!np) return LM_ENOMEM;
    *p = np;
    *cap = nc;
    return LM_OK;
}

/* Analyze one batch (a worker, or the calling thread without workers). */
static void analyze_batch(const lmx_analyzer *an, batch *b)
{
    b->klen = 0;
    b->nt = 0;
    b->rc = LM_OK;
    for (int i = 0; i < b->n && !b->rc; i++) {
        const char *texts[3];
        for (int c = 0; c < 3; c++) texts[c] = b->toff[i][c] == SIZE_MAX ? NULL : b->text + b->toff[i][c];
        lmx_qterms t = {0};
        int rc = record_terms(an, texts, &t);
        size_t ntcap = (size_t)b->ntcap, need = 0;
        for (int j = 0; j < t.n; j++) need += (size_t)t.t[j].len;
        if (!rc) rc = grow((void **)&b->tok, 1, b->klen + need, &b->kcap);
        size_t c1 = ntcap;
        if (!rc) rc = grow((void **)&b->klens, sizeof(int), (size_t)b->nt + (size_t)t.n, &ntcap);
        if (!rc) rc = grow((void **)&b->kw, sizeof(float), (size_t)b->nt + (size_t)t.n, &c1);
        if (!rc) b->ntcap = (int)(ntcap < c1 ? ntcap : c1);
        for (int j = 0; j < t.n && !rc; j++) {
            memcpy(b->tok + b->klen, t.t[j].tok, (size_t)t.t[j].len);
            b->klen += (size_t)t.t[j].len;
            b->klens[b->nt] = t.t[j].len;
            b->kw[b->nt++] = (float)t.t[j].w;
        }
        b->rowend[i] = b->nt;
        lmx_qterms_free(&t);
        b->rc = rc;
    }
}

static void *worker(void *p)
{
    buildctx *c = p;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->quit && c->next == c->tail) pthread_cond_wait(&c->work, &c->mu);
        if (c->next == c->tail) break;                      /* quit, nothing left */
        batch *b = &c->slot[c->next++ % NSLOTS];
        b->state = B_TAKEN;
        pthread_mutex_unlock(&c->mu);
        analyze_batch(c->an, b);
        pthread_mutex_lock(&c->mu);
        b->state = B_DONE;
        pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Merge an analyzed batch into the vocabulary and the matrix. */
static int merge_batch(buildctx *c, batch *b)
{
    if (b->rc) return b->rc;
    size_t rcap = (size_t)c->rcap, rcap2 = rcap, ncap = (size_t)c->ncap, ncap2 = ncap;
    int rc = grow((void **)&c->rowptr, sizeof(int64_t), (size_t)c->nrows + (size_t)b->n + 1, &rcap);
    if (!rc) rc = grow((void **)&c->rids, sizeof(int64_t), (size_t)c->nrows + (size_t)b->n + 1, &rcap2);
    if (!rc) rc = grow((void **)&c->colidx, sizeof(int), (size_t)c->nnz + (size_t)b->nt, &ncap);
    if (!rc) rc = grow((void **)&c->val, sizeof(float), (size_t)c->nnz + (size_t)b->nt, &ncap2);
    if (rc) return rc;
    c->rcap = (int)(rcap < rcap2 ? rcap : rcap2);
    c->ncap = (int64_t)(ncap < ncap2 ? ncap : ncap2);
    size_t off = 0;
    for (int i = 0, j = 0; i < b->n; i++) {
        c->rowptr[c->nrows] = c->nnz;
        c->rids[c->nrows] = b->rid[i];
        for (; j < b->rowend[i]; j++) {
            const char *tok = b->tok + off;
            off += (size_t)b->klens[j];
            if ((rc = lmx_qterms_add(&c->vocab, tok, b->klens[j], 1.0, 0))) return rc;     /* df += 1 */
            c->colidx[c->nnz] = lmx_qterms_find(&c->vocab, tok, b->klens[j]);
            c->val[c->nnz++] = b->kw[j];
        }
        c->nrows++;
        c->rowptr[c->nrows] = c->nnz;
        if (c->nrows % 1000 == 0 && lmx_progress_report(c->pg, c->err, "vectors", c->nrows, c->total)) return LM_ESTATE;
    }
    return LM_OK;
}

/* Merge the oldest batch once it is analyzed (waiting for it when `wait`);
   1 when one was merged. */
static int merge_next(buildctx *c, int wait)
{
    pthread_mutex_lock(&c->mu);
    batch *b = &c->slot[c->head % NSLOTS];
    while (wait && c->head < c->tail && b->state != B_DONE) pthread_cond_wait(&c->done, &c->mu);
    int ready = c->head < c->tail && b->state == B_DONE;
    pthread_mutex_unlock(&c->mu);
    if (!ready) return 0;
    if (!c->rc) c->rc = merge_batch(c, b);          /* after a failure: drained, not merged */
    pthread_mutex_lock(&c->mu);
    b->state = B_FREE;
    c->head++;
    pthread_mutex_unlock(&c->mu);
    return 1;
}

/* Hand the filling batch to the workers (or analyze it here). */
static void submit(buildctx *c)
{
    batch *b = &c->slot[c->tail % NSLOTS];
    if (!b->n) return;
    if (!c->nworkers) {
        analyze_batch(c->an, b);
        b->state = B_DONE;
        c->tail++;
        merge_next(c, 0);
        return;
    }
    pthread_mutex_lock(&c->mu);
    b->state = B_FILLED;
    c->tail++;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->mu);
    while (merge_next(c, 0)) {}
    while (c->tail - c->head >= NSLOTS) merge_next(c, 1);         /* the ring is full: wait */
}

static int build_row(void *ctx, int64_t rid, const char *const texts[3])
{
    buildctx *c = ctx;
    if (c->rc) return c->rc;
    batch *b = &c->slot[c->tail % NSLOTS];
    if (b->state != B_FREE) return c->rc = LM_ESTATE;          /* not reached: submit() waits */
    if (b->n == 0) b->tlen = 0;
    size_t need = 3;
    for (int k = 0; k < 3; k++) need += texts[k] ? strlen(texts[k]) : 0;
    if (grow((void **)&b->text, 1, b->tlen + need, &b->tcap)) return c->rc = LM_ENOMEM;
    for (int k = 0; k < 3; k++) {
        if (!texts[k] || !*texts[k]) { b->toff[b->n][k] = SIZE_MAX; continue; }
        size_t l = strlen(texts[k]);
        b->toff[b->n][k] = b->tlen;
        memcpy(b->text + b->tlen, texts[k], l + 1);
        b->tlen += l + 1;
    }
    b->rid[b->n++] = rid;
    if (b->n == BATCH_ROWS) {
        submit(c);
        c->slot[c->tail % NSLOTS].n = 0;
    }
    return c->rc;
}

/* Read and analyze every stored text into c's vocabulary and matrix. */
static int read_texts(lmx_store *st, buildctx *c)
{
    int rc = LM_OK;
    int want = lmx_threads();
    if (want > 8) want = 8;
    if (pthread_mutex_init(&c->mu, NULL)) return LM_ENOMEM;
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->done, NULL);
    for (int i = 0; i < want && want > 1; i++) {
        if (pthread_create(&c->th[c->nworkers], NULL, worker, c)) break;
        c->nworkers++;
    }
    for (int k = 1; k <= LMX_NKINDS && !rc && !c->rc; k++) rc = lmx_store_texts_scan(st, k, build_row, c);
    if (!rc && !c->rc) submit(c);
    while (c->head < c->tail) merge_next(c, 1);
    pthread_mutex_lock(&c->mu);
    c->quit = 1;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nworkers; i++) pthread_join(c->th[i], NULL);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->mu);
    for (int i = 0; i < NSLOTS; i++) {
        batch *b = &c->slot[i];
        free(b->text); free(b->tok); free(b->klens); free(b->kw);
    }
    if (c->rc == LM_ESTATE) return LM_ESTATE;                  /* stopped by progress: message set */
    if (c->rc) return lmx_error_set(st->err, c->rc, "analyzing texts for vectors: %s", lm_errstr(c->rc));
    return rc;
}

typedef struct { const lmx_qterm *t; } termref;

static int by_term(const void *a, const void *b)
{
    const lmx_qterm *x = ((const termref *)a)->t, *y = ((const termref *)b)->t;
    int n = x->len < y->len ? x->len : y->len, c = memcmp(x->tok, y->tok, (size_t)n);
    return c ? c : x->len - y->len;
}

/* Rows stored per round of folding: the vectors of a round are computed in
   parallel, then written. */
#define FOLD_ROWS 8192

int lmx_semantic_build(lmx_store *st, const lmx_analyzer *an, int dim, int automatic, const lmx_progress *pg)
{
    buildctx b = { .an = an, .pg = pg, .err = st->err };
    int rc = LM_OK;
    int *colof = NULL;
    float *idf = NULL, *x = NULL;
    termref *order = NULL;
    lmx_lsa mod = {0};
    int64_t nrec = 0;
    if ((rc = lmx_store_count(st, 0, &nrec))) goto done;
    b.total = 2 * nrec;
    if ((rc = read_texts(st, &b))) goto done;
    if (b.nrows < 3) { rc = lmx_error_set(st->err, LM_ESTATE, "too few records (%d) to build vectors", b.nrows); goto done; }
    b.total = 2 * (int64_t)b.nrows;
    /* Columns: terms in two or more records. */
    colof = malloc(sizeof(int) * (size_t)(b.vocab.n ? b.vocab.n : 1));
    if (!colof) { rc = LM_ENOMEM; goto done; }
    int ncols = 0;
    for (int v = 0; v < b.vocab.n; v++) colof[v] = b.vocab.t[v].w >= 2 ? ncols++ : -1;
    if (ncols < 2) {        /* nothing to reduce: no space to build */
        rc = lmx_error_set(st->err, LM_ESTATE, "too few shared terms to build vectors: %d of the %d records' terms "
                           "occur in two or more records (at least 2 are needed)", ncols, b.nrows);
        goto done;
    }
    idf = malloc(sizeof(float) * (size_t)(ncols ? ncols : 1));
    if (!idf) { rc = LM_ENOMEM; goto done; }
    for (int v = 0; v < b.vocab.n; v++)
        if (colof[v] >= 0) idf[colof[v]] = (float)log((double)b.nrows / b.vocab.t[v].w);
    /* Compact the matrix in place to those columns, TF-IDF weighted, rows
       L2-normalized. */
    int64_t p = 0;
    for (int i = 0; i < b.nrows; i++) {
        int64_t from = b.rowptr[i], to = b.rowptr[i + 1], start = p;
        double norm = 0;
        b.rowptr[i] = p;
        for (int64_t k = from; k < to; k++) {
            int c = colof[b.colidx[k]];
            if (c < 0) continue;
            b.colidx[p] = c;
            b.val[p] = (float)((1.0 + log(b.val[k])) * idf[c]);
            norm += (double)b.val[p] * b.val[p];
            p++;
        }
        if (norm > 0)
            for (int64_t q = start; q < p; q++) b.val[q] = (float)(b.val[q] / sqrt(norm));
    }
    b.rowptr[b.nrows] = p;
    lmx_csr A = { b.nrows, ncols, b.rowptr, b.colidx, b.val };
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = dim;
    o.power_iters = 2;
    o.seed = 42;
    if ((rc = lmx_lsa_fit(&mod, NULL, &A, &o))) {
        if (rc == LM_ERANGE)            /* every weight 0: each shared term is in every record (IDF 0) */
            rc = lmx_error_set(st->err, LM_ESTATE, "nothing to build vectors from: the %d terms that occur in two or "
                               "more of the %d records occur in all of them", ncols, b.nrows);
        else
            rc = lmx_error_set(st->err, rc, "building the semantic model failed (%d records, %d terms): %s", b.nrows,
                               ncols, lm_errstr(rc));
        goto done;
    }
    /* Store the model (terms in byte order: appends to the table's B-tree)
       and every record's vector. */
    const int d = mod.d;
    if ((rc = lmx_store_lsa_clear(st))) goto done;
    if (!(order = malloc(sizeof *order * (size_t)(ncols ? ncols : 1)))) { rc = LM_ENOMEM; goto done; }
    int nt = 0;
    for (int v = 0; v < b.vocab.n; v++)
        if (colof[v] >= 0) order[nt++].t = &b.vocab.t[v];
    qsort(order, (size_t)nt, sizeof *order, by_term);
    for (int i = 0; i < nt && !rc; i++) {
        const lmx_qterm *t = order[i].t;
        int c = colof[t - b.vocab.t];
        rc = lmx_store_lsa_put(st, t->tok, t->len, idf[c], mod.proj + (size_t)c * d, d);
    }
    if (!rc && !(x = malloc(sizeof(float) * (size_t)d * FOLD_ROWS))) rc = LM_ENOMEM;
    for (int r0 = 0; r0 < b.nrows && !rc; r0 += FOLD_ROWS) {
        int nr = b.nrows - r0 < FOLD_ROWS ? b.nrows - r0 : FOLD_ROWS;
        lmx_lsa_fold_rows(&mod, &A, r0, nr, x);                 /* zero for an empty row */
        for (int i = 0; i < nr && !rc; i++) rc = lmx_store_vec_put(st, LMX_SPACE_BUILTIN, b.rids[r0 + i], x + (size_t)i * d, d);
        if (!rc && lmx_progress_report(pg, st->err, "vectors", b.nrows + r0 + nr, b.total)) rc = LM_ESTATE;
    }
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_dim", d);
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_records", b.nrows);
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_folded", 0);
    if (!rc) rc = lmx_store_meta_set_int(st, "lsa_auto", automatic ? 1 : 0);
done:
    if (rc == LM_ENOMEM) lmx_error_set(st->err, rc, "out of memory building vectors");
    lmx_lsa_free(&mod);
    free(x);
    free(order);
    free(colof);
    free(idf);
    free(b.rowptr);
    free(b.rids);
    free(b.colidx);
    free(b.val);
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
    int rc = lmx_store_vec_scan(st, space, kind, d, INT64_MIN, matrix_row, c);
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

/*
** The built-in vectors of n records of one kind, row i of out (n x d) for
** rids[i]; has[i] = 1 when it has one (else its row is zeros).  From the
** kind's matrix when a query already loaded it and it is current, else one
** stored row each: a few hundred candidates need no whole matrix in memory.
*/
int lmx_semantic_vectors(lmx_semantic *sem, lmx_store *st, int kind, const int64_t *rids, int n, int d,
                         float *out, unsigned char *has)
{
    const lmx_densecache *c = kind >= 0 && kind <= LMX_NKINDS ? sem->m[LMX_SPACE_BUILTIN][kind] : NULL;
    if (c && (c->d != d || !lmx_stamp_eq(c->stamp, lmx_store_stamp(st, 0)))) c = NULL;
    for (int i = 0; i < n; i++) {
        float *row = out + (size_t)i * (size_t)d;
        has[i] = 0;
        if (c) {
            int lo = 0, hi = c->n - 1;
            while (lo <= hi) {
                int mid = (lo + hi) / 2;
                if (c->rid[mid] == rids[i]) {
                    memcpy(row, c->M + (size_t)mid * (size_t)d, sizeof(float) * (size_t)d);
                    has[i] = 1;
                    break;
                }
                if (c->rid[mid] < rids[i]) lo = mid + 1;
                else hi = mid - 1;
            }
        } else {
            int r = lmx_store_vec_get(st, LMX_SPACE_BUILTIN, rids[i], d, row);
            if (r < 0) return st->err->code;
            has[i] = r > 0;
        }
        if (!has[i]) memset(row, 0, sizeof(float) * (size_t)d);
    }
    return LM_OK;
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
    if (sem->batch_budget > 0) {
        /* Whole matrices when both fit (or are loaded already), else
           streamed: the cached ones are dropped, not kept beside. */
        int64_t nq = 0, nm = 0;
        int rc = lmx_store_count(st, from, &nq);
        if (!rc) rc = lmx_store_count(st, to, &nm);
        if (rc) return rc;
        lmx_densecache *cq = sem->m[LMX_SPACE_BUILTIN][from], *cm = sem->m[LMX_SPACE_BUILTIN][to];
        int64_t need = (cq ? 0 : nq) + (cm || to == from ? 0 : nm);     /* one matrix when from == to */
        int64_t held = (cq ? cq->n : 0) + (cm && cm != cq ? cm->n : 0);
        if ((need + held) * (int64_t)(sizeof(float) * (size_t)d + 48) > sem->batch_budget) {
            for (int k2 = 0; k2 <= LMX_NKINDS; k2++) {
                cache_free(sem->m[LMX_SPACE_BUILTIN][k2]);
                sem->m[LMX_SPACE_BUILTIN][k2] = NULL;
            }
            return lmx_semantic_batch_budget(st, d, from, to, k, sem->batch_budget, cb, ctx, pg);
        }
    }
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
