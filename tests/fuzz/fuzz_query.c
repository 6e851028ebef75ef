/* Fuzz target: free-text queries (FTS5 syntax, SQL, junk) in every direction. */
#include "fuzz.h"

FUZZ_TARGET(query)
{
    lm_db *db = fuzz_db();
    for (int k = 1; k <= 3; k++) {
        lm_results *r = NULL;
        int rc = lm_match_text(db, (const char *)data, size, k, NULL, &r);
        if (rc != LM_OK && rc != LM_EINVAL_UTF8 && rc != LM_ETOOBIG) __builtin_trap();
        if (rc == LM_OK) {
            char *js = NULL;
            if (lm_results_json(r, &js) != LM_OK) __builtin_trap();
            lm_free(js);
        }
        lm_results_free(r);
    }
    FUZZ_RETURN;
}
