/*
** api_load.c -- bulk loading of JSON Lines in one transaction, with a
** report of every bad line (its number, the record's id, the reason).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"

/* ---- bulk loading -------------------------------------------------------- */

typedef struct { int64_t line; char *id; char *reason; } report_err;

struct lm_report {
    int64_t loaded, skipped;
    int nerr, cap;
    report_err *err;
    int truncated;          /* more errors than kept */
};

#define REPORT_MAX_ERRORS 1000

static void report_add(lm_report *r, int64_t line, const char *id, const char *reason)
{
    if (r->nerr >= REPORT_MAX_ERRORS) { r->truncated = 1; return; }
    if (r->nerr == r->cap) {
        int nc = r->cap ? r->cap * 2 : 16;
        report_err *ne = realloc(r->err, (size_t)nc * sizeof *ne);
        if (!ne) { r->truncated = 1; return; }
        r->err = ne;
        r->cap = nc;
    }
    report_err *e = &r->err[r->nerr];
    e->line = line;
    e->id = lmx_strdup(id ? id : "");
    e->reason = lmx_strdup(reason);
    if (!e->id || !e->reason) { free(e->id); free(e->reason); r->truncated = 1; return; }
    r->nerr++;
}

/* Best effort: pull "id" out of a line that failed validation. */
static char *guess_id(const char *line, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    char *id = NULL;
    if (j) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "id");
        if (cJSON_IsString(v) && lmx_utf8_valid(v->valuestring, strlen(v->valuestring), NULL))
            id = lmx_strndup(v->valuestring, strlen(v->valuestring) > 128 ? 128 : strlen(v->valuestring));
        cJSON_Delete(j);
    }
    return id;
}

/* The longest line a load reads: a record of the largest size with room for
   white space around it.  Anything longer is not JSON Lines of records, and
   is refused at once, in bounded memory (an endless input never fills it). */
#define MAX_LINE ((size_t)LM_MAX_RECORD_BYTES + 65536)

/*
** The semantic space the loader keeps (the latent topic of matching): built
** at the end of a load that leaves at least LMX_AUTO_VECTORS_MIN records and
** no model, rebuilt once the records folded into it since its build are as
** many as it was built on (the library has doubled: amortized, a record is
** in O(log n) builds).  A model of lm_vectors_build() is the caller's and is
** left alone.  Inside the load's transaction: the records and the space
** commit together.  A corpus too poor to build one (LM_ESTATE) is no error.
*/
#define LMX_AUTO_VECTORS_MIN 100
#define LMX_AUTO_VECTORS_DIM 128

static int keep_vectors(lm_db *db)
{
    lmx_store *st = &db->store;
    int d = lmx_semantic_dim(st);
    if (d > 0 && !lmx_semantic_auto(st)) return LM_OK;
    if (d > 0 && lmx_store_meta_int(st, "lsa_folded", 0) < lmx_store_meta_int(st, "lsa_records", 0)) return LM_OK;
    int64_t n = 0;
    int rc = lmx_store_count(st, 0, &n);
    if (rc) return rc;
    if (n < LMX_AUTO_VECTORS_MIN) return LM_OK;
    rc = lmx_semantic_build(st, db->an, d > 0 ? d : LMX_AUTO_VECTORS_DIM, 1, &db->progress);
    /* LM_ESTATE: too few records or shared terms -- unless the progress
       callback stopped the build, which stops the load. */
    if (rc == LM_ESTATE && !strstr(db->err.msg, "interrupted by the progress callback")) {
        lmx_error_clear(&db->err);
        return LM_OK;
    }
    return rc;
}

