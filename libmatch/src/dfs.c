/*
** dfs.c -- distributed matching inside the pipeline (dfs.h): the
** collection's statistics in place of the shard's, the probe of phase 1,
** the context of phase 2 and the shard's part of the answer.
**
** Pipeline layer, below query_terms.c, candidates.c, features.c and
** matching.c, which call its hooks; it calls only the store, the index
** features (bm25.c, gstats.c, semantic.c) and reads the hits' fields.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "util.h"
#include "dfs.h"
#include "gstats.h"

/* ---- statistics ------------------------------------------------------------------- */

static const lmx_gkind *gkind(const lm_db *db, int kind)
{
    if (!db->gstats || kind < 1 || kind > LMX_NKINDS || !db->gstats->k[kind].present) return NULL;
    return &db->gstats->k[kind];
}

int lmx_dfs_count(lm_db *db, int kind, int64_t *n)
{
    const lmx_gkind *g = gkind(db, kind);
    if (!g) return lmx_store_count(&db->store, kind, n);
    *n = g->records;
    return LM_OK;
}

int lmx_dfs_doc_freqs(lm_db *db, int kind, const lmx_qterms *q, int64_t *df)
{
    const lmx_gkind *g = gkind(db, kind);
    if (!g) return lmx_bm25_doc_freqs(&db->store, &db->bm25, kind, q, df);
    for (int i = 0; i < q->n; i++) {
        int j = lmx_qterms_find(&g->df, q->t[i].tok, q->t[i].len);
        df[i] = j >= 0 ? (int64_t)g->df.t[j].w : 0;
    }
    return LM_OK;
}

const int64_t *lmx_dfs_lengths(const lm_db *db, int kind)
{
    const lmx_gkind *g = gkind(db, kind);
    return g ? g->len : NULL;
}

/* ---- phase 2: the collection's candidates ------------------------------------------- */

static const lmx_dfs *shard_phase(const lm_db *db, int kind)
{
    return db->dfs && db->dfs->phase == LM_DFS_SHARD && db->dfs->to == kind ? db->dfs : NULL;
}

/* Whether (s, rid) ranks no lower than the cut (cs, crid): higher score, or
   equal with a row id no higher (ties keep the lower row id). */
static int within(double s, int64_t rid, double cs, int64_t crid)
{
    return s > cs || (s == cs && rid <= crid);
}

int lmx_dfs_bm25_keep(const lm_db *db, int kind, const lmx_hitlist *hl)
{
    const lmx_dfs *d = shard_phase(db, kind);
    if (!d || !d->has_bm25_cut) return hl->n;
    int n = 0;
    while (n < hl->n && within(hl->h[n].comp[LMX_C_BM25_RAW], hl->h[n].rid, d->bm25_cut, d->bm25_cut_rid)) n++;
    return n;
}

int lmx_dfs_dense_keep(const lm_db *db, int kind, const float *qv, const lmx_dense_hit *dh, int dn)
{
    const lmx_dfs *d = shard_phase(db, kind);
    if (!d || !d->has_dense_cut) return dn;
    int n = 0;
    /* The order of the nearest records is by the exact cosine, then row id. */
    while (n < dn && within(lmx_semantic_cosine(&db->sem, LMX_SPACE_BUILTIN, kind, qv, dh[n].rid), dh[n].rid,
                            d->dense_cut, d->dense_cut_rid))
        n++;
    return n;
}

int lmx_dfs_votes(const lm_db *db, lmx_vote **votes, int *n)
{
    const lmx_dfs *d = db->dfs && db->dfs->phase == LM_DFS_SHARD ? db->dfs : NULL;
    *votes = NULL;
    *n = 0;
    if (!d) return 0;
    if (d->nvotes) {
        if (!(*votes = malloc(sizeof **votes * (size_t)d->nvotes))) return -1;
        memcpy(*votes, d->votes, sizeof **votes * (size_t)d->nvotes);
        *n = d->nvotes;
    }
    return 1;
}

