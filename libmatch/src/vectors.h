/*
** vectors.h -- internal vector math (vectors.c).  Not public ABI: every
** symbol has the module prefix lmx_ and stays hidden (-fvisibility=hidden).
** Pure math on OpenBLAS/LAPACK: no SQLite, no I/O, no global state.
**
**   1. Latent semantic model (LSA): a rank-d truncated SVD of a sparse
**      record x term TF-IDF matrix by a randomized range finder (Halko,
**      Martinsson, Tropp 2011), giving a term projection P and the record
**      vectors.  lmx_lsa_fit().
**   2. Fold-in: a sparse row through P to a unit vector.  lmx_lsa_fold().
**   3. Exact dense top-k of M q (cblas_sgemv).  lmx_dense_topk().
**   4. Exact batch top-k of Q M^T (blocked cblas_sgemm); the same results as
**      one query at a time.  lmx_dense_topk_batch().  Both keep their best
**      rows in the library's one best-k collector (topk.h).
**   5. Validation and normalization of vectors.  lmx_vec_check(),
**      lmx_vec_normalize().
**   6. A little-endian float32 blob with a header for storage.
**      lmx_blob_encode(), lmx_blob_decode().
**
** Conventions: functions return an LM_* status (LM_OK = 0) unless their
** comment says otherwise; out-parameters come first; on failure an
** out-pointer to an allocation is NULL and an out-count 0.  Matrices are row-major float32; a "unit vector"
** has L2 norm 1 within float rounding.  Inputs are only read; the functions
** keep no state between calls and may run in several threads at once
** (OpenBLAS threads inside a call).
**
** Reproducibility: for the same input, options and seed, on the same machine
** with the same OpenBLAS build and thread count, every result is
** bit-identical.  Top-k results are, in addition, independent of BLAS
** rounding: candidates are screened with BLAS scores and a proven error
** margin, then re-scored exactly (see lmx_dense_topk()).
*/
#ifndef LM_VECTORS_H
#define LM_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>

/* ------------------------------------------------------------------------ */
/* Sparse matrix                                                            */
/* ------------------------------------------------------------------------ */

/*
** A sparse matrix in CSR form: rows = records, columns = terms.  Row r holds
** the entries rowptr[r] .. rowptr[r+1]-1 of colidx/val.  Columns within a
** row need not be sorted but should not repeat (a repeat adds up).  The
** field order is part of the interface (positional initializers are used).
*/
typedef struct lmx_csr {
    int nrows, ncols;
    const int64_t *rowptr;   /* nrows + 1 entries, rowptr[0] >= 0, non-decreasing */
    const int *colidx;       /* column of each entry, 0 <= c < ncols */
    const float *val;        /* value of each entry, finite */
} lmx_csr;

/*
** Check the structure of A: non-negative sizes, non-NULL arrays where
** entries exist, non-decreasing rowptr, every colidx in range and every value
** finite.  O(nnz).  LM_OK or LM_EINVAL.
*/
int lmx_csr_check(const lmx_csr *A);

/* ------------------------------------------------------------------------ */
/* Latent semantic model                                                    */
/* ------------------------------------------------------------------------ */

#define LMX_LSA_DEFAULT_RANK        256
#define LMX_LSA_DEFAULT_OVERSAMPLE  16
#define LMX_LSA_DEFAULT_POWER_ITERS 2
#define LMX_LSA_DEFAULT_SEED        42u
#define LMX_LSA_MAX_POWER_ITERS     16

/*
** Options of lmx_lsa_fit().  Start from LMX_LSA_OPTS_INIT; NULL options
** mean the defaults.
**
**   rank         requested dimension d; 0 = LMX_LSA_DEFAULT_RANK.  Clipped
**                to min(nrows, ncols) - 1, so that the model always drops
**                at least one dimension (with min(nrows, ncols) it would
**                only rotate the TF-IDF space); at most LM_MAX_DIM.
**   oversample   p extra random directions (l = d + p columns in the range
**                finder); -1 = LMX_LSA_DEFAULT_OVERSAMPLE.  l is clipped to
**                min(nrows, ncols) as well.
**   power_iters  q subspace (power) iterations, normalized by LU between
**                the products (the last range by QR);
**                -1 = LMX_LSA_DEFAULT_POWER_ITERS.  More iterations sharpen
**                the trailing singular directions when the spectrum decays
**                slowly (as TF-IDF spectra do); each one costs two sparse
**                products and two LU factorizations.
**   seed         seed of the Gaussian test matrix.
**   sigma_power  the projection is P = V_d * Sigma_d^sigma_power, in
**                [-1, 1]; 0 (the default) or -1, see lmx_lsa_fit().
*/
typedef struct lmx_lsa_opts {
    int rank;
    int oversample;
    int power_iters;
    uint64_t seed;
    float sigma_power;
} lmx_lsa_opts;

