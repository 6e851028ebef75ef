/*
** api_analyze.c -- the analyzer's public calls: lm_analyze() and its token
** handle, the analyzer identity, and synonyms (one pair, or a TSV file).
*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ---- synonyms --------------------------------------------------------------- */

static int synonym_store(lm_db *db, const char *a, const char *b)
{
    int rc;
    if ((rc = lmx_check_word(db, a, "synonym")) || (rc = lmx_check_word(db, b, "synonym"))) return rc;
    if (strcmp(a, b) == 0) return LM_OK;
    return lmx_store_synonym_put(&db->store, a, b);
}

static int synonym_add_locked(lm_db *db, const char *a, const char *b)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = synonym_store(db, a, b);
    return rc ? rc : lmx_ok(db);
}

/* A synonym line: at most 64 terms of 256 bytes and their tabs. */
#define SYNONYM_LINE_MAX 65536

static int synonyms_load_tsv_locked(lm_db *db, const char *path, int64_t *out_count)
{
    if (out_count) *out_count = 0;
    if (!db) return LM_EINVAL;
    if (!path) return lmx_err(db, LM_EINVAL, "no file name (NULL)");
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    FILE *f = fopen(path, "rb");
    if (!f) return lmx_err(db, LM_EIO, "cannot open '%s': %s", path, strerror(errno));
    int rc = lmx_store_write_begin(&db->store);
    if (rc) { fclose(f); return rc; }
    lmx_lines L;
    lmx_lines_file(&L, f, SYNONYM_LINE_MAX);
    char *line = malloc(SYNONYM_LINE_MAX + 1);
    if (!line) rc = lmx_err(db, LM_ENOMEM, "out of memory");
    const char *text;
    size_t n;
    int got = 0;
    int64_t pairs = 0;
    while (!rc && (got = lmx_lines_next(&L, &text, &n)) == 1) {
        long long lineno = (long long)L.lineno;
        if (lineno == 1) text = lmx_skip_bom(text, &n);
        memcpy(line, text, n);
        while (n > 0 && line[n - 1] == '\r') n--;
        line[n] = 0;
        if (!lmx_utf8_valid(line, n, NULL)) {
            rc = lmx_err(db, LM_EINVAL_UTF8, "%s line %lld: invalid UTF-8 (or a NUL byte)", path, lineno);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *terms[64];
        int nt = 0;
        for (char *save = NULL, *t = strtok_r(line, "\t", &save); t; t = strtok_r(NULL, "\t", &save)) {
            while (*t == ' ') t++;
            char *e = t + strlen(t);
            while (e > t && e[-1] == ' ') *--e = 0;
            if (*t && nt < 64) terms[nt++] = t;
        }
        if (nt == 0) continue;
        if (nt == 1) {
            rc = lmx_err(db, LM_EINVAL, "%s line %lld: a synonym line needs two or more tab-separated terms",
                         path, lineno);
            break;
        }
        for (int i = 0; i < nt && !rc; i++)
            for (int j = i + 1; j < nt && !rc; j++) {
                rc = synonym_store(db, terms[i], terms[j]);
                if (rc) lmx_err(db, rc, "%s line %lld: %s", path, lineno, lm_errmsg(db));   /* formats a copy */
                else pairs++;
            }
    }
    /* The end of the file, or a failure to read it (a directory, an endless
       line): never taken for each other. */
    if (!rc && got == -LM_ETOOBIG)
        rc = lmx_err(db, LM_ETOOBIG, "%s line %lld: longer than %d bytes: not a synonym line", path,
                     (long long)L.lineno, SYNONYM_LINE_MAX);
    else if (!rc && got < 0)
        rc = lmx_err(db, -got, "cannot read '%s' after line %lld: %s", path, (long long)L.lineno,
                     got == -LM_EIO ? strerror(errno ? errno : EIO) : lm_errstr(-got));
    free(line);
    lmx_lines_free(&L);
    fclose(f);
    if (rc == LM_OK) rc = lmx_store_commit(&db->store);
    if (rc) { lmx_store_rollback(&db->store); return rc; }
    if (out_count) *out_count = pairs;
    return lmx_ok(db);
}

/* ---- lm_analyze ----------------------------------------------------------- */

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static lmx_analyzer *default_an;
static int default_rc;
static char default_msg[512];

static void default_init(void)
{
    default_rc = lmx_analyzer_new(&default_an, 0, default_msg, sizeof default_msg);
}

typedef struct { char *text; int start, end, flags; } token;
struct lm_tokens { token *t; int n, cap; };

static int collect(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    lm_tokens *ts = ctx;
    if (ts->n == ts->cap) {
        int nc = ts->cap ? ts->cap * 2 : 64;
        token *nt = realloc(ts->t, sizeof *nt * (size_t)nc);
        if (!nt) return LM_ENOMEM;
        ts->t = nt;
        ts->cap = nc;
    }
    token *t = &ts->t[ts->n];
    if (!(t->text = lmx_strndup(tok, (size_t)n))) return LM_ENOMEM;
    t->start = start;
    t->end = end;
    t->flags = (flags & LMX_TOK_COLOCATED) ? LM_TOKEN_COLOCATED : 0;
    ts->n++;
    return 0;
}

static int analyze_locked(lm_db *db, const char *text, size_t len, int mode, lm_tokens **out)
{
    if (!out) return db ? lmx_err(db, LM_EINVAL, "no output pointer (NULL)") : LM_EINVAL;
    *out = NULL;
    if (!text && len) return db ? lmx_err(db, LM_EINVAL, "no text (NULL)") : LM_EINVAL;
    if (!text) text = "";
    if (len == LM_NUL_TERMINATED) len = strlen(text);
    if (len > LM_MAX_FIELD_BYTES)
        return db ? lmx_err(db, LM_ETOOBIG, "text of %zu bytes exceeds %u", len, (unsigned)LM_MAX_FIELD_BYTES)
                  : LM_ETOOBIG;
    if (mode & ~LMX_ALL_MODES)
        return db ? lmx_err(db, LM_EINVAL, "unknown analyzer mode bits %d", mode) : LM_EINVAL;
    lmx_analyzer *an = db ? db->an : NULL, *own = NULL;
    int rc;
    if (!an && (mode == 0 || mode == LMX_DEFAULT_MODE)) {
        /* The built-in analyzer without user words: created once per process
           and shared (analysis only reads it). */
        pthread_once(&default_once, default_init);
        if (!default_an) return db ? lmx_err(db, default_rc, "%s", default_msg) : default_rc;
        an = default_an;
    }
    if (!an || (mode && mode != lmx_analyzer_mode(an))) {
        char err[512] = "";
        if ((rc = lmx_analyzer_new(&own, mode, err, sizeof err)))
            return db ? lmx_err(db, rc, "%s", err) : rc;
        an = own;
    }
    lm_tokens *ts = calloc(1, sizeof *ts);
    if (!ts) { lmx_analyzer_free(own); return db ? lmx_err(db, LM_ENOMEM, "out of memory") : LM_ENOMEM; }
    rc = lmx_analyze(an, text, (int)len, 0, collect, ts);
    lmx_analyzer_free(own);
    if (rc) {
        lm_tokens_free(ts);
        if (!db) return rc;
        if (rc == LM_EINVAL_UTF8) return lmx_err(db, rc, "text is not valid UTF-8 (or holds a NUL byte)");
        return lmx_err(db, rc, "analysis failed: %s", lm_errstr(rc));
    }
    *out = ts;
    return db ? lmx_ok(db) : LM_OK;
}

LM_API int lm_tokens_count(const lm_tokens *t) { return t ? t->n : 0; }
LM_API const char *lm_token_text(const lm_tokens *t, int i) { return (t && i >= 0 && i < t->n) ? t->t[i].text : NULL; }
LM_API int lm_token_start(const lm_tokens *t, int i) { return (t && i >= 0 && i < t->n) ? t->t[i].start : -1; }
LM_API int lm_token_end(const lm_tokens *t, int i) { return (t && i >= 0 && i < t->n) ? t->t[i].end : -1; }
LM_API int lm_token_flags(const lm_tokens *t, int i) { return (t && i >= 0 && i < t->n) ? t->t[i].flags : 0; }

LM_API void lm_tokens_free(lm_tokens *t)
{
    if (!t) return;
    for (int i = 0; i < t->n; i++) free(t->t[i].text);
    free(t->t);
    free(t);
}

LM_API const char *lm_analyzer_id(lm_db *db)
{
    return db && db->an ? lmx_analyzer_id(db->an) : NULL;
}

LM_API int lm_synonym_load_tsv(lm_db *db, const char *path, int64_t *out_count)
{
    return lm_synonyms_load_tsv(db, path, out_count);
}

/* ---- the public calls: one thread at a time per handle (db.h) ---- */

LM_API int lm_synonym_add(lm_db *db, const char *a, const char *b)
{
    LMX_GUARDED(db, synonym_add_locked(db, a, b));
}

LM_API int lm_synonyms_load_tsv(lm_db *db, const char *path, int64_t *out_count)
{
    LMX_GUARDED(db, synonyms_load_tsv_locked(db, path, out_count));
}

LM_API int lm_analyze(lm_db *db, const char *text, size_t len, int mode, lm_tokens **out)
{
    if (!db) return analyze_locked(NULL, text, len, mode, out);    /* the built-in analyzer */
    LMX_GUARDED_READ(db, analyze_locked(db, text, len, mode, out));
}
