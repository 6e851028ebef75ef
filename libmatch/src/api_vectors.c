/*
** api_vectors.c -- the public calls of the vector spaces: building the
** built-in semantic space, storing external embeddings, batch matching.
*/
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "vectors.h"

static int vectors_build_locked(lm_db *db, int dim)
{
    if (!db) return LM_EINVAL;
    if (dim < 0 || dim > LM_MAX_DIM) return lmx_err(db, LM_ERANGE, "dimension %d is not in 0..%d", dim, LM_MAX_DIM);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = lmx_store_write_begin(&db->store);
    if (rc) return rc;
    if ((rc = lmx_semantic_build(&db->store, db->an, dim ? dim : 256, 0, &db->progress)) ||
        (rc = lmx_store_commit(&db->store))) {
        lmx_store_rollback(&db->store);
        return rc;
    }
    return lmx_ok(db);
}

LM_API int lm_vector_build(lm_db *db, int dim)
{
    return lm_vectors_build(db, dim);
}

static int vector_put_locked(lm_db *db, int kind, const char *id, const char *model, const float *v, int dim)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int fixed, rc = lmx_external_check(&db->store, model, v, dim, &fixed);
    if (rc) return rc;
    if ((rc = lmx_check_kind_id(db, kind, id))) return rc;
    float *x = malloc(sizeof(float) * (size_t)dim);
    if (!x) return lmx_err(db, LM_ENOMEM, "out of memory");
    memcpy(x, v, sizeof(float) * (size_t)dim);
    if (!lmx_vec_normalize(x, dim)) {
        free(x);
        return lmx_err(db, LM_EINVAL, "zero vector for %s '%.200s'", lm_kind_name(kind), id);
    }
    int64_t rid = 0;
    if (!(rc = lmx_store_write_begin(&db->store))) {
        if (!(rc = lmx_store_find(&db->store, kind, id, &rid)) &&
            !(rc = lmx_external_put(&db->store, rid, model, x, dim)))
            rc = lmx_store_commit(&db->store);
        if (rc) lmx_store_rollback(&db->store);
    }
    free(x);
    return rc ? rc : lmx_ok(db);
}

static int batch_match_locked(lm_db *db, int from, int to, int k, lm_batch_fn cb, void *ctx)
{
    if (!db) return LM_EINVAL;
    if (!lm_kind_name(from) || !lm_kind_name(to)) return lmx_err(db, LM_EINVAL, "unknown kind");
    if (k < 1 || k > LM_MAX_K) return lmx_err(db, LM_ERANGE, "k %d is not in 1..%d", k, LM_MAX_K);
    if (!cb) return lmx_err(db, LM_EINVAL, "no callback (NULL)");
    int began = lmx_store_read_begin(&db->store);
    int rc = lmx_semantic_batch(&db->sem, &db->store, from, to, k, cb, ctx, &db->progress);
    lmx_store_read_end(&db->store, began);
    return rc ? rc : lmx_ok(db);
}

static int set_batch_memory_locked(lm_db *db, int64_t bytes)
{
    if (!db) return LM_EINVAL;
    if (bytes != 0 && bytes < LM_MIN_BATCH_MEMORY)
        return lmx_err(db, LM_ERANGE, "batch memory %lld bytes is neither 0 (no bound) nor at least %d",
                       (long long)bytes, LM_MIN_BATCH_MEMORY);
    db->sem.batch_budget = bytes;
    return lmx_ok(db);
}

LM_API int lm_set_batch_memory(lm_db *db, int64_t bytes)
{
    LMX_GUARDED(db, set_batch_memory_locked(db, bytes));
}

LM_API int lm_match_batch(lm_db *db, int from, int to, int k, lm_batch_fn cb, void *ctx)
{
    return lm_batch_match(db, from, to, k, cb, ctx);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

LM_API int lm_vectors_build(lm_db *db, int dim)
{
    LMX_GUARDED(db, vectors_build_locked(db, dim));
}

LM_API int lm_vector_put(lm_db *db, int kind, const char *id, const char *model, const float *v, int dim)
{
    LMX_GUARDED(db, vector_put_locked(db, kind, id, model, v, dim));
}

LM_API int lm_batch_match(lm_db *db, int from, int to, int k, lm_batch_fn cb, void *ctx)
{
    LMX_GUARDED(db, batch_match_locked(db, from, to, k, cb, ctx));
}
