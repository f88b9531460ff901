/* tls.c - the OpenSSL 3 client: context setup, verification (chain, name,
 * fingerprint pin), non-blocking I/O steps, session facts, channel binding.
 * net.c owns the socket and the waiting; nothing here blocks. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "i18n.h"
#include "tls_session.h"
#include "util.h"

#define FP_LEN 32               /* SHA-256 */

struct tls_session {
    SSL *ssl;
    char *name;                 /* name or IP verified, for messages */
    unsigned char pin[FP_LEN];
    bool has_pin;
    bool pin_mismatch;          /* set by verify_cb */
    bool have_leaf_fp;
    char leaf_fp[104];          /* "SHA256:..." of the server's certificate */
    bool pin_dates;             /* the pin matched, the dates did not */
    char leaf_names[256];       /* the names the certificate carries */
    char leaf_from[32], leaf_until[32];     /* its validity, for messages */
    unsigned round_trips;       /* see tls_round_trips */
    uint64_t written_at_read;   /* socket bytes written at the last counted read */
};

static int ex_index = -1;       /* SSL ex_data slot pointing to the session */

/* A write to a socket the server already closed must be an error, not a
 * SIGPIPE that kills a cron job. The socket BIO uses write(), so SIGPIPE is
 * ignored around the OpenSSL calls that may write and restored after. */
struct sigpipe_guard { struct sigaction old; };

static void sigpipe_off(struct sigpipe_guard *g)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
    sigaction(SIGPIPE, &g->old, NULL);
}

static void format_fp(const unsigned char *md, size_t n, char *out, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    if (max < 8)
        return;
    memcpy(out, "SHA256:", 7);
    o = 7;
    for (size_t i = 0; i < n && o + 3 < max; i++) {
        if (i > 0)
            out[o++] = ':';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[o] = '\0';
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* "SHA256:AB:CD:..." (prefix optional, colons optional, any case). */
static int parse_pin(const char *s, unsigned char *out)
{
    size_t n = 0;

    if (ascii_strncasecmp(s, "SHA256:", 7) == 0)
        s += 7;
    while (*s) {
        if (*s == ':') {
            s++;
            continue;
        }
        int hi = hexval((unsigned char)s[0]);
        int lo = s[1] ? hexval((unsigned char)s[1]) : -1;
        if (hi < 0 || lo < 0 || n == FP_LEN)
            return -1;
        out[n++] = (unsigned char)(hi << 4 | lo);
        s += 2;
    }
    return n == FP_LEN ? 0 : -1;
}

static bool is_ip_literal(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static void format_time(const ASN1_TIME *t, char *out, size_t max)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1
            || strftime(out, max, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, max, "?");
}

static void add_name(char *out, size_t max, const char *name, size_t n)
{
    size_t used = strlen(out);

    if (n == 0 || used + n + 3 >= max || memchr(name, '\0', n) != NULL)
        return;
    snprintf(out + used, max - used, "%s%.*s", used ? ", " : "", (int)n, name);
}

/* The DNS names and addresses of the certificate's subjectAltName (or its
 * CN when it has none), comma-separated, for the name-mismatch hint. */
static void leaf_names(X509 *leaf, char *out, size_t max)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    char ip[64];

    out[0] = '\0';
    for (int i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        const unsigned char *d;
        int len;
        if (g->type == GEN_DNS) {
            d = ASN1_STRING_get0_data(g->d.dNSName);
            add_name(out, max, (const char *)d, (size_t)ASN1_STRING_length(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            d = ASN1_STRING_get0_data(g->d.iPAddress);
            len = ASN1_STRING_length(g->d.iPAddress);
            if (inet_ntop(len == 16 ? AF_INET6 : AF_INET, d, ip, sizeof ip) != NULL
                    && (len == 4 || len == 16))
                add_name(out, max, ip, strlen(ip));
        }
    }
    GENERAL_NAMES_free(sans);
    if (out[0] == '\0') {
        char cn[256];
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName,
                                      cn, sizeof cn) > 0)
            add_name(out, max, cn, strlen(cn));
    }
}

/* What the error messages need to know of the server's certificate. */
static void note_leaf(struct tls_session *ts, X509 *leaf)
{
    format_time(X509_get0_notBefore(leaf), ts->leaf_from, sizeof ts->leaf_from);
    format_time(X509_get0_notAfter(leaf), ts->leaf_until, sizeof ts->leaf_until);
    leaf_names(leaf, ts->leaf_names, sizeof ts->leaf_names);
}

/* A pin names one certificate; it stands in for the chain and the name,
 * but not for the dates: an expired or not yet valid certificate is
 * refused even when pinned (mailout(1), TLS). */
static int pinned_dates(X509_STORE_CTX *sctx, struct tls_session *ts, X509 *leaf)
{
    if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_HAS_EXPIRED);
    } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_NOT_YET_VALID);
    } else {
        X509_STORE_CTX_set_error(sctx, X509_V_OK);
        return 1;
    }
    ts->pin_dates = true;
    return 0;
}

