/*
** libmatch -- matching technology supply and demand.
**
** libmatch indexes three kinds of records -- problems (enterprise technical
** needs, 问题库), achievements (research results, patents, papers, 成果库) and
** experts (人才库) -- in one SQLite file, and ranks matches between them in
** every direction, with an explanation of each score.
**
** Conventions (they hold for every function below unless its comment says
** otherwise):
**
**  - Every public symbol starts with lm_, every macro with LM_.
**  - Handles are opaque.  Every handle has a create/free pair and every free
**    function accepts NULL.
**  - Functions return an int status: LM_OK (0) or one of the LM_E* codes.
**    Objects returned through an out-parameter (`**out`) belong to the caller
**    and are released with the matching free function.  Strings returned
**    directly (`const char *`) are borrowed from their parent handle and live
**    as long as it does (or until the next call on it, where stated).
**  - After a failed call on an lm_db, lm_errmsg(db) gives a readable message
**    naming what was wrong (the record, the field, the line).
**  - All text is UTF-8.  Invalid UTF-8 is rejected with LM_EINVAL_UTF8 wherever
**    text enters the library.
**
** Threading: libmatch is thread-safe at the handle level.  A single lm_db
** must be used by one thread at a time (open one per thread; several
** connections to the same file in several threads or processes are fine:
** SQLite's WAL mode lets readers go on while one writer writes, and libmatch
** waits on a locked database for up to LM_BUSY_TIMEOUT_MS before it reports
** LM_EBUSY).  A call on an lm_db that is busy in another thread, or made from
** one of that handle's callbacks (progress, scan, batch), returns LM_EMISUSE
** at once and changes nothing, not even lm_errmsg(); the one exception is
** that lm_scan()'s callback may read the scanned handle (lm_get, lm_count,
** lm_match*, lm_stats_json, lm_analyze) on the scanning thread.  Result,
** token, report and options handles are not tied to a thread but must not
** be used by two threads at once; reading them from several threads is fine.
** Callbacks run on the calling thread, before the call returns.  The process-wide word
** dictionary and converter are loaded once, thread-safely, and shared
** read-only.
**
** The header compiles alone under -std=c99 -pedantic -Wall -Werror.
*/
#ifndef LIBMATCH_H
#define LIBMATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Export macro and version                                                 */
/* ------------------------------------------------------------------------ */

#ifndef LM_API
#  if defined(_WIN32) && defined(LM_BUILDING)
#    define LM_API __declspec(dllexport)
#  elif defined(__GNUC__) && __GNUC__ >= 4
#    define LM_API __attribute__((visibility("default")))
#  else
#    define LM_API
#  endif
#endif

#define LM_VERSION_MAJOR 1
#define LM_VERSION_MINOR 0
#define LM_VERSION_PATCH 0
#define LM_VERSION_NUMBER \
    (LM_VERSION_MAJOR * 10000 + LM_VERSION_MINOR * 100 + LM_VERSION_PATCH)
#define LM_VERSION_STRING "1.0.0"

/* The version of the library actually linked: "MAJOR.MINOR.PATCH". */
LM_API const char *lm_version(void);
/* The same as a number: MAJOR*10000 + MINOR*100 + PATCH. */
LM_API int lm_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

#define LM_OK             0  /* success */
#define LM_ERROR          1  /* generic failure; see lm_errmsg() */
#define LM_ENOMEM         2  /* out of memory */
#define LM_EINVAL         3  /* invalid argument (NULL handle, bad kind...) */
#define LM_EJSON          4  /* malformed JSON */
#define LM_ERECORD        5  /* well-formed JSON that is not a valid record */
#define LM_EINVAL_UTF8    6  /* text is not valid UTF-8 (or holds NUL) */
#define LM_ETOOBIG        7  /* a documented limit was exceeded */
#define LM_ENOTFOUND      8  /* no record with that kind and id */
#define LM_EIO            9  /* a file could not be read or written */
#define LM_EDB           10  /* the database reported an error */
#define LM_EBUSY         11  /* the database stayed locked too long */
#define LM_EMISMATCH     12  /* database built with another analyzer or
                                schema version, or a vector space mismatch */
#define LM_EDICT         13  /* word dictionary missing or unreadable */
#define LM_ERANGE        14  /* index or number out of range */
#define LM_ESTATE        15  /* call not valid in the current state */
#define LM_ENOTDB        16  /* the file is not a libmatch database (a
                                foreign or damaged SQLite file, or not
                                SQLite at all); it is left untouched */
#define LM_EMISUSE       17  /* the API was used against its rules, e.g.
                                one lm_db from two threads at once */

/* A static English description of a status code; never NULL. */
LM_API const char *lm_errstr(int code);

/* ------------------------------------------------------------------------ */
/* Limits, checked at the boundary                                          */
/* ------------------------------------------------------------------------ */

#define LM_MAX_ID_BYTES        512          /* bytes of an id */
#define LM_MAX_FIELD_BYTES     (8u << 20)   /* bytes of one text field */
#define LM_MAX_RECORD_BYTES    (16u << 20)  /* bytes of one record's JSON */
#define LM_MAX_LIST_ITEMS      10000        /* keywords, fields, links */
#define LM_MAX_JSON_DEPTH      64           /* nesting depth, meta included */
#define LM_MAX_K               10000        /* results per match call */
#define LM_BUSY_TIMEOUT_MS     10000        /* wait on a locked database
                                               (default; lm_set_busy_timeout) */
#define LM_MAX_BUSY_TIMEOUT_MS 3600000      /* longest settable wait */
#define LM_MAX_DIM             4096         /* dimension of a vector */

/* ------------------------------------------------------------------------ */
/* Record kinds                                                             */
/* ------------------------------------------------------------------------ */

#define LM_PROBLEM      1   /* "problem": 技术需求/难题 */
#define LM_ACHIEVEMENT  2   /* "achievement": 科技成果, patent, paper */
#define LM_EXPERT       3   /* "expert": 专家/人才 */

/* "problem", "achievement", "expert", or NULL for an unknown kind. */
LM_API const char *lm_kind_name(int kind);
/* The kind for a name, or 0 when the name is not a kind. */
LM_API int lm_kind_from_name(const char *name);

/* ------------------------------------------------------------------------ */
/* Process-wide configuration                                               */
/* ------------------------------------------------------------------------ */

