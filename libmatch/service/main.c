/*
** main.c -- lmatch-serve (also run as `lmatch serve`): the command line,
** opening the handles, the signals, the orderly stop.
**
**   lmatch-serve DB [--listen 127.0.0.1:8080] [--threads N] [--token-file FILE]
**                   [--auth-reads] [--open-reads] [--max-body BYTES] [--timeout SEC]
**                   [--max-connections N] [--access-log FILE|-]
**
** Exit status: 0 after a stop by SIGTERM or SIGINT, 1 when the service
** cannot start (database, address), 2 for a bad command line.
*/
#include "service.h"
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int svc_listen_resolve(const char *spec, int *loopback, char *err, size_t errlen);

static const char *prog = SVC_NAME;

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: %s DB [OPTION]...\n"
        "       lmatch serve DB [OPTION]...   (the same program)\n"
        "Serve the libmatch database DB over HTTP: a JSON API under /v1/ and a web\n"
        "console for matchmaking staff at /.\n"
        "\n"
        "  --listen ADDR          HOST:PORT, [IPv6]:PORT or PORT (default 127.0.0.1:8080;\n"
        "                           port 0 picks a free port, printed on stderr)\n"
        "  --threads N            reader threads, each with its own handle\n"
        "                           (default: the number of CPUs)\n"
        "  --token-file FILE      bearer token (the file's first line): writes (PUT,\n"
        "                           DELETE) need 'Authorization: Bearer TOKEN';\n"
        "                           without it the service is read-only\n"
        "  --auth-reads           reads need the token too (the default off loopback)\n"
        "  --open-reads           off loopback, serve reads without the token anyway\n"
        "  --max-body BYTES       largest request body, e.g. 64M (default 64M); larger\n"
        "                           ones get 413\n"
        "  --timeout SEC          idle connections are closed, a request waiting for a\n"
        "                           worker gets 503, and a bulk load is rolled back\n"
        "                           after SEC seconds (default 30)\n"
        "  --max-connections N    connections served at once; more get 503 (default 64)\n"
        "  --access-log FILE|-    one line per request (Common Log Format and the time\n"
        "                           taken) to FILE, or '-' for stdout (the default);\n"
        "                           SIGHUP reopens FILE\n"
        "      --help             display this help and exit\n"
        "      --version          output version information and exit\n"
        "\n"
        "SIGTERM or SIGINT stops taking requests, lets those in flight finish, closes\n"
        "the database and exits 0.  The API is described at /v1/openapi.json.\n",
        prog);
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    exit(2);
}

static long long parse_num(const char *opt, const char *s, long long lo, long long hi, int suffixes)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno) die_usage("%s: '%s' is not a whole number", opt, s);
    if (suffixes && *end) {
        long long m = 1;
        switch (*end) {
        case 'k': case 'K': m = 1LL << 10; break;
        case 'm': case 'M': m = 1LL << 20; break;
        case 'g': case 'G': m = 1LL << 30; break;
        default: die_usage("%s: '%s': use a number of bytes, or with K, M or G", opt, s);
        }
        end++;
        if (*end == 'B' || *end == 'b') end++;
        if (v > hi / m) die_usage("%s: '%s' is not in %lld..%lld", opt, s, lo, hi);
        v *= m;
    }
    if (*end) die_usage("%s: '%s' is not a whole number", opt, s);
    if (v < lo || v > hi) die_usage("%s: '%s' is not in %lld..%lld", opt, s, lo, hi);
    return v;
}

/* Signals: the handler only writes the signal's number to a pipe that the
   main thread reads (libraries such as OpenBLAS start threads before main,
   so blocking the signals and sigwait() would not catch them all). */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    ssize_t n = write(sig_pipe[1], &c, 1);
    (void)n;
    errno = saved;
}

