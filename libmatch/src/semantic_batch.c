/*
** semantic_batch.c -- batch matching in the built-in space within a memory
** budget (semantic.h): the query and candidate vectors are read from the
** store in row ranges that fit the budget, never as whole matrices, and
** every query's top k is merged across the candidate shards.
**
** The result is the in-memory batch's, hit for hit and score for score:
** each shard's top k is exact (lmx_dense_topk_batch), the merge keeps the k
** best by the exact score (lmx_dot_exact, the score the in-memory path
** sorts on) with ties to the lower row id, as the in-memory path breaks them
** (its rows are in row-id order).  Hits are reported per query in row order,
** as there.  Each query block costs one pass over the candidate vectors, so
** the budget should hold all queries where it can: they get half of it.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "semantic.h"
#include "topk.h"
#include "util.h"
#include "vectors.h"

/* Rows of vectors read from the store: a block of queries or a shard of
   candidates. */
typedef struct {
    int n, cap, d;
    int64_t after;       /* row id of the last row read (the next block starts above it) */
    int done;            /* the scan reached the end */
    float *M;
    int64_t *rid;
    char **id;
} rows;

static void rows_clear(rows *r)
{
    for (int i = 0; i < r->n; i++) free(r->id[i]);
    r->n = 0;
}

static void rows_free(rows *r)
{
    rows_clear(r);
    free(r->M);
    free(r->rid);
    free(r->id);
    memset(r, 0, sizeof *r);
}

static int rows_init(rows *r, int cap, int d)
{
    memset(r, 0, sizeof *r);
    r->cap = cap;
    r->d = d;
    r->after = INT64_MIN;
    r->M = malloc(sizeof(float) * (size_t)cap * (size_t)d);
    r->rid = malloc(sizeof(int64_t) * (size_t)cap);
    r->id = malloc(sizeof(char *) * (size_t)cap);
    return r->M && r->rid && r->id ? LM_OK : LM_ENOMEM;
}

#define ROWS_FULL (-1)       /* the scan callback's "stop: the block is full" */

static int rows_add(void *ctx, int64_t rid, const char *id, const float *v)
{
    rows *r = ctx;
    if (!(r->id[r->n] = lmx_strdup(id))) return LM_ENOMEM;
    r->rid[r->n] = rid;
    memcpy(r->M + (size_t)r->n * (size_t)r->d, v, sizeof(float) * (size_t)r->d);
    r->after = rid;
    return ++r->n == r->cap ? ROWS_FULL : LM_OK;
}

/* The next block of rows of kind (after r->after); r->n == 0 at the end. */
static int rows_next(rows *r, lmx_store *st, int kind)
{
    rows_clear(r);
    if (r->done) return LM_OK;
    int rc = lmx_store_vec_scan(st, LMX_SPACE_BUILTIN, kind, r->d, r->after, rows_add, r);
    if (rc == ROWS_FULL) return LM_OK;
    if (rc == LM_ENOMEM) return lmx_error_set(st->err, rc, "out of memory reading vectors");
    if (!rc) r->done = 1;
    return rc;
}

/* Every query's best k so far: entries (exact score, candidate row id), the
   candidate's id by slot. */
typedef struct {
    int k;
    lmx_topk *best;      /* per query of the block */
    char **ids;          /* per query, k slots */
} merged;

typedef struct {
    const rows *Q, *M;
    merged *acc;
} shardctx;

static int not_self(void *ctx, int qrow, int row)
{
    const shardctx *s = ctx;
    return s->M->rid[row] != s->Q->rid[qrow];
}

/* One query's exact top k of one shard, merged into its best k. */
static int shard_row(void *ctx, int qrow, const int *idx, const float *score, int n)
{
    (void)score;         /* the float; the merge needs the double it rounds */
    shardctx *s = ctx;
    const int d = s->M->d;
    lmx_topk *t = &s->acc->best[qrow];
    char **ids = s->acc->ids + (size_t)qrow * (size_t)s->acc->k;
    const float *q = s->Q->M + (size_t)qrow * (size_t)d;
    for (int i = 0; i < n; i++) {
        double e = lmx_dot_exact(s->M->M + (size_t)idx[i] * (size_t)d, q, d);
        int slot = -1;
        if (lmx_topk_push(t, e, s->M->rid[idx[i]], &slot)) return LM_ENOMEM;
        if (slot < 0) break;                 /* the shard's next hits rank lower still */
        char *id = lmx_strdup(s->M->id[idx[i]]);
        if (!id) return LM_ENOMEM;
        free(ids[slot]);
        ids[slot] = id;
    }
    return LM_OK;
}

/* Per query row cost of the budget: its vector and id, and its best k. */
static size_t query_cost(int d, int k)
{
    return sizeof(float) * (size_t)d + 48 + (size_t)k * (sizeof(double) + sizeof(int64_t) + sizeof(int) + 48);
}

static size_t cand_cost(int d)
{
    return sizeof(float) * (size_t)d + 48;
}

