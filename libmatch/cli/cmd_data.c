/*
** cmd_data.c -- records in and out: load, put, get, delete, export, stats.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* ---- load ------------------------------------------------------------------ */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Byte offsets of the line starts of a JSON Lines buffer (progress). */
static int64_t *line_offsets(const char *buf, size_t len, int64_t *n)
{
    int64_t cap = 1024, k = 0;
    int64_t *off = malloc(sizeof *off * (size_t)cap);
    if (!off) cli_die("out of memory");
    size_t pos = 0;
    while (pos < len) {
        if (k == cap) {
            cap *= 2;
            int64_t *no = realloc(off, sizeof *no * (size_t)cap);
            if (!no) cli_die("out of memory");
            off = no;
        }
        off[k++] = (int64_t)pos;
        const char *nl = memchr(buf + pos, '\n', len - pos);
        pos = nl ? (size_t)(nl - buf) + 1 : len;
    }
    *n = k;
    return off;
}

static int by_line(const void *a, const void *b)
{
    double x = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)a, "line"));
    double y = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)b, "line"));
    return (x > y) - (x < y);
}

/* The library's report as JSON, with line numbers mapped to the input's
   (CSV physical lines) and the CSV-level errors merged in. */
static cJSON *load_report(const lm_report *rep, const cli_csv_jsonl *csv)
{
    char *js = NULL;
    cJSON *o = NULL;
    if (rep && lm_report_json(rep, &js) == LM_OK) o = cJSON_Parse(js);
    lm_free(js);
    if (!o) {
        o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "loaded", 0);
        cJSON_AddNumberToObject(o, "skipped", 0);
        cJSON_AddItemToObject(o, "errors", cJSON_CreateArray());
    }
    cJSON *errs = cJSON_GetObjectItemCaseSensitive(o, "errors");
    if (!cJSON_IsArray(errs)) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "errors");
        errs = cJSON_AddArrayToObject(o, "errors");
    }
    if (!csv) return o;
    cJSON *e;
    cJSON_ArrayForEach(e, errs) {
        cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "line");
        int64_t j = (int64_t)cJSON_GetNumberValue(l);
        if (cJSON_IsNumber(l) && j >= 1 && j <= csv->nlines) cJSON_SetNumberValue(l, (double)csv->lines[j - 1]);
    }
    for (int i = 0; i < csv->nerrors; i++) {
        cJSON *ne = cJSON_CreateObject();
        cJSON_AddNumberToObject(ne, "line", (double)csv->errors[i].line);
        cJSON_AddStringToObject(ne, "id", "");
        cJSON_AddStringToObject(ne, "reason", csv->errors[i].reason);
        cJSON_AddItemToArray(errs, ne);
    }
    cJSON *sk = cJSON_GetObjectItemCaseSensitive(o, "skipped");
    if (cJSON_IsNumber(sk)) cJSON_SetNumberValue(sk, sk->valuedouble + csv->nerrors);
    /* Sort the errors by line. */
    int n = cJSON_GetArraySize(errs);
    cJSON **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) cli_die("out of memory");
    for (int i = n - 1; i >= 0; i--) v[i] = cJSON_DetachItemFromArray(errs, i);
    qsort(v, (size_t)n, sizeof *v, by_line);
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(errs, v[i]);
    free(v);
    return o;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static long long jnum(const cJSON *o, const char *key)
{
    return (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Atomic load of CSV with a row that is not valid CSV: nothing is loaded,
   and the error reported is the first one of the file -- a record before
   that row may already be invalid (checked in a scratch database). */
static void first_record_error(const cli_csv_jsonl *conv, int64_t csv_line, const char *src)
{
    size_t len = 0;
    int64_t j = 0;
    while (j < conv->nlines && conv->lines[j] < csv_line) {
        const char *nl = memchr(conv->jsonl + len, '\n', conv->len - len);
        len = nl ? (size_t)(nl - conv->jsonl) + 1 : conv->len;
        j++;
    }
    if (!len) return;
    lm_db *m = NULL;
    lm_report *rep = NULL;
    if (lm_open(&m, ":memory:", 0) == LM_OK &&
        lm_load_jsonl_buffer(m, conv->jsonl, len, LM_LOAD_ATOMIC | LM_LOAD_NO_VECTORS, &rep) != LM_OK && lm_report_error_count(rep) > 0) {
        int64_t bad = lm_report_error_line(rep, lm_report_error_count(rep) - 1);
        if (bad >= 1 && bad <= conv->nlines)
            cli_die("%s line %lld: %s", src, (long long)conv->lines[bad - 1],
                    lm_report_error_reason(rep, lm_report_error_count(rep) - 1));
    }
    lm_report_free(rep);
    lm_close(m);
}

int cmd_load(int argc, char **argv)
{
    const cli_command *c = cli_find_command("load");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    int skip = 0, json = 0, csv = -1, novec = 0;
    const char *kind = NULL;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "skip-bad", 0)) { cli_args_flag(&a); skip = 1; }
        else if (cli_args_is(&a, "no-vectors", 0)) { cli_args_flag(&a); novec = 1; }
        else if (cli_args_is(&a, "json", 0)) { cli_args_flag(&a); json = 1; }
        else if (cli_args_is(&a, "kind", 0)) { kind = cli_args_value(&a); cli_kind(c, "--kind", kind); }
        else if (cli_args_is(&a, "format", 0)) {
            const char *f = cli_args_value(&a);
            if (!strcmp(f, "csv")) csv = 1;
            else if (!strcmp(f, "jsonl")) csv = 0;
            else cli_usage(c, "--format: '%s' is not an input format (jsonl, csv)", f);
        }
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 2, 2, "a database and a file (- for stdin)");
    const char *dbp = a.pos[0], *file = a.pos[1], *src = cli_source_name(file);
    if (csv < 0) csv = ends_with(file, ".csv");
    if (kind && !csv) cli_usage(c, "--kind applies to CSV input (JSON records name their kind)");

    /* The input first: a missing file must not leave a new database behind.
       JSON Lines stream through the library (lines in bounded memory, an
       endless input refused at its first over-long line); CSV is converted
       to JSON Lines in memory first. */
    const char *path = strcmp(file, "-") == 0 ? "/dev/stdin" : file;
    size_t len = 0;
    char *buf = NULL;
    cli_csv_jsonl conv;
    memset(&conv, 0, sizeof conv);
    if (csv) {
        buf = cli_read_all(file, &len);
        char msg[512];
        if (cli_csv_to_jsonl(buf, len, kind, &conv, msg, sizeof msg) != 0) cli_die("%s: %s", src, msg);
        if (conv.nerrors && !skip) {
            int first = 0;
            for (int i = 1; i < conv.nerrors; i++)
                if (conv.errors[i].line < conv.errors[first].line) first = i;
            first_record_error(&conv, conv.errors[first].line, src);
            cli_die("%s line %lld: %s (nothing was loaded; --skip-bad skips bad rows)", src,
                    (long long)conv.errors[first].line, conv.errors[first].reason);
        }
    } else {
        FILE *t = fopen(path, "rb");
        if (!t) cli_die("cannot open '%s': %s", src, strerror(errno));
        fclose(t);
    }

    lm_db *db = cli_open(dbp, 0, 0);
    cli_progress_t p;
    memset(&p, 0, sizeof p);
    if (csv) p.offsets = line_offsets(conv.jsonl, conv.len, &p.noffsets);
    cli_progress_begin(&p, db, "load");
    if (!csv) p.unit = "bytes";
    lm_report *rep = NULL;
    int policy = (skip ? LM_LOAD_SKIP_BAD : LM_LOAD_ATOMIC) | (novec ? LM_LOAD_NO_VECTORS : 0);
    int rc = csv ? lm_load_jsonl_buffer(db, conv.jsonl, conv.len, policy, &rep) : lm_load_jsonl(db, path, policy, &rep);
    cli_progress_end(&p, rc == LM_OK ? lm_report_loaded(rep) + lm_report_skipped(rep) : -1);
    free((void *)p.offsets);

    cJSON *r = load_report(rep, csv ? &conv : NULL);
    cJSON *errs = cJSON_GetObjectItemCaseSensitive(r, "errors");
    if (json) {
        char *s = cJSON_PrintUnformatted(r);
        if (s) puts(s);
        free(s);
    }
    if (rc != LM_OK) {
        /* The library names its input "input line N"; name the file and the
           line of the file instead. */
        int64_t bad = lm_report_error_count(rep) > 0 ? lm_report_error_line(rep, lm_report_error_count(rep) - 1) : 0;
        if (bad > 0) {
            int64_t line = csv && bad <= conv.nlines ? conv.lines[bad - 1] : bad;
            const char *reason = lm_report_error_reason(rep, lm_report_error_count(rep) - 1);
            fflush(stdout);
            fprintf(stderr, "%s: %s line %lld: %s\n", cli_prog, src, (long long)line, reason ? reason : lm_errmsg(db));
            lm_close(db);
            rc = CLI_EXIT_ERROR;
        } else {
            rc = cli_fail(db, rc);
        }
    } else {
        if (!json && !cli_quiet) {
            printf("loaded %lld, skipped %lld\n", jnum(r, "loaded"), jnum(r, "skipped"));
            cJSON *e;
            cJSON_ArrayForEach(e, errs) {
                printf("  line %lld (id '%s'): %s\n", jnum(e, "line"), jstr(e, "id"), jstr(e, "reason"));
            }
        }
        lm_close(db);
        rc = CLI_EXIT_OK;
    }
    cJSON_Delete(r);
    lm_report_free(rep);
    cli_csv_jsonl_free(&conv);
    free(buf);
    if (fflush(stdout) != 0) cli_die("cannot write the output: %s", strerror(errno));
    return rc;
}

