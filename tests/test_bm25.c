/*
** test_bm25.c -- the BM25 index feature (bm25.c, internal) and the best-k
** collector under it (topk.c): the best rows kept while FTS5 scans equal a
** full sort; ties keep the lower rowid; the masks follow their rows; the
** cached column lengths give the same scores as FTS5's own per-row lookup.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "libmatch.h"
#include "db.h"
#include "lmtest.h"

typedef struct { double s; int64_t rowid; } row;

static int row_cmp(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->s != b->s) return a->s < b->s ? 1 : -1;
    return (a->rowid > b->rowid) - (a->rowid < b->rowid);
}

static uint64_t rng = 88172645463325252ull;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* Against a full sort: many ties, limits below, at and above the 64-entry
   first allocation and above the row count; each kept row keeps its mask. */
static void test_collector_equals_sort(void)
{
    enum { N = 3000, T = 5 };
    static row all[N];
    static unsigned char masks[N][T];
    for (int i = 0; i < N; i++) {
        all[i].s = (double)(next_rand() % 97) / 8.0;          /* ties */
        all[i].rowid = 1 + (int64_t)i * 3;
        for (int t = 0; t < T; t++) masks[i][t] = (unsigned char)((i >> t) & 1);
    }
    const int limits[] = { 1, 7, 64, 65, 400, N, N + 50 };
    for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
        int limit = limits[li];
        lmx_bm25_top top;
        CHECK_EQ_INT(lmx_bm25_top_init(&top, limit, T), LM_OK);
        /* Rows in a shuffled order: the collector must not rely on order. */
        int perm[N];
        for (int i = 0; i < N; i++) perm[i] = i;
        for (int i = N - 1; i > 0; i--) {
            int j = (int)(next_rand() % (unsigned)(i + 1)), x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
        }
        for (int i = 0; i < N; i++)
            CHECK_EQ_INT(lmx_bm25_top_push(&top, all[perm[i]].s, all[perm[i]].rowid, masks[perm[i]]), LM_OK);
        row sorted[N];
        memcpy(sorted, all, sizeof sorted);
        qsort(sorted, N, sizeof *sorted, row_cmp);
        int want = limit < N ? limit : N;
        CHECK_EQ_INT(top.top.n, want);
        int *order = malloc(sizeof(int) * (size_t)(want ? want : 1));
        lmx_topk_sort(&top.top, order);
        int bad = 0, badmask = 0;
        for (int r = 0; r < top.top.n; r++) {
            int e = order[r];
            bad += top.top.id[e] != sorted[r].rowid || top.top.score[e] != sorted[r].s;
            int i = (int)((top.top.id[e] - 1) / 3);
            badmask += memcmp(top.mask + (size_t)e * T, masks[i], T) != 0;
        }
        CHECK_EQ_INT(bad, 0);
        CHECK_EQ_INT(badmask, 0);
        free(order);
        lmx_bm25_top_free(&top);
    }
    /* limit 0 keeps nothing; negative arguments are refused; NaN never
       enters. */
    lmx_bm25_top top;
    CHECK_EQ_INT(lmx_bm25_top_init(&top, 0, 2), LM_OK);
    CHECK_EQ_INT(lmx_bm25_top_push(&top, 1.0, 5, (const unsigned char *)"\1\1"), LM_OK);
    CHECK_EQ_INT(top.top.n, 0);
    lmx_bm25_top_free(&top);
    CHECK_EQ_INT(lmx_bm25_top_init(&top, -1, 2), LM_EINVAL);
    CHECK_EQ_INT(lmx_bm25_top_init(&top, 3, 0), LM_OK);
    CHECK_EQ_INT(lmx_bm25_top_push(&top, 0.0 / 0.0, 5, NULL), LM_OK);
    CHECK_EQ_INT(top.top.n, 0);
    lmx_bm25_top_free(&top);
}

/* Through SQL on a real index: lm_bm25 with the collector and the cached
   column lengths gives, row for row, the scores of lm_bm25 alone (FTS5's
   per-row length lookup) and keeps the same best rows as ORDER BY. */
