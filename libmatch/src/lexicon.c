/*
** lexicon.c -- synonyms as an index feature: the stored pairs, analyzed once
** and kept under the store's cache rule, expand a query's terms.
*/
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "lexicon.h"

/* ---- synonyms ----------------------------------------------------------- */

/* Each synonym side is kept as its list of main tokens (not colocated). */
typedef struct { char **tok; int n; } side;
struct lmx_synset { side *a, *b; int n, cap; int rc; const lmx_analyzer *an; };

static void lmx_synset_free(struct lmx_synset *s)
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

/* One stored pair: analyzed into its two sides.  A pair that does not
   analyze (e.g. text a foreign program stored) is skipped, not fatal. */
static int synset_row(void *ctx, const char *a, int alen, const char *b, int blen)
{
    struct lmx_synset *s = ctx;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        side *na = realloc(s->a, sizeof(side) * (size_t)cap);
        if (na) s->a = na;
        side *nb = realloc(s->b, sizeof(side) * (size_t)cap);
        if (nb) s->b = nb;
        if (!na || !nb) return s->rc = LM_ENOMEM;
        s->cap = cap;
    }
    side *sa = &s->a[s->n], *sb = &s->b[s->n];
    memset(sa, 0, sizeof *sa);
    memset(sb, 0, sizeof *sb);
    s->n++;
    int rc = a && b ? lmx_analyze(s->an, a, alen, 1, side_tok, sa) : LM_EINVAL_UTF8;
    if (!rc) rc = lmx_analyze(s->an, b, blen, 1, side_tok, sb);
    if (rc == LM_ENOMEM) return s->rc = rc;
    if (rc) {                                       /* skip this pair */
        s->n--;
        for (int j = 0; j < sa->n; j++) free(sa->tok[j]);
        for (int j = 0; j < sb->n; j++) free(sb->tok[j]);
        free(sa->tok);
        free(sb->tok);
    }
    return LM_OK;
}

static int synset_load(lmx_lexicon *lx, lmx_store *st, const lmx_analyzer *an)
{
    lmx_stamp now = lmx_store_stamp(st, 0);
    if (lx->syn && lmx_stamp_eq(lx->stamp, now)) return LM_OK;
    lmx_synset_free(lx->syn);
    lx->syn = NULL;
    struct lmx_synset *s = calloc(1, sizeof *s);
    if (!s) return lmx_error_set(st->err, LM_ENOMEM, "out of memory");
    s->an = an;
    int rc = lmx_store_synonym_scan(st, synset_row, s);
    if (rc == LM_ENOMEM && s->rc) rc = lmx_error_set(st->err, LM_ENOMEM, "out of memory analyzing synonyms");
    if (rc) { lmx_synset_free(s); return rc; }
    lx->syn = s;
    lx->stamp = now;
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

int lmx_synonyms_expand(lmx_lexicon *lx, lmx_store *st, const lmx_analyzer *an, lmx_qterms *q, double factor)
{
    int rc = synset_load(lx, st, an);
    if (rc) return rc;
    const struct lmx_synset *s = lx->syn;
    for (int i = 0; i < s->n; i++) {
        if ((rc = expand_side(q, &s->a[i], &s->b[i], factor))) return rc;
        if ((rc = expand_side(q, &s->b[i], &s->a[i], factor))) return rc;
    }
    return LM_OK;
}


void lmx_lexicon_free(lmx_lexicon *lx)
{
    lmx_synset_free(lx->syn);
    lx->syn = NULL;
}