#define LMX_LSA_OPTS_INIT { 0, -1, -1, LMX_LSA_DEFAULT_SEED, 0.0f }

/*
** A fitted model.  Owned by the caller of lmx_lsa_fit(); released with
** lmx_lsa_free().  The arrays may be stored and reloaded by the caller: a
** model is just (ncols, d, proj); sigma is informative.
*/
typedef struct lmx_lsa {
    int ncols;      /* terms (rows of proj) */
    int d;          /* dimension actually built */
    float *proj;    /* ncols x d, row-major: row t is term t's latent vector */
    float *sigma;   /* d singular values of A, non-increasing */
} lmx_lsa;

/*
** Fit a rank-d latent semantic model of the sparse matrix A.
**
** Algorithm (Halko, Martinsson, Tropp 2011, algorithms 4.4 and 5.1):
**   Omega  = Gaussian ncols x l (l = d + p), from a fixed-seed PRNG
**   Y      = A Omega;  Q = qr(Y)
**   q times: Z = qr(A^T Q);  Q = qr(A Z)
**   B      = Q^T A  (l x ncols, computed as (A^T Q)^T)
**   B^T    = V Sigma U_B^T  (LAPACK sgesdd on the tall ncols x l matrix;
**            no Gram matrix, so small singular values keep float accuracy)
**   V_d    = the first d columns of V.
** Sparse products are loops over the CSR rows (the dense factor's rows are
** gathered or scattered whole) on lmx_threads() threads, bit-identical to
** one thread; QR is Householder,
** LAPACK sgeqrf + sorgqr on column-major copies, OpenBLAS-threaded.  Memory
** is O((nrows + ncols) * l): three dense buffers, nrows x l, 2 x (ncols x
** l), never a dense nrows x ncols matrix (plus the outputs).
**
** Projection.  out->proj = P = V_d * Sigma_d^sigma_power.  A record's vector
** is normalize(x P) for its sparse row x (lmx_lsa_fold()).
**   sigma_power = 0 (default, recommended for ranking): x V_d is the
**     orthogonal projection of x on the latent subspace, written in the
**     basis V_d.  For a row of A it equals u Sigma_d (u its row of U_d), so
**     the cosine of two record vectors is the cosine of their rows in the
**     rank-d approximation A_d = U_d Sigma_d V_d^T: the classic LSA
**     document-document similarity (Deerwester et al. 1990), and the
**     geometry of the TF-IDF space is kept inside the subspace.
**   sigma_power = -1: the textbook fold-in x V_d Sigma_d^-1 = u, the
**     coordinates in U_d.  After L2 normalization every latent dimension
**     then weighs the same, so the weak trailing dimensions (mostly noise
**     in text) count as much as the main topics: worse for cosine ranking.
**     Available for experiments; any value in [-1, 1] is accepted.
** Directions whose singular value is numerically zero (below
** sigma_1 * 1e-5, i.e. beyond float32 resolution) get a zero column in P, so
** they add nothing to fold-ins; out->sigma still reports them.
**
** out_vecs: when not NULL, receives a malloc'ed nrows x d matrix of the
** record vectors, each row the fold-in of A's row (bit-identical to
** lmx_lsa_fold() of that row); a row without entries gets the zero vector.
**
** Reproducible: same A, options and seed give bit-identical results on the
** same machine (see the header comment).  Time is dominated by the 2q + 2
** sparse products (O(nnz l) each) and the 2q + 1 QRs (O((nrows + ncols) l^2)).
**
** Returns LM_OK; LM_EINVAL (NULL argument, bad options, A fails
** lmx_csr_check()); LM_ERANGE (fewer than 2 rows or columns, no non-zero
** value, or rank > LM_MAX_DIM); LM_ENOMEM; LM_ERROR (LAPACK reported a
** failure).
** On failure *out is zeroed and *out_vecs is NULL.
*/
int lmx_lsa_fit(lmx_lsa *out, float **out_vecs, const lmx_csr *A, const lmx_lsa_opts *opts);

