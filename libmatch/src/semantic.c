/*
** semantic.c -- the built-in semantic space: building the latent semantic
** model over everything stored, folding new records in on insert, and the
** dense candidates of a query (one contiguous matrix per kind, loaded lazily
** and reloaded after writes).
**
** Features are the analyzer's main tokens (words; no colocated sub-words or
** bigrams), weighted (1 + ln tf) * ln(N / df) with the column weights of
** title 2, body 1, keywords 2; rows are L2-normalized before the SVD.
** Terms in fewer than two records are left out of the model.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vectors.h"
#include <cblas.h>

static const double col_w[3] = { 2.0, 1.0, 2.0 };

/* ---- tokens of a record ---------------------------------------------------- */

typedef struct { lmx_qterms *q; double w; } tokctx;

static int main_tok(void *ctx, int flags, const char *t, int n, int s, int e)
{
    tokctx *c = ctx;
    if ((flags & LMX_TOK_COLOCATED) || n <= 0 || n > 255) return 0;
    return lmx_qterms_add(c->q, t, n, c->w, 0);
}

/* Weighted term frequencies of up to three texts (title, body, keywords). */
static int record_terms(lm_db *db, const char *const *texts, lmx_qterms *out)
{
    for (int c = 0; c < 3; c++) {
        if (!texts[c] || !*texts[c]) continue;
        tokctx t = { out, col_w[c] };
        int rc = lmx_analyze(db->an, texts[c], (int)strlen(texts[c]), 0, main_tok, &t);
        if (rc) return rc;
    }
    return LM_OK;
}

/* ---- building ---------------------------------------------------------------- */

typedef struct { int64_t rid; int n; int *term; float *tf; } rowterms;

static int meta_int(lm_db *db, const char *key)
{
    sqlite3_stmt *st;
    int v = 0;
    if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int meta_put(lm_db *db, const char *key, int64_t v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &st, NULL);
    if (rc != SQLITE_OK) return lmx_sqlerr(db, rc, "writing meta");
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, buf, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? LM_OK : lmx_sqlerr(db, rc, "writing meta");
}

int lmx_semantic_dim(lm_db *db)
{
    return meta_int(db, "lsa_dim");
}