static int load_lines(lm_db *db, lmx_lines *L, int64_t total, int policy, lm_report *rep, const char *source)
{
    int flags = policy & ~LM_LOAD_ATOMIC & ~LM_LOAD_SKIP_BAD;
    policy &= LM_LOAD_SKIP_BAD;
    int rc = lmx_store_write_begin(&db->store);
    if (rc) return rc;
    char msg[768];
    const char *line;
    size_t ll;
    int got;
    /* Duplicate ids inside one load: the later line wins, as with lm_put. */
    while ((got = lmx_lines_next(L, &line, &ll)) == 1) {
        line = lmx_skip_bom(line, &ll);              /* a BOM is never part of a record */
        size_t t = ll;
        while (t && (line[t - 1] == '\r' || line[t - 1] == ' ' || line[t - 1] == '\t')) t--;
        size_t s = 0;
        while (s < t && (line[s] == ' ' || line[s] == '\t')) s++;
        if (s == t) continue;                       /* blank line */
        lmx_record r;
        int rrc = lmx_record_parse(line + s, t - s, 1, &r, msg, sizeof msg);
        if (rrc == LM_OK) {
            rrc = lmx_put_parsed(db, &r, line + s, t - s);
            if (rrc != LM_OK) snprintf(msg, sizeof msg, "%s", lm_errmsg(db));
        }
        if (rrc == LM_OK) {
            rep->loaded++;
        } else {
            char *id = r.root ? lmx_strdup(r.id) : guess_id(line + s, t - s);
            report_add(rep, L->lineno, id, msg);
            rep->skipped++;
            free(id);
            int fatal = rrc == LM_EDB || rrc == LM_EIO || rrc == LM_ENOMEM || rrc == LM_EBUSY;
            if (policy == LM_LOAD_ATOMIC || fatal) {
                lmx_record_free(&r);
                lmx_store_rollback(&db->store);
                rep->loaded = 0;
                return lmx_err(db, rrc, "%s line %lld: %s", source, (long long)L->lineno, msg);
            }
        }
        lmx_record_free(&r);
        if (L->lineno % 1000 == 0 && lmx_progress_report(&db->progress, &db->err, "load", L->done, total)) {
            lmx_store_rollback(&db->store);
            rep->loaded = 0;
            return db->err.code;
        }
    }
    if (got < 0) {
        lmx_store_rollback(&db->store);
        rep->loaded = 0;
        if (got == -LM_ETOOBIG) {
            snprintf(msg, sizeof msg, "longer than %zu bytes: not a line of JSON Lines (records are at most %u bytes)",
                     MAX_LINE, (unsigned)LM_MAX_RECORD_BYTES);
            report_add(rep, L->lineno, "", msg);
            rep->skipped++;
            return lmx_err(db, LM_ETOOBIG, "%s line %lld: %s", source, (long long)L->lineno, msg);
        }
        if (got == -LM_EIO)
            return lmx_err(db, LM_EIO, "%s: read error after line %lld: %s", source, (long long)L->lineno,
                           strerror(errno ? errno : EIO));
        return lmx_err(db, -got, "%s line %lld: %s", source, (long long)L->lineno, lm_errstr(-got));
    }
    if (lmx_progress_report(&db->progress, &db->err, "load", L->done, total)) {
        lmx_store_rollback(&db->store);
        rep->loaded = 0;
        return db->err.code;
    }
    if (!(flags & LM_LOAD_NO_VECTORS) && (rc = keep_vectors(db)) != LM_OK) {
        lmx_store_rollback(&db->store);
        rep->loaded = 0;
        return rc;
    }
    if ((rc = lmx_store_commit(&db->store)) != LM_OK) { rep->loaded = 0; return rc; }
    return lmx_ok(db);
}

static int load_common(lm_db *db, lmx_lines *L, int64_t total, int policy, lm_report **out_report, const char *source)
{
    if (out_report) *out_report = NULL;
    if ((policy & ~(LM_LOAD_SKIP_BAD | LM_LOAD_NO_VECTORS)) != 0)
        return lmx_err(db, LM_EINVAL, "unknown load policy %d", policy);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    lm_report *rep = calloc(1, sizeof *rep);
    if (!rep) return lmx_err(db, LM_ENOMEM, "out of memory");
    int rc = load_lines(db, L, total, policy, rep, source);
    if (out_report) *out_report = rep;
    else lm_report_free(rep);
    return rc;
}

