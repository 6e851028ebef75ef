/*
** store.c -- the store: connection, schema and migrations, named statements,
** the cache rule, meta, reading records, links, the user dictionary and
** synonyms.  store_index.c, above it, has the full-text, posting and vector
** tables and every write that must keep them in step (transactions,
** opening the index, put and delete).  Together they are the only code of
** libmatch that speaks SQL.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmatch.h"
#include "store.h"
#include "store_sql.h"
#include "util.h"
#include "vectors.h"

static const char base_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS record("
    "  rid INTEGER PRIMARY KEY, kind INTEGER NOT NULL, id TEXT NOT NULL,"
    "  json TEXT NOT NULL, region TEXT, org TEXT, maturity INTEGER,"
    "  label TEXT, tags TEXT, UNIQUE(kind, id));"
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

/*
** What each schema version after 2 adds: whole new tables and indexes
** (CREATE ... IF NOT EXISTS), created for a new database after base_schema,
** by the migration of an older file, and expected by the schema check of a
** file of that version or later.  (Version 2's changes to existing tables are
** migrate_v1().)  To add a table: bump LMX_SCHEMA_VERSION and put its SQL
** here under the new version.
*/
static const char *const additions[LMX_SCHEMA_VERSION + 1] = {
    [3] = "CREATE TABLE IF NOT EXISTS pst_term(kind INTEGER NOT NULL, term BLOB NOT NULL, tid INTEGER NOT NULL,"
          "  df INTEGER NOT NULL, PRIMARY KEY(kind, term)) WITHOUT ROWID;"
          "CREATE TABLE IF NOT EXISTS pst_block(tid INTEGER NOT NULL, last INTEGER NOT NULL, b BLOB NOT NULL,"
          "  PRIMARY KEY(tid, last)) WITHOUT ROWID;"
          "CREATE TABLE IF NOT EXISTS feedback("
          "  from_kind INTEGER NOT NULL, from_id TEXT NOT NULL, to_kind INTEGER NOT NULL, to_id TEXT NOT NULL,"
          "  grade INTEGER NOT NULL, at INTEGER NOT NULL,"
          "  PRIMARY KEY(from_kind, from_id, to_kind, to_id)) WITHOUT ROWID;",
};

/* The additions of versions from..to, concatenated (malloc'ed, "" if none). */
static char *additions_sql(int from, int to)
{
    size_t n = 1;
    for (int v = from; v <= to; v++) n += additions[v] ? strlen(additions[v]) : 0;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    for (int v = from; v <= to; v++)
        if (additions[v]) p += sprintf(p, "%s", additions[v]);
    *p = 0;
    return s;
}

static const char *const fts_names[] = { NULL, "fts_problem", "fts_achievement", "fts_expert" };

const char *lmx_fts_table(int kind)
{
    return (kind >= 1 && kind <= LMX_NKINDS) ? fts_names[kind] : NULL;
}

/* ---- named statements ------------------------------------------------------ */

_Static_assert(LMX_NSTMT <= LMX_NSTMT_SLOTS, "lmx_store's statement slots (LMX_NSTMT_SLOTS) are fewer than the statements");

