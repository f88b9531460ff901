/* test-net.c - the connection layer against servers on 127.0.0.1 and ::1:
 * plain ones in this process (both socket ends visible, so byte counts are
 * exact), TLS ones in a forked child with the certificates of
 * tests/lib/mkcerts.sh. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "net.h"
#include "tap.h"

static char certdir[256];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A listening socket on addr (127.0.0.1 or ::1), port chosen by the kernel. */
static int listen_on(const char *addr, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int v6 = strchr(addr, ':') != NULL, one = 1;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

    memset(&ss, 0, sizeof ss);
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &s4->sin_addr);
        len = sizeof *s4;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0) {
        close(fd);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* A port on 127.0.0.1 where nothing listens. */
static int closed_port(void)
{
    int port = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in s4 = { .sin_family = AF_INET };
    socklen_t len = sizeof s4;

    inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
    bind(fd, (struct sockaddr *)&s4, len);
    getsockname(fd, (struct sockaddr *)&s4, &len);
    port = ntohs(s4.sin_port);
    close(fd);
    return port;
}

static void send_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static int pending_bytes(int fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

/* Client and accepted server socket in this process. */
static struct conn *pair(const char *addr, int timeout, int *sfd)
{
    struct mo_err err = { 0 };
    struct conn *c = NULL;
    int port, lfd = listen_on(addr, &port);

    *sfd = -1;
    if (lfd < 0)
        return NULL;
    if (net_connect(&c, addr, port, timeout, &err) == 0)
        *sfd = accept(lfd, NULL, NULL);
    else
        diag("connect: %s", err.msg);
    close(lfd);
    return c;
}

static void test_connect(void)
{
    struct mo_err err = { 0 };
    struct conn *c = NULL;
    int port = closed_port();
    double t0 = now_s();

    ok(net_connect(&c, "127.0.0.1", port, 5, &err) == -1 && c == NULL, "closed port fails");
    is_int(err.code, EX_TEMPFAIL, "closed port is EX_TEMPFAIL");
    ok(now_s() - t0 < 2, "closed port fails quickly");
    ok(strstr(err.msg, "127.0.0.1:") != NULL, "message names host:port: %s", err.msg);

    memset(&err, 0, sizeof err);
    ok(net_connect(&c, "no-such-host.invalid", 25, 5, &err) == -1, "unknown host fails");
    is_int(err.code, EX_NOHOST, "a name that does not exist is EX_NOHOST: %s", err.msg);
    ok(strstr(err.msg, "check host") != NULL, "  with the hint to check host");
    ok(strstr(err.msg, "no-such-host.invalid:25") != NULL, "message names the host");

    /* First address refuses, the second listens. */
    int lport, lfd = listen_on("::1", &lport);
    struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(lport) };
    inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
    inet_pton(AF_INET6, "::1", &a6.sin6_addr);
    struct addrinfo ai6 = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM,
                            .ai_addr = (struct sockaddr *)&a6, .ai_addrlen = sizeof a6 };
    struct addrinfo ai4 = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                            .ai_addr = (struct sockaddr *)&a4, .ai_addrlen = sizeof a4,
                            .ai_next = &ai6 };
    ok(net_connect_addrs(&c, "localhost", lport, &ai4, 5, &err) == 0,
       "falls back to the next address");
    is_str(c ? net_peer_address(c) : NULL, "::1", "connected to ::1");
    net_close(c);
    c = NULL;
    ai6.ai_next = NULL;
    close(lfd);
    ok(net_connect_addrs(&c, "localhost", lport, &ai4, 5, &err) == -1, "all addresses fail");
    ok(strstr(err.msg, "::1") != NULL, "message names the last address: %s", err.msg);

    /* With a resolver that gives localhost both families, the real path. */
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
    int n = 0;
    if (getaddrinfo("localhost", "25", &hints, &res) == 0) {
        for (struct addrinfo *p = res; p; p = p->ai_next)
            n++;
        char last[64];
        struct addrinfo *p = res;
        while (p->ai_next)
            p = p->ai_next;
        getnameinfo(p->ai_addr, p->ai_addrlen, last, sizeof last, NULL, 0, NI_NUMERICHOST);
        freeaddrinfo(res);
        if (n >= 2 && (lfd = listen_on(last, &lport)) >= 0) {
            ok(net_connect(&c, "localhost", lport, 5, &err) == 0, "localhost: tries every address");
            is_str(c ? net_peer_address(c) : NULL, last, "localhost: reached %s", last);
            net_close(c);
            close(lfd);
        } else {
            ok(1, "# SKIP localhost resolves to one address here");
            ok(1, "# SKIP localhost resolves to one address here");
        }
    }

    /* A full accept queue drops SYNs: the connect must stop at the timeout.
     * Where the kernel completes such connects anyway, the check is skipped. */
    int qport, qfd = listen_on("127.0.0.1", &qport), filler[8], nfill = 0;
    listen(qfd, 0);
    struct sockaddr_in qa = { .sin_family = AF_INET, .sin_port = htons(qport) };
    inet_pton(AF_INET, "127.0.0.1", &qa.sin_addr);
    for (; nfill < 8; nfill++) {
        filler[nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(filler[nfill], (struct sockaddr *)&qa, sizeof qa);
    }
    usleep(100000);
    struct pollfd qp = { .fd = filler[nfill - 1], .events = POLLOUT };
    if (poll(&qp, 1, 0) == 0) {
        t0 = now_s();
        ok(net_connect(&c, "127.0.0.1", qport, 1, &err) == -1, "unanswered connect fails");
        double dt = now_s() - t0;
        ok(err.code == EX_TEMPFAIL && strstr(err.msg, "timed out after 1 s") && dt > 0.9 && dt < 3,
           "connect timeout (%.2f s): %s", dt, err.msg);
        /* Four addresses that all drop the SYN: two timeouts for all of
         * them, not one each; the message says how many were tried. */
        struct addrinfo q[4];
        for (int i = 0; i < 4; i++)
            q[i] = (struct addrinfo){ .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                                      .ai_addr = (struct sockaddr *)&qa, .ai_addrlen = sizeof qa,
                                      .ai_next = i < 3 ? &q[i + 1] : NULL };
        t0 = now_s();
        ok(net_connect_addrs(&c, "many.example", qport, q, 1, &err) == -1, "four unanswered addresses fail");
        dt = now_s() - t0;
        ok(dt < 3.5, "  within twice the timeout for all of them, not 4 s (%.2f s)", dt);
        ok(err.code == EX_TEMPFAIL && strstr(err.msg, "within 2 s from the 2 of its 4 addresses tried")
           && strstr(err.msg, "127.0.0.1: timed out"), "  the message says so: %s", err.msg);
    } else {
        for (int i = 0; i < 5; i++)
            ok(1, "# SKIP this kernel completes connects beyond the accept queue");
    }
    for (int i = 0; i < nfill; i++)
        close(filler[i]);
    close(qfd);

    int sfd;
    c = pair("[::1]", 5, &sfd);
    ok(c != NULL && sfd >= 0, "[::1] literal connects");
    is_str(c ? net_peer_address(c) : NULL, "::1", "peer address ::1");
    net_close(c);
    close(sfd);
}

