/*
** vectors.c -- latent semantic vectors on OpenBLAS/LAPACK (see vectors.h):
** a truncated SVD of the sparse record x term TF-IDF matrix by a randomized
** range finder, fold-in, exact dense top-k (single and batched), vector
** validation and the float32 storage blob.
*/
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cblas.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "libmatch.h"
#include "vectors.h"
#include "topk.h"

/* LAPACK, Fortran symbols (OpenBLAS or -llapack): LAPACKE is not needed. */
extern void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work,
                    const int *lwork, int *info);
extern void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau,
                    float *work, const int *lwork, int *info);
extern void sgetrf_(const int *m, const int *n, float *a, const int *lda, int *ipiv, int *info);
extern void slaswp_(const int *n, float *a, const int *lda, const int *k1, const int *k2, const int *ipiv,
                    const int *incx);
extern void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s, float *u,
                    const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork, int *iwork,
                    int *info);

/* Dense buffers of the range finder have rows of a multiple of this many
   floats (zero padding), so the sparse kernels run on fixed-size chunks the
   compiler vectorizes. */
#define CHUNK 16

/* Singular directions below sigma_1 * ZERO_SIGMA are numerically zero. */
#define ZERO_SIGMA 1e-5

/* Largest accepted vector norm (scores stay far from float overflow). */
#define MAX_NORM 1e15

/* ---- small helpers ---------------------------------------------------------- */

/* y[0..len) += a * x[0..len), len a multiple of CHUNK. */
static void axpy_chunks(float *restrict y, const float *restrict x, float a, size_t len)
{
    for (size_t j = 0; j < len; j += CHUNK)
        for (int t = 0; t < CHUNK; t++) y[j + t] += a * x[j + t];
}

/* Ask for the cache lines of p[0..len) ahead of their use (rw 1: to be
   written).  The sparse products touch one dense row per nonzero, at
   random: without this each row is a chain of cache misses. */
#define PREFETCH_AHEAD 6     /* nonzeros */
static inline void prefetch_row(const float *p, size_t len, int rw)
{
    for (size_t j = 0; j < len; j += 16) {
        if (rw) __builtin_prefetch(p + j, 1, 3);
        else __builtin_prefetch(p + j, 0, 3);
    }
}

/* y[0..len) += a * x[0..len), any len. */
static void axpy_any(float *restrict y, const float *restrict x, float a, size_t len)
{
    size_t body = len - len % CHUNK;
    axpy_chunks(y, x, a, body);
    for (size_t j = body; j < len; j++) y[j] += a * x[j];
}

/* Fixed-order dot product in double: each float product is exact in double,
   so the result is the same on every path and every BLAS. */
double lmx_dot_exact(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) s += (double)a[i] * (double)b[i];
    return s;
}

static double norm_exact(const float *v, int d)
{
    return sqrt(lmx_dot_exact(v, v, d));
}

