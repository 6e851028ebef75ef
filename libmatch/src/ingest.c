/*
** ingest.c -- validating records (JSON → lmx_record), lm_put, and bulk
** loading of JSON Lines with a report of every bad line.
**
** A record is checked completely before anything is written: JSON syntax,
** UTF-8 of every string, allowed keys per kind, types, limits.  Messages name
** the record (its id when known) and the field; the bulk loader adds the line.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- record validation ------------------------------------------------- */

/* Which top-level keys each kind accepts. */
enum {
    K_ID = 1 << 0, K_KIND = 1 << 1, K_TITLE = 1 << 2, K_DESC = 1 << 3,
    K_ABSTRACT = 1 << 4, K_NAME = 1 << 5, K_RESEARCH = 1 << 6, K_BIO = 1 << 7,
    K_KEYWORDS = 1 << 8, K_FIELDS = 1 << 9, K_REGION = 1 << 10, K_ORG = 1 << 11,
    K_MATURITY = 1 << 12, K_EXPERTS = 1 << 13, K_ACHIEVEMENTS = 1 << 14,
    K_META = 1 << 15
};
static const struct { const char *name; int bit; } keys[] = {
    {"id", K_ID}, {"kind", K_KIND}, {"title", K_TITLE},
    {"description", K_DESC}, {"abstract", K_ABSTRACT}, {"name", K_NAME},
    {"research", K_RESEARCH}, {"bio", K_BIO}, {"keywords", K_KEYWORDS},
    {"fields", K_FIELDS}, {"region", K_REGION}, {"org", K_ORG},
    {"maturity", K_MATURITY}, {"experts", K_EXPERTS},
    {"achievements", K_ACHIEVEMENTS}, {"meta", K_META},
};
#define COMMON (K_ID | K_KIND | K_KEYWORDS | K_FIELDS | K_REGION | K_ORG | K_META)
static const int allowed[LMX_NKINDS + 1] = {
    0,
    COMMON | K_TITLE | K_DESC,                               /* problem */
    COMMON | K_TITLE | K_ABSTRACT | K_MATURITY | K_EXPERTS,  /* achievement */
    COMMON | K_NAME | K_RESEARCH | K_BIO | K_ACHIEVEMENTS,   /* expert */
};

typedef struct {
    char *buf;
    size_t errlen;
    const char *id;     /* for messages */
} errctx;

static int fail(errctx *e, int code, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int fail(errctx *e, int code, const char *field, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char idpart[96];
    if (e->id && *e->id)
        snprintf(idpart, sizeof idpart, "record '%.64s%s'", e->id,
                 strlen(e->id) > 64 ? "..." : "");
    else
        snprintf(idpart, sizeof idpart, "record");
    if (field)
        snprintf(e->buf, e->errlen, "%s: field '%s': %s", idpart, field, what);
    else
        snprintf(e->buf, e->errlen, "%s: %s", idpart, what);
    return code;
}

static int depth_of(const cJSON *j, int d)
{
    int m = d;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
        int cd = depth_of(c, d + 1);
        if (cd > m) m = cd;
        if (m > LM_MAX_JSON_DEPTH) break;
    }
    return m;
}

/* Every string (keys included) must be valid UTF-8: cJSON decodes \u escapes
   itself and does not validate raw bytes. */
static int strings_valid(const cJSON *j)
{
    for (; j; j = j->next) {
        if (j->string && !lmx_utf8_valid(j->string, strlen(j->string), NULL))
            return 0;
        if (cJSON_IsString(j) &&
            !lmx_utf8_valid(j->valuestring, strlen(j->valuestring), NULL))
            return 0;
        if (j->child && !strings_valid(j->child)) return 0;
    }
    return 1;
}

static int check_text(errctx *e, const cJSON *v, const char *field,
                      const char **out)
{
    if (!v || cJSON_IsNull(v)) { *out = NULL; return LM_OK; }
    if (!cJSON_IsString(v))
        return fail(e, LM_ERECORD, field, "expected a string");
    if (strlen(v->valuestring) > LM_MAX_FIELD_BYTES)
        return fail(e, LM_ETOOBIG, field, "longer than %u bytes",
                    (unsigned)LM_MAX_FIELD_BYTES);
    *out = v->valuestring;
    return LM_OK;
}

