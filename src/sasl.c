/* sasl.c - SASL client mechanisms on OpenSSL 3 primitives. Every buffer that
 * holds a password, a key or a proof is wiped with OPENSSL_cleanse. */
#include "config.h"
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "codec.h"
#include "sasl.h"
#ifdef HAVE_JSONC
#include <json-c/json.h>
#endif

/* RFC 7677 asks for at least 4096; the upper bound keeps a hostile server
 * from making us spin. */
#define SCRAM_MIN_ITER 4096
#define SCRAM_MAX_ITER 1000000
#define SCRAM_NONCE_BYTES 24
#define SASL_MAX_MSG 8192

const enum auth_mech sasl_preference[] = {
    AUTH_SCRAM_SHA_256_PLUS, AUTH_SCRAM_SHA_1_PLUS, AUTH_SCRAM_SHA_256,
    AUTH_SCRAM_SHA_1, AUTH_CRAM_MD5, AUTH_PLAIN, AUTH_LOGIN,
};
const size_t sasl_preference_len = sizeof sasl_preference / sizeof sasl_preference[0];

/* Every fact about every mechanism, indexed by enum auth_mech.
 *                                      keyword  wire  password clear  bound  pipe */
#define M(m, kw, wire, pw, clear, bound, pipe) [m] = { m, kw, wire, pw, clear, bound, pipe }
static const struct sasl_mech_info mechs[] = {
    M(AUTH_AUTO, "auto", NULL, true, false, false, false),
    M(AUTH_OFF, "off", NULL, false, false, false, false),
    M(AUTH_PLAIN, "plain", "PLAIN", true, true, false, true),
    M(AUTH_LOGIN, "login", "LOGIN", true, true, false, false),
    M(AUTH_SCRAM_SHA_256, "scram-sha-256", "SCRAM-SHA-256", true, false, false, false),
    M(AUTH_SCRAM_SHA_256_PLUS, "scram-sha-256-plus", "SCRAM-SHA-256-PLUS", true, false, true, false),
    M(AUTH_SCRAM_SHA_1, "scram-sha-1", "SCRAM-SHA-1", true, false, false, false),
    M(AUTH_XOAUTH2, "xoauth2", "XOAUTH2", true, true, false, false),
    M(AUTH_OAUTHBEARER, "oauthbearer", "OAUTHBEARER", true, true, false, false),
    M(AUTH_EXTERNAL, "external", "EXTERNAL", false, false, false, true),
    M(AUTH_CRAM_MD5, "cram-md5", "CRAM-MD5", true, false, false, false),
    M(AUTH_SCRAM_SHA_1_PLUS, "scram-sha-1-plus", "SCRAM-SHA-1-PLUS", true, false, true, false),
};
#undef M
#define N_MECHS (sizeof mechs / sizeof mechs[0])

const struct sasl_mech_info *sasl_mech(enum auth_mech m)
{
    return (size_t)m < N_MECHS ? &mechs[m] : &mechs[AUTH_OFF];
}

bool sasl_mech_from_keyword(const char *keyword, enum auth_mech *out)
{
    for (size_t i = 0; i < N_MECHS; i++)
        if (ascii_strcasecmp(mechs[i].keyword, keyword) == 0) {
            *out = mechs[i].mech;
            return true;
        }
    return false;
}

const char *sasl_mech_name(enum auth_mech m)
{
    const struct sasl_mech_info *i = sasl_mech(m);

    return i->wire ? i->wire : i->keyword;
}

enum auth_mech sasl_mech_from_name(const char *name)
{
    for (size_t i = 0; i < N_MECHS; i++)
        if (mechs[i].wire && ascii_strcasecmp(mechs[i].wire, name) == 0)
            return mechs[i].mech;
    return AUTH_OFF;
}

bool sasl_mech_needs_password(enum auth_mech m)
{
    return sasl_mech(m)->needs_password;
}

bool sasl_mech_is_plus(enum auth_mech m)
{
    return sasl_mech(m)->channel_bound;
}

