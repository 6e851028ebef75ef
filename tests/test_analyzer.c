/*
** test_analyzer.c -- the Chinese + English analyzer: normalization,
** Traditional -> Simplified, segmentation, sub-words, bigrams, stemming,
** stopwords, offsets, invalid input, the FTS5 tokenizer, threads.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "analysis.h"
#include "tokenizer.h"
#include "lmtest.h"

/* The FTS5 API of a raw connection. */
static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

typedef struct { char tok[64][128]; int flags[64]; int s[64], e[64]; int n; } toks;

static int collect(void *ctx, int flags, const char *t, int n, int s, int e)
{
    toks *k = ctx;
    if (k->n < 64 && n < 128) {
        memcpy(k->tok[k->n], t, (size_t)n);
        k->tok[k->n][n] = 0;
        k->flags[k->n] = flags;
        k->s[k->n] = s;
        k->e[k->n] = e;
        k->n++;
    }
    return 0;
}

static lmx_analyzer *an(int mode)
{
    lmx_analyzer *a = NULL;
    char err[512];
    if (lmx_analyzer_new(&a, mode, err, sizeof err) != LM_OK) {
        fprintf(stderr, "analyzer: %s\n", err);
        exit(1);
    }
    return a;
}

static int run(lmx_analyzer *a, const char *text, toks *k)
{
    memset(k, 0, sizeof *k);
    return lmx_analyze(a, text, (int)strlen(text), 0, collect, k);
}

static int has(const toks *k, const char *t)
{
    for (int i = 0; i < k->n; i++)
        if (!strcmp(k->tok[i], t)) return 1;
    return 0;
}

/* The main (not colocated) tokens joined by '|'. */
static const char *mains(const toks *k)
{
    static char buf[2048];
    buf[0] = 0;
    for (int i = 0; i < k->n; i++)
        if (!(k->flags[i] & LMX_TOK_COLOCATED)) {
            if (buf[0]) strcat(buf, "|");
            strcat(buf, k->tok[i]);
        }
    return buf;
}

