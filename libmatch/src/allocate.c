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
** carries one unit.  Arcs leaving T (reverses of arcs into T) keep
** non-negative reduced costs too, since T gets the largest potential
** increase.  When all supply is routed, the flow is feasible with no
** negative residual cycle, hence of minimum cost: the assignment is optimal.
** Each search only reaches the alternating tree grown from L_i (experts by
** its free pair arcs, problems through the pairs those experts already
** hold), not the whole graph.
**
** Speed-up for dense instances (see "Exact solver" below): the flow is
** solved on a subgraph of candidate pairs (each node's best few), then every
** other pair is priced against the final potentials -- the LP dual -- and
** violators are added, warm-starting from the current flow, until none is
** left.  No pair is dropped for good, so the result is exactly optimal;
** only the work shrinks (1000 x 1000 dense: 0.05-0.6 s instead of
** 0.6-3.8 s for plain successive shortest paths).
**
** Data: pair arcs in CSR form by problem (target expert, cost, pair index,
** flow bit); per expert a doubly linked list of the arcs it currently holds
** (the residual reverse arcs R_j -> L_k); an indexed binary heap keyed by
** distance, ties broken by node kind and index (see heap_less()), so the run
** is deterministic.  Reduced costs that come out slightly negative through
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
    if (nleft > INT_MAX - 1 - nright) return LM_ERANGE;
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
    int nl, sink;       /* for the tie order */
} heap;

/*
** Order: by key; equal keys (a plateau of equal distances, common with equal
** scores) put the sink first, then experts, then problems, each by index.
** The sink first stops a search as soon as it is reached; experts before
** problems make a search look for a free expert (a few arcs each) before it
** goes down to problems (every pair arc of the problem).
*/
static int tie_rank(const heap *hp, int v)
{
    return v == hp->sink ? 0 : v >= hp->nl ? 1 : 2;
}