/* The SQL of every named statement; "%s" is the kind's full-text table. */
static const char *const stmt_sql[LMX_NSTMT] = {
    [S_DATA_VERSION]  = "PRAGMA data_version",
    [S_META_GET]      = "SELECT value FROM meta WHERE key=?",
    [S_META_SET]      = "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)",
    [S_FIND]          = "SELECT rid FROM record WHERE kind=? AND id=?",
    [S_GET]           = "SELECT json, rid FROM record WHERE kind=? AND id=?",
    [S_INSERT]        = "INSERT INTO record(json, region, org, maturity, label, tags, kind, id) VALUES(?,?,?,?,?,?,?,?)",
    [S_UPDATE]        = "UPDATE record SET json=?, region=?, org=?, maturity=?, label=?, tags=? WHERE rid=?",
    [S_DELETE]        = "DELETE FROM record WHERE rid=?",
    [S_COUNT_KIND]    = "SELECT count(*) FROM record WHERE kind=?",
    [S_COUNT_ALL]     = "SELECT count(*) FROM record",
    [S_INFO]          = "SELECT kind, id, region, maturity, tags FROM record WHERE rid=?",
    [S_TAGS]          = "SELECT field FROM record_field WHERE rid=?",
    [S_LABEL]         = "SELECT label FROM record WHERE rid=?",
    [S_IDS]           = "SELECT id FROM record WHERE kind=? ORDER BY id",
    [S_SCAN_KIND]     = "SELECT kind, id, json FROM record WHERE kind=? ORDER BY rid",
    [S_SCAN_ALL]      = "SELECT kind, id, json FROM record ORDER BY kind, rid",
    [S_ADD_TAG]       = "INSERT OR IGNORE INTO record_field(rid, field) VALUES(?, ?)",
    [S_DEL_TAGS]      = "DELETE FROM record_field WHERE rid=?",
    [S_ADD_LINK]      = "INSERT OR IGNORE INTO link(achievement, expert, src) VALUES(?, ?, ?)",
    [S_DEL_LINKS_A]   = "DELETE FROM link WHERE achievement=? AND src=2",
    [S_DEL_LINKS_E]   = "DELETE FROM link WHERE expert=? AND src=3",
    [S_LINKED]        = "SELECT DISTINCT l.expert FROM link l WHERE l.achievement = ?1",
    [S_DICT_PUT]      = "INSERT OR REPLACE INTO dict(word, freq) VALUES(?, ?)",
    [S_DICT_SCAN]     = "SELECT word, freq FROM dict ORDER BY word",
    [S_SYN_PUT]       = "INSERT OR IGNORE INTO synonym(a, b) VALUES(?, ?)",
    [S_SYN_SCAN]      = "SELECT a, b FROM synonym",
    [S_N_LINKS]       = "SELECT count(*) FROM (SELECT DISTINCT l.achievement, l.expert FROM link l "
                        "JOIN record a ON a.kind=2 AND a.id=l.achievement "
                        "JOIN record e ON e.kind=3 AND e.id=l.expert)",
    [S_N_DICT]        = "SELECT count(*) FROM dict",
    [S_N_SYN]         = "SELECT count(*) FROM synonym",
    [S_FTS_INSERT]    = "INSERT INTO %s(rowid, title, body, keywords, extra) VALUES(?,?,?,?,?)",
    [S_FTS_DELETE]    = "DELETE FROM %s WHERE rowid=?",
    [S_FTS_DF]        = "SELECT doc FROM %s_v WHERE term=?",
    [S_FTS_TEXTS]     = "SELECT title, body, keywords FROM %s WHERE rowid = ?",
    [S_FTS_SCAN]      = "SELECT rowid, title, body, keywords FROM %s",
    [S_FTS_DOCSIZE]   = "SELECT id, sz FROM %s_docsize ORDER BY id",
    [S_PST_TERM]      = "SELECT tid, df FROM pst_term WHERE kind=? AND term=?",
    [S_PST_TERM_PUT]  = "INSERT OR REPLACE INTO pst_term(kind, term, tid, df) VALUES(?, ?, ?, ?)",
    [S_PST_TERM_DEL]  = "DELETE FROM pst_term WHERE kind=? AND term=?",
    [S_PST_AT]        = "SELECT last, b FROM pst_block WHERE tid=? AND last>=? ORDER BY last LIMIT 1",
    [S_PST_TAIL]      = "SELECT last, b FROM pst_block WHERE tid=? ORDER BY last DESC LIMIT 1",
    [S_PST_PUT]       = "INSERT INTO pst_block(tid, last, b) VALUES(?, ?, ?)",
    [S_PST_DEL]       = "DELETE FROM pst_block WHERE tid=? AND last=?",
    [S_PST_SCAN]      = "SELECT last, b FROM pst_block WHERE tid=? ORDER BY last",
    [S_PST_TEXTS]     = "SELECT title, body, keywords, extra FROM %s WHERE rowid=?",
    [S_PST_TEXTS_ALL] = "SELECT rowid, title, body, keywords, extra FROM %s",
    [S_LSA_GET]       = "SELECT idf, v FROM lsa_term WHERE term = ?",
    [S_LSA_PUT]       = "INSERT INTO lsa_term(term, idf, v) VALUES(?, ?, ?)",
    [S_META_DEL]      = "DELETE FROM meta WHERE key=?",
    [S_FB_PUT]        = "INSERT OR REPLACE INTO feedback(from_kind, from_id, to_kind, to_id, grade, at) "
                        "VALUES(?, ?, ?, ?, ?, ?)",
    [S_FB_DEL]        = "DELETE FROM feedback WHERE from_kind=? AND from_id=? AND to_kind=? AND to_id=?",
    [S_FB_SCAN]       = "SELECT from_kind, from_id, to_kind, to_id, grade FROM feedback "
                        "ORDER BY from_kind, from_id, to_kind, to_id",
    [S_N_FB]          = "SELECT count(*) FROM feedback",
    [S_VEC_PUT]       = "INSERT OR REPLACE INTO %s(rid, v) VALUES(?, ?)",
    [S_VEC_GET]       = "SELECT v FROM %s WHERE rid = ?",
    [S_VEC_DEL]       = "DELETE FROM %s WHERE rid=?",
    /* CROSS JOIN keeps the vectors the outer loop: a range of their row
       ids in row order, without a sort of the whole kind. */
    [S_VEC_SCAN]      = "SELECT v.rid, v.v, r.id FROM %s v CROSS JOIN record r ON r.rid = v.rid "
                        "WHERE v.rid > ?2 AND r.kind = ?1 ORDER BY v.rid",
};

/* The statement `id` (for `kind`'s table, or vector table `kind` - 1 for
   the S_VEC_* statements), prepared once and reset for reuse. */
sqlite3_stmt *lmx_store_stmt(lmx_store *st, int id, int kind)
{
    sqlite3_stmt **slot = &st->stmt[id][kind];
    if (*slot) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return *slot;
    }
    char sql[512];
    const char *table = "";
    if (id >= S_VEC_PUT) table = kind == 1 + LMX_SPACE_EXTERNAL ? "xvec" : "vec";
    else if (kind) table = lmx_fts_table(kind);
    snprintf(sql, sizeof sql, stmt_sql[id], table);
    int rc = sqlite3_prepare_v3(st->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
    if (rc != SQLITE_OK) {
        lmx_store_sqlerr(st, rc, "preparing a statement");
        *slot = NULL;
    }
    return *slot;
}

