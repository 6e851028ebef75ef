/*
** store_sql.h -- private to the store (store.c, store_index.c): the names
** of its statements and the helpers store_index.c takes from store.c (it
** calls store.c, never the other way).  Nothing outside the store
** includes it.
*/
#ifndef LM_STORE_SQL_H
#define LM_STORE_SQL_H

#include "store.h"

/* Every statement the store runs more than once, by name; the SQL is in
   store.c.  Statements on a kind's full-text table are prepared per kind;
   the S_VEC_* ones per vector table (kind = 1 + LMX_SPACE_*).  Keep the
   S_VEC_* statements last. */
enum {
    S_DATA_VERSION, S_META_GET, S_META_SET,
    S_FIND, S_GET, S_INSERT, S_UPDATE, S_DELETE, S_COUNT_KIND, S_COUNT_ALL,
    S_INFO, S_TAGS, S_LABEL, S_IDS, S_SCAN_KIND, S_SCAN_ALL,
    S_ADD_TAG, S_DEL_TAGS, S_ADD_LINK, S_DEL_LINKS_A, S_DEL_LINKS_E, S_LINKED,
    S_DICT_PUT, S_DICT_SCAN, S_SYN_PUT, S_SYN_SCAN, S_N_LINKS, S_N_DICT, S_N_SYN,
    S_FTS_INSERT, S_FTS_DELETE, S_FTS_DF, S_FTS_TEXTS, S_FTS_SCAN, S_FTS_DOCSIZE,
    S_PST_TERM, S_PST_TERM_PUT, S_PST_TERM_DEL, S_PST_AT, S_PST_TAIL, S_PST_PUT, S_PST_DEL, S_PST_SCAN,
    S_PST_TEXTS, S_PST_TEXTS_ALL,
    S_LSA_GET, S_LSA_PUT,
    S_META_DEL, S_FB_PUT, S_FB_DEL, S_FB_SCAN, S_N_FB,
    S_VEC_PUT, S_VEC_GET, S_VEC_DEL, S_VEC_SCAN,
    LMX_NSTMT
};

/* The full-text table of a kind ("fts_problem", ...), NULL for a bad kind. */
const char *lmx_fts_table(int kind);
/* A named statement, prepared once per connection, reset and unbound. */
sqlite3_stmt *lmx_store_stmt(lmx_store *st, int id, int kind);
/* Record an SQLite failure as an LM_* error with `what` and SQLite's message. */
int lmx_store_sqlerr(lmx_store *st, int rc, const char *what);
/* Step a statement that returns nothing (or one row), then reset it. */
int lmx_store_done(lmx_store *st, sqlite3_stmt *s, const char *what);
int lmx_store_exec(lmx_store *st, const char *sql, const char *what);
/* Count a write of this handle: of kind (0: of anything else). */
void lmx_store_bump(lmx_store *st, int kind);
/* The schema (store.c), in the open transaction: every table of a new
   database; a database of version st->schema brought up to
   LMX_SCHEMA_VERSION (its meta entry is the caller's). */
int lmx_store_create_tables(lmx_store *st);
int lmx_store_migrate_tables(lmx_store *st);
/* A failure to read the file at all (not SQLite, damaged) as LM_ENOTDB. */
int lmx_store_open_failure(lmx_store *st, int rc, const char *path);
/* The posting index (store_index.c): find the FTS5 tokenizer (after it is
   registered; store.c's lmx_store_close() frees it); queue the postings of
   a record's texts (del 0) or of its stored texts (del 1); write what is
   queued; drop it. */
int lmx_store_pst_init(lmx_store *st);
int lmx_store_pst_add(lmx_store *st, int kind, int64_t rid, const char *const texts[LMX_NCOLS]);
/* Capture the terms FTS5 tokenizes while one INSERT of a row runs (tee_begin
   before, tee_end after it): lmx_store_pst_add() then need not tokenize the
   texts again.  tee_end() returns 1 when the capture holds exactly the
   row's columns. */
void lmx_store_pst_tee_begin(lmx_store *st);
int lmx_store_pst_tee_end(lmx_store *st, const char *const texts[LMX_NCOLS]);
/* Queue the postings of the captured row. */
int lmx_store_pst_queue(lmx_store *st, int kind, int64_t rid);
int lmx_store_pst_remove(lmx_store *st, int kind, int64_t rid);
int lmx_store_pst_flush(lmx_store *st);
void lmx_store_pst_discard(lmx_store *st);
/* Encode d host floats at v (any alignment) as a stored vector blob. */
int lmx_store_blob(lmx_store *st, const void *v, int d, unsigned char **blob, size_t *n);

#endif
