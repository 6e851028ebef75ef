/*
** test_api.c -- the public C API: records, errors, bulk loading, matching in
** every direction, filters, weights, persistence, analyzer identity.
*/
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "analysis.h"
#include "util.h"
#include "tokenizer.h"   /* internal: to check the FTS5 index from a raw connection */
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

#define tmp_path lmt_tmp_path

static void write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fputs(data, f);
    fclose(f);
}

/* A small library: two topics (SiC power devices, lithium battery safety),
   one agriculture record, traditional-script variants. */
static const char *records[] = {
    "{\"id\":\"P1\",\"kind\":\"problem\",\"title\":\"碳化硅功率器件封装散热难题\","
    "\"description\":\"我公司生产新能源汽车电机控制器，碳化硅MOSFET模块在高温下封装热阻过大，需要低热阻封装与散热方案。\","
    "\"keywords\":[\"碳化硅\",\"功率模块\",\"封装散热\"],\"fields\":[\"半导体\",\"新能源汽车\"],"
    "\"region\":\"陕西省西安市\",\"org\":\"西安某电驱公司\",\"meta\":{\"budget_wan\":80,\"big\":12345678901234567890}}",
    "{\"id\":\"P2\",\"kind\":\"problem\",\"title\":\"储能电站锂离子电池热失控预警\","
    "\"description\":\"储能电站电池簇在充放电过程中存在热失控风险，需要早期预警与抑制技术。\","
    "\"keywords\":[\"热失控\",\"储能\",\"锂离子电池\"],\"fields\":[\"新能源\"],\"region\":\"陕西省榆林市\"}",
    "{\"id\":\"P3\",\"kind\":\"problem\",\"title\":\"猕猴桃溃疡病绿色防控\","
    "\"description\":\"周至县猕猴桃果园溃疡病高发，需要生物防治药剂与监测方法。\","
    "\"keywords\":[\"猕猴桃\",\"溃疡病\"],\"fields\":[\"现代农业\"],\"region\":\"陕西省西安市\"}",
    "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"低热阻碳化硅功率模块封装技术\","
    "\"abstract\":\"采用银烧结与双面散热结构，碳化硅MOSFET功率模块热阻降低40%，适用于新能源汽车电机控制器。\","
    "\"keywords\":[\"碳化硅\",\"银烧结\",\"双面散热\"],\"fields\":[\"半导体\"],\"region\":\"陕西省西安市\","
    "\"org\":\"西安电子科技大学\",\"maturity\":7,\"experts\":[\"E1\"]}",
    "{\"id\":\"A2\",\"kind\":\"achievement\",\"title\":\"锂离子电池热失控早期预警系统\","
    "\"abstract\":\"基于气体传感与温度场监测，在热失控发生前10分钟发出预警，已在储能电站示范应用。\","
    "\"keywords\":[\"热失控\",\"气体传感\",\"储能\"],\"fields\":[\"新能源\"],\"region\":\"陕西省西安市\","
    "\"org\":\"西安交通大学\",\"maturity\":6,\"experts\":[\"E2\"]}",
    "{\"id\":\"A3\",\"kind\":\"achievement\",\"title\":\"猕猴桃溃疡病生防菌剂\","
    "\"abstract\":\"筛选拮抗细菌制成生防菌剂，田间防效达75%以上。\",\"keywords\":[\"猕猴桃\",\"生物防治\"],"
    "\"fields\":[\"现代农业\"],\"region\":\"陕西省杨凌示范区\",\"org\":\"西北农林科技大学\",\"maturity\":5,\"experts\":[\"E3\"]}",
    "{\"id\":\"A4\",\"kind\":\"achievement\",\"title\":\"碳化矽功率元件燒結封裝\","
    "\"abstract\":\"以銀燒結接合降低碳化矽晶片的熱阻。\",\"keywords\":[\"碳化矽\"],\"fields\":[\"半导体\"],"
    "\"region\":\"江苏省苏州市\",\"maturity\":3}",
    "{\"id\":\"E1\",\"kind\":\"expert\",\"name\":\"张伟\",\"research\":\"宽禁带半导体功率器件封装\","
    "\"bio\":\"长期从事碳化硅功率模块封装与热管理研究。\",\"keywords\":[\"碳化硅\",\"封装\"],"
    "\"fields\":[\"半导体\"],\"region\":\"陕西省西安市\",\"org\":\"西安电子科技大学\",\"achievements\":[\"A1\"]}",
    "{\"id\":\"E2\",\"kind\":\"expert\",\"name\":\"李娜\",\"research\":\"储能电池安全与热失控\","
    "\"bio\":\"研究锂离子电池热失控机理与预警。\",\"keywords\":[\"热失控\",\"电池安全\"],"
    "\"fields\":[\"新能源\"],\"region\":\"陕西省西安市\",\"achievements\":[\"A2\"]}",
    "{\"id\":\"E3\",\"kind\":\"expert\",\"name\":\"王强\",\"research\":\"果树病害生物防治\","
    "\"bio\":\"从事猕猴桃溃疡病防控研究二十年。\",\"keywords\":[\"猕猴桃\",\"溃疡病\"],"
    "\"fields\":[\"现代农业\"],\"region\":\"陕西省杨凌示范区\",\"achievements\":[\"A3\"]}",
};
#define NREC ((int)(sizeof records / sizeof records[0]))

static lm_db *open_fresh(const char *name)
{
    const char *p = tmp_path(name);
    char buf[600];
    unlink(p);
    snprintf(buf, sizeof buf, "%s-wal", p); unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", p); unlink(buf);
    lm_db *db = NULL;
    int rc = lm_open(&db, p, 0);
    if (rc) { fprintf(stderr, "open %s: %s\n", p, lm_errmsg(db)); exit(1); }
    return db;
}

static lm_db *open_loaded(const char *name)
{
    lm_db *db = open_fresh(name);
    for (int i = 0; i < NREC; i++)
        if (lm_put(db, records[i], LM_NUL_TERMINATED) != LM_OK) {
            fprintf(stderr, "put %d: %s\n", i, lm_errmsg(db));
            exit(1);
        }
    return db;
}

static const char *top_id(lm_results *r) { return lm_results_count(r) ? lm_result_id(r, 0) : "(none)"; }

static int64_t count(lm_db *db, int kind)
{
    int64_t n = -1;
    lm_count(db, kind, &n);
    return n;
}

/* ---- basics -------------------------------------------------------------- */

static void test_version(void)
{
    CHECK_STR(lm_version(), LM_VERSION_STRING);
    CHECK_EQ_INT(lm_version_number(), LM_VERSION_NUMBER);
    CHECK_EQ_INT(LM_VERSION_NUMBER, LM_VERSION_MAJOR * 10000 + LM_VERSION_MINOR * 100 + LM_VERSION_PATCH);
    CHECK_STR(lm_errstr(LM_OK), "not an error");
    CHECK_STR(lm_errstr(LM_ENOTFOUND), "not found");
    CHECK_STR(lm_errstr(9999), "unknown status code");
    for (int c = 0; c <= LM_ESTATE; c++) CHECK(strcmp(lm_errstr(c), "unknown status code") != 0);
    CHECK_STR(lm_kind_name(LM_PROBLEM), "problem");
    CHECK_STR(lm_kind_name(LM_EXPERT), "expert");
    CHECK(lm_kind_name(0) == NULL && lm_kind_name(4) == NULL);
    CHECK_EQ_INT(lm_kind_from_name("achievement"), LM_ACHIEVEMENT);
    CHECK_EQ_INT(lm_kind_from_name("Achievement"), 0);
    CHECK_EQ_INT(lm_kind_from_name(NULL), 0);
    CHECK_EQ_INT(lm_close(NULL), LM_OK);
    lm_results_free(NULL); lm_report_free(NULL); lm_opts_free(NULL); lm_tokens_free(NULL); lm_free(NULL);
    CHECK_STR(lm_errmsg(NULL), "no database handle (NULL)");
}

