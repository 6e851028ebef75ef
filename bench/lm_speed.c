/*
** lm_speed -- timing probes for bench/speed.py (one job per process, so
** that the caller can read each job's peak RSS).
**
**   lm_speed load DB corpus.jsonl          records/s, bytes on disk per record
**   lm_speed query DB queries.jsonl N [NAME=VALUE ...]
**                                          p50/p99 latency of N record queries and of
**                                          the same as free text, top-10 (wall and CPU),
**                                          with the options given
**   lm_speed analyze FILE                  analyzer MB/s on one core
**   lm_speed vectors DB                    build the semantic vectors: seconds (peak RSS
**                                          is the caller's, read through wait4)
**   lm_speed batch DB K [ROWS]             all achievements x all achievements, top-K
**                                          (the first ROWS only, extrapolated, when given),
**                                          GFLOP/s beside a bare cblas_sgemm of the
**                                          same shape in the same process (the
**                                          first call, which loads the vectors, is
**                                          reported as cold_*)
**   lm_speed batchmem DB K BYTES FROM      every FROM record (problem, achievement, ...)
**                                          x all achievements, top-K, holding at most
**                                          about BYTES (lm_set_batch_memory; 0: no
**                                          bound): seconds, GFLOP/s, peak RSS of the
**                                          process (a fresh handle: one cold call)
** Output: one line of "key=value" pairs.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* getline, clock_gettime when built without the Makefile's flags */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <cjson/cJSON.h>

#include <cblas.h>
#include "libmatch.h"

extern char *openblas_get_corename(void);

typedef struct { long calls, limit; } counter;

/* Counts the batch's query rows; stops after `limit` (0: never). */
static int count_cb(void *ctx, const char *id, int n, const char *const *ids, const float *s)
{
    (void)id; (void)n; (void)ids; (void)s;
    counter *c = ctx;
    c->calls++;
    return c->limit && c->calls >= c->limit;
}

