/*
** dfs.h -- distributed matching inside the pipeline (dfs.c), as
** Elasticsearch's DFS query-then-fetch does it: a shard holds part of the
** candidates and scores them as one database holding all of them would.
**
** Three things make a shard's scores the collection's:
**   statistics  the collection's record counts, column lengths and document
**               frequencies (gstats.h, set on the handle) replace the
**               shard's own wherever IDF, the query's maximum BM25 and the
**               average length are computed;
**   a probe     (phase LM_DFS_PROBE) each shard reports what the query's
**               global context is made of: its best BM25 rows (score, row
**               id; tags of the first topic_docs) and its nearest records
**               in the semantic space (exact cosine, row id);
**   a context   (phase LM_DFS_SHARD) made from all probes (api_dfs.c):
**               where the collection's BM25 and vector candidate lists end
**               (score and row id of the last one) and the topic vote of
**               the collection's best hits.  The shard keeps exactly its
**               share of the candidates, votes with the given vote, and
**               returns its part: its hits with the first-pass and final
**               scores, for an exact merge (keyword_match is read for the
**               collection's best first-pass hits only).
** Row ids are the order of the records in the database the shards were cut
** from (deleting records keeps every other record's row id).
*/
#ifndef LM_DFS_H
#define LM_DFS_H

#include <stdint.h>

#include "pipeline.h"
#include "semantic.h"

#define LMX_DFS_PROBE_FORMAT   "libmatch-dfs-probe/1"
#define LMX_DFS_CONTEXT_FORMAT "libmatch-dfs-context/1"
#define LMX_DFS_PART_FORMAT    "libmatch-dfs-part/1"

typedef struct { const char *field; double v; } lmx_vote;

/* The state of one call in a DFS phase (db->dfs while it runs). */
typedef struct lmx_dfs {
    int phase;               /* LM_DFS_PROBE or LM_DFS_SHARD */
    int to;                  /* the candidates' kind */
    int has_bm25_cut;        /* BM25 candidates end at (score, row id) */
    double bm25_cut;
    int64_t bm25_cut_rid;
    int has_dense_cut;       /* vector candidates end at (cosine, row id) */
    double dense_cut;
    int64_t dense_cut_rid;
    double bm25_best;        /* the bm25 component of the collection's best
                                candidate (the query's context) */
    int nvotes;              /* the topic vote, in the collection's order */
    lmx_vote *votes;         /* fields owned */
    int nlatent;             /* the latent topic's centroid (0: none) */
    double *latent;
} lmx_dfs;

/* Read a context (JSON) for a call to kind `to`; errors name the field. */
int lmx_dfs_context_parse(const char *json, int to, lmx_dfs *d, lmx_error *err);
void lmx_dfs_clear(lmx_dfs *d);
/* Whether a call with options o may run in a DFS phase: LM_OK, or LM_EINVAL
   naming the option that cannot be distributed exactly. */
int lmx_dfs_check(lm_db *db, const lm_opts *o, int to);

/* ---- the hooks of the pipeline: the database's own values without DFS ---- */
/* The latent topic's centroid of the collection's best hits (phase
   LM_DFS_SHARD): 1 with *c (borrowed; NULL when the context has none: no
   latent topic) and its dimension *d, or 0 when the call has none (compute
   it as usual). */
int lmx_dfs_latent(const lm_db *db, const double **c, int *d);
/* Records of kind: the collection's when the handle has its statistics. */
int lmx_dfs_count(lm_db *db, int kind, int64_t *n);
/* Document frequencies of q's terms in kind, likewise. */
int lmx_dfs_doc_freqs(lm_db *db, int kind, const lmx_qterms *q, int64_t *df);
/* The collection's lengths of kind for BM25 (lmx_bm25_top.glen), or NULL. */
const int64_t *lmx_dfs_lengths(const lm_db *db, int kind);
/* How many of the BM25 candidates hl (best first) are the collection's
   (phase LM_DFS_SHARD; hl->n otherwise). */
int lmx_dfs_bm25_keep(const lm_db *db, int kind, const lmx_hitlist *hl);
/* How many of the nearest records dh (best first, query vector qv) are the
   collection's, likewise. */
int lmx_dfs_dense_keep(const lm_db *db, int kind, const float *qv, const lmx_dense_hit *dh, int dn);
/* The context's topic vote: 1 with *votes (malloc'ed copy, fields
   borrowed) and *n, or 0 when the call has none (vote as usual); -1 out of
   memory. */
int lmx_dfs_votes(const lm_db *db, lmx_vote **votes, int *n);

/* The bm25 component of the collection's best candidate (phase
   LM_DFS_SHARD): 1 with *bb, or 0 when the call has none (take the best of
   the hits as usual). */
int lmx_dfs_bm25_best(const lm_db *db, double *bb);

/* ---- the answers of the phases (JSON, malloc'ed) ---- */
/* Phase LM_DFS_PROBE: hl the BM25 candidates (best first), q the query's
   terms (for the vector neighbours). */
int lmx_dfs_probe(lm_db *db, const lm_opts *o, const lmx_query *qc, const lmx_qterms *q, const lmx_hitlist *hl,
                  char **out);
/* Phase LM_DFS_SHARD: hl sorted by the first pass, whose scores and
   probabilities are s1, p1; hl's scores now the final ones; the first m
   hits have keyword_match; names: the components' names (LMX_NCOMP). */
int lmx_dfs_part(lm_db *db, const lm_opts *o, const lmx_hitlist *hl, const double *s1, const double *p1, int m,
                 const lmx_selected *sel, const char *const *names, char **out);

#endif
