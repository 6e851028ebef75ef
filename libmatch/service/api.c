/*
** api.c -- the routes of /v1/ and their handlers.  Handlers run on a worker
** thread with that worker's lm_db (SVC_READ, SVC_WRITE), or on
** libmicrohttpd's thread with no database (SVC_INLINE).  Results are the
** library's own JSON (lm_results_json, lm_get, lm_report_json, ...), passed
** through unchanged, so the service never lags behind the library's keys.
*/
#include "service.h"
#include "assets.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

/* ---- helpers ------------------------------------------------------------- */

/* Length of the valid UTF-8 prefix of s (n when all of it is valid). */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xe0) == 0xc0) { len = 2; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { len = 3; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { len = 4; min = 0x10000; }
        else return i;
        if (i + len > n) return i;
        unsigned cp = c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
        i += len;
    }
    return n;
}

/* The request body as a JSON object, or NULL with a 400 set. */
static cJSON *parse_body(svc_req *r)
{
    size_t ok = utf8_valid_prefix((const unsigned char *)r->body, r->body_len);
    if (ok != r->body_len) {
        svc_error(r, 400, "EINVAL_UTF8", NULL, "the body is not valid UTF-8 (at byte %zu)", ok);
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(r->body, r->body_len + 1, &end, 1);
    if (!j) {
        long at = end ? (long)(end - r->body) : 0;
        svc_error(r, 400, "EJSON", NULL, "malformed JSON at byte %ld of the body", at);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        svc_error(r, 400, "EJSON", NULL, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* A kind given as a string member `name`; 0 with a 400 set. */
static int kind_member(svc_req *r, const cJSON *obj, const char *name, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) {
        svc_error(r, 400, "EINVAL", field, "\"%s\" is required: problem, achievement or expert", field);
        return 0;
    }
    int k = cJSON_IsString(v) ? lm_kind_from_name(v->valuestring) : 0;
    if (!k)
        svc_error(r, 400, "EINVAL", field, "\"%s\" must be problem, achievement or expert", field);
    return k;
}

static int is_reserved(const char *name, const char *const *reserved)
{
    for (; *reserved; reserved++)
        if (!strcmp(name, *reserved)) return 1;
    return 0;
}

/* Options from every member of `j` not in `reserved`, by the names of the
   library's option registry (GET /v1/options).  NULL with a 400 set. */
static lm_opts *options_from(svc_req *r, const cJSON *j, const char *const *reserved)
{
    lm_opts *o = NULL;
    if (lm_opts_new(&o) != LM_OK) {
        svc_error(r, 500, "ENOMEM", NULL, "out of memory");
        return NULL;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, j) {
        const char *name = it->string;
        if (is_reserved(name, reserved)) continue;
        int key = 0;
        if (lm_opt_find(name, &key) != LM_OK) {
            svc_error(r, 400, "EOPTION", name, "unknown option \"%.100s\" (GET /v1/options lists them)", name);
            goto fail;
        }
        int type = lm_opt_type(key), rc = LM_OK;
        char num[64];
        if (cJSON_IsNumber(it)) {
            snprintf(num, sizeof num, "%.17g", it->valuedouble);
            rc = lm_opts_set(o, name, num);
        } else if (cJSON_IsString(it)) {
            rc = lm_opts_set(o, name, it->valuestring);
        } else if (cJSON_IsNull(it)) {
            rc = lm_opts_set(o, name, NULL);
        } else if (cJSON_IsArray(it) && type == LM_OPT_TYPE_LIST) {
            const cJSON *e;
            cJSON_ArrayForEach(e, it) {
                if (!cJSON_IsString(e)) {
                    svc_error(r, 400, "EINVAL", name, "option \"%s\" takes strings", name);
                    goto fail;
                }
                if ((rc = lm_opts_set(o, name, e->valuestring)) != LM_OK) break;
            }
        } else {
            svc_error(r, 400, "EINVAL", name, "option \"%s\" takes %s", name,
                      type == LM_OPT_TYPE_LIST ? "a string or an array of strings"
                      : type == LM_OPT_TYPE_STRING ? "a string" : "a number");
            goto fail;
        }
        if (rc != LM_OK) {
            svc_lm_error(r, rc, lm_opts_errmsg(o), name);
            goto fail;
        }
    }
    return o;
fail:
    lm_opts_free(o);
    return NULL;
}

static void reply_results(svc_req *r, lm_db *db, int rc, lm_results *res)
{
    if (rc != LM_OK) {
        svc_lm_error(r, rc, lm_errmsg(db), NULL);
        return;
    }
    char *s = NULL;
    rc = lm_results_json(res, &s);
    lm_results_free(res);
    if (rc != LM_OK) svc_lm_error(r, rc, NULL, NULL);
    else svc_reply(r, 200, s, lm_free);
}

/* The display label of a stored record (title; an expert's name), or NULL. */
static char *record_label(lm_db *db, int kind, const char *id)
{
    char *js = NULL;
    if (lm_get(db, kind, id, &js) != LM_OK) return NULL;
    cJSON *j = cJSON_Parse(js);
    lm_free(js);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, kind == LM_EXPERT ? "name" : "title");
    char *label = cJSON_IsString(t) ? strdup(t->valuestring) : NULL;
    cJSON_Delete(j);
    return label;
}

/* ---- handlers ------------------------------------------------------------ */

static void run_health(svc_req *r, lm_db *db)
{
    svc_server *s = r->srv;
    pthread_mutex_lock(&s->mu);
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", stopping ? "stopping" : "ok");
    cJSON_AddStringToObject(j, "service", SVC_NAME);
    cJSON_AddStringToObject(j, "version", lm_version());
    cJSON_AddNumberToObject(j, "uptime_s", svc_now() - s->started);
    svc_reply_cjson(r, 200, j);
}

static void run_options(svc_req *r, lm_db *db)
{
    svc_reply_static(r, 200, "application/json; charset=utf-8", r->srv->options_json,
                     strlen(r->srv->options_json));
}

static void run_asset(svc_req *r, lm_db *db)
{
    const svc_asset *a = r->asset;
    svc_reply_static(r, 200, a->mime, a->data, a->len);
}

static void run_match(svc_req *r, lm_db *db)
{
    static const char *const reserved[] = {"from", "to", "record", NULL};
    cJSON *j = parse_body(r);
    if (!j) return;
    lm_opts *o = NULL;
    int to = kind_member(r, j, "to", "to");
    if (!to) goto out;
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(j, "from");
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(j, "record");
    if (!from == !rec) {
        svc_error(r, 400, "EINVAL", "from", "give \"from\":{\"kind\":...,\"id\":...} (a stored record) "
                  "or \"record\":{...} (a record not stored), not %s", from ? "both" : "neither");
        goto out;
    }
    if (!(o = options_from(r, j, reserved))) goto out;
    lm_results *res = NULL;
    int rc;
    if (from) {
        if (!cJSON_IsObject(from)) {
            svc_error(r, 400, "EINVAL", "from", "\"from\" must be an object {\"kind\":...,\"id\":...}");
            goto out;
        }
        int kind = kind_member(r, from, "kind", "from.kind");
        if (!kind) goto out;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(from, "id");
        if (!cJSON_IsString(id)) {
            svc_error(r, 400, "EINVAL", "from.id", "\"from.id\" must be a string");
            goto out;
        }
        rc = lm_match(db, kind, id->valuestring, to, o, &res);
    } else {
        if (!cJSON_IsObject(rec)) {
            svc_error(r, 400, "EINVAL", "record", "\"record\" must be a JSON object (a record)");
            goto out;
        }
        char *js = cJSON_PrintUnformatted(rec);
        if (!js) { svc_error(r, 500, "ENOMEM", NULL, "out of memory"); goto out; }
        rc = lm_match_record(db, js, strlen(js), to, o, &res);
        cJSON_free(js);
    }
    reply_results(r, db, rc, res);
out:
    lm_opts_free(o);
    cJSON_Delete(j);
}

static void run_query(svc_req *r, lm_db *db)
{
    static const char *const reserved[] = {"text", "to", NULL};
    cJSON *j = parse_body(r);
    if (!j) return;
    lm_opts *o = NULL;
    int to = kind_member(r, j, "to", "to");
    if (!to) goto out;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "text");
    if (!cJSON_IsString(text)) {
        svc_error(r, 400, "EINVAL", "text", "\"text\" (a string) is required");
        goto out;
    }
    if (!(o = options_from(r, j, reserved))) goto out;
    lm_results *res = NULL;
    int rc = lm_match_text(db, text->valuestring, strlen(text->valuestring), to, o, &res);
    reply_results(r, db, rc, res);
out:
    lm_opts_free(o);
    cJSON_Delete(j);
}

/* An array member of strings as a NULL-ended vector (NULL when absent);
   *bad set with a 400 when malformed. */
static const char **id_list(svc_req *r, const cJSON *j, const char *name, int *n, int *bad)
{
    *n = 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!a) return NULL;
    int cnt = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    if (cnt <= 0) {
        svc_error(r, 400, "EINVAL", name, cnt == 0 ? "\"%s\" is empty (leave it out to take every record)"
                                                   : "\"%s\" must be an array of ids", name);
        *bad = 1;
        return NULL;
    }
    const char **v = calloc((size_t)cnt + 1, sizeof *v);
    if (!v) { svc_error(r, 500, "ENOMEM", NULL, "out of memory"); *bad = 1; return NULL; }
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e)) {
            svc_error(r, 400, "EINVAL", name, "\"%s\"[%d] is not a string id", name, *n);
            free(v);
            *bad = 1;
            return NULL;
        }
        v[(*n)++] = e->valuestring;
    }
    return v;
}

