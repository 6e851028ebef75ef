/*
** lexicon.c -- the public face of the analyzer: lm_analyze() and its token
** handle, synonyms (storage through storage.c, expansion of query terms), and
** the weighted query-term set the matcher builds queries from.
*/
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- query term set (a small hash of token -> index) --------------------- */

static unsigned hash_bytes(const char *s, int n)
{
    unsigned h = 2166136261u;
    for (int i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int qterms_rehash(lmx_qterms *q, int ncap)
{
    int *nh = malloc(sizeof(int) * (size_t)ncap);
    if (!nh) return LM_ENOMEM;
    for (int i = 0; i < ncap; i++) nh[i] = -1;
    for (int i = 0; i < q->n; i++) {
        unsigned h = hash_bytes(q->t[i].tok, q->t[i].len) & (unsigned)(ncap - 1);
        while (nh[h] >= 0) h = (h + 1) & (unsigned)(ncap - 1);
        nh[h] = i;
    }
    free(q->hash);
    q->hash = nh;
    q->hcap = ncap;
    return LM_OK;
}

int lmx_qterms_find(const lmx_qterms *q, const char *tok, int len)
{
    if (!q->hcap) return -1;
    unsigned h = hash_bytes(tok, len) & (unsigned)(q->hcap - 1);
    while (q->hash[h] >= 0) {
        const lmx_qterm *t = &q->t[q->hash[h]];
        if (t->len == len && memcmp(t->tok, tok, (size_t)len) == 0) return q->hash[h];
        h = (h + 1) & (unsigned)(q->hcap - 1);
    }
    return -1;
}

int lmx_qterms_add(lmx_qterms *q, const char *tok, int len, double w, int from_synonym)
{
    int i = lmx_qterms_find(q, tok, len);
    if (i >= 0) {
        if (from_synonym) {           /* a synonym never outweighs the term */
            if (q->t[i].from_synonym && w > q->t[i].w) q->t[i].w = w;
        } else {
            if (q->t[i].from_synonym) { q->t[i].from_synonym = 0; q->t[i].w = 0; }
            q->t[i].w += w;
        }
        return LM_OK;
    }
    if (q->n == q->cap) {
        int nc = q->cap ? q->cap * 2 : 32;
        lmx_qterm *nt = realloc(q->t, sizeof *nt * (size_t)nc);
        if (!nt) return LM_ENOMEM;
        q->t = nt;
        q->cap = nc;
    }
    if ((q->n + 1) * 2 > q->hcap && qterms_rehash(q, q->hcap ? q->hcap * 2 : 64)) return LM_ENOMEM;
    lmx_qterm *t = &q->t[q->n];
    if (!(t->tok = lmx_strndup(tok, (size_t)len))) return LM_ENOMEM;
    t->len = len;
    t->w = w;
    t->from_synonym = from_synonym;
    unsigned h = hash_bytes(tok, len) & (unsigned)(q->hcap - 1);
    while (q->hash[h] >= 0) h = (h + 1) & (unsigned)(q->hcap - 1);
    q->hash[h] = q->n++;
    return LM_OK;
}

void lmx_qterms_free(lmx_qterms *q)
{
    for (int i = 0; i < q->n; i++) free(q->t[i].tok);
    free(q->t);
    free(q->hash);
    memset(q, 0, sizeof *q);
}

/* ---- synonyms ----------------------------------------------------------- */

/* Each synonym side is kept as its list of main tokens (not colocated). */
typedef struct { char **tok; int n; } side;
struct lmx_synset { side *a, *b; int n; };

void lmx_synset_free(struct lmx_synset *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        for (int j = 0; j < s->a[i].n; j++) free(s->a[i].tok[j]);
        for (int j = 0; j < s->b[i].n; j++) free(s->b[i].tok[j]);
        free(s->a[i].tok);
        free(s->b[i].tok);
    }
    free(s->a);
    free(s->b);
    free(s);
}

static int side_tok(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    side *sd = ctx;
    if (flags & LMX_TOK_COLOCATED) return 0;
    char **nt = realloc(sd->tok, sizeof(char *) * (size_t)(sd->n + 1));
    if (!nt) return LM_ENOMEM;
    sd->tok = nt;
    if (!(sd->tok[sd->n] = lmx_strndup(tok, (size_t)n))) return LM_ENOMEM;
    sd->n++;
    return 0;
}

static int synset_load(lm_db *db)
{
    if (db->syn) return LM_OK;
    struct lmx_synset *s = calloc(1, sizeof *s);
    if (!s) return LM_ENOMEM;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->sql, "SELECT a, b FROM synonym", -1, &st, NULL);
    if (rc != SQLITE_OK) { free(s); return lmx_sqlerr(db, rc, "reading synonyms"); }
    int cap = 0;
    rc = LM_OK;
    while (sqlite3_step(st) == SQLITE_ROW && rc == LM_OK) {
        if (s->n == cap) {
            cap = cap ? cap * 2 : 16;
            side *na = realloc(s->a, sizeof(side) * (size_t)cap);
            if (na) s->a = na;
            side *nb = realloc(s->b, sizeof(side) * (size_t)cap);
            if (nb) s->b = nb;
            if (!na || !nb) { rc = LM_ENOMEM; break; }
        }
        side *a = &s->a[s->n], *b = &s->b[s->n];
        memset(a, 0, sizeof *a);
        memset(b, 0, sizeof *b);
        s->n++;
        for (int k = 0; k < 2 && rc == LM_OK; k++)
            rc = lmx_analyze(db->an, (const char *)sqlite3_column_text(st, k), sqlite3_column_bytes(st, k),
                             1, side_tok, k ? (void *)b : (void *)a);
    }
    sqlite3_finalize(st);
    if (rc) { lmx_synset_free(s); return lmx_err(db, rc, "analyzing synonyms failed"); }
    db->syn = s;
    return LM_OK;
}

