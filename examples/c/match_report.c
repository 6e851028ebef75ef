/*
** match_report.c -- the smallest useful libmatch program: load the sample
** libraries into a database and print the best achievements for a problem.
**
**   cc match_report.c $(pkg-config --cflags --libs libmatch) -o match_report
**   ./match_report examples/data report.db P-001
*/
#include <stdio.h>
#include <libmatch.h>

static int fail(lm_db *db, const char *what)
{
    fprintf(stderr, "%s: %s\n", what, lm_errmsg(db));
    lm_close(db);
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "examples/data";
    const char *path = argc > 2 ? argv[2] : ":memory:";
    const char *problem = argc > 3 ? argv[3] : "P-001";
    lm_db *db = NULL;
    if (lm_open(&db, path, 0) != LM_OK) return fail(db, "open");

    const char *files[] = { "problems.jsonl", "achievements.jsonl", "experts.jsonl" };
    for (int i = 0; i < 3; i++) {
        char file[1024];
        snprintf(file, sizeof file, "%s/%s", dir, files[i]);
        lm_report *rep = NULL;
        if (lm_load_jsonl(db, file, LM_LOAD_SKIP_BAD, &rep) != LM_OK) {
            lm_report_free(rep);
            return fail(db, file);
        }
        printf("%s: %lld loaded, %lld skipped\n", files[i],
               (long long)lm_report_loaded(rep), (long long)lm_report_skipped(rep));
        lm_report_free(rep);
    }

    lm_opts *opts = NULL;
    lm_opts_new(&opts);
    lm_opts_set_int(opts, LM_OPT_K, 5);
    lm_results *res = NULL;
    int rc = lm_match(db, LM_PROBLEM, problem, LM_ACHIEVEMENT, opts, &res);
    lm_opts_free(opts);
    if (rc != LM_OK) return fail(db, "match");
    printf("achievements for %s:\n", problem);
    for (int i = 0; i < lm_results_count(res); i++) {
        printf("%2d. %-8s %.3f  ", i + 1, lm_result_id(res, i), lm_result_score(res, i));
        for (int j = 0; j < lm_result_term_count(res, i); j++)
            printf("%s%s", j ? "," : "", lm_result_term(res, i, j));
        printf("\n");
    }
    lm_results_free(res);
    lm_close(db);
    return 0;
}