static void add_label(cJSON *obj, lm_db *db, int kind, const char *id)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, id)) return;
    char *l = record_label(db, kind, id);
    cJSON_AddStringToObject(obj, id, l ? l : "");
    free(l);
}

static void run_allocate(svc_req *r, lm_db *db)
{
    static const char *const reserved[] = {"to", "problems", "candidates", "capacities", NULL};
    cJSON *j = parse_body(r);
    if (!j) return;
    lm_opts *o = NULL;
    const char **problems = NULL, **candidates = NULL;
    int *caps = NULL, np = 0, nc = 0, bad = 0;
    int to = kind_member(r, j, "to", "to");
    if (!to) goto out;
    problems = id_list(r, j, "problems", &np, &bad);
    if (bad) goto out;
    candidates = id_list(r, j, "candidates", &nc, &bad);
    if (bad) goto out;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "capacities");
    if (c) {
        if (!candidates || !cJSON_IsArray(c) || cJSON_GetArraySize(c) != nc) {
            svc_error(r, 400, "EINVAL", "capacities", "\"capacities\" needs \"candidates\": one whole number "
                      "per candidate, in the same order");
            goto out;
        }
        caps = calloc((size_t)nc, sizeof *caps);
        if (!caps) { svc_error(r, 500, "ENOMEM", NULL, "out of memory"); goto out; }
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, c) {
            if (!cJSON_IsNumber(e) || e->valuedouble != (double)(int)e->valuedouble || e->valuedouble < 0) {
                svc_error(r, 400, "EINVAL", "capacities", "\"capacities\"[%d] is not a whole number >= 0", i);
                goto out;
            }
            caps[i++] = (int)e->valuedouble;
        }
    }
    if (!(o = options_from(r, j, reserved))) goto out;
    lm_allocation *a = NULL;
    int rc = lm_allocate_v2(db, to, problems, np, candidates, caps, nc, o, &a);
    if (rc != LM_OK) { svc_lm_error(r, rc, lm_errmsg(db), NULL); goto out; }
    char *js = NULL;
    rc = lm_allocation_json(a, &js);
    if (rc != LM_OK) { lm_allocation_free(a); svc_lm_error(r, rc, NULL, NULL); goto out; }
    cJSON *res = cJSON_Parse(js);
    lm_free(js);
    /* Labels of the problems and candidates (additive key), for tables. */
    cJSON *labels = cJSON_AddObjectToObject(res, "labels");
    cJSON *lp = cJSON_AddObjectToObject(labels, "problems");
    cJSON *lc = cJSON_AddObjectToObject(labels, "candidates");
    for (int i = 0; i < lm_allocation_count(a); i++) {
        add_label(lp, db, LM_PROBLEM, lm_allocation_problem(a, i));
        add_label(lc, db, to, lm_allocation_candidate(a, i));
    }
    for (int i = 0; i < np; i++) add_label(lp, db, LM_PROBLEM, problems[i]);
    lm_allocation_free(a);
    svc_reply_cjson(r, 200, res);
