/*
** errors.c -- status codes, per-handle error messages, version, kind names.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

LM_API const char *lm_errmsg(const lm_db *db)
{
    if (!db) return "no database handle (NULL)";
    if (db->errcode == LM_OK) return "not an error";
    return db->errmsg[0] ? db->errmsg : lm_errstr(db->errcode);
}

LM_API int lm_errcode(const lm_db *db)
{
    return db ? db->errcode : LM_EINVAL;
}

int lmx_err(lm_db *db, int code, const char *fmt, ...)
{
    if (!db) return code;
    db->errcode = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

int lmx_ok(lm_db *db)
{
    if (db) { db->errcode = LM_OK; db->errmsg[0] = 0; }
    return LM_OK;
}

int lmx_sqlerr(lm_db *db, int rc, const char *what)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_NOMEM:  code = LM_ENOMEM; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = LM_EBUSY; break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY: code = LM_EIO; break;
    default:            code = LM_EDB; break;
    }
    return lmx_err(db, code, "%s: %s", what,
                   db && db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
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
