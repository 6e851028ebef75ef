/*
** api_feedback.c -- learning from outcomes: judged matches (lm_feedback_put),
** refitting the match model on them (lm_learn, its report), going back to
** the default (lm_model_reset) and showing the model in use
** (lm_model_json).
**
** lm_learn: every judged record is matched again; its hits (judged or not)
** with their components are the examples of its group.  The parameters of
** the model -- intercept, expert offset and the coefficient of every term
** of the default model -- are refitted by Newton's method on the judged
** hits (log-loss), pulled toward the default model by a ridge
** (LM_OPT_LEARN_PRIOR).  Cross-validation by group decides: the refitted
** model is adopted only when its held-out log-loss is lower than the model
** in use and its held-out nDCG@10 not lower.  nDCG@10 ranks a record's
** judged hits only (a condensed list): how the unjudged ones would fare is
** unknown, and counting them as irrelevant would punish any change.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "matching.h"

#define LEARN_K        200       /* hits matched per judged record */
#define LEARN_MIN_EACH 5         /* relevant and not relevant judgments needed */
#define NPARAM (2 + LMX_MODEL_MAX_TERMS)

/* ---- judgments -------------------------------------------------------------------- */

static int feedback_put_locked(lm_db *db, int from_kind, const char *from_id, int to_kind, const char *to_id, int grade)
{
    if (!db) return LM_EINVAL;
    int rc = lmx_check_kind_id(db, from_kind, from_id);
    if (!rc) rc = lmx_check_kind_id(db, to_kind, to_id);
    if (rc) return rc;
    if (grade < LM_GRADE_DELETE || grade > LM_GRADE_CONTRACT)
        return lmx_err(db, LM_ERANGE, "grade %d is not one of -1 (delete), 0 (nothing came of it), 1 (contact), "
                                      "2 (visit), 3 (contract)", grade);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    if ((rc = lmx_store_write_begin(&db->store))) return rc;
    int64_t rid;
    if (grade != LM_GRADE_DELETE && (rc = lmx_store_find(&db->store, from_kind, from_id, &rid)) == LM_OK)
        rc = lmx_store_find(&db->store, to_kind, to_id, &rid);
    if (!rc) rc = lmx_store_feedback_put(&db->store, from_kind, from_id, to_kind, to_id, grade, (int64_t)time(NULL));
    if (!rc) rc = lmx_store_commit(&db->store);
    if (rc) { lmx_store_rollback(&db->store); return rc; }
    return lmx_ok(db);
}

/* ---- the report ------------------------------------------------------------------------ */

struct lm_learn_report {
    int adopted;
    int64_t pairs, relevant, queries, skipped;
    double ndcg_before, ndcg_after, logloss_before, logloss_after;
    char reason[256];
    char *model;             /* JSON of the refitted model */
};

LM_API int lm_learn_report_adopted(const lm_learn_report *r) { return r ? r->adopted : 0; }
LM_API int64_t lm_learn_report_pairs(const lm_learn_report *r) { return r ? r->pairs : 0; }
LM_API int64_t lm_learn_report_relevant(const lm_learn_report *r) { return r ? r->relevant : 0; }
LM_API int64_t lm_learn_report_queries(const lm_learn_report *r) { return r ? r->queries : 0; }
LM_API double lm_learn_report_ndcg_before(const lm_learn_report *r) { return r ? r->ndcg_before : 0; }
LM_API double lm_learn_report_ndcg_after(const lm_learn_report *r) { return r ? r->ndcg_after : 0; }
LM_API double lm_learn_report_logloss_before(const lm_learn_report *r) { return r ? r->logloss_before : 0; }
LM_API double lm_learn_report_logloss_after(const lm_learn_report *r) { return r ? r->logloss_after : 0; }
LM_API const char *lm_learn_report_reason(const lm_learn_report *r) { return r ? r->reason : NULL; }

LM_API void lm_learn_report_free(lm_learn_report *r)
{
    if (!r) return;
    free(r->model);
    free(r);
}

