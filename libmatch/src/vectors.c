/*
** vectors.c -- latent semantic vectors on OpenBLAS/LAPACK: a truncated SVD
** of the sparse TF-IDF record x term matrix by a randomized range finder
** (Halko, Martinsson, Tropp 2011), and exact dense top-k by sgemv.
**
**   Y = A Omega            (A: n x m sparse CSR, Omega: m x l Gaussian, l = d + p)
**   repeat q times: Q = qr(Y); Z = A^T Q; Q' = qr(Z); Y = A Q'
**   Q = qr(Y); Bt = A^T Q  (m x l: B = Q^T A, transposed)
**   G = Bt^T Bt = W Lambda W^T (l x l, ssyevd)
**   V = Bt W Lambda^(-1/2) (m x l): the right singular vectors of A; keep d.
**
** Memory is O((n + m) l): no dense n x m matrix is ever formed.  The seed
** fixes Omega, so a build is reproducible.
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include "libmatch.h"
#include "vectors.h"

/* LAPACK (Fortran symbols, from -llapack / OpenBLAS). */
extern void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work,
                    const int *lwork, int *info);
extern void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau,
                    float *work, const int *lwork, int *info);
extern void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
                    float *work, const int *lwork, int *iwork, const int *liwork, int *info);

/* xorshift64* and Box-Muller: a reproducible Gaussian stream. */
static double gauss(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        u[i] = ((double)((*s * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Orthonormalize the columns of the column-major r x c matrix a (r >= c). */
static int orthonormalize(float *a, int r, int c)
{
    int info = 0, lwork = -1;
    float q, *tau = malloc(sizeof(float) * (size_t)c);
    if (!tau) return LM_ENOMEM;
    sgeqrf_(&r, &c, a, &r, tau, &q, &lwork, &info);
    lwork = (int)q + 1;
    float *work = malloc(sizeof(float) * (size_t)lwork);
    if (!work) { free(tau); return LM_ENOMEM; }
    sgeqrf_(&r, &c, a, &r, tau, work, &lwork, &info);
    if (info == 0) sorgqr_(&r, &c, &c, a, &r, tau, work, &lwork, &info);
    free(work);
    free(tau);
    return info ? LM_ERROR : LM_OK;
}

/* Y (n x l, column-major) = A X, X (m x l, column-major). */
static void spmm(const lmx_csr *A, const float *X, int l, float *Y)
{
    memset(Y, 0, sizeof(float) * (size_t)A->nrows * (size_t)l);
    for (int r = 0; r < A->nrows; r++)
        for (int64_t k = A->rowptr[r]; k < A->rowptr[r + 1]; k++) {
            float v = A->val[k];
            int c = A->colidx[k];
            for (int j = 0; j < l; j++) Y[(size_t)j * A->nrows + r] += v * X[(size_t)j * A->ncols + c];
        }
}

/* Z (m x l) = A^T Y, Y (n x l). */
static void spmm_t(const lmx_csr *A, const float *Y, int l, float *Z)
{
    memset(Z, 0, sizeof(float) * (size_t)A->ncols * (size_t)l);
    for (int r = 0; r < A->nrows; r++)
        for (int64_t k = A->rowptr[r]; k < A->rowptr[r + 1]; k++) {
            float v = A->val[k];
            int c = A->colidx[k];
            for (int j = 0; j < l; j++) Z[(size_t)j * A->ncols + c] += v * Y[(size_t)j * A->nrows + r];
        }
}

int lmx_lsa_build(const lmx_csr *A, int d, int power_iters, uint64_t seed, float **out_proj, int *out_d)
{
    *out_proj = NULL;
    *out_d = 0;
    int n = A->nrows, m = A->ncols;
    if (n < 2 || m < 2) return LM_ERANGE;
    if (d > n - 1) d = n - 1;
    if (d > m - 1) d = m - 1;
    if (d < 1) return LM_ERANGE;
    int l = d + 10;
    if (l > n) l = n;
    if (l > m) l = m;
    float *Om = malloc(sizeof(float) * (size_t)m * l), *Y = malloc(sizeof(float) * (size_t)n * l);
    float *Z = malloc(sizeof(float) * (size_t)m * l), *G = malloc(sizeof(float) * (size_t)l * l);
    float *w = malloc(sizeof(float) * (size_t)l);
    int rc = LM_OK;
    if (!Om || !Y || !Z || !G || !w) { rc = LM_ENOMEM; goto done; }
    uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < (size_t)m * l; i++) Om[i] = (float)gauss(&s);
    spmm(A, Om, l, Y);
    for (int it = 0; it < power_iters; it++) {
        if ((rc = orthonormalize(Y, n, l))) goto done;
        spmm_t(A, Y, l, Z);
        if ((rc = orthonormalize(Z, m, l))) goto done;
        spmm(A, Z, l, Y);
    }
    if ((rc = orthonormalize(Y, n, l))) goto done;
    spmm_t(A, Y, l, Z);                                   /* Z = Bt, m x l */
    cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, l, l, m, 1.0f, Z, m, Z, m, 0.0f, G, l);
    {
        int info = 0, lwork = -1, liwork = -1, iw;
        float wq;
        ssyevd_("V", "U", &l, G, &l, w, &wq, &lwork, &iw, &liwork, &info);
        lwork = (int)wq + 1;
        liwork = iw + 1;
        float *work = malloc(sizeof(float) * (size_t)lwork);
        int *iwork = malloc(sizeof(int) * (size_t)liwork);
        if (!work || !iwork) { free(work); free(iwork); rc = LM_ENOMEM; goto done; }
        ssyevd_("V", "U", &l, G, &l, w, work, &lwork, iwork, &liwork, &info);
        free(work);
        free(iwork);
        if (info) { rc = LM_ERROR; goto done; }
    }
    /* Eigenvalues ascend: the top d are the last columns.  Scale each by
       1/sigma so that V's columns are unit vectors. */
    float *W = malloc(sizeof(float) * (size_t)l * d);
    float *P = malloc(sizeof(float) * (size_t)m * d);
    if (!W || !P) { free(W); free(P); rc = LM_ENOMEM; goto done; }
    int kept = 0;
    for (int j = 0; j < d; j++) {
        int src = l - 1 - j;
        float sigma = w[src] > 0 ? sqrtf(w[src]) : 0;
        for (int i = 0; i < l; i++) W[(size_t)j * l + i] = sigma > 1e-6f ? G[(size_t)src * l + i] / sigma : 0;
        if (sigma > 1e-6f) kept++;
    }
    /* V (m x d, column-major) = Bt W; stored row-major m x d as P[t*d + j]. */
    float *V = malloc(sizeof(float) * (size_t)m * d);
    if (!V) { free(W); free(P); rc = LM_ENOMEM; goto done; }
    cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, d, l, 1.0f, Z, m, W, l, 0.0f, V, m);
    for (int t = 0; t < m; t++)
        for (int j = 0; j < d; j++) P[(size_t)t * d + j] = V[(size_t)j * m + t];
    free(V);
    free(W);
    *out_proj = P;
    *out_d = d;
    (void)kept;
done:
    free(Om);
    free(Y);
    free(Z);
    free(G);
    free(w);
    return rc;
}

int lmx_vec_normalize(float *v, int d)
{
    float n = cblas_snrm2(d, v, 1);
    if (!(n > 0) || !isfinite(n)) { memset(v, 0, sizeof(float) * (size_t)d); return 0; }
    cblas_sscal(d, 1.0f / n, v, 1);
    return 1;
}

int lmx_vec_check(const float *v, int d)
{
    for (int i = 0; i < d; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

void lmx_fold_in(const float *proj, int d, const int *terms, const float *weights, int nnz, float *out)
{
    memset(out, 0, sizeof(float) * (size_t)d);
    for (int k = 0; k < nnz; k++) cblas_saxpy(d, weights[k], proj + (size_t)terms[k] * d, 1, out, 1);
    lmx_vec_normalize(out, d);
}

/* Bounded min-heap of (score, index): keeps the k best. */
static void heap_push(float *hs, int *hi, int *n, int k, float s, int idx)
{
    if (*n < k) {
        int i = (*n)++;
        hs[i] = s;
        hi[i] = idx;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (hs[p] < hs[i] || (hs[p] == hs[i] && hi[p] > hi[i])) break;
            float ts = hs[p]; hs[p] = hs[i]; hs[i] = ts;
            int ti = hi[p]; hi[p] = hi[i]; hi[i] = ti;
            i = p;
        }
        return;
    }
    if (s < hs[0] || (s == hs[0] && idx > hi[0])) return;
    hs[0] = s;
    hi[0] = idx;
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && (hs[l] < hs[m] || (hs[l] == hs[m] && hi[l] > hi[m]))) m = l;
        if (r < *n && (hs[r] < hs[m] || (hs[r] == hs[m] && hi[r] > hi[m]))) m = r;
        if (m == i) break;
        float ts = hs[m]; hs[m] = hs[i]; hs[i] = ts;
        int ti = hi[m]; hi[m] = hi[i]; hi[i] = ti;
        i = m;
    }
}

