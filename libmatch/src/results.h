/*
** results.h -- the results handle (results.c), made from the pipeline's
** hits.
*/
#ifndef LM_RESULTS_H
#define LM_RESULTS_H

#include "pipeline.h"

/* A results handle that takes over the hits of hl and (sel may be NULL)
   the query terms of sel; hl and sel are left empty.  LM_OK, LM_ENOMEM. */
int lmx_results_new(lmx_hitlist *hl, lmx_selected *sel, lm_results **out);

/* Attach the answer of a DFS phase (JSON, malloc'ed; r takes it). */
void lmx_results_set_dfs(lm_results *r, char *json);

#endif
