/*
** Fuzz target: database files libmatch did not make.  The input is a list
** of byte patches -- 3 bytes of offset (big-endian) and 1 byte of value,
** repeated -- applied to a small valid libmatch database (made once per
** process); the patched file is opened read-write and read-only, matched
** against, written to and closed.  Every call must end in a status code
** (LM_ENOTDB, LM_EDB, LM_EMISMATCH, ... or LM_OK): no crash, no hang, no
** leak.  An empty input is the valid file itself, which must work.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"

static char fuzz_dir[256];
static unsigned char *fuzz_image;
static size_t fuzz_image_len;

static void fuzz_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", fuzz_dir, name);
}

/* The valid database every input patches: a few records of each kind. */
static void fuzz_make_image(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/lmfuzz-db-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(fuzz_dir)) __builtin_trap();
    char p[320];
    fuzz_path(p, sizeof p, "base.db");
    lm_db *db = NULL;
    if (lm_open(&db, p, 0) != LM_OK) __builtin_trap();
    static const char seed[] =
        "{\"id\":\"A1\",\"kind\":\"achievement\",\"title\":\"碳化硅功率模块封装\",\"abstract\":\"银烧结 SiC MOSFET\",\"experts\":[\"E1\"],\"fields\":[\"新材料\"]}\n"
        "{\"id\":\"A2\",\"kind\":\"achievement\",\"title\":\"PEM燃料电池双极板\",\"abstract\":\"氫燃料電池金屬雙極板塗層\"}\n"
        "{\"id\":\"E1\",\"kind\":\"expert\",\"name\":\"张伟\",\"research\":\"功率器件\",\"achievements\":[\"A1\"]}\n"
        "{\"id\":\"P1\",\"kind\":\"problem\",\"title\":\"5G基站散热\",\"region\":\"陕西省西安市\"}\n";
    if (lm_load_jsonl_buffer(db, seed, sizeof seed - 1, LM_LOAD_ATOMIC, NULL) != LM_OK) __builtin_trap();
    if (lm_synonym_add(db, "碳化硅", "SiC") != LM_OK) __builtin_trap();
    if (lm_close(db) != LM_OK) __builtin_trap();
    FILE *f = fopen(p, "rb");
    if (!f) __builtin_trap();
    fseek(f, 0, SEEK_END);
    fuzz_image_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    fuzz_image = malloc(fuzz_image_len);
    if (!fuzz_image || fread(fuzz_image, 1, fuzz_image_len, f) != fuzz_image_len) __builtin_trap();
    fclose(f);
    unlink(p);
}

/* Remove the fuzz directory (called once at the end by the replay test). */
static void fuzz_dbfile_cleanup(void)
{
    if (!fuzz_dir[0]) return;
    char p[320];
    static const char *const names[] = { "t.db", "t.db-wal", "t.db-shm" };
    for (int i = 0; i < 3; i++) { fuzz_path(p, sizeof p, names[i]); unlink(p); }
    rmdir(fuzz_dir);
    free(fuzz_image);
    fuzz_image = NULL;
    fuzz_dir[0] = 0;
}

static int fuzz_status_ok(int rc) { return rc >= LM_OK && rc <= LM_EMISUSE && rc != LM_EINVAL && rc != LM_EMISUSE; }

FUZZ_TARGET(dbfile)
{
    if (!fuzz_image) fuzz_make_image();
    unsigned char *img = malloc(fuzz_image_len);
    if (!img) __builtin_trap();
    memcpy(img, fuzz_image, fuzz_image_len);
    for (size_t i = 0; i + 4 <= size && i < 4 * 64; i += 4) {
        size_t off = ((size_t)data[i] << 16 | (size_t)data[i + 1] << 8 | data[i + 2]) % fuzz_image_len;
        img[off] = data[i + 3];
    }
    char p[320], wal[330], shm[330];
    fuzz_path(p, sizeof p, "t.db");
    snprintf(wal, sizeof wal, "%s-wal", p);
    snprintf(shm, sizeof shm, "%s-shm", p);
    unlink(wal);
    unlink(shm);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(img, 1, fuzz_image_len, f) != fuzz_image_len) __builtin_trap();
    fclose(f);
    free(img);
    for (int ro = 1; ro >= 0; ro--) {
        lm_db *db = NULL;
        int rc = lm_open(&db, p, ro ? LM_OPEN_READONLY : 0);
        if (!fuzz_status_ok(rc) || !lm_errmsg(db)) __builtin_trap();
        if (size == 0 && rc != LM_OK) __builtin_trap();          /* the valid file works */
        if (rc == LM_OK) {
            lm_results *r = NULL;
            rc = lm_match_text(db, "碳化硅 散热", LM_NUL_TERMINATED, LM_ACHIEVEMENT, NULL, &r);
            if (!fuzz_status_ok(rc)) __builtin_trap();
            if (size == 0 && (rc != LM_OK || lm_results_count(r) < 1)) __builtin_trap();
            lm_results_free(r);
            r = NULL;
            rc = lm_match(db, LM_PROBLEM, "P1", LM_EXPERT, NULL, &r);
            if (!fuzz_status_ok(rc) && rc != LM_ENOTFOUND) __builtin_trap();
            lm_results_free(r);
            char *js = NULL;
            rc = lm_stats_json(db, &js);
            if (!fuzz_status_ok(rc)) __builtin_trap();
            lm_free(js);
            if (!ro) {
                rc = lm_put(db, "{\"id\":\"P9\",\"kind\":\"problem\",\"title\":\"PEM燃料电池\"}", LM_NUL_TERMINATED);
                if (!fuzz_status_ok(rc)) __builtin_trap();
                if (size == 0 && rc != LM_OK) __builtin_trap();
            }
        }
        if (lm_close(db) != LM_OK) __builtin_trap();
    }
    FUZZ_RETURN;
}
