/*
** args.c -- argument parsing (GNU conventions), options derived from the
** library's option registry, errors, opening databases, progress.
*/
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char *cli_prog = "lmatch";
int cli_quiet = 0;
int cli_progress = -1;

/* ---- errors ------------------------------------------------------------- */

void cli_usage(const cli_command *c, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (c) fprintf(stderr, "\nTry '%s %s --help' for more information.\n", cli_prog, c->name);
    else fprintf(stderr, "\nTry '%s --help' for more information.\n", cli_prog);
    exit(CLI_EXIT_USAGE);
}

void cli_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(CLI_EXIT_ERROR);
}

int cli_fail(lm_db *db, int rc)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", cli_prog, db ? lm_errmsg(db) : lm_errstr(rc));
    lm_close(db);
    return CLI_EXIT_ERROR;
}

lm_db *cli_open(const char *path, int readonly, int flags)
{
    if (readonly) {
        struct stat st;
        /* A read command never creates a database: check before SQLite does. */
        if (stat(path, &st) != 0)
            cli_die("cannot open database '%s': %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
            cli_die("cannot open database '%s': it is a directory", path);
        flags |= LM_OPEN_READONLY;
    }
    lm_db *db = NULL;
    int rc = lm_open(&db, path, flags);
    if (rc != LM_OK) exit(cli_fail(db, rc));
    return db;
}

int cli_kind(const cli_command *c, const char *opt, const char *s)
{
    int k = lm_kind_from_name(s);
    if (!k) {
        if (opt) cli_usage(c, "%s: '%s' is not a kind (problem, achievement, expert)", opt, s);
        cli_usage(c, "'%s' is not a kind (problem, achievement, expert)", s);
    }
    return k;
}

const char *cli_source_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

char *cli_read_all(const char *path, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) cli_die("cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) cli_die("out of memory reading '%s'", cli_source_name(path));
    for (;;) {
        if (n == cap) {
            char *nb = cap > ((size_t)-1) / 4 ? NULL : realloc(buf, cap * 2 + 1);
            if (!nb) cli_die("out of memory reading '%s'", cli_source_name(path));
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) cli_die("cannot read '%s': %s", cli_source_name(path), strerror(errno));
    if (!is_stdin) fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

long long cli_parse_int(const cli_command *c, const char *opt, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || isspace((unsigned char)*s))
        cli_usage(c, "%s: '%s' is not a whole number", opt, s);
    if (v < lo || v > hi) cli_usage(c, "%s: %lld is not in %lld..%lld", opt, v, lo, hi);
    return v;
}

long long cli_parse_size(const cli_command *c, const char *opt, const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10), mul = 1;
    if (end != s && !errno && !isspace((unsigned char)*s) && v >= 0) {
        switch (*end) {
        case 'k': case 'K': mul = 1LL << 10; end++; break;
        case 'm': case 'M': mul = 1LL << 20; end++; break;
        case 'g': case 'G': mul = 1LL << 30; end++; break;
        default: break;
        }
        if (mul > 1 && (*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b')) end += 2;
        else if (mul > 1 && (*end == 'B' || *end == 'b')) end++;
        if (!*end && v <= (1LL << 50) / mul) return v * mul;
    }
    cli_usage(c, "%s: '%s' is not a size (bytes, or a number with K, M or G: 512M, 2G)", opt, s);
    return 0;
}

/* ---- the argument cursor -------------------------------------------------- */

void cli_args_init(cli_args *a, int argc, char **argv, const cli_command *cmd)
{
    memset(a, 0, sizeof *a);
    a->argc = argc;
    a->argv = argv;
    a->i = 0;                      /* argv[0] is the command */
    a->cmd = cmd;
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (!a->pos) cli_die("out of memory");
}

static int looks_negative_number(const char *s)
{
    return s[0] == '-' && (isdigit((unsigned char)s[1]) || (s[1] == '.' && isdigit((unsigned char)s[2])));
}

int cli_args_next(cli_args *a)
{
    while (++a->i < a->argc) {
        const char *s = a->argv[a->i];
        if (a->dashdash || s[0] != '-' || s[1] == 0 || looks_negative_number(s)) {
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) { a->dashdash = 1; continue; }
        a->inline_val = NULL;
        if (s[1] == '-') {
            const char *eq = strchr(s, '=');
            size_t n = eq ? (size_t)(eq - s) : strlen(s);
            if (n >= sizeof a->opt) n = sizeof a->opt - 1;
            memcpy(a->opt, s, n);
            a->opt[n] = 0;
            snprintf(a->name, sizeof a->name, "%s", a->opt + 2);
            a->inline_val = eq ? eq + 1 : NULL;
            a->is_short = 0;
        } else {
            snprintf(a->opt, sizeof a->opt, "-%c", s[1]);
            snprintf(a->name, sizeof a->name, "%c", s[1]);
            a->inline_val = s[2] ? s + 2 : NULL;
            a->is_short = 1;
        }
        if (cli_args_is(a, "help", 'h')) {
            cli_args_flag(a);
            if (a->cmd) cli_command_help(a->cmd, stdout);
            exit(fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR);
        }
        if (cli_args_is(a, "quiet", 'q')) { cli_args_flag(a); cli_quiet = 1; continue; }
        if (cli_args_is(a, "progress", 0)) { cli_args_flag(a); cli_progress = 1; continue; }
        if (cli_args_is(a, "no-progress", 0)) { cli_args_flag(a); cli_progress = 0; continue; }
        return 1;
    }
    return 0;
}

int cli_args_is(const cli_args *a, const char *long_name, char short_name)
{
    if (a->is_short) return short_name && a->name[0] == short_name;
    return long_name && strcmp(a->name, long_name) == 0;
}

const char *cli_args_value(cli_args *a)
{
    if (a->inline_val) return a->inline_val;
    if (a->i + 1 >= a->argc) cli_usage(a->cmd, "option '%s' requires a value", a->opt);
    return a->argv[++a->i];
}

void cli_args_flag(cli_args *a)
{
    if (a->inline_val) cli_usage(a->cmd, "option '%s' takes no value", a->opt);
}

void cli_args_unknown(const cli_args *a)
{
    cli_usage(a->cmd, "unknown option '%s'", a->opt);
}

void cli_args_positional(const cli_args *a, int min, int max, const char *names)
{
    if (a->npos < min)
        cli_usage(a->cmd, "'%s' needs %s", a->cmd->name, names);
    if (max >= 0 && a->npos > max)
        cli_usage(a->cmd, "unexpected argument '%s' (usage: %s %s %s)", a->pos[max], cli_prog,
                  a->cmd->name, a->cmd->synopsis);
}

/* ---- options from the registry --------------------------------------------- */

static int is_alloc_key(int key)
{
    return key == LM_OPT_CAPACITY || key == LM_OPT_PER_PROBLEM || key == LM_OPT_MIN_SCORE;
}

const char *cli_flag_name(const char *regname, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", regname);
    for (char *p = buf; *p; p++)
        if (*p == '_') *p = '-';
    return buf;
}

static int set_registry(cli_args *a, lm_opts *o, int which, const char *reg, const char *v)
{
    int key = 0;
    if (lm_opt_find(reg, &key) != LM_OK) return 0;
    if (which != CLI_OPTS_ALLOC && is_alloc_key(key))
        cli_usage(a->cmd, "option '%s' applies to 'lmatch allocate' only", a->opt);
    if (!v) v = cli_args_value(a);
    if (lm_opts_set(o, reg, v) != LM_OK) {
        /* The library names the option by its registry name; name the flag. */
        const char *msg = lm_opts_errmsg(o);
        char prefix[128];
        snprintf(prefix, sizeof prefix, "option '%s': ", reg);
        if (strncmp(msg, prefix, strlen(prefix)) == 0) msg += strlen(prefix);
        cli_usage(a->cmd, "option '%s': %s", a->opt, msg);
    }
    return 1;
}

int cli_registry_opt(cli_args *a, lm_opts *o, int which)
{
    char reg[96];
    if (a->is_short) {
        if (a->name[0] != 'k') return 0;
        return set_registry(a, o, which, "k", NULL);
    }
    if (!strcmp(a->name, "opt")) {                 /* --opt NAME=VALUE */
        const char *nv = cli_args_value(a);
        const char *eq = strchr(nv, '=');
        if (!eq || eq == nv || (size_t)(eq - nv) >= sizeof reg)
            cli_usage(a->cmd, "--opt wants NAME=VALUE with NAME a registry option (see 'lmatch options'), not '%s'", nv);
        memcpy(reg, nv, (size_t)(eq - nv));
        reg[eq - nv] = 0;
        for (char *p = reg; *p; p++)
            if (*p == '-') *p = '_';
        if (!set_registry(a, o, which, reg, eq + 1))
            cli_usage(a->cmd, "--opt: unknown option '%s' (see 'lmatch options')", reg);
        return 1;
    }
    snprintf(reg, sizeof reg, "%s", a->name);
    for (char *p = reg; *p; p++)
        if (*p == '-') *p = '_';
    return set_registry(a, o, which, reg, NULL);
}

/* The n-th '|'-separated name of a choices string. */
static int choice_name(const char *choices, int n, char *buf, size_t cap)
{
    const char *p = choices;
    for (int j = 0; p && j < n; j++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p) return 0;
    size_t len = strcspn(p, "|");
    if (len >= cap) len = cap - 1;
    memcpy(buf, p, len);
    buf[len] = 0;
    return 1;
}

const char *cli_registry_default(int key, char *buf, size_t cap)
{
    double def = 0, lo = 0, hi = 0;
    lm_opt_bounds(key, &def, &lo, &hi);
    int type = lm_opt_type(key);
    const char *choices = lm_opt_choices(key);
    buf[0] = 0;
    if (type == LM_OPT_TYPE_INT && choices && choice_name(choices, (int)(def - lo), buf, cap)) return buf;
    if (type == LM_OPT_TYPE_INT) snprintf(buf, cap, "%lld", (long long)def);
    else if (type == LM_OPT_TYPE_DOUBLE) snprintf(buf, cap, "%g", def);
    return buf;
}

static int is_own(const char *own, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *p = own; p && *p;) {
        while (*p == ' ') p++;
        size_t m = strcspn(p, " ");
        if (m == n && !strncmp(p, flag, n)) return 1;
        p += m;
    }
    return 0;
}

void cli_registry_help(FILE *f, int which, const char *own_flags, int listing)
{
    for (int i = 0; i < lm_opt_count(); i++) {
        int key = lm_opt_key(i);
        if (which != CLI_OPTS_ALLOC && is_alloc_key(key)) continue;
        char flag[96], left[160], def[64];
        int type = lm_opt_type(key);
        const char *choices = lm_opt_choices(key);
        const char *meta = choices ? choices : type == LM_OPT_TYPE_INT ? "N" : type == LM_OPT_TYPE_DOUBLE ? "X" : "TEXT";
        cli_flag_name(lm_opt_name(key), flag, sizeof flag);
        if (is_own(own_flags, flag)) snprintf(left, sizeof left, "--opt %s=%s", lm_opt_name(key), meta);
        else snprintf(left, sizeof left, "%s--%s %s", !listing && strcmp(flag, "k") == 0 ? "-k, " : "", flag, meta);
        double d, lo, hi;
        lm_opt_bounds(key, &d, &lo, &hi);
        fprintf(f, listing ? "%-28s %s" : "  %-30s %s", left, lm_opt_help(key));
        if (type == LM_OPT_TYPE_INT && choices)
            fprintf(f, " [default %s]", cli_registry_default(key, def, sizeof def));
        else if (type == LM_OPT_TYPE_INT)
            fprintf(f, " [default %s; %lld..%lld]", cli_registry_default(key, def, sizeof def),
                    (long long)lo, (long long)hi);
        else if (type == LM_OPT_TYPE_DOUBLE)
            fprintf(f, " [default %s; %g..%g]", cli_registry_default(key, def, sizeof def), lo, hi);
        fputc('\n', f);
    }
}

/* ---- progress ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted = 0;
static struct sigaction old_int;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1234567 -> "1,234,567" */
static const char *grouped(int64_t v, char *buf, size_t cap)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
    size_t n = strlen(tmp), o = 0;
    if (v < 0 && o + 1 < cap) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

static int tty_err(void)
{
    static int t = -1;
    if (t < 0) t = isatty(2);
    return t;
}

static int enabled(void)
{
    if (cli_quiet || cli_progress == 0) return 0;
    return cli_progress == 1 || tty_err();
}

static void show(cli_progress_t *p, const char *text, int final)
{
    if (tty_err()) fprintf(stderr, "\r%s\033[K%s", text, final ? "\n" : "");
    else fprintf(stderr, "%s\n", text);
    fflush(stderr);
    p->shown = 1;
}

/* Records done for a load: input lines that start before `done` bytes. */
static int64_t lines_before(const cli_progress_t *p, int64_t done)
{
    int64_t lo = 0, hi = p->noffsets;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (p->offsets[mid] < done) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int progress_cb(void *ctx, const char *stage, int64_t done, int64_t total)
{
    cli_progress_t *p = ctx;
    if (interrupted) return 1;
    if (!enabled()) return 0;
    double t = now();
    int forced = cli_progress == 1;
    if (!forced && t - p->t0 < 1.0) return 0;       /* short jobs stay quiet */
    if (p->shown && t - p->last < (tty_err() ? 0.1 : 1.0) && done != total) return 0;
    if (p->offsets && strcmp(stage, "load") == 0) {
        done = lines_before(p, done);
        total = p->noffsets;
    }
    if (p->shown && done == p->done && total == p->total) return 0;   /* nothing new */
    p->last = t;
    p->done = done;
    p->total = total;
    char a[32], b[32], r[32], line[256];
    double el = t - p->t0;
    grouped(el > 0 ? (int64_t)((double)done / el) : 0, r, sizeof r);
    if (total > 0)
        snprintf(line, sizeof line, "%s: %s/%s %s (%d%%), %s %s/s", stage, grouped(done, a, sizeof a),
                 grouped(total, b, sizeof b), p->unit, (int)(100.0 * (double)done / (double)total), r, p->unit);
    else
        snprintf(line, sizeof line, "%s: %s %s, %s %s/s", stage, grouped(done, a, sizeof a), p->unit, r, p->unit);
    show(p, line, 0);
    return 0;
}

void cli_progress_begin(cli_progress_t *p, lm_db *db, const char *stage)
{
    const int64_t *off = p->offsets;
    int64_t noff = p->noffsets;
    memset(p, 0, sizeof *p);
    p->offsets = off;
    p->noffsets = noff;
    p->db = db;
    p->stage = stage;
    p->unit = "records";
    p->t0 = p->last = now();
    interrupted = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    lm_set_progress(db, progress_cb, p);
}

void cli_progress_items(cli_progress_t *p, int64_t n)
{
    p->items += n;
}

void cli_progress_end(cli_progress_t *p, int64_t items)
{
    lm_set_progress(p->db, NULL, NULL);
    sigaction(SIGINT, &old_int, NULL);
    if (interrupted) {
        if (p->shown && tty_err()) fputc('\n', stderr);
        fflush(stdout);
        fprintf(stderr, "%s: %s interrupted; nothing was changed\n", cli_prog, p->stage);
        lm_close(p->db);
        exit(CLI_EXIT_INTR);
    }
    if (items < 0) {                       /* the job failed: end the line */
        if (p->shown && tty_err()) fputc('\n', stderr);
        return;
    }
    if (!enabled() || !(p->shown || cli_progress == 1)) return;
    double el = now() - p->t0;
    char a[32], r[32], line[256];
    grouped(el > 0 ? (int64_t)((double)items / el) : 0, r, sizeof r);
    /* The summary counts items (records), whatever unit the progress used. */
    snprintf(line, sizeof line, "%s: %s records in %.1f s (%s records/s)", p->stage, grouped(items, a, sizeof a), el, r);
    show(p, line, 1);
}

/* ---- help of one command ---- */

const char cli_common_opts[] =
    "Options of every command:\n"
    "  -h, --help             show this help and exit\n"
    "  -q, --quiet            no progress and no summary lines\n"
    "  --progress             progress on stderr even when it is not a terminal\n"
    "  --no-progress          no progress\n";

void cli_command_help(const cli_command *c, FILE *f)
{
    fprintf(f, "Usage: %s %s %s\n\n%s", cli_prog, c->name, c->synopsis, c->help);
    if (c->regopts) {
        fprintf(f, "\n%s options (from the library's option registry; --NAME VALUE or --NAME=VALUE):\n",
                c->regopts == CLI_OPTS_ALLOC ? "Allocation and match" : "Match");
        cli_registry_help(f, c->regopts, c->own_flags, 0);
        fprintf(f, "  %-30s %s\n", "--opt NAME=VALUE", "any registry option by its name (see 'lmatch options')");
    }
    fprintf(f, "\n%s\nExit status: 0 success, 1 error (one line on stderr), 2 usage error.\n", cli_common_opts);
}
