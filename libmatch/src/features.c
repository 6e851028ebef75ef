/*
** features.c -- the third stage of matching: the score components of every
** candidate, as a table (features.def), and their fusion into one score.
**
** Each feature has a name, a weight option and a compute function over the
** whole candidate list (some need all candidates, e.g. a normalization or the
** topic vote).  Components measured by the candidate stage itself (the
** cosines) have nothing left to compute.  Fusion and the explanations
** (results.c) read the same table, so a new signal is one line of
** features.def and its function here.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfs.h"
#include "pipeline.h"
#include "analysis.h"

typedef int (*feature_fn)(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl);

/* ---- the components ------------------------------------------------------------- */

/* bm25: BM25 as a share of the query's maximum, (k1 + 1) x the sum of its
   terms' weights: a record holding every query term often enough to
   saturate it would score 1.  Normalized by the query, not by the best hit,
   so that it means the same for every query. */
static int compute_BM25(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int i = 0; i < hl->n; i++) {
        double v = qc->bm25_max > 0 ? hl->h[i].comp[LMX_C_BM25_RAW] / qc->bm25_max : 0;
        hl->h[i].comp[LMX_C_BM25] = v > 1 ? 1 : v;
    }
    return LM_OK;
}

/* fields: the share of the query's domain tags that the hit has. */
static int compute_FIELDS(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int i = 0; i < hl->n && qc->ntags; i++) {
        const lmx_recinfo *r = &hl->h[i].info;
        int n = 0;
        for (int t = 0; t < r->ntags; t++)
            for (int q = 0; q < qc->ntags; q++)
                if (!strcmp(r->tags[t], qc->tags[q])) { n++; break; }
        double v = (double)n / qc->ntags;
        hl->h[i].comp[LMX_C_FIELDS] = v > 1 ? 1 : v;
    }
    return LM_OK;
}

/* Split a Chinese administrative region into its first two levels:
   "陕西省西安市雁塔区" -> "陕西省" | "西安市"; "北京市海淀区" -> "北京市" |
   "海淀区".  A level ends after 省, 市, 区, 县, 州, 盟 or 自治区. */
static int region_levels(const char *s, const char *lv[2], size_t len[2])
{
    static const char *const ends[] = { "自治区", "省", "市", "区", "县", "州", "盟" };
    int n = 0;
    const char *start = s, *p = s;
    while (*p && n < 2) {
        size_t matched = 0;
        for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
            size_t l = strlen(ends[i]);
            if (strncmp(p, ends[i], l) == 0) { matched = l; break; }
        }
        if (matched) {
            p += matched;
            lv[n] = start;
            len[n] = (size_t)(p - start);
            n++;
            start = p;
        } else {
            p++;
        }
    }
    return n;
}

double lmx_region_score(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b) return 0;
    const char *la[2], *lb[2];
    size_t na[2], nb[2];
    int ka = region_levels(a, la, na), kb = region_levels(b, lb, nb);
    if (ka == 0 || kb == 0) return strcmp(a, b) == 0 ? 1.0 : 0.0;
    if (na[0] != nb[0] || memcmp(la[0], lb[0], na[0]) != 0) return 0;
    if (ka >= 2 && kb >= 2 && na[1] == nb[1] && memcmp(la[1], lb[1], na[1]) == 0) return 1.0;
    if (ka == 1 && kb == 1) return 1.0;
    return 0.5;
}

/* region: 1 same city, 0.5 same province, 0 otherwise or unknown. */
static int compute_REGION(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int i = 0; i < hl->n; i++) hl->h[i].comp[LMX_C_REGION] = lmx_region_score(qc->region, hl->h[i].info.region);
    return LM_OK;
}

/* maturity: an achievement's TRL / 9. */
static int compute_MATURITY(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int i = 0; i < hl->n; i++)
        hl->h[i].comp[LMX_C_MATURITY] = hl->h[i].info.kind == LM_ACHIEVEMENT ? hl->h[i].info.maturity / 9.0 : 0;
    return LM_OK;
}