int lmx_dfs_latent(const lm_db *db, const double **c, int *d)
{
    const lmx_dfs *x = db->dfs && db->dfs->phase == LM_DFS_SHARD ? db->dfs : NULL;
    if (!x) return 0;
    *c = x->nlatent ? x->latent : NULL;
    *d = x->nlatent;
    return 1;
}

int lmx_dfs_bm25_best(const lm_db *db, double *bb)
{
    const lmx_dfs *d = db->dfs && db->dfs->phase == LM_DFS_SHARD ? db->dfs : NULL;
    if (!d) return 0;
    *bb = d->bm25_best;
    return 1;
}

int lmx_dfs_check(lm_db *db, const lm_opts *o, int to)
{
    if (LMX_OI(o, FUSION) == LM_FUSION_RRF)
        return lmx_err(db, LM_EINVAL, "option 'fusion': reciprocal rank fusion ranks every candidate of the "
                                      "collection and cannot be merged from shards; use model or weighted");
    if (LMX_OI(o, PRF_DOCS) > 0 && to != LM_EXPERT)
        return lmx_err(db, LM_EINVAL, "option 'prf_docs': pseudo-relevance feedback is not available in "
                                      "distributed (DFS) matching; set it to 0");
    char m[300];
    int ext = lmx_store_meta_get(&db->store, "ext_model", m, sizeof m);
    if (ext < 0) return db->err.code ? db->err.code : LM_EDB;
    if (ext > 0 && LMX_OD(o, W_COSINE_EXT) > 0)
        return lmx_err(db, LM_EINVAL, "option 'w_cosine_ext': external embeddings are not available in "
                                      "distributed (DFS) matching; set it to 0");
    return LM_OK;
}

/* ---- the context ---------------------------------------------------------------------- */

void lmx_dfs_clear(lmx_dfs *d)
{
    for (int i = 0; i < d->nvotes; i++) free((char *)d->votes[i].field);
    free(d->votes);
    free(d->latent);
    memset(d, 0, sizeof *d);
}

/* A cut [score, row id] of the context. */
static int read_cut(const cJSON *c, const char *name, int *has, double *s, int64_t *rid, lmx_error *err)
{
    *has = 0;
    if (!c || cJSON_IsNull(c)) return LM_OK;
    const cJSON *a = cJSON_GetArrayItem(c, 0), *b = cJSON_GetArrayItem(c, 1);
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2 || !cJSON_IsNumber(a) || !cJSON_IsNumber(b) ||
        !isfinite(a->valuedouble) || b->valuedouble != floor(b->valuedouble) || b->valuedouble < 0)
        return lmx_error_set(err, LM_ERECORD, "DFS context: \"%s\" must be [score, row id] or null", name);
    *has = 1;
    *s = a->valuedouble;
    *rid = (int64_t)b->valuedouble;
    return LM_OK;
}

