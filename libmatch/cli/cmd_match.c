/*
** cmd_match.c -- ranking: match, query, batch, allocate.  Tables for the
** terminal, JSON, CSV, and XLSX for the people who run a 对接会.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

static lm_opts *new_opts(void)
{
    lm_opts *o = NULL;
    if (lm_opts_new(&o) != LM_OK) cli_die("out of memory");
    return o;
}

/* The label of a stored record ("" when it has none or is not found). */
static char *label_of(lm_db *db, int kind, const char *id)
{
    char *js = NULL;
    char *l = lm_get(db, kind, id, &js) == LM_OK ? cli_record_label(js) : strdup("");
    lm_free(js);
    if (!l) cli_die("out of memory");
    return l;
}

static const char *label_col(int kind)
{
    return kind == LM_EXPERT ? "姓名" : "名称";
}

/* The command line, for the record kept in an XLSX workbook. */
static char *command_line(int argc, char **argv)
{
    size_t n = strlen(cli_prog) + 2;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
    char *s = malloc(n);
    if (!s) cli_die("out of memory");
    strcpy(s, cli_prog);
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        int q = !argv[i][0] || strpbrk(argv[i], " \t'\"") != NULL;
        if (q) strcat(s, "'");
        strcat(s, argv[i]);
        if (q) strcat(s, "'");
    }
    return s;
}

/* ---- match and query --------------------------------------------------------- */

static void print_table(const lm_results *r)
{
    int n = lm_results_count(r);
    if (n == 0) { puts("(no match)"); return; }
    printf("%-4s %-14s %-7s ", "#", "id", "score");
    cli_pad(stdout, "匹配度", 6);
    printf("  %-40s %s\n", "components", "matched terms");
    for (int i = 0; i < n; i++) {
        char comps[256] = "";
        size_t off = 0;
        for (int j = 0; j < lm_result_component_count(r, i); j++) {
            const char *name = lm_result_component_name(r, i, j);
            double v = lm_result_component_value(r, i, j);
            if (strcmp(name, "bm25_raw") == 0 || strcmp(name, "coverage") == 0 || strcmp(name, "topic_best") == 0 ||
                strcmp(name, "bm25_best") == 0 || v == 0)
                continue;      /* informational, or the query's context */
            int w = snprintf(comps + off, sizeof comps - off, "%s%s=%.2f", off ? " " : "", name, v);
            if (w < 0 || (size_t)w >= sizeof comps - off) break;
            off += (size_t)w;
        }
        printf("%-4d ", i + 1);
        cli_pad(stdout, lm_result_id(r, i), 14);
        printf(" %-7.4f %5.1f%%  %-40s ", lm_result_score(r, i), 100 * lm_result_probability(r, i), comps);
        for (int j = 0; j < lm_result_term_count(r, i) && j < 12; j++)
            printf("%s%s", j ? " " : "", lm_result_term(r, i, j));
        putchar('\n');
        const char *label = lm_result_label(r, i);
        if (label && *label) printf("     %s\n", label);
    }
}

/* Component names of a result set (those of its first hit). */
static int component_names(const lm_results *r, const char ***names)
{
    int n = lm_results_count(r) > 0 ? lm_result_component_count(r, 0) : 0;
    *names = calloc((size_t)n + 1, sizeof **names);
    if (!*names) cli_die("out of memory");
    for (int j = 0; j < n; j++) (*names)[j] = lm_result_component_name(r, 0, j);
    return n;
}

static double component(const lm_results *r, int i, const char *name)
{
    for (int j = 0; j < lm_result_component_count(r, i); j++)
        if (!strcmp(lm_result_component_name(r, i, j), name)) return lm_result_component_value(r, i, j);
    return 0;
}

/* Matched terms joined by spaces; evidence as "id:score;..." -- new strings. */
static char *joined_terms(const lm_results *r, int i)
{
    size_t n = 1;
    for (int j = 0; j < lm_result_term_count(r, i); j++) n += strlen(lm_result_term(r, i, j)) + 1;
    char *s = calloc(n, 1);
    if (!s) cli_die("out of memory");
    for (int j = 0; j < lm_result_term_count(r, i); j++) {
        if (j) strcat(s, " ");
        strcat(s, lm_result_term(r, i, j));
    }
    return s;
}

