/*
** test_vectors.c -- the vector math of vectors.c, alone (no database):
** randomized SVD against a dense LAPACK reference, reproducibility, fold-in
** equal to the build, a record that shares no word with the query found
** through co-occurrence, exact top-k against a brute-force scan, batch top-k
** equal to one query at a time, validation, the storage blob.
**
**   test_vectors            the unit tests (fast)
**   test_vectors --bench    also times a rank-256 build of a synthetic
**                           100k x 50k matrix (~60 entries a row) and the
**                           top-k search over its vectors; the same with
**                           LMX_BENCH=1 in the environment.
*/
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

#include "libmatch.h"
#include "vectors.h"
#include "topk.h"
#include "lmtest.h"

/* Exact top-k of an n x d matrix without a descriptor: the count, or -1. */
static int topk_plain(const float *M, int n, int d, const float *q, int k, int *idx, float *score)
{
    lmx_dense D;
    int cnt = 0;
    if (lmx_dense_init(&D, M, n, d) || lmx_dense_topk(&cnt, idx, score, &D, q, k, NULL)) return -1;
    return cnt;
}

/* lmx_dense_topk_batch() into arrays: counts[nq], idx/score nq x k (idx -1
   and score NaN past each count). */
typedef struct { int *counts, *idx; float *score; int k; } into_ctx;

static int into_cb(void *ctx, int qrow, const int *idx, const float *score, int n)
{
    into_ctx *c = ctx;
    c->counts[qrow] = n;
    for (int r = 0; r < c->k; r++) {
        c->idx[(size_t)qrow * c->k + r] = r < n ? idx[r] : -1;
        c->score[(size_t)qrow * c->k + r] = r < n ? score[r] : NAN;
    }
    return 0;
}

static int batch_into(int *counts, int *idx, float *score, const lmx_dense *D, const float *Q, int nq,
                                     int k, const lmx_topk_opts *opts)
{
    into_ctx c = { counts, idx, score, k };
    return lmx_dense_topk_batch(D, Q, nq, k, opts, into_cb, &c);
}

extern void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s, float *u,
                    const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork, int *iwork,
                    int *info);

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t rng_state = 1;
static void rng_seed(uint64_t s) { rng_state = s * 2654435761u + 1; }
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rng_unif(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }   /* [0, 1) */
static double rng_gauss(void)
{
    double u = rng_unif() + 1e-300, v = rng_unif();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* A CSR matrix owning its arrays. */
typedef struct { lmx_csr A; int64_t *rp; int *ci; float *v; } csr_buf;

static csr_buf csr_from_dense(const float *D, int n, int m)
{
    csr_buf b;
    int64_t nnz = 0;
    for (size_t i = 0; i < (size_t)n * m; i++) nnz += D[i] != 0;
    b.rp = malloc(sizeof(int64_t) * (size_t)(n + 1));
    b.ci = malloc(sizeof(int) * (size_t)(nnz ? nnz : 1));
    b.v = malloc(sizeof(float) * (size_t)(nnz ? nnz : 1));
    int64_t p = 0;
    for (int r = 0; r < n; r++) {
        b.rp[r] = p;
        for (int c = 0; c < m; c++)
            if (D[(size_t)r * m + c] != 0) { b.ci[p] = c; b.v[p] = D[(size_t)r * m + c]; p++; }
    }
    b.rp[n] = p;
    b.A = (lmx_csr){ n, m, b.rp, b.ci, b.v };
    return b;
}

static void csr_free(csr_buf *b) { free(b->rp); free(b->ci); free(b->v); }

/* Singular values of the dense row-major n x m matrix (LAPACK sgesdd). */
static int dense_sv(const float *D, int n, int m, float *s)
{
    float *a = malloc(sizeof(float) * (size_t)n * m), wq, u[1], vt[1];
    int *iw = malloc(sizeof(int) * 8 * (size_t)(n < m ? n : m));
    for (int r = 0; r < n; r++)
        for (int c = 0; c < m; c++) a[(size_t)c * n + r] = D[(size_t)r * m + c];
    int lwork = -1, info = 0, one = 1;
    sgesdd_("N", &n, &m, a, &n, s, u, &one, vt, &one, &wq, &lwork, iw, &info);
    lwork = (int)wq + 1;
    float *work = malloc(sizeof(float) * (size_t)lwork);
    sgesdd_("N", &n, &m, a, &n, s, u, &one, vt, &one, work, &lwork, iw, &info);
    free(work); free(iw); free(a);
    return info;
}

/* A = sum_j sig[j] u_j v_j^T with sparse non-negative random factors (so A
   has zeros), normalized columns of U and V not required: the reference SVD
   gives the truth. */
static float *low_rank(int n, int m, int r, uint64_t seed, double noise)
{
    rng_seed(seed);
    float *U = calloc((size_t)n * r, sizeof(float)), *V = calloc((size_t)r * m, sizeof(float));
    float *D = calloc((size_t)n * m, sizeof(float));
    for (int i = 0; i < n * r; i++) if (rng_unif() < 0.4) U[i] = (float)rng_unif();
    for (int i = 0; i < r * m; i++) if (rng_unif() < 0.3) V[i] = (float)rng_unif();
    for (int i = 0; i < n; i++)
        for (int j = 0; j < r; j++) {
            double w = pow(0.6, j);
            for (int c = 0; c < m; c++) D[(size_t)i * m + c] += (float)(w * U[(size_t)i * r + j] * V[(size_t)j * m + c]);
        }
    if (noise > 0)
        for (size_t i = 0; i < (size_t)n * m; i++)
            if (D[i] != 0) D[i] += (float)(noise * rng_gauss());
    free(U); free(V);
    return D;
}

static double dotd(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) s += (double)a[i] * b[i];
    return s;
}

/* ---- sparse input and the model ------------------------------------------------------ */

static void test_csr_check(void)
{
    int64_t rp[4] = { 0, 2, 2, 3 };
    int ci[3] = { 0, 2, 1 };
    float v[3] = { 1, 2, 3 };
    lmx_csr A = { 3, 3, rp, ci, v };
    CHECK_EQ_INT(lmx_csr_check(&A), LM_OK);
    CHECK_EQ_INT(lmx_csr_check(NULL), LM_EINVAL);
    ci[1] = 3;                                              /* column out of range */
    CHECK_EQ_INT(lmx_csr_check(&A), LM_EINVAL);
    ci[1] = -1;
    CHECK_EQ_INT(lmx_csr_check(&A), LM_EINVAL);
    ci[1] = 2;
    v[2] = NAN;
    CHECK_EQ_INT(lmx_csr_check(&A), LM_EINVAL);
    v[2] = INFINITY;
    CHECK_EQ_INT(lmx_csr_check(&A), LM_EINVAL);
    v[2] = 3;
    rp[2] = 1;                                              /* decreasing */
    CHECK_EQ_INT(lmx_csr_check(&A), LM_EINVAL);
    rp[2] = 2;
    lmx_csr neg = { -1, 3, rp, ci, v };
    CHECK_EQ_INT(lmx_csr_check(&neg), LM_EINVAL);
    lmx_csr empty = { 0, 0, NULL, NULL, NULL };
    CHECK_EQ_INT(lmx_csr_check(&empty), LM_OK);
}