int lmx_semantic_batch_budget(lmx_store *st, int d, int from, int to, int k, int64_t budget,
                              int (*cb)(void *ctx, const char *from_id, int n, const char *const *ids,
                                        const float *scores),
                              void *ctx, const lmx_progress *pg)
{
    int64_t nq_all = 0, nm_all = 0;
    int rc = lmx_store_count(st, from, &nq_all);
    if (!rc) rc = lmx_store_count(st, to, &nm_all);
    if (rc) return rc;
    if (nq_all == 0 || nm_all == 0) return LM_OK;
    /* The top-k's scratch (a block of qb x rb scores) takes up to an
       eighth of the budget: the in-memory batch's blocks when that fits
       (so that sgemm runs as efficiently), smaller ones when not.  Then
       queries get half of the rest (all of them when they fit), the
       candidate shards what remains. */
    const size_t qc = query_cost(d, k), mc = cand_cost(d);
    int qb = 256, rb = 16384;
    while ((int64_t)qb * rb * (int64_t)sizeof(float) > budget / 8 && rb > 256) rb /= 2;
    while ((int64_t)qb * rb * (int64_t)sizeof(float) > budget / 8 && qb > 16) qb /= 2;
    int64_t left = budget - (int64_t)qb * rb * (int64_t)sizeof(float);
    int64_t qrows = left / 2 / (int64_t)qc;
    if (qrows > nq_all) qrows = nq_all;
    if (qrows > 1 << 20) qrows = 1 << 20;
    if (qrows < 1) qrows = 1;
    int64_t mrows = (left - qrows * (int64_t)qc) / (int64_t)mc;
    if (mrows > nm_all) mrows = nm_all;
    if (mrows > 1 << 20) mrows = 1 << 20;
    if (mrows < 1) mrows = 1;
    lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
    o.qblock = qb;
    o.rblock = mrows < rb ? (int)mrows : rb;

    rows Q, M;
    merged acc = { k, NULL, NULL };
    const char **out_ids = NULL;
    float *out_sc = NULL;
    int *order = NULL;
    int qr = rows_init(&Q, (int)qrows, d), mr = rows_init(&M, (int)mrows, d);
    acc.best = calloc((size_t)qrows, sizeof *acc.best);
    acc.ids = calloc((size_t)qrows * (size_t)k, sizeof *acc.ids);
    out_ids = malloc(sizeof *out_ids * (size_t)k);
    out_sc = malloc(sizeof *out_sc * (size_t)k);
    order = malloc(sizeof *order * (size_t)k);
    if (qr || mr || !acc.best || !acc.ids || !out_ids || !out_sc || !order) {
        rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory for a batch of %lld queries and %lld candidates",
                           (long long)qrows, (long long)mrows);
        goto done;
    }
    int64_t qdone = 0;
    int any_cand = 0;
    while (!rc && !(rc = rows_next(&Q, st, from)) && Q.n > 0) {
        for (int j = 0; j < Q.n; j++) lmx_topk_init(&acc.best[j], k);
        M.after = INT64_MIN;
        M.done = 0;
        int64_t mdone = 0;
        shardctx sc = { &Q, &M, &acc };
        if (from == to) { o.filter = not_self; o.filter_ctx = &sc; }
        while (!rc && !(rc = rows_next(&M, st, to)) && M.n > 0) {
            any_cand = 1;
            lmx_dense D;
            if ((rc = lmx_dense_init(&D, M.M, M.n, d))) {
                rc = lmx_error_set(st->err, rc, "stored vectors are out of range");
                break;
            }
            rc = lmx_dense_topk_batch(&D, Q.M, Q.n, k, &o, shard_row, &sc);
            if (rc) {
                rc = lmx_error_set(st->err, rc, rc == LM_ENOMEM ? "out of memory in batch matching"
                                                                : "batch matching failed: %s", lm_errstr(rc));
                break;
            }
            mdone += M.n;
            /* Progress in queries: this block counts by the share of
               candidates scanned. */
            int64_t at = qdone + (int64_t)((double)Q.n * (double)mdone / (double)(nm_all > mdone ? nm_all : mdone));
            if (at >= qdone + Q.n) at = qdone + Q.n - 1;
            rc = lmx_progress_report(pg, st->err, "batch", at, nq_all);
        }
        if (rc) break;
        if (!any_cand) break;                    /* no candidate vectors: no calls, as in memory */
        for (int j = 0; j < Q.n && !rc; j++) {
            lmx_topk *t = &acc.best[j];
            char **ids = acc.ids + (size_t)j * (size_t)k;
            int n = t->n;
            lmx_topk_sort(t, order);
            for (int i = 0; i < n; i++) {
                out_ids[i] = ids[order[i]];
                out_sc[i] = (float)t->score[order[i]];
            }
            int urc = cb(ctx, Q.id[j], n, out_ids, out_sc);
            if (urc) rc = lmx_error_set(st->err, urc, "batch stopped by the callback (%d)", urc);
        }
        for (int j = 0; j < Q.n; j++) {
            lmx_topk_free(&acc.best[j]);
            for (int i = 0; i < k; i++) {
                free(acc.ids[(size_t)j * (size_t)k + i]);
                acc.ids[(size_t)j * (size_t)k + i] = NULL;
            }
        }
        qdone += Q.n;
        if (!rc) rc = lmx_progress_report(pg, st->err, "batch", qdone, nq_all > qdone ? nq_all : qdone);
    }
done:
    if (acc.best)
        for (int64_t j = 0; j < qrows; j++) lmx_topk_free(&acc.best[j]);
    if (acc.ids)
        for (int64_t i = 0; i < qrows * k; i++) free(acc.ids[i]);
    free(acc.best);
    free(acc.ids);
    free(out_ids);
    free(out_sc);
    free(order);
    rows_free(&Q);
    rows_free(&M);
    return rc;
}