/* Replaces OpenSSL's chain verification so that a pinned fingerprint can
 * accept a certificate whose chain is not trusted (as msmtp does) and a
 * mismatch is refused during the handshake, before anything is sent. */
static int verify_cb(X509_STORE_CTX *sctx, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct tls_session *ts = ssl ? SSL_get_ex_data(ssl, ex_index) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    bool have_md = leaf && X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1
                   && mdlen == FP_LEN;
    int ok = X509_verify_cert(sctx);

    if (ts == NULL)
        return ok > 0;
    if (have_md) {
        format_fp(md, mdlen, ts->leaf_fp, sizeof ts->leaf_fp);
        ts->have_leaf_fp = true;
    }
    if (leaf != NULL)
        note_leaf(ts, leaf);
    int e = X509_STORE_CTX_get_error(sctx);
    X509 *bad = X509_STORE_CTX_get_current_cert(sctx);
    if (ok <= 0 && bad != NULL && bad != leaf
            && (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)) {
        /* a CA of the chain is out of its dates: show its dates */
        format_time(X509_get0_notBefore(bad), ts->leaf_from, sizeof ts->leaf_from);
        format_time(X509_get0_notAfter(bad), ts->leaf_until, sizeof ts->leaf_until);
    }
    if (!ts->has_pin)
        return ok > 0;
    if (have_md && CRYPTO_memcmp(md, ts->pin, FP_LEN) == 0)
        return pinned_dates(sctx, ts, leaf);
    ts->pin_mismatch = true;
    X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

/* The most specific OpenSSL error on the queue, or a fallback. */
static const char *ssl_reason(const char *fallback)
{
    static char buf[256];
    unsigned long e, last = 0;

    while ((e = ERR_get_error()) != 0)
        last = e;
    if (last == 0)
        return fallback;
    ERR_error_string_n(last, buf, sizeof buf);
    const char *r = ERR_reason_error_string(last);
    return r ? r : buf;
}

/* Watches the socket BIO: a read attempt after the client wrote something
 * is the start of a wait for the server. OpenSSL may read a flight in many
 * attempts, inside one SSL call or across several; this sees them all. */
static long count_cb(BIO *b, int oper, const char *argp, size_t len, int argi,
                     long argl, int ret, size_t *processed)
{
    (void)argp; (void)len; (void)argi; (void)argl; (void)processed;
    struct tls_session *ts = (struct tls_session *)BIO_get_callback_arg(b);
    if (ts && oper == BIO_CB_READ) {
        uint64_t w = BIO_number_written(b);
        if (w != ts->written_at_read) {
            ts->round_trips++;
            ts->written_at_read = w;
        }
    }
    return ret;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

static int setup_ctx(SSL_CTX *ctx, const struct tls_config *tc, struct mo_err *err)
{
    int floor = tc->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;

    SSL_CTX_set_min_proto_version(ctx, floor);
    /* The client never resumes; a session cache only costs memory. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* An encrypted key must fail, not prompt on a terminal a cron job lacks. */
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);

    if (tc->trust_file == NULL || strcmp(tc->trust_file, "system") == 0) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            return mo_err_set(err, EX_CONFIG, _("cannot load the system certificate store: %s"),
                              ssl_reason("?"));
    } else {
        char *path = path_expand_tilde(tc->trust_file);
        FILE *f = fopen(path, "r");
        int r = f ? SSL_CTX_load_verify_locations(ctx, path, NULL) : -1;
        int saved = errno;
        if (f)
            fclose(f);
        free(path);
        if (r == -1)
            return mo_err_set(err, EX_CONFIG, _("tls_trust_file %s: %s"), tc->trust_file,
                              strerror(saved));
        if (r != 1)
            return mo_err_set(err, EX_CONFIG, _("tls_trust_file %s: cannot load certificates: %s"),
                              tc->trust_file, ssl_reason("?"));
    }
    if (tc->cert_file || tc->key_file) {
        if (!tc->cert_file || !tc->key_file)
            return mo_err_set(err, EX_CONFIG,
                              _("tls_cert_file and tls_key_file must be given together"));
        char *cert = path_expand_tilde(tc->cert_file);
        char *key = path_expand_tilde(tc->key_file);
        const char *what = NULL, *file = tc->key_file;
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
            what = _("cannot load tls_cert_file");
            file = tc->cert_file;
        } else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
            what = _("cannot load tls_key_file (an unencrypted PEM key is needed)");
        } else if (SSL_CTX_check_private_key(ctx) != 1) {
            what = _("tls_key_file does not match tls_cert_file");
        }
        free(cert);
        free(key);
        if (what)
            return mo_err_set(err, EX_CONFIG, _("%s %s: %s"), what, file, ssl_reason("?"));
    }
    return 0;
}