static int load_jsonl_buffer_locked(lm_db *db, const char *data, size_t len,
                                int policy, lm_report **out_report)
{
    if (out_report) *out_report = NULL;
    if (!db) return LM_EINVAL;
    if (!data && len) return lmx_err(db, LM_EINVAL, "no data (NULL)");
    lmx_lines L;
    lmx_lines_buffer(&L, data ? data : "", len, MAX_LINE);
    return load_common(db, &L, (int64_t)len, policy, out_report, "input");
}

static int load_jsonl_locked(lm_db *db, const char *path, int policy,
                         lm_report **out_report)
{
    if (out_report) *out_report = NULL;
    if (!db) return LM_EINVAL;
    if (!path) return lmx_err(db, LM_EINVAL, "no file name (NULL)");
    FILE *f = fopen(path, "rb");
    if (!f) return lmx_err(db, LM_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return lmx_err(db, LM_EIO, "cannot read '%s': it is a directory", path);
    }
    /* A regular file's size is the total of the progress; a pipe has none. */
    int64_t total = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
    lmx_lines L;
    lmx_lines_file(&L, f, MAX_LINE);
    const char *base = strrchr(path, '/');
    int rc = load_common(db, &L, total, policy, out_report, base ? base + 1 : path);
    lmx_lines_free(&L);
    fclose(f);
    return rc;
}

LM_API int64_t lm_report_loaded(const lm_report *r) { return r ? r->loaded : 0; }
LM_API int64_t lm_report_skipped(const lm_report *r) { return r ? r->skipped : 0; }
LM_API int lm_report_error_count(const lm_report *r) { return r ? r->nerr : 0; }

LM_API int64_t lm_report_error_line(const lm_report *r, int i)
{
    return (r && i >= 0 && i < r->nerr) ? r->err[i].line : 0;
}
LM_API const char *lm_report_error_id(const lm_report *r, int i)
{
    return (r && i >= 0 && i < r->nerr) ? r->err[i].id : NULL;
}
LM_API const char *lm_report_error_reason(const lm_report *r, int i)
{
    return (r && i >= 0 && i < r->nerr) ? r->err[i].reason : NULL;
}

LM_API int lm_report_json(const lm_report *r, char **out)
{
    if (!out) return LM_EINVAL;
    *out = NULL;
    if (!r) return LM_EINVAL;
    cJSON *o = cJSON_CreateObject(), *errs = cJSON_CreateArray();
    if (!o || !errs) { cJSON_Delete(o); cJSON_Delete(errs); return LM_ENOMEM; }
    cJSON_AddNumberToObject(o, "loaded", (double)r->loaded);
    cJSON_AddNumberToObject(o, "skipped", (double)r->skipped);
    for (int i = 0; i < r->nerr; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddNumberToObject(e, "line", (double)r->err[i].line);
        cJSON_AddStringToObject(e, "id", r->err[i].id);
        cJSON_AddStringToObject(e, "reason", r->err[i].reason);
        cJSON_AddItemToArray(errs, e);
    }
    cJSON_AddItemToObject(o, "errors", errs);
    if (r->truncated) cJSON_AddBoolToObject(o, "errors_truncated", 1);
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? LM_OK : LM_ENOMEM;
}

LM_API void lm_report_free(lm_report *r)
{
    if (!r) return;
    for (int i = 0; i < r->nerr; i++) { free(r->err[i].id); free(r->err[i].reason); }
    free(r->err);
    free(r);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

LM_API int lm_load_jsonl_buffer(lm_db *db, const char *data, size_t len, int policy, lm_report **out_report)
{
    LMX_GUARDED(db, load_jsonl_buffer_locked(db, data, len, policy, out_report));
}

LM_API int lm_load_jsonl(lm_db *db, const char *path, int policy, lm_report **out_report)
{
    LMX_GUARDED(db, load_jsonl_locked(db, path, policy, out_report));
}
