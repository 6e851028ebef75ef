/*
** test_allocate.c -- the allocation module (allocate.c): exact maximum-score
** assignment under capacities, and the greedy baseline.
**
** Optimality is checked two independent ways: against brute force on small
** instances (every subset of at most 12 pairs), and on larger ones by the
** min-cost circulation optimality condition (no negative cycle in the
** residual graph, found by Bellman-Ford).
**
**   test_allocate           unit tests (a few hundred ms)
**   test_allocate --bench   also times 1000 x 1000 dense instances
**                           (or LM_ALLOCATE_BENCH=1 in the environment)
*/
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The solver's source itself: the tests reach its static exact solver with
   any candidate slack (allocate()), and compare with a greedy baseline. */
#include "allocate.c"
#include "lmtest.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int rng_int(int n) { return (int)(rng_next() % (uint64_t)n); }
static double rng_unit(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef int (*alloc_fn)(int, const int *, int, const int *, const lmx_pair *,
                        int, double, int *, int *, double *);

typedef struct {
    int nl, nr, np;
    int *lcap, *rcap;
    lmx_pair *pairs;
    double min_score;
} instance;

static void inst_free(instance *in)
{
    free(in->lcap);
    free(in->rcap);
    free(in->pairs);
    memset(in, 0, sizeof *in);
}

/*
** A random instance: each (i, j) is a candidate with probability `density`,
** pairs listed in random order.  Scores uniform in [lo, hi), or multiples of
** 0.25 in that range when `ties` (many equal scores).
*/
static instance random_instance(int nl, int nr, double density, int capmax,
                                double lo, double hi, int ties,
                                double min_score)
{
    instance in;
    in.nl = nl;
    in.nr = nr;
    in.min_score = min_score;
    in.lcap = malloc(((size_t)nl + 1) * sizeof *in.lcap);
    in.rcap = malloc(((size_t)nr + 1) * sizeof *in.rcap);
    in.pairs = malloc(((size_t)nl * nr + 1) * sizeof *in.pairs);
    if (!in.lcap || !in.rcap || !in.pairs) { perror("malloc"); exit(2); }
    for (int i = 0; i < nl; i++) in.lcap[i] = rng_int(capmax + 1);
    for (int j = 0; j < nr; j++) in.rcap[j] = rng_int(capmax + 1);
    in.np = 0;
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < nr; j++) {
            if (rng_unit() >= density) continue;
            double s = lo + (hi - lo) * rng_unit();
            if (ties) s = floor(s * 4.0) / 4.0;
            in.pairs[in.np].left = i;
            in.pairs[in.np].right = j;
            in.pairs[in.np].score = s;
            in.np++;
        }
    for (int k = in.np - 1; k > 0; k--) {   /* shuffle */
        int r = rng_int(k + 1);
        lmx_pair t = in.pairs[k];
        in.pairs[k] = in.pairs[r];
        in.pairs[r] = t;
    }
    return in;
}

/*
** Score shapes of shaped_instance():
**   uniform  independent uniform scores in [0, 1);
**   popular  0.6 * quality(expert) + 0.4 * noise: every problem wants the
**            same experts (long alternating paths);
**   lowrank  dot product of random 8-dimensional profiles (topics);
**   ties     popular, rounded to multiples of 0.05 (many equal scores);
**   equal    every score 0.5.
*/
enum { SHAPE_UNIFORM, SHAPE_POPULAR, SHAPE_LOWRANK, SHAPE_TIES, SHAPE_EQUAL, NSHAPES };
static const char *const shape_name[NSHAPES] = {
    "uniform", "popular", "lowrank", "ties", "equal"
};

/* nl x nr, each pair present with probability `density` (in index order),
   capacities uniform in capmin..capmax. */
