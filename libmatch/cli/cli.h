/*
** cli.h -- internals of lmatch, the command-line front end of libmatch.
** The tool uses only the public header (libmatch.h); cJSON and (optionally)
** libxlsxwriter are its own dependencies.
**
** Files: main.c (commands, help, dispatch to lmatch-NAME), args.c (argument
** parsing, option registry flags, errors, progress), table.c (CSV and XLSX
** tables), csv.c (CSV reader and CSV -> JSON records), cmd_data.c (load,
** put, get, delete, export, stats), cmd_match.c (match, query, batch,
** allocate), cmd_admin.c (analyze, mode, vectors, dict, synonyms, reindex,
** options), cmd_learn.c (feedback, learn).
*/
#ifndef LMATCH_CLI_H
#define LMATCH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "libmatch.h"

/* Exit statuses (documented in lmatch --help and lmatch(1)). */
#define CLI_EXIT_OK      0
#define CLI_EXIT_ERROR   1   /* runtime error: one line on stderr */
#define CLI_EXIT_USAGE   2   /* bad command line */
#define CLI_EXIT_INTR  130   /* interrupted (SIGINT); nothing was changed */

#if defined(__GNUC__)
#  define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define CLI_NORETURN __attribute__((noreturn))
#else
#  define CLI_PRINTF(a, b)
#  define CLI_NORETURN
#endif

/* ---- commands (main.c) --------------------------------------------------- */

/* Which registry options a command takes. */
#define CLI_OPTS_NONE   0
#define CLI_OPTS_MATCH  1   /* match options (not the allocation ones) */
#define CLI_OPTS_ALLOC  2   /* every option of the registry */

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
    const char *synopsis;                /* after "lmatch NAME " */
    const char *summary;                 /* one line for lmatch --help */
    const char *help;                    /* description and option lines */
    int regopts;                         /* CLI_OPTS_* */
    const char *own_flags;               /* the command's own long flags,
                                            space-separated: a registry option
                                            of the same name is reached with
                                            --opt NAME=VALUE */
} cli_command;

const cli_command *cli_find_command(const char *name);
/* Full help of a command (stdout for --help). */
/* The options every command takes, for help texts (args.c). */
extern const char cli_common_opts[];
void cli_command_help(const cli_command *c, FILE *f);

/* ---- the commands --------------------------------------------------------- */

