/*
** lmatch -- command-line front end of libmatch.
**
**   lmatch COMMAND [ARGUMENT...] [OPTION...]      lmatch COMMAND --help
**   lmatch --help | --version
**
** GNU conventions: help on stdout with exit 0; usage errors on stderr with
** exit 2; runtime errors one line on stderr with exit 1; 130 when
** interrupted.  An unknown COMMAND runs the program lmatch-COMMAND found
** next to lmatch, then on the PATH (git style; `lmatch serve` runs
** lmatch-serve).  See lmatch(1).
*/
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define OUTPUT_OPTS \
    "  --json                 the result as JSON\n" \
    "  --csv                  the result as CSV (English headers)\n" \
    "  --format table|json|csv  the same as a name (table: the default)\n" \
    "  --xlsx FILE            write an Excel workbook with Chinese headers (nothing on stdout)\n"

static const cli_command commands[] = {
    { "load", cmd_load, "DB FILE|- [--format jsonl|csv] [--kind KIND] [--skip-bad] [--no-vectors] [--json]",
      "load records from JSON Lines or CSV (FILE, or - for stdin)",
      "Load records into DB (created if needed) in one transaction.  The format\n"
      "comes from the file name (.csv; anything else is JSON Lines) or --format;\n"
      "stdin is JSON Lines unless --format csv.\n"
      "\n"
      "CSV: a header row names the record keys (id, kind, title, description,\n"
      "abstract, name, research, bio, keywords, fields, region, org, maturity,\n"
      "experts, achievements, meta; or 编号, 类型, 标题, 描述, 摘要, 姓名, 研究方向,\n"
      "简介, 关键词, 领域, 地区, 单位, 成熟度, 专家, 成果, 元数据).  Lists are separated\n"
      "by ';' or '；' (or written as a JSON array), maturity is an integer, meta is\n"
      "JSON (or text); an empty cell leaves the key out.  Quoted fields may hold\n"
      "commas, quotes (\"\") and newlines (RFC 4180); UTF-8, with or without a BOM.\n"
      "Errors name the line of the file (for CSV, the physical line where the row\n"
      "starts).\n"
      "\n"
      "  --format jsonl|csv     the input format\n"
      "  --kind KIND            CSV: the kind of rows without a kind column or cell\n"
      "  --skip-bad             skip and report bad records; load the good ones\n"
      "                         (default: the first bad record stops the load and\n"
      "                         nothing is stored)\n"
      "  --no-vectors           leave the semantic space alone (by default a load\n"
      "                         that leaves 100 records or more builds the space of\n"
      "                         the latent topic, and rebuilds it once the records\n"
      "                         have doubled; a space of 'lmatch vectors' is kept)\n"
      "  --json                 the load report as JSON\n",
      CLI_OPTS_NONE, NULL },
    { "put", cmd_put, "DB JSON|-", "insert or replace one record given as JSON",
      "Insert or replace one record (JSON text, or - to read it from stdin).\n", CLI_OPTS_NONE, NULL },
    { "get", cmd_get, "DB KIND ID", "print a stored record as JSON",
      "Print the stored record of KIND (problem, achievement, expert) with ID.\n", CLI_OPTS_NONE, NULL },
    { "delete", cmd_delete, "DB KIND ID", "delete a record", "Delete the record of KIND with ID.\n",
      CLI_OPTS_NONE, NULL },
    { "export", cmd_export, "DB [--kind KIND] [--format jsonl|csv] [-o FILE]",
      "write the records as JSON Lines or CSV (reads back with load)",
      "Write every stored record (problems, then achievements, then experts, each\n"
      "in the order first stored) as JSON Lines (exactly as `get` prints them) or\n"
      "CSV (the columns `load` reads; a list item holding ';' is written as a JSON\n"
      "array).  `lmatch load` reads either back into the same records.\n"
      "\n"
      "  --kind KIND            only records of KIND\n"
      "  --format jsonl|csv     the output format (default: from -o's name, else jsonl)\n"
      "  --csv                  the same as --format csv\n"
      "  -o, --output FILE      write FILE (complete or not at all) instead of stdout\n",
      CLI_OPTS_NONE, NULL },
    { "stats", cmd_stats, "DB", "counts, analyzer and vector state as JSON",
      "Print the database's statistics as JSON: records per kind, links, analyzer,\n"
      "user words, synonyms, vectors (dimension, records since the last build).\n", CLI_OPTS_NONE, NULL },
    { "match", cmd_match, "DB --problem|--achievement|--expert ID --to KIND [OPTION...]",
      "rank records of a kind for a stored record",
      "Rank the records of KIND for the stored record ID, with the score, the\n"
      "match probability (匹配度: the same scale for every query; min-probability\n"
      "cuts at it), the score's components and the matched terms of each hit.\n"
      "\n"
      "  --problem ID, --achievement ID, --expert ID   the query record\n"
      "  --to KIND              what to rank: problem, achievement, expert\n"
      OUTPUT_OPTS,
      CLI_OPTS_MATCH, "to problem achievement expert json csv format xlsx opt" },
    { "query", cmd_query, "DB TEXT|- --to KIND [OPTION...]", "rank records of a kind for a free text",
      "Rank the records of KIND for TEXT (or the text on stdin with -); Simplified\n"
      "and Traditional Chinese, English, or both.\n"
      "\n"
      "  --to KIND              what to rank: problem, achievement, expert\n"
      OUTPUT_OPTS,
      CLI_OPTS_MATCH, "to json csv format xlsx opt" },
    { "batch", cmd_batch, "DB --from KIND --to KIND [-k N] [--memory SIZE] [--json|--format jsonl|--csv|--xlsx FILE]",
      "match every record of one kind against another (semantic vectors)",
      "Match every record of one kind against every record of another in the\n"
      "built-in semantic space (cosine, computed in blocks); needs `lmatch vectors`\n"
      "first.  Progress on stderr (stage \"batch\").\n"
      "\n"
      "  --from KIND            the query records\n"
      "  --to KIND              the records ranked for each\n"
      "  -k, --k N              hits per record (the registry's k: default 10)\n"
      "  --memory SIZE          hold at most about SIZE of vectors (512M, 2G; 0: no\n"
      "                         bound): beyond it they are read in ranges, the same\n"
      "                         results with more passes over the database\n"
      "  --json                 one JSON document {\"from\",\"to\",\"k\",\"results\":[{\"id\",\n"
      "                         \"label\",\"results\":[{\"id\",\"label\",\"score\"}]}]}\n"
      "  --format jsonl         one JSON object per query record and line\n"
      "  --csv                  rows from,from_label,rank,id,label,score\n"
      "  --xlsx FILE            an Excel workbook with Chinese headers\n",
      CLI_OPTS_NONE, NULL },
    { "allocate", cmd_allocate,
      "DB --to expert|achievement [--problems ID,..] [--candidates ID,..] [OPTION...]",
      "assign experts or achievements to problems for a 对接会",
      "Assign records of KIND to problems so that the total match probability\n"
      "(匹配度; the expected number of good pairs) is maximal (exactly, by min-cost\n"
      "flow) under capacities: each candidate takes at most --capacity problems,\n"
      "each problem gets at most --per-problem candidates, and no pair whose\n"
      "probability is below --min-score is assigned.\n"
      "\n"
      "  --to KIND              expert or achievement\n"
      "  --problems ID,ID,...   these problems (repeatable; default: every problem)\n"
      "  --candidates ID,ID,... these candidates (repeatable; default: every record of KIND);\n"
      "                         the registry's candidates option is --opt candidates=N\n"
      OUTPUT_OPTS,
      CLI_OPTS_ALLOC, "to problems candidates json csv format xlsx opt" },
    { "feedback", cmd_feedback,
      "DB --problem|--achievement|--expert ID --to KIND --id ID --grade G | --delete | --file FILE|-",
      "record how a match turned out (for learn)",
      "Store the judgment of a match: the stored record ID matched with record\n"
      "--id of KIND led to nothing (grade 0, none), a contact (1), a visit (2) or\n"
      "a contract (3).  A later judgment of the same pair replaces it; --delete\n"
      "removes it.  Both records must be stored.  `lmatch learn` refits the\n"
      "match model on the judgments.\n"
      "\n"
      "  --problem ID, --achievement ID, --expert ID   the record matched from\n"
      "  --to KIND              the kind of the matched record\n"
      "  --id ID                the matched record\n"
      "  --grade G              0-3 or none, contact, visit, contract\n"
      "  --delete               remove the judgment of the pair\n"
      "  --file FILE|-          judgments from a TSV file (or stdin): from_kind,\n"
      "                         from_id, to_kind, to_id, grade per line; '#' starts\n"
      "                         a comment; each line is stored, the first bad one\n"
      "                         stops (its line named)\n"
      "  --json                 {\"stored\": N}\n",
      CLI_OPTS_NONE, NULL },
    { "learn", cmd_learn, "DB [--show | --reset] [--json] [OPTION...]",
      "refit the match model on the recorded outcomes",
      "Refit DB's match model (the probability, 匹配度, and the ranking) on its\n"
      "judgments (`lmatch feedback`), pulled toward the default model, and adopt\n"
      "it only when cross-validation by judged record says it is better: lower\n"
      "log-loss and an nDCG@10 that is not lower.  Prints what happened (and\n"
      "exits 0 whether or not the new model was adopted); too few judgments is\n"
      "an error giving the counts.  The registry options apply: learn-min-pairs,\n"
      "learn-prior, learn-folds, and the match options the records are matched\n"
      "with.\n"
      "\n"
      "  --show                 print the match model in use as JSON (read only)\n"
      "  --reset                go back to the default model (judgments stay)\n"
      "  --json                 the report as JSON\n",
      CLI_OPTS_MATCH, "json show reset opt" },
    { "vectors", cmd_vectors, "DB [--dim N]", "build the semantic vectors",
      "Build the built-in semantic space over every stored record (TF-IDF, then\n"
      "a truncated SVD; reproducible).  Needed by batch; adds the cosine\n"
      "component to match and query, and the nearest records by it join the\n"
      "candidates.  load keeps a space of its own otherwise (for the latent\n"
      "topic only) and leaves one built here alone.  Progress on stderr (stage\n"
      "\"vectors\").\n"
      "\n"
      "  --dim N                dimensions (0: the library's default)\n",
      CLI_OPTS_NONE, NULL },
    { "mode", cmd_mode, "DB [words|subwords|bigrams|unigrams|all]", "show or set the analyzer mode",
      "Without a mode, print DB's analyzer.  With one, store the mode and\n"
      "re-tokenize every record with it: words (dictionary words), subwords\n"
      "(words and their dictionary sub-words), bigrams (overlapping character\n"
      "bigrams), all (the three), unigrams (also the single characters of\n"
      "words: better topical matching, slower queries); several may be joined\n"
      "by '+'.  A new database has all+unigrams.\n",
      CLI_OPTS_NONE, NULL },
    { "analyze", cmd_analyze, "TEXT|- [--db DB] [--mode MODE] [--json]", "show the tokens of a text",
      "Print the tokens libmatch indexes TEXT with (token, start byte, end byte,\n"
      "\"colocated\" for a token at the previous one's position).\n"
      "\n"
      "  --db DB                use DB's user dictionary and mode (read only)\n"
      "  --mode MODE            words, subwords, bigrams, unigrams, all (or joined by '+')\n"
      "  --json                 {\"tokens\":[{\"text\",\"start\",\"end\",\"colocated\"}]}\n",
      CLI_OPTS_NONE, NULL },
    { "dict", cmd_dict, "DB WORD [FREQ]", "add a word to the user dictionary",
      "Add WORD to DB's user dictionary (FREQ: its frequency; default: one that\n"
      "makes it win segmentation).  Run `lmatch reindex DB` for records already\n"
      "stored.\n", CLI_OPTS_NONE, NULL },
    { "synonyms", cmd_synonyms, "DB FILE.tsv", "load synonyms from a TSV file",
      "Load synonyms: each line of FILE.tsv holds two or more tab-separated terms\n"
      "that are all synonyms; '#' starts a comment.\n", CLI_OPTS_NONE, NULL },
    { "reindex", cmd_reindex, "DB", "re-tokenize every record",
      "Re-tokenize every stored record with the current analyzer (after `dict`, or\n"
      "when the library's analyzer changed).\n", CLI_OPTS_NONE, NULL },
    { "options", cmd_options, "[--json]", "list the match options (the library's registry)",
      "List every option of match, query and allocate as the library's option\n"
      "registry defines it: the flag, its values, what it does, its default and\n"
      "bounds.  One option per line (flag first), or a JSON array with --json.\n", CLI_OPTS_NONE, NULL },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}