int lmx_topk(const float *M, int n, int d, const float *q, int k, int *idx, float *score)
{
    if (n <= 0 || k <= 0) return 0;
    float *s = malloc(sizeof(float) * (size_t)n);
    if (!s) return -1;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, d, 1.0f, M, d, q, 1, 0.0f, s, 1);
    int cnt = lmx_topk_scores(s, n, k, idx, score);
    free(s);
    return cnt;
}

int lmx_topk_scores(const float *s, int n, int k, int *idx, float *score)
{
    int cnt = 0;
    if (k > n) k = n;
    for (int i = 0; i < n; i++) heap_push(score, idx, &cnt, k, s[i], i);
    /* Heap to descending order. */
    for (int end = cnt - 1; end > 0; end--) {
        float ts = score[0]; score[0] = score[end]; score[end] = ts;
        int ti = idx[0]; idx[0] = idx[end]; idx[end] = ti;
        int m = end, i = 0;
        for (;;) {
            int l = 2 * i + 1, r = l + 1, b = i;
            if (l < m && (score[l] < score[b] || (score[l] == score[b] && idx[l] > idx[b]))) b = l;
            if (r < m && (score[r] < score[b] || (score[r] == score[b] && idx[r] > idx[b]))) b = r;
            if (b == i) break;
            float t2 = score[b]; score[b] = score[i]; score[i] = t2;
            int t3 = idx[b]; idx[b] = idx[i]; idx[i] = t3;
            i = b;
        }
    }
    return cnt;
}
