/*
** allocate.c -- maximum-score assignment of experts to problems under
** capacities (see allocate.h for the contract).
**
** Network.  Nodes: problems L_0..L_{nl-1}, experts R_0..R_{nr-1}, a sink T.
** Arcs: L_i -> R_j for every eligible pair (capacity 1, cost -score),
** R_j -> T (capacity right_cap[j], cost 0) and L_i -> T (unbounded, cost 0:
** "leave this slot of problem i empty").  Every L_i has a supply of
** left_cap[i] units and T absorbs them all.  A feasible flow is exactly an
** assignment plus a number of empty slots, and its cost is minus the
** assignment's total score, so a minimum-cost flow is a maximum-score
** assignment.  The empty-slot arcs replace the usual "stop when the shortest
** source-sink path has a non-negative cost": a unit goes through a real pair
** only when that beats leaving the slot empty, i.e. when it increases the
** total.  (Capacities are first cut to the node's number of eligible pairs,
** which changes nothing and keeps the numbers small.)
**
** Algorithm: successive shortest paths with potentials.  Invariant: every
** arc of the residual graph has a non-negative reduced cost
** c(u,v) + pot[u] - pot[v].  Initially (no flow) pot[L] = 0,
** pot[R_j] = -(best score into j) and pot[T] = min_j pot[R_j] satisfy it;
** this is the one Bellman-Ford pass over the layered graph.  Then, for each
** problem i in index order and while it has supply left, Dijkstra from L_i
** on reduced costs finds a cheapest path to T, stopping as soon as T is
** settled at distance D; settled nodes get pot[v] += dist[v] - D (unsettled
** ones keep theirs: a uniform shift by D, which does not change reduced
** costs), which keeps the invariant and makes the path's arcs tight, and the
** path is augmented.  A path L_i -> T (empty slots) takes the whole
** remaining supply at once; any other path holds a capacity-1 pair arc and
** carries one unit.  Arcs leaving T (reverses of arcs into T) are never
** needed by the searches -- a shortest path to T does not pass through T --
** but they keep non-negative reduced costs too, since T gets the largest
** potential increase.  When all supply is routed, the flow is a feasible
** flow with no negative residual cycle, hence of minimum cost: the
** assignment is optimal.  Each search only reaches the alternating tree
** grown from L_i (experts by its free pair arcs, problems through the pairs
** those experts already hold), not the whole graph.
**
** Data: pair arcs in CSR form by problem (target expert, cost, pair index,
** flow bit); per expert a doubly linked list of the arcs it currently holds
** (the residual reverse arcs R_j -> L_k); an indexed binary heap keyed by
** (distance, node index), so ties are broken by index and the run is
** deterministic.  Reduced costs that come out slightly negative through
** rounding are clamped to 0.
*/
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocate.h"

/* ------------------------------------------------------------------------ */
/* Allocation helpers                                                       */
/* ------------------------------------------------------------------------ */

/* malloc of n * size bytes, NULL on overflow; never malloc(0). */
static void *xmalloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    size_t bytes = n * size;
    return malloc(bytes > 0 ? bytes : 1);
}

static void *xcalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}

/* ------------------------------------------------------------------------ */
/* Input validation and the eligible-pair graph (shared by both solvers)    */
/* ------------------------------------------------------------------------ */

typedef struct {
    int nl, nr;        /* problems, experts */
    int narcs;         /* eligible pairs */
    int *start;        /* nl + 1: arcs of problem i are start[i]..start[i+1) */
    int *col;          /* per arc: expert index */
    int *row;          /* per arc: problem index */
    int *pid;          /* per arc: index into pairs[] */
    double *cost;      /* per arc: -score */
    int *lcap, *rcap;  /* capacities cut to the number of eligible arcs */
} graph;

static void graph_free(graph *g)
{
    free(g->start); free(g->col); free(g->row); free(g->pid);
    free(g->cost); free(g->lcap); free(g->rcap);
    memset(g, 0, sizeof *g);
}

