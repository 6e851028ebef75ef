/*
** store.h -- the store: the only code that speaks SQL (store.c, and
** store_index.c for the full-text and vector tables).
**
** Everything above it asks for records, links, term statistics, meta values
** and vector blobs through the typed calls below; nothing above prepares a
** statement.  The store knows the schema and its migrations, keeps every
** statement it runs prepared under a name (enum in store.c), owns the
** transactions, and states the one rule by which every cache of the library
** knows it is stale (lmx_store_stamp()).
**
** Errors: every call that can fail returns an LM_* status and records a
** message in *st->err (which the handle owns).
**
** Schema (LMX_SCHEMA_VERSION 3):
**   meta(key, value)                      schema_version, analyzer, mode,
**                                         index_stale, lsa_*, ext_*, model
**                                         (the learned match model, JSON)
**   record(rid, kind, id, json, region, org, maturity, label, tags)
**                                         json kept verbatim; label: title or
**                                         name; tags: domain tags joined by
**                                         LMX_TAG_SEP
**   record_field(rid, field)              domain tags, for the filters
**   link(achievement, expert, src)        expert <-> achievement, src = the
**                                         kind of the record that declared it
**   fts_<kind>(title, body, keywords, extra)  FTS5, tokenizer "libmatch",
**                                         rowid = record.rid
**   fts_<kind>_v                          fts5vocab(row): document frequencies
**   dict(word, freq), synonym(a, b)       user dictionary and synonyms
**   lsa_term(term, idf, v), vec(rid, v)   built-in semantic model and vectors
**   xvec(rid, v)                          external vectors
**   pst_term(kind, term, tid, df),        (version 3) the posting index: the
**   pst_block(tid, last, b)               blocked posting lists of every
**                                         term of a kind's full-text index
**                                         (postings.h), block keyed by its
**                                         last row id; meta pst_ready = 1
**                                         while they mirror the FTS5 index
**   feedback(from_kind, from_id, to_kind, to_id, grade, at)
**                                         judged matches (version 3), by id
**                                         so that they outlive a record's
**                                         replacement
** Vector blobs are "LMV1" + dimension + little-endian float32 (vectors.h);
** version 1 files stored bare host-endian floats and are migrated on the
** first writable open (read as they are when opened read-only).
*/
#ifndef LM_STORE_H
#define LM_STORE_H

#include <stdint.h>
#include <sqlite3.h>

#include "errors.h"
#include "postings.h"
#include "record.h"
#include "util.h"

#define LMX_SCHEMA_VERSION 3
#define LMX_TAG_SEP '\x1f'     /* joins the tags column: tags hold no control characters */

/* The name the analyzer's FTS5 tokenizer is registered under (tokenizer.c)
   and the full-text tables are created with. */
#define LMX_FTS5_TOKENIZER "libmatch"

/* The SQL function name and pointer type of the BM25 collector (bm25.c):
   lmx_store_bm25_scan() calls LMX_BM25_FN(fts, params, collector). */
#define LMX_BM25_FN  "lm_bm25"
#define LMX_BM25_PTR "lmx_bm25_top"

/* Vector spaces: the built-in semantic space, external embeddings. */
enum { LMX_SPACE_BUILTIN, LMX_SPACE_EXTERNAL, LMX_NSPACES };

#define LMX_NSTMT_SLOTS 64      /* >= the number of named statements (store_sql.h; checked in store.c) */
#define LMX_NDYN        16      /* bm25 scan variants: one per filter combination */