static void test_put_get_roundtrip(void)
{
    lm_db *db = open_loaded("roundtrip.db");
    CHECK_EQ_INT(count(db, LM_PROBLEM), 3);
    CHECK_EQ_INT(count(db, LM_ACHIEVEMENT), 4);
    CHECK_EQ_INT(count(db, LM_EXPERT), 3);
    CHECK_EQ_INT(count(db, 0), NREC);
    int64_t n;
    CHECK_EQ_INT(lm_count(db, 7, &n), LM_EINVAL);
    char *js = NULL;
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "P1", &js), LM_OK);
    CHECK_STR(js, records[0]);   /* verbatim, meta's big integer included */
    lm_free(js);
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "nope", &js), LM_ENOTFOUND);
    CHECK(js == NULL);
    CHECK_CONTAINS(lm_errmsg(db), "nope");
    CHECK_EQ_INT(lm_get(db, LM_ACHIEVEMENT, "P1", &js), LM_ENOTFOUND);  /* ids are per kind */
    CHECK_EQ_INT(lm_get(db, 0, "P1", &js), LM_EINVAL);
    /* The same id in two kinds is two records. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"P1\",\"kind\":\"expert\",\"name\":\"同名\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(count(db, LM_EXPERT), 4);
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "P1", &js), LM_OK);
    CHECK_STR(js, records[0]);
    lm_free(js);
    /* SQL inside ids and text is just text. */
    const char *evil = "{\"id\":\"x'); DROP TABLE record;--\",\"kind\":\"problem\",\"title\":\"SELECT * FROM record; 碳化硅\"}";
    CHECK_EQ_INT(lm_put(db, evil, LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "x'); DROP TABLE record;--", &js), LM_OK);
    CHECK_STR(js, evil);
    lm_free(js);
    CHECK_EQ_INT(count(db, 0), NREC + 2);
    lm_close(db);
}

/* Every bad record fails with a precise message and changes nothing. */
static void test_bad_records(void)
{
    lm_db *db = open_loaded("bad.db");
    static const struct { const char *json; int code; const char *in_msg; } bad[] = {
        {"{\"id\":\"B1\",\"kind\":\"problem\",\"title\":\"x\"", LM_EJSON, "malformed JSON"},
        {"[1,2]", LM_ERECORD, "expected a JSON object"},
        {"{\"kind\":\"problem\",\"title\":\"无id\"}", LM_ERECORD, "'id'"},
        {"{\"id\":\"\",\"kind\":\"problem\"}", LM_ERECORD, "must not be empty"},
        {"{\"id\":7,\"kind\":\"problem\"}", LM_ERECORD, "field 'id': expected a string"},
        {"{\"id\":\"B2\",\"title\":\"无kind\"}", LM_ERECORD, "record 'B2': field 'kind': missing"},
        {"{\"id\":\"B3\",\"kind\":\"patent\"}", LM_ERECORD, "'patent' is not"},
        {"{\"id\":\"B4\",\"kind\":\"problem\",\"color\":\"red\"}", LM_ERECORD, "record 'B4': field 'color': unknown field"},
        {"{\"id\":\"B5\",\"kind\":\"problem\",\"abstract\":\"x\"}", LM_ERECORD, "field 'abstract': not a field of a problem"},
        {"{\"id\":\"B6\",\"kind\":\"problem\",\"keywords\":\"碳化硅\"}", LM_ERECORD, "field 'keywords': expected an array"},
        {"{\"id\":\"B7\",\"kind\":\"problem\",\"keywords\":[\"a\",3]}", LM_ERECORD, "item 2"},
        {"{\"id\":\"B8\",\"kind\":\"achievement\",\"maturity\":10}", LM_ERECORD, "field 'maturity'"},
        {"{\"id\":\"B9\",\"kind\":\"achievement\",\"maturity\":3.5}", LM_ERECORD, "field 'maturity'"},
        {"{\"id\":\"B10\",\"kind\":\"achievement\",\"maturity\":\"7\"}", LM_ERECORD, "field 'maturity'"},
        {"{\"id\":\"B11\",\"kind\":\"problem\",\"title\":\"a\\u0000b\"}", LM_EINVAL_UTF8, "NUL"},
        {"{\"id\":\"B12\",\"kind\":\"problem\",\"title\":\"\\ud800\"}", LM_EJSON, "malformed"},
        {"{\"id\":\"B13\",\"kind\":\"problem\"} trailing", LM_EJSON, "after the JSON object"},
        {"{\"id\":\"B14\",\"kind\":\"problem\",\"title\":\"a\",\"title\":\"b\"}", LM_ERECORD, "appears twice"},
        {"{\"id\":\"B15\",\"kind\":\"expert\",\"achievements\":[\"\"]}", LM_ERECORD, "field 'achievements'"},
        {"{\"id\":\"B16\",\"kind\":\"problem\",\"region\":5}", LM_ERECORD, "field 'region'"},
        {"", LM_EJSON, "malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = lm_put(db, bad[i].json, LM_NUL_TERMINATED);
        if (rc != bad[i].code || !strstr(lm_errmsg(db), bad[i].in_msg))
            fprintf(stderr, "  case %zu: rc=%d msg=%s\n", i, rc, lm_errmsg(db));
        CHECK_EQ_INT(rc, bad[i].code);
        CHECK_CONTAINS(lm_errmsg(db), bad[i].in_msg);
        CHECK_EQ_INT(lm_errcode(db), bad[i].code);
    }
    /* Invalid UTF-8 bytes and an embedded NUL (explicit length). */
    const char inv[] = "{\"id\":\"U1\",\"kind\":\"problem\",\"title\":\"\xe7\xa2\"}";
    CHECK_EQ_INT(lm_put(db, inv, LM_NUL_TERMINATED), LM_EINVAL_UTF8);
    CHECK_CONTAINS(lm_errmsg(db), "byte offset");
    const char nul[] = "{\"id\":\"U2\",\"kind\":\"problem\",\"title\":\"a\0b\"}";
    CHECK_EQ_INT(lm_put(db, nul, sizeof nul - 1), LM_EINVAL_UTF8);
    const char overlong[] = "{\"id\":\"U3\",\"kind\":\"problem\",\"title\":\"\xc0\xaf\"}";
    CHECK_EQ_INT(lm_put(db, overlong, LM_NUL_TERMINATED), LM_EINVAL_UTF8);
    const char surrogate[] = "{\"id\":\"U4\",\"kind\":\"problem\",\"title\":\"\xed\xa0\x80\"}";
    CHECK_EQ_INT(lm_put(db, surrogate, LM_NUL_TERMINATED), LM_EINVAL_UTF8);
    /* Limits: a too long id, a too big field, too deep JSON, too many items. */
    char *big = malloc(LM_MAX_FIELD_BYTES + 200);
    int n = sprintf(big, "{\"id\":\"");
    memset(big + n, 'i', LM_MAX_ID_BYTES + 1);
    n += LM_MAX_ID_BYTES + 1;
    sprintf(big + n, "\",\"kind\":\"problem\"}");
    CHECK_EQ_INT(lm_put(db, big, LM_NUL_TERMINATED), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "field 'id'");
    n = sprintf(big, "{\"id\":\"T1\",\"kind\":\"problem\",\"description\":\"");
    memset(big + n, 'a', LM_MAX_FIELD_BYTES + 1);
    n += LM_MAX_FIELD_BYTES + 1;
    sprintf(big + n, "\"}");
    CHECK_EQ_INT(lm_put(db, big, LM_NUL_TERMINATED), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "record 'T1': field 'description'");
    n = sprintf(big, "{\"id\":\"T2\",\"kind\":\"problem\",\"meta\":");
    for (int i = 0; i < 100; i++) big[n++] = '[';
    for (int i = 0; i < 100; i++) big[n++] = ']';
    sprintf(big + n, "}");
    CHECK_EQ_INT(lm_put(db, big, LM_NUL_TERMINATED), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "nested deeper");
    n = sprintf(big, "{\"id\":\"T3\",\"kind\":\"problem\",\"keywords\":[");
    for (int i = 0; i <= LM_MAX_LIST_ITEMS; i++) n += sprintf(big + n, "%s\"k\"", i ? "," : "");
    sprintf(big + n, "]}");
    CHECK_EQ_INT(lm_put(db, big, LM_NUL_TERMINATED), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "field 'keywords'");
    free(big);
    CHECK_EQ_INT(lm_put(db, NULL, 0), LM_EINVAL);
    CHECK_EQ_INT(lm_put(NULL, records[0], LM_NUL_TERMINATED), LM_EINVAL);
    /* Nothing stored or lost. */
    CHECK_EQ_INT(count(db, 0), NREC);
    char *js = NULL;
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "P1", &js), LM_OK);
    lm_free(js);
    lm_close(db);
}

