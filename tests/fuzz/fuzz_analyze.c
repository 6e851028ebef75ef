/* Fuzz target: the analyzer, every mode; offsets must lie inside the text. */
#include "fuzz.h"

FUZZ_TARGET(analyze)
{
    static const int modes[] = { 0, LM_ANALYZE_WORDS, LM_ANALYZE_BIGRAMS,
                                 LM_ANALYZE_WORDS | LM_ANALYZE_SUBWORDS, LM_ANALYZE_ALL | LM_ANALYZE_UNIGRAMS };
    for (unsigned m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        lm_tokens *t = NULL;
        if (lm_analyze(NULL, (const char *)data, size, modes[m], &t) != LM_OK) continue;
        for (int i = 0; i < lm_tokens_count(t); i++) {
            int s = lm_token_start(t, i), e = lm_token_end(t, i);
            if (s < 0 || e < s || (size_t)e > size || !lm_token_text(t, i)[0]) __builtin_trap();
        }
        lm_tokens_free(t);
    }
    FUZZ_RETURN;
}
