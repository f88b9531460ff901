/* hints.h - the fix to try for a server's refusal that users meet often:
 * a provider that refuses account passwords (535), a server that refuses
 * the sender as not the login's own (5xx to MAIL). Pure functions of the
 * host name and the reply; the callers put the hint after their message. */
#ifndef MAILOUT_HINTS_H
#define MAILOUT_HINTS_H

/* For a 535 (authentication refused) from host: the provider's rule and the
 * manual's recipe (translated), or NULL for a host not known to want an app
 * password or OAuth 2. */
const char *hint_auth_refused(const char *host);

/* For a 5xx reply to MAIL FROM (the reply text, code included): when it
 * says the login may not send as this sender, the hint to set from or
 * rewrite_from (translated); else NULL. */
const char *hint_sender_refused(const char *reply);

#endif
