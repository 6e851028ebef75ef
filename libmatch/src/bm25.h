/*
** bm25.h -- text relevance as an index feature (bm25.c): the FTS5 auxiliary
** function lm_bm25() with per-column and per-term weights, the collector that
** keeps the best rows while FTS5 scans, and each kind's column lengths kept
** in memory under the store's cache rule.
*/
#ifndef LM_BM25_H
#define LM_BM25_H

#include <stdint.h>

#include "qterms.h"
#include "store.h"
#include "topk.h"

/* Register lm_bm25() (LMX_BM25_FN) on the connection of st. */
int lmx_bm25_register(lmx_store *st);

/* Column lengths of every indexed row of one kind (opaque). */
typedef struct lmx_doclen lmx_doclen;
/* Document frequencies of one kind: term -> df (in w), under a stamp. */
typedef struct lmx_dfcache { lmx_stamp stamp; int valid; lmx_qterms t; } lmx_dfcache;
/* Per handle: one cache per kind. */
typedef struct lmx_bm25_cache {
    lmx_doclen *dl[LMX_NKINDS + 1];
    lmx_dfcache df[LMX_NKINDS + 1];
} lmx_bm25_cache;
void lmx_bm25_cache_free(lmx_bm25_cache *c);

/*
** The document frequency in kind of every term of q, into df (q->n
** entries), from a cache kept under the store's cache rule (this handle's
** writes to the kind, other connections' commits): a term is looked up in
** the store once per state of the data.  LM_OK or an error in st->err.
*/
/* The rows of kind's full-text index and each column's total length, as
   BM25's average length reads them.  LM_OK or an error in st->err. */
int lmx_bm25_lengths(lmx_store *st, lmx_bm25_cache *c, int kind, int64_t *rows, int64_t tot[LMX_NCOLS]);

int lmx_bm25_doc_freqs(lmx_store *st, lmx_bm25_cache *c, int kind, const lmx_qterms *q, int64_t *df);

/*
** The best `limit` rows of a full-text query, with which query terms each
** holds (one byte per term).  lmx_bm25_scan() runs the query through the
** store with this collector bound, so that no sort and no per-row join runs
** in SQL; ties keep the lower row id.
*/
typedef struct lmx_bm25_top {
    lmx_topk top;              /* scores by row id */
    int nterms;                /* query terms: mask bytes per slot */
    unsigned char *mask;       /* nterms bytes per slot of top */
    int mask_cap;              /* slots the mask array holds */
    const lmx_doclen *dl;      /* column lengths of the scanned kind, or NULL */
    int dl_pos;                /* where the last lookup ended */
    int oom;                   /* an allocation failed during the scan */
    const int64_t *glen;       /* NULL, or the collection's lengths: rows, then
                                  each column's total (LMX_NCOLS): the average
                                  length is taken from them (distributed
                                  matching, gstats.h) instead of the index's */
} lmx_bm25_top;

int lmx_bm25_top_init(lmx_bm25_top *t, int limit, int nterms);
void lmx_bm25_top_free(lmx_bm25_top *t);
/* Offer one row (lm_bm25() does this); its mask is copied when kept. */
int lmx_bm25_top_push(lmx_bm25_top *t, double s, int64_t rowid, const unsigned char *mask);

/*
** The best rows of kind for the query terms tok[0..n) -- the same rows and
** bit-identical scores as lmx_bm25_scan() of their FTS5 query `match` --
** from the posting index with dynamic pruning when it is ready (see
** bm25.c), else by the FTS5 scan.  params as lmx_bm25_scan()'s; rows must
** pass the filter f (NULL: none).  LM_OK or an error in st->err.
*/
int lmx_bm25_search(lmx_store *st, lmx_bm25_cache *cache, int kind, int n, const char *const *tok, const char *match,
                    const double *params, const lmx_filter *f, lmx_bm25_top *t);

/* How lmx_bm25_search() runs (tests and benchmarks; process-wide):
   LMX_BM25_PRUNED (the default), LMX_BM25_EXHAUSTIVE (the posting index,
   every posting scored), LMX_BM25_FTS5 (the FTS5 scan). */
enum { LMX_BM25_PRUNED, LMX_BM25_EXHAUSTIVE, LMX_BM25_FTS5 };
void lmx_bm25_set_strategy(int s);
/* Postings scored by the last lmx_bm25_search() of this thread (tests). */
int64_t lmx_bm25_scored(void);

/*
** Score `match` (an FTS5 query of quoted raw tokens) over kind's index:
** params = k1, b, the LMX_NCOLS column weights and one weight per query
** term (nterms of t); rows must pass the filter f (NULL: none).  After the
** call t holds the best rows; LM_OK or an error in st->err.
*/
int lmx_bm25_scan(lmx_store *st, lmx_bm25_cache *cache, int kind, const char *match, const double *params,
                 const lmx_filter *f, lmx_bm25_top *t);

#endif
