/*
** query_terms.c -- the first stage of matching: a query's text becomes
** weighted analyzer tokens (title and keywords weigh more than the body;
** synonyms and feedback terms join with lower weights), the most
** informative of them (query weight x IDF) are kept, and they become an FTS5
** query.
**
** User text never reaches FTS5 as query syntax: every term is an analyzer
** token, quoted, and marked raw (LMX_RAW_MARK) so that the tokenizer passes
** it through unchanged.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dfs.h"         /* counts and frequencies: the collection's when distributed */
#include "pipeline.h"
#include "tokenizer.h"

typedef struct { lmx_qterms *q; double w; } addctx;

/* Whether tok is one code point of three or four bytes (a Han character). */
static int single_cp(const char *tok, int n)
{
    unsigned char c0 = (unsigned char)tok[0];
    return n >= 3 && n == (c0 >= 0xF0 ? 4 : c0 >= 0xE0 ? 3 : 0);
}

/* The query weight of a word's single characters relative to the word's:
   0.5 kept the known-item sets where they were and gave the topical ones
   their gain (0.3: -0.008 topical; 1.0: -0.003 known-item; bench/README). */
#define UNIGRAM_WEIGHT 0.5

static int add_tok(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    addctx *a = ctx;
    if (n <= 0 || n > 255) return 0;
    /* A single Han character beside the word it is part of (unigrams)
       is weaker evidence than the word: it weighs UNIGRAM_WEIGHT. */
    int unigram = (flags & LMX_TOK_COLOCATED) && single_cp(tok, n);
    return lmx_qterms_add(a->q, tok, n, unigram ? a->w * UNIGRAM_WEIGHT : a->w, 0);
}

int lmx_terms_analyze(lm_db *db, lmx_qterms *q, const char *text, double w)
{
    if (!text || !*text || w <= 0) return LM_OK;
    addctx a = { q, w };
    size_t len = strlen(text);
    if (len > LM_MAX_FIELD_BYTES)
        return lmx_err(db, LM_ETOOBIG, "query text of %zu bytes exceeds %u", len, (unsigned)LM_MAX_FIELD_BYTES);
    int rc = lmx_analyze(db->an, text, (int)len, 1, add_tok, &a);
    if (rc == LM_EINVAL_UTF8) return lmx_err(db, rc, "query text is not valid UTF-8 (or holds a NUL byte)");
    if (rc) return lmx_err(db, rc, "analyzing the query failed: %s", lm_errstr(rc));
    return LM_OK;
}

typedef struct { int idx; double key; } ranked;

static int by_key_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? 1 : -1;
    return x->idx - y->idx;
}

void lmx_selected_free(lmx_selected *s)
{
    for (int i = 0; i < s->n; i++) free(s->tok[i]);
    free(s->tok);
    free(s->w);
    memset(s, 0, sizeof *s);
}

/* BM25's IDF of a term in N documents, df of which hold it. */
static double idf_of(int64_t N, int64_t df)
{
    return log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
}

