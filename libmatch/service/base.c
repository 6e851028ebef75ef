/*
** base.c -- what every part of the service reads and nothing here calls
** back: the monotonic clock, and the lookup in the table of embedded files
** (assets.h).  api.c, workers.c and http.c all sit above it.
*/
#include "service.h"
#include "assets.h"

#include <string.h>
#include <time.h>

double svc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const svc_asset *svc_asset_find(const char *path)
{
    if (!strcmp(path, "/")) path = "/index.html";
    for (const svc_asset *a = svc_assets; a->path; a++)
        if (!strcmp(a->path, path)) return a;
    return NULL;
}
