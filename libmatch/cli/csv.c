/*
** csv.c -- CSV (RFC 4180) in and out.
**
** Loading: a header row names record keys (or their Chinese names, e.g.
** 标题, 关键词); each data row becomes one JSON record.  List keys
** (keywords, fields, experts, achievements) are split at ';' or '；' (or
** given as a JSON array: ["a;b","c"]), maturity is a number, meta is JSON
** (or else text); every other cell is a string.  An empty cell leaves its
** key out.  The records then go through the library's JSON Lines loader, so
** validation and messages are the library's; line numbers are mapped back
** to the CSV's physical lines.
*/
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* ---- a growable buffer ---------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + n + 1 > cap) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) cli_die("out of memory");
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_chr(sbuf *b, char c) { sb_add(b, &c, 1); }

/* A JSON string literal of s (n bytes). */
static void sb_json(sbuf *b, const char *s, size_t n)
{
    sb_chr(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"': sb_str(b, "\\\""); break;
        case '\\': sb_str(b, "\\\\"); break;
        case '\n': sb_str(b, "\\n"); break;
        case '\r': sb_str(b, "\\r"); break;
        case '\t': sb_str(b, "\\t"); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                sb_str(b, esc);
            } else {
                sb_chr(b, (char)c);
            }
        }
    }
    sb_chr(b, '"');
}

/* ---- the reader ------------------------------------------------------------ */

typedef struct {
    const char *p, *end;
    int64_t line;          /* physical line of *p (1-based) */
} reader;

typedef struct {
    sbuf *cells;
    int n, cap;
    int64_t line;          /* where the row starts */
} row;

static sbuf *next_cell(row *r)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        sbuf *nc = realloc(r->cells, sizeof *nc * (size_t)cap);
        if (!nc) cli_die("out of memory");
        memset(nc + r->cap, 0, sizeof *nc * (size_t)(cap - r->cap));
        r->cells = nc;
        r->cap = cap;
    }
    sbuf *c = &r->cells[r->n++];
    c->n = 0;
    if (c->p) c->p[0] = 0;
    else sb_add(c, "", 0);
    return c;
}

static void row_free(row *r)
{
    for (int i = 0; i < r->cap; i++) free(r->cells[i].p);
    free(r->cells);
}

/* Skip to the start of the next physical line (error recovery). */
static void skip_line(reader *rd)
{
    while (rd->p < rd->end && *rd->p != '\n') rd->p++;
    if (rd->p < rd->end) { rd->p++; rd->line++; }
}

/* 1: a row; 0: end of input; -1: not valid CSV (msg set, *errline the line). */
static int read_row(reader *rd, row *r, char *msg, size_t cap, int64_t *errline)
{
    if (rd->p >= rd->end) return 0;
    r->n = 0;
    r->line = rd->line;
    for (;;) {
        sbuf *c = next_cell(r);
        if (rd->p < rd->end && *rd->p == '"') {
            int64_t opened = rd->line;
            rd->p++;
            for (;;) {
                if (rd->p >= rd->end) {
                    snprintf(msg, cap, "field %d: the quoted field opened on this line is never closed", r->n);
                    *errline = opened;
                    return -1;
                }
                char ch = *rd->p;
                if (ch == '"') {
                    if (rd->p + 1 < rd->end && rd->p[1] == '"') { sb_chr(c, '"'); rd->p += 2; continue; }
                    rd->p++;
                    break;
                }
                if (ch == 0) {
                    snprintf(msg, cap, "field %d: NUL character", r->n);
                    *errline = rd->line;
                    skip_line(rd);
                    return -1;
                }
                if (ch == '\n') rd->line++;
                sb_chr(c, ch);
                rd->p++;
            }
            if (rd->p < rd->end && *rd->p != ',' && *rd->p != '\r' && *rd->p != '\n') {
                snprintf(msg, cap, "field %d: text after the closing quote (a quote inside a quoted field is "
                         "written twice: \"\")", r->n);
                *errline = rd->line;
                skip_line(rd);
                return -1;
            }
        } else {
            const char *s = rd->p;
            while (rd->p < rd->end && *rd->p != ',' && *rd->p != '\n' && *rd->p != '\r') {
                if (*rd->p == 0) {
                    snprintf(msg, cap, "field %d: NUL character", r->n);
                    *errline = rd->line;
                    skip_line(rd);
                    return -1;
                }
                rd->p++;
            }
            sb_add(c, s, (size_t)(rd->p - s));
        }
        if (rd->p < rd->end && *rd->p == ',') { rd->p++; continue; }
        /* End of the row: \n, \r\n, \r or the end of the input. */
        if (rd->p < rd->end && *rd->p == '\r') rd->p++;
        if (rd->p < rd->end && *rd->p == '\n') rd->p++;
        rd->line++;
        return 1;
    }
}

/* ---- CSV to JSON records ---------------------------------------------------- */

