/* net.h - a connection to the server: TCP with a timeout on connect, every
 * read and every write; TLS on top after net_start_tls. Writes are buffered
 * and leave only when the 64 KiB buffer is full or on net_flush, so that a
 * pipelined flight is one write. */
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

/* Resolves host within timeout_s (an unanswering resolver is given up on) and
 * tries the addresses (IPv6 and IPv4) in turn within timeout_s each (<= 0
 * means 60) and twice timeout_s for all of them; that timeout then bounds
 * every later read line, flush and the TLS handshake. "[::1]" is accepted for "::1". Sets
 * TCP_NODELAY. EX_TEMPFAIL on failure (resolver unreachable, refused,
 * timeout) with a message naming host:port, the last address tried and the
 * reason; EX_NOHOST when the name does not exist (NXDOMAIN), with the hint
 * to check host. */
int net_connect(struct conn **out, const char *host, int port, int timeout_s,
                struct mo_err *err);

/* The connect loop of net_connect over an already resolved list (tests use
 * it to check the fallback from one address to the next). host and port
 * only name the server in messages. */
struct addrinfo;
int net_connect_addrs(struct conn **out, const char *host, int port,
                      const struct addrinfo *list, int timeout_s, struct mo_err *err);

/* TLS handshake over the connection (implicit TLS, or after the STARTTLS
 * reply), bounded by the timeout. Refuses (EX_PROTOCOL, message mentions
 * response injection) when the server sent bytes not yet read: STARTTLS
 * response injection. Name checked and SNI: tc->server_name, else the host
 * given to net_connect. Errors: EX_NOPERM for verification failure or pin
 * mismatch (message has the X509 reason, the server's fingerprint and a
 * hint), EX_TEMPFAIL for a timeout or a cut connection, EX_CONFIG for
 * unusable tls_* files or a malformed fingerprint, EX_PROTOCOL for any other
 * TLS failure. After a failure the connection is dead: only net_close.
 * Returns right after the client's Finished: with TLS 1.3 the next flight
 * (EHLO) needs no extra round trip. */
int net_start_tls(struct conn *c, const struct tls_config *tc, struct mo_err *err);

/* Buffered write (64 KiB buffer); bytes leave only when the buffer fills or
 * on net_flush (a block of 64 KiB or more with an empty buffer goes out
 * directly). Over TLS each flush becomes records of up to 16 KiB. Errors:
 * EX_TEMPFAIL (timeout, "connection closed by server"). */
int net_write(struct conn *c, const void *buf, size_t n, struct mo_err *err);
int net_flush(struct conn *c, struct mo_err *err);

/* Reads one line, CRLF (or LF) removed, into buf of size max (NUL-terminated;
 * max above 16383 is treated as 16383). Flushes pending output first (the
 * reply awaited answers it). A line longer than max-1 is EX_PROTOCOL.
 * Returns the length or -1: EX_TEMPFAIL "timed out after N s while reading
 * from host:port" (the timeout bounds the whole reply: the lines that follow
 * a "NNN-" line share the time of the first) or "connection closed
 * by server host:port". A NUL byte inside the line is copied as is. */
long net_read_line(struct conn *c, char *buf, size_t max, struct mo_err *err);

/* Before a plaintext greeting: waits at most wait_s seconds for the
 * server's first bytes, reading none. 0: they came (or the connection
 * ended: the next read says so); 1: nothing within wait_s, for the caller
 * to judge (a server on port 465 waiting for our TLS ClientHello); -1 with
 * EX_CONFIG when they are a TLS record: the port speaks TLS from the start. */
int net_peek_greeting(struct conn *c, int wait_s, struct mo_err *err);

/* A deadline for everything from now on, besides the timeout of each read and
 * write: the session's start (greeting, TLS, EHLO) or one transaction, so
 * that a server that keeps each wait just under the timeout still cannot
 * hold us for long. Past it every wait fails with EX_TEMPFAIL ("HOST is too
 * slow: ..."). seconds <= 0 removes it. */
void net_set_deadline(struct conn *c, int seconds);

/* True when bytes from the server are already buffered (read but unused). */
bool net_has_buffered_input(const struct conn *c);

bool net_is_tls(const struct conn *c);
/* Fills info after a handshake; -1 when the connection is not TLS. */
int net_tls_info(const struct conn *c, struct tls_info *info);

/* Channel binding data for SCRAM-PLUS: "tls-exporter" (RFC 9266, 32 bytes,
 * TLS 1.3 only: -1 on TLS 1.2) or "tls-server-end-point" (RFC 5929, any
 * version: hash of the server certificate, SHA-256 unless its signature uses
 * SHA-384/512). Returns bytes written into out or -1 (also when not TLS). */
long net_channel_binding(const struct conn *c, const char *type,
                         unsigned char *out, size_t max);

/* "127.0.0.1" / "::1" of the peer actually connected to. */
const char *net_peer_address(const struct conn *c);

/* Our end of the connection as an RFC 5321 address literal, "[192.0.2.1]"
 * or "[IPv6:2001:db8::1]", written into buf; 0, or -1 if unknown. */
int net_local_literal(const struct conn *c, char *buf, size_t size);

/* Round trips since connect (for the benchmark, tests and --debug): the
 * number of times the client needed data from the server after having sent
 * something (the first read, for the greeting, counts too). A reply split
 * into many segments counts once; each handshake flight the client waits
 * for counts once (TLS 1.3: 1, TLS 1.2: 2). */
unsigned net_wait_count(const struct conn *c);

/* Sends TLS close_notify without waiting for the server's, closes the socket,
 * frees. NULL is fine. Unflushed output is dropped. */
void net_close(struct conn *c);

#endif
