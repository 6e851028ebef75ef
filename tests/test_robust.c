/*
** test_robust.c -- hostile input, crash safety (SIGKILL during bulk loads),
** and concurrency (reader threads and processes while one writer writes).
*/
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "lmtest.h"

static char dir[600];

static const char *path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static lm_db *open_db(const char *name)
{
    lm_db *db = NULL;
    if (lm_open(&db, path(name), 0) != LM_OK) {
        fprintf(stderr, "open: %s\n", lm_errmsg(db));
        exit(1);
    }
    return db;
}

static int64_t count(lm_db *db)
{
    int64_t n = -1;
    lm_count(db, 0, &n);
    return n;
}

static const char *base =
    "{\"id\":\"K1\",\"kind\":\"achievement\",\"title\":\"氢燃料电池双极板\",\"abstract\":\"PEM燃料电池金属双极板涂层\"}";

/* ---- hostile input ------------------------------------------------------- */

static void test_hostile_records(void)
{
    lm_db *db = open_db("hostile.db");
    CHECK_EQ_INT(lm_put(db, base, LM_NUL_TERMINATED), LM_OK);
    size_t cap = 12u << 20;
    char *b = malloc(cap);
    int n;

    /* A 10 MB field. */
    n = sprintf(b, "{\"id\":\"H1\",\"kind\":\"problem\",\"description\":\"");
    for (size_t i = 0; i < (10u << 20) / 3; i++) { memcpy(b + n, "碳", 3); n += 3; }
    sprintf(b + n, "\"}");
    CHECK_EQ_INT(lm_put(db, b, LM_NUL_TERMINATED), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "record 'H1': field 'description'");

    /* 100,000 keywords. */
    n = sprintf(b, "{\"id\":\"H2\",\"kind\":\"problem\",\"keywords\":[");
    for (int i = 0; i < 100000; i++) n += sprintf(b + n, "%s\"k%d\"", i ? "," : "", i);
    sprintf(b + n, "]}");
    CHECK_EQ_INT(lm_put(db, b, LM_NUL_TERMINATED), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "more than");

    /* JSON nested 10,000 deep. */
    n = sprintf(b, "{\"id\":\"H3\",\"kind\":\"problem\",\"meta\":");
    for (int i = 0; i < 10000; i++) b[n++] = '[';
    for (int i = 0; i < 10000; i++) b[n++] = ']';
    sprintf(b + n, "}");
    int rc = lm_put(db, b, LM_NUL_TERMINATED);
    CHECK(rc == LM_EJSON || rc == LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "nested deeper");

    /* A 10 KB id. */
    n = sprintf(b, "{\"id\":\"");
    memset(b + n, 'x', 10240);
    n += 10240;
    sprintf(b + n, "\",\"kind\":\"problem\"}");
    CHECK_EQ_INT(lm_put(db, b, LM_NUL_TERMINATED), LM_ETOOBIG);
    b[n] = 0;
    CHECK_EQ_INT(lm_delete(db, LM_PROBLEM, b + 7), LM_ETOOBIG);  /* not valid as an id either */

    /* Numbers that make no sense; JSON has no NaN/Inf literals. */
    static const char *nums[] = {
        "{\"id\":\"H4\",\"kind\":\"achievement\",\"maturity\":-3}",
        "{\"id\":\"H5\",\"kind\":\"achievement\",\"maturity\":NaN}",
        "{\"id\":\"H6\",\"kind\":\"achievement\",\"maturity\":Infinity}",
        "{\"id\":\"H7\",\"kind\":\"achievement\",\"maturity\":1e999}",
        "{\"id\":\"H8\",\"kind\":\"achievement\",\"maturity\":0}",
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        rc = lm_put(db, nums[i], LM_NUL_TERMINATED);
        CHECK(rc == LM_ERECORD || rc == LM_EJSON);
    }
    /* Embedded NUL, FTS5 operators in text (stored and findable as text). */
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"x\",\"kind\":\"problem\",\"title\":\"a\0b\"}", 40), LM_EINVAL_UTF8);
    CHECK_EQ_INT(lm_put(db, "{\"id\":\"H9\",\"kind\":\"achievement\",\"title\":\"NEAR( \\\"引号\\\" * ^ OR AND - 石墨烯\"}",
                        LM_NUL_TERMINATED), LM_OK);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(db, "NEAR( \"石墨烯", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) == 1 && !strcmp(lm_result_id(r, 0), "H9"));
    lm_results_free(r);
    /* A huge query text is analyzed, not rejected, up to the field limit. */
    n = 0;
    for (int i = 0; i < 200000; i++) { memcpy(b + n, "燃料电池", 12); n += 12; }
    CHECK_EQ_INT(lm_match_text(db, b, (size_t)n, LM_ACHIEVEMENT, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) >= 1);
    lm_results_free(r);
    free(b);
    CHECK_EQ_INT(count(db), 2);   /* K1 and H9: nothing else got in, nothing was lost */
    char *js = NULL;
    CHECK_EQ_INT(lm_get(db, LM_ACHIEVEMENT, "K1", &js), LM_OK);
    CHECK_STR(js, base);
    lm_free(js);
    lm_close(db);
}