/*
** Set the path of the word dictionary (jieba's dict.txt format: "word freq
** [tag]" per line) used by the Chinese segmenter.  Call before the first
** lm_open()/lm_analyze(); once the dictionary is loaded the call fails with
** LM_ESTATE.  Without it, libmatch uses $LIBMATCH_DICT if set, else looks in
** the usual places of Debian's python3-jieba package.  A missing dictionary
** makes lm_open() fail with LM_EDICT and a message naming the paths tried.
*/
LM_API int lm_set_dictionary(const char *path);
/* The same: lm_dict_set_path() is the name in the lm_dict_* family. */
LM_API int lm_dict_set_path(const char *path);

/* ------------------------------------------------------------------------ */
/* Database                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct lm_db lm_db;

/* Flags of lm_open(). */
#define LM_OPEN_READONLY   0x01 /* open an existing database read-only */
#define LM_OPEN_REINDEX    0x02 /* if the stored analyzer differs from this
                                   library's, re-tokenize everything instead of
                                   failing with LM_EMISMATCH */
#define LM_OPEN_NO_MMAP    0x04 /* read the file without a memory map: for
                                   network file systems, or files that other
                                   programs may truncate */

/*
** Open (creating if needed) the database at `path`, or ":memory:".  The
** schema is created on first use, in one transaction, and the database is
** put in WAL mode.  An existing file is checked before anything is read or
** written: its schema must be exactly libmatch's (this version's, or the
** previous version's, which is migrated in one transaction); triggers and
** views never run and SQL found in the file is not trusted.  With
** LM_OPEN_READONLY nothing is ever created or converted: a missing path is
** LM_EIO; where the WAL cannot be shared (a read-only directory or mount) the
** file is read as immutable, which is correct only while nobody writes it.
** On success *out is a new handle, to be closed with lm_close().  On failure
** *out is still set when a handle could be allocated, so that lm_errmsg()
** can tell why; close it too.  Errors: LM_ENOTDB (not a libmatch database:
** foreign tables, triggers or views, not SQLite, damaged, empty; the file is
** left untouched), LM_EIO, LM_EDB, LM_EDICT, LM_EMISMATCH (built with another
** analyzer or a newer schema; reopen with LM_OPEN_REINDEX or call
** lm_reindex()), LM_EINVAL (unknown flag), LM_ENOMEM.
*/
LM_API int lm_open(lm_db **out, const char *path, int flags);

/*
** Close the database and free the handle.  NULL is a no-op.  Returns LM_OK,
** or LM_EMISUSE (and closes nothing) when the handle is busy in a call of
** another thread or this is one of its own callbacks.
*/
LM_API int lm_close(lm_db *db);

/*
** The last error message of this handle: what failed and why, naming the
** record, field or line.  "not an error" after a successful call.  The
** string is borrowed; it changes with the next call on `db`.  Works on NULL
** (returns a message saying so).
*/
LM_API const char *lm_errmsg(const lm_db *db);
/* The status code of the last call on `db`. */
LM_API int lm_errcode(const lm_db *db);

/*
** Progress of long calls (bulk loads, re-indexing, building vectors, batch
** matching): `fn` is called on the calling thread now and then (about every
** 1,000 records or block) with the stage ("load", "reindex", "vectors",
** "batch"), the work done and the total (-1 when unknown; for a load, bytes
** of input).  A non-zero return interrupts the call, which then fails with
** LM_ESTATE and changes nothing.  The callback must not call `db` (that is
** LM_EMISUSE).  NULL `fn` turns progress off.  Returns LM_OK, or LM_EINVAL
** for a NULL db.
*/
/*
** How long a call on `db` waits for a database another connection has
** locked (a writer committing, a checkpoint) before it fails with LM_EBUSY:
** `ms` milliseconds, 0 to fail at once; LM_BUSY_TIMEOUT_MS by default.  A
** service that answers requests under a deadline sets it below that
** deadline.  Returns LM_OK, LM_ERANGE (not in 0..LM_MAX_BUSY_TIMEOUT_MS),
** LM_EINVAL (NULL db), LM_EMISUSE (busy in another thread).
*/
LM_API int lm_set_busy_timeout(lm_db *db, int ms);

typedef int (*lm_progress_fn)(void *ctx, const char *stage, int64_t done, int64_t total);
LM_API int lm_set_progress(lm_db *db, lm_progress_fn fn, void *ctx);

/* Free a buffer returned by libmatch (JSON strings).  NULL is a no-op. */
LM_API void lm_free(void *p);

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/*                                                                          */
/* One JSON object per record:                                              */
/*   required   "id" (string, unique within its kind, 1..LM_MAX_ID_BYTES),  */
/*              "kind" ("problem" | "achievement" | "expert")              */
/*   text       problem: "title", "description"                             */
/*              achievement: "title", "abstract"                            */
/*              expert: "name", "research" (研究方向), "bio"                */
/*              all: "keywords" (array of strings)                          */
/*   structured "fields" (array of domain tags, e.g. "新材料"),             */
/*              "region" (e.g. "陕西省西安市"), "org" (string);             */
/*              achievement "maturity" (integer 1..9, TRL);                 */
/*              achievement "experts", expert "achievements" (arrays of ids */
/*              of the other kind: the links used for expert evidence)      */
/*   "meta"     any JSON value, stored verbatim and returned unchanged.     */
/* Any other top-level key, a wrong type, a missing id or kind, or invalid  */
/* UTF-8 is an error naming the record and the field.                       */
/* ------------------------------------------------------------------------ */

/* Pass as a length to mean "NUL-terminated". */
#define LM_NUL_TERMINATED ((size_t)-1)

/*
** Insert or replace one record given as JSON (`len` bytes, or
** LM_NUL_TERMINATED).  A UTF-8 byte-order mark before the object is skipped.
** The write is one transaction: on any error nothing changes.  Errors:
** LM_EJSON, LM_ERECORD, LM_EINVAL_UTF8, LM_ETOOBIG, LM_ESTATE (a read-only
** handle), LM_EDB, LM_EBUSY.
*/
LM_API int lm_put(lm_db *db, const char *json, size_t len);

