/*
** store_index.c -- the store's full-text, posting and vector tables:
** re-indexing, term statistics, the BM25 scan with its filters, column
** lengths, the indexed texts, the posting index, the semantic model's terms
** and every stored vector; and the writes that keep them in step with the
** rows: transactions (queued postings are written at commit), opening the
** index (creation, migration), putting and deleting records; and the
** judged matches that the match model learns from.  It calls
** store.c (statements, schema, meta), never the other way.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "store.h"
#include "store_sql.h"
#include "vectors.h"

/* ---- the text index --------------------------------------------------------------------- */

int lmx_store_doc_freq(lmx_store *st, int kind, const char *tok, int len, int64_t *df)
{
    *df = 0;
    int ready = lmx_store_pst_ready(st);
    if (ready < 0) return st->err->code;
    if (ready) {                              /* O(log terms), where fts5vocab reads the term's postings */
        int64_t tid;
        int r = lmx_store_pst_term(st, kind, tok, len, &tid, df);
        return r < 0 ? st->err->code : LM_OK;
    }
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_DF, kind);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, tok, len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *df = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading term statistics");
}

/* Filter bits: which parts of the WHERE clause a scan needs. */
enum { F_REGION = 1, F_MATURITY = 2, F_FIELDS = 4, F_EXCLUDE = 8 };

static int filter_bits(const lmx_filter *f, int kind)
{
    if (!f) return 0;
    return (f->region ? F_REGION : 0) | (f->min_maturity && kind == LM_ACHIEVEMENT ? F_MATURITY : 0) |
           (f->nfields ? F_FIELDS : 0) | (f->exclude_rid ? F_EXCLUDE : 0);
}

/* The scan of kind with the filters of `bits`, prepared once. */
static sqlite3_stmt *scan_stmt(lmx_store *st, int kind, int bits)
{
    sqlite3_stmt **slot = &st->scan[kind][bits];
    if (*slot) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return *slot;
    }
    const char *fts = lmx_fts_table(kind);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s(f.%s, ?1, ?9) FROM %s f%s WHERE f.%s MATCH ?2%s%s%s%s", LMX_BM25_FN, fts, fts,
             bits ? " JOIN record r ON r.rid = f.rowid" : "", fts,
             bits & F_REGION ? " AND substr(r.region, 1, length(?5)) = ?5" : "",
             bits & F_MATURITY ? " AND r.maturity >= ?6" : "",
             bits & F_FIELDS ? " AND EXISTS(SELECT 1 FROM record_field rf2 WHERE rf2.rid = r.rid AND rf2.field IN "
                               "(SELECT value FROM json_each(?7)))" : "",
             bits & F_EXCLUDE ? " AND r.rid != ?8" : "");
    int rc = sqlite3_prepare_v3(st->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
    if (rc != SQLITE_OK) {
        lmx_store_sqlerr(st, rc, "preparing the match query");
        *slot = NULL;
    }
    return *slot;
}

/* The filter's domain tags as a JSON array, for json_each(). */
static char *fields_json(const lmx_filter *f)
{
    cJSON *a = cJSON_CreateArray();
    if (!a) return NULL;
    for (int i = 0; i < f->nfields; i++) cJSON_AddItemToArray(a, cJSON_CreateString(f->fields[i]));
    char *s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return s;
}

int lmx_store_bm25_scan(lmx_store *st, int kind, const char *match, const void *params, int nparams,
                        const lmx_filter *f, void *collector)
{
    int bits = filter_bits(f, kind);
    sqlite3_stmt *s = scan_stmt(st, kind, bits);
    if (!s) return st->err->code;
    char *fj = NULL;
    if ((bits & F_FIELDS) && !(fj = fields_json(f))) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    sqlite3_bind_blob(s, 1, params, nparams, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, match, -1, SQLITE_STATIC);
    sqlite3_bind_pointer(s, 9, collector, LMX_BM25_PTR, NULL);
    if (bits & F_REGION) sqlite3_bind_text(s, 5, f->region, -1, SQLITE_STATIC);
    if (bits & F_MATURITY) sqlite3_bind_int(s, 6, f->min_maturity);
    if (bits & F_FIELDS) sqlite3_bind_text(s, 7, fj, -1, SQLITE_STATIC);
    if (bits & F_EXCLUDE) sqlite3_bind_int64(s, 8, f->exclude_rid);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {}
    rc = rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "matching");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    free(fj);
    return rc;
}

int lmx_store_docsize_scan(lmx_store *st, int kind,
                           int (*cb)(void *ctx, int64_t rid, const unsigned char *sz, int n), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_DOCSIZE, kind);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading column lengths");
}

int lmx_store_texts(lmx_store *st, int kind, int64_t rid, char *texts[3])
{
    texts[0] = texts[1] = texts[2] = NULL;
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_TEXTS, kind);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s), nomem = 0;
    if (rc == SQLITE_ROW)
        for (int c = 0; c < 3; c++) {
            const char *t = (const char *)sqlite3_column_text(s, c);
            if (t && *t && !(texts[c] = lmx_strndup(t, (size_t)sqlite3_column_bytes(s, c)))) nomem = 1;
        }
    sqlite3_reset(s);
    if (nomem) {
        for (int c = 0; c < 3; c++) { free(texts[c]); texts[c] = NULL; }
        return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    }
    if (rc == SQLITE_ROW) return LM_OK;
    return rc == SQLITE_DONE ? LM_ENOTFOUND : lmx_store_sqlerr(st, rc, "reading a record's text");
}

