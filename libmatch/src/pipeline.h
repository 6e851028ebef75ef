/*
** pipeline.h -- the matching pipeline, one stage per file:
**
**   query_terms.c   query text -> weighted terms (+ synonyms, feedback) ->
**                   the most informative ones -> an FTS5 query of raw tokens
**   candidates.c    BM25 top-N (filters in SQL) ∪ nearest records in the
**                   vector spaces ∪ experts through their achievements
**   features.c      the table of score components (features.def) and the
**                   fusion of them into one score
**   matching.c      the pipeline in order, and the lm_match* entry points
**   results.c       the results handle (accessors, JSON)
**
** A hit carries what every stage found about one candidate.
*/
#ifndef LM_PIPELINE_H
#define LM_PIPELINE_H

#include <stdint.h>

#include "db.h"
#include "model.h"
#include "options.h"
#include "qterms.h"

/* Score components: the features of features.def, then informational ones. */
enum {
#define LMX_FEATURE(ID, name, key, def, help) LMX_C_##ID,
#include "features.def"
#undef LMX_FEATURE
    LMX_NFEATURES,
    LMX_C_BM25_RAW = LMX_NFEATURES,   /* the unnormalized BM25 (weight 0) */
    LMX_C_COVERAGE,                   /* share of the query's term weight
                                         matched (weight 0) */
    LMX_C_TOPIC_BEST,                 /* the query's: its strongest domain
                                         tag's share of the vote */
    LMX_C_BM25_BEST,                  /* the query's: its best candidate's
                                         bm25 */
    LMX_NCOMP
};

#define LMX_MAX_EVIDENCE 5

typedef struct lmx_hit {
    lmx_recinfo info;        /* id, kind, region, maturity, tags */
    int64_t rid;
    char *label;             /* title or name, set for the returned hits */
    double score;
    double prob;             /* the model's probability of a relevant match */
    double comp[LMX_NCOMP];
    int nterms;              /* matched query terms */
    char **terms;
    unsigned char *mask;     /* matched query terms, while building */
    int nev;                 /* supporting achievements, best first */
    char *ev_id[LMX_MAX_EVIDENCE];
    double ev_score[LMX_MAX_EVIDENCE];
    double ev_total;         /* aggregated evidence before normalization */
    int ev_seen;             /* linked achievements among the candidates */
} lmx_hit;

/* Candidates: hits in the order the stages found them. */
typedef struct { lmx_hit *h; int n, cap; } lmx_hitlist;
lmx_hit *lmx_hitlist_push(lmx_hitlist *l);
void lmx_hitlist_free(lmx_hitlist *l);
void lmx_hit_free(lmx_hit *h);
/* Best first: score, then raw BM25, then id. */
int lmx_hit_cmp(const void *a, const void *b);
/* Add a matched term to a hit (once). */
int lmx_hit_add_term(lmx_hit *h, const char *t);

/* The query terms kept for the full-text query: token and final weight
   (query weight x IDF); wall: the sum of the max_terms largest weights
   among all the query's terms, those no record holds included (their IDF
   is the largest there is) -- what a record matching all of the query
   would have. */
typedef struct { int n; char **tok; double *w; double wall; } lmx_selected;
void lmx_selected_free(lmx_selected *s);
/* The largest BM25 a record could get for the query (every term's
   saturation reached): (k1 + 1) x wall.  BM25 divided by it is on the same
   scale for every query; query terms that no record holds count in it, so a
   query half of which is unknown to the index cannot look fully matched. */
double lmx_selected_bm25_max(const lmx_selected *s, const lm_opts *o);

/* One query through the pipeline. */
typedef struct lmx_query {
    int to;                  /* kind of the candidates */
    int64_t query_rid;       /* the stored query record, or 0 */
    const char *region;      /* the query record's region */
    char **tags;             /* the query record's domain tags */
    int ntags;
    lmx_filter filter;       /* options' filters + the query record itself */
    double bm25_max;         /* the query's maximum BM25: (k1 + 1) x the sum
                                of its selected terms' weights (0: none) */
} lmx_query;

