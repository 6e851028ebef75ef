/*
** lmatch -- command-line front end of libmatch.  Uses only libmatch.h.
**
**   lmatch load DB FILE.jsonl [--skip-bad] [--json]
**   lmatch put DB 'JSON'
**   lmatch match DB (--problem|--achievement|--expert) ID --to KIND [options]
**   lmatch query DB "text" --to KIND [options]
**   lmatch get DB KIND ID | lmatch delete DB KIND ID | lmatch stats DB
**   lmatch analyze "text" [--db DB] [--mode words|subwords|bigrams|all]
**   lmatch dict DB WORD [FREQ] | lmatch synonyms DB FILE.tsv | lmatch reindex DB
**   lmatch allocate DB --to expert|achievement [--problems ID,ID..] [--candidates ID,ID..]
**                  [--capacity N] [--per-problem M] [--min-score X] [--json]
**
** Match options: -k N, --offset N, --region PREFIX, --field TAG (repeatable),
** --min-maturity N, --max-terms N, --w-title X, --w-body X, --w-keywords X,
** --w-bm25 X, --w-fields X, --w-region X, --w-maturity X, --json.
** Exit status 0 on success, 1 on an error (one line on stderr), 2 on usage.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"

static const char *prog = "lmatch";

static void usage(void)
{
    fprintf(stderr,
        "usage:\n"
        "  %s load DB FILE.jsonl [--skip-bad] [--json]\n"
        "  %s put DB JSON\n"
        "  %s match DB (--problem|--achievement|--expert) ID --to KIND [-k N] [--json] [filters/weights]\n"
        "  %s query DB TEXT --to KIND [-k N] [--json] [filters/weights]\n"
        "  %s get DB KIND ID\n"
        "  %s delete DB KIND ID\n"
        "  %s stats DB\n"
        "  %s analyze TEXT [--db DB] [--mode words|subwords|bigrams|all]\n"
        "  %s dict DB WORD [FREQ]\n"
        "  %s synonyms DB FILE.tsv\n"
        "  %s reindex DB\n"
        "  %s allocate DB --to expert|achievement [--problems ID,..] [--candidates ID,..]\n"
        "       [--capacity N] [--per-problem M] [--min-score X] [--json]\n"
        "filters/weights: --offset N --region PREFIX --field TAG --min-maturity N --max-terms N\n"
        "  --w-title X --w-body X --w-keywords X --w-bm25 X --w-fields X --w-region X --w-maturity X\n",
        prog, prog, prog, prog, prog, prog, prog, prog, prog, prog, prog, prog);
    exit(2);
}

static int fail_db(lm_db *db, int rc)
{
    fprintf(stderr, "%s: %s\n", prog, db ? lm_errmsg(db) : lm_errstr(rc));
    lm_close(db);
    return 1;
}

static lm_db *open_db(const char *path, int flags)
{
    lm_db *db = NULL;
    int rc = lm_open(&db, path, flags);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, db ? lm_errmsg(db) : lm_errstr(rc));
        lm_close(db);
        exit(1);
    }
    return db;
}

static int kind_arg(const char *s)
{
    int k = lm_kind_from_name(s);
    if (!k) {
        fprintf(stderr, "%s: '%s' is not a kind (problem, achievement, expert)\n", prog, s);
        exit(2);
    }
    return k;
}

static const char *need(int argc, char **argv, int i)
{
    if (i >= argc) usage();
    return argv[i];
}

/* Print "key" with display padding that counts CJK characters as 2 columns. */
static void pad_print(const char *s, int width)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x80) w++;
        else if ((*p & 0xC0) != 0x80) w += (*p >= 0xE0) ? 2 : 1;
    }
    fputs(s, stdout);
    for (; w < width; w++) putchar(' ');
}