static void main_help(FILE *f)
{
    fprintf(f,
        "Usage: %s COMMAND [ARGUMENT...] [OPTION...]\n"
        "       %s COMMAND --help\n"
        "       %s --help | --version\n"
        "\n"
        "Match technology supply and demand: problems (问题库), achievements (成果库)\n"
        "and experts (人才库) in one libmatch database file (DB).\n"
        "\n"
        "Commands:\n", cli_prog, cli_prog, cli_prog);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
        "  %-10s %s\n"
        "\n"
        "Any other COMMAND runs the program %s-COMMAND found next to %s or on the\n"
        "PATH with the remaining arguments (`%s serve` runs %s-serve).\n"
        "\n"
        "%s"
        "  -V, --version          show the version and exit\n"
        "\n"
        "Read commands (get, stats, export, match, query, batch, allocate, mode DB,\n"
        "analyze --db) never create a database: a missing file is an error.\n"
        "Progress of long jobs (load, vectors, batch, reindex) goes to stderr when it\n"
        "is a terminal.\n"
        "\n"
        "Exit status: 0 success; 1 an error (one line on stderr); 2 a usage error;\n"
        "130 interrupted (nothing was changed).\n"
        "\n"
        "`%s COMMAND --help` describes a command; see also lmatch(1).\n",
        "serve", "run the HTTP service (the program lmatch-serve)",
        cli_prog, cli_prog, cli_prog, cli_prog, cli_common_opts, cli_prog);
}