/*
** Delete the record of `kind` with `id` (one transaction).  Errors:
** LM_ENOTFOUND when there is none, LM_EINVAL (bad kind or id), LM_ESTATE
** (read-only handle), LM_EDB, LM_EBUSY.
*/
LM_API int lm_delete(lm_db *db, int kind, const char *id);

/*
** The stored record as JSON (normalized key order; "meta" verbatim).
** *out is a new NUL-terminated string; free it with lm_free().
** LM_ENOTFOUND when there is no such record.
*/
LM_API int lm_get(lm_db *db, int kind, const char *id, char **out);

/*
** Called by lm_scan() once per record: its kind, id and stored JSON (`len`
** bytes, NUL-terminated; exactly what lm_get() returns).  The strings are
** borrowed for the call.  Return 0 to go on; any other value stops the scan.
*/
typedef int (*lm_record_fn)(void *ctx, int kind, const char *id, const char *json, size_t len);

/*
** Every stored record of `kind` (0 = all kinds, problems first, then
** achievements, then experts), in the order they were first stored: the
** export that lm_load_jsonl() reads back.  The scan reads one snapshot; the
** callback may read `db` (lm_get, lm_count, lm_match*: same snapshot) but not
** write to it (LM_EMISUSE: use another handle).  Returns LM_OK, or
** LM_ESTATE when the callback stopped the scan (its value is in the
** message), LM_EINVAL (bad kind, NULL callback), LM_EDB.
*/
LM_API int lm_scan(lm_db *db, int kind, lm_record_fn cb, void *ctx);

/* Number of records of `kind` (0 = all kinds) in *out.  LM_EINVAL for a bad
   kind or NULL out. */
LM_API int lm_count(lm_db *db, int kind, int64_t *out);

/*
** Database statistics as a JSON object (counts per kind, links, analyzer,
** dictionary words, synonyms, schema version, whether the index is stale,
** the vectors' state, the library version).  Keys may be added in later
** versions.  Free *out with lm_free().
*/
LM_API int lm_stats_json(lm_db *db, char **out);

/* ------------------------------------------------------------------------ */
/* Bulk loading                                                             */
/* ------------------------------------------------------------------------ */

typedef struct lm_report lm_report;

/* Load policies. */
#define LM_LOAD_ATOMIC   0  /* the first bad line stops the load and rolls
                               back every line of it */
#define LM_LOAD_SKIP_BAD 1  /* bad lines are skipped and reported; good ones
                               are stored */
#define LM_LOAD_NO_VECTORS 0x10 /* or-ed with a policy: leave the semantic
                               space alone (see below) */

/*
** Load a JSON Lines file (one record per line; blank lines are ignored; a
** missing final newline is fine) in one transaction.  The file is read line
** by line in bounded memory, so `path` may be a pipe or a device
** ("/dev/stdin"); a line longer than LM_MAX_RECORD_BYTES plus a little is
** refused at once with LM_ETOOBIG naming the line, whatever the policy.  A
** UTF-8 byte-order mark at the start of any line is skipped.  *out_report (may be
** NULL) receives a report of what was loaded and skipped, with the line
** number, id and reason of each bad line; free it with lm_report_free().
** With LM_LOAD_ATOMIC a bad line makes the call fail (LM_ERECORD, LM_EJSON,
** ...) and nothing is stored; the report still tells which line.  With
** LM_LOAD_SKIP_BAD the call succeeds as long as the file could be read.
** The loader keeps a built-in semantic space for the latent topic of
** matching (LM_OPT_W_LATENT_TOPIC): at the end of a load that leaves at
** least 100 records and no space it builds one (128 dimensions), and it
** rebuilds it once the records added since are as many as it was built on;
** in the load's transaction, reported to the progress callback as
** "vectors".  A space of lm_vectors_build() is the caller's and is left
** alone.  LM_LOAD_NO_VECTORS (or-ed with the policy) skips this.
** Errors: LM_EIO (cannot be read; a directory), LM_ETOOBIG (a line over the
** limit), LM_ESTATE (read-only handle, or stopped by the progress callback;
** nothing stored), LM_EDB, and the record errors of lm_put().
*/
LM_API int lm_load_jsonl(lm_db *db, const char *path, int policy,
                         lm_report **out_report);

/* The same for JSON Lines held in memory (`len` bytes). */
LM_API int lm_load_jsonl_buffer(lm_db *db, const char *data, size_t len,
                                int policy, lm_report **out_report);

LM_API int64_t lm_report_loaded(const lm_report *r);   /* records stored */
LM_API int64_t lm_report_skipped(const lm_report *r);  /* bad lines */
LM_API int lm_report_error_count(const lm_report *r);  /* reported errors */
/* Line number (1-based), id ("" when unknown) and reason of error i. */
LM_API int64_t lm_report_error_line(const lm_report *r, int i);
LM_API const char *lm_report_error_id(const lm_report *r, int i);
LM_API const char *lm_report_error_reason(const lm_report *r, int i);
/* The whole report as JSON; free *out with lm_free(). */
LM_API int lm_report_json(const lm_report *r, char **out);
LM_API void lm_report_free(lm_report *r);

/* ------------------------------------------------------------------------ */
/* Match options                                                            */
/* ------------------------------------------------------------------------ */

typedef struct lm_opts lm_opts;

/* Integer options. */
#define LM_OPT_K              1   /* results to return (default 10) */
#define LM_OPT_OFFSET         2   /* results to skip (default 0; 0..1000000) */
#define LM_OPT_MIN_MATURITY   3   /* achievements with maturity >= n (0=off) */
#define LM_OPT_MAX_TERMS      4   /* most informative query terms kept from a
                                     long query (default 48) */
#define LM_OPT_CANDIDATES     5   /* text candidates scored per query
                                     (default 400) */
#define LM_OPT_EVIDENCE_MODE  6   /* how an expert's linked achievements are
                                     aggregated: LM_EVIDENCE_* (default
                                     LM_EVIDENCE_MAX) */
#define LM_OPT_EVIDENCE_M     7   /* m of LM_EVIDENCE_TOPM (default 3) */
#define LM_OPT_EVIDENCE_CANDIDATES 8 /* achievements scored for expert
                                     evidence (default 1000) */
#define LM_OPT_PRF_DOCS       9   /* pseudo-relevance feedback: top hits whose
                                     terms expand the query (default 0: off) */