static int build_locked(lm_db *db, int dim)
{
    int rc = LM_OK;
    lmx_qterms vocab = {0};           /* term -> index; w = document frequency */
    rowterms *rows = NULL;
    int nrows = 0, caprows = 0;
    for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT rowid, title, body, keywords FROM %s", lmx_fts_table(k));
        sqlite3_stmt *st;
        if ((rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL)) != SQLITE_OK) { rc = lmx_sqlerr(db, rc, "reading texts"); break; }
        rc = LM_OK;
        while (!rc && sqlite3_step(st) == SQLITE_ROW) {
            const char *texts[3] = { (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
                                     (const char *)sqlite3_column_text(st, 3) };
            lmx_qterms t = {0};
            if ((rc = record_terms(db, texts, &t))) { lmx_qterms_free(&t); break; }
            if (nrows == caprows) {
                caprows = caprows ? caprows * 2 : 1024;
                rowterms *nr = realloc(rows, sizeof *nr * (size_t)caprows);
                if (!nr) { rc = LM_ENOMEM; lmx_qterms_free(&t); break; }
                rows = nr;
            }
            rowterms *r = &rows[nrows++];
            r->rid = sqlite3_column_int64(st, 0);
            r->n = t.n;
            r->term = malloc(sizeof(int) * (size_t)(t.n ? t.n : 1));
            r->tf = malloc(sizeof(float) * (size_t)(t.n ? t.n : 1));
            if (!r->term || !r->tf) { rc = LM_ENOMEM; lmx_qterms_free(&t); break; }
            for (int j = 0; j < t.n && !rc; j++) {
                rc = lmx_qterms_add(&vocab, t.t[j].tok, t.t[j].len, 1.0, 0);   /* df += 1 */
                r->term[j] = lmx_qterms_find(&vocab, t.t[j].tok, t.t[j].len);
                r->tf[j] = (float)t.t[j].w;
            }
            lmx_qterms_free(&t);
            if (nrows % 1000 == 0 && (rc = lmx_progress(db, "vectors", nrows, -1))) break;
        }
        sqlite3_finalize(st);
    }
    if (rc) goto done;
    if (nrows < 3) { rc = lmx_err(db, LM_ESTATE, "too few records (%d) to build vectors", nrows); goto done; }
    /* Columns: terms in two or more records. */
    int *colof = malloc(sizeof(int) * (size_t)(vocab.n ? vocab.n : 1));
    if (!colof) { rc = LM_ENOMEM; goto done; }
    int ncols = 0;
    for (int v = 0; v < vocab.n; v++) colof[v] = vocab.t[v].w >= 2 ? ncols++ : -1;
    int64_t nnz = 0;
    for (int i = 0; i < nrows; i++)
        for (int j = 0; j < rows[i].n; j++) nnz += colof[rows[i].term[j]] >= 0;
    int64_t *rowptr = malloc(sizeof(int64_t) * (size_t)(nrows + 1));
    int *colidx = malloc(sizeof(int) * (size_t)(nnz ? nnz : 1));
    float *val = malloc(sizeof(float) * (size_t)(nnz ? nnz : 1));
    float *idf = malloc(sizeof(float) * (size_t)(ncols ? ncols : 1));
    if (!rowptr || !colidx || !val || !idf) { free(colof); free(rowptr); free(colidx); free(val); free(idf); rc = LM_ENOMEM; goto done; }
    for (int v = 0; v < vocab.n; v++)
        if (colof[v] >= 0) idf[colof[v]] = (float)log((double)nrows / vocab.t[v].w);
    int64_t p = 0;
    for (int i = 0; i < nrows; i++) {
        rowptr[i] = p;
        double norm = 0;
        int64_t start = p;
        for (int j = 0; j < rows[i].n; j++) {
            int c = colof[rows[i].term[j]];
            if (c < 0) continue;
            colidx[p] = c;
            val[p] = (float)((1.0 + log(rows[i].tf[j])) * idf[c]);
            norm += (double)val[p] * val[p];
            p++;
        }
        if (norm > 0)
            for (int64_t q = start; q < p; q++) val[q] = (float)(val[q] / sqrt(norm));
    }
    rowptr[nrows] = p;
    lmx_csr A = { nrows, ncols, rowptr, colidx, val };
    float *P = NULL;
    int d = 0;
    rc = lmx_lsa_build(&A, dim, 2, 42, &P, &d);
    if (rc) {
        rc = lmx_err(db, rc, "building the semantic model failed (%d records, %d terms): %s", nrows, ncols, lm_errstr(rc));
    } else {
        /* Store the model and every record's vector. */
        sqlite3_stmt *ins = NULL, *vec = NULL;
        rc = sqlite3_exec(db->sql, "DELETE FROM lsa_term; DELETE FROM vec;", NULL, NULL, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db->sql, "INSERT INTO lsa_term(term, idf, v) VALUES(?, ?, ?)", -1, &ins, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db->sql, "INSERT INTO vec(rid, v) VALUES(?, ?)", -1, &vec, NULL);
        for (int v = 0; v < vocab.n && rc == SQLITE_OK; v++) {
            int c = colof[v];
            if (c < 0) continue;
            sqlite3_reset(ins);
            sqlite3_bind_text(ins, 1, vocab.t[v].tok, vocab.t[v].len, SQLITE_STATIC);
            sqlite3_bind_double(ins, 2, idf[c]);
            sqlite3_bind_blob(ins, 3, P + (size_t)c * d, (int)(sizeof(float) * (size_t)d), SQLITE_STATIC);
            rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        }
        float *x = malloc(sizeof(float) * (size_t)d);
        if (!x) rc = SQLITE_NOMEM;
        for (int i = 0; i < nrows && rc == SQLITE_OK; i++) {
            lmx_fold_in(P, d, colidx + rowptr[i], val + rowptr[i], (int)(rowptr[i + 1] - rowptr[i]), x);
            sqlite3_reset(vec);
            sqlite3_bind_int64(vec, 1, rows[i].rid);
            sqlite3_bind_blob(vec, 2, x, (int)(sizeof(float) * (size_t)d), SQLITE_STATIC);
            rc = sqlite3_step(vec) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        }
        free(x);
        sqlite3_finalize(ins);
        sqlite3_finalize(vec);
        rc = rc == SQLITE_OK ? LM_OK : lmx_sqlerr(db, rc, "storing vectors");
        if (!rc) rc = meta_put(db, "lsa_dim", d);
        if (!rc) rc = meta_put(db, "lsa_records", nrows);
        if (!rc) rc = meta_put(db, "lsa_folded", 0);
        free(P);
    }
    free(colof);
    free(rowptr);
    free(colidx);
    free(val);
    free(idf);