/* ---- put, get, delete, stats ----------------------------------------------- */

int cmd_put(int argc, char **argv)
{
    const cli_command *c = cli_find_command("put");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) cli_args_unknown(&a);
    cli_args_positional(&a, 2, 2, "a database and a JSON record (- for stdin)");
    size_t len = 0;
    char *owned = NULL;
    const char *json = a.pos[1];
    if (!strcmp(json, "-")) json = owned = cli_read_all("-", &len);
    lm_db *db = cli_open(a.pos[0], 0, 0);
    int rc = lm_put(db, json, LM_NUL_TERMINATED);
    free(owned);
    if (rc) return cli_fail(db, rc);
    lm_close(db);
    return 0;
}

static int get_or_delete(int argc, char **argv, int del)
{
    const cli_command *c = cli_find_command(del ? "delete" : "get");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) cli_args_unknown(&a);
    cli_args_positional(&a, 3, 3, "a database, a kind and an id");
    int kind = cli_kind(c, NULL, a.pos[1]);
    lm_db *db = cli_open(a.pos[0], !del, 0);
    int rc;
    if (del) {
        if ((rc = lm_delete(db, kind, a.pos[2]))) return cli_fail(db, rc);
    } else {
        char *s = NULL;
        if ((rc = lm_get(db, kind, a.pos[2], &s))) return cli_fail(db, rc);
        puts(s);
        lm_free(s);
    }
    lm_close(db);
    return 0;
}