static void test_lines(void)
{
    struct mo_err err = { 0 };
    char line[NET_LINE_MAX];
    int sfd;
    struct conn *c = pair("127.0.0.1", 2, &sfd);

    if (!c)
        return;
    send_str(sfd, "220 hello\r\n250-a\r\n250 b\n");
    is_int(net_read_line(c, line, sizeof line, &err), 9, "CRLF line length");
    is_str(line, "220 hello", "CRLF removed");
    ok(net_has_buffered_input(c), "rest of the reply is buffered");
    net_read_line(c, line, sizeof line, &err);
    is_str(line, "250-a", "second line");
    net_read_line(c, line, sizeof line, &err);
    is_str(line, "250 b", "LF-only line");
    ok(!net_has_buffered_input(c), "buffer empty");
    is_int(net_wait_count(c), 1, "one reply, one wait");

    /* Longest accepted line, then one byte more. */
    char big[NET_LINE_MAX + 8];
    memset(big, 'A', sizeof big);
    memcpy(big + NET_LINE_MAX - 1, "\r\n", 3);
    send_str(sfd, big);
    is_int(net_read_line(c, line, sizeof line, &err), NET_LINE_MAX - 1, "line of max-1 bytes is fine");
    memset(big, 'B', sizeof big);
    memcpy(big + NET_LINE_MAX, "\r\n", 3);
    send_str(sfd, big);
    is_int(net_read_line(c, line, sizeof line, &err), -1, "line of max bytes is refused");
    is_int(err.code, EX_PROTOCOL, "too long is EX_PROTOCOL: %s", err.msg);
    net_close(c);
    close(sfd);

    /* A flood without newline is refused without reading it all. */
    c = pair("127.0.0.1", 2, &sfd);
    char flood[20000];
    memset(flood, 'x', sizeof flood);
    send(sfd, flood, sizeof flood, MSG_NOSIGNAL);
    is_int(net_read_line(c, line, sizeof line, &err), -1, "flood refused");
    is_int(err.code, EX_PROTOCOL, "flood is EX_PROTOCOL");
    net_close(c);
    close(sfd);

    /* Byte by byte: the child trickles, the reader assembles. */
    int port, lfd = listen_on("::1", &port);
    pid_t pid = fork();
    if (pid == 0) {
        const char *s = "220-first line\r\n220 second\r\n";
        int fd = accept(lfd, NULL, NULL);
        for (; *s; s++) {
            send(fd, s, 1, MSG_NOSIGNAL);
            usleep(2000);
        }
        char b[64];
        while (read(fd, b, sizeof b) > 0)
            ;
        _exit(0);
    }
    close(lfd);
    ok(net_connect(&c, "::1", port, 5, &err) == 0, "connect to the trickling server");
    if (c) {
        net_read_line(c, line, sizeof line, &err);
        is_str(line, "220-first line", "byte by byte: first line");
        net_read_line(c, line, sizeof line, &err);
        is_str(line, "220 second", "byte by byte: second line");
        is_int(net_wait_count(c), 1, "a split reply counts one wait");
        net_close(c);
    }
    waitpid(pid, NULL, 0);
}

