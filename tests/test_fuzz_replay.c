/*
** test_fuzz_replay.c -- run every fuzz target on its committed corpus
** (every file under tests/fuzz/corpus/TARGET/), as ordinary tests.  Crashes found by
** `make fuzz` are kept there as regression cases.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmtest.h"
#include "fuzz/fuzz_record.c"
#include "fuzz/fuzz_jsonl.c"
#include "fuzz/fuzz_analyze.c"
#include "fuzz/fuzz_query.c"
#include "fuzz/fuzz_dbfile.c"

static int replay(const char *name, int (*fn)(const uint8_t *, size_t))
{
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "  cannot open %s\n", dir); return -1; }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)len + 1);
        if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
            fn(buf, (size_t)len);
            n++;
        }
        free(buf);
        fclose(f);
    }
    closedir(d);
    return n;
}

static void test_replay_record(void) { CHECK(replay("record", fuzz_record) >= 5); }
static void test_replay_jsonl(void) { CHECK(replay("jsonl", fuzz_jsonl) >= 3); }
static void test_replay_analyze(void) { CHECK(replay("analyze", fuzz_analyze) >= 3); }
static void test_replay_query(void) { CHECK(replay("query", fuzz_query) >= 3); }
static void test_replay_dbfile(void) { CHECK(replay("dbfile", fuzz_dbfile) >= 10); }

int main(void)
{
    RUN(test_replay_record);
    RUN(test_replay_jsonl);
    RUN(test_replay_analyze);
    RUN(test_replay_query);
    RUN(test_replay_dbfile);
    fuzz_dbfile_cleanup();
    lm_close(fuzz_db());
    return lmt_done();
}