bool sasl_login_needs_password(enum auth_mech configured, const char *user)
{
    return user != NULL && sasl_mech(configured)->needs_password;
}

static bool is_scram(enum auth_mech m)
{
    return m == AUTH_SCRAM_SHA_1 || m == AUTH_SCRAM_SHA_256 || sasl_mech_is_plus(m);
}

struct sasl_client {
    enum auth_mech mech;
    char *user;
    char *password;
    char *host;
    int port;
    int step;
    bool done;
    bool failed;
    char nonce[64];
    const char *md;             /* SCRAM digest: "SHA1" or "SHA256" */
    char cb_type[32];           /* empty: no channel binding data */
    unsigned char *cb;
    size_t cb_len;
    char *gs2;                  /* the gs2 header sent */
    char *first_bare;           /* client-first-message-bare */
    unsigned char server_sig[EVP_MAX_MD_SIZE];
    size_t sig_len;
    char *detail;               /* server's error text, printable */
};

/* ------------------------------------------------------------ crypto */

static int hmac(const char *md, const void *key, size_t keylen,
                const void *data, size_t len, unsigned char *out, size_t *outlen)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = ctx != NULL && EVP_MAC_init(ctx, key, keylen, params)
         && EVP_MAC_update(ctx, data, len)
         && EVP_MAC_final(ctx, out, outlen, EVP_MAX_MD_SIZE);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok ? 0 : -1;
}

static int digest(const char *md, const void *data, size_t len,
                  unsigned char *out, size_t *outlen)
{
    EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
    unsigned int n = 0;
    int ok = m != NULL && EVP_Digest(data, len, out, &n, m, NULL);

    EVP_MD_free(m);
    *outlen = n;
    return ok ? 0 : -1;
}

static int crypto_fail(struct mo_err *err)
{
    return mo_err_set(err, EX_SOFTWARE, _("authentication: cryptographic operation failed"));
}

/* ------------------------------------------------------------ client */

static void set_output(unsigned char **out, size_t *out_len, const void *p, size_t n)
{
    *out = xmalloc(n + 1);
    if (n > 0)
        memcpy(*out, p, n);
    (*out)[n] = '\0';
    *out_len = n;
}

static void output_strbuf(struct strbuf *b, unsigned char **out, size_t *out_len)
{
    set_output(out, out_len, b->data ? b->data : "", b->len);
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    strbuf_free(b);
}

/* Responses that carry a secret are assembled in one exact allocation, so
 * that no realloc or printf buffer leaves a copy behind. */
struct piece { const void *p; size_t n; };
#define S(x) { (x), strlen(x) }

static void output_join(unsigned char **out, size_t *out_len,
                        const struct piece *pc, size_t count)
{
    size_t n = 0, o = 0;
    for (size_t i = 0; i < count; i++)
        n += pc[i].n;
    *out = xmalloc(n + 1);
    for (size_t i = 0; i < count; i++) {
        if (pc[i].n)
            memcpy(*out + o, pc[i].p, pc[i].n);
        o += pc[i].n;
    }
    (*out)[n] = '\0';
    *out_len = n;
}

void sasl_response_free(unsigned char *p, size_t len)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, len);
    free(p);
}

struct sasl_client *sasl_client_new(enum auth_mech m, const char *user,
                                    const char *password, const char *nonce)
{
    struct sasl_client *c;

    if (m == AUTH_AUTO || m == AUTH_OFF)
        return NULL;
    c = xcalloc(1, sizeof *c);
    c->mech = m;
    c->user = xstrdup(user ? user : "");
    c->password = xstrdup(password ? password : "");
    if (m == AUTH_SCRAM_SHA_1 || m == AUTH_SCRAM_SHA_1_PLUS)
        c->md = "SHA1";
    else
        c->md = "SHA256";
    if (nonce != NULL) {
        snprintf(c->nonce, sizeof c->nonce, "%s", nonce);
    } else {
        unsigned char raw[SCRAM_NONCE_BYTES];
        char *b;
        if (RAND_bytes(raw, sizeof raw) != 1) {
            sasl_client_free(c);
            return NULL;
        }
        b = base64_encode(raw, sizeof raw);
        snprintf(c->nonce, sizeof c->nonce, "%s", b);
        free(b);
    }
    return c;
}

