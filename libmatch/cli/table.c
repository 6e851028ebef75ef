/*
** table.c -- output helpers: output format options, JSON strings, display
** width of Chinese text, labels, and tables written as CSV or XLSX
** (libxlsxwriter, when built with LMATCH_XLSX).
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#ifdef LMATCH_XLSX
#include <xlsxwriter.h>
#endif

#include "cli.h"

int cli_output_opt(cli_args *a, cli_output *o, int allowed)
{
    if ((allowed & CLI_FMT_JSON) && cli_args_is(a, "json", 0)) {
        cli_args_flag(a);
        o->fmt = CLI_FMT_JSON;
        return 1;
    }
    if ((allowed & CLI_FMT_CSV) && cli_args_is(a, "csv", 0)) {
        cli_args_flag(a);
        o->fmt = CLI_FMT_CSV;
        return 1;
    }
    if ((allowed & CLI_FMT_XLSX) && cli_args_is(a, "xlsx", 0)) {
        o->xlsx = cli_args_value(a);
        o->fmt = CLI_FMT_XLSX;
        return 1;
    }
    if (cli_args_is(a, "format", 0)) {
        static const struct { const char *name; int fmt; } f[] = {
            { "table", CLI_FMT_TABLE }, { "json", CLI_FMT_JSON }, { "jsonl", CLI_FMT_JSONL }, { "csv", CLI_FMT_CSV },
        };
        const char *v = cli_args_value(a);
        char names[64] = "";
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
            if (!(allowed & f[i].fmt)) continue;
            if (strcmp(v, f[i].name) == 0) { o->fmt = f[i].fmt; return 1; }
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "", f[i].name);
        }
        if (strcmp(v, "xlsx") == 0 && (allowed & CLI_FMT_XLSX))
            cli_usage(a->cmd, "--format xlsx: give the file with --xlsx FILE");
        cli_usage(a->cmd, "--format: '%s' is not a format here (%s)", v, names);
    }
    return 0;
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* East Asian wide and fullwidth characters take two columns. */
static int wide(unsigned cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
           (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

int cli_text_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp = *p;
        int n = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
        if (n > 1) {
            cp &= (unsigned)(0x7F >> n);
            for (int i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80) { n = i; break; }
                cp = (cp << 6) | (p[i] & 0x3F);
            }
        }
        w += wide(cp) ? 2 : 1;
        p += n;
    }
    return w;
}

void cli_pad(FILE *f, const char *s, int width)
{
    fputs(s, f);
    for (int w = cli_text_width(s); w < width; w++) fputc(' ', f);
}

char *cli_record_label(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    const char *keys[] = { "title", "name" };
    char *out = NULL;
    for (int k = 0; j && k < 2 && !out; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[k]);
        if (cJSON_IsString(v)) out = strdup(v->valuestring);
    }
    cJSON_Delete(j);
    if (!out) out = strdup("");
    if (!out) cli_die("out of memory");
    return out;
}

const char *cli_kind_zh(int kind)
{
    switch (kind) {
    case LM_PROBLEM: return "问题";
    case LM_ACHIEVEMENT: return "成果";
    case LM_EXPERT: return "专家";
    default: return "记录";
    }
}

const char *cli_component_zh(const char *name)
{
    static const struct { const char *en, *zh; } names[] = {
        { "bm25", "文本相关度" }, { "fields", "领域匹配" }, { "region", "地区" }, { "maturity", "成熟度" },
        { "evidence", "成果佐证" }, { "topic", "主题" }, { "cosine", "语义相似度" },
        { "cosine_ext", "外部向量相似度" }, { "bm25_raw", "BM25原始分" }, { "probability", "匹配度" },
        { "keyword_match", "关键词命中" }, { "coverage", "查询覆盖率" },
        { "topic_best", "查询最强主题" }, { "bm25_best", "查询最佳文本相关度" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].en, name) == 0) return names[i].zh;
    return name;      /* a component added later: its own name */
}

/* ---- tables: CSV or XLSX ---------------------------------------------------- */

struct cli_table {
    int fmt;
    FILE *out;
    int col;
    long long row;
    int ncols;
    char **en, **zh;
    int *widths;
#ifdef LMATCH_XLSX
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *num;
    char *path, *sheet;
    int part;             /* worksheets of this table (spill past the row limit) */
#endif
};

static char *xstrdup(const char *s)
{
    char *c = strdup(s ? s : "");
    if (!c) cli_die("out of memory");
    return c;
}

#ifdef LMATCH_XLSX
static void xlsx_header(cli_table *t)
{
    for (int i = 0; i < t->ncols; i++) {
        worksheet_write_string(t->ws, 0, (lxw_col_t)i, t->zh[i], t->bold);
        worksheet_set_column(t->ws, (lxw_col_t)i, (lxw_col_t)i, t->widths[i] > 0 ? t->widths[i] : 12, NULL);
    }
    if (t->ncols) worksheet_freeze_panes(t->ws, 1, 0);
    t->row = 1;
}

static void xlsx_finish_sheet(cli_table *t)
{
    if (t->ws && t->ncols && t->row > 1)
        worksheet_autofilter(t->ws, 0, 0, (lxw_row_t)(t->row - 1), (lxw_col_t)(t->ncols - 1));
}

static void xlsx_new_sheet(cli_table *t, const char *name)
{
    char nm[64];
    xlsx_finish_sheet(t);
    if (t->part > 1) snprintf(nm, sizeof nm, "%s (%d)", name, t->part);
    else snprintf(nm, sizeof nm, "%s", name);
    t->ws = workbook_add_worksheet(t->wb, nm);
    if (!t->ws) cli_die("%s: cannot add the worksheet '%s'", t->path, nm);
    t->row = 0;
    t->col = 0;
}
#endif