out:
    free(problems);
    free(candidates);
    free(caps);
    lm_opts_free(o);
    cJSON_Delete(j);
}

static void run_stats(svc_req *r, lm_db *db)
{
    char *js = NULL;
    int rc = lm_stats_json(db, &js);
    if (rc != LM_OK) { svc_lm_error(r, rc, lm_errmsg(db), NULL); return; }
    cJSON *j = cJSON_Parse(js);
    lm_free(js);
    if (!j) { svc_error(r, 500, "ERROR", NULL, "the library's statistics are not JSON"); return; }
    svc_server *s = r->srv;
    cJSON *sv = cJSON_AddObjectToObject(j, "service");
    pthread_mutex_lock(&s->mu);
    cJSON_AddNumberToObject(sv, "requests", (double)s->requests);
    cJSON_AddNumberToObject(sv, "in_flight", (double)s->in_flight);
    cJSON_AddNumberToObject(sv, "connections", (double)s->connections);
    cJSON *cls = cJSON_AddObjectToObject(sv, "responses");
    for (int i = 1; i <= 5; i++) {
        char k[16];
        snprintf(k, sizeof k, "%dxx", i);
        cJSON_AddNumberToObject(cls, k, (double)s->by_class[i]);
    }
    pthread_mutex_unlock(&s->mu);
    cJSON_AddNumberToObject(sv, "reader_threads", s->cfg.threads);
    cJSON_AddBoolToObject(sv, "writes", s->writer != NULL);
    cJSON_AddBoolToObject(sv, "auth_reads", s->cfg.auth_reads);
    cJSON_AddNumberToObject(sv, "uptime_s", svc_now() - s->started);
    svc_reply_cjson(r, 200, j);
}

