/*
** reply.c -- responses: JSON bodies and the error object
**   {"error":{"code":"ERECORD","status":400,"message":"...","field":"..."}}
** with the HTTP status that a libmatch status code maps to.
*/
#include "service.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

static const char *const lm_codes[] = {
    "OK", "ERROR", "ENOMEM", "EINVAL", "EJSON", "ERECORD", "EINVAL_UTF8", "ETOOBIG",
    "ENOTFOUND", "EIO", "EDB", "EBUSY", "EMISMATCH", "EDICT", "ERANGE", "ESTATE",
    "ENOTDB", "EMISUSE",
};

const char *svc_lm_code(int rc)
{
    if (rc >= 0 && rc < (int)(sizeof lm_codes / sizeof lm_codes[0])) return lm_codes[rc];
    return "ERROR";
}

int svc_lm_status(int rc)
{
    switch (rc) {
    case LM_EJSON: case LM_ERECORD: case LM_EINVAL_UTF8: case LM_EINVAL: case LM_ERANGE:
        return 400;
    case LM_ENOTFOUND: return 404;
    case LM_ETOOBIG: return 413;
    case LM_EMISMATCH: case LM_ESTATE: return 409;
    case LM_EBUSY: return 503;
    default: return 500;
    }
}

void svc_reply(svc_req *r, int status, char *json, void (*freefn)(void *))
{
    if (r->out && r->out_free) r->out_free(r->out);
    r->status = status;
    r->out = json;
    r->out_len = json ? strlen(json) : 0;
    r->out_free = freefn;
    r->out_mime = "application/json; charset=utf-8";
}

void svc_reply_static(svc_req *r, int status, const char *mime, const void *data, size_t len)
{
    if (r->out && r->out_free) r->out_free(r->out);
    r->status = status;
    r->out = (char *)data;
    r->out_len = len;
    r->out_free = NULL;
    r->out_mime = mime;
}

void svc_reply_cjson(svc_req *r, int status, void *cjson)
{
    char *s = cJSON_PrintUnformatted((cJSON *)cjson);
    cJSON_Delete((cJSON *)cjson);
    if (!s) {
        static const char oom[] =
            "{\"error\":{\"code\":\"ENOMEM\",\"status\":500,\"message\":\"out of memory\"}}";
        svc_reply_static(r, 500, "application/json; charset=utf-8", oom, sizeof oom - 1);
        return;
    }
    svc_reply(r, status, s, cJSON_free);
}

static void verror(svc_req *r, int status, const char *code, const char *field,
                   const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddNumberToObject(e, "status", status);
    cJSON_AddStringToObject(e, "message", msg);
    if (field) cJSON_AddStringToObject(e, "field", field);
    if (status == 401) r->auth_challenge = 1;
    if (status == 503 && !r->retry_after) r->retry_after = 1;
    svc_reply_cjson(r, status, root);
}

void svc_error(svc_req *r, int status, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(r, status, code, field, fmt, ap);
    va_end(ap);
}

static void lm_error_v(svc_req *r, int rc, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(r, svc_lm_status(rc), svc_lm_code(rc), field, fmt, ap);
    va_end(ap);
}

void svc_lm_error(svc_req *r, int rc, const char *msg, const char *field)
{
    lm_error_v(r, rc, field, "%s", msg && *msg ? msg : lm_errstr(rc));
}
