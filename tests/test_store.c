/*
** test_store.c -- the store (store.c, store_index.c; internal): the schema
** of a new database, every named statement, the migration of a version 1
** file, the cache rule (this handle's writes and other connections'
** commits), the candidate filters in SQL and in C agreeing, record parsing
** (record.c) and synonym rows that do not analyze (lexicon.c).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "pipeline.h"
#include "store_sql.h"
#include "lmtest.h"

static const char *recs[] = {
    "{\"id\":\"P1\",\"kind\":\"problem\",\"title\":\"碳化硅功率模块封装散热难题\",\"description\":\"需要低热阻封装，测试\","
    "\"fields\":[\"半导体\",\"新能源汽车\",\"半导体\",\"\"],\"region\":\"陕西省西安市\"}",
    "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"低热阻碳化硅功率模块封装技术\",\"abstract\":\"银烧结，测试\","
    "\"fields\":[\"半导体\"],\"region\":\"陕西省西安市\",\"maturity\":7,\"experts\":[\"E1\"]}",
    "{\"id\":\"A2\",\"kind\":\"achievement\",\"title\":\"锂离子电池热失控预警系统\",\"abstract\":\"气体传感，测试\","
    "\"fields\":[\"新能源\"],\"region\":\"陕西省榆林市\",\"maturity\":5}",
    "{\"id\":\"A3\",\"kind\":\"achievement\",\"title\":\"碳化矽功率元件燒結封裝\",\"abstract\":\"以銀燒結接合，测试\","
    "\"fields\":[\"半导体\",\"新材料\"],\"region\":\"北京市海淀区\",\"maturity\":4}",
    "{\"id\":\"A4\",\"kind\":\"achievement\",\"title\":\"PEM燃料电池双极板\",\"abstract\":\"5G基站备用电源，SiC器件，测试\","
    "\"region\":\"陕西省咸阳市\",\"maturity\":8}",
    "{\"id\":\"E1\",\"kind\":\"expert\",\"name\":\"李建国\",\"research\":\"碳化硅功率器件封装\",\"bio\":\"测试\","
    "\"fields\":[\"半导体\"],\"achievements\":[\"A1\"]}",
};
#define NREC (int)(sizeof recs / sizeof recs[0])

static lm_db *open_path(const char *path, int flags)
{
    lm_db *db = NULL;
    if (lm_open(&db, path, flags) != LM_OK) {
        fprintf(stderr, "open %s: %s\n", path, lm_errmsg(db));
        lm_close(db);
        return NULL;
    }
    return db;
}

static lm_db *fresh(const char *name)
{
    const char *p = lmt_tmp_path(name);
    remove(p);
    lm_db *db = open_path(p, 0);
    for (int i = 0; db && i < NREC; i++)
        if (lm_put(db, recs[i], LM_NUL_TERMINATED) != LM_OK) fprintf(stderr, "put %d: %s\n", i, lm_errmsg(db));
    return db;
}

static char *match_json(lm_db *db, int from, const char *id, int to)
{
    lm_results *r = NULL;
    char *js = NULL;
    if (lm_match(db, from, id, to, NULL, &r) == LM_OK) lm_results_json(r, &js);
    lm_results_free(r);
    return js;
}

static void test_schema_and_statements(void)
{
    lm_db *db = fresh("schema.db");
    if (!db) { CHECK(0); return; }
    CHECK_EQ_INT(lmx_store_meta_int(&db->store, "schema_version", 0), LMX_SCHEMA_VERSION);
    /* Every named statement prepares, for every kind where it has one. */
    for (int id = 0; id < LMX_NSTMT; id++) {
        int per_kind = id >= S_FTS_INSERT && id < S_LSA_GET, vec = id >= S_VEC_PUT;
        for (int k = 0; k <= (per_kind ? LMX_NKINDS : vec ? 2 : 0); k++) {
            if ((per_kind && k == 0) || (vec && k == 0)) continue;
            if (!lmx_store_stmt(&db->store, id, k)) { fprintf(stderr, "  statement %d kind %d: %s\n", id, k, lm_errmsg(db)); CHECK(0); }
        }
    }
    /* Labels and tags live in the record's row: distinct, non-empty tags. */
    int64_t rid;
    CHECK_EQ_INT(lmx_store_find(&db->store, LM_PROBLEM, "P1", &rid), LM_OK);
    lmx_recinfo info;
    CHECK_EQ_INT(lmx_store_info(&db->store, rid, &info), LM_OK);
    CHECK_STR(info.id, "P1");
    CHECK_STR(info.region, "陕西省西安市");
    CHECK_EQ_INT(info.ntags, 2);
    if (info.ntags == 2) { CHECK_STR(info.tags[0], "半导体"); CHECK_STR(info.tags[1], "新能源汽车"); }
    lmx_recinfo_free(&info);
    char *label = NULL;
    CHECK_EQ_INT(lmx_store_label(&db->store, rid, &label), LM_OK);
    CHECK_STR(label, "碳化硅功率模块封装散热难题");
    free(label);
    CHECK_EQ_INT(lmx_store_find(&db->store, LM_EXPERT, "E1", &rid), LM_OK);
    CHECK_EQ_INT(lmx_store_label(&db->store, rid, &label), LM_OK);
    CHECK_STR(label, "李建国");                             /* an expert's name */
    free(label);
    CHECK_EQ_INT(lmx_store_info(&db->store, 999999, &info), LM_ENOTFOUND);
    CHECK_EQ_INT(lmx_store_find(&db->store, LM_EXPERT, "nobody", &rid), LM_ENOTFOUND);
    CHECK_CONTAINS(lm_errmsg(db), "no expert with id 'nobody'");
    lm_close(db);
}