/* An integer after `key` in lm_stats_json(), 0 when absent. */
static long long stats_int(lm_db *db, const char *key)
{
    char *st = NULL;
    long long v = 0;
    if (lm_stats_json(db, &st) == LM_OK && st) {
        const char *p = strstr(st, key);
        if (p) v = atoll(p + strlen(key));
    }
    lm_free(st);
    return v;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of the calling thread: steadier than the wall clock on a
   machine shared with other work. */
static double cputime(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile of v (n values; sorted in place), 0 when empty. */
static double pct(double *v, int n, int p)
{
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmpd);
    int i = (int)((long)n * p / 100);
    if (p == 50) i = n / 2;
    return v[i < n ? i : n - 1];
}

static long long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: see the file's comment\n"); return 2; }
    if (!strcmp(argv[1], "analyze")) {
        FILE *f = fopen(argv[2], "rb");
        if (!f) { perror(argv[2]); return 1; }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) return 1;
        fclose(f);
        lm_tokens *t = NULL;
        lm_analyze(NULL, "预热", LM_NUL_TERMINATED, 0, &t);   /* load the dictionary first */
        lm_tokens_free(t);
        /* Line by line, as fields would be analyzed. */
        double t0 = now();
        long tokens = 0;
        for (char *p = buf, *e; p < buf + n; p = e + 1) {
            e = memchr(p, '\n', (size_t)(buf + n - p));
            if (!e) e = buf + n;
            if (lm_analyze(NULL, p, (size_t)(e - p), 0, &t) == LM_OK) tokens += lm_tokens_count(t);
            lm_tokens_free(t);
        }
        double dt = now() - t0;
        printf("bytes=%ld seconds=%.3f mb_per_s=%.2f tokens=%ld\n", n, dt, n / 1e6 / dt, tokens);
        free(buf);
        return 0;
    }
    if ((!strcmp(argv[1], "load") && argc < 4) || (!strcmp(argv[1], "batch") && argc < 4) ||
        (!strcmp(argv[1], "query") && argc < 5)) {
        fprintf(stderr, "usage: see the file's comment\n");
        return 2;
    }
    lm_db *db = NULL;
    /* The vector jobs read the database without a memory map, so that their
       peak RSS is the memory they allocate, not mapped file pages. */
    int vec = !strcmp(argv[1], "vectors") || !strcmp(argv[1], "batch") || !strcmp(argv[1], "batchmem");
    if (lm_open(&db, argv[2], vec ? LM_OPEN_NO_MMAP : 0)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
    if (!strcmp(argv[1], "vectors")) {
        double tb = now();
        if (lm_vectors_build(db, 0)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
        double build = now() - tb;
        printf("build_seconds=%.2f dim=%lld\n", build, stats_int(db, "\"dim\":"));
        lm_close(db);
        return 0;
    }
    if (!strcmp(argv[1], "load")) {
        lm_report *r = NULL;
        double t0 = now();
        if (lm_load_jsonl(db, argv[3], LM_LOAD_SKIP_BAD, &r)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
        double t1 = now();
        long long n = lm_report_loaded(r);
        lm_report_free(r);
        lm_close(db);                       /* the close (WAL checkpoint) is timed too */
        double dt = now() - t0;
        char wal[512];
        snprintf(wal, sizeof wal, "%s-wal", argv[2]);
        long long bytes = fsize(argv[2]) + fsize(wal);
        printf("records=%lld seconds=%.3f close_seconds=%.3f records_per_s=%.1f bytes_per_record=%.0f\n", n, dt,
               dt - (t1 - t0), n / dt, n ? (double)bytes / (double)n : 0.0);
        return 0;
    }
    if (!strcmp(argv[1], "batch") && argc >= 4) {
        /* Built vectors are used as they are (the vectors job builds them). */
        int k = atoi(argv[3]);
        long limit = argc >= 5 ? atol(argv[4]) : 0;
        double build = 0;
        if (stats_int(db, "\"dim\":") <= 0) {
            double tb = now();
            if (lm_vectors_build(db, 0)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
            build = now() - tb;
        }
        int dim = (int)stats_int(db, "\"dim\":");
        long long n = stats_int(db, "\"achievement\":");
        /* The first call loads the vectors from the database into the
           in-memory matrix (kept for later calls and in sync with writes);
           the second is the steady state compared with the bare sgemm.
           With a limit, each call stops after `limit` query rows (the
           callback's stop is an error return, expected here). */
        counter c = { 0, limit };
        double t0 = now();
        int rc = lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, k, count_cb, &c);
        if (rc && !(limit && c.calls >= limit)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
        double cold = now() - t0;
        c.calls = 0;
        t0 = now();
        rc = lm_batch_match(db, LM_ACHIEVEMENT, LM_ACHIEVEMENT, k, count_cb, &c);
        if (rc && !(limit && c.calls >= limit)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
        double dt = now() - t0;
        long calls = c.calls;
        /* Peak RSS of the batch itself (the library's matrices and blocks),
           before the bare sgemm below allocates its own copies. */
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double batch_rss_mb = ru.ru_maxrss / 1024.0;
        double flops = 2.0 * (double)calls * (double)n * dim;
        /* Bare sgemm of the same shape: (calls x dim) * (dim x n). */
        float *A = calloc((size_t)calls * dim, sizeof(float)), *B = calloc((size_t)n * dim, sizeof(float));
        float *C = malloc(sizeof(float) * (size_t)256 * n);
        for (long i = 0; i < calls * dim; i++) A[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < n * dim; i++) B[i] = (float)(i % 5) * 0.1f;
        double t1 = now();
        for (long b = 0; b < calls; b += 256) {
            int rows = calls - b < 256 ? (int)(calls - b) : 256;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, (int)n, dim, 1.0f, A + b * dim, dim, B, dim, 0.0f, C, (int)n);
        }
        double dt2 = now() - t1;
        printf("rows=%ld cols=%lld dim=%d build_seconds=%.2f cold_seconds=%.3f cold_gflops=%.2f seconds=%.3f gflops=%.2f "
               "sgemm_seconds=%.3f sgemm_gflops=%.2f ratio=%.2f cold_ratio=%.2f all_seconds=%.1f batch_rss_mb=%.0f core=%s\n", calls, n, dim,
               build, cold, flops / cold / 1e9, dt, flops / dt / 1e9, dt2, flops / dt2 / 1e9, dt2 / dt, dt2 / cold,
               calls ? dt * (double)n / (double)calls : 0.0, batch_rss_mb, openblas_get_corename());
        free(A); free(B); free(C);
        lm_close(db);
        return 0;
    }
    if (!strcmp(argv[1], "batchmem") && argc >= 6) {
        int k = atoi(argv[3]), from = lm_kind_from_name(argv[5]);
        long long bytes = atoll(argv[4]);
        if (!from || lm_set_batch_memory(db, bytes)) { fprintf(stderr, "bad kind or bound: %s\n", lm_errmsg(db)); return 1; }
        int dim = (int)stats_int(db, "\"dim\":");
        long long n = stats_int(db, "\"achievement\":");
        counter c = { 0, 0 };
        double t0 = now();
        if (lm_batch_match(db, from, LM_ACHIEVEMENT, k, count_cb, &c)) { fprintf(stderr, "%s\n", lm_errmsg(db)); return 1; }
        double dt = now() - t0;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("rows=%ld cols=%lld dim=%d bound_mb=%.0f seconds=%.3f gflops=%.2f batch_rss_mb=%.0f\n", c.calls, n, dim,
               bytes / 1048576.0, dt, 2.0 * (double)c.calls * (double)n * dim / dt / 1e9, ru.ru_maxrss / 1024.0);
        lm_close(db);
        return 0;
    }
    if (!strcmp(argv[1], "query") && argc >= 5) {
        /* N record queries (lm_match_record), then the same queries as free
           text (title and description through lm_match_text), top-10 each:
           wall-clock p50/p99 and the calling thread's CPU time p50/p99 (the
           CPU figures are steadier on a shared machine). */
        int want = atoi(argv[4]), n = 0, nt = 0;
        size_t cap = (size_t)(want > 0 ? want : 1);
        double *lat = malloc(sizeof(double) * cap), *cpu = malloc(sizeof(double) * cap);
        double *tlat = malloc(sizeof(double) * cap), *tcpu = malloc(sizeof(double) * cap);
        char **texts = calloc(cap, sizeof(char *));
        int *tkind = calloc(cap, sizeof(int));
        FILE *f = fopen(argv[3], "r");
        char *line = NULL;
        size_t lcap = 0;
        lm_opts *o = NULL;
        lm_opts_new(&o);
        lm_opts_set_int(o, LM_OPT_K, 10);
        for (int a = 5; a < argc; a++) {         /* NAME=VALUE: any option of the registry */
            char name[64];
            const char *eq = strchr(argv[a], '=');
            if (!eq || (size_t)(eq - argv[a]) >= sizeof name) { fprintf(stderr, "%s: not NAME=VALUE\n", argv[a]); return 2; }
            memcpy(name, argv[a], (size_t)(eq - argv[a]));
            name[eq - argv[a]] = 0;
            if (lm_opts_set(o, name, eq + 1)) { fprintf(stderr, "%s\n", lm_opts_errmsg(o)); return 2; }
        }
        long failed = 0;
        while (n < want && f && getline(&line, &lcap, f) > 0) {
            cJSON *q = cJSON_Parse(line), *rec = q ? cJSON_GetObjectItem(q, "record") : NULL;
            cJSON *to = q ? cJSON_GetObjectItem(q, "to") : NULL;
            if (rec && cJSON_IsString(to)) {
                char *js = cJSON_PrintUnformatted(rec);
                lm_results *r = NULL;
                double c0 = cputime(), t0 = now();
                if (lm_match_record(db, js, LM_NUL_TERMINATED, lm_kind_from_name(to->valuestring), o, &r)) failed++;
                lat[n] = (now() - t0) * 1000;
                cpu[n] = (cputime() - c0) * 1000;
                lm_results_free(r);
                free(js);
                /* Its free-text twin: title and description (or abstract). */
                cJSON *ti = cJSON_GetObjectItem(rec, "title"), *de = cJSON_GetObjectItem(rec, "description");
                if (!cJSON_IsString(de)) de = cJSON_GetObjectItem(rec, "abstract");
                size_t len = (cJSON_IsString(ti) ? strlen(ti->valuestring) : 0) + (cJSON_IsString(de) ? strlen(de->valuestring) : 0) + 2;
                if ((texts[n] = malloc(len)))
                    snprintf(texts[n], len, "%s %s", cJSON_IsString(ti) ? ti->valuestring : "",
                             cJSON_IsString(de) ? de->valuestring : "");
                tkind[n] = lm_kind_from_name(to->valuestring);
                n++;
            }
            cJSON_Delete(q);
        }
        for (int i = 0; i < n; i++) {
            if (!texts[i]) continue;
            lm_results *r = NULL;
            double c0 = cputime(), t0 = now();
            if (lm_match_text(db, texts[i], LM_NUL_TERMINATED, tkind[i], o, &r)) failed++;
            tlat[nt] = (now() - t0) * 1000;
            tcpu[nt++] = (cputime() - c0) * 1000;
            lm_results_free(r);
            free(texts[i]);
        }
        free(line);
        if (f) fclose(f);
        printf("queries=%d p50_ms=%.3f p99_ms=%.3f cpu_p50_ms=%.3f cpu_p99_ms=%.3f "
               "text_queries=%d text_p50_ms=%.3f text_p99_ms=%.3f text_cpu_p50_ms=%.3f text_cpu_p99_ms=%.3f failed=%ld\n",
               n, pct(lat, n, 50), pct(lat, n, 99), pct(cpu, n, 50), pct(cpu, n, 99),
               nt, pct(tlat, nt, 50), pct(tlat, nt, 99), pct(tcpu, nt, 50), pct(tcpu, nt, 99), failed);
        free(lat); free(cpu); free(tlat); free(tcpu); free(texts); free(tkind);
        lm_opts_free(o);
        lm_close(db);
        return failed ? 1 : 0;
    }
    return 2;
}
