/*
** auth.h -- the bearer token of lmatch-serve: read from a file, compared in
** constant time.
*/
#ifndef SVC_AUTH_H
#define SVC_AUTH_H

#include <stddef.h>

#define SVC_TOKEN_MAX 4096   /* bytes of a token */

/*
** Read the token: the file's first line, without surrounding white space.
** Returns a new string (free()), or NULL with a message in err (an empty
** file, a token over SVC_TOKEN_MAX bytes, an unreadable file).  *warn is set
** to a static warning (file readable by others, short token) or NULL.
*/
char *svc_token_load(const char *path, char *err, size_t errlen, const char **warn);

/*
** Whether the first `len` bytes of `given` equal `token` (tlen bytes), in
** time that depends only on `tlen` and `len`, never on where they differ:
** every byte is compared, with no early exit.
*/
int svc_token_equal(const char *given, size_t len, const char *token, size_t tlen);

/*
** Check an Authorization header value against the token: 0 when it is
** "Bearer <token>", 1 when the header is missing or not a Bearer credential
** (401), 2 when it names another token (403).
*/
int svc_auth_check(const char *header, const char *token);

#endif
