/*
** store_index.c -- the store's full-text and vector tables: re-indexing,
** term statistics, the BM25 scan with its filters, column lengths, the
** indexed texts, the semantic model's terms and every stored vector.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "store.h"
#include "store_sql.h"
#include "vectors.h"

/* ---- the text index --------------------------------------------------------------------- */

int lmx_store_doc_freq(lmx_store *st, int kind, const char *tok, int len, int64_t *df)
{
    *df = 0;
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_DF, kind);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, tok, len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *df = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading term statistics");
}

/* Filter bits: which parts of the WHERE clause a scan needs. */
enum { F_REGION = 1, F_MATURITY = 2, F_FIELDS = 4, F_EXCLUDE = 8 };

static int filter_bits(const lmx_filter *f, int kind)
{
    if (!f) return 0;
    return (f->region ? F_REGION : 0) | (f->min_maturity && kind == LM_ACHIEVEMENT ? F_MATURITY : 0) |
           (f->nfields ? F_FIELDS : 0) | (f->exclude_rid ? F_EXCLUDE : 0);
}

/* The scan of kind with the filters of `bits`, prepared once. */
static sqlite3_stmt *scan_stmt(lmx_store *st, int kind, int bits)
{
    sqlite3_stmt **slot = &st->scan[kind][bits];
    if (*slot) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return *slot;
    }
    const char *fts = lmx_fts_table(kind);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s(f.%s, ?1, ?9) FROM %s f%s WHERE f.%s MATCH ?2%s%s%s%s", LMX_BM25_FN, fts, fts,
             bits ? " JOIN record r ON r.rid = f.rowid" : "", fts,
             bits & F_REGION ? " AND substr(r.region, 1, length(?5)) = ?5" : "",
             bits & F_MATURITY ? " AND r.maturity >= ?6" : "",
             bits & F_FIELDS ? " AND EXISTS(SELECT 1 FROM record_field rf2 WHERE rf2.rid = r.rid AND rf2.field IN "
                               "(SELECT value FROM json_each(?7)))" : "",
             bits & F_EXCLUDE ? " AND r.rid != ?8" : "");
    int rc = sqlite3_prepare_v3(st->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
    if (rc != SQLITE_OK) {
        lmx_store_sqlerr(st, rc, "preparing the match query");
        *slot = NULL;
    }
    return *slot;
}

/* The filter's domain tags as a JSON array, for json_each(). */
static char *fields_json(const lmx_filter *f)
{
    cJSON *a = cJSON_CreateArray();
    if (!a) return NULL;
    for (int i = 0; i < f->nfields; i++) cJSON_AddItemToArray(a, cJSON_CreateString(f->fields[i]));
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

int lmx_store_bm25_scan(lmx_store *st, int kind, const char *match, const void *params, int nparams,
                        const lmx_filter *f, void *collector)
{
    int bits = filter_bits(f, kind);
    sqlite3_stmt *s = scan_stmt(st, kind, bits);
    if (!s) return st->err->code;
    char *fj = NULL;
    if ((bits & F_FIELDS) && !(fj = fields_json(f))) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    sqlite3_bind_blob(s, 1, params, nparams, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, match, -1, SQLITE_STATIC);
    sqlite3_bind_pointer(s, 9, collector, LMX_BM25_PTR, NULL);
    if (bits & F_REGION) sqlite3_bind_text(s, 5, f->region, -1, SQLITE_STATIC);
    if (bits & F_MATURITY) sqlite3_bind_int(s, 6, f->min_maturity);
    if (bits & F_FIELDS) sqlite3_bind_text(s, 7, fj, -1, SQLITE_STATIC);
    if (bits & F_EXCLUDE) sqlite3_bind_int64(s, 8, f->exclude_rid);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {}
    rc = rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "matching");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    free(fj);
    return rc;
}

int lmx_store_docsize_scan(lmx_store *st, int kind,
                           int (*cb)(void *ctx, int64_t rid, const unsigned char *sz, int n), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_DOCSIZE, kind);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading column lengths");
}

