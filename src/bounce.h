/* bounce.h - delivery status notifications (RFC 3464) for mail that failed
 * for good: a multipart/report to the envelope sender, from MAILER-DAEMON at
 * the account's domain, with the null envelope sender. Built here; queued
 * and sent by the queue run (queuerun.c) like any other message, so a
 * notification that cannot be sent now waits in the queue. */
#ifndef MAILOUT_BOUNCE_H
#define MAILOUT_BOUNCE_H

#include <stdbool.h>
#include <time.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "headers.h"
#include "message.h"
#include "util.h"

/* The notification without the original header block stays within this
 * (a message with very many recipients is refused a notification rather
 * than made huge); the header block adds at most MESSAGE_HEADER_LIMIT. */
#define BOUNCE_REPORT_LIMIT (4 * 1024 * 1024)
/* A diagnostic (one DSN field, one line) is cut to this many bytes. */
#define BOUNCE_DIAG_MAX 900

/* What became of the message, as the queue run knows it. */
struct bounce_failure {
    const char *queue_id;           /* the failed message's queue ID */
    time_t arrival;                 /* when it entered the queue */
    const char *reason;             /* why it failed: one line */
    bool expired;                   /* past max_queue_age, not refused */
    const char *reply;              /* the server's reply that ended it
                                     * ("554 5.7.1 ..."), or NULL */
    const char *const *rcpt_replies;/* per envelope recipient: its own
                                     * refusal, or NULL; the array may be NULL */
};

/* True when a message that failed gets a notification: the account has
 * bounce on, its envelope sender is not null, and it is not a delivery
 * status notification itself (never a bounce of a bounce). */
bool bounce_wanted(const struct account *acct, const struct envelope *env,
                   const struct header_block *orig);

/* The account's domain, for MAILER-DAEMON@: its from's, else its user's,
 * else its EHLO domain, else this host's name. Points into acct or static. */
const char *bounce_domain(const struct account *acct);

/* The notification as text (header block, blank line, body; LF line ends)
 * into out: a text/plain part naming each recipient and why, the
 * message/delivery-status part, and orig as text/rfc822-headers, under a
 * boundary found in none of them. EX_SOFTWARE when it would pass the
 * limits above. */
int bounce_render(const struct account *acct, const struct envelope *env,
                  const struct header_block *orig, const struct bounce_failure *f,
                  time_t now, struct strbuf *out, struct mo_err *err);

/* The notification as a message ready for queue_write_new (spooled in
 * spool_dir and read as intake reads one), and its envelope in benv: the
 * null sender, env's sender as the one recipient. Free both as usual. */
int bounce_build(const struct account *acct, const struct envelope *env,
                 const struct header_block *orig, const struct bounce_failure *f,
                 const char *spool_dir, struct message *msg, struct envelope *benv,
                 struct mo_err *err);

#endif