static void test_rsvd_matches_dense_svd(void)
{
    /* Exactly rank 6: the rank-6 model recovers the singular values. */
    int n = 120, m = 80, r = 6;
    float *D = low_rank(n, m, r, 11, 0);
    csr_buf b = csr_from_dense(D, n, m);
    CHECK(b.rp[n] < (int64_t)n * m);                        /* really sparse */
    float ref[80];
    CHECK_EQ_INT(dense_sv(D, n, m, ref), 0);
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = 10;                                            /* 4 more than the rank */
    lmx_lsa mod;
    float *vecs = NULL;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, &vecs, &b.A, &o), LM_OK);
    CHECK_EQ_INT(mod.d, 10);
    CHECK_EQ_INT(mod.ncols, m);
    for (int j = 0; j < r; j++) {
        double rel = fabs(mod.sigma[j] - ref[j]) / ref[j];
        if (rel > 1e-4) fprintf(stderr, "  sigma %d: %g vs %g\n", j, mod.sigma[j], ref[j]);
        CHECK(rel < 1e-4);
    }
    for (int j = r; j < 10; j++) CHECK(mod.sigma[j] < 1e-5 * mod.sigma[0]);
    for (int j = 1; j < 10; j++) CHECK(mod.sigma[j] <= mod.sigma[j - 1]);
    /* P = V_d: orthonormal columns; |A v_j| = sigma_j; the numerically zero
       directions have a zero column. */
    for (int a = 0; a < 10; a++)
        for (int c = 0; c < 10; c++) {
            double s = 0;
            for (int t = 0; t < m; t++) s += (double)mod.proj[(size_t)t * 10 + a] * mod.proj[(size_t)t * 10 + c];
            double want = a == c && a < r ? 1 : 0;
            CHECK(fabs(s - want) < 1e-4);
        }
    for (int j = 0; j < r; j++) {
        double nn = 0;
        for (int i = 0; i < n; i++) {
            double x = 0;
            for (int c = 0; c < m; c++) x += (double)D[(size_t)i * m + c] * mod.proj[(size_t)c * 10 + j];
            nn += x * x;
        }
        CHECK(fabs(sqrt(nn) - ref[j]) / ref[j] < 1e-4);
    }
    lmx_lsa_free(&mod);
    free(vecs);
    csr_free(&b);
    free(D);

    /* Rank 8 plus noise on the non-zeros (full rank, decaying spectrum): the
       top singular values of the default rank-8 model are close. */
    n = 300, m = 200, r = 8;
    D = low_rank(n, m, r, 12, 0.002);
    b = csr_from_dense(D, n, m);
    float ref2[200];
    CHECK_EQ_INT(dense_sv(D, n, m, ref2), 0);
    o = (lmx_lsa_opts)LMX_LSA_OPTS_INIT;
    o.rank = 8;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_OK);
    for (int j = 0; j < r; j++) {
        double rel = fabs(mod.sigma[j] - ref2[j]) / ref2[j];
        if (rel > 1e-3) fprintf(stderr, "  noisy sigma %d: %g vs %g\n", j, mod.sigma[j], ref2[j]);
        CHECK(rel < 1e-3);
    }
    lmx_lsa_free(&mod);
    /* sigma_power -1: A P = U_d, orthonormal columns. */
    o.sigma_power = -1;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_OK);
    float *AP = calloc((size_t)n * 8, sizeof(float));
    for (int i = 0; i < n; i++)
        for (int64_t k = b.rp[i]; k < b.rp[i + 1]; k++)
            for (int j = 0; j < 8; j++) AP[(size_t)i * 8 + j] += b.v[k] * mod.proj[(size_t)b.ci[k] * 8 + j];
    for (int a = 0; a < 8; a++)
        for (int c = 0; c < 8; c++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)AP[(size_t)i * 8 + a] * AP[(size_t)i * 8 + c];
            CHECK(fabs(s - (a == c)) < 2e-3);
        }
    free(AP);
    lmx_lsa_free(&mod);
    csr_free(&b);
    free(D);
}

static void test_reproducible(void)
{
    int n = 150, m = 90;
    float *D = low_rank(n, m, 12, 21, 0.01);
    csr_buf b = csr_from_dense(D, n, m);
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = 10;
    o.seed = 7;
    lmx_lsa m1, m2, m3;
    float *v1 = NULL, *v2 = NULL, *v3 = NULL;
    CHECK_EQ_INT(lmx_lsa_fit(&m1, &v1, &b.A, &o), LM_OK);
    CHECK_EQ_INT(lmx_lsa_fit(&m2, &v2, &b.A, &o), LM_OK);
    CHECK_EQ_INT(m1.d, m2.d);
    CHECK(memcmp(m1.proj, m2.proj, sizeof(float) * (size_t)m * m1.d) == 0);
    CHECK(memcmp(m1.sigma, m2.sigma, sizeof(float) * (size_t)m1.d) == 0);
    CHECK(memcmp(v1, v2, sizeof(float) * (size_t)n * m1.d) == 0);
    /* Another seed: another random basis, the same spectrum. */
    o.seed = 8;
    CHECK_EQ_INT(lmx_lsa_fit(&m3, &v3, &b.A, &o), LM_OK);
    CHECK(memcmp(m1.proj, m3.proj, sizeof(float) * (size_t)m * m1.d) != 0);
    for (int j = 0; j < 6; j++) CHECK(fabs(m1.sigma[j] - m3.sigma[j]) < 1e-3 * m1.sigma[0]);
    lmx_lsa_free(&m1); lmx_lsa_free(&m2); lmx_lsa_free(&m3);
    lmx_lsa_free(NULL);
    free(v1); free(v2); free(v3);
    csr_free(&b);
    free(D);
}