/* If every token of `from` is a query term, add the tokens of `to`. */
static int expand_side(lmx_qterms *q, const side *from, const side *to, double factor)
{
    if (from->n == 0 || to->n == 0) return LM_OK;
    double w = -1;
    for (int j = 0; j < from->n; j++) {
        int i = lmx_qterms_find(q, from->tok[j], (int)strlen(from->tok[j]));
        if (i < 0 || q->t[i].from_synonym) return LM_OK;
        if (w < 0 || q->t[i].w < w) w = q->t[i].w;
    }
    for (int j = 0; j < to->n; j++) {
        int rc = lmx_qterms_add(q, to->tok[j], (int)strlen(to->tok[j]), w * factor, 1);
        if (rc) return rc;
    }
    return LM_OK;
}

int lmx_synonyms_expand(lm_db *db, lmx_qterms *q, double factor)
{
    int rc = synset_load(db);
    if (rc) return rc;
    const struct lmx_synset *s = db->syn;
    for (int i = 0; i < s->n; i++) {
        if ((rc = expand_side(q, &s->a[i], &s->b[i], factor))) return rc;
        if ((rc = expand_side(q, &s->b[i], &s->a[i], factor))) return rc;
    }
    return LM_OK;
}

LM_API int lm_synonym_add(lm_db *db, const char *a, const char *b)
{
    if (!db) return LM_EINVAL;
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    int rc = lmx_synonym_store(db, a, b);
    if (rc) return rc;
    lmx_synset_free(db->syn);
    db->syn = NULL;
    return lmx_ok(db);
}

LM_API int lm_synonyms_load_tsv(lm_db *db, const char *path, int64_t *out_count)
{
    if (out_count) *out_count = 0;
    if (!db) return LM_EINVAL;
    if (!path) return lmx_err(db, LM_EINVAL, "no file name (NULL)");
    if (db->readonly) return lmx_err(db, LM_ESTATE, "database opened read-only");
    FILE *f = fopen(path, "rb");
    if (!f) return lmx_err(db, LM_EIO, "cannot open '%s': %s", path, strerror(errno));
    int rc = lmx_begin(db);
    if (rc) { fclose(f); return rc; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long long lineno = 0;
    int64_t pairs = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (!lmx_utf8_valid(line, (size_t)n, NULL)) {
            rc = lmx_err(db, LM_EINVAL_UTF8, "%s line %lld: invalid UTF-8", path, lineno);
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
                rc = lmx_synonym_store(db, terms[i], terms[j]);
                if (rc) lmx_err(db, rc, "%s line %lld: %s", path, lineno, lm_errmsg(db));
                else pairs++;
            }
        if (rc) break;
    }
    free(line);
    fclose(f);
    if (rc == LM_OK) rc = lmx_commit(db);
    if (rc) { lmx_rollback(db); return rc; }
    lmx_synset_free(db->syn);
    db->syn = NULL;
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

LM_API int lm_analyze(lm_db *db, const char *text, size_t len, int mode, lm_tokens **out)
{
    if (!out) return db ? lmx_err(db, LM_EINVAL, "no output pointer (NULL)") : LM_EINVAL;
    *out = NULL;
    if (!text && len) return db ? lmx_err(db, LM_EINVAL, "no text (NULL)") : LM_EINVAL;
    if (!text) text = "";
    if (len == LM_NUL_TERMINATED) len = strlen(text);
    if (len > LM_MAX_FIELD_BYTES)
        return db ? lmx_err(db, LM_ETOOBIG, "text of %zu bytes exceeds %u", len, (unsigned)LM_MAX_FIELD_BYTES)
                  : LM_ETOOBIG;
    if (mode & ~LM_ANALYZE_ALL)
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

LM_API int lm_set_dictionary(const char *path)
{
    return lmx_set_dict_path(path);
}
