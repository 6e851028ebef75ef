/*
** record.h -- a record given as JSON, validated and taken apart (record.c).
** An engine: no SQLite, no handle; messages name the record and the field.
*/
#ifndef LM_RECORD_H
#define LM_RECORD_H

#include <stddef.h>
#include <cJSON.h>

/* Text columns of every kind's full-text index, in this order. */
enum { LMX_COL_TITLE, LMX_COL_BODY, LMX_COL_KEYWORDS, LMX_COL_EXTRA, LMX_NCOLS };

typedef struct lmx_record {
    int kind;
    const char *id;          /* "" when absent (allowed only for queries) */
    const char *text[LMX_NCOLS]; /* column texts; keywords joined; NULL if none */
    char *kwjoined;          /* owned: keywords joined by "；" */
    char *extra;             /* owned: expert name + org */
    const char *region, *org;
    const char *label;       /* title, or an expert's name; NULL if none */
    int maturity;            /* 0 when absent */
    cJSON *fields;           /* array of strings or NULL */
    cJSON *links;            /* experts / achievements array or NULL */
    cJSON *root;             /* owned parse tree */
} lmx_record;

/*
** Parse and validate one record (`len` bytes of JSON; a UTF-8 byte-order
** mark before it is skipped).  `require_id` is 0 for query records.  On
** error returns an LM_E* code, writes a message naming the record and the
** field into err, and leaves *out empty (lmx_record_free() is harmless).
*/
int lmx_record_parse(const char *json, size_t len, int require_id,
                     lmx_record *out, char *err, size_t errlen);
void lmx_record_free(lmx_record *r);

#endif