static void test_fold_in_equals_build(void)
{
    int n = 100, m = 70;
    float *D = low_rank(n, m, 9, 31, 0.01);
    memset(D + 5 * m, 0, sizeof(float) * (size_t)m);       /* row 5: no term */
    csr_buf b = csr_from_dense(D, n, m);
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = 8;
    lmx_lsa mod;
    float *vecs = NULL, x[8], y[8];
    CHECK_EQ_INT(lmx_lsa_fit(&mod, &vecs, &b.A, &o), LM_OK);
    double worst = 0;
    for (int r = 0; r < n; r++) {
        int nnz = (int)(b.rp[r + 1] - b.rp[r]);
        int rc = lmx_lsa_fold(&mod, b.ci + b.rp[r], b.v + b.rp[r], nnz, x);
        CHECK_EQ_INT(rc, r == 5 ? LM_ERANGE : LM_OK);
        for (int j = 0; j < 8; j++) {
            double e = fabs(x[j] - vecs[(size_t)r * 8 + j]);
            if (e > worst) worst = e;
        }
        if (r != 5) CHECK(fabs(dotd(x, x, 8) - 1) < 1e-5);
    }
    CHECK(worst < 1e-4);
    for (int j = 0; j < 8; j++) CHECK(vecs[5 * 8 + j] == 0);
    /* Unknown terms only: the zero vector, reported. */
    int unk[3] = { -1, m, m + 100 };
    float w[3] = { 1, 2, 3 };
    CHECK_EQ_INT(lmx_lsa_fold(&mod, unk, w, 3, x), LM_ERANGE);
    for (int j = 0; j < 8; j++) CHECK(x[j] == 0);
    CHECK_EQ_INT(lmx_lsa_fold(&mod, NULL, NULL, 0, x), LM_ERANGE);
    /* Unknown terms are skipped, the rest counts. */
    int mix[3] = { -1, b.ci[0], m + 3 };
    float wm[3] = { 5, b.v[0], 5 };
    CHECK_EQ_INT(lmx_lsa_fold(&mod, mix, wm, 3, x), LM_OK);
    CHECK_EQ_INT(lmx_lsa_fold(&mod, mix + 1, wm + 1, 1, y), LM_OK);
    CHECK(memcmp(x, y, sizeof x) == 0);
    /* Bad weights. */
    float bad[3] = { 1, NAN, 1 };
    CHECK_EQ_INT(lmx_lsa_fold(&mod, mix, bad, 3, x), LM_EINVAL);
    bad[1] = INFINITY;
    CHECK_EQ_INT(lmx_lsa_fold(&mod, mix, bad, 3, x), LM_EINVAL);
    CHECK_EQ_INT(lmx_lsa_fold(&mod, mix, wm, -1, x), LM_EINVAL);
    CHECK_EQ_INT(lmx_lsa_fold(NULL, mix, wm, 1, x), LM_EINVAL);
    lmx_lsa_free(&mod);
    free(vecs);
    csr_free(&b);
    free(D);
}

/*
** Three topics of eight terms.  The query's terms {0, 1} and the target's
** terms {2, 3} never meet in one record with each other's... except through
** the other battery records, which mix them: the target shares no term with
** the query, yet lands next to it; a kiwi record stays far.
*/
static void test_bridge_through_cooccurrence(void)
{
    enum { T = 8, NT = 3, M = T * NT, PER = 12 };
    int n = NT * PER + 2;
    float *D = calloc((size_t)n * M, sizeof(float));
    rng_seed(41);
    for (int t = 0; t < NT; t++)
        for (int i = 0; i < PER; i++) {
            float *row = D + (size_t)(t * PER + i) * M;
            for (int j = 0; j < 4; j++) row[t * T + (int)(rng_next() % T)] += 1;
            if (t == 0) { row[(int)(rng_next() % 2)] += 1; row[2 + (int)(rng_next() % 2)] += 1; }  /* bridges */
        }
    int target = NT * PER, kiwi = NT * PER + 1;
    D[(size_t)target * M + 2] = 1;
    D[(size_t)target * M + 3] = 2;
    D[(size_t)kiwi * M + T + 0] = 1;
    D[(size_t)kiwi * M + T + 1] = 1;
    /* TF-IDF weights, rows L2-normalized (as the library does). */
    float df[M] = { 0 };
    for (int r = 0; r < n; r++)
        for (int c = 0; c < M; c++) df[c] += D[(size_t)r * M + c] > 0;
    for (int r = 0; r < n; r++) {
        double nn = 0;
        for (int c = 0; c < M; c++) {
            float *x = &D[(size_t)r * M + c];
            if (*x > 0) *x = (float)((1 + log(*x)) * log((double)n / df[c]));
            nn += (double)*x * *x;
        }
        for (int c = 0; c < M; c++) D[(size_t)r * M + c] = (float)(D[(size_t)r * M + c] / sqrt(nn));
    }
    csr_buf b = csr_from_dense(D, n, M);
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = 3;
    lmx_lsa mod;
    float *vecs = NULL, q[3];
    CHECK_EQ_INT(lmx_lsa_fit(&mod, &vecs, &b.A, &o), LM_OK);
    CHECK_EQ_INT(mod.d, 3);
    int qt[2] = { 0, 1 };
    float qw[2] = { 1, 1 };
    CHECK_EQ_INT(lmx_lsa_fold(&mod, qt, qw, 2, q), LM_OK);
    /* No shared term... */
    for (int64_t k = b.rp[target]; k < b.rp[target + 1]; k++) CHECK(b.ci[k] != 0 && b.ci[k] != 1);
    double near = dotd(q, vecs + (size_t)target * 3, 3), far = dotd(q, vecs + (size_t)kiwi * 3, 3);
    if (!(near > 0.8) || !(far < 0.2)) fprintf(stderr, "  cosine target %g, kiwi %g\n", near, far);
    CHECK(near > 0.8);
    CHECK(far < 0.2);
    /* ...and ranked above every record of the other topics. */
    lmx_dense Dn;
    CHECK_EQ_INT(lmx_dense_init(&Dn, vecs, n, 3), LM_OK);
    int idx[64], cnt = 0;
    float sc[64];
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &Dn, q, n, NULL), LM_OK);
    CHECK_EQ_INT(cnt, n);
    int pos_target = -1, first_other = -1;
    for (int i = 0; i < cnt; i++) {
        if (idx[i] == target) pos_target = i;
        if (first_other < 0 && idx[i] >= PER && idx[i] != target) first_other = i;
    }
    CHECK(pos_target >= 0 && pos_target < first_other);
    lmx_lsa_free(&mod);
    free(vecs);
    csr_free(&b);
    free(D);
}