#define LM_OPT_PRF_TERMS     10   /* feedback terms added (default 20) */
#define LM_OPT_DENSE_CANDIDATES 12 /* nearest records by the semantic vectors
                                     added to the BM25 candidates (default
                                     -1: 100 with vectors of
                                     lm_vectors_build(), none with those the
                                     loader keeps; see lm_load_jsonl()) */
#define LM_OPT_TOPIC_DOCS    11   /* best BM25 hits that vote for the query's
                                     topic, by their domain tags and by their
                                     place in the semantic space (default 10;
                                     0 off) */
#define LM_OPT_FUSION        13   /* LM_FUSION_MODEL (default),
                                     LM_FUSION_WEIGHTED or LM_FUSION_RRF */
/* Fusion of the score components. */
#define LM_FUSION_WEIGHTED 1      /* the weighted sum of the components */
#define LM_FUSION_MODEL    3      /* the match model: the score is the
                                     hit's probability (lm_result_probability),
                                     the components' weights scale their say
                                     in it relative to the defaults (0: off) */
#define LM_FUSION_RRF      2      /* reciprocal rank fusion: each component
                                     ranks the candidates; the score is the
                                     sum of weight / (60 + rank) */
/* Evidence aggregation modes (see lm_match()). */
#define LM_EVIDENCE_MAX   1       /* the best linked achievement's score */
#define LM_EVIDENCE_SUM   2       /* the sum over all linked achievements */
#define LM_EVIDENCE_TOPM  3       /* the sum over the best m, each divided by
                                     its rank (1, 1/2, 1/3, ...) */
/* String options. */
#define LM_OPT_REGION        20   /* keep records whose region starts with it */
#define LM_OPT_FIELD         21   /* any-of domain tag filter; repeatable */
/* Weights (doubles).  Field weights scale the BM25 term frequency of a text
   column and the weight of the query's terms taken from that column. */
#define LM_OPT_W_TITLE       40   /* title / expert research (default 2.0) */
#define LM_OPT_W_BODY        41   /* description / abstract / bio (1.0) */
#define LM_OPT_W_KEYWORDS    42   /* keywords (2.0) */
#define LM_OPT_W_EXTRA       43   /* expert name, org (0.5) */
#define LM_OPT_BM25_K1       44   /* BM25 term-frequency saturation (2.0) */
#define LM_OPT_BM25_B        45   /* BM25 length normalization (0.75) */
/* Fusion weights of the score components (see lm_match()). */
#define LM_OPT_W_BM25        60   /* normalized BM25 (default 1.0) */
#define LM_OPT_W_FIELDS      61   /* domain tag overlap (default 0.1) */
#define LM_OPT_W_REGION      62   /* region proximity (default 0.05) */
#define LM_OPT_W_MATURITY    63   /* maturity fit (default 0.05) */
#define LM_OPT_W_EVIDENCE    64   /* expert evidence from linked achievements
                                     (default 2.0: what experts did counts
                                     more than what their profile says) */
#define LM_OPT_W_TOPIC       66   /* topic: domain tags voted by the best
                                     hits (default 0.5) */
#define LM_OPT_W_COSINE      67   /* cosine in the built-in semantic space
                                     (default 0.25) */
#define LM_OPT_W_COSINE_EXT  68   /* cosine of external embeddings, when the
                                     query is a stored record that has one
                                     (default 0.25) */
#define LM_OPT_W_PRF         65   /* weight of feedback terms relative to the
                                     query's strongest term (default 0.5) */
#define LM_OPT_W_KEYWORD_MATCH 69 /* share of the hit's keywords that the
                                     query names (default 0.2) */
#define LM_OPT_W_LATENT_TOPIC 75  /* latent topic: cosine in the built-in
                                     semantic space with the centroid of the
                                     query's best BM25 hits (default 0.25) */

#define LM_OPT_MIN_PROBABILITY 71 /* keep hits whose match probability is at
                                     least this (double in [0,1], default 0) */

/* Allocation options (lm_allocate_v2()). */
#define LM_OPT_CAPACITY      14   /* problems each candidate takes (default 1) */
#define LM_OPT_PER_PROBLEM   15   /* candidates each problem gets (default 1) */
#define LM_OPT_MIN_SCORE     70   /* no pair whose match probability is
                                     below it is assigned (double, default 0) */
/* Learning options (lm_learn()). */
#define LM_OPT_LEARN_MIN_PAIRS 72 /* judged pairs needed (default 30) */
#define LM_OPT_LEARN_PRIOR   73   /* pull toward the default model (1.0) */
#define LM_OPT_LEARN_FOLDS   74   /* cross-validation folds (5) */

/*
** Create options holding the defaults.  *out is a new handle; free it with
** lm_opts_free().  Errors: LM_EINVAL (out is NULL), LM_ENOMEM.
*/
LM_API int lm_opts_new(lm_opts **out);
/* Free an options handle.  NULL is a no-op. */
LM_API void lm_opts_free(lm_opts *o);
/*
** Set an integer option.  Errors: LM_EINVAL (NULL handle, unknown key, or a
** key that is not an integer option), LM_ERANGE (value outside the bounds
** that lm_opt_bounds() reports).  On error the option keeps its value and
** lm_opts_errmsg() says why.
*/
LM_API int lm_opts_set_int(lm_opts *o, int key, int64_t value);
/* Set a number option (weights are finite and >= 0).  Errors as
   lm_opts_set_int(). */
LM_API int lm_opts_set_double(lm_opts *o, int key, double value);
/*
** Set a string option; LM_OPT_FIELD adds one tag per call and NULL clears
** the list; an empty region or NULL clears the region.  The string is
** copied.  Errors: LM_EINVAL (unknown key), LM_ETOOBIG (over 1024 bytes, or
** more than LM_MAX_LIST_ITEMS tags), LM_EINVAL_UTF8, LM_ENOMEM.
*/
LM_API int lm_opts_set_str(lm_opts *o, int key, const char *value);
/*
** Set any option by its registry name from text: "k" "20", "w_topic" "0",
** "fusion" "rrf", "region" "陕西省".  Integers are whole numbers, or the
** names lm_opt_choices() lists; numbers are C decimal notation.  Errors:
** LM_ENOTFOUND (no option of that name), LM_EINVAL (not a number, NULL
** value for a number), and those of the typed setters.
*/
LM_API int lm_opts_set(lm_opts *o, const char *name, const char *value);
/* The current value of an integer / number option in *out.  LM_EINVAL for
   an unknown key or one of another type. */