int lmx_store_texts_scan(lmx_store *st, int kind,
                         int (*cb)(void *ctx, int64_t rid, const char *const texts[3]), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_FTS_SCAN, kind);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *texts[3] = { (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2),
                                 (const char *)sqlite3_column_text(s, 3) };
        stop = cb(ctx, sqlite3_column_int64(s, 0), texts);
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading texts");
}

/* ---- the posting index ---------------------------------------------------------------------- */

/* Postings queued before they are written in the middle of a transaction
   (~40 bytes each: a bulk load flushes every few ten thousand records). */
#define PST_MAX_PENDING 4000000

/*
** The tee.  The store registers, under the tokenizer's own name, a thin
** wrapper around it: FTS5 then runs the wrapper, which passes every call on
** and, while an INSERT of the store has it armed, also counts each token of
** the row into st->doc.  So a record's text is analyzed once for both
** indexes.  The capture is used only when it saw the row's columns exactly
** (one call per column, of the column's length, in order); otherwise the
** texts are tokenized again (lmx_store_pst_add()).
*/
typedef struct { Fts5Tokenizer *inner; lmx_store *st; } tee_tok;
typedef struct {
    void *ctx;
    int (*xToken)(void *, int, const char *, int, int, int);
    lmx_store *st;
    int col;
} tee_call;

static int tee_create(void *ud, const char **az, int n, Fts5Tokenizer **out)
{
    lmx_store *st = ud;
    tee_tok *t = sqlite3_malloc(sizeof *t);
    if (!t) return SQLITE_NOMEM;
    t->st = st;
    int rc = st->tok.xCreate(st->tok_ud, az, n, &t->inner);
    if (rc != SQLITE_OK) { sqlite3_free(t); return rc; }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void tee_delete(Fts5Tokenizer *p)
{
    tee_tok *t = (tee_tok *)p;
    if (t->st->tok.xDelete) t->st->tok.xDelete(t->inner);
    sqlite3_free(t);
}

static int tee_token(void *p, int tflags, const char *tok, int n, int start, int end)
{
    tee_call *c = p;
    if (lmx_pst_doc_token(&c->st->doc, c->col, (tflags & FTS5_TOKEN_COLOCATED) != 0, tok, n)) return SQLITE_NOMEM;
    return c->xToken(c->ctx, tflags, tok, n, start, end);
}

static int tee_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n,
                        int (*xToken)(void *, int, const char *, int, int, int))
{
    tee_tok *t = (tee_tok *)p;
    lmx_store *st = t->st;
    if (!st->tee.on || !(flags & FTS5_TOKENIZE_DOCUMENT) || st->tee.calls >= LMX_NCOLS) {
        if (st->tee.on) st->tee.calls = LMX_NCOLS + 1;       /* not a row as expected: not used */
        return st->tok.xTokenize(t->inner, ctx, flags, text, n, xToken);
    }
    tee_call c = { ctx, xToken, st, st->tee.calls };
    st->tee.len[st->tee.calls++] = n;
    return st->tok.xTokenize(t->inner, &c, flags, text, n, tee_token);
}

void lmx_store_pst_tee_begin(lmx_store *st)
{
    lmx_pst_doc_reset(&st->doc);
    st->tee.on = 1;
    st->tee.calls = 0;
}

int lmx_store_pst_tee_end(lmx_store *st, const char *const texts[LMX_NCOLS])
{
    st->tee.on = 0;
    if (st->tee.calls != LMX_NCOLS || st->doc.oom) return 0;
    for (int c = 0; c < LMX_NCOLS; c++)
        if (st->tee.len[c] != (int)(texts[c] ? strlen(texts[c]) : 0)) return 0;
    return 1;
}

int lmx_store_pst_init(lmx_store *st)
{
    fts5_api *api = lmx_store_fts5(st);
    if (!api || api->xFindTokenizer(api, LMX_FTS5_TOKENIZER, &st->tok_ud, &st->tok) != SQLITE_OK ||
        st->tok.xCreate(st->tok_ud, NULL, 0, &st->tok_inst) != SQLITE_OK) {
        st->tok_inst = NULL;
        return lmx_error_set(st->err, LM_EDB, "the FTS5 tokenizer '%s' is not registered", LMX_FTS5_TOKENIZER);
    }
    if (!st->readonly) {
        fts5_tokenizer tee = { tee_create, tee_delete, tee_tokenize };
        if (api->xCreateTokenizer(api, LMX_FTS5_TOKENIZER, st, &tee, NULL) != SQLITE_OK)
            return lmx_error_set(st->err, LM_EDB, "registering the FTS5 tokenizer's tee failed");
    }
    return LM_OK;
}

void lmx_store_pst_discard(lmx_store *st)
{
    lmx_pst_pending_clear(&st->pend);
    st->next_tid = 0;                         /* re-read: the counter may roll back too */
}

int lmx_store_pst_ready(lmx_store *st)
{
    lmx_stamp now = lmx_store_stamp(st, 0);
    if (st->pst_seen.gen == now.gen + 1 && st->pst_seen.version == now.version) return st->pst_ready;
    char buf[16];
    int r = lmx_store_meta_get(st, "pst_ready", buf, sizeof buf);
    if (r < 0) return -1;
    st->pst_ready = r > 0 && buf[0] == '1';
    st->pst_seen.gen = now.gen + 1;
    st->pst_seen.version = now.version;
    return st->pst_ready;
}

typedef struct { lmx_pst_doc *d; int col; } tokctx;

static int on_token(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
    tokctx *c = ctx;
    return lmx_pst_doc_token(c->d, c->col, (tflags & FTS5_TOKEN_COLOCATED) != 0, tok, n) ? SQLITE_NOMEM : SQLITE_OK;
}

