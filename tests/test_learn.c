/*
** test_learn.c -- the match probability (匹配度) and learning from outcomes
** on the Chinese sample libraries of examples/data: probabilities on one
** scale across queries (an off-topic need gets a low one), min_probability,
** judged matches (lm_feedback_put), lm_learn (too few judgments; judgments
** simulated from a rule on half of the problems raise nDCG@10 on the other
** half; other handles see the adopted model), lm_model_reset,
** lm_model_json, a stored model that does not read, read-only handles and
** the schema migration to version 3.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "libmatch.h"
#include "lmtest.h"

#define DATA "examples/data/"

static lm_db *load(const char *path)
{
    lm_db *db = NULL;
    if (lm_open(&db, path, 0) != LM_OK) { fprintf(stderr, "%s\n", lm_errmsg(db)); exit(1); }
    const char *files[] = { DATA "problems.jsonl", DATA "achievements.jsonl", DATA "experts.jsonl" };
    for (int i = 0; i < 3; i++)
        if (lm_load_jsonl(db, files[i], LM_LOAD_ATOMIC, NULL) != LM_OK) { fprintf(stderr, "%s\n", lm_errmsg(db)); exit(1); }
    return db;
}

static double top_probability(lm_db *db, const char *text, int to)
{
    lm_results *r = NULL;
    double p = -1;
    if (lm_match_text(db, text, LM_NUL_TERMINATED, to, NULL, &r) == LM_OK && lm_results_count(r) > 0)
        p = lm_result_probability(r, 0);
    lm_results_free(r);
    return p;
}

static void test_probability(void)
{
    lm_db *db = load(lmt_tmp_path("p.db"));
    /* One scale across queries: the off-topic need of the issue (one word of
       it, 配方, is in the index) is far below a genuine match. */
    double off = top_probability(db, "火锅底料配方", LM_EXPERT);
    double quantum = top_probability(db, "量子计算机", LM_EXPERT);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-001", LM_EXPERT, NULL, &r), LM_OK);
    CHECK_STR(lm_result_id(r, 0), "E-022");
    double genuine = lm_result_probability(r, 0);
    lm_results_free(r);
    fprintf(stderr, "  火锅底料配方 %.3f, 量子计算机 %.3f, P-001 -> E-022 %.3f\n", off, quantum, genuine);
    CHECK(off >= 0 && off < 0.3);
    CHECK(quantum >= 0 && quantum < 0.3);
    CHECK(genuine > 0.5);
    /* Every hit: a probability in (0, 1), the score with the default fusion,
       non-increasing down the list; in JSON too. */
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) >= 5);
    for (int i = 0; i < lm_results_count(r); i++) {
        double p = lm_result_probability(r, i);
        CHECK(p > 0 && p < 1);
        CHECK(lm_result_score(r, i) == p);
        if (i) CHECK(p <= lm_result_probability(r, i - 1));
    }
    char *js = NULL;
    CHECK_EQ_INT(lm_results_json(r, &js), LM_OK);
    CHECK_CONTAINS(js, "\"probability\":0.");
    lm_free(js);
    double cut = (lm_result_probability(r, 0) + lm_result_probability(r, 1)) / 2;
    lm_results_free(r);
    /* min_probability keeps the hits at or above it, whatever the fusion. */
    lm_opts *o = NULL;
    CHECK_EQ_INT(lm_opts_new(&o), LM_OK);
    char v[32];
    snprintf(v, sizeof v, "%.17g", cut);
    CHECK_EQ_INT(lm_opts_set(o, "min_probability", v), LM_OK);
    for (int f = 0; f < 2; f++) {
        CHECK_EQ_INT(lm_opts_set(o, "fusion", f ? "rrf" : "model"), LM_OK);
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_ACHIEVEMENT, o, &r), LM_OK);
        CHECK_EQ_INT(lm_results_count(r), 1);
        CHECK_STR(lm_result_id(r, 0), "A-011");
        lm_results_free(r);
    }
    CHECK_EQ_INT(lm_opts_set(o, "min_probability", "1.5"), LM_ERANGE);
    CHECK_CONTAINS(lm_opts_errmsg(o), "min_probability");
    lm_opts_free(o);
    /* Traditional and Simplified script: the same probability. */
    double s = top_probability(db, "锂离子电池热失控预警", LM_ACHIEVEMENT);
    double t = top_probability(db, "鋰離子電池熱失控預警", LM_ACHIEVEMENT);
    CHECK(s > 0.5 && fabs(s - t) < 1e-12);
    lm_close(db);
}

