/*
** scoring.c -- text relevance and the structured features of a candidate.
**
** BM25 is computed by an FTS5 auxiliary function, lm_bm25(fts, params), so
** that every query term can carry its own weight (title terms count more than
** body terms; synonyms a little less than the term they expand) and every
** column its own weight (BM25F-style: weighted term frequencies and a
** weighted document length).  The IDF of each term is computed by the query
** builder from the index's document frequencies and folded into the term's
** weight, so the function needs no extra pass over the posting lists.
**
**   params: a blob of doubles: k1, b, w_col[LMX_NCOLS], w_term[nPhrase]
**   score  = sum_t w_t * tf_t*(k1+1) / (tf_t + k1*(1 - b + b*dl/avgdl))
**   tf_t   = sum_c w_col[c] * count(t in column c)
**   dl     = sum_c w_col[c] * length(column c);  avgdl likewise over the index
**
** lm_terms(fts) returns a blob with one byte per query term: 1 when the term
** occurs in the row.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static fts5_api *get_fts5(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

typedef struct {
    double avgdl;
} bm25_aux;

static void bm25_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
                    sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    int nphrase = api->xPhraseCount(fts);
    int ncol = api->xColumnCount(fts);
    if (nval != 1 || ncol != LMX_NCOLS ||
        sqlite3_value_bytes(val[0]) != (int)sizeof(double) * (2 + LMX_NCOLS + nphrase)) {
        sqlite3_result_error(ctx, "lm_bm25: bad parameters", -1);
        return;
    }
    const double *p = sqlite3_value_blob(val[0]);
    double k1 = p[0], b = p[1];
    const double *wcol = p + 2, *wterm = p + 2 + LMX_NCOLS;

    bm25_aux *aux = api->xGetAuxdata(fts, 0);
    if (!aux) {
        aux = sqlite3_malloc(sizeof *aux);
        if (!aux) { sqlite3_result_error_nomem(ctx); return; }
        sqlite3_int64 nrow = 0, tot = 0;
        double wtot = 0;
        api->xRowCount(fts, &nrow);
        for (int c = 0; c < ncol; c++) {
            if (api->xColumnTotalSize(fts, c, &tot) != SQLITE_OK) tot = 0;
            wtot += wcol[c] * (double)tot;
        }
        aux->avgdl = nrow > 0 ? wtot / (double)nrow : 1.0;
        if (aux->avgdl <= 0) aux->avgdl = 1.0;
        if (api->xSetAuxdata(fts, aux, sqlite3_free) != SQLITE_OK) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }

    double tfbuf[64], *tf = nphrase <= 64 ? tfbuf : sqlite3_malloc64(sizeof(double) * (size_t)nphrase);
    if (!tf) { sqlite3_result_error_nomem(ctx); return; }
    memset(tf, 0, sizeof(double) * (size_t)nphrase);
    int ninst = 0;
    if (api->xInstCount(fts, &ninst) == SQLITE_OK) {
        for (int i = 0; i < ninst; i++) {
            int ip, ic, io;
            if (api->xInst(fts, i, &ip, &ic, &io) == SQLITE_OK && ip >= 0 && ip < nphrase && ic >= 0 && ic < ncol)
                tf[ip] += wcol[ic];
        }
    }
    double dl = 0;
    for (int c = 0; c < ncol; c++) {
        int n = 0;
        if (api->xColumnSize(fts, c, &n) == SQLITE_OK) dl += wcol[c] * n;
    }
    double norm = k1 * (1 - b + b * dl / aux->avgdl), score = 0;
    for (int t = 0; t < nphrase; t++)
        if (tf[t] > 0) score += wterm[t] * tf[t] * (k1 + 1) / (tf[t] + norm);
    if (tf != tfbuf) sqlite3_free(tf);
    sqlite3_result_double(ctx, score);
}

static void terms_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
                     sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    int nphrase = api->xPhraseCount(fts);
    unsigned char *m = sqlite3_malloc(nphrase > 0 ? nphrase : 1);
    if (!m) { sqlite3_result_error_nomem(ctx); return; }
    memset(m, 0, (size_t)(nphrase > 0 ? nphrase : 1));
    int ninst = 0;
    if (api->xInstCount(fts, &ninst) == SQLITE_OK)
        for (int i = 0; i < ninst; i++) {
            int ip, ic, io;
            if (api->xInst(fts, i, &ip, &ic, &io) == SQLITE_OK && ip >= 0 && ip < nphrase) m[ip] = 1;
        }
    sqlite3_result_blob(ctx, m, nphrase, sqlite3_free);
}

int lmx_scoring_register(sqlite3 *db)
{
    fts5_api *api = get_fts5(db);
    if (!api) return LM_EDB;
    if (api->xCreateFunction(api, "lm_bm25", NULL, bm25_fn, NULL) != SQLITE_OK) return LM_EDB;
    if (api->xCreateFunction(api, "lm_terms", NULL, terms_fn, NULL) != SQLITE_OK) return LM_EDB;
    return LM_OK;
}

/* ---- structured features ------------------------------------------------- */

/* Split a Chinese administrative region into its first two levels:
   "陕西省西安市雁塔区" -> "陕西省" | "西安市"; "北京市海淀区" -> "北京市" |
   "海淀区".  A level ends after 省, 市, 区, 县, 州, 盟 or 自治区. */
static int region_levels(const char *s, const char *lv[2], size_t len[2])
{
    static const char *const ends[] = { "自治区", "省", "市", "区", "县", "州", "盟" };
    int n = 0;
    const char *start = s, *p = s;
    while (*p && n < 2) {
        size_t matched = 0;
        for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
            size_t l = strlen(ends[i]);
            if (strncmp(p, ends[i], l) == 0) { matched = l; break; }
        }
        if (matched) {
            p += matched;
            lv[n] = start;
            len[n] = (size_t)(p - start);
            n++;
            start = p;
        } else {
            p++;
        }
    }
    return n;
}

double lmx_region_score(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b) return 0;
    const char *la[2], *lb[2];
    size_t na[2], nb[2];
    int ka = region_levels(a, la, na), kb = region_levels(b, lb, nb);
    if (ka == 0 || kb == 0) return strcmp(a, b) == 0 ? 1.0 : 0.0;
    if (na[0] != nb[0] || memcmp(la[0], lb[0], na[0]) != 0) return 0;
    if (ka >= 2 && kb >= 2 && na[1] == nb[1] && memcmp(la[1], lb[1], na[1]) == 0) return 1.0;
    if (ka == 1 && kb == 1) return 1.0;
    return 0.5;
}
