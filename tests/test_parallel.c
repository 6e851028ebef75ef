/*
** test_parallel.c -- the vector build on several threads gives what one
** thread gives, bit for bit: the sparse products of lmx_lsa_fit(), the
** folding of many rows (lmx_lsa_fold_rows() equals lmx_lsa_fold() row by
** row), and lm_vectors_build() with its texts analyzed by worker threads
** (the same stored model and vectors); a progress callback that stops the
** build mid-way stops it cleanly.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "vectors.h"
#include "lmtest.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* A random sparse matrix with a skewed (Zipf-like) column distribution. */
static void random_csr(int n, int m, int per_row, int64_t **rowptr, int **colidx, float **val)
{
    *rowptr = malloc(sizeof(int64_t) * (size_t)(n + 1));
    *colidx = malloc(sizeof(int) * (size_t)n * per_row);
    *val = malloc(sizeof(float) * (size_t)n * per_row);
    int64_t p = 0;
    for (int r = 0; r < n; r++) {
        (*rowptr)[r] = p;
        int k = 1 + (int)(next_rand() % (unsigned)per_row);
        for (int j = 0; j < k; j++) {
            unsigned u = next_rand() % 1000;
            int c = (int)((double)m * (u * u) / 1e6);            /* low columns are frequent */
            int dup = 0;
            for (int64_t q = (*rowptr)[r]; q < p; q++) dup |= (*colidx)[q] == c;
            if (dup) continue;
            (*colidx)[p] = c;
            (*val)[p++] = 0.1f + (float)(next_rand() % 1000) / 997.0f;
        }
    }
    (*rowptr)[n] = p;
}

static void test_fit_and_fold_do_not_depend_on_threads(void)
{
    enum { N = 1500, M = 700 };
    int64_t *rowptr;
    int *colidx;
    float *val;
    random_csr(N, M, 12, &rowptr, &colidx, &val);
    lmx_csr A = { N, M, rowptr, colidx, val };
    lmx_lsa_opts o = LMX_LSA_OPTS_INIT;
    o.rank = 40;
    lmx_lsa ref = {0};
    float *vref = NULL;
    lmx_set_threads(1);
    CHECK_EQ_INT(lmx_lsa_fit(&ref, &vref, &A, &o), LM_OK);
    for (int t = 2; t <= 5; t += 3) {
        lmx_set_threads(t);
        lmx_lsa m = {0};
        float *v = NULL;
        CHECK_EQ_INT(lmx_lsa_fit(&m, &v, &A, &o), LM_OK);
        CHECK_EQ_INT(m.d, ref.d);
        CHECK(memcmp(m.proj, ref.proj, sizeof(float) * (size_t)M * ref.d) == 0);
        CHECK(memcmp(m.sigma, ref.sigma, sizeof(float) * (size_t)ref.d) == 0);
        CHECK(v && memcmp(v, vref, sizeof(float) * (size_t)N * ref.d) == 0);
        /* Rows folded in parallel, from an offset, equal one at a time. */
        float *rows = malloc(sizeof(float) * (size_t)N * ref.d), *one = malloc(sizeof(float) * (size_t)ref.d);
        CHECK_EQ_INT(lmx_lsa_fold_rows(&m, &A, 7, N - 7, rows), LM_OK);
        int bad = 0;
        for (int r = 7; r < N; r++) {
            int64_t b = rowptr[r];
            lmx_lsa_fold(&m, colidx + b, val + b, (int)(rowptr[r + 1] - b), one);
            bad += memcmp(one, rows + (size_t)(r - 7) * ref.d, sizeof(float) * (size_t)ref.d) != 0;
        }
        CHECK_EQ_INT(bad, 0);
        CHECK_EQ_INT(lmx_lsa_fold_rows(&m, &A, N - 1, 2, rows), LM_EINVAL);
        free(rows);
        free(one);
        free(v);
        lmx_lsa_free(&m);
    }
    lmx_set_threads(0);
    free(vref);
    lmx_lsa_free(&ref);
    free(rowptr);
    free(colidx);
    free(val);
}

static const char *words[] = {
    "燃料电池", "质子交换膜", "5G基站", "锂电池", "储能", "热失控", "猕猴桃", "溃疡病", "小麦", "抗旱",
    "育种", "氢能", "光伏", "風電", "碳纤维", "复合材料", "传感器", "机器人", "人工智能", "大數據",
    "PEM燃料电池", "fuel cell", "battery", "sensor", "robot", "drought", "kiwifruit", "wheat", "，", "。",
};

