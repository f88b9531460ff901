/* oauth2.h - the built-in OAuth 2 of mailout(1) OAUTH 2: provider presets, requests to
 * the token and device endpoints, and the access token for a send (cached,
 * else one refresh under a lock, a rotated refresh token stored first). */
#ifndef MAILOUT_OAUTH2_H
#define MAILOUT_OAUTH2_H

#include <stdbool.h>
#include "conf.h"
#include "err.h"

/* True when built with libcurl and json-c. */
bool oauth2_built(void);

/* True when the account gets its token from the built-in OAuth 2. */
bool oauth2_applies(const struct account *a);

/* The endpoints and scope: the account's keys over its provider's preset. */
struct oauth2_endpoints {
    char *token_url, *device_url, *auth_url, *scope;
};
void oauth2_endpoints_get(const struct account *a, struct oauth2_endpoints *ep);
void oauth2_endpoints_free(struct oauth2_endpoints *ep);

#include "oauth2_parse.h"

/* POSTs *form plus client_id (and the client secret from its command) to
 * url and parses the answer; *form is wiped and freed. 0 with r filled
 * (r->error set for an OAuth error answer); -1 on a transport failure, a 5xx
 * or a non-JSON answer (EX_TEMPFAIL). */
int oauth2_post(const struct account *a, const char *url, char **form,
                struct oauth2_reply *r, struct mo_err *err);

/* The access token for a send; *out freed with secret_free. *refreshed (may
 * be NULL): it was refreshed now, not taken from the cache. A dead grant,
 * no stored token or an unreachable endpoint is EX_TEMPFAIL, with "run
 * mailout --login -a NAME" when a login is what helps. */
int oauth2_access_token(const struct account *a, char **out, bool *refreshed,
                        struct mo_err *err);

/* The mail server refused at (AUTH 535) before its expiry (revoked): when
 * the cache still holds it, it is dropped under the lock, so that the next
 * oauth2_access_token refreshes; a token another sender cached meanwhile
 * stays. */
void oauth2_token_refused(const struct account *a, const char *at);

/* Stores what a login got (the refresh token in the keyring, else a 0600
 * file; the access token in the cache); where says which, for the user. */
int oauth2_save_login(const struct account *a, const struct oauth2_reply *r,
                      char *where, size_t where_size, struct mo_err *err);

#endif