cli_table *cli_table_open(int fmt, FILE *out, const char *path, const char *sheet)
{
    cli_table *t = calloc(1, sizeof *t);
    if (!t) cli_die("out of memory");
    t->fmt = fmt;
    t->out = out;
    if (fmt == CLI_FMT_XLSX) {
#ifdef LMATCH_XLSX
        lxw_workbook_options opt;
        memset(&opt, 0, sizeof opt);
        opt.constant_memory = LXW_TRUE;       /* rows streamed; strings inline */
        /* Fail early (and name the file) when it cannot be created. */
        FILE *probe = fopen(path, "wb");
        if (!probe) cli_die("cannot create '%s': %s", path, strerror(errno));
        fclose(probe);
        t->wb = workbook_new_opt(path, &opt);
        if (!t->wb) cli_die("cannot create '%s'", path);
        t->path = xstrdup(path);
        t->sheet = xstrdup(sheet);
        t->bold = workbook_add_format(t->wb);
        format_set_bold(t->bold);
        format_set_bg_color(t->bold, 0xDDEBF7);
        t->num = workbook_add_format(t->wb);
        format_set_num_format(t->num, "0.0000");
        t->part = 1;
        xlsx_new_sheet(t, sheet);
#else
        (void)sheet;
        free(t);
        cli_die("this lmatch was built without XLSX support (install libxlsxwriter-dev and rebuild); "
                "use --csv instead of --xlsx %s", path);
#endif
    }
    return t;
}

static void free_header(cli_table *t)
{
    for (int i = 0; t->en && i < t->ncols; i++) { free(t->en[i]); free(t->zh[i]); }
    free(t->en);
    free(t->zh);
    free(t->widths);
    t->en = t->zh = NULL;
    t->widths = NULL;
    t->ncols = 0;
}

void cli_table_header(cli_table *t, int n, const char *const *en, const char *const *zh, const int *widths)
{
    free_header(t);
    t->ncols = n;
    t->en = calloc((size_t)n, sizeof *t->en);
    t->zh = calloc((size_t)n, sizeof *t->zh);
    t->widths = calloc((size_t)n, sizeof *t->widths);
    if (!t->en || !t->zh || !t->widths) cli_die("out of memory");
    for (int i = 0; i < n; i++) {
        t->en[i] = xstrdup(en[i]);
        t->zh[i] = xstrdup(zh ? zh[i] : en[i]);
        t->widths[i] = widths ? widths[i] : 0;
    }
    if (t->fmt == CLI_FMT_CSV) {
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', t->out);
            cli_csv_field(t->out, en[i]);
        }
        fputc('\n', t->out);
    }
#ifdef LMATCH_XLSX
    else if (t->fmt == CLI_FMT_XLSX) {
        xlsx_header(t);
    }
#endif
}

#ifdef LMATCH_XLSX
static void xlsx_room(cli_table *t)
{
    if (t->col == 0 && t->row >= LXW_ROW_MAX) {        /* spill to another worksheet */
        t->part++;
        xlsx_new_sheet(t, t->sheet);
        if (t->ncols) xlsx_header(t);
    }
}
#endif

static void csv_sep(cli_table *t)
{
    if (t->col++) fputc(',', t->out);
}

void cli_table_str(cli_table *t, const char *s)
{
    if (t->fmt == CLI_FMT_CSV) {
        csv_sep(t);
        cli_csv_field(t->out, s ? s : "");
        return;
    }
#ifdef LMATCH_XLSX
    xlsx_room(t);
    if (s && *s) worksheet_write_string(t->ws, (lxw_row_t)t->row, (lxw_col_t)t->col, s, NULL);
    t->col++;
#endif
}

void cli_table_num(cli_table *t, double v)
{
    if (t->fmt == CLI_FMT_CSV) {
        csv_sep(t);
        fprintf(t->out, "%.10g", v);
        return;
    }
#ifdef LMATCH_XLSX
    xlsx_room(t);
    worksheet_write_number(t->ws, (lxw_row_t)t->row, (lxw_col_t)t->col, v, t->num);
    t->col++;
#endif
}

void cli_table_int(cli_table *t, long long v)
{
    if (t->fmt == CLI_FMT_CSV) {
        csv_sep(t);
        fprintf(t->out, "%lld", v);
        return;
    }
#ifdef LMATCH_XLSX
    xlsx_room(t);
    worksheet_write_number(t->ws, (lxw_row_t)t->row, (lxw_col_t)t->col, (double)v, NULL);
    t->col++;
#endif
}

void cli_table_end_row(cli_table *t)
{
    if (t->fmt == CLI_FMT_CSV) fputc('\n', t->out);
    t->col = 0;
    t->row++;
}

void cli_table_sheet(cli_table *t, const char *name)
{
#ifdef LMATCH_XLSX
    if (t->fmt == CLI_FMT_XLSX) {
        xlsx_finish_sheet(t);
        free(t->sheet);
        t->sheet = xstrdup(name);
        t->part = 1;
        free_header(t);
        xlsx_new_sheet(t, name);
    }
#else
    (void)t;
    (void)name;
#endif
}

void cli_table_close(cli_table *t)
{
    if (!t) return;
#ifdef LMATCH_XLSX
    if (t->fmt == CLI_FMT_XLSX) {
        xlsx_finish_sheet(t);
        lxw_error err = workbook_close(t->wb);
        if (err != LXW_NO_ERROR) cli_die("cannot write '%s': %s", t->path, lxw_strerror(err));
        free(t->path);
        free(t->sheet);
    }
#endif
    if (t->fmt == CLI_FMT_CSV && t->out && fflush(t->out) != 0) cli_die("cannot write the output: %s", strerror(errno));
    free_header(t);
    free(t);
}
