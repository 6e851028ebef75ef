/*
** allocate.h -- capacity-constrained allocation of matches (对接会 assignment).
**
** Internal interface (module prefix lmx_; not public ABI, hidden by
** -fvisibility=hidden, not installed).
**
** The problem.  A matchmaking event must assign experts (or achievements) --
** the "right" side -- to enterprise problems -- the "left" side.  Problem i
** wants at most left_cap[i] of them, expert j can take at most right_cap[j]
** problems, each candidate pair (i, j) has a match score, and a pair whose
** score is below min_score is never assigned.  lmx_allocate() returns an
** assignment (a set of pairs) of MAXIMUM TOTAL SCORE under those capacities.
** This is a maximum-weight bipartite b-matching, which is not necessarily a
** maximum-cardinality one: a pair is added only where that raises the total,
** so pairs with a score <= 0 are never chosen, and a problem may be left with
** fewer experts than it wants when giving it one more would cost more
** elsewhere than it brings.
**
** Method (allocate.c): min-cost flow on source -> problem (capacity
** left_cap, cost 0) -> expert (capacity 1, cost -score) -> sink (capacity
** right_cap, cost 0), solved exactly by successive shortest paths with
** Dijkstra on reduced costs (Johnson potentials, initialized in one
** Bellman-Ford pass over the layered graph), over adjacency arrays (CSR) and
** an indexed binary heap, stopping each search as soon as it reaches the
** sink.  Leaving a problem slot empty is modelled by an extra arc
** problem -> sink of cost 0, so the search stops augmenting exactly when the
** best augmenting path no longer increases the total.  On dense inputs the
** flow is first solved on each node's best candidate pairs; every other pair
** is then priced against the resulting potentials (the LP dual) and
** violators are added, warm-starting, until there are none -- still exact,
** 5 to 10 times faster on 1000 x 1000 (see LMX_ALLOC_SLACK).
**
** Numbers.  Flows and capacities are exact integers; scores are compared in
** double, so the total is optimal up to the rounding of sums of scores
** (pricing counts a reduced cost within 1e-12 x the largest score as zero).
** Capacities larger than a node's number of pairs are harmless (INT_MAX is
** fine).
**
** Determinism.  The result depends only on the input (no randomness, no
** global state): the same input gives the same chosen pairs, in the same
** order.  Among several optimal assignments the one returned is fixed by
** the processing order (problems by index; ties in the searches broken by
** node kind and index, among candidate pairs by a fixed hash of the pair);
** callers should not rely on which one it is.
**
** Threading: no global state; concurrent calls on distinct output buffers
** are safe.
*/
#ifndef LM_ALLOCATE_H
#define LM_ALLOCATE_H

#include "libmatch.h"

/* One candidate pair: left = problem index in [0, nleft), right =
   expert/achievement index in [0, nright), score = match score (finite). */
typedef struct lmx_pair {
    int left;
    int right;
    double score;
} lmx_pair;

/*
** Assign pairs so that the total score is maximal.
**
**   nleft, left_cap    number of problems and the most experts each wants
**                      (left_cap[i] >= 0; 0 means "none").  left_cap may be
**                      NULL only when nleft == 0.
**   nright, right_cap  number of experts and the most problems each takes
**                      (right_cap[j] >= 0).  right_cap may be NULL only when
**                      nright == 0.
**   pairs, npairs      the candidate pairs (npairs >= 0; pairs may be NULL
**                      only when npairs == 0).  A pair is eligible when
**                      score >= min_score and score > 0; others are
**                      validated but never chosen.
**   min_score          threshold; -INFINITY means none, +INFINITY excludes
**                      every pair.  NaN is invalid.
**   chosen             out: room for npairs ints (may be NULL only when
**                      npairs == 0).  Receives the indices into pairs[] of
**                      the assigned pairs, in increasing order.  Entries past
**                      *nchosen are left untouched.
**   nchosen            out: number of assigned pairs.
**   total              out: sum of their scores, added in increasing pair
**                      index order (0.0 when none).
**
** Returns LM_OK, or
**   LM_EINVAL  nleft, nright or npairs negative; a NULL pointer where an
**              array or out-parameter is required; a negative capacity; a
**              pair index out of range; a NaN or infinite score; a NaN
**              min_score; the same (left, right) given twice (duplicates
**              are an error rather than merged, as they usually betray a
**              bug upstream and chosen[] must name one pair unambiguously);
**   LM_ERANGE  nleft + nright + 1 does not fit in an int;
**   LM_ENOMEM  out of memory;
**   LM_ERROR   internal inconsistency (a bug; never seen in testing).
** On any error nothing is written to chosen, nchosen or total.
**
** Cost: O(npairs + nleft + nright) memory (peak about 25 bytes per pair on
** dense inputs, 50 with slack < 0).  Time: one search per assigned pair
** (plus one per problem), each O(E_s log V) for the E_s arcs it scans, plus
** O(npairs) per pricing round.  1000 x 1000 dense pairs with capacities 1-3
** take 0.05-0.6 s on one core depending on the score structure
** (tests/test_allocate.c --bench).
*/
int lmx_allocate(int nleft, const int *left_cap, int nright,
                 const int *right_cap, const lmx_pair *pairs, int npairs,
                 double min_score, int *chosen, int *nchosen, double *total);

/*
** The exact solver first works on the subgraph of each problem's
** left_cap + LMX_ALLOC_SLACK best pairs and each expert's right_cap +
** LMX_ALLOC_SLACK best pairs, then prices every other pair against the
** optimal duals and adds violators until there are none (see allocate.c).
** The result is optimal whatever the slack; only the time changes (and,
** among several optimal assignments, which one is returned).
*/
#define LMX_ALLOC_SLACK 16

#endif /* LM_ALLOCATE_H */