static int catch_signals(void)
{
    if (pipe2(sig_pipe, O_CLOEXEC) != 0) return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) || sigaction(SIGHUP, &sa, NULL))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void close_handles(svc_server *s)
{
    for (int i = 0; s->readers && i < s->cfg.threads; i++) lm_close(s->readers[i]);
    free(s->readers);
    s->readers = NULL;
    lm_close(s->writer);
    s->writer = NULL;
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    (void)slash;
    static svc_server S;
    svc_server *s = &S;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->cfg.listen = "127.0.0.1:8080";
    s->cfg.threads = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
    s->cfg.max_body = 64u << 20;
    s->cfg.timeout = 30;
    s->cfg.max_connections = 64;
    s->cfg.access_log = "-";

    enum { O_LISTEN = 256, O_THREADS, O_TOKEN, O_AUTH_READS, O_OPEN_READS, O_MAX_BODY, O_TIMEOUT,
           O_MAX_CONN, O_LOG, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        {"listen", required_argument, 0, O_LISTEN},
        {"threads", required_argument, 0, O_THREADS},
        {"token-file", required_argument, 0, O_TOKEN},
        {"auth-reads", no_argument, 0, O_AUTH_READS},
        {"open-reads", no_argument, 0, O_OPEN_READS},
        {"max-body", required_argument, 0, O_MAX_BODY},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"max-connections", required_argument, 0, O_MAX_CONN},
        {"access-log", required_argument, 0, O_LOG},
        {"help", no_argument, 0, O_HELP},
        {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: s->cfg.listen = optarg; break;
        case O_THREADS: s->cfg.threads = (int)parse_num("--threads", optarg, 1, 256, 0); break;
        case O_TOKEN: s->cfg.token_file = optarg; break;
        case O_AUTH_READS: s->cfg.auth_reads = 1; break;
        case O_OPEN_READS: s->cfg.open_reads = 1; break;
        case O_MAX_BODY: s->cfg.max_body = (size_t)parse_num("--max-body", optarg, 1, 1LL << 40, 1); break;
        case O_TIMEOUT: s->cfg.timeout = (unsigned)parse_num("--timeout", optarg, 1, 86400, 0); break;
        case O_MAX_CONN:
            s->cfg.max_connections = (unsigned)parse_num("--max-connections", optarg, 1, 100000, 0);
            break;
        case O_LOG: s->cfg.access_log = optarg; break;
        case O_HELP:
            usage(stdout);
            return fflush(stdout) == 0 ? 0 : 1;
        case O_VERSION:
            printf("%s (libmatch) %s\n", prog, lm_version());
            return fflush(stdout) == 0 ? 0 : 1;
        case ':':
            die_usage("option '%s' requires a value", argv[optind - 1]);
        default:
            if (optopt) die_usage("unknown option '-%c'", optopt);
            die_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) die_usage("missing the database (usage: %s DB [OPTION]...)", prog);
    if (argc - optind > 1) die_usage("unexpected argument '%s'", argv[optind + 1]);
    s->cfg.db_path = argv[optind];
    if (s->cfg.auth_reads && s->cfg.open_reads) die_usage("--auth-reads and --open-reads exclude each other");

    char err[1024];
    int loopback = 0;
    if (svc_listen_resolve(s->cfg.listen, &loopback, err, sizeof err) != 0) die_usage("%s", err);
    if (!loopback && !s->cfg.open_reads) s->cfg.auth_reads = 1;
    if (s->cfg.auth_reads && !s->cfg.token_file)
        die_usage(loopback ? "--auth-reads needs --token-file"
                           : "--listen %s is not a loopback address, so reads need the token too: give "
                             "--token-file (or --open-reads to serve reads to anyone who can connect)",
                  s->cfg.listen);

    if (s->cfg.token_file) {
        const char *warn = NULL;
        s->token = svc_token_load(s->cfg.token_file, err, sizeof err, &warn);
        if (!s->token) { fprintf(stderr, "%s: %s\n", prog, err); return 1; }
        if (warn) fprintf(stderr, "%s: warning: %s: %s\n", prog, s->cfg.token_file, warn);
    }
    if (strcmp(s->cfg.access_log, "-") == 0) {
        s->log = stdout;
    } else if (*s->cfg.access_log) {
        s->log = fopen(s->cfg.access_log, "a");
        if (!s->log) {
            fprintf(stderr, "%s: --access-log %s: %s\n", prog, s->cfg.access_log, strerror(errno));
            return 1;
        }
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    pthread_mutex_init(&s->log_mu, NULL);
    s->started = svc_now();
    s->options_json = svc_options_json();
    if (!s->options_json) { fprintf(stderr, "%s: out of memory\n", prog); return 1; }

    if (catch_signals() != 0) {
        fprintf(stderr, "%s: cannot set up the signals: %s\n", prog, strerror(errno));
        return 1;
    }

    /* The writer first: it creates a new database; then one read-only
       handle per reader thread. */
    int rc;
    if (s->token) {
        rc = lm_open(&s->writer, s->cfg.db_path, 0);
        if (rc != LM_OK) {
            fprintf(stderr, "%s: %s: %s\n", prog, s->cfg.db_path, lm_errmsg(s->writer));
            lm_close(s->writer);
            return 1;
        }
    }
    s->readers = calloc((size_t)s->cfg.threads, sizeof *s->readers);
    if (!s->readers) { fprintf(stderr, "%s: out of memory\n", prog); return 1; }
    for (int i = 0; i < s->cfg.threads; i++) {
        rc = lm_open(&s->readers[i], s->cfg.db_path, LM_OPEN_READONLY);
        if (rc != LM_OK) {
            fprintf(stderr, "%s: %s: %s\n", prog, s->cfg.db_path, lm_errmsg(s->readers[i]));
            close_handles(s);
            return 1;
        }
    }

    if (svc_workers_start(s, err, sizeof err) != 0 || svc_http_start(s, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        svc_workers_stop(s);
        close_handles(s);
        return 1;
    }
    int port = svc_http_port(s);
    const char *host = s->cfg.listen;
    const char *colon = strrchr(host, ':');
    int hl = colon ? (int)(colon - host) : 9;
    if (!colon) host = "127.0.0.1";
    fprintf(stderr, "%s: serving %s at http://%.*s:%d/ (%d reader threads, %s, reads %s)\n", prog,
            s->cfg.db_path, hl, host, port, s->cfg.threads,
            s->token ? "writes with the token" : "read-only: no --token-file",
            s->cfg.auth_reads ? "with the token" : "open");
    fflush(stderr);

    int sig = 0;
    for (;;) {
        unsigned char got;
        ssize_t n = read(sig_pipe[0], &got, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n != 1) break;
        sig = got;
        if (sig == SIGHUP) { svc_log_reopen(s); continue; }
        break;
    }
    fprintf(stderr, "%s: %s: stopping; finishing the requests in flight\n", prog,
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    long left = svc_http_stop(s, (double)s->cfg.timeout + 5);
    svc_workers_stop(s);
    close_handles(s);
    if (s->log && s->log != stdout) fclose(s->log);
    else if (s->log) fflush(s->log);
    free(s->token);
    free(s->options_json);
    if (left) fprintf(stderr, "%s: stopped; %ld requests were still unfinished\n", prog, left);
    else fprintf(stderr, "%s: stopped\n", prog);
    return 0;
}