/* evidence: the aggregated relevance of an expert's achievements (candidate
   stage), each on the absolute scale of bm25 (a share of the query's
   maximum); the sum modes are clipped at 1. */
static int compute_EVIDENCE(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int k = 0; k < hl->n; k++) hl->h[k].comp[LMX_C_EVIDENCE] = hl->h[k].ev_total > 1 ? 1 : hl->h[k].ev_total;
    return LM_OK;
}

/*
** topic: the domain tags of the query's best BM25 hits vote for the query's
** domain, each hit with its bm25 (absolute: a weak match votes weakly),
** shared among its tags; a candidate's topic is the vote of its best tag as
** a share of all votes plus LMX_TOPIC_PRIOR (a full-strength vote for "none
** of these"): near 1 when strong hits agree on its domain, small when they
** scatter, vote for another domain, or are few and weak (an off-topic query
** whose one weak hit would otherwise win the whole vote).  Relevant records
** usually share the query's domain even when they share few words with it.
** The candidates found by BM25 come first, in BM25 order.
*/
#define LMX_TOPIC_PRIOR 1.0

typedef lmx_vote vote;

static int compute_TOPIC(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    int ndocs = LMX_OI(o, TOPIC_DOCS);
    if (ndocs <= 0 || LMX_OD(o, W_TOPIC) <= 0 || hl->n == 0 || qc->bm25_max <= 0) return LM_OK;
    vote *votes = NULL;
    int nv = 0;
    int given = lmx_dfs_votes(db, &votes, &nv);      /* distributed: the collection's best hits voted */
    if (given < 0) return lmx_err(db, LM_ENOMEM, "out of memory");
    for (int i = 0; !given && i < hl->n && i < ndocs; i++) {
        const lmx_recinfo *r = &hl->h[i].info;
        double w = hl->h[i].comp[LMX_C_BM25_RAW] / qc->bm25_max / (r->ntags ? r->ntags : 1);
        for (int k = 0; k < r->ntags; k++) {
            int j = 0;
            while (j < nv && strcmp(votes[j].field, r->tags[k])) j++;
            if (j == nv) {
                vote *nvv = realloc(votes, sizeof *votes * (size_t)(nv + 1));
                if (!nvv) { free(votes); return lmx_err(db, LM_ENOMEM, "out of memory"); }
                votes = nvv;
                votes[nv].field = r->tags[k];
                votes[nv].v = 0;
                nv++;
            }
            votes[j].v += w;
        }
    }
    double total = LMX_TOPIC_PRIOR, top = 0;
    for (int j = 0; j < nv; j++) {
        total += votes[j].v;
        if (votes[j].v > top) top = votes[j].v;
    }
    /* The query's context: the winning tag's share, which its voters (among
       the candidates) have; from the vote itself, so that it does not
       depend on which candidates a caller holds. */
    for (int i = 0; i < hl->n; i++) hl->h[i].comp[LMX_C_TOPIC_BEST] = top / total;
    for (int i = 0; i < hl->n && nv > 0; i++) {
        const lmx_recinfo *r = &hl->h[i].info;
        double best = 0;
        for (int k = 0; k < r->ntags; k++)
            for (int j = 0; j < nv; j++)
                if (!strcmp(votes[j].field, r->tags[k]) && votes[j].v > best) best = votes[j].v;
        hl->h[i].comp[LMX_C_TOPIC] = best / total;
    }
    free(votes);
    return LM_OK;
}