int lmx_store_sqlerr(lmx_store *st, int rc, const char *what)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_NOMEM:    code = LM_ENOMEM; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:   code = LM_EBUSY; break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY: code = LM_EIO; break;
    default:              code = LM_EDB; break;
    }
    return lmx_error_set(st->err, code, "%s: %s", what, st->sql ? sqlite3_errmsg(st->sql) : sqlite3_errstr(rc));
}

int lmx_store_done(lmx_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return lmx_store_sqlerr(st, rc, what);
    return LM_OK;
}

int lmx_store_exec(lmx_store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->sql, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        lmx_error_set(st->err, rc == SQLITE_BUSY ? LM_EBUSY : LM_EDB, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return st->err->code;
    }
    return LM_OK;
}

void lmx_store_bump(lmx_store *st, int kind)
{
    st->gen[0]++;
    if (kind >= 1 && kind <= LMX_NKINDS) st->gen[kind]++;
}

/* ---- transactions and the cache rule ----------------------------------------------- */

int lmx_store_read_begin(lmx_store *st)
{
    if (!sqlite3_get_autocommit(st->sql)) return 0;
    return sqlite3_exec(st->sql, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

void lmx_store_read_end(lmx_store *st, int began)
{
    if (began) sqlite3_exec(st->sql, "COMMIT", NULL, NULL, NULL);
}

lmx_stamp lmx_store_stamp(lmx_store *st, int kind)
{
    lmx_stamp s = { st->gen[kind >= 1 && kind <= LMX_NKINDS ? kind : 0], -1 };
    sqlite3_stmt *q = lmx_store_stmt(st, S_DATA_VERSION, 0);
    if (q && sqlite3_step(q) == SQLITE_ROW) s.version = sqlite3_column_int64(q, 0);
    if (q) sqlite3_reset(q);
    return s;
}

/* ---- meta ----------------------------------------------------------------------- */

int lmx_store_meta_get(lmx_store *st, const char *key, char *buf, size_t n)
{
    buf[0] = 0;
    sqlite3_stmt *s = lmx_store_stmt(st, S_META_GET, 0);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        snprintf(buf, n, "%s", v ? v : "");
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
        lmx_store_sqlerr(st, rc, "reading meta");
    }
    sqlite3_reset(s);
    return found;
}

int64_t lmx_store_meta_int(lmx_store *st, const char *key, int64_t dflt)
{
    char buf[64];
    return lmx_store_meta_get(st, key, buf, sizeof buf) > 0 ? strtoll(buf, NULL, 10) : dflt;
}

int lmx_store_meta_set(lmx_store *st, const char *key, const char *value)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_META_SET, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    lmx_store_bump(st, 0);
    return lmx_store_done(st, s, "writing meta");
}

int lmx_store_meta_set_int(lmx_store *st, const char *key, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)value);
    return lmx_store_meta_set(st, key, buf);
}

/* ---- opening and the schema check ------------------------------------------------ */

/* The record table as version 1 made it (version 2 adds label and tags). */
static const char record_v1[] =
    "CREATE TABLE IF NOT EXISTS record("
    "  rid INTEGER PRIMARY KEY, kind INTEGER NOT NULL, id TEXT NOT NULL,"
    "  json TEXT NOT NULL, region TEXT, org TEXT, maturity INTEGER,"
    "  UNIQUE(kind, id));";

/* The full-text tables of a kind, as libmatch creates them. */
static void fts_sql(char *buf, size_t n, int kind)
{
    const char *t = lmx_fts_table(kind);
    snprintf(buf, n,
             "CREATE VIRTUAL TABLE %s USING fts5(title, body, keywords, extra, tokenize='%s');"
             "CREATE VIRTUAL TABLE %s_v USING fts5vocab(%s, row);", t, LMX_FTS5_TOKENIZER, t, t);
}

/* One object a libmatch database holds: its type, name and SQL (and the
   SQL of a migrated file); sql NULL for the tables FTS5 makes itself
   (checked by name and type). */
typedef struct { char type[8]; char name[48]; char *sql; char *alt; int seen; } schema_obj;
typedef struct { schema_obj o[64]; int n; } schema_ref;

static void ref_free(schema_ref *r)
{
    for (int i = 0; i < r->n; i++) { free(r->o[i].sql); free(r->o[i].alt); }
    r->n = 0;
}

static schema_obj *ref_find(schema_ref *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->o[i].name, name)) return &r->o[i];
    return NULL;
}

static void ref_add(schema_ref *r, const char *type, const char *name, const char *sql)
{
    if (r->n >= 64) return;
    schema_obj *o = &r->o[r->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->type, sizeof o->type, "%s", type);
    snprintf(o->name, sizeof o->name, "%s", name);
    o->sql = sql ? lmx_strdup(sql) : NULL;
}

/* The objects of `sql` as SQLite records them, run on an empty in-memory
   database: the text a file must hold, whatever SQLite version wrote it.
   as_alt: record differing text as the alternative of known objects. */
