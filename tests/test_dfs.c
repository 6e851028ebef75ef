/*
** test_dfs.c -- distributed matching (DFS query-then-fetch): the sample
** libraries plus Chinese records of our own (Traditional script, full-width
** punctuation, 5G基站, PEM燃料电池) cut into 2 and 3 shards of the
** candidates' kind; with the merged statistics, the probes' context and the
** merge of the parts, every query ranks as on the whole database: the same
** ids, and scores, probabilities and components to the last bit.  Errors:
** malformed statistics and contexts, statistics of another analyzer mode,
** options that cannot be distributed, each naming what is wrong.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "lmtest.h"

#define DATA "examples/data/"
#define MAXS 3

static const char *extra =
    "{\"id\":\"P-901\",\"kind\":\"problem\",\"title\":\"5G基站功放模块散热与能耗优化\","
    "\"description\":\"5G基站AAU功放模块热流密度高，夏季满载降频；需要液冷或相变散热方案，降低基站能耗。\","
    "\"keywords\":[\"5G基站\",\"散热\",\"功放\"],\"fields\":[\"电子信息\"],\"region\":\"陕西省西安市\"}\n"
    "{\"id\":\"P-902\",\"kind\":\"problem\",\"title\":\"PEM燃料電池電堆低溫啟動困難\","
    "\"description\":\"質子交換膜（PEM）燃料電池在零下30℃冷啟動時結冰，膜電極損傷；需要低溫啟動策略與抗凍膜電極。\","
    "\"keywords\":[\"PEM燃料电池\",\"冷启动\"],\"fields\":[\"新能源\"],\"region\":\"陕西省榆林市\"}\n"
    "{\"id\":\"A-901\",\"kind\":\"achievement\",\"title\":\"PEM燃料电池膜电极低铂催化层技术\","
    "\"abstract\":\"低铂载量催化层与增强型质子交换膜，PEM燃料电池电堆功率密度4.2kW/L，零下30℃冷启动。\","
    "\"keywords\":[\"PEM燃料电池\",\"膜电极\",\"冷启动\"],\"fields\":[\"新能源\"],\"region\":\"陕西省西安市\",\"maturity\":6,"
    "\"experts\":[\"E-901\"]}\n"
    "{\"id\":\"A-902\",\"kind\":\"achievement\",\"title\":\"5G基站液冷散熱機櫃\","
    "\"abstract\":\"面向5G基站的冷板式液冷機櫃，功放模組溫度降低18℃，基站能耗下降12%。\","
    "\"keywords\":[\"5G基站\",\"液冷\"],\"fields\":[\"电子信息\"],\"region\":\"陕西省咸阳市\",\"maturity\":7}\n"
    "{\"id\":\"A-903\",\"kind\":\"achievement\",\"title\":\"5G基站射频功放氮化镓器件\","
    "\"abstract\":\"GaN射频功放器件用于5G基站，效率提高8个百分点，散热需求下降。\","
    "\"keywords\":[\"5G基站\",\"氮化镓\"],\"fields\":[\"电子信息\",\"半导体\"],\"region\":\"陕西省西安市\",\"maturity\":5}\n"
    "{\"id\":\"E-901\",\"kind\":\"expert\",\"name\":\"周海燕\",\"research\":\"燃料电池膜电极\","
    "\"bio\":\"长期从事PEM燃料电池催化层研究。\",\"fields\":[\"新能源\"],\"region\":\"陕西省西安市\","
    "\"achievements\":[\"A-901\"]}\n";

static char *full_path;

static void die(lm_db *db, const char *what)
{
    fprintf(stderr, "%s: %s\n", what, db ? lm_errmsg(db) : "(no handle)");
    exit(1);
}

/* The whole database: the sample libraries and ours, with semantic vectors. */
static void make_full(void)
{
    full_path = strdup(lmt_tmp_path("full.db"));
    lm_db *db = NULL;
    if (lm_open(&db, full_path, 0) != LM_OK) die(db, "open");
    if (lm_synonyms_load_tsv(db, DATA "synonyms.tsv", NULL) != LM_OK) die(db, "synonyms");
    const char *files[] = { DATA "problems.jsonl", DATA "achievements.jsonl", DATA "experts.jsonl" };
    for (int i = 0; i < 3; i++)
        if (lm_load_jsonl(db, files[i], LM_LOAD_ATOMIC, NULL) != LM_OK) die(db, files[i]);
    if (lm_load_jsonl_buffer(db, extra, strlen(extra), LM_LOAD_ATOMIC, NULL) != LM_OK) die(db, "extra");
    /* 150 more achievements sharing the queries' words, so that a query has
       more candidates than keyword_match is read for (100) */
    static const char *a[] = { "5G基站", "PEM燃料电池", "碳化硅功率模块", "锂离子电池", "机器视觉", "數控機床" };
    static const char *b[] = { "散热", "冷启动", "封装", "热失控预警", "缺陷检测", "熱誤差補償", "能耗优化" };
    static const char *f[] = { "电子信息", "新能源", "半导体", "智能制造" };
    for (int i = 0; i < 150; i++) {
        char rec[1024];
        const char *x = a[i % 6], *y = b[(i / 6) % 7];
        snprintf(rec, sizeof rec, "{\"id\":\"A-G%03d\",\"kind\":\"achievement\",\"title\":\"%s%s关键技术（第%d代）\","
                 "\"abstract\":\"面向%s的%s方法，试验%d次，性能提升%d%%。\",\"keywords\":[\"%s\",\"%s\"],"
                 "\"fields\":[\"%s\"],\"region\":\"陕西省%s\",\"maturity\":%d}",
                 i, x, y, i % 5 + 1, x, y, i % 13 + 2, i % 40 + 5, x, i % 3 ? y : "样机", f[i % 4],
                 i % 2 ? "西安市" : "宝鸡市", i % 9 + 1);
        if (lm_put(db, rec, LM_NUL_TERMINATED) != LM_OK) die(db, rec);
    }
    if (lm_vectors_build(db, 32) != LM_OK) die(db, "vectors");
    lm_close(db);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b) { perror("copy"); exit(1); }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, n, b);
    fclose(a);
    fclose(b);
}