/*
** latent_topic: the topic vote without domain tags.  The query's best BM25
** hits (topic_docs of them, each weighted by its bm25 share, as in the topic
** vote) define a centroid in the built-in semantic space; a hit's value is
** its cosine with that centroid, clipped at 0.  Records about the same
** subject as the query's best matches sit near them in the latent space
** even when they share few of the query's words (the cluster hypothesis).
** It stands in for the topic vote where that has nothing to count: only
** when none of the best hits carries a domain tag (topic_best is 0; with
** tags the vote is the sharper signal).  For problems and achievements
** (experts are ranked on their evidence).  Needs a built-in model (the
** loader keeps one: lm_load_jsonl()); 0 without one.  Distributed, the
** centroid is the collection's, made by lm_dfs_context() from the probes'
** vectors (shards are copies of one database: one space).
*/
static int compute_LATENT_TOPIC(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    int ndocs = LMX_OI(o, TOPIC_DOCS);
    if (ndocs <= 0 || LMX_OD(o, W_LATENT_TOPIC) <= 0 || hl->n == 0 || qc->bm25_max <= 0 || qc->to == LM_EXPERT)
        return LM_OK;
    if (hl->h[0].comp[LMX_C_TOPIC_BEST] > 0) return LM_OK;    /* the tags voted (compute_TOPIC) */
    int d = lmx_semantic_dim(&db->store);
    if (d <= 0) return LM_OK;
    const double *given = NULL;
    int gd = 0;
    if (lmx_dfs_latent(db, &given, &gd) && (!given || gd != d))
        return LM_OK;                                /* distributed: the collection's best hits had none */
    int n = hl->n;
    float *V = malloc(sizeof(float) * (size_t)n * (size_t)d);
    double *c = calloc((size_t)d, sizeof(double));
    int64_t *rids = malloc(sizeof(int64_t) * (size_t)n);
    unsigned char *has = malloc((size_t)n);
    int rc = LM_OK;
    if (!V || !c || !rids || !has) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    for (int i = 0; i < n; i++) rids[i] = hl->h[i].rid;
    if ((rc = lmx_semantic_vectors(&db->sem, &db->store, qc->to, rids, n, d, V, has))) goto done;
    if (given) {
        memcpy(c, given, sizeof(double) * (size_t)d);    /* distributed: from the probes (api_dfs.c) */
    } else {
        /* The first ndocs BM25 candidates (they come first, in BM25 order),
           as lm_dfs_context() sums the collection's. */
        for (int i = 0; i < n && i < ndocs; i++) {
            double w = hl->h[i].comp[LMX_C_BM25_RAW] / qc->bm25_max;
            if (!(w > 0)) break;
            if (!has[i]) continue;
            const float *v = V + (size_t)i * (size_t)d;
            for (int k = 0; k < d; k++) c[k] += w * v[k];
        }
    }
    double norm = 0;
    for (int k = 0; k < d; k++) norm += c[k] * c[k];
    if (!(norm > 0)) goto done;
    norm = sqrt(norm);
    for (int i = 0; i < n; i++) {
        if (!has[i]) continue;
        const float *v = V + (size_t)i * (size_t)d;
        double x = 0;
        for (int k = 0; k < d; k++) x += c[k] * v[k];
        x /= norm;
        hl->h[i].comp[LMX_C_LATENT_TOPIC] = x > 0 ? (x < 1 ? x : 1) : 0;
    }
done:
    free(V);
    free(c);
    free(rids);
    free(has);
    return rc;
}

/* cosine, cosine_ext: measured where the neighbours are found
   (candidates.c), clipped at 0. */
#define compute_COSINE NULL
#define compute_COSINE_EXT NULL
/* keyword_match: needs each record's keywords, so it is computed for the
   best hits only (lmx_features_keywords). */
#define compute_KEYWORD_MATCH NULL

/*
** keyword_match: a record's keywords are what it says it is about; when the
** query names one of them (every word of it is among the query's terms) the
** record is likely what is asked for.  named / (keywords + 1): the share of
** the hit's keywords that the query names, smoothed so that one named word
** is not full credit for a record that lists only that one.  Read from the
** indexed keywords column ("；"-joined).
*/
typedef struct { const lmx_qterms *q; int words, found; } kwctx;