int lmx_terms_select(lm_db *db, const lmx_qterms *q, int kind, int max_terms, lmx_selected *out)
{
    memset(out, 0, sizeof *out);
    int64_t N;
    int rc = lmx_dfs_count(db, kind, &N);
    if (rc) return rc;
    ranked *rk = malloc(sizeof *rk * (size_t)(q->n ? q->n : 1));
    int64_t *dfs = malloc(sizeof *dfs * (size_t)(q->n ? q->n : 1));
    if (!rk || !dfs) { free(rk); free(dfs); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    if ((rc = lmx_dfs_doc_freqs(db, kind, q, dfs))) { free(rk); free(dfs); return rc; }
    int nr = 0, nz = q->n;
    for (int i = 0; i < q->n; i++) {
        int64_t df = dfs[i];
        if (df == 0) {
            /* Kept at the end of rk, for wall only: nothing to search.  An
               unknown synonym says nothing about the query. */
            if (!q->t[i].from_synonym) rk[--nz].idx = i;
            continue;
        }
        if (df > N) N = df;     /* never a negative IDF */
        rk[nr].idx = i;
        rk[nr].key = sqrt(q->t[i].w) * idf_of(N, df);
        nr++;
    }
    free(dfs);
    for (int i = nz; i < q->n; i++) rk[i].key = sqrt(q->t[rk[i].idx].w) * idf_of(N, 0);
    /* wall: the max_terms largest weights of all terms, unknown ones too. */
    qsort(rk + nz, (size_t)(q->n - nz), sizeof *rk, by_key_desc);
    qsort(rk, (size_t)nr, sizeof *rk, by_key_desc);
    for (int a = 0, b = nz, k = 0; k < max_terms && (a < nr || b < q->n); k++)
        out->wall += (b >= q->n || (a < nr && rk[a].key >= rk[b].key)) ? rk[a++].key : rk[b++].key;
    if (nr > max_terms) nr = max_terms;
    out->tok = calloc((size_t)(nr ? nr : 1), sizeof(char *));
    out->w = calloc((size_t)(nr ? nr : 1), sizeof(double));
    if (!out->tok || !out->w) { free(rk); lmx_selected_free(out); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    for (int j = 0; j < nr; j++) {
        const lmx_qterm *t = &q->t[rk[j].idx];
        if (!(out->tok[j] = lmx_strndup(t->tok, (size_t)t->len))) {
            free(rk);
            lmx_selected_free(out);
            return lmx_err(db, LM_ENOMEM, "out of memory");
        }
        out->w[j] = rk[j].key;
        out->n++;
    }
    free(rk);
    return LM_OK;
}

char *lmx_terms_match_expr(const lmx_selected *s)
{
    size_t n = 1;
    for (int i = 0; i < s->n; i++) n += 2 * strlen(s->tok[i]) + 8;
    char *m = malloc(n), *p = m;
    if (!m) return NULL;
    for (int i = 0; i < s->n; i++) {
        if (i) { memcpy(p, " OR ", 4); p += 4; }
        *p++ = '"';
        *p++ = LMX_RAW_MARK;
        for (const char *c = s->tok[i]; *c; c++) {
            if (*c == '"') *p++ = '"';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p = 0;
    return m;
}

/*
** Pseudo-relevance feedback (RM3-like): the terms that best characterize the
** top BM25 hits, P(t|d) weighted by the hit's normalized score and by IDF,
** are added to the query with weight w_prf relative to the query's own
** terms.  Helps topical matching, where relevant records share the subject
** rather than the words.
*/
typedef struct { lmx_qterms *q; double w; int n; } prfctx;

static int prf_tok(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    prfctx *c = ctx;
    if (flags & LMX_TOK_COLOCATED) return 0;      /* main words only */
    if (n <= 0 || n > 255) return 0;
    c->n++;
    return lmx_qterms_add(c->q, tok, n, c->w, 0);
}

int lmx_terms_feedback(lm_db *db, lmx_qterms *q, int kind, const lmx_hitlist *hl, const lm_opts *o)
{
    int nd = hl->n < LMX_OI(o, PRF_DOCS) ? hl->n : LMX_OI(o, PRF_DOCS);
    if (nd <= 0 || LMX_OI(o, PRF_TERMS) <= 0 || LMX_OD(o, W_PRF) <= 0) return LM_OK;
    double maxbm = hl->h[0].comp[LMX_C_BM25_RAW];
    if (maxbm <= 0) return LM_OK;
    lmx_qterms acc = {0};
    int rc = LM_OK;
    for (int i = 0; i < nd && !rc; i++) {
        char *texts[3];
        int trc = lmx_store_texts(&db->store, kind, hl->h[i].rid, texts);
        if (trc == LM_ENOTFOUND) continue;
        if (trc) { lmx_qterms_free(&acc); return trc; }
        /* P(t|d): term counts of this record divided by its length. */
        lmx_qterms doc = {0};
        prfctx c = { &doc, 1.0, 0 };
        for (int col = 0; col < 3 && !rc; col++)
            if (texts[col]) rc = lmx_analyze(db->an, texts[col], (int)strlen(texts[col]), 0, prf_tok, &c);
        for (int col = 0; col < 3; col++) free(texts[col]);
        double sd = hl->h[i].comp[LMX_C_BM25_RAW] / maxbm;
        for (int j = 0; j < doc.n && !rc; j++)
            rc = lmx_qterms_add(&acc, doc.t[j].tok, doc.t[j].len, sd * doc.t[j].w / (c.n ? c.n : 1), 0);
        lmx_qterms_free(&doc);
    }
    if (rc) { lmx_qterms_free(&acc); return lmx_err(db, rc, "feedback analysis failed"); }
    /* Rank candidate expansion terms by P(t|R) x IDF. */
    int64_t N;
    if ((rc = lmx_dfs_count(db, kind, &N))) { lmx_qterms_free(&acc); return rc; }
    ranked *rk = malloc(sizeof *rk * (size_t)(acc.n ? acc.n : 1));
    int64_t *dfs = malloc(sizeof *dfs * (size_t)(acc.n ? acc.n : 1));
    if (!rk || !dfs) { free(rk); free(dfs); lmx_qterms_free(&acc); return lmx_err(db, LM_ENOMEM, "out of memory"); }
    rc = lmx_dfs_doc_freqs(db, kind, &acc, dfs);
    int nr = 0;
    double qmax = 0;
    for (int i = 0; i < q->n; i++) if (q->t[i].w > qmax) qmax = q->t[i].w;
    for (int i = 0; i < acc.n && !rc; i++) {
        int64_t df = dfs[i];
        if (df <= 0 || df >= N) continue;
        rk[nr].idx = i;
        rk[nr].key = acc.t[i].w * idf_of(N, df);
        nr++;
    }
    free(dfs);
    if (rc) { free(rk); lmx_qterms_free(&acc); return rc; }
    qsort(rk, (size_t)nr, sizeof *rk, by_key_desc);
    int added = 0;
    for (int j = 0; j < nr && added < LMX_OI(o, PRF_TERMS) && !rc; j++) {
        const lmx_qterm *t = &acc.t[rk[j].idx];
        double w = LMX_OD(o, W_PRF) * qmax * rk[j].key / rk[0].key;
        rc = lmx_qterms_add(q, t->tok, t->len, w, 1);
        added++;
    }
    free(rk);
    lmx_qterms_free(&acc);
    return rc ? lmx_err(db, rc, "out of memory") : LM_OK;
}