int sasl_client_set_channel_binding(struct sasl_client *c, const char *type,
                                    const unsigned char *data, size_t len)
{
    if (strcmp(type, "tls-exporter") != 0 && strcmp(type, "tls-server-end-point") != 0)
        return -1;
    if (len == 0 || len > 1024)
        return -1;
    snprintf(c->cb_type, sizeof c->cb_type, "%s", type);
    free(c->cb);
    c->cb = xmalloc(len);
    memcpy(c->cb, data, len);
    c->cb_len = len;
    return 0;
}

void sasl_client_set_server(struct sasl_client *c, const char *host, int port)
{
    free(c->host);
    c->host = host ? xstrdup(host) : NULL;
    c->port = port;
}

bool sasl_client_done(const struct sasl_client *c)
{
    return c->done;
}

const char *sasl_client_error_detail(const struct sasl_client *c)
{
    return c->detail;
}

void sasl_client_free(struct sasl_client *c)
{
    if (c == NULL)
        return;
    secret_free(c->password);
    secret_free(c->user);
    secret_free(c->first_bare);
    free(c->host);
    free(c->gs2);
    free(c->cb);
    free(c->detail);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

/* RFC 5802 saslname: '=' and ',' escaped; control characters refused. */
static int append_saslname(struct strbuf *b, const char *s, struct mo_err *err)
{
    if (has_control_chars(s))
        return mo_err_set(err, EX_CONFIG, _("authentication: the user name contains control characters"));
    for (; *s; s++) {
        if (*s == '=')
            strbuf_append(b, "=3D", 3);
        else if (*s == ',')
            strbuf_append(b, "=2C", 3);
        else
            strbuf_append(b, s, 1);
    }
    return 0;
}

static int plain_initial(struct sasl_client *c, unsigned char **out,
                         size_t *out_len, struct mo_err *err)
{
    const struct piece pc[] = { { "", 1 }, S(c->user), { "", 1 }, S(c->password) };

    (void)err;
    output_join(out, out_len, pc, sizeof pc / sizeof pc[0]);
    c->done = true;
    return 0;
}

static int xoauth2_initial(struct sasl_client *c, unsigned char **out,
                           size_t *out_len, struct mo_err *err)
{
    const struct piece pc[] = { S("user="), S(c->user), S("\001auth=Bearer "),
                                S(c->password), S("\001\001") };

    if (has_control_chars(c->user) || has_control_chars(c->password))
        return mo_err_set(err, EX_CONFIG, _("authentication: the user name or token contains control characters"));
    output_join(out, out_len, pc, sizeof pc / sizeof pc[0]);
    c->done = true;
    return 0;
}

static int oauthbearer_initial(struct sasl_client *c, unsigned char **out,
                               size_t *out_len, struct mo_err *err)
{
    struct strbuf b;

    if (has_control_chars(c->password) || (c->host && has_control_chars(c->host)))
        return mo_err_set(err, EX_CONFIG, _("authentication: the token contains control characters"));
    strbuf_init(&b, 0);
    strbuf_append(&b, "n,", 2);
    if (c->user[0]) {
        strbuf_append(&b, "a=", 2);
        if (append_saslname(&b, c->user, err) != 0) {
            strbuf_free(&b);
            return -1;
        }
    }
    strbuf_append(&b, ",\001", 2);
    if (c->host)
        strbuf_appendf(&b, "host=%s\001", c->host);
    if (c->port > 0)
        strbuf_appendf(&b, "port=%d\001", c->port);
    {
        const struct piece pc[] = { { b.data, b.len }, S("auth=Bearer "),
                                    S(c->password), S("\001\001") };
        output_join(out, out_len, pc, sizeof pc / sizeof pc[0]);
    }
    strbuf_free(&b);
    c->done = true;
    return 0;
}

static int scram_initial(struct sasl_client *c, unsigned char **out,
                         size_t *out_len, struct mo_err *err)
{
    struct strbuf b;

    if (sasl_mech_is_plus(c->mech) && c->cb_type[0] == '\0')
        return mo_err_set(err, EX_NOPERM, _("authentication: %s needs TLS channel binding, which this connection does not provide"),
                          sasl_mech_name(c->mech));
    if (sasl_mech_is_plus(c->mech))
        c->gs2 = xasprintf("p=%s,,", c->cb_type);
    else
        c->gs2 = xstrdup(c->cb_type[0] ? "y,," : "n,,");
    strbuf_init(&b, SASL_MAX_MSG);
    strbuf_append(&b, "n=", 2);
    if (append_saslname(&b, c->user, err) != 0) {
        strbuf_free(&b);
        return -1;
    }
    if (strbuf_appendf(&b, ",r=%s", c->nonce) != 0) {
        strbuf_free(&b);
        return mo_err_set(err, EX_CONFIG, _("authentication: the user name is too long"));
    }
    c->first_bare = strbuf_detach(&b, NULL);
    strbuf_init(&b, 0);
    strbuf_appendf(&b, "%s%s", c->gs2, c->first_bare);
    output_strbuf(&b, out, out_len);
    c->step = 1;
    return 0;
}

int sasl_client_initial(struct sasl_client *c, unsigned char **out,
                        size_t *out_len, struct mo_err *err)
{
    *out = NULL;
    *out_len = 0;
    switch (c->mech) {
    case AUTH_PLAIN:
        return plain_initial(c, out, out_len, err);
    case AUTH_XOAUTH2:
        return xoauth2_initial(c, out, out_len, err);
    case AUTH_OAUTHBEARER:
        return oauthbearer_initial(c, out, out_len, err);
    case AUTH_EXTERNAL:
        if (has_control_chars(c->user))
            return mo_err_set(err, EX_CONFIG, _("authentication: the user name contains control characters"));
        set_output(out, out_len, c->user, strlen(c->user));
        c->done = true;
        return 0;
    case AUTH_LOGIN:
    case AUTH_CRAM_MD5:
        return 0;
    default:
        if (is_scram(c->mech))
            return scram_initial(c, out, out_len, err);
        return mo_err_set(err, EX_SOFTWARE, _("authentication: unsupported mechanism"));
    }
}

static void hex_lower(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int cram_step(struct sasl_client *c, const unsigned char *ch, size_t len,
                     unsigned char **out, size_t *out_len, struct mo_err *err)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    size_t maclen = 0;

    if (c->step++ != 0)
        return mo_err_set(err, EX_PROTOCOL, _("authentication: the server sent an unexpected CRAM-MD5 challenge"));
    if (hmac("MD5", c->password, strlen(c->password), ch, len, mac, &maclen) != 0)
        return crypto_fail(err);
    hex_lower(mac, maclen, hex);
    {
        const struct piece pc[] = { S(c->user), S(" "), S(hex) };
        output_join(out, out_len, pc, sizeof pc / sizeof pc[0]);
    }
    OPENSSL_cleanse(mac, sizeof mac);
    OPENSSL_cleanse(hex, sizeof hex);
    c->done = true;
    return 0;
}

/* LOGIN answers by step order; the prompt texts vary between servers. */
static int login_step(struct sasl_client *c, unsigned char **out, size_t *out_len,
                      struct mo_err *err)
{
    const char *answer;

    if (c->step == 0)
        answer = c->user;
    else if (c->step == 1)
        answer = c->password;
    else
        return mo_err_set(err, EX_PROTOCOL, _("authentication: the server sent an unexpected LOGIN challenge"));
    c->step++;
    set_output(out, out_len, answer, strlen(answer));
    if (c->step == 2)
        c->done = true;
    return 0;
}

/* Keeps printable ASCII only, bounded: server text goes into our messages. */
static char *printable_copy(const char *s, size_t n)
{
    char *out = xmalloc(n > 200 ? 201 : n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n && o < 200; i++)
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[o] = '\0';
    return out;
}

/* ---- JSON error of RFC 7628: an object; only status and scope matter. */

/* A printable copy of at most size - 1 bytes of s. */
static void printable(char *buf, size_t size, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < size; i++)
        buf[o++] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
    buf[o] = '\0';
}

