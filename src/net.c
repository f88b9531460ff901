/* net.c - the connection: non-blocking socket, every wait a poll() bounded by
 * the account's timeout, buffered output that leaves only when full or on
 * net_flush, buffered input read by lines. TLS (tls.c) rides on the same
 * loop, so the timeout bounds the handshake and TLS I/O too. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "i18n.h"
#include "net.h"
#include "resolve.h"
#include "tls_session.h"
#include "util.h"

#define NET_INBUF 16384
#define NET_OUTBUF 65536

struct conn {
    int fd;
    int timeout_s;
    char *where;                /* "host:port" / "[v6]:port" for messages */
    char *host;
    char peer[64];              /* numeric address connected to */
    struct tls_session *tls;
    unsigned char in[NET_INBUF];
    size_t in_start, in_end, in_scanned;
    unsigned char *out;
    size_t out_len;
    unsigned long sent;         /* plaintext bytes written to the socket */
    unsigned long sent_at_wait; /* sent at the last counted wait */
    bool waited;                /* a wait was counted already */
    unsigned waits;
    long long reply_deadline;   /* the reply being read ends by then */
    bool in_reply;              /* the last line was "NNN-": more follow */
    long long stage_deadline;   /* net_set_deadline; 0: none */
    int stage_s;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A round trip is a read that needs data after the client sent something
 * (or the very first read, for the greeting). Several reads for one reply
 * however the server's bytes were split count once. Over TLS, tls.c counts
 * the same way at the socket, where handshake flights are visible. */
static void note_wait(struct conn *c)
{
    if (c->tls)
        return;
    if (!c->waited || c->sent != c->sent_at_wait) {
        c->waits++;
        c->waited = true;
        c->sent_at_wait = c->sent;
    }
}

enum dir { DIR_READ, DIR_WRITE, DIR_HANDSHAKE };

static int timeout_err(struct conn *c, enum dir d, struct mo_err *err)
{
    if (d == DIR_READ)
        return mo_err_set(err, EX_TEMPFAIL, _("timed out after %d s while reading from %s"),
                          c->timeout_s, c->where);
    if (d == DIR_WRITE)
        return mo_err_set(err, EX_TEMPFAIL, _("timed out after %d s while writing to %s"),
                          c->timeout_s, c->where);
    return mo_err_set(err, EX_TEMPFAIL, _("timed out after %d s during the TLS handshake with %s"),
                      c->timeout_s, c->where);
}

static int stage_err(struct conn *c, struct mo_err *err)
{
    return mo_err_set(err, EX_TEMPFAIL,
                      _("%s is too slow: this step was not done within the %d s it is "
                        "allowed (if the server is merely slow, raise timeout: the limit "
                        "grows with it)"),
                      c->where, c->stage_s);
}

/* Waits until fd is ready for events or the deadline (or the stage's) passes. */
static int wait_fd(struct conn *c, short events, long long deadline, enum dir d,
                   struct mo_err *err)
{
    for (;;) {
        long long now = now_ms();
        if (c->stage_deadline && c->stage_deadline < deadline && c->stage_deadline <= now)
            return stage_err(c, err);
        long long left = (c->stage_deadline && c->stage_deadline < deadline
                          ? c->stage_deadline : deadline) - now;
        if (left <= 0)
            return timeout_err(c, d, err);
        struct pollfd p = { .fd = c->fd, .events = events };
        int r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
        if (r > 0)
            return 0;           /* ready, or an error the next call reports */
        if (r < 0 && errno != EINTR)
            return mo_err_set(err, EX_OSERR, _("poll: %s"), strerror(errno));
    }
}

static char *format_where(const char *host, int port)
{
    if (strchr(host, ':'))
        return xasprintf("[%s]:%d", host, port);
    return xasprintf("%s:%d", host, port);
}

static const char *gai_message(int r)
{
    if (r == EAI_NONAME || r == EAI_NODATA)
        return _("no such host");
    if (r == EAI_AGAIN)
        return _("temporary failure in name resolution");
    if (r == EAI_SYSTEM)
        return strerror(errno);
    return gai_strerror(r);
}