typedef struct { char **ids; int n; } idlist;

static int collect(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    idlist *l = ctx;
    l->ids = realloc(l->ids, sizeof *l->ids * (size_t)(l->n + 1));
    l->ids[l->n++] = strdup(id);
    return 0;
}

/* ns shards of the records of kind `to`: shard j keeps block j of their
   storage order and every record of the other kinds. */
static void make_shards(int to, int ns, lm_db **shards)
{
    for (int j = 0; j < ns; j++) {
        char name[64];
        snprintf(name, sizeof name, "shard-%d-%d-%d.db", to, ns, j);
        const char *path = lmt_tmp_path(name);
        copy_file(full_path, path);
        lm_db *db = NULL;
        if (lm_open(&db, path, 0) != LM_OK) die(db, "open shard");
        idlist l = {0};
        if (lm_scan(db, to, collect, &l) != LM_OK) die(db, "scan");
        int lo = l.n * j / ns, hi = l.n * (j + 1) / ns;
        if (ns == 3) {            /* lm_dfs_cut(), one transaction */
            if (lm_dfs_cut(db, to, lo, hi) != LM_OK) die(db, "cut");
            int64_t n = -1;
            lm_count(db, to, &n);
            CHECK_EQ_INT(n, hi - lo);
        }
        for (int i = 0; i < l.n; i++) {       /* record by record */
            if (ns != 3 && (i < lo || i >= hi) && lm_delete(db, to, l.ids[i]) != LM_OK) die(db, "delete");
            free(l.ids[i]);
        }
        free(l.ids);
        shards[j] = db;
    }
}

/* Give every shard the sum of their statistics of kind `to`. */
static void share_stats(lm_db **shards, int ns, int to)
{
    char *parts[MAXS], *merged = NULL;
    for (int j = 0; j < ns; j++)
        if (lm_stats_export(shards[j], to, &parts[j]) != LM_OK) die(shards[j], "stats export");
    if (lm_stats_merge(shards[0], (const char *const *)parts, ns, &merged) != LM_OK) die(shards[0], "stats merge");
    for (int j = 0; j < ns; j++) {
        if (lm_set_global_stats(shards[j], merged) != LM_OK) die(shards[j], "set stats");
        lm_free(parts[j]);
    }
    lm_free(merged);
}

enum { Q_STORED, Q_TEXT, Q_RECORD };

static int call(lm_db *db, int how, int from, const char *q, int to, const lm_opts *o, lm_results **out)
{
    switch (how) {
    case Q_STORED: return lm_match(db, from, q, to, o, out);
    case Q_TEXT: return lm_match_text(db, q, LM_NUL_TERMINATED, to, o, out);
    default: return lm_match_record(db, q, LM_NUL_TERMINATED, to, o, out);
    }
}

