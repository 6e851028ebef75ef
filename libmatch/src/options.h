/*
** options.h -- the options handle and the option registry (options.c).
**
** Every option is one line of options.def; the handle keeps one double per
** option (integers are exact in a double), plus the strings.  The matching
** pipeline reads values with LMX_OI/LMX_OD; the public setters and the
** registry (lm_opt_*) read the same table, so the CLI, the bindings and the
** service never copy a number.
*/
#ifndef LM_OPTIONS_H
#define LM_OPTIONS_H

#include "libmatch.h"

enum {
#define LMX_OPT(ID, key, name, type, def, lo, hi, choices, help) LMX_O_##ID,
#include "options.def"
#undef LMX_OPT
    LMX_NOPT
};

struct lm_opts {
    double v[LMX_NOPT];
    char *region;            /* LM_OPT_REGION, NULL when unset */
    char **fields;           /* LM_OPT_FIELD values */
    int nfields;
    char err[256];           /* lm_opts_errmsg() */
    int dfs_phase;           /* lm_opts_set_dfs(): LM_DFS_* (0: off) */
    char *dfs_ctx;           /* its context (JSON), NULL when none */
};

/* Fill o with the defaults (no strings, no message). */
void lmx_opts_defaults(lm_opts *o);

#define LMX_OI(o, ID) ((int)(o)->v[LMX_O_##ID])
#define LMX_OD(o, ID) ((o)->v[LMX_O_##ID])

#endif
