/*
** test_foreign.c -- files, streams and threads libmatch did not make: hostile
** database files (triggers, views, foreign tables, not SQLite, empty), read
** commands that must not create or convert anything, endless and over-long
** inputs, byte-order marks, synonym files that are not files, read-only
** directories, the no-mmap flag, and one handle used from two threads or
** from its own callback.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "lmtest.h"

static const char *recs[] = {
    "{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":\"碳化硅功率器件散热\",\"description\":\"新能源汽车SiC模块的热管理\"}",
    "{\"id\":\"A-1\",\"kind\":\"achievement\",\"title\":\"碳化硅器件封装散热技术\",\"abstract\":\"面向SiC功率模块的双面冷却封装\"}",
    "{\"id\":\"A-2\",\"kind\":\"achievement\",\"title\":\"PEM燃料电池金属双极板\",\"abstract\":\"氫燃料電池雙極板塗層，耐腐蝕\"}",
    "{\"id\":\"E-1\",\"kind\":\"expert\",\"name\":\"王教授\",\"research\":\"5G基站射频前端与功率器件\"}",
};

/* A fresh libmatch database with the four records above. */
static void make_db(const char *path)
{
    lm_db *db = NULL;
    unlink(path);
    CHECK_EQ_INT(lm_open(&db, path, 0), LM_OK);
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++)
        CHECK_EQ_INT(lm_put(db, recs[i], LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_close(db), LM_OK);
}

static int sql(const char *path, const char *stmt)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open(path, &h);
    if (rc == SQLITE_OK) rc = sqlite3_exec(h, stmt, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { *len = 0; return NULL; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static int same_bytes(const char *a, size_t na, const char *path)
{
    size_t nb;
    char *b = slurp(path, &nb);
    int same = b && na == nb && memcmp(a, b, na) == 0;
    free(b);
    return same;
}

static int exists(const char *path) { struct stat st; return stat(path, &st) == 0; }

/* Open must refuse `path` with LM_ENOTDB, read-write and read-only, and leave
   its bytes as they were. */
static void check_refused(const char *path, const char *why)
{
    size_t n;
    char *before = slurp(path, &n);
    for (int ro = 0; ro < 2; ro++) {
        lm_db *db = NULL;
        int rc = lm_open(&db, path, ro ? LM_OPEN_READONLY : 0);
        if (rc != LM_ENOTDB) fprintf(stderr, "  %s (%s): %d %s\n", path, why, rc, lm_errmsg(db));
        CHECK_EQ_INT(rc, LM_ENOTDB);
        CHECK_CONTAINS(lm_errmsg(db), why);
        lm_close(db);
    }
    CHECK(same_bytes(before, n, path));
    free(before);
}

static void test_hostile_files(void)
{
    const char *p = lmt_tmp_path("trig.db");
    make_db(p);
    CHECK_EQ_INT(sql(p, "CREATE TRIGGER t1 AFTER INSERT ON record BEGIN DELETE FROM record WHERE rid<>new.rid; END;"), SQLITE_OK);
    check_refused(p, "trigger");

    p = lmt_tmp_path("view.db");
    make_db(p);
    CHECK_EQ_INT(sql(p, "CREATE VIEW v AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c;"), SQLITE_OK);
    check_refused(p, "view");

    p = lmt_tmp_path("extra.db");
    make_db(p);
    CHECK_EQ_INT(sql(p, "CREATE TABLE customers(id INT);"), SQLITE_OK);
    check_refused(p, "customers");

    /* A foreign SQLite file is not converted. */
    p = lmt_tmp_path("foreign.db");
    unlink(p);
    CHECK_EQ_INT(sql(p, "CREATE TABLE customers(id INT); INSERT INTO customers VALUES(1);"), SQLITE_OK);
    check_refused(p, "not a libmatch database");

    /* Not SQLite at all, and an empty file. */
    p = lmt_tmp_path("text.db");
    FILE *f = fopen(p, "w");
    fputs("碳化硅 is not a database, but it is long enough to have a header........................................................\n", f);
    fclose(f);
    check_refused(p, "not");
    p = lmt_tmp_path("empty.db");
    fclose(fopen(p, "w"));
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, p, LM_OPEN_READONLY), LM_ENOTDB);
    lm_close(db);

    /* A damaged libmatch file: a page of garbage in the middle. */
    p = lmt_tmp_path("damaged.db");
    make_db(p);
    int fd = open(p, O_WRONLY);
    char junk[4096];
    memset(junk, 0xA5, sizeof junk);
    CHECK(pwrite(fd, junk, sizeof junk, 4096) == (ssize_t)sizeof junk);
    close(fd);
    db = NULL;
    int rc = lm_open(&db, p, 0);
    if (rc == LM_OK) {   /* the page may not be read at open: then a query must fail cleanly */
        lm_results *r = NULL;
        rc = lm_match_text(db, "碳化硅", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r);
        lm_results_free(r);
        if (rc == LM_OK) rc = lm_put(db, recs[0], LM_NUL_TERMINATED);
    }
    if (rc != LM_ENOTDB) fprintf(stderr, "  damaged: %d %s\n", rc, lm_errmsg(db));
    CHECK_EQ_INT(rc, LM_ENOTDB);
    CHECK_CONTAINS(lm_errmsg(db), "damaged");
    lm_close(db);
}

