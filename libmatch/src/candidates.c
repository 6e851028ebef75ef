/*
** candidates.c -- the second stage of matching: who is scored.  The best
** BM25 rows (filters applied while FTS5 scans), the records nearest to the
** query in the built-in semantic space and in the external space of the
** query record's embedding, and for experts those linked to the
** achievements that match the query (the document-centric expert model).
** Each stage appends hits in its order and measures what only it can see
** (raw BM25, cosines, aggregated evidence); features.c turns that into the
** score components.
*/
#include <stdlib.h>
#include <string.h>

#include "dfs.h"
#include "pipeline.h"
#include "record.h"

/* ---- hits --------------------------------------------------------------------- */

lmx_hit *lmx_hitlist_push(lmx_hitlist *l)
{
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 64;
        lmx_hit *nh = realloc(l->h, sizeof *nh * (size_t)nc);
        if (!nh) return NULL;
        l->h = nh;
        l->cap = nc;
    }
    lmx_hit *h = &l->h[l->n++];
    memset(h, 0, sizeof *h);
    return h;
}

void lmx_hit_free(lmx_hit *h)
{
    lmx_recinfo_free(&h->info);
    free(h->label);
    for (int j = 0; j < h->nterms; j++) free(h->terms[j]);
    free(h->terms);
    free(h->mask);
    for (int j = 0; j < h->nev; j++) free(h->ev_id[j]);
}

void lmx_hitlist_free(lmx_hitlist *l)
{
    for (int i = 0; i < l->n; i++) lmx_hit_free(&l->h[i]);
    free(l->h);
    memset(l, 0, sizeof *l);
}

int lmx_hit_cmp(const void *a, const void *b)
{
    const lmx_hit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    if (x->comp[LMX_C_BM25_RAW] != y->comp[LMX_C_BM25_RAW])
        return x->comp[LMX_C_BM25_RAW] < y->comp[LMX_C_BM25_RAW] ? 1 : -1;
    return strcmp(x->info.id, y->info.id);
}

int lmx_hit_add_term(lmx_hit *h, const char *t)
{
    for (int j = 0; j < h->nterms; j++)
        if (!strcmp(h->terms[j], t)) return LM_OK;
    char **nt = realloc(h->terms, sizeof(char *) * (size_t)(h->nterms + 1));
    if (!nt) return LM_ENOMEM;
    h->terms = nt;
    if (!(h->terms[h->nterms] = lmx_strdup(t))) return LM_ENOMEM;
    h->nterms++;
    return LM_OK;
}

/* A new hit for record rid when it exists and passes f (NULL: no filter):
   *out NULL when not.  LM_OK or an error. */
static int push_record(lm_db *db, lmx_hitlist *hl, int64_t rid, const lmx_filter *f, lmx_hit **out)
{
    *out = NULL;
    lmx_recinfo info;
    int rc = lmx_store_info(&db->store, rid, &info);
    if (rc == LM_ENOTFOUND) return LM_OK;            /* an index row without its record */
    if (rc) return rc;
    if (!lmx_filter_pass(f, rid, &info)) { lmx_recinfo_free(&info); return LM_OK; }
    lmx_hit *h = lmx_hitlist_push(hl);
    if (!h) { lmx_recinfo_free(&info); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    h->info = info;
    h->rid = rid;
    *out = h;
    return LM_OK;
}

/* ---- BM25 ----------------------------------------------------------------------- */

int lmx_cand_bm25(lm_db *db, int kind, const lmx_selected *sel, const lm_opts *o, const lmx_filter *f, int limit,
                  lmx_hitlist *out)
{
    if (sel->n == 0 || limit <= 0) return LM_OK;
    int rc;
    char *match = lmx_terms_match_expr(sel);
    size_t nparams = 2 + LMX_NCOLS + (size_t)sel->n;
    double *params = malloc(sizeof(double) * nparams);
    lmx_bm25_top top;
    lmx_bm25_top_init(&top, limit, sel->n);
    top.glen = lmx_dfs_lengths(db, kind);            /* distributed: the collection's lengths */
    int *order = NULL;
    if (!match || !params) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    params[0] = LMX_OD(o, BM25_K1);
    params[1] = LMX_OD(o, BM25_B);
    for (int c = 0; c < LMX_NCOLS; c++) params[2 + c] = o->v[LMX_O_W_TITLE + c];
    for (int j = 0; j < sel->n; j++) params[2 + LMX_NCOLS + j] = sel->w[j];
    if ((rc = lmx_bm25_search(&db->store, &db->bm25, kind, sel->n, (const char *const *)sel->tok, match, params, f, &top)))
        goto done;
    if (top.top.n == 0) goto done;
    if (!(order = malloc(sizeof(int) * (size_t)top.top.n))) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); goto done; }
    lmx_topk_sort(&top.top, order);
    for (int i = 0; i < top.top.n && !rc; i++) {
        int slot = order[i];
        lmx_hit *h;
        if ((rc = push_record(db, out, top.top.id[slot], NULL, &h)) || !h) continue;
        h->comp[LMX_C_BM25_RAW] = top.top.score[slot];
        if (!(h->mask = malloc((size_t)sel->n))) { rc = lmx_err(db, LM_ENOMEM, "out of memory"); break; }
        memcpy(h->mask, top.mask + (size_t)slot * (size_t)sel->n, (size_t)sel->n);
    }