/* Chinese (and capitalized) header names of record keys. */
static const struct { const char *alias, *key; } aliases[] = {
    { "编号", "id" }, { "类型", "kind" }, { "标题", "title" }, { "描述", "description" }, { "摘要", "abstract" },
    { "姓名", "name" }, { "研究方向", "research" }, { "简介", "bio" }, { "关键词", "keywords" },
    { "领域", "fields" }, { "地区", "region" }, { "单位", "org" }, { "成熟度", "maturity" },
    { "专家", "experts" }, { "成果", "achievements" }, { "元数据", "meta" },
};

static int is_list_key(const char *k)
{
    return !strcmp(k, "keywords") || !strcmp(k, "fields") || !strcmp(k, "experts") || !strcmp(k, "achievements");
}

static int is_space_at(const char *s, size_t n, size_t i, size_t *w)
{
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') { *w = 1; return 1; }
    /* U+3000 IDEOGRAPHIC SPACE */
    if (i + 3 <= n && (unsigned char)s[i] == 0xE3 && (unsigned char)s[i + 1] == 0x80 &&
        (unsigned char)s[i + 2] == 0x80) { *w = 3; return 1; }
    return 0;
}

/* Trim ASCII whitespace and U+3000 at both ends of s[*a, *b). */
static void trim(const char *s, size_t *a, size_t *b)
{
    size_t w;
    while (*a < *b && is_space_at(s, *b, *a, &w)) *a += w;
    while (*b > *a) {
        if (s[*b - 1] == ' ' || s[*b - 1] == '\t' || s[*b - 1] == '\r' || s[*b - 1] == '\n') { (*b)--; continue; }
        if (*b - *a >= 3 && (unsigned char)s[*b - 3] == 0xE3 && (unsigned char)s[*b - 2] == 0x80 &&
            (unsigned char)s[*b - 1] == 0x80) { *b -= 3; continue; }
        break;
    }
}

/* Is s[a, b) one whole JSON value of the wanted type (cJSON type mask)? */
static int is_json(const char *s, size_t a, size_t b, int type)
{
    if (a >= b) return 0;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(s + a, b - a, &end, 0);
    int ok = j && end == s + b && (type == 0 || (j->type & 0xFF) == type);
    if (ok && type == cJSON_Array) {          /* a list: strings only */
        const cJSON *it;
        cJSON_ArrayForEach(it, j) if (!cJSON_IsString(it)) ok = 0;
    }
    cJSON_Delete(j);
    return ok;
}

/* The list cell as a JSON array: split at ';' and '；' (U+FF1B). */
static void emit_list(sbuf *o, const char *s, size_t n)
{
    size_t a = 0, b = n;
    trim(s, &a, &b);
    if (a < b && s[a] == '[' && is_json(s, a, b, cJSON_Array)) { sb_add(o, s + a, b - a); return; }
    sb_chr(o, '[');
    int items = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t sep = 0;
        if (i == n) sep = 1;
        else if (s[i] == ';') sep = 1;
        else if (i + 3 <= n && (unsigned char)s[i] == 0xEF &&
                 (unsigned char)s[i + 1] == 0xBC && (unsigned char)s[i + 2] == 0x9B) sep = 3;
        if (!sep) continue;
        size_t ia = start, ib = i;
        trim(s, &ia, &ib);
        if (ib > ia) {
            if (items++) sb_chr(o, ',');
            sb_json(o, s + ia, ib - ia);
        }
        if (i == n) break;
        i += sep - 1;
        start = i + 1;
    }
    sb_chr(o, ']');
}

static void emit_number_or_string(sbuf *o, const char *s, size_t n)
{
    size_t a = 0, b = n;
    trim(s, &a, &b);
    char tmp[64];
    if (b - a < sizeof tmp) {
        memcpy(tmp, s + a, b - a);
        tmp[b - a] = 0;
        char *end;
        errno = 0;
        long long v = strtoll(tmp, &end, 10);
        if (*tmp && !*end && errno == 0) {
            snprintf(tmp, sizeof tmp, "%lld", v);
            sb_str(o, tmp);
            return;
        }
        if (is_json(s, a, b, cJSON_Number)) { sb_add(o, s + a, b - a); return; }
    }
    sb_json(o, s, n);              /* not a number: the library says so */
}

static void emit_meta(sbuf *o, const char *s, size_t n)
{
    size_t a = 0, b = n;
    trim(s, &a, &b);
    if (is_json(s, a, b, 0)) sb_add(o, s + a, b - a);
    else sb_json(o, s, n);
}

static void add_error(cli_csv_jsonl *out, int64_t line, const char *reason)
{
    cli_csv_error *e = realloc(out->errors, sizeof *e * (size_t)(out->nerrors + 1));
    if (!e) cli_die("out of memory");
    out->errors = e;
    e[out->nerrors].line = line;
    e[out->nerrors].reason = strdup(reason);
    if (!e[out->nerrors].reason) cli_die("out of memory");
    out->nerrors++;
}