static void test_reads_create_nothing(void)
{
    const char *p = lmt_tmp_path("typo.db");
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, p, LM_OPEN_READONLY), LM_EIO);
    CHECK_CONTAINS(lm_errmsg(db), "typo.db");
    lm_close(db);
    CHECK(!exists(p));

    /* A read-only open of a good file leaves no -wal/-shm behind. */
    p = lmt_tmp_path("ro.db");
    make_db(p);
    char wal[700], shm[700];
    snprintf(wal, sizeof wal, "%s-wal", p);
    snprintf(shm, sizeof shm, "%s-shm", p);
    CHECK(!exists(wal));
    db = NULL;
    CHECK_EQ_INT(lm_open(&db, p, LM_OPEN_READONLY), LM_OK);
    int64_t n = 0;
    CHECK_EQ_INT(lm_count(db, 0, &n), LM_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(lm_put(db, recs[0], LM_NUL_TERMINATED), LM_ESTATE);
    CHECK_CONTAINS(lm_errmsg(db), "read-only");
    lm_close(db);
    CHECK(!exists(wal) && !exists(shm));
}

/* The same matches with and without the memory map. */
static void test_no_mmap(void)
{
    const char *p = lmt_tmp_path("mmap.db");
    make_db(p);
    char *json[2] = {0};
    for (int i = 0; i < 2; i++) {
        lm_db *db = NULL;
        CHECK_EQ_INT(lm_open(&db, p, LM_OPEN_READONLY | (i ? LM_OPEN_NO_MMAP : 0)), LM_OK);
        lm_results *r = NULL;
        CHECK_EQ_INT(lm_match(db, LM_PROBLEM, "P-1", LM_ACHIEVEMENT, NULL, &r), LM_OK);
        CHECK(lm_results_count(r) >= 1);
        CHECK_STR(lm_result_id(r, 0), "A-1");
        CHECK_EQ_INT(lm_results_json(r, &json[i]), LM_OK);
        lm_results_free(r);
        lm_close(db);
    }
    CHECK_STR(json[0], json[1]);
    lm_free(json[0]);
    lm_free(json[1]);
}

