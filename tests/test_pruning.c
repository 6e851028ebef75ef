/*
** test_pruning.c -- statistics kept in memory and the top-k text search
** that does not score every posting (bm25.c, store_index.c, internal):
**   - the document-frequency cache follows this handle's writes and other
**     connections' commits (the store's cache rule);
**   - (with the posting index) the pruned top-k equals the exhaustive scan
**     score for score on random corpora of Chinese and English text.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "db.h"
#include "store_sql.h"
#include "tokenizer.h"
#include "lmtest.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}
static unsigned rnd(unsigned n) { return n ? next_rand() % n : 0; }

/* The document frequencies of the given tokens in kind through the cache. */
static void dfs_of(lm_db *db, int kind, const char *const *tok, int n, int64_t *out)
{
    lmx_qterms q = {0};
    for (int i = 0; i < n; i++) lmx_qterms_add(&q, tok[i], (int)strlen(tok[i]), 1.0, 0);
    int began = lmx_store_read_begin(&db->store);
    CHECK_EQ_INT(lmx_bm25_doc_freqs(&db->store, &db->bm25, kind, &q, out), LM_OK);
    lmx_store_read_end(&db->store, began);
    lmx_qterms_free(&q);
}

/* The same straight from the store. */
static int64_t df_store(lm_db *db, int kind, const char *tok)
{
    int64_t df = -1;
    CHECK_EQ_INT(lmx_store_doc_freq(&db->store, kind, tok, (int)strlen(tok), &df), LM_OK);
    return df;
}

static void put(lm_db *db, const char *json)
{
    int rc = lm_put(db, json, LM_NUL_TERMINATED);
    if (rc) fprintf(stderr, "  lm_put: %s\n", lm_errmsg(db));
    CHECK_EQ_INT(rc, LM_OK);
}

static void test_df_cache_follows_writes(void)
{
    const char *path = lmt_tmp_path("df.db");
    lm_db *a = NULL, *b = NULL;
    CHECK_EQ_INT(lm_open(&a, path, 0), LM_OK);
    CHECK_EQ_INT(lm_open(&b, path, 0), LM_OK);
    put(a, "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"PEM燃料电池电堆\",\"abstract\":\"质子交换膜燃料电池\"}");
    put(a, "{\"id\":\"A2\",\"kind\":\"achievement\",\"title\":\"5G基站节能\",\"abstract\":\"基站功放与燃料电池备电\"}");
    put(a, "{\"id\":\"A3\",\"kind\":\"achievement\",\"title\":\"锂電池回收\",\"abstract\":\"退役動力電池梯次利用。\"}");
    const char *tok[] = { "燃料电池", "基站", "电池", "不存在的词" };
    int64_t df[4], want;
    dfs_of(a, LM_ACHIEVEMENT, tok, 4, df);
    for (int i = 0; i < 4; i++) CHECK_EQ_INT(df[i], df_store(a, LM_ACHIEVEMENT, tok[i]));
    CHECK_EQ_INT(df[0], 2);
    CHECK_EQ_INT(df[3], 0);
    int64_t before_battery = df[2];
    CHECK(before_battery >= 1);
    /* Cached: the same answer again; another kind knows nothing of it. */
    dfs_of(a, LM_ACHIEVEMENT, tok, 4, df);
    CHECK_EQ_INT(df[0], 2);
    dfs_of(a, LM_PROBLEM, tok, 1, df);
    CHECK_EQ_INT(df[0], 0);

    /* Another connection adds a record: this handle's next lookup sees it. */
    put(b, "{\"id\":\"A4\",\"kind\":\"achievement\",\"title\":\"固体氧化物燃料电池\",\"abstract\":\"高温燃料电池发电\"}");
    dfs_of(a, LM_ACHIEVEMENT, tok, 4, df);
    CHECK_EQ_INT(df[0], 3);
    CHECK_EQ_INT(df[0], df_store(a, LM_ACHIEVEMENT, tok[0]));
    /* ... and deletes one. */
    CHECK_EQ_INT(lm_delete(b, LM_ACHIEVEMENT, "A1"), LM_OK);
    dfs_of(a, LM_ACHIEVEMENT, tok, 4, df);
    CHECK_EQ_INT(df[0], 2);
    /* This handle's own writes: a replaced record loses the term. */
    put(a, "{\"id\":\"A2\",\"kind\":\"achievement\",\"title\":\"5G基站节能\",\"abstract\":\"基站功放，液冷散热\"}");
    dfs_of(a, LM_ACHIEVEMENT, tok, 4, df);
    CHECK_EQ_INT(df[0], 1);
    CHECK_EQ_INT(df[1], 1);
    /* Writes of another kind leave the achievements' figures as they are. */
    put(a, "{\"id\":\"P1\",\"kind\":\"problem\",\"title\":\"燃料电池低温启动\",\"description\":\"寒冷地区燃料电池汽车\"}");
    dfs_of(a, LM_ACHIEVEMENT, tok, 4, df);
    CHECK_EQ_INT(df[0], 1);
    dfs_of(a, LM_PROBLEM, tok, 1, df);
    CHECK_EQ_INT(df[0], 1);
    /* The other handle agrees. */
    dfs_of(b, LM_ACHIEVEMENT, tok, 4, df);
    CHECK_EQ_INT(df[0], 1);
    want = df_store(b, LM_ACHIEVEMENT, tok[2]);
    CHECK_EQ_INT(df[2], want);
    lm_close(a);
    lm_close(b);
}

