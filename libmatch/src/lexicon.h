/*
** lexicon.h -- synonyms as an index feature (lexicon.c).
*/
#ifndef LM_LEXICON_H
#define LM_LEXICON_H

#include "analysis.h"
#include "qterms.h"
#include "store.h"

typedef struct lmx_synset lmx_synset;
/* Per handle: the analyzed synonym pairs and the stamp they were read at. */
typedef struct lmx_lexicon { lmx_synset *syn; lmx_stamp stamp; } lmx_lexicon;
void lmx_lexicon_free(lmx_lexicon *lx);

/*
** Add the synonyms of the terms in q: when every token of one side of a
** stored pair is a query term, the other side's tokens join with factor
** times the weight of the weakest of them.  The pairs are read and analyzed
** once, again after a write of this handle or another connection.
*/
int lmx_synonyms_expand(lmx_lexicon *lx, lmx_store *st, const lmx_analyzer *an, lmx_qterms *q, double factor);

#endif
