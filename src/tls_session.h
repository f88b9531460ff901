/* tls_session.h - the OpenSSL side of a connection, which net.c drives over
 * a non-blocking socket. Only net.c (and tls.c) include it; the rest of
 * mailout sees TLS through net.h and tls.h. */
#ifndef MAILOUT_TLS_SESSION_H
#define MAILOUT_TLS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "tls.h"

struct tls_session;

/* Result of one step of a non-blocking TLS operation. */
enum tls_io {
    TLS_IO_DONE,        /* finished (or *done bytes moved) */
    TLS_IO_WANT_READ,   /* poll the socket for POLLIN, then call again */
    TLS_IO_WANT_WRITE,  /* poll the socket for POLLOUT, then call again */
    TLS_IO_CLOSED,      /* the peer closed the connection (EOF / close_notify) */
    TLS_IO_ERROR        /* err filled */
};

/* Prepares a client session on the connected socket fd: protocol floor,
 * trust store (system or tc->trust_file), name check against
 * tc->server_name (or default_name when it is NULL; an IP literal is
 * checked as an IP and not sent as SNI), fingerprint pin, client
 * certificate. NULL with err (EX_CONFIG for unusable files). */
struct tls_session *tls_session_new(const struct tls_config *tc,
                                    const char *default_name, int fd,
                                    struct mo_err *err);

/* One handshake step. On TLS_IO_ERROR err says why: EX_NOPERM for a
 * certificate that fails verification or the pin, EX_TEMPFAIL when the
 * connection was cut, EX_PROTOCOL for any other TLS failure. */
enum tls_io tls_handshake(struct tls_session *ts, struct mo_err *err);

/* Reads/writes at most n bytes; *done tells how many moved on TLS_IO_DONE. */
enum tls_io tls_read(struct tls_session *ts, void *buf, size_t n,
                     size_t *done, struct mo_err *err);
enum tls_io tls_write(struct tls_session *ts, const void *buf, size_t n,
                      size_t *done, struct mo_err *err);

/* Round trips seen at the socket since the session began, handshake
 * included: reads from the socket that follow a write (TLS 1.3 handshake:
 * 1, TLS 1.2: 2; then one per request/reply). */
unsigned tls_round_trips(const struct tls_session *ts);

/* Bytes decrypted inside OpenSSL but not yet returned by tls_read. */
bool tls_pending(const struct tls_session *ts);

void tls_session_info(const struct tls_session *ts, struct tls_info *info);
long tls_session_channel_binding(const struct tls_session *ts, const char *type,
                                 unsigned char *out, size_t max);

/* Sends close_notify without waiting for the peer's, frees the session.
 * The socket stays open. NULL is fine. */
void tls_session_free(struct tls_session *ts);

#endif
