/*
** api_db.c -- the database handle's public calls: opening and closing,
** errors, progress, records (put, delete, get, count, scan), statistics,
** re-indexing, the analyzer mode and the user dictionary.
**
** Writes are "store, then update the index features": lm_put() stores the
** record (store.c) and then folds it into the semantic space (semantic.c);
** the store never calls upward.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "tokenizer.h"

/* ---- errors and progress ------------------------------------------------------ */

LM_API const char *lm_errmsg(const lm_db *db)
{
    if (!db) return "no database handle (NULL)";
    if (db->err.code == LM_OK) return "not an error";
    return db->err.msg[0] ? db->err.msg : lm_errstr(db->err.code);
}

LM_API int lm_errcode(const lm_db *db)
{
    return db ? db->err.code : LM_EINVAL;
}

static int set_progress_locked(lm_db *db, lm_progress_fn fn, void *ctx)
{
    if (!db) return LM_EINVAL;
    db->progress.fn = fn;
    db->progress.ctx = fn ? ctx : NULL;
    return LM_OK;
}

/* ---- open / close ---------------------------------------------------------------- */

/* The analyzer identity without the user-dictionary part: the stored index
   is built with it; user words only mark the index stale until reindexed. */
static void base_analyzer_id(const lmx_analyzer *an, char *buf, size_t n)
{
    const char *id = lmx_analyzer_id(an);
    const char *u = strstr(id, " user=");
    snprintf(buf, n, "%.*s", (int)(u ? (size_t)(u - id) : strlen(id)), id);
}

static int add_user_word(void *ctx, const char *w, int len, int64_t freq)
{
    lmx_analyzer_add_word(ctx, w, len, freq);
    return 0;
}

LM_API int lm_open(lm_db **out, const char *path, int flags)
{
    if (!out) return LM_EINVAL;
    *out = NULL;
    lm_db *db = calloc(1, sizeof *db);
    if (!db) return LM_ENOMEM;
    *out = db;
    if (!path) return lmx_err(db, LM_EINVAL, "no database path (NULL)");
    db->readonly = (flags & LM_OPEN_READONLY) != 0;
    int rc = lmx_store_open(&db->store, path, flags, &db->err);
    db->store.progress = &db->progress;
    if (rc) return rc;
    int fresh = db->store.fresh;
    int mode = fresh ? LMX_DEFAULT_MODE : (int)lmx_store_meta_int(&db->store, "analyzer_mode", LMX_LEGACY_MODE);
    char err[512] = "";
    if ((rc = lmx_analyzer_new(&db->an, mode, err, sizeof err))) return lmx_err(db, rc, "%s", err[0] ? err : lm_errstr(rc));
    db->mode = lmx_analyzer_mode(db->an);
    if (!fresh && (rc = lmx_store_dict_scan(&db->store, add_user_word, db->an))) return rc;
    if ((rc = lmx_tokenizer_register(lmx_store_fts5(&db->store), db->an)) != LM_OK)
        return lmx_err(db, LM_EDB, "registering the FTS5 tokenizer failed (code %d)", rc);
    if ((rc = lmx_bm25_register(&db->store)) != LM_OK)
        return lmx_err(db, LM_EDB, "registering the scoring functions failed (code %d)", rc);
    char id[256];
    base_analyzer_id(db->an, id, sizeof id);
    if ((rc = lmx_store_init_index(&db->store, path, id, db->mode, (flags & LM_OPEN_REINDEX) != 0))) return rc;
    return lmx_ok(db);
}

LM_API int lm_close(lm_db *db)
{
    if (!db) return LM_OK;
    if (!lmx_enter(db)) return LM_EMISUSE;        /* in use: closing it would pull the rug */
    lmx_store_close(&db->store);
    lmx_lexicon_free(&db->lex);
    lmx_semantic_free(&db->sem);
    lmx_bm25_cache_free(&db->bm25);
    lmx_api_dfs_close(db);
    lmx_analyzer_free(db->an);
    free(db);
    return LM_OK;
}

/* ---- records ---------------------------------------------------------------------- */

int lmx_put_parsed(lm_db *db, const lmx_record *r, const char *json, size_t len)
{
    int64_t rid;
    int rc = lmx_store_put(&db->store, r, json, len, &rid);
    if (!rc) rc = lmx_semantic_fold(&db->store, db->an, rid, r);
    return rc;
}

const char *lmx_skip_bom(const char *s, size_t *len)
{
    if (s && *len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) {
        *len -= 3;
        return s + 3;
    }
    return s;
}

static int put_locked(lm_db *db, const char *json, size_t len)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if (json && len == LM_NUL_TERMINATED) len = strlen(json);
    json = lmx_skip_bom(json, &len);
    lmx_record r;
    char msg[768];
    int rc = lmx_record_parse(json, len, 1, &r, msg, sizeof msg);
    if (rc) return lmx_err(db, rc, "%s", msg);
    if ((rc = lmx_store_write_begin(&db->store)) == LM_OK) {
        rc = lmx_put_parsed(db, &r, json, len);
        if (rc == LM_OK) rc = lmx_store_commit(&db->store);
        if (rc) lmx_store_rollback(&db->store);
    }
    lmx_record_free(&r);
    return rc ? rc : lmx_ok(db);
}

