/*
** test_options.c -- the options handle and the option registry: every
** option is named, typed and bounded; lookups by name; typed and by-name
** setters agree with the bounds; messages name the option and the value.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "libmatch.h"
#include "lmtest.h"

static void test_registry_enumerates_unique_names(void)
{
    int n = lm_opt_count();
    CHECK(n >= 30);
    for (int i = 0; i < n; i++) {
        int key = lm_opt_key(i);
        const char *name = lm_opt_name(key);
        CHECK(key > 0);
        CHECK(name && *name);
        CHECK(lm_opt_help(key) && *lm_opt_help(key));
        int t = lm_opt_type(key);
        CHECK(t >= LM_OPT_TYPE_INT && t <= LM_OPT_TYPE_LIST);
        int found = 0;
        CHECK_EQ_INT(lm_opt_find(name, &found), LM_OK);
        CHECK_EQ_INT(found, key);
        for (int j = 0; j < i; j++) CHECK(strcmp(lm_opt_name(lm_opt_key(j)), name) != 0);
        double def, lo, hi;
        CHECK_EQ_INT(lm_opt_bounds(key, &def, &lo, &hi), LM_OK);
        CHECK(lo <= hi);
        if (t == LM_OPT_TYPE_INT || t == LM_OPT_TYPE_DOUBLE) CHECK(def >= lo && def <= hi);
    }
    CHECK_EQ_INT(lm_opt_key(n), 0);
    CHECK_EQ_INT(lm_opt_key(-1), 0);
    int key = 7;
    CHECK_EQ_INT(lm_opt_find("no_such_option", &key), LM_ENOTFOUND);
    CHECK_EQ_INT(key, 0);
    CHECK_EQ_INT(lm_opt_find(NULL, &key), LM_EINVAL);
    CHECK(lm_opt_name(9999) == NULL);
    CHECK_EQ_INT(lm_opt_type(9999), 0);
    CHECK_EQ_INT(lm_opt_bounds(9999, NULL, NULL, NULL), LM_EINVAL);
}

static void test_registry_matches_header(void)
{
    int key;
    CHECK_EQ_INT(lm_opt_find("k", &key), LM_OK);
    CHECK_EQ_INT(key, LM_OPT_K);
    CHECK_EQ_INT(lm_opt_find("w_bm25", &key), LM_OK);
    CHECK_EQ_INT(key, LM_OPT_W_BM25);
    CHECK_EQ_INT(lm_opt_find("w_cosine_ext", &key), LM_OK);
    CHECK_EQ_INT(key, LM_OPT_W_COSINE_EXT);
    CHECK_EQ_INT(lm_opt_find("fusion", &key), LM_OK);
    CHECK_EQ_INT(key, LM_OPT_FUSION);
    CHECK_EQ_INT(lm_opt_find("field", &key), LM_OK);
    CHECK_EQ_INT(lm_opt_type(key), LM_OPT_TYPE_LIST);
    CHECK_EQ_INT(lm_opt_type(LM_OPT_REGION), LM_OPT_TYPE_STRING);
    CHECK_EQ_INT(lm_opt_type(LM_OPT_MIN_SCORE), LM_OPT_TYPE_DOUBLE);
    double def, lo, hi;
    CHECK_EQ_INT(lm_opt_bounds(LM_OPT_K, &def, &lo, &hi), LM_OK);
    CHECK(def == 10 && lo == 1 && hi == LM_MAX_K);
    CHECK_EQ_INT(lm_opt_bounds(LM_OPT_BM25_B, &def, &lo, &hi), LM_OK);
    CHECK(def == 0.75 && lo == 0 && hi == 1);
    CHECK_STR(lm_opt_choices(LM_OPT_EVIDENCE_MODE), "max|sum|topm");
    CHECK_STR(lm_opt_choices(LM_OPT_FUSION), "weighted|rrf|model");
    CHECK(lm_opt_choices(LM_OPT_K) == NULL);
}

static void test_defaults_are_the_registrys(void)
{
    lm_opts *o = NULL;
    CHECK_EQ_INT(lm_opts_new(&o), LM_OK);
    for (int i = 0; i < lm_opt_count(); i++) {
        int key = lm_opt_key(i);
        double def;
        lm_opt_bounds(key, &def, NULL, NULL);
        if (lm_opt_type(key) == LM_OPT_TYPE_INT) {
            int64_t v = -1;
            CHECK_EQ_INT(lm_opts_get_int(o, key, &v), LM_OK);
            CHECK_EQ_INT(v, (int64_t)def);
        } else if (lm_opt_type(key) == LM_OPT_TYPE_DOUBLE) {
            double v = -1;
            CHECK_EQ_INT(lm_opts_get_double(o, key, &v), LM_OK);
            CHECK(v == def);
        }
    }
    int64_t iv;
    CHECK_EQ_INT(lm_opts_get_int(o, LM_OPT_W_BM25, &iv), LM_EINVAL);   /* wrong type */
    lm_opts_free(o);
}