/* ---- bulk loading -------------------------------------------------------- */

static void test_load_jsonl(void)
{
    lm_db *db = open_fresh("load.db");
    const char *good = tmp_path("good.jsonl");
    char buf[8192] = "";
    for (int i = 0; i < NREC; i++) { strcat(buf, records[i]); strcat(buf, i == 3 ? "\r\n\n" : "\n"); }
    buf[strlen(buf) - 1] = 0;                   /* no final newline */
    write_file(good, buf);
    lm_report *rep = NULL;
    CHECK_EQ_INT(lm_load_jsonl(db, good, LM_LOAD_ATOMIC, &rep), LM_OK);
    CHECK_EQ_INT(lm_report_loaded(rep), NREC);
    CHECK_EQ_INT(lm_report_skipped(rep), 0);
    CHECK_EQ_INT(lm_report_error_count(rep), 0);
    lm_report_free(rep);
    CHECK_EQ_INT(count(db, 0), NREC);

    /* Lines 2 and 4 are bad. */
    const char *mixed = tmp_path("mixed.jsonl");
    write_file(mixed,
        "{\"id\":\"N1\",\"kind\":\"problem\",\"title\":\"新问题一\"}\n"
        "{\"id\":\"N2\",\"kind\":\"problem\",\"title\":5}\n"
        "\n"
        "{\"id\":\"N3\",\"kind\":\"problem\",\"title\":\"新问题三\"\n"
        "{\"id\":\"N4\",\"kind\":\"expert\",\"name\":\"赵六\"}\n");
    CHECK_EQ_INT(lm_load_jsonl(db, mixed, LM_LOAD_ATOMIC, &rep), LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "mixed.jsonl line 2");
    CHECK_CONTAINS(lm_errmsg(db), "record 'N2': field 'title'");
    CHECK_EQ_INT(lm_report_loaded(rep), 0);
    CHECK_EQ_INT(lm_report_error_count(rep), 1);
    CHECK_EQ_INT(lm_report_error_line(rep, 0), 2);
    CHECK_STR(lm_report_error_id(rep, 0), "N2");
    lm_report_free(rep);
    CHECK_EQ_INT(count(db, 0), NREC);           /* rolled back: N1 not stored */

    CHECK_EQ_INT(lm_load_jsonl(db, mixed, LM_LOAD_SKIP_BAD, &rep), LM_OK);
    CHECK_EQ_INT(lm_report_loaded(rep), 2);
    CHECK_EQ_INT(lm_report_skipped(rep), 2);
    CHECK_EQ_INT(lm_report_error_count(rep), 2);
    CHECK_EQ_INT(lm_report_error_line(rep, 0), 2);
    CHECK_EQ_INT(lm_report_error_line(rep, 1), 4);
    CHECK_STR(lm_report_error_id(rep, 1), "");     /* unparseable: id unknown */
    CHECK_CONTAINS(lm_report_error_reason(rep, 1), "malformed JSON");
    CHECK(lm_report_error_reason(rep, 2) == NULL);
    char *js = NULL;
    CHECK_EQ_INT(lm_report_json(rep, &js), LM_OK);
    CHECK_CONTAINS(js, "\"loaded\":2");
    CHECK_CONTAINS(js, "\"line\":4");
    lm_free(js);
    lm_report_free(rep);
    CHECK_EQ_INT(count(db, 0), NREC + 2);

    /* Empty file, missing file, bad policy, buffer. */
    const char *empty = tmp_path("empty.jsonl");
    write_file(empty, "");
    CHECK_EQ_INT(lm_load_jsonl(db, empty, LM_LOAD_ATOMIC, &rep), LM_OK);
    CHECK_EQ_INT(lm_report_loaded(rep), 0);
    lm_report_free(rep);
    CHECK_EQ_INT(lm_load_jsonl(db, tmp_path("missing.jsonl"), LM_LOAD_ATOMIC, &rep), LM_EIO);
    CHECK(rep == NULL);
    CHECK_CONTAINS(lm_errmsg(db), "missing.jsonl");
    CHECK_EQ_INT(lm_load_jsonl(db, good, 7, NULL), LM_EINVAL);
    const char *dup = "{\"id\":\"D1\",\"kind\":\"problem\",\"title\":\"第一版\"}\n"
                      "{\"id\":\"D1\",\"kind\":\"problem\",\"title\":\"第二版\"}";
    CHECK_EQ_INT(lm_load_jsonl_buffer(db, dup, strlen(dup), LM_LOAD_ATOMIC, NULL), LM_OK);
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "D1", &js), LM_OK);
    CHECK_CONTAINS(js, "第二版");              /* the later line wins */
    lm_free(js);
    lm_close(db);
}

/* ---- matching ------------------------------------------------------------ */

static void test_six_directions(void)
{
    lm_db *db = open_loaded("six.db");
    static const struct { int from; const char *id; int to; const char *expect; } cases[] = {
        {LM_PROBLEM, "P1", LM_ACHIEVEMENT, "A1"},
        {LM_PROBLEM, "P2", LM_ACHIEVEMENT, "A2"},
        {LM_PROBLEM, "P3", LM_ACHIEVEMENT, "A3"},
        {LM_PROBLEM, "P1", LM_EXPERT, "E1"},
        {LM_PROBLEM, "P2", LM_EXPERT, "E2"},
        {LM_PROBLEM, "P3", LM_EXPERT, "E3"},
        {LM_ACHIEVEMENT, "A1", LM_PROBLEM, "P1"},
        {LM_ACHIEVEMENT, "A2", LM_PROBLEM, "P2"},
        {LM_ACHIEVEMENT, "A2", LM_EXPERT, "E2"},
        {LM_ACHIEVEMENT, "A3", LM_EXPERT, "E3"},
        {LM_EXPERT, "E1", LM_PROBLEM, "P1"},
        {LM_EXPERT, "E3", LM_PROBLEM, "P3"},
        {LM_EXPERT, "E1", LM_ACHIEVEMENT, "A1|A4"},     /* both SiC packaging; A4's one keyword is named */
        {LM_EXPERT, "E2", LM_ACHIEVEMENT, "A2"},
        {LM_ACHIEVEMENT, "A1", LM_ACHIEVEMENT, "A4"},  /* same kind: itself excluded */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lm_results *r = NULL;
        int rc = lm_match(db, cases[i].from, cases[i].id, cases[i].to, NULL, &r);
        if (rc) fprintf(stderr, "  %s\n", lm_errmsg(db));
        CHECK_EQ_INT(rc, LM_OK);
        char want[32];
        snprintf(want, sizeof want, "|%s|", cases[i].expect);
        char got[32];
        snprintf(got, sizeof got, "|%s|", top_id(r));
        if (!strstr(want, got))
            fprintf(stderr, "  %s %s -> %s: got %s\n", lm_kind_name(cases[i].from), cases[i].id,
                    lm_kind_name(cases[i].to), top_id(r));
        CHECK(strstr(want, got) != NULL);
        for (int j = 0; j < lm_results_count(r); j++) {
            CHECK_EQ_INT(lm_result_kind(r, j), cases[i].to);
            CHECK(strcmp(lm_result_id(r, j), cases[i].id) != 0 || cases[i].from != cases[i].to);
            if (j) CHECK(lm_result_score(r, j - 1) >= lm_result_score(r, j));
        }
        lm_results_free(r);
    }
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "nope", LM_ACHIEVEMENT, NULL, &r), LM_ENOTFOUND);
    CHECK(r == NULL);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", 9, NULL, &r), LM_EINVAL);
    lm_close(db);
}

static double component(lm_results *r, int i, const char *name)
{
    for (int j = 0; j < lm_result_component_count(r, i); j++)
        if (!strcmp(lm_result_component_name(r, i, j), name)) return lm_result_component_value(r, i, j);
    return -1;
}

static int has_term(lm_results *r, int i, const char *t)
{
    for (int j = 0; j < lm_result_term_count(r, i); j++)
        if (!strcmp(lm_result_term(r, i, j), t)) return 1;
    return 0;
}

/* The option registry's default of a number option. */
static double registry_default(int key)
{
    double d = -1;
    lm_opt_bounds(key, &d, NULL, NULL);
    return d;
}