done:
    lmx_bm25_top_free(&top);
    free(order);
    free(match);
    free(params);
    return rc;
}

double lmx_selected_bm25_max(const lmx_selected *s, const lm_opts *o)
{
    return (LMX_OD(o, BM25_K1) + 1) * s->wall;
}

int lmx_cand_terms(lmx_hitlist *hl, const lmx_selected *sel)
{
    double sw = sel->wall;
    for (int i = 0; i < hl->n; i++) {
        lmx_hit *h = &hl->h[i];
        if (!h->mask) continue;
        double mw = 0;
        for (int j = 0; j < sel->n; j++)
            if (h->mask[j]) {
                mw += sel->w[j];
                if (lmx_hit_add_term(h, sel->tok[j])) return LM_ENOMEM;
            }
        h->comp[LMX_C_COVERAGE] = sw > 0 ? mw / sw : 0;
        free(h->mask);
        h->mask = NULL;
    }
    return LM_OK;
}

/* ---- vector neighbours ---------------------------------------------------------------- */

/*
** Vector neighbours join the candidates: every candidate gets its cosine in
** component `comp` (the space's cosine with qv, clipped at 0), and the
** neighbours dh[0..dn) not yet there are added when they pass the filters.
*/
static int join_neighbours(lm_db *db, const lmx_query *qc, lmx_hitlist *hl, int space, const lmx_dense_hit *dh,
                           int dn, int comp, const float *qv)
{
    for (int i = 0; i < hl->n; i++) {
        double c = lmx_semantic_cosine(&db->sem, space, qc->to, qv, hl->h[i].rid);
        hl->h[i].comp[comp] = c > 0 ? c : 0;
    }
    int rc = LM_OK;
    for (int i = 0; i < dn && !rc; i++) {
        if (dh[i].cosine <= 0) break;
        int present = dh[i].rid == qc->filter.exclude_rid;
        for (int j = 0; j < hl->n && !present; j++) present = hl->h[j].rid == dh[i].rid;
        if (present) continue;
        lmx_hit *h;
        if ((rc = push_record(db, hl, dh[i].rid, &qc->filter, &h)) || !h) continue;
        h->comp[comp] = dh[i].cosine;
    }
    return rc;
}

int lmx_cand_dense(lm_db *db, const lmx_qterms *q, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    int nd = lmx_semantic_candidates(&db->store, LMX_OI(o, DENSE_CANDIDATES));
    if (LMX_OD(o, W_COSINE) <= 0 || nd < 0) return LM_OK;
    float *qv = NULL;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    int rc = lmx_semantic_query(&db->sem, &db->store, q, qc->to, nd, &qv, &dh, &dn);
    if (!rc && qv) dn = lmx_dfs_dense_keep(db, qc->to, qv, dh, dn);   /* distributed: the collection's share */
    if (!rc && qv) rc = join_neighbours(db, qc, hl, LMX_SPACE_BUILTIN, dh, dn, LMX_C_COSINE, qv);
    free(dh);
    free(qv);
    return rc;
}

