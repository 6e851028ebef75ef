/*
** api_dfs.c -- the public calls of distributed matching (libmatch.h,
** "Distributed matching"): collection statistics (export, merge, set), the
** DFS phases of a match call, and the coordinator's two steps: the context
** made from every shard's probe, and the exact merge of the shards' parts.
** The pipeline's side is dfs.c; the statistics are gstats.c.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "util.h"
#include "db.h"
#include "dfs.h"
#include "gstats.h"
#include "options.h"
#include "pipeline.h"
#include "results.h"

/* ---- statistics ------------------------------------------------------------------ */

static int stats_export(lm_db *db, int kind, char **out)
{
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (kind && !lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d", kind);
    int began = lmx_store_read_begin(&db->store);
    int rc = lmx_gstats_export(&db->store, &db->bm25, lmx_analyzer_id(db->an), kind, out);
    lmx_store_read_end(&db->store, began);
    return rc ? rc : lmx_ok(db);
}

LM_API int lm_stats_export(lm_db *db, int kind, char **out)
{
    LMX_GUARDED_READ(db, stats_export(db, kind, out));
}

static int stats_merge(lm_db *db, const char *const *parts, int n, char **out)
{
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (!parts || n < 1) return lmx_err(db, LM_EINVAL, "no statistics to merge (%d parts)", n);
    int rc = lmx_gstats_merge(parts, n, out, &db->err);
    return rc ? rc : lmx_ok(db);
}

LM_API int lm_stats_merge(lm_db *db, const char *const *parts, int n, char **out)
{
    LMX_GUARDED(db, stats_merge(db, parts, n, out));
}

static int set_global_stats(lm_db *db, const char *json)
{
    if (!json) {
        lmx_gstats_free(db->gstats);
        free(db->gstats);
        db->gstats = NULL;
        return lmx_ok(db);
    }
    lmx_gstats *gs = malloc(sizeof *gs);
    if (!gs) return lmx_err(db, LM_ENOMEM, "out of memory");
    int rc = lmx_gstats_parse(json, gs, &db->err);
    if (!rc && strcmp(gs->analyzer, lmx_analyzer_id(db->an)))
        rc = lmx_err(db, LM_EMISMATCH, "statistics: \"analyzer\" is \"%.200s\", but this database's is \"%.200s\": "
                     "statistics of another analyzer or mode cannot score here", gs->analyzer, lmx_analyzer_id(db->an));
    if (rc) { lmx_gstats_free(gs); free(gs); return rc; }
    lmx_gstats_free(db->gstats);
    free(db->gstats);
    db->gstats = gs;
    return lmx_ok(db);
}

LM_API int lm_set_global_stats(lm_db *db, const char *json)
{
    LMX_GUARDED(db, set_global_stats(db, json));
}

void lmx_api_dfs_close(lm_db *db)
{
    lmx_gstats_free(db->gstats);
    free(db->gstats);
    db->gstats = NULL;
}

/* ---- cutting a shard ------------------------------------------------------------------ */

typedef struct { char **ids; int64_t n, cap; int64_t lo, hi, pos; int oom; } cutctx;

static int cut_collect(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    cutctx *c = ctx;
    int64_t p = c->pos++;
    if (p >= c->lo && p < c->hi) return 0;
    if (c->n == c->cap) {
        int64_t nc = c->cap ? 2 * c->cap : 1024;
        char **ni = realloc(c->ids, sizeof *ni * (size_t)nc);
        if (!ni) { c->oom = 1; return 1; }
        c->ids = ni;
        c->cap = nc;
    }
    if (!(c->ids[c->n] = lmx_strdup(id))) { c->oom = 1; return 1; }
    c->n++;
    return 0;
}

static int dfs_cut(lm_db *db, int kind, int64_t lo, int64_t hi)
{
    if (!lm_kind_name(kind)) return lmx_err(db, LM_EINVAL, "unknown kind %d", kind);
    if (lo < 0 || hi < lo) return lmx_err(db, LM_ERANGE, "the block [%lld, %lld) is not a range of positions",
                                          (long long)lo, (long long)hi);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    cutctx c = { NULL, 0, 0, lo, hi, 0, 0 };
    int rc = lmx_store_write_begin(&db->store);
    if (!rc) rc = lmx_store_scan_records(&db->store, kind, cut_collect, &c);
    if (c.oom) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    for (int64_t i = 0; i < c.n && !rc; i++) rc = lmx_store_delete(&db->store, kind, c.ids[i]);
    if (!rc) rc = lmx_store_commit(&db->store);
    else lmx_store_rollback(&db->store);
    for (int64_t i = 0; i < c.n; i++) free(c.ids[i]);
    free(c.ids);
    return rc ? rc : lmx_ok(db);
}

LM_API int lm_dfs_cut(lm_db *db, int kind, int64_t lo, int64_t hi)
{
    LMX_GUARDED(db, dfs_cut(db, kind, lo, hi));
}

/* ---- the phases of a call ------------------------------------------------------------ */

LM_API int lm_opts_set_dfs(lm_opts *o, int phase, const char *context)
{
    if (!o) return LM_EINVAL;
    if (phase < LM_DFS_OFF || phase > LM_DFS_SHARD) {
        snprintf(o->err, sizeof o->err, "DFS phase %d is not LM_DFS_OFF, LM_DFS_PROBE or LM_DFS_SHARD", phase);
        return LM_ERANGE;
    }
    if (phase == LM_DFS_SHARD && !context) {
        snprintf(o->err, sizeof o->err, "DFS phase LM_DFS_SHARD needs the context of lm_dfs_context() (NULL)");
        return LM_EINVAL;
    }
    if (context && !lmx_utf8_valid(context, strlen(context), NULL)) {
        snprintf(o->err, sizeof o->err, "the DFS context is not valid UTF-8");
        return LM_EINVAL_UTF8;
    }
    char *copy = context && phase == LM_DFS_SHARD ? lmx_strdup(context) : NULL;
    if (context && phase == LM_DFS_SHARD && !copy) return LM_ENOMEM;
    free(o->dfs_ctx);
    o->dfs_ctx = copy;
    o->dfs_phase = phase;
    snprintf(o->err, sizeof o->err, "not an error");
    return LM_OK;
}

/* ---- the coordinator: the context -------------------------------------------------------- */

typedef struct { double s; int64_t rid; const cJSON *tags, *vec; } entry;

static int by_score_rid(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? 1 : -1;
    return (x->rid > y->rid) - (x->rid < y->rid);
}

static int rid_dup(entry *e, int n)
{
    for (int i = 1; i < n; i++)
        if (e[i].rid == e[i - 1].rid && e[i].s == e[i - 1].s) return 1;
    return 0;
}

/* An integer member of a probe or part, the same in every one. */
static int same_int(lm_db *db, const cJSON *o, const char *name, int i, int64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(x) || x->valuedouble != floor(x->valuedouble) || x->valuedouble < 0)
        return lmx_err(db, LM_ERECORD, "part %d: \"%s\" must be a whole number >= 0", i + 1, name);
    if (i > 0 && *v != (int64_t)x->valuedouble)
        return lmx_err(db, LM_EMISMATCH, "part %d: \"%s\" is %lld, not %lld as part 1: the shards ran with other options",
                       i + 1, name, (long long)x->valuedouble, (long long)*v);
    *v = (int64_t)x->valuedouble;
    return LM_OK;
}