static int ref_run(schema_ref *r, const char *sql, int as_alt)
{
    sqlite3 *m = NULL;
    int rc = sqlite3_open_v2(":memory:", &m, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(m, sql, NULL, NULL, NULL);
    sqlite3_stmt *q = NULL;
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(m, "SELECT type, name, sql FROM sqlite_master", -1, &q, NULL);
    while (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(q, 0), *name = (const char *)sqlite3_column_text(q, 1);
        const char *text = (const char *)sqlite3_column_text(q, 2);
        if (!strncmp(name, "sqlite_", 7)) continue;
        schema_obj *o = ref_find(r, name);
        if (!as_alt) ref_add(r, type, name, text);
        else if (o && o->sql && text && strcmp(o->sql, text) != 0 && !o->alt) o->alt = lmx_strdup(text);
    }
    sqlite3_finalize(q);
    sqlite3_close(m);
    return rc == SQLITE_OK ? LM_OK : LM_ENOMEM;
}

/* Add the objects of `sql` (run alone on an empty database). */
static int ref_run_more(schema_ref *r, const char *sql)
{
    schema_ref extra = { .n = 0 };
    int rc = ref_run(&extra, sql, 0);
    for (int i = 0; i < extra.n && !rc; i++) ref_add(r, extra.o[i].type, extra.o[i].name, extra.o[i].sql);
    ref_free(&extra);
    return rc;
}

/* Everything a libmatch database of `version` holds. */
static int ref_build(schema_ref *r, int version)
{
    r->n = 0;
    int rc;
    if (version == 1) {
        /* The base schema with version 1's record table. */
        const char *p = strstr(base_schema, "CREATE TABLE IF NOT EXISTS record(");
        const char *e = strstr(p, "CREATE TABLE IF NOT EXISTS record_field(");
        size_t n = strlen(base_schema) + sizeof record_v1;
        char *v1 = malloc(n);
        if (!v1) return LM_ENOMEM;
        snprintf(v1, n, "%.*s%s%s", (int)(p - base_schema), base_schema, record_v1, e);
        rc = ref_run(r, v1, 0);
        free(v1);
    } else {
        rc = ref_run(r, base_schema, 0);
        /* A version 1 file migrated in place: ALTER TABLE appended the new
           columns to its record table, in other text. */
        char mig[1024];
        snprintf(mig, sizeof mig, "%sALTER TABLE record ADD COLUMN label TEXT; ALTER TABLE record ADD COLUMN tags TEXT;",
                 record_v1);
        if (!rc) rc = ref_run(r, mig, 1);
    }
    char *more = version >= 3 ? additions_sql(3, version) : NULL;
    if (version >= 3 && !more) rc = LM_ENOMEM;
    if (!rc && more && *more) rc = ref_run_more(r, more);
    free(more);
    for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
        char sql[512], name[48];
        fts_sql(sql, sizeof sql, k);
        char *semi = strchr(sql, ';');
        *semi = 0;
        ref_add(r, "table", lmx_fts_table(k), sql);
        snprintf(name, sizeof name, "%s_v", lmx_fts_table(k));
        semi[strlen(semi + 1)] = 0;                     /* the final ';' */
        ref_add(r, "table", name, semi + 1);
        static const char *const shadow[] = { "data", "idx", "content", "docsize", "config" };
        for (int j = 0; j < 5; j++) {
            snprintf(name, sizeof name, "%s_%s", lmx_fts_table(k), shadow[j]);
            ref_add(r, "table", name, NULL);
        }
    }
    return rc;
}

/* A failure to read the file at all. */
int lmx_store_open_failure(lmx_store *st, int rc, const char *path)
{
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        return lmx_error_set(st->err, LM_ENOTDB, "'%s' is not a libmatch database: not an SQLite file", path);
    case SQLITE_CORRUPT:
        return lmx_error_set(st->err, LM_ENOTDB, "'%s' is a damaged database file: %s", path, sqlite3_errmsg(st->sql));
    default:
        return lmx_store_sqlerr(st, rc, "reading the schema");
    }
}

/* Compare the file's schema with ref: "" when it matches, else why not. */
static int compare_schema(lmx_store *st, sqlite3_stmt *q, schema_ref *ref, int *n, char *why, size_t wn)
{
    int rc;
    *n = 0;
    why[0] = 0;
    for (int i = 0; i < ref->n; i++) ref->o[i].seen = 0;
    sqlite3_reset(q);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(q, 0), *name = (const char *)sqlite3_column_text(q, 1);
        const char *sql = (const char *)sqlite3_column_text(q, 2);
        if (!type || !name) continue;
        (*n)++;
        if (why[0]) continue;
        if (!strcmp(type, "trigger") || !strcmp(type, "view")) {
            snprintf(why, wn, "it holds a %s '%.64s'", type, name);
            continue;
        }
        if (!strncmp(name, "sqlite_", 7)) continue;             /* SQLite's own */
        schema_obj *o = ref_find(ref, name);
        if (!o || strcmp(o->type, type) != 0)
            snprintf(why, wn, "it holds the %s '%.64s', which libmatch does not make", type, name);
        else if (o->sql && strcmp(o->sql, sql ? sql : "") != 0 && !(o->alt && !strcmp(o->alt, sql ? sql : "")))
            snprintf(why, wn, "its %s '%.64s' is not libmatch's", type, name);
        else
            o->seen = 1;
    }
    if (rc != SQLITE_DONE) return rc;
    for (int i = 0; i < ref->n && !why[0] && *n; i++)
        if (!ref->o[i].seen) snprintf(why, wn, "it lacks the %s '%.64s'", ref->o[i].type, ref->o[i].name);
    return SQLITE_OK;
}

