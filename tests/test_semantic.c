/*
** test_semantic.c -- the built-in semantic space through the public API:
** dense retrieval of a record that shares no word with the query, fold-in
** equals the build, bring-your-own embeddings, batch equals one-by-one.
*/
#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cblas.h>

#include "libmatch.h"
#include "lmtest.h"

/* ---- integration ------------------------------------------------------------- */

static const char *recs[] = {
    /* Battery storage: three mention 热失控, two (X1, X3) do not. */
    "{\"id\":\"X1\",\"kind\":\"achievement\",\"title\":\"锂电池储能电站\",\"abstract\":\"锂电池储能电池组\"}",
    "{\"id\":\"X2\",\"kind\":\"achievement\",\"title\":\"锂电池储能热失控预警\",\"abstract\":\"锂电池储能电池组热失控\"}",
    "{\"id\":\"X3\",\"kind\":\"achievement\",\"title\":\"储能锂电池电池组\",\"abstract\":\"储能锂电池电站\"}",
    "{\"id\":\"X9\",\"kind\":\"achievement\",\"title\":\"储能锂电池热失控抑制\",\"abstract\":\"电池组热失控\"}",
    "{\"id\":\"X10\",\"kind\":\"achievement\",\"title\":\"电站锂电池热失控\",\"abstract\":\"储能电池组\"}",
    /* Kiwi and wheat. */
    "{\"id\":\"X4\",\"kind\":\"achievement\",\"title\":\"猕猴桃溃疡病防控\",\"abstract\":\"猕猴桃果园病害\"}",
    "{\"id\":\"X5\",\"kind\":\"achievement\",\"title\":\"猕猴桃果园病害\",\"abstract\":\"猕猴桃溃疡病\"}",
    "{\"id\":\"X11\",\"kind\":\"achievement\",\"title\":\"猕猴桃溃疡病果园\",\"abstract\":\"病害防控\"}",
    "{\"id\":\"X6\",\"kind\":\"achievement\",\"title\":\"小麦抗旱育种\",\"abstract\":\"小麦新品种抗旱\"}",
    "{\"id\":\"X7\",\"kind\":\"achievement\",\"title\":\"小麦抗旱新品种\",\"abstract\":\"小麦育种\"}",
    "{\"id\":\"X12\",\"kind\":\"achievement\",\"title\":\"小麦育种新品种\",\"abstract\":\"抗旱小麦\"}",
};

static double comp(lm_results *r, int i, const char *name)
{
    for (int j = 0; j < lm_result_component_count(r, i); j++)
        if (!strcmp(lm_result_component_name(r, i, j), name)) return lm_result_component_value(r, i, j);
    return -1;
}