int lmx_cand_external(lm_db *db, const lm_opts *o, const lmx_query *qc, lmx_hitlist *hl)
{
    if (!qc->query_rid || LMX_OD(o, W_COSINE_EXT) <= 0) return LM_OK;
    char model[300];
    float *qv = NULL;
    int dim = 0;
    int rc = lmx_external_vector(&db->store, qc->query_rid, model, sizeof model, &qv, &dim);
    if (rc || !qv) return rc;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    int nd = LMX_OI(o, DENSE_CANDIDATES) >= 0 ? LMX_OI(o, DENSE_CANDIDATES) : LMX_SEMANTIC_CANDIDATES;
    rc = lmx_external_query(&db->sem, &db->store, model, qv, dim, qc->to, nd, &dh, &dn);
    if (!rc) rc = join_neighbours(db, qc, hl, LMX_SPACE_EXTERNAL, dh, dn, LMX_C_COSINE_EXT, qv);
    free(dh);
    free(qv);
    return rc;
}

/* ---- experts through their achievements ------------------------------------------------ */

/*
** Semantic evidence: the achievements nearest to the query in the built-in
** space join the BM25 ones, and every achievement's relevance becomes
** (w_bm25 bm25 + w_cosine cosine) / (w_bm25 + w_cosine); best first after.
** Nothing changes without a model built by lm_vectors_build() (the one
** the loader keeps serves the latent topic only).
*/
static int dense_evidence(lm_db *db, const lmx_qterms *q, const lm_opts *o, lmx_hitlist *ach)
{
    float *qv = NULL;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    int nd = lmx_semantic_candidates(&db->store, LMX_OI(o, DENSE_CANDIDATES));
    if (nd < 0) return LM_OK;
    int rc = lmx_semantic_query(&db->sem, &db->store, q, LM_ACHIEVEMENT, nd, &qv, &dh, &dn);
    if (rc || !qv) { free(dh); free(qv); return rc; }
    int nbm = ach->n;
    for (int i = 0; i < dn && !rc; i++) {
        if (dh[i].cosine <= 0) break;
        int present = 0;
        for (int j = 0; j < nbm && !present; j++) present = ach->h[j].rid == dh[i].rid;
        if (present) continue;
        lmx_hit *h;
        rc = push_record(db, ach, dh[i].rid, NULL, &h);
    }
    double wb = LMX_OD(o, W_BM25), wc = LMX_OD(o, W_COSINE);
    for (int i = 0; i < ach->n && !rc; i++) {
        double c = lmx_semantic_cosine(&db->sem, LMX_SPACE_BUILTIN, LM_ACHIEVEMENT, qv, ach->h[i].rid);
        ach->h[i].comp[LMX_C_COSINE] = c > 0 ? c : 0;
        ach->h[i].score = (wb * ach->h[i].score + wc * ach->h[i].comp[LMX_C_COSINE]) / (wb + wc);
    }
    if (!rc && ach->n) qsort(ach->h, (size_t)ach->n, sizeof *ach->h, lmx_hit_cmp);
    free(dh);
    free(qv);
    return rc;
}

static lmx_hit *find_hit(lmx_hitlist *hl, const char *id)
{
    for (int k = 0; k < hl->n; k++)
        if (!strcmp(hl->h[k].info.id, id)) return &hl->h[k];
    return NULL;
}

/* Credit expert e with an achievement of relevance rel, the rank-th of its
   linked achievements seen (best first). */
