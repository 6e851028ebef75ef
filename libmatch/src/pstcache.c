/*
** pstcache.c -- posting lists kept in memory between queries (see
** pstcache.h).  A record query reads the lists of up to max_terms query
** terms; at a million records the frequent ones are hundreds of blocks
** each, and reading them anew for every query (SQLite rows, page reads
** beyond the memory map, the copy of every blob) cost as much as the
** search itself.  Query terms recur (the frequent ones most), so their lists
** are kept, blobs and parsed headers, until the kind changes or the budget
** is needed for others.
*/
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "pstcache.h"
#include "qterms.h"

typedef struct {
    lmx_pstlist l;
    int bcap;
    size_t blen, cap;
    size_t bytes;                /* what the list holds in memory */
    uint64_t used;               /* the last query (clock) that read it */
    int bad;
} entry;

struct lmx_pstcache {
    int kind, valid;
    lmx_stamp stamp;
    lmx_qterms terms;            /* term -> index into e (as its weight) */
    entry **e;                   /* NULL: the term is in no record */
    int n, cap;
    size_t bytes, absent;        /* all; of the terms in no record */
    uint64_t clock;
};

static size_t g_budget = LMX_PSTCACHE_BYTES;

void lmx_pstcache_set_budget(size_t bytes) { g_budget = bytes; }

static void entry_free(entry *x)
{
    if (!x) return;
    lmx_pstlist *l = &x->l;
    free(l->first); free(l->last); free(l->cnt); free(l->off); free(l->nbytes); free(l->at); free(l->imp);
    free(l->nimp); free(l->buf);
    free(x);
}

static void clear(lmx_pstcache *c)
{
    for (int i = 0; i < c->n; i++) entry_free(c->e[i]);
    c->n = 0;
    c->bytes = c->absent = 0;
    lmx_qterms_free(&c->terms);
}

void lmx_pstcache_free(lmx_pstcache *c)
{
    if (!c) return;
    clear(c);
    free(c->e);
    free(c);
}

static size_t entry_bytes(const entry *x, int toklen)
{
    return sizeof *x + x->cap + (size_t)x->bcap * (2 * sizeof(int64_t) + 3 * sizeof(int) + sizeof(size_t) +
                                                   LMX_PST_MAXIMP * sizeof(lmx_impact) + 1) + (size_t)toklen + 64;
}

/* Drop the least recently used lists (none of the query about to start)
   until the cache is within its budget; the term map is made anew. */
static int trim(lmx_pstcache *c)
{
    if (c->bytes <= g_budget) return LM_OK;
    c->bytes -= c->absent;                            /* forgotten by the compaction below */
    c->absent = 0;
    while (c->bytes > g_budget) {
        int old = -1;
        for (int i = 0; i < c->n; i++)
            if (c->e[i] && (old < 0 || c->e[i]->used < c->e[old]->used)) old = i;
        if (old < 0) break;
        c->bytes -= c->e[old]->bytes;
        entry_free(c->e[old]);
        c->e[old] = NULL;
        c->terms.t[old].w = -1;                       /* forgotten: removed below */
    }
    /* Compact: keep the lists still held (absent terms are forgotten too). */
    lmx_qterms keep = { 0 };
    int m = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->terms.t[i].w < 0 || !c->e[i]) { entry_free(c->e[i]); continue; }
        if (lmx_qterms_add(&keep, c->terms.t[i].tok, c->terms.t[i].len, (double)m, 0)) {
            lmx_qterms_free(&keep);
            clear(c);
            return LM_ENOMEM;
        }
        c->e[m++] = c->e[i];
    }
    lmx_qterms_free(&c->terms);
    c->terms = keep;
    c->n = m;
    return LM_OK;
}

int lmx_pstcache_begin(lmx_store *st, lmx_pstcache **pc, int kind)
{
    lmx_pstcache *c = *pc;
    if (!c) {
        if (!(c = calloc(1, sizeof *c))) return LM_ENOMEM;
        *pc = c;
    }
    lmx_stamp now = lmx_store_stamp(st, kind);
    if (!c->valid || c->kind != kind || !lmx_stamp_eq(c->stamp, now)) {
        clear(c);
        c->kind = kind;
        c->stamp = now;
        c->valid = 1;
    }
    c->clock++;
    return trim(c);
}