/* The checks that need no memory. */
static int check_args(int nleft, const int *left_cap, int nright,
                      const int *right_cap, const lmx_pair *pairs, int npairs,
                      double min_score, const int *chosen,
                      const int *nchosen, const double *total)
{
    if (nleft < 0 || nright < 0 || npairs < 0) return LM_EINVAL;
    if (!nchosen || !total) return LM_EINVAL;
    if ((nleft > 0 && !left_cap) || (nright > 0 && !right_cap)) return LM_EINVAL;
    if (npairs > 0 && (!pairs || !chosen)) return LM_EINVAL;
    if (isnan(min_score)) return LM_EINVAL;
    for (int i = 0; i < nleft; i++)
        if (left_cap[i] < 0) return LM_EINVAL;
    for (int j = 0; j < nright; j++)
        if (right_cap[j] < 0) return LM_EINVAL;
    for (int p = 0; p < npairs; p++) {
        const lmx_pair *q = &pairs[p];
        if (q->left < 0 || q->left >= nleft || q->right < 0 || q->right >= nright)
            return LM_EINVAL;
        if (!isfinite(q->score)) return LM_EINVAL;
    }
    if (nleft > INT_MAX - 1 - nright) return LM_ERANGE;
    return LM_OK;
}

static int eligible(const lmx_pair *q, const int *left_cap,
                    const int *right_cap, double min_score)
{
    return q->score >= min_score && q->score > 0 &&
           left_cap[q->left] > 0 && right_cap[q->right] > 0;
}

/*
** Validate everything (duplicates included) and build the CSR graph of the
** eligible pairs.  Arcs of one problem are in increasing pair index order.
*/
static int build_graph(graph *g, int nleft, const int *left_cap, int nright,
                       const int *right_cap, const lmx_pair *pairs,
                       int npairs, double min_score, const int *chosen,
                       const int *nchosen, const double *total)
{
    memset(g, 0, sizeof *g);
    int rc = check_args(nleft, left_cap, nright, right_cap, pairs, npairs,
                        min_score, chosen, nchosen, total);
    if (rc != LM_OK) return rc;
    g->nl = nleft;
    g->nr = nright;

    /* Duplicates: bucket all pairs by problem (counting sort), then stamp
       the experts seen within each bucket. */
    int *bstart = xcalloc((size_t)nleft + 1, sizeof *bstart);
    int *order = xmalloc((size_t)npairs, sizeof *order);
    int *stamp = xmalloc((size_t)nright, sizeof *stamp);
    if (!bstart || !order || !stamp) { rc = LM_ENOMEM; goto done; }
    for (int p = 0; p < npairs; p++) bstart[pairs[p].left + 1]++;
    for (int i = 0; i < nleft; i++) bstart[i + 1] += bstart[i];
    for (int p = 0; p < npairs; p++) order[bstart[pairs[p].left]++] = p;
    for (int i = nleft; i > 0; i--) bstart[i] = bstart[i - 1];
    bstart[0] = 0;
    for (int j = 0; j < nright; j++) stamp[j] = -1;
    int narcs = 0;
    for (int i = 0; i < nleft; i++)
        for (int k = bstart[i]; k < bstart[i + 1]; k++) {
            const lmx_pair *q = &pairs[order[k]];
            if (stamp[q->right] == i) { rc = LM_EINVAL; goto done; }
            stamp[q->right] = i;
            narcs += eligible(q, left_cap, right_cap, min_score);
        }

    /* CSR of the eligible pairs. */
    g->narcs = narcs;
    g->start = xmalloc((size_t)nleft + 1, sizeof *g->start);
    g->col = xmalloc((size_t)narcs, sizeof *g->col);
    g->row = xmalloc((size_t)narcs, sizeof *g->row);
    g->pid = xmalloc((size_t)narcs, sizeof *g->pid);
    g->cost = xmalloc((size_t)narcs, sizeof *g->cost);
    g->lcap = xcalloc((size_t)nleft, sizeof *g->lcap);
    g->rcap = xcalloc((size_t)nright, sizeof *g->rcap);
    if (!g->start || !g->col || !g->row || !g->pid || !g->cost || !g->lcap ||
        !g->rcap) { rc = LM_ENOMEM; goto done; }
    int a = 0;
    for (int i = 0; i < nleft; i++) {
        g->start[i] = a;
        for (int k = bstart[i]; k < bstart[i + 1]; k++) {
            int p = order[k];
            const lmx_pair *q = &pairs[p];
            if (!eligible(q, left_cap, right_cap, min_score)) continue;
            g->col[a] = q->right;
            g->row[a] = i;
            g->pid[a] = p;
            g->cost[a] = -q->score;
            g->rcap[q->right]++;           /* degree for now */
            a++;
        }
        int deg = a - g->start[i];
        g->lcap[i] = left_cap[i] < deg ? left_cap[i] : deg;
    }
    g->start[nleft] = a;
    for (int j = 0; j < nright; j++)
        if (right_cap[j] < g->rcap[j]) g->rcap[j] = right_cap[j];

done:
    free(bstart);
    free(order);
    free(stamp);
    if (rc != LM_OK) graph_free(g);
    return rc;
}