static char *joined_evidence(const lm_results *r, int i)
{
    size_t n = 1;
    for (int j = 0; j < lm_result_evidence_count(r, i); j++) n += strlen(lm_result_evidence_id(r, i, j)) + 16;
    char *s = calloc(n, 1);
    if (!s) cli_die("out of memory");
    size_t off = 0;
    for (int j = 0; j < lm_result_evidence_count(r, i); j++)
        off += (size_t)snprintf(s + off, n - off, "%s%s:%.3f", j ? ";" : "", lm_result_evidence_id(r, i, j),
                                lm_result_evidence_score(r, i, j));
    return s;
}

static void results_table(const lm_results *r, const cli_output *out, int to, const char *query_desc,
                          const char *cmdline)
{
    const char **comps;
    int nc = component_names(r, &comps);
    int xlsx = out->fmt == CLI_FMT_XLSX;
    cli_table *t = cli_table_open(out->fmt, stdout, out->xlsx, "匹配结果");
    const char *en[64], *zh[64];
    int widths[64], n = 0, shown[48];
    char kid[32], klabel[32];
    snprintf(kid, sizeof kid, "%s编号", cli_kind_zh(to));
    snprintf(klabel, sizeof klabel, "%s%s", cli_kind_zh(to), label_col(to));
    en[n] = "rank"; zh[n] = "排名"; widths[n++] = 6;
    en[n] = "id"; zh[n] = kid; widths[n++] = 14;
    if (!xlsx) { en[n] = "kind"; zh[n] = "类型"; widths[n++] = 8; }
    en[n] = "label"; zh[n] = klabel; widths[n++] = 40;
    en[n] = "score"; zh[n] = "得分"; widths[n++] = 10;
    en[n] = "probability"; zh[n] = "匹配度"; widths[n++] = 10;
    int ns = 0;
    for (int j = 0; j < nc && ns < 48; j++) {
        if (xlsx && !strcmp(comps[j], "bm25_raw")) continue;      /* for machines only */
        shown[ns++] = j;
        en[n] = comps[j];
        zh[n] = cli_component_zh(comps[j]);
        widths[n++] = 12;
    }
    en[n] = "terms"; zh[n] = "匹配词"; widths[n++] = 40;
    en[n] = "evidence_ids"; zh[n] = "佐证成果"; widths[n++] = 30;
    cli_table_header(t, n, en, zh, widths);
    for (int i = 0; i < lm_results_count(r); i++) {
        cli_table_int(t, i + 1);
        cli_table_str(t, lm_result_id(r, i));
        if (!xlsx) cli_table_str(t, lm_kind_name(lm_result_kind(r, i)));
        cli_table_str(t, lm_result_label(r, i));
        cli_table_num(t, lm_result_score(r, i));
        cli_table_num(t, lm_result_probability(r, i));
        for (int s = 0; s < ns; s++) cli_table_num(t, component(r, i, comps[shown[s]]));
        char *terms = joined_terms(r, i), *ev = joined_evidence(r, i);
        cli_table_str(t, terms);
        cli_table_str(t, ev);
        free(terms);
        free(ev);
        cli_table_end_row(t);
    }
    if (xlsx) {                       /* what was asked, for the record */
        cli_table_sheet(t, "查询");
        const char *h[] = { "项目", "内容" };
        int w[] = { 12, 80 };
        cli_table_header(t, 2, h, h, w);
        char *qt = NULL;
        size_t qn = 1;
        for (int j = 0; j < lm_results_query_term_count(r); j++) qn += strlen(lm_results_query_term(r, j)) + 1;
        qt = calloc(qn, 1);
        if (!qt) cli_die("out of memory");
        for (int j = 0; j < lm_results_query_term_count(r); j++) {
            if (j) strcat(qt, " ");
            strcat(qt, lm_results_query_term(r, j));
        }
        const char *rows[][2] = {
            { "查询", query_desc }, { "匹配对象", cli_kind_zh(to) }, { "查询词", qt }, { "命令", cmdline },
            { "版本", lm_version() },
        };
        for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
            cli_table_str(t, rows[k][0]);
            cli_table_str(t, rows[k][1]);
            cli_table_end_row(t);
        }
        free(qt);
    }
    cli_table_close(t);
    free(comps);
}