/* ---- reproducible Gaussian stream ----------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): a full-period 64-bit generator. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A uniform double in (0, 1). */
static double uniform01(uint64_t *s)
{
    return ((double)(splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Fill the first `cols` entries of each of `rows` rows (stride ld) with
   standard normal values (Box-Muller, both outputs used). */
static void gaussian_fill(float *X, int rows, int cols, int ld, uint64_t seed)
{
    uint64_t s = seed;
    double spare = 0;
    int have = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            if (have) {
                X[(size_t)r * ld + c] = (float)spare;
                have = 0;
                continue;
            }
            double u1 = uniform01(&s), u2 = uniform01(&s);
            double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
            X[(size_t)r * ld + c] = (float)(rad * cos(th));
            spare = rad * sin(th);
            have = 1;
        }
}

/* ---- sparse matrix ------------------------------------------------------------ */

int lmx_csr_check(const lmx_csr *A)
{
    if (!A || A->nrows < 0 || A->ncols < 0) return LM_EINVAL;
    if (A->nrows == 0) return LM_OK;
    if (!A->rowptr || A->rowptr[0] < 0) return LM_EINVAL;
    for (int r = 0; r < A->nrows; r++)
        if (A->rowptr[r + 1] < A->rowptr[r]) return LM_EINVAL;
    if (A->rowptr[A->nrows] == A->rowptr[0]) return LM_OK;
    if (!A->colidx || !A->val) return LM_EINVAL;
    for (int64_t k = A->rowptr[0]; k < A->rowptr[A->nrows]; k++)
        if (A->colidx[k] < 0 || A->colidx[k] >= A->ncols || !isfinite(A->val[k])) return LM_EINVAL;
    return LM_OK;
}

/* ---- threads ----------------------------------------------------------------------- */

static int g_threads;          /* 0: one per online processor (at most 8) */

void lmx_set_threads(int n) { g_threads = n < 0 ? 0 : n; }

int lmx_threads(void)
{
    if (g_threads > 0) return g_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

typedef struct { void (*fn)(void *ctx, int part, int nparts); void *ctx; int part, nparts; } par_arg;

static void *par_main(void *p)
{
    par_arg *a = p;
    a->fn(a->ctx, a->part, a->nparts);
    return NULL;
}

void lmx_parallel(int nparts, void (*fn)(void *ctx, int part, int nparts), void *ctx)
{
    if (nparts > 64) nparts = 64;
    pthread_t th[64];
    par_arg arg[64];
    int started[64] = { 0 };
    for (int i = 1; i < nparts; i++) {
        arg[i] = (par_arg){ fn, ctx, i, nparts };
        started[i] = pthread_create(&th[i], NULL, par_main, &arg[i]) == 0;
    }
    fn(ctx, 0, nparts > 0 ? nparts : 1);
    for (int i = 1; i < nparts; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else fn(ctx, i, nparts);                  /* no thread: run the part here */
    }
}

/*
** Layouts.  A sparse product gathers or scatters whole rows of a dense
** factor, so its row-major input/output has rows of ld floats (a multiple of
** CHUNK, zero padding past l).  LAPACK's QR wants column-major: the
** nrows-side factor Y lives column-major only (the products below move it
** through a small row-major block), the ncols-side factor has a row-major
** copy (random row access by column index) and a column-major one (QR).
**
** Both products run on lmx_threads() threads without changing a single
** float: Y = A X splits the rows of A (each output row is one thread's, its
** terms added in the same order), Z = A^T Y splits the columns of the dense
** factors (each output entry sums over the rows of A in the same order).
** So the model is bit-identical whatever the number of threads.
*/
#define RBLK 64     /* rows per block moved between the layouts */

typedef struct {
    const lmx_csr *A;
    const float *X;            /* spmm: ncols x ld row-major; spmm_t: Y column-major */
    float *out;                /* spmm: Y column-major; spmm_t: Z row-major */
    int l, ld;
    int rc;                    /* a scratch allocation failed */
} spmm_job;

/* Rows [r0, r1) of A: Y = A X for them. */
static void spmm_rows(const spmm_job *j, int r0, int r1, float *blk)
{
    const lmx_csr *A = j->A;
    const int n = A->nrows, ld = j->ld;
    for (int b0 = r0; b0 < r1; b0 += RBLK) {
        int nb = r1 - b0 < RBLK ? r1 - b0 : RBLK;
        for (int i = 0; i < nb; i++) {
            float *y = blk + (size_t)i * ld;
            memset(y, 0, sizeof(float) * (size_t)ld);
            for (int64_t k = A->rowptr[b0 + i], end = A->rowptr[b0 + i + 1]; k < end; k++) {
                if (k + PREFETCH_AHEAD < A->rowptr[A->nrows])
                    prefetch_row(j->X + (size_t)A->colidx[k + PREFETCH_AHEAD] * ld, (size_t)ld, 0);
                axpy_chunks(y, j->X + (size_t)A->colidx[k] * ld, A->val[k], (size_t)ld);
            }
        }
        for (int c = 0; c < j->l; c++) {
            float *col = j->out + (size_t)c * n + b0;
            for (int i = 0; i < nb; i++) col[i] = blk[(size_t)i * ld + c];
        }
    }
}

/* The first row of part `part` of `nparts`, splitting A's entries evenly. */
static int row_split(const lmx_csr *A, int part, int nparts)
{
    if (part <= 0) return 0;
    if (part >= nparts) return A->nrows;
    int64_t base = A->rowptr[0], want = base + (A->rowptr[A->nrows] - base) * part / nparts;
    int lo = 0, hi = A->nrows;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (A->rowptr[mid] < want) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void spmm_part(void *ctx, int part, int nparts)
{
    spmm_job *j = ctx;
    float *blk = malloc(sizeof(float) * RBLK * (size_t)j->ld);
    if (!blk) { j->rc = LM_ENOMEM; return; }
    spmm_rows(j, row_split(j->A, part, nparts), row_split(j->A, part + 1, nparts), blk);
    free(blk);
}

/* Y (nrows x l, column-major, lda nrows) = A X, X (ncols x ld, row-major). */
static int spmm_cm(const lmx_csr *A, const float *X, int l, int ld, float *Y)
{
    spmm_job j = { A, X, Y, l, ld, LM_OK };
    int t = lmx_threads();
    if ((int64_t)A->nrows < (int64_t)t * RBLK) t = 1;
    lmx_parallel(t, spmm_part, &j);
    return j.rc;
}

/* Columns [c0, c1) of Z = A^T Y (c0, c1 multiples of CHUNK, or c1 = ld). */
static void spmm_t_part(void *ctx, int part, int nparts)
{
    spmm_job *j = ctx;
    const lmx_csr *A = j->A;
    const int n = A->nrows, ld = j->ld, nchunks = ld / CHUNK;
    int c0 = nchunks * part / nparts * CHUNK, c1 = nchunks * (part + 1) / nparts * CHUNK;
    int w = c1 - c0, lim = c1 < j->l ? c1 : j->l;
    if (w <= 0) return;
    float *blk = calloc((size_t)RBLK * (size_t)w, sizeof(float));     /* padding stays zero */
    if (!blk) { j->rc = LM_ENOMEM; return; }
    for (int i = 0; i < A->ncols; i++) memset(j->out + (size_t)i * ld + c0, 0, sizeof(float) * (size_t)w);
    for (int r0 = 0; r0 < n; r0 += RBLK) {
        int nb = n - r0 < RBLK ? n - r0 : RBLK;
        for (int c = c0; c < lim; c++) {
            const float *col = j->X + (size_t)c * n + r0;
            for (int i = 0; i < nb; i++) blk[(size_t)i * w + (c - c0)] = col[i];
        }
        for (int i = 0; i < nb; i++) {
            const float *y = blk + (size_t)i * w;
            for (int64_t k = A->rowptr[r0 + i], end = A->rowptr[r0 + i + 1]; k < end; k++) {
                if (k + PREFETCH_AHEAD < A->rowptr[n])
                    prefetch_row(j->out + (size_t)A->colidx[k + PREFETCH_AHEAD] * ld + c0, (size_t)w, 1);
                axpy_chunks(j->out + (size_t)A->colidx[k] * ld + c0, y, A->val[k], (size_t)w);
            }
        }
    }
    free(blk);
}

/* Z (ncols x ld, row-major) = A^T Y, Y (nrows x l, column-major). */
static int spmm_t_cm(const lmx_csr *A, const float *Y, int l, int ld, float *Z)
{
    spmm_job j = { A, Y, Z, l, ld, LM_OK };
    int t = lmx_threads();
    if (t > ld / CHUNK) t = ld / CHUNK;
    if ((int64_t)A->nrows < (int64_t)t * RBLK) t = 1;
    lmx_parallel(t, spmm_t_part, &j);
    return j.rc;
}

/* C (rows x l, column-major, lda rows) = the first l columns of R (rows x ld,
   row-major). */
static void rm_to_cm(const float *R, int rows, int l, int ld, float *C)
{
    for (int r0 = 0; r0 < rows; r0 += RBLK) {
        int nb = rows - r0 < RBLK ? rows - r0 : RBLK;
        for (int j = 0; j < l; j++) {
            float *col = C + (size_t)j * rows + r0;
            for (int i = 0; i < nb; i++) col[i] = R[(size_t)(r0 + i) * ld + j];
        }
    }
}

/* The reverse; R's padding columns l..ld-1 are left as they are. */
static void cm_to_rm(const float *C, int rows, int l, int ld, float *R)
{
    for (int r0 = 0; r0 < rows; r0 += RBLK) {
        int nb = rows - r0 < RBLK ? rows - r0 : RBLK;
        for (int j = 0; j < l; j++) {
            const float *col = C + (size_t)j * rows + r0;
            for (int i = 0; i < nb; i++) R[(size_t)(r0 + i) * ld + j] = col[i];
        }
    }
}

/* ---- orthonormalization ---------------------------------------------------------- */

typedef struct {
    float *tau, *work;
    int lwork;
} qr_ws;

static int qr_ws_init(qr_ws *w, int l, int maxrows)
{
    int info = 0, query = -1;
    float opt1 = 0, opt2 = 0, dummy = 0;
    memset(w, 0, sizeof *w);
    /* Workspace queries do not touch the matrix. */
    sgeqrf_(&maxrows, &l, &dummy, &maxrows, &dummy, &opt1, &query, &info);
    if (info) return LM_ERROR;
    sorgqr_(&maxrows, &l, &l, &dummy, &maxrows, &dummy, &opt2, &query, &info);
    if (info) return LM_ERROR;
    double need = opt1 > opt2 ? opt1 : opt2;
    if (need < l) need = l;
    if (need > INT_MAX / 2) return LM_ENOMEM;
    w->lwork = (int)need + 1;
    w->tau = malloc(sizeof(float) * (size_t)l);
    w->work = malloc(sizeof(float) * (size_t)w->lwork);
    if (!w->tau || !w->work) { free(w->tau); free(w->work); memset(w, 0, sizeof *w); return LM_ENOMEM; }
    return LM_OK;
}

static void qr_ws_free(qr_ws *w)
{
    free(w->tau);
    free(w->work);
    memset(w, 0, sizeof *w);
}

/* Replace the column-major rows x l matrix C (lda rows, rows >= l) by the
   orthonormal factor of its QR factorization (Householder: sgeqrf +
   sorgqr), which spans the same space. */
static int orthonormalize(float *C, int rows, int l, qr_ws *w)
{
    int info = 0;
    sgeqrf_(&rows, &l, C, &rows, w->tau, w->work, &w->lwork, &info);
    if (info) return LM_ERROR;
    sorgqr_(&rows, &l, &l, C, &rows, w->tau, w->work, &w->lwork, &info);
    return info ? LM_ERROR : LM_OK;
}

/*
** The normalization between the products of a power iteration: C = P L U
** (LU with partial pivoting, sgetrf) is replaced by P L, which spans the
** same space, has entries of magnitude at most 1 and costs a quarter of a
** Householder QR and its sorgqr (as Li, Linderman et al. do in the power
** iterations of randomized PCA, ACM TOMS Algorithm 971).  The range Q the
** model is computed from is still orthonormalized by QR.  ipiv: l ints.
*/
static int lu_normalize(float *C, int rows, int l, int *ipiv)
{
    int info = 0, one = 1, back = -1;
    sgetrf_(&rows, &l, C, &rows, ipiv, &info);
    if (info < 0) return LM_ERROR;      /* > 0: a zero pivot; L is still a basis of the columns' span */
    for (int j = 0; j < l; j++) {
        float *col = C + (size_t)j * rows;
        memset(col, 0, sizeof(float) * (size_t)j);
        col[j] = 1.0f;
    }
    slaswp_(&l, C, &rows, &one, &l, ipiv, &back);     /* P L: the rows back in their places */
    return LM_OK;
}

/* ---- fold-in -------------------------------------------------------------------- */

/* out = normalize(sum w[k] proj[terms[k]]) over 0 <= terms[k] < limit.  The
   one routine behind lmx_lsa_fold() and the record vectors
   of lmx_lsa_fit(), so that they agree bit for bit. */
static int fold_row(const float *proj, int d, int limit, const int *terms, const float *w, int64_t nnz,
                    float *out)
{
    memset(out, 0, sizeof(float) * (size_t)d);
    for (int64_t k = 0; k < nnz; k++)
        if (!isfinite(w[k])) return LM_EINVAL;
    int any = 0;
    for (int64_t k = 0; k < nnz; k++) {
        int t = terms[k];
        if (k + PREFETCH_AHEAD < nnz) {
            int tn = terms[k + PREFETCH_AHEAD];
            if (tn >= 0 && tn < limit) prefetch_row(proj + (size_t)tn * d, (size_t)d, 0);
        }
        if (t < 0 || t >= limit || w[k] == 0) continue;
        axpy_any(out, proj + (size_t)t * d, w[k], (size_t)d);
        any = 1;
    }
    if (!any) return LM_ERANGE;
    return lmx_vec_normalize(out, d) ? LM_OK : LM_ERANGE;
}

int lmx_lsa_fold(const lmx_lsa *m, const int *terms, const float *w, int nnz, float *out)
{
    if (!m || !out || m->d < 1 || !m->proj) return LM_EINVAL;
    if (nnz < 0 || (nnz > 0 && (!terms || !w))) {
        memset(out, 0, sizeof(float) * (size_t)m->d);
        return LM_EINVAL;
    }
    return fold_row(m->proj, m->d, m->ncols, terms, w, nnz, out);
}

typedef struct { const lmx_lsa *m; const lmx_csr *A; int r0, nr; float *out; int rc; } fold_job;

static void fold_part(void *ctx, int part, int nparts)
{
    fold_job *j = ctx;
    int a = j->r0 + (int)((int64_t)j->nr * part / nparts), b = j->r0 + (int)((int64_t)j->nr * (part + 1) / nparts);
    for (int r = a; r < b; r++) {
        int64_t k = j->A->rowptr[r];
        int frc = fold_row(j->m->proj, j->m->d, j->m->ncols, j->A->colidx + k, j->A->val + k, j->A->rowptr[r + 1] - k,
                           j->out + (size_t)(r - j->r0) * j->m->d);
        if (frc == LM_EINVAL) j->rc = LM_EINVAL;
    }
}

int lmx_lsa_fold_rows(const lmx_lsa *m, const lmx_csr *A, int r0, int nr, float *out)
{
    if (!m || !A || !out || m->d < 1 || !m->proj || r0 < 0 || nr < 0 || r0 + nr > A->nrows) return LM_EINVAL;
    fold_job j = { m, A, r0, nr, out, LM_OK };
    int t = lmx_threads();
    if (nr < 256 * t) t = 1;
    lmx_parallel(t, fold_part, &j);
    return j.rc;
}

/* ---- the randomized truncated SVD --------------------------------------------------- */

void lmx_lsa_free(lmx_lsa *m)
{
    if (!m) return;
    free(m->proj);
    free(m->sigma);
    memset(m, 0, sizeof *m);
}

/*
** SVD of B^T, the column-major m x l matrix Bt (m >= l; overwritten):
** B^T = V Sigma U_B^T, so its left singular vectors are A's right ones.
** Writes sigma (d) and P (m x d, row-major) = V_d Sigma_d^sigma_power.
** sgesdd works on the tall B^T (QR first, contiguous columns) rather than on
** the wide B (LQ, strided rows: several times slower).
*/
static int small_svd(float *Bt, int m, int l, int d, float sigma_power, float *sigma, float *P)
{
    int info = 0, query = -1, ldu = 1, ldvt = l;
    float opt = 0, udummy = 0;
    float *s = malloc(sizeof(float) * (size_t)l);
    float *vt = malloc(sizeof(float) * (size_t)l * (size_t)l);
    int *iwork = malloc(sizeof(int) * 8 * (size_t)l);
    float *work = NULL;
    int rc = LM_ENOMEM;
    if (!s || !vt || !iwork) goto done;
    /* jobz 'O', m >= l: U overwrites Bt, V^T (l x l) goes to vt. */
    sgesdd_("O", &m, &l, Bt, &m, s, &udummy, &ldu, vt, &ldvt, &opt, &query, iwork, &info);
    if (info || !(opt >= 1) || opt > (float)(INT_MAX / 2)) { rc = info ? LM_ERROR : LM_ENOMEM; goto done; }
    int lwork = (int)opt + 1;
    if (!(work = malloc(sizeof(float) * (size_t)lwork))) goto done;
    sgesdd_("O", &m, &l, Bt, &m, s, &udummy, &ldu, vt, &ldvt, work, &lwork, iwork, &info);
    if (info) { rc = LM_ERROR; goto done; }
    if (!(s[0] > 0) || !isfinite(s[0])) { rc = LM_ERANGE; goto done; }   /* A is zero */
    float scale[LM_MAX_DIM];
    for (int j = 0; j < d; j++) {
        sigma[j] = s[j];
        if (!((double)s[j] > s[0] * ZERO_SIGMA)) scale[j] = 0;
        else scale[j] = sigma_power == 0 ? 1.0f : (float)pow(s[j], sigma_power);
    }
    for (int t0 = 0; t0 < m; t0 += RBLK) {
        int nb = m - t0 < RBLK ? m - t0 : RBLK;
        for (int j = 0; j < d; j++) {
            const float *col = Bt + (size_t)j * m + t0;
            for (int i = 0; i < nb; i++) P[(size_t)(t0 + i) * d + j] = col[i] * scale[j];
        }
    }
    rc = LM_OK;
done:
    free(s);
    free(vt);
    free(iwork);
    free(work);
    return rc;
}

static int lsa_fit(lmx_lsa *out, float **out_vecs, const lmx_csr *A, const lmx_lsa_opts *opts);

/*
** LAPACK's LU in OpenBLAS (sgetrf_parallel) keeps per-CPU work arrays on
** the stack: a few MB, more than the threads of some callers have (a JVM
** thread has 1 MB, and so may a thread of any host).  The fit runs on a
** thread of its own with LSA_STACK bytes of stack; the caller's thread
** only waits.
*/
#define LSA_STACK ((size_t)64 << 20)

typedef struct {
    lmx_lsa *out;
    float **out_vecs;
    const lmx_csr *A;
    const lmx_lsa_opts *opts;
    int rc;
} fit_call;

static void *fit_main(void *arg)
{
    fit_call *c = arg;
    c->rc = lsa_fit(c->out, c->out_vecs, c->A, c->opts);
    return NULL;
}

int lmx_lsa_fit(lmx_lsa *out, float **out_vecs, const lmx_csr *A, const lmx_lsa_opts *opts)
{
    fit_call c = { out, out_vecs, A, opts, LM_OK };
    pthread_attr_t attr;
    pthread_t th;
    int started = 0;
    if (pthread_attr_init(&attr) == 0) {
        started = pthread_attr_setstacksize(&attr, LSA_STACK) == 0 && pthread_create(&th, &attr, fit_main, &c) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) return lsa_fit(out, out_vecs, A, opts);    /* no thread to be had: the caller's own */
    pthread_join(th, NULL);
    return c.rc;
}

static int lsa_fit(lmx_lsa *out, float **out_vecs, const lmx_csr *A, const lmx_lsa_opts *opts)
{
    if (out_vecs) *out_vecs = NULL;
    if (!out) return LM_EINVAL;
    memset(out, 0, sizeof *out);
    if (!A) return LM_EINVAL;
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    if (opts) o = *opts;
    if (o.rank == 0) o.rank = LMX_LSA_DEFAULT_RANK;
    if (o.oversample == -1) o.oversample = LMX_LSA_DEFAULT_OVERSAMPLE;
    if (o.power_iters == -1) o.power_iters = LMX_LSA_DEFAULT_POWER_ITERS;
    if (o.rank < 0 || o.oversample < 0 || o.oversample > LM_MAX_DIM || o.power_iters < 0 ||
        o.power_iters > LMX_LSA_MAX_POWER_ITERS || !(o.sigma_power >= -1.0f && o.sigma_power <= 1.0f))
        return LM_EINVAL;
    if (o.rank > LM_MAX_DIM) return LM_ERANGE;
    int rc = lmx_csr_check(A);
    if (rc) return rc;
    const int n = A->nrows, m = A->ncols;
    const int mn = n < m ? n : m;
    if (mn < 2 || A->rowptr[n] == A->rowptr[0]) return LM_ERANGE;
    const int d = o.rank < mn - 1 ? o.rank : mn - 1;       /* a reduction: at least one dimension dropped */
    const int l = d + o.oversample < mn ? d + o.oversample : mn;
    const int ld = (l + CHUNK - 1) / CHUNK * CHUNK;
    float *Xr = calloc((size_t)m * ld, sizeof(float));   /* ncols side, row-major: Omega, A^T Q, B^T */
    float *Xc = malloc(sizeof(float) * (size_t)m * l);   /* ncols side, column-major: QR, SVD */
    float *Yc = malloc(sizeof(float) * (size_t)n * l);   /* nrows side, column-major: A X, then Q */
    float *P = malloc(sizeof(float) * (size_t)m * d);
    float *sigma = malloc(sizeof(float) * (size_t)d);
    int *ipiv = malloc(sizeof(int) * (size_t)l);
    qr_ws ws = { 0 };
    if (!Xr || !Xc || !Yc || !P || !sigma || !ipiv) { rc = LM_ENOMEM; goto fail; }
    if ((rc = qr_ws_init(&ws, l, n > m ? n : m))) goto fail;

    gaussian_fill(Xr, m, l, ld, o.seed);
    if ((rc = spmm_cm(A, Xr, l, ld, Yc))) goto fail;          /* Y = A Omega */
    /* Normalized by LU between products, orthonormalized by QR last. */
    rc = o.power_iters ? lu_normalize(Yc, n, l, ipiv) : orthonormalize(Yc, n, l, &ws);
    if (rc) goto fail;
    for (int it = 0; it < o.power_iters; it++) {
        if ((rc = spmm_t_cm(A, Yc, l, ld, Xr))) goto fail;    /* Z = A^T Y */
        rm_to_cm(Xr, m, l, ld, Xc);
        if ((rc = lu_normalize(Xc, m, l, ipiv))) goto fail;
        cm_to_rm(Xc, m, l, ld, Xr);
        if ((rc = spmm_cm(A, Xr, l, ld, Yc))) goto fail;      /* Y = A Z */
        rc = it + 1 < o.power_iters ? lu_normalize(Yc, n, l, ipiv) : orthonormalize(Yc, n, l, &ws);
        if (rc) goto fail;
    }
    if ((rc = spmm_t_cm(A, Yc, l, ld, Xr))) goto fail;        /* B^T = A^T Q */
    free(Yc);
    Yc = NULL;
    free(ipiv);
    ipiv = NULL;
    qr_ws_free(&ws);
    rm_to_cm(Xr, m, l, ld, Xc);
    free(Xr);
    Xr = NULL;
    if ((rc = small_svd(Xc, m, l, d, o.sigma_power, sigma, P))) goto fail;
    free(Xc);
    Xc = NULL;

    out->ncols = m;
    out->d = d;
    out->proj = P;
    out->sigma = sigma;
    if (out_vecs) {
        float *V = malloc(sizeof(float) * (size_t)n * d);
        if (!V) { lmx_lsa_free(out); return LM_ENOMEM; }
        lmx_lsa_fold_rows(out, A, 0, n, V);                   /* A was checked: no LM_EINVAL */
        *out_vecs = V;
    }
    return LM_OK;
fail:
    qr_ws_free(&ws);
    free(ipiv);
    free(Xr);
    free(Xc);
    free(Yc);
    free(P);
    free(sigma);
    return rc;
}

/* ---- vectors ------------------------------------------------------------------------- */

int lmx_vec_check(const float *v, int d)
{
    if (d < 0 || (d > 0 && !v)) return LM_EINVAL;
    for (int i = 0; i < d; i++)
        if (!isfinite(v[i])) return LM_EINVAL;
    return LM_OK;
}

int lmx_vec_normalize(float *v, int d)
{
    if (!v || d <= 0) return 0;
    double nrm = norm_exact(v, d);
    if (!(nrm > 0) || !isfinite(nrm)) {
        memset(v, 0, sizeof(float) * (size_t)d);
        return 0;
    }
    for (int i = 0; i < d; i++) v[i] = (float)(v[i] / nrm);
    return 1;
}

/* ---- exact dense top-k ------------------------------------------------------------------ */

int lmx_dense_init(lmx_dense *out, const float *M, int n, int d)
{
    if (!out) return LM_EINVAL;
    memset(out, 0, sizeof *out);
    if (n < 0 || (n > 0 && !M)) return LM_EINVAL;
    if (d < 1 || d > LM_MAX_DIM) return LM_ERANGE;
    double mx = 0;
    for (int i = 0; i < n; i++) {
        const float *row = M + (size_t)i * d;
        if (lmx_vec_check(row, d)) return LM_EINVAL;
        double nr = norm_exact(row, d);
        if (nr > mx) mx = nr;
    }
    if (mx > MAX_NORM) return LM_ERANGE;
    float f = (float)mx;
    if ((double)f < mx) f = nextafterf(f, INFINITY);    /* an upper bound */
    out->M = M;
    out->n = n;
    out->d = d;
    out->maxnorm = f;
    return LM_OK;
}

/*
** The rounding bound of a BLAS float dot product of length d: |fl(a.b) -
** a.b| <= gamma_d sum |a_i b_i| <= gamma_d |a| |b| for any summation order,
** with or without FMA (Higham, Accuracy and Stability, 3.1).  Doubled to
** cover the double re-scoring and the rounding of the norms, plus an
** absolute term for underflow.
*/
static double score_eps(int d, double maxnorm, double qnorm)
{
    const double u = 1.0 / 16777216.0;           /* 2^-24 */
    double g = (d + 1) * u / (1.0 - (d + 1) * u);
    return 2.0 * g * maxnorm * qnorm + (d + 1) * 1e-37;
}

typedef struct { float s; int i; } cand;
typedef struct { double e; int i; } scored;

/*
** Top-k collector of one query.  The k best screening (BLAS) scores, kept
** in the library's one best-k collector (topk.h), give the threshold thr;
** every row scoring at least thr - 2 eps (thr at that time, which only
** grows) is kept as a candidate: with |screening - exact| <= eps, the true
** k-th best exact score is at least thr - eps, so no row of the true top k
** is ever dropped.
*/
typedef struct {
    int nc, cap;
    lmx_topk best;   /* the k best screening scores (ids: rows) */
    cand *c;
    float thr;       /* -inf until k rows were seen */
    float margin;    /* 2 eps */
    float floor;     /* min_score - eps */
    double eps;
} collector;

static void coll_reset(collector *c, int k, double eps, float min_score)
{
    if (c->best.k == k) {
        c->best.n = 0;                  /* keep the slots for the next query */
    } else {
        lmx_topk_free(&c->best);
        lmx_topk_init(&c->best, k);
    }
    c->nc = 0;
    c->thr = -INFINITY;
    c->eps = eps;
    c->margin = (float)(2.0 * eps) * 1.0001f;
    c->floor = min_score == -INFINITY ? -INFINITY : (float)(min_score - eps * 1.0001);
}

static void coll_free(collector *c)
{
    lmx_topk_free(&c->best);
    free(c->c);
    c->c = NULL;
    c->cap = 0;
}

/* The lowest screening score that can still enter the top k. */
static inline float coll_limit(const collector *c)
{
    float lim = c->thr - c->margin;
    return lim > c->floor ? lim : c->floor;
}

static void coll_prune(collector *c)
{
    float lim = c->thr - c->margin;
    int w = 0;
    for (int r = 0; r < c->nc; r++)
        if (c->c[r].s >= lim) c->c[w++] = c->c[r];
    c->nc = w;
}

static int coll_push(collector *c, float s, int i)
{
    if (c->nc == c->cap) {
        coll_prune(c);
        if (c->nc * 2 >= c->cap) {
            int ncap = c->cap ? c->cap * 2 : 2 * c->best.k + 32;
            if (ncap < 0 || (size_t)ncap > SIZE_MAX / sizeof(cand)) return LM_ENOMEM;
            cand *nb = realloc(c->c, sizeof(cand) * (size_t)ncap);
            if (!nb) return LM_ENOMEM;
            c->c = nb;
            c->cap = ncap;
        }
    }
    c->c[c->nc].s = s;
    c->c[c->nc].i = i;
    c->nc++;
    int slot;
    if (lmx_topk_push(&c->best, s, i, &slot)) return LM_ENOMEM;
    if (lmx_topk_full(&c->best)) c->thr = (float)lmx_topk_worst(&c->best);
    return LM_OK;
}

static int scored_cmp(const void *pa, const void *pb)
{
    const scored *a = pa, *b = pb;
    if (a->e > b->e) return -1;
    if (a->e < b->e) return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Re-score the candidates exactly and write the top k: *out_n results. */
static int coll_finish(collector *c, const lmx_dense *D, const float *q, float min_score, int *idx, float *score,
                       int *out_n)
{
    *out_n = 0;
    coll_prune(c);
    if (c->nc == 0) return LM_OK;
    scored *sc = malloc(sizeof(scored) * (size_t)c->nc);
    if (!sc) return LM_ENOMEM;
    int ns = 0;
    for (int r = 0; r < c->nc; r++) {
        double e = lmx_dot_exact(D->M + (size_t)c->c[r].i * D->d, q, D->d);
        if (e >= (double)min_score) {
            sc[ns].e = e;
            sc[ns].i = c->c[r].i;
            ns++;
        }
    }
    qsort(sc, (size_t)ns, sizeof *sc, scored_cmp);
    int cnt = ns < c->best.k ? ns : c->best.k;
    for (int r = 0; r < cnt; r++) {
        idx[r] = sc[r].i;
        score[r] = (float)sc[r].e;
    }
    free(sc);
    *out_n = cnt;
    return LM_OK;
}

/* Check a query, and give the screening error bound for it. */
static int query_eps(const lmx_dense *D, const float *q, double *eps)
{
    if (lmx_vec_check(q, D->d)) return LM_EINVAL;
    double qn = norm_exact(q, D->d);
    if (qn > MAX_NORM) return LM_ERANGE;
    *eps = score_eps(D->d, D->maxnorm, qn);
    return LM_OK;
}

static int dense_ok(const lmx_dense *D)
{
    return D && D->d >= 1 && D->d <= LM_MAX_DIM && D->n >= 0 && (D->n == 0 || D->M) && D->maxnorm >= 0;
}

/* Whether any of the 16 scores at s is at least t (false for NaN). */
static inline int any_at_least16(const float *s, float t)
{
#if defined(__SSE2__)
    __m128 tv = _mm_set1_ps(t);
    __m128 m = _mm_or_ps(_mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(s), tv), _mm_cmpge_ps(_mm_loadu_ps(s + 4), tv)),
                         _mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(s + 8), tv), _mm_cmpge_ps(_mm_loadu_ps(s + 12), tv)));
    return _mm_movemask_ps(m) != 0;
#else
    int any = 0;
    for (int j = 0; j < 16; j++) any |= s[j] >= t;
    return any;
#endif
}

/* Offer the screening scores s[0..cnt) of rows r0.. to a collector.  Once
   the threshold is set, runs of 16 scores below it are skipped at once (the
   threshold only grows, so nothing skipped could have entered). */
static int coll_feed(collector *c, const float *s, int r0, int cnt, const lmx_topk_opts *o, int qrow)
{
    for (int r = 0; r < cnt; r++) {
        while (r + 16 <= cnt && !any_at_least16(s + r, coll_limit(c))) r += 16;
        if (r == cnt) break;
        if (!(s[r] >= coll_limit(c))) continue;          /* also NaN */
        int row = r0 + r;
        if (o->mask && !o->mask[row]) continue;
        if (o->filter && !o->filter(o->filter_ctx, qrow, row)) continue;
        int rc = coll_push(c, s[r], row);
        if (rc) return rc;
    }
    return LM_OK;
}

#define TOPK_ROW_CHUNK 65536     /* rows per sgemv call of one query */
#define TOPK_QBLOCK    256
#define TOPK_RBLOCK    16384

int lmx_dense_topk(int *out_n, int *idx, float *score, const lmx_dense *D, const float *q, int k,
                   const lmx_topk_opts *opts)
{
    if (!out_n) return LM_EINVAL;
    *out_n = 0;
    if (!dense_ok(D) || !q || k < 0 || (k > 0 && (!idx || !score))) return LM_EINVAL;
    lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
    if (opts) o = *opts;
    if (isnan(o.min_score)) return LM_EINVAL;
    double eps;
    int rc = query_eps(D, q, &eps);
    if (rc || k == 0 || D->n == 0) return rc;
    if (k > D->n) k = D->n;
    int chunk = D->n < TOPK_ROW_CHUNK ? D->n : TOPK_ROW_CHUNK;
    float *s = malloc(sizeof(float) * (size_t)chunk);
    collector c = { 0 };
    if (!s) { rc = LM_ENOMEM; goto done; }
    coll_reset(&c, k, eps, o.min_score);
    for (int r0 = 0; r0 < D->n && !rc; r0 += chunk) {
        int cnt = D->n - r0 < chunk ? D->n - r0 : chunk;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, cnt, D->d, 1.0f, D->M + (size_t)r0 * D->d, D->d, q, 1, 0.0f, s, 1);
        rc = coll_feed(&c, s, r0, cnt, &o, 0);
    }
    if (!rc) rc = coll_finish(&c, D, q, o.min_score, idx, score, out_n);
done:
    free(s);
    coll_free(&c);
    return rc;
}