static void test_traditional_equals_simplified(void)
{
    lmx_analyzer *a = an(0);
    static const char *pairs[][2] = {
        {"秦創原總窗口", "秦创原总窗口"},
        {"鋰離子電池熱失控預警", "锂离子电池热失控预警"},
        {"碳化矽功率器件燒結封裝", "碳化硅功率器件烧结封装"},
        {"無人駕駛航空器巡檢系統", "无人驾驶航空器巡检系统"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        toks t, s;
        CHECK_EQ_INT(run(a, pairs[i][0], &t), LM_OK);
        CHECK_EQ_INT(run(a, pairs[i][1], &s), LM_OK);
        CHECK_EQ_INT(t.n, s.n);
        CHECK(t.n > 0);
        for (int j = 0; j < t.n && j < s.n; j++) CHECK_STR(t.tok[j], s.tok[j]);
    }
    lmx_analyzer_free(a);
}

static void test_mixed_text(void)
{
    lmx_analyzer *a = an(LMX_WORDS);
    toks k;
    CHECK_EQ_INT(run(a, "基于5G的智能电网PEM燃料电池MOCVD外延", &k), LM_OK);
    CHECK_STR(mains(&k), "基于|5g|智能|电网|pem|燃料电池|mocvd|外延");
    CHECK(!has(&k, "的"));
    CHECK_EQ_INT(run(a, "5G基站采用SiC MOSFET与6061-T6铝合金", &k), LM_OK);
    CHECK(has(&k, "5g") && has(&k, "基站") && has(&k, "sic") && has(&k, "mosfet") && has(&k, "6061-t6"));
    CHECK(has(&k, "铝合金"));
    lmx_analyzer_free(a);
}

static void test_fullwidth_and_case(void)
{
    lmx_analyzer *a = an(0);
    toks k;
    CHECK_EQ_INT(run(a, "ＡＢＣ１２３", &k), LM_OK);
    CHECK_EQ_INT(k.n, 1);
    CHECK_STR(k.tok[0], "abc123");
    CHECK_EQ_INT(k.s[0], 0);
    CHECK_EQ_INT(k.e[0], 18);               /* offsets into the full-width text */
    CHECK_EQ_INT(run(a, "ＰＥＭ燃料电池，ＭＯＣＶＤ！", &k), LM_OK);
    CHECK(has(&k, "pem") && has(&k, "mocvd") && has(&k, "燃料电池"));
    lmx_analyzer_free(a);
}

static void test_stemming_and_stopwords(void)
{
    lmx_analyzer *a = an(0);
    toks k;
    CHECK_EQ_INT(run(a, "Matching matched matches", &k), LM_OK);
    CHECK_EQ_INT(k.n, 3);
    for (int i = 0; i < k.n; i++) CHECK_STR(k.tok[i], "match");
    CHECK_EQ_INT(run(a, "the analysis of batteries and the 5G", &k), LM_OK);
    CHECK_STR(mains(&k), "analysi|batteri|5g");
    CHECK_EQ_INT(run(a, "的了和及与等在是", &k), LM_OK);
    CHECK_EQ_INT(k.n, 0);
    CHECK(lmx_is_stopword("的", 3) && lmx_is_stopword("the", 3));
    CHECK(!lmx_is_stopword("技术", 6) && !lmx_is_stopword("方法", 6) && !lmx_is_stopword("系统", 6));
    CHECK_EQ_INT(run(a, "技术研究方法系统", &k), LM_OK);
    CHECK(has(&k, "技术") && has(&k, "研究") && has(&k, "方法") && has(&k, "系统"));
    lmx_analyzer_free(a);
}

static void test_subwords_and_bigrams(void)
{
    lmx_analyzer *a = an(LMX_WORDS | LMX_SUBWORDS);
    toks k;
    CHECK_EQ_INT(run(a, "碳化硅功率器件", &k), LM_OK);
    CHECK(has(&k, "碳化硅") && has(&k, "功率") && has(&k, "器件") && has(&k, "碳化"));
    CHECK(!(k.flags[0] & LMX_TOK_COLOCATED));   /* the first token is never colocated */
    int colocated = 0;
    for (int i = 0; i < k.n; i++) colocated += (k.flags[i] & LMX_TOK_COLOCATED) != 0;
    CHECK(colocated > 0);
    lmx_analyzer_free(a);
    a = an(LMX_WORDS);
    CHECK_EQ_INT(run(a, "碳化硅功率器件", &k), LM_OK);
    for (int i = 0; i < k.n; i++) CHECK(!(k.flags[i] & LMX_TOK_COLOCATED));
    lmx_analyzer_free(a);
    a = an(LMX_BIGRAMS);
    CHECK_EQ_INT(run(a, "碳化硅功率", &k), LM_OK);
    CHECK_STR(mains(&k), "碳化|化硅|硅功|功率");
    CHECK_EQ_INT(k.s[1], 3);
    CHECK_EQ_INT(k.e[1], 9);
    lmx_analyzer_free(a);
    /* Unknown words give overlapping bigrams with words on. */
    a = an(LMX_WORDS | LMX_BIGRAMS);
    CHECK_EQ_INT(run(a, "氘氚氦", &k), LM_OK);
    CHECK(has(&k, "氘氚") && has(&k, "氚氦"));
    lmx_analyzer_free(a);
}

/* LM_ANALYZE_UNIGRAMS: a word's single characters, colocated, in
   Traditional script too; in the default mode of a new database, not in
   LM_ANALYZE_ALL (words, sub-words, bigrams) nor in a database that stored
   no mode; and what it is for: a need's 茶多糖 meets a record that says
   only 绿茶. */
static void test_unigrams(void)
{
    lmx_analyzer *a = an(LMX_WORDS | LMX_SUBWORDS | LMX_BIGRAMS | LMX_UNIGRAMS);
    toks k;
    CHECK_EQ_INT(run(a, "绿茶多糖", &k), LM_OK);
    CHECK(has(&k, "绿") && has(&k, "茶") && has(&k, "多") && has(&k, "糖"));
    for (int i = 0; i < k.n; i++)
        if (!strcmp(k.tok[i], "糖") || !strcmp(k.tok[i], "多")) CHECK(k.flags[i] & LMX_TOK_COLOCATED);
    CHECK_EQ_INT(run(a, "綠茶", &k), LM_OK);                  /* Traditional: the same characters */
    CHECK(has(&k, "绿") && has(&k, "茶"));
    lmx_analyzer_free(a);
    a = an(0);                                                   /* the default: with them */
    CHECK_EQ_INT(run(a, "绿茶多糖", &k), LM_OK);
    CHECK(has(&k, "茶") && has(&k, "糖"));
    lmx_analyzer_free(a);
    a = an(LM_ANALYZE_ALL);                                      /* words, sub-words, bigrams */
    CHECK_EQ_INT(run(a, "绿茶多糖", &k), LM_OK);
    CHECK(!has(&k, "茶") && !has(&k, "糖"));
    lmx_analyzer_free(a);
    a = an(0);
    CHECK_EQ_INT(lmx_analyzer_set_mode(a, 0x10), LM_EINVAL);       /* an unknown bit */
    CHECK_EQ_INT(lmx_analyzer_set_mode(a, LMX_WORDS | LMX_UNIGRAMS), LM_OK);
    lmx_analyzer_free(a);

    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    CHECK_CONTAINS(lm_analyzer_id(db), "unigrams");              /* a new database's default */
    CHECK_EQ_INT(lm_set_analyzer_mode(db, LM_ANALYZE_ALL), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"绿茶加工工艺\"}",
                        LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A2\",\"kind\":\"achievement\",\"title\":\"5G基站节能\"}",
                        LM_NUL_TERMINATED), LM_OK);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(db, "茶多糖提取", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 0);
    lm_results_free(r);
    CHECK_EQ_INT(lm_set_analyzer_mode(db, LM_ANALYZE_ALL | LM_ANALYZE_UNIGRAMS), LM_OK);
    CHECK_CONTAINS(lm_analyzer_id(db), "unigrams");
    CHECK_EQ_INT(lm_match_text(db, "茶多糖提取", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 1);
    CHECK_STR(lm_result_id(r, 0), "A1");
    lm_results_free(r);
    CHECK_EQ_INT(lm_set_analyzer_mode(db, 0x10), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "not a combination");
    lm_close(db);
}

static void test_offsets_roundtrip(void)
{
    lmx_analyzer *a = an(0);
    static const char *texts[] = {
        "基于5G的智能电网PEM燃料电池MOCVD外延",
        "鋰離子電池熱失控預警（儲能電站），ＡＢＣ１２３",
        "Matching engines for 秦创原 platforms",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        toks k;
        CHECK_EQ_INT(run(a, texts[i], &k), LM_OK);
        for (int j = 0; j < k.n; j++) {
            CHECK(k.s[j] >= 0 && k.s[j] < k.e[j] && k.e[j] <= (int)strlen(texts[i]));
            /* Re-analyzing the original slice gives the token back. */
            toks sub;
            char slice[256];
            int n = k.e[j] - k.s[j];
            memcpy(slice, texts[i] + k.s[j], (size_t)n);
            slice[n] = 0;
            memset(&sub, 0, sizeof sub);
            CHECK_EQ_INT(lmx_analyze(a, slice, n, 0, collect, &sub), LM_OK);
            if (!has(&sub, k.tok[j])) fprintf(stderr, "  token %s slice %s\n", k.tok[j], slice);
            CHECK(has(&sub, k.tok[j]));
        }
    }
    /* Traditional input: offsets point at the traditional characters. */
    toks k;
    CHECK_EQ_INT(run(a, "熱失控", &k), LM_OK);
    CHECK(has(&k, "热失控") || has(&k, "失控"));
    CHECK_EQ_INT(k.s[0], 0);
    lmx_analyzer_free(a);
}

static void test_invalid_and_empty(void)
{
    lmx_analyzer *a = an(0);
    toks k;
    CHECK_EQ_INT(run(a, "", &k), LM_OK);
    CHECK_EQ_INT(k.n, 0);
    CHECK_EQ_INT(run(a, "，。！？、…… —— 😀😀", &k), LM_OK);
    CHECK_EQ_INT(k.n, 0);
    static const char *bad[] = { "\xc0\xaf", "\xe7\xa2", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xff", "\x80" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(run(a, bad[i], &k), LM_EINVAL_UTF8);
        CHECK_EQ_INT(k.n, 0);
    }
    memset(&k, 0, sizeof k);
    CHECK_EQ_INT(lmx_analyze(a, "a\0b", 3, 0, collect, &k), LM_EINVAL_UTF8);
    lmx_analyzer_free(a);
}

static int count_cb(void *ctx, int flags, const char *t, int n, int s, int e)
{
    (*(long *)ctx)++;
    return 0;
}

/* A 5 MB field: analyzed completely, in linear time (the MB/s figure is
   printed, not asserted: speed targets live in bench/). */
static void test_big_field(void)
{
    lmx_analyzer *a = an(0);
    static const char unit[] = "碳化硅功率器件在新能源汽车电驱系统中的应用，";
    size_t ul = strlen(unit), n = (5u << 20) / ul;
    char *big = malloc(n * ul + 1);
    for (size_t i = 0; i < n; i++) memcpy(big + i * ul, unit, ul);
    big[n * ul] = 0;
    long count = 0, one = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(lmx_analyze(a, big, (int)(n * ul), 0, count_cb, &count), LM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_EQ_INT(lmx_analyze(a, unit, (int)ul, 0, count_cb, &one), LM_OK);
    /* Han runs are cut every 4096 characters, so a few tokens may differ. */
    CHECK(count > (long)n * (one - 2) && count < (long)n * (one + 2));
    double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# analyzer: %.1f MB of Chinese text in %.2f s (%.1f MB/s, %ld tokens)\n",
           (double)(n * ul) / 1e6, sec, (double)(n * ul) / 1e6 / sec, count);
    free(big);
    lmx_analyzer_free(a);
}

static void test_user_words(void)
{
    lmx_analyzer *a = an(LMX_WORDS);
    toks k;
    CHECK_EQ_INT(run(a, "秦创原平台推动硬科技八路军", &k), LM_OK);
    CHECK(!has(&k, "秦创原"));
    const char *id0 = lmx_analyzer_id(a);
    char before[128];
    snprintf(before, sizeof before, "%s", id0);
    CHECK_EQ_INT(lmx_analyzer_add_word(a, "秦创原", (int)strlen("秦创原"), 0), LM_OK);
    CHECK_EQ_INT(lmx_analyzer_add_word(a, "八路军", (int)strlen("八路军"), 100000), LM_OK);
    CHECK_EQ_INT(run(a, "秦创原平台推动硬科技八路军", &k), LM_OK);
    CHECK(has(&k, "秦创原") && has(&k, "八路军"));
    CHECK(strcmp(before, lmx_analyzer_id(a)) != 0);   /* user words change the id */
    CHECK_CONTAINS(lmx_analyzer_id(a), "user=");
    CHECK_EQ_INT(run(a, "秦創原", &k), LM_OK);         /* traditional too */
    CHECK(has(&k, "秦创原"));
    lmx_analyzer_free(a);
}

/* ---- FTS5 tokenizer ------------------------------------------------------- */

static void test_fts5_tokenizer(void)
{
    lmx_analyzer *a = an(0);
    sqlite3 *db;
    CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_EQ_INT(lmx_tokenizer_register(fts5_of(db), a), LM_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='libmatch');"
                                  "INSERT INTO t(rowid, x) VALUES(1, '锂离子电池热失控预警系统');"
                                  "INSERT INTO t(rowid, x) VALUES(2, '碳化矽功率元件燒結封裝');", 0, 0, 0), SQLITE_OK);
    sqlite3_stmt *st;
    /* A raw-marked token is looked up verbatim. */
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT rowid, highlight(t, 0, '[', ']') FROM t WHERE t MATCH ?", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, "\"\x01预警\"", -1, SQLITE_STATIC);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 1);
    /* FTS5 highlights the first token at a position: the word 预警系统
       that the matched sub-word 预警 is colocated with. */
    CHECK_CONTAINS((const char *)sqlite3_column_text(st, 1), "[预警");
    sqlite3_reset(st);
    /* Simplified query text finds the traditional row; highlight brackets
       the original traditional characters. */
    sqlite3_bind_text(st, 1, "碳化硅", -1, SQLITE_STATIC);
    CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(st, 0), 2);
    CHECK_CONTAINS((const char *)sqlite3_column_text(st, 1), "[碳化矽]");
    sqlite3_finalize(st);
    CHECK_EQ_INT(sqlite3_exec(db, "INSERT INTO t(t) VALUES('integrity-check')", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    lmx_analyzer_free(a);
}

/* ---- threads -------------------------------------------------------------- */

static lmx_analyzer *shared;
static const char *const thread_texts[] = {
    "碳化矽功率元件燒結封裝", "Matching engines matched", "基于5G的智能电网PEM燃料电池MOCVD外延", "猕猴桃溃疡病绿色防控",
};

static void *worker(void *arg)
{
    long bad = 0;
    toks ref[4], k;
    for (int i = 0; i < 4; i++) run(shared, thread_texts[i], &ref[i]);
    for (int it = 0; it < 300; it++) {
        int i = (it + (int)(long)arg) % 4;
        run(shared, thread_texts[i], &k);
        if (k.n != ref[i].n) bad++;
        else
            for (int j = 0; j < k.n; j++) if (strcmp(k.tok[j], ref[i].tok[j])) bad++;
    }
    return (void *)bad;
}

static void test_threads(void)
{
    shared = an(0);
    pthread_t th[4];
    for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (long)r;
    }
    CHECK_EQ_INT(bad, 0);
    lmx_analyzer_free(shared);
}

static void test_missing_dictionary_message(void)
{
    /* Loaded already: the path can no longer change. */
    CHECK_EQ_INT(lmx_set_dict_path("/nonexistent/dict.txt"), LM_ESTATE);
    CHECK_EQ_INT(lm_set_dictionary(NULL), LM_ESTATE);
}

int main(void)
{
    RUN(test_traditional_equals_simplified);
    RUN(test_mixed_text);
    RUN(test_fullwidth_and_case);
    RUN(test_stemming_and_stopwords);
    RUN(test_subwords_and_bigrams);
    RUN(test_unigrams);
    RUN(test_offsets_roundtrip);
    RUN(test_invalid_and_empty);
    RUN(test_big_field);
    RUN(test_user_words);
    RUN(test_fts5_tokenizer);
    RUN(test_threads);
    RUN(test_missing_dictionary_message);
    return lmt_done();
}