/* The query run on the shards in two phases and merged. */
static int distributed(lm_db **shards, int ns, int how, int from, const char *q, int to, lm_opts *o, lm_results **out)
{
    char *answers[MAXS];
    lm_results *r[MAXS] = {0};
    int rc = lm_opts_set_dfs(o, LM_DFS_PROBE, NULL);
    for (int j = 0; j < ns && !rc; j++) {
        if ((rc = call(shards[j], how, from, q, to, o, &r[j]))) { fprintf(stderr, "probe: %s\n", lm_errmsg(shards[j])); break; }
        answers[j] = (char *)lm_results_dfs(r[j]);
    }
    char *ctx = NULL;
    if (!rc && (rc = lm_dfs_context(shards[0], (const char *const *)answers, ns, &ctx)))
        fprintf(stderr, "context: %s\n", lm_errmsg(shards[0]));
    for (int j = 0; j < ns; j++) { lm_results_free(r[j]); r[j] = NULL; }
    if (!rc) rc = lm_opts_set_dfs(o, LM_DFS_SHARD, ctx);
    lm_free(ctx);
    for (int j = 0; j < ns && !rc; j++) {
        if ((rc = call(shards[j], how, from, q, to, o, &r[j]))) { fprintf(stderr, "shard: %s\n", lm_errmsg(shards[j])); break; }
        answers[j] = (char *)lm_results_dfs(r[j]);
    }
    if (!rc && (rc = lm_dfs_merge(shards[0], (const char *const *)answers, ns, o, out)))
        fprintf(stderr, "merge: %s\n", lm_errmsg(shards[0]));
    for (int j = 0; j < ns; j++) lm_results_free(r[j]);
    lm_opts_set_dfs(o, LM_DFS_OFF, NULL);
    return rc;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* a and b rank the same hits with the same bits; returns the hits compared. */
static int check_same(const lm_results *a, const lm_results *b, const char *what)
{
    int bad = 0;
    if (lm_results_count(a) != lm_results_count(b)) bad = 1;
    for (int i = 0; !bad && i < lm_results_count(a); i++) {
        bad |= strcmp(lm_result_id(a, i), lm_result_id(b, i)) != 0;
        bad |= !same_bits(lm_result_score(a, i), lm_result_score(b, i));
        bad |= !same_bits(lm_result_probability(a, i), lm_result_probability(b, i));
        bad |= strcmp(lm_result_label(a, i), lm_result_label(b, i)) != 0;
        bad |= lm_result_component_count(a, i) != lm_result_component_count(b, i);
        for (int j = 0; !bad && j < lm_result_component_count(a, i); j++)
            bad |= !same_bits(lm_result_component_value(a, i, j), lm_result_component_value(b, i, j));
        bad |= lm_result_term_count(a, i) != lm_result_term_count(b, i);
        bad |= lm_result_evidence_count(a, i) != lm_result_evidence_count(b, i);
        for (int j = 0; !bad && j < lm_result_evidence_count(a, i); j++)
            bad |= strcmp(lm_result_evidence_id(a, i, j), lm_result_evidence_id(b, i, j)) != 0 ||
                   !same_bits(lm_result_evidence_score(a, i, j), lm_result_evidence_score(b, i, j));
    }
    if (bad) {
        char *ja = NULL, *jb = NULL;
        lm_results_json(a, &ja);
        lm_results_json(b, &jb);
        fprintf(stderr, "  %s differs:\n  one database: %.1500s\n  shards:       %.1500s\n", what, ja, jb);
        lm_free(ja);
        lm_free(jb);
    }
    CHECK(!bad);
    return lm_results_count(a);
}

static int compare(lm_db *full, lm_db **shards, int ns, int how, int from, const char *q, int to, lm_opts *o)
{
    lm_results *a = NULL, *b = NULL;
    int rc = call(full, how, from, q, to, o, &a);
    CHECK_EQ_INT(rc, LM_OK);
    int rc2 = distributed(shards, ns, how, from, q, to, o, &b);
    CHECK_EQ_INT(rc2, LM_OK);
    int n = 0;
    if (!rc && !rc2) {
        char what[300];
        snprintf(what, sizeof what, "%d shards, to %s, query %.200s", ns, lm_kind_name(to), q);
        n = check_same(a, b, what);
    }
    lm_results_free(a);
    lm_results_free(b);
    return n;
}

static const char *texts[] = {
    "5G基站散热", "PEM燃料电池冷启动", "ＰＥＭ燃料電池，質子交換膜。", "碳化矽功率模組封裝散熱",
    "高功率激光 光学元件", "锂离子电池热失控预警", "无人机复合材料机翼",
};

/* Every problem and every text against every kind of candidate, on 2 and 3
   shards of that kind, with several option sets. */
static void test_equal_to_one_database(void)
{
    lm_db *full = NULL;
    if (lm_open(&full, full_path, LM_OPEN_READONLY) != LM_OK) die(full, "open full");
    idlist probs = {0}, achs = {0};
    lm_scan(full, LM_PROBLEM, collect, &probs);
    lm_scan(full, LM_ACHIEVEMENT, collect, &achs);
    int compared = 0, nonempty = 0;
    for (int to = LM_ACHIEVEMENT; to <= LM_EXPERT; to++) {
        for (int ns = 2; ns <= 3; ns++) {
            lm_db *shards[MAXS];
            make_shards(to, ns, shards);
            share_stats(shards, ns, to);
            for (int variant = 0; variant < 4; variant++) {
                lm_opts *o = NULL;
                lm_opts_new(&o);
                if (variant == 1) { lm_opts_set(o, "k", "5"); lm_opts_set(o, "offset", "2"); lm_opts_set(o, "candidates", "7"); }
                if (variant == 2) { lm_opts_set(o, "fusion", "weighted"); lm_opts_set(o, "min_probability", "0.05");
                                    lm_opts_set(o, "dense_candidates", "5"); lm_opts_set(o, "region", "陕西省"); }
                /* more hits than keyword_match is read for: the merge must read it
                   for the collection's best first-pass hits only */
                if (variant == 3) lm_opts_set(o, "k", "130");
                for (int i = 0; i < probs.n; i += (variant ? 3 : 1)) {
                    int n = compare(full, shards, ns, Q_STORED, LM_PROBLEM, probs.ids[i], to, o);
                    compared++;
                    nonempty += n > 0;
                }
                for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
                    nonempty += compare(full, shards, ns, Q_TEXT, 0, texts[t], to, o) > 0;
                    compared++;
                }
                if (to == LM_ACHIEVEMENT) {
                    /* Queries of the candidates' kind: the stored record as JSON; the
                       shard holding it leaves it out as lm_match() does. */
                    for (int i = 0; i < achs.n; i += 9) {
                        char *json = NULL;
                        lm_get(full, LM_ACHIEVEMENT, achs.ids[i], &json);
                        lm_results *a = NULL, *b = NULL;
                        CHECK_EQ_INT(lm_match(full, LM_ACHIEVEMENT, achs.ids[i], to, o, &a), LM_OK);
                        CHECK_EQ_INT(distributed(shards, ns, Q_RECORD, 0, json, to, o, &b), LM_OK);
                        if (a && b) nonempty += check_same(a, b, achs.ids[i]) > 0;
                        for (int h = 0; b && h < lm_results_count(b); h++) CHECK(strcmp(lm_result_id(b, h), achs.ids[i]) != 0);
                        lm_results_free(a);
                        lm_results_free(b);
                        lm_free(json);
                        compared++;
                    }
                }
                lm_opts_free(o);
            }
            for (int j = 0; j < ns; j++) lm_close(shards[j]);
        }
    }
    printf("# %d queries compared, %d with hits\n", compared, nonempty);
    CHECK(compared > 300);
    CHECK(nonempty > compared / 2);
    for (int i = 0; i < probs.n; i++) free(probs.ids[i]);
    for (int i = 0; i < achs.n; i++) free(achs.ids[i]);
    free(probs.ids);
    free(achs.ids);
    lm_close(full);
}