/* The terms of a row's column texts into st->doc, exactly as FTS5 indexes
   them: its tokenizer, in document mode, column by column. */
static int tokenize_row(lmx_store *st, const char *const texts[LMX_NCOLS], const int *lens)
{
    if (!st->tok_inst) return lmx_error_set(st->err, LM_ESTATE, "no FTS5 tokenizer");
    lmx_pst_doc_reset(&st->doc);
    for (int c = 0; c < LMX_NCOLS; c++) {
        tokctx x = { &st->doc, c };
        const char *t = texts[c] ? texts[c] : "";
        int n = lens ? lens[c] : (int)strlen(t);
        int rc = st->tok.xTokenize(st->tok_inst, &x, FTS5_TOKENIZE_DOCUMENT, t, n, on_token);
        if (rc == SQLITE_NOMEM || st->doc.oom) return lmx_error_set(st->err, LM_ENOMEM, "out of memory indexing a record");
        if (rc != SQLITE_OK) return lmx_error_set(st->err, LM_EDB, "tokenizing a record for the posting index failed (%d)", rc);
    }
    return LM_OK;
}

static int queue(lmx_store *st, int kind, int64_t rid, int del)
{
    if (lmx_pst_pending_doc(&st->pend, kind, rid, &st->doc, del))
        return lmx_error_set(st->err, LM_ENOMEM, "out of memory indexing a record");
    return st->pend.nops > PST_MAX_PENDING ? lmx_store_pst_flush(st) : LM_OK;
}

int lmx_store_pst_add(lmx_store *st, int kind, int64_t rid, const char *const texts[LMX_NCOLS])
{
    int rc = tokenize_row(st, texts, NULL);
    return rc ? rc : queue(st, kind, rid, 0);
}

int lmx_store_pst_queue(lmx_store *st, int kind, int64_t rid) { return queue(st, kind, rid, 0); }

/* The stored texts of a row: 1 with texts/lens, 0 when there is no row. */
static int stored_texts(lmx_store *st, int kind, int64_t rid, char *texts[LMX_NCOLS], int lens[LMX_NCOLS])
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_PST_TEXTS, kind);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s), found = rc == SQLITE_ROW, nomem = 0;
    for (int c = 0; c < LMX_NCOLS; c++) {
        texts[c] = NULL;
        lens[c] = 0;
        if (!found) continue;
        const char *t = (const char *)sqlite3_column_text(s, c);
        lens[c] = sqlite3_column_bytes(s, c);
        if (t && !(texts[c] = lmx_strndup(t, (size_t)lens[c]))) nomem = 1;
    }
    sqlite3_reset(s);
    if (nomem) {
        for (int c = 0; c < LMX_NCOLS; c++) free(texts[c]);
        lmx_error_set(st->err, LM_ENOMEM, "out of memory");
        return -1;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { lmx_store_sqlerr(st, rc, "reading a record's text"); return -1; }
    return found;
}

int lmx_store_pst_remove(lmx_store *st, int kind, int64_t rid)
{
    char *texts[LMX_NCOLS];
    int lens[LMX_NCOLS];
    int found = stored_texts(st, kind, rid, texts, lens);
    if (found <= 0) return found < 0 ? st->err->code : LM_OK;
    int rc = tokenize_row(st, (const char *const *)texts, lens);
    for (int c = 0; c < LMX_NCOLS; c++) free(texts[c]);
    return rc ? rc : queue(st, kind, rid, 1);
}

int lmx_store_pst_doclen(lmx_store *st, int kind, int64_t rid, uint32_t len[LMX_NCOLS])
{
    char *texts[LMX_NCOLS];
    int lens[LMX_NCOLS];
    int found = stored_texts(st, kind, rid, texts, lens);
    if (found <= 0) return found < 0 ? st->err->code : LM_ENOTFOUND;
    int rc = tokenize_row(st, (const char *const *)texts, lens);
    for (int c = 0; c < LMX_NCOLS; c++) free(texts[c]);
    if (!rc) memcpy(len, st->doc.len, sizeof st->doc.len);
    return rc;
}

int lmx_store_pst_term(lmx_store *st, int kind, const char *tok, int len, int64_t *tid, int64_t *df)
{
    *tid = *df = 0;
    sqlite3_stmt *s = lmx_store_stmt(st, S_PST_TERM, 0);
    if (!s) return -1;
    sqlite3_bind_int(s, 1, kind);
    sqlite3_bind_blob(s, 2, tok, len, SQLITE_STATIC);
    int rc = sqlite3_step(s), found = rc == SQLITE_ROW;
    if (found) {
        *tid = sqlite3_column_int64(s, 0);
        *df = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { lmx_store_sqlerr(st, rc, "reading the posting index"); return -1; }
    return found;
}

int lmx_store_pst_blocks(lmx_store *st, int64_t tid, int (*cb)(void *ctx, int64_t last, const unsigned char *b, int n),
                         void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_PST_SCAN, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, tid);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading the posting index");
}

/* ---- writing queued postings ---- */

typedef struct {
    lmx_posting *p;
    unsigned char *old;          /* per posting: it was in the block before */
    int n, cap;
} plist;

static int plist_push(plist *l, const lmx_posting *x, int old)
{
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 2 * LMX_PST_BLOCK;
        lmx_posting *np = realloc(l->p, sizeof *np * (size_t)nc);
        if (np) l->p = np;
        unsigned char *no = realloc(l->old, (size_t)nc);
        if (no) l->old = no;
        if (!np || !no) return LM_ENOMEM;
        l->cap = nc;
    }
    l->p[l->n] = *x;
    l->old[l->n++] = (unsigned char)old;
    return LM_OK;
}