/* The format and target kind of a probe or part; the kind the same in all. */
static int check_head(lm_db *db, const cJSON *o, const char *format, int i, int *to)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "format"), *k = cJSON_GetObjectItemCaseSensitive(o, "to");
    if (!cJSON_IsObject(o) || !cJSON_IsString(f) || strcmp(f->valuestring, format))
        return lmx_err(db, LM_ERECORD, "part %d: \"format\" must be \"%s\"", i + 1, format);
    int kind = cJSON_IsString(k) ? lm_kind_from_name(k->valuestring) : 0;
    if (!kind) return lmx_err(db, LM_ERECORD, "part %d: \"to\" must be a kind name", i + 1);
    if (i > 0 && kind != *to)
        return lmx_err(db, LM_EMISMATCH, "part %d: \"to\" is \"%s\", not \"%s\" as part 1", i + 1, k->valuestring,
                       lm_kind_name(*to));
    *to = kind;
    return LM_OK;
}

/* Append the [score, row id] pairs of array a (nth element of probe i). */
static int read_pairs(lm_db *db, const cJSON *a, const char *name, int i, const cJSON *tags, int ntags,
                      const cJSON *vecs, int ld, entry **e, int *n, int *cap)
{
    if (!cJSON_IsArray(a)) return lmx_err(db, LM_ERECORD, "part %d: \"%s\" must be an array of [score, row id]", i + 1, name);
    const cJSON *p;
    int j = 0;
    cJSON_ArrayForEach(p, a) {
        const cJSON *s = cJSON_GetArrayItem(p, 0), *r = cJSON_GetArrayItem(p, 1);
        if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 || !cJSON_IsNumber(s) || !isfinite(s->valuedouble) ||
            !cJSON_IsNumber(r) || r->valuedouble != floor(r->valuedouble) || r->valuedouble < 1)
            return lmx_err(db, LM_ERECORD, "part %d: \"%s\"[%d] must be [score, row id]", i + 1, name, j);
        if (*n == *cap) {
            int nc = *cap ? 2 * *cap : 256;
            entry *ne = realloc(*e, sizeof *ne * (size_t)nc);
            if (!ne) return lmx_err(db, LM_ENOMEM, "out of memory");
            *e = ne;
            *cap = nc;
        }
        const cJSON *t = j < ntags ? cJSON_GetArrayItem(tags, j) : NULL;
        if (t && !cJSON_IsArray(t)) return lmx_err(db, LM_ERECORD, "part %d: \"tags\"[%d] must be an array", i + 1, j);
        const cJSON *v = vecs && j < cJSON_GetArraySize(vecs) ? cJSON_GetArrayItem(vecs, j) : NULL;
        if (v && cJSON_IsNull(v)) v = NULL;
        if (v && (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != ld))
            return lmx_err(db, LM_ERECORD, "part %d: \"vectors\"[%d] must be null or %d numbers", i + 1, j, ld);
        (*e)[(*n)++] = (entry){ s->valuedouble, (int64_t)r->valuedouble, t, v };
        j++;
    }
    return LM_OK;
}