LM_API int lm_opts_get_int(const lm_opts *o, int key, int64_t *out);
LM_API int lm_opts_get_double(const lm_opts *o, int key, double *out);
/*
** Why the last setter call on `o` failed ("not an error" after a success),
** naming the option and the value.  Borrowed from `o`; changes with the
** next setter call.  Works on NULL.
*/
LM_API const char *lm_opts_errmsg(const lm_opts *o);

/* ------------------------------------------------------------------------ */
/* The option registry                                                      */
/*                                                                          */
/* The library names, types, bounds and documents every option, so that a  */
/* command line, a service or a binding derives its options from here       */
/* instead of copying numbers (in the spirit of zstd's                      */
/* ZSTD_cParam_getBounds).  Everything here is static and thread-safe.      */
/* ------------------------------------------------------------------------ */

/* Option types (lm_opt_type()). */
#define LM_OPT_TYPE_INT     1   /* lm_opts_set_int() */
#define LM_OPT_TYPE_DOUBLE  2   /* lm_opts_set_double() */
#define LM_OPT_TYPE_STRING  3   /* lm_opts_set_str() */
#define LM_OPT_TYPE_LIST    4   /* lm_opts_set_str(), once per value */

/* The number of options; lm_opt_key(i) for i in 0..count-1 enumerates
   their keys (0 out of range). */
LM_API int lm_opt_count(void);
LM_API int lm_opt_key(int i);
/* The key of the option named `name` ("k", "w_bm25", ...) in *key.
   LM_ENOTFOUND (and *key = 0) for an unknown name, LM_EINVAL for NULL. */
LM_API int lm_opt_find(const char *name, int *key);
/* Name, type (LM_OPT_TYPE_*) and a one-line description of a key; NULL / 0
   for an unknown key.  Strings are static. */
LM_API const char *lm_opt_name(int key);
LM_API int lm_opt_type(int key);
LM_API const char *lm_opt_help(int key);
/* Default and bounds of a number option (for a string option: 0, 0 and the
   maximum length in bytes).  Any pointer may be NULL.  LM_EINVAL for an
   unknown key. */
LM_API int lm_opt_bounds(int key, double *def, double *min, double *max);
/* For an integer option that selects a mode: the names of its values min..max
   separated by '|' (e.g. "max|sum|topm"), accepted by lm_opts_set();
   NULL otherwise. */
LM_API const char *lm_opt_choices(int key);

/* ------------------------------------------------------------------------ */
/* Matching                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct lm_results lm_results;

/*
** Rank records of kind `to` for the stored record (`from`, `id`): all six
** directions between the three kinds (and the same kind, excluding the
** record itself).  The query is built from the record's text: title/name
** and keywords weigh more than the body, and only the LM_OPT_MAX_TERMS most
** informative terms (by IDF) of a long text are kept.  User text is never
** interpreted as query syntax.
**
** Each hit carries its score components, all in [0,1] and on scales that
** mean the same for every query:
**   bm25      BM25 over the analyzer's tokens as a share of the query's
**             maximum ((k1 + 1) x the sum of its terms' weights)
**   fields    share of the query's domain tags that the hit has
**   region    1 same city, 0.5 same province, 0 otherwise/unknown
**   maturity  an achievement's TRL/9 (0 for other kinds)
**   evidence  experts only: the document-centric expert model.  The query is
**             also run against achievements; an expert's evidence is the
**             absolute relevance of their linked achievements, aggregated
**             by LM_OPT_EVIDENCE_MODE.  Links come from "experts" on
**             achievements and "achievements" on experts.  An expert with
**             no profile match but strong achievements is still found.
**   topic     the share of the vote of the query's best BM25 hits (their
**             domain tags, weighted by their bm25) that the hit's tags get:
**             relevant records usually share the query's domain even when
**             they share few words with it
**   cosine    cosine of query and hit in the built-in semantic space
**             (lm_vectors_build()), clipped at 0; the nearest records by it
**             join the candidates, so a hit may share no word with the query
**   cosine_ext  cosine with the query record's external embedding
**             (lm_vector_put()), when it has one; its nearest records in that
**             space join the candidates too
**   keyword_match  share of the hit's keywords that the query names
**   latent_topic  the topic vote where the best hits carry no domain tags:
**             the hit's cosine (clipped at 0) with the bm25-weighted
**             centroid of the query's best LM_OPT_TOPIC_DOCS BM25 hits in
**             the built-in semantic space (the one lm_load_jsonl() keeps,
**             or lm_vectors_build()'s); 0 with tags, without a space, for
**             experts and in distributed matching
**   bm25_raw  the unnormalized BM25 (informational)
**   coverage  share of the query's term weight the hit matches
**             (informational)
**   topic_best, bm25_best  the query's context, the same on every hit: the
**             largest topic share and the best bm25 among its candidates
** The match model turns the components into lm_result_probability() and, by
** default (LM_FUSION_MODEL), the score; it weighs a hit's topic and bm25
** against the query's best, so a moderate match is likely relevant for a
** query whose best is moderate too and unlikely beside a full match.
** A component's weight option (LM_OPT_W_*) scales its say (0 turns it off;
** the query's context follows topic and bm25).
** Filters (region prefix, fields, minimum maturity) restrict the candidates.
** `opts` may be NULL for the defaults.  *out is a new result set, possibly
** empty; free it with lm_results_free().
** Errors: LM_ENOTFOUND (no such record), LM_EINVAL, LM_EDB.
*/
LM_API int lm_match(lm_db *db, int from, const char *id, int to,
                    const lm_opts *opts, lm_results **out);

/* Rank records of kind `to` for free text (`len` bytes or
   LM_NUL_TERMINATED). */
LM_API int lm_match_text(lm_db *db, const char *text, size_t len, int to,
                         const lm_opts *opts, lm_results **out);

/* Rank records of kind `to` for a record given as JSON, without storing it
   (as lm_match() would rank it if it were stored). */
LM_API int lm_match_record(lm_db *db, const char *json, size_t len, int to,
                           const lm_opts *opts, lm_results **out);

