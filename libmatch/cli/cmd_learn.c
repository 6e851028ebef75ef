/*
** cmd_learn.c -- learning from outcomes: `lmatch feedback` records how
** matches turned out (one pair, or a TSV file of them), `lmatch learn`
** refits the database's match model on them (or --reset goes back to the
** default; --show prints the model in use).
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct { const char *name; int grade; } grades[] = {
    { "none", LM_GRADE_NONE }, { "contact", LM_GRADE_CONTACT }, { "visit", LM_GRADE_VISIT },
    { "contract", LM_GRADE_CONTRACT },
};

/* A grade: 0..3 or its name (none, contact, visit, contract). */
static int parse_grade(const cli_command *c, const char *opt, const char *s)
{
    for (size_t i = 0; i < sizeof grades / sizeof grades[0]; i++)
        if (!strcmp(s, grades[i].name)) return grades[i].grade;
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && v >= LM_GRADE_NONE && v <= LM_GRADE_CONTRACT) return (int)v;
    cli_usage(c, "%s '%s': expected 0-3 or none, contact, visit, contract", opt, s);
}

/* Lines "FROM_KIND<TAB>FROM_ID<TAB>TO_KIND<TAB>TO_ID<TAB>GRADE" ('#' starts a
   comment; a header line starting with from_kind is skipped); each is one
   judgment.  Stops at the first bad line, naming it. */
static int feedback_file(lm_db *db, const cli_command *c, const char *path, long long *n)
{
    size_t len;
    char *data = cli_read_all(path, &len), *save = NULL;
    long long line = 0;
    int rc = 0;
    for (char *l = strtok_r(data, "\n", &save); l && !rc; l = strtok_r(NULL, "\n", &save)) {
        line++;
        l[strcspn(l, "\r")] = 0;
        if (!*l || *l == '#' || !strncmp(l, "from_kind\t", 10)) continue;
        char *f[5], *s2 = NULL;
        int nf = 0;
        for (char *p = strtok_r(l, "\t", &s2); p && nf < 5; p = strtok_r(NULL, "\t", &s2)) f[nf++] = p;
        if (nf != 5) {
            free(data);
            cli_die("%s line %lld: expected 5 tab-separated fields (from_kind, from_id, to_kind, to_id, grade)",
                    cli_source_name(path), line);
        }
        int fk = lm_kind_from_name(f[0]), tk = lm_kind_from_name(f[2]);
        if (!fk || !tk) {
            free(data);
            cli_die("%s line %lld: '%s' is not a kind (problem, achievement, expert)", cli_source_name(path), line,
                    fk ? f[2] : f[0]);
        }
        char opt[64];
        snprintf(opt, sizeof opt, "%s line %lld: grade", cli_source_name(path), line);
        rc = lm_feedback_put(db, fk, f[1], tk, f[3], parse_grade(c, opt, f[4]));
        if (rc) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s", lm_errmsg(db));
            free(data);
            lm_close(db);
            cli_die("%s line %lld: %s (%lld judgments before it stored)", cli_source_name(path), line, msg, *n);
        }
        (*n)++;
    }
    free(data);
    return rc;
}

int cmd_feedback(int argc, char **argv)
{
    const cli_command *c = cli_find_command("feedback");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    const char *from_id = NULL, *to_id = NULL, *file = NULL;
    int from = 0, to = 0, grade = -2, json = 0;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "problem", 0)) { from = LM_PROBLEM; from_id = cli_args_value(&a); }
        else if (cli_args_is(&a, "achievement", 0)) { from = LM_ACHIEVEMENT; from_id = cli_args_value(&a); }
        else if (cli_args_is(&a, "expert", 0)) { from = LM_EXPERT; from_id = cli_args_value(&a); }
        else if (cli_args_is(&a, "to", 0)) to = cli_kind(c, a.opt, cli_args_value(&a));
        else if (cli_args_is(&a, "id", 0)) to_id = cli_args_value(&a);
        else if (cli_args_is(&a, "grade", 0)) grade = parse_grade(c, a.opt, cli_args_value(&a));
        else if (cli_args_is(&a, "delete", 0)) { cli_args_flag(&a); grade = LM_GRADE_DELETE; }
        else if (cli_args_is(&a, "file", 0)) file = cli_args_value(&a);
        else if (cli_args_is(&a, "json", 0)) { cli_args_flag(&a); json = 1; }
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a database");
    if (file && (from || to || to_id || grade != -2))
        cli_usage(c, "--file takes the judgments from the file: no --problem/--to/--id/--grade with it");
    if (!file && (!from || !to || !to_id || grade == -2))
        cli_usage(c, "a judgment needs --problem|--achievement|--expert ID, --to KIND, --id ID and --grade G "
                     "(or --delete), or --file FILE");
    lm_db *db = cli_open(a.pos[0], 0, 0);
    long long n = 0;
    int rc = file ? feedback_file(db, c, file, &n) : lm_feedback_put(db, from, from_id, to, to_id, grade);
    if (rc) return cli_fail(db, rc);
    if (!file) n = 1;
    if (json) printf("{\"stored\":%lld}\n", n);
    else if (!cli_quiet) printf("%lld judgment%s stored\n", n, n == 1 ? "" : "s");
    lm_close(db);
    return fflush(stdout) ? CLI_EXIT_ERROR : 0;
}

int cmd_learn(int argc, char **argv)
{
    const cli_command *c = cli_find_command("learn");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    lm_opts *o = NULL;
    if (lm_opts_new(&o)) cli_die("out of memory");
    int json = 0, reset = 0, show = 0;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "json", 0)) { cli_args_flag(&a); json = 1; }
        else if (cli_args_is(&a, "reset", 0)) { cli_args_flag(&a); reset = 1; }
        else if (cli_args_is(&a, "show", 0)) { cli_args_flag(&a); show = 1; }
        else if (!cli_registry_opt(&a, o, CLI_OPTS_MATCH)) cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a database");
    if (reset + show > 1) cli_usage(c, "--reset and --show do not go together");
    lm_db *db = cli_open(a.pos[0], show, 0);
    int rc;
    if (show) {
        char *js = NULL;
        if ((rc = lm_model_json(db, &js))) { lm_opts_free(o); return cli_fail(db, rc); }
        puts(js);
        lm_free(js);
    } else if (reset) {
        if ((rc = lm_model_reset(db))) { lm_opts_free(o); return cli_fail(db, rc); }
        if (json) puts("{\"model\":\"default\"}");
        else if (!cli_quiet) puts("the default match model is in use again");
    } else {
        lm_learn_report *r = NULL;
        if ((rc = lm_learn(db, o, &r))) { lm_opts_free(o); return cli_fail(db, rc); }
        if (json) {
            char *js = NULL;
            if (lm_learn_report_json(r, &js)) cli_die("out of memory");
            puts(js);
            lm_free(js);
        } else {
            printf("%s\n", lm_learn_report_reason(r));
            printf("judged pairs %lld (relevant %lld) on %lld records\n", (long long)lm_learn_report_pairs(r),
                   (long long)lm_learn_report_relevant(r), (long long)lm_learn_report_queries(r));
            printf("nDCG@10   %.4f -> %.4f\nlog-loss  %.4f -> %.4f\n", lm_learn_report_ndcg_before(r),
                   lm_learn_report_ndcg_after(r), lm_learn_report_logloss_before(r), lm_learn_report_logloss_after(r));
        }
        lm_learn_report_free(r);
    }
    lm_opts_free(o);
    lm_close(db);
    return fflush(stdout) ? CLI_EXIT_ERROR : 0;
}