/* A block of term tid: the first with last >= rid (tail 0), or the last one
   (tail 1).  1 with *last and its blob copied into *b, 0 when none. */
static int block_get(lmx_store *st, int64_t tid, int64_t rid, int tail, int64_t *last, unsigned char **b, int *nb)
{
    sqlite3_stmt *s = lmx_store_stmt(st, tail ? S_PST_TAIL : S_PST_AT, 0);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, tid);
    if (!tail) sqlite3_bind_int64(s, 2, rid);
    int rc = sqlite3_step(s), found = rc == SQLITE_ROW;
    *b = NULL;
    if (found) {
        *last = sqlite3_column_int64(s, 0);
        *nb = sqlite3_column_bytes(s, 1);
        if (!(*b = malloc((size_t)*nb + 1))) { sqlite3_reset(s); lmx_error_set(st->err, LM_ENOMEM, "out of memory"); return -1; }
        if (*nb) memcpy(*b, sqlite3_column_blob(s, 1), (size_t)*nb);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { lmx_store_sqlerr(st, rc, "reading the posting index"); return -1; }
    return found;
}

static int block_del(lmx_store *st, int64_t tid, int64_t last)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_PST_DEL, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, tid);
    sqlite3_bind_int64(s, 2, last);
    return lmx_store_done(st, s, "writing the posting index");
}

/* Write postings [a, b) of l as one block: the old frontier when it holds an
   old posting, and every new posting's impact (dl2 of the queued ops). */
static int block_put(lmx_store *st, int64_t tid, const plist *l, const uint32_t *dl2, int a, int b,
                     const lmx_impact *oldimp, int noldimp)
{
    lmx_impact imp[LMX_PST_MAXIMP + 1];
    int nimp = 0;
    for (int i = a; i < b; i++)
        if (l->old[i]) {
            for (int k = 0; k < noldimp; k++) lmx_pst_impact_add(imp, &nimp, oldimp[k]);
            break;
        }
    for (int i = a; i < b; i++)
        if (!l->old[i]) {
            lmx_impact x = lmx_pst_impact_of(l->p[i].tf, (const uint32_t[LMX_NCOLS]){ 0 });
            x.dl2 = dl2[i];
            lmx_pst_impact_add(imp, &nimp, x);
        }
    unsigned char *blob;
    int nb;
    if (lmx_pst_encode(l->p + a, b - a, imp, nimp, &blob, &nb)) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    sqlite3_stmt *s = lmx_store_stmt(st, S_PST_PUT, 0);
    if (!s) { free(blob); return st->err->code; }
    sqlite3_bind_int64(s, 1, tid);
    sqlite3_bind_int64(s, 2, l->p[b - 1].rid);
    sqlite3_bind_blob(s, 3, blob, nb, free);
    return lmx_store_done(st, s, "writing the posting index");
}