static int kw_tok(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    kwctx *c = ctx;
    if (flags & LMX_TOK_COLOCATED) return 0;       /* the main segmentation only */
    c->words++;
    if (lmx_qterms_find(c->q, tok, n) >= 0) c->found++;
    return 0;
}

int lmx_features_keywords(lm_db *db, const lm_opts *o, const lmx_qterms *q, lmx_hitlist *hl, int n)
{
    if (LMX_OD(o, W_KEYWORD_MATCH) <= 0 || !q || q->n == 0) return LM_OK;
    static const char sep[] = "；";
    for (int i = 0; i < hl->n && i < n; i++) {
        lmx_hit *h = &hl->h[i];
        char *texts[3];
        int rc = lmx_store_texts(&db->store, h->info.kind, h->rid, texts);
        if (rc == LM_ENOTFOUND) { lmx_error_clear(&db->err); continue; }
        if (rc) return rc;
        int nkw = 0, named = 0;
        for (char *p = texts[2]; p && *p && !rc;) {
            char *e = strstr(p, sep);
            size_t len = e ? (size_t)(e - p) : strlen(p);
            kwctx c = { q, 0, 0 };
            if (len) rc = lmx_analyze(db->an, p, (int)len, 1, kw_tok, &c);
            if (c.words) {
                nkw++;
                named += c.found == c.words;
            }
            p = e ? e + sizeof sep - 1 : NULL;
        }
        for (int c = 0; c < 3; c++) free(texts[c]);
        if (rc) return lmx_err(db, rc, "analyzing the keywords of '%.200s' failed", h->info.id);
        h->comp[LMX_C_KEYWORD_MATCH] = (double)named / (nkw + 1);
    }
    return LM_OK;
}

/* ---- the table -------------------------------------------------------------------- */

static const struct {
    const char *name;
    int weight;              /* option index of its weight */
    double def;              /* its default weight */
    feature_fn compute;      /* NULL: set by the candidate stage */
} features[LMX_NFEATURES] = {
#define LMX_FEATURE(ID, name, key, def, help) { name, LMX_O_W_##ID, def, compute_##ID },
#include "features.def"
#undef LMX_FEATURE
};

static const char *const comp_names[LMX_NCOMP] = {
#define LMX_FEATURE(ID, name, key, def, help) name,
#include "features.def"
#undef LMX_FEATURE
    "bm25_raw", "coverage", "topic_best", "bm25_best"
};

const char *lmx_comp_name(int j)
{
    return j >= 0 && j < LMX_NCOMP ? comp_names[j] : NULL;
}

const char *const *lmx_comp_names(void) { return comp_names; }

/*
** The query's context, copied onto every hit: how strongly its best hits
** agree on a domain (topic_best: the largest topic share, which is the
** winning tag's share of the vote) and how well its best candidate matches
** its text (bm25_best).  Constant within a query, they cannot reorder its
** hits by themselves; in the match model they say how much a hit's own
** topic and bm25 mean next to the query's best (a moderate bm25 is a
** likely match for a query whose best is moderate too, a weak one beside a
** known item that matches fully), so that one model ranks within a query
** and stays calibrated across queries.
*/
static void query_context(lm_db *db, lmx_hitlist *hl)
{
    /* topic_best: set by the topic vote (compute_TOPIC). */
    double bb = 0;
    if (!lmx_dfs_bm25_best(db, &bb))             /* distributed: the collection's best (dfs.c) */
        for (int i = 0; i < hl->n; i++)
            if (hl->h[i].comp[LMX_C_BM25] > bb) bb = hl->h[i].comp[LMX_C_BM25];
    for (int i = 0; i < hl->n; i++) hl->h[i].comp[LMX_C_BM25_BEST] = bb;
}

int lmx_features(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int f = 0; f < LMX_NFEATURES; f++) {
        if (!features[f].compute) continue;
        int rc = features[f].compute(db, o, qc, hl);
        if (rc) return rc;
    }
    query_context(db, hl);
    return LM_OK;
}