/* Number of hits in the set. */
LM_API int lm_results_count(const lm_results *r);
/* Hit i (0-based): id (borrowed), kind, final score.  Out of range: NULL/0. */
LM_API const char *lm_result_id(const lm_results *r, int i);
LM_API int lm_result_kind(const lm_results *r, int i);
LM_API double lm_result_score(const lm_results *r, int i);
/* The probability, in [0, 1], that hit i is a relevant match (匹配度): the
   match model's P(relevant | the hit's components), the same scale for
   every query.  0 out of range. */
LM_API double lm_result_probability(const lm_results *r, int i);
/* A display label of hit i: the record's title (expert: name), "" when it
   has none; borrowed.  NULL out of range. */
LM_API const char *lm_result_label(const lm_results *r, int i);
/* Score components of hit i: their number, each name and value. */
LM_API int lm_result_component_count(const lm_results *r, int i);
LM_API const char *lm_result_component_name(const lm_results *r, int i,
                                            int j);
LM_API double lm_result_component_value(const lm_results *r, int i, int j);
/* The query terms (analyzer tokens) that matched in hit i. */
LM_API int lm_result_term_count(const lm_results *r, int i);
LM_API const char *lm_result_term(const lm_results *r, int i, int j);
/* Experts: the linked achievements supporting hit i, best first (at most
   5): their number, ids and relevance in [0,1].  0 for other kinds. */
LM_API int lm_result_evidence_count(const lm_results *r, int i);
LM_API const char *lm_result_evidence_id(const lm_results *r, int i, int j);
LM_API double lm_result_evidence_score(const lm_results *r, int i, int j);
/* The query terms the set was computed with (after analysis, selection and
   synonyms). */
LM_API int lm_results_query_term_count(const lm_results *r);
LM_API const char *lm_results_query_term(const lm_results *r, int j);
/* The whole set as JSON: {"query_terms":[...],"results":[{"id","kind",
   "label","score","components":{...},"terms":[...],"evidence":[{"id",
   "score"}]}]}.
   Free with lm_free(). */
LM_API int lm_results_json(const lm_results *r, char **out);
LM_API void lm_results_free(lm_results *r);

/* Distributed matching (DFS query-then-fetch): libmatch_dfs.h, included
   at the end of this header. */

/* ------------------------------------------------------------------------ */
/* Learning from outcomes (对接 results)                                     */
/*                                                                          */
/* A platform knows which matches led somewhere: a contact, a visit, a       */
/* contract.  Stored as judgments, they let the database refit its match     */
/* model (the probability of lm_result_probability() and, with the default  */
/* fusion, the ranking), pulled toward the default model, and adopt it only  */
/* when cross-validation says it is better.                                 */
/* ------------------------------------------------------------------------ */

/* Grades of a judged match. */
#define LM_GRADE_NONE      0   /* shown, nothing came of it: not relevant */
#define LM_GRADE_CONTACT   1   /* led to a contact */
#define LM_GRADE_VISIT     2   /* led to a visit or a meeting */
#define LM_GRADE_CONTRACT  3   /* led to a contract */
#define LM_GRADE_DELETE   (-1) /* lm_feedback_put(): remove the judgment */

/*
** Store the judgment of the match of record (from_kind, from_id) with
** record (to_kind, to_id): grade LM_GRADE_NONE..LM_GRADE_CONTRACT (a grade
** >= 1 counts as relevant), replacing an earlier judgment of the pair;
** LM_GRADE_DELETE removes it.  Both records must be stored (judgments are
** kept by id: they survive a record's replacement; lm_learn() skips those
** whose records are gone).  One transaction.  Errors: LM_EINVAL (bad kind,
** NULL id), LM_ERANGE (grade), LM_ENOTFOUND (no such record; the message
** names it), LM_EINVAL_UTF8, LM_ETOOBIG (id), LM_ESTATE (read-only),
** LM_EDB, LM_EBUSY.
*/
LM_API int lm_feedback_put(lm_db *db, int from_kind, const char *from_id,
                           int to_kind, const char *to_id, int grade);

/* What lm_learn() did (opaque; free with lm_learn_report_free()). */
typedef struct lm_learn_report lm_learn_report;

/*
** Refit the database's match model on its judged matches.  Every judged
** record is matched again (with `opts`: NULL for the defaults; its
** weights gate the components as in matching) and its judged hits become
** examples; a logistic regression pulled toward the default model
** (LM_OPT_LEARN_PRIOR) gives new coefficients.  Cross-validation by judged
** record (LM_OPT_LEARN_FOLDS folds) compares the model in use ("before")
** with the refitted one ("after") on the records held out: nDCG@10 of their
** judged hits and log-loss of the judgments.  The new model is adopted
** (stored in the database: every handle uses it from its next match call)
** only when its log-loss is lower and its nDCG@10 not lower; else nothing
** changes.  Needs LM_OPT_LEARN_MIN_PAIRS judged pairs found among the
** candidates, at least 5 of them relevant and 5 not: fewer is LM_ESTATE
** with a message giving the counts (and *out is NULL).  On LM_OK, *out
** (may be NULL if not wanted) tells what happened.  Slow: one match per
** judged record and direction.  Errors: LM_ESTATE (too few judgments; a
** database opened read-only), LM_EINVAL, LM_EDB, LM_EBUSY, LM_ENOMEM.
** Threads: as every call on an lm_db; other handles on the same file go on
** matching while it runs and see the new model after it commits.
*/
LM_API int lm_learn(lm_db *db, const lm_opts *opts, lm_learn_report **out);
/* 1 when the refitted model was adopted, 0 when the one in use stayed. */
LM_API int lm_learn_report_adopted(const lm_learn_report *r);
/* Judged pairs used (found among the candidates), of them relevant, and
   judged records (queries). */
LM_API int64_t lm_learn_report_pairs(const lm_learn_report *r);
LM_API int64_t lm_learn_report_relevant(const lm_learn_report *r);
LM_API int64_t lm_learn_report_queries(const lm_learn_report *r);
/* Cross-validated nDCG@10 and log-loss of the model in use (before) and of
   the refitted one (after). */
LM_API double lm_learn_report_ndcg_before(const lm_learn_report *r);
LM_API double lm_learn_report_ndcg_after(const lm_learn_report *r);
LM_API double lm_learn_report_logloss_before(const lm_learn_report *r);
LM_API double lm_learn_report_logloss_after(const lm_learn_report *r);
/* Why the model was or was not adopted, in one English sentence; borrowed. */
LM_API const char *lm_learn_report_reason(const lm_learn_report *r);
/* The whole report as JSON ({"adopted", "pairs", "relevant", "queries",
   "skipped", "ndcg_before", ..., "reason", "model": {...}}); lm_free(). */