/* ---- crash safety ---------------------------------------------------------- */

#define BATCHES 400
#define PER_BATCH 25

static char *batch_text(int b)
{
    static const char *topics[] = { "碳化硅功率器件", "锂离子电池热失控", "猕猴桃溃疡病", "钛合金增材制造", "北斗卫星导航" };
    char *s = malloc(PER_BATCH * 400);
    int n = 0;
    for (int i = 0; i < PER_BATCH; i++)
        n += sprintf(s + n, "{\"id\":\"B%d-%d\",\"kind\":\"achievement\",\"title\":\"%s第%d批第%d项\","
                     "\"abstract\":\"批次%d 记录%d 的成果摘要，涉及%s。\",\"keywords\":[\"k%d\"]}\n",
                     b, i, topics[(b + i) % 5], b, i, b, i, topics[(b * 7 + i) % 5], b * PER_BATCH + i);
    return s;
}

/* Child: load batches, one transaction each, report each commit on fd. */
static void child_load(const char *dbpath, int fd)
{
    lm_db *db = NULL;
    if (lm_open(&db, dbpath, 0) != LM_OK) _exit(3);
    for (int b = 0; b < BATCHES; b++) {
        char *s = batch_text(b);
        if (lm_load_jsonl_buffer(db, s, strlen(s), LM_LOAD_ATOMIC, NULL) != LM_OK) _exit(4);
        free(s);
        int32_t v = b;
        if (write(fd, &v, sizeof v) != sizeof v) _exit(5);
    }
    lm_close(db);
    _exit(0);
}