static cJSON *num(double v)
{
    char b[40];
    lmx_json_double(b, v);
    return cJSON_CreateRaw(b);
}

static cJSON *cut(const entry *e)
{
    cJSON *a = cJSON_CreateArray();
    if (a) {
        cJSON_AddItemToArray(a, num(e->s));
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)e->rid));
    }
    return a;
}

static int dfs_context(lm_db *db, const char *const *probes, int n, char **out)
{
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (!probes || n < 1) return lmx_err(db, LM_EINVAL, "no probes (%d)", n);
    cJSON **p = calloc((size_t)n, sizeof *p);
    entry *bm = NULL, *dn = NULL;
    int nbm = 0, cbm = 0, ndn = 0, cdn = 0, to = 0, rc = LM_OK;
    int64_t limit = 0, tdocs = 0, dcand = 0, ldims = 0;
    double bmax = 0;
    cJSON *ctx = NULL;
    if (!p) return lmx_err(db, LM_ENOMEM, "out of memory");
    for (int i = 0; i < n && !rc; i++) {
        if (!probes[i]) { rc = lmx_err(db, LM_EINVAL, "part %d: NULL", i + 1); break; }
        if (!(p[i] = cJSON_Parse(probes[i]))) { rc = lmx_err(db, LM_EJSON, "part %d: not JSON", i + 1); break; }
        if ((rc = check_head(db, p[i], LMX_DFS_PROBE_FORMAT, i, &to))) break;
        if ((rc = same_int(db, p[i], "limit", i, &limit)) || (rc = same_int(db, p[i], "topic_docs", i, &tdocs)) ||
            (rc = same_int(db, p[i], "dense_candidates", i, &dcand)))
            break;
        const cJSON *bx = cJSON_GetObjectItemCaseSensitive(p[i], "bm25_max");
        if (!cJSON_IsNumber(bx) || !isfinite(bx->valuedouble)) { rc = lmx_err(db, LM_ERECORD, "part %d: \"bm25_max\" must be a number", i + 1); break; }
        if (i > 0 && bx->valuedouble != bmax) {
            rc = lmx_err(db, LM_EMISMATCH, "part %d: \"bm25_max\" differs from part 1's: the shards scored with other "
                         "statistics (give every shard the same lm_set_global_stats())", i + 1);
            break;
        }
        bmax = bx->valuedouble;
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(p[i], "tags");
        if (!cJSON_IsArray(tags)) { rc = lmx_err(db, LM_ERECORD, "part %d: \"tags\" must be an array", i + 1); break; }
        /* The latent topic: the probes' semantic vectors of their first
           topic_docs hits, one dimension for all (one space). */
        const cJSON *ldim = cJSON_GetObjectItemCaseSensitive(p[i], "latent_dim");
        const cJSON *vecs = cJSON_GetObjectItemCaseSensitive(p[i], "vectors");
        int64_t ld = cJSON_IsNumber(ldim) ? (int64_t)ldim->valuedouble : 0;
        if (ld < 0 || ld > LM_MAX_DIM || (ldim && (!cJSON_IsNumber(ldim) || ldim->valuedouble != (double)ld))) {
            rc = lmx_err(db, LM_ERECORD, "part %d: \"latent_dim\" must be an integer in 0..%d", i + 1, LM_MAX_DIM);
            break;
        }
        if (i > 0 && ld != ldims) {
            rc = lmx_err(db, LM_EMISMATCH, "part %d: \"latent_dim\" %lld differs from part 1's %lld: the shards are "
                         "not copies of one database (their semantic spaces differ)", i + 1, (long long)ld,
                         (long long)ldims);
            break;
        }
        ldims = ld;
        if (ld > 0 && !cJSON_IsArray(vecs)) { rc = lmx_err(db, LM_ERECORD, "part %d: \"vectors\" must be an array", i + 1); break; }
        if ((rc = read_pairs(db, cJSON_GetObjectItemCaseSensitive(p[i], "bm25"), "bm25", i, tags,
                             cJSON_GetArraySize(tags), ld > 0 ? vecs : NULL, (int)ld, &bm, &nbm, &cbm)))
            break;
        rc = read_pairs(db, cJSON_GetObjectItemCaseSensitive(p[i], "dense"), "dense", i, NULL, 0, NULL, 0, &dn, &ndn,
                        &cdn);
    }
    if (!rc) {
        if (nbm) qsort(bm, (size_t)nbm, sizeof *bm, by_score_rid);
        if (ndn) qsort(dn, (size_t)ndn, sizeof *dn, by_score_rid);
        if (rid_dup(bm, nbm) || rid_dup(dn, ndn))
            rc = lmx_err(db, LM_EINVAL, "a row id is in two probes: the shards overlap");
    }
    cJSON *votes = NULL;
    if (!rc) {
        ctx = cJSON_CreateObject();
        votes = ctx ? cJSON_AddArrayToObject(ctx, "votes") : NULL;
        if (!votes) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    }
    if (!rc) {
        cJSON_AddStringToObject(ctx, "format", LMX_DFS_CONTEXT_FORMAT);
        cJSON_AddStringToObject(ctx, "to", lm_kind_name(to));
        cJSON_AddItemToObject(ctx, "bm25_cut", nbm > limit && limit > 0 ? cut(&bm[limit - 1]) : cJSON_CreateNull());
        cJSON_AddItemToObject(ctx, "dense_cut", ndn > dcand && dcand > 0 ? cut(&dn[dcand - 1]) : cJSON_CreateNull());
        /* The query's context: its best candidate's bm25 component, as
           features.c's compute_BM25() computes it (a share of the query's
           maximum, at most 1). */
        double best = nbm && bmax > 0 ? bm[0].s / bmax : 0;
        cJSON_AddItemToObject(ctx, "bm25_best", num(best > 1 ? 1 : best));
        /* The topic vote of the collection's best hits (among its candidates:
           the first `limit`), as features.c's compute_TOPIC() counts it over
           one database's: in their order, each hit's bm25 share divided
           among its tags. */
        lmx_vote *v = NULL;
        int nv = 0;
        for (int i = 0; i < nbm && i < tdocs && i < limit && bmax > 0 && !rc; i++) {
            int nt = bm[i].tags ? cJSON_GetArraySize(bm[i].tags) : 0;
            double w = bm[i].s / bmax / (nt ? nt : 1);
            const cJSON *t;
            cJSON_ArrayForEach(t, bm[i].tags) {
                if (!cJSON_IsString(t)) { rc = lmx_err(db, LM_ERECORD, "a probe's \"tags\" must hold strings"); break; }
                int j = 0;
                while (j < nv && strcmp(v[j].field, t->valuestring)) j++;
                if (j == nv) {
                    lmx_vote *nvv = realloc(v, sizeof *v * (size_t)(nv + 1));
                    if (!nvv) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
                    v = nvv;
                    v[nv].field = t->valuestring;
                    v[nv].v = 0;
                    nv++;
                }
                v[j].v += w;
            }
        }
        for (int j = 0; j < nv && !rc; j++) {
            cJSON *a = cJSON_CreateArray();
            if (a) {
                cJSON_AddItemToArray(a, cJSON_CreateString(v[j].field));
                cJSON_AddItemToArray(a, num(v[j].v));
            }
            cJSON_AddItemToArray(votes, a);
        }
        free(v);
        /* The latent topic where no tag voted: the centroid of the
           collection's best hits' vectors, each weighted by its bm25 share,
           in their order, as features.c's compute_LATENT_TOPIC() sums one
           database's. */
        double *c = !rc && nv == 0 && ldims > 0 ? calloc((size_t)ldims, sizeof(double)) : NULL;
        int voters = 0;
        for (int i = 0; c && i < nbm && i < tdocs && i < limit && bmax > 0 && !rc; i++) {
            double w = bm[i].s / bmax;
            if (!(w > 0)) break;
            if (!bm[i].vec) continue;
            int k = 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, bm[i].vec) {
                if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
                    rc = lmx_err(db, LM_ERECORD, "a probe's \"vectors\" must hold numbers");
                    break;
                }
                c[k++] += w * (double)(float)x->valuedouble;
            }
            voters++;
        }
        cJSON *lat = voters && !rc ? cJSON_CreateArray() : cJSON_CreateNull();
        for (int k = 0; voters && !rc && lat && k < ldims; k++) cJSON_AddItemToArray(lat, num(c[k]));
        cJSON_AddItemToObject(ctx, "latent", lat);
        free(c);
    }
    if (!rc) {
        char *s = cJSON_PrintUnformatted(ctx);
        if (!s || !(*out = lmx_strdup(s))) rc = lmx_err(db, LM_ENOMEM, "out of memory");
        cJSON_free(s);
    }
    cJSON_Delete(ctx);
    for (int i = 0; i < n; i++) cJSON_Delete(p[i]);
    free(p);
    free(bm);
    free(dn);
    return rc ? rc : lmx_ok(db);
}