static void test_dense_retrieval(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    /* Words, sub-words and bigrams: the single characters 热, 控 would
       find more records by text alone. */
    CHECK_EQ_INT(lm_set_analyzer_mode(db, LM_ANALYZE_ALL), LM_OK);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) CHECK_EQ_INT(lm_put(db, recs[i], LM_NUL_TERMINATED), LM_OK);
    lm_results *r = NULL;
    /* Before a build: "热失控" finds X2, X9, X10 only. */
    CHECK_EQ_INT(lm_match_text(db, "热失控", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 3);
    lm_results_free(r);
    CHECK_EQ_INT(lm_vectors_build(db, 3), LM_OK);
    char *st = NULL;
    CHECK_EQ_INT(lm_stats_json(db, &st), LM_OK);
    CHECK_CONTAINS(st, "\"vectors\":{\"dim\":3,\"built_records\":11,\"added_since_build\":0}");
    lm_free(st);
    /* After: X1 and X3 share no word with "热失控" but sit next to X2. */
    CHECK_EQ_INT(lm_match_text(db, "热失控", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    int found = 0;
    for (int i = 3; i < lm_results_count(r); i++) {
        const char *id = lm_result_id(r, i);
        if (!strcmp(id, "X1") || !strcmp(id, "X3")) {
            found++;
            CHECK(comp(r, i, "bm25") == 0);
            CHECK(comp(r, i, "cosine") > 0.5);
            CHECK_EQ_INT(lm_result_term_count(r, i), 0);
        }
        if (!strcmp(id, "X4") || !strcmp(id, "X6")) CHECK(comp(r, i, "cosine") < 0.5);
    }
    CHECK_EQ_INT(found, 2);
    lm_results_free(r);
    /* w_cosine 0 removes them again. */
    lm_opts *o = NULL;
    lm_opts_new(&o);
    lm_opts_set_double(o, LM_OPT_W_COSINE, 0);
    CHECK_EQ_INT(lm_match_text(db, "热失控", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 3);
    lm_results_free(r);
    lm_opts_free(o);
    /* Fold-in: a new record gets a vector without a rebuild, counted in stats,
       found by its neighbours' words. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"X8\",\"kind\":\"achievement\",\"title\":\"储能锂电池\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_stats_json(db, &st), LM_OK);
    CHECK_CONTAINS(st, "\"added_since_build\":1");
    lm_free(st);
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "X8"), LM_OK);
    CHECK_EQ_INT(lm_vectors_build(db, -1), LM_ERANGE);
    lm_close(db);
}

/* Expert evidence with vectors: an expert whose achievement shares no word
   with the query gets evidence once that achievement is close in the space. */
static int find(lm_results *r, const char *id)
{
    for (int i = 0; i < lm_results_count(r); i++)
        if (!strcmp(lm_result_id(r, i), id)) return i;
    return -1;
}

static void test_dense_evidence(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) CHECK_EQ_INT(lm_put(db, recs[i], LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"E1\",\"kind\":\"expert\",\"name\":\"张三\",\"achievements\":[\"X1\"]}",
                        LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"E2\",\"kind\":\"expert\",\"name\":\"李四\",\"achievements\":[\"X6\"]}",
                        LM_NUL_TERMINATED), LM_OK);
    lm_results *r = NULL;
    /* Text only: X1 does not contain 热失控, so E1 has no evidence. */
    CHECK_EQ_INT(lm_match_text(db, "热失控", LM_NUL_TERMINATED, LM_EXPERT, NULL, &r), LM_OK);
    CHECK_EQ_INT(find(r, "E1"), -1);
    lm_results_free(r);
    CHECK_EQ_INT(lm_vectors_build(db, 3), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "热失控", LM_NUL_TERMINATED, LM_EXPERT, NULL, &r), LM_OK);
    int i = find(r, "E1");
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK(comp(r, i, "evidence") > 0);
        CHECK_EQ_INT(lm_result_evidence_count(r, i), 1);
        CHECK_STR(lm_result_evidence_id(r, i, 0), "X1");
        CHECK(lm_result_evidence_score(r, i, 0) > 0.1);
    }
    int w = find(r, "E2");                    /* wheat: far from battery safety */
    CHECK(w == -1 || (i >= 0 && w > i));
    lm_results_free(r);
    /* w_cosine 0: text evidence only again. */
    lm_opts *o = NULL;
    lm_opts_new(&o);
    lm_opts_set_double(o, LM_OPT_W_COSINE, 0);
    CHECK_EQ_INT(lm_match_text(db, "热失控", LM_NUL_TERMINATED, LM_EXPERT, o, &r), LM_OK);
    CHECK_EQ_INT(find(r, "E1"), -1);
    lm_results_free(r);
    lm_opts_free(o);
    lm_close(db);
}

/* A stored vector (the "LMV1" blob of vectors.h: magic, dimension, then
   little-endian float32) into v: its dimension, or -1 when it is not one. */
static int blob_vec(sqlite3_stmt *q, int col, float *v, int dmax)
{
    const unsigned char *b = sqlite3_column_blob(q, col);
    int n = sqlite3_column_bytes(q, col);
    if (!b || n < 8 || memcmp(b, "LMV1", 4) != 0) return -1;
    int d = b[4] | b[5] << 8 | b[6] << 16 | b[7] << 24;
    if (d < 1 || d > dmax || n != 8 + 4 * d) return -1;
    for (int i = 0; i < d; i++) {
        const unsigned char *p = b + 8 + 4 * i;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        memcpy(&v[i], &u, 4);
    }
    return d;
}

/* Fold-in of a stored record's text equals the vector the build gave it. */
static void test_fold_in_equals_build(void)
{
    const char *path = lmt_tmp_path("vectors.db");
    remove(path);
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) lm_put(db, recs[i], LM_NUL_TERMINATED);
    CHECK_EQ_INT(lm_vectors_build(db, 3), LM_OK);
    sqlite3 *raw;
    sqlite3_open(path, &raw);
    float before[3], after[3], again[3];
    sqlite3_stmt *q;
    sqlite3_prepare_v2(raw, "SELECT v.v FROM vec v JOIN record r ON r.rid = v.rid WHERE r.id = 'X2'", -1, &q, NULL);
    CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
    CHECK_EQ_INT(blob_vec(q, 0, before, 3), 3);
    sqlite3_reset(q);
    CHECK_EQ_INT(lm_put(db, recs[1], LM_NUL_TERMINATED), LM_OK);   /* re-put: folded in */
    CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
    CHECK_EQ_INT(blob_vec(q, 0, after, 3), 3);
    sqlite3_reset(q);
    for (int i = 0; i < 3; i++) CHECK(fabsf(before[i] - after[i]) < 1e-4f);
    /* A rebuild with the same data is reproducible. */
    CHECK_EQ_INT(lm_vectors_build(db, 3), LM_OK);
    CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
    CHECK_EQ_INT(blob_vec(q, 0, again, 3), 3);
    for (int i = 0; i < 3; i++) CHECK(fabsf(before[i] - again[i]) < 1e-5f);
    sqlite3_finalize(q);
    sqlite3_close(raw);
    lm_close(db);
    remove(path);
}