static void test_timeout_and_close(void)
{
    struct mo_err err = { 0 };
    char line[NET_LINE_MAX];
    int sfd;
    struct conn *c = pair("127.0.0.1", 1, &sfd);

    if (!c)
        return;
    send_str(sfd, "220 partial");
    double t0 = now_s();
    is_int(net_read_line(c, line, sizeof line, &err), -1, "stalled server: read fails");
    double dt = now_s() - t0;
    is_int(err.code, EX_TEMPFAIL, "stall is EX_TEMPFAIL");
    ok(dt > 0.9 && dt < 3, "after the 1 s timeout (%.2f s)", dt);
    ok(strstr(err.msg, "timed out after 1 s while reading from 127.0.0.1:") != NULL,
       "timeout message: %s", err.msg);
    close(sfd);
    is_int(net_read_line(c, line, sizeof line, &err), -1, "closed by server");
    is_int(err.code, EX_TEMPFAIL, "close is EX_TEMPFAIL");
    ok(strstr(err.msg, "connection closed by server") != NULL, "close message: %s", err.msg);
    net_close(c);

    /* A server that never reads: writes stop at the timeout too. */
    c = pair("127.0.0.1", 1, &sfd);
    static char chunk[1 << 20];
    memset(chunk, 'z', sizeof chunk);
    int r = 0;
    t0 = now_s();
    for (int i = 0; i < 64 && r == 0; i++)
        r = net_write(c, chunk, sizeof chunk, &err);
    ok(r == -1 && err.code == EX_TEMPFAIL, "write to a stalled server times out: %s", err.msg);
    ok(now_s() - t0 < 5, "within bounds");
    net_close(c);
    close(sfd);
}

