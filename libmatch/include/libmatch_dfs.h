/*
** libmatch_dfs.h -- distributed matching, part of libmatch's public API.
** Included by libmatch.h: include that one.  Split out of it to keep each
** header readable; the same ABI, the same rules (libmatch.h's head).
*/
#ifndef LIBMATCH_DFS_H
#define LIBMATCH_DFS_H

#include "libmatch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Distributed matching (DFS query-then-fetch)                              */
/*                                                                          */
/* Shards -- copies of one database, each keeping a block of the           */
/* candidates' kind (lm_dfs_cut) -- rank as the whole database does, ids,   */
/* scores and probabilities to the bit, as Elasticsearch's DFS              */
/* query-then-fetch: (1) lm_set_global_stats() on every shard with the     */
/* lm_stats_merge() of their lm_stats_export()s, once; per query, (2) the   */
/* same match call on every shard with lm_opts_set_dfs(o, LM_DFS_PROBE,     */
/* NULL), lm_dfs_context() of their lm_results_dfs() probes; (3) the call   */
/* on every shard with lm_opts_set_dfs(o, LM_DFS_SHARD, context), and       */
/* lm_dfs_merge() of their parts is the whole database's result.  All of it */
/* is JSON text, for any transport.  Not distributed (LM_EINVAL naming the  */
/* option): fusion=rrf, prf_docs > 0 (except to experts), w_cosine_ext on a */
/* database with external vectors, lm_match_vector().  The topic vote and  */
/* the latent topic are the collection's: the probes carry the tags and    */
/* the semantic vectors of their best hits (shards are copies of one        */
/* database, so of one semantic space).  A shard of experts                 */
/* keeps every achievement (their evidence).  A stored record queried       */
/* against its own kind is given to lm_match_record() as its JSON: the      */
/* shard holding it leaves it out, as lm_match() does.                      */
/* ------------------------------------------------------------------------ */

/*
** Make this database (a copy of the whole) a shard: keep the records of
** `kind` at positions lo..hi-1 of the storage order (lm_scan()'s order) and
** every record of the other kinds; the others of `kind` are deleted, in one
** transaction (every kept record keeps its row id; SQLite's VACUUM may
** follow to shrink the file).  Errors: LM_EINVAL (bad kind), LM_ERANGE
** (hi < lo or lo < 0), LM_ESTATE (read-only), LM_EDB, LM_EBUSY; on error
** nothing changes.
*/
LM_API int lm_dfs_cut(lm_db *db, int kind, int64_t lo, int64_t hi);
/*
** The collection statistics of kind (0: every kind) of this database --
** records, index rows, each text column's total length and every term's
** document frequency -- as JSON {"format": "libmatch-stats/1", "analyzer",
** "kinds": {"achievement": {"records", "rows", "lengths": [4], "terms":
** {term: df}}}} (*out, lm_free()).  About 20 bytes per distinct term.
** Errors: LM_EINVAL (bad kind, NULL out), LM_EDB, LM_ENOMEM.
*/
LM_API int lm_stats_export(lm_db *db, int kind, char **out);
/*
** The sum of n statistics of lm_stats_export() (shards of one collection):
** counts, lengths and frequencies of each kind added.  `db` is any handle;
** only its lm_errmsg() is used.  *out: lm_free().  Errors name the part and
** the field: LM_EJSON (not JSON), LM_ERECORD (a missing or mistyped
** field), LM_EMISMATCH (parts of different analyzers), LM_EINVAL.
*/
LM_API int lm_stats_merge(lm_db *db, const char *const *parts, int n, char **out);
/*
** Score with these statistics (JSON of lm_stats_export() or
** lm_stats_merge()) instead of this database's own, for the kinds they
** hold (other kinds keep their own): the IDF of query terms, the query's
** maximum BM25 and the average column lengths.  From the next call on, until
** lm_set_global_stats(db, NULL).  The caller keeps them in step with the
** data.  Errors: LM_EJSON, LM_ERECORD (naming the field), LM_EMISMATCH
** (statistics of another analyzer or analyzer mode), LM_ENOMEM; on error
** the statistics in use stay.
*/
LM_API int lm_set_global_stats(lm_db *db, const char *json);

/* DFS phases of a match call (lm_opts_set_dfs()). */
#define LM_DFS_OFF    0   /* an ordinary call (default) */
#define LM_DFS_PROBE  1   /* phase 1: the result holds no hits, only the
                             shard's probe (lm_results_dfs()) */
#define LM_DFS_SHARD  2   /* phase 2, with the context: the result holds no
                             hits, only the shard's part (lm_results_dfs()) */
/*
** Make lm_match(), lm_match_text() and lm_match_record() with these options
** run one DFS phase; `context` (phase LM_DFS_SHARD: required) is the JSON of
** lm_dfs_context(), copied.  The call then fails with LM_EINVAL for the
** options that cannot be distributed (see above), LM_EINVAL / LM_ERECORD
** for a context of another target kind or a malformed one (naming the
** field).  Errors here: LM_ERANGE (phase), LM_EINVAL (NULL context for
** LM_DFS_SHARD), LM_EINVAL_UTF8, LM_ENOMEM; lm_opts_errmsg() says why.
*/
LM_API int lm_opts_set_dfs(lm_opts *o, int phase, const char *context);
/* The answer of a DFS phase (probe or part, JSON), borrowed from r; NULL
   for an ordinary result. */
LM_API const char *lm_results_dfs(const lm_results *r);
/*
** The context of one query from the probes of all shards (n of them): the
** score and row id where the collection's BM25 candidates and nearest
** records end, and the topic vote of its best hits.  `db`: any handle,
** for lm_errmsg().  *out: lm_free().  Errors name the part: LM_EJSON,
** LM_ERECORD, LM_EMISMATCH (probes of other kinds, options or statistics),
** LM_EINVAL (shards that overlap).
*/
LM_API int lm_dfs_context(lm_db *db, const char *const *probes, int n, char **out);
/*
** The result of one query from the parts of all shards: the hits of the
** collection ranked as one database ranks them (keyword_match counted for
** its best first-pass hits only, min_probability, offset and k of `opts`,
** NULL: defaults, as in the calls), with labels, components, terms,
** evidence.  `db`: any handle, for lm_errmsg().  Free *out with
** lm_results_free().  Errors: LM_EJSON, LM_ERECORD, LM_EMISMATCH (parts of
** another kind, options or library version), LM_EINVAL (overlapping
** shards), LM_ENOMEM.
*/
LM_API int lm_dfs_merge(lm_db *db, const char *const *parts, int n, const lm_opts *opts, lm_results **out);

#ifdef __cplusplus
}
#endif
#endif /* LIBMATCH_DFS_H */
