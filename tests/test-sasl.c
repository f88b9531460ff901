/* test-sasl.c - SASL mechanisms against the RFC examples and hostile servers.
 * The -PLUS vectors were computed with an independent implementation
 * (Python hashlib/hmac) that reproduces the RFC 5802 example. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "tap.h"
#include "codec.h"
#include "sasl.h"
#include "util.h"

static char *as_str(const unsigned char *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Runs one step with a text challenge; returns the response as a string or
 * NULL on error (err filled). */
static char *step(struct sasl_client *c, const char *challenge, struct mo_err *err)
{
    unsigned char *out = NULL;
    size_t n = 0;
    char *s;

    if (sasl_client_step(c, (const unsigned char *)challenge, strlen(challenge),
                         &out, &n, err) != 0)
        return NULL;
    s = as_str(out, n);
    sasl_response_free(out, n);
    return s;
}

static char *initial(struct sasl_client *c, struct mo_err *err)
{
    unsigned char *out = NULL;
    size_t n = 0;
    char *s;

    if (sasl_client_initial(c, &out, &n, err) != 0 || out == NULL)
        return NULL;
    s = as_str(out, n);
    sasl_response_free(out, n);
    return s;
}

struct scram_case {
    const char *name;
    enum auth_mech mech;
    const char *nonce;
    const char *cb_type;
    const char *client_first, *server_first, *client_final, *server_final;
};