static void test_explanations_and_json(void)
{
    lm_db *db = open_loaded("explain.db");
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) >= 2);
    CHECK_STR(top_id(r), "A1");
    /* bm25 is a share of the query's maximum, not of the best hit's. */
    double bm25 = component(r, 0, "bm25");
    CHECK(bm25 > 0.05 && bm25 < 1.0);
    CHECK(component(r, 0, "bm25_raw") > 0);
    CHECK(component(r, 0, "fields") == 0.5);                /* 半导体 of 半导体, 新能源汽车 */
    CHECK(component(r, 0, "region") == 1.0);                /* same city */
    CHECK(component(r, 0, "maturity") > 0.77 && component(r, 0, "maturity") < 0.78);
    CHECK(has_term(r, 0, "碳化硅"));
    CHECK(lm_result_term_count(r, 0) >= 3);
    /* 半导体 gets most of the vote of the best hits (A1, A4), but their
       votes are weak next to a full-strength one: topic is a share of
       those votes plus one. */
    CHECK(component(r, 0, "topic") > 0.1 && component(r, 0, "topic") < 0.5);
    CHECK(component(r, 0, "evidence") == 0);
    CHECK(component(r, 0, "keyword_match") == 0.25);      /* 碳化硅 of 3 keywords: 1 / (3 + 1) */
    CHECK(component(r, 0, "coverage") > 0 && component(r, 0, "coverage") <= 1.0);
    /* The query's context, the same on every hit: the winning tag's share
       of the vote (the largest topic any hit has) and the best bm25. */
    double tmax = 0, bmax = 0;
    for (int i = 0; i < lm_results_count(r); i++) {
        if (component(r, i, "topic") > tmax) tmax = component(r, i, "topic");
        if (component(r, i, "bm25") > bmax) bmax = component(r, i, "bm25");
    }
    CHECK(tmax > 0 && bmax > 0);
    for (int i = 0; i < lm_results_count(r); i++) {
        CHECK(component(r, i, "topic_best") == tmax);
        CHECK(component(r, i, "bm25_best") == bmax);
    }
    /* Turning topic off turns its context off too (the gate follows it). */
    {
        lm_opts *o = NULL;
        lm_results *r0 = NULL;
        CHECK_EQ_INT(lm_opts_new(&o), LM_OK);
        CHECK_EQ_INT(lm_opts_set(o, "w_topic", "0"), LM_OK);
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, o, &r0), LM_OK);
        CHECK(lm_results_count(r0) > 0 && component(r0, 0, "topic_best") == 0 && component(r0, 0, "topic") == 0);
        CHECK(component(r0, 0, "bm25_best") == bmax);
        lm_results_free(r0);
        lm_opts_free(o);
    }
    /* The default fusion: the score is the match probability. */
    double p = lm_result_probability(r, 0);
    CHECK(p > 0.5 && p < 1.0);
    CHECK(lm_result_score(r, 0) == p);
    for (int i = 1; i < lm_results_count(r); i++) CHECK(lm_result_probability(r, i) <= lm_result_probability(r, i - 1));
    CHECK(lm_result_probability(r, 99) == 0);
    CHECK(lm_results_query_term_count(r) > 0);
    CHECK(lm_result_id(r, 99) == NULL && lm_result_term(r, 0, 999) == NULL);
    char *js = NULL;
    CHECK_EQ_INT(lm_results_json(r, &js), LM_OK);
    CHECK_CONTAINS(js, "\"id\":\"A1\"");
    CHECK_CONTAINS(js, "\"probability\":");
    CHECK_CONTAINS(js, "\"components\":{\"bm25\":0.");
    CHECK_CONTAINS(js, "\"keyword_match\":");
    CHECK_CONTAINS(js, "\"terms\":[");
    CHECK_CONTAINS(js, "碳化硅");
    /* Numbers read back to the same bits as the accessors give. */
    {
        cJSON *root = cJSON_Parse(js), *res = cJSON_GetObjectItem(root, "results");
        CHECK(cJSON_GetArraySize(res) == lm_results_count(r));
        int i = 0, exact = 0;
        for (cJSON *h = res ? res->child : NULL; h; h = h->next, i++) {
            cJSON *c = cJSON_GetObjectItem(h, "components");
            exact += cJSON_GetObjectItem(h, "score")->valuedouble == lm_result_score(r, i) &&
                     cJSON_GetObjectItem(h, "probability")->valuedouble == lm_result_probability(r, i) &&
                     cJSON_GetObjectItem(c, "bm25_raw")->valuedouble == component(r, i, "bm25_raw");
        }
        CHECK(i > 0 && exact == i);
        cJSON_Delete(root);
    }
    lm_free(js);
    lm_results_free(r);
    /* Absolute: adding a record that matches better does not change A1's
       components (a division by the best hit would). */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A9\",\"kind\":\"achievement\",\"title\":\"碳化硅功率器件封装散热难题的解决方案\","
                            "\"abstract\":\"新能源汽车电机控制器碳化硅MOSFET模块封装热阻过大：低热阻封装与散热方案。\","
                            "\"keywords\":[\"碳化硅\",\"功率模块\",\"封装散热\"]}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    int a1 = -1, a9 = -1;
    for (int i = 0; i < lm_results_count(r); i++) {
        if (!strcmp(lm_result_id(r, i), "A1")) a1 = i;
        if (!strcmp(lm_result_id(r, i), "A9")) a9 = i;
    }
    CHECK(a1 >= 0 && a9 >= 0);
    if (a1 >= 0 && a9 >= 0) {
        CHECK(component(r, a9, "bm25") > component(r, a1, "bm25"));
        CHECK(component(r, a9, "bm25") < 1.0);               /* the best hit is not 1 by definition */
        CHECK(component(r, a9, "keyword_match") == 0.75);    /* all three keywords named: 3 / (3 + 1) */
        CHECK(component(r, a9, "coverage") > component(r, a1, "coverage"));
    }
    lm_results_free(r);
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "A9"), LM_OK);

    /* Weighted sum: the score is the weighted sum of the components, with the
       registry's default weights. */
    static const struct { const char *name; int key; } w[] = {
        {"bm25", LM_OPT_W_BM25}, {"fields", LM_OPT_W_FIELDS}, {"region", LM_OPT_W_REGION},
        {"maturity", LM_OPT_W_MATURITY}, {"evidence", LM_OPT_W_EVIDENCE}, {"topic", LM_OPT_W_TOPIC},
        {"cosine", LM_OPT_W_COSINE}, {"cosine_ext", LM_OPT_W_COSINE_EXT}, {"keyword_match", LM_OPT_W_KEYWORD_MATCH},
    };
    lm_opts *ws = NULL;
    lm_opts_new(&ws);
    CHECK_EQ_INT(lm_opts_set(ws, "fusion", "weighted"), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, ws, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) {
        double expect = 0;
        for (size_t c = 0; c < sizeof w / sizeof w[0]; c++) expect += registry_default(w[c].key) * component(r, i, w[c].name);
        CHECK(lm_result_score(r, i) > expect - 1e-9 && lm_result_score(r, i) < expect + 1e-9);
        CHECK(lm_result_probability(r, i) > 0 && lm_result_probability(r, i) < 1);   /* always the model's */
    }
    lm_results_free(r);
    lm_opts_free(ws);

    /* Reciprocal rank fusion: sum of w / (60 + rank) over the components,
       ranks among all candidates (k covers them here). */
    lm_opts *rrf = NULL;
    lm_opts_new(&rrf);
    CHECK_EQ_INT(lm_opts_set_int(rrf, LM_OPT_FUSION, 7), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_int(rrf, LM_OPT_FUSION, LM_FUSION_RRF), LM_OK);
    CHECK_EQ_INT(lm_opts_set_int(rrf, LM_OPT_K, 100), LM_OK);
    lm_results *rr = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, rrf, &rr), LM_OK);
    CHECK_STR(top_id(rr), "A1");
    double want = 0;
    for (size_t c = 0; c < sizeof w / sizeof w[0]; c++) {
        double v = component(rr, 0, w[c].name);
        if (v <= 0) continue;
        int rank = 1;
        for (int j = 0; j < lm_results_count(rr); j++) rank += component(rr, j, w[c].name) > v;
        want += registry_default(w[c].key) / (60.0 + rank);
    }
    CHECK(lm_result_score(rr, 0) > want - 1e-12 && lm_result_score(rr, 0) < want + 1e-12);
    CHECK(lm_result_score(rr, 1) < lm_result_score(rr, 0));
    lm_results_free(rr);
    lm_opts_free(rrf);
    /* Traditional-script A4 is found by the simplified problem too. */
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    int found = 0;
    for (int i = 0; i < lm_results_count(r); i++) found |= !strcmp(lm_result_id(r, i), "A4");
    CHECK(found);
    lm_results_free(r);
    lm_close(db);
}