static int read_block(void *ctx, int64_t last, const unsigned char *b, int n)
{
    entry *x = ctx;
    lmx_pstlist *L = &x->l;
    if (L->nb == x->bcap) {
        int nc = x->bcap ? 2 * x->bcap : 16;
#define GROW(f, k) do { void *np_ = realloc(L->f, sizeof *L->f * (size_t)nc * (k)); if (!np_) return LM_ENOMEM; L->f = np_; } while (0)
        GROW(first, 1); GROW(last, 1); GROW(cnt, 1); GROW(off, 1); GROW(nbytes, 1); GROW(at, 1);
        GROW(imp, LMX_PST_MAXIMP); GROW(nimp, 1);
#undef GROW
        x->bcap = nc;
    }
    if (x->blen + (size_t)n > x->cap) {
        size_t nc = x->cap ? 2 * x->cap : 4096;
        while (nc < x->blen + (size_t)n) nc *= 2;
        unsigned char *nbuf = realloc(L->buf, nc);
        if (!nbuf) return LM_ENOMEM;
        L->buf = nbuf;
        x->cap = nc;
    }
    memcpy(L->buf + x->blen, b, (size_t)n);
    int i = L->nb, nimp = 0;
    if (lmx_pst_header(b, n, &L->cnt[i], L->imp + (size_t)i * LMX_PST_MAXIMP, &nimp, &L->off[i]) || L->cnt[i] < 1 ||
        lmx_pst_first(b, n, L->off[i], &L->first[i]) || L->first[i] > last || (i > 0 && L->first[i] <= L->last[i - 1])) {
        x->bad = 1;
        return LM_EDB;
    }
    L->nimp[i] = (unsigned char)nimp;
    L->last[i] = last;
    L->at[i] = x->blen;
    L->nbytes[i] = n;
    if (L->cnt[i] > L->maxcnt) L->maxcnt = L->cnt[i];
    x->blen += (size_t)n;
    L->nb++;
    return LM_OK;
}

int lmx_pstcache_get(lmx_store *st, lmx_pstcache *c, const char *tok, int len, const lmx_pstlist **out)
{
    *out = NULL;
    int j = lmx_qterms_find(&c->terms, tok, len);
    if (j >= 0) {
        entry *x = c->e[(int)c->terms.t[j].w];
        if (x) {
            x->used = c->clock;
            *out = &x->l;
        }
        return LM_OK;
    }
    int64_t tid, df;
    int r = lmx_store_pst_term(st, c->kind, tok, len, &tid, &df);
    if (r < 0) return st->err->code;
    entry *x = NULL;
    if (r > 0) {
        if (!(x = calloc(1, sizeof *x))) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
        int rc = lmx_store_pst_blocks(st, tid, read_block, x);
        if (rc || x->l.nb == 0) {
            int bad = x->bad || (!rc && x->l.nb == 0);       /* a term without blocks: damaged */
            entry_free(x);
            if (rc == LM_ENOMEM) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
            return bad ? -1 : rc;
        }
        x->used = c->clock;
        x->bytes = entry_bytes(x, len);
    }
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 64;
        entry **ne = realloc(c->e, sizeof *ne * (size_t)nc);
        if (!ne) { entry_free(x); return lmx_error_set(st->err, LM_ENOMEM, "out of memory"); }
        c->e = ne;
        c->cap = nc;
    }
    if (lmx_qterms_add(&c->terms, tok, len, (double)c->n, 0)) {
        entry_free(x);
        return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    }
    c->e[c->n++] = x;
    if (x) {
        c->bytes += x->bytes;
        *out = &x->l;
    } else {
        c->bytes += 64 + (size_t)len;
        c->absent += 64 + (size_t)len;
    }
    return LM_OK;
}