/* ---- random corpora ------------------------------------------------------------------ */

/* Words of every sort the analyzer meets: simplified and traditional
   Chinese, mixed terms, English, numbers, full-width punctuation.  Skewed:
   the first ones are picked far more often. */
static const char *const W[] = {
    "技术", "研究", "系统", "方法", "燃料电池", "5G基站", "PEM燃料电池", "锂电池", "储能", "热失控",
    "质子交换膜", "電池", "儲能", "猕猴桃", "獼猴桃", "溃疡病", "小麦", "抗旱", "育种", "氢能", "光伏",
    "風電", "碳纤维", "复合材料", "传感器", "机器人", "人工智能", "大數據", "区块链", "北斗导航",
    "fuel", "cell", "battery", "sensors", "robotic", "drought", "Kiwifruit", "wheat", "learning", "networks",
    "2023", "3.5kW", "GB/T", "，", "。", "；", "（", "）", "！", "：", "the", "of", "and",
    "西安交通大学", "陕西省", "秦创原", "航空发动机", "叶片", "涂层", "增材制造", "钛合金", "稀土", "永磁",
};
#define NW ((unsigned)(sizeof W / sizeof W[0]))

static const char *word(void)
{
    unsigned a = rnd(NW), b = rnd(NW);
    return W[a < b ? a : b];                     /* low indices more often */
}

static void text(char *buf, size_t cap, int nwords)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < nwords; i++) {
        const char *w = word();
        size_t l = strlen(w);
        if (n + l + 2 >= cap) break;
        memcpy(buf + n, w, l);
        n += l;
        if (rnd(3) == 0) buf[n++] = ' ';
    }
    buf[n] = 0;
}

static const char *const REGIONS[] = { "陕西省西安市", "陕西省宝鸡市", "北京市海淀区", "广东省深圳市" };
static const char *const FIELDS[] = { "能源", "农业", "材料", "信息" };

/* One random record of kind (1..3) with id `id`, as JSON. */
static void record(char *json, size_t cap, int kind, int id)
{
    char title[256], body[4096], kw[256], kw2[256];
    text(title, sizeof title, 1 + (int)rnd(5));
    text(body, sizeof body, (int)rnd(8) == 0 ? 150 + (int)rnd(200) : 3 + (int)rnd(40));   /* some long */
    text(kw, sizeof kw, 1 + (int)rnd(2));
    text(kw2, sizeof kw2, 1);
    const char *region = REGIONS[rnd(4)], *field = FIELDS[rnd(4)];
    if (kind == LM_EXPERT)
        snprintf(json, cap, "{\"id\":\"E%d\",\"kind\":\"expert\",\"name\":\"专家%d %s\",\"org\":\"%s\",\"research\":\"%s\","
                 "\"bio\":\"%s\",\"region\":\"%s\",\"fields\":[\"%s\"]}", id, id, title, kw2, kw, body, region, field);
    else if (kind == LM_PROBLEM)
        snprintf(json, cap, "{\"id\":\"P%d\",\"kind\":\"problem\",\"title\":\"%s\",\"description\":\"%s\","
                 "\"keywords\":[\"%s\",\"%s\"],\"region\":\"%s\",\"fields\":[\"%s\"]}", id, title, body, kw, kw2,
                 region, field);
    else
        snprintf(json, cap, "{\"id\":\"A%d\",\"kind\":\"achievement\",\"title\":\"%s\",\"abstract\":\"%s\","
                 "\"keywords\":[\"%s\",\"%s\"],\"region\":\"%s\",\"fields\":[\"%s\"],\"maturity\":%d}", id, title,
                 body, kw, kw2, region, field, 1 + (int)rnd(9));
}

