/*
** http.c -- libmicrohttpd glue: per-request state, what is decided from the
** headers alone (route, method, token, body size, stop, connection limit),
** the body, handing the request to a worker, the response, the access log.
*/
#include "service.h"
#include "assets.h"
#include "auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

/* ---- access log ---------------------------------------------------------- */

/* Common Log Format, then the time taken: control characters, quotes and
   backslashes of the path are escaped so a request cannot forge lines. */
static void log_request(svc_server *s, svc_req *r, int completed)
{
    if (!s->log) return;
    char path[1024];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(r->path ? r->path : "-");
         *p && n + 5 < sizeof path; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            n += (size_t)snprintf(path + n, sizeof path - n, "\\x%02x", *p);
        else
            path[n++] = (char)*p;
    }
    path[n] = 0;
    struct tm tm;
    char when[64];
    localtime_r(&r->wall0, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S %z", &tm);
    pthread_mutex_lock(&s->log_mu);
    fprintf(s->log, "%s - - [%s] \"%s %s %s\" %d %zu %.3fms%s\n", r->client, when, r->method, path,
            r->version, r->status ? r->status : 0, r->sent_bytes, (svc_now() - r->t0) * 1e3,
            completed ? "" : " aborted");
    fflush(s->log);
    pthread_mutex_unlock(&s->log_mu);
}

void svc_log_reopen(svc_server *s)
{
    const char *p = s->cfg.access_log;
    if (!p || !strcmp(p, "-")) return;
    pthread_mutex_lock(&s->log_mu);
    FILE *f = fopen(p, "a");
    if (f) {
        if (s->log) fclose(s->log);
        s->log = f;
    } else {
        fprintf(stderr, "%s: cannot reopen the access log %s: %s\n", SVC_NAME, p, strerror(errno));
    }
    pthread_mutex_unlock(&s->log_mu);
}

/* ---- requests ------------------------------------------------------------ */

static void req_free(svc_req *r)
{
    if (!r) return;
    if (r->out && r->out_free) r->out_free(r->out);
    free(r->path);
    free(r->id);
    free(r->body);
    free(r);
}

static enum MHD_Result send_reply(svc_req *r)
{
    struct MHD_Response *resp;
    if (r->out_free)
        resp = MHD_create_response_from_buffer_with_free_callback(r->out_len, r->out, r->out_free);
    else
        resp = MHD_create_response_from_buffer(r->out_len, r->out, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    r->out = NULL;                 /* the response owns it now */
    r->out_free = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->out_mime);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->route && r->route->pattern == SVC_P_ASSET) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    } else {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    if (r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->auth_challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                r->status == 403 ? "Bearer realm=\"lmatch\", error=\"invalid_token\""
                                                 : "Bearer realm=\"lmatch\"");
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (r->close) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    r->sent_bytes = r->out_len;
    r->state = SVC_S_SENT;
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static int is_jsonl_type(const char *ct)
{
    if (!ct) return 0;
    static const char *const types[] = {"application/x-ndjson", "application/ndjson", "application/jsonl",
                                        "application/x-jsonlines", "application/jsonlines"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strncasecmp(ct, types[i], strlen(types[i]))) return 1;
    return 0;
}

static int parse_long_arg(svc_req *r, const char *name, long def, long lo, long hi, long *out)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    *out = def;
    if (!v) return 1;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        svc_error(r, 400, "EINVAL", name, "query parameter %s=%s is not a whole number in %ld..%ld",
                  name, v, lo, hi);
        return 0;
    }
    *out = x;
    return 1;
}

/* Everything that can be decided from the request line and the headers.
   Sets a response (state DONE) when the request stops here. */