static instance shaped_instance(int nl, int nr, double density, int capmin,
                                int capmax, int shape, double min_score)
{
    instance in;
    in.nl = nl;
    in.nr = nr;
    in.min_score = min_score;
    in.lcap = malloc(((size_t)nl + 1) * sizeof *in.lcap);
    in.rcap = malloc(((size_t)nr + 1) * sizeof *in.rcap);
    in.pairs = malloc(((size_t)nl * nr + 1) * sizeof *in.pairs);
    double *quality = malloc(((size_t)nr + 1) * sizeof *quality);
    double (*prof)[8] = malloc(((size_t)nl + nr) * sizeof *prof);
    if (!in.lcap || !in.rcap || !in.pairs || !quality || !prof) { perror("malloc"); exit(2); }
    for (int i = 0; i < nl; i++) in.lcap[i] = capmin + rng_int(capmax - capmin + 1);
    for (int j = 0; j < nr; j++) in.rcap[j] = capmin + rng_int(capmax - capmin + 1);
    for (int j = 0; j < nr; j++) quality[j] = rng_unit();
    for (int k = 0; k < nl + nr; k++)
        for (int d = 0; d < 8; d++) prof[k][d] = rng_unit();
    in.np = 0;
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < nr; j++) {
            if (density < 1.0 && rng_unit() >= density) continue;
            double sc = 0.0;
            switch (shape) {
            case SHAPE_UNIFORM: sc = rng_unit(); break;
            case SHAPE_POPULAR: sc = 0.6 * quality[j] + 0.4 * rng_unit(); break;
            case SHAPE_LOWRANK:
                for (int d = 0; d < 8; d++) sc += prof[i][d] * prof[nl + j][d];
                sc /= 8.0;
                break;
            case SHAPE_TIES:
                sc = floor((0.6 * quality[j] + 0.4 * rng_unit()) * 20.0) / 20.0;
                break;
            default: sc = 0.5; break;
            }
            in.pairs[in.np].left = i;
            in.pairs[in.np].right = j;
            in.pairs[in.np].score = sc;
            in.np++;
        }
    free(quality);
    free(prof);
    return in;
}

/* ---- the greedy baseline ------------------------------------------------- */

/* Eligible pairs taken by decreasing score (ties by increasing pair index)
   whenever both sides still have capacity; same validation, eligibility and
   output conventions as lmx_allocate(); not optimal in general (it can be
   as low as half the optimum). */
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

static int alloc_greedy(int nleft, const int *left_cap, int nright,
                        const int *right_cap, const lmx_pair *pairs,
                        int npairs, double min_score, int *chosen,
                        int *nchosen, double *total)
{
    graph g;
    int rc = build_graph(&g, nleft, left_cap, nright, right_cap, pairs,
                         npairs, min_score, chosen, nchosen, total);
    if (rc != LM_OK) return rc;
    unsigned char *used = xcalloc((size_t)g.narcs, 1);
    rc = used ? solve_greedy(&g, used) : LM_ENOMEM;
    if (rc == LM_OK)
        rc = emit(&g, used, npairs, pairs, chosen, nchosen, total);
    free(used);
    graph_free(&g);
    return rc;
}

static int run(alloc_fn fn, const instance *in, int *chosen, int *nchosen,
               double *total)
{
    return fn(in->nl, in->lcap, in->nr, in->rcap, in->pairs, in->np,
              in->min_score, chosen, nchosen, total);
}

/* The exact solver with a given candidate slack. */
static int run_slack(const instance *in, int slack, int *chosen, int *nchosen,
                     double *total)
{
    return allocate(slack, in->nl, in->lcap, in->nr, in->rcap, in->pairs,
                    in->np, in->min_score, chosen, nchosen, total);
}

/* Slacks under test: the default, none (one round on the whole graph),
   and tiny ones, which make the solver price and re-solve many rounds. */
static const int slacks[] = { LMX_ALLOC_SLACK, -1, 0, 1, 3 };
#define NSLACKS ((int)(sizeof slacks / sizeof slacks[0]))

