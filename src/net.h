/* net.h - a connection to the server: TCP with a timeout on connect, every
 * read and every write; TLS on top after net_start_tls. Writes are buffered
 * and leave only on net_flush, so that a pipelined flight is one write. */
#ifndef MAILOUT_NET_H
#define MAILOUT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "tls.h"

/* Longest line net_read_line accepts (RFC 5321 reply line is 512; we allow
 * more but bounded). */
#define NET_LINE_MAX 4096

struct conn;

/* Resolves host and tries every address (IPv6 and IPv4) in turn within
 * timeout_s each. Sets TCP_NODELAY. EX_TEMPFAIL on failure (DNS, refused,
 * timeout) with a message naming host and port. */
int net_connect(struct conn **out, const char *host, int port, int timeout_s,
                struct mo_err *err);

/* TLS handshake over the connection (implicit TLS, or after the STARTTLS
 * reply). Refuses (EX_PROTOCOL) when the server sent bytes not yet read:
 * STARTTLS response injection. Verification failure is EX_NOPERM. */
int net_start_tls(struct conn *c, const struct tls_config *tc, struct mo_err *err);

/* Buffered write; flushed when the buffer fills or on net_flush. */
int net_write(struct conn *c, const void *buf, size_t n, struct mo_err *err);
int net_flush(struct conn *c, struct mo_err *err);

/* Reads one line, CRLF (or LF) removed, into buf of size max (NUL-terminated).
 * A line longer than max-1 is EX_PROTOCOL. Returns the length or -1
 * (EX_TEMPFAIL on timeout or connection loss). */
long net_read_line(struct conn *c, char *buf, size_t max, struct mo_err *err);

/* True when bytes from the server are already buffered (read but unused). */
bool net_has_buffered_input(const struct conn *c);

bool net_is_tls(const struct conn *c);
int net_tls_info(const struct conn *c, struct tls_info *info);

/* Channel binding data for SCRAM-PLUS: "tls-exporter" (TLS 1.3) or
 * "tls-server-end-point" (TLS 1.2). Returns bytes written into out or -1. */
long net_channel_binding(const struct conn *c, const char *type,
                         unsigned char *out, size_t max);

/* "127.0.0.1" / "::1" of the peer actually connected to. */
const char *net_peer_address(const struct conn *c);

/* Count of times the client waited for the server (for the benchmark and
 * --debug): incremented by every blocking read that found no buffered data. */
unsigned net_wait_count(const struct conn *c);

void net_close(struct conn *c);

#endif