/* One address: non-blocking connect bounded by timeout_ms. Returns the fd or
 * -1 with *why set to an errno value (ETIMEDOUT for our own timeout). */
static int try_address(const struct addrinfo *ai, long long timeout_ms, int *why)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *why = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        *why = errno;
        close(fd);
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int r = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *why = r == 0 ? ETIMEDOUT : errno;
            close(fd);
            return -1;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr == 0)
            return fd;
        *why = soerr;
        close(fd);
        return -1;
    }
}

static struct conn *conn_new(int fd, const char *host, int port, int timeout_s,
                             const struct addrinfo *ai)
{
    struct conn *c = xcalloc(1, sizeof *c);
    int one = 1;

    /* Flights are flushed explicitly; Nagle would only delay them. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->timeout_s = timeout_s;
    c->host = xstrdup(host);
    c->where = format_where(host, port);
    c->out = xmalloc(NET_OUTBUF);
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, c->peer, sizeof c->peer, NULL, 0,
                    NI_NUMERICHOST) != 0)
        c->peer[0] = '\0';
    return c;
}

/* A name with many addresses that all drop the SYN must not hold the caller
 * for timeout x addresses: all of them together get this many timeouts. */
#define CONNECT_ROUNDS 2

/* The error of a connect that reached no address: the last one tried and
 * why, and how many were left untried when the time ran out. */
static int connect_failed(const char *host, int port, const char *lastaddr, int last,
                          size_t tried, size_t total, int timeout_s, struct mo_err *err)
{
    char *where = format_where(host, port);

    if (tried < total)
        mo_err_set(err, EX_TEMPFAIL, _("cannot connect to %s: no answer within %d s from the %zu of its %zu addresses tried (the last, %s: %s)"),
                   where, CONNECT_ROUNDS * timeout_s, tried, total, lastaddr,
                   last == ETIMEDOUT ? _("timed out") : strerror(last));
    else if (last == ETIMEDOUT)
        mo_err_set(err, EX_TEMPFAIL, _("cannot connect to %s (%s): timed out after %d s"),
                   where, lastaddr, timeout_s);
    else
        mo_err_set(err, EX_TEMPFAIL, _("cannot connect to %s (%s): %s"), where, lastaddr,
                   strerror(last));
    free(where);
    return -1;
}

int net_connect(struct conn **out, const char *host, int port, int timeout_s,
                struct mo_err *err)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16], name[256];

    *out = NULL;
    if (timeout_s <= 0)
        timeout_s = 60;
    /* "[::1]" as written in URLs and mail configs is the literal ::1. */
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof name) {
        memcpy(name, host + 1, hl - 2);
        name[hl - 2] = '\0';
    } else {
        snprintf(name, sizeof name, "%s", host);
    }
    snprintf(portstr, sizeof portstr, "%d", port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int r = resolve_bounded(name, portstr, &hints, timeout_s * 1000, &res);
    if (r != 0) {
        char *where = format_where(name, port);
        if (r == RESOLVE_TIMED_OUT)
            mo_err_set(err, EX_TEMPFAIL,
                       _("cannot connect to %s: no answer from the name resolver within %d s"),
                       where, timeout_s);
        /* The name does not exist (NXDOMAIN, or no address): a typo in
         * host, not worth five days of retries. A resolver that does not
         * answer (EAI_AGAIN) stays temporary. */
        else if (r == EAI_NONAME || r == EAI_NODATA)
            mo_err_set(err, EX_NOHOST, _("cannot connect to %s: no such host: the name %s does not exist in DNS; check host in the account's configuration"),
                       where, name);
        else
            mo_err_set(err, EX_TEMPFAIL, _("cannot connect to %s: %s"), where, gai_message(r));
        free(where);
        return -1;
    }
    r = net_connect_addrs(out, name, port, res, timeout_s, err);
    freeaddrinfo(res);
    return r;
}

