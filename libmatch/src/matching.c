/*
** matching.c -- the matching pipeline in order, and its entry points:
**
**   query record / text -> terms (query_terms.c) -> candidates
**   (candidates.c) -> features and fusion (features.c) -> sorted, paged
**   hits with labels -> a results handle (results.c)
**
** Every entry point shares one guard (match_begin/match_end): a handle,
** an output pointer, a target kind, options (the defaults when NULL), and
** one read snapshot for all the statements of the call, so that a
** concurrent writer cannot make statistics and postings disagree.
*/
#include <stdlib.h>
#include <string.h>

#include "dfs.h"
#include "matching.h"
#include "record.h"
#include "results.h"

/* ---- the pipeline ------------------------------------------------------------------ */

/* Keep the hits [offset, offset + k) of hl (sorted), with their labels. */
static int page(lm_db *db, lmx_hitlist *hl, const lm_opts *o)
{
    int from = LMX_OI(o, OFFSET) < hl->n ? LMX_OI(o, OFFSET) : hl->n;
    int to = from + LMX_OI(o, K) < hl->n ? from + LMX_OI(o, K) : hl->n;
    for (int i = 0; i < from; i++) lmx_hit_free(&hl->h[i]);
    for (int i = to; i < hl->n; i++) lmx_hit_free(&hl->h[i]);
    if (to > from) memmove(hl->h, hl->h + from, sizeof *hl->h * (size_t)(to - from));
    hl->n = to - from;
    for (int i = 0; i < hl->n; i++) {
        int rc = lmx_store_label(&db->store, hl->h[i].rid, &hl->h[i].label);
        if (rc) return rc;
    }
    return LM_OK;
}

/* Hits whose keywords are read for keyword_match: the best of the first
   pass (and every hit returned). */
#define LMX_KEYWORD_HITS 100

/* Drop the hits below the min_probability option (hl sorted or not). */
static void min_probability(lmx_hitlist *hl, const lm_opts *o)
{
    double min = LMX_OD(o, MIN_PROBABILITY);
    if (min <= 0) return;
    int k = 0;
    for (int i = 0; i < hl->n; i++) {
        if (hl->h[i].prob >= min) hl->h[k++] = hl->h[i];
        else lmx_hit_free(&hl->h[i]);
    }
    hl->n = k;
}