static void test_fit_arguments(void)
{
    float Dm[5 * 3] = { 1, 0, 2, 0, 1, 0, 3, 1, 0, 0, 0, 1, 1, 1, 1 };
    csr_buf b = csr_from_dense(Dm, 5, 3);
    lmx_lsa mod;
    float *vecs = (float *)1;
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    /* Default rank 256 is clipped to min(5, 3) - 1. */
    CHECK_EQ_INT(lmx_lsa_fit(&mod, &vecs, &b.A, NULL), LM_OK);
    CHECK_EQ_INT(mod.d, 2);
    CHECK(vecs != NULL);
    float ref[3];
    dense_sv(Dm, 5, 3, ref);
    for (int j = 0; j < 2; j++) CHECK(fabs(mod.sigma[j] - ref[j]) < 1e-4 * ref[0]);
    lmx_lsa_free(&mod);
    free(vecs);
    CHECK_EQ_INT(lmx_lsa_fit(NULL, NULL, &b.A, NULL), LM_EINVAL);
    CHECK_EQ_INT(lmx_lsa_fit(&mod, &vecs, NULL, NULL), LM_EINVAL);
    CHECK(vecs == NULL && mod.proj == NULL);
    o.rank = LM_MAX_DIM + 1;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_ERANGE);
    o.rank = -2;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_EINVAL);
    o = (lmx_lsa_opts)LMX_LSA_OPTS_INIT;
    o.sigma_power = 2;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_EINVAL);
    o.sigma_power = NAN;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_EINVAL);
    o = (lmx_lsa_opts)LMX_LSA_OPTS_INIT;
    o.power_iters = LMX_LSA_MAX_POWER_ITERS + 1;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_EINVAL);
    o.power_iters = 0;                                      /* no power iteration: fine */
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_OK);
    lmx_lsa_free(&mod);
    o.oversample = 0;
    o.rank = 2;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, &o), LM_OK);
    CHECK_EQ_INT(mod.d, 2);
    lmx_lsa_free(&mod);
    /* Nothing to factor, or nothing to reduce. */
    lmx_csr one = { 1, 3, b.rp, b.ci, b.v };
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &one, NULL), LM_ERANGE);
    lmx_csr onecol = { 5, 1, b.rp, b.ci, b.v };
    int64_t rp1[6] = { 0, 1, 1, 1, 1, 1 };
    int c0[1] = { 0 };
    onecol.rowptr = rp1;
    onecol.colidx = c0;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &onecol, NULL), LM_ERANGE);
    lmx_csr none = { 0, 3, b.rp, b.ci, b.v };
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &none, NULL), LM_ERANGE);
    lmx_csr nocol = { 1, 0, b.rp, b.ci, b.v };
    int64_t zrp[2] = { 0, 0 };
    nocol.rowptr = zrp;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &nocol, NULL), LM_ERANGE);
    float zero[3] = { 0, 0, 0 };
    lmx_csr zeros = { 5, 3, b.rp, b.ci, zero };
    int64_t rp3[6] = { 0, 1, 2, 3, 3, 3 };
    zeros.rowptr = rp3;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &zeros, NULL), LM_ERANGE);
    b.v[0] = NAN;
    CHECK_EQ_INT(lmx_lsa_fit(&mod, &vecs, &b.A, NULL), LM_EINVAL);
    CHECK(vecs == NULL);
    CHECK_EQ_INT(lmx_lsa_fit(&mod, NULL, &b.A, NULL), LM_EINVAL);
    CHECK(mod.proj == NULL && mod.d == 0);
    csr_free(&b);
}

/* ---- top-k --------------------------------------------------------------------------- */

/* Drops the rows congruent to the query row modulo `mod` (qrow: the batch's
   query row, or `as_qrow` when that is >= 0, for single queries). */
typedef struct { int mod, as_qrow; } filt_ctx;
static int drop_mod(void *ctx, int qrow, int row)
{
    const filt_ctx *f = ctx;
    return row % f->mod != (f->as_qrow >= 0 ? f->as_qrow : qrow) % f->mod;
}

/* Brute force: every row in double, sorted by (score desc, row asc). */
typedef struct { double s; int i; } bf_hit;
static int bf_cmp(const void *a, const void *b)
{
    const bf_hit *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->i - y->i;
}
static int brute(const float *M, int n, int d, const float *q, int k, const lmx_topk_opts *o, int qrow, int *idx,
                 float *sc)
{
    bf_hit *h = malloc(sizeof(bf_hit) * (size_t)(n ? n : 1));
    int c = 0;
    for (int i = 0; i < n; i++) {
        if (o && o->mask && !o->mask[i]) continue;
        if (o && o->filter && !o->filter(o->filter_ctx, qrow, i)) continue;
        double s = dotd(M + (size_t)i * d, q, d);
        if (o && s < o->min_score) continue;
        h[c].s = s;
        h[c].i = i;
        c++;
    }
    qsort(h, (size_t)c, sizeof *h, bf_cmp);
    if (c > k) c = k;
    for (int i = 0; i < c; i++) { idx[i] = h[i].i; sc[i] = (float)h[i].s; }
    free(h);
    return c;
}

/* n random unit rows with duplicates (exact ties), rows that differ by an
   ulp or so (near ties below BLAS rounding) and zero rows. */
static float *rand_matrix(int n, int d, uint64_t seed)
{
    rng_seed(seed);
    float *M = malloc(sizeof(float) * (size_t)n * d);
    for (int i = 0; i < n; i++) {
        float *r = M + (size_t)i * d;
        if (i % 50 == 17) { memcpy(r, M + (size_t)(i - 10) * d, sizeof(float) * d); continue; }
        if (i % 50 == 23) {
            memcpy(r, M + (size_t)(i - 1) * d, sizeof(float) * d);
            r[i % d] = nextafterf(r[i % d], 2.0f);
            continue;
        }
        if (i % 97 == 5) { memset(r, 0, sizeof(float) * d); continue; }
        for (int j = 0; j < d; j++) r[j] = (float)rng_gauss();
        lmx_vec_normalize(r, d);
    }
    return M;
}

static int same_results(const int *ia, const float *sa, int na, const int *ib, const float *sb, int nb, float tol)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (ia[i] != ib[i] || !(fabsf(sa[i] - sb[i]) <= tol)) return 0;
    return 1;
}