typedef struct lmx_store {
    sqlite3 *sql;
    lmx_error *err;
    const lmx_progress *progress;       /* the handle's (re-indexing reports to it); may be NULL */
    int readonly;
    int stale;                          /* tokenization changed since indexing */
    int schema;                         /* schema version found */
    int fresh;                          /* the file held no schema at open */
    int immutable;                      /* read as an immutable file */
    int cleanup;                        /* remove the -wal/-shm reading made */
    char *path;
    char analyzer_id[256];              /* written with every (re)index */
    int64_t gen[LMX_NKINDS + 1];        /* this handle's writes: [0] any, [k] kind k */
    sqlite3_stmt *stmt[LMX_NSTMT_SLOTS][LMX_NKINDS + 1];
    sqlite3_stmt *scan[LMX_NKINDS + 1][LMX_NDYN];
    struct { int64_t gen, version, n; } count[LMX_NKINDS + 1];   /* cached counts */
    /* The posting index (store_index.c). */
    int pst_ready;                      /* meta pst_ready, as last read */
    struct { int64_t gen, version; } pst_seen;   /* when it was read */
    lmx_pst_pending pend;               /* writes of the open transaction */
    lmx_pst_doc doc;                    /* scratch: one record's terms */
    int64_t next_tid;                   /* 0: read meta pst_next_tid first */
    fts5_tokenizer tok;                 /* the FTS5 tokenizer, as FTS5 runs it */
    Fts5Tokenizer *tok_inst;
    void *tok_ud;                       /* its user data */
    struct { int on, calls, len[LMX_NCOLS]; } tee;   /* capture of FTS5's own tokenization */
} lmx_store;

/* ---- opening ---------------------------------------------------------------- */

/*
** Open the connection (flags: LM_OPEN_READONLY, LM_OPEN_NO_MMAP), set the
** page cache, memory map and (writable) WAL mode, and create the base
** tables when writable.  Nothing of the text index yet: the tokenizer must be
** registered first (lmx_store_fts5()), then lmx_store_init_index().
*/
int lmx_store_open(lmx_store *st, const char *path, int flags, lmx_error *err);
void lmx_store_close(lmx_store *st);
/* The FTS5 API of the connection, to register tokenizers and functions. */
struct fts5_api *lmx_store_fts5(lmx_store *st);
/*
** With the tokenizer registered: check the schema version (migrating an
** older one when writable), compare the stored analyzer identity with
** `analyzer_id` (a mismatch is LM_EMISMATCH, or a re-index when `reindex`),
** and create the full-text tables of a new database (recording the analyzer
** and its `mode`).
*/
int lmx_store_init_index(lmx_store *st, const char *path, const char *analyzer_id, int mode, int reindex);

/* ---- transactions and the cache rule ------------------------------------------ */

/* A write transaction (BEGIN IMMEDIATE); the index is rebuilt first when
   the tokenization changed since it was built. */
int lmx_store_write_begin(lmx_store *st);
int lmx_store_commit(lmx_store *st);
void lmx_store_rollback(lmx_store *st);
/* A read snapshot for the statements of one call, when none is open: returns
   1 when it began one (pass it to lmx_store_read_end()). */
int lmx_store_read_begin(lmx_store *st);
void lmx_store_read_end(lmx_store *st, int began);

/*
** The cache rule.  A cache of data of `kind` (0: of anything) taken at stamp
** s is valid while lmx_store_stamp(st, kind) equals s: the stamp moves with
** every write of this handle that touches the kind (or anything, for 0) and
** with every commit of another connection (PRAGMA data_version).
*/
typedef struct { int64_t gen, version; } lmx_stamp;
lmx_stamp lmx_store_stamp(lmx_store *st, int kind);
static inline int lmx_stamp_eq(lmx_stamp a, lmx_stamp b) { return a.gen == b.gen && a.version == b.version; }

/* ---- meta ---------------------------------------------------------------------- */

/* 1 and the value in buf when the key exists, 0 when not, < 0 on error. */
int lmx_store_meta_get(lmx_store *st, const char *key, char *buf, size_t n);
int64_t lmx_store_meta_int(lmx_store *st, const char *key, int64_t dflt);
int lmx_store_meta_set(lmx_store *st, const char *key, const char *value);
int lmx_store_meta_set_int(lmx_store *st, const char *key, int64_t value);

/* ---- records -------------------------------------------------------------------- */

/* Store a parsed record (inside a write transaction); `json`/`len` is the
   text to keep verbatim.  *rid (may be NULL) gets its row id. */
int lmx_store_put(lmx_store *st, const lmx_record *r, const char *json, size_t len, int64_t *rid);
/* Delete (inside a write transaction).  LM_ENOTFOUND when there is none. */
int lmx_store_delete(lmx_store *st, int kind, const char *id);
/* The stored JSON of (kind, id): *json malloc'ed, *rid (may be NULL) its row
   id.  LM_ENOTFOUND. */