int cmd_get(int argc, char **argv) { return get_or_delete(argc, argv, 0); }
int cmd_delete(int argc, char **argv) { return get_or_delete(argc, argv, 1); }

int cmd_stats(int argc, char **argv)
{
    const cli_command *c = cli_find_command("stats");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "json", 0)) cli_args_flag(&a);       /* the output is JSON anyway */
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a database");
    lm_db *db = cli_open(a.pos[0], 1, 0);
    char *s = NULL;
    int rc = lm_stats_json(db, &s);
    if (rc) return cli_fail(db, rc);
    puts(s);
    lm_free(s);
    lm_close(db);
    return 0;
}

/* ---- export ------------------------------------------------------------------ */

/* The raw text of member `key` of the top-level JSON object `js`: meta is
   stored verbatim and must be written back verbatim. */
static int raw_member(const char *js, const char *key, const char **out, size_t *outlen)
{
    const char *p = js;
    size_t klen = strlen(key);
#define WS() while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++
    WS();
    if (*p++ != '{') return 0;
    for (;;) {
        WS();
        if (*p != '"') return 0;
        const char *ks = ++p;
        while (*p && *p != '"') { if (*p == '\\' && p[1]) p++; p++; }
        if (!*p) return 0;
        size_t kl = (size_t)(p - ks);
        p++;
        WS();
        if (*p++ != ':') return 0;
        WS();
        const char *vs = p;
        int depth = 0;
        for (;;) {
            if (!*p) return 0;
            if (*p == '"') {
                p++;
                while (*p && *p != '"') { if (*p == '\\' && p[1]) p++; p++; }
                if (!*p) return 0;
                p++;
                if (depth == 0) break;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            else if (*p == '}' || *p == ']') {
                if (depth == 0) break;            /* end of the object */
                depth--;
                p++;
                if (depth == 0) break;
                continue;
            } else if (*p == ',' && depth == 0) break;
            p++;
        }
        const char *ve = p;
        while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\n' || ve[-1] == '\t' || ve[-1] == '\r')) ve--;
        if (kl == klen && memcmp(ks, key, klen) == 0) { *out = vs; *outlen = (size_t)(ve - vs); return 1; }
        WS();
        if (*p == ',') { p++; continue; }
        return 0;
    }
#undef WS
}

typedef struct {
    FILE *out;
    int csv;
    char **cols;
    int ncols, cap;
    int pass;
    int64_t n;
    char err[512];
} export_ctx;

static int col_index(const export_ctx *x, const char *k)
{
    for (int i = 0; i < x->ncols; i++)
        if (!strcmp(x->cols[i], k)) return i;
    return -1;
}

/* Pass 1: the columns, in the records' key order: a key not seen before
   goes right before the next key of its record that is already a column
   (or last). */
static void add_columns(export_ctx *x, const cJSON *rec)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, rec) {
        if (col_index(x, it->string) >= 0) continue;
        int at = x->ncols;
        for (const cJSON *nx = it->next; nx; nx = nx->next) {
            int j = col_index(x, nx->string);
            if (j >= 0) { at = j; break; }
        }
        if (x->ncols == x->cap) {
            x->cap = x->cap ? x->cap * 2 : 32;
            char **nc = realloc(x->cols, sizeof *nc * (size_t)x->cap);
            if (!nc) cli_die("out of memory");
            x->cols = nc;
        }
        memmove(x->cols + at + 1, x->cols + at, sizeof *x->cols * (size_t)(x->ncols - at));
        x->cols[at] = strdup(it->string);
        if (!x->cols[at]) cli_die("out of memory");
        x->ncols++;
    }
}

