/* sasl.h - SASL client mechanisms built on OpenSSL primitives (no SASL
 * library): PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256. Pure
 * functions over bytes: the SMTP session does the base64 and the I/O. */
#ifndef MAILOUT_SASL_H
#define MAILOUT_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include "conf.h"
#include "err.h"

/* Mechanisms in order of preference for auth = auto (strongest first). */
extern const enum auth_mech sasl_preference[];
extern const size_t sasl_preference_len;

const char *sasl_mech_name(enum auth_mech m);      /* "SCRAM-SHA-256" */
bool sasl_mech_needs_password(enum auth_mech m);

struct sasl_client;

/* Starts a mechanism. nonce may be NULL (random) or fixed for test vectors. */
struct sasl_client *sasl_client_new(enum auth_mech m, const char *user,
                                    const char *password, const char *nonce);

/* The initial response (decoded bytes) or NULL when the mechanism has none. */
int sasl_client_initial(struct sasl_client *c, unsigned char **out,
                        size_t *out_len, struct mo_err *err);

/* Answers a decoded server challenge. EX_NOPERM if the server's final message
 * does not verify (SCRAM server signature). */
int sasl_client_step(struct sasl_client *c, const unsigned char *challenge,
                     size_t len, unsigned char **out, size_t *out_len,
                     struct mo_err *err);

/* True once the server signature (SCRAM) has been verified, or for mechanisms
 * that have none. */
bool sasl_client_done(const struct sasl_client *c);

void sasl_client_free(struct sasl_client *c);   /* wipes secrets */

/* Base64 with bounds: decode refuses bad input and outputs over max. */
char *base64_encode(const unsigned char *in, size_t len);
int base64_decode(const char *in, size_t len, unsigned char **out,
                  size_t *out_len, size_t max);

#endif