static void test_topk_equals_scan(void)
{
    int n = 3000, d = 24;
    float *M = rand_matrix(n, d, 51);
    lmx_dense D;
    CHECK_EQ_INT(lmx_dense_init(&D, M, n, d), LM_OK);
    CHECK(D.maxnorm >= 1.0f && D.maxnorm < 1.0001f);
    int *idx = malloc(sizeof(int) * 4000), *bi = malloc(sizeof(int) * 4000);
    float *sc = malloc(sizeof(float) * 4000), *bs = malloc(sizeof(float) * 4000);
    unsigned char *mask = malloc((size_t)n);
    for (int i = 0; i < n; i++) mask[i] = i % 3 != 0;
    filt_ctx fc = { 7, -1 };
    const int ks[] = { 1, 5, 50, 3000, 3500 };
    for (int t = 0; t < 12; t++) {
        float q[24];
        if (t < 4) memcpy(q, M + (size_t)(t * 50 + 7) * d, sizeof q);   /* a row with duplicates and near ties */
        else { for (int j = 0; j < d; j++) q[j] = (float)rng_gauss(); lmx_vec_normalize(q, d); }
        for (int ki = 0; ki < 5; ki++)
            for (int variant = 0; variant < 4; variant++) {
                lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
                if (variant == 1) o.mask = mask;
                if (variant == 2) { o.filter = drop_mod; o.filter_ctx = &fc; }
                if (variant == 3) { o.min_score = 0.3f; o.mask = mask; }
                int k = ks[ki], cnt = -1;
                CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, q, k, &o), LM_OK);
                int bc = brute(M, n, d, q, k, &o, 0, bi, bs);
                if (!same_results(idx, sc, cnt, bi, bs, bc, 0)) {
                    fprintf(stderr, "  t=%d k=%d variant=%d: %d vs %d results\n", t, k, variant, cnt, bc);
                    CHECK(0);
                }
                if (variant == 0) CHECK_EQ_INT(cnt, k < n ? k : n);   /* k > n: every row */
            }
    }
    /* Ties: the duplicate with the lower index comes first. */
    {
        int cnt = 0;
        CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, M + (size_t)7 * d, 2, NULL), LM_OK);
        CHECK_EQ_INT(cnt, 2);
        CHECK_EQ_INT(idx[0], 7);
        CHECK_EQ_INT(idx[1], 17);
        CHECK(sc[0] == sc[1]);
    }
    /* The shorthand. */
    float q0[24];
    memcpy(q0, M + (size_t)100 * d, sizeof q0);
    CHECK_EQ_INT(topk_plain(M, n, d, q0, 10, idx, sc), 10);
    CHECK_EQ_INT(brute(M, n, d, q0, 10, NULL, 0, bi, bs), 10);
    CHECK(same_results(idx, sc, 10, bi, bs, 10, 0));
    CHECK_EQ_INT(topk_plain(M, n, d, NULL, 10, idx, sc), -1);
    /* n = 0, k = 0. */
    lmx_dense E;
    int cnt = -1;
    CHECK_EQ_INT(lmx_dense_init(&E, NULL, 0, d), LM_OK);
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &E, q0, 5, NULL), LM_OK);
    CHECK_EQ_INT(cnt, 0);
    CHECK_EQ_INT(topk_plain(NULL, 0, d, q0, 5, idx, sc), 0);
    cnt = -1;
    CHECK_EQ_INT(lmx_dense_topk(&cnt, NULL, NULL, &D, q0, 0, NULL), LM_OK);
    CHECK_EQ_INT(cnt, 0);
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, q0, -1, NULL), LM_EINVAL);
    /* Everything masked out. */
    memset(mask, 0, (size_t)n);
    lmx_topk_opts om = LMX_TOPK_OPTS_INIT;
    om.mask = mask;
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, q0, 5, &om), LM_OK);
    CHECK_EQ_INT(cnt, 0);
    free(mask); free(idx); free(bi); free(sc); free(bs); free(M);
}

/*
** Exact ties that BLAS rounding breaks at random: 60 rows are permutations
** of one vector whose entries have 20 significant bits, so against the
** all-ones query their sums are exact in double (all equal) but rounded in
** float, differently for each order.  The top 10 must be the 10 lowest of
** them, in index order, one query at a time and in a batch.
*/
static void test_topk_ties_under_rounding(void)
{
    enum { N = 400, DIM = 48, GROUP = 60 };
    float *M = malloc(sizeof(float) * N * DIM), base[DIM], Q[3 * DIM];
    rng_seed(71);
    for (int j = 0; j < DIM; j++) base[j] = (float)((double)((1 << 19) + rng_next() % (1 << 19)) / (1 << 20));
    int nperm = 0, distinct = 0;
    float s0 = 0;
    for (int i = 0; i < N; i++) {
        float *r = M + (size_t)i * DIM;
        if (i % 6 == 1 && nperm < GROUP) {
            memcpy(r, base, sizeof base);
            for (int j = DIM - 1; j > 0; j--) {                  /* Fisher-Yates */
                int t = (int)(rng_next() % (uint64_t)(j + 1));
                float x = r[j]; r[j] = r[t]; r[t] = x;
            }
            nperm++;
        } else
            for (int j = 0; j < DIM; j++) r[j] = (float)(rng_unif() * 0.9);   /* sums below the group's */
    }
    for (int j = 0; j < 3 * DIM; j++) Q[j] = 1.0f;
    /* The group's BLAS scores do differ (else the test proves nothing). */
    float *s = malloc(sizeof(float) * N);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, N, DIM, 1.0f, M, DIM, Q, 1, 0.0f, s, 1);
    for (int i = 0; i < N; i++)
        if (i % 6 == 1 && i / 6 < GROUP) { if (!s0) s0 = s[i]; else distinct += s[i] != s0; }
    CHECK(distinct > 0);
    lmx_dense D;
    CHECK_EQ_INT(lmx_dense_init(&D, M, N, DIM), LM_OK);
    int idx[10], cnt = 0, want[10];
    float sc[10];
    for (int r = 0; r < 10; r++) want[r] = 1 + 6 * r;
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, Q, 10, NULL), LM_OK);
    CHECK_EQ_INT(cnt, 10);
    for (int r = 0; r < 10; r++) { CHECK_EQ_INT(idx[r], want[r]); CHECK(sc[r] == sc[0]); }
    int counts[3], bidx[30];
    float bsc[30];
    lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
    o.rblock = 37;
    CHECK_EQ_INT(batch_into(counts, bidx, bsc, &D, Q, 3, 10, &o), LM_OK);
    for (int q = 0; q < 3; q++) {
        CHECK_EQ_INT(counts[q], 10);
        for (int r = 0; r < 10; r++) { CHECK_EQ_INT(bidx[q * 10 + r], want[r]); CHECK(bsc[q * 10 + r] == sc[r]); }
    }
    free(s);
    free(M);
}

/* The library's best-k collector (topk.h) over a plain score array:
   against a sort; ties keep the lower index, NaN never enters, k > n. */
static void test_topk_collector(void)
{
    enum { N = 1000 };
    float s[N];
    int order[N + 10];
    bf_hit h[N];
    rng_seed(81);
    int nh = 0;
    for (int i = 0; i < N; i++) {
        s[i] = (float)(rng_next() % 50) / 7.0f;            /* many ties */
        if (i % 101 == 3) s[i] = NAN;
        if (i % 211 == 5) s[i] = -INFINITY;
        if (!isnan(s[i])) { h[nh].s = s[i]; h[nh].i = i; nh++; }
    }
    qsort(h, (size_t)nh, sizeof *h, bf_cmp);
    const int ks[] = { 1, 7, 64, 65, 100, N, N + 10 };
    for (int t = 0; t < 7; t++) {
        int k = ks[t], want = k < nh ? k : nh, slot;
        lmx_topk top;
        CHECK_EQ_INT(lmx_topk_init(&top, k), LM_OK);
        /* Backwards: the result must not depend on the arrival order. */
        for (int i = N - 1; i >= 0; i--) CHECK_EQ_INT(lmx_topk_push(&top, s[i], i, &slot), LM_OK);
        CHECK_EQ_INT(top.n, want);
        CHECK(lmx_topk_full(&top) == (want == k));
        lmx_topk_sort(&top, order);
        int bad = 0;
        for (int r = 0; r < want; r++) bad += top.id[order[r]] != h[r].i || top.score[order[r]] != (float)h[r].s;
        CHECK_EQ_INT(bad, 0);
        lmx_topk_free(&top);
    }
    lmx_topk top;
    int slot = 7;
    CHECK_EQ_INT(lmx_topk_init(&top, 0), LM_OK);
    CHECK_EQ_INT(lmx_topk_push(&top, 1.0, 1, &slot), LM_OK);
    CHECK_EQ_INT(slot, -1);
    CHECK_EQ_INT(top.n, 0);
    lmx_topk_free(&top);
    CHECK_EQ_INT(lmx_topk_init(&top, -1), LM_EINVAL);
}