static void print_results(lm_db *db, lm_results *r, int json)
{
    if (json) {
        char *s = NULL;
        if (lm_results_json(r, &s) == LM_OK) puts(s);
        lm_free(s);
        return;
    }
    int n = lm_results_count(r);
    if (n == 0) { puts("(no match)"); return; }
    printf("%-4s %-14s %-7s  %-40s %s\n", "#", "id", "score", "components", "matched terms");
    for (int i = 0; i < n; i++) {
        char comps[256] = "";
        size_t off = 0;
        for (int j = 0; j < lm_result_component_count(r, i); j++) {
            const char *name = lm_result_component_name(r, i, j);
            double v = lm_result_component_value(r, i, j);
            if (strcmp(name, "bm25_raw") == 0 || v == 0) continue;
            off += (size_t)snprintf(comps + off, sizeof comps - off, "%s%s=%.2f", off ? " " : "", name, v);
            if (off >= sizeof comps) break;
        }
        printf("%-4d ", i + 1);
        pad_print(lm_result_id(r, i), 14);
        printf(" %-7.4f  %-40s ", lm_result_score(r, i), comps);
        for (int j = 0; j < lm_result_term_count(r, i) && j < 12; j++)
            printf("%s%s", j ? " " : "", lm_result_term(r, i, j));
        putchar('\n');
        /* Show the title/name of the hit to make the table readable. */
        char *js = NULL;
        if (lm_get(db, lm_result_kind(r, i), lm_result_id(r, i), &js) == LM_OK) {
            const char *keys[] = { "\"title\":", "\"name\":" };
            for (int k = 0; k < 2; k++) {
                const char *t = strstr(js, keys[k]);
                if (!t) continue;
                t = strchr(t + strlen(keys[k]), '"');
                const char *e = t ? strchr(t + 1, '"') : NULL;
                if (t && e) printf("     %.*s\n", (int)(e - t - 1), t + 1);
                break;
            }
        }
        lm_free(js);
    }
}

/* Parse shared match options from argv[i..]; returns the options. */
static lm_opts *parse_opts(int argc, char **argv, int i, int *to, int *json, const char **from_id, int *from_kind)
{
    lm_opts *o = NULL;
    if (lm_opts_new(&o)) { fprintf(stderr, "%s: out of memory\n", prog); exit(1); }
    for (; i < argc; i++) {
        const char *a = argv[i];
        int rc = LM_OK;
        if (!strcmp(a, "--to")) *to = kind_arg(need(argc, argv, ++i));
        else if (!strcmp(a, "--json")) *json = 1;
        else if (from_id && (!strcmp(a, "--problem") || !strcmp(a, "--achievement") || !strcmp(a, "--expert"))) {
            *from_kind = lm_kind_from_name(a + 2);
            *from_id = need(argc, argv, ++i);
        }
        else if (!strcmp(a, "-k") || !strcmp(a, "--k")) rc = lm_opts_set_int(o, LM_OPT_K, atoll(need(argc, argv, ++i)));
        else if (!strcmp(a, "--offset")) rc = lm_opts_set_int(o, LM_OPT_OFFSET, atoll(need(argc, argv, ++i)));
        else if (!strcmp(a, "--min-maturity")) rc = lm_opts_set_int(o, LM_OPT_MIN_MATURITY, atoll(need(argc, argv, ++i)));
        else if (!strcmp(a, "--max-terms")) rc = lm_opts_set_int(o, LM_OPT_MAX_TERMS, atoll(need(argc, argv, ++i)));
        else if (!strcmp(a, "--region")) rc = lm_opts_set_str(o, LM_OPT_REGION, need(argc, argv, ++i));
        else if (!strcmp(a, "--field")) rc = lm_opts_set_str(o, LM_OPT_FIELD, need(argc, argv, ++i));
        else if (!strncmp(a, "--w-", 4)) {
            static const struct { const char *n; int k; } w[] = {
                {"title", LM_OPT_W_TITLE}, {"body", LM_OPT_W_BODY}, {"keywords", LM_OPT_W_KEYWORDS},
                {"extra", LM_OPT_W_EXTRA}, {"bm25", LM_OPT_W_BM25}, {"fields", LM_OPT_W_FIELDS},
                {"region", LM_OPT_W_REGION}, {"maturity", LM_OPT_W_MATURITY},
            };
            int key = 0;
            for (size_t j = 0; j < sizeof w / sizeof w[0]; j++) if (!strcmp(a + 4, w[j].n)) key = w[j].k;
            if (!key) { fprintf(stderr, "%s: unknown weight '%s'\n", prog, a); exit(2); }
            char *end;
            const char *v = need(argc, argv, ++i);
            double d = strtod(v, &end);
            if (*end) { fprintf(stderr, "%s: %s: '%s' is not a number\n", prog, a, v); exit(2); }
            rc = lm_opts_set_double(o, key, d);
        }
        else { fprintf(stderr, "%s: unknown option '%s'\n", prog, a); exit(2); }
        if (rc) { fprintf(stderr, "%s: %s: %s\n", prog, a, lm_errstr(rc)); exit(2); }
    }
    if (!*to) { fprintf(stderr, "%s: --to KIND is required\n", prog); exit(2); }
    return o;
}

