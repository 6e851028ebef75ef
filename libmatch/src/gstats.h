/*
** gstats.h -- a collection's statistics as an index feature (gstats.c):
** what BM25 reads of the whole collection -- each kind's record count,
** its index rows and column lengths, every term's document frequency --
** exported from a database in a form that adds up across shards, merged,
** and read back, so that a shard can score with the statistics of the
** whole collection (distributed matching, like Elasticsearch's DFS).
**
** The JSON form ("libmatch-stats/1"):
**   {"format": "libmatch-stats/1", "analyzer": "<lm_analyzer_id()>",
**    "kinds": {"achievement": {"records": N, "rows": R,
**                              "lengths": [title, body, keywords, extra],
**                              "terms": {"碳化硅": df, ...}}, ...}}
** A kind that is absent keeps the database's own statistics.
*/
#ifndef LM_GSTATS_H
#define LM_GSTATS_H

#include <stdint.h>

#include "bm25.h"
#include "errors.h"
#include "qterms.h"
#include "record.h"
#include "store.h"

#define LMX_GSTATS_FORMAT "libmatch-stats/1"

typedef struct {
    int present;             /* this kind's statistics are given */
    int64_t records;         /* records of the kind (the N of IDF) */
    int64_t len[1 + LMX_NCOLS];   /* index rows, then each column's total length */
    lmx_qterms df;           /* term -> document frequency (in w) */
} lmx_gkind;

typedef struct lmx_gstats {
    char analyzer[256];
    lmx_gkind k[LMX_NKINDS + 1];
} lmx_gstats;

/* The statistics of kind (0: every kind) of the database of st as JSON
   (malloc'ed in *out).  LM_OK or an error in st->err. */
int lmx_gstats_export(lmx_store *st, lmx_bm25_cache *c, const char *analyzer, int kind, char **out);
/* Read statistics (JSON) into gs; errors name the field (LM_EJSON,
   LM_ERECORD) in err.  gs is zeroed first and empty on error. */
int lmx_gstats_parse(const char *json, lmx_gstats *gs, lmx_error *err);
/* The sum of n statistics (JSON) as JSON: counts, lengths and document
   frequencies of each kind added; every part must have the same analyzer.
   Errors name the part and the field. */
int lmx_gstats_merge(const char *const *parts, int n, char **out, lmx_error *err);
void lmx_gstats_free(lmx_gstats *gs);


#endif