static void test_crash_safety(void)
{
    srand((unsigned)time(NULL));
    for (int run = 0; run < 4; run++) {
        char name[64];
        snprintf(name, sizeof name, "crash%d.db", run);
        const char *dbp = path(name);
        int fds[2];
        if (pipe(fds) != 0) { CHECK(0); return; }
        pid_t pid = fork();
        if (pid == 0) { close(fds[0]); child_load(dbp, fds[1]); }
        close(fds[1]);
        /* Let it commit a random number of batches, then kill it. */
        int target = 5 + rand() % 60, last = -1;
        int32_t v;
        while (last < target && read(fds[0], &v, sizeof v) == sizeof v) last = v;
        usleep((useconds_t)(rand() % 20000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        while (read(fds[0], &v, sizeof v) == sizeof v) last = v;  /* commits reported before death */
        close(fds[0]);

        sqlite3 *s;
        CHECK_EQ_INT(sqlite3_open(dbp, &s), SQLITE_OK);
        sqlite3_stmt *q;
        sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &q, NULL);
        CHECK(sqlite3_step(q) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(q, 0), "ok"));
        sqlite3_finalize(q);
        sqlite3_close(s);

        lm_db *db = open_db(name);
        int64_t n = count(db);
        /* Every reported batch is there; batches are whole. */
        CHECK(n >= (int64_t)(last + 1) * PER_BATCH);
        CHECK_EQ_INT(n % PER_BATCH, 0);
        int nb = (int)(n / PER_BATCH);
        for (int b = 0; b < nb; b += 7) {
            char id[32], *js = NULL;
            snprintf(id, sizeof id, "B%d-%d", b, PER_BATCH - 1);
            CHECK_EQ_INT(lm_get(db, LM_ACHIEVEMENT, id, &js), LM_OK);
            lm_free(js);
            /* The index agrees with the records: the record's own keyword finds it. */
            char kw[32];
            snprintf(kw, sizeof kw, "k%d", b * PER_BATCH + PER_BATCH - 1);
            lm_results *r = NULL;
            CHECK_EQ_INT(lm_match_text(db, kw, LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_OK);
            CHECK(lm_results_count(r) == 1 && !strcmp(lm_result_id(r, 0), id));
            lm_results_free(r);
        }
        lm_close(db);
    }
}

/* ---- concurrency ----------------------------------------------------------- */

static volatile int writer_done;

static void *reader(void *arg)
{
    lm_db *db = NULL;
    long bad = 0;
    if (lm_open(&db, path("conc.db"), 0) != LM_OK) return (void *)1L;
    while (!writer_done) {
        lm_results *r = NULL;
        int rc = lm_match_text(db, "氢燃料电池双极板", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r);
        /* K1 is never touched by the writer: it is always found first. */
        if (rc != LM_OK || lm_results_count(r) < 1 || strcmp(lm_result_id(r, 0), "K1") != 0) {
            fprintf(stderr, "  reader: rc=%d (%s) n=%d top=%s\n", rc, rc ? lm_errmsg(db) : "", lm_results_count(r),
                    lm_results_count(r) ? lm_result_id(r, 0) : "-");
            for (int j = 0; j < lm_results_count(r) && j < 4; j++)
                fprintf(stderr, " %s=%.3f/%.3f", lm_result_id(r, j), lm_result_score(r, j), lm_result_component_value(r, j, 6));
            fprintf(stderr, "\n");
            bad++;
        }
        lm_results_free(r);
    }
    lm_close(db);
    return (void *)bad;
}

static void test_concurrency(void)
{
    lm_db *w = open_db("conc.db");
    CHECK_EQ_INT(lm_put(w, base, LM_NUL_TERMINATED), LM_OK);
    writer_done = 0;
    /* A reader process too (forked before any thread starts). */
    pid_t pid = fork();
    if (pid == 0) {
        lm_db *db = NULL;
        if (lm_open(&db, path("conc.db"), LM_OPEN_READONLY) != LM_OK) _exit(2);
        for (int i = 0; i < 200; i++) {
            lm_results *r = NULL;
            if (lm_match_text(db, "双极板", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r) != LM_OK) _exit(3);
            if (lm_results_count(r) < 1) _exit(4);
            lm_results_free(r);
        }
        lm_close(db);
        _exit(0);
    }
    pthread_t th[3];
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, reader, NULL);
    int errors = 0;
    for (int b = 0; b < 60; b++) {
        char *s = batch_text(b);
        if (lm_load_jsonl_buffer(w, s, strlen(s), LM_LOAD_ATOMIC, NULL) != LM_OK) {
            fprintf(stderr, "  writer: %s\n", lm_errmsg(w));
            errors++;
        }
        free(s);
        char id[32];
        snprintf(id, sizeof id, "B%d-3", b);
        if (b % 2 && lm_delete(w, LM_ACHIEVEMENT, id) != LM_OK) errors++;
    }
    writer_done = 1;
    long bad = 0;
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        bad += (long)ret;
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK_EQ_INT(errors, 0);
    CHECK_EQ_INT(bad, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ_INT(count(w), 1 + 60 * PER_BATCH - 30);
    lm_close(w);
}

int main(void)
{
    if (lmt_tmpdir_init("robust")) return 1;
    snprintf(dir, sizeof dir, "%s", lmt_tmpdir);
    RUN(test_hostile_records);
    RUN(test_crash_safety);
    RUN(test_concurrency);
    return lmt_done();
}