static const unsigned char cb_blob[32] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static const struct scram_case scram_cases[] = {
    { "RFC 5802 SCRAM-SHA-1", AUTH_SCRAM_SHA_1, "fyko+d2lbbFgONRv9qkxdawL", NULL,
      "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
      "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
    { "RFC 7677 SCRAM-SHA-256", AUTH_SCRAM_SHA_256, "rOprNGfwEbeRWgbNEkqO", NULL,
      "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
      "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
    { "SCRAM-SHA-256-PLUS tls-exporter", AUTH_SCRAM_SHA_256_PLUS, "rOprNGfwEbeRWgbNEkqO", "tls-exporter",
      "p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO",
      "r=rOprNGfwEbeRWgbNEkqOsrv1,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "c=cD10bHMtZXhwb3J0ZXIsLAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f,r=rOprNGfwEbeRWgbNEkqOsrv1,p=vqaX4GEean2qTqHo504UeZBH+vQEygSoJUfeNbC31GI=",
      "v=7Y+GiYrbnGB2oSeC71CWMmOAFo9Z+h7X/i0vVXWINbE=" },
    { "SCRAM-SHA-1-PLUS tls-server-end-point", AUTH_SCRAM_SHA_1_PLUS, "fyko+d2lbbFgONRv9qkxdawL", "tls-server-end-point",
      "p=tls-server-end-point,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
      "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=z8dLQJmun2sA+XpCkRPSWO61Enc=",
      "v=if1R+hByy96r9wlpTEFxowaJvkg=" },
};

static void test_scram_vectors(void)
{
    for (size_t i = 0; i < sizeof scram_cases / sizeof scram_cases[0]; i++) {
        const struct scram_case *t = &scram_cases[i];
        struct mo_err err = { 0, "" };
        struct sasl_client *c = sasl_client_new(t->mech, "user", "pencil", t->nonce);
        char *s;

        if (t->cb_type)
            sasl_client_set_channel_binding(c, t->cb_type, cb_blob, sizeof cb_blob);
        s = initial(c, &err);
        is_str(s, t->client_first, "%s: client-first", t->name);
        free(s);
        s = step(c, t->server_first, &err);
        is_str(s, t->client_final, "%s: client-final with proof", t->name);
        free(s);
        ok(!sasl_client_done(c), "%s: not done before the server signature", t->name);
        s = step(c, t->server_final, &err);
        is_str(s, "", "%s: server signature verified, empty response", t->name);
        free(s);
        ok(sasl_client_done(c), "%s: done", t->name);
        s = step(c, "v=x", &err);
        ok(s == NULL && err.code == EX_PROTOCOL, "%s: a challenge after the end is refused", t->name);
        free(s);
        sasl_client_free(c);
    }
}

/* Drives SCRAM-SHA-1 to the server-first stage with the RFC 5802 nonce. */
static struct sasl_client *scram1(void)
{
    struct mo_err err = { 0, "" };
    struct sasl_client *c = sasl_client_new(AUTH_SCRAM_SHA_1, "user", "pencil",
                                            "fyko+d2lbbFgONRv9qkxdawL");
    free(initial(c, &err));
    return c;
}

static void expect_first_refused(const char *server_first, int code, const char *what)
{
    struct mo_err err = { 0, "" };
    struct sasl_client *c = scram1();
    char *s = step(c, server_first, &err);

    ok(s == NULL && err.code == code, "%s is refused (%d)", what, err.code);
    ok(strstr(err.msg, "pencil") == NULL, "%s: the error does not show the password", what);
    free(s);
    sasl_client_free(c);
}

static void test_scram_hostile(void)
{
    struct mo_err err = { 0, "" };
    struct sasl_client *c;
    char *s;

    expect_first_refused("r=AAAAfyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
                         EX_PROTOCOL, "a server nonce not starting with ours");
    expect_first_refused("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096",
                         EX_PROTOCOL, "a server nonce that adds nothing");
    expect_first_refused("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSX*R+Q6sek8bf92,i=4096",
                         EX_PROTOCOL, "a salt in bad base64");
    expect_first_refused("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=100000000",
                         EX_PROTOCOL, "an oversized iteration count");
    expect_first_refused("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1",
                         EX_PROTOCOL, "a tiny iteration count");
    expect_first_refused("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-4096",
                         EX_PROTOCOL, "a negative iteration count");
    expect_first_refused("m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
                         EX_PROTOCOL, "a mandatory extension");
    expect_first_refused("s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096",
                         EX_PROTOCOL, "attributes out of order");
    expect_first_refused("e=other-error", EX_NOPERM, "an e= error instead of server-first");

    c = scram1();
    free(step(c, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", &err));
    s = step(c, "v=rmF9pqV8S7suAoZWja4dJRkFsKA=", &err);
    ok(s == NULL && err.code == EX_NOPERM, "a bad server signature is refused with EX_NOPERM");
    ok(!sasl_client_done(c), "and the client is not done");
    sasl_client_free(c);

    c = scram1();
    free(step(c, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", &err));
    s = step(c, "e=invalid-proof", &err);
    ok(s == NULL && err.code == EX_NOPERM && strstr(err.msg, "invalid-proof"),
       "server-final e= is EX_NOPERM with the server's text: %s", err.msg);
    sasl_client_free(c);

    c = sasl_client_new(AUTH_SCRAM_SHA_256_PLUS, "user", "pencil", NULL);
    s = initial(c, &err);
    ok(s == NULL && err.code == EX_NOPERM, "-PLUS without channel-binding data fails, no fallback");
    sasl_client_free(c);

    c = sasl_client_new(AUTH_SCRAM_SHA_256, "user", "pencil", "abc");
    ok(sasl_client_set_channel_binding(c, "tls-unique", cb_blob, 12) == -1,
       "an unknown channel-binding type is refused");
    sasl_client_set_channel_binding(c, "tls-exporter", cb_blob, 32);
    s = initial(c, &err);
    is_str(s, "y,,n=user,r=abc", "plain SCRAM with binding data available says y,,");
    free(s);
    s = step(c, "r=abcdef,s=QSXCR+Q6sek8bf92,i=4096", &err);
    ok(s && strncmp(s, "c=eSws,r=abcdef,p=", 18) == 0, "and c= is base64(\"y,,\")");
    free(s);
    sasl_client_free(c);

    c = sasl_client_new(AUTH_SCRAM_SHA_256, "a=b,c", "pw", "n0");
    s = initial(c, &err);
    is_str(s, "n,,n=a=3Db=2Cc,r=n0", "'=' and ',' in the user name are escaped");
    free(s);
    sasl_client_free(c);

    c = sasl_client_new(AUTH_SCRAM_SHA_256, NULL, "pw", NULL);
    sasl_client_free(c);
    c = sasl_client_new(AUTH_SCRAM_SHA_256, "u", "pw", NULL);
    s = initial(c, &err);
    ok(s && strlen(s) == strlen("n,,n=u,r=") + 32, "a random nonce is 24 bytes in base64");
    free(s);
    sasl_client_free(c);
}

static void test_simple_mechs(void)
{
    struct mo_err err = { 0, "" };
    unsigned char *out;
    size_t n;
    struct sasl_client *c;
    char *s;

    c = sasl_client_new(AUTH_PLAIN, "tim", "tanstaaf", NULL);
    ok(sasl_client_initial(c, &out, &n, &err) == 0 && n == 13
       && memcmp(out, "\0tim\0tanstaaf", 13) == 0, "PLAIN: empty authzid, user, password");
    s = base64_encode(out, n);
    is_str(s, "AHRpbQB0YW5zdGFhZg==", "PLAIN: base64 form");
    free(s);
    sasl_response_free(out, n);
    ok(sasl_client_done(c), "PLAIN is done after the initial response");
    sasl_client_free(c);

    c = sasl_client_new(AUTH_LOGIN, "tim", "tanstaaf", NULL);
    ok(sasl_client_initial(c, &out, &n, &err) == 0 && out == NULL, "LOGIN has no initial response");
    s = step(c, "Password:", &err);
    is_str(s, "tim", "LOGIN: first answer is the user whatever the prompt says");
    free(s);
    s = step(c, "Username:", &err);
    is_str(s, "tanstaaf", "LOGIN: second answer is the password");
    free(s);
    ok(sasl_client_done(c), "LOGIN done");
    s = step(c, "More:", &err);
    ok(s == NULL && err.code == EX_PROTOCOL, "LOGIN: a third challenge is refused");
    sasl_client_free(c);

    c = sasl_client_new(AUTH_CRAM_MD5, "tim", "tanstaaftanstaaf", NULL);
    ok(sasl_client_initial(c, &out, &n, &err) == 0 && out == NULL, "CRAM-MD5 has no initial response");
    s = step(c, "<1896.697170952@postoffice.reston.mci.net>", &err);
    is_str(s, "tim b913a602c7eda7a495b4e6e7334d3890", "RFC 2195 CRAM-MD5 example");
    free(s);
    sasl_client_free(c);

    c = sasl_client_new(AUTH_EXTERNAL, NULL, NULL, NULL);
    ok(sasl_client_initial(c, &out, &n, &err) == 0 && out != NULL && n == 0,
       "EXTERNAL without user: empty initial response");
    sasl_response_free(out, n);
    sasl_client_free(c);
    c = sasl_client_new(AUTH_EXTERNAL, "admin", NULL, NULL);
    s = initial(c, &err);
    is_str(s, "admin", "EXTERNAL with user: authzid");
    free(s);
    sasl_client_free(c);
    ok(sasl_client_new(AUTH_AUTO, "u", "p", NULL) == NULL, "no client for auth=auto");
}

static void test_oauth(void)
{
    struct mo_err err = { 0, "" };
    struct sasl_client *c;
    char buf[300], *s;
    const char *json = "{\"status\":\"invalid_token\",\"scope\":\"example_scope\","
                       "\"openid-configuration\":\"https://example.com/.well-known/openid-configuration\"}";

    c = sasl_client_new(AUTH_XOAUTH2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", NULL);
    s = initial(c, &err);
    is_str(s, "user=someuser@example.com\001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001",
           "XOAUTH2 initial response");
    free(s);
    s = step(c, "{\"status\":\"400\",\"schemes\":\"Bearer\",\"scope\":\"https://mail.google.com/\"}", &err);
    is_str(s, "", "XOAUTH2 answers the error challenge with an empty response");
    free(s);
#ifdef HAVE_JSONC
    is_str(sasl_client_error_detail(c), "status 400, scope https://mail.google.com/", "XOAUTH2 error detail");
#else
    ok(strstr(sasl_client_error_detail(c), "\"400\"") != NULL, "XOAUTH2 error detail (raw JSON)");
#endif
    sasl_client_free(c);

    c = sasl_client_new(AUTH_OAUTHBEARER, "user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", NULL);
    sasl_client_set_server(c, "server.example.com", 587);
    s = initial(c, &err);
    is_str(s, "n,a=user@example.com,\001host=server.example.com\001port=587\001"
              "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001",
           "OAUTHBEARER initial response (RFC 7628 example)");
    free(s);
    s = step(c, json, &err);
    is_str(s, "\001", "OAUTHBEARER answers the error challenge with ^A");
    free(s);
#ifdef HAVE_JSONC
    is_str(sasl_client_error_detail(c), "status invalid_token, scope example_scope", "OAUTHBEARER error detail");
#else
    ok(strstr(sasl_client_error_detail(c), "invalid_token") != NULL, "OAUTHBEARER error detail (raw JSON)");
#endif
    sasl_client_free(c);

#ifdef HAVE_JSONC
    ok(sasl_oauth_error_text((const unsigned char *)"{ \"status\" : 401 }", 18, buf, sizeof buf) == 0,
       "JSON with a number status");
    is_str(buf, "status 401", "its text");
    ok(sasl_oauth_error_text((const unsigned char *)"not json", 8, buf, sizeof buf) == -1,
       "non-JSON is refused");
    ok(sasl_oauth_error_text((const unsigned char *)"{\"status\":\"x\\u0007\x01y\"", 21, buf, sizeof buf) == -1,
       "truncated JSON is refused");
    ok(sasl_oauth_error_text((const unsigned char *)"{\"status\":\"a\\u0007\x01\"}", 21, buf, sizeof buf) == 0
       && strchr(buf, 1) == NULL && strchr(buf, 7) == NULL, "control characters do not reach the text: %s", buf);
    /* what Dovecot sends (TESTBED.md), with members mailout does not use */
    {
        const char *d = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\"}";
        ok(sasl_oauth_error_text((const unsigned char *)d, strlen(d), buf, sizeof buf) == 0
           && strcmp(buf, "status 401, scope mail") == 0, "Dovecot's XOAUTH2 error: %s", buf);
        d = "{\"nested\":{\"status\":\"no\"},\"list\":[1,2],\"status\":\"invalid\\u005ftoken\"}";
        ok(sasl_oauth_error_text((const unsigned char *)d, strlen(d), buf, sizeof buf) == 0
           && strcmp(buf, "status invalid_token") == 0, "nested members skipped, \\u escapes decoded: %s", buf);
        d = "{\"status\":\"401\"} trailing";
        ok(sasl_oauth_error_text((const unsigned char *)d, strlen(d), buf, sizeof buf) == -1,
           "bytes after the object are refused");
        d = "{\"scope\":\"mail\"}";
        ok(sasl_oauth_error_text((const unsigned char *)d, strlen(d), buf, sizeof buf) == -1,
           "an object without status is unreadable");
    }
#else
    ok(sasl_oauth_error_text((const unsigned char *)"{\"status\":\"a\x01\"}", 16, buf, sizeof buf) == 0
       && strchr(buf, 1) == NULL, "without json-c the JSON is shown made printable: %s", buf);
#endif
}

static void test_base64(void)
{
    unsigned char *out;
    size_t n;

    ok(base64_decode("AHRpbQB0YW5zdGFhZg==", 20, &out, &n, 100) == 0 && n == 13
       && memcmp(out, "\0tim\0tanstaaf", 13) == 0, "base64 decode");
    free(out);
    ok(base64_decode("", 0, &out, &n, 10) == 0 && n == 0, "empty decodes to empty");
    free(out);
    ok(base64_decode("QUJD", 4, &out, &n, 2) == -1, "output over max is refused");
    ok(base64_decode("QUJ", 3, &out, &n, 10) == -1, "a length not a multiple of 4 is refused");
    ok(base64_decode("QU=D", 4, &out, &n, 10) == -1, "padding in the middle is refused");
    ok(base64_decode("Q===", 4, &out, &n, 10) == -1, "three padding characters are refused");
    ok(base64_decode("QU\nJD", 5, &out, &n, 10) == -1, "a newline is refused");
    ok(base64_decode("QU*D", 4, &out, &n, 10) == -1, "a bad character is refused");
    ok(base64_decode("QR==", 4, &out, &n, 10) == -1, "non-canonical padding bits are refused");
    ok(out == NULL, "no output on error");
}

static void test_names(void)
{
    is_str(sasl_mech_name(AUTH_SCRAM_SHA_256_PLUS), "SCRAM-SHA-256-PLUS", "mechanism name");
    is_int(sasl_mech_from_name("scram-sha-1-plus"), AUTH_SCRAM_SHA_1_PLUS, "name lookup is case-insensitive");
    is_int(sasl_mech_from_name("GSSAPI"), AUTH_OFF, "unknown mechanism");
    is_int(sasl_preference[0], AUTH_SCRAM_SHA_256_PLUS, "auto prefers SCRAM-SHA-256-PLUS");
    is_int(sasl_preference[sasl_preference_len - 1], AUTH_LOGIN, "and LOGIN last");
    ok(!sasl_mech_needs_password(AUTH_EXTERNAL) && sasl_mech_needs_password(AUTH_XOAUTH2),
       "EXTERNAL needs no password, XOAUTH2 needs a token");
}

/* ------------------------------------------------------------------------
 * For tests/scram-plus.sh: a one-connection SMTP server with STARTTLS and
 * SCRAM-SHA-256(-PLUS) that computes the channel binding itself with
 * OpenSSL (RFC 9266 exporter, RFC 5929 certificate hash) and checks the
 * client's c= against it, then the proof; it answers with its signature.
 *   test-sasl serve CERT KEY TLSVER(12|13) MODE PORTFILE LOGFILE
 * MODE: good, badcb (the server's binding differs, as behind a TLS
 * interceptor), badsig (a wrong server signature). The user is "u@test",
 * the password "pw plus"; for XOAUTH2 and OAUTHBEARER the token "tok-good".
 * LOGFILE gets one line: what the server saw. */

struct srv { int fd; SSL *ssl; };

static int srv_getc(struct srv *v)
{
    unsigned char ch;
    int n = v->ssl ? SSL_read(v->ssl, &ch, 1) : (int)read(v->fd, &ch, 1);
    return n == 1 ? ch : -1;
}

static int srv_line(struct srv *v, char *buf, size_t size)
{
    size_t o = 0;
    int ch;
    while ((ch = srv_getc(v)) >= 0 && ch != '\n')
        if (ch != '\r' && o + 1 < size)
            buf[o++] = (char)ch;
    buf[o] = '\0';
    return ch < 0 && o == 0 ? -1 : 0;
}

static void srv_put(struct srv *v, const char *s)
{
    if (v->ssl)
        SSL_write(v->ssl, s, (int)strlen(s));
    else if (write(v->fd, s, strlen(s)) < 0)
        return;
}

static void srv_put334(struct srv *v, const char *text)
{
    char *b = base64_encode((const unsigned char *)text, strlen(text));
    srv_put(v, "334 ");
    srv_put(v, b);
    srv_put(v, "\r\n");
    free(b);
}

/* The binding data the server sees on its side of the TLS connection. */
static size_t server_cb(SSL *ssl, const char *type, unsigned char *out)
{
    unsigned int n = 0;
    if (strcmp(type, "tls-exporter") == 0) {
        if (SSL_export_keying_material(ssl, out, 32, "EXPORTER-Channel-Binding", 24,
                                       NULL, 0, 0) != 1)
            return 0;
        return 32;
    }
    X509_digest(SSL_get_certificate(ssl), EVP_sha256(), out, &n);
    return n;
}

/* One SCRAM-SHA-256(-PLUS) exchange; returns 0 when the client proved the
 * password. log gets what happened. */
static int serve_scram(struct srv *v, const char *first_b64, const char *mode,
                       char *log, size_t logsize)
{
    unsigned char *first = NULL, *final = NULL, salt[16], cb[64], salted[32],
        ckey[32], skey[32], stored[32], csig[32], ssig[32], gs2cb[128], *proof = NULL;
    size_t first_len, final_len, cb_len = 0, proof_len, n;
    unsigned int hl = 32;
    char snonce[64], sfirst[256], line[4096], type[32] = "", *bare, *cbind, *p, *auth;
    char *salt_b64, *sig_b64, *want_c;
    const char *pw = "pw plus";

    if (base64_decode(first_b64, strlen(first_b64), &first, &first_len, 1024) != 0)
        return snprintf(log, logsize, "bad base64"), -1;
    if (strncmp((char *)first, "p=", 2) == 0) {
        snprintf(type, sizeof type, "%.*s", (int)strcspn((char *)first + 2, ","), (char *)first + 2);
        cb_len = server_cb(v->ssl, type, cb);
        if (strcmp(mode, "badcb") == 0)
            cb[0] ^= 1;
    }
    /* RFC 5802 §6: "y" while we offer -PLUS means a downgrade. */
    if (first[0] == 'y') {
        snprintf(log, logsize, "downgrade: y while -PLUS is offered");
        srv_put334(v, "e=server-does-support-channel-binding");
        free(first);
        return -1;
    }
    bare = strstr((char *)first, ",,") + 2;
    RAND_bytes(salt, sizeof salt);
    salt_b64 = base64_encode(salt, sizeof salt);
    snprintf(snonce, sizeof snonce, "%sSRV", strstr(bare, "r=") + 2);
    snprintf(sfirst, sizeof sfirst, "r=%s,s=%s,i=4096", snonce, salt_b64);
    srv_put334(v, sfirst);
    if (srv_line(v, line, sizeof line) != 0
        || base64_decode(line, strlen(line), &final, &final_len, 4096) != 0)
        return snprintf(log, logsize, "no client-final"), -1;
    /* c= must be base64(gs2 header + binding data computed here). */
    n = (size_t)(bare - (char *)first);
    memcpy(gs2cb, first, n);
    memcpy(gs2cb + n, cb, cb_len);
    want_c = base64_encode(gs2cb, n + cb_len);
    cbind = (char *)final + 2;
    if (strncmp(cbind, want_c, strlen(want_c)) != 0 || cbind[strlen(want_c)] != ',') {
        snprintf(log, logsize, "cb mismatch type=%s", type);
        srv_put334(v, "e=channel-bindings-dont-match");
        return -1;
    }
    p = strstr((char *)final, ",p=");
    auth = xasprintf("%s,%s,%.*s", bare, sfirst, (int)(p - (char *)final), (char *)final);
    base64_decode(p + 3, strlen(p + 3), &proof, &proof_len, 64);
    PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof salt, 4096, EVP_sha256(), 32, salted);
    HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10, ckey, &hl);
    SHA256(ckey, 32, stored);
    HMAC(EVP_sha256(), stored, 32, (unsigned char *)auth, strlen(auth), csig, &hl);
    for (int i = 0; i < 32; i++)
        ckey[i] = (unsigned char)(proof[i] ^ csig[i]);
    SHA256(ckey, 32, csig);
    if (proof_len != 32 || memcmp(csig, stored, 32) != 0) {
        snprintf(log, logsize, "bad proof");
        srv_put334(v, "e=invalid-proof");
        return -1;
    }
    HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key", 10, skey, &hl);
    HMAC(EVP_sha256(), skey, 32, (unsigned char *)auth, strlen(auth), ssig, &hl);
    if (strcmp(mode, "badsig") == 0)
        ssig[0] ^= 1;
    sig_b64 = base64_encode(ssig, 32);
    snprintf(sfirst, sizeof sfirst, "v=%s", sig_b64);
    srv_put334(v, sfirst);
    srv_line(v, line, sizeof line);
    snprintf(log, logsize, "auth ok gs2=%.*s", (int)n, (char *)first);
    free(first); free(final); free(proof); free(salt_b64); free(sig_b64); free(want_c); free(auth);
    return 0;
}

/* XOAUTH2 / OAUTHBEARER: the token "tok-good" passes; any other gets the
 * RFC 7628 JSON error challenge, and the client's answer to it is logged. */
static int serve_oauth(struct srv *v, const char *mech, const char *ir_b64,
                       char *log, size_t logsize)
{
    unsigned char *ir = NULL;
    size_t n;
    char line[1024];
    int good;

    if (base64_decode(ir_b64, strlen(ir_b64), &ir, &n, 4096) != 0)
        return snprintf(log, logsize, "bad base64"), -1;
    good = memmem(ir, n, "auth=Bearer tok-good\001\001", 22) != NULL;
    if (good) {
        snprintf(log, logsize, "oauth ok mech=%s", mech);
        free(ir);
        return 0;
    }
    srv_put334(v, "{\"status\":\"invalid_token\",\"scope\":\"https://mail.test/\"}");
    srv_line(v, line, sizeof line);
    snprintf(log, logsize, "oauth refused mech=%s answer=[%.100s]", mech, line);
    free(ir);
    return -1;
}

static void write_log(const char *path, const char *log, const struct srv *v)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "%s tls=%s\n", log, v->ssl ? SSL_get_version(v->ssl) : "none");
    fclose(f);
}

static int scram_plus_server(char **a)
{
    const char *cert = a[0], *key = a[1], *mode = a[3], *portfile = a[4], *logfile = a[5];
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t sl = sizeof sin;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    struct srv v = { -1, NULL };
    char line[4096], log[300] = "no AUTH";
    int ls = socket(AF_INET, SOCK_STREAM, 0), authed = 0;
    FILE *f;

    signal(SIGPIPE, SIG_IGN);       /* the client may hang up first */
    SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
    SSL_CTX_set_max_proto_version(ctx, strcmp(a[2], "12") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(ls, 1) != 0
        || getsockname(ls, (struct sockaddr *)&sin, &sl) != 0)
        return 1;
    f = fopen(portfile, "w");
    fprintf(f, "%d\n", ntohs(sin.sin_port));
    fclose(f);
    v.fd = accept(ls, NULL, NULL);
    srv_put(&v, "220 scram.test ESMTP\r\n");
    while (srv_line(&v, line, sizeof line) == 0) {
        if (ascii_strncasecmp(line, "EHLO", 4) == 0)
            srv_put(&v, v.ssl ? "250-scram.test\r\n250-AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n"
                              : "250-scram.test\r\n250 STARTTLS\r\n");
        else if (ascii_strcasecmp(line, "STARTTLS") == 0 && !v.ssl) {
            srv_put(&v, "220 go ahead\r\n");
            v.ssl = SSL_new(ctx);
            SSL_set_fd(v.ssl, v.fd);
            if (SSL_accept(v.ssl) != 1)
                break;
        } else if ((ascii_strncasecmp(line, "AUTH XOAUTH2 ", 13) == 0
                    || ascii_strncasecmp(line, "AUTH OAUTHBEARER ", 17) == 0) && v.ssl) {
            char mech[16];
            snprintf(mech, sizeof mech, "%.*s", (int)strcspn(line + 5, " "), line + 5);
            authed = serve_oauth(&v, mech, strchr(line + 5, ' ') + 1, log, sizeof log) == 0;
            write_log(logfile, log, &v);
            srv_put(&v, authed ? "235 2.7.0 ok\r\n" : "535 5.7.8 token refused\r\n");
        } else if (ascii_strncasecmp(line, "AUTH SCRAM-SHA-256", 18) == 0 && v.ssl && strchr(line + 5, ' ')) {
            authed = serve_scram(&v, strchr(line + 5, ' ') + 1, mode, log, sizeof log) == 0;
            write_log(logfile, log, &v);
            /* After an e= challenge the client answers (or cancels) first. */
            if (!authed && srv_line(&v, line, sizeof line) == 0 && strcmp(line, "*") == 0)
                srv_put(&v, "501 5.7.0 authentication cancelled\r\n");
            else
                srv_put(&v, authed ? "235 2.7.0 ok\r\n" : "535 5.7.8 authentication failed\r\n");
        } else if (strcmp(line, "*") == 0) {
            srv_put(&v, "501 5.7.0 cancelled\r\n");
        } else if (ascii_strncasecmp(line, "MAIL", 4) == 0 || ascii_strncasecmp(line, "RCPT", 4) == 0
                   || ascii_strncasecmp(line, "RSET", 4) == 0) {
            srv_put(&v, authed ? "250 ok\r\n" : "530 5.7.0 authentication required\r\n");
        } else if (ascii_strcasecmp(line, "DATA") == 0 && authed) {
            srv_put(&v, "354 go\r\n");
            while (srv_line(&v, line, sizeof line) == 0 && strcmp(line, ".") != 0)
                ;
            srv_put(&v, "250 2.0.0 queued as SCRAMPLUS\r\n");
        } else if (ascii_strcasecmp(line, "QUIT") == 0) {
            srv_put(&v, "221 bye\r\n");
            break;
        } else {
            srv_put(&v, "502 5.5.1 unknown\r\n");
        }
    }
    if (strcmp(log, "no AUTH") == 0)
        write_log(logfile, log, &v);
    if (v.ssl) {
        SSL_shutdown(v.ssl);
        SSL_free(v.ssl);
    }
    close(v.fd);
    close(ls);
    SSL_CTX_free(ctx);
    return 0;
}

/* For tests/sasl-cyrus.sh: speaks to Cyrus SASL's sample server through a
 * line protocol on stdin/stdout. Prints "I <b64>" or "I -" (no initial
 * response); then for each challenge line (base64, "-" for empty) prints
 * "R <b64>" or "E <code> <message>"; the line "DONE" prints "DONE 0|1". */
static int drive(const char *mech, const char *user, const char *pass)
{
    struct mo_err err = { 0, "" };
    struct sasl_client *c = sasl_client_new(sasl_mech_from_name(mech), user, pass, NULL);
    unsigned char *out = NULL, *ch = NULL;
    size_t n = 0, chn = 0;
    char line[8192];

    if (c == NULL)
        return 2;
    if (sasl_client_initial(c, &out, &n, &err) != 0) {
        printf("E %d %s\n", err.code, err.msg);
        return 1;
    }
    if (out) {
        char *b = base64_encode(out, n);
        printf("I %s\n", b);
        free(b);
        sasl_response_free(out, n);
    } else {
        printf("I -\n");
    }
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "DONE") == 0) {
            printf("DONE %d\n", sasl_client_done(c) ? 1 : 0);
            break;
        }
        if (strcmp(line, "-") == 0)
            line[0] = '\0';
        if (base64_decode(line, strlen(line), &ch, &chn, 4096) != 0) {
            printf("E 0 bad base64\n");
        } else if (sasl_client_step(c, ch, chn, &out, &n, &err) != 0) {
            printf("E %d %s\n", err.code, err.msg);
        } else {
            char *b = base64_encode(out, n);
            printf("R %s\n", b[0] ? b : "-");
            free(b);
            sasl_response_free(out, n);
        }
        free(ch);
        fflush(stdout);
    }
    sasl_client_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "drive") == 0)
        return drive(argv[2], argv[3], argv[4]);
    if (argc == 8 && strcmp(argv[1], "serve") == 0)
        return scram_plus_server(argv + 2);
    test_scram_vectors();
    test_scram_hostile();
    test_simple_mechs();
    test_oauth();
    test_base64();
    test_names();
    return done_testing();
}