static int run_match(int argc, char **argv, int is_query)
{
    const cli_command *c = cli_find_command(is_query ? "query" : "match");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    lm_opts *o = new_opts();
    int to = 0, from_kind = 0;
    const char *from_id = NULL;
    cli_output out = { CLI_FMT_TABLE, NULL };
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "to", 0)) to = cli_kind(c, "--to", cli_args_value(&a));
        else if (!is_query && !a.is_short && lm_kind_from_name(a.name)) {
            from_kind = lm_kind_from_name(a.name);
            from_id = cli_args_value(&a);
        }
        else if (cli_output_opt(&a, &out, CLI_FMT_TABLE | CLI_FMT_JSON | CLI_FMT_CSV | CLI_FMT_XLSX)) ;
        else if (cli_registry_opt(&a, o, CLI_OPTS_MATCH)) ;
        else cli_args_unknown(&a);
    }
    if (is_query) cli_args_positional(&a, 2, 2, "a database and a text (- for stdin)");
    else cli_args_positional(&a, 1, 1, "a database");
    if (!is_query && !from_id) cli_usage(c, "match needs --problem, --achievement or --expert ID");
    if (!to) cli_usage(c, "--to KIND is required (problem, achievement, expert)");
    char *text = NULL;
    size_t tlen = 0;
    if (is_query) text = !strcmp(a.pos[1], "-") ? cli_read_all("-", &tlen) : strdup(a.pos[1]);
    if (is_query && !text) cli_die("out of memory");
    lm_db *db = cli_open(a.pos[0], 1, 0);
    lm_results *r = NULL;
    int rc = is_query ? lm_match_text(db, text, LM_NUL_TERMINATED, to, o, &r)
                      : lm_match(db, from_kind, from_id, to, o, &r);
    lm_opts_free(o);
    if (rc) { free(text); return cli_fail(db, rc); }
    if (out.fmt == CLI_FMT_JSON) {
        char *s = NULL;
        if (lm_results_json(r, &s) != LM_OK) cli_die("out of memory");
        puts(s);
        lm_free(s);
    } else if (out.fmt == CLI_FMT_TABLE) {
        print_table(r);
    } else {
        char *desc, *cmdline = command_line(argc, argv);
        if (is_query) {
            desc = strdup(text);
        } else {
            char *l = label_of(db, from_kind, from_id);
            size_t n = strlen(l) + strlen(from_id) + 32;
            desc = malloc(n);
            if (desc) snprintf(desc, n, "%s %s %s", cli_kind_zh(from_kind), from_id, l);
            free(l);
        }
        if (!desc) cli_die("out of memory");
        results_table(r, &out, to, desc, cmdline);
        free(desc);
        free(cmdline);
    }
    lm_results_free(r);
    free(text);
    lm_close(db);
    if (fflush(stdout) != 0) cli_die("cannot write the output: %s", strerror(errno));
    return 0;
}

int cmd_match(int argc, char **argv) { return run_match(argc, argv, 0); }
int cmd_query(int argc, char **argv) { return run_match(argc, argv, 1); }

/* ---- batch ----------------------------------------------------------------- */

/* Labels by (kind, id): an open-addressing hash table filled by lm_scan. */
typedef struct {
    char **keys, **vals;
    size_t cap, n;
} labels;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void labels_put(labels *L, char *key, char *val)
{
    if ((L->n + 1) * 2 > L->cap) {
        labels N = { 0 };
        N.cap = L->cap ? L->cap * 2 : 1024;
        N.keys = calloc(N.cap, sizeof *N.keys);
        N.vals = calloc(N.cap, sizeof *N.vals);
        if (!N.keys || !N.vals) cli_die("out of memory");
        for (size_t i = 0; i < L->cap; i++)
            if (L->keys[i]) labels_put(&N, L->keys[i], L->vals[i]);
        free(L->keys);
        free(L->vals);
        *L = N;
    }
    size_t i = hash(key) & (L->cap - 1);
    while (L->keys[i] && strcmp(L->keys[i], key)) i = (i + 1) & (L->cap - 1);
    if (L->keys[i]) { free(key); free(L->vals[i]); L->vals[i] = val; return; }
    L->keys[i] = key;
    L->vals[i] = val;
    L->n++;
}

static const char *labels_get(const labels *L, int kind, const char *id)
{
    if (!L->cap) return "";
    size_t n = strlen(id) + 4;
    char stack[256], *key = n <= sizeof stack ? stack : malloc(n);
    if (!key) cli_die("out of memory");
    snprintf(key, n, "%d:%s", kind, id);
    size_t i = hash(key) & (L->cap - 1);
    const char *v = "";
    while (L->keys[i]) {
        if (!strcmp(L->keys[i], key)) { v = L->vals[i]; break; }
        i = (i + 1) & (L->cap - 1);
    }
    if (key != stack) free(key);
    return v;
}