static int has_space_edge(const char *s)
{
    size_t n = strlen(s);
    if (!n) return 1;
    const char *ws = " \t\r\n";
    if (strchr(ws, s[0]) || strchr(ws, s[n - 1])) return 1;
    if (!strncmp(s, "\xE3\x80\x80", 3) || (n >= 3 && !strcmp(s + n - 3, "\xE3\x80\x80"))) return 1;
    return 0;
}

/* A list as CSV: items joined by ';' when that reads back the same, else
   the JSON array. */
static void list_cell(FILE *f, const cJSON *arr)
{
    int safe = cJSON_GetArraySize(arr) > 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it) || has_space_edge(it->valuestring) || strchr(it->valuestring, ';') ||
            strstr(it->valuestring, "\xEF\xBC\x9B")) safe = 0;
    }
    if (safe && arr->child->valuestring[0] == '[') safe = 0;
    if (!safe) {
        char *s = cJSON_PrintUnformatted(arr);
        if (!s) cli_die("out of memory");
        cli_csv_field(f, s);
        free(s);
        return;
    }
    size_t total = 1;
    cJSON_ArrayForEach(it, arr) total += strlen(it->valuestring) + 1;
    char *s = malloc(total), *o = s;
    if (!s) cli_die("out of memory");
    cJSON_ArrayForEach(it, arr) {
        if (o != s) *o++ = ';';
        size_t n = strlen(it->valuestring);
        memcpy(o, it->valuestring, n);
        o += n;
    }
    *o = 0;
    cli_csv_field(f, s);
    free(s);
}

