/*
** auth.c -- token file and constant-time comparison (see auth.h).
*/
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

char *svc_token_load(const char *path, char *err, size_t errlen, const char **warn)
{
    *warn = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--token-file %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        *warn = "the token file is readable or writable by other users (chmod 600 it)";
    char *buf = malloc(SVC_TOKEN_MAX + 2);
    if (!buf) { fclose(f); snprintf(err, errlen, "out of memory"); return NULL; }
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n') {
        if (n > SVC_TOKEN_MAX) break;
        buf[n++] = (char)c;
    }
    fclose(f);
    if (n > SVC_TOKEN_MAX) {
        free(buf);
        snprintf(err, errlen, "--token-file %s: the token is longer than %d bytes", path, SVC_TOKEN_MAX);
        return NULL;
    }
    buf[n] = 0;
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r')) buf[--n] = 0;
    size_t s = strspn(buf, " \t");
    memmove(buf, buf + s, n - s + 1);
    n -= s;
    if (n == 0) {
        free(buf);
        snprintf(err, errlen, "--token-file %s: the first line holds no token", path);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e) {
            free(buf);
            snprintf(err, errlen, "--token-file %s: the token must be printable ASCII without spaces", path);
            return NULL;
        }
    if (n < 16 && !*warn) *warn = "the token is shorter than 16 characters";
    return buf;
}

int svc_token_equal(const char *given, size_t len, const char *token, size_t tlen)
{
    /* Compare tlen bytes whatever `len` is (reading `given` cyclically, so
       nothing past its end is touched), and fold the length difference in. */
    volatile unsigned char diff = (unsigned char)(len != tlen);
    for (size_t i = 0; i < tlen; i++) {
        unsigned char g = len ? (unsigned char)given[i % len] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)token[i]);
    }
    return diff == 0;
}

int svc_auth_check(const char *header, const char *token)
{
    if (!header) return 1;
    while (*header == ' ') header++;
    if (strncasecmp(header, "Bearer ", 7) != 0) return 1;
    const char *v = header + 7;
    while (*v == ' ') v++;
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
    if (len == 0) return 1;
    return svc_token_equal(v, len, token, strlen(token)) ? 0 : 2;
}