static void run_get(svc_req *r, lm_db *db)
{
    char *js = NULL;
    int rc = lm_get(db, r->kind, r->id, &js);
    if (rc != LM_OK) svc_lm_error(r, rc, lm_errmsg(db), NULL);
    else svc_reply(r, 200, js, lm_free);
}

typedef struct list_ctx {
    long offset, limit, seen;
    int kind, full;
    cJSON *arr;
} list_ctx;

static int list_cb(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    list_ctx *c = ctx;
    if (c->seen++ < c->offset) return 0;
    if (cJSON_GetArraySize(c->arr) >= c->limit) { c->full = 1; return 1; }
    cJSON *rec = cJSON_ParseWithLength(json, len);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, kind == LM_EXPERT ? "name" : "title");
    cJSON_AddStringToObject(o, "label", cJSON_IsString(t) ? t->valuestring : "");
    const cJSON *f;
    if ((f = cJSON_GetObjectItemCaseSensitive(rec, "region")) && cJSON_IsString(f))
        cJSON_AddStringToObject(o, "region", f->valuestring);
    if ((f = cJSON_GetObjectItemCaseSensitive(rec, "fields")) && cJSON_IsArray(f))
        cJSON_AddItemToObject(o, "fields", cJSON_Duplicate(f, 1));
    cJSON_AddItemToArray(c->arr, o);
    cJSON_Delete(rec);
    return 0;
}

static void run_list(svc_req *r, lm_db *db)
{
    int64_t total = 0;
    int rc = lm_count(db, r->kind, &total);
    if (rc != LM_OK) { svc_lm_error(r, rc, lm_errmsg(db), NULL); return; }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", lm_kind_name(r->kind));
    cJSON_AddNumberToObject(j, "total", (double)total);
    cJSON_AddNumberToObject(j, "offset", (double)r->offset);
    list_ctx c = {r->offset, r->limit, 0, r->kind, 0, cJSON_AddArrayToObject(j, "records")};
    rc = lm_scan(db, r->kind, list_cb, &c);
    if (rc != LM_OK && !(rc == LM_ESTATE && c.full)) {
        cJSON_Delete(j);
        svc_lm_error(r, rc, lm_errmsg(db), NULL);
        return;
    }
    svc_reply_cjson(r, 200, j);
}

