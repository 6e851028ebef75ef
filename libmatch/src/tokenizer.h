/*
** tokenizer.h -- the analyzer as FTS5's tokenizer "libmatch" (tokenizer.c),
** used for indexing and for queries alike.
*/
#ifndef LM_TOKENIZER_H
#define LM_TOKENIZER_H

#include <sqlite3.h>

#include "analysis.h"

/*
** In FTS5 query mode, a query string whose first byte is LMX_RAW_MARK is
** emitted verbatim as one token (without the mark): the matcher builds
** queries from tokens it already analyzed, so user text is never query
** syntax.
*/
#define LMX_RAW_MARK '\x01'

/* Register `a` as the tokenizer LMX_FTS5_TOKENIZER (store.h) with a connection's FTS5
   (lmx_store_fts5()); `a` must outlive the connection. */
int lmx_tokenizer_register(fts5_api *api, lmx_analyzer *a);

#endif
