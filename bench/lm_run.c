/*
** lm_run -- run a benchmark set through libmatch and write a TREC-style run.
**
**   lm_run --corpus corpus.jsonl --queries queries.jsonl --out run.tsv
**          [--db PATH] [--k 100] [--mode words|subwords|bigrams|all]
**          [--opt NAME=VALUE ...] [--vectors DIM] [--no-auto-vectors]
**          [--features FILE]
**
** --vectors DIM builds the semantic space with lm_vectors_build() after the
** load (0: the library's dimension); --no-auto-vectors loads with
** LM_LOAD_NO_VECTORS (no space of the loader's: no latent topic).
** --opt takes any option of the library's registry by name (lm_opt_find()).
**
** Record queries go through lm_match_record(), text queries through
** lm_match_text().  Output lines: qid TAB docid TAB rank TAB score TAB
** probability (lm_result_probability()).  --features writes one JSON line
** per query: {"qid", "hits": [{"id", "c": {component: value}, "ev":
** [evidence scores], "nt": matched terms}]}, what bench/fit_model.py fits
** the default model on.  Load and
** query rates go to stderr as "load_rps=..." and "qps=...".  Uses only the
** public header (plus cJSON to read the queries).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* getline, clock_gettime when built without the Makefile's flags */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "libmatch.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, lm_db *db)
{
    fprintf(stderr, "lm_run: %s: %s\n", what, db ? lm_errmsg(db) : "error");
    exit(1);
}

/* One JSON line of the hits' features (component values, evidence scores,
   matched term counts). */
static void write_features(FILE *f, const char *qid, const lm_results *r)
{
    cJSON *o = cJSON_CreateObject(), *hits = cJSON_AddArrayToObject(o, "hits");
    cJSON_AddStringToObject(o, "qid", qid);
    for (int i = 0; i < lm_results_count(r); i++) {
        cJSON *h = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(h, "c"), *ev = cJSON_AddArrayToObject(h, "ev");
        cJSON_AddStringToObject(h, "id", lm_result_id(r, i));
        for (int j = 0; j < lm_result_component_count(r, i); j++)
            cJSON_AddNumberToObject(c, lm_result_component_name(r, i, j), lm_result_component_value(r, i, j));
        for (int j = 0; j < lm_result_evidence_count(r, i); j++)
            cJSON_AddItemToArray(ev, cJSON_CreateNumber(lm_result_evidence_score(r, i, j)));
        cJSON_AddNumberToObject(h, "nt", lm_result_term_count(r, i));
        cJSON_AddItemToArray(hits, h);
    }
    char *js = cJSON_PrintUnformatted(o);
    if (js) fprintf(f, "%s\n", js);
    free(js);
    cJSON_Delete(o);
}

