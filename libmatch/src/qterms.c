/*
** qterms.c -- a set of weighted terms: token -> index in a small open
** addressing hash.  Queries, synonyms, feedback and the semantic space all
** collect analyzer tokens with weights in it.
*/
#include <stdlib.h>
#include <string.h>

#include "libmatch.h"
#include "qterms.h"
#include "util.h"

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