/* Load n random records (kind mostly achievements) in one transaction. */
static void load_random(lm_db *db, int n, int first_id)
{
    size_t cap = (size_t)n * 5000 + 1, len = 0;
    char *buf = malloc(cap), json[5000];
    for (int i = 0; i < n; i++) {
        int kind = rnd(10) == 0 ? LM_PROBLEM : rnd(10) == 0 ? LM_EXPERT : LM_ACHIEVEMENT;
        record(json, sizeof json, kind, first_id + i);
        len += (size_t)snprintf(buf + len, cap - len, "%s\n", json);
    }
    lm_report *r = NULL;
    int rc = lm_load_jsonl_buffer(db, buf, len, LM_LOAD_ATOMIC, &r);
    if (rc) fprintf(stderr, "  load: %s\n", lm_errmsg(db));
    CHECK_EQ_INT(rc, LM_OK);
    lm_report_free(r);
    free(buf);
}

/* The index's statistics agree with FTS5's: every term's document
   frequency (fts5vocab), every row's column lengths (docsize). */
static void check_statistics(lm_db *db)
{
    for (int kind = 1; kind <= LMX_NKINDS; kind++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT term, doc FROM %s_v", lmx_fts_table(kind));
        sqlite3_stmt *q = NULL;
        CHECK_EQ_INT(sqlite3_prepare_v2(db->store.sql, sql, -1, &q, NULL), SQLITE_OK);
        int bad = 0, n = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            int64_t tid, df;
            int r = lmx_store_pst_term(&db->store, kind, (const char *)sqlite3_column_text(q, 0), sqlite3_column_bytes(q, 0),
                                       &tid, &df);
            bad += r != 1 || df != sqlite3_column_int64(q, 1);
            n++;
        }
        sqlite3_finalize(q);
        CHECK_EQ_INT(bad, 0);
        /* No term the FTS5 index lacks. */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pst_term WHERE kind = %d", kind);
        CHECK_EQ_INT(sqlite3_prepare_v2(db->store.sql, sql, -1, &q, NULL), SQLITE_OK);
        CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
        CHECK_EQ_INT(sqlite3_column_int(q, 0), n);
        sqlite3_finalize(q);
        snprintf(sql, sizeof sql, "SELECT id, sz FROM %s_docsize", lmx_fts_table(kind));
        CHECK_EQ_INT(sqlite3_prepare_v2(db->store.sql, sql, -1, &q, NULL), SQLITE_OK);
        bad = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            uint32_t len[LMX_NCOLS];
            const unsigned char *sz = sqlite3_column_blob(q, 1);
            if (lmx_store_pst_doclen(&db->store, kind, sqlite3_column_int64(q, 0), len)) { bad++; continue; }
            for (int c = 0, off = 0; c < LMX_NCOLS; c++) {         /* varints, each < 2^14 here */
                uint32_t v = sz[off] & 0x7F;
                if (sz[off++] & 0x80) v = (v << 7) | (sz[off++] & 0x7F);
                bad += v != len[c];
            }
        }
        sqlite3_finalize(q);
        CHECK_EQ_INT(bad, 0);
    }
}

