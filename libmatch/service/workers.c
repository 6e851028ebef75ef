/*
** workers.c -- the reader threads and the writer thread, each owning one
** lm_db, fed by bounded queues of requests whose connections are suspended
** meanwhile.
*/
#include "service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

struct svc_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    svc_req *head, *tail;
    unsigned len, cap;
    int closed;
};

svc_queue *svc_queue_new(unsigned cap)
{
    svc_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->cap = cap ? cap : 1;
    return q;
}

void svc_queue_free(svc_queue *q)
{
    if (!q) return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}

/* Called on libmicrohttpd's thread from the request handler.  The
   connection is suspended while the queue lock is held, so a worker cannot
   pop the request (and resume the connection) before it is suspended. */
int svc_queue_submit(svc_queue *q, svc_req *r)
{
    pthread_mutex_lock(&q->mu);
    if (q->closed || q->len >= q->cap) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    r->state = SVC_S_QUEUED;
    MHD_suspend_connection(r->conn);
    r->next = NULL;
    if (q->tail) q->tail->next = r; else q->head = r;
    q->tail = r;
    q->len++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

static svc_req *queue_pop(svc_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed) pthread_cond_wait(&q->cv, &q->mu);
    svc_req *r = q->head;
    if (r) {
        q->head = r->next;
        if (!q->head) q->tail = NULL;
        q->len--;
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

static void queue_close(svc_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

typedef struct worker {
    svc_server *srv;
    svc_queue *q;
    lm_db *db;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    svc_req *r;
    while ((r = queue_pop(w->q)) != NULL) {
        double waited = svc_now() - r->t0;
        if (svc_now() > r->deadline)
            svc_error(r, 503, "ETIMEDOUT", NULL,
                      "the request waited %.1f s for a worker, over --timeout %u s: the service is "
                      "overloaded; try again", waited, w->srv->cfg.timeout);
        else
            r->route->run(r, w->db);
        r->state = SVC_S_DONE;
        MHD_resume_connection(r->conn);
        pthread_mutex_lock(&w->srv->mu);
        if (--w->srv->jobs == 0) pthread_cond_broadcast(&w->srv->idle);
        pthread_mutex_unlock(&w->srv->mu);
    }
    free(w);
    return NULL;
}

int svc_workers_start(svc_server *s, char *err, size_t errlen)
{
    unsigned cap = s->cfg.max_connections ? s->cfg.max_connections : 1;
    s->read_q = svc_queue_new(cap);
    s->write_q = svc_queue_new(cap);
    s->threads = calloc((size_t)s->cfg.threads + 1, sizeof *s->threads);
    if (!s->read_q || !s->write_q || !s->threads) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i <= s->cfg.threads; i++) {
        int is_writer = i == s->cfg.threads;
        if (is_writer && !s->writer) break;
        worker *w = calloc(1, sizeof *w);
        if (!w) { snprintf(err, errlen, "out of memory"); return -1; }
        w->srv = s;
        w->q = is_writer ? s->write_q : s->read_q;
        w->db = is_writer ? s->writer : s->readers[i];
        int rc = pthread_create(&s->threads[i], NULL, worker_main, w);
        if (rc != 0) {
            free(w);
            snprintf(err, errlen, "cannot start a worker thread: %s", strerror(rc));
            return -1;
        }
        s->nthreads++;
    }
    return 0;
}

void svc_workers_stop(svc_server *s)
{
    if (s->read_q) queue_close(s->read_q);
    if (s->write_q) queue_close(s->write_q);
    for (int i = 0; i < s->nthreads; i++) pthread_join(s->threads[i], NULL);
    s->nthreads = 0;
    free(s->threads);
    s->threads = NULL;
    svc_queue_free(s->read_q);
    svc_queue_free(s->write_q);
    s->read_q = s->write_q = NULL;
}