/* Release the arrays of a model and zero it.  Accepts NULL. */
void lmx_lsa_free(lmx_lsa *m);

/*
** Fold rows r0 .. r0+nr-1 of A into out (nr x m->d, row-major), each
** exactly as lmx_lsa_fold() folds it (a row without a known term gets the
** zero vector), on lmx_threads() threads.  LM_OK or LM_EINVAL (a bad
** argument, a row with a non-finite weight).
*/
int lmx_lsa_fold_rows(const lmx_lsa *m, const lmx_csr *A, int r0, int nr, float *out);

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

/*
** The threads the library's own parallel loops use (the sparse products of
** lmx_lsa_fit(), lmx_lsa_fold_rows(), the analysis of a vector build): one
** per online processor, at most 8; lmx_set_threads(n > 0) fixes it (tests),
** 0 restores the default.  Results never depend on it.
*/
int lmx_threads(void);
void lmx_set_threads(int n);
/* Run fn(ctx, part, nparts) for part = 0 .. nparts-1, part 0 on the calling
   thread and each other on a thread of its own (on the calling thread when
   a thread cannot be started); returns when all are done. */
void lmx_parallel(int nparts, void (*fn)(void *ctx, int part, int nparts), void *ctx);

/*
** Fold a sparse row into the model: out (m->d floats) = normalize(sum_k
** w[k] * proj[terms[k]]).  Terms outside 0..m->ncols-1 (e.g. -1 for a word
** unknown to the model) are skipped.  Returns LM_OK when out is a unit
** vector; LM_ERANGE when it is the zero vector (no known term, zero
** weights, or a row orthogonal to the model: nothing to compare with);
** LM_EINVAL for a NULL argument, nnz < 0 or a non-finite weight (out is
** zeroed).
*/
int lmx_lsa_fold(const lmx_lsa *m, const int *terms, const float *w, int nnz, float *out);

/* ------------------------------------------------------------------------ */
/* Vectors                                                                  */
/* ------------------------------------------------------------------------ */

/* LM_OK when v (d floats) has no NaN or infinity; LM_EINVAL otherwise (and
   for v NULL with d > 0, or d < 0). */
int lmx_vec_check(const float *v, int d);

/*
** L2-normalize v (d floats) in place; the norm is accumulated in double.
** Returns 1 when v is now a unit vector, 0 when its norm was zero or not
** finite (v is then set to zeros): a boolean, not a status.
*/
int lmx_vec_normalize(float *v, int d);

/* ------------------------------------------------------------------------ */
/* Exact dense top-k                                                        */
/* ------------------------------------------------------------------------ */

/*
** A dense matrix of n vectors of dimension d, row-major and contiguous,
** borrowed (M must outlive the descriptor).  maxnorm (the largest row norm)
** bounds the rounding error of BLAS scores; lmx_dense_init() computes it
** once so that it is not recomputed per query.
*/
typedef struct lmx_dense {
    const float *M;
    int n, d;
    float maxnorm;
} lmx_dense;

/*
** Describe M (n x d) in *out after checking it: 1 <= d <= LM_MAX_DIM,
** n >= 0, M not NULL when n > 0, every value finite.  O(n d).  LM_OK,
** LM_EINVAL, LM_ERANGE (d out of range, or a row norm above 1e15).
*/
int lmx_dense_init(lmx_dense *out, const float *M, int n, int d);

/* The score every exact top-k reports (as a float): a fixed-order dot
   product in double, the same on every path and every BLAS. */
double lmx_dot_exact(const float *a, const float *b, int d);

/* Row filter: nonzero keeps row `row` for query `qrow` (0 for a single
   query).  Called at most once per (query, row), in ascending row order,
   and only for rows that pass the mask and could still enter the top k. */
typedef int (*lmx_row_filter)(void *ctx, int qrow, int row);

/*
** Options of the top-k functions.  Start from LMX_TOPK_OPTS_INIT; NULL
** options mean the defaults.
**   mask        NULL, or n bytes: a row with mask[row] == 0 is skipped.
**   filter      NULL, or a callback deciding per (query, row); it sees only
**               rows that pass the mask.  Use it to drop, e.g., the query's
**               own record in an all-pairs batch.
**   min_score   rows scoring below it are not returned (-INFINITY: none).
**   qblock      batch: queries per sgemm block; 0 = 256 (fewer when k is
**               large, to bound the heaps' memory).
**   rblock      batch: rows of M per sgemm block; 0 = 16384.  The score
**               block is qblock x rblock floats (16 MiB by default).
*/
typedef struct lmx_topk_opts {
    const unsigned char *mask;
    lmx_row_filter filter;
    void *filter_ctx;
    float min_score;
    int qblock, rblock;
} lmx_topk_opts;

