/*
** model_default.h -- the default match model's coefficients, written by
** bench/fit_model.py; do not edit (rerun `make fit-model`).
**
** Fitted 2026-12-03 on AMD EPYC (commit 3c04959), data digest 515be47d6ed4c585:
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
    -4.48536881, -7.79490973, 19, {
        { LMX_C_BM25, LMX_TF_LOG, -0.392395464, LMX_HITS_RECORDS },
        { LMX_C_BM25, LMX_TF_SQRT, 11.3530744, LMX_HITS_RECORDS },
        { LMX_C_TOPIC, LMX_TF_LINEAR, -4.05074734, LMX_HITS_RECORDS },
        { LMX_C_TOPIC, LMX_TF_SQRT, 6.766673, LMX_HITS_RECORDS },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 3.35028926, LMX_HITS_RECORDS },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.5, LMX_HITS_RECORDS },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.25, LMX_HITS_RECORDS },
        { LMX_C_MATURITY, LMX_TF_LINEAR, 0.25, LMX_HITS_RECORDS },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 2, LMX_HITS_RECORDS },
        { LMX_C_EVIDENCE, LMX_TF_LOG, 1.82077722, LMX_HITS_EXPERTS },
        { LMX_C_EVIDENCE, LMX_TF_SQRT, 1.07841265, LMX_HITS_EXPERTS },
        { LMX_C_BM25, LMX_TF_LOG, -0.196197732, LMX_HITS_EXPERTS },
        { LMX_C_BM25, LMX_TF_SQRT, 5.67653722, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC, LMX_TF_LINEAR, -2.02537367, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC, LMX_TF_SQRT, 3.3833365, LMX_HITS_EXPERTS },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 1.67514463, LMX_HITS_EXPERTS },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.25, LMX_HITS_EXPERTS },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.125, LMX_HITS_EXPERTS },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 1, LMX_HITS_EXPERTS },
    }
};
