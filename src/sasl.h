/* sasl.h - SASL client mechanisms built on OpenSSL primitives (no SASL
 * library): PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 and their
 * channel-bound -PLUS forms, XOAUTH2, OAUTHBEARER, EXTERNAL. Pure functions
 * over bytes: the SMTP session does the base64 and the I/O.
 *
 * Adding a mechanism: an enum value below, one row in sasl.c's mechs[] table
 * (every fact about it lives there), its initial/step functions in sasl.c. */
#ifndef MAILOUT_SASL_H
#define MAILOUT_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

/* The account's auth setting: a mechanism, or auto / off. */
enum auth_mech {
    AUTH_AUTO, AUTH_OFF, AUTH_PLAIN, AUTH_LOGIN, AUTH_SCRAM_SHA_256,
    AUTH_SCRAM_SHA_256_PLUS, AUTH_SCRAM_SHA_1, AUTH_XOAUTH2, AUTH_OAUTHBEARER,
    AUTH_EXTERNAL, AUTH_CRAM_MD5, AUTH_SCRAM_SHA_1_PLUS,
};

/* Everything mailout knows about one mechanism (or about auto / off). */
struct sasl_mech_info {
    enum auth_mech mech;
    const char *keyword;        /* in the configuration: "scram-sha-256" */
    const char *wire;           /* in EHLO and AUTH: "SCRAM-SHA-256"; NULL
                                 * for auto and off */
    bool needs_password;        /* a secret from the password sources (the
                                 * bearer token for XOAUTH2/OAUTHBEARER) */
    bool cleartext;             /* hands the secret itself to whoever
                                 * listens: only over TLS */
    bool channel_bound;         /* SCRAM-*-PLUS: needs TLS channel binding */
    bool pipelinable;           /* one initial response and done: AUTH may
                                 * join the MAIL flight (RFC 4954 §4) */
};

/* The row for m (a row for every enum value). */
const struct sasl_mech_info *sasl_mech(enum auth_mech m);

/* The mechanism (or auto / off) named by a configuration keyword,
 * case-insensitive; false when there is none. */
bool sasl_mech_from_keyword(const char *keyword, enum auth_mech *out);

/* Mechanisms in order of preference for auth = auto (strongest first):
 * SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5,
 * PLAIN, LOGIN. The caller skips a -PLUS entry when it has no channel-binding
 * data (no TLS). XOAUTH2, OAUTHBEARER and EXTERNAL are never chosen by auto:
 * they need a token or a client certificate, so they must be configured. */
extern const enum auth_mech sasl_preference[];
extern const size_t sasl_preference_len;

const char *sasl_mech_name(enum auth_mech m);      /* "SCRAM-SHA-256" */
/* The mechanism named by an EHLO AUTH keyword (case-insensitive), or
 * AUTH_OFF when mailout does not implement it. */
enum auth_mech sasl_mech_from_name(const char *name);
/* True when the mechanism needs a secret from the password sources (a
 * password, or the bearer token for XOAUTH2/OAUTHBEARER). */
bool sasl_mech_needs_password(enum auth_mech m);
/* True for SCRAM-*-PLUS: needs sasl_client_set_channel_binding first. */
bool sasl_mech_is_plus(enum auth_mech m);

/* True when an account with this auth setting and user (NULL: none) logs in
 * with a secret, so that the password sources must be asked before the
 * session. auto counts: it picks password mechanisms only. */
bool sasl_login_needs_password(enum auth_mech configured, const char *user);

struct sasl_client;

/* Starts a mechanism. nonce may be NULL (random) or fixed for test vectors.
 * user and password are copied (the copies are wiped on free). For EXTERNAL
 * a non-empty user is sent as the authorization identity. Returns NULL for
 * AUTH_AUTO / AUTH_OFF. */
struct sasl_client *sasl_client_new(enum auth_mech m, const char *user,
                                    const char *password, const char *nonce);

/* Channel binding for SCRAM (RFC 5802, 5929, 9266). type is "tls-exporter"
 * (TLS 1.3) or "tls-server-end-point" (TLS 1.2); data as from
 * net_channel_binding(). Required before sasl_client_initial for -PLUS. Set on
 * a plain SCRAM mechanism it makes the gs2 header "y,," (the client could
 * bind but the server did not offer -PLUS), as RFC 5802 asks, so that a
 * server that does offer -PLUS detects a downgrade. -1 on a bad type. */
int sasl_client_set_channel_binding(struct sasl_client *c, const char *type,
                                    const unsigned char *data, size_t len);

/* The server's host and port for OAUTHBEARER's host= and port= fields. */
void sasl_client_set_server(struct sasl_client *c, const char *host, int port);

/* The initial response (decoded bytes) or *out = NULL when the mechanism has
 * none (LOGIN, CRAM-MD5). A non-NULL *out with *out_len == 0 is an empty
 * initial response ("AUTH EXTERNAL ="). Free *out with sasl_response_free. */
int sasl_client_initial(struct sasl_client *c, unsigned char **out,
                        size_t *out_len, struct mo_err *err);

/* Answers a decoded server challenge; *out may be empty (len 0). EX_NOPERM if
 * the server's final message does not verify (SCRAM server signature) or
 * carries e=; EX_PROTOCOL for a malformed or unexpected challenge. An OAuth
 * JSON error challenge is answered as the RFC requires (an empty response
 * for XOAUTH2, "\x01" for OAUTHBEARER) and its text is kept for
 * sasl_client_error_detail: the server then replies 535. */
int sasl_client_step(struct sasl_client *c, const unsigned char *challenge,
                     size_t len, unsigned char **out, size_t *out_len,
                     struct mo_err *err);

/* True once the server signature (SCRAM) has been verified, or for mechanisms
 * that have none. After a 235 reply a SCRAM client that is not done means
 * the server skipped its proof: treat that as an authentication failure. */
bool sasl_client_done(const struct sasl_client *c);

/* A short text from the server's error challenge ("status invalid_token,
 * scope https://mail.google.com/") or NULL, for the 535 error message. */
const char *sasl_client_error_detail(const struct sasl_client *c);

void sasl_client_free(struct sasl_client *c);   /* wipes secrets */

/* Wipes and frees a response from sasl_client_initial / _step. */
void sasl_response_free(unsigned char *p, size_t len);

/* Decodes an RFC 7628 JSON error ({"status":..,"scope":..}) into buf as one
 * printable line. Returns 0, or -1 (buf then says it was unreadable). */
int sasl_oauth_error_text(const unsigned char *json, size_t len, char *buf,
                          size_t size);

#endif