static int setup_name(struct tls_session *ts, struct mo_err *err)
{
    X509_VERIFY_PARAM *vp = SSL_get0_param(ts->ssl);
    const char *name = ts->name;
    int ok;

    if (is_ip_literal(name)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(vp, name);
    } else {
        ok = SSL_set1_host(ts->ssl, name) && SSL_set_tlsext_host_name(ts->ssl, name);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    if (ok != 1)
        return mo_err_set(err, EX_CONFIG, _("invalid TLS server name '%s'"), name);
    return 0;
}

struct tls_session *tls_session_new(const struct tls_config *tc,
                                    const char *default_name, int fd,
                                    struct mo_err *err)
{
    struct tls_session *ts = xcalloc(1, sizeof *ts);
    SSL_CTX *ctx = NULL;

    if (ex_index < 0)
        ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    const char *name = tc->server_name && *tc->server_name ? tc->server_name
                       : default_name ? default_name : "";
    size_t nl = strlen(name);
    /* "[2001:db8::1]" as written in host = is the IPv6 literal. */
    ts->name = nl >= 2 && name[0] == '[' && name[nl - 1] == ']'
               ? xstrndup(name + 1, nl - 2) : xstrdup(name);
    if (tc->fingerprint && *tc->fingerprint) {
        if (parse_pin(tc->fingerprint, ts->pin) < 0) {
            mo_err_set(err, EX_CONFIG,
                       _("tls_fingerprint '%s' is not a SHA-256 fingerprint (SHA256:AB:CD:...)"),
                       tc->fingerprint);
            goto fail;
        }
        ts->has_pin = true;
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        mo_err_set(err, EX_SOFTWARE, _("cannot create a TLS context: %s"), ssl_reason("?"));
        goto fail;
    }
    if (setup_ctx(ctx, tc, err) < 0)
        goto fail;
    ts->ssl = SSL_new(ctx);
    if (ts->ssl == NULL || SSL_set_fd(ts->ssl, fd) != 1) {
        mo_err_set(err, EX_SOFTWARE, _("cannot create a TLS session: %s"), ssl_reason("?"));
        goto fail;
    }
    SSL_CTX_free(ctx);          /* the SSL holds its own reference */
    ctx = NULL;
    SSL_set_ex_data(ts->ssl, ex_index, ts);
    BIO *bio = SSL_get_rbio(ts->ssl);
    BIO_set_callback_arg(bio, (char *)ts);
    BIO_set_callback_ex(bio, count_cb);
    if (setup_name(ts, err) < 0)
        goto fail;
    SSL_set_connect_state(ts->ssl);
    return ts;
fail:
    SSL_CTX_free(ctx);
    tls_session_free(ts);
    return NULL;
}

/* Expired or not yet valid: the dates, and what to check; never "pin it"
 * (a pin does not accept it either). */
static void dates_error(struct tls_session *ts, long v, struct mo_err *err)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(now, sizeof now, "?");
    mo_err_set(err, EX_NOPERM,
               v == X509_V_ERR_CERT_HAS_EXPIRED
               ? _("TLS certificate of %s has expired: valid from %s until %s, and it is now %s; check the server's certificate or this machine's clock")
               : _("TLS certificate of %s is not valid yet: valid from %s until %s, and it is now %s; check the server's certificate or this machine's clock"),
               ts->name, ts->leaf_from, ts->leaf_until, now);
}

static void verify_error(struct tls_session *ts, struct mo_err *err)
{
    long v = SSL_get_verify_result(ts->ssl);
    const char *fp = ts->have_leaf_fp ? ts->leaf_fp : "?";

    if (ts->pin_mismatch) {
        mo_err_set(err, EX_NOPERM,
                   _("TLS certificate of %s has fingerprint %s, which does not match tls_fingerprint"),
                   ts->name, fp);
        return;
    }
    switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        dates_error(ts, v, err);
        return;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        mo_err_set(err, EX_NOPERM,
                   _("TLS certificate of %s is for %s, not for %s: set host to one of those names, "
                     "or tls_server_name = NAME if this is the right server"),
                   ts->name, ts->leaf_names[0] ? ts->leaf_names : "?", ts->name);
        return;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        mo_err_set(err, EX_NOPERM,
                   _("TLS certificate verification failed for %s: %s (set tls_trust_file to the CA "
                     "that signed it, or pin it with tls_fingerprint = %s after checking it)"),
                   ts->name, X509_verify_cert_error_string(v), fp);
        return;
    default:
        mo_err_set(err, EX_NOPERM, _("TLS certificate verification failed for %s: %s"),
                   ts->name, X509_verify_cert_error_string(v));
        return;
    }
}

