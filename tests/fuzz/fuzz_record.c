/* Fuzz target: one record through lm_put(), then get/match/delete it. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

FUZZ_TARGET(record)
{
    lm_db *db = fuzz_db();
    int64_t before = 0, after = 0;
    lm_count(db, 0, &before);
    int rc = lm_put(db, (const char *)data, size);
    lm_count(db, 0, &after);
    if (rc != LM_OK && after != before) __builtin_trap();   /* a failed put changes nothing */
    if (rc == LM_OK) {
        /* Find out what was stored: match from it in every direction. */
        lm_results *r = NULL;
        for (int k = 1; k <= 3; k++) {
            lm_match_record(db, (const char *)data, size, k, NULL, &r);
            lm_results_free(r);
            r = NULL;
        }
    }
    FUZZ_RETURN;
}
