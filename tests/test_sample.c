/*
** test_sample.c -- the sample libraries of examples/data: every hand-picked
** match of EXPECTED.tsv ranks first, in all six directions and for free
** text; the evidence model ranks the sparse-profile expert above the
** keyword-repeating one; links stay consistent on delete.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmatch.h"
#include "lmtest.h"

#define DATA "examples/data/"
static lm_db *db;

static void load(void)
{
    if (lm_open(&db, ":memory:", 0) != LM_OK) { fprintf(stderr, "%s\n", lm_errmsg(db)); exit(1); }
    FILE *f = fopen(DATA "userdict.txt", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, " \r\n")] = 0;
        if (line[0] && line[0] != '#') lm_dict_add(db, line, 0);
    }
    if (f) fclose(f);
    if (lm_synonyms_load_tsv(db, DATA "synonyms.tsv", NULL) != LM_OK) { fprintf(stderr, "%s\n", lm_errmsg(db)); exit(1); }
    const char *files[] = { DATA "problems.jsonl", DATA "achievements.jsonl", DATA "experts.jsonl" };
    for (int i = 0; i < 3; i++)
        if (lm_load_jsonl(db, files[i], LM_LOAD_ATOMIC, NULL) != LM_OK) { fprintf(stderr, "%s\n", lm_errmsg(db)); exit(1); }
}

static void test_expected_matches(void)
{
    FILE *f = fopen(DATA "EXPECTED.tsv", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\r\n")] = 0;
        char *save, *from = strtok_r(line, "\t", &save), *id = strtok_r(NULL, "\t", &save);
        char *to = strtok_r(NULL, "\t", &save), *expect = strtok_r(NULL, "\t", &save);
        if (!from || !id || !to || !expect) { CHECK(0); continue; }
        lm_results *r = NULL;
        int rc = !strcmp(from, "text")
                     ? lm_match_text(db, id, LM_NUL_TERMINATED, lm_kind_from_name(to), NULL, &r)
                     : lm_match(db, lm_kind_from_name(from), id, lm_kind_from_name(to), NULL, &r);
        CHECK_EQ_INT(rc, LM_OK);
        const char *got = lm_results_count(r) ? lm_result_id(r, 0) : "(none)";
        if (strcmp(got, expect)) fprintf(stderr, "  %s %s -> %s: expected %s, got %s\n", from, id, to, expect, got);
        CHECK_STR(got, expect);
        lm_results_free(r);
        cases++;
    }
    fclose(f);
    CHECK(cases >= 40);
}

static int rank_of(lm_results *r, const char *id)
{
    for (int i = 0; i < lm_results_count(r); i++)
        if (!strcmp(lm_result_id(r, i), id)) return i;
    return 1 << 20;
}

static void test_evidence_model(void)
{
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, NULL, &r), LM_OK);
    int sparse = rank_of(r, "E-008"), stuffed = rank_of(r, "E-021");
    CHECK(sparse < stuffed);
    /* The sparse expert's hit names its supporting achievements. */
    CHECK(lm_result_evidence_count(r, sparse) >= 1);
    CHECK_STR(lm_result_evidence_id(r, sparse, 0), "A-011");
    /* Absolute relevance of A-011 (a share of the query's maximum BM25), and
       the expert's evidence is that of its best achievement. */
    double ev = lm_result_evidence_score(r, sparse, 0);
    CHECK(ev > 0.2 && ev < 1.0);
    for (int j = 0; j < lm_result_component_count(r, sparse); j++)
        if (!strcmp(lm_result_component_name(r, sparse, j), "evidence")) CHECK(lm_result_component_value(r, sparse, j) == ev);
    CHECK(lm_result_probability(r, sparse) > lm_result_probability(r, stuffed));
    char *js = NULL;
    CHECK_EQ_INT(lm_results_json(r, &js), LM_OK);
    CHECK_CONTAINS(js, "\"evidence\":[{\"id\":\"A-011\",\"score\":0.");
    lm_free(js);
    lm_results_free(r);
    /* Without evidence the keyword-repeating profile wins: the test can fail. */
    lm_opts *o = NULL;
    lm_opts_new(&o);
    lm_opts_set_double(o, LM_OPT_W_EVIDENCE, 0);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, o, &r), LM_OK);
    CHECK(rank_of(r, "E-021") < rank_of(r, "E-008"));
    lm_results_free(r);
    /* Aggregation modes are options. */
    for (int m = LM_EVIDENCE_MAX; m <= LM_EVIDENCE_TOPM; m++) {
        lm_opts_set_double(o, LM_OPT_W_EVIDENCE, 2.0);
        CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_EVIDENCE_MODE, m), LM_OK);
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, o, &r), LM_OK);
        CHECK(rank_of(r, "E-008") < rank_of(r, "E-021"));
        lm_results_free(r);
    }
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_EVIDENCE_MODE, 9), LM_ERANGE);
    lm_opts_free(o);
}

static void test_links_on_delete(void)
{
    lm_results *r = NULL;
    /* Deleting removes E-008's evidence. */
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "A-011"), LM_OK);
    CHECK_EQ_INT(lm_delete(db, LM_ACHIEVEMENT, "A-012"), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, NULL, &r), LM_OK);
    int i = rank_of(r, "E-008");
    CHECK(i == 1 << 20 || lm_result_evidence_count(r, i) == 0);
    lm_results_free(r);
    /* Re-adding the achievement restores the link (declared on both sides). */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A-011\",\"kind\":\"achievement\",\"title\":\"锂离子电池热失控早期预警系统\","
                            "\"abstract\":\"储能电站热失控预警\",\"experts\":[\"E-008\"]}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, NULL, &r), LM_OK);
    CHECK_STR(lm_result_id(r, 0), "E-008");
    lm_results_free(r);
    /* Updating the expert without the link keeps the achievement's side. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"E-008\",\"kind\":\"expert\",\"name\":\"周安\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, NULL, &r), LM_OK);
    i = rank_of(r, "E-008");                 /* its profile is gone (no tags, region, text): evidence only */
    CHECK(i < 3);
    CHECK(i < lm_results_count(r) && lm_result_evidence_count(r, i) >= 1);
    if (i < lm_results_count(r) && lm_result_evidence_count(r, i) >= 1) CHECK_STR(lm_result_evidence_id(r, i, 0), "A-011");
    lm_results_free(r);
    /* Removing it from the achievement too ends the link. */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"A-011\",\"kind\":\"achievement\",\"title\":\"锂离子电池热失控早期预警系统\"}", LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-011", LM_EXPERT, NULL, &r), LM_OK);
    i = rank_of(r, "E-008");
    CHECK(i == 1 << 20 || lm_result_evidence_count(r, i) == 0);
    lm_results_free(r);
}

int main(void)
{
    if (access(DATA "problems.jsonl", R_OK) != 0) {
        printf("# sample data not found (run from the repository root)\n");
        return lmt_done();
    }
    load();
    RUN(test_expected_matches);
    RUN(test_evidence_model);
    RUN(test_links_on_delete);
    lm_close(db);
    return lmt_done();
}
