/*
** options.c -- the options handle (lm_opts) and the registry that names,
** types and bounds every option (lm_opt_*), both generated from
** options.def.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "util.h"

typedef struct {
    int key;
    const char *name;
    int type;
    double def, lo, hi;
    const char *choices;
    const char *help;
} optdef;

#define INT    LM_OPT_TYPE_INT
#define DOUBLE LM_OPT_TYPE_DOUBLE
#define STRING LM_OPT_TYPE_STRING
#define LIST   LM_OPT_TYPE_LIST
static const optdef defs[LMX_NOPT] = {
#define LMX_OPT(ID, key, name, type, def, lo, hi, choices, help) \
    { key, name, type, def, lo, hi, choices, help },
#include "options.def"
#undef LMX_OPT
};
#undef INT
#undef DOUBLE
#undef STRING
#undef LIST

/* The registry index of a key, or -1. */
static int index_of(int key)
{
    for (int i = 0; i < LMX_NOPT; i++)
        if (defs[i].key == key) return i;
    return -1;
}

/* ---- the registry ------------------------------------------------------ */

LM_API int lm_opt_count(void) { return LMX_NOPT; }

LM_API int lm_opt_key(int i) { return i >= 0 && i < LMX_NOPT ? defs[i].key : 0; }

LM_API int lm_opt_find(const char *name, int *key)
{
    if (key) *key = 0;
    if (!name || !key) return LM_EINVAL;
    for (int i = 0; i < LMX_NOPT; i++)
        if (!strcmp(defs[i].name, name)) { *key = defs[i].key; return LM_OK; }
    return LM_ENOTFOUND;
}

LM_API const char *lm_opt_name(int key)
{
    int i = index_of(key);
    return i < 0 ? NULL : defs[i].name;
}

LM_API int lm_opt_type(int key)
{
    int i = index_of(key);
    return i < 0 ? 0 : defs[i].type;
}

LM_API const char *lm_opt_help(int key)
{
    int i = index_of(key);
    return i < 0 ? NULL : defs[i].help;
}

LM_API int lm_opt_bounds(int key, double *def, double *min, double *max)
{
    int i = index_of(key);
    if (i < 0) return LM_EINVAL;
    if (def) *def = defs[i].def;
    if (min) *min = defs[i].lo;
    if (max) *max = defs[i].hi;
    return LM_OK;
}

/* The n-th '|'-separated name of a choices string, copied into buf. */
static int choice_at(const char *choices, int n, char *buf, size_t cap)
{
    const char *p = choices;
    for (int j = 0; p && j < n; j++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p) return 0;
    size_t len = strcspn(p, "|");
    if (len >= cap) return 0;
    memcpy(buf, p, len);
    buf[len] = 0;
    return 1;
}

LM_API const char *lm_opt_choices(int key)
{
    int i = index_of(key);
    return i < 0 ? NULL : defs[i].choices;
}

/* ---- the handle ------------------------------------------------------------ */

void lmx_opts_defaults(lm_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < LMX_NOPT; i++) o->v[i] = defs[i].def;
}

LM_API int lm_opts_new(lm_opts **out)
{
    if (!out) return LM_EINVAL;
    *out = malloc(sizeof **out);
    if (!*out) return LM_ENOMEM;
    lmx_opts_defaults(*out);
    return LM_OK;
}

static void clear_fields(lm_opts *o)
{
    for (int i = 0; i < o->nfields; i++) free(o->fields[i]);
    free(o->fields);
    o->fields = NULL;
    o->nfields = 0;
}

LM_API void lm_opts_free(lm_opts *o)
{
    if (!o) return;
    free(o->region);
    free(o->dfs_ctx);
    clear_fields(o);
    free(o);
}

static int fail(lm_opts *o, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(lm_opts *o, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->err, sizeof o->err, fmt, ap);
    va_end(ap);
    return code;
}

static int ok(lm_opts *o)
{
    snprintf(o->err, sizeof o->err, "not an error");
    return LM_OK;
}

LM_API const char *lm_opts_errmsg(const lm_opts *o)
{
    if (!o) return "no options handle (NULL)";
    return o->err[0] ? o->err : "not an error";
}

/* Look a key up for a setter of `type`. */
static int lookup(lm_opts *o, int key, int type, int *i)
{
    *i = index_of(key);
    if (*i < 0) return fail(o, LM_EINVAL, "unknown option key %d", key);
    int t = defs[*i].type;
    if (t != type && !(type == LM_OPT_TYPE_STRING && t == LM_OPT_TYPE_LIST))
        return fail(o, LM_EINVAL, "option '%s' is not of this type (%s)", defs[*i].name,
                    t == LM_OPT_TYPE_INT ? "an integer: lm_opts_set_int" :
                    t == LM_OPT_TYPE_DOUBLE ? "a number: lm_opts_set_double" : "a string: lm_opts_set_str");
    return LM_OK;
}

static int set_number(lm_opts *o, int i, double v)
{
    const optdef *d = &defs[i];
    if (!isfinite(v) || v < d->lo || v > d->hi) {
        if (d->type == LM_OPT_TYPE_INT)
            return fail(o, LM_ERANGE, "option '%s': %.17g is not in %lld..%lld", d->name, v,
                        (long long)d->lo, (long long)d->hi);
        return fail(o, LM_ERANGE, "option '%s': %.17g is not in %g..%g", d->name, v, d->lo, d->hi);
    }
    o->v[i] = v;
    return ok(o);
}

