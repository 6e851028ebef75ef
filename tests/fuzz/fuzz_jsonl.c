/* Fuzz target: JSON Lines through lm_load_jsonl_buffer(), both policies. */
#include "fuzz.h"

FUZZ_TARGET(jsonl)
{
    lm_db *db = NULL;
    if (lm_open(&db, ":memory:", 0) != LM_OK) __builtin_trap();
    lm_report *rep = NULL;
    int rc = lm_load_jsonl_buffer(db, (const char *)data, size, LM_LOAD_ATOMIC, &rep);
    int64_t n = 0;
    lm_count(db, 0, &n);
    if (rc != LM_OK && n != 0) __builtin_trap();           /* atomic: all or nothing */
    lm_report_free(rep);
    rep = NULL;
    rc = lm_load_jsonl_buffer(db, (const char *)data, size, LM_LOAD_SKIP_BAD, &rep);
    if (rc == LM_OK) {
        char *js = NULL;
        if (lm_report_json(rep, &js) != LM_OK) __builtin_trap();
        lm_free(js);
    }
    lm_report_free(rep);
    lm_close(db);
    FUZZ_RETURN;
}