int lmx_store_get(lmx_store *st, int kind, const char *id, char **json, int64_t *rid);
/* The row id of (kind, id) in *rid.  LM_ENOTFOUND. */
int lmx_store_find(lmx_store *st, int kind, const char *id, int64_t *rid);
/* Records of kind (0: all), cached under the cache rule. */
int lmx_store_count(lmx_store *st, int kind, int64_t *n);
/* Every id of a kind in id order (malloc'ed array of malloc'ed strings). */
int lmx_store_ids(lmx_store *st, int kind, char ***ids, int *n);
/* Every record of kind (0: all) in storage order; a non-zero return of cb
   stops the scan and is returned. */
typedef int (*lmx_record_cb)(void *ctx, int kind, const char *id, const char *json, size_t len);
int lmx_store_scan_records(lmx_store *st, int kind, lmx_record_cb cb, void *ctx);

/* What the matcher needs of a candidate. */
typedef struct lmx_recinfo {
    int kind;
    char *id;                /* owned */
    char *region;            /* owned, NULL when none */
    int maturity;            /* 0 when none */
    char **tags;             /* owned domain tags, distinct, as given */
    int ntags;
} lmx_recinfo;
/* Read a record's info by row id: LM_OK, LM_ENOTFOUND. */
int lmx_store_info(lmx_store *st, int64_t rid, lmx_recinfo *out);
void lmx_recinfo_free(lmx_recinfo *r);
/* The display label of a record: title, or name for an expert ("" when
   none); *out malloc'ed. */
int lmx_store_label(lmx_store *st, int64_t rid, char **out);

/* Candidate filters.  The store applies them in SQL during a scan and in C
   to single records (lmx_filter_pass()), with the same meaning. */
typedef struct lmx_filter {
    const char *region;      /* region starts with it, or NULL */
    int min_maturity;        /* achievements with maturity >= it; 0 off */
    char *const *fields;     /* any of these domain tags ... */
    int nfields;             /* ... or 0: off */
    int64_t exclude_rid;     /* never this record; 0 off */
} lmx_filter;
int lmx_filter_pass(const lmx_filter *f, int64_t rid, const lmx_recinfo *r);

/* ---- links, user dictionary, synonyms, statistics --------------------------------- */

/* The experts linked to an achievement (declared by either side), in id
   order, whether or not they are stored. */
int lmx_store_linked_experts(lmx_store *st, const char *achievement, char ***ids, int *n);
int lmx_store_dict_put(lmx_store *st, const char *word, int64_t freq);
int lmx_store_dict_scan(lmx_store *st, int (*cb)(void *ctx, const char *w, int len, int64_t freq), void *ctx);
/* Mark the index stale after a tokenization change (user words). */
int lmx_store_mark_stale(lmx_store *st);
int lmx_store_synonym_put(lmx_store *st, const char *a, const char *b);
int lmx_store_synonym_scan(lmx_store *st, int (*cb)(void *ctx, const char *a, int alen, const char *b, int blen),
                           void *ctx);
typedef struct { int64_t links, user_words, synonyms, feedback; } lmx_counts;
int lmx_store_counts(lmx_store *st, lmx_counts *out);
/* Remove a meta key (none: no-op). */
int lmx_store_meta_del(lmx_store *st, const char *key);
/* How long a statement waits on a database locked by another connection. */
void lmx_store_busy_timeout(lmx_store *st, int ms);

/* ---- judged matches (feedback) ---------------------------------------------------- */

/* Store (replace) the judgment of the pair; grade < 0 removes it. */
int lmx_store_feedback_put(lmx_store *st, int from_kind, const char *from_id, int to_kind, const char *to_id,
                           int grade, int64_t at);
/* Every judgment, ordered by from_kind, from_id, to_kind, to_id; a non-zero
   return of cb stops the scan and is returned. */
int lmx_store_feedback_scan(lmx_store *st, int (*cb)(void *ctx, int from_kind, const char *from_id, int to_kind,
                                                     const char *to_id, int grade), void *ctx);

/* ---- the text index (store_index.c) -------------------------------------------------- */

/* Re-tokenize every stored text (inside a write transaction) and record the
   analyzer identity: after a change of mode or user words. */