static void admit(svc_server *s, svc_req *r)
{
    if (!r->admitted) {
        r->close = 1;
        svc_error(r, 503, "ESTOPPING", NULL, "the service is stopping; try again later");
        return;
    }
    if (r->over_limit) {
        r->close = 1;
        svc_error(r, 503, "EBUSY", NULL, "too many connections (--max-connections %u); try again later",
                  s->cfg.max_connections);
        return;
    }
    int pattern = 0;
    const char *allow = NULL;
    const svc_route *rt = svc_route_find(r->method, r->path, &pattern, &allow);
    if (!pattern) {
        svc_error(r, 404, "ENOTFOUND", NULL, "no such resource: %s (the API is under /v1/, described at "
                  "/v1/openapi.json)", r->path);
        return;
    }
    if (!rt) {
        r->allow = allow;
        svc_error(r, 405, "EMETHOD", NULL, "%s is not allowed on %s (allowed: %s)", r->method, r->path, allow);
        return;
    }
    r->route = rt;
    if (pattern == SVC_P_ASSET || pattern == SVC_P_OPENAPI) {
        r->asset = svc_asset_find(pattern == SVC_P_OPENAPI ? "/v1/openapi.json" : r->path);
        if (!r->asset) {
            svc_error(r, 404, "ENOTFOUND", NULL, "no such resource: %s", r->path);
            return;
        }
    }
    if (pattern == SVC_P_RECORD || pattern == SVC_P_RECORD_KIND) {
        const char *k = r->path + strlen("/v1/records/");
        const char *slash = strchr(k, '/');
        size_t kl = slash ? (size_t)(slash - k) : strlen(k);
        char kind[16] = "";
        if (kl < sizeof kind) memcpy(kind, k, kl), kind[kl] = 0;
        r->kind = lm_kind_from_name(kind);
        if (!r->kind) {
            svc_error(r, 404, "ENOTFOUND", "kind", "'%.*s' is not a kind (problem, achievement, expert)",
                      (int)(kl > 64 ? 64 : kl), k);
            return;
        }
        if (slash) {
            r->id = strdup(slash + 1);
            if (!r->id) { svc_error(r, 500, "ENOMEM", NULL, "out of memory"); return; }
        }
    }
    /* Token: writes always; reads when --auth-reads (never health, the
       OpenAPI description or the console's files). */
    int needs_token = rt->runner == SVC_WRITE ||
                      (s->cfg.auth_reads && rt->runner == SVC_READ) ||
                      (s->cfg.auth_reads && pattern == SVC_P_OPTIONS);
    if (rt->runner == SVC_WRITE && !s->token) {
        svc_error(r, 403, "EFORBIDDEN", NULL, "writes are disabled: start %s with --token-file to allow "
                  "them", SVC_NAME);
        return;
    }
    if (needs_token) {
        const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        int a = svc_auth_check(h, s->token);
        if (a == 1) {
            svc_error(r, 401, "EAUTH", NULL, "%s needs a token: send 'Authorization: Bearer <token>'",
                      rt->runner == SVC_WRITE ? "writing" : "reading (--auth-reads)");
            return;
        }
        if (a == 2) {
            r->auth_challenge = 1;
            svc_error(r, 403, "EFORBIDDEN", NULL, "the token is not valid");
            return;
        }
    }
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || *end || n > s->cfg.max_body) {
            r->close = 1;
            svc_error(r, 413, "ETOOBIG", NULL, "the request body (%s bytes) is over --max-body %zu bytes",
                      cl, s->cfg.max_body);
            return;
        }
    }
    if (pattern == SVC_P_RECORDS) {
        r->jsonl = is_jsonl_type(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                            MHD_HTTP_HEADER_CONTENT_TYPE));
        const char *pol = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "policy");
        if (pol && strcmp(pol, "atomic") && strcmp(pol, "skip_bad")) {
            svc_error(r, 400, "EINVAL", "policy", "policy=%s: use atomic (the default: a bad line stores "
                      "nothing) or skip_bad", pol);
            return;
        }
        r->skip_bad = pol && !strcmp(pol, "skip_bad");
    }
    if (pattern == SVC_P_RECORD_KIND) {
        if (!parse_long_arg(r, "limit", 100, 1, LM_MAX_K, &r->limit)) return;
        if (!parse_long_arg(r, "offset", 0, 0, 1000000000L, &r->offset)) return;
    }
    r->state = SVC_S_READING;
}

/* The body is in: run the request here, or hand it to a worker (returns 1:
   the connection is suspended, and `r` belongs to the worker until it
   resumes it). */
static int dispatch(svc_server *s, svc_req *r)
{
    if (r->too_big) {
        r->close = 1;
        svc_error(r, 413, "ETOOBIG", NULL, "the request body is over --max-body %zu bytes", s->cfg.max_body);
        return 0;
    }
    if (!r->route->needs_body && r->body_len) {
        svc_error(r, 400, "EINVAL", NULL, "%s %s takes no body", r->method, r->path);
        return 0;
    }
    if (r->route->needs_body && !r->body_len) {
        svc_error(r, 400, "EJSON", NULL, "%s %s needs a JSON body", r->method, r->path);
        return 0;
    }
    if (r->route->runner == SVC_INLINE) {
        r->route->run(r, NULL);
        return 0;
    }
    svc_queue *q = r->route->runner == SVC_WRITE ? s->write_q : s->read_q;
    pthread_mutex_lock(&s->mu);
    int closing = s->closing;
    if (!closing) s->jobs++;
    pthread_mutex_unlock(&s->mu);
    if (closing) {
        r->close = 1;
        svc_error(r, 503, "ESTOPPING", NULL, "the service is stopping; try again later");
        return 0;
    }
    if (svc_queue_submit(q, r)) return 1;
    pthread_mutex_lock(&s->mu);
    if (--s->jobs == 0) pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    svc_error(r, 503, "EBUSY", NULL, "the service is busy (%s queue full); try again later",
              r->route->runner == SVC_WRITE ? "write" : "read");
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    svc_server *s = cls;
    svc_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->srv = s;
        r->conn = c;
        r->t0 = svc_now();
        r->wall0 = time(NULL);
        r->deadline = r->t0 + s->cfg.timeout;
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->version, sizeof r->version, "%s", version);
        r->path = strdup(url);
        if (!r->path) { free(r); return MHD_NO; }
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        strcpy(r->client, "-");
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client, sizeof r->client);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client, sizeof r->client);
        }
        const union MHD_ConnectionInfo *sc = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->over_limit = sc && sc->socket_context != NULL;
        pthread_mutex_lock(&s->mu);
        r->admitted = !s->stopping;
        s->in_flight++;
        pthread_mutex_unlock(&s->mu);
        *con_cls = r;
        admit(s, r);
        if (r->state == SVC_S_NEW) {        /* refused from the headers, before any body */
            if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH))
                r->close = 1;
            return send_reply(r);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->state != SVC_S_READING || r->too_big) return MHD_YES;
        if (r->body_len + n > s->cfg.max_body) {       /* chunked bodies: counted as they come */
            r->too_big = 1;
            free(r->body);
            r->body = NULL;
            r->body_len = r->body_cap = 0;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 4096;
            while (cap < r->body_len + n + 1) cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b) return MHD_NO;
            r->body = b;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload, n);
        r->body_len += n;
        r->body[r->body_len] = 0;
        return MHD_YES;
    }
    if (r->state == SVC_S_READING) {
        if (dispatch(s, r)) return MHD_YES;
        return send_reply(r);
    }
    if (r->state == SVC_S_DONE) return send_reply(r);   /* resumed by a worker */
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    svc_server *s = cls;
    svc_req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    log_request(s, r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    pthread_mutex_lock(&s->mu);
    s->requests++;
    int cl = r->status / 100;
    if (cl >= 1 && cl <= 5) s->by_class[cl]++;
    if (--s->in_flight == 0) pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    req_free(r);
}

