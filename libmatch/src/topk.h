/*
** topk.h -- the one bounded "best k" collector of the library (topk.c):
** BM25 candidates (bm25.c) and vector screening (vectors.c) both keep their
** best entries in it.  No SQLite, no I/O.
**
** Entries are (score, id).  An entry ranks below another when its score is
** lower, or equal with a higher id: so ties keep the lower id, and the
** result does not depend on the order entries arrive in.  Each kept entry
** lives in a slot 0..cap-1; a caller with per-entry data (e.g. which query
** terms a row holds) keeps it in an array indexed by slot.
*/
#ifndef LM_TOPK_H
#define LM_TOPK_H

#include <stdint.h>

typedef struct lmx_topk {
    int k;           /* entries kept at most */
    int n, cap;      /* entries kept; slots allocated (grows up to k) */
    int *heap;       /* slots, the worst entry at the root */
    double *score;   /* by slot */
    int64_t *id;     /* by slot */
} lmx_topk;

/* An empty collector of at most k entries (nothing is allocated until the
   first push).  LM_OK, or LM_EINVAL for k < 0. */
int lmx_topk_init(lmx_topk *t, int k);
void lmx_topk_free(lmx_topk *t);

/*
** Offer (s, id).  When it is kept, *slot is its slot (the slot of the entry
** it replaced, when the collector was full); otherwise *slot is -1.  NaN is
** never kept.  LM_OK, or LM_ENOMEM (nothing changed).
*/
int lmx_topk_push(lmx_topk *t, double s, int64_t id, int *slot);

/* Whether k entries are kept, and then the worst kept score: an entry with a
   lower score cannot enter. */
static inline int lmx_topk_full(const lmx_topk *t) { return t->k > 0 && t->n == t->k; }
static inline double lmx_topk_worst(const lmx_topk *t) { return t->score[t->heap[0]]; }

/* Write the slots of the kept entries best first into order (room for t->n).
   The heap order is consumed: only lmx_topk_free() may follow. */
void lmx_topk_sort(lmx_topk *t, int *order);

#endif
