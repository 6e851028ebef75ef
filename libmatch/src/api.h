/*
** api.h -- helpers shared by the API layer's files (api_*.c).
*/
#ifndef LM_API_INTERNAL_H
#define LM_API_INTERNAL_H

#include "db.h"
#include "record.h"

/* Store a parsed record, then fold it into the semantic space (inside the
   caller's write transaction). */
int lmx_put_parsed(lm_db *db, const lmx_record *r, const char *json, size_t len);
/* Skip a UTF-8 byte-order mark at the start of s (len updated). */
const char *lmx_skip_bom(const char *s, size_t *len);
/* Check a user word or synonym: 1..256 bytes of UTF-8. */
int lmx_check_word(lm_db *db, const char *w, const char *what);

/* Free what distributed matching keeps on a handle (api_dfs.c). */
void lmx_api_dfs_close(lm_db *db);

#endif
