/*
** service.h -- lmatch-serve, the HTTP/JSON face of libmatch.
**
** Threads and handles (libmatch.h: one lm_db per thread at a time):
**  - libmicrohttpd's polling thread reads requests and writes responses,
**    and answers the requests that need no database (health, options, the
**    OpenAPI description, the console's files) and every error found from
**    the headers alone (route, method, token, size, stop, connections);
**  - N reader threads (--threads), each owning one read-only lm_db for its
**    whole life, run the read endpoints on their own snapshots;
**  - one writer thread owns the only writable lm_db and runs every write,
**    one at a time.
** A request for a worker is queued and its connection suspended; the worker
** fills in the response and resumes the connection (workers.c).
*/
#ifndef SVC_SERVICE_H
#define SVC_SERVICE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <libmatch.h>

#define SVC_NAME "lmatch-serve"

struct MHD_Daemon;
struct MHD_Connection;
typedef struct svc_server svc_server;
typedef struct svc_req svc_req;
typedef struct svc_queue svc_queue;

/* Who runs a route. */
enum { SVC_INLINE = 0, SVC_READ = 1, SVC_WRITE = 2 };

typedef struct svc_route {
    const char *method;            /* "GET", "POST", "PUT", "DELETE" */
    int pattern;                   /* SVC_P_* */
    int runner;                    /* SVC_INLINE, SVC_READ, SVC_WRITE */
    int needs_body;                /* 1: the request has a JSON body */
    void (*run)(svc_req *r, lm_db *db);   /* db is NULL for SVC_INLINE */
} svc_route;

/* URL patterns. */
enum {
    SVC_P_NONE = 0, SVC_P_HEALTH, SVC_P_MATCH, SVC_P_QUERY, SVC_P_ALLOCATE,
    SVC_P_STATS, SVC_P_OPTIONS, SVC_P_OPENAPI, SVC_P_RECORDS, SVC_P_RECORD_KIND,
    SVC_P_RECORD, SVC_P_ASSET
};

typedef struct svc_config {
    const char *db_path;
    const char *listen;            /* HOST:PORT */
    int threads;                   /* reader threads */
    const char *token_file;        /* NULL: writes disabled */
    int auth_reads;                /* reads need the token too */
    int open_reads;                /* off loopback, reads stay open anyway */
    size_t max_body;               /* bytes of a request body */
    unsigned timeout;              /* seconds: idle connection, queue wait, loads */
    unsigned max_connections;
    const char *access_log;        /* file, "-" (stdout) or NULL (none) */
} svc_config;

struct svc_server {
    svc_config cfg;
    char *token;                   /* NULL: writes disabled */
    char *options_json;            /* GET /v1/options, built once */
    struct MHD_Daemon *daemon;
    lm_db **readers;               /* cfg.threads handles */
    lm_db *writer;                 /* NULL when writes are disabled */
    svc_queue *read_q, *write_q;
    pthread_t *threads;            /* readers, then the writer */
    int nthreads;
    double started;                /* monotonic seconds */

    pthread_mutex_t mu;            /* guards what follows */
    pthread_cond_t idle;           /* signalled when in_flight or jobs drop to 0 */
    int stopping;                  /* no new requests (503) */
    int closing;                   /* no new jobs for the workers */
    long jobs;                     /* requests queued or running on a worker */
    long in_flight;                /* requests begun and not completed */
    long connections;              /* open TCP connections */
    uint64_t requests;             /* requests completed */
    uint64_t by_class[6];          /* completed, by status / 100 */

    pthread_mutex_t log_mu;
    FILE *log;                     /* access log, or NULL */
};

/* One HTTP request (libmicrohttpd's per-request closure). */
struct svc_req {
    svc_server *srv;
    struct MHD_Connection *conn;
    char method[12];
    char *path;                    /* decoded URL path, without the query */
    char version[12];
    char client[64];
    double t0;                     /* monotonic seconds at the headers */
    time_t wall0;
    double deadline;               /* t0 + --timeout */
    int admitted;                  /* begun before the stop */
    int over_limit;                /* its connection is over --max-connections */
    int state;                     /* SVC_S_* */

    const svc_route *route;
    int kind;                      /* /v1/records/{kind}[/{id}] */
    char *id;
    const void *asset;             /* SVC_P_ASSET, SVC_P_OPENAPI */
    int jsonl;                     /* PUT body declared JSON Lines */
    int skip_bad;                  /* PUT ?policy=skip_bad */
    long limit, offset;            /* GET /v1/records/{kind} */

    char *body;                    /* request body, NUL-terminated */
    size_t body_len, body_cap;
    int too_big;

    int status;                    /* response */
    char *out;
    size_t out_len;
    void (*out_free)(void *);
    const char *out_mime;
    const char *allow;             /* 405: Allow */
    int auth_challenge;            /* 401/403: WWW-Authenticate */
    int retry_after;               /* 503: Retry-After seconds */
    int close;                     /* Connection: close */
    size_t sent_bytes;

    svc_req *next;                 /* queue link */
};

enum { SVC_S_NEW, SVC_S_READING, SVC_S_QUEUED, SVC_S_DONE, SVC_S_SENT };

/* base.c: monotonic clock in seconds. */
double svc_now(void);

/* http.c: start/stop libmicrohttpd. */
int svc_http_start(svc_server *s, char *err, size_t errlen);
int svc_http_port(svc_server *s);
/* Stop taking requests, wait (at most `grace` seconds) for those in flight,
   stop the daemon.  Returns the number of requests abandoned. */
long svc_http_stop(svc_server *s, double grace);
void svc_log_reopen(svc_server *s);

/* workers.c: queues and threads. */
svc_queue *svc_queue_new(unsigned cap);
void svc_queue_free(svc_queue *q);
/* Queue r and suspend its connection; 0 when the queue is full. */
int svc_queue_submit(svc_queue *q, svc_req *r);
int svc_workers_start(svc_server *s, char *err, size_t errlen);
void svc_workers_stop(svc_server *s);

/* api.c: the routes and their handlers. */
const svc_route *svc_route_find(const char *method, const char *path, int *pattern,
                                const char **allow);
char *svc_options_json(void);

/* reply.c: responses. */
void svc_reply(svc_req *r, int status, char *json, void (*freefn)(void *));
void svc_reply_static(svc_req *r, int status, const char *mime, const void *data, size_t len);
void svc_error(svc_req *r, int status, const char *code, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The error of a failed libmatch call: status from the code, message from
   lm_errmsg(db) (or `msg` when not NULL). */
void svc_lm_error(svc_req *r, int rc, const char *msg, const char *field);
int svc_lm_status(int rc);
const char *svc_lm_code(int rc);
void svc_reply_cjson(svc_req *r, int status, void *cjson);   /* takes ownership */

#endif
