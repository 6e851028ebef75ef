/*
** cmd_admin.c -- the analyzer and the index: analyze, mode, vectors, dict,
** synonyms, reindex; and the option registry: options.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* words | subwords | bigrams | unigrams | all, or several joined by '+'. */
static int parse_mode(const cli_command *c, const char *s)
{
    int mode = 0;
    char *dup = strdup(s), *save = NULL;
    if (!dup) cli_die("out of memory");
    for (char *t = strtok_r(dup, "+,", &save); t; t = strtok_r(NULL, "+,", &save)) {
        if (!strcmp(t, "words")) mode |= LM_ANALYZE_WORDS;
        else if (!strcmp(t, "subwords")) mode |= LM_ANALYZE_WORDS | LM_ANALYZE_SUBWORDS;
        else if (!strcmp(t, "bigrams")) mode |= LM_ANALYZE_BIGRAMS;
        else if (!strcmp(t, "unigrams")) mode |= LM_ANALYZE_UNIGRAMS;
        else if (!strcmp(t, "all")) mode |= LM_ANALYZE_ALL;
        else {
            free(dup);
            cli_usage(c, "'%s' is not an analyzer mode (words, subwords, bigrams, unigrams, all, or joined by '+')", s);
        }
    }
    free(dup);
    if (!mode) cli_usage(c, "'%s' is not an analyzer mode (words, subwords, bigrams, unigrams, all)", s);
    return mode;
}

int cmd_analyze(int argc, char **argv)
{
    const cli_command *c = cli_find_command("analyze");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    const char *dbp = NULL;
    int mode = 0, json = 0;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "db", 0)) dbp = cli_args_value(&a);
        else if (cli_args_is(&a, "mode", 0)) mode = parse_mode(c, cli_args_value(&a));
        else if (cli_args_is(&a, "json", 0)) { cli_args_flag(&a); json = 1; }
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a text (- for stdin)");
    size_t len = 0;
    char *owned = NULL;
    const char *text = a.pos[0];
    if (!strcmp(text, "-")) text = owned = cli_read_all("-", &len);
    lm_db *db = dbp ? cli_open(dbp, 1, 0) : NULL;
    lm_tokens *t = NULL;
    int rc = lm_analyze(db, text, LM_NUL_TERMINATED, mode, &t);
    if (rc) { free(owned); return cli_fail(db, rc); }
    if (json) {
        fputs("{\"tokens\":[", stdout);
        for (int i = 0; i < lm_tokens_count(t); i++) {
            fputs(i ? ",{\"text\":" : "{\"text\":", stdout);
            cli_json_str(stdout, lm_token_text(t, i));
            printf(",\"start\":%d,\"end\":%d,\"colocated\":%s}", lm_token_start(t, i), lm_token_end(t, i),
                   (lm_token_flags(t, i) & LM_TOKEN_COLOCATED) ? "true" : "false");
        }
        fputs("]}\n", stdout);
    } else {
        for (int i = 0; i < lm_tokens_count(t); i++)
            printf("%s\t%d\t%d%s\n", lm_token_text(t, i), lm_token_start(t, i), lm_token_end(t, i),
                   (lm_token_flags(t, i) & LM_TOKEN_COLOCATED) ? "\tcolocated" : "");
    }
    lm_tokens_free(t);
    lm_close(db);
    free(owned);
    if (fflush(stdout) != 0) cli_die("cannot write the output: %s", strerror(errno));
    return 0;
}

static int64_t count_all(lm_db *db)
{
    int64_t n = 0;
    lm_count(db, 0, &n);
    return n;
}

int cmd_mode(int argc, char **argv)
{
    const cli_command *c = cli_find_command("mode");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) cli_args_unknown(&a);
    cli_args_positional(&a, 1, 2, "a database (and a mode to set)");
    if (a.npos == 1) {
        lm_db *db = cli_open(a.pos[0], 1, 0);
        printf("%s\n", lm_analyzer_id(db));
        lm_close(db);
        return 0;
    }
    int mode = parse_mode(c, a.pos[1]);
    lm_db *db = cli_open(a.pos[0], 0, LM_OPEN_REINDEX);
    cli_progress_t p;
    memset(&p, 0, sizeof p);
    cli_progress_begin(&p, db, "reindex");
    int rc = lm_set_analyzer_mode(db, mode);
    cli_progress_end(&p, rc == LM_OK ? count_all(db) : -1);
    if (rc) return cli_fail(db, rc);
    if (!cli_quiet) printf("%s\n", lm_analyzer_id(db));
    lm_close(db);
    return 0;
}

int cmd_vectors(int argc, char **argv)
{
    const cli_command *c = cli_find_command("vectors");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    int dim = 0;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "dim", 0)) dim = (int)cli_parse_int(c, "--dim", cli_args_value(&a), 0, LM_MAX_DIM);
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a database");
    lm_db *db = cli_open(a.pos[0], 0, 0);
    cli_progress_t p;
    memset(&p, 0, sizeof p);
    cli_progress_begin(&p, db, "vectors");
    int rc = lm_vectors_build(db, dim);
    cli_progress_end(&p, rc == LM_OK ? count_all(db) : -1);
    if (rc) return cli_fail(db, rc);
    if (!cli_quiet) {
        char *s = NULL;
        cJSON *j = lm_stats_json(db, &s) == LM_OK ? cJSON_Parse(s) : NULL;
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "vectors");
        printf("vectors: dimension %d over %lld records\n",
               (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "dim")),
               (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "built_records")));
        cJSON_Delete(j);
        lm_free(s);
    }
    lm_close(db);
    return 0;
}