typedef struct {
    const lmx_dense *D;
    const float *Q;
    const lmx_topk_opts *o;
    int k, calls, next, bad;
} cmp_ctx;

/* Batch callback: compare with the single-query result. */
static int cmp_cb(void *ctx, int qrow, const int *idx, const float *score, int n)
{
    cmp_ctx *c = ctx;
    int one[300], cnt = -1;
    float s1[300];
    c->calls++;
    if (qrow != c->next++) c->bad++;
    lmx_topk_opts o = *c->o;
    filt_ctx fc;
    if (o.filter) { fc = *(const filt_ctx *)o.filter_ctx; fc.as_qrow = qrow; o.filter_ctx = &fc; }
    if (lmx_dense_topk(&cnt, one, s1, c->D, c->Q + (size_t)qrow * c->D->d, c->k, &o) != LM_OK) c->bad++;
    if (!same_results(idx, score, n, one, s1, cnt, 0)) c->bad++;
    return 0;
}

static int stop_cb(void *ctx, int qrow, const int *idx, const float *score, int n)
{
    int *calls = ctx;
    ++*calls;
    return qrow == 3 ? 99 : 0;
}

static void test_batch_equals_single(void)
{
    int n = 5000, d = 32, nq = 70;
    float *M = rand_matrix(n, d, 61);
    lmx_dense D;
    CHECK_EQ_INT(lmx_dense_init(&D, M, n, d), LM_OK);
    /* Queries: rows of M (with their near ties) and random vectors. */
    float *Q = malloc(sizeof(float) * (size_t)nq * d);
    for (int i = 0; i < nq; i++) {
        if (i % 2) memcpy(Q + (size_t)i * d, M + (size_t)(i * 71 % n) * d, sizeof(float) * d);
        else { for (int j = 0; j < d; j++) Q[(size_t)i * d + j] = (float)rng_gauss(); lmx_vec_normalize(Q + (size_t)i * d, d); }
    }
    unsigned char *mask = malloc((size_t)n);
    for (int i = 0; i < n; i++) mask[i] = i % 5 != 1;
    filt_ctx fc = { 3, -1 };
    const int ks[] = { 1, 10, 300 };
    for (int v = 0; v < 4; v++)
        for (int ki = 0; ki < 3; ki++) {
            lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
            if (v >= 1) { o.qblock = 16; o.rblock = 1000 + 7; }       /* several blocks, ragged */
            if (v == 2) { o.mask = mask; o.filter = drop_mod; o.filter_ctx = &fc; }
            if (v == 3) { o.qblock = 1; o.rblock = 1; o.min_score = 0.2f; }
            cmp_ctx c = { &D, Q, &o, ks[ki], 0, 0, 0 };
            CHECK_EQ_INT(lmx_dense_topk_batch(&D, Q, nq, ks[ki], &o, cmp_cb, &c), LM_OK);
            CHECK_EQ_INT(c.calls, nq);
            if (c.bad) fprintf(stderr, "  variant %d k %d: %d mismatches\n", v, ks[ki], c.bad);
            CHECK_EQ_INT(c.bad, 0);
        }
    /* Into arrays; against brute force too; k > n pads with -1 / NaN. */
    int k = 12;
    int *counts = malloc(sizeof(int) * nq), *idx = malloc(sizeof(int) * (size_t)nq * k), bi[12];
    float *sc = malloc(sizeof(float) * (size_t)nq * k), bs[12];
    CHECK_EQ_INT(batch_into(counts, idx, sc, &D, Q, nq, k, NULL), LM_OK);
    for (int i = 0; i < nq; i++) {
        int bc = brute(M, n, d, Q + (size_t)i * d, k, NULL, i, bi, bs);
        CHECK(same_results(idx + (size_t)i * k, sc + (size_t)i * k, counts[i], bi, bs, bc, 1e-6f));
    }
    free(counts); free(idx); free(sc);
    {
        float small[3 * 2] = { 1, 0, 0, 1, 0.6f, 0.8f };
        lmx_dense S;
        CHECK_EQ_INT(lmx_dense_init(&S, small, 3, 2), LM_OK);
        int cn[2], ix[2 * 5];
        float sv[2 * 5], qq[4] = { 1, 0, 0, 1 };
        CHECK_EQ_INT(batch_into(cn, ix, sv, &S, qq, 2, 5, NULL), LM_OK);
        CHECK_EQ_INT(cn[0], 3);
        CHECK_EQ_INT(ix[0], 0);
        CHECK_EQ_INT(ix[1], 2);
        CHECK_EQ_INT(ix[2], 1);
        CHECK_EQ_INT(ix[3], -1);
        CHECK(isnan(sv[4]));
        CHECK_EQ_INT(ix[5], 1);
        CHECK(fabsf(sv[6] - 0.8f) < 1e-6f);
    }
    /* A callback stops the batch. */
    int calls = 0;
    CHECK_EQ_INT(lmx_dense_topk_batch(&D, Q, nq, 5, NULL, stop_cb, &calls), 99);
    CHECK_EQ_INT(calls, 4);
    /* nq = 0; n = 0: one empty result per query. */
    calls = 0;
    CHECK_EQ_INT(lmx_dense_topk_batch(&D, Q, 0, 5, NULL, stop_cb, &calls), LM_OK);
    CHECK_EQ_INT(calls, 0);
    lmx_dense E;
    CHECK_EQ_INT(lmx_dense_init(&E, NULL, 0, d), LM_OK);
    int cn[3] = { -1, -1, -1 }, ix[3];
    float sv[3];
    CHECK_EQ_INT(batch_into(cn, ix, sv, &E, Q, 3, 1, NULL), LM_OK);
    CHECK(cn[0] == 0 && cn[1] == 0 && cn[2] == 0 && ix[0] == -1);
    /* A NaN query is rejected before any callback. */
    Q[(size_t)5 * d + 3] = NAN;
    calls = 0;
    CHECK_EQ_INT(lmx_dense_topk_batch(&D, Q, nq, 5, NULL, stop_cb, &calls), LM_EINVAL);
    CHECK_EQ_INT(calls, 0);
    CHECK_EQ_INT(lmx_dense_topk_batch(&D, Q, nq, 5, NULL, NULL, NULL), LM_EINVAL);
    free(mask); free(Q); free(M);
}