done:
    for (int i = 0; i < nrows; i++) { free(rows[i].term); free(rows[i].tf); }
    free(rows);
    lmx_qterms_free(&vocab);
    if (rc == LM_ENOMEM) lmx_err(db, rc, "out of memory building vectors");
    db->write_gen++;
    return rc;
}

LM_API int lm_vectors_build(lm_db *db, int dim)
{
    if (!db) return LM_EINVAL;
    if (dim < 0 || dim > LM_MAX_DIM) return lmx_err(db, LM_ERANGE, "dimension %d is not in 0..%d", dim, LM_MAX_DIM);
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = lmx_begin(db);
    if (rc) return rc;
    if ((rc = lmx_ensure_fresh(db)) || (rc = build_locked(db, dim ? dim : 256)) || (rc = lmx_commit(db))) {
        lmx_rollback(db);
        return rc;
    }
    return lmx_ok(db);
}

/* ---- fold-in ------------------------------------------------------------------ */

/* Project weighted terms through the stored model into out (d floats).
   Returns 1 when some term was known. */
static int project(lm_db *db, const lmx_qterms *t, int d, float *out)
{
    sqlite3_stmt *st = lmx_stmt(db, 24, "SELECT idf, v FROM lsa_term WHERE term = ?");
    if (!st) return -1;
    memset(out, 0, sizeof(float) * (size_t)d);
    int known = 0;
    for (int j = 0; j < t->n; j++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, t->t[j].tok, t->t[j].len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 1) != (int)(sizeof(float) * (size_t)d)) continue;
        const float *v = sqlite3_column_blob(st, 1);
        float w = (float)((1.0 + log(t->t[j].w > 1 ? t->t[j].w : 1)) * sqlite3_column_double(st, 0));
        for (int i = 0; i < d; i++) out[i] += w * v[i];
        known = 1;
    }
    sqlite3_reset(st);
    return known && lmx_vec_normalize(out, d);
}

int lmx_semantic_fold(lm_db *db, int64_t rid, const lmx_record *r)
{
    int d = lmx_semantic_dim(db);
    if (d <= 0) return LM_OK;
    const char *texts[3] = { r->text[LMX_COL_TITLE], r->text[LMX_COL_BODY], r->text[LMX_COL_KEYWORDS] };
    lmx_qterms t = {0};
    float *x = malloc(sizeof(float) * (size_t)d);
    int rc = x ? record_terms(db, texts, &t) : LM_ENOMEM;
    if (!rc) {
        project(db, &t, d, x);
        sqlite3_stmt *st = lmx_stmt(db, 25, "INSERT OR REPLACE INTO vec(rid, v) VALUES(?, ?)");
        if (!st) rc = db->errcode;
        else {
            sqlite3_bind_int64(st, 1, rid);
            sqlite3_bind_blob(st, 2, x, (int)(sizeof(float) * (size_t)d), SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_DONE ? LM_OK : lmx_sqlerr(db, SQLITE_ERROR, "storing a vector");
            sqlite3_reset(st);
        }
        if (!rc) rc = meta_put(db, "lsa_folded", meta_int(db, "lsa_folded") + 1);
    }
    lmx_qterms_free(&t);
    free(x);
    return rc;
}

/* ---- dense candidates ---------------------------------------------------------- */

struct lmx_densecache {
    int kind, n, d;
    int64_t gen, version;
    float *M;
    int64_t *rid;      /* ascending */
    char **id;
    lmx_dense D;       /* M described once (its largest norm), for top-k */
};

static void cache_free(struct lmx_densecache *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) free(c->id[i]);
    free(c->id);
    free(c->M);
    free(c->rid);
    free(c);
}

void lmx_semantic_free(lm_db *db)
{
    for (int k = 0; k <= 2 * LMX_NKINDS; k++) {
        cache_free(db->dense[k]);
        db->dense[k] = NULL;
    }
}