static int load_progress(void *ctx, const char *stage, int64_t done, int64_t total)
{
    svc_req *r = ctx;
    return svc_now() > r->deadline;
}

static void run_put(svc_req *r, lm_db *db)
{
    cJSON *one = NULL;
    if (!r->jsonl) {
        one = cJSON_ParseWithLengthOpts(r->body, r->body_len + 1, NULL, 1);
        /* Not one JSON value, but several lines: JSON Lines. */
        if (!one) {
            const char *nl = memchr(r->body, '\n', r->body_len);
            if (nl && strspn(nl, " \t\r\n") < (size_t)(r->body + r->body_len - nl)) r->jsonl = 1;
        } else if (!cJSON_IsObject(one)) {
            cJSON_Delete(one);
            svc_error(r, 400, "EJSON", NULL, "send one record (a JSON object) or JSON Lines (one record per "
                      "line, Content-Type: application/x-ndjson)");
            return;
        }
    }
    if (!r->jsonl) {
        int rc = lm_put(db, r->body, r->body_len);
        if (rc != LM_OK) {
            svc_lm_error(r, rc, lm_errmsg(db), NULL);
        } else {
            cJSON *j = cJSON_CreateObject();
            cJSON *st = cJSON_AddObjectToObject(j, "stored");
            cJSON_AddItemToObject(st, "kind", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(one, "kind"), 1));
            cJSON_AddItemToObject(st, "id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(one, "id"), 1));
            svc_reply_cjson(r, 200, j);
        }
        cJSON_Delete(one);
        return;
    }
    lm_report *rep = NULL;
    lm_set_progress(db, load_progress, r);
    int rc = lm_load_jsonl_buffer(db, r->body, r->body_len, r->skip_bad ? LM_LOAD_SKIP_BAD : LM_LOAD_ATOMIC,
                                  &rep);
    lm_set_progress(db, NULL, NULL);
    char *js = NULL;
    if (rep) lm_report_json(rep, &js);
    lm_report_free(rep);
    if (rc == LM_OK) {
        svc_reply(r, 200, js, lm_free);
        return;
    }
    if (rc == LM_ESTATE && svc_now() > r->deadline)
        svc_error(r, 503, "ETIMEDOUT", NULL, "the load ran past --timeout %u s and was rolled back: nothing "
                  "was stored (send smaller parts, or raise --timeout)", r->srv->cfg.timeout);
    else
        svc_lm_error(r, rc, lm_errmsg(db), NULL);
    if (js) {           /* the error, with the report naming the line */
        cJSON *err = cJSON_Parse(r->out);
        cJSON *repj = cJSON_Parse(js);
        if (err && repj) {
            cJSON_AddItemToObject(err, "report", repj);
            repj = NULL;
            svc_reply_cjson(r, r->status, err);
            err = NULL;
        }
        cJSON_Delete(err);
        cJSON_Delete(repj);
        lm_free(js);
    }
}

static void run_delete(svc_req *r, lm_db *db)
{
    int rc = lm_delete(db, r->kind, r->id);
    if (rc != LM_OK) { svc_lm_error(r, rc, lm_errmsg(db), NULL); return; }
    cJSON *j = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(j, "deleted");
    cJSON_AddStringToObject(d, "kind", lm_kind_name(r->kind));
    cJSON_AddStringToObject(d, "id", r->id);
    svc_reply_cjson(r, 200, j);
}

/* ---- routes --------------------------------------------------------------- */