static int labels_cb(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    (void)len;
    size_t n = strlen(id) + 4;
    char *key = malloc(n);
    if (!key) cli_die("out of memory");
    snprintf(key, n, "%d:%s", kind, id);
    labels_put(ctx, key, cli_record_label(json));
    return 0;
}

static void labels_free(labels *L)
{
    for (size_t i = 0; i < L->cap; i++) { free(L->keys[i]); free(L->vals[i]); }
    free(L->keys);
    free(L->vals);
}

typedef struct {
    cli_output *out;
    cli_table *t;
    labels L;
    int from, to;
    int64_t k, n;
    int started;
    cli_progress_t *p;
} batch_ctx;

/* The output's head, written with the first result (so that a batch that
   fails at once writes nothing, and no file). */
static void batch_start(batch_ctx *b)
{
    if (b->started) return;
    b->started = 1;
    if (b->out->fmt == CLI_FMT_CSV || b->out->fmt == CLI_FMT_XLSX) {
        b->t = cli_table_open(b->out->fmt, stdout, b->out->xlsx, "批量匹配");
        char fid[32], flab[32], tid[32], tlab[32];
        snprintf(fid, sizeof fid, "%s编号", cli_kind_zh(b->from));
        snprintf(flab, sizeof flab, "%s%s", cli_kind_zh(b->from), label_col(b->from));
        snprintf(tid, sizeof tid, "%s编号", cli_kind_zh(b->to));
        snprintf(tlab, sizeof tlab, "%s%s", cli_kind_zh(b->to), label_col(b->to));
        const char *en[] = { "from", "from_label", "rank", "id", "label", "score" };
        const char *zh[] = { fid, flab, "排名", tid, tlab, "语义相似度" };
        const int w[] = { 14, 40, 6, 14, 40, 12 };
        cli_table_header(b->t, 6, en, zh, w);
    } else if (b->out->fmt == CLI_FMT_JSON) {
        printf("{\"from\":\"%s\",\"to\":\"%s\",\"k\":%lld,\"results\":[", lm_kind_name(b->from),
               lm_kind_name(b->to), (long long)b->k);
    }
}

static int batch_cb(void *ctx, const char *from_id, int n, const char *const *ids, const float *scores)
{
    batch_ctx *b = ctx;
    batch_start(b);
    const char *fl = labels_get(&b->L, b->from, from_id);
    switch (b->out->fmt) {
    case CLI_FMT_TABLE:
        cli_pad(stdout, from_id, 14);
        printf(" %s\n", fl);
        if (n == 0) puts("     (no match)");
        for (int i = 0; i < n; i++) {
            printf("  %-3d ", i + 1);
            cli_pad(stdout, ids[i], 14);
            printf(" %-7.4f  %s\n", scores[i], labels_get(&b->L, b->to, ids[i]));
        }
        break;
    case CLI_FMT_JSON:
    case CLI_FMT_JSONL:
        if (b->out->fmt == CLI_FMT_JSON && b->n) fputc(',', stdout);
        fputs("{\"id\":", stdout);
        cli_json_str(stdout, from_id);
        fputs(",\"label\":", stdout);
        cli_json_str(stdout, fl);
        fputs(",\"results\":[", stdout);
        for (int i = 0; i < n; i++) {
            fputs(i ? ",{\"id\":" : "{\"id\":", stdout);
            cli_json_str(stdout, ids[i]);
            fputs(",\"label\":", stdout);
            cli_json_str(stdout, labels_get(&b->L, b->to, ids[i]));
            printf(",\"score\":%.9g}", scores[i]);
        }
        fputs("]}", stdout);
        if (b->out->fmt == CLI_FMT_JSONL) fputc('\n', stdout);
        break;
    default:
        for (int i = 0; i < n; i++) {
            cli_table_str(b->t, from_id);
            cli_table_str(b->t, fl);
            cli_table_int(b->t, i + 1);
            cli_table_str(b->t, ids[i]);
            cli_table_str(b->t, labels_get(&b->L, b->to, ids[i]));
            cli_table_num(b->t, scores[i]);
            cli_table_end_row(b->t);
        }
    }
    b->n++;
    cli_progress_items(b->p, 1);
    return ferror(stdout) ? 1 : 0;
}