int lmx_store_reindex(lmx_store *st);
/* Documents of kind holding the token, in *df. */
int lmx_store_doc_freq(lmx_store *st, int kind, const char *tok, int len, int64_t *df);
/* Every term of kind's full-text index with its document frequency (> 0),
   from the source lmx_store_doc_freq() reads (store_stats.c); a non-zero
   return of cb stops the scan and is returned. */
int lmx_store_term_dfs(lmx_store *st, int kind, int (*cb)(void *ctx, const char *term, int len, int64_t df),
                       void *ctx);
/*
** Run the full-text query `match` over kind's index with LMX_BM25_FN and its
** `params` blob, the collector bound as a pointer of type LMX_BM25_PTR; the
** function sees every matching row that passes the filter (NULL: none).
*/
int lmx_store_bm25_scan(lmx_store *st, int kind, const char *match, const void *params, int nparams,
                        const lmx_filter *f, void *collector);
/* The token count of every column of every indexed row of kind, rows in
   ascending order, as FTS5 keeps them (varint blob). */
int lmx_store_docsize_scan(lmx_store *st, int kind,
                           int (*cb)(void *ctx, int64_t rid, const unsigned char *sz, int n), void *ctx);
/* The indexed title, body and keywords of a row (malloc'ed; NULL for none).
   LM_ENOTFOUND. */
int lmx_store_texts(lmx_store *st, int kind, int64_t rid, char *texts[3]);
/* Every indexed row of kind with its title, body and keywords. */
int lmx_store_texts_scan(lmx_store *st, int kind,
                         int (*cb)(void *ctx, int64_t rid, const char *const texts[3]), void *ctx);

/* ---- the posting index (store_index.c) ------------------------------------------------ */

/*
** Every write of a record's text (lmx_store_put, lmx_store_delete) also
** re-tokenizes it with the FTS5 tokenizer and queues its postings; they
** reach the tables at lmx_store_commit() (or earlier, when many are
** queued), inside the same transaction; a rollback drops them.
** lmx_store_reindex() rebuilds the index with the FTS5 one.
*/

/* 1 when the posting index mirrors the full-text index (the pruned top-k
   may run), 0 when not (a file migrated with a stale index, until it is
   re-indexed).  Under the cache rule. */
int lmx_store_pst_ready(lmx_store *st);
/* A term of kind: 1 and its id and document frequency, 0 when absent, < 0
   on error. */
int lmx_store_pst_term(lmx_store *st, int kind, const char *tok, int len, int64_t *tid, int64_t *df);
/* Every block of term tid in ascending row order: cb(ctx, last row id, the
   block blob, its bytes); a non-zero return stops the scan and is returned. */
int lmx_store_pst_blocks(lmx_store *st, int64_t tid, int (*cb)(void *ctx, int64_t last, const unsigned char *b, int n),
                         void *ctx);
/* Rebuild the posting index of every kind from the stored texts (inside a
   write transaction). */
int lmx_store_pst_rebuild(lmx_store *st);
/* The column lengths of a stored row as the posting index counts them
   (they equal FTS5's docsize). LM_ENOTFOUND. */
int lmx_store_pst_doclen(lmx_store *st, int kind, int64_t rid, uint32_t len[LMX_NCOLS]);

/* ---- vectors (store_index.c) ---------------------------------------------------------- */

/* Replace the built-in model: drop its terms and vectors. */
int lmx_store_lsa_clear(lmx_store *st);
int lmx_store_lsa_put(lmx_store *st, const char *term, int len, double idf, const float *v, int d);
/* A term of the model: 1 and idf, v (d floats) when known, 0 when not. */
int lmx_store_lsa_term(lmx_store *st, const char *term, int len, int d, double *idf, float *v);
int lmx_store_vec_put(lmx_store *st, int space, int64_t rid, const float *v, int d);
/* A record's vector of dimension d: 1 when it has one, 0 when not. */
int lmx_store_vec_get(lmx_store *st, int space, int64_t rid, int d, float *v);
/* The vectors of dimension d of records of kind with row ids above `after`,
   in row order, with the record id.  Vectors of another size, or that do not
   decode, are skipped.  A non-zero return of cb stops the scan and is
   returned. */
int lmx_store_vec_scan(lmx_store *st, int space, int kind, int d, int64_t after,
                       int (*cb)(void *ctx, int64_t rid, const char *id, const float *v), void *ctx);

#endif
