/*
** api_allocate.c -- the public allocation calls for a matchmaking event
** (对接会): score every problem against the candidates with the matcher,
** then hand the pairs to the exact optimizer (allocate.c).
**
** A pair's score is its match probability (lm_result_probability), the same
** scale for every problem: the total is the expected number of relevant
** pairs of the allocation, and min_score a probability below which no pair
** is worth a slot.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocate.h"
#include "api.h"
#include "matching.h"

typedef struct { char *problem, *candidate; double score; } apair;

struct lm_allocation {
    int n;
    apair *p;
    double total;
};

LM_API void lm_allocation_free(lm_allocation *a)
{
    if (!a) return;
    for (int i = 0; i < a->n; i++) { free(a->p[i].problem); free(a->p[i].candidate); }
    free(a->p);
    free(a);
}

LM_API int lm_allocation_count(const lm_allocation *a) { return a ? a->n : 0; }
LM_API const char *lm_allocation_problem(const lm_allocation *a, int i)
{
    return a && i >= 0 && i < a->n ? a->p[i].problem : NULL;
}
LM_API const char *lm_allocation_candidate(const lm_allocation *a, int i)
{
    return a && i >= 0 && i < a->n ? a->p[i].candidate : NULL;
}
LM_API double lm_allocation_score(const lm_allocation *a, int i)
{
    return a && i >= 0 && i < a->n ? a->p[i].score : 0;
}
LM_API double lm_allocation_total(const lm_allocation *a) { return a ? a->total : 0; }

LM_API int lm_allocation_json(const lm_allocation *a, char **out)
{
    if (!out) return LM_EINVAL;
    *out = NULL;
    if (!a) return LM_EINVAL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return LM_ENOMEM;
    cJSON_AddItemToObject(o, "total", lmx_json_number(a->total));          /* exact: reads back */
    cJSON *arr = cJSON_AddArrayToObject(o, "pairs");
    for (int i = 0; i < a->n && arr; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "problem", a->p[i].problem);
        cJSON_AddStringToObject(e, "candidate", a->p[i].candidate);
        cJSON_AddItemToObject(e, "score", lmx_json_number(a->p[i].score));
        cJSON_AddItemToArray(arr, e);
    }
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? LM_OK : LM_ENOMEM;
}

/* All ids of a kind, in id order. */
static int all_ids(lm_db *db, int kind, char ***out, int *n)
{
    return lmx_store_ids(&db->store, kind, out, n);
}