LM_API int lm_learn_report_json(const lm_learn_report *r, char **out)
{
    if (!out) return LM_EINVAL;
    *out = NULL;
    if (!r) return LM_EINVAL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return LM_ENOMEM;
    cJSON_AddBoolToObject(o, "adopted", r->adopted);
    cJSON_AddNumberToObject(o, "pairs", (double)r->pairs);
    cJSON_AddNumberToObject(o, "relevant", (double)r->relevant);
    cJSON_AddNumberToObject(o, "queries", (double)r->queries);
    cJSON_AddNumberToObject(o, "skipped", (double)r->skipped);
    cJSON_AddNumberToObject(o, "ndcg_before", r->ndcg_before);
    cJSON_AddNumberToObject(o, "ndcg_after", r->ndcg_after);
    cJSON_AddNumberToObject(o, "logloss_before", r->logloss_before);
    cJSON_AddNumberToObject(o, "logloss_after", r->logloss_after);
    cJSON_AddStringToObject(o, "reason", r->reason);
    cJSON *m = r->model ? cJSON_Parse(r->model) : NULL;
    if (m) cJSON_AddItemToObject(o, "model", m);
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? LM_OK : LM_ENOMEM;
}

/* ---- examples ------------------------------------------------------------------------------ */

typedef struct { int from_kind, to_kind; char *from_id, *to_id; int grade; } judgment;
typedef struct { judgment *j; int n, cap; int oom; } judgments;

static int collect(void *ctx, int from_kind, const char *from_id, int to_kind, const char *to_id, int grade)
{
    judgments *js = ctx;
    if (js->n == js->cap) {
        int nc = js->cap ? 2 * js->cap : 256;
        judgment *nj = realloc(js->j, sizeof *nj * (size_t)nc);
        if (!nj) { js->oom = 1; return 1; }
        js->j = nj;
        js->cap = nc;
    }
    judgment *j = &js->j[js->n];
    j->from_kind = from_kind;
    j->to_kind = to_kind;
    j->grade = grade;
    j->from_id = lmx_strdup(from_id ? from_id : "");
    j->to_id = lmx_strdup(to_id ? to_id : "");
    if (!j->from_id || !j->to_id) { free(j->from_id); free(j->to_id); js->oom = 1; return 1; }
    js->n++;
    return 0;
}

static void judgments_free(judgments *js)
{
    for (int i = 0; i < js->n; i++) { free(js->j[i].from_id); free(js->j[i].to_id); }
    free(js->j);
}

/* One hit of a judged record's match: its model inputs and its grade (-1:
   not judged). */
typedef struct {
    int group;
    int grade;
    int expert;
    double comp[LMX_NCOMP];
} example;

typedef struct { example *e; int n, cap; int ngroups; int *fold; } examples;

static example *push_example(examples *ex)
{
    if (ex->n == ex->cap) {
        int nc = ex->cap ? 2 * ex->cap : 1024;
        example *ne = realloc(ex->e, sizeof *ne * (size_t)nc);
        if (!ne) return NULL;
        ex->e = ne;
        ex->cap = nc;
    }
    return &ex->e[ex->n++];
}

/* The model's inputs of an example: x[0] = 1, x[1] = expert, x[2 + t] =
   gate x f(component) of term t when it applies to the hit. */
static void design(const lmx_model *m, const example *e, const double *gate, double *x)
{
    x[0] = 1;
    x[1] = e->expert;
    for (int t = 0; t < m->n; t++) {
        const lmx_model_term *mt = &m->t[t];
        int applies = mt->hits == LMX_HITS_ALL || mt->hits == (e->expert ? LMX_HITS_EXPERTS : LMX_HITS_RECORDS);
        x[2 + t] = applies ? gate[mt->comp] * lmx_model_tf(mt->tf, e->comp[mt->comp]) : 0;
    }
}