/* Write the result: the chosen pair indices in increasing order. */
static int emit(const graph *g, const unsigned char *used, int npairs,
                const lmx_pair *pairs, int *chosen, int *nchosen,
                double *total)
{
    unsigned char *sel = xcalloc((size_t)npairs, 1);
    if (!sel) return LM_ENOMEM;
    for (int a = 0; a < g->narcs; a++)
        if (used[a]) sel[g->pid[a]] = 1;
    int n = 0;
    double sum = 0.0;
    for (int p = 0; p < npairs; p++)
        if (sel[p]) {
            chosen[n++] = p;
            sum += pairs[p].score;
        }
    free(sel);
    *nchosen = n;
    *total = sum;
    return LM_OK;
}

/* ------------------------------------------------------------------------ */
/* Indexed binary heap keyed by (key[node], node)                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    int n;
    int *h;             /* heap of nodes */
    int *pos;           /* node -> position in h, -1 when absent */
    const double *key;
} heap;

static int heap_less(const heap *hp, int a, int b)
{
    double ka = hp->key[a], kb = hp->key[b];
    return ka < kb || (ka == kb && a < b);
}

static void heap_up(heap *hp, int i)
{
    int v = hp->h[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        int u = hp->h[parent];
        if (!heap_less(hp, v, u)) break;
        hp->h[i] = u;
        hp->pos[u] = i;
        i = parent;
    }
    hp->h[i] = v;
    hp->pos[v] = i;
}

static void heap_down(heap *hp, int i)
{
    int v = hp->h[i];
    for (;;) {
        int c = 2 * i + 1;
        if (c >= hp->n) break;
        if (c + 1 < hp->n && heap_less(hp, hp->h[c + 1], hp->h[c])) c++;
        if (!heap_less(hp, hp->h[c], v)) break;
        hp->h[i] = hp->h[c];
        hp->pos[hp->h[i]] = i;
        i = c;
    }
    hp->h[i] = v;
    hp->pos[v] = i;
}

/* Insert v, or move it up after its key decreased. */
static void heap_push_or_decrease(heap *hp, int v)
{
    if (hp->pos[v] < 0) {
        hp->h[hp->n] = v;
        hp->pos[v] = hp->n++;
    }
    heap_up(hp, hp->pos[v]);
}

static int heap_pop(heap *hp)
{
    int v = hp->h[0];
    hp->pos[v] = -1;
    if (--hp->n > 0) {
        hp->h[0] = hp->h[hp->n];
        heap_down(hp, 0);
    }
    return v;
}

/* ------------------------------------------------------------------------ */
/* Successive shortest paths                                                */
/* ------------------------------------------------------------------------ */

enum { ST_NEW = 0, ST_OPEN = 1, ST_DONE = 2 };

typedef struct {
    const graph *g;
    int nn;              /* nodes: nl problems, nr experts, sink */
    int sink;
    unsigned char *used; /* per arc: flow 0/1 */
    int *rres;           /* per expert: residual capacity to the sink */
    int *head;           /* per expert: first held arc, -1 if none */
    int *next, *prev;    /* per arc: links of the expert's held arcs */
    double *pot, *dist;  /* per node */
    int *pred;           /* per node: arc it was reached by (sink: a node) */
    unsigned char *state;
    int *touched;        /* nodes with state != ST_NEW */
    int ntouched;
    heap hp;
} ssp;

static void hold(ssp *s, int a)
{
    int j = s->g->col[a];
    s->used[a] = 1;
    s->prev[a] = -1;
    s->next[a] = s->head[j];
    if (s->head[j] >= 0) s->prev[s->head[j]] = a;
    s->head[j] = a;
}

static void release(ssp *s, int a)
{
    int j = s->g->col[a];
    s->used[a] = 0;
    if (s->prev[a] >= 0) s->next[s->prev[a]] = s->next[a];
    else s->head[j] = s->next[a];
    if (s->next[a] >= 0) s->prev[s->next[a]] = s->prev[a];
}

