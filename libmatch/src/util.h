/*
** util.h -- small helpers every module may use (util.c): string copies and
** UTF-8 validation.  No SQLite, no state.
*/
#ifndef LM_UTIL_H
#define LM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libmatch.h"

/* Record kinds are 1..LMX_NKINDS (LM_PROBLEM, LM_ACHIEVEMENT, LM_EXPERT). */
#define LMX_NKINDS 3

char *lmx_strndup(const char *s, size_t n);
/* A copy of s, or NULL for NULL (or when out of memory). */
char *lmx_strdup(const char *s);
/* 1 if [s, s+len) is valid UTF-8 without NUL bytes; else 0 and *bad_off
   (may be NULL) is the offset of the first bad byte. */
int lmx_utf8_valid(const char *s, size_t len, size_t *bad_off);

/*
** Lines of a file or a buffer, in bounded memory: a line longer than `max`
** bytes is an error at once (an endless input never fills the memory).
** lmx_lines_next() gives the next line without its '\n' (borrowed until the
** next call): 1 for a line, 0 at the end, or -LM_ETOOBIG, -LM_EIO,
** -LM_ENOMEM.  `lineno` is the number of the line just given; `done` the
** bytes consumed so far.
*/
typedef struct lmx_lines {
    FILE *f;                 /* or NULL for a buffer */
    const char *mem;
    size_t memlen;
    char *buf;
    size_t cap, start, end, max;
    int eof;
    int64_t lineno, done;
} lmx_lines;
void lmx_lines_file(lmx_lines *L, FILE *f, size_t max);
void lmx_lines_buffer(lmx_lines *L, const char *data, size_t len, size_t max);
int lmx_lines_next(lmx_lines *L, const char **line, size_t *len);
void lmx_lines_free(lmx_lines *L);

/* strtod() in the "C" locale (a '.' decimal point in any host locale). */
double lmx_strtod_c(const char *s, char **end);
/* A double as JSON text that reads back to the same bits: the shortest of
   15-17 significant digits, in the "C" locale; non-finite values as 0. */
void lmx_json_double(char buf[40], double v);
/* The same as a cJSON number item (raw text), NULL when out of memory. */
struct cJSON;
struct cJSON *lmx_json_number(double v);

/* A progress callback with its context (lm_set_progress()); fn may be NULL. */
typedef struct lmx_progress { lm_progress_fn fn; void *ctx; } lmx_progress;

#endif