LM_API int lm_learn_report_json(const lm_learn_report *r, char **out);
LM_API void lm_learn_report_free(lm_learn_report *r);

/*
** Go back to the default match model: remove the database's learned model
** (judgments stay).  LM_OK also when there was none.  Errors: LM_ESTATE
** (read-only), LM_EDB, LM_EBUSY.
*/
LM_API int lm_model_reset(lm_db *db);
/*
** The match model in use as JSON: {"format": "libmatch-model/1",
** "intercept", "expert", "terms": [{"feature", "transform", "coef",
** "hits"}], "source": "default" | "learned", ...}.  Free *out with
** lm_free().  Errors: LM_EDB (a stored model that does not read).
*/
LM_API int lm_model_json(lm_db *db, char **out);

/* ------------------------------------------------------------------------ */
/* Semantic vectors                                                          */
/* ------------------------------------------------------------------------ */

/*
** Build the built-in semantic space over every stored record: a TF-IDF
** record x term matrix of the analyzer's words, reduced to `dim` dimensions
** (0: 256; clipped to the data) by a randomized truncated SVD on OpenBLAS and
** LAPACK (fixed seed: reproducible).  Stores the term projection and one
** L2-normalized float32 vector per record.  Records added later are folded
** in on insert without a rebuild; lm_stats_json() reports how many were added
** since the build ("vectors": {"dim", "built_records", "added_since_build"}),
** so the caller knows when to rebuild.  Errors: LM_ESTATE (fewer than three
** records, or fewer than two terms that occur in two or more records),
** LM_ERANGE (dim out of range), LM_ENOMEM, LM_EDB.
*/
LM_API int lm_vectors_build(lm_db *db, int dim);
/* The same: lm_vector_build() is the name in the lm_vector_* family. */
LM_API int lm_vector_build(lm_db *db, int dim);

/*
** Bring your own embeddings: store the vector of record (kind, id) computed
** outside (e.g. by a sentence-embedding model) under `model`.  The first
** vector fixes the database's external model name and dimension; another
** name or dimension is LM_EMISMATCH.  Vectors are stored L2-normalized.
** Errors: LM_ENOTFOUND (no such record), LM_EINVAL (NaN/Inf component, zero
** vector, empty model name), LM_ERANGE (dim not in 1..LM_MAX_DIM).
*/
LM_API int lm_vector_put(lm_db *db, int kind, const char *id, const char *model,
                         const float *v, int dim);

/*
** Rank records of kind `to` by cosine with the query vector `q` in the
** external space of `model` (component "cosine_ext"; the score is the
** cosine).  Honours k, offset and the filters of `opts`.
*/
LM_API int lm_match_vector(lm_db *db, const char *model, const float *q, int dim,
                           int to, const lm_opts *opts, lm_results **out);

/*
** Batch matching in the built-in semantic space: every record of kind
** `from` against every record of kind `to`, top-k each, computed in blocks
** with cblas_sgemm.  `cb` is called once per `from` record with its id and
** its hits (ids and cosines, best first; borrowed for the call); a non-zero
** return stops the batch and is returned.  Needs lm_vectors_build().
*/
typedef int (*lm_batch_fn)(void *ctx, const char *from_id, int n,
                           const char *const *ids, const float *scores);
LM_API int lm_batch_match(lm_db *db, int from, int to, int k, lm_batch_fn cb,
                          void *ctx);
/* The same: lm_match_batch() is the name in the lm_match_* family. */
LM_API int lm_match_batch(lm_db *db, int from, int to, int k, lm_batch_fn cb, void *ctx);

/*
** Bound the memory batch matching holds on `db` to about `bytes` (0: no
** bound, the default).  Within the bound the two kinds' vectors are loaded
** and kept for the next calls, as without one; beyond it they are read in
** row ranges, each query's top k merged over the candidate ranges, with the
** same hits and scores.  Queries get half of the bound; each range of
** queries reads every candidate vector once, so a bound that holds all
** queries reads the database once.  Returns LM_OK, LM_ERANGE (bytes neither
** 0 nor at least LM_MIN_BATCH_MEMORY), LM_EINVAL (NULL db), LM_EMISUSE.
*/
#define LM_MIN_BATCH_MEMORY    65536        /* smallest bound lm_set_batch_memory() takes */
LM_API int lm_set_batch_memory(lm_db *db, int64_t bytes);

/* ------------------------------------------------------------------------ */
/* Allocation for a matchmaking event (对接会)                               */
/* ------------------------------------------------------------------------ */

typedef struct lm_allocation lm_allocation;

/*
** Assign records of kind `to` (experts or achievements) to problems so that
** the total match probability is maximal, exactly (min-cost flow), under
** capacities: each candidate takes at most capacities[j] problems (NULL:
** `default_capacity` each), each problem gets at most `per_problem`
** candidates, and no pair whose probability is below `min_score` is
** assigned.  A pair's score is its lm_result_probability() from lm_match()
** with `opts` (NULL: defaults), whatever the fusion: the same scale for every
** problem, so the total is the expected number of relevant pairs and
** min_score a probability (0.3: "only pairs with at least a 30% chance").
** `problem_ids`/`nproblems` name the problems (NULL: every
** stored problem); `candidate_ids`/`ncandidates` the candidates (NULL: every
** stored record of kind `to`; capacities must then be NULL).  Free *out with
** lm_allocation_free().
** Errors: LM_ENOTFOUND (an id that is not stored), LM_EINVAL (bad kind,
** negative capacity, NaN min_score, duplicate id), LM_ENOMEM, LM_EDB.
*/
LM_API int lm_allocate(lm_db *db, const char *const *problem_ids, int nproblems,
                       int to, const char *const *candidate_ids, int ncandidates,
                       const int *capacities, int default_capacity, int per_problem,
                       double min_score, const lm_opts *opts, lm_allocation **out);