/* Maps an OpenSSL failure to one of the tls_io results. */
/* What OpenSSL's error queue says went wrong (after the cases io_result
 * knows by their SSL_get_error code): TLS_IO_CLOSED, or TLS_IO_ERROR with err. */
static enum tls_io failure(struct tls_session *ts, bool handshake, struct mo_err *err)
{
    if (handshake && (ts->pin_mismatch || SSL_get_verify_result(ts->ssl) != X509_V_OK)) {
        ERR_clear_error();
        verify_error(ts, err);
        return TLS_IO_ERROR;
    }
    /* A TLS 1.3 peer that closes without close_notify surfaces as an
     * "unexpected eof" protocol error: that is a cut connection. */
    unsigned long pe = ERR_peek_last_error();
    if (ERR_GET_REASON(pe) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        if (!handshake)
            return TLS_IO_CLOSED;
        mo_err_set(err, EX_TEMPFAIL,
                   _("connection closed by server during the TLS handshake with %s"), ts->name);
        return TLS_IO_ERROR;
    }
    /* A plain-text greeting ("220 ...") read as a TLS record: the port
     * expects STARTTLS. A mistake of the configuration, found at once. */
    if (handshake && ERR_GET_REASON(pe) == SSL_R_WRONG_VERSION_NUMBER) {
        ERR_clear_error();
        mo_err_set(err, EX_CONFIG,
                   _("TLS handshake with %s failed: the server answered in plain text (wrong version number), so this port expects STARTTLS: set tls = starttls"),
                   ts->name);
        return TLS_IO_ERROR;
    }
    mo_err_set(err, EX_PROTOCOL, handshake ? _("TLS handshake with %s failed: %s")
               : _("TLS error on the connection to %s: %s"), ts->name,
               ssl_reason(_("unknown TLS error")));
    return TLS_IO_ERROR;
}

static enum tls_io io_result(struct tls_session *ts, int r, bool handshake,
                             struct mo_err *err)
{
    int saved = errno;
    int e = SSL_get_error(ts->ssl, r);

    switch (e) {
    case SSL_ERROR_WANT_READ:
        return TLS_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        if (!handshake)
            return TLS_IO_CLOSED;
        break;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            ERR_clear_error();
            if (saved != 0)
                mo_err_set(err, EX_TEMPFAIL, handshake
                           ? _("TLS handshake with %s failed: %s")
                           : _("TLS connection to %s failed: %s"), ts->name, strerror(saved));
            else if (handshake)
                mo_err_set(err, EX_TEMPFAIL,
                           _("connection closed by server during the TLS handshake with %s"),
                           ts->name);
            else
                return TLS_IO_CLOSED;
            return TLS_IO_ERROR;
        }
        break;
    default:
        break;
    }
    return failure(ts, handshake, err);
}

enum tls_io tls_handshake(struct tls_session *ts, struct mo_err *err)
{
    struct sigpipe_guard g;

    ERR_clear_error();
    errno = 0;
    sigpipe_off(&g);
    int r = SSL_do_handshake(ts->ssl);
    sigpipe_restore(&g);
    if (r == 1)
        return TLS_IO_DONE;
    return io_result(ts, r, true, err);
}

enum tls_io tls_read(struct tls_session *ts, void *buf, size_t n,
                     size_t *done, struct mo_err *err)
{
    struct sigpipe_guard g;

    ERR_clear_error();
    errno = 0;
    *done = 0;
    sigpipe_off(&g);            /* reading may answer a key update */
    int r = SSL_read_ex(ts->ssl, buf, n, done);
    sigpipe_restore(&g);
    if (r == 1)
        return TLS_IO_DONE;
    return io_result(ts, 0, false, err);
}