#ifdef HAVE_JSONC
/* A string or number member as printable text; "" when absent or not one. */
static void json_member(json_object *o, const char *key, char *buf, size_t size)
{
    json_object *v;
    const char *s;

    buf[0] = '\0';
    if (!json_object_object_get_ex(o, key, &v)
        || !(json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int)
             || json_object_is_type(v, json_type_double)))
        return;
    s = json_object_get_string(v);
    printable(buf, size, s, strlen(s));
}

static bool only_space(const unsigned char *p, const unsigned char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return false;
    return true;
}

int sasl_oauth_error_text(const unsigned char *json, size_t len, char *buf,
                          size_t size)
{
    char status[200], scope[200];
    json_tokener *tok = json_tokener_new();
    json_object *o = NULL;

    if (tok != NULL && len < 65536) {
        o = json_tokener_parse_ex(tok, (const char *)json, (int)len);
        if (json_tokener_get_error(tok) != json_tokener_success
            || !only_space(json + json_tokener_get_parse_end(tok), json + len)) {
            json_object_put(o);
            o = NULL;
        }
    }
    json_tokener_free(tok);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        snprintf(buf, size, "%s", _("unreadable error from the server"));
        return -1;
    }
    json_member(o, "status", status, sizeof status);
    json_member(o, "scope", scope, sizeof scope);
    json_object_put(o);
    if (status[0] == '\0') {
        snprintf(buf, size, "%s", _("unreadable error from the server"));
        return -1;
    }
    if (scope[0])
        snprintf(buf, size, _("status %s, scope %s"), status, scope);
    else
        snprintf(buf, size, _("status %s"), status);
    return 0;
}
#else
/* Without json-c the server's JSON is shown as it came, made printable. */
int sasl_oauth_error_text(const unsigned char *json, size_t len, char *buf,
                          size_t size)
{
    char raw[200];

    printable(raw, sizeof raw, (const char *)json, len);
    snprintf(buf, size, _("the server said %s"), raw);
    return len > 0 && json[0] == '{' ? 0 : -1;
}
#endif