/* Apply one term's queued operations (sorted by row id) to its blocks. */
static int flush_term(lmx_store *st, lmx_pst_entry *e)
{
    /* The last operation on a row decides. */
    int m = 0;
    for (int i = 0; i < e->n; i++) {
        if (m > 0 && e->op[m - 1].rid == e->op[i].rid) e->op[m - 1] = e->op[i];
        else e->op[m++] = e->op[i];
    }
    int64_t tid, df;
    int found = lmx_store_pst_term(st, e->kind, e->tok, e->len, &tid, &df);
    if (found < 0) return st->err->code;
    if (!found) {
        int ins = 0;
        for (int i = 0; i < m && !ins; i++) ins = !e->op[i].del;
        if (!ins) return LM_OK;
        tid = st->next_tid++;
        df = 0;
    }
    plist l = { 0 };
    uint32_t *dl2 = NULL;
    int dcap = 0, rc = LM_OK;
    unsigned char *blob = NULL;
    lmx_posting *old = NULL;
    int oldcap = 0;
    for (int i = 0; i < m && !rc;) {
        int64_t last = 0;
        int nb = 0, tail = 0;
        int got = block_get(st, tid, e->op[i].rid, 0, &last, &blob, &nb);
        if (got == 0) { tail = 1; got = block_get(st, tid, 0, 1, &last, &blob, &nb); }
        if (got < 0) { rc = st->err->code; break; }
        int j = i;
        if (tail) j = m;
        else while (j < m && e->op[j].rid <= last) j++;
        /* The block's postings, then the merge. */
        int np = 0, nimp = 0, off = 0;
        lmx_impact imp[LMX_PST_MAXIMP];
        if (got && lmx_pst_header(blob, nb, &np, imp, &nimp, &off)) { rc = lmx_error_set(st->err, LM_EDB, "a damaged posting block"); break; }
        if (tail && got && np >= LMX_PST_BLOCK && e->op[i].rid > last) {
            got = 0;                        /* a full last block stays as it is: append after it */
            np = nimp = 0;
        }
        if (np > oldcap) {
            lmx_posting *no = realloc(old, sizeof *no * (size_t)np);
            if (!no) { rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory"); break; }
            old = no;
            oldcap = np;
        }
        if (got && lmx_pst_decode(blob, nb, off, np, old)) { rc = lmx_error_set(st->err, LM_EDB, "a damaged posting block"); break; }
        free(blob);
        blob = NULL;
        l.n = 0;
        int need = np + (j - i);
        if (need > dcap) {
            uint32_t *nd = realloc(dl2, sizeof *nd * (size_t)need);
            if (!nd) { rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory"); break; }
            dl2 = nd;
            dcap = need;
        }
        int a = 0;
        for (int k = i; k < j && !rc; k++) {
            const lmx_pst_op *o = &e->op[k];
            while (a < np && old[a].rid < o->rid && !rc) { dl2[l.n] = 0; rc = plist_push(&l, &old[a++], 1); }
            int present = a < np && old[a].rid == o->rid;
            if (present) a++;
            if (o->del) { df -= present; continue; }
            df += !present;
            lmx_posting x = { o->rid, { 0 }, lmx_pst_dlq(o->dl2) };
            memcpy(x.tf, o->tf, sizeof x.tf);
            dl2[l.n] = o->dl2;
            if (!rc) rc = plist_push(&l, &x, 0);
        }
        while (a < np && !rc) { dl2[l.n] = 0; rc = plist_push(&l, &old[a++], 1); }
        if (rc) { rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory"); break; }
        if (got && (rc = block_del(st, tid, last))) break;
        /* Appended postings make full blocks; a block in the middle splits
           once it holds more than two. */
        int step = tail || l.n > 2 * LMX_PST_BLOCK ? LMX_PST_BLOCK : l.n;
        for (int b0 = 0; b0 < l.n && !rc; b0 += step) {
            int b1 = b0 + step < l.n ? b0 + step : l.n;
            rc = block_put(st, tid, &l, dl2, b0, b1, imp, nimp);
        }
        i = j;
    }
    free(blob);
    free(old);
    free(l.p);
    free(l.old);
    free(dl2);
    if (rc) return rc;
    sqlite3_stmt *s = lmx_store_stmt(st, df > 0 ? S_PST_TERM_PUT : S_PST_TERM_DEL, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int(s, 1, e->kind);
    sqlite3_bind_blob(s, 2, e->tok, e->len, SQLITE_STATIC);
    if (df > 0) {
        sqlite3_bind_int64(s, 3, tid);
        sqlite3_bind_int64(s, 4, df);
    }
    return lmx_store_done(st, s, "writing the posting index");
}

int lmx_store_pst_flush(lmx_store *st)
{
    if (!st->pend.n) return LM_OK;
    int rc = lmx_pst_pending_sort(&st->pend) ? lmx_error_set(st->err, LM_ENOMEM, "out of memory") : LM_OK;
    if (!rc && !st->next_tid) st->next_tid = lmx_store_meta_int(st, "pst_next_tid", 1);
    for (int i = 0; i < st->pend.n && !rc; i++) rc = flush_term(st, &st->pend.e[i]);
    if (!rc) rc = lmx_store_meta_set_int(st, "pst_next_tid", st->next_tid);
    lmx_pst_pending_clear(&st->pend);
    return rc;
}

int lmx_store_pst_rebuild(lmx_store *st)
{
    lmx_store_pst_discard(st);
    int rc = lmx_store_exec(st, "DELETE FROM pst_term; DELETE FROM pst_block;", "rebuilding the posting index");
    st->next_tid = 1;
    for (int k = 1; k <= LMX_NKINDS && !rc; k++) {
        lmx_store_bump(st, k);
        sqlite3_stmt *s = lmx_store_stmt(st, S_PST_TEXTS_ALL, k);
        if (!s) return st->err->code;
        int src;
        while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
            const char *texts[LMX_NCOLS];
            int lens[LMX_NCOLS];
            for (int c = 0; c < LMX_NCOLS; c++) {
                texts[c] = (const char *)sqlite3_column_text(s, 1 + c);
                lens[c] = sqlite3_column_bytes(s, 1 + c);
            }
            rc = tokenize_row(st, texts, lens);
            if (!rc) rc = queue(st, k, sqlite3_column_int64(s, 0), 0);
        }
        if (!rc && src != SQLITE_DONE) rc = lmx_store_sqlerr(st, src, "rebuilding the posting index");
        sqlite3_reset(s);
    }
    if (!rc) rc = lmx_store_pst_flush(st);
    if (!rc) rc = lmx_store_meta_set(st, "pst_ready", "1");
    return rc;
}

/* ---- vectors ------------------------------------------------------------------------------- */

/* Decode a stored vector of dimension d into v: a blob, or in a version 1
   file the bare host floats.  1 on success, 0 when it is not such a vector. */
static int unblob(const void *b, int n, int d, float *v)
{
    if (n == (int)lmx_blob_size(d)) return lmx_blob_decode(v, d, b, (size_t)n) == LM_OK;
    if (n == (int)(sizeof(float) * (size_t)d)) {
        memcpy(v, b, (size_t)n);
        return lmx_vec_check(v, d) == LM_OK;
    }
    return 0;
}

/* Bind a vector blob to parameter i of s. */
static int bind_vec(lmx_store *st, sqlite3_stmt *s, int i, const float *v, int d)
{
    unsigned char *blob;
    size_t n;
    int rc = lmx_store_blob(st, v, d, &blob, &n);
    if (!rc) sqlite3_bind_blob(s, i, blob, (int)n, free);
    return rc;
}

int lmx_store_lsa_clear(lmx_store *st)
{
    lmx_store_bump(st, 0);
    return lmx_store_exec(st, "DELETE FROM lsa_term; DELETE FROM vec;", "replacing the semantic model");
}

int lmx_store_lsa_put(lmx_store *st, const char *term, int len, double idf, const float *v, int d)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_LSA_PUT, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, term, len, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, idf);
    int rc = bind_vec(st, s, 3, v, d);
    return rc ? rc : lmx_store_done(st, s, "storing the semantic model");
}

int lmx_store_lsa_term(lmx_store *st, const char *term, int len, int d, double *idf, float *v)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_LSA_GET, 0);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, term, len, SQLITE_STATIC);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        *idf = sqlite3_column_double(s, 0);
        found = unblob(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1), d, v);
    } else if (rc != SQLITE_DONE) {
        found = -1;
        lmx_store_sqlerr(st, rc, "reading the semantic model");
    }
    sqlite3_reset(s);
    return found;
}