int cmd_batch(int argc, char **argv)
{
    const cli_command *c = cli_find_command("batch");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    lm_opts *o = new_opts();
    int from = 0, to = 0;
    long long memory = 0;
    cli_output out = { CLI_FMT_TABLE, NULL };
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "from", 0)) from = cli_kind(c, "--from", cli_args_value(&a));
        else if (cli_args_is(&a, "to", 0)) to = cli_kind(c, "--to", cli_args_value(&a));
        else if (cli_args_is(&a, "memory", 0)) {
            memory = cli_parse_size(c, "--memory", cli_args_value(&a));
            if (memory != 0 && memory < LM_MIN_BATCH_MEMORY)
                cli_usage(c, "--memory: %lld bytes is neither 0 (no bound) nor at least %d", memory, LM_MIN_BATCH_MEMORY);
        }
        else if (cli_output_opt(&a, &out, CLI_FMT_TABLE | CLI_FMT_JSON | CLI_FMT_JSONL | CLI_FMT_CSV | CLI_FMT_XLSX)) ;
        else if (cli_args_is(&a, "k", 'k')) cli_registry_opt(&a, o, CLI_OPTS_MATCH);
        else {
            int key = 0;
            char reg[96];
            snprintf(reg, sizeof reg, "%s", a.name);
            for (char *p = reg; *p; p++)
                if (*p == '-') *p = '_';
            if (!a.is_short && lm_opt_find(reg, &key) == LM_OK)
                cli_usage(c, "option '%s' does not apply to batch (it ranks by the semantic vectors' cosine; "
                          "only -k)", a.opt);
            cli_args_unknown(&a);
        }
    }
    cli_args_positional(&a, 1, 1, "a database");
    if (!from || !to) cli_usage(c, "batch needs --from KIND and --to KIND");
    int64_t k = 10;
    lm_opts_get_int(o, LM_OPT_K, &k);
    lm_opts_free(o);
    lm_db *db = cli_open(a.pos[0], 1, 0);
    int rc0 = memory ? lm_set_batch_memory(db, memory) : LM_OK;
    if (rc0) return cli_fail(db, rc0);
    batch_ctx b;
    memset(&b, 0, sizeof b);
    b.out = &out;
    b.from = from;
    b.to = to;
    int rc = lm_scan(db, from, labels_cb, &b.L);
    if (!rc && to != from) rc = lm_scan(db, to, labels_cb, &b.L);
    if (rc) return cli_fail(db, rc);
    char *cmdline = command_line(argc, argv);
    b.k = k;
    cli_progress_t p;
    memset(&p, 0, sizeof p);
    b.p = &p;
    cli_progress_begin(&p, db, "batch");
    rc = lm_batch_match(db, from, to, (int)k, batch_cb, &b);
    cli_progress_end(&p, rc == LM_OK ? p.items : -1);
    if (rc) {
        if (b.started && out.fmt == CLI_FMT_XLSX) unlink(out.xlsx);   /* no half workbook */
        labels_free(&b.L);
        free(cmdline);
        if (ferror(stdout)) cli_die("cannot write the output: %s", strerror(errno));
        if (rc == LM_ESTATE && strstr(lm_errmsg(db), "lm_vectors_build")) {
            fflush(stdout);
            fprintf(stderr, "%s: %s (build them with '%s vectors %s')\n", cli_prog, lm_errmsg(db), cli_prog, a.pos[0]);
            lm_close(db);
            return CLI_EXIT_ERROR;
        }
        return cli_fail(db, rc);
    }
    batch_start(&b);                        /* no results: the head alone */
    if (out.fmt == CLI_FMT_JSON) puts("]}");
    if (b.t) {
        if (out.fmt == CLI_FMT_XLSX) {
            cli_table_sheet(b.t, "查询");
            const char *h[] = { "项目", "内容" };
            int w[] = { 12, 80 };
            cli_table_header(b.t, 2, h, h, w);
            const char *rows[][2] = { { "命令", cmdline }, { "版本", lm_version() } };
            for (size_t i = 0; i < 2; i++) {
                cli_table_str(b.t, rows[i][0]);
                cli_table_str(b.t, rows[i][1]);
                cli_table_end_row(b.t);
            }
        }
        cli_table_close(b.t);
    }
    free(cmdline);
    labels_free(&b.L);
    lm_close(db);
    if (fflush(stdout) != 0) cli_die("cannot write the output: %s", strerror(errno));
    return 0;
}

/* ---- allocate ---------------------------------------------------------------- */

typedef struct {
    const char **v;
    int n, cap;
} idlist;

static void ids_add(idlist *l, char *s)
{
    for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
        if (!*t) continue;
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            const char **nv = realloc(l->v, sizeof *nv * (size_t)l->cap);
            if (!nv) cli_die("out of memory");
            l->v = nv;
        }
        l->v[l->n++] = t;
    }
}

