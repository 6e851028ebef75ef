/*
** model.c -- the match model's arithmetic and its JSON form (model.h).
** An engine: no SQL, no handle; component names come from the caller (the
** feature table), so that this file knows nothing of the pipeline.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "libmatch.h"
#include "model.h"

static const char *const tf_names[LMX_NTF] = { "linear", "sqrt", "log" };
static const char *const hits_names[LMX_NHITS] = { "all", "records", "experts" };

const char *lmx_model_tf_name(int tf)
{
    return tf >= 0 && tf < LMX_NTF ? tf_names[tf] : NULL;
}

double lmx_model_tf(int tf, double x)
{
    if (!(x > 0)) return 0;                 /* also NaN */
    switch (tf) {
    case LMX_TF_SQRT: return sqrt(x);
    case LMX_TF_LOG: return log1p(1000.0 * x);
    default: return x;
    }
}

double lmx_model_logit(const lmx_model *m, int is_expert, const double *comp, const double *gate)
{
    double z = m->intercept + (is_expert ? m->expert : 0);
    for (int i = 0; i < m->n; i++) {
        const lmx_model_term *t = &m->t[i];
        if (t->hits == (is_expert ? LMX_HITS_RECORDS : LMX_HITS_EXPERTS)) continue;
        double g = gate ? gate[t->comp] : 1.0;
        if (g != 0) z += t->coef * g * lmx_model_tf(t->tf, comp[t->comp]);
    }
    return z;
}

double lmx_sigmoid(double z)
{
    if (z > 35) z = 35;
    if (z < -35) z = -35;
    return 1.0 / (1.0 + exp(-z));
}

static int finite_number(const cJSON *v, double *out)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return 0;
    *out = v->valuedouble;
    return 1;
}

int lmx_model_parse(const char *json, const char *const *names, int ncomp, lmx_model *m, char *err, size_t n)
{
    memset(m, 0, sizeof *m);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    if (!o) { snprintf(err, n, "the model is not JSON"); return LM_EJSON; }
    int rc = LM_ERECORD;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *terms = cJSON_GetObjectItemCaseSensitive(o, "terms");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, LMX_MODEL_FORMAT)) {
        snprintf(err, n, "the model's \"format\" is not \"%s\"", LMX_MODEL_FORMAT);
        goto done;
    }
    if (!finite_number(cJSON_GetObjectItemCaseSensitive(o, "intercept"), &m->intercept) ||
        !finite_number(cJSON_GetObjectItemCaseSensitive(o, "expert"), &m->expert)) {
        snprintf(err, n, "the model's \"intercept\" and \"expert\" must be finite numbers");
        goto done;
    }
    if (!cJSON_IsArray(terms)) { snprintf(err, n, "the model has no \"terms\" array"); goto done; }
    const cJSON *t;
    cJSON_ArrayForEach(t, terms) {
        if (m->n == LMX_MODEL_MAX_TERMS) {
            snprintf(err, n, "the model has more than %d terms", LMX_MODEL_MAX_TERMS);
            goto done;
        }
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(t, "feature");
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(t, "transform");
        lmx_model_term *mt = &m->t[m->n];
        mt->comp = -1;
        for (int j = 0; cJSON_IsString(f) && j < ncomp; j++)
            if (names[j] && !strcmp(names[j], f->valuestring)) mt->comp = j;
        if (mt->comp < 0) {
            snprintf(err, n, "model term %d: unknown feature %s%.64s%s", m->n + 1, cJSON_IsString(f) ? "\"" : "",
                     cJSON_IsString(f) ? f->valuestring : "(missing)", cJSON_IsString(f) ? "\"" : "");
            goto done;
        }
        mt->tf = -1;
        for (int k = 0; cJSON_IsString(tr) && k < LMX_NTF; k++)
            if (!strcmp(tf_names[k], tr->valuestring)) mt->tf = k;
        if (mt->tf < 0) {
            snprintf(err, n, "model term %d (%s): the transform must be linear, sqrt or log", m->n + 1,
                     names[mt->comp]);
            goto done;
        }
        const cJSON *hits = cJSON_GetObjectItemCaseSensitive(t, "hits");
        mt->hits = hits ? -1 : LMX_HITS_ALL;
        for (int k = 0; cJSON_IsString(hits) && k < LMX_NHITS; k++)
            if (!strcmp(hits_names[k], hits->valuestring)) mt->hits = k;
        if (mt->hits < 0) {
            snprintf(err, n, "model term %d (%s): \"hits\" must be all, records or experts", m->n + 1,
                     names[mt->comp]);
            goto done;
        }
        if (!finite_number(cJSON_GetObjectItemCaseSensitive(t, "coef"), &mt->coef)) {
            snprintf(err, n, "model term %d (%s): \"coef\" must be a finite number", m->n + 1, names[mt->comp]);
            goto done;
        }
        m->n++;
    }
    rc = LM_OK;
done:
    cJSON_Delete(o);
    if (rc) memset(m, 0, sizeof *m);
    return rc;
}

char *lmx_model_json(const lmx_model *m, const char *const *names, const char *extra)
{
    cJSON *o = cJSON_CreateObject(), *x = NULL;
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "format", LMX_MODEL_FORMAT);
    cJSON_AddNumberToObject(o, "intercept", m->intercept);
    cJSON_AddNumberToObject(o, "expert", m->expert);
    cJSON *terms = cJSON_AddArrayToObject(o, "terms");
    for (int i = 0; terms && i < m->n; i++) {
        cJSON *t = cJSON_CreateObject();
        if (!t) break;
        cJSON_AddStringToObject(t, "feature", names[m->t[i].comp]);
        cJSON_AddStringToObject(t, "transform", tf_names[m->t[i].tf]);
        cJSON_AddNumberToObject(t, "coef", m->t[i].coef);
        cJSON_AddStringToObject(t, "hits", hits_names[m->t[i].hits]);
        cJSON_AddItemToArray(terms, t);
    }
    char *out = NULL;
    if (extra) {
        x = cJSON_Parse(extra);
        if (!cJSON_IsObject(x)) goto done;
        while (x->child) {
            cJSON *item = cJSON_DetachItemViaPointer(x, x->child);
            cJSON_AddItemToObject(o, item->string, item);
        }
    }
    out = cJSON_PrintUnformatted(o);
done:
    cJSON_Delete(x);
    cJSON_Delete(o);
    return out;
}
