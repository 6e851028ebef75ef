/*
** db.h -- the database handle: what one lm_db holds of each module.  Read by
** the matching pipeline and the API layer; the modules below know only
** their own part (the store its lmx_store, the index features their
** caches).
*/
#ifndef LM_DB_H
#define LM_DB_H

#include <stdatomic.h>
#include <string.h>

#include "libmatch.h"
#include "analysis.h"
#include "bm25.h"
#include "errors.h"
#include "lexicon.h"
#include "model.h"
#include "semantic.h"
#include "store.h"

struct lmx_gstats;
struct lmx_dfs;

/* The match model of a database, cached under the store's cache rule. */
typedef struct {
    int loaded;              /* stamp and model are valid */
    lmx_stamp stamp;         /* lmx_store_stamp(st, 0) when loaded */
    int custom;              /* the database holds its own model */
    lmx_model m;
} lmx_model_cache;

struct lm_db {
    lmx_error err;           /* lm_errmsg() */
    lmx_store store;         /* the SQL connection and its statements */
    lmx_analyzer *an;        /* the analyzer, also FTS5's tokenizer */
    lmx_bm25_cache bm25;     /* column lengths per kind */
    lmx_lexicon lex;         /* analyzed synonyms */
    lmx_semantic sem;        /* vector matrices */
    lmx_model_cache model;   /* the match model (features.c) */
    lmx_progress progress;   /* lm_set_progress() */
    struct lmx_gstats *gstats;   /* the collection's statistics (lm_set_global_stats), or NULL */
    struct lmx_dfs *dfs;     /* the DFS phase of the running match call (dfs.h), or NULL */
    int readonly;
    int mode;                /* analyzer mode bits */
    atomic_int busy;         /* a call is running on this handle */
};

/* Record an error on db (printf-style message); returns code.  db may be
   NULL. */
#define lmx_err(db, ...) lmx_error_set((db) ? &(db)->err : NULL, __VA_ARGS__)
/* Clear the error state of db; returns LM_OK. */
#define lmx_ok(db) lmx_error_clear(&(db)->err)

/*
** One call at a time per handle.  Every public call on an lm_db enters it
** (lmx_enter) and leaves it; a second thread's call, or a call from one of
** the handle's own callbacks, finds it busy and returns LM_EMISUSE at once,
** touching nothing (not even the message).
*/
static inline int lmx_enter(lm_db *db)
{
    int idle = 0;
    return atomic_compare_exchange_strong(&db->busy, &idle, 1);
}
static inline void lmx_leave(lm_db *db) { atomic_store(&db->busy, 0); }
#define LMX_GUARDED(db, call) do { \
        if (!(db)) return LM_EINVAL; \
        if (!lmx_enter(db)) return LM_EMISUSE; \
        int lmx_rc_ = (call); \
        lmx_leave(db); \
        return lmx_rc_; \
    } while (0)

/*
** The one exception: a read-only call made by lm_scan()'s callback, on the
** thread running the scan, reads inside the scan's snapshot (the scan sets
** lmx_scanning to its handle for the time of its callbacks; the variable is
** per thread, so no other thread can take this path).
*/
extern _Thread_local const lm_db *lmx_scanning;
#define LMX_GUARDED_READ(db, call) do { \
        if (!(db)) return LM_EINVAL; \
        if (lmx_scanning == (db)) return (call); \
        LMX_GUARDED(db, call); \
    } while (0)

/* Check a kind and an id given by a caller. */
static inline int lmx_check_kind_id(lm_db *db, int kind, const char *id)
{
    if (!lm_kind_name(kind))
        return lmx_err(db, LM_EINVAL, "unknown kind %d (use LM_PROBLEM, LM_ACHIEVEMENT or LM_EXPERT)", kind);
    if (!id) return lmx_err(db, LM_EINVAL, "no id (NULL)");
    if (!lmx_utf8_valid(id, strlen(id), NULL)) return lmx_err(db, LM_EINVAL_UTF8, "id is not valid UTF-8");
    if (strlen(id) > LM_MAX_ID_BYTES) return lmx_err(db, LM_ETOOBIG, "id longer than %d bytes", LM_MAX_ID_BYTES);
    return LM_OK;
}

#endif