/* ---- validation and blobs ---------------------------------------------------------------- */

static void test_vector_validation(void)
{
    float ok[3] = { 3, 4, 0 }, nan_[3] = { 1, NAN, 0 }, inf[2] = { INFINITY, 0 }, ninf[2] = { 0, -INFINITY };
    CHECK_EQ_INT(lmx_vec_check(ok, 3), LM_OK);
    CHECK_EQ_INT(lmx_vec_check(nan_, 3), LM_EINVAL);
    CHECK_EQ_INT(lmx_vec_check(inf, 2), LM_EINVAL);
    CHECK_EQ_INT(lmx_vec_check(ninf, 2), LM_EINVAL);
    CHECK_EQ_INT(lmx_vec_check(NULL, 2), LM_EINVAL);
    CHECK_EQ_INT(lmx_vec_check(NULL, 0), LM_OK);
    CHECK_EQ_INT(lmx_vec_normalize(ok, 3), 1);
    CHECK(fabsf(ok[0] - 0.6f) < 1e-7f && fabsf(ok[1] - 0.8f) < 1e-7f);
    float z[4] = { 0, 0, 0, 0 };
    CHECK_EQ_INT(lmx_vec_normalize(z, 4), 0);
    CHECK_EQ_INT(lmx_vec_normalize(nan_, 3), 0);
    CHECK(nan_[1] == 0);
    float tiny[2] = { 1e-30f, 1e-30f };                      /* squares underflow in float, not in double */
    CHECK_EQ_INT(lmx_vec_normalize(tiny, 2), 1);
    CHECK(fabsf(tiny[0] - 0.70710678f) < 1e-6f);
    /* Matrices and queries with NaN or Inf. */
    float M[2 * 3] = { 1, 0, 0, 0, 1, 0 };
    lmx_dense D;
    CHECK_EQ_INT(lmx_dense_init(&D, M, 2, 3), LM_OK);
    float qbad[3] = { 0, INFINITY, 0 };
    int idx[2], cnt = 0;
    float sc[2];
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, qbad, 2, NULL), LM_EINVAL);
    qbad[1] = NAN;
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, qbad, 2, NULL), LM_EINVAL);
    lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
    o.min_score = NAN;
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, M, 2, &o), LM_EINVAL);
    qbad[1] = 1e20f;
    CHECK_EQ_INT(lmx_dense_topk(&cnt, idx, sc, &D, qbad, 2, NULL), LM_ERANGE);
    M[4] = NAN;
    CHECK_EQ_INT(lmx_dense_init(&D, M, 2, 3), LM_EINVAL);
    M[4] = 1;
    CHECK_EQ_INT(lmx_dense_init(&D, M, 2, 0), LM_ERANGE);
    CHECK_EQ_INT(lmx_dense_init(&D, M, 2, LM_MAX_DIM + 1), LM_ERANGE);
    CHECK_EQ_INT(lmx_dense_init(&D, NULL, 2, 3), LM_EINVAL);
    CHECK_EQ_INT(lmx_dense_init(&D, M, -1, 3), LM_EINVAL);
    CHECK_EQ_INT(topk_plain(M, 2, 3, M, 1, idx, sc), 1);
    M[0] = -INFINITY;
    CHECK_EQ_INT(topk_plain(M, 2, 3, M + 3, 1, idx, sc), -1);
}

static void test_blob(void)
{
    float v[5] = { 1.0f, -0.0f, FLT_MIN / 4, -FLT_MAX, 0.3f }, w[5];
    size_t sz = lmx_blob_size(5);
    CHECK_EQ_INT(sz, 8 + 20);
    CHECK_EQ_INT(lmx_blob_size(0), 0);
    CHECK_EQ_INT(lmx_blob_size(LM_MAX_DIM + 1), 0);
    unsigned char b[64];
    CHECK_EQ_INT(lmx_blob_encode(b, sizeof b, v, 5), LM_OK);
    CHECK(memcmp(b, "LMV1", 4) == 0);
    CHECK(b[4] == 5 && b[5] == 0 && b[6] == 0 && b[7] == 0);          /* dim, little-endian */
    CHECK(b[8] == 0x00 && b[9] == 0x00 && b[10] == 0x80 && b[11] == 0x3F);   /* 1.0f */
    CHECK(b[15] == 0x80);                                             /* -0.0f */
    int d = 0;
    CHECK_EQ_INT(lmx_blob_dim(&d, b, sz), LM_OK);
    CHECK_EQ_INT(d, 5);
    CHECK_EQ_INT(lmx_blob_decode(w, 5, b, sz), LM_OK);
    CHECK(memcmp(v, w, sizeof v) == 0);                              /* bit-exact, -0 and subnormal too */
    /* Bad blobs. */
    float keep[5];
    memcpy(keep, w, sizeof w);
    CHECK_EQ_INT(lmx_blob_decode(w, 5, b, sz - 1), LM_EINVAL);
    CHECK_EQ_INT(lmx_blob_decode(w, 5, b, sz + 1), LM_EINVAL);
    CHECK_EQ_INT(lmx_blob_decode(w, 5, b, 4), LM_EINVAL);
    CHECK_EQ_INT(lmx_blob_decode(w, 5, NULL, sz), LM_EINVAL);
    CHECK_EQ_INT(lmx_blob_decode(w, 4, b, sz), LM_EMISMATCH);
    CHECK_EQ_INT(lmx_blob_decode(w, 5, v, sizeof v), LM_EINVAL);      /* a raw float array: no header */
    b[0] = 'X';
    CHECK_EQ_INT(lmx_blob_dim(&d, b, sz), LM_EINVAL);
    CHECK_EQ_INT(d, 0);
    b[0] = 'L';
    b[4] = 0;                                                         /* dim 0 */
    CHECK_EQ_INT(lmx_blob_decode(w, 0, b, 8), LM_EINVAL);
    b[4] = 0x01; b[5] = 0x10;                                         /* dim 4097 */
    CHECK_EQ_INT(lmx_blob_dim(&d, b, 8 + 4 * 4097), LM_EINVAL);
    b[4] = 5; b[5] = 0;
    b[8 + 4 * 2 + 3] = 0x7F; b[8 + 4 * 2 + 2] = 0xC0;                 /* NaN payload */
    CHECK_EQ_INT(lmx_blob_decode(w, 5, b, sz), LM_EINVAL);
    CHECK(memcmp(keep, w, sizeof w) == 0);                           /* untouched on failure */
    /* Encoding checks. */
    CHECK_EQ_INT(lmx_blob_encode(b, sz - 1, v, 5), LM_ERANGE);
    CHECK_EQ_INT(lmx_blob_encode(b, sizeof b, v, 0), LM_ERANGE);
    v[1] = INFINITY;
    CHECK_EQ_INT(lmx_blob_encode(b, sizeof b, v, 5), LM_EINVAL);
    CHECK_EQ_INT(lmx_blob_encode(NULL, sizeof b, v, 5), LM_EINVAL);
}

