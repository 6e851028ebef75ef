/*
** postings.h -- the blocked posting lists behind the pruned BM25 top-k
** (postings.c).  An engine: no SQLite, no I/O; the store keeps the blocks
** (store_index.c) and bm25.c searches them.
**
** A term's posting list is cut into blocks of about LMX_PST_BLOCK postings in
** ascending row id, each stored as one blob keyed by (term, last row id):
**
**   varint n                       postings in the block
**   varint nimp, nimp x (varint tf2, varint dl2)
**                                  the block's impacts (below)
**   n x posting                    varint row id (the first absolute, then
**                                  the gap to the previous), a tf byte (2
**                                  bits per column: 0, 1, 2, or 3 = a varint
**                                  of tf - 3 follows, in column order), a
**                                  byte of the document's length: dlq, the
**                                  largest q with lmx_pst_dlq_floor(q) <= dl2
**
** Impacts bound what any posting of the block can score, whatever the
** query's BM25 parameters.  For a document, tf2 = sum_c 2 w0_c tf_c and dl2 =
** sum_c 2 w0_c len_c with the reference column weights w0 = LMX_PST_REFW
** (integers: 2 w0 is 4, 2, 4, 1).  A block keeps the Pareto frontier of its
** postings' (tf2, dl2): no kept point has both a higher-or-equal tf2 and a
** lower-or-equal dl2 than another; every posting is dominated by a kept
** point (tf2 at most, dl2 at least its).  BM25 grows with tf and falls with
** dl, so the best a block can score is reached at one of its points; with
** column weights w, tf_w <= max_c(w_c / w0_c) tf2/2 and dl_w >= min_c(w_c /
** w0_c) dl2/2 keep that a bound (tight when w = w0).  Frontiers longer than
** LMX_PST_MAXIMP are coarsened (two neighbours become one point dominating
** both); deleting a posting leaves the frontier as it was: both keep it a
** bound.
*/
#ifndef LM_POSTINGS_H
#define LM_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define LMX_PST_BLOCK  128      /* postings per block as blocks are appended */
#define LMX_PST_MAXIMP 8        /* impact points a block keeps at most */

/* The reference column weights of the impacts, times 2 (title, body,
   keywords, extra). */
extern const int lmx_pst_refw2[LMX_NCOLS];

typedef struct { uint32_t tf2, dl2; } lmx_impact;
typedef struct { int64_t rid; uint32_t tf[LMX_NCOLS]; uint8_t dlq; } lmx_posting;

/* A document's length (dl2, below) in one byte, rounded down: the length
   classes grow by 1/12 (integer arithmetic: the same on every machine), so a
   posting bounds its own score within a few percent without the lengths. */
uint8_t lmx_pst_dlq(uint32_t dl2);
uint32_t lmx_pst_dlq_floor(uint8_t q);

/* Add point x to the frontier imp (*n points, room for LMX_PST_MAXIMP + 1),
   keeping it Pareto-minimal, sorted by tf2, at most LMX_PST_MAXIMP points. */
void lmx_pst_impact_add(lmx_impact *imp, int *n, lmx_impact x);
/* The impact of a posting of a document with column lengths len. */
lmx_impact lmx_pst_impact_of(const uint32_t tf[LMX_NCOLS], const uint32_t len[LMX_NCOLS]);

/* ---- blocks ------------------------------------------------------------------ */

/* Encode n postings (ascending rid) with their impacts into *out (malloc'ed,
   *nout bytes).  LM_OK or LM_ENOMEM. */
int lmx_pst_encode(const lmx_posting *p, int n, const lmx_impact *imp, int nimp, unsigned char **out, int *nout);

/* The header of a block: postings, impacts (room for LMX_PST_MAXIMP), and
   where the postings start.  LM_OK or LM_EDB for a malformed blob. */
int lmx_pst_header(const unsigned char *b, int nb, int *n, lmx_impact *imp, int *nimp, int *data_off);

/* The first row id of a block's postings (n > 0).  LM_OK or LM_EDB. */
int lmx_pst_first(const unsigned char *b, int nb, int data_off, int64_t *rid);
/* Decode the postings of a block (n of them from b + data_off) into p (room
   for n).  LM_OK or LM_EDB. */
int lmx_pst_decode(const unsigned char *b, int nb, int data_off, int n, lmx_posting *p);

/* ---- the terms of one document --------------------------------------------------- */

/*
** A document's terms as FTS5 indexes them: every token counts once in its
** column's tf; a column's length counts the tokens that are not colocated
** (and the first token even when it is), as FTS5's docsize does.
*/
typedef struct { size_t off; int len; uint32_t tf[LMX_NCOLS]; } lmx_pst_term;   /* off: into pool */
typedef struct lmx_pst_doc {
    lmx_pst_term *t;
    int n, cap;
    int *hash, hcap;
    char *pool;                  /* token bytes */
    size_t plen, pcap;
    uint32_t len[LMX_NCOLS];     /* column lengths */
    int oom;
} lmx_pst_doc;

void lmx_pst_doc_reset(lmx_pst_doc *d);
void lmx_pst_doc_free(lmx_pst_doc *d);
/* One token of column col (flags: LMX_TOK_COLOCATED).  LM_OK or LM_ENOMEM. */
int lmx_pst_doc_token(lmx_pst_doc *d, int col, int colocated, const char *tok, int n);

/* ---- writes waiting for the commit ------------------------------------------------ */

/* An insertion (or, del, a removal) of one posting of a term. */
typedef struct { int64_t rid; uint32_t tf[LMX_NCOLS]; uint32_t dl2; unsigned char del; } lmx_pst_op;
/* The operations on one term of one kind, in the order they were made. */
typedef struct { int kind; char *tok; int len; lmx_pst_op *op; int n, cap; } lmx_pst_entry;

typedef struct lmx_pst_pending {
    lmx_pst_entry *e;
    int n, cap;
    int *hash, hcap;
    int64_t nops;                /* operations held, to bound the memory */
} lmx_pst_pending;

/* Every term of d gets an insertion (del 0: with its frequencies and the
   document's impact) or a removal (del 1) of row rid.  LM_OK or LM_ENOMEM. */
int lmx_pst_pending_doc(lmx_pst_pending *p, int kind, int64_t rid, const lmx_pst_doc *d, int del);
/* Sort the entries by (kind, term); each entry's operations by row id, the
   later of two on one row last (stable).  No more operations may be added
   before lmx_pst_pending_clear().  LM_OK or LM_ENOMEM. */
int lmx_pst_pending_sort(lmx_pst_pending *p);
void lmx_pst_pending_clear(lmx_pst_pending *p);

#endif