static int oauth_step(struct sasl_client *c, const unsigned char *ch, size_t len,
                      unsigned char **out, size_t *out_len, struct mo_err *err)
{
    char text[300];

    if (c->step++ != 0)
        return mo_err_set(err, EX_PROTOCOL, _("authentication: the server sent an unexpected %s challenge"),
                          sasl_mech_name(c->mech));
    sasl_oauth_error_text(ch, len, text, sizeof text);
    free(c->detail);
    c->detail = xstrdup(text);
    c->failed = true;
    if (c->mech == AUTH_OAUTHBEARER)
        set_output(out, out_len, "\001", 1);
    else
        set_output(out, out_len, "", 0);
    return 0;
}

/* ---- SCRAM */

/* Finds "k=" at *p (attributes are comma-separated); value up to ',' or end. */
static int scram_attr(const char **p, const char *end, char k, const char **val,
                      size_t *vlen)
{
    const char *s = *p, *e;
    if (end - s < 2 || s[0] != k || s[1] != '=')
        return -1;
    s += 2;
    e = memchr(s, ',', (size_t)(end - s));
    if (e == NULL)
        e = end;
    *val = s;
    *vlen = (size_t)(e - s);
    *p = e < end ? e + 1 : end;
    return 0;
}

static int scram_bad(struct mo_err *err, const char *why)
{
    return mo_err_set(err, EX_PROTOCOL, _("authentication: bad SCRAM server message: %s"), why);
}

struct scram_first {
    const char *nonce;
    size_t nonce_len;
    unsigned char *salt;
    size_t salt_len;
    long iter;
};

