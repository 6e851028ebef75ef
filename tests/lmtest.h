/*
** lmtest.h -- a minimal test harness for libmatch's C tests.
**
**   static void test_put_get(void) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
**   int main(void) { RUN(test_put_get); return lmt_done(); }
**
** Each test prints "ok"/"not ok" with its name; every failed check prints its
** file, line and expression.  The last line is "# lmtest: passed=N failed=M",
** read by tests/run.sh.
*/
#ifndef LMTEST_H
#define LMTEST_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int lmt_pass, lmt_fail, lmt_cur_failed;

#define CHECK(cond) do { if (!(cond)) { lmt_cur_failed = 1; \
    fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long lmt_a = (long long)(a), lmt_b = (long long)(b); \
    if (lmt_a != lmt_b) { lmt_cur_failed = 1; fprintf(stderr, \
    "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, lmt_a, lmt_b); } } while (0)
#define CHECK_STR(a, b) do { const char *lmt_a = (a), *lmt_b = (b); \
    if (!lmt_a || !lmt_b || strcmp(lmt_a, lmt_b) != 0) { lmt_cur_failed = 1; fprintf(stderr, \
    "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, \
    lmt_a ? lmt_a : "(null)", lmt_b ? lmt_b : "(null)"); } } while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *lmt_h = (hay), *lmt_n = (needle); \
    if (!lmt_h || !strstr(lmt_h, lmt_n)) { lmt_cur_failed = 1; fprintf(stderr, \
    "  %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
    lmt_h ? lmt_h : "(null)", lmt_n); } } while (0)

#define RUN(fn) do { lmt_cur_failed = 0; fn(); \
    if (lmt_cur_failed) { lmt_fail++; printf("not ok - %s\n", #fn); } \
    else { lmt_pass++; printf("ok - %s\n", #fn); } fflush(stdout); } while (0)

/*
** A temporary directory per test program: lmt_tmpdir_init() makes it (under
** $TMPDIR, else /tmp), lmt_tmp_path("x.db") names a file in it, and
** lmt_done() removes it with everything in it.
*/
static char lmt_tmpdir[512];

static inline int lmt_tmpdir_init(const char *prog)
{
    const char *base = getenv("TMPDIR");
    snprintf(lmt_tmpdir, sizeof lmt_tmpdir, "%s/lmtest-%s-XXXXXX", base && *base ? base : "/tmp", prog);
    if (!mkdtemp(lmt_tmpdir)) { perror(lmt_tmpdir); lmt_tmpdir[0] = 0; return -1; }
    return 0;
}

static inline const char *lmt_tmp_path(const char *name)
{
    static char buf[8][640];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", lmt_tmpdir, name);
    return buf[k];
}

static inline void lmt_tmpdir_remove(void)
{
    if (!lmt_tmpdir[0]) return;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", lmt_tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", lmt_tmpdir);
    lmt_tmpdir[0] = 0;
}

static int lmt_done(void) {
    lmt_tmpdir_remove();
    printf("# lmtest: passed=%d failed=%d\n", lmt_pass, lmt_fail);
    return lmt_fail ? 1 : 0;
}
#endif