int lmx_dfs_context_parse(const char *json, int to, lmx_dfs *d, lmx_error *err)
{
    memset(d, 0, sizeof *d);
    d->to = to;
    if (!json) return LM_OK;
    cJSON *o = cJSON_Parse(json);
    if (!o) return lmx_error_set(err, LM_EJSON, "DFS context: not JSON");
    int rc = LM_OK;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *kto = cJSON_GetObjectItemCaseSensitive(o, "to");
    const cJSON *votes = cJSON_GetObjectItemCaseSensitive(o, "votes"), *v;
    if (!cJSON_IsObject(o) || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, LMX_DFS_CONTEXT_FORMAT))
        rc = lmx_error_set(err, LM_ERECORD, "DFS context: \"format\" must be \"%s\" (lm_dfs_context())",
                           LMX_DFS_CONTEXT_FORMAT);
    else if (!cJSON_IsString(kto) || lm_kind_from_name(kto->valuestring) != to)
        rc = lmx_error_set(err, LM_EINVAL, "DFS context: \"to\" is %s%.40s%s, not \"%s\" as this call",
                           cJSON_IsString(kto) ? "\"" : "", cJSON_IsString(kto) ? kto->valuestring : "missing",
                           cJSON_IsString(kto) ? "\"" : "", lm_kind_name(to));
    if (!rc) rc = read_cut(cJSON_GetObjectItemCaseSensitive(o, "bm25_cut"), "bm25_cut", &d->has_bm25_cut,
                           &d->bm25_cut, &d->bm25_cut_rid, err);
    if (!rc) rc = read_cut(cJSON_GetObjectItemCaseSensitive(o, "dense_cut"), "dense_cut", &d->has_dense_cut,
                           &d->dense_cut, &d->dense_cut_rid, err);
    const cJSON *bb = cJSON_GetObjectItemCaseSensitive(o, "bm25_best");
    if (!rc && bb && (!cJSON_IsNumber(bb) || !isfinite(bb->valuedouble) || bb->valuedouble < 0))
        rc = lmx_error_set(err, LM_ERECORD, "DFS context: \"bm25_best\" must be a number >= 0");
    else if (!rc && bb) d->bm25_best = bb->valuedouble;
    if (!rc && votes && !cJSON_IsArray(votes))
        rc = lmx_error_set(err, LM_ERECORD, "DFS context: \"votes\" must be an array of [field, vote]");
    int nv = votes ? cJSON_GetArraySize(votes) : 0;
    if (!rc && nv && !(d->votes = calloc((size_t)nv, sizeof *d->votes))) rc = lmx_error_set(err, LM_ENOMEM, "out of memory");
    cJSON_ArrayForEach(v, votes) {
        if (rc) break;
        const cJSON *f = cJSON_GetArrayItem(v, 0), *x = cJSON_GetArrayItem(v, 1);
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsString(f) || !cJSON_IsNumber(x) ||
            !isfinite(x->valuedouble)) {
            rc = lmx_error_set(err, LM_ERECORD, "DFS context: \"votes\"[%d] must be [field, vote]", d->nvotes);
            break;
        }
        if (!(d->votes[d->nvotes].field = lmx_strdup(f->valuestring))) rc = lmx_error_set(err, LM_ENOMEM, "out of memory");
        else d->votes[d->nvotes++].v = x->valuedouble;
    }
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(o, "latent");
    if (!rc && lat && !cJSON_IsNull(lat)) {
        int n = cJSON_IsArray(lat) ? cJSON_GetArraySize(lat) : 0;
        if (n < 1 || n > LM_MAX_DIM)
            rc = lmx_error_set(err, LM_ERECORD, "DFS context: \"latent\" must be null or an array of 1..%d numbers",
                               LM_MAX_DIM);
        else if (!(d->latent = malloc(sizeof(double) * (size_t)n)))
            rc = lmx_error_set(err, LM_ENOMEM, "out of memory");
        cJSON_ArrayForEach(v, lat) {
            if (rc) break;
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
                rc = lmx_error_set(err, LM_ERECORD, "DFS context: \"latent\"[%d] must be a number", d->nlatent);
                break;
            }
            d->latent[d->nlatent++] = v->valuedouble;
        }
    }
    cJSON_Delete(o);
    if (rc) { lmx_dfs_clear(d); d->to = to; }
    return rc;
}

/* ---- JSON helpers ----------------------------------------------------------------------- */

static cJSON *num(double v)
{
    char b[40];
    lmx_json_double(b, v);
    return cJSON_CreateRaw(b);
}

static cJSON *pair(double v, int64_t rid)
{
    cJSON *a = cJSON_CreateArray();
    if (a) {
        cJSON_AddItemToArray(a, num(v));
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)rid));
    }
    return a;
}

static char *print(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    char *out = s ? lmx_strdup(s) : NULL;
    cJSON_free(s);
    return out;
}

/* ---- phase 1: the probe ------------------------------------------------------------------ */