/*
** The same with its parameters in an options handle: LM_OPT_CAPACITY (each
** candidate's capacity when `capacities` is NULL), LM_OPT_PER_PROBLEM,
** LM_OPT_MIN_SCORE, and the match options the scores are computed with.
** `problems`/`nproblems` and `candidates`/`ncandidates` (with `capacities`,
** NULL or one per candidate) as above.  Errors as lm_allocate().
*/
LM_API int lm_allocate_v2(lm_db *db, int to, const char *const *problems, int nproblems,
                          const char *const *candidates, const int *capacities, int ncandidates,
                          const lm_opts *opts, lm_allocation **out);
/* Assigned pairs: their number, then problem id, candidate id and score
   (match probability) of pair i (ordered by problem, then score
   descending). */
LM_API int lm_allocation_count(const lm_allocation *a);
LM_API const char *lm_allocation_problem(const lm_allocation *a, int i);
LM_API const char *lm_allocation_candidate(const lm_allocation *a, int i);
LM_API double lm_allocation_score(const lm_allocation *a, int i);
/* Sum of the assigned pairs' probabilities: the expected number of
   relevant pairs. */
LM_API double lm_allocation_total(const lm_allocation *a);
/* {"total":..,"pairs":[{"problem","candidate","score"}...]}; lm_free(). */
LM_API int lm_allocation_json(const lm_allocation *a, char **out);
LM_API void lm_allocation_free(lm_allocation *a);

/* ------------------------------------------------------------------------ */
/* Analyzer                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct lm_tokens lm_tokens;

/* Analyzer modes: which tokens Chinese text gives. */
#define LM_ANALYZE_WORDS     0x01 /* maximum-probability dictionary words */
#define LM_ANALYZE_SUBWORDS  0x02 /* dictionary sub-words of long words */
#define LM_ANALYZE_BIGRAMS   0x04 /* overlapping character bigrams */
#define LM_ANALYZE_ALL       0x07 /* words, sub-words and bigrams */
#define LM_ANALYZE_UNIGRAMS  0x08 /* with the others: also the single
                                     characters of words (a need's 茶多糖 meets
                                     a record's 绿茶); better topical matching,
                                     slower queries (bench/README.md).  A new
                                     database's mode is LM_ANALYZE_ALL |
                                     LM_ANALYZE_UNIGRAMS; one that stored no
                                     mode keeps LM_ANALYZE_ALL */

/* Token flags. */
#define LM_TOKEN_COLOCATED   0x01 /* same position as the previous token */

/*
** Analyze `text` as libmatch indexes it (normalization, Traditional to
** Simplified, segmentation, stemming, stopwords).  `db` may be NULL for the
** built-in analyzer without user words; with a db its user dictionary
** applies.  `mode` 0 means the database's mode (without a db: a new
** database's, LM_ANALYZE_ALL | LM_ANALYZE_UNIGRAMS).  Offsets are
** byte offsets into `text`.  Free *out with lm_tokens_free().
** Errors: LM_EINVAL_UTF8, LM_ETOOBIG, LM_EDICT, LM_ENOMEM.
*/
LM_API int lm_analyze(lm_db *db, const char *text, size_t len, int mode,
                      lm_tokens **out);
LM_API int lm_tokens_count(const lm_tokens *t);
LM_API const char *lm_token_text(const lm_tokens *t, int i);
LM_API int lm_token_start(const lm_tokens *t, int i);
LM_API int lm_token_end(const lm_tokens *t, int i);
LM_API int lm_token_flags(const lm_tokens *t, int i);
LM_API void lm_tokens_free(lm_tokens *t);

/* The analyzer's identity, e.g. "libmatch-zh/1 words+subwords+bigrams".
   Borrowed from db. */
LM_API const char *lm_analyzer_id(lm_db *db);

/*
** Choose the analyzer mode (LM_ANALYZE_* bits) of this database, store it,
** and re-tokenize every stored record with it (nothing to do on an empty
** database), in one transaction.  A new database has LM_ANALYZE_ALL |
** LM_ANALYZE_UNIGRAMS.  Errors:
** LM_EINVAL (not a combination of LM_ANALYZE_* bits), LM_ESTATE (read-only
** handle, or stopped by the progress callback: nothing changed), LM_EDB.
*/
LM_API int lm_set_analyzer_mode(lm_db *db, int mode);

/*
** Add a word to the database's user dictionary (frequency <= 0 means a
** default that makes the word win segmentation).  Applies to later indexing
** and queries; call lm_reindex() to re-tokenize what is already stored.
** Errors: LM_EINVAL (NULL, empty, over 256 bytes, or holding white space),
** LM_EINVAL_UTF8, LM_ESTATE (read-only handle), LM_EDB.
*/
LM_API int lm_dict_add(lm_db *db, const char *word, int64_t freq);
/* Re-tokenize every stored record with the current analyzer, in one
   transaction, with progress (stage "reindex").  Errors: LM_ESTATE
   (read-only handle, or stopped by the progress callback: nothing changed),
   LM_EDB, LM_EBUSY. */
LM_API int lm_reindex(lm_db *db);
/*
** Declare `a` and `b` synonyms (e.g. 碳化硅 and SiC): a query term that is
** either finds records with the other.  Stored in the database.  Errors:
** LM_EINVAL (NULL, empty or over 256 bytes), LM_EINVAL_UTF8, LM_ESTATE
** (read-only handle), LM_EDB.
*/
LM_API int lm_synonym_add(lm_db *db, const char *a, const char *b);
/* Load synonyms from a TSV file: each line two or more tab-separated terms
   that are all synonyms; '#' starts a comment.  *out_count (may be NULL)
   gets the number of pairs added.  A UTF-8 byte-order mark on line 1 is
   skipped; lines are read in bounded memory.  Errors name the line:
   LM_EIO (cannot be read; a directory), LM_ETOOBIG (a line over 64 KiB, as
   from an endless stream), LM_EINVAL / LM_EINVAL_UTF8 (a bad term),
   LM_ESTATE (read-only handle), LM_EDB; nothing is stored on error. */
LM_API int lm_synonyms_load_tsv(lm_db *db, const char *path,
                                int64_t *out_count);
/* The same: lm_synonym_load_tsv() is the name in the lm_synonym_* family. */
LM_API int lm_synonym_load_tsv(lm_db *db, const char *path, int64_t *out_count);

#ifdef __cplusplus
}
#endif

#include "libmatch_dfs.h"

#endif /* LIBMATCH_H */
