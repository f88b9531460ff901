/* resolve.h - name resolution that can be given up on. getaddrinfo() may
 * wait for the resolver's own timeouts and retries (30 s and more with an
 * unanswering server); this bounds it. */
#ifndef MAILOUT_RESOLVE_H
#define MAILOUT_RESOLVE_H

#include <netdb.h>

/* Returned instead of an EAI_* code when the bound passed. */
#define RESOLVE_TIMED_OUT 1

/* getaddrinfo(name, service, hints, res) that returns within timeout_ms:
 * 0 with *res to free with freeaddrinfo, an EAI_* code, or RESOLVE_TIMED_OUT.
 * An abandoned lookup goes on in its own thread and its result is dropped
 * (a few hundred bytes, once per process). */
int resolve_bounded(const char *name, const char *service, const struct addrinfo *hints,
                    int timeout_ms, struct addrinfo **res);

#endif