/*
** The schema check: the file holds exactly what libmatch makes (its tables,
** indexes and full-text tables, of this version or the previous one), or
** nothing at all.  Anything else -- a trigger, a view, another program's
** table, a table of another shape -- and the file is refused before anything
** is read from its tables or written: libmatch never runs SQL it finds in a
** file.  *empty is 1 for a file without any schema object.
*/
static int check_schema(lmx_store *st, const char *path, int *empty)
{
    *empty = 0;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->sql, "SELECT type, name, sql FROM sqlite_master", -1, &q, NULL);
    if (rc != SQLITE_OK) return lmx_store_open_failure(st, rc, path);
    schema_ref ref;
    char why[300] = "", first[300] = "";
    int n = 0;
    for (int version = LMX_SCHEMA_VERSION; version >= 1; version--) {
        if (ref_build(&ref, version)) { ref_free(&ref); rc = SQLITE_NOMEM; break; }
        rc = compare_schema(st, q, &ref, &n, why, sizeof why);
        ref_free(&ref);
        if (rc != SQLITE_OK || !why[0] || n == 0) break;
        if (!first[0]) memcpy(first, why, sizeof first);      /* the reason against this version */
    }
    if (why[0] && first[0]) memcpy(why, first, sizeof why);
    sqlite3_finalize(q);
    if (rc == SQLITE_NOMEM) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    if (rc != SQLITE_OK) return lmx_store_open_failure(st, rc, path);
    if (n == 0) { *empty = 1; return LM_OK; }
    if (why[0]) return lmx_error_set(st->err, LM_ENOTDB, "'%s' is not a libmatch database: %s", path, why);
    return LM_OK;
}

/* Whether path+suffix exists. */
static int exists(const char *path, const char *suffix)
{
    char p[4200];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return access(p, F_OK) == 0;
}

/* Connect with the settings every connection gets: no triggers, no views,
   defensive mode, an untrusted schema, a busy timeout, the page cache. */