static void test_text_queries(void)
{
    lm_db *db = open_loaded("text.db");
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(db, "碳化矽功率元件的封裝散熱", LM_NUL_TERMINATED, LM_EXPERT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "E1");
    lm_results_free(r);
    CHECK_EQ_INT(lm_match_text(db, "猕猴桃 溃疡病", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A3");
    lm_results_free(r);
    /* FTS5 syntax and SQL in user text are plain text. */
    static const char *hostile[] = {
        "NEAR(碳化硅 封装)", "\"碳化硅", "碳化硅*", "^热失控", "热失控 OR 储能", "AND", "-储能",
        "'; DROP TABLE record; --", "\"\"\"", "(((", "碳化硅 NOT 封装", "{title}: 热失控",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        int rc = lm_match_text(db, hostile[i], LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r);
        if (rc) fprintf(stderr, "  hostile '%s': %s\n", hostile[i], lm_errmsg(db));
        CHECK_EQ_INT(rc, LM_OK);
        lm_results_free(r);
    }
    CHECK_EQ_INT(lm_match_text(db, "热失控 OR 储能", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A2");
    lm_results_free(r);
    CHECK_EQ_INT(count(db, 0), NREC);
    /* Empty text and stopwords only: an empty result, not an error. */
    CHECK_EQ_INT(lm_match_text(db, "", 0, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 0);
    lm_results_free(r);
    CHECK_EQ_INT(lm_match_text(db, "的了和", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 0);
    lm_results_free(r);
    CHECK_EQ_INT(lm_match_text(db, "\xff\xfe", 2, LM_ACHIEVEMENT, NULL, &r), LM_EINVAL_UTF8);
    CHECK_EQ_INT(lm_match_text(db, NULL, 0, LM_ACHIEVEMENT, NULL, &r), LM_EINVAL);
    /* An unstored record as the query. */
    const char *q = "{\"kind\":\"problem\",\"title\":\"电池热失控\",\"description\":\"储能电站需要热失控预警\"}";
    CHECK_EQ_INT(lm_match_record(db, q, LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A2");
    lm_results_free(r);
    CHECK_EQ_INT(lm_match_record(db, "{\"kind\":\"problem\",\"bogus\":1}", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r),
                 LM_ERECORD);
    CHECK_CONTAINS(lm_errmsg(db), "bogus");
    lm_close(db);
}

static void test_filters_and_options(void)
{
    lm_db *db = open_loaded("filters.db");
    lm_opts *o = NULL;
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_opts_new(&o), LM_OK);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_K, 0), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_K, LM_MAX_K + 1), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_MIN_MATURITY, 10), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_int(o, 999, 1), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set_double(o, LM_OPT_W_BM25, -1), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_double(o, LM_OPT_W_BM25, 0.0 / 0.0), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_double(o, 999, 1), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set_str(o, 999, "x"), LM_EINVAL);

    /* Region prefix: A4 (江苏) is the second hit without the filter. */
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_REGION, "江苏省"), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 1);
    CHECK_STR(top_id(r), "A4");
    lm_results_free(r);
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_REGION, NULL), LM_OK);
    /* Minimum maturity removes A4 (TRL 3). */
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_MIN_MATURITY, 5), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, o, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(strcmp(lm_result_id(r, i), "A4") != 0);
    CHECK(lm_results_count(r) >= 1);
    lm_results_free(r);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_MIN_MATURITY, 0), LM_OK);
    /* Fields any-of. */
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_FIELD, "现代农业"), LM_OK);
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_FIELD, "新能源"), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "热失控 猕猴桃 碳化硅", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 2);
    for (int i = 0; i < lm_results_count(r); i++)
        CHECK(!strcmp(lm_result_id(r, i), "A2") || !strcmp(lm_result_id(r, i), "A3"));
    lm_results_free(r);
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_FIELD, NULL), LM_OK);
    /* k and offset page through the same order. */
    lm_results *all = NULL;
    CHECK_EQ_INT(lm_match_text(db, "碳化硅 热失控 猕猴桃 封装", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &all), LM_OK);
    CHECK_EQ_INT(lm_results_count(all), 4);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_K, 2), LM_OK);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_OFFSET, 1), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "碳化硅 热失控 猕猴桃 封装", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 2);
    CHECK_STR(lm_result_id(r, 0), lm_result_id(all, 1));
    CHECK_STR(lm_result_id(r, 1), lm_result_id(all, 2));
    lm_results_free(r);
    lm_results_free(all);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_OFFSET, 10), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "碳化硅", LM_NUL_TERMINATED, LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 0);
    lm_results_free(r);
    lm_opts_free(o);

    /* Weights: region weight decides between two equal texts. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"R1\",\"kind\":\"achievement\",\"title\":\"石墨烯导热膜\",\"region\":\"陕西省宝鸡市\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"R2\",\"kind\":\"achievement\",\"title\":\"石墨烯导热膜\",\"region\":\"陕西省西安市\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"Q1\",\"kind\":\"problem\",\"title\":\"石墨烯导热膜\",\"region\":\"陕西省西安市\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "Q1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "R2");
    CHECK(component(r, 0, "region") == 1.0);
    CHECK(component(r, 1, "region") == 0.5);
    lm_results_free(r);
    CHECK_EQ_INT(lm_opts_new(&o), LM_OK);
    CHECK_EQ_INT(lm_opts_set_double(o, LM_OPT_W_REGION, 0), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "Q1", LM_ACHIEVEMENT, o, &r), LM_OK);
    CHECK(lm_result_score(r, 0) == lm_result_score(r, 1));
    lm_results_free(r);
    lm_opts_free(o);
    lm_close(db);
}

static void test_update_delete_visible(void)
{
    lm_db *db = open_loaded("update.db");
    lm_results *r = NULL;
    /* Replace A3's text: the old topic no longer finds it, the new does. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A3\",\"kind\":\"achievement\",\"title\":\"小麦抗旱育种新品种\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(count(db, LM_ACHIEVEMENT), 4);
    CHECK_EQ_INT(lm_match_text(db, "猕猴桃溃疡病", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(strcmp(lm_result_id(r, i), "A3") != 0);
    lm_results_free(r);
    CHECK_EQ_INT(lm_match_text(db, "小麦育种", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A3");
    lm_results_free(r);
    /* Delete: gone from get, count and matches. */
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "A2"), LM_OK);
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "A2"), LM_ENOTFOUND);
    CHECK_CONTAINS(lm_errmsg(db), "A2");
    CHECK_EQ_INT(lm_delete(db, 0, "A2"), LM_EINVAL);
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, NULL), LM_EINVAL);
    CHECK_EQ_INT(count(db, LM_ACHIEVEMENT), 3);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P2", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(strcmp(lm_result_id(r, i), "A2") != 0);
    lm_results_free(r);
    char *st = NULL;
    CHECK_EQ_INT(lm_stats_json(db, &st), LM_OK);
    CHECK_CONTAINS(st, "\"achievement\":3");
    CHECK_CONTAINS(st, "\"links\":2");         /* E1-A1 and E3... A3 no longer lists E3 */
    lm_free(st);
    lm_close(db);
}

/* The raw BM25 of record `id` for a text query to achievements (-1: absent). */
static double bm25_raw(lm_db *db, const char *text, const char *id)
{
    lm_results *r = NULL;
    double v = -1;
    if (lm_match_text(db, text, LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r) != LM_OK) return -2;
    for (int i = 0; i < lm_results_count(r); i++) {
        if (strcmp(lm_result_id(r, i), id)) continue;
        for (int j = 0; j < lm_result_component_count(r, i); j++)
            if (!strcmp(lm_result_component_name(r, i, j), "bm25_raw")) v = lm_result_component_value(r, i, j);
    }
    lm_results_free(r);
    return v;
}