static void test_buffering(void)
{
    struct mo_err err = { 0 };
    char line[NET_LINE_MAX];
    int sfd;
    struct conn *c = pair("127.0.0.1", 5, &sfd);

    if (!c)
        return;
    for (int i = 0; i < 100; i++)
        net_write(c, "RCPT TO:<someone@example.com>\r\n", 31, &err);
    is_int(pending_bytes(sfd), 0, "nothing leaves before net_flush");
    ok(net_flush(c, &err) == 0, "flush");
    is_int(pending_bytes(sfd), 3100, "flush sends the whole flight");
    char sink[200000];
    recv(sfd, sink, sizeof sink, 0);

    /* A body in small pieces leaves in 64 KiB writes. */
    for (int i = 0; i < 1000; i++)
        net_write(c, sink, 100, &err);
    is_int(pending_bytes(sfd), 65536, "100 000 bytes in 100-byte writes: one 64 KiB write so far");
    net_flush(c, &err);
    is_int(pending_bytes(sfd), 100000, "the rest on flush");
    recv(sfd, sink, 100000, MSG_WAITALL);

    /* Round trips: greeting; EHLO; a second read without sending is the same wait. */
    send_str(sfd, "220 hi\r\n");
    net_read_line(c, line, sizeof line, &err);
    net_write(c, "EHLO x\r\n", 8, &err);
    net_flush(c, &err);
    recv(sfd, sink, 8, MSG_WAITALL);
    send_str(sfd, "250-x\r\n");
    net_read_line(c, line, sizeof line, &err);
    send_str(sfd, "250 y\r\n");
    net_read_line(c, line, sizeof line, &err);
    is_str(line, "250 y", "reply read");
    is_int(net_wait_count(c), 2, "greeting + EHLO = 2 waits");
    /* net_read_line flushes what the caller forgot to flush. */
    net_write(c, "QUIT\r\n", 6, &err);
    send_str(sfd, "221 bye\r\n");
    net_read_line(c, line, sizeof line, &err);
    is_int(pending_bytes(sfd), 6, "read_line flushed the pending QUIT");
    is_int(net_wait_count(c), 3, "QUIT = 3rd wait");
    net_close(c);
    close(sfd);
}

static void test_injection(void)
{
    struct mo_err err = { 0 };
    struct tls_config tc = { .min_version = 12 };
    char line[NET_LINE_MAX];
    int sfd;
    struct conn *c = pair("127.0.0.1", 2, &sfd);

    if (!c)
        return;
    send_str(sfd, "220 ready\r\n250 injected\r\n");
    net_read_line(c, line, sizeof line, &err);
    is_str(line, "220 ready", "STARTTLS reply");
    is_int(net_start_tls(c, &tc, &err), -1, "extra buffered bytes: start_tls refuses");
    is_int(err.code, EX_PROTOCOL, "injection is EX_PROTOCOL");
    ok(strstr(err.msg, "injection") != NULL, "message mentions injection: %s", err.msg);
    net_close(c);
    close(sfd);

    /* The extra bytes arrive after the reply was read: still refused. */
    c = pair("127.0.0.1", 2, &sfd);
    send_str(sfd, "220 ready\r\n");
    net_read_line(c, line, sizeof line, &err);
    send_str(sfd, "250 late\r\n");
    is_int(net_start_tls(c, &tc, &err), -1, "extra bytes in the socket: refused");
    is_int(err.code, EX_PROTOCOL, "still EX_PROTOCOL");
    net_close(c);
    close(sfd);
}

/* ------------------------------------------------------------ TLS server */

enum srv_mode { SRV_ECHO, SRV_STALL, SRV_CUT, SRV_STALL_AFTER, SRV_COUNT, SRV_CLOSE_AFTER,
                SRV_DROP_AFTER };

struct srv_opts {
    const char *cert, *key;
    int max_version;            /* 0: any */
    bool want_client_cert;
    enum srv_mode mode;
};