static int connect(lmx_store *st, const char *path, int flags, int immutable)
{
    int oflags = (st->readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX;
    char *uri = NULL;
    if (immutable) {
        /* file:PATH?immutable=1, the path percent-encoded. */
        size_t n = strlen(path);
        if (!(uri = malloc(3 * n + 32))) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
        char *p = uri + sprintf(uri, "file:");
        for (const unsigned char *c = (const unsigned char *)path; *c; c++)
            p += (*c == '%' || *c == '?' || *c == '#' || *c < 0x21) ? sprintf(p, "%%%02X", *c) : sprintf(p, "%c", *c);
        strcpy(p, "?immutable=1");
        oflags |= SQLITE_OPEN_URI;
    }
    int rc = sqlite3_open_v2(uri ? uri : path, &st->sql, oflags, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        lmx_error_set(st->err, LM_EIO, "cannot open database '%s': %s", path,
                      st->sql ? sqlite3_errmsg(st->sql) : sqlite3_errstr(rc));
        sqlite3_close(st->sql);
        st->sql = NULL;
        return LM_EIO;
    }
    sqlite3_db_config(st->sql, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(st->sql, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
    sqlite3_db_config(st->sql, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)NULL);
    sqlite3_busy_timeout(st->sql, LM_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->sql, 0);
    /* Read the file through a memory map (no copy per page read, shared with
       other connections through the OS page cache) and keep a 16 MB page
       cache for the rest (record queries at 10,000 records took half the
       time of SQLite's 2 MB default cache).  None of this reads the file. */
    rc = sqlite3_exec(st->sql, (flags & LM_OPEN_NO_MMAP)
                                   ? "PRAGMA trusted_schema=OFF; PRAGMA mmap_size=0; PRAGMA cache_size=-16384;"
                                   : "PRAGMA trusted_schema=OFF; PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384;",
                      NULL, NULL, NULL);
    return rc == SQLITE_OK ? LM_OK : lmx_store_open_failure(st, rc, path);
}

int lmx_store_open(lmx_store *st, const char *path, int flags, lmx_error *err)
{
    memset(st, 0, sizeof *st);
    st->err = err;
    st->readonly = (flags & LM_OPEN_READONLY) != 0;
    int memory = !strcmp(path, ":memory:") || !*path;
    int had_wal = !memory && exists(path, "-wal"), had_shm = !memory && exists(path, "-shm");
    if (st->readonly && !memory && !exists(path, ""))
        return lmx_error_set(err, LM_EIO, "cannot open database '%s': no such file", path);
    int rc = connect(st, path, flags, 0);
    if (!rc) rc = check_schema(st, path, &st->fresh);
    if (rc == LM_EIO && st->readonly && !had_wal && !memory) {
        /* A WAL database this process cannot share (a read-only directory
           or volume, another user's directory): without a write-ahead log
           the file is all there is, and is read as immutable. */
        sqlite3_close_v2(st->sql);
        st->sql = NULL;
        st->immutable = 1;
        if (!(rc = connect(st, path, flags, 1))) rc = check_schema(st, path, &st->fresh);
    }
    if (rc) return rc;
    if (!(st->path = lmx_strdup(path))) return lmx_error_set(err, LM_ENOMEM, "out of memory");
    st->cleanup = st->readonly && !st->immutable && !had_wal && !had_shm && !memory;
    if (st->fresh && st->readonly)
        return lmx_error_set(err, LM_ENOTDB, "'%s' is not a libmatch database: it is empty", path);
    if (!st->readonly)
        return lmx_store_exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "setting WAL mode");
    return LM_OK;
}

void lmx_store_close(lmx_store *st)
{
    if (st->tok_inst && st->tok.xDelete) st->tok.xDelete(st->tok_inst);
    lmx_pst_pending_clear(&st->pend);
    lmx_pst_doc_free(&st->doc);
    for (int i = 0; i < LMX_NSTMT_SLOTS; i++)
        for (int k = 0; k <= LMX_NKINDS; k++) sqlite3_finalize(st->stmt[i][k]);
    for (int k = 0; k <= LMX_NKINDS; k++)
        for (int j = 0; j < LMX_NDYN; j++) sqlite3_finalize(st->scan[k][j]);
    if (st->sql) sqlite3_close_v2(st->sql);
    /* A read-only handle cannot remove the -wal and -shm files that its
       reading made; a writable connection closed as the last one does
       (SQLite checkpoints the empty log and deletes both).  Nothing is
       written to the database file. */
    if (st->cleanup && (exists(st->path, "-wal") || exists(st->path, "-shm"))) {
        sqlite3 *w = NULL;
        if (sqlite3_open_v2(st->path, &w, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
            sqlite3_db_config(w, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
            sqlite3_db_config(w, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
            sqlite3_db_config(w, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)NULL);
            sqlite3_exec(w, "PRAGMA schema_version", NULL, NULL, NULL);
        }
        sqlite3_close(w);
    }
    free(st->path);
    memset(st, 0, sizeof *st);
}

struct fts5_api *lmx_store_fts5(lmx_store *st)
{
    fts5_api *api = NULL;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->sql, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(s);
    sqlite3_finalize(s);
    return api;
}

int lmx_store_blob(lmx_store *st, const void *v, int d, unsigned char **blob, size_t *n)
{
    *n = lmx_blob_size(d);
    float *tmp = malloc(sizeof(float) * (size_t)(d > 0 ? d : 1));
    *blob = *n ? malloc(*n) : NULL;
    int rc = !tmp || !*blob ? LM_ENOMEM : LM_OK;
    if (!rc) {
        memcpy(tmp, v, sizeof(float) * (size_t)d);
        rc = lmx_blob_encode(*blob, *n, tmp, d);
    }
    free(tmp);
    if (rc) {
        free(*blob);
        *blob = NULL;
        return lmx_error_set(st->err, rc, rc == LM_ENOMEM ? "out of memory" : "a vector cannot be stored: %s",
                             lm_errstr(rc));
    }
    return LM_OK;
}

/* Version 1 stored vectors as bare host-endian floats; version 2 as
   "LMV1" blobs (vectors.h), and keeps each record's label and domain tags
   in its row.  Rewrites every blob of the three tables, adds the columns. */
static int migrate_v1(lmx_store *st)
{
    static const char *const tables[] = { "vec", "xvec", "lsa_term" };
    int rc = LM_OK;
    for (int t = 0; t < 3 && !rc; t++) {
        char sql[160];
        const char *key = t == 2 ? "term" : "rid";
        snprintf(sql, sizeof sql, "SELECT %s, v FROM %s", key, tables[t]);
        sqlite3_stmt *rd = NULL, *wr = NULL;
        int src = sqlite3_prepare_v2(st->sql, sql, -1, &rd, NULL);
        snprintf(sql, sizeof sql, "UPDATE %s SET v=?1 WHERE %s=?2", tables[t], key);
        if (src == SQLITE_OK) src = sqlite3_prepare_v2(st->sql, sql, -1, &wr, NULL);
        if (src != SQLITE_OK) rc = lmx_store_sqlerr(st, src, "migrating vectors");
        while (!rc && (src = sqlite3_step(rd)) == SQLITE_ROW) {
            int n = sqlite3_column_bytes(rd, 1);
            if (n <= 0 || n % 4 || n / 4 > LM_MAX_DIM) continue;
            unsigned char *blob = NULL;
            size_t bn = 0;
            if ((rc = lmx_store_blob(st, sqlite3_column_blob(rd, 1), n / 4, &blob, &bn))) break;
            sqlite3_reset(wr);
            sqlite3_bind_blob(wr, 1, blob, (int)bn, SQLITE_TRANSIENT);
            sqlite3_bind_value(wr, 2, sqlite3_column_value(rd, 0));
            free(blob);
            rc = lmx_store_done(st, wr, "migrating vectors");
        }
        if (!rc && src != SQLITE_DONE) rc = lmx_store_sqlerr(st, src, "migrating vectors");
        sqlite3_finalize(rd);
        sqlite3_finalize(wr);
    }
    /* Labels and tags of every record as columns (one row read per candidate). */
    if (!rc) rc = lmx_store_exec(st, "ALTER TABLE record ADD COLUMN label TEXT; ALTER TABLE record ADD COLUMN tags TEXT;"
                                     "UPDATE record SET label = CASE kind WHEN 3 THEN json_extract(json, '$.name') "
                                     "ELSE json_extract(json, '$.title') END, "
                                     "tags = (SELECT group_concat(field, char(31)) FROM record_field f "
                                     "WHERE f.rid = record.rid AND f.field != '');", "migrating records");
    return rc;
}

/* The tables of a new database, in the open transaction: the base schema,
   every addition up to LMX_SCHEMA_VERSION and the full-text tables. */
int lmx_store_create_tables(lmx_store *st)
{
    int rc = lmx_store_exec(st, base_schema, "creating the schema");
    char *more = additions_sql(3, LMX_SCHEMA_VERSION);
    if (!rc && !more) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    if (!rc && *more) rc = lmx_store_exec(st, more, "creating the schema");
    free(more);
    for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
        char sql[512], *p = sql;
        fts_sql(sql, sizeof sql, k);
        while ((p = strstr(p, "VIRTUAL TABLE "))) {      /* ... IF NOT EXISTS, for a racing opener */
            memmove(p + 28, p + 14, strlen(p + 14) + 1);
            memcpy(p + 14, "IF NOT EXISTS ", 14);
            p += 28;
        }
        rc = lmx_store_exec(st, sql, "creating the text index");
    }
    return rc;
}

/* Bring the tables of a database of version st->schema up to
   LMX_SCHEMA_VERSION, in the open transaction (the meta entry is the
   caller's). */
int lmx_store_migrate_tables(lmx_store *st)
{
    int rc = st->schema < 2 ? migrate_v1(st) : LM_OK;
    char *more = additions_sql(st->schema < 3 ? 3 : st->schema + 1, LMX_SCHEMA_VERSION);
    if (!rc && !more) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    if (!rc && *more) rc = lmx_store_exec(st, more, "migrating the schema");
    free(more);
    return rc;
}

/* ---- records ---------------------------------------------------------------------------- */

int lmx_store_find(lmx_store *st, int kind, const char *id, int64_t *rid)
{
    *rid = 0;
    sqlite3_stmt *s = lmx_store_stmt(st, S_FIND, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int(s, 1, kind);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *rid = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return LM_OK;
    if (rc != SQLITE_DONE) return lmx_store_sqlerr(st, rc, "looking up a record");
    return lmx_error_set(st->err, LM_ENOTFOUND, "no %s with id '%.200s'", lm_kind_name(kind), id);
}

int lmx_store_get(lmx_store *st, int kind, const char *id, char **json, int64_t *rid)
{
    *json = NULL;
    sqlite3_stmt *s = lmx_store_stmt(st, S_GET, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int(s, 1, kind);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *json = lmx_strndup((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        if (rid) *rid = sqlite3_column_int64(s, 1);
        sqlite3_reset(s);
        return *json ? LM_OK : lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return lmx_store_sqlerr(st, rc, "reading a record");
    return lmx_error_set(st->err, LM_ENOTFOUND, "no %s with id '%.200s'", lm_kind_name(kind), id);
}

int lmx_store_count(lmx_store *st, int kind, int64_t *n)
{
    lmx_stamp now = lmx_store_stamp(st, kind);
    if (st->count[kind].gen == now.gen + 1 && st->count[kind].version == now.version) {
        *n = st->count[kind].n;
        return LM_OK;
    }
    sqlite3_stmt *s = lmx_store_stmt(st, kind ? S_COUNT_KIND : S_COUNT_ALL, 0);
    if (!s) return st->err->code;
    if (kind) sqlite3_bind_int(s, 1, kind);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) return lmx_store_sqlerr(st, rc, "counting records");
    /* gen + 1, so that a zeroed entry never looks valid. */
    st->count[kind].gen = now.gen + 1;
    st->count[kind].version = now.version;
    st->count[kind].n = *n;
    return LM_OK;
}

/* Collect the text column 0 of every row of a bound statement. */
static int collect_strings(lmx_store *st, sqlite3_stmt *s, char ***out, int *n, const char *what)
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(*out, sizeof(char *) * (size_t)cap);
            if (!nv) { rc = SQLITE_NOMEM; break; }
            *out = nv;
        }
        const char *v = (const char *)sqlite3_column_text(s, 0);
        if (!((*out)[*n] = lmx_strdup(v ? v : ""))) { rc = SQLITE_NOMEM; break; }
        (*n)++;
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return LM_OK;
    for (int i = 0; i < *n; i++) free((*out)[i]);
    free(*out);
    *out = NULL;
    *n = 0;
    return rc == SQLITE_NOMEM ? lmx_error_set(st->err, LM_ENOMEM, "out of memory") : lmx_store_sqlerr(st, rc, what);
}

int lmx_store_ids(lmx_store *st, int kind, char ***ids, int *n)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_IDS, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int(s, 1, kind);
    return collect_strings(st, s, ids, n, "listing records");
}

int lmx_store_scan_records(lmx_store *st, int kind, lmx_record_cb cb, void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, kind ? S_SCAN_KIND : S_SCAN_ALL, 0);
    if (!s) return st->err->code;
    if (kind) sqlite3_bind_int(s, 1, kind);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
                  (const char *)sqlite3_column_text(s, 2), (size_t)sqlite3_column_bytes(s, 2));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "listing records");
}