/* Turn a file of this version into what version 1 wrote: bare host floats
   in the vector tables, no label and tags columns, no posting index,
   schema_version 1. */
static void downgrade_to_v1(const char *path)
{
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    const char *tables[] = { "vec", "xvec", "lsa_term" }, *keys[] = { "rid", "rid", "term" };
    for (int t = 0; t < 3; t++) {
        char sql[200];
        snprintf(sql, sizeof sql, "UPDATE %s SET v = substr(v, 9) WHERE substr(v, 1, 4) = CAST('LMV1' AS BLOB)", tables[t]);
        CHECK_EQ_INT(sqlite3_exec(raw, sql, 0, 0, 0), SQLITE_OK);
        (void)keys;
    }
    /* Version 3's tables (the posting index) did not exist either. */
    CHECK_EQ_INT(sqlite3_exec(raw, "DROP TABLE pst_term; DROP TABLE pst_block; DELETE FROM meta WHERE key LIKE 'pst%';",
                              0, 0, 0), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, "ALTER TABLE record DROP COLUMN label; ALTER TABLE record DROP COLUMN tags;"
                                   "DROP TABLE feedback;"          /* version 3's addition */
                                   "UPDATE meta SET value = '1' WHERE key = 'schema_version';", 0, 0, 0), SQLITE_OK);
    /* DROP COLUMN rewrote the table's text: put back the text version 1
       wrote, as a real version 1 file has it. */
    CHECK_EQ_INT(sqlite3_exec(raw, "PRAGMA writable_schema=ON;"
                                   "UPDATE sqlite_master SET sql = 'CREATE TABLE record(  rid INTEGER PRIMARY KEY, "
                                   "kind INTEGER NOT NULL, id TEXT NOT NULL,  json TEXT NOT NULL, region TEXT, org TEXT, "
                                   "maturity INTEGER,  UNIQUE(kind, id))' WHERE name = 'record';"
                                   "PRAGMA writable_schema=OFF;", 0, 0, 0), SQLITE_OK);
    sqlite3_close(raw);
}