static void test_external_vectors(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) lm_put(db, recs[i], LM_NUL_TERMINATED);
    /* Made-up 4-d embeddings: battery records near e0, kiwi near e1, wheat near e2. */
    static const char *ids[] = { "X1", "X2", "X3", "X9", "X10", "X4", "X5", "X11", "X6", "X7", "X12" };
    for (int i = 0; i < 11; i++) {
        float v[4] = { i < 5 ? 1.0f : 0.05f, i >= 5 && i < 8 ? 1.0f : 0.05f, i >= 8 ? 1.0f : 0.05f, 0.01f * (float)i };
        CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, ids[i], "bge-test", v, 4), LM_OK);
    }
    float q[4] = { 0.1f, 0.9f, 0.0f, 0.0f };
    lm_results *r = NULL;
    lm_opts *o = NULL;
    lm_opts_new(&o);
    lm_opts_set_int(o, LM_OPT_K, 3);
    CHECK_EQ_INT(lm_match_vector(db, "bge-test", q, 4, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 3);
    for (int i = 0; i < lm_results_count(r); i++) {
        const char *id = lm_result_id(r, i);
        CHECK(!strcmp(id, "X4") || !strcmp(id, "X5") || !strcmp(id, "X11"));
        CHECK(comp(r, i, "cosine_ext") > 0.9);
    }
    lm_results_free(r);
    /* A stored query record with an external vector: its neighbours in that
       space join the candidates (X6 shares no word with X4). */
    float kiwi[4] = { 0.05f, 1.0f, 0.05f, 0.0f };
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X6", "bge-test", kiwi, 4), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_ACHIEVEMENT, "X4", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    int seen = 0;
    for (int i = 0; i < lm_results_count(r); i++)
        if (!strcmp(lm_result_id(r, i), "X6")) {
            seen = 1;
            CHECK(comp(r, i, "bm25") == 0);
            CHECK(comp(r, i, "cosine_ext") > 0.99);
        }
    CHECK(seen);
    lm_results_free(r);
    lm_opts *noext = NULL;
    lm_opts_new(&noext);
    lm_opts_set_double(noext, LM_OPT_W_COSINE_EXT, 0);
    CHECK_EQ_INT(lm_match(db, LM_ACHIEVEMENT, "X4", LM_ACHIEVEMENT, noext, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(strcmp(lm_result_id(r, i), "X6") != 0);
    lm_results_free(r);
    lm_opts_free(noext);
    /* Errors: the space is fixed by the first vector. */
    float v4[4] = { 1, 0, 0, 0 }, v3[3] = { 1, 0, 0 }, nan4[4] = { 1, NAN, 0, 0 }, inf4[4] = { INFINITY, 0, 0, 0 }, z4[4] = { 0 };
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "other-model", v4, 4), LM_EMISMATCH);
    CHECK_CONTAINS(lm_errmsg(db), "bge-test");
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "bge-test", v3, 3), LM_EMISMATCH);
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "bge-test", nan4, 4), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "component 1 is NaN");
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "bge-test", inf4, 4), LM_EINVAL);
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "bge-test", z4, 4), LM_EINVAL);
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "nope", "bge-test", v4, 4), LM_ENOTFOUND);
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "", v4, 4), LM_EINVAL);
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "X1", "bge-test", v4, 0), LM_ERANGE);
    CHECK_EQ_INT(lm_match_vector(db, "bge-test", v3, 3, LM_ACHIEVEMENT, NULL, &r), LM_EMISMATCH);
    CHECK_EQ_INT(lm_match_vector(db, "bge-test", nan4, 4, LM_ACHIEVEMENT, NULL, &r), LM_EINVAL);
    /* Deleting a record removes its vector. */
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "X4"), LM_OK);
    CHECK_EQ_INT(lm_match_vector(db, "bge-test", q, 4, LM_ACHIEVEMENT, o, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(strcmp(lm_result_id(r, i), "X4") != 0);
    lm_results_free(r);
    lm_opts_free(o);
    lm_close(db);
}

typedef struct { int calls; int mismatches; sqlite3 *raw; } batchctx;

/* One-by-one reference: cosines from the stored vectors, by brute force. */
static int batch_cb(void *p, const char *from_id, int n, const char *const *ids, const float *scores)
{
    batchctx *c = p;
    c->calls++;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->raw, "SELECT r2.id, v2.v, v1.v FROM record r1 JOIN vec v1 ON v1.rid = r1.rid, "
                               "record r2 JOIN vec v2 ON v2.rid = r2.rid WHERE r1.id = ? AND r2.kind = 2 AND r2.id != r1.id",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, from_id, -1, SQLITE_STATIC);
    float best[64];
    int nb = 0;
    while (sqlite3_step(st) == SQLITE_ROW && nb < 64) {
        float a[16], b[16];
        int d = blob_vec(st, 1, a, 16);
        if (d < 1 || blob_vec(st, 2, b, 16) != d) { c->mismatches++; continue; }
        double x = 0;
        for (int i = 0; i < d; i++) x += (double)a[i] * b[i];
        best[nb++] = (float)x;
    }
    sqlite3_finalize(st);
    if (n != 3) c->mismatches++;   /* k hits, the record itself excluded */
    /* The batch's i-th score equals the i-th largest reference cosine. */
    for (int i = 0; i < n; i++) {
        int larger = 0;
        for (int j = 0; j < nb; j++) larger += best[j] > scores[i] + 1e-5f;
        if (larger > i) c->mismatches++;
        if (i && scores[i] > scores[i - 1]) c->mismatches++;
        if (!strcmp(ids[i], from_id)) c->mismatches++;
    }
    return 0;
}