static int delete_locked(lm_db *db, int kind, const char *id)
{
    if (!db) return LM_EINVAL;
    int rc = lmx_check_kind_id(db, kind, id);
    if (rc) return rc;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if ((rc = lmx_store_write_begin(&db->store))) return rc;
    if (!(rc = lmx_store_delete(&db->store, kind, id))) rc = lmx_store_commit(&db->store);
    if (rc) { lmx_store_rollback(&db->store); return rc; }
    return lmx_ok(db);
}

static int get_locked(lm_db *db, int kind, const char *id, char **out)
{
    if (!out) return db ? lmx_err(db, LM_EINVAL, "no output pointer (NULL)") : LM_EINVAL;
    *out = NULL;
    if (!db) return LM_EINVAL;
    int rc = lmx_check_kind_id(db, kind, id);
    if (!rc) rc = lmx_store_get(&db->store, kind, id, out, NULL);
    return rc ? rc : lmx_ok(db);
}

static int count_locked(lm_db *db, int kind, int64_t *out)
{
    if (!db || !out) return LM_EINVAL;
    if (kind && !lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d", kind);
    int rc = lmx_store_count(&db->store, kind, out);
    return rc ? rc : lmx_ok(db);
}

_Thread_local const lm_db *lmx_scanning;

static int scan_locked(lm_db *db, int kind, lm_record_fn cb, void *ctx)
{
    if (!db) return LM_EINVAL;
    if (kind && !lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d", kind);
    if (!cb) return lmx_err(db, LM_EINVAL, "no callback (NULL)");
    int began = lmx_store_read_begin(&db->store);
    const lm_db *outer = lmx_scanning;
    lmx_scanning = db;                 /* the callback may read db (db.h) */
    int rc = lmx_store_scan_records(&db->store, kind, cb, ctx);
    lmx_scanning = outer;
    lmx_store_read_end(&db->store, began);
    if (rc > 0 && rc != db->err.code) rc = lmx_err(db, LM_ESTATE, "the scan was stopped by its callback (%d)", rc);
    else if (rc < 0) rc = lmx_err(db, LM_ESTATE, "the scan was stopped by its callback (%d)", rc);
    return rc ? rc : lmx_ok(db);
}

static int stats_json_locked(lm_db *db, char **out)
{
    if (!db || !out) return LM_EINVAL;
    *out = NULL;
    lmx_store *st = &db->store;
    cJSON *o = cJSON_CreateObject(), *counts = cJSON_CreateObject();
    if (!o || !counts) { cJSON_Delete(o); cJSON_Delete(counts); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    cJSON_AddItemToObject(o, "records", counts);
    int rc = LM_OK;
    for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
        int64_t n = 0;
        rc = lmx_store_count(st, k, &n);
        cJSON_AddNumberToObject(counts, lm_kind_name(k), (double)n);
    }
    lmx_counts c = {0};
    if (!rc) rc = lmx_store_counts(st, &c);
    if (rc) { cJSON_Delete(o); return rc; }
    cJSON_AddNumberToObject(o, "links", (double)c.links);
    cJSON_AddStringToObject(o, "analyzer", lmx_analyzer_id(db->an));
    cJSON_AddNumberToObject(o, "user_words", (double)c.user_words);
    cJSON_AddNumberToObject(o, "synonyms", (double)c.synonyms);
    cJSON_AddNumberToObject(o, "feedback", (double)c.feedback);
    char mb[8];
    cJSON_AddStringToObject(o, "model", lmx_store_meta_get(st, "model", mb, sizeof mb) > 0 ? "learned" : "default");
    cJSON_AddNumberToObject(o, "schema_version", (double)lmx_store_meta_int(st, "schema_version", 0));
    char buf[64];
    cJSON_AddBoolToObject(o, "index_stale", lmx_store_meta_get(st, "index_stale", buf, sizeof buf) > 0 && buf[0] == '1');
    cJSON *vec = cJSON_AddObjectToObject(o, "vectors");
    int dim = lmx_semantic_dim(st);
    cJSON_AddNumberToObject(vec, "dim", dim);
    cJSON_AddNumberToObject(vec, "built_records", dim ? (double)lmx_store_meta_int(st, "lsa_records", 0) : 0);
    cJSON_AddNumberToObject(vec, "added_since_build", dim ? (double)lmx_store_meta_int(st, "lsa_folded", 0) : 0);
    cJSON_AddStringToObject(o, "libmatch", LM_VERSION_STRING);
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? lmx_ok(db) : lmx_err(db, LM_ENOMEM, "out of memory");
}

/* ---- the analyzer: re-indexing, mode, user words -------------------------------------- */

/* Re-tokenize everything in one write transaction (once: a stale index is
   rebuilt when the transaction begins). */
static int reindex(lm_db *db)
{
    int was_stale = db->store.stale;
    int rc = lmx_store_write_begin(&db->store);
    if (rc) return rc;
    if (!was_stale) rc = lmx_store_reindex(&db->store);
    if (!rc) rc = lmx_store_commit(&db->store);
    if (rc) lmx_store_rollback(&db->store);
    return rc;
}

static int reindex_locked(lm_db *db)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = reindex(db);
    return rc ? rc : lmx_ok(db);
}

static int set_analyzer_mode_locked(lm_db *db, int mode)
{
    if (!db) return LM_EINVAL;
    if (mode <= 0 || (mode & ~LMX_ALL_MODES))
        return lmx_err(db, LM_EINVAL, "analyzer mode %d is not a combination of LM_ANALYZE_* bits", mode);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    /* The analyzer is changed in place: FTS5 tokenizer instances hold its
       pointer for the life of the connection. */
    int rc = lmx_analyzer_set_mode(db->an, mode);
    if (rc) return lmx_err(db, rc, "cannot set analyzer mode %d", mode);
    db->mode = lmx_analyzer_mode(db->an);
    base_analyzer_id(db->an, db->store.analyzer_id, sizeof db->store.analyzer_id);
    if ((rc = lmx_store_meta_set_int(&db->store, "analyzer_mode", db->mode))) return rc;
    return (rc = reindex(db)) ? rc : lmx_ok(db);
}

int lmx_check_word(lm_db *db, const char *w, const char *what)
{
    if (!w) return lmx_err(db, LM_EINVAL, "no %s (NULL)", what);
    size_t n = strlen(w);
    if (n == 0 || n > 256) return lmx_err(db, LM_EINVAL, "%s must have 1 to 256 bytes", what);
    if (!lmx_utf8_valid(w, n, NULL)) return lmx_err(db, LM_EINVAL_UTF8, "%s is not valid UTF-8", what);
    return LM_OK;
}

static int dict_add_locked(lm_db *db, const char *word, int64_t freq)
{
    if (!db) return LM_EINVAL;
    int rc = lmx_check_word(db, word, "word");
    if (rc) return rc;
    if (strpbrk(word, " \t\r\n")) return lmx_err(db, LM_EINVAL, "word '%.200s' holds white space", word);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if (freq < 0) freq = 0;
    if ((rc = lmx_store_dict_put(&db->store, word, freq))) return rc;
    if ((rc = lmx_analyzer_add_word(db->an, word, (int)strlen(word), (long long)freq)))
        return lmx_err(db, rc, "adding '%s' to the analyzer: %s", word, lm_errstr(rc));
    if ((rc = lmx_store_mark_stale(&db->store))) return rc;
    return lmx_ok(db);
}

LM_API int lm_set_dictionary(const char *path)
{
    return lmx_set_dict_path(path);
}

LM_API int lm_dict_set_path(const char *path)
{
    return lmx_set_dict_path(path);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

static int set_busy_timeout_locked(lm_db *db, int ms)
{
    if (ms < 0 || ms > LM_MAX_BUSY_TIMEOUT_MS)
        return lmx_err(db, LM_ERANGE, "busy timeout %d ms is not in 0..%d", ms, LM_MAX_BUSY_TIMEOUT_MS);
    lmx_store_busy_timeout(&db->store, ms);
    return lmx_ok(db);
}

LM_API int lm_set_busy_timeout(lm_db *db, int ms)
{
    LMX_GUARDED(db, set_busy_timeout_locked(db, ms));
}

LM_API int lm_set_progress(lm_db *db, lm_progress_fn fn, void *ctx)
{
    LMX_GUARDED(db, set_progress_locked(db, fn, ctx));
}

LM_API int lm_put(lm_db *db, const char *json, size_t len)
{
    LMX_GUARDED(db, put_locked(db, json, len));
}

LM_API int lm_delete(lm_db *db, int kind, const char *id)
{
    LMX_GUARDED(db, delete_locked(db, kind, id));
}

LM_API int lm_get(lm_db *db, int kind, const char *id, char **out)
{
    LMX_GUARDED_READ(db, get_locked(db, kind, id, out));
}

LM_API int lm_count(lm_db *db, int kind, int64_t *out)
{
    LMX_GUARDED_READ(db, count_locked(db, kind, out));
}

LM_API int lm_scan(lm_db *db, int kind, lm_record_fn cb, void *ctx)
{
    LMX_GUARDED(db, scan_locked(db, kind, cb, ctx));
}

LM_API int lm_stats_json(lm_db *db, char **out)
{
    LMX_GUARDED_READ(db, stats_json_locked(db, out));
}

LM_API int lm_reindex(lm_db *db)
{
    LMX_GUARDED(db, reindex_locked(db));
}

LM_API int lm_set_analyzer_mode(lm_db *db, int mode)
{
    LMX_GUARDED(db, set_analyzer_mode_locked(db, mode));
}

LM_API int lm_dict_add(lm_db *db, const char *word, int64_t freq)
{
    LMX_GUARDED(db, dict_add_locked(db, word, freq));
}
