/*
** model.h -- the match model (model.c): a logistic regression that turns a
** hit's score components into the probability that the hit is a relevant
** match (匹配度), the same scale for every query.
**
**   P(relevant) = 1 / (1 + exp(-z)),
**   z = intercept + expert [the hit is an expert]
**       + sum over the terms for the hit's kind of
**         coef x gate(component) x f(component)
**
** A term applies to every hit, to records only (problems and achievements)
** or to experts only: the same component (bm25 of an expert's own profile)
** may mean something else for an expert than for an achievement.
** f is the term's transform: the value itself, its square root, or
** log(1 + 1000 x) (zero at zero, so a component that is absent adds
** nothing).  gate is the component's weight option relative to its default
** (1 by default; 0 turns the component off, 2 doubles its say).
**
** The default model's coefficients are compiled in (model_default.h,
** written by bench/fit_model.py from the public benchmark sets, read by
** features.c, which knows the components); a database
** may hold a model of its own, learned from its judged matches (lm_learn),
** stored as JSON in the meta table.  The JSON form:
**
**   {"format": "libmatch-model/1", "intercept": z0, "expert": z1,
**    "terms": [{"feature": "bm25", "transform": "log", "coef": c,
**               "hits": "all" | "records" | "experts"}, ...],
**    ...provenance keys, ignored when read}
*/
#ifndef LM_MODEL_H
#define LM_MODEL_H

#include <stddef.h>

#define LMX_MODEL_FORMAT    "libmatch-model/1"
#define LMX_MODEL_MAX_TERMS 32

/* Transforms of a term. */
enum { LMX_TF_LINEAR, LMX_TF_SQRT, LMX_TF_LOG, LMX_NTF };
/* The hits a term applies to. */
enum { LMX_HITS_ALL, LMX_HITS_RECORDS, LMX_HITS_EXPERTS, LMX_NHITS };

typedef struct {
    int comp;                /* component index (pipeline.h LMX_C_*) */
    int tf;                  /* LMX_TF_* */
    double coef;
    int hits;                /* LMX_HITS_* */
} lmx_model_term;

typedef struct {
    double intercept;        /* z of a hit whose components are all 0 */
    double expert;           /* added to z for expert hits */
    int n;
    lmx_model_term t[LMX_MODEL_MAX_TERMS];
} lmx_model;

/* The name of a transform ("linear", "sqrt", "log"), NULL when unknown. */
const char *lmx_model_tf_name(int tf);
/* f(x) of a transform. */
double lmx_model_tf(int tf, double x);
/* z of a hit with components comp[] (gate[] per component, NULL: all 1). */
double lmx_model_logit(const lmx_model *m, int is_expert, const double *comp, const double *gate);
/* The logistic function, clipped away from exactly 0 and 1. */
double lmx_sigmoid(double z);

/*
** Read a model from its JSON form; names[0..ncomp) are the component names
** a term's "feature" may be.  LM_OK, or LM_EJSON / LM_ERECORD with a
** message in err (n bytes) naming what is wrong (an unknown feature or
** transform, a coefficient that is not a finite number, too many terms).
*/
int lmx_model_parse(const char *json, const char *const *names, int ncomp, lmx_model *m, char *err, size_t n);
/*
** The JSON form of m (malloc'ed), with the members of the JSON object
** `extra` (may be NULL: "{...}" text) added after the model's own keys.
** NULL when out of memory or when extra is not an object.
*/
char *lmx_model_json(const lmx_model *m, const char *const *names, const char *extra);

#endif