static struct lmx_densecache *space_matrix(lm_db *db, int slot, int kind, const char *table, int d)
{
    int64_t ver = lmx_data_version(db);
    struct lmx_densecache *c = db->dense[slot];
    if (c && c->gen == db->write_gen && c->version == ver && c->d == d) return c;
    cache_free(c);
    db->dense[slot] = NULL;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->kind = kind;
    c->d = d;
    c->gen = db->write_gen;
    c->version = ver;
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT v.rid, v.v, r.id FROM %s v JOIN record r ON r.rid = v.rid "
                              "WHERE r.kind = ? ORDER BY v.rid", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) { free(c); return NULL; }
    sqlite3_bind_int(st, 1, kind);
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) != (int)(sizeof(float) * (size_t)d)) continue;
        if (c->n == cap) {
            cap = cap ? cap * 2 : 256;
            float *nm = realloc(c->M, sizeof(float) * (size_t)cap * d);
            if (nm) c->M = nm;
            int64_t *nr = realloc(c->rid, sizeof(int64_t) * (size_t)cap);
            if (nr) c->rid = nr;
            char **ni = realloc(c->id, sizeof(char *) * (size_t)cap);
            if (ni) c->id = ni;
            if (!nm || !nr || !ni) { sqlite3_finalize(st); cache_free(c); return NULL; }
        }
        if (!(c->id[c->n] = lmx_strdup((const char *)sqlite3_column_text(st, 2)))) { sqlite3_finalize(st); cache_free(c); return NULL; }
        c->rid[c->n] = sqlite3_column_int64(st, 0);
        memcpy(c->M + (size_t)c->n * d, sqlite3_column_blob(st, 1), sizeof(float) * (size_t)d);
        c->n++;
    }
    sqlite3_finalize(st);
    if (lmx_dense_init(&c->D, c->M, c->n, d)) { cache_free(c); return NULL; }
    db->dense[slot] = c;
    return c;
}

static struct lmx_densecache *matrix(lm_db *db, int kind, int d)
{
    return space_matrix(db, kind, kind, "vec", d);
}