/* ---- learning ---------------------------------------------------------------------- */

/* The fields and maturity of a stored record. */
static int fields_of(lm_db *db, int kind, const char *id, char tags[8][64], int *maturity)
{
    char *js = NULL;
    int n = 0;
    *maturity = 0;
    if (lm_get(db, kind, id, &js) != LM_OK) return 0;
    cJSON *o = cJSON_Parse(js), *f = cJSON_GetObjectItem(o, "fields"), *m = cJSON_GetObjectItem(o, "maturity");
    for (cJSON *t = f ? f->child : NULL; t && n < 8; t = t->next) snprintf(tags[n++], 64, "%s", t->valuestring);
    if (cJSON_IsNumber(m)) *maturity = m->valueint;
    cJSON_Delete(o);
    lm_free(js);
    return n;
}

/* The simulated outcome: on this platform an achievement led to a contract
   (3) when it shares a domain tag with the problem and is mature (TRL >= 7),
   to a visit (1) when it only shares the tag, else to nothing. */
static int outcome(lm_db *db, const char *problem, const char *achievement)
{
    char pt[8][64], at[8][64];
    int pm, am;
    int np = fields_of(db, LM_PROBLEM, problem, pt, &pm), na = fields_of(db, LM_ACHIEVEMENT, achievement, at, &am);
    int shared = 0;
    for (int i = 0; i < np; i++)
        for (int j = 0; j < na; j++) shared |= !strcmp(pt[i], at[j]);
    return shared ? (am >= 7 ? 3 : 1) : 0;
}

/* Mean nDCG@10 of the problems of one parity (by position), judged by the
   rule over their top 30 hits. */
static double ndcg_half(lm_db *db, char **ids, int n, int parity)
{
    double sum = 0;
    int cnt = 0;
    lm_opts *o = NULL;
    lm_opts_new(&o);
    lm_opts_set_int(o, LM_OPT_K, 30);
    for (int i = parity; i < n; i += 2) {
        lm_results *r = NULL;
        if (lm_match(db, LM_PROBLEM, ids[i], LM_ACHIEVEMENT, o, &r) != LM_OK) continue;
        int g[30], ng = lm_results_count(r);
        double dcg = 0, idcg = 0;
        for (int k = 0; k < ng; k++) g[k] = outcome(db, ids[i], lm_result_id(r, k));
        for (int k = 0; k < ng && k < 10; k++) dcg += g[k] / log2(k + 2.0);
        for (int a = 0; a < ng; a++)                     /* ideal: grades sorted */
            for (int b = a + 1; b < ng; b++)
                if (g[b] > g[a]) { int x = g[a]; g[a] = g[b]; g[b] = x; }
        for (int k = 0; k < ng && k < 10; k++) idcg += g[k] / log2(k + 2.0);
        if (idcg > 0) { sum += dcg / idcg; cnt++; }
        lm_results_free(r);
    }
    lm_opts_free(o);
    return cnt ? sum / cnt : 0;
}

static int collect_id(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    char ***ids = ctx;
    int n = 0;
    while ((*ids)[n]) n++;
    (*ids)[n] = strdup(id);
    return 0;
}

