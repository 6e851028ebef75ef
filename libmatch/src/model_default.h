/*
** model_default.h -- the default match model's coefficients, written by
** bench/fit_model.py; do not edit (rerun /usr/bin/python3 bench/fit_model.py).
**
** Fitted 2026-12-03 on AMD EPYC (commit 6bf41bc), data digest 515be47d6ed4c585:
**   csl-need2paper: 863 queries, 86203 hits, variants plain/vectors/notags
**   csl-topic: 298 queries, 29800 hits, variants plain/vectors/notags
**   expertise-en: 233 queries, 13080 hits, variants plain/vectors
** Logistic regression of grade >= 1 on the components of the top 100 hits
** of every query (default options; again with lm_vectors_build; again
** without domain tags), every set and variant weighing the same, ridge 1
** on the coefficients; records from the achievement sets, experts (their
** evidence) from the expert set.  Set by hand (see bench/fit_model.py):
** records' fields, region, maturity, cosine_ext (the public sets carry none);
** experts' own profile terms = 0.5 x the records' of a fit without the query's
** context (public profiles are empty; an empty one is no evidence against).
** Cross-validated figures: bench/README.md ("The match model").
*/
static const lmx_model default_model = {
    -1.39770594, -10.8823111, 24, {
        { LMX_C_BM25, LMX_TF_LOG, -0.522798523, LMX_HITS_RECORDS },
        { LMX_C_BM25, LMX_TF_SQRT, 10.3471023, LMX_HITS_RECORDS },
        { LMX_C_TOPIC, LMX_TF_LINEAR, 6.00707124, LMX_HITS_RECORDS },
        { LMX_C_TOPIC, LMX_TF_SQRT, 9.31494136, LMX_HITS_RECORDS },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 3.00145376, LMX_HITS_RECORDS },
        { LMX_C_COSINE, LMX_TF_LINEAR, 0.154568067, LMX_HITS_RECORDS },
        { LMX_C_LATENT_TOPIC, LMX_TF_LINEAR, 4.73781147, LMX_HITS_RECORDS },
        { LMX_C_TOPIC_BEST, LMX_TF_LINEAR, -8.16537856, LMX_HITS_RECORDS },
        { LMX_C_BM25_BEST, LMX_TF_SQRT, -8.72581901, LMX_HITS_RECORDS },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.5, LMX_HITS_RECORDS },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.25, LMX_HITS_RECORDS },
        { LMX_C_MATURITY, LMX_TF_LINEAR, 0.25, LMX_HITS_RECORDS },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 2, LMX_HITS_RECORDS },
        { LMX_C_EVIDENCE, LMX_TF_LOG, 1.82079968, LMX_HITS_EXPERTS },
        { LMX_C_EVIDENCE, LMX_TF_SQRT, 1.07893063, LMX_HITS_EXPERTS },
        { LMX_C_BM25, LMX_TF_LOG, -0.128791753, LMX_HITS_EXPERTS },
        { LMX_C_BM25, LMX_TF_SQRT, 2.71392721, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC, LMX_TF_LINEAR, -3.7134707, LMX_HITS_EXPERTS },
        { LMX_C_TOPIC, LMX_TF_SQRT, 5.49470414, LMX_HITS_EXPERTS },
        { LMX_C_KEYWORD_MATCH, LMX_TF_LINEAR, 1.55709155, LMX_HITS_EXPERTS },
        { LMX_C_COSINE, LMX_TF_LINEAR, 0.297094578, LMX_HITS_EXPERTS },
        { LMX_C_FIELDS, LMX_TF_LINEAR, 0.25, LMX_HITS_EXPERTS },
        { LMX_C_REGION, LMX_TF_LINEAR, 0.125, LMX_HITS_EXPERTS },
        { LMX_C_COSINE_EXT, LMX_TF_LINEAR, 1, LMX_HITS_EXPERTS },
    }
};