static SSL_CTX *server_ctx(const struct srv_opts *o)
{
    char cert[512], key[512], ca[512];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    snprintf(cert, sizeof cert, "%s/%s", certdir, o->cert ? o->cert : "server.pem");
    snprintf(key, sizeof key, "%s/%s", certdir, o->key ? o->key : "server.key");
    snprintf(ca, sizeof ca, "%s/ca.pem", certdir);
    SSL_CTX_use_certificate_chain_file(ctx, cert);
    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
    if (o->max_version)
        SSL_CTX_set_max_proto_version(ctx, o->max_version);
    if (o->want_client_cert) {
        SSL_CTX_load_verify_locations(ctx, ca, NULL);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

/* Child: one connection. ECHO answers each line with "250 <line>" (and a
 * client certificate subject on "WHO"); COUNT answers "250 <bytes>" at EOF
 * of a line "END". */
static void serve_tls(int lfd, const struct srv_opts *o)
{
    int fd = accept(lfd, NULL, NULL);
    char b[65536];

    if (o->mode == SRV_STALL) {
        sleep(10);
        _exit(0);
    }
    if (o->mode == SRV_CUT) {
        read(fd, b, 10);
        _exit(0);
    }
    SSL_CTX *ctx = server_ctx(o);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1)
        _exit(1);
    if (o->mode == SRV_STALL_AFTER) {
        sleep(10);
        _exit(0);
    }
    if (o->mode == SRV_CLOSE_AFTER || o->mode == SRV_DROP_AFTER) {
        if (o->mode == SRV_CLOSE_AFTER)
            SSL_shutdown(ssl);  /* close_notify; DROP just goes away */
        close(fd);
        _exit(0);
    }
    size_t have = 0, total = 0;
    int n;
    while ((n = SSL_read(ssl, b + have, (int)(sizeof b - have - 1))) > 0) {
        have += (size_t)n;
        total += (size_t)n;
        b[have] = '\0';
        char *nl;
        while ((nl = memchr(b, '\n', have)) != NULL) {
            size_t len = (size_t)(nl - b) + 1;
            char out[600];
            *nl = '\0';
            if (nl > b && nl[-1] == '\r')
                nl[-1] = '\0';
            if (o->mode == SRV_COUNT && strcmp(b, "END") == 0) {
                snprintf(out, sizeof out, "250 %zu\r\n", total);
            } else if (strcmp(b, "WHO") == 0) {
                X509 *peer = SSL_get1_peer_certificate(ssl);
                char name[256] = "none";
                if (peer)
                    X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof name);
                snprintf(out, sizeof out, "250 %s\r\n", name);
                X509_free(peer);
            } else {
                snprintf(out, sizeof out, "250 %.500s\r\n", b);
            }
            if (o->mode != SRV_COUNT || strcmp(b, "END") == 0)
                SSL_write(ssl, out, (int)strlen(out));
            memmove(b, b + len, have - len);
            have -= len;
        }
    }
    SSL_shutdown(ssl);
    _exit(0);
}

struct tls_run {
    pid_t pid;
    struct conn *c;
    int rc;
    struct mo_err err;
};

static void tls_start(struct tls_run *r, const char *addr, const char *host,
                      const struct srv_opts *o, const struct tls_config *tc, int timeout)
{
    int port, lfd = listen_on(addr, &port);

    memset(r, 0, sizeof *r);
    r->rc = -1;
    fflush(stdout);
    r->pid = fork();
    if (r->pid == 0)
        serve_tls(lfd, o);
    close(lfd);
    if (net_connect(&r->c, host, port, timeout, &r->err) < 0)
        return;
    r->rc = net_start_tls(r->c, tc, &r->err);
}

static void tls_end(struct tls_run *r)
{
    net_close(r->c);
    kill(r->pid, SIGTERM);
    waitpid(r->pid, NULL, 0);
}

static char *cpath(const char *name)
{
    static char paths[64][512];     /* a ring: every path stays valid for the run */
    static int i;
    char *p = paths[i++ % 64];
    snprintf(p, 512, "%s/%s", certdir, name);
    return p;
}

