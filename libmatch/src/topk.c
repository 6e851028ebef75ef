/*
** topk.c -- a bounded best-k collector: a binary heap of slots with the
** worst entry at the root (see topk.h).
*/
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "topk.h"

int lmx_topk_init(lmx_topk *t, int k)
{
    memset(t, 0, sizeof *t);
    if (k < 0) return LM_EINVAL;
    t->k = k;
    return LM_OK;
}

void lmx_topk_free(lmx_topk *t)
{
    free(t->heap);
    free(t->score);
    free(t->id);
    memset(t, 0, sizeof *t);
}

/* Slot a ranks below slot b. */
static inline int worse(const lmx_topk *t, int a, int b)
{
    return t->score[a] < t->score[b] || (t->score[a] == t->score[b] && t->id[a] > t->id[b]);
}

/* Sift heap position j down in the first n positions. */
static void sift_down(lmx_topk *t, int j, int n)
{
    int *h = t->heap;
    for (;;) {
        int a = 2 * j + 1, b = a + 1, w = j;
        if (a < n && worse(t, h[a], h[w])) w = a;
        if (b < n && worse(t, h[b], h[w])) w = b;
        if (w == j) return;
        int x = h[j]; h[j] = h[w]; h[w] = x;
        j = w;
    }
}

static int grow(lmx_topk *t)
{
    int nc = t->cap ? 2 * t->cap : 64;
    if (nc > t->k || nc < 0) nc = t->k;
    int *h = realloc(t->heap, sizeof(int) * (size_t)nc);
    if (h) t->heap = h;
    double *s = realloc(t->score, sizeof(double) * (size_t)nc);
    if (s) t->score = s;
    int64_t *id = realloc(t->id, sizeof(int64_t) * (size_t)nc);
    if (id) t->id = id;
    if (!h || !s || !id) return LM_ENOMEM;
    t->cap = nc;
    return LM_OK;
}

int lmx_topk_push(lmx_topk *t, double s, int64_t id, int *slot)
{
    *slot = -1;
    if (t->k <= 0 || s != s) return LM_OK;
    if (t->n < t->k) {
        if (t->n == t->cap && grow(t)) return LM_ENOMEM;
        int e = t->n, j = t->n++;
        t->score[e] = s;
        t->id[e] = id;
        t->heap[j] = e;
        while (j > 0 && worse(t, t->heap[j], t->heap[(j - 1) / 2])) {
            int p = (j - 1) / 2, x = t->heap[j];
            t->heap[j] = t->heap[p];
            t->heap[p] = x;
            j = p;
        }
        *slot = e;
        return LM_OK;
    }
    int e = t->heap[0];
    if (s < t->score[e] || (s == t->score[e] && id > t->id[e])) return LM_OK;
    t->score[e] = s;
    t->id[e] = id;
    sift_down(t, 0, t->n);
    *slot = e;
    return LM_OK;
}

void lmx_topk_sort(lmx_topk *t, int *order)
{
    /* Heap sort in place: move the worst to the end, repeatedly. */
    int *h = t->heap;
    for (int end = t->n - 1; end > 0; end--) {
        int x = h[0]; h[0] = h[end]; h[end] = x;
        sift_down(t, 0, end);
    }
    if (t->n) memcpy(order, h, sizeof(int) * (size_t)t->n);
}