static int credit(lmx_hit *e, const lmx_hit *a, double rel, const lm_opts *o, const lmx_selected *sel)
{
    int rank = e->ev_seen++;
    switch (LMX_OI(o, EVIDENCE_MODE)) {
    case LM_EVIDENCE_MAX: if (rel > e->ev_total) e->ev_total = rel; break;
    case LM_EVIDENCE_SUM: e->ev_total += rel; break;
    default: if (rank < LMX_OI(o, EVIDENCE_M)) e->ev_total += rel / (rank + 1); break;
    }
    if (e->nev >= LMX_MAX_EVIDENCE) return LM_OK;
    if (!(e->ev_id[e->nev] = lmx_strdup(a->info.id))) return LM_ENOMEM;
    e->ev_score[e->nev++] = rel;
    for (int j = 0; j < sel->n; j++)
        if (a->mask && a->mask[j] && lmx_hit_add_term(e, sel->tok[j])) return LM_ENOMEM;
    return LM_OK;
}

int lmx_cand_evidence(lm_db *db, const lmx_qterms *q, const lm_opts *o, const lmx_query *qc, lmx_hitlist *experts)
{
    if (qc->to != LM_EXPERT || LMX_OI(o, EVIDENCE_CANDIDATES) <= 0 || LMX_OD(o, W_EVIDENCE) <= 0) return LM_OK;
    lmx_selected sel;
    int rc = lmx_terms_select(db, q, LM_ACHIEVEMENT, LMX_OI(o, MAX_TERMS), &sel);
    if (rc) return rc;
    lmx_hitlist ach = {0};
    rc = lmx_cand_bm25(db, LM_ACHIEVEMENT, &sel, o, NULL, LMX_OI(o, EVIDENCE_CANDIDATES), &ach);
    /* An achievement's relevance (in score): its BM25 as a share of the
       query's maximum (the same scale for every query), or with semantic
       vectors the weighted mean of that and its cosine. */
    double maxa = lmx_selected_bm25_max(&sel, o);
    for (int i = 0; i < ach.n; i++) ach.h[i].score = maxa > 0 ? ach.h[i].comp[LMX_C_BM25_RAW] / maxa : 0;
    if (!rc && LMX_OD(o, W_COSINE) > 0) rc = dense_evidence(db, q, o, &ach);
    /* Per expert: the relevance of each linked achievement, best first
       (achievements arrive sorted by score). */
    for (int i = 0; i < ach.n && !rc; i++) {
        char **eids = NULL;
        int ne = 0;
        if ((rc = lmx_store_linked_experts(&db->store, ach.h[i].info.id, &eids, &ne))) break;
        for (int k = 0; k < ne && !rc; k++) {
            lmx_hit *e = find_hit(experts, eids[k]);
            if (!e) {
                /* Not a profile candidate: look it up and apply the filters. */
                int64_t rid;
                int frc = lmx_store_find(&db->store, LM_EXPERT, eids[k], &rid);
                if (frc == LM_ENOTFOUND) { lmx_error_clear(&db->err); continue; }
                if ((rc = frc) || (rc = push_record(db, experts, rid, &qc->filter, &e)) || !e) continue;
            }
            if (credit(e, &ach.h[i], ach.h[i].score, o, &sel)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
        }
        for (int k = 0; k < ne; k++) free(eids[k]);
        free(eids);
    }
    lmx_hitlist_free(&ach);
    lmx_selected_free(&sel);
    return rc;
}

/* ---- a query vector of the caller's --------------------------------------------------- */

int lmx_cand_vector(lm_db *db, const char *model, const float *q, int dim, const lm_opts *o, const lmx_query *qc,
                    int want, lmx_hitlist *hl)
{
    int ncand = LMX_OI(o, CANDIDATES) > want ? LMX_OI(o, CANDIDATES) : want;
    lmx_dense_hit *dh = NULL;
    int dn = 0;
    int rc = lmx_external_query(&db->sem, &db->store, model, q, dim, qc->to, ncand, &dh, &dn);
    for (int i = 0; i < dn && !rc && hl->n < want; i++) {
        lmx_hit *h;
        if ((rc = push_record(db, hl, dh[i].rid, &qc->filter, &h)) || !h) continue;
        h->comp[LMX_C_COSINE_EXT] = dh[i].cosine;
        h->score = dh[i].cosine;
    }
    free(dh);
    return rc;
}