static void add_line(cli_csv_jsonl *out, int64_t line, int64_t *cap)
{
    if (out->nlines == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        int64_t *nl = realloc(out->lines, sizeof *nl * (size_t)*cap);
        if (!nl) cli_die("out of memory");
        out->lines = nl;
    }
    out->lines[out->nlines++] = line;
}

int cli_csv_to_jsonl(const char *data, size_t len, const char *kind, cli_csv_jsonl *out, char *msg, size_t msgcap)
{
    memset(out, 0, sizeof *out);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) { data += 3; len -= 3; }
    reader rd = { data, data + len, 1 };
    row r = { 0 };
    char err[256];
    int64_t errline = 0;
    int rc = read_row(&rd, &r, err, sizeof err, &errline);
    if (rc == 0) { snprintf(msg, msgcap, "no header row (the input is empty)"); row_free(&r); return -1; }
    if (rc < 0) { snprintf(msg, msgcap, "line %lld: header: %s", (long long)errline, err); row_free(&r); return -1; }
    int ncols = r.n, kind_col = -1;
    char **keys = calloc((size_t)ncols, sizeof *keys);
    if (!keys) cli_die("out of memory");
    for (int i = 0; i < ncols; i++) {
        size_t a = 0, b = r.cells[i].n;
        trim(r.cells[i].p, &a, &b);
        char *k = strndup(r.cells[i].p + a, b - a);
        if (!k) cli_die("out of memory");
        for (size_t j = 0; j < sizeof aliases / sizeof aliases[0]; j++)
            if (!strcmp(k, aliases[j].alias)) { free(k); k = strdup(aliases[j].key); break; }
        if (!k) cli_die("out of memory");
        for (char *p = k; *p; p++)
            if ((unsigned char)*p < 0x80) *p = (char)tolower((unsigned char)*p);
        keys[i] = k;
        int bad = !*k;
        if (bad) snprintf(msg, msgcap, "line %lld: header: column %d has no name", (long long)r.line, i + 1);
        for (int j = 0; !bad && j < i; j++)
            if (!strcmp(keys[j], k)) {
                snprintf(msg, msgcap, "line %lld: header: column '%s' appears twice (columns %d and %d)",
                         (long long)r.line, k, j + 1, i + 1);
                bad = 1;
            }
        if (bad) {
            for (int j = 0; j <= i; j++) free(keys[j]);
            free(keys);
            row_free(&r);
            return -1;
        }
        if (!strcmp(k, "kind")) kind_col = i;
    }
    sbuf o = { 0 };
    sb_add(&o, "", 0);
    int64_t cap = 0;
    for (;;) {
        rc = read_row(&rd, &r, err, sizeof err, &errline);
        if (rc == 0) break;
        if (rc < 0) { add_error(out, errline, err); continue; }
        int blank = 1;
        for (int i = 0; i < r.n && blank; i++) {
            size_t a = 0, b = r.cells[i].n;
            trim(r.cells[i].p, &a, &b);
            if (b > a) blank = 0;
        }
        if (blank) continue;
        if (r.n != ncols) {
            snprintf(err, sizeof err, "the row has %d fields, the header has %d", r.n, ncols);
            add_error(out, r.line, err);
            continue;
        }
        sb_chr(&o, '{');
        int nkeys = 0;
        for (int i = 0; i < ncols; i++) {
            const char *s = r.cells[i].p;
            size_t n = r.cells[i].n;
            if (n == 0) continue;
            if (nkeys++) sb_chr(&o, ',');
            sb_json(&o, keys[i], strlen(keys[i]));
            sb_chr(&o, ':');
            if (is_list_key(keys[i])) emit_list(&o, s, n);
            else if (!strcmp(keys[i], "maturity")) emit_number_or_string(&o, s, n);
            else if (!strcmp(keys[i], "meta")) emit_meta(&o, s, n);
            else sb_json(&o, s, n);
        }
        if (kind && (kind_col < 0 || r.cells[kind_col].n == 0)) {
            if (nkeys++) sb_chr(&o, ',');
            sb_str(&o, "\"kind\":");
            sb_json(&o, kind, strlen(kind));
        }
        sb_str(&o, "}\n");
        add_line(out, r.line, &cap);
    }
    for (int i = 0; i < ncols; i++) free(keys[i]);
    free(keys);
    row_free(&r);
    out->jsonl = o.p;
    out->len = o.n;
    return 0;
}

void cli_csv_jsonl_free(cli_csv_jsonl *c)
{
    free(c->jsonl);
    free(c->lines);
    for (int i = 0; i < c->nerrors; i++) free(c->errors[i].reason);
    free(c->errors);
    memset(c, 0, sizeof *c);
}

void cli_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