static int scram_parse_first(const struct sasl_client *c, const char *msg,
                             size_t len, struct scram_first *f, struct mo_err *err)
{
    const char *p = msg, *end = msg + len, *v;
    size_t vl, nl = strlen(c->nonce);
    char num[16];
    char *ep;

    if (memchr(msg, '\0', len) != NULL)
        return scram_bad(err, _("NUL byte"));
    if (len >= 2 && msg[0] == 'e' && msg[1] == '=') {
        char *text = printable_copy(msg + 2, len - 2);
        mo_err_set(err, EX_NOPERM, _("authentication refused by the server: %s"), text);
        free(text);
        return -1;
    }
    if (len >= 2 && msg[0] == 'm' && msg[1] == '=')
        return scram_bad(err, _("unsupported mandatory extension"));
    if (scram_attr(&p, end, 'r', &f->nonce, &f->nonce_len) != 0)
        return scram_bad(err, _("no nonce"));
    if (f->nonce_len <= nl || memcmp(f->nonce, c->nonce, nl) != 0)
        return scram_bad(err, _("the server nonce does not extend ours"));
    for (size_t i = 0; i < f->nonce_len; i++)
        if (f->nonce[i] < 0x21 || f->nonce[i] > 0x7e)
            return scram_bad(err, _("invalid nonce"));
    if (scram_attr(&p, end, 's', &v, &vl) != 0)
        return scram_bad(err, _("no salt"));
    if (base64_decode(v, vl, &f->salt, &f->salt_len, 1024) != 0 || f->salt_len == 0)
        return scram_bad(err, _("invalid salt"));
    if (scram_attr(&p, end, 'i', &v, &vl) != 0 || vl == 0 || vl >= sizeof num)
        return scram_bad(err, _("no iteration count"));
    memcpy(num, v, vl);
    num[vl] = '\0';
    if (num[0] < '0' || num[0] > '9')
        return scram_bad(err, _("invalid iteration count"));
    f->iter = strtol(num, &ep, 10);
    if (*ep != '\0')
        return scram_bad(err, _("invalid iteration count"));
    if (f->iter < SCRAM_MIN_ITER || f->iter > SCRAM_MAX_ITER)
        return mo_err_set(err, EX_PROTOCOL, _("authentication: SCRAM iteration count %ld is outside %d..%d"),
                          f->iter, SCRAM_MIN_ITER, SCRAM_MAX_ITER);
    return 0;
}

/* c= value: base64 of the gs2 header followed by the channel-binding data. */
static char *scram_cbind(const struct sasl_client *c)
{
    size_t gl = strlen(c->gs2), n = gl + (sasl_mech_is_plus(c->mech) ? c->cb_len : 0);
    unsigned char *buf = xmalloc(n + 1);
    char *b;

    memcpy(buf, c->gs2, gl);
    if (n > gl)
        memcpy(buf + gl, c->cb, c->cb_len);
    b = base64_encode(buf, n);
    free(buf);
    return b;
}

