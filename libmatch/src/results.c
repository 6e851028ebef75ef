/*
** results.c -- the results handle: the hits a match call returns, read
** through accessors or as one JSON document.  Component names come from the
** feature table (features.c).
*/
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "util.h"

struct lm_results {
    int n;
    lmx_hit *h;
    int nq;
    char **qterms;
    char *dfs;               /* the answer of a DFS phase (lm_results_dfs) */
};

void lmx_results_set_dfs(lm_results *r, char *json)
{
    free(r->dfs);
    r->dfs = json;
}

LM_API const char *lm_results_dfs(const lm_results *r) { return r ? r->dfs : NULL; }

int lmx_results_new(lmx_hitlist *hl, lmx_selected *sel, lm_results **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return LM_ENOMEM;
    (*out)->h = hl->h;
    (*out)->n = hl->n;
    memset(hl, 0, sizeof *hl);
    if (sel) {
        (*out)->qterms = sel->tok;
        (*out)->nq = sel->n;
        sel->tok = NULL;
        sel->n = 0;
    }
    return LM_OK;
}

LM_API void lm_results_free(lm_results *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) lmx_hit_free(&r->h[i]);
    free(r->h);
    for (int j = 0; j < r->nq; j++) free(r->qterms[j]);
    free(r->qterms);
    free(r->dfs);
    free(r);
}

static const lmx_hit *HIT(const lm_results *r, int i)
{
    return r && i >= 0 && i < r->n ? &r->h[i] : NULL;
}

LM_API int lm_results_count(const lm_results *r) { return r ? r->n : 0; }

LM_API const char *lm_result_id(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? h->info.id : NULL;
}

LM_API const char *lm_result_label(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? (h->label ? h->label : "") : NULL;
}

LM_API int lm_result_kind(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? h->info.kind : 0;
}

LM_API double lm_result_score(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? h->score : 0;
}

LM_API double lm_result_probability(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? h->prob : 0;
}

LM_API int lm_result_component_count(const lm_results *r, int i) { return HIT(r, i) ? LMX_NCOMP : 0; }

LM_API const char *lm_result_component_name(const lm_results *r, int i, int j)
{
    return HIT(r, i) && j >= 0 && j < LMX_NCOMP ? lmx_comp_name(j) : NULL;
}

LM_API double lm_result_component_value(const lm_results *r, int i, int j)
{
    const lmx_hit *h = HIT(r, i);
    return h && j >= 0 && j < LMX_NCOMP ? h->comp[j] : 0;
}

LM_API int lm_result_term_count(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? h->nterms : 0;
}

LM_API const char *lm_result_term(const lm_results *r, int i, int j)
{
    const lmx_hit *h = HIT(r, i);
    return h && j >= 0 && j < h->nterms ? h->terms[j] : NULL;
}

LM_API int lm_result_evidence_count(const lm_results *r, int i)
{
    const lmx_hit *h = HIT(r, i);
    return h ? h->nev : 0;
}

LM_API const char *lm_result_evidence_id(const lm_results *r, int i, int j)
{
    const lmx_hit *h = HIT(r, i);
    return h && j >= 0 && j < h->nev ? h->ev_id[j] : NULL;
}

LM_API double lm_result_evidence_score(const lm_results *r, int i, int j)
{
    const lmx_hit *h = HIT(r, i);
    return h && j >= 0 && j < h->nev ? h->ev_score[j] : 0;
}

LM_API int lm_results_query_term_count(const lm_results *r) { return r ? r->nq : 0; }

LM_API const char *lm_results_query_term(const lm_results *r, int j)
{
    return r && j >= 0 && j < r->nq ? r->qterms[j] : NULL;
}

LM_API int lm_results_json(const lm_results *r, char **out)
{
    if (!out) return LM_EINVAL;
    *out = NULL;
    if (!r) return LM_EINVAL;
    cJSON *o = cJSON_CreateObject();
    cJSON *qt = cJSON_AddArrayToObject(o, "query_terms");
    cJSON *res = cJSON_AddArrayToObject(o, "results");
    if (!o || !qt || !res) { cJSON_Delete(o); return LM_ENOMEM; }
    for (int j = 0; j < r->nq; j++) cJSON_AddItemToArray(qt, cJSON_CreateString(r->qterms[j]));
    for (int i = 0; i < r->n; i++) {
        const lmx_hit *h = &r->h[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "id", h->info.id);
        cJSON_AddStringToObject(e, "kind", lm_kind_name(h->info.kind));
        cJSON_AddStringToObject(e, "label", h->label ? h->label : "");
        cJSON_AddItemToObject(e, "score", lmx_json_number(h->score));           /* exact: reads back */
        cJSON_AddItemToObject(e, "probability", lmx_json_number(h->prob));
        cJSON *c = cJSON_AddObjectToObject(e, "components");
        for (int j = 0; j < LMX_NCOMP; j++) cJSON_AddItemToObject(c, lmx_comp_name(j), lmx_json_number(h->comp[j]));
        cJSON *t = cJSON_AddArrayToObject(e, "terms");
        for (int j = 0; j < h->nterms; j++) cJSON_AddItemToArray(t, cJSON_CreateString(h->terms[j]));
        if (h->info.kind == LM_EXPERT) {
            cJSON *ev = cJSON_AddArrayToObject(e, "evidence");
            for (int j = 0; j < h->nev; j++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "id", h->ev_id[j]);
                cJSON_AddItemToObject(x, "score", lmx_json_number(h->ev_score[j]));
                cJSON_AddItemToArray(ev, x);
            }
        }
        cJSON_AddItemToArray(res, e);
    }
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? LM_OK : LM_ENOMEM;
}