int lmx_store_vec_put(lmx_store *st, int space, int64_t rid, const float *v, int d)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_VEC_PUT, 1 + space);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    int rc = bind_vec(st, s, 2, v, d);
    lmx_store_bump(st, 0);
    return rc ? rc : lmx_store_done(st, s, "storing a vector");
}

int lmx_store_vec_get(lmx_store *st, int space, int64_t rid, int d, float *v)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_VEC_GET, 1 + space);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, rid);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) found = unblob(sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0), d, v);
    else if (rc != SQLITE_DONE) { found = -1; lmx_store_sqlerr(st, rc, "reading a vector"); }
    sqlite3_reset(s);
    return found;
}

int lmx_store_vec_scan(lmx_store *st, int space, int kind, int d, int64_t after,
                       int (*cb)(void *ctx, int64_t rid, const char *id, const float *v), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_VEC_SCAN, 1 + space);
    float *v = malloc(sizeof(float) * (size_t)(d > 0 ? d : 1));
    if (!s || !v) { free(v); return s ? lmx_error_set(st->err, LM_ENOMEM, "out of memory") : st->err->code; }
    sqlite3_bind_int(s, 1, kind);
    sqlite3_bind_int64(s, 2, after);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (!unblob(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1), d, v)) continue;
        stop = cb(ctx, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 2), v);
    }
    sqlite3_reset(s);
    free(v);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading vectors");
}

/* ---- writing: re-index, transactions, opening the index, records --------------------------- */

/* FTS5's 'rebuild' drops the index and re-reads the table's own copy of the
   text.  It must run after any change of tokenization (mode, user words)
   before the next write: FTS5 deletes a row by re-tokenizing its stored
   text, which would remove the wrong tokens if the tokenizer had changed
   meanwhile. */
int lmx_store_reindex(lmx_store *st)
{
    /* Progress in records: each kind's full-text index, then the postings
       (counted as one more pass over every record). */
    int64_t n[LMX_NKINDS + 1] = {0}, total = 0, done = 0;
    for (int k = 1; k <= LMX_NKINDS; k++) {
        int rc = lmx_store_count(st, k, &n[k]);
        if (rc) return rc;
        total += 2 * n[k];
    }
    if (lmx_progress_report(st->progress, st->err, "reindex", 0, total)) return LM_ESTATE;
    for (int k = 1; k <= LMX_NKINDS; k++) {
        if (k > 1 && lmx_progress_report(st->progress, st->err, "reindex", done, total)) return LM_ESTATE;
        done += n[k];
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES('rebuild')", lmx_fts_table(k), lmx_fts_table(k));
        lmx_store_bump(st, k);
        int rc = lmx_store_exec(st, sql, "re-indexing");
        if (rc) return rc;
    }
    if (lmx_progress_report(st->progress, st->err, "reindex", done, total)) return LM_ESTATE;
    int rc = lmx_store_pst_rebuild(st);
    if (!rc && lmx_progress_report(st->progress, st->err, "reindex", total, total)) rc = LM_ESTATE;
    if (!rc) rc = lmx_store_meta_set(st, "analyzer", st->analyzer_id);
    if (rc) return rc;
    st->stale = 0;
    return lmx_store_meta_set(st, "index_stale", "0");
}

int lmx_store_write_begin(lmx_store *st)
{
    if (st->readonly) return lmx_error_set(st->err, LM_ESTATE, "database opened read-only");
    int rc = lmx_store_exec(st, "BEGIN IMMEDIATE", "starting a transaction");
    if (rc) return rc;
    if (st->stale && (rc = lmx_store_reindex(st))) { lmx_store_rollback(st); return rc; }
    return LM_OK;
}

int lmx_store_commit(lmx_store *st)
{
    /* The queued postings first, in the same transaction; if they cannot be
       written, nothing of it is. */
    int rc = lmx_store_pst_flush(st);
    if (rc) { lmx_store_rollback(st); return rc; }
    return lmx_store_exec(st, "COMMIT", "committing");
}

void lmx_store_rollback(lmx_store *st)
{
    lmx_store_pst_discard(st);
    if (!sqlite3_get_autocommit(st->sql)) sqlite3_exec(st->sql, "ROLLBACK", NULL, NULL, NULL);
    /* A cache taken inside the transaction saw what is now undone. */
    for (int k = 1; k <= LMX_NKINDS; k++) lmx_store_bump(st, k);
}

