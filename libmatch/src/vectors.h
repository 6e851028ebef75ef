/*
** vectors.h -- internal vector math (vectors.c): randomized truncated SVD of
** a sparse matrix, fold-in, exact dense top-k.  Not public ABI.
*/
#ifndef LM_VECTORS_H
#define LM_VECTORS_H

#include <stdint.h>

/* A sparse row-major matrix: rows = records, columns = terms. */
typedef struct {
    int nrows, ncols;
    const int64_t *rowptr;   /* nrows + 1 */
    const int *colidx;
    const float *val;
} lmx_csr;

/*
** Rank-d latent semantic model of A: *out_proj (malloc'ed, ncols x d,
** row-major) holds the top right singular vectors, so that a record's vector
** is normalize(x . P) for its sparse row x.  d is clipped to the matrix size
** (*out_d).  Reproducible for a given seed.  LM_OK, LM_ENOMEM, LM_ERANGE
** (matrix too small), LM_ERROR (LAPACK failed).
*/
int lmx_lsa_build(const lmx_csr *A, int d, int power_iters, uint64_t seed, float **out_proj, int *out_d);

/* out (d) = normalize(sum_k weights[k] * proj[terms[k]]); zero if empty. */
void lmx_fold_in(const float *proj, int d, const int *terms, const float *weights, int nnz, float *out);

/* L2-normalize in place; returns 0 (and zeroes v) for a zero/non-finite norm. */
int lmx_vec_normalize(float *v, int d);
/* 1 when every component is finite. */
int lmx_vec_check(const float *v, int d);

/*
** Exact top-k of M q (M: n x d row-major) with cblas_sgemv and a bounded heap;
** best first, ties by lower index.  Returns the count (<= k), -1 on ENOMEM.
*/
int lmx_topk(const float *M, int n, int d, const float *q, int k, int *idx, float *score);
/* The same over precomputed scores s[0..n). */
int lmx_topk_scores(const float *s, int n, int k, int *idx, float *score);

#endif
