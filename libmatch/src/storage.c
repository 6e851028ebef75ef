/*
** storage.c -- the only file that writes SQL.  Opening a database, its
** schema, the analyzer identity check, records and their FTS5 rows, links,
** domain tags, the user dictionary, synonyms, statistics and reindexing.
**
** Schema (LMX_SCHEMA_VERSION 1):
**   meta(key, value)                      schema_version, analyzer, mode, stale
**   record(rid, kind, id, json, region, org, maturity)   json kept verbatim
**   record_field(rid, field)              domain tags, for filters and overlap
**   link(achievement, expert, src)        expert <-> achievement, src = the
**                                         kind of the record that declared it
**   fts_<kind>(title, body, keywords, extra)  FTS5, tokenizer "libmatch",
**                                         rowid = record.rid
**   fts_<kind>_v                          fts5vocab(row): document frequencies
**   dict(word, freq), synonym(a, b)       user dictionary and synonyms
**   lsa_term(term, idf, v), vec(rid, v)   built-in semantic model and vectors
**                                         (semantic.c)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const fts_names[] = { NULL, "fts_problem", "fts_achievement", "fts_expert" };

const char *lmx_fts_table(int kind)
{
    return (kind >= 1 && kind <= LMX_NKINDS) ? fts_names[kind] : NULL;
}

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS record("
    "  rid INTEGER PRIMARY KEY, kind INTEGER NOT NULL, id TEXT NOT NULL,"
    "  json TEXT NOT NULL, region TEXT, org TEXT, maturity INTEGER,"
    "  UNIQUE(kind, id));"
    "CREATE TABLE IF NOT EXISTS record_field("
    "  rid INTEGER NOT NULL, field TEXT NOT NULL, PRIMARY KEY(rid, field)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS record_field_by_field ON record_field(field);"
    "CREATE TABLE IF NOT EXISTS link("
    "  achievement TEXT NOT NULL, expert TEXT NOT NULL, src INTEGER NOT NULL,"
    "  PRIMARY KEY(achievement, expert, src)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS link_by_expert ON link(expert);"
    "CREATE TABLE IF NOT EXISTS dict(word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS synonym(a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS lsa_term(term TEXT PRIMARY KEY, idf REAL NOT NULL, v BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS vec(rid INTEGER PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS xvec(rid INTEGER PRIMARY KEY, v BLOB NOT NULL);";

/* ---- statements, transactions --------------------------------------------- */

int64_t lmx_data_version(lm_db *db)
{
    sqlite3_stmt *st = lmx_stmt(db, 31, "PRAGMA data_version");
    int64_t v = 0;
    if (!st) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

sqlite3_stmt *lmx_stmt(lm_db *db, int slot, const char *sql)
{
    sqlite3_stmt *st = db->stmt[slot];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    int rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        lmx_sqlerr(db, rc, "preparing a statement");
        return NULL;
    }
    db->stmt[slot] = st;
    return st;
}

enum {
    S_FIND, S_INSERT, S_UPDATE, S_DEL_RECORD, S_DEL_FIELDS, S_ADD_FIELD,
    S_DEL_LINKS_A, S_DEL_LINKS_E, S_ADD_LINK, S_GET, S_COUNT, S_COUNT_ALL,
    S_FTS_INS0 /* + kind */, S_FTS_DEL0 = S_FTS_INS0 + 3
};
/* S_FTS_DEL0 + 3 == 18 would overflow the cache: FTS statements use their own. */

static int exec(lm_db *db, const char *sql, const char *what)
{
    char *err = NULL;
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        lmx_err(db, rc == SQLITE_BUSY ? LM_EBUSY : LM_EDB, "%s: %s", what,
                err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return db->errcode;
    }
    return LM_OK;
}

