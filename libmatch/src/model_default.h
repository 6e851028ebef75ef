/*
** model_default.h -- the default match model's coefficients, written by
** bench/fit_model.py; do not edit (rerun /usr/bin/python3 bench/fit_model.py).
**
** Fitted 2026-12-03 on AMD EPYC (commit fa03d74), data digest 515be47d6ed4c585:
**   csl-need2paper: 863 queries, 85610 hits, variants plain/vectors/notags
**   csl-topic: 298 queries, 29543 hits, variants plain/vectors/notags
**   expertise-en: 233 queries, 13080 hits, variants plain/vectors
** Logistic regression of grade >= 1 on the components of the top 100 hits
** of every query (default options; again with lm_vectors_build; again
** without domain tags), every set and variant weighing the same, ridge 1
** on the coefficients; records from the achievement sets, experts (their
** evidence) from the expert set.  Set by hand (see bench/fit_model.py):
** records' fields, region, maturity, cosine_ext (the public sets carry none);
** experts' own profile terms = 0.5 x the records' (public profiles are empty).
** Cross-validated figures: bench/README.md ("The match model").
*/
static const lmx_model default_model = {
    -1.56190455, -10.7181667, 23, {
        { LMX_C_BM25, LMX_TF_LOG, -0.525116479, LMX_HITS_RECORDS },
        { LMX_C_BM25, LMX_TF_SQRT, 14.8587362, LMX_HITS_RECORDS },
        { LMX_C_TOPIC, LMX_TF_LINEAR, 14.0301601, LMX_HITS_RECORDS },
        { LMX_C_TOPIC, LMX_TF_SQRT, 6.02343364, LMX_HITS_RECORDS },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 3.02372522, LMX_HITS_RECORDS },
        { LMX_C_TOPIC_BEST, LMX_TF_LINEAR, -14.349627, LMX_HITS_RECORDS },
        { LMX_C_BM25_BEST, LMX_TF_SQRT, -7.44431929, LMX_HITS_RECORDS },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.5, LMX_HITS_RECORDS },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.25, LMX_HITS_RECORDS },
        { LMX_C_MATURITY, LMX_TF_LINEAR, 0.25, LMX_HITS_RECORDS },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 2, LMX_HITS_RECORDS },
        { LMX_C_EVIDENCE, LMX_TF_LOG, 1.82079406, LMX_HITS_EXPERTS },
        { LMX_C_EVIDENCE, LMX_TF_SQRT, 1.07879783, LMX_HITS_EXPERTS },
        { LMX_C_BM25, LMX_TF_LOG, -0.26255824, LMX_HITS_EXPERTS },
        { LMX_C_BM25, LMX_TF_SQRT, 7.42936809, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC, LMX_TF_LINEAR, 7.01508005, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC, LMX_TF_SQRT, 3.01171682, LMX_HITS_EXPERTS },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 1.51186261, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC_BEST, LMX_TF_LINEAR, -7.1748135, LMX_HITS_EXPERTS },
        { LMX_C_BM25_BEST, LMX_TF_SQRT, -3.72215964, LMX_HITS_EXPERTS },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.25, LMX_HITS_EXPERTS },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.125, LMX_HITS_EXPERTS },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 1, LMX_HITS_EXPERTS },
    }
};