static int version(void)
{
    printf("lmatch %s (libmatch %s)\n", LM_VERSION_STRING, lm_version());
#ifdef LMATCH_XLSX
    puts("features: csv xlsx");
#else
    puts("features: csv");
#endif
    return fflush(stdout) == 0 ? 0 : CLI_EXIT_ERROR;
}

/* git-style: run lmatch-NAME next to this program, else on the PATH. */
static int run_external(const char *name, int argc, char **argv)
{
    int ok = isalnum((unsigned char)name[0]) != 0;
    for (const char *p = name; ok && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') ok = 0;
    if (!ok || strlen(name) > 64) cli_usage(NULL, "'%s' is not an %s command", name, cli_prog);
    char prog[96];
    snprintf(prog, sizeof prog, "%s-%s", cli_prog, name);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) cli_die("out of memory");
    for (int i = 1; i < argc; i++) args[i] = argv[i];
    char self[PATH_MAX], path[PATH_MAX + 100];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char dir[PATH_MAX] = "";
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            snprintf(dir, sizeof dir, "%s", self[0] ? self : "/");
            snprintf(path, sizeof path, "%s/%s", dir, prog);
            if (access(path, X_OK) == 0) {
                args[0] = path;
                fflush(stdout);
                execv(path, args);
                cli_die("cannot run '%s': %s", path, strerror(errno));
            }
        }
    }
    args[0] = prog;
    fflush(stdout);
    execvp(prog, args);
    int e = errno;
    free(args);
    if (e != ENOENT) cli_die("cannot run '%s': %s", prog, strerror(e));
    if (!strcmp(name, "serve"))
        cli_die("'serve' needs the program %s, which was found neither next to %s (%s) nor on the PATH",
                prog, cli_prog, dir[0] ? dir : "?");
    cli_usage(NULL, "'%s' is not an %s command (and there is no program %s next to %s or on the PATH)",
              name, cli_prog, prog, cli_prog);
}