static int stop_cb(void *p, const char *from_id, int n, const char *const *ids, const float *scores)
{
    return 7;
}

static void test_batch_equals_one_by_one(void)
{
    const char *path = lmt_tmp_path("batch.db");
    remove(path);
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) lm_put(db, recs[i], LM_NUL_TERMINATED);
    CHECK_EQ_INT(lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, 3, batch_cb, NULL), LM_ESTATE);
    CHECK_EQ_INT(lm_vectors_build(db, 3), LM_OK);
    batchctx c = { 0, 0, NULL };
    sqlite3_open(path, &c.raw);
    CHECK_EQ_INT(lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, 3, batch_cb, &c), LM_OK);
    CHECK_EQ_INT(c.calls, 11);
    CHECK_EQ_INT(c.mismatches, 0);
    sqlite3_close(c.raw);
    CHECK_EQ_INT(lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, 3, stop_cb, NULL), 7);
    CHECK_EQ_INT(lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, 0, batch_cb, NULL), LM_ERANGE);
    CHECK_EQ_INT(lm_batch_match(db, LM_PROBLEM, LM_ACHIEVEMENT, 3, batch_cb, &c), LM_OK);  /* no problems: no call */
    lm_close(db);
    remove(path);
}

/* Too little to build a space: a clear LM_ESTATE, and nothing built. */
static void test_too_little_text(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    const char *tiny[] = {
        "{\"id\":\"A\",\"kind\":\"achievement\",\"title\":\"碳化硅\"}",
        "{\"id\":\"B\",\"kind\":\"achievement\",\"title\":\"碳化硅\"}",
        "{\"id\":\"C\",\"kind\":\"problem\",\"title\":\"碳化硅\"}",
        "{\"id\":\"D\",\"kind\":\"problem\",\"title\":\"的\"}",
    };
    for (int i = 0; i < 2; i++) CHECK_EQ_INT(lm_put(db, tiny[i], LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_vectors_build(db, 64), LM_ESTATE);
    CHECK_CONTAINS(lm_errmsg(db), "too few records (2)");
    /* Four records, but one word in two or more of them: nothing to reduce. */
    for (int i = 2; i < 4; i++) CHECK_EQ_INT(lm_put(db, tiny[i], LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_vectors_build(db, 64), LM_ESTATE);
    CHECK_CONTAINS(lm_errmsg(db), "too few shared terms");
    char *st = NULL;
    CHECK_EQ_INT(lm_stats_json(db, &st), LM_OK);
    CHECK_CONTAINS(st, "\"dim\":0");
    lm_free(st);
    lm_close(db);
}


/* ---- batch matching within a memory bound ------------------------------------------ */

typedef struct { int n; char *line[1400]; } batchlog;

/* Every call as one line: query, hits with their scores' exact bits. */
static int log_cb(void *p, const char *from_id, int n, const char *const *ids, const float *scores)
{
    batchlog *l = p;
    char buf[2048];
    int w = snprintf(buf, sizeof buf, "%s:", from_id);
    for (int i = 0; i < n && w < (int)sizeof buf - 40; i++) {
        uint32_t bits;
        memcpy(&bits, &scores[i], sizeof bits);
        w += snprintf(buf + w, sizeof buf - (size_t)w, " %s=%08x", ids[i], bits);
    }
    if (l->n < 1400) l->line[l->n++] = strdup(buf);
    return 0;
}

static void log_free(batchlog *l)
{
    for (int i = 0; i < l->n; i++) free(l->line[i]);
    l->n = 0;
}

static int progress_calls;
static int count_progress(void *ctx, const char *stage, int64_t done, int64_t total)
{
    (void)ctx;
    if (!strcmp(stage, "batch") && done <= total) progress_calls++;
    return 0;
}

/* A bound far below the vectors' size: the same hits and scores, bit for
   bit, in both directions (blocks of queries, shards of candidates), ties
   included; the bound's limits are checked. */
static void test_batch_within_memory(void)
{
    static const char *const words[] = {
        "锂电池", "储能", "热失控", "猕猴桃", "溃疡病", "小麦", "抗旱", "育种", "5G基站", "PEM燃料电池",
        "碳化硅", "功率器件", "光伏", "氢能", "果园", "病害", "电站", "新品种", "隧道", "掘进",
    };
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    uint64_t x = 12345;
    char rec[512];
    for (int i = 0; i < 1200; i++) {
        int kind = i < 1000 ? 2 : 1;
        int w = snprintf(rec, sizeof rec, "{\"id\":\"%c%04d\",\"kind\":\"%s\",\"title\":\"", kind == 2 ? 'A' : 'P', i,
                         kind == 2 ? "achievement" : "problem");
        for (int j = 0; j < 4; j++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            w += snprintf(rec + w, sizeof rec - (size_t)w, "%s", words[(x >> 33) % 20]);
        }
        snprintf(rec + w, sizeof rec - (size_t)w, "\"}");
        CHECK_EQ_INT(lm_put(db, rec, LM_NUL_TERMINATED), LM_OK);
    }
    /* Two records with the same text: their scores tie for every query. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"T1\",\"kind\":\"achievement\",\"title\":\"锂电池储能热失控\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"T2\",\"kind\":\"achievement\",\"title\":\"锂电池储能热失控\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_vectors_build(db, 12), LM_OK);
    static batchlog a, b;
    const int dirs[2][2] = { { LM_ACHIEVEMENT, LM_ACHIEVEMENT }, { LM_PROBLEM, LM_ACHIEVEMENT } };
    for (int t = 0; t < 2; t++) {
        CHECK_EQ_INT(lm_set_batch_memory(db, 0), LM_OK);
        CHECK_EQ_INT(lm_batch_match(db, dirs[t][0], dirs[t][1], 7, log_cb, &a), LM_OK);
        CHECK_EQ_INT(lm_set_batch_memory(db, LM_MIN_BATCH_MEMORY), LM_OK);
        CHECK_EQ_INT(lm_set_progress(db, count_progress, NULL), LM_OK);
        progress_calls = 0;
        CHECK_EQ_INT(lm_batch_match(db, dirs[t][0], dirs[t][1], 7, log_cb, &b), LM_OK);
        CHECK_EQ_INT(lm_set_progress(db, NULL, NULL), LM_OK);
        CHECK(progress_calls > 2);                 /* several blocks and shards */
        CHECK_EQ_INT(b.n, a.n);
        CHECK_EQ_INT(a.n, t == 0 ? 1002 : 200);
        int same = 0;
        for (int i = 0; i < a.n && i < b.n; i++) same += !strcmp(a.line[i], b.line[i]);
        CHECK_EQ_INT(same, a.n);
        log_free(&a);
        log_free(&b);
    }
    /* The tie: T1 before T2 wherever both are hits. */
    CHECK_EQ_INT(lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, 7, log_cb, &b), LM_OK);
    int ordered = 0;
    for (int i = 0; i < b.n; i++) {
        const char *t1 = strstr(b.line[i], " T1="), *t2 = strstr(b.line[i], " T2=");
        if (!strncmp(b.line[i], "T1:", 3)) CHECK(t2 != NULL);
        if (t1 && t2) ordered += t1 < t2 ? 1 : -1000;
    }
    CHECK(ordered > 0);
    log_free(&b);
    /* A callback's stop and the bound's limits. */
    CHECK_EQ_INT(lm_batch_match(db, LM_PROBLEM, LM_ACHIEVEMENT, 3, stop_cb, NULL), 7);
    CHECK_CONTAINS(lm_errmsg(db), "stopped by the callback");
    CHECK_EQ_INT(lm_set_batch_memory(db, LM_MIN_BATCH_MEMORY - 1), LM_ERANGE);
    CHECK_CONTAINS(lm_errmsg(db), "65535 bytes");
    CHECK_EQ_INT(lm_set_batch_memory(db, -5), LM_ERANGE);
    CHECK_EQ_INT(lm_set_batch_memory(NULL, 0), LM_EINVAL);
    CHECK_EQ_INT(lm_batch_match(db, LM_EXPERT, LM_ACHIEVEMENT, 3, log_cb, &b), LM_OK);   /* no experts: no call */
    CHECK_EQ_INT(b.n, 0);
    lm_close(db);
}