int lmx_begin(lm_db *db) { return exec(db, "BEGIN IMMEDIATE", "starting a transaction"); }
int lmx_commit(lm_db *db) { return exec(db, "COMMIT", "committing"); }
void lmx_rollback(lm_db *db)
{
    if (!sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

static int step_done(lm_db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return lmx_sqlerr(db, rc, what);
    return LM_OK;
}

static int meta_get(lm_db *db, const char *key, char *buf, size_t n)
{
    sqlite3_stmt *st;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key=?", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, n, "%s", v ? v : "");
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static int meta_set(lm_db *db, const char *key, const char *value)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "writing meta");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? LM_OK : lmx_sqlerr(db, rc, "writing meta");
}

/* The analyzer identity without the user-dictionary part: the stored index
   is built with it; user words only mark the index stale until reindexed. */
static void base_analyzer_id(const lmx_analyzer *an, char *buf, size_t n)
{
    const char *id = lmx_analyzer_id(an);
    const char *u = strstr(id, " user=");
    snprintf(buf, n, "%.*s", (int)(u ? (size_t)(u - id) : strlen(id)), id);
}

/* ---- records ------------------------------------------------------------- */

static int fts_insert(lm_db *db, int kind, sqlite3_int64 rid, const lmx_record *r)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s(rowid, title, body, keywords, extra) VALUES(?,?,?,?,?)",
             lmx_fts_table(kind));
    sqlite3_stmt *st = lmx_stmt(db, 4 + kind - 1 + 9, sql); /* slots 12..14 */
    if (!st) return db->errcode;
    sqlite3_bind_int64(st, 1, rid);
    for (int c = 0; c < LMX_NCOLS; c++)
        sqlite3_bind_text(st, 2 + c, r->text[c] ? r->text[c] : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    db->kind_gen[kind]++;
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOMEM) return lmx_err(db, LM_ENOMEM, "out of memory indexing record '%s'", r->id);
        return lmx_sqlerr(db, rc, "indexing the record's text");
    }
    return LM_OK;
}

static int fts_delete(lm_db *db, int kind, sqlite3_int64 rid)
{
    char sql[96];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE rowid=?", lmx_fts_table(kind));
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "removing index rows");
    sqlite3_bind_int64(st, 1, rid);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    db->kind_gen[kind]++;
    return rc == SQLITE_DONE ? LM_OK : lmx_sqlerr(db, rc, "removing index rows");
}

static sqlite3_int64 find_rid(lm_db *db, int kind, const char *id)
{
    sqlite3_stmt *st = lmx_stmt(db, 0, "SELECT rid FROM record WHERE kind=? AND id=?");
    if (!st) return -1;
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_int64 rid = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) rid = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE) { lmx_sqlerr(db, rc, "looking up a record"); rid = -1; }
    sqlite3_reset(st);
    return rid;
}

/* Remove what a record owns besides its row: FTS row, tags, declared links. */
/* r_keeps_xvec: an update keeps the record's external vector (the caller
   owns it); a delete removes it. */
static int unlink_record(lm_db *db, int kind, const char *id, sqlite3_int64 rid, int r_keeps_xvec)
{
    int rc = fts_delete(db, kind, rid);
    if (rc) return rc;
    db->write_gen++;
    sqlite3_stmt *vs = lmx_stmt(db, 26, "DELETE FROM vec WHERE rid=?");
    if (!vs) return db->errcode;
    sqlite3_bind_int64(vs, 1, rid);
    if ((rc = step_done(db, vs, "removing a vector"))) return rc;
    if (!r_keeps_xvec) {
        vs = lmx_stmt(db, 27, "DELETE FROM xvec WHERE rid=?");
        if (!vs) return db->errcode;
        sqlite3_bind_int64(vs, 1, rid);
        if ((rc = step_done(db, vs, "removing a vector"))) return rc;
    }
    sqlite3_stmt *st = lmx_stmt(db, 1, "DELETE FROM record_field WHERE rid=?");
    if (!st) return db->errcode;
    sqlite3_bind_int64(st, 1, rid);
    if ((rc = step_done(db, st, "removing domain tags"))) return rc;
    if (kind == LM_ACHIEVEMENT)
        st = lmx_stmt(db, 2, "DELETE FROM link WHERE achievement=? AND src=2");
    else if (kind == LM_EXPERT)
        st = lmx_stmt(db, 3, "DELETE FROM link WHERE expert=? AND src=3");
    else
        return LM_OK;
    if (!st) return db->errcode;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return step_done(db, st, "removing links");
}