int lmx_store_texts(lmx_store *st, int kind, int64_t rid, char *texts[3])
{
    texts[0] = texts[1] = texts[2] = NULL;
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_TEXTS, kind);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s), nomem = 0;
    if (rc == SQLITE_ROW)
        for (int c = 0; c < 3; c++) {
            const char *t = (const char *)sqlite3_column_text(s, c);
            if (t && *t && !(texts[c] = lmx_strndup(t, (size_t)sqlite3_column_bytes(s, c)))) nomem = 1;
        }
    sqlite3_reset(s);
    if (nomem) {
        for (int c = 0; c < 3; c++) { free(texts[c]); texts[c] = NULL; }
        return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    }
    if (rc == SQLITE_ROW) return LM_OK;
    return rc == SQLITE_DONE ? LM_ENOTFOUND : lmx_store_sqlerr(st, rc, "reading a record's text");
}

int lmx_store_texts_scan(lmx_store *st, int kind,
                         int (*cb)(void *ctx, int64_t rid, const char *const texts[3]), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_SCAN, kind);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *texts[3] = { (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2),
                                 (const char *)sqlite3_column_text(s, 3) };
        stop = cb(ctx, sqlite3_column_int64(s, 0), texts);
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading texts");
}

/* ---- vectors ------------------------------------------------------------------------------- */

/* Decode a stored vector of dimension d into v: a blob, or in a version 1
   file the bare host floats.  1 on success, 0 when it is not such a vector. */
static int unblob(const void *b, int n, int d, float *v)
{
    if (n == (int)lmx_blob_size(d)) return lmx_blob_decode(v, d, b, (size_t)n) == LM_OK;
    if (n == (int)(sizeof(float) * (size_t)d)) {
        memcpy(v, b, (size_t)n);
        return lmx_vec_check(v, d) == LM_OK;
    }
    return 0;
}

/* Bind a vector blob to parameter i of s. */
static int bind_vec(lmx_store *st, sqlite3_stmt *s, int i, const float *v, int d)
{
    unsigned char *blob;
    size_t n;
    int rc = lmx_store_blob(st, v, d, &blob, &n);
    if (!rc) sqlite3_bind_blob(s, i, blob, (int)n, free);
    return rc;
}

int lmx_store_lsa_clear(lmx_store *st)
{
    lmx_store_bump(st, 0);
    return lmx_store_exec(st, "DELETE FROM lsa_term; DELETE FROM vec;", "replacing the semantic model");
}

int lmx_store_lsa_put(lmx_store *st, const char *term, int len, double idf, const float *v, int d)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_LSA_PUT, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, term, len, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, idf);
    int rc = bind_vec(st, s, 3, v, d);
    return rc ? rc : lmx_store_done(st, s, "storing the semantic model");
}

int lmx_store_lsa_term(lmx_store *st, const char *term, int len, int d, double *idf, float *v)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_LSA_GET, 0);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, term, len, SQLITE_STATIC);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        *idf = sqlite3_column_double(s, 0);
        found = unblob(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1), d, v);
    } else if (rc != SQLITE_DONE) {
        found = -1;
        lmx_store_sqlerr(st, rc, "reading the semantic model");
    }
    sqlite3_reset(s);
    return found;
}

int lmx_store_vec_put(lmx_store *st, int space, int64_t rid, const float *v, int d)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_VEC_PUT, 1 + space);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    int rc = bind_vec(st, s, 2, v, d);
    lmx_store_bump(st, 0);
    return rc ? rc : lmx_store_done(st, s, "storing a vector");
}

int lmx_store_vec_get(lmx_store *st, int space, int64_t rid, int d, float *v)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_VEC_GET, 1 + space);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) found = unblob(sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0), d, v);
    else if (rc != SQLITE_DONE) { found = -1; lmx_store_sqlerr(st, rc, "reading a vector"); }
    sqlite3_reset(s);
    return found;
}

int lmx_store_vec_scan(lmx_store *st, int space, int kind, int d,
                       int (*cb)(void *ctx, int64_t rid, const char *id, const float *v), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_VEC_SCAN, 1 + space);
    float *v = malloc(sizeof(float) * (size_t)(d > 0 ? d : 1));
    if (!s || !v) { free(v); return s ? lmx_error_set(st->err, LM_ENOMEM, "out of memory") : st->err->code; }
    sqlite3_bind_int(s, 1, kind);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (!unblob(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1), d, v)) continue;
        stop = cb(ctx, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 2), v);
    }
    sqlite3_reset(s);
    free(v);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading vectors");
}