/*
** Structural validity of a result: indices increasing and in range, only
** eligible pairs, capacities respected, total = sum of chosen scores (in
** index order).  Returns 1 when valid.
*/
static int valid_result(const instance *in, const int *chosen, int nchosen,
                        double total)
{
    int ok = 1;
    int *lu = calloc((size_t)in->nl + 1, sizeof *lu);
    int *ru = calloc((size_t)in->nr + 1, sizeof *ru);
    double sum = 0.0;
    if (nchosen < 0 || nchosen > in->np) ok = 0;
    for (int k = 0; ok && k < nchosen; k++) {
        int p = chosen[k];
        if (p < 0 || p >= in->np || (k > 0 && p <= chosen[k - 1])) { ok = 0; break; }
        const lmx_pair *q = &in->pairs[p];
        if (!(q->score >= in->min_score) || !(q->score > 0)) ok = 0;
        if (++lu[q->left] > in->lcap[q->left]) ok = 0;
        if (++ru[q->right] > in->rcap[q->right]) ok = 0;
        sum += q->score;
    }
    if (ok && sum != total) ok = 0;
    free(lu);
    free(ru);
    return ok;
}

/* Best total by enumerating every subset of pairs (np <= 20). */
static double brute_force(const instance *in)
{
    double best = 0.0;
    int lu[32], ru[32];
    for (uint32_t m = 0; m < (1u << in->np); m++) {
        memset(lu, 0, sizeof lu);
        memset(ru, 0, sizeof ru);
        double sum = 0.0;
        int ok = 1;
        for (int p = 0; ok && p < in->np; p++) {
            if (!(m & (1u << p))) continue;
            const lmx_pair *q = &in->pairs[p];
            if (q->score < in->min_score) ok = 0;
            else if (++lu[q->left] > in->lcap[q->left]) ok = 0;
            else if (++ru[q->right] > in->rcap[q->right]) ok = 0;
            sum += q->score;
        }
        if (ok && sum > best) best = sum;
    }
    return best;
}