LM_API int lm_dfs_context(lm_db *db, const char *const *probes, int n, char **out)
{
    LMX_GUARDED(db, dfs_context(db, probes, n, out));
}

/* ---- the coordinator: the merge ------------------------------------------------------------ */

typedef struct { lmx_hit h; double s1, p1, s2, p2; int kw; } mhit;

static int by_first_pass(const void *a, const void *b)
{
    const mhit *x = a, *y = b;
    if (x->s1 != y->s1) return x->s1 < y->s1 ? 1 : -1;
    if (x->h.comp[LMX_C_BM25_RAW] != y->h.comp[LMX_C_BM25_RAW])
        return x->h.comp[LMX_C_BM25_RAW] < y->h.comp[LMX_C_BM25_RAW] ? 1 : -1;
    return strcmp(x->h.info.id, y->h.info.id);
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(const mhit *const *)a)->h.info.id, (*(const mhit *const *)b)->h.info.id);
}

static int read_hit(lm_db *db, const cJSON *x, int to, int i, int j, mhit *m)
{
    memset(m, 0, sizeof *m);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id"), *label = cJSON_GetObjectItemCaseSensitive(x, "label");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(x, "c"), *terms = cJSON_GetObjectItemCaseSensitive(x, "terms");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(x, "ev"), *kw = cJSON_GetObjectItemCaseSensitive(x, "kw");
    const char *names[4] = { "s1", "p1", "s2", "p2" };
    double *vals[4] = { &m->s1, &m->p1, &m->s2, &m->p2 };
    if (!cJSON_IsString(id) || !cJSON_IsString(label) || !cJSON_IsBool(kw))
        return lmx_err(db, LM_ERECORD, "part %d: hit %d needs \"id\", \"label\" (strings) and \"kw\" (true/false)", i + 1, j);
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, names[k]);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return lmx_err(db, LM_ERECORD, "part %d: hit %d: \"%s\" must be a number", i + 1, j, names[k]);
        *vals[k] = v->valuedouble;
    }
    if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != LMX_NCOMP)
        return lmx_err(db, LM_ERECORD, "part %d: hit %d: \"c\" must hold %d components", i + 1, j, LMX_NCOMP);
    for (int k = 0; k < LMX_NCOMP; k++) {
        const cJSON *v = cJSON_GetArrayItem(c, k);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return lmx_err(db, LM_ERECORD, "part %d: hit %d: \"c\"[%d] must be a number", i + 1, j, k);
        m->h.comp[k] = v->valuedouble;
    }
    if (!cJSON_IsArray(terms) || !cJSON_IsArray(ev))
        return lmx_err(db, LM_ERECORD, "part %d: hit %d: \"terms\" and \"ev\" must be arrays", i + 1, j);
    m->kw = cJSON_IsTrue(kw);
    m->h.info.kind = to;
    if (!(m->h.info.id = lmx_strdup(id->valuestring)) || !(m->h.label = lmx_strdup(label->valuestring)))
        return lmx_err(db, LM_ENOMEM, "out of memory");
    const cJSON *t;
    cJSON_ArrayForEach(t, terms) {
        if (!cJSON_IsString(t)) return lmx_err(db, LM_ERECORD, "part %d: hit %d: \"terms\" must hold strings", i + 1, j);
        if (lmx_hit_add_term(&m->h, t->valuestring)) return lmx_err(db, LM_ENOMEM, "out of memory");
    }
    cJSON_ArrayForEach(t, ev) {
        const cJSON *a = cJSON_GetArrayItem(t, 0), *b = cJSON_GetArrayItem(t, 1);
        if (!cJSON_IsString(a) || !cJSON_IsNumber(b))
            return lmx_err(db, LM_ERECORD, "part %d: hit %d: \"ev\" must hold [id, score]", i + 1, j);
        if (m->h.nev >= LMX_MAX_EVIDENCE) break;
        if (!(m->h.ev_id[m->h.nev] = lmx_strdup(a->valuestring))) return lmx_err(db, LM_ENOMEM, "out of memory");
        m->h.ev_score[m->h.nev++] = b->valuedouble;
    }
    return LM_OK;
}