static void test_feedback_errors(void)
{
    lm_db *db = load(lmt_tmp_path("fb.db"));
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", 4), LM_ERANGE);
    CHECK_CONTAINS(lm_errmsg(db), "grade 4");
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-999", 1), LM_ENOTFOUND);
    CHECK_CONTAINS(lm_errmsg(db), "E-999");
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-999", LM_EXPERT, "E-022", 1), LM_ENOTFOUND);
    CHECK_EQ_INT(lm_feedback_put(db, 7, "P-001", LM_EXPERT, "E-022", 1), LM_EINVAL);
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, NULL, LM_EXPERT, "E-022", 1), LM_EINVAL);
    CHECK_EQ_INT(lm_feedback_put(NULL, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", 1), LM_EINVAL);
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", LM_GRADE_VISIT), LM_OK);
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", LM_GRADE_CONTRACT), LM_OK);  /* replaces */
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-001", LM_GRADE_NONE), LM_OK);
    char *js = NULL;
    CHECK_EQ_INT(lm_stats_json(db, &js), LM_OK);
    CHECK_CONTAINS(js, "\"feedback\":2");
    CHECK_CONTAINS(js, "\"model\":\"default\"");
    CHECK_CONTAINS(js, "\"schema_version\":3");
    lm_free(js);
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-001", LM_GRADE_DELETE), LM_OK);
    CHECK_EQ_INT(lm_stats_json(db, &js), LM_OK);
    CHECK_CONTAINS(js, "\"feedback\":1");
    lm_free(js);
    /* Too few judgments: LM_ESTATE with the counts, nothing changes. */
    lm_learn_report *rep = (lm_learn_report *)1;
    CHECK_EQ_INT(lm_learn(db, NULL, &rep), LM_ESTATE);
    CHECK(rep == NULL);
    CHECK_CONTAINS(lm_errmsg(db), "1 judged pairs");
    CHECK_CONTAINS(lm_errmsg(db), "learn_min_pairs");
    CHECK_EQ_INT(lm_learn(NULL, NULL, NULL), LM_EINVAL);
    /* The report accessors take NULL. */
    CHECK(lm_learn_report_adopted(NULL) == 0 && lm_learn_report_reason(NULL) == NULL);
    CHECK_EQ_INT(lm_learn_report_json(NULL, &js), LM_EINVAL);
    lm_learn_report_free(NULL);
    lm_close(db);
    /* Read-only handles refuse every write. */
    CHECK_EQ_INT(lm_open(&db, lmt_tmp_path("fb.db"), LM_OPEN_READONLY), LM_OK);
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", 1), LM_ESTATE);
    CHECK_EQ_INT(lm_learn(db, NULL, NULL), LM_ESTATE);
    CHECK_EQ_INT(lm_model_reset(db), LM_ESTATE);
    CHECK_EQ_INT(lm_model_json(db, &js), LM_OK);               /* reading is fine */
    CHECK_CONTAINS(js, "\"source\":\"default\"");
    lm_free(js);
    lm_close(db);
}

static void test_learning_raises_held_out_ndcg(void)
{
    const char *path = lmt_tmp_path("learn.db");
    lm_db *db = load(path);
    lm_db *other = NULL;
    CHECK_EQ_INT(lm_open(&other, path, 0), LM_OK);          /* another handle, opened before */
    char **ids = calloc(100, sizeof *ids);
    CHECK_EQ_INT(lm_scan(db, LM_PROBLEM, collect_id, &ids), LM_OK);
    int n = 0;
    while (ids[n]) n++;
    CHECK(n >= 40);
    double before = ndcg_half(db, ids, n, 1);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(other, LM_PROBLEM, "P-002", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    double p_before = lm_result_probability(r, 0);
    lm_results_free(r);
    /* Outcomes of the even problems' top 10 achievements. */
    int judged = 0;
    for (int i = 0; i < n; i += 2) {
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, ids[i], LM_ACHIEVEMENT, NULL, &r), LM_OK);
        for (int k = 0; k < lm_results_count(r); k++) {
            CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, ids[i], LM_ACHIEVEMENT, lm_result_id(r, k),
                                         outcome(db, ids[i], lm_result_id(r, k))), LM_OK);
            judged++;
        }
        lm_results_free(r);
    }
    lm_learn_report *rep = NULL;
    CHECK_EQ_INT(lm_learn(db, NULL, &rep), LM_OK);
    if (!rep) { CHECK(0); lm_close(db); lm_close(other); return; }
    fprintf(stderr, "  %s\n", lm_learn_report_reason(rep));
    CHECK_EQ_INT(lm_learn_report_adopted(rep), 1);
    CHECK_EQ_INT(lm_learn_report_pairs(rep), judged);
    CHECK(lm_learn_report_relevant(rep) > 5 && lm_learn_report_relevant(rep) < judged - 5);
    CHECK_EQ_INT(lm_learn_report_queries(rep), (n + 1) / 2);
    CHECK(lm_learn_report_ndcg_after(rep) >= lm_learn_report_ndcg_before(rep));
    CHECK(lm_learn_report_logloss_after(rep) < lm_learn_report_logloss_before(rep));
    char *js = NULL;
    CHECK_EQ_INT(lm_learn_report_json(rep, &js), LM_OK);
    CHECK_CONTAINS(js, "\"adopted\":true");
    CHECK_CONTAINS(js, "\"model\":{\"format\":\"libmatch-model/1\"");
    lm_free(js);
    lm_learn_report_free(rep);
    /* The held-out half ranks better by the rule the outcomes followed. */
    double after = ndcg_half(db, ids, n, 1);
    fprintf(stderr, "  held-out nDCG@10 %.4f -> %.4f\n", before, after);
    CHECK(after > before + 0.01);
    /* The model in use is the learned one, for this handle and the other. */
    CHECK_EQ_INT(lm_model_json(db, &js), LM_OK);
    CHECK_CONTAINS(js, "\"source\":\"learned\"");
    CHECK_CONTAINS(js, "\"cv\":{");
    lm_free(js);
    CHECK_EQ_INT(lm_match(other, LM_PROBLEM, "P-002", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_result_probability(r, 0) != p_before);
    lm_results_free(r);
    CHECK_EQ_INT(lm_stats_json(other, &js), LM_OK);
    CHECK_CONTAINS(js, "\"model\":\"learned\"");
    lm_free(js);
    /* Back to the default: the same probabilities as before learning. */
    CHECK_EQ_INT(lm_model_reset(db), LM_OK);
    CHECK_EQ_INT(lm_model_reset(db), LM_OK);                /* none: still fine */
    CHECK_EQ_INT(lm_match(other, LM_PROBLEM, "P-002", LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_result_probability(r, 0) == p_before);
    lm_results_free(r);
    CHECK(fabs(ndcg_half(db, ids, n, 1) - before) < 1e-12);
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
    lm_close(other);
    lm_close(db);
}

/* A stored model that does not read is an error that names it, never a
   silent fallback; lm_model_reset() repairs it. */
static void test_unreadable_model(void)
{
    const char *path = lmt_tmp_path("bad.db");
    lm_db *db = load(path);
    lm_close(db);
    static const char *bad[] = {
        "not json",
        "{\"format\":\"libmatch-model/1\",\"intercept\":0,\"expert\":0,\"terms\":[{\"feature\":\"colour\",\"transform\":\"log\",\"coef\":1}]}",
        "{\"format\":\"libmatch-model/9\",\"intercept\":0,\"expert\":0,\"terms\":[]}",
        "{\"format\":\"libmatch-model/1\",\"intercept\":0,\"expert\":0,\"terms\":[{\"feature\":\"bm25\",\"transform\":\"cube\",\"coef\":1}]}",
    };
    static const char *says[] = { "not JSON", "unknown feature \"colour\"", "libmatch-model/1", "linear, sqrt or log" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sqlite3 *raw;
        CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
        sqlite3_stmt *s;
        CHECK_EQ_INT(sqlite3_prepare_v2(raw, "INSERT OR REPLACE INTO meta(key, value) VALUES('model', ?)", -1, &s, NULL),
                     SQLITE_OK);
        sqlite3_bind_text(s, 1, bad[i], -1, SQLITE_STATIC);
        CHECK_EQ_INT(sqlite3_step(s), SQLITE_DONE);
        sqlite3_finalize(s);
        sqlite3_close(raw);
        CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
        lm_results *r = NULL;
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-001", LM_ACHIEVEMENT, NULL, &r), LM_EDB);
        CHECK(r == NULL);
        CHECK_CONTAINS(lm_errmsg(db), "match model is unreadable");
        CHECK_CONTAINS(lm_errmsg(db), says[i]);
        CHECK_EQ_INT(lm_model_reset(db), LM_OK);
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-001", LM_ACHIEVEMENT, NULL, &r), LM_OK);
        CHECK_STR(lm_result_id(r, 0), "A-001");
        lm_results_free(r);
        lm_close(db);
    }
}

/* A version 2 file gains the feedback table on its first writable open. */
static void test_migration_to_v3(void)
{
    const char *path = lmt_tmp_path("v2.db");
    lm_db *db = load(path);
    lm_close(db);
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(path, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, "DROP TABLE feedback; DROP TABLE pst_term; DROP TABLE pst_block; DELETE FROM meta WHERE key LIKE 'pst%';"
                              "UPDATE meta SET value = '2' WHERE key = 'schema_version';",
                              0, 0, 0), SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(lm_open(&db, path, LM_OPEN_READONLY), LM_EMISMATCH);   /* cannot migrate read-only */
    lm_close(db);
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    CHECK_EQ_INT(lm_feedback_put(db, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", LM_GRADE_CONTACT), LM_OK);
    char *js = NULL;
    CHECK_EQ_INT(lm_stats_json(db, &js), LM_OK);
    CHECK_CONTAINS(js, "\"schema_version\":3");
    CHECK_CONTAINS(js, "\"feedback\":1");
    lm_free(js);
    lm_close(db);
}

/* One call at a time per handle: inside lm_scan's callback the writes of
   learning are refused (LM_EMISUSE) and the model can still be read. */
struct misuse { lm_db *db; int put, learn, reset, json, calls; };

static int misuse_cb(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    struct misuse *m = ctx;
    if (m->calls++) return 1;                      /* once is enough */
    lm_learn_report *rep = NULL;
    char *js = NULL;
    m->put = lm_feedback_put(m->db, LM_PROBLEM, "P-001", LM_EXPERT, "E-022", LM_GRADE_CONTACT);
    m->learn = lm_learn(m->db, NULL, &rep);
    m->reset = lm_model_reset(m->db);
    m->json = lm_model_json(m->db, &js);
    if (js && !strstr(js, "\"source\":\"default\"")) m->json = -1;
    lm_free(js);
    lm_learn_report_free(rep);
    return 0;
}

static void test_misuse(void)
{
    struct misuse m = { load(lmt_tmp_path("misuse.db")), 0, 0, 0, 0, 0 };
    lm_scan(m.db, LM_PROBLEM, misuse_cb, &m);
    CHECK_EQ_INT(m.calls, 2);
    CHECK_EQ_INT(m.put, LM_EMISUSE);
    CHECK_EQ_INT(m.learn, LM_EMISUSE);
    CHECK_EQ_INT(m.reset, LM_EMISUSE);
    CHECK_EQ_INT(m.json, LM_OK);
    char *js = NULL;                               /* idle again: nothing was stored */
    CHECK_EQ_INT(lm_stats_json(m.db, &js), LM_OK);
    CHECK_CONTAINS(js, "\"feedback\":0");
    lm_free(js);
    lm_close(m.db);
}

int main(void)
{
    if (lmt_tmpdir_init("learn")) return 1;
    RUN(test_probability);
    RUN(test_feedback_errors);
    RUN(test_learning_raises_held_out_ndcg);
    RUN(test_unreadable_model);
    RUN(test_migration_to_v3);
    RUN(test_misuse);
    return lmt_done();
}
