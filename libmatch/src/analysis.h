/*
** Internal interface of the analyzer (analysis.c).  Not installed; nothing
** here is public ABI.  An engine: no SQLite, no I/O but the dictionary.
**
** One analyzer serves indexing, queries, vectors and lm_analyze():
**   normalize (full-width -> half-width, case folding, Traditional ->
**   Simplified via OpenCC t2s) -> split into runs (Han / Latin+digits /
**   separators) -> Han: dictionary DAG + max-probability path, sub-words,
**   bigrams of unknown words; Latin: Snowball English stemming -> stopwords.
*/
#ifndef LM_ANALYSIS_H
#define LM_ANALYSIS_H

#include <stddef.h>

typedef struct lmx_analyzer lmx_analyzer;

/* Mode bits: the same values as LM_ANALYZE_* in libmatch.h. */
#define LMX_WORDS     0x01
#define LMX_SUBWORDS  0x02
#define LMX_BIGRAMS   0x04
#define LMX_UNIGRAMS  0x08
/* The mode of a new database (and of mode 0): every kind of token. */
#define LMX_DEFAULT_MODE (LMX_WORDS | LMX_SUBWORDS | LMX_BIGRAMS | LMX_UNIGRAMS)
/* The mode of a database that stored none (made before modes were stored:
   words, sub-words and bigrams, as it was indexed). */
#define LMX_LEGACY_MODE  (LMX_WORDS | LMX_SUBWORDS | LMX_BIGRAMS)
/* Every mode bit. */
#define LMX_ALL_MODES    (LMX_WORDS | LMX_SUBWORDS | LMX_BIGRAMS | LMX_UNIGRAMS)

/* Bumped whenever the tokens produced for some text may change. */
#define LMX_ANALYZER_NAME    "libmatch-zh"
#define LMX_ANALYZER_VERSION 1

/* Token flag: same position as the previous token (FTS5_TOKEN_COLOCATED). */
#define LMX_TOK_COLOCATED 0x01

/*
** Called once per token.  `tok` is the normalized token (not NUL-terminated),
** `start`/`end` byte offsets into the ORIGINAL text given to lmx_analyze().
** Return 0 to go on; any other value stops the analysis and is returned by
** lmx_analyze().
*/
typedef int (*lmx_token_fn)(void *ctx, int flags, const char *tok, int ntok,
                            int start, int end);

/*
** Process-wide dictionary path (NULL: $LIBMATCH_DICT if set, else Debian's
** python3-jieba locations).  Returns LM_ESTATE once the dictionary is loaded.
*/
int lmx_set_dict_path(const char *path);

/*
** Create an analyzer with `mode` (0 = LMX_DEFAULT_MODE).  Loads (once per
** process, thread-safely) the base dictionary and the OpenCC converter.
** On failure returns an LM_E* code and writes a message into errbuf.
*/
int lmx_analyzer_new(lmx_analyzer **out, int mode, char *errbuf,
                     size_t errlen);
void lmx_analyzer_free(lmx_analyzer *a);
int lmx_analyzer_mode(const lmx_analyzer *a);
/* Change the mode in place (0 = default); the id changes with it.  Used by
   lm_set_analyzer_mode(): FTS5 tokenizer instances keep the pointer. */
int lmx_analyzer_set_mode(lmx_analyzer *a, int mode);
/* "libmatch-zh/1 words+subwords+bigrams" (plus " user=<hash>" when user words
   are present, so an index built with other user words is detected). */
const char *lmx_analyzer_id(const lmx_analyzer *a);

/* Add a user word (freq <= 0: a default high enough to win segmentation).
   Per analyzer, on top of the shared base dictionary. */
int lmx_analyzer_add_word(lmx_analyzer *a, const char *word, int len,
                          long long freq);

/*
** Analyze `len` bytes of UTF-8 `text`.  `for_query` non-zero for query text
** (same tokens; reserved for query-only behaviour).  Returns LM_OK, the
** callback's non-zero value, LM_EINVAL_UTF8 for invalid UTF-8 or NUL bytes,
** or LM_ENOMEM.
*/
int lmx_analyze(const lmx_analyzer *a, const char *text, int len,
                int for_query, lmx_token_fn fn, void *ctx);

/* Is this token a stopword (after normalization)? */
int lmx_is_stopword(const char *tok, int len);

#endif
