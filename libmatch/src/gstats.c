/*
** gstats.c -- a collection's statistics (gstats.h): export, read, merge.
** Index-feature layer: reads the store's term table (store_stats.c) and
** BM25's column lengths (bm25.c); knows nothing of matching.
*/
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "libmatch.h"
#include "gstats.h"
#include "util.h"

/* ---- numbers ------------------------------------------------------------------- */



/* A whole number >= 0 that a double holds exactly. */
static int count_of(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble != floor(v->valuedouble))
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

/* ---- export ---------------------------------------------------------------------- */

static int add_term(void *ctx, const char *term, int len, int64_t df)
{
    cJSON *terms = ctx;
    char *t = lmx_strndup(term, (size_t)len);
    if (!t) return LM_ENOMEM;
    cJSON *n = cJSON_CreateNumber((double)df);
    int ok = n && cJSON_AddItemToObject(terms, t, n);
    if (!ok) cJSON_Delete(n);
    free(t);
    return ok ? 0 : LM_ENOMEM;
}

static int export_kind(lmx_store *st, lmx_bm25_cache *c, int kind, cJSON *kinds)
{
    int64_t records, rows, tot[LMX_NCOLS];
    int rc = lmx_store_count(st, kind, &records);
    if (!rc) rc = lmx_bm25_lengths(st, c, kind, &rows, tot);
    if (rc) return rc;
    cJSON *k = cJSON_AddObjectToObject(kinds, lm_kind_name(kind));
    cJSON *lens = k ? cJSON_AddArrayToObject(k, "lengths") : NULL;
    cJSON *terms = lens ? cJSON_CreateObject() : NULL;
    if (!terms) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    cJSON_AddNumberToObject(k, "records", (double)records);
    cJSON_AddNumberToObject(k, "rows", (double)rows);
    for (int col = 0; col < LMX_NCOLS; col++) cJSON_AddItemToArray(lens, cJSON_CreateNumber((double)tot[col]));
    cJSON_AddItemToObject(k, "terms", terms);
    rc = lmx_store_term_dfs(st, kind, add_term, terms);
    if (rc == LM_ENOMEM) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    return rc;
}

static char *print(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    if (!s) return NULL;
    char *out = lmx_strdup(s);                /* lm_free()'s allocator */
    cJSON_free(s);
    return out;
}

int lmx_gstats_export(lmx_store *st, lmx_bm25_cache *c, const char *analyzer, int kind, char **out)
{
    *out = NULL;
    cJSON *o = cJSON_CreateObject(), *kinds = NULL;
    if (o) {
        cJSON_AddStringToObject(o, "format", LMX_GSTATS_FORMAT);
        cJSON_AddStringToObject(o, "analyzer", analyzer ? analyzer : "");
        kinds = cJSON_AddObjectToObject(o, "kinds");
    }
    if (!kinds) { cJSON_Delete(o); return lmx_error_set(st->err, LM_ENOMEM, "out of memory"); }
    int rc = LM_OK;
    for (int k = 1; k <= LMX_NKINDS && !rc; k++)
        if (!kind || k == kind) rc = export_kind(st, c, k, kinds);
    if (!rc && !(*out = print(o))) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    cJSON_Delete(o);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------- */

void lmx_gstats_free(lmx_gstats *gs)
{
    if (!gs) return;
    for (int k = 0; k <= LMX_NKINDS; k++) lmx_qterms_free(&gs->k[k].df);
    memset(gs, 0, sizeof *gs);
}

/* Add the statistics of o (parsed JSON) to gs; `part` names it in errors. */
static int add_stats(lmx_gstats *gs, const cJSON *o, const char *part, lmx_error *err)
{
    if (!cJSON_IsObject(o)) return lmx_error_set(err, LM_ERECORD, "%sstatistics: not a JSON object", part);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, LMX_GSTATS_FORMAT))
        return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"format\" must be \"%s\"", part, LMX_GSTATS_FORMAT);
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(o, "analyzer");
    if (!cJSON_IsString(an) || strlen(an->valuestring) >= sizeof gs->analyzer)
        return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"analyzer\" must be a string (lm_analyzer_id())", part);
    if (!gs->analyzer[0]) strcpy(gs->analyzer, an->valuestring);
    else if (strcmp(gs->analyzer, an->valuestring))
        return lmx_error_set(err, LM_EMISMATCH, "%sstatistics: \"analyzer\" is \"%.200s\", not \"%.200s\" as the others",
                             part, an->valuestring, gs->analyzer);
    const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(o, "kinds"), *k;
    if (!cJSON_IsObject(kinds)) return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\" must be an object", part);
    cJSON_ArrayForEach(k, kinds) {
        int kind = lm_kind_from_name(k->string);
        if (!kind)
            return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\": unknown kind \"%.100s\"", part, k->string);
        lmx_gkind *g = &gs->k[kind];
        int64_t v;
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(k, "records");
        if (!count_of(x, &v))
            return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\".\"%s\".\"records\" must be a whole number >= 0",
                                 part, k->string);
        g->records += v;
        x = cJSON_GetObjectItemCaseSensitive(k, "rows");
        if (!count_of(x, &v))
            return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\".\"%s\".\"rows\" must be a whole number >= 0",
                                 part, k->string);
        g->len[0] += v;
        x = cJSON_GetObjectItemCaseSensitive(k, "lengths");
        if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) != LMX_NCOLS)
            return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\".\"%s\".\"lengths\" must be an array of %d "
                                 "whole numbers (title, body, keywords, extra)", part, k->string, LMX_NCOLS);
        for (int c = 0; c < LMX_NCOLS; c++) {
            if (!count_of(cJSON_GetArrayItem(x, c), &v))
                return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\".\"%s\".\"lengths\"[%d] must be a whole "
                                     "number >= 0", part, k->string, c);
            g->len[1 + c] += v;
        }
        x = cJSON_GetObjectItemCaseSensitive(k, "terms");
        if (!cJSON_IsObject(x))
            return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\".\"%s\".\"terms\" must be an object "
                                 "{term: document frequency}", part, k->string);
        const cJSON *t;
        cJSON_ArrayForEach(t, x) {
            size_t len = strlen(t->string);
            if (!count_of(t, &v) || len == 0 || len > 255)
                return lmx_error_set(err, LM_ERECORD, "%sstatistics: \"kinds\".\"%s\".\"terms\".\"%.100s\" must be a "
                                     "term of 1 to 255 bytes with a whole number >= 0", part, k->string, t->string);
            if (!lmx_utf8_valid(t->string, len, NULL))
                return lmx_error_set(err, LM_EINVAL_UTF8, "%sstatistics: a term of \"kinds\".\"%s\".\"terms\" is not "
                                     "valid UTF-8", part, k->string);
            if (v && lmx_qterms_add(&g->df, t->string, (int)len, (double)v, 0))
                return lmx_error_set(err, LM_ENOMEM, "out of memory");
        }
        g->present = 1;
    }
    return LM_OK;
}