/* Tentative distance d for node v reached by pred p. */
static void relax(ssp *s, int v, double d, int p)
{
    if (s->state[v] == ST_DONE) return;
    if (s->state[v] == ST_NEW) {
        s->state[v] = ST_OPEN;
        s->touched[s->ntouched++] = v;
    } else if (!(d < s->dist[v])) {
        return;
    }
    s->dist[v] = d;
    s->pred[v] = p;
    heap_push_or_decrease(&s->hp, v);
}

/*
** Dijkstra on reduced costs from problem src until the sink is settled, then
** the potential update.  Returns the sink's predecessor node.
*/
static int search(ssp *s, int src)
{
    const graph *g = s->g;
    const int nl = g->nl, sink = s->sink;
    double *pot = s->pot, *dist = s->dist;

    s->ntouched = 0;
    relax(s, src, 0.0, -1);
    for (;;) {
        int u = heap_pop(&s->hp);   /* never empty: src -> sink exists */
        s->state[u] = ST_DONE;
        if (u == sink) break;
        double du = dist[u], pu = pot[u], rc;
        if (u < nl) {
            /* Empty slot first, so that it wins exact ties with a path
               through a pair of zero gain found later. */
            rc = pu - pot[sink];
            relax(s, sink, du + (rc > 0 ? rc : 0), u);
            for (int a = g->start[u], e = g->start[u + 1]; a < e; a++) {
                if (s->used[a]) continue;
                int v = nl + g->col[a];
                rc = g->cost[a] + pu - pot[v];
                relax(s, v, du + (rc > 0 ? rc : 0), a);
            }
        } else {
            int j = u - nl;
            if (s->rres[j] > 0) {
                rc = pu - pot[sink];
                relax(s, sink, du + (rc > 0 ? rc : 0), u);
            }
            for (int a = s->head[j]; a >= 0; a = s->next[a]) {
                int k = g->row[a];
                rc = -g->cost[a] + pu - pot[k];
                relax(s, k, du + (rc > 0 ? rc : 0), a);
            }
        }
    }

    /* Settled nodes: pot += dist - D; the others keep theirs. */
    double D = dist[sink];
    for (int t = 0; t < s->ntouched; t++) {
        int v = s->touched[t];
        if (s->state[v] == ST_DONE) pot[v] += dist[v] - D;
        else s->hp.pos[v] = -1;
        s->state[v] = ST_NEW;
    }
    s->hp.n = 0;
    return s->pred[sink];
}

static int solve_exact(const graph *g, unsigned char *used)
{
    const int nl = g->nl, nr = g->nr, nn = nl + nr + 1;
    ssp s;
    memset(&s, 0, sizeof s);
    s.g = g;
    s.nn = nn;
    s.sink = nl + nr;
    s.used = used;
    s.rres = xmalloc((size_t)nr, sizeof *s.rres);
    s.head = xmalloc((size_t)nr, sizeof *s.head);
    s.next = xmalloc((size_t)g->narcs, sizeof *s.next);
    s.prev = xmalloc((size_t)g->narcs, sizeof *s.prev);
    s.pot = xmalloc((size_t)nn, sizeof *s.pot);
    s.dist = xmalloc((size_t)nn, sizeof *s.dist);
    s.pred = xmalloc((size_t)nn, sizeof *s.pred);
    s.state = xcalloc((size_t)nn, 1);
    s.touched = xmalloc((size_t)nn, sizeof *s.touched);
    s.hp.h = xmalloc((size_t)nn, sizeof *s.hp.h);
    s.hp.pos = xmalloc((size_t)nn, sizeof *s.hp.pos);
    s.hp.key = s.dist;
    int *supply = xmalloc((size_t)nl, sizeof *supply);
    int rc = LM_ENOMEM;
    if (!s.rres || !s.head || !s.next || !s.prev || !s.pot || !s.dist ||
        !s.pred || !s.state || !s.touched || !s.hp.h || !s.hp.pos || !supply)
        goto done;

    memcpy(s.rres, g->rcap, (size_t)nr * sizeof *s.rres);
    memcpy(supply, g->lcap, (size_t)nl * sizeof *supply);
    for (int j = 0; j < nr; j++) s.head[j] = -1;
    for (int v = 0; v < nn; v++) s.hp.pos[v] = -1;

    /* Initial potentials: shortest distances from a virtual source joined
       to every problem at cost 0, over the layered (acyclic) graph. */
    for (int v = 0; v < nn; v++) s.pot[v] = 0.0;
    for (int a = 0; a < g->narcs; a++) {
        double *pv = &s.pot[nl + g->col[a]];
        if (g->cost[a] < *pv) *pv = g->cost[a];
    }
    for (int j = 0; j < nr; j++)
        if (s.pot[nl + j] < s.pot[s.sink]) s.pot[s.sink] = s.pot[nl + j];

    for (int i = 0; i < nl; i++) {
        while (supply[i] > 0) {
            int last = search(&s, i);
            if (last == i) {            /* the rest of i's slots stay empty */
                supply[i] = 0;
                break;
            }
            if (last >= nl) s.rres[last - nl]--;
            /* else: problem `last` gives up a pair for an empty slot. */
            int x = last;
            while (x != i) {
                int a = s.pred[x];
                if (x >= nl) { hold(&s, a); x = g->row[a]; }
                else { release(&s, a); x = nl + g->col[a]; }
            }
            supply[i]--;
        }
    }
    rc = LM_OK;

done:
    free(s.rres); free(s.head); free(s.next); free(s.prev); free(s.pot);
    free(s.dist); free(s.pred); free(s.state); free(s.touched);
    free(s.hp.h); free(s.hp.pos); free(supply);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Greedy baseline                                                          */
/* ------------------------------------------------------------------------ */

/* Sort records: decreasing score, then increasing pair index. */
typedef struct {
    double score;
    int pid;
    int arc;
} greedy_rec;

static int by_score_desc(const void *pa, const void *pb)
{
    const greedy_rec *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->pid > b->pid) - (a->pid < b->pid);
}

