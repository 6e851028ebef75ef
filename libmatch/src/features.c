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
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

typedef int (*feature_fn)(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl);

/* ---- the components ------------------------------------------------------------- */

/* bm25: BM25 divided by the best candidate's. */
static int compute_BM25(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    double max = 0;
    for (int i = 0; i < hl->n; i++)
        if (hl->h[i].comp[LMX_C_BM25_RAW] > max) max = hl->h[i].comp[LMX_C_BM25_RAW];
    for (int i = 0; i < hl->n; i++)
        hl->h[i].comp[LMX_C_BM25] = max > 0 ? hl->h[i].comp[LMX_C_BM25_RAW] / max : 0;
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
   stage), divided by the best expert's. */
static int compute_EVIDENCE(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    double max = 0;
    for (int k = 0; k < hl->n; k++)
        if (hl->h[k].ev_total > max) max = hl->h[k].ev_total;
    for (int k = 0; k < hl->n; k++) hl->h[k].comp[LMX_C_EVIDENCE] = max > 0 ? hl->h[k].ev_total / max : 0;
    return LM_OK;
}

/*
** topic: the domain tags of the query's best BM25 hits vote for the query's
** domain, each hit by its normalized score shared among its tags; a
** candidate's topic is the vote of its best tag, divided by the top vote.
** Relevant records usually share the query's domain even when they share few
** words with it.  The candidates found by BM25 come first, in BM25 order.
*/
typedef struct { const char *field; double v; } vote;

static int compute_TOPIC(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    int ndocs = LMX_OI(o, TOPIC_DOCS);
    if (ndocs <= 0 || LMX_OD(o, W_TOPIC) <= 0 || hl->n == 0) return LM_OK;
    double maxbm = hl->h[0].comp[LMX_C_BM25_RAW];
    if (maxbm <= 0) return LM_OK;
    vote *votes = NULL;
    int nv = 0;
    for (int i = 0; i < hl->n && i < ndocs; i++) {
        const lmx_recinfo *r = &hl->h[i].info;
        double w = hl->h[i].comp[LMX_C_BM25_RAW] / maxbm / (r->ntags ? r->ntags : 1);
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
    double top = 0;
    for (int j = 0; j < nv; j++) if (votes[j].v > top) top = votes[j].v;
    for (int i = 0; i < hl->n && top > 0; i++) {
        const lmx_recinfo *r = &hl->h[i].info;
        double best = 0;
        for (int k = 0; k < r->ntags; k++)
            for (int j = 0; j < nv; j++)
                if (!strcmp(votes[j].field, r->tags[k]) && votes[j].v > best) best = votes[j].v;
        hl->h[i].comp[LMX_C_TOPIC] = best / top;
    }
    free(votes);
    return LM_OK;
}

/* cosine, cosine_ext: measured where the neighbours are found
   (candidates.c), clipped at 0. */
#define compute_COSINE NULL
#define compute_COSINE_EXT NULL

/* ---- the table -------------------------------------------------------------------- */

static const struct {
    const char *name;
    int weight;              /* option index of its weight */
    feature_fn compute;      /* NULL: set by the candidate stage */
} features[LMX_NFEATURES] = {
#define LMX_FEATURE(ID, name, key, def, help) { name, LMX_O_W_##ID, compute_##ID },
#include "features.def"
#undef LMX_FEATURE
};

const char *lmx_comp_name(int j)
{
    if (j >= 0 && j < LMX_NFEATURES) return features[j].name;
    return j == LMX_C_BM25_RAW ? "bm25_raw" : NULL;
}

int lmx_features(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    for (int f = 0; f < LMX_NFEATURES; f++) {
        if (!features[f].compute) continue;
        int rc = features[f].compute(db, o, qc, hl);
        if (rc) return rc;
    }
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

void lmx_fuse(const lm_opts *o, lmx_hitlist *hl)
{
    if (LMX_OI(o, FUSION) == LM_FUSION_RRF) { fuse_rrf(o, hl); return; }
    for (int i = 0; i < hl->n; i++) {
        double s = 0;
        for (int c = 0; c < LMX_NFEATURES; c++) s += o->v[features[c].weight] * hl->h[i].comp[c];
        hl->h[i].score = s;
    }
}