/* ---- benchmark (--bench) ------------------------------------------------------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* VmHWM / VmRSS of this process in MiB. */
static double proc_mib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl)) v = atof(line + kl + 1) / 1024.0;
    if (f) fclose(f);
    return v;
}

/* CPU seconds of the process (all threads, user + system). */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int icmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* Zipf-like draw in [0, n): floor(n^u) - 1 gives P(k) ~ 1/k. */
static int zipf(int n) { int k = (int)pow((double)n + 1, rng_unif()) - 1; return k < n ? k : n - 1; }

static void bench(void)
{
    const int n = 100000, m = 50000, per = 72, topics = 2000, span = 1000;
    printf("# bench: OpenBLAS core %s, %d threads\n", openblas_get_corename(), openblas_get_num_threads());
    double t0 = now();
    /* Records from topics: each draws 2 topics, ~75%% of its words Zipf over
       its topics' 1000-term spans, the rest Zipf over the whole vocabulary. */
    int64_t *rp = malloc(sizeof(int64_t) * (size_t)(n + 1));
    int *ci = malloc(sizeof(int) * (size_t)n * per);
    float *v = malloc(sizeof(float) * (size_t)n * per);
    int *df = calloc((size_t)m, sizeof(int)), row[128];
    rng_seed(5);
    int64_t p = 0;
    for (int r = 0; r < n; r++) {
        int t1 = (int)(rng_next() % topics), t2 = (int)(rng_next() % topics);
        for (int j = 0; j < per; j++) {
            double u = rng_unif();
            int base = (u < 0.45 ? t1 : t2) * (m / topics) * 7 % m;
            row[j] = u < 0.75 ? (base + zipf(span)) % m : zipf(m);
        }
        qsort(row, (size_t)per, sizeof(int), icmp);
        rp[r] = p;
        for (int j = 0; j < per;) {
            int e = j;
            while (e < per && row[e] == row[j]) e++;
            ci[p] = row[j];
            v[p] = (float)(e - j);                                   /* tf */
            df[row[j]]++;
            p++;
            j = e;
        }
    }
    rp[n] = p;
    for (int r = 0; r < n; r++) {
        double nn = 0;
        for (int64_t k = rp[r]; k < rp[r + 1]; k++) {
            v[k] = (float)((1 + log(v[k])) * log((double)n / df[ci[k]]));
            nn += (double)v[k] * v[k];
        }
        for (int64_t k = rp[r]; k < rp[r + 1]; k++) v[k] = (float)(v[k] / sqrt(nn));
    }
    lmx_csr A = { n, m, rp, ci, v };
    double rss0 = proc_mib("VmRSS:"), hwm0 = proc_mib("VmHWM:");
    printf("# bench: matrix %d x %d, %lld non-zeros (%.1f a row), made in %.2f s, RSS %.0f MiB\n", n, m,
           (long long)p, (double)p / n, now() - t0, rss0);

    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    lmx_lsa mod;
    float *vecs = NULL;
    t0 = now();
    double c0 = cpu_s();
    int rc = lmx_lsa_fit(&mod, &vecs, &A, &o);
    double tb = now() - t0, cb = cpu_s() - c0;
    double hwm = proc_mib("VmHWM:");
    printf("# bench: lsa_fit rank %d (p %d, q %d) + record vectors: %s (rc %d) in %.2f s wall, %.2f s CPU; peak RSS %.0f MiB "
           "(+%.0f MiB over the %.0f MiB before the build)\n",
           mod.d, LMX_LSA_DEFAULT_OVERSAMPLE, LMX_LSA_DEFAULT_POWER_ITERS, rc ? "FAILED" : "ok", rc, tb, cb, hwm,
           hwm - (hwm0 > rss0 ? hwm0 : rss0), rss0);
    if (rc) return;
    printf("# bench: sigma_1 %.4g, sigma_64 %.4g, sigma_128 %.4g, sigma_256 %.4g\n", mod.sigma[0], mod.sigma[63],
           mod.sigma[127], mod.sigma[mod.d - 1]);
    /* Reproducibility at scale, on a smaller rank to keep it short. */
    lmx_lsa_opts o2 = LMX_LSA_OPTS_INIT;
    o2.rank = 64;
    lmx_lsa a1, a2;
    t0 = now();
    lmx_lsa_fit(&a1, NULL, &A, &o2);
    double t64 = now() - t0;
    lmx_lsa_fit(&a2, NULL, &A, &o2);
    printf("# bench: rank 64 fit %.2f s; two fits bit-identical: %s\n", t64,
           memcmp(a1.proj, a2.proj, sizeof(float) * (size_t)m * 64) ? "NO" : "yes");
    lmx_lsa_free(&a1);
    lmx_lsa_free(&a2);

    /* Retrieval over the 100k record vectors. */
    lmx_dense D;
    lmx_dense_init(&D, vecs, n, mod.d);
    int idx[100], cnt = 0;
    float sc[100];
    t0 = now();
    for (int i = 0; i < 100; i++) lmx_dense_topk(&cnt, idx, sc, &D, vecs + (size_t)(i * 997) * mod.d, 10, NULL);
    double t1 = (now() - t0) / 100;
    int nq = 2048;
    int *counts = malloc(sizeof(int) * nq), *bidx = malloc(sizeof(int) * (size_t)nq * 10);
    float *bsc = malloc(sizeof(float) * (size_t)nq * 10);
    t0 = now();
    rc = batch_into(counts, bidx, bsc, &D, vecs, nq, 10, NULL);
    double tbq = (now() - t0) / nq;
    printf("# bench: top-10 over %d x %d: one query (sgemv) %.2f ms; batch of %d (sgemm) %.3f ms/query (%s)\n", n,
           mod.d, t1 * 1e3, nq, tbq * 1e3, rc ? "FAILED" : "ok");
    printf("# bench: peak RSS of the whole run %.0f MiB\n", proc_mib("VmHWM:"));
    free(counts); free(bidx); free(bsc);
    lmx_lsa_free(&mod);
    free(vecs); free(rp); free(ci); free(v); free(df);
}

int main(int argc, char **argv)
{
    RUN(test_csr_check);
    RUN(test_rsvd_matches_dense_svd);
    RUN(test_reproducible);
    RUN(test_fold_in_equals_build);
    RUN(test_bridge_through_cooccurrence);
    RUN(test_fit_arguments);
    RUN(test_topk_equals_scan);
    RUN(test_topk_ties_under_rounding);
    RUN(test_topk_collector);
    RUN(test_batch_equals_single);
    RUN(test_vector_validation);
    RUN(test_blob);
    const char *env = getenv("LMX_BENCH");
    if ((argc > 1 && !strcmp(argv[1], "--bench")) || (env && *env && strcmp(env, "0"))) bench();
    return lmt_done();
}