static int check_list(errctx *e, cJSON *v, const char *field, cJSON **out,
                      int is_id_list)
{
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return LM_OK;
    if (!cJSON_IsArray(v))
        return fail(e, LM_ERECORD, field, "expected an array of strings");
    int n = 0;
    size_t total = 0;
    for (cJSON *c = v->child; c; c = c->next, n++) {
        if (n >= LM_MAX_LIST_ITEMS)
            return fail(e, LM_ETOOBIG, field, "more than %d items",
                        LM_MAX_LIST_ITEMS);
        if (!cJSON_IsString(c))
            return fail(e, LM_ERECORD, field,
                        "item %d: expected a string", n + 1);
        size_t l = strlen(c->valuestring);
        if (is_id_list && (l == 0 || l > LM_MAX_ID_BYTES))
            return fail(e, l ? LM_ETOOBIG : LM_ERECORD, field,
                        "item %d: an id must have 1 to %d bytes", n + 1,
                        LM_MAX_ID_BYTES);
        total += l;
        if (total > LM_MAX_FIELD_BYTES)
            return fail(e, LM_ETOOBIG, field, "longer than %u bytes in all",
                        (unsigned)LM_MAX_FIELD_BYTES);
    }
    *out = v;
    return LM_OK;
}

static char *join_list(const cJSON *arr, const char *sep)
{
    size_t n = 1, sl = strlen(sep);
    for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next)
        n += strlen(c->valuestring) + sl;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next) {
        size_t l = strlen(c->valuestring);
        if (p != s) { memcpy(p, sep, sl); p += sl; }
        memcpy(p, c->valuestring, l);
        p += l;
    }
    *p = 0;
    return s;
}

void lmx_record_free(lmx_record *r)
{
    if (!r) return;
    cJSON_Delete(r->root);
    free(r->kwjoined);
    free(r->extra);
    memset(r, 0, sizeof *r);
}