int lmx_dfs_probe(lm_db *db, const lm_opts *o, const lmx_query *qc, const lmx_qterms *q, const lmx_hitlist *hl,
                  char **out)
{
    *out = NULL;
    int ndocs = LMX_OI(o, TOPIC_DOCS) > 0 ? LMX_OI(o, TOPIC_DOCS) : 0;
    cJSON *p = cJSON_CreateObject();
    cJSON *bm = p ? cJSON_AddArrayToObject(p, "bm25") : NULL;
    cJSON *tags = bm ? cJSON_AddArrayToObject(p, "tags") : NULL;
    cJSON *dense = tags ? cJSON_AddArrayToObject(p, "dense") : NULL;
    if (!dense) { cJSON_Delete(p); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    cJSON_AddStringToObject(p, "format", LMX_DFS_PROBE_FORMAT);
    cJSON_AddStringToObject(p, "to", lm_kind_name(qc->to));
    cJSON_AddNumberToObject(p, "limit", LMX_OI(o, CANDIDATES) > LMX_OI(o, OFFSET) + LMX_OI(o, K)
                                            ? LMX_OI(o, CANDIDATES) : LMX_OI(o, OFFSET) + LMX_OI(o, K));
    cJSON_AddNumberToObject(p, "topic_docs", ndocs);
    cJSON_AddItemToObject(p, "bm25_max", num(qc->bm25_max));
    /* The latent topic (features.c): the semantic vectors of the first
       topic_docs hits, whose centroid the context makes. */
    int ld = ndocs > 0 && LMX_OD(o, W_LATENT_TOPIC) > 0 && qc->to != LM_EXPERT ? lmx_semantic_dim(&db->store) : 0;
    int nv = ld > 0 ? (hl->n < ndocs ? hl->n : ndocs) : 0;
    float *V = nv ? malloc(sizeof(float) * (size_t)nv * (size_t)ld) : NULL;
    int64_t *rids = nv ? malloc(sizeof(int64_t) * (size_t)nv) : NULL;
    unsigned char *has = nv ? malloc((size_t)nv) : NULL;
    cJSON *vecs = ld > 0 ? cJSON_AddArrayToObject(p, "vectors") : NULL;
    int rc = LM_OK;
    if (nv && (!V || !rids || !has || !vecs)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < nv; i++) rids[i] = hl->h[i].rid;
    if (!rc && nv) rc = lmx_semantic_vectors(&db->sem, &db->store, qc->to, rids, nv, ld, V, has);
    for (int i = 0; !rc && i < nv; i++) {
        cJSON *a = has[i] ? cJSON_CreateArray() : cJSON_CreateNull();
        for (int k = 0; a && has[i] && k < ld; k++) cJSON_AddItemToArray(a, num(V[(size_t)i * (size_t)ld + (size_t)k]));
        cJSON_AddItemToArray(vecs, a);
    }
    free(V);
    free(rids);
    free(has);
    if (rc) { cJSON_Delete(p); return rc; }
    cJSON_AddNumberToObject(p, "latent_dim", ld);
    for (int i = 0; i < hl->n; i++) {
        cJSON_AddItemToArray(bm, pair(hl->h[i].comp[LMX_C_BM25_RAW], hl->h[i].rid));
        if (i >= ndocs) continue;
        cJSON *t = cJSON_CreateArray();
        for (int k = 0; t && k < hl->h[i].info.ntags; k++) cJSON_AddItemToArray(t, cJSON_CreateString(hl->h[i].info.tags[k]));
        cJSON_AddItemToArray(tags, t);
    }
    int ncand = 0;
    if (LMX_OD(o, W_COSINE) > 0 && lmx_semantic_candidates(&db->store, LMX_OI(o, DENSE_CANDIDATES)) >= 0) {
        /* The nearest records, as lmx_cand_dense() asks for them. */
        float *qv = NULL;
        lmx_dense_hit *dh = NULL;
        int dn = 0;
        ncand = lmx_semantic_candidates(&db->store, LMX_OI(o, DENSE_CANDIDATES));
        rc = lmx_semantic_query(&db->sem, &db->store, q, qc->to, ncand, &qv, &dh, &dn);
        for (int i = 0; !rc && qv && i < dn; i++)
            cJSON_AddItemToArray(dense, pair(lmx_semantic_cosine(&db->sem, LMX_SPACE_BUILTIN, qc->to, qv, dh[i].rid),
                                             dh[i].rid));
        free(qv);
        free(dh);
    }
    cJSON_AddNumberToObject(p, "dense_candidates", ncand);
    if (!rc && !(*out = print(p))) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    cJSON_Delete(p);
    return rc;
}

/* ---- phase 2: the shard's part ------------------------------------------------------------- */

static cJSON *hit_json(lm_db *db, const lmx_hit *h, double s1, double p1, int kw, int *rc)
{
    cJSON *x = cJSON_CreateObject();
    cJSON *c = x ? cJSON_AddArrayToObject(x, "c") : NULL;
    cJSON *terms = c ? cJSON_AddArrayToObject(x, "terms") : NULL;
    cJSON *ev = terms ? cJSON_AddArrayToObject(x, "ev") : NULL;
    if (!ev) { cJSON_Delete(x); *rc = lmx_err(db, LM_ENOMEM, "out of memory"); return NULL; }
    char *label = NULL;
    if ((*rc = lmx_store_label(&db->store, h->rid, &label))) { cJSON_Delete(x); return NULL; }
    cJSON_AddStringToObject(x, "id", h->info.id);
    cJSON_AddStringToObject(x, "label", label ? label : "");
    free(label);
    cJSON_AddItemToObject(x, "s1", num(s1));
    cJSON_AddItemToObject(x, "p1", num(p1));
    cJSON_AddItemToObject(x, "s2", num(h->score));
    cJSON_AddItemToObject(x, "p2", num(h->prob));
    cJSON_AddBoolToObject(x, "kw", kw);
    for (int j = 0; j < LMX_NCOMP; j++) cJSON_AddItemToArray(c, num(h->comp[j]));
    for (int j = 0; j < h->nterms; j++) cJSON_AddItemToArray(terms, cJSON_CreateString(h->terms[j]));
    for (int j = 0; j < h->nev; j++) {
        cJSON *e = cJSON_CreateArray();
        if (e) {
            cJSON_AddItemToArray(e, cJSON_CreateString(h->ev_id[j]));
            cJSON_AddItemToArray(e, num(h->ev_score[j]));
        }
        cJSON_AddItemToArray(ev, e);
    }
    return x;
}

int lmx_dfs_part(lm_db *db, const lm_opts *o, const lmx_hitlist *hl, const double *s1, const double *p1, int m,
                 const lmx_selected *sel, const char *const *names, char **out)
{
    *out = NULL;
    cJSON *p = cJSON_CreateObject();
    cJSON *cn = p ? cJSON_AddArrayToObject(p, "components") : NULL;
    cJSON *qt = cn ? cJSON_AddArrayToObject(p, "query_terms") : NULL;
    cJSON *hits = qt ? cJSON_AddArrayToObject(p, "hits") : NULL;
    if (!hits) { cJSON_Delete(p); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    cJSON_AddStringToObject(p, "format", LMX_DFS_PART_FORMAT);
    cJSON_AddStringToObject(p, "to", lm_kind_name(db->dfs->to));
    cJSON_AddNumberToObject(p, "m", m);
    for (int j = 0; j < LMX_NCOMP; j++) cJSON_AddItemToArray(cn, cJSON_CreateString(names[j]));
    for (int j = 0; j < sel->n; j++) cJSON_AddItemToArray(qt, cJSON_CreateString(sel->tok[j]));
    /* Every hit that can be among the collection's first m (keyword_match
       read), and of the others the best offset + k by the first pass that
       pass min_probability: no other hit of this shard can be returned. */
    int want = LMX_OI(o, OFFSET) + LMX_OI(o, K), rest = 0, rc = LM_OK;
    double minp = LMX_OD(o, MIN_PROBABILITY);
    for (int i = 0; i < hl->n && !rc; i++) {
        int kw = i < m;
        if (!kw) {
            if (rest >= want) break;
            if (minp > 0 && p1[i] < minp) continue;
            rest++;
        }
        cJSON *x = hit_json(db, &hl->h[i], s1[i], p1[i], kw, &rc);
        if (x) cJSON_AddItemToArray(hits, x);
    }
    if (!rc && !(*out = print(p))) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    cJSON_Delete(p);
    return rc;
}
