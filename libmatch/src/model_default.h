/*
** model_default.h -- the default match model's coefficients, written by
** bench/fit_model.py; do not edit (rerun `make fit-model`).
**
** Fitted 2026-12-03 on AMD EPYC (commit 7bacc89), data digest 515be47d6ed4c585:
**   csl-need2paper: 863 queries, 85610 hits, variants plain/vectors/notags
**   csl-topic: 298 queries, 29543 hits, variants plain/vectors/notags
**   expertise-en: 233 queries, 13080 hits, variants plain/vectors
** Logistic regression of grade >= 1 on the components of the top 100 hits
** of every query (default options; again with lm_vectors_build; again
** without domain tags), every set and variant weighing the same, ridge 1
** on the coefficients.
** cosine kept >= 0.  fields, region, maturity, cosine_ext: set by hand
** (the public sets carry none of them; see PRIORS in bench/fit_model.py).
** Cross-validated figures: bench/README.md ("The match model").
*/
static const lmx_model default_model = {
    -3.97873917, -8.67881015, 12, {
        { LMX_C_BM25, LMX_TF_LOG, -0.593804412 },
        { LMX_C_BM25, LMX_TF_SQRT, 11.2335888 },
        { LMX_C_TOPIC, LMX_TF_LINEAR, 1.50358976 },
        { LMX_C_TOPIC, LMX_TF_SQRT, 2.27473345 },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 2.6105634 },
        { LMX_C_EVIDENCE, LMX_TF_LOG, 1.74120423 },
        { LMX_C_EVIDENCE, LMX_TF_SQRT, 2.2403487 },
        { LMX_C_COSINE, LMX_TF_LINEAR, 0 },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.5 },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.25 },
        { LMX_C_MATURITY, LMX_TF_LINEAR, 0.25 },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 2 },
    }
};