static int heap_less(const heap *hp, int a, int b)
{
    double ka = hp->key[a], kb = hp->key[b];
    if (ka != kb) return ka < kb;
    int ra = tie_rank(hp, a), rb = tie_rank(hp, b);
    if (ra != rb) return ra < rb;
    return a < b;
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

/*
** The state of a solve.  Node ids: problems 0..nl-1, experts nl..nl+nr-1,
** the sink nl+nr.  Flow is kept per unit: a pair arc holds 0 or 1, a problem
** has `dflow` units on its empty-slot arc, an expert `rcap - rres` units on
** its arc to the sink.  Where flow does not balance yet: `excess` per
** problem (supply still to send), `def` per expert (a unit sent on to the
** sink that no longer comes in; see release_problem()) and `dT`, what the
** sink still absorbs.  Always: sum(excess) = dT + sum(def).
**
** A search starts at a problem with excess and ends at the first settled
** target: the sink while dT > 0, or an expert with def > 0.  When dT == 0
** the sink is an ordinary node: its residual arcs lead back to experts
** (send one unit less to the sink) and problems (fill an empty slot).
**
** The node-indexed part (potentials, balances) lives across pricing rounds;
** the arc-indexed part is rebuilt for each subgraph by ssp_attach().
*/
enum { ST_NEW = 0, ST_OPEN = 1, ST_DONE = 2 };

typedef struct {
    int nl, nr, nn, sink;
    /* across rounds */
    double *pot;
    int *excess, *dflow;  /* per problem */
    int *rres, *def;      /* per expert */
    int64_t dT;
    /* per subgraph */
    const graph *g;
    unsigned char *used;  /* per arc: flow 0/1 */
    int *head;            /* per expert: first held arc, -1 if none */
    int *next, *prev;     /* per arc: links of the expert's held arcs */
    /* search scratch */
    double *dist;
    int *from;            /* per node: previous node on the path */
    int *via;             /* per node: pair arc used to enter it, -1 for
                             arcs to or from the sink */
    unsigned char *state;
    int *touched;         /* nodes with state != ST_NEW */
    int ntouched;
    heap hp;
} ssp;

static void ssp_free(ssp *s)
{
    free(s->pot); free(s->excess); free(s->dflow); free(s->rres); free(s->def);
    free(s->used); free(s->head); free(s->next); free(s->prev);
    free(s->dist); free(s->from); free(s->via); free(s->state);
    free(s->touched); free(s->hp.h); free(s->hp.pos);
    memset(s, 0, sizeof *s);
}

/* Allocate the node-indexed arrays; nothing flows yet. */
static int ssp_init(ssp *s, const graph *g)
{
    const int nl = g->nl, nr = g->nr, nn = nl + nr + 1;
    memset(s, 0, sizeof *s);
    s->nl = nl;
    s->nr = nr;
    s->nn = nn;
    s->sink = nl + nr;
    s->pot = xmalloc((size_t)nn, sizeof *s->pot);
    s->excess = xmalloc((size_t)nl, sizeof *s->excess);
    s->dflow = xcalloc((size_t)nl, sizeof *s->dflow);
    s->rres = xmalloc((size_t)nr, sizeof *s->rres);
    s->def = xcalloc((size_t)nr, sizeof *s->def);
    s->head = xmalloc((size_t)nr, sizeof *s->head);
    s->dist = xmalloc((size_t)nn, sizeof *s->dist);
    s->from = xmalloc((size_t)nn, sizeof *s->from);
    s->via = xmalloc((size_t)nn, sizeof *s->via);
    s->state = xcalloc((size_t)nn, 1);
    s->touched = xmalloc((size_t)nn, sizeof *s->touched);
    s->hp.h = xmalloc((size_t)nn, sizeof *s->hp.h);
    s->hp.pos = xmalloc((size_t)nn, sizeof *s->hp.pos);
    if (!s->pot || !s->excess || !s->dflow || !s->rres || !s->def ||
        !s->head || !s->dist || !s->from || !s->via || !s->state ||
        !s->touched || !s->hp.h || !s->hp.pos) {
        ssp_free(s);
        return LM_ENOMEM;
    }
    s->hp.key = s->dist;
    s->hp.nl = nl;
    s->hp.sink = s->sink;
    for (int v = 0; v < nn; v++) s->hp.pos[v] = -1;
    memcpy(s->excess, g->lcap, (size_t)nl * sizeof *s->excess);
    memcpy(s->rres, g->rcap, (size_t)nr * sizeof *s->rres);
    s->dT = 0;
    for (int i = 0; i < nl; i++) s->dT += g->lcap[i];
    return LM_OK;
}

/*
** Initial potentials for the zero flow on g: shortest distances from a
** virtual source joined to every problem at cost 0, over the layered
** (acyclic) graph -- the one Bellman-Ford pass.
*/
static void ssp_initial_potentials(ssp *s, const graph *g)
{
    for (int v = 0; v < s->nn; v++) s->pot[v] = 0.0;
    for (int a = 0; a < g->narcs; a++) {
        double *pv = &s->pot[s->nl + g->col[a]];
        if (g->cost[a] < *pv) *pv = g->cost[a];
    }
    for (int j = 0; j < s->nr; j++)
        if (s->pot[s->nl + j] < s->pot[s->sink]) s->pot[s->sink] = s->pot[s->nl + j];
}

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

/* Work on subgraph g, whose arc b carries flow used[b] (the array becomes
   the solver's; it is freed by ssp_free() or the next ssp_attach()). */
static int ssp_attach(ssp *s, const graph *g, unsigned char *used)
{
    free(s->used); free(s->next); free(s->prev);
    s->g = g;
    s->used = used;
    s->next = xmalloc((size_t)g->narcs, sizeof *s->next);
    s->prev = xmalloc((size_t)g->narcs, sizeof *s->prev);
    if (!s->next || !s->prev) return LM_ENOMEM;
    for (int j = 0; j < s->nr; j++) s->head[j] = -1;
    for (int a = 0; a < g->narcs; a++)
        if (used[a]) hold(s, a);
    return LM_OK;
}

/* Tentative distance d for node v, entered from node u by pair arc a (-1:
   an arc to or from the sink). */
static void relax(ssp *s, int v, double d, int u, int a)
{
    if (s->state[v] == ST_DONE) return;
    if (s->state[v] == ST_NEW) {
        s->state[v] = ST_OPEN;
        s->touched[s->ntouched++] = v;
    } else if (!(d < s->dist[v])) {
        return;
    }
    s->dist[v] = d;
    s->from[v] = u;
    s->via[v] = a;
    heap_push_or_decrease(&s->hp, v);
}

/* d + max(rc, 0): rounding can make a reduced cost a hair negative. */
#define STEP(d, rc) ((d) + ((rc) > 0 ? (rc) : 0))

static int is_target(const ssp *s, int v)
{
    if (v == s->sink) return s->dT > 0;
    return v >= s->nl && s->def[v - s->nl] > 0;
}

/*
** Dijkstra on reduced costs from problem src until a target is settled, then
** the potential update.  Returns the target, or -1 if none can be reached
** (which the balance invariant rules out).
*/
static int search(ssp *s, int src)
{
    const graph *g = s->g;
    const int nl = s->nl, nr = s->nr, sink = s->sink;
    double *pot = s->pot, *dist = s->dist;
    int target = -1;

    s->ntouched = 0;
    relax(s, src, 0.0, -1, -1);
    while (s->hp.n > 0) {
        int u = heap_pop(&s->hp);
        s->state[u] = ST_DONE;
        if (is_target(s, u)) { target = u; break; }
        double du = dist[u], pu = pot[u];
        if (u < nl) {
            /* Empty slot first: it wins exact ties with paths through
               pairs of zero gain found later. */
            relax(s, sink, STEP(du, pu - pot[sink]), u, -1);
            for (int a = g->start[u], e = g->start[u + 1]; a < e; a++) {
                if (s->used[a]) continue;
                int v = nl + g->col[a];
                relax(s, v, STEP(du, g->cost[a] + pu - pot[v]), u, a);
            }
        } else if (u < sink) {
            int j = u - nl;
            if (s->rres[j] > 0) relax(s, sink, STEP(du, pu - pot[sink]), u, -1);
            for (int a = s->head[j]; a >= 0; a = s->next[a]) {
                int k = g->row[a];
                relax(s, k, STEP(du, -g->cost[a] + pu - pot[k]), u, a);
            }
        } else {
            /* The sink, absorbing nothing more: undo a unit sent to it. */
            for (int j = 0; j < nr; j++)
                if (s->rres[j] < g->rcap[j])
                    relax(s, nl + j, STEP(du, pu - pot[nl + j]), u, -1);
            for (int k = 0; k < nl; k++)
                if (s->dflow[k] > 0) relax(s, k, STEP(du, pu - pot[k]), u, -1);
        }
    }

    /* Settled nodes: pot += dist - D; the others keep theirs (a uniform
       shift by D, which changes no reduced cost). */
    double D = target >= 0 ? dist[target] : 0.0;
    for (int t = 0; t < s->ntouched; t++) {
        int v = s->touched[t];
        if (s->state[v] == ST_DONE && target >= 0) pot[v] += dist[v] - D;
        else s->hp.pos[v] = -1;
        s->state[v] = ST_NEW;
    }
    s->hp.n = 0;
    return target;
}

/* Route all excess, problems in index order.  LM_ERROR if stuck (a bug). */
static int ssp_run(ssp *s)
{
    const int nl = s->nl, sink = s->sink;
    for (int i = 0; i < nl; i++) {
        while (s->excess[i] > 0) {
            int t = search(s, i);
            if (t < 0) return LM_ERROR;
            if (t == sink && s->from[sink] == i) {
                /* Straight to the empty slots: as many units as the sink
                   still takes, at once. */
                int d = s->dT < s->excess[i] ? (int)s->dT : s->excess[i];
                s->dflow[i] += d;
                s->excess[i] -= d;
                s->dT -= d;
                continue;
            }
            if (t == sink) s->dT--;
            else s->def[t - nl]--;
            for (int x = t; x != i;) {
                int u = s->from[x];
                if (x == sink) {
                    if (u < nl) s->dflow[u]++;
                    else s->rres[u - nl]--;
                } else if (u == sink) {
                    if (x < nl) s->dflow[x]--;
                    else s->rres[x - nl]++;
                } else if (x >= nl) {
                    hold(s, s->via[x]);
                } else {
                    release(s, s->via[x]);
                }
                x = u;
            }
            s->excess[i]--;
        }
    }
    return LM_OK;
}

/* ------------------------------------------------------------------------ */
/* Exact solver: candidate subgraph + pricing                               */
/* ------------------------------------------------------------------------ */

/*
** Dense instances make every search scan long adjacency lists, most of whose
** arcs (poor pairs) can never be in an optimal assignment.  So the exact
** solver works on a candidate subgraph and prices the rest, as column
** generation does:
**
**   1. candidates: for every problem its lcap + slack best pairs, and for
**      every expert its rcap + slack best pairs (score ties broken by a
**      fixed hash of the pair, so that equal scores do not all pick the
**      same experts); slack < 0 takes every pair;
**   2. solve the subgraph exactly (ssp_run), with the full supplies;
**   3. price every other pair with the final potentials: reduced cost
**      -score + pot[problem] - pot[expert].  If none is negative, the
**      subgraph's flow is feasible in the full network and every residual
**      arc there has a non-negative reduced cost -- the optimality condition
**      of min-cost flow -- so the assignment is optimal for the full
**      instance.  Otherwise add, per problem, its lcap + slack most violated
**      pairs (adding all of them would make the subgraph dense again),
**      release those problems (release_problem(), which restores the
**      invariant for the new arcs) and route their supply again (step 2,
**      warm: everything else keeps its flow and potentials).
**
** Every round adds at least one pair, so it ends; 1 to 6 rounds on the
** 1000 x 1000 benchmarks.  A pair priced within LMX_ALLOC_TOL * (largest
** score) of zero counts as non-violating: that is rounding, not a better
** assignment.
*/
#define LMX_ALLOC_TOL 1e-12

/* A candidate in a top-k buffer: smaller key first, then smaller tie, then
   smaller arc. */
typedef struct {
    double key;
    uint64_t tie;
    int arc;
} ranked;

static int ranked_before(const ranked *x, const ranked *y)
{
    if (x->key != y->key) return x->key < y->key;
    if (x->tie != y->tie) return x->tie < y->tie;
    return x->arc < y->arc;
}

static int ranked_cmp(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    return ranked_before(a, b) ? -1 : ranked_before(b, a) ? 1 : 0;
}

/*
** Move the min(n, k) best records of r[0..n) to the front, best first, and
** return their number.  Small k: one pass keeping a sorted prefix, O(n) when
** few records displace it; large k: sort.
*/
static int best_k(ranked *r, int n, int k)
{
    if (k >= n) k = n;
    if (k <= 0) return 0;
    if (k > 32) {
        qsort(r, (size_t)n, sizeof *r, ranked_cmp);
        return k;
    }
    for (int t = 1; t < k; t++) {             /* sort the prefix */
        ranked x = r[t];
        int m = t;
        while (m > 0 && ranked_before(&x, &r[m - 1])) { r[m] = r[m - 1]; m--; }
        r[m] = x;
    }
    for (int t = k; t < n; t++) {
        if (!ranked_before(&r[t], &r[k - 1])) continue;
        ranked x = r[t];
        r[t] = r[k - 1];                      /* the displaced one */
        int m = k - 1;
        while (m > 0 && ranked_before(&x, &r[m - 1])) { r[m] = r[m - 1]; m--; }
        r[m] = x;
    }
    return k;
}

/* A fixed pseudo-random order of the pairs, to break score ties when
   choosing candidates: by index, every problem would pick the same experts
   among equals (splitmix64 finalizer). */
static uint64_t pair_hash(int left, int right)
{
    uint64_t z = ((uint64_t)(uint32_t)left << 32 | (uint32_t)right) +
                 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static ranked candidate(const graph *g, int a)
{
    ranked r = { g->cost[a], pair_hash(g->row[a], g->col[a]), a };
    return r;
}

/* Candidates kept per node: cap + slack, all when slack < 0. */
static int slack_k(int cap, int deg, int slack)
{
    if (slack < 0) return deg;
    int64_t k = (int64_t)cap + slack;
    return k < deg ? (int)k : deg;
}

/* Mark the candidate arcs of step 1. */
static int mark_candidates(const graph *g, unsigned char *mark, int slack)
{
    const int nl = g->nl, nr = g->nr;
    if (slack < 0) {
        memset(mark, 1, (size_t)g->narcs);
        return LM_OK;
    }
    /* The arcs of each expert: CSR by expert (counting sort). */
    int *rstart = xcalloc((size_t)nr + 1, sizeof *rstart);
    int *rarcs = xmalloc((size_t)g->narcs, sizeof *rarcs);
    ranked *buf = NULL;
    int maxdeg = 0, rc = LM_ENOMEM;
    if (!rstart || !rarcs) goto done;
    for (int a = 0; a < g->narcs; a++) rstart[g->col[a] + 1]++;
    for (int j = 0; j < nr; j++) {
        if (rstart[j + 1] > maxdeg) maxdeg = rstart[j + 1];
        rstart[j + 1] += rstart[j];
    }
    for (int a = 0; a < g->narcs; a++) rarcs[rstart[g->col[a]]++] = a;
    for (int j = nr; j > 0; j--) rstart[j] = rstart[j - 1];
    rstart[0] = 0;
    for (int i = 0; i < nl; i++)
        if (g->start[i + 1] - g->start[i] > maxdeg) maxdeg = g->start[i + 1] - g->start[i];
    buf = xmalloc((size_t)maxdeg, sizeof *buf);
    if (!buf) goto done;

    for (int i = 0; i < nl; i++) {
        int b = g->start[i], e = g->start[i + 1];
        int k = slack_k(g->lcap[i], e - b, slack);
        if (k == e - b) {
            memset(mark + b, 1, (size_t)(e - b));
            continue;
        }
        for (int a = b; a < e; a++) buf[a - b] = candidate(g, a);
        k = best_k(buf, e - b, k);
        for (int t = 0; t < k; t++) mark[buf[t].arc] = 1;
    }
    for (int j = 0; j < nr; j++) {
        int b = rstart[j], e = rstart[j + 1];
        int k = slack_k(g->rcap[j], e - b, slack);
        if (k == e - b) {
            for (int t = b; t < e; t++) mark[rarcs[t]] = 1;
            continue;
        }
        for (int t = b; t < e; t++) buf[t - b] = candidate(g, rarcs[t]);
        k = best_k(buf, e - b, k);
        for (int t = 0; t < k; t++) mark[buf[t].arc] = 1;
    }
    rc = LM_OK;
done:
    free(rstart);
    free(rarcs);
    free(buf);
    return rc;
}

/* The subgraph of the marked arcs; its pid[] maps back to arcs of g and it
   shares g's (full) capacities. */
static int subgraph(const graph *g, const unsigned char *mark, graph *sg)
{
    int n = 0;
    for (int a = 0; a < g->narcs; a++) n += mark[a];
    memset(sg, 0, sizeof *sg);
    sg->nl = g->nl;
    sg->nr = g->nr;
    sg->narcs = n;
    sg->start = xmalloc((size_t)g->nl + 1, sizeof *sg->start);
    sg->col = xmalloc((size_t)n, sizeof *sg->col);
    sg->row = xmalloc((size_t)n, sizeof *sg->row);
    sg->pid = xmalloc((size_t)n, sizeof *sg->pid);
    sg->cost = xmalloc((size_t)n, sizeof *sg->cost);
    if (!sg->start || !sg->col || !sg->row || !sg->pid || !sg->cost) {
        graph_free(sg);
        return LM_ENOMEM;
    }
    int b = 0;
    for (int i = 0; i < g->nl; i++) {
        sg->start[i] = b;
        for (int a = g->start[i]; a < g->start[i + 1]; a++) {
            if (!mark[a]) continue;
            sg->col[b] = g->col[a];
            sg->row[b] = i;
            sg->pid[b] = a;
            sg->cost[b] = g->cost[a];
            b++;
        }
    }
    sg->start[g->nl] = b;
    sg->lcap = g->lcap;
    sg->rcap = g->rcap;
    return LM_OK;
}

/*
** Give problem i its whole supply back (warm start of a pricing round whose
** new pairs leave from i): its pairs are released, each expert it held keeps
** sending that unit on to the sink and owes it (def), its empty slots are
** taken back from the sink (dT).  i then has no entering residual arc, so
** its potential can be raised until all its leaving arcs -- set by
** ssp_reprice() on the new subgraph -- have non-negative reduced costs.
** `used` is indexed by arcs of the full graph g.
*/
static void release_problem(ssp *s, const graph *g, unsigned char *used, int i)
{
    for (int a = g->start[i]; a < g->start[i + 1]; a++)
        if (used[a]) {
            used[a] = 0;
            s->def[g->col[a]]++;
        }
    s->excess[i] = g->lcap[i];
    s->dT += s->dflow[i];
    s->dflow[i] = 0;
}

static void ssp_reprice(ssp *s, const graph *sg, int i)
{
    double p = s->pot[s->sink];
    for (int b = sg->start[i]; b < sg->start[i + 1]; b++) {
        double q = s->pot[s->nl + sg->col[b]] - sg->cost[b];
        if (q > p) p = q;
    }
    s->pot[i] = p;
}

static int solve_exact(const graph *g, unsigned char *used, int slack)
{
    const int nl = g->nl;
    unsigned char *mark = xcalloc((size_t)g->narcs, 1);
    unsigned char *released = xcalloc((size_t)nl, 1);
    ranked *buf = NULL;
    graph sg;
    ssp s;
    int rc = LM_ENOMEM, maxk = 0, round = 0;
    memset(&sg, 0, sizeof sg);
    memset(&s, 0, sizeof s);
    if (!mark || !released) goto done;
    for (int i = 0; i < nl; i++)
        if (g->start[i + 1] - g->start[i] > maxk) maxk = g->start[i + 1] - g->start[i];
    buf = xmalloc((size_t)maxk, sizeof *buf);
    if (!buf) goto done;
    rc = mark_candidates(g, mark, slack);
    if (rc != LM_OK) goto done;
    rc = ssp_init(&s, g);
    if (rc != LM_OK) goto done;

    double tol = 0.0;
    for (int a = 0; a < g->narcs; a++)
        if (-g->cost[a] > tol) tol = -g->cost[a];
    tol *= LMX_ALLOC_TOL;

    for (;; round++) {
        rc = subgraph(g, mark, &sg);
        if (rc != LM_OK) goto done;
        unsigned char *sused = xcalloc((size_t)sg.narcs, 1);
        if (!sused) { rc = LM_ENOMEM; goto done; }
        for (int b = 0; b < sg.narcs; b++) sused[b] = used[sg.pid[b]];
        rc = ssp_attach(&s, &sg, sused);
        if (rc != LM_OK) goto done;
        if (round == 0) ssp_initial_potentials(&s, &sg);
        for (int i = 0; i < nl; i++)
            if (released[i]) {
                ssp_reprice(&s, &sg, i);
                released[i] = 0;
            }
        rc = ssp_run(&s);
        if (rc != LM_OK) goto done;
        for (int b = 0; b < sg.narcs; b++) used[sg.pid[b]] = s.used[b];

        /* Pricing: per problem, its most violated pairs. */
        int added = 0;
        for (int i = 0; i < nl; i++) {
            int n = 0;
            for (int a = g->start[i]; a < g->start[i + 1]; a++) {
                if (mark[a]) continue;
                double red = g->cost[a] + s.pot[i] - s.pot[nl + g->col[a]];
                if (red < -tol) {
                    ranked x = { red, 0, a };
                    buf[n++] = x;
                }
            }
            if (n == 0) continue;
            n = best_k(buf, n, slack_k(g->lcap[i], n, slack));
            for (int t = 0; t < n; t++) mark[buf[t].arc] = 1;
            added += n;
            release_problem(&s, g, used, i);
            released[i] = 1;
        }
        sg.lcap = sg.rcap = NULL;   /* borrowed from g */
        graph_free(&sg);
        if (added == 0) break;
    }
    rc = LM_OK;
done:
    sg.lcap = sg.rcap = NULL;
    graph_free(&sg);
    ssp_free(&s);
    free(mark);
    free(released);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Greedy baseline                                                          */
/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

/* The exact solver with a given candidate slack (see LMX_ALLOC_SLACK).  The
   result is optimal whatever the slack; tests include this file to run
   every slack against the plain successive shortest paths (slack < 0). */
static int allocate(int slack, int nleft, const int *left_cap,
                    int nright, const int *right_cap, const lmx_pair *pairs,
                    int npairs, double min_score, int *chosen, int *nchosen,
                    double *total)
{
    graph g;
    int rc = build_graph(&g, nleft, left_cap, nright, right_cap, pairs,
                         npairs, min_score, chosen, nchosen, total);
    if (rc != LM_OK) return rc;
    unsigned char *used = xcalloc((size_t)g.narcs, 1);
    if (!used) rc = LM_ENOMEM;
    else rc = solve_exact(&g, used, slack);
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
    return allocate(LMX_ALLOC_SLACK, nleft, left_cap, nright, right_cap,
                    pairs, npairs, min_score, chosen, nchosen, total);
}
