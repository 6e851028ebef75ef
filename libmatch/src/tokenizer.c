/*
** tokenizer.c -- registers the analyzer with FTS5 as the tokenizer
** "libmatch", used for indexing and for queries alike.
**
** In query mode, a query string that starts with LMX_RAW_MARK is one token
** already analyzed by the matcher and is passed through verbatim.
*/
#include <string.h>

#include "libmatch.h"
#include "analysis.h"
#include "store.h"
#include "tokenizer.h"

typedef struct {
    void *ctx;
    int (*xToken)(void *, int, const char *, int, int, int);
} fts_ctx;

static int xCreate(void *arg, const char **azArg, int nArg, Fts5Tokenizer **pp)
{
    (void)azArg;
    (void)nArg;
    *pp = (Fts5Tokenizer *)arg;   /* the analyzer itself; owned by the lm_db */
    return SQLITE_OK;
}

static void xDelete(Fts5Tokenizer *p) { (void)p; }

static int on_token(void *c, int flags, const char *t, int n, int s, int e)
{
    fts_ctx *f = c;
    if (n > 255) n = 255;   /* FTS5 keys are kept short; longer tokens are cut */
    return f->xToken(f->ctx, (flags & LMX_TOK_COLOCATED) ? FTS5_TOKEN_COLOCATED : 0, t, n, s, e);
}

static int xTokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n,
                     int (*xToken)(void *, int, const char *, int, int, int))
{
    if ((flags & FTS5_TOKENIZE_QUERY) && n > 1 && text[0] == LMX_RAW_MARK)
        return xToken(ctx, 0, text + 1, n - 1, 0, n);
    fts_ctx f = { ctx, xToken };
    int rc = lmx_analyze((const lmx_analyzer *)p, text, n, (flags & FTS5_TOKENIZE_QUERY) != 0, on_token, &f);
    if (rc == LM_EINVAL_UTF8) return SQLITE_MISMATCH;
    if (rc == LM_ENOMEM) return SQLITE_NOMEM;
    return rc;   /* SQLITE_OK or an SQLite code from xToken */
}

int lmx_tokenizer_register(fts5_api *api, lmx_analyzer *a)
{
    if (!api) return LM_EDB;
    fts5_tokenizer t = { xCreate, xDelete, xTokenize };
    return api->xCreateTokenizer(api, LMX_FTS5_TOKENIZER, a, &t, NULL) == SQLITE_OK ? LM_OK : LM_EDB;
}