#define LMX_TOPK_OPTS_INIT { NULL, NULL, NULL, -INFINITY, 0, 0 }

/*
** Exact top-k of the scores M q (the cosines when M's rows and q are unit
** vectors).  Writes up to k results to idx/score (room for k each) and their
** count to *out_n: best first, ties broken by the lower row index.  *out_n
** is min(k, rows that pass the mask, filter and min_score); 0 when n == 0
** or k == 0.
**
** Exactness: scores are computed by cblas_sgemv, then every row that can
** belong to the top k given the float rounding bound of the BLAS dot
** product (2 gamma_d maxnorm |q|, gamma_d = d u / (1 - d u), u = 2^-24) is
** re-scored with a fixed-order double-precision dot product, and the top k
** are chosen on those scores.  So the result does not depend on the BLAS
** kernel, and lmx_dense_topk_batch() returns exactly the same (same rows,
** same order, bit-identical scores).  Reported scores are those re-scored
** values rounded to float.
**
** Returns LM_OK; LM_EINVAL (NULL argument, k < 0, q not finite);
** LM_ERANGE (|q| above 1e15); LM_ENOMEM.  O(n) extra memory.
*/
int lmx_dense_topk(int *out_n, int *idx, float *score, const lmx_dense *D, const float *q, int k,
                   const lmx_topk_opts *opts);

/*
** Batch result callback: the top-k of query row qrow (n results, best
** first; the arrays are valid during the call only).  Called once per query
** in ascending qrow order.  Return 0 to go on; any other value stops the
** batch and is returned by lmx_dense_topk_batch().
*/
typedef int (*lmx_topk_cb)(void *ctx, int qrow, const int *idx, const float *score, int n);

/*
** Top-k of every row of Q (nq x D->d, row-major) against D, by blocks of
** queries x rows multiplied with cblas_sgemm, with one bounded heap per
** query.  Each query gets exactly what lmx_dense_topk() gives it (see there).
** Returns LM_OK, a callback's nonzero value, LM_EINVAL (NULL argument,
** nq < 0, k < 0, a non-finite query: checked before any callback),
** LM_ERANGE, LM_ENOMEM.
*/
int lmx_dense_topk_batch(const lmx_dense *D, const float *Q, int nq, int k, const lmx_topk_opts *opts,
                         lmx_topk_cb cb, void *cb_ctx);

/* ------------------------------------------------------------------------ */
/* Float32 blob                                                             */
/* ------------------------------------------------------------------------ */

/*
** A stored vector: an 8-byte header then d float32, all little-endian.
**   bytes 0-3  magic "LMV1"
**   bytes 4-7  d, uint32 little-endian, 1 <= d <= LM_MAX_DIM
**   bytes 8-   d IEEE-754 binary32 values, little-endian
** The size is exactly 8 + 4 d bytes.
*/
#define LMX_BLOB_MAGIC  "LMV1"
#define LMX_BLOB_HEADER 8

/* Bytes of the blob of a d-vector: 8 + 4 d (0 when d is out of range). */
size_t lmx_blob_size(int d);

/*
** Encode v (d floats) into out (cap bytes, at least lmx_blob_size(d)).
** LM_OK; LM_EINVAL (NULL, non-finite value); LM_ERANGE (d out of range or
** cap too small).
*/
int lmx_blob_encode(void *out, size_t cap, const float *v, int d);

/*
** Validate a blob's header and size, and give its dimension in *out_d.
** LM_OK; LM_EINVAL (NULL, wrong magic, dimension out of range, size not
** 8 + 4 d).
*/
int lmx_blob_dim(int *out_d, const void *blob, size_t len);

/*
** Decode a blob into out (d floats) after validating it as lmx_blob_dim()
** does and checking that every value is finite.  LM_OK; LM_EINVAL (bad blob);
** LM_EMISMATCH (a valid blob of another dimension than d).  out is written
** only on success.
*/
int lmx_blob_decode(float *out, int d, const void *blob, size_t len);

#endif