int lmx_store_init_index(lmx_store *st, const char *path, const char *analyzer_id, int mode, int reindex)
{
    char buf[256], stored[256];
    int rc;
    snprintf(st->analyzer_id, sizeof st->analyzer_id, "%s", analyzer_id);
    if ((rc = lmx_store_pst_init(st))) return rc;
    if (st->fresh) {
        /* A new database: the whole schema in one transaction. */
        if ((rc = lmx_store_exec(st, "BEGIN IMMEDIATE", "starting a transaction"))) return rc;
        rc = lmx_store_create_tables(st);
        if (!rc) rc = lmx_store_meta_set_int(st, "schema_version", LMX_SCHEMA_VERSION);
        if (!rc) rc = lmx_store_meta_set(st, "analyzer", analyzer_id);
        if (!rc) rc = lmx_store_meta_set_int(st, "analyzer_mode", mode);
        if (!rc) rc = lmx_store_meta_set(st, "pst_ready", "1");
        if (!rc) rc = lmx_store_commit(st);
        if (rc) { lmx_store_rollback(st); return rc; }
        st->schema = LMX_SCHEMA_VERSION;
        st->fresh = 0;
        return LM_OK;
    }
    int got = lmx_store_meta_get(st, "schema_version", buf, sizeof buf);
    if (got < 0) {          /* the meta table cannot be read: damaged? */
        int ec = sqlite3_extended_errcode(st->sql) & 0xff;
        return ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB ? lmx_store_open_failure(st, ec, path) : st->err->code;
    }
    st->schema = got ? atoi(buf) : 0;
    if (st->schema > LMX_SCHEMA_VERSION || st->schema < 1)
        return lmx_error_set(st->err, LM_EMISMATCH,
                             "database '%s' has schema version %d; this libmatch %s reads versions 1 to %d",
                             path, st->schema, LM_VERSION_STRING, LMX_SCHEMA_VERSION);
    if (st->schema < LMX_SCHEMA_VERSION && st->readonly)
        return lmx_error_set(st->err, LM_EMISMATCH,
                             "database '%s' has schema version %d: open it once writable to upgrade it to version %d",
                             path, st->schema, LMX_SCHEMA_VERSION);
    if (st->schema < LMX_SCHEMA_VERSION) {
        if ((rc = lmx_store_exec(st, "BEGIN IMMEDIATE", "starting a transaction"))) return rc;
        rc = lmx_store_migrate_tables(st);
        /* Version 3: the posting index of what is stored -- unless the
           full-text index was built by another tokenization (stale, or
           another analyzer): it is then built by the re-index that must
           come first. */
        if (!rc && st->schema < 3 && !(lmx_store_meta_get(st, "index_stale", buf, sizeof buf) > 0 && buf[0] == '1') &&
            lmx_store_meta_get(st, "analyzer", stored, sizeof stored) > 0 && !strcmp(stored, analyzer_id))
            rc = lmx_store_pst_rebuild(st);
        if (!rc) rc = lmx_store_meta_set_int(st, "schema_version", LMX_SCHEMA_VERSION);
        if (rc || (rc = lmx_store_commit(st))) { lmx_store_rollback(st); return rc; }
        st->schema = LMX_SCHEMA_VERSION;
    }
    st->stale = lmx_store_meta_get(st, "index_stale", buf, sizeof buf) > 0 && buf[0] == '1';
    int have = lmx_store_meta_get(st, "analyzer", stored, sizeof stored) > 0;
    if (have && strcmp(stored, analyzer_id) != 0) {
        if (!reindex || st->readonly)
            return lmx_error_set(st->err, LM_EMISMATCH,
                                 "database '%s' was indexed with analyzer '%s' but this library has '%s': "
                                 "open it with LM_OPEN_REINDEX or call lm_reindex()", path, stored, analyzer_id);
        if ((rc = lmx_store_exec(st, "BEGIN IMMEDIATE", "starting a transaction"))) return rc;
        if ((rc = lmx_store_reindex(st)) || (rc = lmx_store_commit(st))) { lmx_store_rollback(st); return rc; }
    }
    return LM_OK;
}

static int step_rid(lmx_store *st, int id, int kind, int64_t rid, const char *what)
{
    sqlite3_stmt *s = lmx_store_stmt(st, id, kind);
    if (!s) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    return lmx_store_done(st, s, what);
}

/* Remove what a record owns besides its row: index row, tags, declared
   links, its built-in vector and (on delete) its external vector. */
static int unlink_record(lmx_store *st, int kind, const char *id, int64_t rid, int keep_xvec)
{
    lmx_store_bump(st, kind);
    int rc = lmx_store_pst_remove(st, kind, rid);
    if (!rc) rc = step_rid(st, S_FTS_DELETE, kind, rid, "removing index rows");
    if (!rc) rc = step_rid(st, S_VEC_DEL, 1 + LMX_SPACE_BUILTIN, rid, "removing a vector");
    if (!rc && !keep_xvec) rc = step_rid(st, S_VEC_DEL, 1 + LMX_SPACE_EXTERNAL, rid, "removing a vector");
    if (!rc) rc = step_rid(st, S_DEL_TAGS, 0, rid, "removing domain tags");
    if (rc || (kind != LM_ACHIEVEMENT && kind != LM_EXPERT)) return rc;
    sqlite3_stmt *s = lmx_store_stmt(st, kind == LM_ACHIEVEMENT ? S_DEL_LINKS_A : S_DEL_LINKS_E, 0);
    if (!s) return st->err->code;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    return lmx_store_done(st, s, "removing links");
}

/* A record's distinct non-empty domain tags joined by LMX_TAG_SEP (tags hold
   no control characters: record.c), "" when none; NULL when out of memory
   (or no list). */
static char *join_tags(const cJSON *fields)
{
    if (!fields) return NULL;
    size_t n = 1;
    for (const cJSON *f = fields->child; f; f = f->next) n += strlen(f->valuestring) + 1;
    char *out = malloc(n), *p = out;
    if (!out) return NULL;
    *p = 0;
    for (const cJSON *f = fields->child; f; f = f->next) {
        const char *t = f->valuestring;
        size_t l = strlen(t);
        if (!l) continue;
        int dup = 0;                    /* as record_field's primary key */
        for (const cJSON *g = fields->child; g != f && !dup; g = g->next) dup = !strcmp(g->valuestring, t);
        if (dup) continue;
        if (p != out) *p++ = LMX_TAG_SEP;
        memcpy(p, t, l + 1);
        p += l;
    }
    return out;
}

