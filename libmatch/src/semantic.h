/*
** semantic.h -- vector spaces as an index feature (semantic.c): the built-in
** latent semantic space (build, fold-in of new records, query vectors) and
** external embeddings, each kind's vectors kept as one matrix in memory under
** the store's cache rule, nearest records, cosines and batch matching.
*/
#ifndef LM_SEMANTIC_H
#define LM_SEMANTIC_H

#include <stdint.h>

#include "analysis.h"
#include "qterms.h"
#include "record.h"
#include "store.h"

typedef struct lmx_densecache lmx_densecache;
/* Per handle: the loaded matrices, by space and kind. */
typedef struct lmx_semantic {
    lmx_densecache *m[LMX_NSPACES][LMX_NKINDS + 1];
    int64_t batch_budget;      /* bytes batch matching may hold (0: no bound), lm_set_batch_memory() */
} lmx_semantic;
void lmx_semantic_free(lmx_semantic *sem);

typedef struct { int64_t rid; float cosine; } lmx_dense_hit;

/* Dimension of the built-in model, 0 when none was built. */
int lmx_semantic_dim(lmx_store *st);
/*
** Build the built-in space over every stored record (inside a write
** transaction): TF-IDF of the analyzer's main tokens (column weights title 2,
** body 1, keywords 2; terms in fewer than two records left out), a rank-dim
** truncated SVD (lmx_lsa_fit, seed 42), the term projection and every
** record's vector stored.  LM_ESTATE with fewer than three records.
** automatic: built by the loader (kept current by it: lmx_semantic_auto()),
** not by lm_vectors_build().
*/
int lmx_semantic_build(lmx_store *st, const lmx_analyzer *an, int dim, int automatic, const lmx_progress *pg);
/* Fold a stored record into the built-in space (no-op without a model). */
int lmx_semantic_fold(lmx_store *st, const lmx_analyzer *an, int64_t rid, const lmx_record *r);
/* The ncand records of kind nearest to the query terms: *out_q is the query
   vector (NULL when no term is known to the model), hits best first. */
int lmx_semantic_query(lmx_semantic *sem, lmx_store *st, const lmx_qterms *q, int kind, int ncand,
                       float **out_q, lmx_dense_hit **out_hits, int *out_n);
/* Cosine of q with a record of kind in a space whose matrix the last query of
   that space loaded (0 when it has no vector). */
double lmx_semantic_cosine(const lmx_semantic *sem, int space, int kind, const float *q, int64_t rid);

/* The built-in vectors (dimension d) of records rids[0..n) of one kind into
   out (n x d, zeros for a record without one; has[i] says which), from the
   loaded matrix when current, else from the store. */
int lmx_semantic_vectors(lmx_semantic *sem, lmx_store *st, int kind, const int64_t *rids, int n, int d,
                         float *out, unsigned char *has);
/* The nearest records by the built-in space that join a query's
   candidates, for option dense_candidates n: n, or when it is -1 (the
   default) LMX_SEMANTIC_CANDIDATES with a model of lm_vectors_build() and -1
   (no vector candidates, no cosine) with the one the loader keeps. */
#define LMX_SEMANTIC_CANDIDATES 100
int lmx_semantic_candidates(lmx_store *st, int n);
/* Whether the built-in model was built by the loader (lmx_semantic_build
   with auto = 1) rather than by lm_vectors_build(). */
int lmx_semantic_auto(lmx_store *st);

/* External embeddings: store one (inside a write transaction; the first fixes
   the database's model and dimension). */
int lmx_external_put(lmx_store *st, int64_t rid, const char *model, const float *v, int dim);
/* Check a vector against the external space; *fixed is 1 once defined. */
int lmx_external_check(lmx_store *st, const char *model, const float *v, int dim, int *fixed);
/* A stored record's external vector (malloc'ed, *out NULL when none). */
int lmx_external_vector(lmx_store *st, int64_t rid, char *model, size_t mlen, float **out, int *dim);
/* The ncand records of kind nearest to q in the external space of model. */
int lmx_external_query(lmx_semantic *sem, lmx_store *st, const char *model, const float *q, int dim, int kind,
                       int ncand, lmx_dense_hit **out, int *nout);

/* Every record of kind `from` against every record of kind `to` in the
   built-in space, exact top-k each (lmx_dense_topk_batch); cb as
   lm_batch_fn; a record is never its own match.  Within sem->batch_budget
   when the two kinds' matrices would not fit in it (then without loading
   them: lmx_semantic_batch_budget). */
int lmx_semantic_batch(lmx_semantic *sem, lmx_store *st, int from, int to, int k,
                       int (*cb)(void *ctx, const char *from_id, int n, const char *const *ids, const float *scores),
                       void *ctx, const lmx_progress *pg);

/* The same within `budget` bytes (semantic_batch.c): vectors of dimension
   d read in row ranges, each query's top k merged over candidate shards; the
   results of the in-memory batch, hit for hit. */
int lmx_semantic_batch_budget(lmx_store *st, int d, int from, int to, int k, int64_t budget,
                              int (*cb)(void *ctx, const char *from_id, int n, const char *const *ids,
                                        const float *scores),
                              void *ctx, const lmx_progress *pg);

#endif