/* ---- query_terms.c ---- */
/* Analyze `text` into q with weight w (query mode). */
int lmx_terms_analyze(lm_db *db, lmx_qterms *q, const char *text, double w);
/* Keep the max_terms terms of q with the highest weight x IDF in kind. */
int lmx_terms_select(lm_db *db, const lmx_qterms *q, int kind, int max_terms, lmx_selected *out);
/* The FTS5 query: "\x01tok" OR "\x01tok" ..., quotes doubled (malloc'ed). */
char *lmx_terms_match_expr(const lmx_selected *s);
/* Pseudo-relevance feedback: terms of the best BM25 hits join q. */
int lmx_terms_feedback(lm_db *db, lmx_qterms *q, int kind, const lmx_hitlist *hl, const lm_opts *o);

/* ---- candidates.c ---- */
/* The best `limit` BM25 candidates of kind for the selected terms, best first,
   each with its record info; rows must pass f (NULL: none). */
int lmx_cand_bm25(lm_db *db, int kind, const lmx_selected *sel, const lm_opts *o, const lmx_filter *f, int limit,
                  lmx_hitlist *out);
/* The matched terms of each hit from its mask, and its coverage: the share
   of the selected terms' weight it matches. */
int lmx_cand_terms(lmx_hitlist *hl, const lmx_selected *sel);
/* Nearest records in the built-in space join the candidates; every
   candidate gets its cosine (no-op without a model). */
int lmx_cand_dense(lm_db *db, const lmx_qterms *q, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl);
/* Nearest records by the query record's external vector join too. */
int lmx_cand_external(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl);
/* Experts through their linked achievements: the query runs against
   achievements and credits their experts (ev_total, supporting evidence);
   experts found only this way join the candidates. */
int lmx_cand_evidence(lm_db *db, const lmx_qterms *q, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl);

/* Candidates for a caller's vector in the external space of model: the
   `want` nearest that pass the filters, scored by their cosine. */
int lmx_cand_vector(lm_db *db, const char *model, const float *q, int dim, const lm_opts *o, const lmx_query *qc,
                    int want, lmx_hitlist *hl);

/* ---- features.c ---- */
/* The name of component j ("bm25", ..., "bm25_raw"). */
const char *lmx_comp_name(int j);
/* All component names, by index (LMX_NCOMP of them). */
const char *const *lmx_comp_names(void);
/* Compute every feature of every candidate (candidates in BM25 order first),
   except keyword_match, which needs the record's keywords (below); then the
   query's context, the same on every hit (topic_best, bm25_best). */
int lmx_features(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl);
/* keyword_match of the first n hits: the share of the hit's keywords whose
   every word the query q holds.  No-op when its weight is 0. */
int lmx_features_keywords(lm_db *db, const lm_opts *o, const lmx_qterms *q, lmx_hitlist *hl, int n);
/* Each hit's probability (the model m over its components, each gated by
   its weight option relative to the default) and, when set_score, its
   score: the probability (LM_FUSION_MODEL), the weighted sum or RRF. */
void lmx_fuse(const lmx_model *m, const lm_opts *o, lmx_hitlist *hl, int set_score);
/* Each component's gate in the model: its weight option relative to its
   default (1 for the informational ones; the query's context, topic_best
   and bm25_best, that of topic and bm25). */
void lmx_model_gates(const lm_opts *o, double gate[LMX_NCOMP]);
/* The compiled-in default model (model_default.h). */
const lmx_model *lmx_model_builtin(void);
/* The model matching uses on db: the database's own (lm_learn) when it has
   one, else the default; *custom says which.  Cached under the store's
   cache rule.  LM_OK or an error (an unreadable stored model is an error
   naming it, not a silent fallback). */
int lmx_model_active(lm_db *db, const lmx_model **out, int *custom);
/* Region proximity in [0,1]: 1 same city, 0.5 same province, else 0. */
double lmx_region_score(const char *a, const char *b);

#endif