int cmd_dict(int argc, char **argv)
{
    const cli_command *c = cli_find_command("dict");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) cli_args_unknown(&a);
    cli_args_positional(&a, 2, 3, "a database and a word");
    long long f = a.npos > 2 ? cli_parse_int(c, "FREQ", a.pos[2], 1, INT64_MAX) : 0;
    lm_db *db = cli_open(a.pos[0], 0, 0);
    int rc = lm_dict_add(db, a.pos[1], f);
    if (rc) return cli_fail(db, rc);
    lm_close(db);
    return 0;
}

int cmd_synonyms(int argc, char **argv)
{
    const cli_command *c = cli_find_command("synonyms");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) cli_args_unknown(&a);
    cli_args_positional(&a, 2, 2, "a database and a TSV file");
    FILE *f = fopen(a.pos[1], "rb");             /* name a missing file before creating a database */
    if (!f) cli_die("cannot open '%s': %s", a.pos[1], strerror(errno));
    fclose(f);
    lm_db *db = cli_open(a.pos[0], 0, 0);
    int64_t n = 0;
    int rc = lm_synonyms_load_tsv(db, a.pos[1], &n);
    if (rc) return cli_fail(db, rc);
    if (!cli_quiet) printf("%lld synonym pairs\n", (long long)n);
    lm_close(db);
    return 0;
}

int cmd_reindex(int argc, char **argv)
{
    const cli_command *c = cli_find_command("reindex");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) cli_args_unknown(&a);
    cli_args_positional(&a, 1, 1, "a database");
    lm_db *db = cli_open(a.pos[0], 0, LM_OPEN_REINDEX);
    cli_progress_t p;
    memset(&p, 0, sizeof p);
    cli_progress_begin(&p, db, "reindex");
    int rc = lm_reindex(db);
    cli_progress_end(&p, rc == LM_OK ? count_all(db) : -1);
    if (rc) return cli_fail(db, rc);
    lm_close(db);
    return 0;
}

/* ---- options: the registry ---------------------------------------------------- */

static const char *type_name(int type)
{
    switch (type) {
    case LM_OPT_TYPE_INT: return "integer";
    case LM_OPT_TYPE_DOUBLE: return "number";
    case LM_OPT_TYPE_STRING: return "string";
    case LM_OPT_TYPE_LIST: return "list";
    default: return "unknown";
    }
}

int cmd_options(int argc, char **argv)
{
    const cli_command *c = cli_find_command("options");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    int json = 0;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "json", 0)) { cli_args_flag(&a); json = 1; }
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 0, 0, "no argument");
    if (!json) {
        cli_registry_help(stdout, CLI_OPTS_ALLOC, NULL, 1);
        return fflush(stdout) == 0 ? 0 : CLI_EXIT_ERROR;
    }
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < lm_opt_count(); i++) {
        int key = lm_opt_key(i);
        char flag[96], f2[100];
        double def, lo, hi;
        lm_opt_bounds(key, &def, &lo, &hi);
        int type = lm_opt_type(key);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", lm_opt_name(key));
        snprintf(f2, sizeof f2, "--%s", cli_flag_name(lm_opt_name(key), flag, sizeof flag));
        cJSON_AddStringToObject(o, "flag", f2);
        cJSON_AddNumberToObject(o, "key", key);
        cJSON_AddStringToObject(o, "type", type_name(type));
        if (type == LM_OPT_TYPE_INT || type == LM_OPT_TYPE_DOUBLE) {
            cJSON_AddNumberToObject(o, "default", def);
            cJSON_AddNumberToObject(o, "min", lo);
            cJSON_AddNumberToObject(o, "max", hi);
        } else {
            cJSON_AddNullToObject(o, "default");
            cJSON_AddNumberToObject(o, "max_bytes", hi);
        }
        const char *ch = lm_opt_choices(key);
        if (ch) {
            cJSON *cs = cJSON_AddArrayToObject(o, "choices");
            char *dup = strdup(ch), *save = NULL;
            for (char *t = dup ? strtok_r(dup, "|", &save) : NULL; t; t = strtok_r(NULL, "|", &save))
                cJSON_AddItemToArray(cs, cJSON_CreateString(t));
            free(dup);
        }
        cJSON_AddBoolToObject(o, "allocation_only",
                              key == LM_OPT_CAPACITY || key == LM_OPT_PER_PROBLEM || key == LM_OPT_MIN_SCORE);
        cJSON_AddStringToObject(o, "help", lm_opt_help(key));
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!s) cli_die("out of memory");
    puts(s);
    free(s);
    return fflush(stdout) == 0 ? 0 : CLI_EXIT_ERROR;
}