static void free_ids(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted copy of ids for lookups; LM_EINVAL on a duplicate. */
static int sorted_index(lm_db *db, const char *const *ids, int n, const char ***out)
{
    const char **s = malloc(sizeof(char *) * (size_t)(n ? n : 1));
    if (!s) return lmx_err(db, LM_ENOMEM, "out of memory");
    memcpy(s, ids, sizeof(char *) * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_str);
    for (int i = 1; i < n; i++)
        if (!strcmp(s[i - 1], s[i])) {
            int rc = lmx_err(db, LM_EINVAL, "id '%.200s' is given twice", s[i]);
            free(s);
            return rc;
        }
    *out = s;
    return LM_OK;
}

static int find_index(const char *const *ids, int n, const char **sorted, const char *id)
{
    const char **hit = bsearch(&id, sorted, (size_t)n, sizeof *sorted, cmp_str);
    if (!hit) return -1;
    for (int i = 0; i < n; i++)
        if (ids[i] == *hit) return i;
    return -1;
}

static int allocate_locked(lm_db *db, const char *const *problem_ids, int nproblems,
                       int to, const char *const *candidate_ids, int ncandidates,
                       const int *capacities, int default_capacity, int per_problem,
                       double min_score, const lm_opts *opts, lm_allocation **out)
{
    if (!db) return LM_EINVAL;
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (to != LM_EXPERT && to != LM_ACHIEVEMENT)
        return lmx_err(db, LM_EINVAL, "allocation assigns experts or achievements, not kind %d", to);
    if (isnan(min_score)) return lmx_err(db, LM_EINVAL, "min_score is NaN");
    if (per_problem < 0) return lmx_err(db, LM_EINVAL, "per_problem is negative");
    if (default_capacity < 0) return lmx_err(db, LM_EINVAL, "default_capacity is negative");
    if ((problem_ids && nproblems < 0) || (candidate_ids && ncandidates < 0))
        return lmx_err(db, LM_EINVAL, "negative count");
    if (!candidate_ids && capacities)
        return lmx_err(db, LM_EINVAL, "capacities need an explicit candidate list");

    int rc = LM_OK;
    char **own_p = NULL, **own_c = NULL;
    int np = nproblems, nc = ncandidates;
    const char *const *pids = problem_ids, *const *cids = candidate_ids;
    if (!pids) { if ((rc = all_ids(db, LM_PROBLEM, &own_p, &np))) return rc; pids = (const char *const *)own_p; }
    if (!cids) {
        if ((rc = all_ids(db, to, &own_c, &nc))) { free_ids(own_p, np); return rc; }
        cids = (const char *const *)own_c;
    }
    const char **csorted = NULL, **psorted = NULL;
    int *lcap = NULL, *rcap = NULL, *chosen = NULL;
    lmx_pair *pairs = NULL;
    int npairs = 0, cap = 0;
    lm_allocation *a = NULL;

    if ((rc = sorted_index(db, cids, nc, &csorted)) || (rc = sorted_index(db, pids, np, &psorted))) goto done;
    for (int j = 0; j < nc && capacities; j++)
        if (capacities[j] < 0) { rc = lmx_err(db, LM_EINVAL, "capacity of '%.200s' is negative", cids[j]); goto done; }
    for (int j = 0; j < nc; j++) {
        int64_t rid;
        if ((rc = lmx_check_kind_id(db, to, cids[j])) || (rc = lmx_store_find(&db->store, to, cids[j], &rid))) goto done;
    }
    /* Score every problem against all candidates of the kind, keeping those
       in the candidate list. */
    lcap = malloc(sizeof(int) * (size_t)(np ? np : 1));
    rcap = malloc(sizeof(int) * (size_t)(nc ? nc : 1));
    if (!lcap || !rcap) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    for (int i = 0; i < np; i++) lcap[i] = per_problem;
    for (int j = 0; j < nc; j++) rcap[j] = capacities ? capacities[j] : default_capacity;
    int64_t nkind = 0;
    if ((rc = lmx_store_count(&db->store, to, &nkind))) goto done;
    for (int i = 0; i < np; i++) {
        lm_results *r = NULL;
        if ((rc = lmx_match_all(db, LM_PROBLEM, pids[i], to, opts, nkind, &r))) goto done;
        for (int h = 0; h < lm_results_count(r); h++) {
            int j = find_index(cids, nc, csorted, lm_result_id(r, h));
            if (j < 0) continue;
            if (npairs == cap) {
                cap = cap ? cap * 2 : 256;
                lmx_pair *nv = realloc(pairs, sizeof *nv * (size_t)cap);
                if (!nv) { lm_results_free(r); rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
                pairs = nv;
            }
            pairs[npairs].left = i;
            pairs[npairs].right = j;
            pairs[npairs].score = lm_result_probability(r, h);
            npairs++;
        }
        lm_results_free(r);
    }
    chosen = malloc(sizeof(int) * (size_t)(npairs ? npairs : 1));
    a = calloc(1, sizeof *a);
    if (!chosen || !a) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    int nch = 0;
    rc = lmx_allocate(np, lcap, nc, rcap, pairs, npairs, min_score, chosen, &nch, &a->total);
    if (rc) { rc = lmx_err(db, rc, "allocation failed: %s", lm_errstr(rc)); goto done; }
    a->p = calloc((size_t)(nch ? nch : 1), sizeof *a->p);
    if (!a->p) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    for (int k = 0; k < nch; k++) {
        const lmx_pair *pr = &pairs[chosen[k]];
        a->p[k].problem = lmx_strdup(pids[pr->left]);
        a->p[k].candidate = lmx_strdup(cids[pr->right]);
        a->p[k].score = pr->score;
        a->n++;
        if (!a->p[k].problem || !a->p[k].candidate) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    }
    rc = LM_OK;
done:
    free(csorted);
    free(psorted);
    free(lcap);
    free(rcap);
    free(pairs);
    free(chosen);
    free_ids(own_p, own_p ? np : 0);
    free_ids(own_c, own_c ? nc : 0);
    if (rc) { lm_allocation_free(a); return rc; }
    *out = a;
    return lmx_ok(db);
}

static int allocate_v2_locked(lm_db *db, int to, const char *const *problems, int nproblems,
                          const char *const *candidates, const int *capacities, int ncandidates,
                          const lm_opts *opts, lm_allocation **out)
{
    lm_opts defaults;
    if (!opts) { lmx_opts_defaults(&defaults); opts = &defaults; }
    return allocate_locked(db, problems, nproblems, to, candidates, ncandidates, capacities,
                       LMX_OI(opts, CAPACITY), LMX_OI(opts, PER_PROBLEM), LMX_OD(opts, MIN_SCORE), opts, out);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

LM_API int lm_allocate(lm_db *db, const char *const *problem_ids, int nproblems, int to, const char *const *candidate_ids, int ncandidates, const int *capacities, int default_capacity, int per_problem, double min_score, const lm_opts *opts, lm_allocation **out)
{
    LMX_GUARDED(db, allocate_locked(db, problem_ids, nproblems, to, candidate_ids, ncandidates, capacities, default_capacity, per_problem, min_score, opts, out));
}

LM_API int lm_allocate_v2(lm_db *db, int to, const char *const *problems, int nproblems, const char *const *candidates, const int *capacities, int ncandidates, const lm_opts *opts, lm_allocation **out)
{
    LMX_GUARDED(db, allocate_v2_locked(db, to, problems, nproblems, candidates, capacities, ncandidates, opts, out));
}
