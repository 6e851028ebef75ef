/*
** pstcache.h -- posting lists kept in memory between queries (pstcache.c),
** an index feature beside bm25.c: a query term's blocked posting list
** (postings.h) is read from the store once and kept, with its blocks'
** headers parsed, under the store's cache rule (lmx_store_stamp of its
** kind) and within a byte budget, least recently used lists leaving first.
** A query's lists stay valid until the next lmx_pstcache_begin() of that
** cache: nothing is evicted in between.
*/
#ifndef LM_PSTCACHE_H
#define LM_PSTCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "postings.h"
#include "store.h"

/* Bytes of posting lists one cache keeps between queries (one cache per
   handle and kind); a query may exceed it by its own lists until the next
   query begins. */
#define LMX_PSTCACHE_BYTES ((size_t)32 << 20)

/* A term's posting list: nb blocks, each with its first and last row id,
   postings, where they start in its blob, the blob's size and place in buf,
   and its impact frontier (nimp[b] points from imp + b * LMX_PST_MAXIMP). */
typedef struct lmx_pstlist {
    int nb, maxcnt;              /* blocks; the most postings of one block */
    int64_t *first, *last;
    int *cnt, *off, *nbytes;
    size_t *at;
    lmx_impact *imp;
    unsigned char *nimp;
    unsigned char *buf;
} lmx_pstlist;

typedef struct lmx_pstcache lmx_pstcache;

/* Start a query on kind's lists: the cache *c (made when NULL) is emptied
   when the kind changed since it was filled, and trimmed to the budget.
   LM_OK or LM_ENOMEM. */
int lmx_pstcache_begin(lmx_store *st, lmx_pstcache **c, int kind);
/* The posting list of tok (len bytes), *out NULL when no record holds it.
   LM_OK, -1 for a malformed block (the caller falls back to the FTS5 scan),
   or an error of the store (in st->err). */
int lmx_pstcache_get(lmx_store *st, lmx_pstcache *c, const char *tok, int len, const lmx_pstlist **out);
void lmx_pstcache_free(lmx_pstcache *c);
/* The budget of every cache (process-wide; tests): LMX_PSTCACHE_BYTES by
   default. */
void lmx_pstcache_set_budget(size_t bytes);

#endif
