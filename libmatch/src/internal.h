/*
** Internal declarations shared by libmatch's source files.  Nothing here is
** public ABI; every symbol is hidden (-fvisibility=hidden) unless marked LM_API
** in libmatch.h.
*/
#ifndef LM_INTERNAL_H
#define LM_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cJSON.h>

#include "libmatch.h"
#include "analysis.h"
#include "util.h"

#define LMX_NKINDS 3
#define LMX_SCHEMA_VERSION 1

/* Text columns of every kind's FTS5 table, in this order. */
enum { LMX_COL_TITLE, LMX_COL_BODY, LMX_COL_KEYWORDS, LMX_COL_EXTRA, LMX_NCOLS };

struct lm_db {
    sqlite3 *sql;
    lmx_analyzer *an;
    int readonly;
    int errcode;
    char errmsg[1024];
    int mode;                /* analyzer mode bits */
    int stale;               /* tokenization changed since the index was built */
    struct lmx_synset *syn;  /* analyzed synonym pairs (lexicon.c), lazily */
    int64_t write_gen;       /* bumped by every write of this handle */
    int64_t kind_gen[LMX_NKINDS + 1]; /* bumped by every index write of a kind */
    struct lmx_doclen *doclen[LMX_NKINDS + 1]; /* column lengths (scoring.c) */
    struct lmx_densecache *dense[2 * LMX_NKINDS + 1]; /* vector matrices: built-in
                                                  1..3, external 4..6 */
    sqlite3_stmt *stmt[32];  /* prepared-statement cache, see lmx_stmt() */
    lm_progress_fn progress; /* lm_set_progress() */
    void *progress_ctx;
};

/* Cached prepared statements (storage.c): slot index + SQL. */
sqlite3_stmt *lmx_stmt(lm_db *db, int slot, const char *sql);
/* PRAGMA data_version: changes when another connection commits. */
int64_t lmx_data_version(lm_db *db);

/* Report progress (lm_set_progress()); LM_ESTATE with a message when the
   callback asks to stop. */
int lmx_progress(lm_db *db, const char *stage, int64_t done, int64_t total);