/* The answer of a DFS phase: a results handle without hits holding json. */
static int answer(lm_db *db, lmx_hitlist *hl, lmx_selected *sel, char *json, lm_results **out)
{
    if (lmx_results_new(hl, sel, out)) { free(json); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    lmx_results_set_dfs(*out, json);
    return LM_OK;
}

/* Phase LM_DFS_SHARD: hl is sorted by the first pass and its first m hits
   have keyword_match; the final pass is computed here and both go into the
   shard's part. */
static int shard_part(lm_db *db, const lmx_model *model, const lm_opts *o, lmx_hitlist *hl, int m, lmx_selected *sel,
                      lm_results **out)
{
    double *s1 = malloc(sizeof(double) * (size_t)(hl->n + 1)), *p1 = malloc(sizeof(double) * (size_t)(hl->n + 1));
    if (!s1 || !p1) { free(s1); free(p1); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    for (int i = 0; i < hl->n; i++) { s1[i] = hl->h[i].score; p1[i] = hl->h[i].prob; }
    lmx_fuse(model, o, hl, 1);
    char *js = NULL;
    int rc = lmx_dfs_part(db, o, hl, s1, p1, m, sel, lmx_comp_names(), &js);
    free(s1);
    free(p1);
    lmx_hitlist none = {0};
    return rc ? rc : answer(db, &none, sel, js, out);
}

static int run_query(lm_db *db, const lmx_query *qc0, lmx_qterms *q, const lm_opts *o, lm_results **out)
{
    lmx_selected sel = {0};
    lmx_hitlist hl = {0};
    lmx_query qcopy = *qc0, *qc = &qcopy;
    int rc = lmx_synonyms_expand(&db->lex, &db->store, db->an, q, 0.8);
    if (!rc) rc = lmx_terms_select(db, q, qc->to, LMX_OI(o, MAX_TERMS), &sel);
    int limit = LMX_OI(o, CANDIDATES) > LMX_OI(o, OFFSET) + LMX_OI(o, K) ? LMX_OI(o, CANDIDATES)
                                                                        : LMX_OI(o, OFFSET) + LMX_OI(o, K);
    if (!rc) rc = lmx_cand_bm25(db, qc->to, &sel, o, &qc->filter, limit, &hl);
    if (!rc && db->dfs) {
        /* Distributed (dfs.h): the probe answers here; a shard keeps its
           share of the collection's BM25 candidates. */
        if (db->dfs->phase == LM_DFS_PROBE) {
            qc->bm25_max = lmx_selected_bm25_max(&sel, o);
            char *js = NULL;
            rc = lmx_dfs_probe(db, o, qc, q, &hl, &js);
            lmx_hitlist_free(&hl);
            if (!rc) rc = answer(db, &hl, &sel, js, out);
            lmx_selected_free(&sel);
            return rc;
        }
        int keep = lmx_dfs_bm25_keep(db, qc->to, &hl);
        for (int i = keep; i < hl.n; i++) lmx_hit_free(&hl.h[i]);
        hl.n = keep;
    }
    if (!rc && qc->to != LM_EXPERT && LMX_OI(o, PRF_DOCS) > 0 && hl.n > 0) {
        /* A second round with the feedback terms of the first round's best
           hits (in BM25 order). */
        rc = lmx_terms_feedback(db, q, qc->to, &hl, o);
        lmx_hitlist_free(&hl);
        lmx_selected_free(&sel);
        if (!rc) rc = lmx_terms_select(db, q, qc->to, LMX_OI(o, MAX_TERMS) + LMX_OI(o, PRF_TERMS), &sel);
        if (!rc) rc = lmx_cand_bm25(db, qc->to, &sel, o, &qc->filter, limit, &hl);
    }
    qc->bm25_max = lmx_selected_bm25_max(&sel, o);
    if (!rc && lmx_cand_terms(&hl, &sel)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    if (!rc) rc = lmx_cand_dense(db, q, o, qc, &hl);
    if (!rc) rc = lmx_cand_external(db, o, qc, &hl);
    /* Evidence may add experts found only through their achievements; the
       topic vote then covers them too (the first hits stay in BM25 order). */
    if (!rc) rc = lmx_cand_evidence(db, q, o, qc, &hl);
    if (!rc) rc = lmx_features(db, o, qc, &hl);
    const lmx_model *model = NULL;
    if (!rc) rc = lmx_model_active(db, &model, NULL);
    if (!rc) {
        /* First pass without keyword_match; then the keywords of the best
           hits (reading them costs a lookup per hit) and the final order. */
        lmx_fuse(model, o, &hl, 1);
        if (hl.n) qsort(hl.h, (size_t)hl.n, sizeof *hl.h, lmx_hit_cmp);
        int nkw = LMX_OI(o, OFFSET) + LMX_OI(o, K);
        rc = lmx_features_keywords(db, o, q, &hl, nkw > LMX_KEYWORD_HITS ? nkw : LMX_KEYWORD_HITS);
        if (!rc && db->dfs) {
            /* A shard's part: its hits with both passes' scores (dfs.h). */
            rc = shard_part(db, model, o, &hl, nkw > LMX_KEYWORD_HITS ? nkw : LMX_KEYWORD_HITS, &sel, out);
            lmx_selected_free(&sel);
            lmx_hitlist_free(&hl);
            return rc;
        }
    }
    if (!rc) {
        lmx_fuse(model, o, &hl, 1);
        if (hl.n) qsort(hl.h, (size_t)hl.n, sizeof *hl.h, lmx_hit_cmp);
        min_probability(&hl, o);
        rc = page(db, &hl, o);
    }
    if (!rc && lmx_results_new(&hl, &sel, out)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    lmx_selected_free(&sel);
    lmx_hitlist_free(&hl);
    return rc;
}

/* The query of a record: its region, its domain tags, the options' filters
   and (for a stored record of the target kind) not itself. */
static int query_of(const lmx_record *r, int64_t rid, int to, const lm_opts *o, lmx_query *qc)
{
    memset(qc, 0, sizeof *qc);
    qc->to = to;
    qc->filter.region = o->region;
    qc->filter.min_maturity = LMX_OI(o, MIN_MATURITY);
    qc->filter.fields = o->fields;
    qc->filter.nfields = o->nfields;
    if (!r) return LM_OK;
    qc->query_rid = rid;
    qc->filter.exclude_rid = r->kind == to ? rid : 0;
    qc->region = r->region;
    int n = r->fields ? cJSON_GetArraySize(r->fields) : 0;
    if (n) {
        if (!(qc->tags = malloc(sizeof(char *) * (size_t)n))) return LM_ENOMEM;
        for (cJSON *f = r->fields->child; f; f = f->next) qc->tags[qc->ntags++] = f->valuestring;
    }
    return LM_OK;
}

static int match_parsed(lm_db *db, const lmx_record *r, int64_t rid, int to, const lm_opts *o, lm_results **out)
{
    lmx_qterms q = {0};
    lmx_query qc;
    int rc = query_of(r, rid, to, o, &qc) ? lmx_err(db, LM_ENOMEM, "out of memory") : LM_OK;
    for (int c = 0; c < LMX_NCOLS && !rc; c++)
        if (c != LMX_COL_EXTRA) rc = lmx_terms_analyze(db, &q, r->text[c], o->v[LMX_O_W_TITLE + c]);
    if (!rc) rc = run_query(db, &qc, &q, o, out);
    free(qc.tags);
    lmx_qterms_free(&q);
    return rc;
}

/* ---- the entry points ------------------------------------------------------------------ */

typedef struct {
    lm_db *db;
    const lm_opts *o;
    lm_opts defaults;
    int began;
    lmx_dfs dfs;             /* a DFS phase (lm_opts_set_dfs) */
} call;

/* The guard of every entry point: LM_OK and a read snapshot, or an error. */
static int match_begin(call *c, lm_db *db, int to, const lm_opts *o, lm_results **out)
{
    c->db = db;
    c->began = 0;
    memset(&c->dfs, 0, sizeof c->dfs);
    if (!out) return lmx_err(db, LM_EINVAL, "no output pointer (NULL)");
    *out = NULL;
    if (!lm_kind_name(to)) return lmx_err(db, LM_EINVAL, "unknown target kind %d", to);
    if (!o) { lmx_opts_defaults(&c->defaults); o = &c->defaults; }
    c->o = o;
    if (o->dfs_phase) {
        int rc = lmx_dfs_check(db, o, to);
        if (!rc && o->dfs_phase == LM_DFS_SHARD && !o->dfs_ctx)
            rc = lmx_err(db, LM_ESTATE, "DFS phase 2 (LM_DFS_SHARD) needs the context of lm_dfs_context()");
        if (!rc) rc = lmx_dfs_context_parse(o->dfs_phase == LM_DFS_SHARD ? o->dfs_ctx : NULL, to, &c->dfs, &db->err);
        if (rc) return rc;
        c->dfs.phase = o->dfs_phase;
        db->dfs = &c->dfs;
    }
    c->began = lmx_store_read_begin(&db->store);
    return LM_OK;
}

static int match_end(call *c, int rc)
{
    lmx_store_read_end(&c->db->store, c->began);
    c->db->dfs = NULL;
    lmx_dfs_clear(&c->dfs);
    return rc ? rc : lmx_ok(c->db);
}

int lmx_match_stored(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out)
{
    int rc = lmx_check_kind_id(db, from, id);
    if (rc) return rc;
    char *json = NULL;
    int64_t rid = 0;
    if ((rc = lmx_store_get(&db->store, from, id, &json, &rid))) return rc;
    lmx_record r;
    char msg[768];
    rc = lmx_record_parse(json, strlen(json), 1, &r, msg, sizeof msg);
    free(json);
    if (rc) return lmx_err(db, rc, "stored %s", msg);
    rc = match_parsed(db, &r, rid, to, o, out);
    lmx_record_free(&r);
    return rc;
}

static int match_locked(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    call c;
    int rc = match_begin(&c, db, to, o, out);
    if (!rc) rc = lmx_match_stored(db, from, id, to, c.o, out);
    return match_end(&c, rc);
}

int lmx_match_all(lm_db *db, int from, const char *id, int to, const lm_opts *opts, int64_t n, lm_results **out)
{
    lm_opts o;
    if (opts) o = *opts;            /* shallow: region/fields stay borrowed */
    else lmx_opts_defaults(&o);
    o.v[LMX_O_K] = n < 1 ? 1 : n > 1000000 ? 1000000 : (int)n;
    o.v[LMX_O_OFFSET] = 0;
    if (o.v[LMX_O_CANDIDATES] < o.v[LMX_O_K]) o.v[LMX_O_CANDIDATES] = o.v[LMX_O_K];
    return match_locked(db, from, id, to, &o, out);
}

static int match_record_locked(lm_db *db, const char *json, size_t len, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    call c;
    int rc = match_begin(&c, db, to, o, out);
    if (!rc) {
        lmx_record r;
        char msg[768];
        int64_t rid = 0;
        if ((rc = lmx_record_parse(json, len, 0, &r, msg, sizeof msg))) rc = lmx_err(db, rc, "%s", msg);
        else if (db->dfs && r.kind == to) {
            /* Distributed: a stored query of the candidates' kind is left out
               by the shard holding it, as lm_match() leaves it out. */
            int frc = lmx_store_find(&db->store, to, r.id, &rid);
            if (frc == LM_ENOTFOUND) { rid = 0; lmx_error_clear(&db->err); }
            else rc = frc;
        }
        if (!rc) rc = match_parsed(db, &r, rid, to, c.o, out);
        lmx_record_free(&r);
    }
    return match_end(&c, rc);
}

static int match_text(lm_db *db, const char *text, size_t len, int to, const lm_opts *o, lm_results **out)
{
    if (!text) return lmx_err(db, LM_EINVAL, "no query text (NULL)");
    if (len == LM_NUL_TERMINATED) len = strlen(text);
    if (len > LM_MAX_FIELD_BYTES)
        return lmx_err(db, LM_ETOOBIG, "query text of %zu bytes exceeds %u", len, (unsigned)LM_MAX_FIELD_BYTES);
    if (!lmx_utf8_valid(text, len, NULL))
        return lmx_err(db, LM_EINVAL_UTF8, "query text is not valid UTF-8 (or holds a NUL byte)");
    char *t = lmx_strndup(text, len);
    if (!t) return lmx_err(db, LM_ENOMEM, "out of memory");
    lmx_qterms q = {0};
    lmx_query qc;
    query_of(NULL, 0, to, o, &qc);
    int rc = lmx_terms_analyze(db, &q, t, 1.0);
    free(t);
    if (!rc) rc = run_query(db, &qc, &q, o, out);
    lmx_qterms_free(&q);
    return rc;
}

static int match_text_locked(lm_db *db, const char *text, size_t len, int to, const lm_opts *o, lm_results **out)
{
    if (!db) return LM_EINVAL;
    call c;
    int rc = match_begin(&c, db, to, o, out);
    if (!rc) rc = match_text(db, text, len, to, c.o, out);
    return match_end(&c, rc);
}

static int match_vector_locked(lm_db *db, const char *model, const float *q, int dim, int to, const lm_opts *o,
                           lm_results **out)
{
    if (!db) return LM_EINVAL;
    call c;
    int rc = match_begin(&c, db, to, o, out);
    if (rc) return match_end(&c, rc);
    o = c.o;
    lmx_query qc;
    query_of(NULL, 0, to, o, &qc);
    lmx_hitlist hl = {0};
    if (db->dfs) {
        lmx_hitlist_free(&hl);
        return match_end(&c, lmx_err(db, LM_EINVAL, "lm_match_vector() has no distributed (DFS) phases"));
    }
    rc = lmx_cand_vector(db, model, q, dim, o, &qc, LMX_OI(o, OFFSET) + LMX_OI(o, K), &hl);
    if (!rc) rc = lmx_features(db, o, &qc, &hl);      /* the score stays the cosine */
    const lmx_model *m = NULL;
    if (!rc) rc = lmx_model_active(db, &m, NULL);
    if (!rc) {
        lmx_fuse(m, o, &hl, 0);                       /* the probability only */
        min_probability(&hl, o);
        rc = page(db, &hl, o);
    }
    if (!rc && lmx_results_new(&hl, NULL, out)) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    lmx_hitlist_free(&hl);
    return match_end(&c, rc);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

LM_API int lm_match(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out)
{
    LMX_GUARDED_READ(db, match_locked(db, from, id, to, o, out));
}

LM_API int lm_match_record(lm_db *db, const char *json, size_t len, int to, const lm_opts *o, lm_results **out)
{
    LMX_GUARDED_READ(db, match_record_locked(db, json, len, to, o, out));
}

LM_API int lm_match_text(lm_db *db, const char *text, size_t len, int to, const lm_opts *o, lm_results **out)
{
    LMX_GUARDED_READ(db, match_text_locked(db, text, len, to, o, out));
}

LM_API int lm_match_vector(lm_db *db, const char *model, const float *q, int dim, int to, const lm_opts *o, lm_results **out)
{
    LMX_GUARDED_READ(db, match_vector_locked(db, model, q, dim, to, o, out));
}