int main(int argc, char **argv)
{
    const char *corpus = NULL, *queries = NULL, *out = NULL, *dbpath = NULL, *features = NULL;
    int k = 100, mode = 0, vdim = -1;
    int load_flags = 0;
    lm_opts *o = NULL;
    if (lm_opts_new(&o)) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--corpus") && v) { corpus = v; i++; }
        else if (!strcmp(a, "--queries") && v) { queries = v; i++; }
        else if (!strcmp(a, "--out") && v) { out = v; i++; }
        else if (!strcmp(a, "--db") && v) { dbpath = v; i++; }
        else if (!strcmp(a, "--features") && v) { features = v; i++; }
        else if (!strcmp(a, "--k") && v) { k = atoi(v); i++; }
        else if (!strcmp(a, "--vectors") && v) { vdim = atoi(v); i++; }
        else if (!strcmp(a, "--no-auto-vectors")) load_flags |= LM_LOAD_NO_VECTORS;
        else if (!strcmp(a, "--mode") && v) {
            mode = !strcmp(v, "words") ? LM_ANALYZE_WORDS
                 : !strcmp(v, "subwords") ? (LM_ANALYZE_WORDS | LM_ANALYZE_SUBWORDS)
                 : !strcmp(v, "bigrams") ? LM_ANALYZE_BIGRAMS : !strcmp(v, "all") ? LM_ANALYZE_ALL : !strcmp(v, "unigrams") ? (LM_ANALYZE_ALL | LM_ANALYZE_UNIGRAMS) : -1;
            if (mode < 0) { fprintf(stderr, "lm_run: unknown mode %s\n", v); return 2; }
            i++;
        } else if (!strcmp(a, "--opt") && v) {
            /* NAME=VALUE, NAME as the library's option registry names it. */
            char name[64];
            const char *eq = strchr(v, '=');
            if (!eq || (size_t)(eq - v) >= sizeof name) { fprintf(stderr, "lm_run: --opt %s: not NAME=VALUE\n", v); return 2; }
            memcpy(name, v, (size_t)(eq - v));
            name[eq - v] = 0;
            if (lm_opts_set(o, name, eq + 1)) { fprintf(stderr, "lm_run: %s\n", lm_opts_errmsg(o)); return 2; }
            i++;
        } else {
            fprintf(stderr, "usage: lm_run --corpus F --queries F --out F [--db P] [--k N] [--mode words|subwords|bigrams|all]\n"
                            "              [--opt NAME=VALUE ...] [--vectors DIM] [--no-auto-vectors] [--features FILE]\n");
            return 2;
        }
    }
    if (!corpus || !queries || !out) { fprintf(stderr, "lm_run: --corpus, --queries and --out are required\n"); return 2; }
    char tmp[256];
    if (!dbpath) {
        snprintf(tmp, sizeof tmp, "/tmp/lm_run-%d.db", (int)getpid());
        dbpath = tmp;
    }
    char side[300];
    unlink(dbpath);
    snprintf(side, sizeof side, "%s-wal", dbpath); unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath); unlink(side);
    lm_db *db = NULL;
    if (lm_open(&db, dbpath, 0)) die("open", db);
    if (mode && lm_set_analyzer_mode(db, mode)) die("mode", db);
    if (lm_opts_set_int(o, LM_OPT_K, k)) { fprintf(stderr, "lm_run: --k %d out of range\n", k); return 2; }
    double t0 = now();
    lm_report *rep = NULL;
    if (lm_load_jsonl(db, corpus, LM_LOAD_SKIP_BAD | load_flags, &rep)) die("load", db);
    double t1 = now();
    fprintf(stderr, "loaded=%lld skipped=%lld load_rps=%.1f\n", (long long)lm_report_loaded(rep),
            (long long)lm_report_skipped(rep), (double)lm_report_loaded(rep) / (t1 - t0));
    lm_report_free(rep);
    if (vdim >= 0) {
        double tv = now();
        if (lm_vectors_build(db, vdim)) die("vectors", db);
        fprintf(stderr, "vectors_seconds=%.2f\n", now() - tv);
    }

    FILE *qf = fopen(queries, "r"), *of = fopen(out, "w"), *ff = features ? fopen(features, "w") : NULL;
    if (!qf || !of || (features && !ff)) { perror("lm_run"); return 1; }
    char *line = NULL;
    size_t cap = 0;
    long nq = 0, lineno = 0, nbad = 0, nfail = 0;
    double tq = 0;
    while (getline(&line, &cap, qf) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        cJSON *q = cJSON_Parse(line);
        if (!q) { fprintf(stderr, "lm_run: %s line %ld: bad JSON\n", queries, lineno); nbad++; continue; }
        cJSON *qid = cJSON_GetObjectItem(q, "qid"), *to = cJSON_GetObjectItem(q, "to");
        cJSON *rec = cJSON_GetObjectItem(q, "record"), *text = cJSON_GetObjectItem(q, "text");
        if (!cJSON_IsString(qid) || !cJSON_IsString(to) || (!rec && !cJSON_IsString(text))) {
            fprintf(stderr, "lm_run: %s line %ld: not a query (needs qid, to, and record or text)\n", queries, lineno);
            nbad++;
            cJSON_Delete(q);
            continue;
        }
        lm_results *r = NULL;
        int kind = lm_kind_from_name(to->valuestring), rc;
        double s = now();
        if (rec) {
            char *js = cJSON_PrintUnformatted(rec);
            rc = lm_match_record(db, js, LM_NUL_TERMINATED, kind, o, &r);
            free(js);
        } else {
            rc = lm_match_text(db, text->valuestring, LM_NUL_TERMINATED, kind, o, &r);
        }
        tq += now() - s;
        if (rc) { fprintf(stderr, "lm_run: query %s: %s\n", qid->valuestring, lm_errmsg(db)); nfail++; }
        for (int i = 0; i < lm_results_count(r); i++)
            fprintf(of, "%s\t%s\t%d\t%.9g\t%.9g\n", qid->valuestring, lm_result_id(r, i), i + 1,
                    lm_result_score(r, i), lm_result_probability(r, i));
        if (ff && !rc) write_features(ff, qid->valuestring, r);
        lm_results_free(r);
        nq++;
        cJSON_Delete(q);
    }
    free(line);
    fclose(qf);
    fclose(of);
    if (ff) fclose(ff);
    fprintf(stderr, "queries=%ld bad_lines=%ld failed=%ld qps=%.1f\n", nq, nbad, nfail, tq > 0 ? (double)nq / tq : 0.0);
    lm_opts_free(o);
    lm_close(db);
    if (dbpath == tmp) {
        unlink(tmp);
        snprintf(side, sizeof side, "%s-wal", tmp); unlink(side);
        snprintf(side, sizeof side, "%s-shm", tmp); unlink(side);
    }
    return 0;
}