/*
** Reciprocal rank fusion: each component ranks the candidates on its own
** (ties share the better rank; a zero value does not rank), and the score is
** sum_c w_c / (60 + rank_c).  Scale-free, so no normalization is needed.
*/
static void fuse_rrf(const lm_opts *o, lmx_hitlist *hl)
{
    for (int i = 0; i < hl->n; i++) hl->h[i].score = 0;
    for (int c = 0; c < LMX_NFEATURES; c++) {
        double w = o->v[features[c].weight];
        if (w <= 0) continue;
        for (int i = 0; i < hl->n; i++) {
            double v = hl->h[i].comp[c];
            if (v <= 0) continue;
            int rank = 1;
            for (int j = 0; j < hl->n; j++) rank += hl->h[j].comp[c] > v;
            hl->h[i].score += w / (60.0 + rank);
        }
    }
}

void lmx_model_gates(const lm_opts *o, double gate[LMX_NCOMP])
{
    for (int c = 0; c < LMX_NCOMP; c++)
        gate[c] = c < LMX_NFEATURES && features[c].def > 0 ? o->v[features[c].weight] / features[c].def : 1.0;
    /* The query's context goes with its component: w_topic = 0 turns off
       the topic and the query's best topic alike. */
    gate[LMX_C_TOPIC_BEST] = gate[LMX_C_TOPIC];
    gate[LMX_C_BM25_BEST] = gate[LMX_C_BM25];
}

void lmx_fuse(const lmx_model *m, const lm_opts *o, lmx_hitlist *hl, int set_score)
{
    /* A component's say in the model: its weight relative to the default. */
    double gate[LMX_NCOMP];
    lmx_model_gates(o, gate);
    for (int i = 0; i < hl->n; i++)
        hl->h[i].prob = lmx_sigmoid(lmx_model_logit(m, hl->h[i].info.kind == LM_EXPERT, hl->h[i].comp, gate));
    if (!set_score) return;
    if (LMX_OI(o, FUSION) == LM_FUSION_RRF) { fuse_rrf(o, hl); return; }
    for (int i = 0; i < hl->n; i++) {
        double s = 0;
        if (LMX_OI(o, FUSION) == LM_FUSION_MODEL) s = hl->h[i].prob;
        else
            for (int c = 0; c < LMX_NFEATURES; c++) s += o->v[features[c].weight] * hl->h[i].comp[c];
        hl->h[i].score = s;
    }
}

/* ---- the model ----------------------------------------------------------------------- */

#include "model_default.h"

const lmx_model *lmx_model_builtin(void) { return &default_model; }

int lmx_model_active(lm_db *db, const lmx_model **out, int *custom)
{
    lmx_model_cache *mc = &db->model;
    lmx_stamp now = lmx_store_stamp(&db->store, 0);
    if (!mc->loaded || !lmx_stamp_eq(mc->stamp, now)) {
        /* "model" in meta: the database's own model (lm_learn), JSON. */
        size_t cap = 16384;
        char *buf = malloc(cap), err[256];
        if (!buf) return lmx_err(db, LM_ENOMEM, "out of memory");
        int have = lmx_store_meta_get(&db->store, "model", buf, cap);
        if (have < 0) { free(buf); return db->err.code ? db->err.code : LM_EDB; }
        if (have > 0) {
            int rc = lmx_model_parse(buf, comp_names, LMX_NCOMP, &mc->m, err, sizeof err);
            free(buf);
            if (rc) return lmx_err(db, LM_EDB, "the database's match model is unreadable: %s "
                                               "(lm_model_reset() restores the default)", err);
            mc->custom = 1;
        } else {
            free(buf);
            mc->m = default_model;
            mc->custom = 0;
        }
        mc->stamp = now;
        mc->loaded = 1;
    }
    *out = &mc->m;
    if (custom) *custom = mc->custom;
    return LM_OK;
}
