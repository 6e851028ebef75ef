/*
** util.c -- string copies, UTF-8 validation and lines in bounded memory,
** shared by every module.
*/
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "libmatch.h"

#include "util.h"

char *lmx_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *lmx_strdup(const char *s) { return s ? lmx_strndup(s, strlen(s)) : NULL; }

/* The "C" locale, made once: numbers in options and files use '.' whatever
   locale the host program set with setlocale(). */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

double lmx_strtod_c(const char *s, char **end)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale ? strtod_l(s, end, c_locale) : strtod(s, end);
}

void lmx_json_double(char buf[40], double v)
{
    if (!isfinite(v)) v = 0;
    pthread_once(&c_locale_once, make_c_locale);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    /* The shortest of 15, 16, 17 significant digits that reads back to v. */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, 40, "%.*g", digits, v);
        if (digits == 17 || strtod(buf, NULL) == v) break;
    }
    if (c_locale) uselocale(old);
}

cJSON *lmx_json_number(double v)
{
    char b[40];
    lmx_json_double(b, v);
    return cJSON_CreateRaw(b);
}

int lmx_utf8_valid(const char *str, size_t len, size_t *bad_off)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c == 0) goto bad;
            i++;
            continue;
        }
        int n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else goto bad;
        if (i + (size_t)n >= len) goto bad;          /* truncated sequence */
        for (int k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += (size_t)n + 1;
    }
    return 1;
bad:
    if (bad_off) *bad_off = i;
    return 0;
}


/* ---- lines in bounded memory ------------------------------------------------ */

void lmx_lines_file(lmx_lines *L, FILE *f, size_t max)
{
    memset(L, 0, sizeof *L);
    L->f = f;
    L->max = max;
}

void lmx_lines_buffer(lmx_lines *L, const char *data, size_t len, size_t max)
{
    memset(L, 0, sizeof *L);
    L->mem = data;
    L->memlen = len;
    L->max = max;
}

void lmx_lines_free(lmx_lines *L)
{
    free(L->buf);
    L->buf = NULL;
}

int lmx_lines_next(lmx_lines *L, const char **line, size_t *len)
{
    if (!L->f) {                                        /* a buffer: no copy */
        size_t pos = (size_t)L->done;
        if (pos >= L->memlen) return 0;
        const char *p = L->mem + pos, *nl = memchr(p, '\n', L->memlen - pos);
        size_t n = nl ? (size_t)(nl - p) : L->memlen - pos;
        L->lineno++;
        if (n > L->max) return -LM_ETOOBIG;
        L->done += (int64_t)n + (nl ? 1 : 0);
        *line = p;
        *len = n;
        return 1;
    }
    for (;;) {
        char *nl = L->end > L->start ? memchr(L->buf + L->start, '\n', L->end - L->start) : NULL;
        if (nl || (L->eof && L->end > L->start)) {
            size_t n = nl ? (size_t)(nl - (L->buf + L->start)) : L->end - L->start;
            L->lineno++;
            if (n > L->max) return -LM_ETOOBIG;
            *line = L->buf + L->start;
            *len = n;
            L->start += n + (nl ? 1 : 0);
            L->done += (int64_t)n + (nl ? 1 : 0);
            return 1;
        }
        if (L->eof) return 0;
        if (L->end - L->start > L->max) { L->lineno++; return -LM_ETOOBIG; }
        /* Keep the unread part at the front, room for more behind it. */
        if (L->start) {
            memmove(L->buf, L->buf + L->start, L->end - L->start);
            L->end -= L->start;
            L->start = 0;
        }
        if (L->end == L->cap) {
            size_t nc = L->cap ? 2 * L->cap : 65536;
            if (nc > L->max + 65536) nc = L->max + 65536;
            if (nc <= L->cap) { L->lineno++; return -LM_ETOOBIG; }
            char *nb = realloc(L->buf, nc);
            if (!nb) return -LM_ENOMEM;
            L->buf = nb;
            L->cap = nc;
        }
        size_t got = fread(L->buf + L->end, 1, L->cap - L->end, L->f);
        L->end += got;
        if (got == 0) {
            if (ferror(L->f)) return -LM_EIO;
            L->eof = 1;
        }
    }
}