static const svc_route routes[] = {
    {"GET", SVC_P_HEALTH, SVC_INLINE, 0, run_health},
    {"GET", SVC_P_OPTIONS, SVC_INLINE, 0, run_options},
    {"GET", SVC_P_OPENAPI, SVC_INLINE, 0, run_asset},
    {"GET", SVC_P_ASSET, SVC_INLINE, 0, run_asset},
    {"POST", SVC_P_MATCH, SVC_READ, 1, run_match},
    {"POST", SVC_P_QUERY, SVC_READ, 1, run_query},
    {"POST", SVC_P_ALLOCATE, SVC_READ, 1, run_allocate},
    {"GET", SVC_P_STATS, SVC_READ, 0, run_stats},
    {"GET", SVC_P_RECORD_KIND, SVC_READ, 0, run_list},
    {"GET", SVC_P_RECORD, SVC_READ, 0, run_get},
    {"DELETE", SVC_P_RECORD, SVC_WRITE, 0, run_delete},
    {"PUT", SVC_P_RECORDS, SVC_WRITE, 1, run_put},
};

static int path_pattern(const char *path)
{
    static const struct { const char *path; int pattern; } fixed[] = {
        {"/v1/health", SVC_P_HEALTH}, {"/v1/match", SVC_P_MATCH}, {"/v1/query", SVC_P_QUERY},
        {"/v1/allocate", SVC_P_ALLOCATE}, {"/v1/stats", SVC_P_STATS}, {"/v1/options", SVC_P_OPTIONS},
        {"/v1/openapi.json", SVC_P_OPENAPI}, {"/v1/records", SVC_P_RECORDS},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(path, fixed[i].path)) return fixed[i].pattern;
    if (!strncmp(path, "/v1/records/", 12)) {
        const char *k = path + 12, *slash = strchr(k, '/');
        if (!*k) return SVC_P_NONE;
        if (!slash) return SVC_P_RECORD_KIND;
        return slash[1] ? SVC_P_RECORD : SVC_P_NONE;
    }
    if (!strncmp(path, "/v1/", 4) || !strcmp(path, "/v1")) return SVC_P_NONE;
    return svc_asset_find(path) ? SVC_P_ASSET : SVC_P_NONE;
}

const svc_route *svc_route_find(const char *method, const char *path, int *pattern, const char **allow)
{
    *pattern = path_pattern(path);
    *allow = NULL;
    if (!*pattern) return NULL;
    const char *m = strcmp(method, "HEAD") ? method : "GET";
    static char allows[16][40];
    const svc_route *found = NULL;
    char buf[40] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (routes[i].pattern != *pattern) continue;
        if (!strcmp(routes[i].method, m)) found = &routes[i];
        if (*buf) strcat(buf, ", ");
        strcat(buf, routes[i].method);
        if (!strcmp(routes[i].method, "GET")) strcat(buf, ", HEAD");
    }
    if (!found) {
        /* One static string per pattern (written once, the same each time). */
        char *slot = allows[*pattern & 15];
        if (strcmp(slot, buf)) snprintf(slot, sizeof allows[0], "%s", buf);
        *allow = slot;
    }
    return found;
}

char *svc_options_json(void)
{
    static const char *const types[] = {"", "int", "double", "string", "list"};
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "options");
    for (int i = 0; i < lm_opt_count(); i++) {
        int key = lm_opt_key(i), type = lm_opt_type(key);
        double def = 0, min = 0, max = 0;
        lm_opt_bounds(key, &def, &min, &max);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", lm_opt_name(key));
        cJSON_AddStringToObject(o, "type", type > 0 && type <= 4 ? types[type] : "unknown");
        if (type == LM_OPT_TYPE_STRING || type == LM_OPT_TYPE_LIST) {
            cJSON_AddNumberToObject(o, "max_bytes", max);
        } else {
            cJSON_AddNumberToObject(o, "default", def);
            cJSON_AddNumberToObject(o, "min", min);
            cJSON_AddNumberToObject(o, "max", max);
        }
        const char *ch = lm_opt_choices(key);
        if (ch) {
            cJSON *c = cJSON_AddArrayToObject(o, "choices");
            const char *p = ch;
            while (*p) {
                size_t n = strcspn(p, "|");
                char *v = strndup(p, n);
                cJSON_AddItemToArray(c, cJSON_CreateString(v ? v : ""));
                free(v);
                p += n;
                if (*p) p++;
            }
        }
        cJSON_AddStringToObject(o, "help", lm_opt_help(key) ? lm_opt_help(key) : "");
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}