/* The FTS5 query of some tokens, as lmx_terms_match_expr() builds it. */
static char *match_of(char **tok, int n)
{
    size_t cap = 16;
    for (int i = 0; i < n; i++) cap += 2 * strlen(tok[i]) + 8;
    char *m = malloc(cap), *p = m;
    for (int i = 0; i < n; i++) {
        if (i) p += sprintf(p, " OR ");
        *p++ = '"';
        *p++ = LMX_RAW_MARK;
        for (const char *c = tok[i]; *c; c++) {
            if (*c == '"') *p++ = '"';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p = 0;
    return m;
}

typedef struct { int n; int64_t rid[6000]; double score[6000]; unsigned char mask[6000][24]; int64_t scored; } topres;

static int run(lm_db *db, int strategy, int kind, char **tok, int n, const double *params, const lmx_filter *f, int k,
               topres *out)
{
    lmx_bm25_set_strategy(strategy);
    lmx_bm25_top t;
    lmx_bm25_top_init(&t, k, n);
    char *m = match_of(tok, n);
    int began = lmx_store_read_begin(&db->store);
    int rc = lmx_bm25_search(&db->store, &db->bm25, kind, n, (const char *const *)tok, m, params, f, &t);
    lmx_store_read_end(&db->store, began);
    out->scored = lmx_bm25_scored();
    int *order = malloc(sizeof(int) * (size_t)(t.top.n + 1));
    lmx_topk_sort(&t.top, order);
    out->n = t.top.n;
    for (int i = 0; i < t.top.n && i < 6000; i++) {
        out->rid[i] = t.top.id[order[i]];
        out->score[i] = t.top.score[order[i]];
        memcpy(out->mask[i], t.mask + (size_t)order[i] * n, (size_t)n);
    }
    free(order);
    free(m);
    lmx_bm25_top_free(&t);
    lmx_bm25_set_strategy(LMX_BM25_PRUNED);
    return rc;
}

static int same(const topres *a, const topres *b, int n)
{
    if (a->n != b->n) { fprintf(stderr, "  %d rows != %d rows\n", a->n, b->n); return 0; }
    for (int i = 0; i < a->n; i++)
        if (a->rid[i] != b->rid[i] || memcmp(&a->score[i], &b->score[i], sizeof(double)) || memcmp(a->mask[i], b->mask[i], (size_t)n)) {
            fprintf(stderr, "  row %d: %lld %.17g != %lld %.17g\n", i, (long long)a->rid[i], a->score[i],
                    (long long)b->rid[i], b->score[i]);
            return 0;
        }
    return 1;
}

static topres ra, rb, rc_;

/*
** Random queries: 1 to 24 terms from the index (frequent and rare, and one
** that is in no record), random weights, BM25 parameters and column weights
** (zero among them), k from 1 to 5,000, with and without filters: the pruned
** search, the exhaustive one and the FTS5 scan give the same rows, scores
** and matched terms.  Returns how many queries pruned at all.
*/
static int check_queries(lm_db *db, int nq)
{
    char *vocab[4096];
    int nv = 0;
    for (int i = 0; i < 200 && nv < 4000; i++) {                  /* tokens as the analyzer makes them */
        char t[256];
        text(t, sizeof t, 4);
        lm_tokens *tk = NULL;
        if (lm_analyze(db, t, LM_NUL_TERMINATED, 0, &tk)) continue;
        for (int j = 0; j < lm_tokens_count(tk) && nv < 4000; j++) vocab[nv++] = strdup(lm_token_text(tk, j));
        lm_tokens_free(tk);
    }
    vocab[nv++] = strdup("从未出现过的词");
    int pruned = 0, fails = 0;
    for (int q = 0; q < nq && fails < 3; q++) {
        int n = 1 + (int)rnd(24), kind = rnd(5) == 0 ? (int)(1 + rnd(3)) : LM_ACHIEVEMENT;
        char *tok[24];
        for (int i = 0; i < n; i++) {
            tok[i] = vocab[rnd((unsigned)nv)];
            for (int j = 0; j < i; j++)
                if (!strcmp(tok[j], tok[i])) { tok[i] = NULL; break; }
            if (!tok[i]) { i--; n--; }
        }
        if (n < 1) continue;
        double params[2 + LMX_NCOLS + 24];
        params[0] = rnd(4) == 0 ? 0.5 + rnd(30) / 10.0 : 2.0;
        params[1] = rnd(4) == 0 ? rnd(11) / 10.0 : 0.75;
        const double defw[LMX_NCOLS] = { 2, 1, 2, 0.5 };
        for (int c = 0; c < LMX_NCOLS; c++) params[2 + c] = rnd(3) == 0 ? rnd(7) * 0.7 : defw[c];
        for (int i = 0; i < n; i++) params[2 + LMX_NCOLS + i] = 0.1 + rnd(1000) / 97.0;
        const int ks[] = { 1, 3, 10, 100, 400, 1000, 5000 };
        int k = ks[rnd(7)];
        lmx_filter f = { 0 }, *fp = NULL;
        char *fields[2] = { (char *)FIELDS[rnd(4)], (char *)FIELDS[rnd(4)] };
        switch (rnd(6)) {
        case 0: f.exclude_rid = 1 + rnd(2000); fp = &f; break;
        case 1: f.region = REGIONS[rnd(4)]; f.region = rnd(2) ? "陕西省" : f.region; fp = &f; break;
        case 2: f.min_maturity = 1 + (int)rnd(9); fp = &f; break;
        case 3: f.fields = fields; f.nfields = 1 + (int)rnd(2); f.exclude_rid = 1 + rnd(2000); fp = &f; break;
        default: break;
        }
        CHECK_EQ_INT(run(db, LMX_BM25_FTS5, kind, tok, n, params, fp, k, &ra), LM_OK);
        CHECK_EQ_INT(run(db, LMX_BM25_EXHAUSTIVE, kind, tok, n, params, fp, k, &rb), LM_OK);
        CHECK_EQ_INT(run(db, LMX_BM25_PRUNED, kind, tok, n, params, fp, k, &rc_), LM_OK);
        int ok1 = same(&ra, &rb, n), ok = ok1 && same(&rb, &rc_, n);
        if (!ok) fprintf(stderr, "  %s\n", ok1 ? "pruned != exhaustive" : "exhaustive != FTS5");
        if (!ok) {
            fails++;
            fprintf(stderr, "  query %d: kind %d, %d terms, k %d, k1 %g b %g, filter %s\n", q, kind, n, k, params[0],
                    params[1], fp ? "yes" : "no");
        }
        CHECK(ok);
        pruned += rc_.scored < rb.scored;
    }
    for (int i = 0; i < nv; i++) free(vocab[i]);
    return pruned;
}

static void test_pruned_equals_exhaustive(void)
{
    const char *path = lmt_tmp_path("rand.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    load_random(db, 9000, 0);                                   /* rows span several windows */
    check_statistics(db);
    int pruned = check_queries(db, 150);
    CHECK(pruned > 30);                                          /* and it does prune */
    /* Deletes and replacements in the middle of the lists (stale impacts),
       one by one and in a load; then new records. */
    char json[5000], id[32];
    for (int i = 0; i < 400; i++) {
        int k = (int)rnd(9000);
        snprintf(id, sizeof id, "A%d", k);
        if (rnd(2)) lm_delete(db, LM_ACHIEVEMENT, id);
        else { record(json, sizeof json, LM_ACHIEVEMENT, k); CHECK_EQ_INT(lm_put(db, json, LM_NUL_TERMINATED), LM_OK); }
    }
    load_random(db, 3000, 5000);                                 /* replaces ids 5000..7999 of each kind */
    load_random(db, 1500, 20000);
    check_statistics(db);
    check_queries(db, 120);
    lm_close(db);
}

/* The same with the single characters of words (LM_ANALYZE_UNIGRAMS): many
   colocated tokens, which FTS5 does not count in a column's length, and
   long lists of frequent characters. */
static void test_pruned_equals_exhaustive_unigrams(void)
{
    const char *path = lmt_tmp_path("rand-uni.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    CHECK_EQ_INT(lm_set_analyzer_mode(db, LM_ANALYZE_ALL | LM_ANALYZE_UNIGRAMS), LM_OK);
    load_random(db, 6000, 0);
    check_statistics(db);
    int pruned = check_queries(db, 100);
    CHECK(pruned > 20);
    lm_close(db);
}

/*
** Frequent terms that become non-essential early (a small k, rare terms of
** large weight): their blocks without a candidate row are skipped undecoded,
** some straddle two windows, and rows come whose frequent terms alone are
** known only from those lists.  12,000 records, so three windows and more.
*/
static void test_nonessential_blocks_skipped(void)
{
    const char *path = lmt_tmp_path("skip.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    CHECK_EQ_INT(lm_set_analyzer_mode(db, LM_ANALYZE_ALL), LM_OK);     /* the terms below, no single characters */
    size_t cap = 12000 * 400, len = 0;
    char *buf = malloc(cap);
    for (int i = 0; i < 12000; i++) {
        const char *rare = i % 997 == 5 ? "猕猴桃溃疡病防控" : i % 1499 == 7 ? "獼猴桃潰瘍病，抗病育种" : "";
        len += (size_t)snprintf(buf + len, cap - len,
                                "{\"id\":\"A%d\",\"kind\":\"achievement\",\"title\":\"%s技术%s\","
                                "\"abstract\":\"%s系统方法%s\"}\n", i, i % 3 ? "研究" : "", rare,
                                i % 2 ? "技术" : "", i % 5 ? "" : "5G基站");
    }
    lm_report *r = NULL;
    CHECK_EQ_INT(lm_load_jsonl_buffer(db, buf, len, LM_LOAD_ATOMIC, &r), LM_OK);
    lm_report_free(r);
    free(buf);
    char *tok[8];
    int n = 0;
    const char *texts[] = { "技术研究系统方法", "猕猴桃溃疡病防控", "5G基站" };
    for (int t = 0; t < 3; t++) {
        lm_tokens *tk = NULL;
        CHECK_EQ_INT(lm_analyze(db, texts[t], LM_NUL_TERMINATED, 0, &tk), LM_OK);
        for (int j = 0; j < lm_tokens_count(tk) && n < 8; j++) {
            int dup = 0;
            for (int q = 0; q < n; q++) dup |= !strcmp(tok[q], lm_token_text(tk, j));
            if (!dup) tok[n++] = strdup(lm_token_text(tk, j));
        }
        lm_tokens_free(tk);
    }
    CHECK(n >= 4);
    double params[2 + LMX_NCOLS + 8] = { 1.2, 0.75, 2, 1, 2, 0.5 };
    int pruned = 0;
    for (int k = 1; k <= 30; k += 29)
        for (int v = 0; v < 3; v++) {
            for (int i = 0; i < n; i++)     /* rare terms heavy, frequent ones light (or all alike) */
                params[2 + LMX_NCOLS + i] = v == 2 ? 1.0 : (i < 3 ? 0.2 + 0.1 * v : 5.0 + i);
            CHECK_EQ_INT(run(db, LMX_BM25_FTS5, LM_ACHIEVEMENT, tok, n, params, NULL, k, &ra), LM_OK);
            CHECK_EQ_INT(run(db, LMX_BM25_EXHAUSTIVE, LM_ACHIEVEMENT, tok, n, params, NULL, k, &rb), LM_OK);
            CHECK_EQ_INT(run(db, LMX_BM25_PRUNED, LM_ACHIEVEMENT, tok, n, params, NULL, k, &rc_), LM_OK);
            CHECK(same(&ra, &rb, n));
            CHECK(same(&rb, &rc_, n));
            pruned += rc_.scored * 10 < rb.scored;                 /* far fewer rows scored */
        }
    CHECK(pruned >= 2);
    for (int i = 0; i < n; i++) free(tok[i]);
    lm_close(db);
}

/* A load that fails half-way leaves the index as it was; so does a load in
   another connection, for this one's queries; a re-index rebuilds it. */
static void test_rollback_other_connection_reindex(void)
{
    const char *path = lmt_tmp_path("rb.db");
    lm_db *a = NULL, *b = NULL;
    CHECK_EQ_INT(lm_open(&a, path, 0), LM_OK);
    CHECK_EQ_INT(lm_open(&b, path, 0), LM_OK);
    load_random(a, 2000, 0);
    char buf[20000];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        char json[5000];
        record(json, sizeof json, LM_ACHIEVEMENT, 100 + i);    /* replaces: deletes queued too */
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", json);
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"id\":\"bad\",\"kind\":\"achievement\",\"maturity\":99}\n");
    CHECK(lm_load_jsonl_buffer(a, buf, n, LM_LOAD_ATOMIC, NULL) != LM_OK);
    check_statistics(a);
    load_random(b, 700, 3000);
    check_statistics(a);
    check_queries(a, 40);
    CHECK_EQ_INT(lm_reindex(a), LM_OK);
    check_statistics(b);
    check_queries(b, 40);
    lm_close(a);
    lm_close(b);
}

/* A version 2 file (no posting index) is migrated on a writable open: the
   index is built from what is stored, and agrees with FTS5. */
static void test_migration_from_v2(void)
{
    const char *path = lmt_tmp_path("v2.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    load_random(db, 1500, 0);
    lm_close(db);
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, "DROP TABLE pst_term; DROP TABLE pst_block; DROP TABLE feedback; DELETE FROM meta WHERE key LIKE 'pst%';"
                                   "UPDATE meta SET value = '2' WHERE key = 'schema_version';", 0, 0, 0), SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(lm_open(&db, path, LM_OPEN_READONLY), LM_EMISMATCH);
    lm_close(db);
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    CHECK_EQ_INT(lmx_store_meta_int(&db->store, "schema_version", 0), 3);
    CHECK_EQ_INT(lmx_store_pst_ready(&db->store), 1);
    check_statistics(db);
    check_queries(db, 40);
    lm_close(db);
}

int main(void)
{
    if (lmt_tmpdir_init("pruning")) return 1;
    RUN(test_df_cache_follows_writes);
    RUN(test_pruned_equals_exhaustive);
    RUN(test_pruned_equals_exhaustive_unigrams);
    RUN(test_nonessential_blocks_skipped);
    RUN(test_rollback_other_connection_reindex);
    RUN(test_migration_from_v2);
    return lmt_done();
}