int main(int argc, char **argv)
{
    int i = 1;
    /* Options before the command. */
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { main_help(stdout); return fflush(stdout) ? 1 : 0; }
        if (!strcmp(o, "--version") || !strcmp(o, "-V")) return version();
        if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) cli_quiet = 1;
        else if (!strcmp(o, "--progress")) cli_progress = 1;
        else if (!strcmp(o, "--no-progress")) cli_progress = 0;
        else cli_usage(NULL, "unknown option '%s'", o);
    }
    if (i >= argc) {
        fprintf(stderr, "Usage: %s COMMAND [ARGUMENT...] [OPTION...]\n", cli_prog);
        fprintf(stderr, "Try '%s --help' for the commands.\n", cli_prog);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        if (i + 1 >= argc) { main_help(stdout); return fflush(stdout) ? 1 : 0; }
        const cli_command *c = cli_find_command(argv[i + 1]);
        if (c) { cli_command_help(c, stdout); return fflush(stdout) ? 1 : 0; }
        char *hargv[] = { argv[i + 1], "--help", NULL };
        return run_external(argv[i + 1], 2, hargv);
    }
    if (!strcmp(name, "version")) return version();
    const cli_command *c = cli_find_command(name);
    if (c) return c->run(argc - i, argv + i);
    return run_external(name, argc - i, argv + i);
}