int lmx_record_parse(const char *json, size_t len, int require_id,
                     lmx_record *out, char *err, size_t errlen)
{
    errctx e = { err, errlen, NULL };
    memset(out, 0, sizeof *out);
    if (!json) return fail(&e, LM_EINVAL, NULL, "no JSON text (NULL)");
    if (len == LM_NUL_TERMINATED) len = strlen(json);
    if (len > LM_MAX_RECORD_BYTES)
        return fail(&e, LM_ETOOBIG, NULL, "JSON text of %zu bytes exceeds %u",
                    len, (unsigned)LM_MAX_RECORD_BYTES);
    size_t bad;
    if (!lmx_utf8_valid(json, len, &bad))
        return fail(&e, LM_EINVAL_UTF8, NULL,
                    "invalid UTF-8 or NUL byte at byte offset %zu", bad);
    /* \u0000 would silently cut a string short inside cJSON. */
    for (size_t i = 0; i + 6 <= len; i++)
        if (json[i] == '\\' && json[i + 1] == 'u' && json[i + 2] == '0' &&
            json[i + 3] == '0' && json[i + 4] == '0' && json[i + 5] == '0') {
            size_t bs = 0;  /* count preceding backslashes */
            while (bs < i && json[i - 1 - bs] == '\\') bs++;
            if (bs % 2 == 0)
                return fail(&e, LM_EINVAL_UTF8, NULL,
                            "escaped NUL character (\\u0000) at byte offset %zu", i);
        }

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t off = end ? (size_t)(end - json) : 0;
        const char *ep = cJSON_GetErrorPtr();
        if (ep && ep >= json && ep <= json + len) off = (size_t)(ep - json);
        return fail(&e, LM_EJSON, NULL,
                    "malformed JSON near byte offset %zu (or nested deeper than %d)",
                    off, LM_MAX_JSON_DEPTH);
    }
    while (end && end < json + len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end && end < json + len) {
        cJSON_Delete(root);
        return fail(&e, LM_EJSON, NULL, "unexpected text after the JSON object at byte offset %zu",
                    (size_t)(end - json));
    }
    out->root = root;
    int rc;
    if (!cJSON_IsObject(root)) {
        rc = fail(&e, LM_ERECORD, NULL, "expected a JSON object");
        goto error;
    }
    if (depth_of(root, 0) > LM_MAX_JSON_DEPTH) {
        rc = fail(&e, LM_ETOOBIG, NULL, "JSON nested deeper than %d", LM_MAX_JSON_DEPTH);
        goto error;
    }
    if (!strings_valid(root->child)) {
        rc = fail(&e, LM_EINVAL_UTF8, NULL, "a string holds invalid UTF-8 (lone surrogate escape?)");
        goto error;
    }

    /* id first, so every later message can name the record. */
    cJSON *jid = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (jid && !cJSON_IsString(jid)) {
        rc = fail(&e, LM_ERECORD, "id", "expected a string");
        goto error;
    }
    out->id = jid ? jid->valuestring : "";
    size_t idlen = strlen(out->id);
    if (idlen > LM_MAX_ID_BYTES) {
        rc = fail(&e, LM_ETOOBIG, "id", "longer than %d bytes", LM_MAX_ID_BYTES);
        goto error;
    }
    e.id = out->id;
    if (require_id && idlen == 0) {
        rc = fail(&e, LM_ERECORD, "id", jid ? "must not be empty" : "missing (required)");
        goto error;
    }
    for (size_t i = 0; i < idlen; i++)
        if ((unsigned char)out->id[i] < 0x20 || out->id[i] == 0x7f) {
            rc = fail(&e, LM_ERECORD, "id", "contains a control character");
            goto error;
        }

    cJSON *jkind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    if (!jkind) { rc = fail(&e, LM_ERECORD, "kind", "missing (required: problem, achievement or expert)"); goto error; }
    if (!cJSON_IsString(jkind)) { rc = fail(&e, LM_ERECORD, "kind", "expected a string"); goto error; }
    out->kind = lm_kind_from_name(jkind->valuestring);
    if (!out->kind) {
        rc = fail(&e, LM_ERECORD, "kind", "'%.40s' is not problem, achievement or expert",
                  jkind->valuestring);
        goto error;
    }

    int seen = 0;
    for (cJSON *c = root->child; c; c = c->next) {
        int bit = 0;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (strcmp(c->string, keys[k].name) == 0) { bit = keys[k].bit; break; }
        if (!bit) {
            rc = fail(&e, LM_ERECORD, c->string, "unknown field (put extra data under \"meta\")");
            goto error;
        }
        if (!(allowed[out->kind] & bit)) {
            rc = fail(&e, LM_ERECORD, c->string, "not a field of a%s %s record",
                      out->kind == LM_ACHIEVEMENT || out->kind == LM_EXPERT ? "n" : "",
                      lm_kind_name(out->kind));
            goto error;
        }
        if (seen & bit) { rc = fail(&e, LM_ERECORD, c->string, "appears twice"); goto error; }
        seen |= bit;
    }

    const char *title = NULL, *body = NULL, *name = NULL, *research = NULL;
    cJSON *kw = NULL;
    switch (out->kind) {
    case LM_PROBLEM:
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "title"), "title", &title))) goto error;
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "description"), "description", &body))) goto error;
        break;
    case LM_ACHIEVEMENT:
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "title"), "title", &title))) goto error;
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "abstract"), "abstract", &body))) goto error;
        if ((rc = check_list(&e, cJSON_GetObjectItemCaseSensitive(root, "experts"), "experts", &out->links, 1))) goto error;
        break;
    default:
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "name"), "name", &name))) goto error;
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "research"), "research", &research))) goto error;
        if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "bio"), "bio", &body))) goto error;
        if ((rc = check_list(&e, cJSON_GetObjectItemCaseSensitive(root, "achievements"), "achievements", &out->links, 1))) goto error;
        title = research;
        break;
    }
    if ((rc = check_list(&e, cJSON_GetObjectItemCaseSensitive(root, "keywords"), "keywords", &kw, 0))) goto error;
    if ((rc = check_list(&e, cJSON_GetObjectItemCaseSensitive(root, "fields"), "fields", &out->fields, 0))) goto error;
    if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "region"), "region", &out->region))) goto error;
    if ((rc = check_text(&e, cJSON_GetObjectItemCaseSensitive(root, "org"), "org", &out->org))) goto error;
    if (out->region && strlen(out->region) > 256) { rc = fail(&e, LM_ETOOBIG, "region", "longer than 256 bytes"); goto error; }

    cJSON *mat = cJSON_GetObjectItemCaseSensitive(root, "maturity");
    if (mat && !cJSON_IsNull(mat)) {
        double v = mat->valuedouble;
        /* Range first: converting an out-of-range double to int is undefined. */
        if (!cJSON_IsNumber(mat) || !(v >= 1 && v <= 9) || v != (double)(int)v) {
            rc = fail(&e, LM_ERECORD, "maturity", "expected an integer from 1 to 9 (TRL)");
            goto error;
        }
        out->maturity = (int)v;
    }

    out->text[LMX_COL_TITLE] = title;
    out->text[LMX_COL_BODY] = body;
    if (kw && kw->child) {
        if (!(out->kwjoined = join_list(kw, "；"))) { rc = fail(&e, LM_ENOMEM, NULL, "out of memory"); goto error; }
        out->text[LMX_COL_KEYWORDS] = out->kwjoined;
    }
    if (name || out->org) {
        size_t n = (name ? strlen(name) : 0) + (out->org ? strlen(out->org) : 0) + 4;
        if (!(out->extra = malloc(n))) { rc = fail(&e, LM_ENOMEM, NULL, "out of memory"); goto error; }
        snprintf(out->extra, n, "%s%s%s", name ? name : "", name && out->org ? "；" : "",
                 out->org ? out->org : "");
        out->text[LMX_COL_EXTRA] = out->extra;
    }
    return LM_OK;
error:
    lmx_record_free(out);
    return rc;
}

/* ---- lm_put ------------------------------------------------------------ */