int cmd_load(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_allocate(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_mode(int argc, char **argv);
int cmd_vectors(int argc, char **argv);
int cmd_dict(int argc, char **argv);
int cmd_synonyms(int argc, char **argv);
int cmd_reindex(int argc, char **argv);
int cmd_options(int argc, char **argv);
int cmd_feedback(int argc, char **argv);
int cmd_learn(int argc, char **argv);

/* ---- arguments, errors, opening (args.c) --------------------------------- */

extern const char *cli_prog;          /* "lmatch" */
extern int cli_quiet;                 /* --quiet */
extern int cli_progress;              /* -1 auto (stderr is a terminal), 0 off, 1 on */

/* A usage error: "lmatch: MESSAGE" and a hint to --help on stderr, exit 2. */
CLI_NORETURN void cli_usage(const cli_command *c, const char *fmt, ...) CLI_PRINTF(2, 3);
/* A runtime error: "lmatch: MESSAGE" on stderr, exit 1. */
CLI_NORETURN void cli_die(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Report the last error of db (or of rc), close db, return 1. */
int cli_fail(lm_db *db, int rc);
/* Open a database.  readonly: it must exist (an error names it otherwise)
   and is opened with LM_OPEN_READONLY. */
lm_db *cli_open(const char *path, int readonly, int flags);
/* The kind named by s, or a usage error. */
int cli_kind(const cli_command *c, const char *opt, const char *s);
/* Read a whole file ("-" = stdin) into a new NUL-terminated buffer; dies
   with a message naming the file. */
char *cli_read_all(const char *path, size_t *len);
/* "stdin" for "-", else the path. */
const char *cli_source_name(const char *path);

/* Command-line cursor: GNU style (options anywhere, "--" ends them,
   --name=value or --name value, -k10 or -k 10). */
typedef struct {
    int argc;
    char **argv;
    int i;
    const cli_command *cmd;
    char opt[100];            /* the option as typed, without "=value" */
    char name[96];            /* its name without dashes ("w-topic", "k") */
    int is_short;
    const char *inline_val;   /* value after '=' (or after -k), else NULL */
    int dashdash;
    const char **pos;         /* positional arguments so far */
    int npos;
} cli_args;

void cli_args_init(cli_args *a, int argc, char **argv, const cli_command *cmd);
/* Advance to the next option: 1 when one is current, 0 at the end.
   Positional arguments are collected in a->pos; --help, --quiet and
   --progress / --no-progress are handled here. */
int cli_args_next(cli_args *a);
/* Is the current option --long_name (or -short_name when short_name)? */
int cli_args_is(const cli_args *a, const char *long_name, char short_name);
/* The value of the current option (usage error when there is none). */
const char *cli_args_value(cli_args *a);
/* The current option takes no value (usage error when one was given). */
void cli_args_flag(cli_args *a);
CLI_NORETURN void cli_args_unknown(const cli_args *a);
/* Usage error unless there are between min and max positional arguments
   (max < 0: no limit); `names` lists them for the message. */
void cli_args_positional(const cli_args *a, int min, int max, const char *names);
/* Parse an integer in [lo, hi] for option `opt`; usage error otherwise. */
long long cli_parse_int(const cli_command *c, const char *opt, const char *s, long long lo, long long hi);
/* A size in bytes: a whole number with an optional K, M or G (KiB, MB...:
   powers of 1024); usage error otherwise. */
long long cli_parse_size(const cli_command *c, const char *opt, const char *s);

/* Registry options: if the current option is --NAME for a registry option
   NAME ('-' for '_'; -k is k), or --opt NAME=VALUE, set it on o through
   lm_opts_set() and return 1.  Errors are usage errors with lm_opts_errmsg()'s message.  `which` is
   CLI_OPTS_MATCH or CLI_OPTS_ALLOC. */
int cli_registry_opt(cli_args *a, lm_opts *o, int which);
/* "w-topic" for "w_topic" into buf. */
const char *cli_flag_name(const char *regname, char *buf, size_t cap);
/* Print the registry options of `which` as help lines; those whose flag is
   one of `own_flags` (may be NULL) are shown as --opt NAME=VALUE.  listing:
   one line per option starting with "--NAME META" (lmatch options). */
void cli_registry_help(FILE *f, int which, const char *own_flags, int listing);
/* The registry's default of an option, e.g. "0.5" or "max", into buf. */
const char *cli_registry_default(int key, char *buf, size_t cap);

/* ---- progress (args.c) ---------------------------------------------------- */

/* Progress on stderr through lm_set_progress(): shown when cli_progress is 1,
   or -1 and stderr is a terminal and the job runs longer than a second;
   never with --quiet.  SIGINT during the job makes the callback stop it (the
   library rolls back); cli_progress_end() then reports the interruption. */
typedef struct {
    lm_db *db;
    const char *stage;        /* what the job is called in the final line */
    const char *unit;         /* "records" */
    const int64_t *offsets;   /* load: byte offset of each input line start */
    int64_t noffsets;
    double t0, last;
    int shown;                /* something was printed */
    int64_t done, total, items;
} cli_progress_t;

void cli_progress_begin(cli_progress_t *p, lm_db *db, const char *stage);
/* Count `n` items (batch records) for the final line. */
void cli_progress_items(cli_progress_t *p, int64_t n);
/* End of the job: a final line when progress was shown or forced, and exit
   130 ("interrupted") when SIGINT stopped it. */
void cli_progress_end(cli_progress_t *p, int64_t items);

/* ---- output helpers (table.c) --------------------------------------------- */

/* Output formats of the table commands. */
enum { CLI_FMT_TABLE = 1, CLI_FMT_JSON = 2, CLI_FMT_JSONL = 4, CLI_FMT_CSV = 8, CLI_FMT_XLSX = 16 };

typedef struct {
    int fmt;                  /* CLI_FMT_* */
    const char *xlsx;         /* --xlsx FILE */
} cli_output;

/* --json, --csv, --format F, --xlsx FILE (those in `allowed`); 1 when the
   current option was one of them. */
int cli_output_opt(cli_args *a, cli_output *o, int allowed);

/* JSON string literal of s on f. */
void cli_json_str(FILE *f, const char *s);
/* Display width of UTF-8 text (East Asian wide characters count 2). */
int cli_text_width(const char *s);
/* Print s padded with spaces to `width` display columns. */
void cli_pad(FILE *f, const char *s, int width);
/* The display label of a stored JSON record ("title", or "name"); a new
   string ("" when it has none). */
char *cli_record_label(const char *json);
/* Chinese name of a kind (问题, 成果, 专家) and of a score component. */
const char *cli_kind_zh(int kind);
const char *cli_component_zh(const char *name);

/* A table written as CSV (to a stream) or as an XLSX worksheet. */
typedef struct cli_table cli_table;
/* fmt CLI_FMT_CSV writes to `out`; CLI_FMT_XLSX to the file `path` with the
   worksheet `sheet`.  NULL with a message on stderr when the file cannot be
   created or XLSX support was not built in (then exits 1). */
cli_table *cli_table_open(int fmt, FILE *out, const char *path, const char *sheet);
/* Column headers: `en` for CSV, `zh` for XLSX; widths (characters) for XLSX
   (0: default). */
void cli_table_header(cli_table *t, int n, const char *const *en, const char *const *zh, const int *widths);
void cli_table_str(cli_table *t, const char *s);
void cli_table_num(cli_table *t, double v);
void cli_table_int(cli_table *t, long long v);
void cli_table_end_row(cli_table *t);
/* Another worksheet (XLSX) / nothing (CSV). */
void cli_table_sheet(cli_table *t, const char *name);
/* Finish and free; dies with a message when the file cannot be written. */
void cli_table_close(cli_table *t);

/* ---- CSV (csv.c) ------------------------------------------------------------ */

/* One CSV-level error (a row that is not valid CSV). */
typedef struct {
    int64_t line;
    char *reason;
} cli_csv_error;

/* CSV converted to JSON Lines: one line per data row, so that line j of the
   result (1-based) is the row starting at physical line lines[j-1] of the
   CSV.  Rows that are not valid CSV are listed in errors and give no line. */
typedef struct {
    char *jsonl;
    size_t len;
    int64_t *lines;
    int64_t nlines;
    cli_csv_error *errors;
    int nerrors;
} cli_csv_jsonl;

/* Convert CSV (`data`, `len` bytes, BOM allowed) with a header row naming
   record keys.  `kind` (may be NULL) fills an absent or empty kind.  0 on
   success; -1 with msg set for a fatal problem (no header, bad header). */
int cli_csv_to_jsonl(const char *data, size_t len, const char *kind, cli_csv_jsonl *out,
                     char *msg, size_t msgcap);
void cli_csv_jsonl_free(cli_csv_jsonl *c);
/* Write one CSV field (quoted when needed) to f. */
void cli_csv_field(FILE *f, const char *s);

#endif /* LMATCH_CLI_H */
