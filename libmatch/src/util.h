/*
** util.h -- small helpers every module may use (util.c): string copies and
** UTF-8 validation.  No SQLite, no state.
*/
#ifndef LM_UTIL_H
#define LM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "libmatch.h"

/* Record kinds are 1..LMX_NKINDS (LM_PROBLEM, LM_ACHIEVEMENT, LM_EXPERT). */
#define LMX_NKINDS 3

char *lmx_strndup(const char *s, size_t n);
/* A copy of s, or NULL for NULL (or when out of memory). */
char *lmx_strdup(const char *s);
/* 1 if [s, s+len) is valid UTF-8 without NUL bytes; else 0 and *bad_off
   (may be NULL) is the offset of the first bad byte. */
int lmx_utf8_valid(const char *s, size_t len, size_t *bad_off);

/* A progress callback with its context (lm_set_progress()); fn may be NULL. */
typedef struct lmx_progress { lm_progress_fn fn; void *ctx; } lmx_progress;

#endif
