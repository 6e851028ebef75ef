/*
** record.c -- validating a record given as JSON and taking it apart
** (lmx_record).  A record is checked completely before anything is written:
** JSON syntax, UTF-8 of every string, allowed keys per kind, types, limits.
** Messages name the record (its id when known) and the field.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "record.h"
#include "util.h"

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

#define TAG_LIST 2      /* is_id_list: domain tags (no control characters) */
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
        if (is_id_list == TAG_LIST)
            for (const unsigned char *p = (const unsigned char *)c->valuestring; *p; p++)
                if (*p < 0x20) return fail(e, LM_ERECORD, field, "item %d: a domain tag holds a control character", n + 1);
        if (is_id_list == 1 && (l == 0 || l > LM_MAX_ID_BYTES))
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
        out->label = name;
        break;
    }
    if (out->kind != LM_EXPERT) out->label = title;
    if ((rc = check_list(&e, cJSON_GetObjectItemCaseSensitive(root, "keywords"), "keywords", &kw, 0))) goto error;
    if ((rc = check_list(&e, cJSON_GetObjectItemCaseSensitive(root, "fields"), "fields", &out->fields, TAG_LIST))) goto error;
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