int cmd_allocate(int argc, char **argv)
{
    const cli_command *c = cli_find_command("allocate");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    lm_opts *o = new_opts();
    int to = 0, have_p = 0, have_c = 0;
    idlist P = { 0 }, C = { 0 };
    cli_output out = { CLI_FMT_TABLE, NULL };
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "to", 0)) to = cli_kind(c, "--to", cli_args_value(&a));
        else if (cli_args_is(&a, "problems", 0)) { ids_add(&P, (char *)cli_args_value(&a)); have_p = 1; }
        else if (cli_args_is(&a, "candidates", 0)) { ids_add(&C, (char *)cli_args_value(&a)); have_c = 1; }
        else if (cli_output_opt(&a, &out, CLI_FMT_TABLE | CLI_FMT_JSON | CLI_FMT_CSV | CLI_FMT_XLSX)) ;
        else if (cli_registry_opt(&a, o, CLI_OPTS_ALLOC)) ;
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a database");
    if (!to) cli_usage(c, "--to KIND is required (expert or achievement)");
    if (have_p && !P.n) cli_usage(c, "--problems: no id given");
    if (have_c && !C.n) cli_usage(c, "--candidates: no id given");
    lm_db *db = cli_open(a.pos[0], 1, 0);
    lm_allocation *al = NULL;
    int rc = lm_allocate_v2(db, to, have_p ? P.v : NULL, P.n, have_c ? C.v : NULL, NULL, C.n, o, &al);
    lm_opts_free(o);
    free(P.v);
    free(C.v);
    if (rc) return cli_fail(db, rc);
    int n = lm_allocation_count(al);
    if (out.fmt == CLI_FMT_JSON) {
        char *js = NULL;
        if (lm_allocation_json(al, &js) != LM_OK) cli_die("out of memory");
        puts(js);
        lm_free(js);
    } else if (out.fmt == CLI_FMT_TABLE) {
        printf("%-14s %-14s %-7s  %s\n", "problem", lm_kind_name(to), "score", "labels");
        for (int i = 0; i < n; i++) {
            char *pl = label_of(db, LM_PROBLEM, lm_allocation_problem(al, i));
            char *cl = label_of(db, to, lm_allocation_candidate(al, i));
            cli_pad(stdout, lm_allocation_problem(al, i), 14);
            putchar(' ');
            cli_pad(stdout, lm_allocation_candidate(al, i), 14);
            printf(" %-7.4f  %s -> %s\n", lm_allocation_score(al, i), pl, cl);
            free(pl);
            free(cl);
        }
        printf("total %.4f over %d pairs\n", lm_allocation_total(al), n);
    } else {
        cli_table *t = cli_table_open(out.fmt, stdout, out.xlsx, "对接安排");
        char cid[32], clab[32];
        snprintf(cid, sizeof cid, "%s编号", cli_kind_zh(to));
        snprintf(clab, sizeof clab, "%s%s", cli_kind_zh(to), label_col(to));
        const char *en[] = { "problem", "problem_label", "candidate", "candidate_label", "score" };
        const char *zh[] = { "问题编号", "问题名称", cid, clab, "得分" };
        const int w[] = { 14, 40, 14, 30, 10 };
        cli_table_header(t, 5, en, zh, w);
        for (int i = 0; i < n; i++) {
            char *pl = label_of(db, LM_PROBLEM, lm_allocation_problem(al, i));
            char *cl = label_of(db, to, lm_allocation_candidate(al, i));
            cli_table_str(t, lm_allocation_problem(al, i));
            cli_table_str(t, pl);
            cli_table_str(t, lm_allocation_candidate(al, i));
            cli_table_str(t, cl);
            cli_table_num(t, lm_allocation_score(al, i));
            cli_table_end_row(t);
            free(pl);
            free(cl);
        }
        if (out.fmt == CLI_FMT_XLSX) {
            cli_table_str(t, "合计");
            cli_table_str(t, "");
            cli_table_str(t, "");
            char pairs[32];
            snprintf(pairs, sizeof pairs, "%d 对", n);
            cli_table_str(t, pairs);
            cli_table_num(t, lm_allocation_total(al));
            cli_table_end_row(t);
        }
        cli_table_close(t);
    }
    lm_allocation_free(al);
    lm_close(db);
    if (fflush(stdout) != 0) cli_die("cannot write the output: %s", strerror(errno));
    return 0;
}
