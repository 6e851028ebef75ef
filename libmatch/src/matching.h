/*
** matching.h -- the pipeline's entry points for other API code (matching.c).
*/
#ifndef LM_MATCHING_H
#define LM_MATCHING_H

#include "pipeline.h"

/* lm_match() of a stored record inside the caller's snapshot. */
int lmx_match_stored(lm_db *db, int from, const char *id, int to, const lm_opts *o, lm_results **out);
/* lm_match() returning every candidate (k = n, no offset). */
int lmx_match_all(lm_db *db, int from, const char *id, int to, const lm_opts *opts, int64_t n, lm_results **out);

#endif