static double bm25_raw_fresh(const char *path, const char *text, const char *id)
{
    lm_db *db = NULL;
    if (lm_open(&db, path, LM_OPEN_READONLY) != LM_OK) { lm_close(db); return -3; }
    double v = bm25_raw(db, text, id);
    lm_close(db);
    return v;
}

/* Document lengths are cached per handle: a write by this handle or by
   another connection must change the score exactly as a fresh handle sees it. */
static void test_length_cache_follows_writes(void)
{
    lm_db *db = open_loaded("doclen.db");
    const char *path = tmp_path("doclen.db"), *q = "碳化硅功率模块封装";
    lm_db *other = NULL;
    CHECK_EQ_INT(lm_open(&other, path, 0), LM_OK);
    double v0 = bm25_raw(db, q, "A1");
    CHECK(v0 > 0);
    CHECK(v0 == bm25_raw_fresh(path, q, "A1"));
    /* This handle makes A1 longer: a lower score, as a fresh handle computes it. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"低热阻碳化硅功率模块封装技术\","
                        "\"abstract\":\"采用银烧结与双面散热结构。该技术另含大量与查询无关的说明文字，用于增加文档长度，"
                        "例如生产线改造、质量管理体系、人员培训计划、市场推广策略以及售后服务网络建设等内容。\"}",
                        LM_NUL_TERMINATED), LM_OK);
    double v1 = bm25_raw(db, q, "A1");
    CHECK(v1 > 0 && v1 < v0);
    CHECK(v1 == bm25_raw_fresh(path, q, "A1"));
    /* Another connection makes it short again. */
    CHECK_EQ_INT(lm_put(other, "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"低热阻碳化硅功率模块封装技术\"}",
                        LM_NUL_TERMINATED), LM_OK);
    double v2 = bm25_raw(db, q, "A1");
    CHECK(v2 > v1);
    CHECK(v2 == bm25_raw_fresh(path, q, "A1"));
    lm_close(other);
    lm_close(db);
}

static void test_persistence_and_wal(void)
{
    lm_db *db = open_loaded("persist.db");
    lm_close(db);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", tmp_path("persist.db"));
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, tmp_path("persist.db"), 0), LM_OK);
    CHECK_EQ_INT(count(db, 0), NREC);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P2", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A2");
    lm_results_free(r);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"W1\",\"kind\":\"problem\",\"title\":\"测试\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK(access(wal, F_OK) == 0);              /* WAL mode */
    /* A read-only handle sees the data and refuses writes. */
    lm_db *ro = NULL;
    CHECK_EQ_INT(lm_open(&ro, tmp_path("persist.db"), LM_OPEN_READONLY), LM_OK);
    CHECK_EQ_INT(count(ro, 0), NREC + 1);
    CHECK_EQ_INT(lm_put(ro, records[0], LM_NUL_TERMINATED), LM_ESTATE);
    lm_close(ro);
    lm_close(db);
    /* Open errors. */
    CHECK_EQ_INT(lm_open(NULL, "x", 0), LM_EINVAL);
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, "/nonexistent-dir/x.db", 0), LM_EIO);
    CHECK_CONTAINS(lm_errmsg(db), "/nonexistent-dir/x.db");
    lm_close(db);
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    CHECK_EQ_INT(count(db, 0), 0);
    lm_close(db);
}

static void test_analyzer_identity(void)
{
    lm_db *db = open_loaded("ident.db");
    CHECK_CONTAINS(lm_analyzer_id(db), "libmatch-zh/");
    lm_close(db);
    /* Pretend another analyzer built the index. */
    sqlite3 *s;
    CHECK_EQ_INT(sqlite3_open(tmp_path("ident.db"), &s), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(s, "UPDATE meta SET value='libmatch-zh/0 words' WHERE key='analyzer'", 0, 0, 0), SQLITE_OK);
    sqlite3_close(s);
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, tmp_path("ident.db"), 0), LM_EMISMATCH);
    CHECK_CONTAINS(lm_errmsg(db), "libmatch-zh/0 words");
    CHECK_CONTAINS(lm_errmsg(db), "LM_OPEN_REINDEX");
    lm_close(db);
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, tmp_path("ident.db"), LM_OPEN_REINDEX), LM_OK);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P3", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A3");
    lm_results_free(r);
    lm_close(db);
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, tmp_path("ident.db"), 0), LM_OK);  /* now consistent */
    /* Analyzer modes: bigram-only still matches; the id says which mode. */
    if (lm_set_analyzer_mode(db, LM_ANALYZE_BIGRAMS) != LM_OK) { fprintf(stderr, "  %s\n", lm_errmsg(db)); CHECK(0); }
    CHECK_CONTAINS(lm_analyzer_id(db), "bigrams");
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P2", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "A2");
    lm_results_free(r);
    CHECK_EQ_INT(lm_set_analyzer_mode(db, 0), LM_EINVAL);
    CHECK_EQ_INT(lm_set_analyzer_mode(db, 64), LM_EINVAL);
    lm_close(db);
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, tmp_path("ident.db"), 0), LM_OK);  /* the mode is stored */
    CHECK_CONTAINS(lm_analyzer_id(db), "bigrams");
    lm_close(db);
}

/* Register the analyzer (with lex.db's user words) on a raw connection so
   that FTS5's own integrity check can re-tokenize the stored text. */
static lmx_analyzer *raw_an;
static void lm_tokenizer_for_tests(sqlite3 *raw)
{
    char err[256];
    if (!raw_an && lmx_analyzer_new(&raw_an, 0, err, sizeof err) == LM_OK) {
        lmx_analyzer_add_word(raw_an, "秦创原", (int)strlen("秦创原"), 0);
        lmx_analyzer_add_word(raw_an, "硬科技", (int)strlen("硬科技"), 0);
    }
    lmx_tokenizer_register(fts5_of(raw), raw_an);
}

static void test_user_dict_and_synonyms(void)
{
    lm_db *db = open_fresh("lex.db");
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"S1\",\"kind\":\"achievement\",\"title\":\"SiC MOSFET驱动电路\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"S2\",\"kind\":\"achievement\",\"title\":\"无人驾驶航空器巡检系统\"}", LM_NUL_TERMINATED), LM_OK);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(db, "碳化硅驱动", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 1);       /* only 驱动 matches */
    lm_results_free(r);
    CHECK_EQ_INT(lm_synonym_add(db, "碳化硅", "SiC"), LM_OK);
    CHECK_EQ_INT(lm_match_text(db, "碳化硅", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "S1");
    CHECK(has_term(r, 0, "sic"));
    lm_results_free(r);
    const char *tsv = tmp_path("syn.tsv");
    write_file(tsv, "# synonyms\n无人机\t无人驾驶航空器\n锂电池\t锂离子电池\t锂电\n\n");
    int64_t n = 0;
    CHECK_EQ_INT(lm_synonyms_load_tsv(db, tsv, &n), LM_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(lm_match_text(db, "无人机巡检", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(top_id(r), "S2");
    lm_results_free(r);
    write_file(tsv, "碳化硅\tSiC\n只有一个\n");
    CHECK_EQ_INT(lm_synonyms_load_tsv(db, tsv, &n), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "line 2");
    CHECK_EQ_INT(lm_synonyms_load_tsv(db, tmp_path("nofile.tsv"), &n), LM_EIO);

    /* User dictionary changes segmentation; reindex applies it to stored text. */
    lm_tokens *t = NULL;
    CHECK_EQ_INT(lm_analyze(db, "秦创原总窗口", LM_NUL_TERMINATED, 0, &t), LM_OK);
    int whole = 0;
    for (int i = 0; i < lm_tokens_count(t); i++) whole |= !strcmp(lm_token_text(t, i), "秦创原");
    lm_tokens_free(t);
    CHECK(!whole);
    CHECK_EQ_INT(lm_dict_add(db, "秦创原", 0), LM_OK);
    CHECK_EQ_INT(lm_analyze(db, "秦創原總窗口", LM_NUL_TERMINATED, 0, &t), LM_OK);
    whole = 0;
    for (int i = 0; i < lm_tokens_count(t); i++) whole |= !strcmp(lm_token_text(t, i), "秦创原");
    CHECK(whole);
    lm_tokens_free(t);
    CHECK_EQ_INT(lm_dict_add(db, "", 0), LM_EINVAL);
    char *st = NULL;
    CHECK_EQ_INT(lm_stats_json(db, &st), LM_OK);
    CHECK_CONTAINS(st, "\"index_stale\":true");
    CHECK_CONTAINS(st, "\"user_words\":1");
    lm_free(st);
    CHECK_EQ_INT(lm_reindex(db), LM_OK);
    /* A write after a tokenization change re-indexes first, so the index
       stays consistent (FTS5 deletes by re-tokenizing the stored text). */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"S3\",\"kind\":\"achievement\",\"title\":\"秦创原平台硬科技成果\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_dict_add(db, "硬科技", 0), LM_OK);
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "S3"), LM_OK);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"S4\",\"kind\":\"achievement\",\"title\":\"硬科技成果转化\"}", LM_NUL_TERMINATED), LM_OK);
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(tmp_path("lex.db"), &raw), SQLITE_OK);
    lm_tokenizer_for_tests(raw);
    CHECK_EQ_INT(sqlite3_exec(raw, "INSERT INTO fts_achievement(fts_achievement) VALUES('integrity-check')", 0, 0, 0), SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(lm_match_text(db, "硬科技", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_EQ_INT(lm_results_count(r), 1);
    CHECK_STR(top_id(r), "S4");
    lm_results_free(r);
    CHECK_EQ_INT(lm_stats_json(db, &st), LM_OK);
    CHECK_CONTAINS(st, "\"index_stale\":false");
    lm_free(st);
    lm_close(db);
    /* The user words are stored: a new handle segments the same way. */
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, tmp_path("lex.db"), 0), LM_OK);
    CHECK_EQ_INT(lm_analyze(db, "秦创原", LM_NUL_TERMINATED, 0, &t), LM_OK);
    CHECK(lm_tokens_count(t) >= 1);
    CHECK_STR(lm_token_text(t, 0), "秦创原");
    lm_tokens_free(t);
    lm_close(db);
}