int lmx_store_record(lm_db *db, const lmx_record *r, const char *json, size_t len)
{
    sqlite3_int64 rid = find_rid(db, r->kind, r->id);
    if (rid < 0) return db->errcode;
    int rc;
    sqlite3_stmt *st;
    if (rid > 0) {
        if ((rc = unlink_record(db, r->kind, r->id, rid, 1))) return rc;
        st = lmx_stmt(db, 4, "UPDATE record SET json=?, region=?, org=?, maturity=? WHERE rid=?");
        if (!st) return db->errcode;
        sqlite3_bind_int64(st, 5, rid);
    } else {
        st = lmx_stmt(db, 5, "INSERT INTO record(json, region, org, maturity, kind, id) VALUES(?,?,?,?,?,?)");
        if (!st) return db->errcode;
        sqlite3_bind_int(st, 5, r->kind);
        sqlite3_bind_text(st, 6, r->id, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
    if (r->region) sqlite3_bind_text(st, 2, r->region, -1, SQLITE_STATIC);
    if (r->org) sqlite3_bind_text(st, 3, r->org, -1, SQLITE_STATIC);
    if (r->maturity) sqlite3_bind_int(st, 4, r->maturity);
    if ((rc = step_done(db, st, "storing the record"))) return rc;
    if (rid == 0) rid = sqlite3_last_insert_rowid(db->sql);

    if ((rc = fts_insert(db, r->kind, rid, r))) return rc;
    db->write_gen++;
    if ((rc = lmx_semantic_fold(db, rid, r))) return rc;
    for (cJSON *f = r->fields ? r->fields->child : NULL; f; f = f->next) {
        if (!*f->valuestring) continue;
        st = lmx_stmt(db, 6, "INSERT OR IGNORE INTO record_field(rid, field) VALUES(?, ?)");
        if (!st) return db->errcode;
        sqlite3_bind_int64(st, 1, rid);
        sqlite3_bind_text(st, 2, f->valuestring, -1, SQLITE_STATIC);
        if ((rc = step_done(db, st, "storing domain tags"))) return rc;
    }
    for (cJSON *l = r->links ? r->links->child : NULL; l; l = l->next) {
        st = lmx_stmt(db, 7, "INSERT OR IGNORE INTO link(achievement, expert, src) VALUES(?, ?, ?)");
        if (!st) return db->errcode;
        const char *a = r->kind == LM_ACHIEVEMENT ? r->id : l->valuestring;
        const char *e = r->kind == LM_ACHIEVEMENT ? l->valuestring : r->id;
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, e, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, r->kind);
        if ((rc = step_done(db, st, "storing links"))) return rc;
    }
    return LM_OK;
}

static int check_kind_id(lm_db *db, int kind, const char *id)
{
    if (!lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d (use LM_PROBLEM, LM_ACHIEVEMENT or LM_EXPERT)", kind);
    if (!id) return lmx_err(db, LM_EINVAL, "no id (NULL)");
    if (!lmx_utf8_valid(id, strlen(id), NULL)) return lmx_err(db, LM_EINVAL_UTF8, "id is not valid UTF-8");
    if (strlen(id) > LM_MAX_ID_BYTES) return lmx_err(db, LM_ETOOBIG, "id longer than %d bytes", LM_MAX_ID_BYTES);
    return LM_OK;
}

LM_API int lm_delete(lm_db *db, int kind, const char *id)
{
    if (!db) return LM_EINVAL;
    int rc = check_kind_id(db, kind, id);
    if (rc) return rc;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if ((rc = lmx_begin(db))) return rc;
    if ((rc = lmx_ensure_fresh(db))) { lmx_rollback(db); return rc; }
    sqlite3_int64 rid = find_rid(db, kind, id);
    if (rid <= 0) {
        lmx_rollback(db);
        if (rid < 0) return db->errcode;
        return lmx_err(db, LM_ENOTFOUND, "no %s with id '%.200s'", lm_kind_name(kind), id);
    }
    rc = unlink_record(db, kind, id, rid, 0);
    if (!rc) {
        sqlite3_stmt *st = lmx_stmt(db, 8, "DELETE FROM record WHERE rid=?");
        if (!st) rc = db->errcode;
        else {
            sqlite3_bind_int64(st, 1, rid);
            rc = step_done(db, st, "deleting the record");
        }
    }
    if (!rc) rc = lmx_commit(db);
    if (rc) { lmx_rollback(db); return rc; }
    return lmx_ok(db);
}

int lmx_load_json(lm_db *db, int kind, const char *id, char **out, int64_t *rid)
{
    *out = NULL;
    int rc = check_kind_id(db, kind, id);
    if (rc) return rc;
    sqlite3_stmt *st = lmx_stmt(db, 9, "SELECT json, rid FROM record WHERE kind=? AND id=?");
    if (!st) return db->errcode;
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = lmx_strndup((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        if (rid) *rid = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        return *out ? LM_OK : lmx_err(db, LM_ENOMEM, "out of memory");
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return lmx_sqlerr(db, rc, "reading a record");
    return lmx_err(db, LM_ENOTFOUND, "no %s with id '%.200s'", lm_kind_name(kind), id);
}

LM_API int lm_get(lm_db *db, int kind, const char *id, char **out)
{
    if (!out) return db ? lmx_err(db, LM_EINVAL, "no output pointer (NULL)") : LM_EINVAL;
    *out = NULL;
    if (!db) return LM_EINVAL;
    int rc = lmx_load_json(db, kind, id, out, NULL);
    return rc ? rc : lmx_ok(db);
}

int64_t lmx_kind_count(lm_db *db, int kind)
{
    sqlite3_stmt *st = kind ? lmx_stmt(db, 10, "SELECT count(*) FROM record WHERE kind=?")
                            : lmx_stmt(db, 11, "SELECT count(*) FROM record");
    if (!st) return -1;
    if (kind) sqlite3_bind_int(st, 1, kind);
    int64_t n = -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    else lmx_sqlerr(db, rc, "counting records");
    sqlite3_reset(st);
    return n;
}

LM_API int lm_count(lm_db *db, int kind, int64_t *out)
{
    if (!db || !out) return LM_EINVAL;
    if (kind && !lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d", kind);
    int64_t n = lmx_kind_count(db, kind);
    if (n < 0) return db->errcode;
    *out = n;
    return lmx_ok(db);
}

static int64_t scalar(lm_db *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

LM_API int lm_stats_json(lm_db *db, char **out)
{
    if (!db || !out) return LM_EINVAL;
    *out = NULL;
    cJSON *o = cJSON_CreateObject(), *counts = cJSON_CreateObject();
    if (!o || !counts) { cJSON_Delete(o); cJSON_Delete(counts); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    for (int k = 1; k <= LMX_NKINDS; k++)
        cJSON_AddNumberToObject(counts, lm_kind_name(k), (double)lmx_kind_count(db, k));
    cJSON_AddItemToObject(o, "records", counts);
    cJSON_AddNumberToObject(o, "links",
        (double)scalar(db, "SELECT count(*) FROM (SELECT DISTINCT l.achievement, l.expert FROM link l "
                           "JOIN record a ON a.kind=2 AND a.id=l.achievement "
                           "JOIN record e ON e.kind=3 AND e.id=l.expert)"));
    cJSON_AddStringToObject(o, "analyzer", lmx_analyzer_id(db->an));
    cJSON_AddNumberToObject(o, "user_words", (double)scalar(db, "SELECT count(*) FROM dict"));
    cJSON_AddNumberToObject(o, "synonyms", (double)scalar(db, "SELECT count(*) FROM synonym"));
    char buf[64];
    meta_get(db, "schema_version", buf, sizeof buf);
    cJSON_AddNumberToObject(o, "schema_version", atoi(buf));
    meta_get(db, "index_stale", buf, sizeof buf);
    cJSON_AddBoolToObject(o, "index_stale", buf[0] == '1');
    cJSON *vec = cJSON_AddObjectToObject(o, "vectors");
    int dim = lmx_semantic_dim(db);
    cJSON_AddNumberToObject(vec, "dim", dim);
    meta_get(db, "lsa_records", buf, sizeof buf);
    cJSON_AddNumberToObject(vec, "built_records", dim ? atoi(buf) : 0);
    meta_get(db, "lsa_folded", buf, sizeof buf);
    cJSON_AddNumberToObject(vec, "added_since_build", dim ? atoi(buf) : 0);
    cJSON_AddStringToObject(o, "libmatch", LM_VERSION_STRING);
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? lmx_ok(db) : lmx_err(db, LM_ENOMEM, "out of memory");
}

/* ---- reindex ------------------------------------------------------------- */

/* Re-tokenize every stored text with the current analyzer.  FTS5's
   'rebuild' drops the index and re-reads the table's own copy of the text.
   It must run after any change of tokenization (mode, user words) before the
   next write: FTS5 deletes a row by re-tokenizing its stored text, which
   would remove the wrong tokens if the tokenizer had changed meanwhile. */
static int reindex_locked(lm_db *db)
{
    for (int k = 1; k <= LMX_NKINDS; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES('rebuild')", lmx_fts_table(k), lmx_fts_table(k));
        db->kind_gen[k]++;
        int rc = exec(db, sql, "re-indexing");
        if (rc) return rc;
    }
    char id[256];
    base_analyzer_id(db->an, id, sizeof id);
    int rc = meta_set(db, "analyzer", id);
    if (rc) return rc;
    db->stale = 0;
    return meta_set(db, "index_stale", "0");
}

/* Called inside every write transaction before records change. */
int lmx_ensure_fresh(lm_db *db)
{
    return db->stale ? reindex_locked(db) : LM_OK;
}

LM_API int lm_reindex(lm_db *db)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = lmx_begin(db);
    if (rc) return rc;
    if ((rc = reindex_locked(db))) { lmx_rollback(db); return rc; }
    if ((rc = lmx_commit(db))) { lmx_rollback(db); return rc; }
    return lmx_ok(db);
}

/* ---- user dictionary and synonyms ---------------------------------------- */

static int check_word(lm_db *db, const char *w, const char *what)
{
    if (!w) return lmx_err(db, LM_EINVAL, "no %s (NULL)", what);
    size_t n = strlen(w);
    if (n == 0 || n > 256) return lmx_err(db, LM_EINVAL, "%s must have 1 to 256 bytes", what);
    if (!lmx_utf8_valid(w, n, NULL)) return lmx_err(db, LM_EINVAL_UTF8, "%s is not valid UTF-8", what);
    return LM_OK;
}

LM_API int lm_dict_add(lm_db *db, const char *word, int64_t freq)
{
    if (!db) return LM_EINVAL;
    int rc = check_word(db, word, "word");
    if (rc) return rc;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if (freq < 0) freq = 0;
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO dict(word, freq) VALUES(?, ?)", -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "storing a user word");
    sqlite3_bind_text(st, 1, word, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, freq);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return lmx_sqlerr(db, rc, "storing a user word");
    if ((rc = lmx_analyzer_add_word(db->an, word, (int)strlen(word), (long long)freq)))
        return lmx_err(db, rc, "adding '%s' to the analyzer: %s", word, lm_errstr(rc));
    if (lmx_kind_count(db, 0) > 0) {
        if ((rc = meta_set(db, "index_stale", "1"))) return rc;
        db->stale = 1;
    }
    return lmx_ok(db);
}

int lmx_synonym_store(lm_db *db, const char *a, const char *b)
{
    int rc;
    if ((rc = check_word(db, a, "synonym")) || (rc = check_word(db, b, "synonym"))) return rc;
    if (strcmp(a, b) == 0) return LM_OK;
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(db->sql, "INSERT OR IGNORE INTO synonym(a, b) VALUES(?, ?)", -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "storing a synonym");
    /* Stored once per unordered pair, smaller first. */
    int swap = strcmp(a, b) > 0;
    sqlite3_bind_text(st, 1, swap ? b : a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, swap ? a : b, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? LM_OK : lmx_sqlerr(db, rc, "storing a synonym");
}

/* ---- open / close -------------------------------------------------------- */

static int setup_analyzer(lm_db *db, int mode)
{
    char err[512] = "";
    lmx_analyzer_free(db->an);
    db->an = NULL;
    int rc = lmx_analyzer_new(&db->an, mode, err, sizeof err);
    if (rc) return lmx_err(db, rc, "%s", err[0] ? err : lm_errstr(rc));
    db->mode = lmx_analyzer_mode(db->an);
    /* User words from the database. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT word, freq FROM dict ORDER BY word", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            lmx_analyzer_add_word(db->an, (const char *)sqlite3_column_text(st, 0),
                                  sqlite3_column_bytes(st, 0), sqlite3_column_int64(st, 1));
        sqlite3_finalize(st);
    }
    return LM_OK;
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
    int oflags = db->readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &db->sql, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        lmx_err(db, LM_EIO, "cannot open database '%s': %s", path,
                db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
        sqlite3_close(db->sql);
        db->sql = NULL;
        return LM_EIO;
    }
    sqlite3_busy_timeout(db->sql, LM_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db->sql, 0);
    /* Read the file through a memory map (no copy per page read, shared with
       other connections through the OS page cache) and keep a 16 MB page
       cache for the rest: record queries at 10,000 records took half the
       time of SQLite's 2 MB default cache (bench/speed.py). */
    if ((rc = exec(db, (flags & LM_OPEN_NO_MMAP) ? "PRAGMA mmap_size=0; PRAGMA cache_size=-16384;"
                                                  : "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384;",
                   "setting the page cache")))
        return rc;
    if (!db->readonly) {
        if ((rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "setting WAL mode")))
            return rc;
        if ((rc = exec(db, schema_sql, "creating the schema"))) return rc;
    }
    char buf[256], stored[256];
    int mode = LMX_DEFAULT_MODE;
    if (meta_get(db, "analyzer_mode", buf, sizeof buf)) mode = atoi(buf);
    if ((rc = setup_analyzer(db, mode))) return rc;
    if ((rc = lmx_tokenizer_register(db->sql, db->an)) != LM_OK)
        return lmx_err(db, LM_EDB, "registering the FTS5 tokenizer failed (code %d)", rc);
    if ((rc = lmx_scoring_register(db->sql)) != LM_OK)
        return lmx_err(db, LM_EDB, "registering the scoring functions failed (code %d)", rc);

    if (meta_get(db, "schema_version", buf, sizeof buf) && atoi(buf) != LMX_SCHEMA_VERSION)
        return lmx_err(db, LM_EMISMATCH, "database '%s' has schema version %s; this libmatch %s reads version %d",
                       path, buf, LM_VERSION_STRING, LMX_SCHEMA_VERSION);
    if (meta_get(db, "index_stale", buf, sizeof buf)) db->stale = buf[0] == '1';
    char cur[256];
    base_analyzer_id(db->an, cur, sizeof cur);
    int have = meta_get(db, "analyzer", stored, sizeof stored);
    if (have && strcmp(stored, cur) != 0) {
        if (!(flags & LM_OPEN_REINDEX) || db->readonly)
            return lmx_err(db, LM_EMISMATCH,
                           "database '%s' was indexed with analyzer '%s' but this library has '%s': "
                           "open it with LM_OPEN_REINDEX or call lm_reindex()", path, stored, cur);
        if ((rc = lmx_begin(db))) return rc;
        if ((rc = reindex_locked(db)) || (rc = lmx_commit(db))) { lmx_rollback(db); return rc; }
    }
    if (!db->readonly && !have) {
        if ((rc = lmx_begin(db))) return rc;
        for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "CREATE VIRTUAL TABLE IF NOT EXISTS %s USING fts5(title, body, keywords, extra, tokenize='%s');"
                     "CREATE VIRTUAL TABLE IF NOT EXISTS %s_v USING fts5vocab(%s, row);",
                     lmx_fts_table(k), LMX_FTS5_TOKENIZER, lmx_fts_table(k), lmx_fts_table(k));
            rc = exec(db, sql, "creating the text index");
        }
        snprintf(buf, sizeof buf, "%d", LMX_SCHEMA_VERSION);
        if (!rc) rc = meta_set(db, "schema_version", buf);
        if (!rc) rc = meta_set(db, "analyzer", cur);
        snprintf(buf, sizeof buf, "%d", db->mode);
        if (!rc) rc = meta_set(db, "analyzer_mode", buf);
        if (!rc) rc = lmx_commit(db);
        if (rc) { lmx_rollback(db); return rc; }
    }
    return lmx_ok(db);
}

LM_API int lm_set_analyzer_mode(lm_db *db, int mode)
{
    if (!db) return LM_EINVAL;
    if (mode <= 0 || (mode & ~LM_ANALYZE_ALL))
        return lmx_err(db, LM_EINVAL, "analyzer mode %d is not a combination of LM_ANALYZE_* bits", mode);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    /* The analyzer is changed in place: FTS5 tokenizer instances hold its
       pointer for the life of the connection. */
    int rc = lmx_analyzer_set_mode(db->an, mode);
    if (rc) return lmx_err(db, rc, "cannot set analyzer mode %d", mode);
    db->mode = lmx_analyzer_mode(db->an);
    if ((rc = lmx_begin(db))) return rc;
    char buf[32];
    snprintf(buf, sizeof buf, "%d", db->mode);
    if ((rc = meta_set(db, "analyzer_mode", buf)) || (rc = reindex_locked(db)) || (rc = lmx_commit(db))) {
        lmx_rollback(db);
        return rc;
    }
    return lmx_ok(db);
}

LM_API int lm_close(lm_db *db)
{
    if (!db) return LM_OK;
    for (size_t i = 0; i < sizeof db->stmt / sizeof db->stmt[0]; i++)
        sqlite3_finalize(db->stmt[i]);
    if (db->sql) sqlite3_close_v2(db->sql);
    lmx_synset_free(db->syn);
    lmx_semantic_free(db);
    lmx_doclen_free(db);
    lmx_analyzer_free(db->an);
    free(db);
    return LM_OK;
}

LM_API int lm_scan(lm_db *db, int kind, lm_record_fn cb, void *ctx)
{
    if (!db) return LM_EINVAL;
    if (kind && !lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d", kind);
    if (!cb) return lmx_err(db, LM_EINVAL, "no callback (NULL)");
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, kind ? "SELECT kind, id, json FROM record WHERE kind=? ORDER BY rid"
                                              : "SELECT kind, id, json FROM record ORDER BY kind, rid", -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "listing records");
    if (kind) sqlite3_bind_int(st, 1, kind);
    int began = sqlite3_get_autocommit(db->sql) && sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    int stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1),
                  (const char *)sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
    sqlite3_finalize(st);
    if (began) sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    if (stop) return lmx_err(db, LM_ESTATE, "the scan was stopped by its callback (%d)", stop);
    if (rc != SQLITE_DONE) return lmx_sqlerr(db, rc, "listing records");
    return lmx_ok(db);
}

LM_API int lm_set_progress(lm_db *db, lm_progress_fn fn, void *ctx)
{
    if (!db) return LM_EINVAL;
    db->progress = fn;
    db->progress_ctx = fn ? ctx : NULL;
    return LM_OK;
}

int lmx_progress(lm_db *db, const char *stage, int64_t done, int64_t total)
{
    if (!db->progress) return LM_OK;
    int r = db->progress(db->progress_ctx, stage, done, total);
    return r ? lmx_err(db, LM_ESTATE, "%s interrupted by the progress callback (%d)", stage, r) : LM_OK;
}