int lmx_dense_topk_batch(const lmx_dense *D, const float *Q, int nq, int k, const lmx_topk_opts *opts,
                         lmx_topk_cb cb, void *cb_ctx)
{
    if (!dense_ok(D) || nq < 0 || (nq > 0 && !Q) || k < 0 || !cb) return LM_EINVAL;
    lmx_topk_opts o = LMX_TOPK_OPTS_INIT;
    if (opts) o = *opts;
    if (isnan(o.min_score) || o.qblock < 0 || o.rblock < 0) return LM_EINVAL;
    if (nq == 0) return LM_OK;
    const int d = D->d, n = D->n;
    double *eps = malloc(sizeof(double) * (size_t)(nq ? nq : 1));
    if (!eps) return LM_ENOMEM;
    int rc = LM_OK;
    for (int i = 0; i < nq && !rc; i++) rc = query_eps(D, Q + (size_t)i * d, &eps[i]);
    if (rc) { free(eps); return rc; }
    int kk = k < n ? k : n;
    if (kk == 0) {                                /* nothing to rank: empty results */
        for (int i = 0; i < nq && !rc; i++) rc = cb(cb_ctx, i, NULL, NULL, 0);
        free(eps);
        return rc;
    }
    int qb = o.qblock ? o.qblock : TOPK_QBLOCK;
    int lim = (1 << 20) / kk;                     /* bound the collectors' memory */
    if (!o.qblock && qb > lim) qb = lim < 8 ? 8 : lim;
    if (qb > nq) qb = nq;
    int rb = o.rblock ? o.rblock : TOPK_RBLOCK;
    if (rb > n) rb = n;
    float *S = malloc(sizeof(float) * (size_t)qb * (size_t)rb);
    collector *col = calloc((size_t)qb, sizeof *col);
    int *ridx = malloc(sizeof(int) * (size_t)kk);
    float *rsc = malloc(sizeof(float) * (size_t)kk);
    if (!S || !col || !ridx || !rsc) { rc = LM_ENOMEM; goto done; }
    for (int q0 = 0; q0 < nq && !rc; q0 += qb) {
        int nb = nq - q0 < qb ? nq - q0 : qb;
        for (int j = 0; j < nb; j++) coll_reset(&col[j], kk, eps[q0 + j], o.min_score);
        for (int r0 = 0; r0 < n && !rc; r0 += rb) {
            int cnt = n - r0 < rb ? n - r0 : rb;
            /* S (nb x cnt) = Q[q0..] M[r0..]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, cnt, d, 1.0f, Q + (size_t)q0 * d, d,
                        D->M + (size_t)r0 * d, d, 0.0f, S, cnt);
            for (int j = 0; j < nb && !rc; j++) rc = coll_feed(&col[j], S + (size_t)j * cnt, r0, cnt, &o, q0 + j);
        }
        for (int j = 0; j < nb && !rc; j++) {
            int got = 0;
            rc = coll_finish(&col[j], D, Q + (size_t)(q0 + j) * d, o.min_score, ridx, rsc, &got);
            if (!rc) rc = cb(cb_ctx, q0 + j, ridx, rsc, got);
        }
    }
done:
    if (col)
        for (int j = 0; j < qb; j++) coll_free(&col[j]);
    free(col);
    free(S);
    free(ridx);
    free(rsc);
    free(eps);
    return rc;
}

/* ---- float32 blob ------------------------------------------------------------------------- */

size_t lmx_blob_size(int d)
{
    return d >= 1 && d <= LM_MAX_DIM ? LMX_BLOB_HEADER + 4 * (size_t)d : 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int lmx_blob_encode(void *out, size_t cap, const float *v, int d)
{
    if (!out || !v) return LM_EINVAL;
    size_t need = lmx_blob_size(d);
    if (!need || cap < need) return LM_ERANGE;
    if (lmx_vec_check(v, d)) return LM_EINVAL;
    unsigned char *p = out;
    memcpy(p, LMX_BLOB_MAGIC, 4);
    put_u32(p + 4, (uint32_t)d);
    for (int i = 0; i < d; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        put_u32(p + LMX_BLOB_HEADER + 4 * (size_t)i, bits);
    }
    return LM_OK;
}

int lmx_blob_dim(int *out_d, const void *blob, size_t len)
{
    if (!out_d) return LM_EINVAL;
    *out_d = 0;
    if (!blob || len < LMX_BLOB_HEADER || memcmp(blob, LMX_BLOB_MAGIC, 4) != 0) return LM_EINVAL;
    uint32_t d = get_u32((const unsigned char *)blob + 4);
    if (d < 1 || d > LM_MAX_DIM || len != lmx_blob_size((int)d)) return LM_EINVAL;
    *out_d = (int)d;
    return LM_OK;
}

int lmx_blob_decode(float *out, int d, const void *blob, size_t len)
{
    int bd = 0;
    if (!out) return LM_EINVAL;
    int rc = lmx_blob_dim(&bd, blob, len);
    if (rc) return rc;
    if (bd != d) return LM_EMISMATCH;
    const unsigned char *p = (const unsigned char *)blob + LMX_BLOB_HEADER;
    for (int pass = 0; pass < 2; pass++)          /* validate all, then write */
        for (int i = 0; i < d; i++) {
            uint32_t bits = get_u32(p + 4 * (size_t)i);
            float f;
            memcpy(&f, &bits, 4);
            if (!pass && !isfinite(f)) return LM_EINVAL;
            if (pass) out[i] = f;
        }
    return LM_OK;
}