int net_connect_addrs(struct conn **out, const char *host, int port,
                      const struct addrinfo *list, int timeout_s, struct mo_err *err)
{
    int last = ENOENT;
    char lastaddr[64] = "";
    size_t tried = 0, total = 0;
    long long end;

    *out = NULL;
    if (timeout_s <= 0)
        timeout_s = 60;
    end = now_ms() + (long long)CONNECT_ROUNDS * timeout_s * 1000;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
        total++;
    for (const struct addrinfo *ai = list; ai && now_ms() < end; ai = ai->ai_next) {
        long long left = end - now_ms();
        int fd = try_address(ai, left < timeout_s * 1000LL ? left : timeout_s * 1000LL, &last);
        tried++;
        if (fd >= 0) {
            *out = conn_new(fd, host, port, timeout_s, ai);
            return 0;
        }
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, lastaddr, sizeof lastaddr, NULL, 0,
                        NI_NUMERICHOST) != 0)
            lastaddr[0] = '\0';
    }
    return connect_failed(host, port, lastaddr, last, tried, total, timeout_s, err);
}

/* Sends n bytes, waiting (bounded) while the socket is full. */
static int send_all(struct conn *c, const unsigned char *p, size_t n, struct mo_err *err)
{
    long long deadline = now_ms() + (long long)c->timeout_s * 1000;

    while (n > 0) {
        size_t done = 0;
        short want = POLLOUT;
        if (c->tls) {
            enum tls_io r = tls_write(c->tls, p, n, &done, err);
            if (r == TLS_IO_ERROR)
                return -1;
            if (r == TLS_IO_WANT_READ)
                want = POLLIN;
        } else {
            ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w > 0) {
                done = (size_t)w;
                c->sent += done;
            } else if (errno == EPIPE || errno == ECONNRESET) {
                return mo_err_set(err, EX_TEMPFAIL, _("connection closed by server"));
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return mo_err_set(err, EX_TEMPFAIL, _("error writing to %s: %s"), c->where,
                                  strerror(errno));
            }
        }
        if (done > 0) {
            p += done;
            n -= done;
            deadline = now_ms() + (long long)c->timeout_s * 1000;
            continue;
        }
        if (wait_fd(c, want, deadline, DIR_WRITE, err) < 0)
            return -1;
    }
    return 0;
}

int net_flush(struct conn *c, struct mo_err *err)
{
    if (c->out_len == 0)
        return 0;
    size_t n = c->out_len;
    c->out_len = 0;
    return send_all(c, c->out, n, err);
}

int net_write(struct conn *c, const void *buf, size_t n, struct mo_err *err)
{
    const unsigned char *p = buf;

    while (n > 0) {
        if (c->out_len == 0 && n >= NET_OUTBUF)
            return send_all(c, p, n, err);      /* big block: no copy */
        size_t room = NET_OUTBUF - c->out_len;
        size_t k = n < room ? n : room;
        memcpy(c->out + c->out_len, p, k);
        c->out_len += k;
        p += k;
        n -= k;
        if (c->out_len == NET_OUTBUF && net_flush(c, err) < 0)
            return -1;
    }
    return 0;
}

/* Reads more bytes into the input buffer. Returns 1, 0 at end of stream, -1. */
static int read_more_input(struct conn *c, long long deadline, struct mo_err *err)
{
    if (c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
        c->in_end -= c->in_start;
        c->in_scanned -= c->in_start;
        c->in_start = 0;
    }
    note_wait(c);
    for (;;) {
        size_t room = sizeof c->in - c->in_end, got = 0;
        short want = POLLIN;
        if (c->tls) {
            enum tls_io r = tls_read(c->tls, c->in + c->in_end, room, &got, err);
            if (r == TLS_IO_ERROR)
                return -1;
            if (r == TLS_IO_CLOSED)
                return 0;
            if (r == TLS_IO_WANT_WRITE)
                want = POLLOUT;
        } else {
            ssize_t n = recv(c->fd, c->in + c->in_end, room, 0);
            if (n == 0)
                return 0;
            if (n > 0)
                got = (size_t)n;
            else if (errno == ECONNRESET)
                return 0;
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return mo_err_set(err, EX_TEMPFAIL, _("error reading from %s: %s"), c->where,
                                  strerror(errno));
        }
        if (got > 0) {
            c->in_end += got;
            return 1;
        }
        if (wait_fd(c, want, deadline, DIR_READ, err) < 0)
            return -1;
    }
}