/* ---- the loader's space and the latent topic ----------------------------------------- */

static const char *const topic_a[] = { "小麦", "育种", "抗旱", "灌溉", "土壤", "玉米", "产量", "施肥" };
static const char *const topic_b[] = { "锂电池", "热失控", "储能", "电站", "预警", "电解液", "隔膜", "充电" };

/* n records from `first` on, alternating between the two topics (A on
   even numbers), each title and abstract a few words of its topic; with
   tags, A is 农学 and B 能源. */
static char *corpus(int first, int n, int tags, size_t *len)
{
    size_t cap = (size_t)n * 400 + 1, l = 0;
    char *buf = malloc(cap);
    for (int i = first; i < first + n; i++) {
        const char *const *w = i % 2 ? topic_b : topic_a;
        l += (size_t)snprintf(buf + l, cap - l,
                              "{\"id\":\"R%d\",\"kind\":\"achievement\",\"title\":\"%s%s%s\",\"abstract\":\"%s%s的研究%s%s\"%s}\n",
                              i, w[i % 8], w[(i / 2 + 1) % 8], w[(i / 3 + 2) % 8], w[(i / 5 + 3) % 8], w[(i + 4) % 8],
                              w[(i / 7 + 5) % 8], w[(i / 11 + 6) % 8],
                              !tags ? "" : i % 2 ? ",\"fields\":[\"能源\"]" : ",\"fields\":[\"农学\"]");
    }
    *len = l;
    return buf;
}