/* The ncand records of a loaded matrix nearest to qv, best first. */
static int nearest(lm_db *db, const struct lmx_densecache *c, const float *qv, int ncand,
                   lmx_dense_hit **out, int *nout)
{
    if (!c) return lmx_err(db, LM_ENOMEM, "out of memory loading vectors");
    int k = ncand < c->n ? ncand : c->n;
    int *idx = malloc(sizeof(int) * (size_t)(k ? k : 1));
    float *sc = malloc(sizeof(float) * (size_t)(k ? k : 1));
    lmx_dense_hit *h = malloc(sizeof *h * (size_t)(k ? k : 1));
    if (!idx || !sc || !h) { free(idx); free(sc); free(h); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    int n = 0;
    int rc = lmx_dense_topk(&n, idx, sc, &c->D, qv, k, NULL);
    for (int i = 0; i < n; i++) { h[i].rid = c->rid[idx[i]]; h[i].cosine = sc[i]; }
    free(idx);
    free(sc);
    if (rc) { free(h); return lmx_err(db, rc, "dense top-k failed"); }
    *out = h;
    *nout = n;
    return LM_OK;
}

int lmx_semantic_query(lm_db *db, const lmx_qterms *q, int kind, int ncand,
                       float **out_q, lmx_dense_hit **out_hits, int *out_n)
{
    *out_q = NULL;
    *out_hits = NULL;
    *out_n = 0;
    int d = lmx_semantic_dim(db);
    if (d <= 0) return LM_OK;
    float *qv = malloc(sizeof(float) * (size_t)d);
    if (!qv) return lmx_err(db, LM_ENOMEM, "out of memory");
    if (project(db, q, d, qv) <= 0) { free(qv); return LM_OK; }
    int rc = nearest(db, matrix(db, kind, d), qv, ncand, out_hits, out_n);
    if (rc) { free(qv); return rc; }
    *out_q = qv;
    return LM_OK;
}

/* Dot product of q with the row of rid in a loaded matrix (0 if absent). */
static double cache_cosine(const struct lmx_densecache *c, const float *q, int64_t rid)
{
    if (!c || !q) return 0;
    int lo = 0, hi = c->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c->rid[mid] == rid) {
            double s = 0;
            for (int i = 0; i < c->d; i++) s += (double)q[i] * c->M[(size_t)mid * c->d + i];
            return s;
        }
        if (c->rid[mid] < rid) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

double lmx_semantic_cosine(lm_db *db, int kind, const float *q, int64_t rid)
{
    return cache_cosine(db->dense[kind], q, rid);
}

/* ---- external vectors (bring your own embeddings) ------------------------------- */

static int meta_text(lm_db *db, const char *key, char *buf, size_t n)
{
    sqlite3_stmt *st;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return found;
}

/* Check a vector and the external space; on success *fixed is 1 when the
   space is already defined. */
static int check_space(lm_db *db, const char *model, const float *v, int dim, int *fixed)
{
    if (!model || !*model || strlen(model) > 256) return lmx_err(db, LM_EINVAL, "a vector needs a model name (1 to 256 bytes)");
    if (!lmx_utf8_valid(model, strlen(model), NULL)) return lmx_err(db, LM_EINVAL_UTF8, "model name is not valid UTF-8");
    if (!v) return lmx_err(db, LM_EINVAL, "no vector (NULL)");
    if (dim < 1 || dim > LM_MAX_DIM) return lmx_err(db, LM_ERANGE, "dimension %d is not in 1..%d", dim, LM_MAX_DIM);
    for (int i = 0; i < dim; i++)
        if (!isfinite(v[i])) return lmx_err(db, LM_EINVAL, "vector component %d is %s", i, isnan(v[i]) ? "NaN" : "infinite");
    char m[300], d[32];
    *fixed = meta_text(db, "ext_model", m, sizeof m);
    meta_text(db, "ext_dim", d, sizeof d);
    if (*fixed && (strcmp(m, model) != 0 || atoi(d) != dim))
        return lmx_err(db, LM_EMISMATCH, "this database's external vectors are '%s' of dimension %s, not '%s' of dimension %d",
                       m, d, model, dim);
    return LM_OK;
}

LM_API int lm_vector_put(lm_db *db, int kind, const char *id, const char *model, const float *v, int dim)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int fixed, rc = check_space(db, model, v, dim, &fixed);
    if (rc) return rc;
    float *x = malloc(sizeof(float) * (size_t)dim);
    if (!x) return lmx_err(db, LM_ENOMEM, "out of memory");
    memcpy(x, v, sizeof(float) * (size_t)dim);
    if (!lmx_vec_normalize(x, dim)) { free(x); return lmx_err(db, LM_EINVAL, "zero vector for %s '%.200s'", lm_kind_name(kind) ? lm_kind_name(kind) : "?", id ? id : ""); }
    if ((rc = lmx_begin(db))) { free(x); return rc; }
    char *json = NULL;
    int64_t rid = 0;
    rc = lmx_load_json(db, kind, id, &json, &rid);
    free(json);
    if (!rc && !fixed) {
        rc = meta_put(db, "ext_dim", dim);
        sqlite3_stmt *st;
        if (!rc && sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO meta(key, value) VALUES('ext_model', ?)", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE) rc = lmx_sqlerr(db, SQLITE_ERROR, "storing the model name");
            sqlite3_finalize(st);
        }
    }
    if (!rc) {
        sqlite3_stmt *st = lmx_stmt(db, 28, "INSERT OR REPLACE INTO xvec(rid, v) VALUES(?, ?)");
        if (!st) rc = db->errcode;
        else {
            sqlite3_bind_int64(st, 1, rid);
            sqlite3_bind_blob(st, 2, x, (int)(sizeof(float) * (size_t)dim), SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_DONE ? LM_OK : lmx_sqlerr(db, SQLITE_ERROR, "storing a vector");
            sqlite3_reset(st);
        }
    }
    free(x);
    if (!rc) rc = lmx_commit(db);
    if (rc) { lmx_rollback(db); return rc; }
    db->write_gen++;
    return lmx_ok(db);
}

/* Matrix of one space: kind 1..3 built-in (vec), 4..6 external (xvec). */
static struct lmx_densecache *space_matrix(lm_db *db, int slot, int kind, const char *table, int d);

int lmx_external_query(lm_db *db, const char *model, const float *q, int dim, int kind, int ncand,
                       lmx_dense_hit **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    int fixed, rc = check_space(db, model, q, dim, &fixed);
    if (rc) return rc;
    if (!fixed) return lmx_err(db, LM_EMISMATCH, "no external vectors are stored yet");
    float *qv = malloc(sizeof(float) * (size_t)dim);
    if (!qv) return lmx_err(db, LM_ENOMEM, "out of memory");
    memcpy(qv, q, sizeof(float) * (size_t)dim);
    if (!lmx_vec_normalize(qv, dim)) { free(qv); return lmx_err(db, LM_EINVAL, "zero query vector"); }
    rc = nearest(db, space_matrix(db, LMX_NKINDS + kind, kind, "xvec", dim), qv, ncand, out, nout);
    free(qv);
    return rc;
}

/* ---- batch matching --------------------------------------------------------------- */

#define BATCH_ROWS 256

LM_API int lm_batch_match(lm_db *db, int from, int to, int k, lm_batch_fn cb, void *ctx)
{
    if (!db) return LM_EINVAL;
    if (!lm_kind_name(from) || !lm_kind_name(to)) return lmx_err(db, LM_EINVAL, "unknown kind");
    if (k < 1 || k > LM_MAX_K) return lmx_err(db, LM_ERANGE, "k %d is not in 1..%d", k, LM_MAX_K);
    if (!cb) return lmx_err(db, LM_EINVAL, "no callback (NULL)");
    int d = lmx_semantic_dim(db);
    if (d <= 0) return lmx_err(db, LM_ESTATE, "no semantic vectors: call lm_vectors_build() first");
    struct lmx_densecache *Q = matrix(db, from, d), *M = matrix(db, to, d);
    if (!Q || !M) return lmx_err(db, LM_ENOMEM, "out of memory loading vectors");
    if (M->n == 0 || Q->n == 0) return lmx_ok(db);
    /* A record is not its own match: ask for one more and drop it. */
    int want = k, kk = from == to ? k + 1 : k;
    if (kk > M->n) kk = M->n;
    float *S = malloc(sizeof(float) * (size_t)BATCH_ROWS * M->n);
    float *hs = malloc(sizeof(float) * (size_t)kk);
    int *hi = malloc(sizeof(int) * (size_t)kk);
    const char **ids = malloc(sizeof(char *) * (size_t)kk);
    if (!S || !hs || !hi || !ids) { free(S); free(hs); free(hi); free(ids); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    int rc = LM_OK;
    for (int b = 0; b < Q->n && !rc; b += BATCH_ROWS) {
        int rows = Q->n - b < BATCH_ROWS ? Q->n - b : BATCH_ROWS;
        /* S (rows x n) = Q[b..] (rows x d) * M^T (d x n) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, M->n, d, 1.0f, Q->M + (size_t)b * d, d,
                    M->M, d, 0.0f, S, M->n);
        for (int r = 0; r < rows && !rc; r++) {
            int n = lmx_topk_scores(S + (size_t)r * M->n, M->n, kk, hi, hs);
            int skip = from == to;
            int m = 0;
            for (int i = 0; i < n && m < want; i++) {
                if (skip && M->rid[hi[i]] == Q->rid[b + r]) continue;
                hi[m] = hi[i];
                hs[m] = hs[i];
                ids[m] = M->id[hi[i]];
                m++;
            }
            rc = cb(ctx, Q->id[b + r], m, ids, hs);
        }
        if (!rc && lmx_progress(db, "batch", b + rows, Q->n)) {
            free(S); free(hs); free(hi); free(ids);
            return db->errcode;
        }
    }
    free(S);
    free(hs);
    free(hi);
    free(ids);
    return rc ? lmx_err(db, rc, "batch stopped by the callback (%d)", rc) : lmx_ok(db);
}

/* The external vector of a stored record (malloc'ed), with the space's model
   and dimension; *out NULL when it has none. */
int lmx_external_vector(lm_db *db, int64_t rid, char *model, size_t mlen, float **out, int *dim)
{
    *out = NULL;
    *dim = 0;
    char d[32];
    if (!meta_text(db, "ext_model", model, mlen) || !meta_text(db, "ext_dim", d, sizeof d)) return LM_OK;
    sqlite3_stmt *st = lmx_stmt(db, 29, "SELECT v FROM xvec WHERE rid = ?");
    if (!st) return db->errcode;
    sqlite3_bind_int64(st, 1, rid);
    int rc = LM_OK;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)(sizeof(float) * (size_t)atoi(d))) {
        *dim = atoi(d);
        *out = malloc(sizeof(float) * (size_t)*dim);
        if (*out) memcpy(*out, sqlite3_column_blob(st, 0), sizeof(float) * (size_t)*dim);
        else rc = lmx_err(db, LM_ENOMEM, "out of memory");
    }
    sqlite3_reset(st);
    return rc;
}

double lmx_external_cosine(lm_db *db, int kind, const float *q, int64_t rid)
{
    return cache_cosine(db->dense[LMX_NKINDS + kind], q, rid);
}