static int mode_arg(const char *s)
{
    if (!strcmp(s, "words")) return LM_ANALYZE_WORDS;
    if (!strcmp(s, "subwords")) return LM_ANALYZE_WORDS | LM_ANALYZE_SUBWORDS;
    if (!strcmp(s, "bigrams")) return LM_ANALYZE_BIGRAMS;
    if (!strcmp(s, "all")) return LM_ANALYZE_ALL;
    fprintf(stderr, "%s: unknown mode '%s' (words, subwords, bigrams, all)\n", prog, s);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    const char *cmd = argv[1];
    int rc;
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("lmatch %s\n", lm_version());
        return 0;
    }
    if (!strcmp(cmd, "analyze")) {
        const char *text = need(argc, argv, 2), *dbp = NULL;
        int mode = 0;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--db")) dbp = need(argc, argv, ++i);
            else if (!strcmp(argv[i], "--mode")) mode = mode_arg(need(argc, argv, ++i));
            else usage();
        }
        lm_db *db = dbp ? open_db(dbp, 0) : NULL;
        lm_tokens *t = NULL;
        if ((rc = lm_analyze(db, text, LM_NUL_TERMINATED, mode, &t))) return fail_db(db, rc);
        for (int i = 0; i < lm_tokens_count(t); i++)
            printf("%s\t%d\t%d%s\n", lm_token_text(t, i), lm_token_start(t, i), lm_token_end(t, i),
                   (lm_token_flags(t, i) & LM_TOKEN_COLOCATED) ? "\tcolocated" : "");
        lm_tokens_free(t);
        lm_close(db);
        return 0;
    }
    if (argc < 3) usage();
    const char *dbp = argv[2];

    if (!strcmp(cmd, "load")) {
        const char *file = need(argc, argv, 3);
        int skip = 0, json = 0;
        for (int i = 4; i < argc; i++) {
            if (!strcmp(argv[i], "--skip-bad")) skip = 1;
            else if (!strcmp(argv[i], "--json")) json = 1;
            else usage();
        }
        lm_db *db = open_db(dbp, 0);
        lm_report *rep = NULL;
        rc = lm_load_jsonl(db, file, skip ? LM_LOAD_SKIP_BAD : LM_LOAD_ATOMIC, &rep);
        if (json && rep) {
            char *s = NULL;
            lm_report_json(rep, &s);
            if (s) puts(s);
            lm_free(s);
        } else if (rep) {
            printf("loaded %lld, skipped %lld\n", (long long)lm_report_loaded(rep), (long long)lm_report_skipped(rep));
            for (int i = 0; i < lm_report_error_count(rep); i++)
                printf("  line %lld (id '%s'): %s\n", (long long)lm_report_error_line(rep, i),
                       lm_report_error_id(rep, i), lm_report_error_reason(rep, i));
        }
        lm_report_free(rep);
        if (rc) return fail_db(db, rc);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "put")) {
        lm_db *db = open_db(dbp, 0);
        if ((rc = lm_put(db, need(argc, argv, 3), LM_NUL_TERMINATED))) return fail_db(db, rc);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "get") || !strcmp(cmd, "delete")) {
        int kind = kind_arg(need(argc, argv, 3));
        const char *id = need(argc, argv, 4);
        lm_db *db = open_db(dbp, !strcmp(cmd, "get") ? LM_OPEN_READONLY : 0);
        if (!strcmp(cmd, "get")) {
            char *s = NULL;
            if ((rc = lm_get(db, kind, id, &s))) return fail_db(db, rc);
            puts(s);
            lm_free(s);
        } else if ((rc = lm_delete(db, kind, id))) {
            return fail_db(db, rc);
        }
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "stats")) {
        lm_db *db = open_db(dbp, 0);
        char *s = NULL;
        if ((rc = lm_stats_json(db, &s))) return fail_db(db, rc);
        puts(s);
        lm_free(s);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "reindex")) {
        lm_db *db = open_db(dbp, LM_OPEN_REINDEX);
        if ((rc = lm_reindex(db))) return fail_db(db, rc);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "dict")) {
        const char *w = need(argc, argv, 3);
        long long f = argc > 4 ? atoll(argv[4]) : 0;
        lm_db *db = open_db(dbp, 0);
        if ((rc = lm_dict_add(db, w, f))) return fail_db(db, rc);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "synonyms")) {
        lm_db *db = open_db(dbp, 0);
        int64_t n = 0;
        if ((rc = lm_synonyms_load_tsv(db, need(argc, argv, 3), &n))) return fail_db(db, rc);
        printf("%lld synonym pairs\n", (long long)n);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "allocate")) {
        int to = 0, json = 0, capacity = 1, per = 1;
        double min_score = 0;
        char *plist = NULL, *clist = NULL;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--to")) to = kind_arg(need(argc, argv, ++i));
            else if (!strcmp(argv[i], "--json")) json = 1;
            else if (!strcmp(argv[i], "--capacity")) capacity = atoi(need(argc, argv, ++i));
            else if (!strcmp(argv[i], "--per-problem")) per = atoi(need(argc, argv, ++i));
            else if (!strcmp(argv[i], "--min-score")) min_score = atof(need(argc, argv, ++i));
            else if (!strcmp(argv[i], "--problems")) plist = argv[++i < argc ? i : (usage(), 0)];
            else if (!strcmp(argv[i], "--candidates")) clist = argv[++i < argc ? i : (usage(), 0)];
            else usage();
        }
        if (!to) { fprintf(stderr, "%s: --to KIND is required\n", prog); exit(2); }
        const char *pids[4096], *cids[4096];
        int np = 0, nc = 0;
        for (char *t = plist ? strtok(plist, ",") : NULL; t && np < 4096; t = strtok(NULL, ",")) pids[np++] = t;
        for (char *t = clist ? strtok(clist, ",") : NULL; t && nc < 4096; t = strtok(NULL, ",")) cids[nc++] = t;
        lm_db *db = open_db(dbp, LM_OPEN_READONLY);
        lm_allocation *a = NULL;
        rc = lm_allocate(db, plist ? pids : NULL, np, to, clist ? cids : NULL, nc,
                         NULL, capacity, per, min_score, NULL, &a);
        if (rc) return fail_db(db, rc);
        if (json) {
            char *js = NULL;
            lm_allocation_json(a, &js);
            if (js) puts(js);
            lm_free(js);
        } else {
            printf("%-14s %-14s %s\n", "problem", lm_kind_name(to), "score");
            for (int i = 0; i < lm_allocation_count(a); i++)
                printf("%-14s %-14s %.4f\n", lm_allocation_problem(a, i), lm_allocation_candidate(a, i),
                       lm_allocation_score(a, i));
            printf("total %.4f over %d pairs\n", lm_allocation_total(a), lm_allocation_count(a));
        }
        lm_allocation_free(a);
        lm_close(db);
        return 0;
    }
    if (!strcmp(cmd, "match") || !strcmp(cmd, "query")) {
        int to = 0, json = 0, from_kind = 0;
        const char *from_id = NULL, *text = NULL;
        lm_opts *o;
        if (!strcmp(cmd, "query")) {
            text = need(argc, argv, 3);
            o = parse_opts(argc, argv, 4, &to, &json, NULL, NULL);
        } else {
            o = parse_opts(argc, argv, 3, &to, &json, &from_id, &from_kind);
            if (!from_id) { fprintf(stderr, "%s: match needs --problem, --achievement or --expert ID\n", prog); exit(2); }
        }
        lm_db *db = open_db(dbp, LM_OPEN_READONLY);
        lm_results *r = NULL;
        rc = text ? lm_match_text(db, text, LM_NUL_TERMINATED, to, o, &r)
                  : lm_match(db, from_kind, from_id, to, o, &r);
        lm_opts_free(o);
        if (rc) return fail_db(db, rc);
        print_results(db, r, json);
        lm_results_free(r);
        lm_close(db);
        return 0;
    }
    usage();
    return 2;
}