static int parse_into(lmx_gstats *gs, const char *json, const char *part, lmx_error *err)
{
    if (!json) return lmx_error_set(err, LM_EINVAL, "%sstatistics: NULL", part);
    cJSON *o = cJSON_Parse(json);
    if (!o) return lmx_error_set(err, LM_EJSON, "%sstatistics: not JSON", part);
    int rc = add_stats(gs, o, part, err);
    cJSON_Delete(o);
    return rc;
}

int lmx_gstats_parse(const char *json, lmx_gstats *gs, lmx_error *err)
{
    memset(gs, 0, sizeof *gs);
    int rc = parse_into(gs, json, "", err);
    if (rc) lmx_gstats_free(gs);
    return rc;
}

/* ---- merging ------------------------------------------------------------------------ */

static char *to_json(const lmx_gstats *gs)
{
    cJSON *o = cJSON_CreateObject(), *kinds = NULL;
    if (o) {
        cJSON_AddStringToObject(o, "format", LMX_GSTATS_FORMAT);
        cJSON_AddStringToObject(o, "analyzer", gs->analyzer);
        kinds = cJSON_AddObjectToObject(o, "kinds");
    }
    int ok = kinds != NULL;
    for (int kind = 1; kind <= LMX_NKINDS && ok; kind++) {
        const lmx_gkind *g = &gs->k[kind];
        if (!g->present) continue;
        cJSON *k = cJSON_AddObjectToObject(kinds, lm_kind_name(kind));
        cJSON *lens = k ? cJSON_AddArrayToObject(k, "lengths") : NULL;
        cJSON *terms = lens ? cJSON_AddObjectToObject(k, "terms") : NULL;
        if (!(ok = terms != NULL)) break;
        cJSON_AddNumberToObject(k, "records", (double)g->records);
        cJSON_AddNumberToObject(k, "rows", (double)g->len[0]);
        for (int c = 0; c < LMX_NCOLS; c++) cJSON_AddItemToArray(lens, cJSON_CreateNumber((double)g->len[1 + c]));
        for (int i = 0; i < g->df.n && ok; i++) {
            cJSON *n = cJSON_CreateNumber(g->df.t[i].w);
            ok = n && cJSON_AddItemToObject(terms, g->df.t[i].tok, n);
            if (!ok) cJSON_Delete(n);
        }
    }
    char *out = ok ? print(o) : NULL;
    cJSON_Delete(o);
    return out;
}

int lmx_gstats_merge(const char *const *parts, int n, char **out, lmx_error *err)
{
    *out = NULL;
    if (n < 1 || !parts) return lmx_error_set(err, LM_EINVAL, "no statistics to merge");
    lmx_gstats gs;
    memset(&gs, 0, sizeof gs);
    int rc = LM_OK;
    for (int i = 0; i < n && !rc; i++) {
        char part[48];
        snprintf(part, sizeof part, "part %d: ", i + 1);
        rc = parse_into(&gs, parts[i], part, err);
    }
    if (!rc && !(*out = to_json(&gs))) rc = lmx_error_set(err, LM_ENOMEM, "out of memory");
    lmx_gstats_free(&gs);
    return rc;
}