static void test_allocation(void)
{
    lm_db *db = open_loaded("alloc.db");
    lm_allocation *a = NULL;
    CHECK_EQ_INT(lm_allocate(db, NULL, 0, LM_EXPERT, NULL, 0, NULL, 1, 1, 0.0, NULL, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 3);
    double total = 0;
    for (int i = 0; i < lm_allocation_count(a); i++) {
        const char *p = lm_allocation_problem(a, i), *e = lm_allocation_candidate(a, i);
        CHECK(p[1] == e[1]);                     /* P1-E1, P2-E2, P3-E3 */
        total += lm_allocation_score(a, i);
    }
    CHECK(total > lm_allocation_total(a) - 1e-9 && total < lm_allocation_total(a) + 1e-9);
    char *js = NULL;
    CHECK_EQ_INT(lm_allocation_json(a, &js), LM_OK);
    CHECK_CONTAINS(js, "\"problem\":\"P1\",\"candidate\":\"E1\"");
    lm_free(js);
    lm_allocation_free(a);
    /* One expert with capacity 2 for two battery problems. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"P5\",\"kind\":\"problem\",\"title\":\"电池热失控预警需求\"}", LM_NUL_TERMINATED), LM_OK);
    const char *ps[] = { "P5", "P2" }, *cs[] = { "E2" };
    int cap2[] = { 2 };
    CHECK_EQ_INT(lm_allocate(db, ps, 2, LM_EXPERT, cs, 1, cap2, 0, 1, 0.0, NULL, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 2);
    CHECK_STR(lm_allocation_candidate(a, 1), "E2");
    lm_allocation_free(a);
    int cap0[] = { 0 };
    CHECK_EQ_INT(lm_allocate(db, ps, 2, LM_EXPERT, cs, 1, cap0, 0, 1, 0.0, NULL, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 0);
    CHECK(lm_allocation_total(a) == 0);
    lm_allocation_free(a);
    CHECK_EQ_INT(lm_allocate(db, NULL, 0, LM_ACHIEVEMENT, NULL, 0, NULL, 1, 1, 100.0, NULL, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 0);    /* nothing reaches min_score */
    lm_allocation_free(a);
    const char *dup[] = { "P1", "P1" }, *nope[] = { "E9" };
    CHECK_EQ_INT(lm_allocate(db, dup, 2, LM_EXPERT, NULL, 0, NULL, 1, 1, 0.0, NULL, &a), LM_EINVAL);
    CHECK_CONTAINS(lm_errmsg(db), "twice");
    CHECK_EQ_INT(lm_allocate(db, ps, 2, LM_EXPERT, nope, 1, NULL, 1, 1, 0.0, NULL, &a), LM_ENOTFOUND);
    CHECK_EQ_INT(lm_allocate(db, ps, 2, LM_PROBLEM, NULL, 0, NULL, 1, 1, 0.0, NULL, &a), LM_EINVAL);
    CHECK_EQ_INT(lm_allocate(db, ps, 2, LM_EXPERT, cs, 1, cap2, 1, -1, 0.0, NULL, &a), LM_EINVAL);
    CHECK(a == NULL);
    /* The options form: capacity, per_problem and min_score by name. */
    lm_opts *o = NULL;
    lm_opts_new(&o);
    CHECK_EQ_INT(lm_opts_set(o, "capacity", "2"), LM_OK);
    CHECK_EQ_INT(lm_allocate_v2(db, LM_EXPERT, ps, 2, cs, NULL, 1, o, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 2);
    lm_allocation_free(a);
    CHECK_EQ_INT(lm_allocate_v2(db, LM_EXPERT, ps, 2, cs, cap0, 1, o, &a), LM_OK);   /* capacities win */
    CHECK_EQ_INT(lm_allocation_count(a), 0);
    lm_allocation_free(a);
    CHECK_EQ_INT(lm_opts_set(o, "min_score", "100"), LM_OK);
    CHECK_EQ_INT(lm_allocate_v2(db, LM_EXPERT, NULL, 0, NULL, NULL, 0, o, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 0);
    lm_allocation_free(a);
    CHECK_EQ_INT(lm_allocate_v2(db, LM_EXPERT, NULL, 0, NULL, NULL, 0, NULL, &a), LM_OK);  /* defaults */
    CHECK_EQ_INT(lm_allocation_count(a), 3);
    lm_allocation_free(a);
    lm_opts_free(o);
    /* Empty inputs. */
    CHECK_EQ_INT(lm_allocate(db, ps, 0, LM_EXPERT, cs, 0, NULL, 1, 1, 0.0, NULL, &a), LM_OK);
    CHECK_EQ_INT(lm_allocation_count(a), 0);
    lm_allocation_free(a);
    lm_close(db);
}

typedef struct { int n, kinds[16]; char ids[16][16]; int stop_at; } scan_ctx;

static int scan_cb(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    scan_ctx *c = ctx;
    if (c->n < 16) { c->kinds[c->n] = kind; snprintf(c->ids[c->n], sizeof c->ids[0], "%s", id); }
    c->n++;
    if (strlen(json) != len || json[0] != '{') return -1;
    return c->stop_at && c->n == c->stop_at ? 42 : 0;
}

static void test_scan_exports_in_order(void)
{
    lm_db *db = open_loaded("scan.db");
    scan_ctx c = {0};
    CHECK_EQ_INT(lm_scan(db, 0, scan_cb, &c), LM_OK);
    CHECK_EQ_INT(c.n, count(db, 0));
    for (int i = 1; i < c.n && i < 16; i++) CHECK(c.kinds[i - 1] <= c.kinds[i]);   /* problems first */
    CHECK_STR(c.ids[0], "P1");
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(lm_scan(db, LM_ACHIEVEMENT, scan_cb, &c), LM_OK);
    CHECK_EQ_INT(c.n, count(db, LM_ACHIEVEMENT));
    CHECK_STR(c.ids[0], "A1");
    /* What a scan gives is what lm_get gives, and loads back unchanged. */
    char *js = NULL;
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "P1", &js), LM_OK);
    CHECK_CONTAINS(js, "\"budget_wan\":80");
    lm_free(js);
    memset(&c, 0, sizeof c);
    c.stop_at = 2;
    CHECK_EQ_INT(lm_scan(db, 0, scan_cb, &c), LM_ESTATE);
    CHECK_CONTAINS(lm_errmsg(db), "(42)");
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(lm_scan(db, 9, scan_cb, &c), LM_EINVAL);
    CHECK_EQ_INT(lm_scan(db, 0, NULL, &c), LM_EINVAL);
    CHECK_EQ_INT(lm_scan(NULL, 0, scan_cb, &c), LM_EINVAL);
    lm_close(db);
}

typedef struct { int calls, stop_after; int64_t last_done, last_total; char stage[16]; } prog_ctx;

static int prog_cb(void *ctx, const char *stage, int64_t done, int64_t total)
{
    prog_ctx *p = ctx;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    return p->stop_after && p->calls >= p->stop_after ? 7 : 0;
}

static int stop_in_vectors(void *ctx, const char *stage, int64_t done, int64_t total)
{
    prog_ctx *p = ctx;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    return !strcmp(stage, "vectors") ? 3 : 0;
}

static void test_progress_and_labels(void)
{
    lm_db *db = open_loaded("progress.db");
    size_t cap = 2600 * 80, n = 0;
    char *buf = malloc(cap);
    for (int i = 0; i < 2500; i++)
        n += (size_t)snprintf(buf + n, cap - n, "{\"id\":\"X%d\",\"kind\":\"problem\",\"title\":\"测试需求%d\"}\n", i, i);
    prog_ctx p = {0};
    CHECK_EQ_INT(lm_set_progress(db, prog_cb, &p), LM_OK);
    int64_t before = count(db, 0);
    p.stop_after = 2;                       /* interrupted: nothing stored */
    CHECK_EQ_INT(lm_load_jsonl_buffer(db, buf, n, LM_LOAD_ATOMIC, NULL), LM_ESTATE);
    CHECK_CONTAINS(lm_errmsg(db), "interrupted");
    CHECK_EQ_INT(count(db, 0), before);
    /* The loader's semantic space: interrupted while it is built, the
       whole load is undone. */
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(lm_set_progress(db, stop_in_vectors, &p), LM_OK);
    CHECK_EQ_INT(lm_load_jsonl_buffer(db, buf, n, LM_LOAD_ATOMIC, NULL), LM_ESTATE);
    CHECK_STR(p.stage, "vectors");
    CHECK_CONTAINS(lm_errmsg(db), "interrupted");
    CHECK_EQ_INT(count(db, 0), before);
    CHECK_EQ_INT(lm_set_progress(db, prog_cb, &p), LM_OK);
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(lm_load_jsonl_buffer(db, buf, n, LM_LOAD_ATOMIC | LM_LOAD_NO_VECTORS, NULL), LM_OK);
    CHECK(p.calls >= 3);
    CHECK_STR(p.stage, "load");
    CHECK_EQ_INT(p.last_done, (int64_t)n);
    CHECK_EQ_INT(p.last_total, (int64_t)n);
    CHECK_EQ_INT(count(db, 0), before + 2500);
    /* Re-indexing reports its stage with a known total and ends at it;
       interrupted, it changes nothing. */
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(lm_reindex(db), LM_OK);
    CHECK_STR(p.stage, "reindex");
    CHECK(p.calls >= 4);
    CHECK_EQ_INT(p.last_total, 2 * count(db, 0));
    CHECK_EQ_INT(p.last_done, p.last_total);
    memset(&p, 0, sizeof p);
    p.stop_after = 2;
    CHECK_EQ_INT(lm_reindex(db), LM_ESTATE);
    CHECK_EQ_INT(count(db, 0), before + 2500);
    /* Building vectors: analysis then the records' vectors, one total. */
    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(lm_vectors_build(db, 16), LM_OK);
    CHECK_STR(p.stage, "vectors");
    CHECK_EQ_INT(p.last_total, 2 * count(db, 0));
    CHECK_EQ_INT(p.last_done, p.last_total);
    CHECK_EQ_INT(lm_set_progress(db, NULL, NULL), LM_OK);
    CHECK_EQ_INT(lm_set_progress(NULL, prog_cb, &p), LM_EINVAL);
    free(buf);
    /* Every hit carries its title (experts: their name) as a label. */
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK_STR(lm_result_id(r, 0), "A1");
    CHECK_STR(lm_result_label(r, 0), "低热阻碳化硅功率模块封装技术");
    CHECK(lm_result_label(r, 99) == NULL);
    char *js = NULL;
    CHECK_EQ_INT(lm_results_json(r, &js), LM_OK);
    CHECK_CONTAINS(js, "\"label\":\"低热阻碳化硅功率模块封装技术\"");
    lm_free(js);
    lm_results_free(r);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P1", LM_EXPERT, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) > 0);
    CHECK(strlen(lm_result_label(r, 0)) > 0);
    lm_results_free(r);
    lm_close(db);
}

static void test_analyze_api(void)
{
    lm_tokens *t = NULL;
    CHECK_EQ_INT(lm_analyze(NULL, "基于5G的PEM燃料电池", LM_NUL_TERMINATED, 0, &t), LM_OK);
    int has5g = 0, haspem = 0, hasde = 0;
    for (int i = 0; i < lm_tokens_count(t); i++) {
        has5g |= !strcmp(lm_token_text(t, i), "5g");
        haspem |= !strcmp(lm_token_text(t, i), "pem");
        hasde |= !strcmp(lm_token_text(t, i), "的");
    }
    CHECK(has5g && haspem && !hasde);
    const char *src = "基于5G的PEM燃料电池";
    for (int i = 0; i < lm_tokens_count(t); i++) {
        CHECK(lm_token_start(t, i) >= 0 && lm_token_end(t, i) <= (int)strlen(src));
        CHECK(lm_token_start(t, i) < lm_token_end(t, i));
    }
    CHECK(lm_token_text(t, -1) == NULL && lm_token_start(t, 9999) == -1);
    lm_tokens_free(t);
    CHECK_EQ_INT(lm_analyze(NULL, "\xc3\x28", 2, 0, &t), LM_EINVAL_UTF8);
    CHECK(t == NULL);
    CHECK_EQ_INT(lm_analyze(NULL, "", 0, 0, &t), LM_OK);
    CHECK_EQ_INT(lm_tokens_count(t), 0);
    lm_tokens_free(t);
    CHECK_EQ_INT(lm_analyze(NULL, "x", 1, 0x100, &t), LM_EINVAL);
    CHECK_EQ_INT(lm_set_dictionary(tmp_path("whatever.txt")), LM_ESTATE);   /* already loaded */
}

/* JSON numbers read back to the same bits (scores cut at, compared, summed
   by callers): the shortest of 15-17 digits, where cJSON's own printing
   keeps 15 digits when they come within an epsilon. */
static void test_json_numbers_exact(void)
{
    char b[40];
    lmx_json_double(b, 0.5);
    CHECK_STR(b, "0.5");                          /* shortest: no trailing digits */
    lmx_json_double(b, 0.1);
    CHECK_STR(b, "0.1");
    uint64_t x = 88172645463325252ull;
    int exact = 0, cjson_off = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        double v = (double)(x >> 11) / 9007199254740992.0;
        lmx_json_double(b, v);
        exact += strtod(b, NULL) == v && strlen(b) <= 24;
        if (i < 2000) {                           /* cJSON's own printing, for comparison */
            cJSON *n = cJSON_CreateNumber(v);
            char *cj = cJSON_PrintUnformatted(n);
            cjson_off += cj && strtod(cj, NULL) != v;
            free(cj);
            cJSON_Delete(n);
        }
    }
    CHECK(exact == 20000);
    CHECK(cjson_off > 0);                         /* why libmatch prints its own */
}

int main(void)
{
    if (lmt_tmpdir_init("api")) return 1;
    RUN(test_version);
    RUN(test_put_get_roundtrip);
    RUN(test_bad_records);
    RUN(test_load_jsonl);
    RUN(test_six_directions);
    RUN(test_explanations_and_json);
    RUN(test_text_queries);
    RUN(test_filters_and_options);
    RUN(test_update_delete_visible);
    RUN(test_length_cache_follows_writes);
    RUN(test_persistence_and_wal);
    RUN(test_analyzer_identity);
    RUN(test_user_dict_and_synonyms);
    RUN(test_allocation);
    lmx_analyzer_free(raw_an);
    RUN(test_analyze_api);
    RUN(test_scan_exports_in_order);
    RUN(test_progress_and_labels);
    RUN(test_json_numbers_exact);
    return lmt_done();
}
