/*
** errors.h -- the error state every module reports into (errors.c).
**
** A handle owns one lmx_error; the modules below the API get a pointer to it,
** so that the message of a failed call names what was wrong wherever the
** failure was found.  No SQLite, no state of its own.
*/
#ifndef LM_ERRORS_H
#define LM_ERRORS_H

#include <stdarg.h>
#include <stdint.h>

#include "util.h"

typedef struct lmx_error {
    int code;                /* LM_OK or LM_E* */
    char msg[1024];
} lmx_error;

/* Record `code` with a printf-style message; returns code.  e may be NULL
   (then only the code is returned).  The arguments may point into e->msg. */
int lmx_error_set(lmx_error *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int lmx_error_vset(lmx_error *e, int code, const char *fmt, va_list ap);
/* Clear the error state; returns LM_OK. */
int lmx_error_clear(lmx_error *e);

/* Report progress; when the callback asks to stop, LM_ESTATE with a message
   in e.  LM_OK otherwise (also when p or its function is NULL). */
int lmx_progress_report(const lmx_progress *p, lmx_error *e, const char *stage, int64_t done, int64_t total);

#endif
