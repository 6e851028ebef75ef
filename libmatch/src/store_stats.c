/*
** store_stats.c -- the store's part of a database's collection statistics
** (gstats.c): every term of a kind's full-text index with its document
** frequency.  Part of the store (its SQL is here, beside store.c and
** store_index.c); read by the index-feature layer only.
*/
#include <stdio.h>
#include <string.h>

#include "libmatch.h"
#include "store_sql.h"

int lmx_store_term_dfs(lmx_store *st, int kind, int (*cb)(void *ctx, const char *term, int len, int64_t df),
                       void *ctx)
{
    const char *t = lmx_fts_table(kind);
    if (!t) return lmx_error_set(st->err, LM_EINVAL, "unknown kind %d", kind);
    int ready = lmx_store_pst_ready(st);
    if (ready < 0) return st->err->code;
    char sql[160];
    /* The same source lmx_store_doc_freq() reads: the posting index when it
       mirrors FTS5, else FTS5's own vocabulary. */
    if (ready) snprintf(sql, sizeof sql, "SELECT term, df FROM pst_term WHERE kind=%d AND df>0", kind);
    else snprintf(sql, sizeof sql, "SELECT term, doc FROM %s_v WHERE doc>0", t);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->sql, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) return lmx_store_sqlerr(st, rc, "reading the term statistics");
    int stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *term = sqlite3_column_blob(s, 0);
        int len = sqlite3_column_bytes(s, 0);
        if (!term || len <= 0) continue;
        stop = cb(ctx, term, len, sqlite3_column_int64(s, 1));
    }
    sqlite3_finalize(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading the term statistics");
}