/* A database of n records with random texts from `words`. */
static void fill(lm_db *db, int n)
{
    char json[2048], title[512], body[1024];
    for (int i = 0; i < n; i++) {
        title[0] = body[0] = 0;
        for (int j = 0; j < 3; j++) strcat(title, words[next_rand() % (sizeof words / sizeof words[0])]);
        int nb = 5 + (int)(next_rand() % 15);
        for (int j = 0; j < nb; j++) {
            strcat(body, words[next_rand() % (sizeof words / sizeof words[0])]);
            if (next_rand() % 3 == 0) strcat(body, " ");
        }
        const char *kind = i % 7 == 0 ? "problem" : i % 11 == 0 ? "expert" : "achievement";
        if (!strcmp(kind, "expert"))
            snprintf(json, sizeof json, "{\"id\":\"R%d\",\"kind\":\"expert\",\"name\":\"专家%d\",\"research\":\"%s\",\"bio\":\"%s\"}", i,
                     i, title, body);
        else
            snprintf(json, sizeof json, "{\"id\":\"R%d\",\"kind\":\"%s\",\"title\":\"%s\",\"%s\":\"%s\"}", i, kind, title,
                     !strcmp(kind, "problem") ? "description" : "abstract", body);
        if (i % 97 == 5 && strcmp(kind, "expert"))
            snprintf(json, sizeof json, "{\"id\":\"R%d\",\"kind\":\"%s\",\"title\":\"\"}", i, kind);  /* no text */
        int rc = lm_put(db, json, LM_NUL_TERMINATED);
        if (rc) fprintf(stderr, "  %s: %s\n", json, lm_errmsg(db));
        CHECK_EQ_INT(rc, LM_OK);
    }
}

/* Every stored vector and model term, as one string of hex digests. */
static char *dump_model(const char *path)
{
    sqlite3 *s = NULL;
    sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *q = NULL;
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    out[0] = 0;
    const char *sql[] = { "SELECT rid, v FROM vec ORDER BY rid", "SELECT term, idf, v FROM lsa_term ORDER BY term" };
    for (int k = 0; k < 2; k++) {
        sqlite3_prepare_v2(s, sql[k], -1, &q, NULL);
        while (sqlite3_step(q) == SQLITE_ROW) {
            int nc = sqlite3_column_count(q);
            for (int c = 0; c < nc; c++) {
                const unsigned char *b = sqlite3_column_blob(q, c);
                int nb = sqlite3_column_bytes(q, c);
                uint64_t h = 1469598103934665603ull;
                for (int i = 0; i < nb; i++) h = (h ^ b[i]) * 1099511628211ull;
                if (n + 32 > cap) out = realloc(out, cap *= 2);
                n += (size_t)snprintf(out + n, cap - n, "%016llx,", (unsigned long long)h);
            }
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(s);
    return out;
}

static int stop_at;
static int progress(void *ctx, const char *stage, int64_t done, int64_t total)
{
    (void)ctx; (void)total;
    return !strcmp(stage, "vectors") && stop_at && done >= stop_at;
}

static void test_build_does_not_depend_on_threads(void)
{
    const char *path = lmt_tmp_path("build.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    fill(db, 2600);                                   /* ~10 batches of rows in flight */
    lmx_set_threads(1);
    CHECK_EQ_INT(lm_vectors_build(db, 16), LM_OK);
    char *one = dump_model(path);
    CHECK(strlen(one) > 2600 * 17);
    for (int t = 2; t <= 4; t += 2) {
        lmx_set_threads(t);
        CHECK_EQ_INT(lm_vectors_build(db, 16), LM_OK);
        char *many = dump_model(path);
        CHECK(strcmp(one, many) == 0);
        free(many);
    }
    /* Stopped by the progress callback after 1,000 rows: an error, the old
       model kept (the build runs in one transaction). */
    stop_at = 1000;
    lm_set_progress(db, progress, NULL);
    int rc = lm_vectors_build(db, 16);
    CHECK(rc != LM_OK);
    CHECK_CONTAINS(lm_errmsg(db), "vectors");
    stop_at = 0;
    char *kept = dump_model(path);
    CHECK(strcmp(one, kept) == 0);
    free(kept);
    lmx_set_threads(0);
    free(one);
    lm_close(db);
}

int main(void)
{
    if (lmt_tmpdir_init("parallel")) return 1;
    RUN(test_fit_and_fold_do_not_depend_on_threads);
    RUN(test_build_does_not_depend_on_threads);
    return lmt_done();
}