static int scram_step1(struct sasl_client *c, const unsigned char *ch, size_t len,
                       unsigned char **out, size_t *out_len, struct mo_err *err)
{
    struct scram_first f = { 0 };
    unsigned char salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE],
        stored[EVP_MAX_MD_SIZE], csig[EVP_MAX_MD_SIZE], skey[EVP_MAX_MD_SIZE];
    size_t hl = strcmp(c->md, "SHA1") == 0 ? 20 : 32, n1, n2, n3, n4;
    struct strbuf auth, resp;
    char *cbind, *proof_b64;
    int rc = -1;

    if (scram_parse_first(c, (const char *)ch, len, &f, err) != 0)
        goto out_salt;
    if (PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), f.salt,
                          (int)f.salt_len, (int)f.iter,
                          hl == 20 ? EVP_sha1() : EVP_sha256(), (int)hl, salted) != 1) {
        crypto_fail(err);
        goto out_salt;
    }
    cbind = scram_cbind(c);
    strbuf_init(&resp, 0);
    strbuf_appendf(&resp, "c=%s,r=%.*s", cbind, (int)f.nonce_len, f.nonce);
    free(cbind);
    strbuf_init(&auth, 0);
    strbuf_appendf(&auth, "%s,%.*s,%s", c->first_bare, (int)len, (const char *)ch, resp.data);
    if (hmac(c->md, salted, hl, "Client Key", 10, ckey, &n1) != 0
        || digest(c->md, ckey, hl, stored, &n2) != 0
        || hmac(c->md, stored, hl, auth.data, auth.len, csig, &n3) != 0
        || hmac(c->md, salted, hl, "Server Key", 10, skey, &n4) != 0
        || hmac(c->md, skey, hl, auth.data, auth.len, c->server_sig, &c->sig_len) != 0) {
        crypto_fail(err);
    } else {
        for (size_t i = 0; i < hl; i++)
            ckey[i] ^= csig[i];
        proof_b64 = base64_encode(ckey, hl);
        {
            const struct piece pc[] = { { resp.data, resp.len }, S(",p="), S(proof_b64) };
            output_join(out, out_len, pc, sizeof pc / sizeof pc[0]);
        }
        secret_free(proof_b64);
        c->step = 2;
        rc = 0;
    }
    strbuf_free(&resp);
    strbuf_free(&auth);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(ckey, sizeof ckey);
    OPENSSL_cleanse(stored, sizeof stored);
    OPENSSL_cleanse(csig, sizeof csig);
    OPENSSL_cleanse(skey, sizeof skey);
out_salt:
    free(f.salt);
    return rc;
}

static int scram_step2(struct sasl_client *c, const unsigned char *ch, size_t len,
                       unsigned char **out, size_t *out_len, struct mo_err *err)
{
    const char *msg = (const char *)ch, *p = msg, *v;
    unsigned char *sig = NULL;
    size_t vl, sl = 0;
    int ok;

    if (memchr(msg, '\0', len) != NULL)
        return scram_bad(err, _("NUL byte"));
    if (scram_attr(&p, msg + len, 'e', &v, &vl) == 0) {
        char *text = printable_copy(v, vl);
        c->failed = true;
        mo_err_set(err, EX_NOPERM, _("authentication refused by the server: %s"), text);
        free(c->detail);
        c->detail = text;
        return -1;
    }
    if (scram_attr(&p, msg + len, 'v', &v, &vl) != 0)
        return scram_bad(err, _("no server signature"));
    if (base64_decode(v, vl, &sig, &sl, EVP_MAX_MD_SIZE) != 0)
        return scram_bad(err, _("invalid server signature"));
    ok = sl == c->sig_len && CRYPTO_memcmp(sig, c->server_sig, sl) == 0;
    free(sig);
    if (!ok) {
        c->failed = true;
        return mo_err_set(err, EX_NOPERM, _("authentication: the server's SCRAM signature does not verify (the server may not know the password: possible impostor)"));
    }
    c->done = true;
    c->step = 3;
    set_output(out, out_len, "", 0);
    return 0;
}

int sasl_client_step(struct sasl_client *c, const unsigned char *challenge,
                     size_t len, unsigned char **out, size_t *out_len,
                     struct mo_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (len > SASL_MAX_MSG)
        return mo_err_set(err, EX_PROTOCOL, _("authentication: the server's challenge is too long"));
    switch (c->mech) {
    case AUTH_LOGIN:
        return login_step(c, out, out_len, err);
    case AUTH_CRAM_MD5:
        return cram_step(c, challenge, len, out, out_len, err);
    case AUTH_XOAUTH2:
    case AUTH_OAUTHBEARER:
        return oauth_step(c, challenge, len, out, out_len, err);
    default:
        break;
    }
    if (is_scram(c->mech) && c->step == 1)
        return scram_step1(c, challenge, len, out, out_len, err);
    if (is_scram(c->mech) && c->step == 2)
        return scram_step2(c, challenge, len, out, out_len, err);
    return mo_err_set(err, EX_PROTOCOL, _("authentication: the server sent an unexpected %s challenge"),
                      sasl_mech_name(c->mech));
}