/* The latent topic, distributed: records without domain tags in the
   semantic space the loader keeps; the context carries the centroid of the
   collection's best hits, so the shards rank as one database to the bit. */
static void test_latent_topic_equal(void)
{
    static const char *w[2][6] = { { "小麦", "育种", "抗旱", "灌溉", "土壤", "产量" },
                                   { "锂电池", "热失控", "储能", "电站", "预警", "隔膜" } };
    size_t cap = 260 * 300, len = 0;
    char *buf = malloc(cap);
    for (int i = 0; i < 260; i++) {
        const char *const *t = w[i % 2];
        len += (size_t)snprintf(buf + len, cap - len,
                                "{\"id\":\"L%03d\",\"kind\":\"achievement\",\"title\":\"%s%s%s\",\"abstract\":\"%s与%s的方法%d\"}\n",
                                i, t[i % 6], t[(i / 2) % 6], t[(i / 3 + 1) % 6], t[(i / 5 + 2) % 6], t[(i / 7 + 3) % 6], i);
    }
    char *saved = full_path;
    full_path = strdup(lmt_tmp_path("latent-full.db"));
    lm_db *full = NULL;
    if (lm_open(&full, full_path, 0) != LM_OK) die(full, "open");
    CHECK_EQ_INT(lm_load_jsonl_buffer(full, buf, len, LM_LOAD_ATOMIC, NULL), LM_OK);   /* the loader's space */
    free(buf);
    lm_close(full);                                            /* checkpointed: the shards copy the file */
    if (lm_open(&full, full_path, LM_OPEN_READONLY) != LM_OK) die(full, "open");
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(full, "小麦抗旱", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    double lt = -1;
    for (int j = 0; r && lm_results_count(r) > 0 && j < lm_result_component_count(r, 0); j++)
        if (!strcmp(lm_result_component_name(r, 0, j), "latent_topic")) lt = lm_result_component_value(r, 0, j);
    CHECK(lt > 0.5);                                           /* the test exercises it */
    lm_results_free(r);
    static const char *q[] = { "小麦抗旱", "锂电池热失控预警", "土壤灌溉与储能电站", "抗旱育种" };
    for (int ns = 2; ns <= 3; ns++) {
        lm_db *shards[MAXS];
        make_shards(LM_ACHIEVEMENT, ns, shards);
        share_stats(shards, ns, LM_ACHIEVEMENT);
        for (int variant = 0; variant < 2; variant++) {
            lm_opts *o = NULL;
            lm_opts_new(&o);
            lm_opts_set(o, "k", variant ? "40" : "10");
            if (variant) lm_opts_set(o, "topic_docs", "4");
            for (size_t t = 0; t < sizeof q / sizeof q[0]; t++)
                CHECK(compare(full, shards, ns, Q_TEXT, 0, q[t], LM_ACHIEVEMENT, o) > 0);
            lm_opts_free(o);
        }
        for (int j = 0; j < ns; j++) lm_close(shards[j]);
    }
    lm_close(full);
    free(full_path);
    full_path = saved;
}

/* The merged statistics of the shards are those of the whole database, and
   a shard without them scores otherwise (the test can fail). */
static void test_stats_sum(void)
{
    lm_db *full = NULL, *shards[2];
    lm_open(&full, full_path, LM_OPEN_READONLY);
    make_shards(LM_ACHIEVEMENT, 2, shards);
    char *whole = NULL, *p[2], *merged = NULL, *again = NULL;
    CHECK_EQ_INT(lm_stats_export(full, LM_ACHIEVEMENT, &whole), LM_OK);
    lm_stats_export(shards[0], LM_ACHIEVEMENT, &p[0]);
    lm_stats_export(shards[1], LM_ACHIEVEMENT, &p[1]);
    CHECK(strcmp(p[0], whole) != 0);
    CHECK_EQ_INT(lm_stats_merge(full, (const char *const *)p, 2, &merged), LM_OK);
    /* the same counts as the whole: merge the whole alone and compare the two
       re-merged forms (term order follows the parts) */
    const char *one[1] = { whole };
    CHECK_EQ_INT(lm_stats_merge(full, one, 1, &again), LM_OK);
    CHECK_CONTAINS(merged, "\"records\":198");
    CHECK_CONTAINS(again, "\"records\":198");
    CHECK_CONTAINS(merged, "\"5g\"");
    CHECK_EQ_INT(strlen(merged), strlen(again));
    /* without the statistics a shard's BM25 differs from the whole's */
    lm_results *a = NULL, *b = NULL;
    lm_match_text(full, "PEM燃料电池", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &a);
    lm_db *holder = NULL;
    for (int j = 0; j < 2; j++) {
        lm_results *r = NULL;
        lm_match_text(shards[j], "PEM燃料电池", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r);
        if (lm_results_count(r) && !strcmp(lm_result_id(r, 0), lm_result_id(a, 0))) holder = shards[j];
        lm_results_free(r);
    }
    CHECK(holder != NULL);
    if (holder) {
        lm_match_text(holder, "PEM燃料电池", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &b);
        CHECK(!same_bits(lm_result_component_value(a, 0, 0), lm_result_component_value(b, 0, 0)));
        lm_results_free(b);
        CHECK_EQ_INT(lm_set_global_stats(holder, merged), LM_OK);
        lm_match_text(holder, "PEM燃料电池", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &b);
        CHECK(same_bits(lm_result_component_value(a, 0, 0), lm_result_component_value(b, 0, 0)));
        lm_results_free(b);
        CHECK_EQ_INT(lm_set_global_stats(holder, NULL), LM_OK);
    }
    lm_results_free(a);
    lm_free(whole); lm_free(p[0]); lm_free(p[1]); lm_free(merged); lm_free(again);
    lm_close(shards[0]);
    lm_close(shards[1]);
    lm_close(full);
}

static void test_errors(void)
{
    lm_db *db = NULL, *words = NULL;
    lm_open(&db, full_path, LM_OPEN_READONLY);
    char *good = NULL;
    lm_stats_export(db, LM_ACHIEVEMENT, &good);

    CHECK_EQ_INT(lm_set_global_stats(db, "{\"format\":"), LM_EJSON);
    CHECK_CONTAINS(lm_errmsg(db), "not JSON");
    CHECK_EQ_INT(lm_set_global_stats(db, "{\"format\":\"libmatch-stats/9\"}"), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "\"format\"");
    const char *bad_len = "{\"format\":\"libmatch-stats/1\",\"analyzer\":\"x\",\"kinds\":{\"achievement\":"
                          "{\"records\":3,\"rows\":3,\"lengths\":\"长\",\"terms\":{}}}}";
    CHECK_EQ_INT(lm_set_global_stats(db, bad_len), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "\"lengths\"");
    const char *bad_df = "{\"format\":\"libmatch-stats/1\",\"analyzer\":\"x\",\"kinds\":{\"achievement\":"
                         "{\"records\":3,\"rows\":3,\"lengths\":[1,2,3,4],\"terms\":{\"基站\":-2}}}}";
    CHECK_EQ_INT(lm_set_global_stats(db, bad_df), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "基站");
    const char *bad_kind = "{\"format\":\"libmatch-stats/1\",\"analyzer\":\"x\",\"kinds\":{\"专家\":{}}}";
    CHECK_EQ_INT(lm_set_global_stats(db, bad_kind), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "unknown kind \"专家\"");
    const char *bad_records = "{\"format\":\"libmatch-stats/1\",\"analyzer\":\"x\",\"kinds\":{\"problem\":"
                              "{\"records\":1.5}}}";
    CHECK_EQ_INT(lm_set_global_stats(db, bad_records), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "\"records\"");

    /* statistics of another analyzer mode: refused, naming both */
    lm_open(&words, ":memory:", 0);
    lm_set_analyzer_mode(words, LM_ANALYZE_WORDS);
    lm_load_jsonl_buffer(words, extra, strlen(extra), LM_LOAD_ATOMIC, NULL);
    char *other = NULL;
    CHECK_EQ_INT(lm_stats_export(words, 0, &other), LM_OK);
    CHECK_EQ_INT(lm_set_global_stats(db, other), LM_EMISMATCH);
    CHECK_CONTAINS(lm_errmsg(db), "analyzer");
    const char *mix[2] = { good, other };
    char *m = NULL;
    CHECK_EQ_INT(lm_stats_merge(db, mix, 2, &m), LM_EMISMATCH);
    CHECK_CONTAINS(lm_errmsg(db), "part 2");
    CHECK(m == NULL);
    const char *badpart[2] = { good, "[1,2]" };
    CHECK_EQ_INT(lm_stats_merge(db, badpart, 2, &m), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "part 2");
    CHECK_EQ_INT(lm_set_global_stats(db, good), LM_OK);

    /* phases and options */
    lm_opts *o = NULL;
    lm_opts_new(&o);
    CHECK_EQ_INT(lm_opts_set_dfs(o, 7, NULL), LM_ERANGE);
    CHECK_CONTAINS(lm_opts_errmsg(o), "phase 7");
    CHECK_EQ_INT(lm_opts_set_dfs(o, LM_DFS_SHARD, NULL), LM_EINVAL);
    CHECK_CONTAINS(lm_opts_errmsg(o), "lm_dfs_context");
    lm_results *r = NULL;
    lm_opts_set_dfs(o, LM_DFS_PROBE, NULL);
    lm_opts_set(o, "fusion", "rrf");
    CHECK_EQ_INT(lm_match_text(db, "5G基站", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "'fusion'");
    lm_opts_set(o, "fusion", "model");
    lm_opts_set(o, "prf_docs", "5");
    CHECK_EQ_INT(lm_match_text(db, "5G基站", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "'prf_docs'");
    lm_opts_set(o, "prf_docs", "0");
    CHECK_EQ_INT(lm_match_text(db, "5G基站", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    char *probe = strdup(lm_results_dfs(r) ? lm_results_dfs(r) : "");
    CHECK_CONTAINS(probe, "libmatch-dfs-probe/1");
    CHECK_EQ_INT(lm_results_count(r), 0);
    char *ctx = NULL;
    CHECK_EQ_INT(lm_dfs_context(db, (const char *const *)&probe, 1, &ctx), LM_OK);
    const char *two[2] = { probe, "{\"format\":\"libmatch-dfs-probe/1\",\"to\":\"expert\"}" };
    char *ctx2 = NULL;
    CHECK_EQ_INT(lm_dfs_context(db, two, 2, &ctx2), LM_EMISMATCH);
    CHECK_CONTAINS(lm_errmsg(db), "part 2: \"to\"");
    lm_results_free(r);
    r = NULL;
    /* a context for achievements used for experts; a malformed one */
    lm_opts_set_dfs(o, LM_DFS_SHARD, ctx);
    CHECK_EQ_INT(lm_match_text(db, "5G基站", LM_NUL_TERMINATED, LM_EXPERT, o, &r), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "\"to\"");
    lm_opts_set_dfs(o, LM_DFS_SHARD, "{\"format\":\"libmatch-dfs-context/1\",\"to\":\"achievement\",\"bm25_cut\":\"x\"}");
    CHECK_EQ_INT(lm_match_text(db, "5G基站", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "\"bm25_cut\"");
    lm_opts_set_dfs(o, LM_DFS_SHARD, ctx);
    CHECK_EQ_INT(lm_match_text(db, "5G基站", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    const char *part = lm_results_dfs(r);
    CHECK_CONTAINS(part, "libmatch-dfs-part/1");
    lm_results *merged = NULL;
    const char *dup[2] = { part, part };
    CHECK_EQ_INT(lm_dfs_merge(db, dup, 2, o, &merged), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "overlap");
    lm_results *r2 = NULL;
    CHECK_EQ_INT(lm_match_text(db, "PEM燃料电池", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r2), LM_OK);
    const char *mixed[2] = { part, lm_results_dfs(r2) };
    CHECK_EQ_INT(lm_dfs_merge(db, mixed, 2, o, &merged), LM_EMISMATCH);     /* parts of two queries */
    CHECK_CONTAINS(lm_errmsg(db), "part 2: \"query_terms\"");
    lm_results_free(r2);
    CHECK_EQ_INT(lm_dfs_merge(db, (const char *const *)&probe, 1, o, &merged), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "\"format\"");
    CHECK(merged == NULL);
    CHECK_EQ_INT(lm_dfs_cut(db, LM_ACHIEVEMENT, 0, 3), LM_ESTATE);        /* read-only */
    CHECK_EQ_INT(lm_dfs_cut(words, LM_ACHIEVEMENT, 3, 2), LM_ERANGE);
    CHECK_EQ_INT(lm_dfs_cut(words, 9, 0, 1), LM_EINVAL);
    float v[4] = { 1, 0, 0, 0 };
    lm_results *vr = NULL;
    CHECK_EQ_INT(lm_match_vector(db, "m", v, 4, LM_ACHIEVEMENT, o, &vr), LM_EINVAL);
    lm_results_free(r);
    free(probe);
    lm_free(ctx);
    lm_opts_free(o);
    lm_free(good);
    lm_free(other);
    lm_close(words);
    lm_close(db);
}

int main(void)
{
    lmt_tmpdir_init("dfs");
    make_full();
    RUN(test_stats_sum);
    RUN(test_errors);
    RUN(test_equal_to_one_database);
    RUN(test_latent_topic_equal);
    free(full_path);
    return lmt_done();
}