static int solve_greedy(const graph *g, unsigned char *used)
{
    greedy_rec *r = xmalloc((size_t)g->narcs, sizeof *r);
    int *lrem = xmalloc((size_t)g->nl, sizeof *lrem);
    int *rrem = xmalloc((size_t)g->nr, sizeof *rrem);
    int rc = LM_ENOMEM;
    if (!r || !lrem || !rrem) goto done;
    for (int a = 0; a < g->narcs; a++) {
        r[a].score = -g->cost[a];
        r[a].pid = g->pid[a];
        r[a].arc = a;
    }
    qsort(r, (size_t)g->narcs, sizeof *r, by_score_desc);
    memcpy(lrem, g->lcap, (size_t)g->nl * sizeof *lrem);
    memcpy(rrem, g->rcap, (size_t)g->nr * sizeof *rrem);
    for (int k = 0; k < g->narcs; k++) {
        int a = r[k].arc, i = g->row[a], j = g->col[a];
        if (lrem[i] > 0 && rrem[j] > 0) {
            used[a] = 1;
            lrem[i]--;
            rrem[j]--;
        }
    }
    rc = LM_OK;
done:
    free(r);
    free(lrem);
    free(rrem);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

static int allocate(int greedy, int nleft, const int *left_cap, int nright,
                    const int *right_cap, const lmx_pair *pairs, int npairs,
                    double min_score, int *chosen, int *nchosen,
                    double *total)
{
    graph g;
    int rc = build_graph(&g, nleft, left_cap, nright, right_cap, pairs,
                         npairs, min_score, chosen, nchosen, total);
    if (rc != LM_OK) return rc;
    unsigned char *used = xcalloc((size_t)g.narcs, 1);
    if (!used) rc = LM_ENOMEM;
    else rc = greedy ? solve_greedy(&g, used) : solve_exact(&g, used);
    if (rc == LM_OK)
        rc = emit(&g, used, npairs, pairs, chosen, nchosen, total);
    free(used);
    graph_free(&g);
    return rc;
}

int lmx_allocate(int nleft, const int *left_cap, int nright,
                 const int *right_cap, const lmx_pair *pairs, int npairs,
                 double min_score, int *chosen, int *nchosen, double *total)
{
    return allocate(0, nleft, left_cap, nright, right_cap, pairs, npairs,
                    min_score, chosen, nchosen, total);
}

int lmx_allocate_greedy(int nleft, const int *left_cap, int nright,
                        const int *right_cap, const lmx_pair *pairs,
                        int npairs, double min_score, int *chosen,
                        int *nchosen, double *total)
{
    return allocate(1, nleft, left_cap, nright, right_cap, pairs, npairs,
                    min_score, chosen, nchosen, total);
}