int lmx_store_put(lmx_store *st, const lmx_record *r, const char *json, size_t len, int64_t *out_rid)
{
    int64_t rid = 0;
    int rc = lmx_store_find(st, r->kind, r->id, &rid);
    if (rc && rc != LM_ENOTFOUND) return rc;
    sqlite3_stmt *s;
    if (rid > 0) {
        if ((rc = unlink_record(st, r->kind, r->id, rid, 1))) return rc;
        if (!(s = lmx_store_stmt(st, S_UPDATE, 0))) return st->err->code;
        sqlite3_bind_int64(s, 7, rid);
    } else {
        if (!(s = lmx_store_stmt(st, S_INSERT, 0))) return st->err->code;
        sqlite3_bind_int(s, 7, r->kind);
        sqlite3_bind_text(s, 8, r->id, -1, SQLITE_STATIC);
    }
    char *tags = join_tags(r->fields);
    if (r->fields && !tags) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    sqlite3_bind_text(s, 1, json, (int)len, SQLITE_STATIC);
    if (r->region) sqlite3_bind_text(s, 2, r->region, -1, SQLITE_STATIC);
    if (r->org) sqlite3_bind_text(s, 3, r->org, -1, SQLITE_STATIC);
    if (r->maturity) sqlite3_bind_int(s, 4, r->maturity);
    if (r->label) sqlite3_bind_text(s, 5, r->label, -1, SQLITE_STATIC);
    if (tags && *tags) sqlite3_bind_text(s, 6, tags, -1, free);
    else free(tags);
    if ((rc = lmx_store_done(st, s, "storing the record"))) return rc;
    if (rid == 0) rid = sqlite3_last_insert_rowid(st->sql);
    lmx_store_bump(st, r->kind);

    if (!(s = lmx_store_stmt(st, S_FTS_INSERT, r->kind))) return st->err->code;
    sqlite3_bind_int64(s, 1, rid);
    for (int c = 0; c < LMX_NCOLS; c++)
        sqlite3_bind_text(s, 2 + c, r->text[c] ? r->text[c] : "", -1, SQLITE_STATIC);
    lmx_store_pst_tee_begin(st);
    rc = sqlite3_step(s);
    int teed = lmx_store_pst_tee_end(st, r->text);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOMEM) return lmx_error_set(st->err, LM_ENOMEM, "out of memory indexing record '%s'", r->id);
        return lmx_store_sqlerr(st, rc, "indexing the record's text");
    }
    if ((rc = teed ? lmx_store_pst_queue(st, r->kind, rid) : lmx_store_pst_add(st, r->kind, rid, r->text))) return rc;
    for (cJSON *f = r->fields ? r->fields->child : NULL; f; f = f->next) {
        if (!*f->valuestring) continue;
        if (!(s = lmx_store_stmt(st, S_ADD_TAG, 0))) return st->err->code;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_text(s, 2, f->valuestring, -1, SQLITE_STATIC);
        if ((rc = lmx_store_done(st, s, "storing domain tags"))) return rc;
    }
    for (cJSON *l = r->links ? r->links->child : NULL; l; l = l->next) {
        if (!(s = lmx_store_stmt(st, S_ADD_LINK, 0))) return st->err->code;
        sqlite3_bind_text(s, 1, r->kind == LM_ACHIEVEMENT ? r->id : l->valuestring, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, r->kind == LM_ACHIEVEMENT ? l->valuestring : r->id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, r->kind);
        if ((rc = lmx_store_done(st, s, "storing links"))) return rc;
    }
    if (out_rid) *out_rid = rid;
    return LM_OK;
}

int lmx_store_delete(lmx_store *st, int kind, const char *id)
{
    int64_t rid;
    int rc = lmx_store_find(st, kind, id, &rid);
    if (!rc) rc = unlink_record(st, kind, id, rid, 0);
    if (!rc) rc = step_rid(st, S_DELETE, 0, rid, "deleting the record");
    return rc;
}

/* ---- judged matches ------------------------------------------------------------------ */

int lmx_store_feedback_put(lmx_store *st, int from_kind, const char *from_id, int to_kind, const char *to_id,
                           int grade, int64_t at)
{
    sqlite3_stmt *s = lmx_store_stmt(st, grade < 0 ? S_FB_DEL : S_FB_PUT, 0);
    if (!s) return st->err->code;
    sqlite3_bind_int(s, 1, from_kind);
    sqlite3_bind_text(s, 2, from_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, to_kind);
    sqlite3_bind_text(s, 4, to_id, -1, SQLITE_STATIC);
    if (grade >= 0) {
        sqlite3_bind_int(s, 5, grade);
        sqlite3_bind_int64(s, 6, at);
    }
    lmx_store_bump(st, 0);
    return lmx_store_done(st, s, "storing a judged match");
}

int lmx_store_feedback_scan(lmx_store *st, int (*cb)(void *ctx, int from_kind, const char *from_id, int to_kind,
                                                     const char *to_id, int grade), void *ctx)
{
    sqlite3_stmt *s = lmx_store_stmt(st, S_FB_SCAN, 0);
    if (!s) return st->err->code;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = cb(ctx, sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1), sqlite3_column_int(s, 2),
                  (const char *)sqlite3_column_text(s, 3), sqlite3_column_int(s, 4));
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? LM_OK : lmx_store_sqlerr(st, rc, "reading judged matches");
}