static void params_of(const lmx_model *m, double *theta)
{
    theta[0] = m->intercept;
    theta[1] = m->expert;
    for (int t = 0; t < m->n; t++) theta[2 + t] = m->t[t].coef;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Solve A x = b (n x n, A symmetric positive definite) by Cholesky; 0 on
   success.  A and b are overwritten. */
static int solve_spd(double *A, double *b, int n)
{
    for (int j = 0; j < n; j++) {
        double d = A[j * n + j];
        for (int k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
        if (!(d > 1e-300)) return 1;
        d = sqrt(d);
        A[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = A[i * n + j];
            for (int k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = s / d;
        }
    }
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) s -= A[i * n + k] * b[k];
        b[i] = s / A[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= A[k * n + i] * b[k];
        b[i] = s / A[i * n + i];
    }
    return 0;
}

/*
** Fit theta (starting from and pulled toward theta0 with strength lambda) on
** the judged examples whose group's fold is not `skip` (-1: none).  x holds
** the design rows (np per example).  0 on success.
*/
static int fit(const examples *ex, const double *x, int np, const double *theta0, double lambda, int skip,
               double *theta)
{
    double H[NPARAM * NPARAM], g[NPARAM];
    memcpy(theta, theta0, sizeof(double) * (size_t)np);
    for (int it = 0; it < 50; it++) {
        for (int i = 0; i < np; i++) {
            g[i] = lambda * (theta[i] - theta0[i]);
            for (int k = 0; k < np; k++) H[i * np + k] = i == k ? lambda + 1e-9 : 0;
        }
        for (int e = 0; e < ex->n; e++) {
            const example *xe = &ex->e[e];
            if (xe->grade < 0 || (skip >= 0 && ex->fold[xe->group] == skip)) continue;
            const double *xi = x + (size_t)e * (size_t)np;
            double p = lmx_sigmoid(dot(xi, theta, np)), y = xe->grade >= 1, w = p * (1 - p);
            for (int i = 0; i < np; i++) {
                if (xi[i] == 0) continue;
                g[i] += (p - y) * xi[i];
                for (int k = 0; k <= i; k++) H[i * np + k] += w * xi[i] * xi[k];
            }
        }
        for (int i = 0; i < np; i++)
            for (int k = i + 1; k < np; k++) H[i * np + k] = H[k * np + i];
        if (solve_spd(H, g, np)) return 1;
        double step = 0;
        for (int i = 0; i < np; i++) {
            theta[i] -= g[i];
            if (fabs(g[i]) > step) step = fabs(g[i]);
        }
        if (step < 1e-9) break;
    }
    return 0;
}

static int grade_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

/* nDCG@10 of one group's judged hits ranked by z (a condensed list: hits
   nobody judged are left out, as their relevance is unknown -- Sakai 2007),
   or -1 when the group has no relevant judgment. */
static double group_ndcg(const examples *ex, int from, int to, const double *z)
{
    int n = to - from, ideal[LEARN_K], nideal = 0;
    for (int i = from; i < to && nideal < LEARN_K; i++)
        if (ex->e[i].grade >= 1) ideal[nideal++] = ex->e[i].grade;
    if (!nideal) return -1;
    qsort(ideal, (size_t)nideal, sizeof *ideal, grade_desc);
    double idcg = 0, dcg = 0;
    for (int r = 0; r < nideal && r < 10; r++) idcg += ideal[r] / log2(r + 2.0);
    /* The 10 best by z (ties: the earlier hit, i.e. the match's order). */
    char taken[LEARN_K] = {0};
    for (int r = 0; r < 10 && r < n; r++) {
        int best = -1;
        for (int i = 0; i < n && i < LEARN_K; i++)
            if (!taken[i] && ex->e[from + i].grade >= 0 && (best < 0 || z[from + i] > z[from + best])) best = i;
        if (best < 0) break;
        taken[best] = 1;
        int g = ex->e[from + best].grade;
        if (g > 0) dcg += g / log2(r + 2.0);
    }
    return dcg / idcg;
}

/* Mean nDCG@10 over groups and mean log-loss over judged examples of z. */
static void evaluate(const examples *ex, const int *gstart, const double *z, double *ndcg, double *logloss)
{
    double sn = 0, sl = 0;
    int nn = 0, nl = 0;
    for (int g = 0; g < ex->ngroups; g++) {
        double v = group_ndcg(ex, gstart[g], gstart[g + 1], z);
        if (v >= 0) { sn += v; nn++; }
    }
    for (int e = 0; e < ex->n; e++) {
        if (ex->e[e].grade < 0) continue;
        double p = lmx_sigmoid(z[e]);
        if (p < 1e-6) p = 1e-6;
        if (p > 1 - 1e-6) p = 1 - 1e-6;
        sl -= ex->e[e].grade >= 1 ? log(p) : log(1 - p);
        nl++;
    }
    *ndcg = nn ? sn / nn : 0;
    *logloss = nl ? sl / nl : 0;
}

/* FNV-1a of a group's record, for its fold. */
static unsigned fold_hash(int kind, const char *id)
{
    unsigned h = 2166136261u ^ (unsigned)kind;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 16777619u;
    return h;
}

/* Match every judged record again and keep its hits as examples; judged
   pairs not among the hits are counted in *skipped. */
static int gather(lm_db *db, const judgments *js, const lm_opts *o, examples *ex, int **gstart_out, int64_t *skipped,
                  int folds)
{
    int *gstart = malloc(sizeof(int) * (size_t)(js->n + 1));
    ex->fold = malloc(sizeof(int) * (size_t)(js->n + 1));
    if (!gstart || !ex->fold) { free(gstart); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    int rc = LM_OK;
    for (int a = 0; a < js->n && !rc;) {
        int b = a;
        while (b < js->n && js->j[b].from_kind == js->j[a].from_kind && js->j[b].to_kind == js->j[a].to_kind &&
               !strcmp(js->j[b].from_id, js->j[a].from_id))
            b++;
        lm_results *r = NULL;
        int mrc = lmx_match_stored(db, js->j[a].from_kind, js->j[a].from_id, js->j[a].to_kind, o, &r);
        if (mrc == LM_ENOTFOUND) {                   /* the judged record is gone */
            lmx_error_clear(&db->err);
            *skipped += b - a;
            a = b;
            continue;
        }
        if (mrc) { rc = mrc; break; }
        int g = ex->ngroups, start = ex->n, found = 0;
        for (int i = 0; i < lm_results_count(r) && !rc; i++) {
            example *e = push_example(ex);
            if (!e) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
            e->group = g;
            e->expert = lm_result_kind(r, i) == LM_EXPERT;
            e->grade = -1;
            for (int c = 0; c < LMX_NCOMP; c++) e->comp[c] = lm_result_component_value(r, i, c);
            for (int k = a; k < b; k++)
                if (!strcmp(js->j[k].to_id, lm_result_id(r, i))) { e->grade = js->j[k].grade; found++; }
        }
        lm_results_free(r);
        *skipped += (b - a) - found;
        if (ex->n > start) {
            gstart[g] = start;
            ex->fold[g] = (int)(fold_hash(js->j[a].from_kind, js->j[a].from_id) % (unsigned)folds);
            ex->ngroups++;
        }
        a = b;
    }
    gstart[ex->ngroups] = ex->n;
    *gstart_out = gstart;
    return rc;
}

/* The model of parameters theta with the structure of m. */
static lmx_model model_of(const lmx_model *m, const double *theta)
{
    lmx_model out = *m;
    out.intercept = theta[0];
    out.expert = theta[1];
    for (int t = 0; t < m->n; t++) out.t[t].coef = theta[2 + t];
    return out;
}

static char *iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static int learn(lm_db *db, const lm_opts *opts, lm_learn_report *rep)
{
    lm_opts o;
    if (opts) o = *opts;                 /* shallow: region/fields stay borrowed */
    else lmx_opts_defaults(&o);
    o.v[LMX_O_K] = LEARN_K;
    o.v[LMX_O_OFFSET] = 0;
    o.v[LMX_O_MIN_PROBABILITY] = 0;
    int folds = LMX_OI(&o, LEARN_FOLDS);
    judgments js = {0};
    examples ex = {0};
    int *gstart = NULL;
    double *x = NULL, *zb = NULL, *za = NULL;
    const lmx_model *def = lmx_model_builtin(), *cur = NULL;
    int np = 2 + def->n, rc;
    double gate[LMX_NCOMP], theta0[NPARAM], theta[NPARAM];

    int began = lmx_store_read_begin(&db->store);
    rc = lmx_store_feedback_scan(&db->store, collect, &js);
    if (js.oom) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    if (!rc) rc = gather(db, &js, &o, &ex, &gstart, &rep->skipped, folds);
    if (!rc) rc = lmx_model_active(db, &cur, NULL);
    lmx_store_read_end(&db->store, began);
    if (rc) goto done;

    for (int e = 0; e < ex.n; e++)
        if (ex.e[e].grade >= 0) {
            rep->pairs++;
            rep->relevant += ex.e[e].grade >= 1;
        }
    rep->queries = ex.ngroups;
    int64_t need = LMX_OI(&o, LEARN_MIN_PAIRS);
    if (rep->pairs < need || rep->relevant < LEARN_MIN_EACH || rep->pairs - rep->relevant < LEARN_MIN_EACH ||
        ex.ngroups < 2) {
        rc = lmx_err(db, LM_ESTATE, "too few judged matches to learn from: %lld judged pairs found among the "
                                    "candidates (%lld relevant, %lld not) on %d records; lm_learn needs %lld "
                                    "(learn_min_pairs), at least %d of each and 2 records (%lld judgments skipped: "
                                    "record gone or not among the best %d hits)",
                     (long long)rep->pairs, (long long)rep->relevant, (long long)(rep->pairs - rep->relevant),
                     ex.ngroups, (long long)need, LEARN_MIN_EACH, (long long)rep->skipped, LEARN_K);
        goto done;
    }
    if (folds > ex.ngroups) {
        folds = ex.ngroups;
        for (int g = 0; g < ex.ngroups; g++) ex.fold[g] = g;
    }
    lmx_model_gates(&o, gate);
    x = malloc(sizeof(double) * (size_t)ex.n * (size_t)np);
    zb = malloc(sizeof(double) * (size_t)ex.n);
    za = malloc(sizeof(double) * (size_t)ex.n);
    if (!x || !zb || !za) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    for (int e = 0; e < ex.n; e++) {
        design(def, &ex.e[e], gate, x + (size_t)e * (size_t)np);
        zb[e] = lmx_model_logit(cur, ex.e[e].expert, ex.e[e].comp, gate);
    }
    params_of(def, theta0);
    double lambda = LMX_OD(&o, LEARN_PRIOR);
    /* Held-out predictions of the refitted model, fold by fold. */
    for (int f = 0; f < folds; f++) {
        if (fit(&ex, x, np, theta0, lambda, f, theta)) {
            rc = lmx_err(db, LM_ERROR, "the refit did not converge (fold %d); raise learn_prior", f + 1);
            goto done;
        }
        for (int e = 0; e < ex.n; e++)
            if (ex.fold[ex.e[e].group] == f) za[e] = dot(x + (size_t)e * (size_t)np, theta, np);
    }
    evaluate(&ex, gstart, zb, &rep->ndcg_before, &rep->logloss_before);
    evaluate(&ex, gstart, za, &rep->ndcg_after, &rep->logloss_after);
    if (fit(&ex, x, np, theta0, lambda, -1, theta)) {
        rc = lmx_err(db, LM_ERROR, "the refit did not converge; raise learn_prior");
        goto done;
    }
    lmx_model learned = model_of(def, theta);
    char extra[512], when[32];
    snprintf(extra, sizeof extra,
             "{\"source\":\"learned\",\"learned_at\":\"%s\",\"pairs\":%lld,\"relevant\":%lld,\"queries\":%lld,"
             "\"learn_prior\":%.17g,\"cv\":{\"folds\":%d,\"ndcg_before\":%.6f,\"ndcg_after\":%.6f,"
             "\"logloss_before\":%.6f,\"logloss_after\":%.6f}}",
             iso_now(when, sizeof when), (long long)rep->pairs, (long long)rep->relevant, (long long)rep->queries,
             lambda, folds, rep->ndcg_before, rep->ndcg_after, rep->logloss_before, rep->logloss_after);
    if (!(rep->model = lmx_model_json(&learned, lmx_comp_names(), extra))) {
        rc = lmx_err(db, LM_ENOMEM, "out of memory");
        goto done;
    }
    int better = rep->logloss_after < rep->logloss_before && rep->ndcg_after >= rep->ndcg_before;
    snprintf(rep->reason, sizeof rep->reason,
             "%s: cross-validated over %d folds of %lld judged records, nDCG@10 %.4f -> %.4f, log-loss %.4f -> %.4f",
             better ? "adopted" : "kept the model in use (the refit is not better on both)", folds,
             (long long)rep->queries, rep->ndcg_before, rep->ndcg_after, rep->logloss_before, rep->logloss_after);
    if (!better) goto done;
    if ((rc = lmx_store_write_begin(&db->store))) goto done;
    rc = lmx_store_meta_set(&db->store, "model", rep->model);
    if (!rc) rc = lmx_store_commit(&db->store);
    if (rc) lmx_store_rollback(&db->store);
    else rep->adopted = 1;
done:
    judgments_free(&js);
    free(ex.e);
    free(ex.fold);
    free(gstart);
    free(x);
    free(zb);
    free(za);
    return rc;
}

static int learn_locked(lm_db *db, const lm_opts *opts, lm_learn_report **out)
{
    if (out) *out = NULL;
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    lm_learn_report *rep = calloc(1, sizeof *rep);
    if (!rep) return lmx_err(db, LM_ENOMEM, "out of memory");
    int rc = learn(db, opts, rep);
    if (rc) { lm_learn_report_free(rep); return rc; }
    if (out) *out = rep;
    else lm_learn_report_free(rep);
    return lmx_ok(db);
}

/* ---- the model in use -------------------------------------------------------------------- */

static int model_reset_locked(lm_db *db)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = lmx_store_write_begin(&db->store);
    if (rc) return rc;
    rc = lmx_store_meta_del(&db->store, "model");
    if (!rc) rc = lmx_store_commit(&db->store);
    if (rc) { lmx_store_rollback(&db->store); return rc; }
    return lmx_ok(db);
}

static int model_json_locked(lm_db *db, char **out)
{
    if (!out) return db ? lmx_err(db, LM_EINVAL, "no output pointer (NULL)") : LM_EINVAL;
    *out = NULL;
    if (!db) return LM_EINVAL;
    const lmx_model *m = NULL;
    int custom = 0;
    int began = lmx_store_read_begin(&db->store);
    int rc = lmx_model_active(db, &m, &custom);
    if (!rc && custom) {
        /* The stored text, with its provenance. */
        size_t cap = 16384;
        char *buf = malloc(cap);
        if (!buf) rc = lmx_err(db, LM_ENOMEM, "out of memory");
        else if (lmx_store_meta_get(&db->store, "model", buf, cap) <= 0) {
            free(buf);
            rc = db->err.code ? db->err.code : lmx_err(db, LM_EDB, "the learned model vanished while reading it");
        } else *out = buf;
    } else if (!rc) {
        if (!(*out = lmx_model_json(m, lmx_comp_names(), "{\"source\":\"default\"}")))
            rc = lmx_err(db, LM_ENOMEM, "out of memory");
    }
    lmx_store_read_end(&db->store, began);
    return rc ? rc : lmx_ok(db);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

LM_API int lm_feedback_put(lm_db *db, int from_kind, const char *from_id, int to_kind, const char *to_id, int grade)
{
    LMX_GUARDED(db, feedback_put_locked(db, from_kind, from_id, to_kind, to_id, grade));
}

LM_API int lm_learn(lm_db *db, const lm_opts *opts, lm_learn_report **out)
{
    LMX_GUARDED(db, learn_locked(db, opts, out));
}

LM_API int lm_model_reset(lm_db *db)
{
    LMX_GUARDED(db, model_reset_locked(db));
}

LM_API int lm_model_json(lm_db *db, char **out)
{
    LMX_GUARDED_READ(db, model_json_locked(db, out));
}