/* ---- errors.c ---- */
/* Record an error on db (message printf-style); returns code.  db may be NULL. */
int lmx_err(lm_db *db, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Clear the error state; returns LM_OK. */
int lmx_ok(lm_db *db);
/* Map an SQLite result code to an LM_E* code and record the message. */
int lmx_sqlerr(lm_db *db, int rc, const char *what);


/* ---- ingest.c: records ---- */
typedef struct lmx_record {
    int kind;
    const char *id;          /* "" when absent (allowed only for queries) */
    const char *text[LMX_NCOLS]; /* column texts; keywords joined; NULL if none */
    char *kwjoined;          /* owned: keywords joined by "；" */
    char *extra;             /* owned: expert name + org */
    const char *region, *org;
    int maturity;            /* 0 when absent */
    cJSON *fields;           /* array of strings or NULL */
    cJSON *links;            /* experts / achievements array or NULL */
    cJSON *root;             /* owned parse tree */
} lmx_record;

/* Parse and validate one record.  `require_id` 0 for query records.  On error
   returns an LM_E* code and writes a message naming the field into err. */
int lmx_record_parse(const char *json, size_t len, int require_id,
                     lmx_record *out, char *err, size_t errlen);
void lmx_record_free(lmx_record *r);

/* ---- storage.c ---- */
int lmx_begin(lm_db *db);
/* Inside a write transaction: rebuild the index first if it is stale. */
int lmx_ensure_fresh(lm_db *db);
int lmx_commit(lm_db *db);
void lmx_rollback(lm_db *db);
/* Store a parsed record (inside a transaction the caller manages).
   `json`/`len` is the verbatim text to keep. */
int lmx_store_record(lm_db *db, const lmx_record *r, const char *json,
                     size_t len);
/* Fetch the stored JSON of (kind,id): *out malloc'ed; LM_ENOTFOUND. */
int lmx_load_json(lm_db *db, int kind, const char *id, char **out,
                  int64_t *rid);
const char *lmx_fts_table(int kind);
int64_t lmx_kind_count(lm_db *db, int kind);

/* ---- matching.c ---- */
/* lm_match() returning every candidate (k = n, no offset). */
int lmx_match_all(lm_db *db, int from, const char *id, int to, const lm_opts *opts,
                  int64_t n, lm_results **out);

/* ---- scoring.c ---- */
/* Register the FTS5 auxiliary function lm_bm25(). */
int lmx_scoring_register(sqlite3 *db);
/*
** The best `limit` rows of a full-text query, collected while FTS5 scans
** them: lm_bm25(fts, params, ?) with the collector bound as a pointer of
** type LMX_TOP_PTR pushes (score, rowid, which query terms occur) for every
** matching row, so that no sort and no per-row join runs in SQL.  Ties keep
** the lower rowid.  After the scan, lmx_top_sort() orders the kept rows
** best first.
*/
#define LMX_TOP_PTR "lmx_top"
typedef struct lmx_doclen lmx_doclen;
typedef struct {
    const lmx_doclen *dl;    /* column lengths of the scanned kind, or NULL */
    int dl_pos;              /* where the last lookup ended (rows come in order) */
    int limit, nterms;       /* rows kept at most; query terms (mask bytes) */
    int n, cap;              /* rows kept; entries allocated */
    int *heap;               /* entry indexes, worst at the root */
    double *score;
    int64_t *rowid;
    unsigned char *mask;     /* nterms bytes per entry */
    int oom;                 /* an allocation failed during the scan */
} lmx_top;
int lmx_top_init(lmx_top *t, int limit, int nterms);
void lmx_top_free(lmx_top *t);
/* Offer one row (lm_bm25() does this); its mask (nterms bytes) is copied
   when the row is kept.  LM_ENOMEM when growing fails. */
int lmx_top_push(lmx_top *t, double s, int64_t rowid, const unsigned char *mask);
/* Order the kept rows best first: entry order[i] is the i-th best. */
int lmx_top_sort(lmx_top *t, int **order);
/*
** The token count of every column of every indexed row of a kind, read
** once from FTS5's docsize table and kept while neither this handle nor
** another connection writes that kind's index: lm_bm25() then needs no
** per-row lookup (which cost ~40% of a record query at 100,000 records).
** NULL when it cannot be loaded (lm_bm25() falls back to FTS5's lookup).
*/
const lmx_doclen *lmx_doclen_get(lm_db *db, int kind);
void lmx_doclen_free(lm_db *db);
/* Region proximity in [0,1]: 1 same city, 0.5 same province, else 0. */
double lmx_region_score(const char *a, const char *b);

/* ---- lexicon.c: synonyms ---- */
/* Query terms: analyzed tokens with weights. */
typedef struct { char *tok; int len; double w; int from_synonym; } lmx_qterm;
typedef struct { lmx_qterm *t; int n, cap; int *hash; int hcap; } lmx_qterms;
int lmx_qterms_add(lmx_qterms *q, const char *tok, int len, double w, int from_synonym);
/* Index of tok in q, or -1. */
int lmx_qterms_find(const lmx_qterms *q, const char *tok, int len);
void lmx_qterms_free(lmx_qterms *q);
/* Add the synonyms of the terms in q (weight: factor times the weight of the
   term they expand). */
int lmx_synonyms_expand(lm_db *db, lmx_qterms *q, double factor);
void lmx_synset_free(struct lmx_synset *s);
int lmx_synonym_store(lm_db *db, const char *a, const char *b);

/* ---- semantic.c: built-in semantic vectors ---- */
typedef struct { int64_t rid; float cosine; } lmx_dense_hit;
/* Dimension of the built model, 0 when none. */
int lmx_semantic_dim(lm_db *db);
/* Fold a stored record into the model (no-op without a model). */
int lmx_semantic_fold(lm_db *db, int64_t rid, const struct lmx_record *r);
/* Dense top-ncand of kind for the query terms: *out_q is the query vector
   (NULL when the query has no known term), *out_hits best first. */
int lmx_semantic_query(lm_db *db, const lmx_qterms *q, int kind, int ncand,
                       float **out_q, lmx_dense_hit **out_hits, int *out_n);
/* Cosine of the query vector with a record of kind (0 if it has none). */
double lmx_semantic_cosine(lm_db *db, int kind, const float *q, int64_t rid);
void lmx_semantic_free(lm_db *db);
/* The stored external vector of a record (malloc'ed; NULL when none). */
int lmx_external_vector(lm_db *db, int64_t rid, char *model, size_t mlen, float **out, int *dim);
/* Cosine with a record's external vector (after lmx_external_query()). */
double lmx_external_cosine(lm_db *db, int kind, const float *q, int64_t rid);
/* Dense top-ncand of kind in the external space of model. */
int lmx_external_query(lm_db *db, const char *model, const float *q, int dim, int kind, int ncand,
                       lmx_dense_hit **out, int *nout);


#endif