void lmx_recinfo_free(lmx_recinfo *r)
{
    free(r->id);
    free(r->region);
    for (int i = 0; i < r->ntags; i++) free(r->tags[i]);
    free(r->tags);
    memset(r, 0, sizeof *r);
}

/* Split a tags column into out->tags. */
static int split_tags(lmx_recinfo *out, const char *t)
{
    if (!t || !*t) return LM_OK;
    int n = 1;
    for (const char *p = t; *p; p++) n += *p == LMX_TAG_SEP;
    if (!(out->tags = malloc(sizeof(char *) * (size_t)n))) return LM_ENOMEM;
    for (const char *p = t;;) {
        const char *e = strchr(p, LMX_TAG_SEP);
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (!(out->tags[out->ntags] = lmx_strndup(p, l))) return LM_ENOMEM;
        out->ntags++;
        if (!e) break;
        p = e + 1;
    }
    return LM_OK;
}

int lmx_store_info(lmx_store *st, int64_t rid, lmx_recinfo *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = lmx_store_stmt(st, S_INFO, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        if (rc == SQLITE_DONE) return LM_ENOTFOUND;        /* not an error of the call */
        return lmx_store_sqlerr(st, rc, "reading a candidate");
    }
    out->kind = sqlite3_column_int(s, 0);
    out->id = lmx_strdup((const char *)sqlite3_column_text(s, 1));
    int nomem = !out->id;
    if (sqlite3_column_type(s, 2) != SQLITE_NULL)
        nomem |= !(out->region = lmx_strdup((const char *)sqlite3_column_text(s, 2)));
    out->maturity = sqlite3_column_int(s, 3);
    nomem |= split_tags(out, (const char *)sqlite3_column_text(s, 4)) != LM_OK;
    sqlite3_reset(s);
    if (nomem) { lmx_recinfo_free(out); return lmx_error_set(st->err, LM_ENOMEM, "out of memory"); }
    return LM_OK;
}