long net_read_line(struct conn *c, char *buf, size_t max, struct mo_err *err)
{
    /* The timeout bounds a whole reply, not each of its lines: a server
     * that drips one line per interval cannot hold us for lines x timeout. */
    if (!c->in_reply)
        c->reply_deadline = now_ms() + (long long)c->timeout_s * 1000;
    long long deadline = c->reply_deadline;

    if (max < 2)
        return mo_err_set(err, EX_SOFTWARE, _("internal error: %s"),
                          "net_read_line: buffer too small");
    if (max > sizeof c->in - 1)
        max = sizeof c->in - 1;
    /* The reply we are about to wait for answers what is still buffered. */
    if (net_flush(c, err) < 0)
        return -1;
    for (;;) {
        if (c->in_scanned < c->in_start)
            c->in_scanned = c->in_start;
        unsigned char *nl = memchr(c->in + c->in_scanned, '\n', c->in_end - c->in_scanned);
        if (nl) {
            size_t len = (size_t)(nl - (c->in + c->in_start));
            size_t next = (size_t)(nl - c->in) + 1;
            if (len > 0 && c->in[c->in_start + len - 1] == '\r')
                len--;
            if (len > max - 1)
                return mo_err_set(err, EX_PROTOCOL,
                                  _("%s sent a line longer than %zu bytes"), c->where, max - 1);
            memcpy(buf, c->in + c->in_start, len);
            buf[len] = '\0';
            c->in_reply = len >= 4 && buf[3] == '-';
            c->in_start = c->in_scanned = next;
            if (c->in_start == c->in_end)
                c->in_start = c->in_end = c->in_scanned = 0;
            return (long)len;
        }
        c->in_scanned = c->in_end;
        /* max-1 characters and a CR may precede the LF; more cannot. */
        if (c->in_end - c->in_start > max)
            return mo_err_set(err, EX_PROTOCOL, _("%s sent a line longer than %zu bytes"),
                              c->where, max - 1);
        int r = read_more_input(c, deadline, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return mo_err_set(err, EX_TEMPFAIL, _("connection closed by server %s"), c->where);
    }
}

static bool tls_record_start(const unsigned char *b, size_t n)
{
    /* handshake (22) or alert (21), then major version 3 */
    return n >= 1 && (b[0] == 0x16 || b[0] == 0x15) && (n < 2 || b[1] == 0x03);
}

int net_peek_greeting(struct conn *c, int wait_s, struct mo_err *err)
{
    unsigned char b[2];
    ssize_t n;

    if (c->tls != NULL)
        return 0;
    if (c->in_end > c->in_start) {
        n = (ssize_t)(c->in_end - c->in_start);
        memcpy(b, c->in + c->in_start, n > 2 ? 2 : (size_t)n);
    } else {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        long long deadline = now_ms() + (long long)wait_s * 1000;
        int r;
        do {
            long long left = deadline - now_ms();
            r = left > 0 ? poll(&p, 1, (int)left) : 0;
        } while (r < 0 && errno == EINTR);
        if (r == 0)
            return 1;
        do
            n = recv(c->fd, b, sizeof b, MSG_PEEK);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
            return 0;   /* closed or an error: the read that follows says so */
    }
    if (tls_record_start(b, (size_t)n))
        return mo_err_set(err, EX_CONFIG,
                          _("%s sent a TLS record instead of a greeting: it speaks TLS from the start; set tls = implicit"),
                          c->where);
    return 0;
}

void net_set_deadline(struct conn *c, int seconds)
{
    c->stage_s = seconds;
    c->stage_deadline = seconds > 0 ? now_ms() + (long long)seconds * 1000 : 0;
}

bool net_has_buffered_input(const struct conn *c)
{
    return c->in_end > c->in_start || tls_pending(c->tls);
}

/* Bytes the kernel holds for us that we have not read. Before our
 * ClientHello the server has no reason to send anything. */
static bool socket_has_input(const struct conn *c)
{
    unsigned char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0;
}

int net_start_tls(struct conn *c, const struct tls_config *tc, struct mo_err *err)
{
    if (c->tls)
        return mo_err_set(err, EX_SOFTWARE, _("internal error: %s"),
                          "net_start_tls: TLS already active");
    if (net_flush(c, err) < 0)
        return -1;
    /* Implicit TLS (nothing sent or read yet) at a server that speaks
     * first in plain text: a greeting, on a port that expects STARTTLS. */
    if (c->sent == 0 && c->waits == 0 && c->in_end == 0
            && (net_has_buffered_input(c) || socket_has_input(c)))
        return mo_err_set(err, EX_CONFIG,
                          _("%s greets in plain text before any TLS: this port expects STARTTLS; set tls = starttls"),
                          c->where);
    if (net_has_buffered_input(c) || socket_has_input(c))
        return mo_err_set(err, EX_PROTOCOL,
                          _("%s sent data before the TLS handshake (possible response "
                            "injection by a man in the middle); refusing to continue"),
                          c->where);
    c->tls = tls_session_new(tc, c->host, c->fd, err);
    if (c->tls == NULL)
        return -1;
    long long deadline = now_ms() + (long long)c->timeout_s * 1000;
    for (;;) {
        enum tls_io r = tls_handshake(c->tls, err);
        if (r == TLS_IO_DONE)
            return 0;
        if (r == TLS_IO_ERROR || r == TLS_IO_CLOSED) {
            if (r == TLS_IO_CLOSED)
                mo_err_set(err, EX_TEMPFAIL,
                           _("connection closed by server during the TLS handshake with %s"),
                           c->where);
            break;
        }
        if (wait_fd(c, r == TLS_IO_WANT_READ ? POLLIN : POLLOUT, deadline, DIR_HANDSHAKE,
                    err) < 0)
            break;
    }
    /* No way back to plaintext after a failed handshake. */
    c->waits += tls_round_trips(c->tls);
    tls_session_free(c->tls);
    c->tls = NULL;
    shutdown(c->fd, SHUT_RDWR);
    return -1;
}

bool net_is_tls(const struct conn *c)
{
    return c && c->tls;
}

int net_tls_info(const struct conn *c, struct tls_info *info)
{
    if (!c || !c->tls)
        return -1;
    tls_session_info(c->tls, info);
    return 0;
}

long net_channel_binding(const struct conn *c, const char *type,
                         unsigned char *out, size_t max)
{
    if (!c || !c->tls)
        return -1;
    return tls_session_channel_binding(c->tls, type, out, max);
}

const char *net_peer_address(const struct conn *c)
{
    return c->peer;
}

int net_local_literal(const struct conn *c, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN];

    if (getsockname(c->fd, (struct sockaddr *)&ss, &len) != 0
        || getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0,
                       NI_NUMERICHOST) != 0)
        return -1;
    /* an IPv4 peer reached over a v4-mapped socket is written as IPv4 */
    const char *v4 = strncmp(host, "::ffff:", 7) == 0 && strchr(host + 7, ':') == NULL
                     ? host + 7 : NULL;
    int n = v4 ? snprintf(buf, size, "[%s]", v4)
               : ss.ss_family == AF_INET6 ? snprintf(buf, size, "[IPv6:%s]", host)
               : snprintf(buf, size, "[%s]", host);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

unsigned net_wait_count(const struct conn *c)
{
    return c ? c->waits + (c->tls ? tls_round_trips(c->tls) : 0) : 0;
}

void net_close(struct conn *c)
{
    if (c == NULL)
        return;
    tls_session_free(c->tls);
    close(c->fd);
    /* the buffer held AUTH responses: no copy of them is left behind */
    OPENSSL_cleanse(c->out, NET_OUTBUF);
    free(c->out);
    free(c->where);
    free(c->host);
    free(c);
}
