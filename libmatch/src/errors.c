/*
** errors.c -- status codes and their names, the error state of a handle,
** version, kind names, lm_free().
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "errors.h"
#include "util.h"

LM_API const char *lm_version(void) { return LM_VERSION_STRING; }
LM_API int lm_version_number(void) { return LM_VERSION_NUMBER; }

LM_API const char *lm_errstr(int code)
{
    switch (code) {
    case LM_OK:          return "not an error";
    case LM_ERROR:       return "error";
    case LM_ENOMEM:      return "out of memory";
    case LM_EINVAL:      return "invalid argument";
    case LM_EJSON:       return "malformed JSON";
    case LM_ERECORD:     return "invalid record";
    case LM_EINVAL_UTF8: return "invalid UTF-8";
    case LM_ETOOBIG:     return "limit exceeded";
    case LM_ENOTFOUND:   return "not found";
    case LM_EIO:         return "I/O error";
    case LM_EDB:         return "database error";
    case LM_EBUSY:       return "database busy";
    case LM_EMISMATCH:   return "analyzer or schema mismatch";
    case LM_EDICT:       return "dictionary missing or unreadable";
    case LM_ERANGE:      return "out of range";
    case LM_ESTATE:      return "invalid state for this call";
    case LM_ENOTDB:      return "not a libmatch database";
    case LM_EMISUSE:     return "library misuse";
    default:             return "unknown status code";
    }
}

int lmx_error_vset(lmx_error *e, int code, const char *fmt, va_list ap)
{
    if (!e) return code;
    e->code = code;
    char tmp[sizeof e->msg];            /* fmt's arguments may point into e->msg */
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    memcpy(e->msg, tmp, sizeof tmp);
    return code;
}

int lmx_error_set(lmx_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lmx_error_vset(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int lmx_error_clear(lmx_error *e)
{
    if (e) { e->code = LM_OK; e->msg[0] = 0; }
    return LM_OK;
}

int lmx_progress_report(const lmx_progress *p, lmx_error *e, const char *stage, int64_t done, int64_t total)
{
    if (!p || !p->fn) return LM_OK;
    int r = p->fn(p->ctx, stage, done, total);
    return r ? lmx_error_set(e, LM_ESTATE, "%s interrupted by the progress callback (%d)", stage, r) : LM_OK;
}

static const char *const kind_names[] = { NULL, "problem", "achievement", "expert" };

LM_API const char *lm_kind_name(int kind)
{
    return (kind >= 1 && kind <= LMX_NKINDS) ? kind_names[kind] : NULL;
}

LM_API int lm_kind_from_name(const char *name)
{
    if (!name) return 0;
    for (int k = 1; k <= LMX_NKINDS; k++)
        if (strcmp(name, kind_names[k]) == 0) return k;
    return 0;
}

LM_API void lm_free(void *p) { free(p); }