int lmx_store_label(lmx_store *st, int64_t rid, char **out)
{
    *out = NULL;
    sqlite3_stmt *s = lmx_store_stmt(st, S_LABEL, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s);
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
    *out = lmx_strdup(v ? v : "");
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { free(*out); *out = NULL; return lmx_store_sqlerr(st, rc, "reading a label"); }
    return *out ? LM_OK : lmx_error_set(st->err, LM_ENOMEM, "out of memory");
}

int lmx_filter_pass(const lmx_filter *f, int64_t rid, const lmx_recinfo *r)
{
    if (!f) return 1;
    /* As SQL's substr(region, 1, length(prefix)) = prefix: a byte prefix of
       valid UTF-8 text. */
    if (f->region && (!r->region || strncmp(r->region, f->region, strlen(f->region)) != 0)) return 0;
    if (f->min_maturity && r->kind == LM_ACHIEVEMENT && r->maturity < f->min_maturity) return 0;
    if (f->exclude_rid && rid == f->exclude_rid) return 0;
    if (f->nfields) {
        int any = 0;
        for (int i = 0; i < r->ntags && !any; i++)
            for (int j = 0; j < f->nfields && !any; j++) any = !strcmp(r->tags[i], f->fields[j]);
        if (!any) return 0;
    }
    return 1;
}

/* ---- links, user dictionary, synonyms, statistics ----------------------------------------- */

int lmx_store_linked_experts(lmx_store *st, const char *achievement, char ***ids, int *n)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_LINKED, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, achievement, -1, SQLITE_STATIC);
    return collect_strings(st, s, ids, n, "reading links");
}

int lmx_store_dict_put(lmx_store *st, const char *word, int64_t freq)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_DICT_PUT, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, word, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, freq);
    lmx_store_bump(st, 0);
    return lmx_store_done(st, s, "storing a user word");
}

int lmx_store_dict_scan(lmx_store *st, int (*cb)(void *ctx, const char *w, int len, int64_t freq), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_DICT_SCAN, 0);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_bytes(s, 0), sqlite3_column_int64(s, 1));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading user words");
}

int lmx_store_mark_stale(lmx_store *st)
{
    int64_t n = 0;
    int rc = lmx_store_count(st, 0, &n);
    if (rc || n == 0) return rc;            /* nothing indexed yet */
    if ((rc = lmx_store_meta_set(st, "index_stale", "1"))) return rc;
    st->stale = 1;
    return LM_OK;
}

int lmx_store_synonym_put(lmx_store *st, const char *a, const char *b)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_SYN_PUT, 0);
    if (!s) return st->err->code;
    int swap = strcmp(a, b) > 0;            /* stored once per pair, smaller first */
    sqlite3_bind_text(s, 1, swap ? b : a, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, swap ? a : b, -1, SQLITE_STATIC);
    lmx_store_bump(st, 0);
    return lmx_store_done(st, s, "storing a synonym");
}

int lmx_store_synonym_scan(lmx_store *st, int (*cb)(void *ctx, const char *a, int alen, const char *b, int blen),
                           void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_SYN_SCAN, 0);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_bytes(s, 0),
                  (const char *)sqlite3_column_text(s, 1), sqlite3_column_bytes(s, 1));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading synonyms");
}

static int scalar(lmx_store *st, int id, int64_t *out)
{
    sqlite3_stmt *s = lmx_store_stmt(st, id, 0);
    if (!s) return st->err->code;
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? LM_OK : lmx_store_sqlerr(st, rc, "reading statistics");
}

int lmx_store_counts(lmx_store *st, lmx_counts *out)
{
    int rc = scalar(st, S_N_LINKS, &out->links);
    if (!rc) rc = scalar(st, S_N_DICT, &out->user_words);
    if (!rc) rc = scalar(st, S_N_SYN, &out->synonyms);
    if (!rc) rc = scalar(st, S_N_FB, &out->feedback);
    return rc;
}

void lmx_store_busy_timeout(lmx_store *st, int ms)
{
    if (st->sql) sqlite3_busy_timeout(st->sql, ms);
}

int lmx_store_meta_del(lmx_store *st, const char *key)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_META_DEL, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    lmx_store_bump(st, 0);
    return lmx_store_done(st, s, "removing from meta");
}