LM_API int lm_put(lm_db *db, const char *json, size_t len)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if (json && len == LM_NUL_TERMINATED) len = strlen(json);
    lmx_record r;
    char msg[768];
    int rc = lmx_record_parse(json, len, 1, &r, msg, sizeof msg);
    if (rc) return lmx_err(db, rc, "%s", msg);
    if ((rc = lmx_begin(db)) == LM_OK) {
        rc = lmx_ensure_fresh(db);
        if (rc == LM_OK) rc = lmx_store_record(db, &r, json, len);
        if (rc == LM_OK) rc = lmx_commit(db);
        else lmx_rollback(db);
    }
    lmx_record_free(&r);
    return rc ? rc : lmx_ok(db);
}

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

static int load_buffer(lm_db *db, const char *data, size_t len, int policy,
                       lm_report *rep, const char *source)
{
    int rc = lmx_begin(db);
    if (rc) return rc;
    if ((rc = lmx_ensure_fresh(db))) { lmx_rollback(db); return rc; }
    int64_t lineno = 0;
    size_t pos = 0;
    char msg[768];
    /* Duplicate ids inside one load: the later line wins, as with lm_put. */
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        lineno++;
        size_t t = ll;
        while (t && (line[t - 1] == '\r' || line[t - 1] == ' ' || line[t - 1] == '\t')) t--;
        size_t s = 0;
        while (s < t && (line[s] == ' ' || line[s] == '\t')) s++;
        if (s == t) continue;                       /* blank line */
        lmx_record r;
        int rrc = lmx_record_parse(line + s, t - s, 1, &r, msg, sizeof msg);
        if (rrc == LM_OK) {
            rrc = lmx_store_record(db, &r, line + s, t - s);
            if (rrc != LM_OK) snprintf(msg, sizeof msg, "%s", lm_errmsg(db));
        }
        if (rrc == LM_OK) {
            rep->loaded++;
        } else {
            char *id = r.root ? lmx_strdup(r.id) : guess_id(line + s, t - s);
            report_add(rep, lineno, id, msg);
            rep->skipped++;
            free(id);
            int fatal = rrc == LM_EDB || rrc == LM_EIO || rrc == LM_ENOMEM || rrc == LM_EBUSY;
            if (policy == LM_LOAD_ATOMIC || fatal) {
                lmx_record_free(&r);
                lmx_rollback(db);
                rep->loaded = 0;
                return lmx_err(db, rrc, "%s line %lld: %s", source, (long long)lineno, msg);
            }
        }
        lmx_record_free(&r);
        if (lineno % 1000 == 0 && lmx_progress(db, "load", (int64_t)pos, (int64_t)len)) {
            lmx_rollback(db);
            rep->loaded = 0;
            return db->errcode;
        }
    }
    if (lmx_progress(db, "load", (int64_t)len, (int64_t)len)) { lmx_rollback(db); rep->loaded = 0; return db->errcode; }
    if ((rc = lmx_commit(db)) != LM_OK) { rep->loaded = 0; return rc; }
    return lmx_ok(db);
}

static int load_common(lm_db *db, const char *data, size_t len, int policy,
                       lm_report **out_report, const char *source)
{
    if (out_report) *out_report = NULL;
    if (policy != LM_LOAD_ATOMIC && policy != LM_LOAD_SKIP_BAD)
        return lmx_err(db, LM_EINVAL, "unknown load policy %d", policy);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    lm_report *rep = calloc(1, sizeof *rep);
    if (!rep) return lmx_err(db, LM_ENOMEM, "out of memory");
    int rc = load_buffer(db, data, len, policy, rep, source);
    if (out_report) *out_report = rep;
    else lm_report_free(rep);
    return rc;
}

LM_API int lm_load_jsonl_buffer(lm_db *db, const char *data, size_t len,
                                int policy, lm_report **out_report)
{
    if (out_report) *out_report = NULL;
    if (!db) return LM_EINVAL;
    if (!data && len) return lmx_err(db, LM_EINVAL, "no data (NULL)");
    return load_common(db, data ? data : "", len, policy, out_report, "input");
}

LM_API int lm_load_jsonl(lm_db *db, const char *path, int policy,
                         lm_report **out_report)
{
    if (out_report) *out_report = NULL;
    if (!db) return LM_EINVAL;
    if (!path) return lmx_err(db, LM_EINVAL, "no file name (NULL)");
    FILE *f = fopen(path, "rb");
    if (!f) return lmx_err(db, LM_EIO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = LM_OK;
    while (buf) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (!buf) rc = lmx_err(db, LM_ENOMEM, "out of memory reading '%s'", path);
    else if (ferror(f)) rc = lmx_err(db, LM_EIO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (rc == LM_OK) {
        const char *base = strrchr(path, '/');
        rc = load_common(db, buf, n, policy, out_report, base ? base + 1 : path);
    }
    free(buf);
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