static void leaf_fingerprint(char *out, size_t max, bool lower)
{
    FILE *f = fopen(cpath("server.pem"), "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    unsigned char md[32];
    unsigned int n = 0;
    size_t o = 0;

    if (f)
        fclose(f);
    out[0] = '\0';
    if (!x || !X509_digest(x, EVP_sha256(), md, &n))
        return;
    o = (size_t)snprintf(out, max, lower ? "sha256:" : "SHA256:");
    for (unsigned i = 0; i < n && o + 4 < max; i++)
        o += (size_t)snprintf(out + o, max - o, lower ? "%s%02x" : "%s%02X", i ? ":" : "", md[i]);
    X509_free(x);
}

static void test_tls(void)
{
    struct srv_opts so = { 0 };
    struct tls_config tc = { .trust_file = cpath("ca.pem"), .min_version = 12 };
    struct tls_run r;
    struct tls_info info;
    char line[NET_LINE_MAX], fp[128], fplow[128];
    unsigned char cb[64];

    leaf_fingerprint(fp, sizeof fp, false);
    leaf_fingerprint(fplow, sizeof fplow, true);

    tls_start(&r, "127.0.0.1", "localhost", &so, &tc, 5);
    is_int(r.rc, 0, "TLS to localhost verified by the test CA: %s", r.err.msg);
    ok(net_is_tls(r.c), "connection is TLS");
    is_int(r.c ? net_wait_count(r.c) : 0, 1, "TLS 1.3 handshake: one wait");
    ok(net_tls_info(r.c, &info) == 0, "tls info");
    is_str(info.version, "TLSv1.3", "TLS 1.3 by default");
    ok(info.verified, "verified");
    ok(strstr(info.subject, "CN = localhost") != NULL, "subject: %s", info.subject);
    ok(strstr(info.issuer, "mailout test CA") != NULL, "issuer: %s", info.issuer);
    ok(info.not_before[0] && info.not_after[0], "validity %s .. %s", info.not_before, info.not_after);
    is_str(info.fingerprint, fp, "fingerprint");
    is_int(net_channel_binding(r.c, "tls-exporter", cb, sizeof cb), 32, "tls-exporter: 32 bytes");
    is_int(net_channel_binding(r.c, "tls-server-end-point", cb, sizeof cb), 32,
           "tls-server-end-point: 32 bytes (SHA-256 signature)");
    is_int(net_channel_binding(r.c, "tls-unique", cb, sizeof cb), -1, "tls-unique: not offered");
    net_write(r.c, "EHLO client\r\n", 13, &r.err);
    net_read_line(r.c, line, sizeof line, &r.err);
    is_str(line, "250 EHLO client", "data over TLS");
    is_int(net_wait_count(r.c), 2, "EHLO right after the handshake: 2 waits in all");
    tls_end(&r);

    tls_start(&r, "::1", "::1", &so, &tc, 5);
    is_int(r.rc, 0, "TLS to the IP literal ::1 (IP SAN): %s", r.err.msg);
    tls_end(&r);
    tls_start(&r, "127.0.0.1", "127.0.0.1", &so, &tc, 5);
    is_int(r.rc, 0, "TLS to the IP literal 127.0.0.1: %s", r.err.msg);
    tls_end(&r);

    struct tls_config other = tc;
    other.trust_file = cpath("other-ca.pem");
    tls_start(&r, "127.0.0.1", "localhost", &so, &other, 5);
    is_int(r.rc, -1, "unknown CA refused");
    is_int(r.err.code, EX_NOPERM, "unknown CA is EX_NOPERM");
    ok(strstr(r.err.msg, "local issuer") && strstr(r.err.msg, "tls_trust_file")
       && strstr(r.err.msg, fp), "message has the reason, hint and fingerprint: %s", r.err.msg);
    tls_end(&r);

    struct tls_config wrong = tc;
    wrong.server_name = "mail.example.org";
    tls_start(&r, "127.0.0.1", "127.0.0.1", &so, &wrong, 5);
    is_int(r.rc, -1, "wrong host name refused");
    is_int(r.err.code, EX_NOPERM, "wrong host name is EX_NOPERM");
    ok(strstr(r.err.msg, "is for localhost, 127.0.0.1, ::1, not for mail.example.org") != NULL
       && strstr(r.err.msg, "tls_server_name") != NULL,
       "message names the certificate's names and tls_server_name: %s", r.err.msg);
    tls_end(&r);
    struct tls_config wrongip = tc;
    wrongip.server_name = "127.0.0.2";
    tls_start(&r, "127.0.0.1", "127.0.0.1", &so, &wrongip, 5);
    is_int(r.err.code, EX_NOPERM, "wrong IP is EX_NOPERM");
    tls_end(&r);

    struct tls_config pin = other;      /* untrusted chain, matching pin */
    pin.fingerprint = fplow;
    tls_start(&r, "127.0.0.1", "localhost", &so, &pin, 5);
    is_int(r.rc, 0, "pinned fingerprint accepted without a trusted chain: %s", r.err.msg);
    net_tls_info(r.c, &info);
    ok(r.rc == 0 && info.verified, "pinned counts as verified");
    tls_end(&r);

    struct tls_config badpin = tc;      /* trusted chain, wrong pin */
    char fpbad[128];
    snprintf(fpbad, sizeof fpbad, "%s", fp);
    fpbad[7] = fpbad[7] == '0' ? '1' : '0';
    badpin.fingerprint = fpbad;
    tls_start(&r, "127.0.0.1", "localhost", &so, &badpin, 5);
    is_int(r.rc, -1, "pin mismatch refused even with a trusted chain");
    is_int(r.err.code, EX_NOPERM, "pin mismatch is EX_NOPERM");
    ok(strstr(r.err.msg, "does not match tls_fingerprint") != NULL, "message: %s", r.err.msg);
    tls_end(&r);

    badpin.fingerprint = "SHA256:12:34";
    tls_start(&r, "127.0.0.1", "localhost", &so, &badpin, 5);
    is_int(r.err.code, EX_CONFIG, "malformed pin is EX_CONFIG");
    tls_end(&r);

    struct tls_config missing = tc;
    missing.trust_file = cpath("nonexistent.pem");
    tls_start(&r, "127.0.0.1", "localhost", &so, &missing, 5);
    is_int(r.err.code, EX_CONFIG, "missing trust file is EX_CONFIG: %s", r.err.msg);
    tls_end(&r);

    struct srv_opts s12 = { .max_version = TLS1_2_VERSION };
    tls_start(&r, "127.0.0.1", "localhost", &s12, &tc, 5);
    is_int(r.rc, 0, "TLS 1.2 server");
    net_tls_info(r.c, &info);
    is_str(info.version, "TLSv1.2", "version TLSv1.2");
    is_int(net_wait_count(r.c), 2, "TLS 1.2 handshake: two waits");
    is_int(net_channel_binding(r.c, "tls-exporter", cb, sizeof cb), -1, "no tls-exporter on 1.2");
    is_int(net_channel_binding(r.c, "tls-server-end-point", cb, sizeof cb), 32,
           "tls-server-end-point on 1.2");
    tls_end(&r);

    struct tls_config min13 = tc;
    min13.min_version = 13;
    tls_start(&r, "127.0.0.1", "localhost", &s12, &min13, 5);
    is_int(r.rc, -1, "tls_min_version 1.3 against a 1.2 server fails");
    ok(r.err.code == EX_PROTOCOL, "version failure is EX_PROTOCOL: %s", r.err.msg);
    tls_end(&r);

    struct srv_opts stall = { .mode = SRV_STALL };
    double t0 = now_s();
    tls_start(&r, "127.0.0.1", "localhost", &stall, &tc, 1);
    double dt = now_s() - t0;
    is_int(r.err.code, EX_TEMPFAIL, "stalled handshake is EX_TEMPFAIL");
    ok(dt > 0.9 && dt < 3, "after the timeout (%.2f s): %s", dt, r.err.msg);
    tls_end(&r);

    struct srv_opts cut = { .mode = SRV_CUT };
    tls_start(&r, "127.0.0.1", "localhost", &cut, &tc, 5);
    is_int(r.err.code, EX_TEMPFAIL, "handshake cut is EX_TEMPFAIL: %s", r.err.msg);
    tls_end(&r);

    struct srv_opts after = { .mode = SRV_STALL_AFTER };
    tls_start(&r, "127.0.0.1", "localhost", &after, &tc, 1);
    is_int(r.rc, 0, "handshake, then the server stalls");
    t0 = now_s();
    is_int(net_read_line(r.c, line, sizeof line, &r.err), -1, "TLS read on a stalled server fails");
    dt = now_s() - t0;
    ok(r.err.code == EX_TEMPFAIL && dt > 0.9 && dt < 3, "TLS read times out (%.2f s): %s", dt,
       r.err.msg);
    tls_end(&r);

    /* Writes to a TLS server that stopped reading end at the timeout. */
    tls_start(&r, "127.0.0.1", "localhost", &after, &tc, 1);
    static char chunk[1 << 20];
    int wr = 0;
    t0 = now_s();
    for (int i = 0; i < 64 && wr == 0; i++)
        wr = net_write(r.c, chunk, sizeof chunk, &r.err);
    dt = now_s() - t0;
    ok(wr == -1 && r.err.code == EX_TEMPFAIL && dt < 5, "TLS write times out (%.2f s): %s", dt,
       r.err.msg);
    tls_end(&r);

    struct srv_opts closing = { .mode = SRV_CLOSE_AFTER };
    tls_start(&r, "127.0.0.1", "localhost", &closing, &tc, 5);
    is_int(net_read_line(r.c, line, sizeof line, &r.err), -1, "close_notify: read fails");
    ok(r.err.code == EX_TEMPFAIL && strstr(r.err.msg, "connection closed by server"),
       "close_notify is 'connection closed': %s", r.err.msg);
    tls_end(&r);
    struct srv_opts drop = { .mode = SRV_DROP_AFTER };
    tls_start(&r, "127.0.0.1", "localhost", &drop, &tc, 5);
    is_int(net_read_line(r.c, line, sizeof line, &r.err), -1, "TCP close without close_notify");
    ok(r.err.code == EX_TEMPFAIL && strstr(r.err.msg, "connection closed by server"),
       "is 'connection closed' too: %s", r.err.msg);
    tls_end(&r);

    struct srv_opts who = { .want_client_cert = true };
    struct tls_config cc = tc;
    cc.cert_file = cpath("client.pem");
    cc.key_file = cpath("client.key");
    tls_start(&r, "127.0.0.1", "localhost", &who, &cc, 5);
    is_int(r.rc, 0, "client certificate handshake: %s", r.err.msg);
    net_write(r.c, "WHO\r\n", 5, &r.err);
    net_read_line(r.c, line, sizeof line, &r.err);
    ok(strstr(line, "mailout test client") != NULL, "server saw the client cert: %s", line);
    tls_end(&r);

    struct tls_config bracket = tc;
    bracket.server_name = "[::1]";
    tls_start(&r, "::1", "[::1]", &so, &bracket, 5);
    is_int(r.rc, 0, "server name [::1] is the IPv6 literal: %s", r.err.msg);
    tls_end(&r);

    char cmd[1200];
    snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -aes256 -passout pass:secret -out '%s'",
             cpath("client.key"), cpath("enc.key"));
    if (system(cmd) == 0) {
        struct tls_config enc = cc;
        enc.key_file = cpath("enc.key");
        double t1 = now_s();
        tls_start(&r, "127.0.0.1", "localhost", &who, &enc, 5);
        is_int(r.err.code, EX_CONFIG, "encrypted key fails without a prompt: %s", r.err.msg);
        ok(now_s() - t1 < 3, "no prompt, no wait");
        tls_end(&r);
    } else {
        ok(0, "cannot make an encrypted key");
    }
    struct tls_config half = tc;
    half.cert_file = cpath("client.pem");
    tls_start(&r, "127.0.0.1", "localhost", &so, &half, 5);
    is_int(r.err.code, EX_CONFIG, "cert without key is EX_CONFIG: %s", r.err.msg);
    tls_end(&r);

    /* Bulk data over TLS arrives complete. */
    struct srv_opts count = { .mode = SRV_COUNT };
    tls_start(&r, "127.0.0.1", "localhost", &count, &tc, 5);
    static char body[1000];
    memset(body, 'b', sizeof body - 2);
    memcpy(body + sizeof body - 2, "\r\n", 2);
    wr = 0;
    for (int i = 0; i < 3000 && wr == 0; i++)
        wr = net_write(r.c, body, sizeof body, &r.err);
    net_write(r.c, "END\r\n", 5, &r.err);
    is_int(net_read_line(r.c, line, sizeof line, &r.err) > 0, 1, "bulk reply");
    is_str(line, "250 3000005", "3 MB over TLS arrived complete");
    tls_end(&r);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char cmd[1024];

    signal(SIGPIPE, SIG_DFL);   /* the library must not need SIGPIPE ignored */
    alarm(120);                 /* a bug here must not hang make check */
    snprintf(certdir, sizeof certdir, "%s/test-net-certs.%ld",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    snprintf(cmd, sizeof cmd, "%s/tests/lib/mkcerts.sh '%s'", top ? top : ".", certdir);

    test_connect();
    test_lines();
    test_timeout_and_close();
    test_buffering();
    test_injection();
    if (system(cmd) == 0) {
        test_tls();
    } else {
        ok(0, "mkcerts.sh failed: %s", cmd);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", certdir);
    if (system(cmd) != 0)
        diag("cannot remove %s", certdir);
    return done_testing();
}