/* In a directory nobody may write, read-only opens still read. */
static void test_readonly_directory(void)
{
    char d[700];
    snprintf(d, sizeof d, "%s/rodir", lmt_tmpdir);
    CHECK_EQ_INT(chmod(lmt_tmpdir, 0755), 0);   /* mkdtemp made it 0700 */
    CHECK_EQ_INT(mkdir(d, 0755), 0);
    char p[760];
    snprintf(p, sizeof p, "%s/lib.db", d);
    make_db(p);
    CHECK_EQ_INT(chmod(p, 0444), 0);
    CHECK_EQ_INT(chmod(d, 0555), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* As root, become nobody, for whom the directory is read-only. */
        if (geteuid() == 0 && (setgid(65534) || setuid(65534))) _exit(10);
        if (access(d, W_OK) == 0) _exit(11);       /* the test would prove nothing */
        lm_db *db = NULL;
        if (lm_open(&db, p, LM_OPEN_READONLY) != LM_OK) { fprintf(stderr, "  %s\n", lm_errmsg(db)); _exit(12); }
        char *j = NULL;
        if (lm_get(db, LM_ACHIEVEMENT, "A-2", &j) != LM_OK || !strstr(j, "双极板")) _exit(13);
        lm_free(j);
        lm_results *r = NULL;
        if (lm_match_text(db, "碳化硅散热", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r) != LM_OK) _exit(14);
        if (lm_results_count(r) < 1 || strcmp(lm_result_id(r, 0), "A-1")) _exit(15);
        lm_results_free(r);
        if (lm_put(db, recs[0], LM_NUL_TERMINATED) == LM_OK) _exit(16);
        lm_close(db);
        /* A read-write open fails with a clear error, not a crash. */
        db = NULL;
        int rc = lm_open(&db, p, 0);
        lm_close(db);
        _exit(rc == LM_OK ? 17 : 0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK_EQ_INT(WEXITSTATUS(st), 0);
    char wal[800];
    snprintf(wal, sizeof wal, "%s-wal", p);
    CHECK(!exists(wal));
    chmod(d, 0755);
    chmod(p, 0644);
}

/* ---- inputs -------------------------------------------------------------- */

static void test_endless_inputs(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    CHECK_EQ_INT(lm_put(db, recs[1], LM_NUL_TERMINATED), LM_OK);
    /* An endless stream without newlines ends at the line cap, naming the line. */
    lm_report *rep = NULL;
    CHECK_EQ_INT(lm_load_jsonl(db, "/dev/zero", LM_LOAD_SKIP_BAD, &rep), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "line 1");
    lm_report_free(rep);
    /* An over-long line after good ones: nothing of the file is stored. */
    const char *p = lmt_tmp_path("long.jsonl");
    FILE *f = fopen(p, "w");
    fprintf(f, "%s\n%s\n{\"id\":\"X\",\"kind\":\"problem\",\"title\":\"", recs[0], recs[2]);
    for (int i = 0; i < (17 << 20) / 3; i++) fputs("碳", f);
    fputs("\"}\n", f);
    fclose(f);
    CHECK_EQ_INT(lm_load_jsonl(db, p, LM_LOAD_ATOMIC, NULL), LM_ETOOBIG);
    CHECK_CONTAINS(lm_errmsg(db), "line 3");
    int64_t n = 0;
    CHECK_EQ_INT(lm_count(db, 0, &n), LM_OK);
    CHECK_EQ_INT(n, 1);
    /* A directory is not a file of records. */
    CHECK_EQ_INT(lm_load_jsonl(db, lmt_tmpdir, LM_LOAD_SKIP_BAD, NULL), LM_EIO);
    CHECK_CONTAINS(lm_errmsg(db), "directory");

    /* Synonyms: a directory and an endless stream are errors, not "0 pairs". */
    int64_t pairs = 0;
    CHECK(lm_synonyms_load_tsv(db, lmt_tmpdir, &pairs) != LM_OK);
    CHECK_CONTAINS(lm_errmsg(db), "directory");
    CHECK(lm_synonyms_load_tsv(db, "/dev/zero", &pairs) != LM_OK);
    CHECK_CONTAINS(lm_errmsg(db), "line 1");
    lm_close(db);
}

static void test_bom(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    const char *p = lmt_tmp_path("bom.jsonl");
    FILE *f = fopen(p, "w");
    /* A BOM at the start of the file and one at the start of a later line
       (files concatenated with cat). */
    fprintf(f, "\xEF\xBB\xBF%s\n\xEF\xBB\xBF%s\n", recs[0], recs[2]);
    fclose(f);
    CHECK_EQ_INT(lm_load_jsonl(db, p, LM_LOAD_ATOMIC, NULL), LM_OK);
    char *j = NULL;
    CHECK_EQ_INT(lm_get(db, LM_PROBLEM, "P-1", &j), LM_OK);
    CHECK(j && j[0] == '{');
    lm_free(j);
    CHECK_EQ_INT(lm_get(db, LM_ACHIEVEMENT, "A-2", &j), LM_OK);
    CHECK(j && j[0] == '{');
    lm_free(j);
    char buf[600];
    snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s", recs[3]);
    CHECK_EQ_INT(lm_put(db, buf, LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_get(db, LM_EXPERT, "E-1", &j), LM_OK);
    CHECK(j && j[0] == '{');
    lm_free(j);
    /* Synonyms with a BOM on line 1. */
    p = lmt_tmp_path("syn.tsv");
    f = fopen(p, "w");
    fputs("\xEF\xBB\xBF碳化硅\tSiC\n", f);
    fclose(f);
    int64_t pairs = 0;
    CHECK_EQ_INT(lm_synonyms_load_tsv(db, p, &pairs), LM_OK);
    CHECK_EQ_INT(pairs, 1);
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_match_text(db, "SiC", LM_NUL_TERMINATED, LM_PROBLEM, NULL, &r), LM_OK);
    CHECK(lm_results_count(r) >= 1);
    lm_results_free(r);
    lm_close(db);
}

/* ---- one handle, two threads; a handle's own callback --------------------- */

struct scan_ctx {
    lm_db *db;
    int write_rc, read_rc, match_rc, n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inside, release;
};

static int scan_cb(void *ctx, int kind, const char *id, const char *json, size_t len)
{
    struct scan_ctx *c = ctx;
    (void)json; (void)len;
    c->n++;
    if (c->n == 1) {
        c->write_rc = lm_delete(c->db, kind, id);          /* refused */
        char *j = NULL;
        c->read_rc = lm_get(c->db, kind, id, &j);          /* reads inside the scan */
        lm_free(j);
        lm_results *r = NULL;
        c->match_rc = lm_match(c->db, kind, id, LM_ACHIEVEMENT, NULL, &r);
        lm_results_free(r);
        /* Tell the other thread we are inside, and wait for it. */
        pthread_mutex_lock(&c->mu);
        c->inside = 1;
        pthread_cond_broadcast(&c->cv);
        while (!c->release) pthread_cond_wait(&c->cv, &c->mu);
        pthread_mutex_unlock(&c->mu);
    }
    return 0;
}

static void *scanner(void *arg)
{
    struct scan_ctx *c = arg;
    return (void *)(intptr_t)lm_scan(c->db, 0, scan_cb, c);
}

static void test_misuse(void)
{
    const char *p = lmt_tmp_path("misuse.db");
    make_db(p);
    struct scan_ctx c = {0};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    CHECK_EQ_INT(lm_open(&c.db, p, 0), LM_OK);
    pthread_t th;
    pthread_create(&th, NULL, scanner, &c);
    pthread_mutex_lock(&c.mu);
    while (!c.inside) pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    /* The handle is busy in the other thread: every call is refused at once,
       reads too (the read exception is for the scanning thread only). */
    int64_t n = 0;
    lm_results *r = NULL;
    CHECK_EQ_INT(lm_count(c.db, 0, &n), LM_EMISUSE);
    CHECK_EQ_INT(lm_match_text(c.db, "碳化硅", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r), LM_EMISUSE);
    CHECK(r == NULL);
    CHECK_EQ_INT(lm_put(c.db, recs[0], LM_NUL_TERMINATED), LM_EMISUSE);
    CHECK_EQ_INT(lm_close(c.db), LM_EMISUSE);       /* not closed under the scan */
    pthread_mutex_lock(&c.mu);
    c.release = 1;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);
    void *ret;
    pthread_join(th, &ret);
    CHECK_EQ_INT((intptr_t)ret, LM_OK);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_INT(c.write_rc, LM_EMISUSE);
    CHECK_EQ_INT(c.read_rc, LM_OK);
    CHECK_EQ_INT(c.match_rc, LM_OK);
    /* Idle again: everything works, nothing was deleted. */
    CHECK_EQ_INT(lm_count(c.db, 0, &n), LM_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(lm_close(c.db), LM_OK);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
}

/* Two threads hammering one handle: each call succeeds or is refused; no crash. */
static lm_db *shared_db;
static void *hammer(void *arg)
{
    long bad = 0, refused = 0;
    for (int i = 0; i < 300; i++) {
        lm_results *r = NULL;
        int rc = (i + (int)(intptr_t)arg) % 3 ? lm_match_text(shared_db, "碳化硅功率器件", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r)
                                              : lm_put(shared_db, recs[(i / 3) % 4], LM_NUL_TERMINATED);
        if (rc == LM_EMISUSE) refused++;
        else if (rc != LM_OK) bad++;
        lm_results_free(r);
    }
    (void)refused;
    return (void *)bad;
}

static void test_two_threads(void)
{
    const char *p = lmt_tmp_path("threads.db");
    make_db(p);
    CHECK_EQ_INT(lm_open(&shared_db, p, 0), LM_OK);
    pthread_t t[2];
    for (intptr_t i = 0; i < 2; i++) pthread_create(&t[i], NULL, hammer, (void *)i);
    long bad = 0;
    for (int i = 0; i < 2; i++) { void *r; pthread_join(t[i], &r); bad += (long)r; }
    CHECK_EQ_INT(bad, 0);
    int64_t n = 0;
    CHECK_EQ_INT(lm_count(shared_db, 0, &n), LM_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(lm_close(shared_db), LM_OK);
}

/* Another connection holds the write lock: a put waits the handle's busy
   timeout, then fails with LM_EBUSY and stores nothing; after the lock is
   gone it works. */
static void test_busy_timeout(void)
{
    const char *p = lmt_tmp_path("busy.db");
    make_db(p);
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, p, 0), LM_OK);
    CHECK_EQ_INT(lm_set_busy_timeout(db, -1), LM_ERANGE);
    CHECK_CONTAINS(lm_errmsg(db), "busy timeout -1 ms");
    CHECK_EQ_INT(lm_set_busy_timeout(db, LM_MAX_BUSY_TIMEOUT_MS + 1), LM_ERANGE);
    CHECK_EQ_INT(lm_set_busy_timeout(NULL, 10), LM_EINVAL);
    CHECK_EQ_INT(lm_set_busy_timeout(db, 50), LM_OK);
    sqlite3 *raw = NULL;
    CHECK_EQ_INT(sqlite3_open(p, &raw), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    const char *rec = "{\"id\":\"P-2\",\"kind\":\"problem\",\"title\":\"鋰離子電池熱失控預警\"}";
    CHECK_EQ_INT(lm_put(db, rec, LM_NUL_TERMINATED), LM_EBUSY);
    CHECK(strstr(lm_errmsg(db), "locked") || strstr(lm_errmsg(db), "busy"));
    /* Reads go on beside the writer (WAL). */
    int64_t n = 0;
    CHECK_EQ_INT(lm_count(db, 0, &n), LM_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(lm_put(db, rec, LM_NUL_TERMINATED), LM_OK);
    CHECK_EQ_INT(lm_count(db, 0, &n), LM_OK);
    CHECK_EQ_INT(n, 5);
    lm_close(db);
}

int main(void)
{
    if (lmt_tmpdir_init("foreign")) return 1;
    RUN(test_busy_timeout);
    RUN(test_hostile_files);
    RUN(test_reads_create_nothing);
    RUN(test_no_mmap);
    RUN(test_readonly_directory);
    RUN(test_endless_inputs);
    RUN(test_bom);
    RUN(test_misuse);
    RUN(test_two_threads);
    return lmt_done();
}