static int export_cb(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    export_ctx *x = ctx;
    (void)kind;
    if (!x->csv) {
        if (memchr(json, '\n', len)) {            /* pretty meta: one line per record */
            cJSON *j = cJSON_Parse(json);
            char *s = j ? cJSON_PrintUnformatted(j) : NULL;
            cJSON_Delete(j);
            if (!s) { snprintf(x->err, sizeof x->err, "record '%s': cannot re-encode it", id); return 1; }
            fputs(s, x->out);
            free(s);
        } else {
            fwrite(json, 1, len, x->out);
        }
        fputc('\n', x->out);
        x->n++;
        return ferror(x->out) ? 1 : 0;
    }
    cJSON *rec = cJSON_Parse(json);
    if (!rec) { snprintf(x->err, sizeof x->err, "record '%s': its stored JSON does not parse", id); return 1; }
    if (x->pass == 1) {
        add_columns(x, rec);
        cJSON_Delete(rec);
        return 0;
    }
    for (int i = 0; i < x->ncols; i++) {
        if (i) fputc(',', x->out);
        const char *k = x->cols[i];
        cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, k);
        if (!v) continue;
        if (!strcmp(k, "meta")) {
            const char *raw;
            size_t rl;
            if (raw_member(json, "meta", &raw, &rl)) {
                char *s = strndup(raw, rl);
                if (!s) cli_die("out of memory");
                if (strchr(s, '\n')) {           /* keep one JSON text per cell, compact */
                    char *c = cJSON_PrintUnformatted(v);
                    free(s);
                    s = c;
                }
                cli_csv_field(x->out, s ? s : "");
                free(s);
                continue;
            }
        }
        if (cJSON_IsString(v)) cli_csv_field(x->out, v->valuestring);
        else if (cJSON_IsArray(v)) list_cell(x->out, v);
        else {
            char *s = cJSON_PrintUnformatted(v);
            if (!s) cli_die("out of memory");
            cli_csv_field(x->out, s);
            free(s);
        }
    }
    fputc('\n', x->out);
    cJSON_Delete(rec);
    x->n++;
    return ferror(x->out) ? 1 : 0;
}

int cmd_export(int argc, char **argv)
{
    const cli_command *c = cli_find_command("export");
    cli_args a;
    cli_args_init(&a, argc, argv, c);
    int kind = 0, csv = -1;
    const char *outp = NULL;
    while (cli_args_next(&a)) {
        if (cli_args_is(&a, "kind", 0)) kind = cli_kind(c, "--kind", cli_args_value(&a));
        else if (cli_args_is(&a, "output", 'o')) outp = cli_args_value(&a);
        else if (cli_args_is(&a, "csv", 0)) { cli_args_flag(&a); csv = 1; }
        else if (cli_args_is(&a, "format", 0)) {
            const char *f = cli_args_value(&a);
            if (!strcmp(f, "csv")) csv = 1;
            else if (!strcmp(f, "jsonl")) csv = 0;
            else cli_usage(c, "--format: '%s' is not an export format (jsonl, csv)", f);
        }
        else cli_args_unknown(&a);
    }
    cli_args_positional(&a, 1, 1, "a database");
    if (outp && !strcmp(outp, "-")) outp = NULL;
    if (csv < 0) csv = outp && ends_with(outp, ".csv");
    lm_db *db = cli_open(a.pos[0], 1, 0);
    export_ctx x;
    memset(&x, 0, sizeof x);
    x.csv = csv;
    int rc = LM_OK;
    if (csv) {
        x.pass = 1;
        rc = lm_scan(db, kind, export_cb, &x);
        if (rc) {
            if (x.err[0]) cli_die("%s", x.err);
            return cli_fail(db, rc);
        }
    }
    /* Write to FILE.tmp and rename: a failed export leaves no half file. */
    char *tmp = NULL;
    x.out = stdout;
    if (outp) {
        size_t n = strlen(outp) + 32;
        tmp = malloc(n);
        if (!tmp) cli_die("out of memory");
        snprintf(tmp, n, "%s.tmp%ld", outp, (long)getpid());
        x.out = fopen(tmp, "wb");
        if (!x.out) cli_die("cannot create '%s': %s", outp, strerror(errno));
    }
    if (csv) {
        for (int i = 0; i < x.ncols; i++) {
            if (i) fputc(',', x.out);
            cli_csv_field(x.out, x.cols[i]);
        }
        if (x.ncols) fputc('\n', x.out);
        x.pass = 2;
    }
    rc = lm_scan(db, kind, export_cb, &x);
    int werr = fflush(x.out) != 0 || ferror(x.out);
    if (outp && fclose(x.out) != 0) werr = 1;
    if (rc || werr) {
        if (tmp) unlink(tmp);
        if (werr) cli_die("cannot write '%s': %s", outp ? outp : "the output", strerror(errno));
        if (x.err[0]) cli_die("%s", x.err);
        return cli_fail(db, rc);
    }
    if (tmp && rename(tmp, outp) != 0) {
        unlink(tmp);
        cli_die("cannot create '%s': %s", outp, strerror(errno));
    }
    free(tmp);
    for (int i = 0; i < x.ncols; i++) free(x.cols[i]);
    free(x.cols);
    lm_close(db);
    if (outp && !cli_quiet && isatty(2)) fprintf(stderr, "exported %lld records to %s\n", (long long)x.n, outp);
    return 0;
}