static int64_t vec_stat(lm_db *db, const char *key)
{
    char *st = NULL, pat[64];
    if (lm_stats_json(db, &st) != LM_OK) return -1;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *v = strstr(st, "\"vectors\":");
    v = v ? strstr(v, pat) : NULL;
    int64_t x = v ? strtoll(v + strlen(pat), NULL, 10) : -1;
    lm_free(st);
    return x;
}

static int load(lm_db *db, int first, int n, int tags, int flags)
{
    size_t len;
    char *buf = corpus(first, n, tags, &len);
    int rc = lm_load_jsonl_buffer(db, buf, len, LM_LOAD_ATOMIC | flags, NULL);
    free(buf);
    return rc;
}

/* The loader builds the space at 100 records, folds what lm_put adds,
   rebuilds when the records have doubled, leaves a space of
   lm_vectors_build() alone, and LM_LOAD_NO_VECTORS skips all of it. */
static void test_loader_keeps_space(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    CHECK_EQ_INT(load(db, 0, 99, 0, 0), LM_OK);
    CHECK_EQ_INT(vec_stat(db, "dim"), 0);                        /* 99 records: none yet */
    CHECK_EQ_INT(load(db, 99, 1, 0, 0), LM_OK);
    CHECK(vec_stat(db, "dim") > 0);
    CHECK_EQ_INT(vec_stat(db, "built_records"), 100);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"P1\",\"kind\":\"achievement\",\"title\":\"抗旱小麦\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(vec_stat(db, "added_since_build"), 1);          /* folded in */
    CHECK_EQ_INT(load(db, 100, 98, 0, 0), LM_OK);                /* 99 added of 100: not yet */
    CHECK_EQ_INT(vec_stat(db, "built_records"), 100);
    CHECK_EQ_INT(vec_stat(db, "added_since_build"), 99);
    CHECK_EQ_INT(load(db, 198, 1, 0, LM_LOAD_NO_VECTORS), LM_OK); /* left alone (but folded) */
    CHECK_EQ_INT(vec_stat(db, "built_records"), 100);
    CHECK_EQ_INT(load(db, 199, 1, 0, 0), LM_OK);                 /* doubled: rebuilt */
    CHECK_EQ_INT(vec_stat(db, "built_records"), 201);
    CHECK_EQ_INT(vec_stat(db, "added_since_build"), 0);
    CHECK_EQ_INT(lm_vectors_build(db, 8), LM_OK);                /* the caller's space */
    CHECK_EQ_INT(load(db, 200, 300, 0, 0), LM_OK);
    CHECK_EQ_INT(vec_stat(db, "dim"), 8);
    CHECK_EQ_INT(vec_stat(db, "built_records"), 201);
    CHECK_EQ_INT(vec_stat(db, "added_since_build"), 300);
    lm_close(db);
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    CHECK_EQ_INT(load(db, 0, 150, 0, LM_LOAD_NO_VECTORS), LM_OK);
    CHECK_EQ_INT(vec_stat(db, "dim"), 0);
    CHECK_EQ_INT(lm_load_jsonl_buffer(db, "", 0, 0x20, NULL), LM_EINVAL);   /* an unknown flag */
    lm_close(db);
}

