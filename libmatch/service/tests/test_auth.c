/*
** test_auth.c -- the token of lmatch-serve: loading the file, the
** constant-time comparison, the Authorization header.  Built and run by
** tests/suites/service.sh; prints TAP and "# auth: passed=N failed=M".
*/
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pass, fail;
#define CHECK(cond, name) do { if (cond) { pass++; printf("ok - %s\n", name); } \
    else { fail++; printf("not ok - %s (%s:%d)\n", name, __FILE__, __LINE__); } } while (0)

static char *write_file(const char *dir, const char *name, const char *text, int mode)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
    return path;
}

int main(void)
{
    const char *t = "abcdefghijklmnop-0123";
    size_t n = strlen(t);
    CHECK(svc_token_equal(t, n, t, n), "equal tokens");
    CHECK(!svc_token_equal("abcdefghijklmnop-0124", n, t, n), "last byte differs");
    CHECK(!svc_token_equal("Xbcdefghijklmnop-0123", n, t, n), "first byte differs");
    CHECK(!svc_token_equal(t, n - 1, t, n), "a prefix");
    CHECK(!svc_token_equal("abcdefghijklmnop-0123x", n + 1, t, n), "longer");
    CHECK(!svc_token_equal("", 0, t, n), "empty");
    /* A token repeated cyclically must not match a longer one. */
    CHECK(!svc_token_equal("ab", 2, "abab", 4), "cyclic repetition of a shorter value");

    CHECK(svc_auth_check("Bearer abcdefghijklmnop-0123", t) == 0, "Bearer header");
    CHECK(svc_auth_check("bearer  abcdefghijklmnop-0123 ", t) == 0, "scheme case and spaces");
    CHECK(svc_auth_check(NULL, t) == 1, "no header: 401");
    CHECK(svc_auth_check("Basic YTpi", t) == 1, "another scheme: 401");
    CHECK(svc_auth_check("Bearer ", t) == 1, "empty credential: 401");
    CHECK(svc_auth_check("Bearer abcdefghijklmnop-012", t) == 2, "wrong token: 403");

    char dir[] = "/tmp/lmatch-auth-XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    char err[512];
    const char *warn;
    char *tok = svc_token_load(write_file(dir, "a", "  s3cret-token-0123456789 \r\nsecond line\n", 0600),
                               err, sizeof err, &warn);
    CHECK(tok && !strcmp(tok, "s3cret-token-0123456789"), "first line, trimmed");
    CHECK(warn == NULL, "no warning for a private file and a long token");
    free(tok);
    tok = svc_token_load(write_file(dir, "b", "short\n", 0644), err, sizeof err, &warn);
    CHECK(tok && warn && strstr(warn, "other users"), "warns about a file others can read");
    free(tok);
    tok = svc_token_load(write_file(dir, "c", "\n", 0600), err, sizeof err, &warn);
    CHECK(!tok && strstr(err, "no token"), "empty first line is an error");
    tok = svc_token_load(write_file(dir, "d", "two words\n", 0600), err, sizeof err, &warn);
    CHECK(!tok && strstr(err, "printable ASCII"), "spaces inside are an error");
    tok = svc_token_load("/nonexistent/token", err, sizeof err, &warn);
    CHECK(!tok && strstr(err, "/nonexistent/token"), "a missing file is named");
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    printf("# auth: passed=%d failed=%d\n", pass, fail);
    return fail != 0;
}