static void test_collector_in_sql(void)
{
    lm_db *db = NULL;
    CHECK_EQ_INT(lm_open(&db, ":memory:", 0), LM_OK);
    const char *titles[] = { "碳化硅功率模块封装", "碳化硅晶体生长", "功率模块散热", "锂电池热失控预警",
                             "碳化硅 碳化硅 碳化硅 外延", "封装材料", "PEM燃料电池双极板", "5G基站功率放大器" };
    char buf[512];
    for (int rep = 0; rep < 5; rep++)
        for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
            snprintf(buf, sizeof buf,
                     "{\"id\":\"A%d-%zu\",\"kind\":\"achievement\",\"title\":\"%s\",\"abstract\":\"%.*s说明\"}",
                     rep, i, titles[i], (int)(rep * 6), "补充文字补充文字补充文字补充文字补充文字");
            CHECK_EQ_INT(lm_put(db, buf, LM_NUL_TERMINATED), LM_OK);
        }
    const char *match = "\"\x01" "碳化硅\" OR \"\x01" "功率\" OR \"\x01" "封装\"";
    double params[2 + LMX_NCOLS + 3] = { 1.2, 0.75, 2, 1, 2, 0.5, 1.0, 0.7, 0.4 };
    sqlite3_stmt *plain = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db->store.sql, "SELECT rowid, lm_bm25(fts_achievement, ?1) AS s FROM fts_achievement "
                                    "WHERE fts_achievement MATCH ?2 ORDER BY s DESC, rowid", -1, &plain, NULL), SQLITE_OK);
    if (!plain) { lm_close(db); return; }
    lmx_bm25_top top;
    lmx_bm25_top_init(&top, 6, 3);
    CHECK_EQ_INT(lmx_bm25_scan(&db->store, &db->bm25, LM_ACHIEVEMENT, match, params, NULL, &top), LM_OK);
    CHECK(top.dl != NULL);                  /* the column lengths came from the cache */
    sqlite3_bind_blob(plain, 1, params, sizeof params, SQLITE_STATIC);
    sqlite3_bind_text(plain, 2, match, -1, SQLITE_STATIC);
    int order[6];
    CHECK_EQ_INT(top.top.n, 6);
    lmx_topk_sort(&top.top, order);
    int r = 0, bad = 0;
    while (sqlite3_step(plain) == SQLITE_ROW && r < top.top.n) {
        int e = order[r++];
        bad += sqlite3_column_int64(plain, 0) != top.top.id[e] || sqlite3_column_double(plain, 1) != top.top.score[e];
    }
    CHECK_EQ_INT(r, 6);
    CHECK_EQ_INT(bad, 0);
    /* The masks say which of the three terms each kept row holds. */
    for (int i = 0; i < top.top.n; i++) CHECK(top.mask[(size_t)order[i] * 3] == 1);   /* 碳化硅 in all best rows */
    lmx_bm25_top_free(&top);
    /* A filter keeps only matching rows: a region nobody has. */
    lmx_filter f = { "新疆", 0, NULL, 0, 0 };
    lmx_bm25_top_init(&top, 6, 3);
    CHECK_EQ_INT(lmx_bm25_scan(&db->store, &db->bm25, LM_ACHIEVEMENT, match, params, &f, &top), LM_OK);
    CHECK_EQ_INT(top.top.n, 0);
    lmx_bm25_top_free(&top);
    /* A collector whose term count disagrees with the query is an error. */
    lmx_bm25_top_init(&top, 6, 2);
    CHECK_EQ_INT(lmx_bm25_scan(&db->store, &db->bm25, LM_ACHIEVEMENT, match, params, NULL, &top), LM_EDB);
    CHECK_CONTAINS(lm_errmsg(db), "lm_bm25: bad parameters");
    lmx_bm25_top_free(&top);
    sqlite3_finalize(plain);
    lm_close(db);
}

int main(void)
{
    RUN(test_collector_equals_sort);
    RUN(test_collector_in_sql);
    return lmt_done();
}