LM_API int lm_opts_set_int(lm_opts *o, int key, int64_t v)
{
    if (!o) return LM_EINVAL;
    int i, rc = lookup(o, key, LM_OPT_TYPE_INT, &i);
    if (rc) return rc;
    if (v < (int64_t)defs[i].lo || v > (int64_t)defs[i].hi)
        return fail(o, LM_ERANGE, "option '%s': %lld is not in %lld..%lld", defs[i].name, (long long)v,
                    (long long)defs[i].lo, (long long)defs[i].hi);
    return set_number(o, i, (double)v);
}

LM_API int lm_opts_set_double(lm_opts *o, int key, double v)
{
    if (!o) return LM_EINVAL;
    int i, rc = lookup(o, key, LM_OPT_TYPE_DOUBLE, &i);
    return rc ? rc : set_number(o, i, v);
}

LM_API int lm_opts_set_str(lm_opts *o, int key, const char *v)
{
    if (!o) return LM_EINVAL;
    int i, rc = lookup(o, key, LM_OPT_TYPE_STRING, &i);
    if (rc) return rc;
    size_t len = v ? strlen(v) : 0;
    if (len > (size_t)defs[i].hi)
        return fail(o, LM_ETOOBIG, "option '%s': %zu bytes exceed %d", defs[i].name, len, (int)defs[i].hi);
    if (v && !lmx_utf8_valid(v, len, NULL))
        return fail(o, LM_EINVAL_UTF8, "option '%s': not valid UTF-8", defs[i].name);
    if (defs[i].type == LM_OPT_TYPE_STRING) {          /* region */
        char *c = len ? lmx_strdup(v) : NULL;
        if (len && !c) return fail(o, LM_ENOMEM, "out of memory");
        free(o->region);
        o->region = c;
        return ok(o);
    }
    if (!v) { clear_fields(o); return ok(o); }         /* field: NULL clears */
    if (o->nfields >= LM_MAX_LIST_ITEMS)
        return fail(o, LM_ETOOBIG, "option '%s': more than %d values", defs[i].name, LM_MAX_LIST_ITEMS);
    char **nf = realloc(o->fields, sizeof(char *) * (size_t)(o->nfields + 1));
    if (!nf) return fail(o, LM_ENOMEM, "out of memory");
    o->fields = nf;
    if (!(o->fields[o->nfields] = lmx_strdup(v))) return fail(o, LM_ENOMEM, "out of memory");
    o->nfields++;
    return ok(o);
}

/* Parse a whole number or a choice name for an integer option. */
static int parse_int(lm_opts *o, int i, const char *s, int64_t *out)
{
    const optdef *d = &defs[i];
    char buf[64];
    for (int n = 0; d->choices && choice_at(d->choices, n, buf, sizeof buf); n++)
        if (!strcmp(buf, s)) { *out = (int64_t)d->lo + n; return LM_OK; }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || strchr(s, ' '))
        return fail(o, LM_EINVAL, "option '%s': '%.64s' is not %s%s%s", d->name, s,
                    d->choices ? "one of " : "a whole number", d->choices ? d->choices : "",
                    d->choices ? " or a whole number" : "");
    *out = v;
    return LM_OK;
}

LM_API int lm_opts_set(lm_opts *o, const char *name, const char *value)
{
    if (!o) return LM_EINVAL;
    if (!name) return fail(o, LM_EINVAL, "no option name (NULL)");
    int key;
    if (lm_opt_find(name, &key) != LM_OK) return fail(o, LM_ENOTFOUND, "unknown option '%.64s'", name);
    int i = index_of(key);
    if (defs[i].type == LM_OPT_TYPE_STRING || defs[i].type == LM_OPT_TYPE_LIST)
        return lm_opts_set_str(o, key, value);
    if (!value) return fail(o, LM_EINVAL, "option '%s': no value (NULL)", name);
    if (defs[i].type == LM_OPT_TYPE_INT) {
        int64_t v = 0;
        int rc = parse_int(o, i, value, &v);
        return rc ? rc : lm_opts_set_int(o, key, v);
    }
    char *end;
    errno = 0;
    double v = lmx_strtod_c(value, &end);
    if (end == value || *end || errno == ERANGE || !isfinite(v))
        return fail(o, LM_EINVAL, "option '%s': '%.64s' is not a number", name, value);
    return lm_opts_set_double(o, key, v);
}

LM_API int lm_opts_get_int(const lm_opts *o, int key, int64_t *out)
{
    int i = index_of(key);
    if (!o || !out || i < 0 || defs[i].type != LM_OPT_TYPE_INT) return LM_EINVAL;
    *out = (int64_t)o->v[i];
    return LM_OK;
}

LM_API int lm_opts_get_double(const lm_opts *o, int key, double *out)
{
    int i = index_of(key);
    if (!o || !out || i < 0 || defs[i].type != LM_OPT_TYPE_DOUBLE) return LM_EINVAL;
    *out = o->v[i];
    return LM_OK;
}
