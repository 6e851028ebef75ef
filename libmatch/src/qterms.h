/*
** qterms.h -- a set of weighted terms (qterms.c): analyzer tokens with a
** weight each, found by token in O(1).  No SQLite, no I/O.
*/
#ifndef LM_QTERMS_H
#define LM_QTERMS_H

/* A term: its bytes (owned, NUL-terminated), length and weight; a term that
   came only from a synonym is marked, so that it never outweighs the term
   it expands. */
typedef struct { char *tok; int len; double w; int from_synonym; } lmx_qterm;
typedef struct { lmx_qterm *t; int n, cap; int *hash; int hcap; } lmx_qterms;

/*
** Add weight w to tok (inserting it).  A synonym (from_synonym) keeps the
** larger of its weights and yields to the term itself, which then counts
** alone.  LM_OK or LM_ENOMEM.
*/
int lmx_qterms_add(lmx_qterms *q, const char *tok, int len, double w, int from_synonym);
/* Index of tok in q, or -1. */
int lmx_qterms_find(const lmx_qterms *q, const char *tok, int len);
/* Free the terms and zero q. */
void lmx_qterms_free(lmx_qterms *q);

#endif