static void test_migration_from_v1(void)
{
    lm_db *db = fresh("v1.db");
    if (!db) { CHECK(0); return; }
    const float ev[4] = { 1, 0, 0, 0 }, ev2[4] = { 0.9f, 0.1f, 0, 0 };
    CHECK_EQ_INT(lm_vectors_build(db, 3), LM_OK);
    CHECK_EQ_INT(lm_vector_put(db, LM_ACHIEVEMENT, "A1", "bge", ev, 4), LM_OK);
    CHECK_EQ_INT(lm_vector_put(db, LM_PROBLEM, "P1", "bge", ev2, 4), LM_OK);
    char *before = match_json(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT);
    char *before_e = match_json(db, LM_PROBLEM, "P1", LM_EXPERT);
    CHECK(before && strstr(before, "\"cosine_ext\":1") == NULL);   /* a real mix of components */
    CHECK_CONTAINS(before, "\"label\":\"低热阻碳化硅功率模块封装技术\"");
    lm_close(db);
    const char *path = lmt_tmp_path("v1.db");
    downgrade_to_v1(path);
    /* Read-only: cannot migrate, says how. */
    lm_db *ro = NULL;
    CHECK_EQ_INT(lm_open(&ro, path, LM_OPEN_READONLY), LM_EMISMATCH);
    CHECK_CONTAINS(lm_errmsg(ro), "open it once writable");
    lm_close(ro);
    /* Writable: migrated in place, the same matches, labels back. */
    db = open_path(path, 0);
    if (!db) { CHECK(0); free(before); free(before_e); return; }
    CHECK_EQ_INT(lmx_store_meta_int(&db->store, "schema_version", 0), LMX_SCHEMA_VERSION);
    CHECK_EQ_INT(lmx_store_pst_ready(&db->store), 1);
    char *after = match_json(db, LM_PROBLEM, "P1", LM_ACHIEVEMENT);
    char *after_e = match_json(db, LM_PROBLEM, "P1", LM_EXPERT);
    CHECK_STR(after, before);
    CHECK_STR(after_e, before_e);
    sqlite3_stmt *q;
    CHECK_EQ_INT(sqlite3_prepare_v2(db->store.sql, "SELECT count(*) FROM vec WHERE substr(v, 1, 4) != CAST('LMV1' AS BLOB)",
                                    -1, &q, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_step(q), SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    free(before); free(before_e); free(after); free(after_e);
    lm_close(db);
}

static int64_t count_of(lm_db *db, int kind)
{
    int64_t n = -1;
    lm_count(db, kind, &n);
    return n;
}

static int has_query_term(lm_results *r, const char *t)
{
    for (int j = 0; j < lm_results_query_term_count(r); j++)
        if (!strcmp(lm_results_query_term(r, j), t)) return 1;
    return 0;
}

static void test_caches_follow_other_connections(void)
{
    lm_db *a = fresh("caches.db");
    lm_db *b = a ? open_path(lmt_tmp_path("caches.db"), 0) : NULL;
    if (!a || !b) { CHECK(0); lm_close(a); lm_close(b); return; }
    /* The stamp: this handle's writes of a kind move that kind's stamp
       only; another connection's commit moves every stamp. */
    lmx_stamp s0 = lmx_store_stamp(&a->store, LM_PROBLEM), e0 = lmx_store_stamp(&a->store, LM_EXPERT);
    CHECK_EQ_INT(lm_put(a, "{\"id\":\"P2\",\"kind\":\"problem\",\"title\":\"储能电站热失控\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK(!lmx_stamp_eq(s0, lmx_store_stamp(&a->store, LM_PROBLEM)));
    CHECK(lmx_stamp_eq(e0, lmx_store_stamp(&a->store, LM_EXPERT)));
    CHECK_EQ_INT(count_of(a, LM_ACHIEVEMENT), 4);              /* cached now */
    lmx_stamp a0 = lmx_store_stamp(&a->store, LM_ACHIEVEMENT);
    CHECK_EQ_INT(lm_put(b, "{\"id\":\"A9\",\"kind\":\"achievement\",\"title\":\"储能电池热管理\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK(!lmx_stamp_eq(a0, lmx_store_stamp(&a->store, LM_ACHIEVEMENT)));
    CHECK_EQ_INT(count_of(a, LM_ACHIEVEMENT), 5);              /* the count followed */
    /* Synonyms another connection adds expand this handle's next query. */
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(a, "碳化硅器件", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(!has_query_term(r, "sic"));
    lm_results_free(r);
    CHECK_EQ_INT(lm_synonym_add(b, "碳化硅", "SiC"), LM_OK);
    CHECK_EQ_INT(lm_match_text(a, "碳化硅器件", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(has_query_term(r, "sic"));
    lm_results_free(r);
    /* Vectors another connection builds are used here (the matrices load). */
    CHECK_EQ_INT(lm_match(a, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) > 0 && lm_result_component_value(r, 0, LMX_C_COSINE) == 0);
    lm_results_free(r);
    CHECK_EQ_INT(lm_vectors_build(b, 3), LM_OK);
    CHECK_EQ_INT(lm_match(a, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    double cos = 0;
    for (int i = 0; i < lm_results_count(r); i++) cos += lm_result_component_value(r, i, LMX_C_COSINE);
    CHECK(cos > 0);
    lm_results_free(r);
    /* A record another connection deletes is no longer found. */
    CHECK_EQ_INT(lm_delete(b, LM_ACHIEVEMENT, "A1"), LM_OK);
    CHECK_EQ_INT(lm_match(a, LM_PROBLEM, "P1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    for (int i = 0; i < lm_results_count(r); i++) CHECK(strcmp(lm_result_id(r, i), "A1") != 0);
    lm_results_free(r);
    lm_close(b);
    lm_close(a);
}

/* Row ids of achievements that the SQL filter lets through a scan. */
static int scan_set(lm_db *db, const lmx_filter *f, int64_t *ids, int cap)
{
    lmx_bm25_top top;
    lmx_bm25_top_init(&top, 1000, 1);
    const char *match = "\"\x01" "测试\"";
    double params[2 + LMX_NCOLS + 1] = { 1.2, 0.75, 1, 1, 1, 1, 1 };
    int n = 0;
    if (lmx_bm25_scan(&db->store, &db->bm25, LM_ACHIEVEMENT, match, params, f, &top) == LM_OK)
        for (int i = 0; i < top.top.n && n < cap; i++) ids[n++] = top.top.id[i];
    lmx_bm25_top_free(&top);
    return n;
}

static void test_filters_agree(void)
{
    lm_db *db = fresh("filters.db");
    if (!db) { CHECK(0); return; }
    char *f1[] = { "半导体" }, *f2[] = { "新材料", "新能源" }, *f3[] = { "没有" };
    int64_t a1;
    lmx_store_find(&db->store, LM_ACHIEVEMENT, "A1", &a1);
    const lmx_filter filters[] = {
        { NULL, 0, NULL, 0, 0 }, { "陕西省", 0, NULL, 0, 0 }, { "陕西省西安市", 0, NULL, 0, 0 },
        { NULL, 5, NULL, 0, 0 }, { NULL, 0, f1, 1, 0 }, { NULL, 0, f2, 2, 0 }, { NULL, 0, f3, 1, 0 },
        { "陕西省", 6, f1, 1, 0 }, { NULL, 0, NULL, 0, a1 }, { "北京", 0, NULL, 0, 0 },
    };
    int total = 0;
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        int64_t ids[64];
        int n = scan_set(db, &filters[i], ids, 64), passing = 0;
        for (int64_t rid = 1; rid <= 20; rid++) {
            lmx_recinfo info;
            if (lmx_store_info(&db->store, rid, &info) != LM_OK) continue;
            int in_sql = 0;
            for (int j = 0; j < n; j++) in_sql |= ids[j] == rid;
            if (info.kind == LM_ACHIEVEMENT) {
                int in_c = lmx_filter_pass(&filters[i], rid, &info);
                if (in_c != in_sql) { fprintf(stderr, "  filter %zu, %s: C %d, SQL %d\n", i, info.id, in_c, in_sql); CHECK(0); }
                passing += in_c;
            }
            lmx_recinfo_free(&info);
        }
        CHECK_EQ_INT(passing, n);
        total += n;
    }
    CHECK_EQ_INT(total, 4 + 3 + 1 + 3 + 2 + 2 + 0 + 1 + 3 + 1);
    lm_close(db);
}

static void test_record_parse(void)
{
    lmx_record r;
    char err[256];
    CHECK_EQ_INT(lmx_record_parse("{\"id\":\"E9\",\"kind\":\"expert\",\"name\":\"王五\",\"research\":\"5G基站\"}",
                                  LM_NUL_TERMINATED, 1, &r, err, sizeof err), LM_OK);
    CHECK_STR(r.label, "王五");
    CHECK_STR(r.text[LMX_COL_TITLE], "5G基站");
    lmx_record_free(&r);
    CHECK_EQ_INT(lmx_record_parse("{\"id\":\"P9\",\"kind\":\"problem\",\"fields\":[\"新\\n材料\"]}",
                                  LM_NUL_TERMINATED, 1, &r, err, sizeof err), LM_ERECORD);
    CHECK_CONTAINS(err, "record 'P9': field 'fields': item 1: a domain tag holds a control character");
    lmx_record_free(&r);
    CHECK_EQ_INT(lmx_record_parse("{\"kind\":\"problem\",\"title\":\"PEM燃料电池\"}", LM_NUL_TERMINATED, 0, &r, err,
                                  sizeof err), LM_OK);                /* a query needs no id */
    CHECK(r.label && !strcmp(r.label, "PEM燃料电池"));
    lmx_record_free(&r);
}

static void test_bad_synonym_row_is_skipped(void)
{
    lm_db *db = fresh("syn.db");
    if (!db) { CHECK(0); return; }
    CHECK_EQ_INT(lm_synonym_add(db, "碳化硅", "SiC"), LM_OK);
    /* A foreign program stores a pair that is not UTF-8. */
    CHECK_EQ_INT(sqlite3_exec(db->store.sql, "INSERT INTO synonym(a, b) VALUES(CAST(X'FFFE' AS TEXT), '测试')", 0, 0, 0),
                 SQLITE_OK);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(db, "碳化硅", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(has_query_term(r, "sic"));                      /* the good pair still works */
    lm_results_free(r);
    lm_close(db);
}

int main(void)
{
    if (lmt_tmpdir_init("store")) return 1;
    RUN(test_schema_and_statements);
    RUN(test_migration_from_v1);
    RUN(test_caches_follow_other_connections);
    RUN(test_filters_agree);
    RUN(test_record_parse);
    RUN(test_bad_synonym_row_is_skipped);
    return lmt_done();
}