static int dfs_merge(lm_db *db, const char *const *parts, int n, const lm_opts *o, lm_results **out)
{
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (!parts || n < 1) return lmx_err(db, LM_EINVAL, "no parts (%d)", n);
    lm_opts defaults;
    if (!o) { lmx_opts_defaults(&defaults); o = &defaults; }
    const char *const *names = lmx_comp_names();
    mhit *m = NULL;
    int nm = 0, cm = 0, to = 0, rc = LM_OK;
    int64_t mkw = 0;
    lmx_selected sel = {0};
    lmx_hitlist hl = {0};
    for (int i = 0; i < n && !rc; i++) {
        cJSON *p = parts[i] ? cJSON_Parse(parts[i]) : NULL;
        if (!p) { rc = lmx_err(db, parts[i] ? LM_EJSON : LM_EINVAL, "part %d: %s", i + 1, parts[i] ? "not JSON" : "NULL"); break; }
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(p, "components");
        const cJSON *qt = cJSON_GetObjectItemCaseSensitive(p, "query_terms");
        const cJSON *hits = cJSON_GetObjectItemCaseSensitive(p, "hits"), *x;
        if (!(rc = check_head(db, p, LMX_DFS_PART_FORMAT, i, &to)) && !(rc = same_int(db, p, "m", i, &mkw))) {
            int same = cJSON_IsArray(cn) && cJSON_GetArraySize(cn) == LMX_NCOMP;
            for (int k = 0; same && k < LMX_NCOMP; k++) {
                const cJSON *s = cJSON_GetArrayItem(cn, k);
                same = cJSON_IsString(s) && !strcmp(s->valuestring, names[k]);
            }
            if (!same)
                rc = lmx_err(db, LM_EMISMATCH, "part %d: \"components\" are not this library's (a shard of another version?)", i + 1);
            else if (!cJSON_IsArray(qt) || !cJSON_IsArray(hits))
                rc = lmx_err(db, LM_ERECORD, "part %d: \"query_terms\" and \"hits\" must be arrays", i + 1);
        }
        if (!rc && i > 0) {
            /* the same query: the same terms, in the same order */
            int same = cJSON_GetArraySize(qt) == sel.n;
            for (int k = 0; same && k < sel.n; k++) {
                const cJSON *t = cJSON_GetArrayItem(qt, k);
                same = cJSON_IsString(t) && !strcmp(t->valuestring, sel.tok[k]);
            }
            if (!same) rc = lmx_err(db, LM_EMISMATCH, "part %d: \"query_terms\" differ from part 1's: parts of "
                                    "another query, or of shards with other statistics", i + 1);
        }
        if (!rc && i == 0) {
            int nq = cJSON_GetArraySize(qt);
            if (!(sel.tok = calloc((size_t)(nq ? nq : 1), sizeof *sel.tok))) rc = lmx_err(db, LM_ENOMEM, "out of memory");
            cJSON_ArrayForEach(x, qt) {
                if (rc) break;
                if (!cJSON_IsString(x)) rc = lmx_err(db, LM_ERECORD, "part 1: \"query_terms\" must hold strings");
                else if (!(sel.tok[sel.n++] = lmx_strdup(x->valuestring))) rc = lmx_err(db, LM_ENOMEM, "out of memory");
            }
        }
        int j = 0;
        cJSON_ArrayForEach(x, hits) {
            if (rc) break;
            if (nm == cm) {
                int nc = cm ? 2 * cm : 256;
                mhit *nmh = realloc(m, sizeof *nmh * (size_t)nc);
                if (!nmh) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
                m = nmh;
                cm = nc;
            }
            rc = read_hit(db, x, to, i, j++, &m[nm]);
            nm++;                            /* freed below whatever happened */
        }
        cJSON_Delete(p);
    }
    if (!rc && nm > 1) {
        mhit **byid = malloc(sizeof *byid * (size_t)nm);
        if (!byid) rc = lmx_err(db, LM_ENOMEM, "out of memory");
        for (int i = 0; byid && i < nm; i++) byid[i] = &m[i];
        if (byid) qsort(byid, (size_t)nm, sizeof *byid, by_id);
        for (int i = 1; byid && i < nm && !rc; i++)
            if (!strcmp(byid[i]->h.info.id, byid[i - 1]->h.info.id))
                rc = lmx_err(db, LM_EINVAL, "hit '%.200s' is in two parts: the shards overlap", byid[i]->h.info.id);
        free(byid);
    }
    if (!rc) {
        /* keyword_match counts for the collection's first m hits of the
           first pass only; every other hit keeps its first-pass score. */
        if (nm) qsort(m, (size_t)nm, sizeof *m, by_first_pass);
        for (int i = 0; i < nm; i++) {
            int kw = i < mkw;
            m[i].h.score = kw ? m[i].s2 : m[i].s1;
            m[i].h.prob = kw ? m[i].p2 : m[i].p1;
            if (!kw) m[i].h.comp[LMX_C_KEYWORD_MATCH] = 0;
        }
        double minp = LMX_OD(o, MIN_PROBABILITY);
        int from = LMX_OI(o, OFFSET), k = LMX_OI(o, K);
        for (int i = 0; i < nm && !rc; i++) {
            lmx_hit *h = lmx_hitlist_push(&hl);
            if (!h) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
            *h = m[i].h;
            memset(&m[i].h, 0, sizeof m[i].h);
        }
        if (!rc && hl.n) qsort(hl.h, (size_t)hl.n, sizeof *hl.h, lmx_hit_cmp);
        int w = 0, seen = 0;
        for (int i = 0; i < hl.n; i++) {
            int keep = !(minp > 0 && hl.h[i].prob < minp);
            if (keep) keep = seen++ >= from && w < k;
            if (keep) hl.h[w++] = hl.h[i];
            else lmx_hit_free(&hl.h[i]);
        }
        hl.n = w;
    }
    if (!rc && lmx_results_new(&hl, &sel, out)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    for (int i = 0; i < nm; i++) lmx_hit_free(&m[i].h);
    free(m);
    lmx_hitlist_free(&hl);
    lmx_selected_free(&sel);
    return rc ? rc : lmx_ok(db);
}

LM_API int lm_dfs_merge(lm_db *db, const char *const *parts, int n, const lm_opts *o, lm_results **out)
{
    LMX_GUARDED(db, dfs_merge(db, parts, n, o, out));
}