static void test_set_by_name(void)
{
    lm_opts *o = NULL;
    lm_opts_new(&o);
    int64_t iv;
    double dv;
    CHECK_EQ_INT(lm_opts_set(o, "k", "25"), LM_OK);
    lm_opts_get_int(o, LM_OPT_K, &iv);
    CHECK_EQ_INT(iv, 25);
    CHECK_EQ_INT(lm_opts_set(o, "w_topic", "0.125"), LM_OK);
    lm_opts_get_double(o, LM_OPT_W_TOPIC, &dv);
    CHECK(dv == 0.125);
    CHECK_EQ_INT(lm_opts_set(o, "fusion", "rrf"), LM_OK);
    lm_opts_get_int(o, LM_OPT_FUSION, &iv);
    CHECK_EQ_INT(iv, LM_FUSION_RRF);
    CHECK_EQ_INT(lm_opts_set(o, "evidence_mode", "topm"), LM_OK);
    lm_opts_get_int(o, LM_OPT_EVIDENCE_MODE, &iv);
    CHECK_EQ_INT(iv, LM_EVIDENCE_TOPM);
    CHECK_EQ_INT(lm_opts_set(o, "evidence_mode", "2"), LM_OK);
    lm_opts_get_int(o, LM_OPT_EVIDENCE_MODE, &iv);
    CHECK_EQ_INT(iv, LM_EVIDENCE_SUM);
    CHECK_EQ_INT(lm_opts_set(o, "region", "陕西省西安市"), LM_OK);
    CHECK_EQ_INT(lm_opts_set(o, "field", "新材料"), LM_OK);
    CHECK_EQ_INT(lm_opts_set(o, "field", "航空航天"), LM_OK);

    /* Errors name the option and the value; the value is kept. */
    CHECK_EQ_INT(lm_opts_set(o, "k", "abc"), LM_EINVAL);
    CHECK_CONTAINS(lm_opts_errmsg(o), "'k'");
    CHECK_CONTAINS(lm_opts_errmsg(o), "not a whole number");
    CHECK_EQ_INT(lm_opts_set(o, "k", "12x"), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set(o, "k", ""), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set(o, "k", "0"), LM_ERANGE);
    CHECK_CONTAINS(lm_opts_errmsg(o), "not in 1..10000");
    CHECK_EQ_INT(lm_opts_set(o, "k", "99999999999999999999999"), LM_EINVAL);
    lm_opts_get_int(o, LM_OPT_K, &iv);
    CHECK_EQ_INT(iv, 25);
    CHECK_EQ_INT(lm_opts_set(o, "fusion", "median"), LM_EINVAL);
    CHECK_CONTAINS(lm_opts_errmsg(o), "weighted|rrf");
    CHECK_EQ_INT(lm_opts_set(o, "w_bm25", "nan"), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set(o, "w_bm25", "-1"), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set(o, "bm25_b", "1.5"), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set(o, "w_bm25", NULL), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set(o, "nope", "1"), LM_ENOTFOUND);
    CHECK_CONTAINS(lm_opts_errmsg(o), "unknown option 'nope'");
    CHECK_EQ_INT(lm_opts_set(o, NULL, "1"), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set(NULL, "k", "1"), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set(o, "k", "7"), LM_OK);
    CHECK_STR(lm_opts_errmsg(o), "not an error");
    lm_opts_free(o);
}

static void test_typed_setters(void)
{
    lm_opts *o = NULL;
    lm_opts_new(&o);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_K, 0), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_K, LM_MAX_K), LM_OK);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_OFFSET, 1000001), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_int(o, LM_OPT_W_BM25, 1), LM_EINVAL);          /* a double option */
    CHECK_CONTAINS(lm_opts_errmsg(o), "lm_opts_set_double");
    CHECK_EQ_INT(lm_opts_set_double(o, LM_OPT_K, 1), LM_EINVAL);            /* an int option */
    CHECK_EQ_INT(lm_opts_set_double(o, LM_OPT_W_BM25, INFINITY), LM_ERANGE);
    CHECK_EQ_INT(lm_opts_set_double(o, LM_OPT_MIN_SCORE, -0.5), LM_OK);
    CHECK_EQ_INT(lm_opts_set_int(o, 12345, 1), LM_EINVAL);
    /* A string that is only too long is LM_ETOOBIG, not a UTF-8 error. */
    char big[1100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_REGION, big), LM_ETOOBIG);
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_REGION, "\xff\xfe"), LM_EINVAL_UTF8);
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_K, "1"), LM_EINVAL);
    CHECK_EQ_INT(lm_opts_set_str(o, LM_OPT_FIELD, NULL), LM_OK);
    lm_opts_free(o);
    lm_opts_free(NULL);
    CHECK_STR(lm_opts_errmsg(NULL), "no options handle (NULL)");
}

int main(void)
{
    RUN(test_registry_enumerates_unique_names);
    RUN(test_registry_matches_header);
    RUN(test_defaults_are_the_registrys);
    RUN(test_set_by_name);
    RUN(test_typed_setters);
    return lmt_done();
}