static double comp_of(lm_results *r, const char *id, const char *name)
{
    for (int i = 0; i < lm_results_count(r); i++)
        if (!strcmp(lm_result_id(r, i), id)) return comp(r, i, name);
    return -2;
}

static int rank_of(lm_results *r, const char *id)
{
    for (int i = 0; i < lm_results_count(r); i++)
        if (!strcmp(lm_result_id(r, i), id)) return i;
    return 1 << 20;
}

/* Without tags the best hits vote in the semantic space: a record of the
   other subject that shares a query word sits far from them.  With tags the
   tag vote counts and the latent topic is 0; w_latent_topic 0 turns it off;
   a read-only handle computes it too. */
static void test_latent_topic(void)
{
    const char *path = lmt_tmp_path("latent.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    CHECK_EQ_INT(load(db, 0, 200, 0, 0), LM_OK);
    /* The intruder: an energy record that says 抗旱 once. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"X\",\"kind\":\"achievement\",\"title\":\"储能电站抗旱预警\","
                            "\"abstract\":\"锂电池热失控与电解液隔膜\"}", LM_NUL_TERMINATED), LM_OK);
    lm_results *r = NULL;
    lm_opts *o = NULL;
    lm_opts_new(&o);
    lm_opts_set_int(o, LM_OPT_K, 300);
    CHECK_EQ_INT(lm_match_text(db, "小麦抗旱育种", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK(lm_results_count(r) >= 10);
    double x = comp_of(r, "X", "latent_topic");
    CHECK(x >= 0 && x < 0.5);
    int agri = 0;
    for (int i = 0; i < lm_results_count(r) && i < 10; i++) {
        const char *id = lm_result_id(r, i);
        if (atoi(id + 1) % 2 == 0 && id[0] == 'R') {
            agri++;
            CHECK(comp(r, i, "latent_topic") > x + 0.3);
        }
    }
    CHECK(agri >= 8);
    CHECK(rank_of(r, "X") >= 10);
    lm_results_free(r);
    lm_opts_set_double(o, LM_OPT_W_LATENT_TOPIC, 0);
    CHECK_EQ_INT(lm_match_text(db, "小麦抗旱育种", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(comp(r, i, "latent_topic") == 0);
    lm_results_free(r);
    lm_opts_set_double(o, LM_OPT_W_LATENT_TOPIC, 0.25);
    lm_close(db);
    CHECK_EQ_INT(lm_open(&db, path, LM_OPEN_READONLY), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "小麦抗旱育種", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);   /* Traditional 種 */
    CHECK(comp_of(r, "R0", "latent_topic") > 0.5 || comp_of(r, "R2", "latent_topic") > 0.5);
    lm_results_free(r);
    lm_close(db);
    /* With tags: the tag vote. */
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    CHECK_EQ_INT(load(db, 0, 200, 1, 0), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "小麦抗旱育种", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK(lm_results_count(r) >= 10);
    CHECK(comp(r, 0, "topic") > 0.5);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(comp(r, i, "latent_topic") == 0);
    lm_results_free(r);
    lm_opts_free(o);
    lm_close(db);
}

/* A caller's thread with a small stack (a JVM thread has 1 MB): the fit's
   LAPACK keeps megabytes of work arrays on the stack, so it runs on a
   thread of its own (vectors.c). */
static void *small_stack_main(void *arg)
{
    int *rc = arg;
    lm_db *db = NULL;
    *rc = lm_open(&db, ":memory:", 0);
    /* 1,000 records over ~1,200 shared terms: matrices large enough for
       OpenBLAS's parallel LU. */
    size_t cap = 1000 * 120, len = 0;
    char *buf = malloc(cap);
    for (int i = 0; !*rc && i < 1000; i++)
        len += (size_t)snprintf(buf + len, cap - len,
                                "{\"id\":\"S%d\",\"kind\":\"achievement\",\"title\":\"a%d b%d c%d\",\"abstract\":\"d%d e%d\"}\n",
                                i, i % 400, i * 7 % 400, i * 13 % 300, i * 3 % 200, i % 97);
    if (!*rc) *rc = lm_load_jsonl_buffer(db, buf, len, LM_LOAD_ATOMIC, NULL);   /* the loader builds its space */
    free(buf);
    if (!*rc && vec_stat(db, "dim") != 128) *rc = -1;
    if (!*rc) *rc = lm_vectors_build(db, 256);
    lm_close(db);
    return NULL;
}

static void test_small_caller_stack(void)
{
    pthread_attr_t attr;
    pthread_t th;
    int rc = -2;
    CHECK_EQ_INT(pthread_attr_init(&attr), 0);
    CHECK_EQ_INT(pthread_attr_setstacksize(&attr, (size_t)512 << 10), 0);
    CHECK_EQ_INT(pthread_create(&th, &attr, small_stack_main, &rc), 0);
    pthread_join(th, NULL);
    pthread_attr_destroy(&attr);
    CHECK_EQ_INT(rc, LM_OK);
}

int main(void)
{
    if (lmt_tmpdir_init("semantic")) return 1;
    RUN(test_too_little_text);
    RUN(test_dense_retrieval);
    RUN(test_dense_evidence);
    RUN(test_fold_in_equals_build);
    RUN(test_external_vectors);
    RUN(test_batch_equals_one_by_one);
    RUN(test_batch_within_memory);
    RUN(test_loader_keeps_space);
    RUN(test_latent_topic);
    RUN(test_small_caller_stack);
    return lmt_done();
}