/*
** Optimality certificate.  Max-score assignment = min-cost circulation on
** S -> L_i (cap lcap, cost 0), L_i -> R_j (cap 1, cost -score, eligible
** pairs), R_j -> T (cap rcap, cost 0), T -> S (unbounded, cost 0).  A
** circulation is optimal iff its residual graph has no negative cycle.
** Bellman-Ford from a virtual source at distance 0 to every node; a
** relaxation (by more than eps) still possible after |V| rounds means a
** negative cycle.  Returns 1 when the result is optimal.
*/
static int no_negative_cycle(const instance *in, const int *chosen, int nchosen)
{
    const double eps = 1e-9;
    int nl = in->nl, nr = in->nr, S = nl + nr, T = S + 1, nv = nl + nr + 2;
    int cap_arcs = 2 * (in->np + nl + nr + 1);
    int *from = malloc((size_t)cap_arcs * sizeof *from);
    int *to = malloc((size_t)cap_arcs * sizeof *to);
    double *w = malloc((size_t)cap_arcs * sizeof *w);
    int *lu = calloc((size_t)nl + 1, sizeof *lu), *ru = calloc((size_t)nr + 1, sizeof *ru);
    char *sel = calloc((size_t)in->np + 1, 1);
    double *d = malloc((size_t)nv * sizeof *d);
    int na = 0;
#define ARC(u, v, c) do { from[na] = (u); to[na] = (v); w[na] = (c); na++; } while (0)
    for (int k = 0; k < nchosen; k++) {
        sel[chosen[k]] = 1;
        lu[in->pairs[chosen[k]].left]++;
        ru[in->pairs[chosen[k]].right]++;
    }
    for (int p = 0; p < in->np; p++) {
        const lmx_pair *q = &in->pairs[p];
        if (!(q->score >= in->min_score)) continue;
        if (sel[p]) ARC(nl + q->right, q->left, q->score);   /* reverse */
        else ARC(q->left, nl + q->right, -q->score);
    }
    for (int i = 0; i < nl; i++) {
        if (lu[i] < in->lcap[i]) ARC(S, i, 0.0);
        if (lu[i] > 0) ARC(i, S, 0.0);
    }
    for (int j = 0; j < nr; j++) {
        if (ru[j] < in->rcap[j]) ARC(nl + j, T, 0.0);
        if (ru[j] > 0) ARC(T, nl + j, 0.0);
    }
    ARC(T, S, 0.0);
    if (nchosen > 0) ARC(S, T, 0.0);
#undef ARC
    for (int v = 0; v < nv; v++) d[v] = 0.0;
    int changed = 1;
    for (int round = 0; round <= nv && changed; round++) {
        changed = 0;
        for (int a = 0; a < na; a++)
            if (d[from[a]] + w[a] < d[to[a]] - eps) {
                d[to[a]] = d[from[a]] + w[a];
                changed = 1;
            }
    }
    free(from); free(to); free(w); free(lu); free(ru); free(sel); free(d);
    return !changed;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

/* The classic case where greedy loses: 1.0 against 1.65. */
static void test_greedy_is_worse(void)
{
    const int cap[2] = { 1, 1 };
    const lmx_pair pairs[4] = {
        { 0, 0, 0.9 }, { 0, 1, 0.8 }, { 1, 0, 0.85 }, { 1, 1, 0.1 },
    };
    int chosen[4] = { -1, -1, -1, -1 }, n = -1;
    double total = -1;

    CHECK_EQ_INT(alloc_greedy(2, cap, 2, cap, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(chosen[0], 0);
    CHECK_EQ_INT(chosen[1], 3);
    CHECK(total == 0.9 + 0.1);

    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(chosen[0], 1);   /* P1-E2 */
    CHECK_EQ_INT(chosen[1], 2);   /* P2-E1 */
    CHECK(total == 0.8 + 0.85);
    CHECK(fabs(total - 1.65) < 1e-12);
}

/* Maximum score, not maximum cardinality; scores <= 0 never taken. */
static void test_not_max_cardinality(void)
{
    const int cap[2] = { 1, 1 };
    /* Two pairs {P1-E2, P2-E1} = 0.2 beat cardinality-wise one pair of 1.0. */
    const lmx_pair pairs[3] = { { 0, 0, 1.0 }, { 0, 1, 0.1 }, { 1, 0, 0.1 } };
    int chosen[3], n = -1;
    double total = -1;
    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, pairs, 3, -INFINITY, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(chosen[0], 0);
    CHECK(total == 1.0);

    /* Zero and negative scores are never chosen, even with free capacity
       and no threshold. */
    const lmx_pair zp[3] = { { 0, 0, 0.0 }, { 1, 1, -0.5 }, { 0, 1, 0.25 } };
    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, zp, 3, -INFINITY, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(chosen[0], 2);
    CHECK(total == 0.25);
    CHECK_EQ_INT(alloc_greedy(2, cap, 2, cap, zp, 3, -INFINITY, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(chosen[0], 2);
}

/* A pair below min_score is never chosen, even where it would add. */
static void test_min_score(void)
{
    const int cap[2] = { 1, 1 };
    const lmx_pair pairs[3] = { { 0, 0, 0.6 }, { 1, 0, 0.55 }, { 1, 1, 0.4 } };
    int chosen[3], n = -1;
    double total = -1;

    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 2);
    CHECK(total == 0.6 + 0.4);

    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, pairs, 3, 0.5, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(chosen[0], 0);
    CHECK(total == 0.6);

    /* The threshold is inclusive. */
    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, pairs, 3, 0.4, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 2);

    /* +inf excludes everything. */
    CHECK_EQ_INT(lmx_allocate(2, cap, 2, cap, pairs, 3, INFINITY, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(total == 0.0);

    /* Random instances: nothing below the threshold ever. */
    for (int t = 0; t < 50; t++) {
        instance in = random_instance(15, 15, 0.6, 3, 0.0, 1.0, 0, 0.7);
        int *ch = malloc(((size_t)in.np + 1) * sizeof *ch);
        CHECK_EQ_INT(run(lmx_allocate, &in, ch, &n, &total), LM_OK);
        for (int k = 0; k < n; k++) CHECK(in.pairs[ch[k]].score >= 0.7);
        CHECK(valid_result(&in, ch, n, total));
        free(ch);
        inst_free(&in);
    }
}

static void test_empty_inputs(void)
{
    int n = -1;
    double total = -1;
    CHECK_EQ_INT(lmx_allocate(0, NULL, 0, NULL, NULL, 0, 0.0, NULL, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(total == 0.0);
    n = -1; total = -1;
    CHECK_EQ_INT(alloc_greedy(0, NULL, 0, NULL, NULL, 0, 0.0, NULL, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(total == 0.0);

    /* Nodes but no pairs. */
    const int cap[3] = { 2, 2, 2 };
    n = -1; total = -1;
    CHECK_EQ_INT(lmx_allocate(3, cap, 2, cap, NULL, 0, 0.0, NULL, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(total == 0.0);
    /* One side empty. */
    n = -1;
    CHECK_EQ_INT(lmx_allocate(3, cap, 0, NULL, NULL, 0, 0.0, NULL, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
}

static void test_zero_capacities(void)
{
    const int zero[2] = { 0, 0 }, one[2] = { 1, 1 };
    const lmx_pair pairs[4] = {
        { 0, 0, 0.9 }, { 0, 1, 0.8 }, { 1, 0, 0.85 }, { 1, 1, 0.1 },
    };
    int chosen[4], n = -1;
    double total = -1;
    CHECK_EQ_INT(lmx_allocate(2, zero, 2, one, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(total == 0.0);
    CHECK_EQ_INT(lmx_allocate(2, one, 2, zero, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(total == 0.0);
    CHECK_EQ_INT(alloc_greedy(2, zero, 2, zero, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 0);

    /* Only E2 (cap 0 for E1): the best use of E2 is P1 (0.8). */
    const int e2only[2] = { 0, 1 };
    CHECK_EQ_INT(lmx_allocate(2, one, 2, e2only, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(chosen[0], 1);
    CHECK(total == 0.8);
}

/* Capacities above 1 and huge capacities. */
static void test_capacities(void)
{
    /* P1 wants 2 experts, E1 takes 2 problems. */
    const int lcap[2] = { 2, 1 }, rcap[2] = { 2, 1 };
    const lmx_pair pairs[4] = {
        { 0, 0, 0.5 }, { 0, 1, 0.5 }, { 1, 0, 0.4 }, { 1, 1, 0.9 },
    };
    int chosen[4], n = -1;
    double total = -1;
    /* Optimum: P1-E1, P2-E2 (1.4) vs P1-E1, P1-E2, P2-E1 (1.4): both 1.4;
       check the value and validity. */
    CHECK_EQ_INT(lmx_allocate(2, lcap, 2, rcap, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK(fabs(total - 1.4) < 1e-12);

    /* Unbounded capacities take every positive pair. */
    const int big[2] = { INT_MAX, INT_MAX };
    CHECK_EQ_INT(lmx_allocate(2, big, 2, big, pairs, 4, 0.0, chosen, &n, &total), LM_OK);
    CHECK_EQ_INT(n, 4);
    CHECK(total == 0.5 + 0.5 + 0.4 + 0.9);

    /* Random instances with capacities 0..4: always within capacity. */
    for (int t = 0; t < 100; t++) {
        instance in = random_instance(1 + rng_int(30), 1 + rng_int(30), 0.5, 4,
                                      -0.2, 1.0, t & 1, -INFINITY);
        int *ch = malloc(((size_t)in.np + 1) * sizeof *ch);
        CHECK_EQ_INT(run(lmx_allocate, &in, ch, &n, &total), LM_OK);
        CHECK(valid_result(&in, ch, n, total));
        CHECK_EQ_INT(run(alloc_greedy, &in, ch, &n, &total), LM_OK);
        CHECK(valid_result(&in, ch, n, total));
        free(ch);
        inst_free(&in);
    }
}

/* Many small random instances against brute force. */
static void test_brute_force(void)
{
    int mismatches = 0, greedy_worse = 0, cases = 0;
    for (int t = 0; t < 6000; t++) {
        int nl = 1 + rng_int(5), nr = 1 + rng_int(5);
        int ties = t % 3 == 0;
        double min_score = (t % 4 == 0) ? 0.3 : (t % 4 == 1 ? -INFINITY : 0.0);
        instance in = random_instance(nl, nr, 0.7, 1 + t % 3, -0.3, 1.0, ties, min_score);
        if (in.np > 12) in.np = 12;   /* keep a prefix: <= 12 pairs */
        int chosen[12], n = -1;
        double total = -1, gtotal = -1;
        double best = brute_force(&in);
        for (int k = 0; k < NSLACKS; k++) {
            CHECK_EQ_INT(run_slack(&in, slacks[k], chosen, &n, &total), LM_OK);
            CHECK(valid_result(&in, chosen, n, total));
            if (fabs(total - best) > 1e-9 && mismatches++ < 5)
                fprintf(stderr, "  case %d slack %d: exact %.17g, brute force %.17g\n",
                        t, slacks[k], total, best);
        }
        CHECK_EQ_INT(run(lmx_allocate, &in, chosen, &n, &total), LM_OK);
        CHECK(fabs(total - best) <= 1e-9);
        CHECK_EQ_INT(run(alloc_greedy, &in, chosen, &n, &gtotal), LM_OK);
        CHECK(valid_result(&in, chosen, n, gtotal));
        CHECK(gtotal <= best + 1e-9);
        greedy_worse += gtotal < best - 1e-9;
        cases++;
        inst_free(&in);
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK(greedy_worse > 0);   /* the brute force does see the difference */
    printf("# brute force: %d cases, greedy suboptimal in %d\n", cases, greedy_worse);
}

/* Medium instances: optimality by the residual-cycle certificate. */
static void test_certificate(void)
{
    int bad = 0;
    for (int t = 0; t < 60; t++) {
        int nl = 5 + rng_int(40), nr = 5 + rng_int(40);
        double density = t % 2 ? 0.9 : 0.3;
        instance in = random_instance(nl, nr, density, 1 + t % 4, -0.1, 1.0,
                                      t % 3 == 0, t % 5 == 0 ? 0.4 : 0.0);
        int *ch = malloc(((size_t)in.np + 1) * sizeof *ch);
        int n = -1, gn = -1;
        double total = -1, gtotal = -1, first = 0;
        for (int k = 0; k < NSLACKS; k++) {
            CHECK_EQ_INT(run_slack(&in, slacks[k], ch, &n, &total), LM_OK);
            CHECK(valid_result(&in, ch, n, total));
            if (!no_negative_cycle(&in, ch, n)) bad++;
            if (k == 0) first = total;
            CHECK(fabs(total - first) < 1e-9);
        }
        /* The certificate is not vacuous: greedy fails it when worse. */
        CHECK_EQ_INT(run(alloc_greedy, &in, ch, &gn, &gtotal), LM_OK);
        CHECK(gtotal <= total + 1e-9);
        if (gtotal < total - 1e-9) CHECK(!no_negative_cycle(&in, ch, gn));
        free(ch);
        inst_free(&in);
    }
    /* Structured scores, dense enough for the solver to work on a subgraph
       and price the rest over several rounds. */
    for (int t = 0; t < 80; t++) {
        int nl = 30 + rng_int(50), nr = 30 + rng_int(50);
        int shape = 1 + t % 4;
        instance in = shaped_instance(nl, nr, t % 8 < 4 ? 1.0 : 0.8, t % 3 ? 1 : 0,
                                      1 + t % 3, shape, t % 5 == 0 ? 0.3 : 0.0);
        if (t % 2)   /* scarce experts: many problem slots stay empty */
            for (int j = 0; j < in.nr; j++) in.rcap[j] = rng_int(2);
        int *ch = malloc(((size_t)in.np + 1) * sizeof *ch);
        int n = -1, gn = -1;
        double total = -1, gtotal = -1, first = 0;
        for (int k = 0; k < NSLACKS; k++) {
            CHECK_EQ_INT(run_slack(&in, slacks[k], ch, &n, &total), LM_OK);
            CHECK(valid_result(&in, ch, n, total));
            if (!no_negative_cycle(&in, ch, n)) bad++;
            if (k == 0) first = total;
            CHECK(fabs(total - first) < 1e-9);
        }
        CHECK_EQ_INT(run_slack(&in, -1, ch, &n, &total), LM_OK);
        CHECK_EQ_INT(run(alloc_greedy, &in, ch, &gn, &gtotal), LM_OK);
        CHECK(gtotal <= total + 1e-9);
        free(ch);
        inst_free(&in);
    }
    CHECK_EQ_INT(bad, 0);
}

static void test_invalid_inputs(void)
{
    const int cap[2] = { 1, 1 }, neg[2] = { 1, -1 };
    lmx_pair pairs[3] = { { 0, 0, 0.5 }, { 1, 1, 0.5 }, { 0, 1, 0.5 } };
    int chosen[3] = { 77, 77, 77 }, n = 77;
    double total = 77.0;
#define BAD(expr, code) do { \
        CHECK_EQ_INT(expr, code); \
        CHECK(chosen[0] == 77 && chosen[1] == 77 && chosen[2] == 77); \
        CHECK(n == 77 && total == 77.0); } while (0)

    for (int g = 0; g < 2; g++) {
        alloc_fn f = g ? alloc_greedy : lmx_allocate;
        BAD(f(-1, cap, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, -1, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, cap, pairs, -1, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, NULL, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, NULL, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, cap, NULL, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, cap, pairs, 3, 0.0, NULL, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, cap, pairs, 3, 0.0, chosen, NULL, &total), LM_EINVAL);
        BAD(f(2, cap, 2, cap, pairs, 3, 0.0, chosen, &n, NULL), LM_EINVAL);
        BAD(f(2, neg, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, neg, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        BAD(f(2, cap, 2, cap, pairs, 3, NAN, chosen, &n, &total), LM_EINVAL);
        /* Index out of range, each way. */
        const int bad_idx[4][2] = { { -1, 0 }, { 2, 0 }, { 0, -1 }, { 0, 2 } };
        for (int k = 0; k < 4; k++) {
            pairs[2].left = bad_idx[k][0];
            pairs[2].right = bad_idx[k][1];
            BAD(f(2, cap, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        }
        pairs[2].left = 0;
        pairs[2].right = 1;
        /* Non-finite scores, even on a pair that would not be eligible. */
        const double bad_score[3] = { NAN, INFINITY, -INFINITY };
        for (int k = 0; k < 3; k++) {
            pairs[2].score = bad_score[k];
            BAD(f(2, cap, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        }
        /* Duplicate (left, right), even with a different or ineligible
           score, and even when the capacities are 0. */
        pairs[2].left = 1;
        pairs[2].right = 1;
        pairs[2].score = -3.0;
        BAD(f(2, cap, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        const int zero[2] = { 0, 0 };
        BAD(f(2, zero, 2, zero, pairs, 3, 0.0, chosen, &n, &total), LM_EINVAL);
        /* Node count overflow. */
        BAD(f(INT_MAX, cap, 1, cap, NULL, 0, 0.0, NULL, &n, &total), LM_ERANGE);
        /* Restore: valid again. */
        pairs[2].left = 0;
        pairs[2].right = 1;
        pairs[2].score = 0.5;
        CHECK_EQ_INT(f(2, cap, 2, cap, pairs, 3, 0.0, chosen, &n, &total), LM_OK);
        chosen[0] = chosen[1] = chosen[2] = 77;
        n = 77;
        total = 77.0;
    }
#undef BAD
}

/* Same input, same output; permuting the pairs keeps the optimum. */
static void test_determinism(void)
{
    for (int t = 0; t < 4; t++) {
        instance in = random_instance(120, 150, 0.7, 3, 0.0, 1.0, t < 2, 0.05);
        size_t sz = ((size_t)in.np + 1) * sizeof(int);
        int *a = malloc(sz), *b = malloc(sz);
        int na = -1, nb = -2;
        double ta = -1, tb = -2;
        CHECK_EQ_INT(run(lmx_allocate, &in, a, &na, &ta), LM_OK);
        CHECK_EQ_INT(run(lmx_allocate, &in, b, &nb, &tb), LM_OK);
        CHECK_EQ_INT(na, nb);
        CHECK(ta == tb);
        CHECK(memcmp(a, b, (size_t)na * sizeof *a) == 0);
        CHECK(valid_result(&in, a, na, ta));

        CHECK_EQ_INT(run(alloc_greedy, &in, a, &na, &ta), LM_OK);
        CHECK_EQ_INT(run(alloc_greedy, &in, b, &nb, &tb), LM_OK);
        CHECK_EQ_INT(na, nb);
        CHECK(ta == tb);
        CHECK(memcmp(a, b, (size_t)na * sizeof *a) == 0);

        /* Reversed pair order: maybe another optimal set, same total. */
        CHECK_EQ_INT(run(lmx_allocate, &in, a, &na, &ta), LM_OK);
        for (int k = 0; k < in.np / 2; k++) {
            lmx_pair x = in.pairs[k];
            in.pairs[k] = in.pairs[in.np - 1 - k];
            in.pairs[in.np - 1 - k] = x;
        }
        CHECK_EQ_INT(run(lmx_allocate, &in, b, &nb, &tb), LM_OK);
        CHECK(fabs(ta - tb) < 1e-9);
        free(a);
        free(b);
        inst_free(&in);
    }
}

/* ------------------------------------------------------------------------ */
/* Timing (printed, never asserted)                                         */
/* ------------------------------------------------------------------------ */

/*
** n x n dense pairs, capacities 1..3: time the exact solver, the plain
** successive shortest paths on the whole graph (slack -1; its total must be
** the same) and greedy.
*/
static void time_dense(int n, int shape)
{
    instance in = shaped_instance(n, n, 1.0, 1, 3, shape, 0.0);
    int *ch = malloc((size_t)in.np * sizeof *ch);
    if (!ch) { perror("malloc"); exit(2); }
    int ne = -1, np = -1, ng = -1;
    double te = 0, tp = 0, tg = 0, t[4];
    t[0] = now_sec();
    CHECK_EQ_INT(run(lmx_allocate, &in, ch, &ne, &te), LM_OK);
    t[1] = now_sec();
    CHECK(valid_result(&in, ch, ne, te));
    t[2] = now_sec();
    CHECK_EQ_INT(run_slack(&in, -1, ch, &np, &tp), LM_OK);
    t[3] = now_sec();
    CHECK(fabs(tp - te) < 1e-9);
    double t4 = now_sec();
    CHECK_EQ_INT(run(alloc_greedy, &in, ch, &ng, &tg), LM_OK);
    double t5 = now_sec();
    CHECK(tg <= te + 1e-9);
    printf("# %4d x %-4d %-7s | exact %6.3f s | plain SSP %6.3f s | greedy %6.3f s "
           "| total %.6f (%d pairs), greedy %.6f (%+.2f%%)\n",
           n, n, shape_name[shape], t[1] - t[0], t[3] - t[2], t5 - t4, te, ne, tg,
           te > 0 ? 100.0 * (tg - te) / te : 0.0);
    free(ch);
    inst_free(&in);
}

static void test_timing_small(void)
{
    for (int kind = 0; kind < NSHAPES; kind++) time_dense(200, kind);
}

static void bench_1000(void)
{
    printf("# 1000 x 1000 dense (1M pairs), capacities 1-3, one core:\n");
    for (int kind = 0; kind < NSHAPES; kind++) time_dense(1000, kind);
}

int main(int argc, char **argv)
{
    int bench = 0;
    for (int k = 1; k < argc; k++)
        if (strcmp(argv[k], "--bench") == 0) bench = 1;
    const char *env = getenv("LM_ALLOCATE_BENCH");
    if (env && *env && strcmp(env, "0") != 0) bench = 1;

    RUN(test_greedy_is_worse);
    RUN(test_not_max_cardinality);
    RUN(test_min_score);
    RUN(test_empty_inputs);
    RUN(test_zero_capacities);
    RUN(test_capacities);
    RUN(test_brute_force);
    RUN(test_certificate);
    RUN(test_invalid_inputs);
    RUN(test_determinism);
    RUN(test_timing_small);
    if (bench) RUN(bench_1000);
    return lmt_done();
}
