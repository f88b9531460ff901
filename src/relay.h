/* relay.h - a prepared message to its end: sent through its account, or, by
 * the retry rule, queued for a later try or kept in failed/. The one path
 * of the command line (main.c) and of each message of -bs (bs.c). */
#ifndef MAILOUT_RELAY_H
#define MAILOUT_RELAY_H

#include "err.h"
#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"
#include "queue.h"

enum relay_result {
    RELAY_SENT,                 /* the server took it (with LMTP: for all) */
    RELAY_QUEUED,               /* a temporary failure: queued for a retry */
    RELAY_REFUSED,              /* refused, for some recipients at least */
};

struct relay_outcome {
    enum relay_result result;
    int reply_code;             /* the server's last reply code, 0 when none */
    char queue_id[QUEUE_ID_LEN + 1];    /* queued for a retry: the message
                                         * (RELAY_QUEUED), or with LMTP the
                                         * recipients refused for now while
                                         * others were refused for good
                                         * (RELAY_REFUSED); else "" */
    struct mo_err queued_why;   /* why those were queued */
    char failed_id[QUEUE_ID_LEN + 1];   /* RELAY_REFUSED: the message kept in
                                         * failed/; else "" (a copy for some
                                         * LMTP recipients is named in err) */
};

/* Sends msg to env's recipients through acct, with cli's -v, --debug and
 * -a; after a success the account's queued mail rides along (queuerun.h).
 * On failure the recipients LMTP delivered leave env, those refused for
 * good while others may still get it are kept in failed/ (named in err),
 * and the message is kept as delivery_keep says. 0 for RELAY_SENT and
 * RELAY_QUEUED; -1 with err for RELAY_REFUSED. Prints nothing but the
 * -v/--debug notices. */
int relay_message(const struct cli *cli, const struct config *cfg,
                  const struct account *acct, struct envelope *env,
                  const struct message *msg, struct relay_outcome *out,
                  struct mo_err *err);

#endif
