/* rewrite.h - rewrite_from and qualify_domain (mailout(1) CONFIGURATION) for the sender and
 * the address fields of the header: cron's "From: root (Cron Daemon)" leaves
 * as "From: Cron Daemon <server@example.com>". */
#ifndef MAILOUT_REWRITE_H
#define MAILOUT_REWRITE_H

#include <stdbool.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"

/* True if addr is a local name: no domain, or this host's own name as the
 * domain (short or fully qualified). */
bool rewrite_is_local(const char *addr);

/* True if the account's rewrite_from replaces addr (a From or envelope
 * sender address, not the null sender) with the account's from: never when
 * from is a pattern or addr already is it; local names with "local"; every
 * address with "always". */
bool rewrite_sender_wanted(const char *addr, const struct account *acct);

/* The From fields (rewrite_from, then qualify_domain) and To, Cc, Sender,
 * Reply-To (qualify_domain; env->qualify_domain) of msg. A field is rebuilt
 * only when one of its addresses changes, keeping each display name (an old
 * "addr (Name)" comment counts as one); a From whose only address is the
 * account's from stays byte for byte. A field that does not parse is left
 * as it is: the server will judge it. */
void rewrite_headers(struct message *msg, const struct envelope *env,
                     const struct account *acct);

#endif