/* Connections over --max-connections are still accepted (up to a hard
   limit above it), marked, and answered 503 with Connection: close. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    svc_server *s = cls;
    pthread_mutex_lock(&s->mu);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        s->connections++;
        *socket_context = s->connections > (long)s->cfg.max_connections ? (void *)s : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        s->connections--;
    }
    pthread_mutex_unlock(&s->mu);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: libmicrohttpd: ", SVC_NAME);
    vfprintf(stderr, fmt, ap);
}

/* ---- start and stop ----------------------------------------------------- */

static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl, char *err, size_t errlen)
{
    char host[256], port[16];
    const char *colon = strrchr(spec, ':');
    if (!colon) {                                   /* PORT alone: loopback */
        snprintf(host, sizeof host, "127.0.0.1");
        snprintf(port, sizeof port, "%s", spec);
    } else {
        size_t hl = (size_t)(colon - spec);
        if (hl >= sizeof host || strlen(colon + 1) >= sizeof port) {
            snprintf(err, errlen, "--listen %s: too long", spec);
            return -1;
        }
        memcpy(host, spec, hl);
        host[hl] = 0;
        snprintf(port, sizeof port, "%s", colon + 1);
        if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
            memmove(host, host + 1, hl - 2);
            host[hl - 2] = 0;
        }
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) {
        snprintf(err, errlen, "--listen %s: '%s' is not a port number (0..65535)", spec, port);
        return -1;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "--listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
    }
    return 0;
}

static struct sockaddr_storage listen_addr;
static socklen_t listen_len;

/* Resolve --listen; whether it is a loopback address in *loopback. */
int svc_listen_resolve(const char *spec, int *loopback, char *err, size_t errlen);
int svc_listen_resolve(const char *spec, int *loopback, char *err, size_t errlen)
{
    if (parse_listen(spec, &listen_addr, &listen_len, err, errlen) != 0) return -1;
    *loopback = is_loopback(&listen_addr);
    return 0;
}

int svc_http_start(svc_server *s, char *err, size_t errlen)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (listen_addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    /* Past --max-connections, connections are answered 503; past this hard
       limit the kernel's accept is followed by an immediate close. */
    unsigned hard = s->cfg.max_connections + 16;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&listen_addr,
                                 MHD_OPTION_CONNECTION_LIMIT, hard,
                                 MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 128,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on %s (address in use, or not an address of this machine?)",
                 s->cfg.listen);
        return -1;
    }
    return 0;
}

int svc_http_port(svc_server *s)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

long svc_http_stop(svc_server *s, double grace)
{
    if (!s->daemon) return 0;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_mutex_unlock(&s->mu);
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);   /* no new connections */
    if (fd != MHD_INVALID_SOCKET) close(fd);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)grace;
    pthread_mutex_lock(&s->mu);
    while (s->in_flight > 0)
        if (pthread_cond_timedwait(&s->idle, &s->mu, &until) == ETIMEDOUT) break;
    long left = s->in_flight;
    /* Past the grace period, requests still reading their body are cut
       off; those on a worker are waited for (their connection must exist
       when the worker resumes it). */
    s->closing = 1;
    while (s->jobs > 0) pthread_cond_wait(&s->idle, &s->mu);
    pthread_mutex_unlock(&s->mu);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    return left;
}