enum tls_io tls_write(struct tls_session *ts, const void *buf, size_t n,
                      size_t *done, struct mo_err *err)
{
    struct sigpipe_guard g;

    ERR_clear_error();
    errno = 0;
    *done = 0;
    sigpipe_off(&g);
    int r = SSL_write_ex(ts->ssl, buf, n, done);
    sigpipe_restore(&g);
    if (r == 1)
        return TLS_IO_DONE;
    enum tls_io res = io_result(ts, -1, false, err);
    if (res == TLS_IO_CLOSED) {
        mo_err_set(err, EX_TEMPFAIL, _("connection closed by server"));
        return TLS_IO_ERROR;
    }
    return res;
}

unsigned tls_round_trips(const struct tls_session *ts)
{
    return ts ? ts->round_trips : 0;
}

bool tls_pending(const struct tls_session *ts)
{
    return ts && SSL_pending(ts->ssl) > 0;
}

static void name_line(const X509_NAME *name, char *out, size_t max)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;

    out[0] = '\0';
    if (b == NULL)
        return;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    n = BIO_get_mem_data(b, &p);
    if (n > 0 && (size_t)n < max) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
    } else if (n > 0) {
        memcpy(out, p, max - 1);
        out[max - 1] = '\0';
    }
    BIO_free(b);
}

static void time_line(const ASN1_TIME *t, char *out, size_t max)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;

    out[0] = '\0';
    if (b == NULL || t == NULL || !ASN1_TIME_print_ex(b, t, ASN1_DTFLGS_ISO8601)) {
        BIO_free(b);
        return;
    }
    n = BIO_get_mem_data(b, &p);
    if (n > 0 && (size_t)n < max) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
}

void tls_session_info(const struct tls_session *ts, struct tls_info *info)
{
    const SSL_CIPHER *c = SSL_get_current_cipher(ts->ssl);
    X509 *cert = SSL_get0_peer_certificate(ts->ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    memset(info, 0, sizeof *info);
    snprintf(info->version, sizeof info->version, "%s", SSL_get_version(ts->ssl));
    snprintf(info->cipher, sizeof info->cipher, "%s", c ? SSL_CIPHER_get_name(c) : "");
    info->verified = SSL_get_verify_result(ts->ssl) == X509_V_OK && cert != NULL;
    if (cert == NULL)
        return;
    name_line(X509_get_subject_name(cert), info->subject, sizeof info->subject);
    name_line(X509_get_issuer_name(cert), info->issuer, sizeof info->issuer);
    time_line(X509_get0_notBefore(cert), info->not_before, sizeof info->not_before);
    time_line(X509_get0_notAfter(cert), info->not_after, sizeof info->not_after);
    if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1)
        format_fp(md, mdlen, info->fingerprint, sizeof info->fingerprint);
}

/* RFC 5929 4.1: the certificate's signature hash, but SHA-256 for MD5 and
 * SHA-1 (and for signatures without a separate hash, e.g. Ed25519). */
static const EVP_MD *end_point_md(X509 *cert)
{
    int mdnid = NID_undef, pknid = NID_undef;

    if (!OBJ_find_sigid_algs(X509_get_signature_nid(cert), &mdnid, &pknid))
        return EVP_sha256();
    if (mdnid == NID_sha384)
        return EVP_sha384();
    if (mdnid == NID_sha512)
        return EVP_sha512();
    return EVP_sha256();
}

long tls_session_channel_binding(const struct tls_session *ts, const char *type,
                                 unsigned char *out, size_t max)
{
    static const char label[] = "EXPORTER-Channel-Binding";

    if (ts == NULL || type == NULL)
        return -1;
    if (strcmp(type, "tls-exporter") == 0) {
        /* RFC 9266: defined for TLS 1.3 only (1.2 needs extended master secret
         * and we do not offer it there). */
        if (SSL_version(ts->ssl) != TLS1_3_VERSION || max < 32)
            return -1;
        if (SSL_export_keying_material(ts->ssl, out, 32, label, sizeof label - 1,
                                       NULL, 0, 1) != 1)
            return -1;
        return 32;
    }
    if (strcmp(type, "tls-server-end-point") == 0) {
        X509 *cert = SSL_get0_peer_certificate(ts->ssl);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (cert == NULL || X509_digest(cert, end_point_md(cert), md, &n) != 1 || n > max)
            return -1;
        memcpy(out, md, n);
        return (long)n;
    }
    return -1;
}

void tls_session_free(struct tls_session *ts)
{
    if (ts == NULL)
        return;
    if (ts->ssl) {
        struct sigpipe_guard g;
        /* One close_notify, no wait for the server's: QUIT was answered. */
        if (SSL_is_init_finished(ts->ssl)) {
            sigpipe_off(&g);
            SSL_shutdown(ts->ssl);
            sigpipe_restore(&g);
        }
        ERR_clear_error();
        SSL_free(ts->ssl);
    }
    free(ts->name);
    free(ts);
}
