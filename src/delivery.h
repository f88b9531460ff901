/* delivery.h - one message to the account's server and its log line, the
 * same for the first attempt and the queue; the retry rule that says what
 * becomes of a failure; keeping a failed first attempt in the queue. */
#ifndef MAILOUT_DELIVERY_H
#define MAILOUT_DELIVERY_H

#include <stdbool.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"
#include "smtp.h"
#include "queue.h"

/* Where an attempt failed. */
enum delivery_stage {
    STAGE_QUEUE_FILE,           /* reading the queued message */
    STAGE_PASSWORD,             /* the account's password source */
    STAGE_TOKEN,                /* the built-in OAuth 2 token: its endpoint may
                                 * come back, a --login may come first */
    STAGE_SESSION,              /* connection, TLS, EHLO */
    STAGE_MESSAGE,              /* AUTH (pipelined with it), MAIL, RCPT, data */
};

/* One server of the chain: an account and the session to its server. */
struct delivery_link {
    const struct account *acct;
    struct smtp_session *s;     /* NULL: not open, or closed when it became
                                 * unusable */
    char *password;
    bool token_refreshed;       /* password is an OAuth 2 access token that
                                 * was refreshed for this session, not taken
                                 * from the cache */
    bool broken;                /* a failure that the next message would meet
                                 * too: later sends fail at once with it */
    enum delivery_stage broken_stage;
    struct mo_err broken_err;
};

/* Sessions for one account's mail, opened by the first delivery_send and
 * reused by the next ones (the queue sends several messages over them):
 * the account's server first, then its fallback accounts' (fallback.h). */
struct delivery {
    const struct config *cfg;
    const struct account *acct; /* the account asked for: its queue, its
                                 * name on a queued message */
    int verbose;
    bool debug;
    bool keep_open;             /* more mail follows: no QUIT after a message */
    struct delivery_link *links;
    size_t n_links;
    bool chain_shown;           /* -v named the servers once */
};

/* What becomes of a message after a failed attempt: the retry rule,
 * mailout(1) section QUEUE, "What is retried". */
enum delivery_fate {
    FATE_RETRY,                 /* queued, or stays queued, for a later try */
    FATE_FAILED,                /* kept in failed/ with the reason */
    FATE_CORRUPT,               /* not a queue file: corrupt/ */
};

/* The retry rule. queued: the message was in the queue already (its caller
 * was told it was accepted), rather than a first attempt. */
enum delivery_fate delivery_fate(int code, enum delivery_stage stage, bool queued);

void delivery_init(struct delivery *d, const struct config *cfg,
                   const struct account *acct, int verbose, bool debug,
                   bool keep_open);

/* Sends msg to the first server of the chain that takes it (opening its
 * session first when needed), logging one line per server tried. The next
 * server is tried only after a failure that the retry rule calls
 * temporary for a first attempt and before the server can have the
 * message (no data sent, no recipient delivered). 0 when a server took it;
 * else -1 with err (the failures of every server tried) and *stage (the
 * last one's). res is the caller's (zeroed by the caller); it describes
 * the last server tried. */
int delivery_send(struct delivery *d, const struct envelope *env,
                  const struct message *msg, struct smtp_result *res,
                  enum delivery_stage *stage, struct mo_err *err);

/* True while a session to one of the chain's servers is open. */
bool delivery_has_session(const struct delivery *d);

/* Closes the sessions and wipes the passwords. */
void delivery_end(struct delivery *d);

/* A failed first attempt (failure: why) with the account's queue on: by the
 * retry rule, the message is queued (FATE_RETRY) or kept in failed/
 * (FATE_FAILED), id filled, 0 returned; -1 with err when the queue could not
 * take it. Returns 1 and keeps nothing when the account's queue is off. */
int delivery_keep(const struct config *cfg, const struct account *acct,
                  const struct envelope *env, const struct message *msg,
                  const struct mo_err *failure, enum delivery_stage stage,
                  char id[QUEUE_ID_LEN + 1], struct mo_err *err);

/* What a failed attempt leaves to do, recipient by recipient (LMTP). */
struct delivery_rest {
    size_t delivered;           /* recipients that have the message */
    size_t failed;              /* refused for good while others may still
                                 * get it: kept in failed/ as failed_id */
    char failed_id[QUEUE_ID_LEN + 1];
    struct mo_err failed_why;   /* their replies (EX_UNAVAILABLE) */
    char bounce_id[QUEUE_ID_LEN + 1];   /* the hook's bounce of them, or "" */
    struct mo_err keep_err;     /* why they could not be kept apart (code 0:
                                 * they were, or it was not tried) */
};

/* The recipients refused for good that delivery_sort_out keeps apart. */
struct delivery_part {
    const struct envelope *env; /* the message's envelope with only them */
    const char *const *replies; /* the server's reply to each of them */
    const char *why;            /* the reason kept with their copy */
    const char *id;             /* their copy's ID in failed/ */
};

/* The queue run's part in the split (its sender was told "accepted", so
 * they are bounced): kept() runs once their copy is in failed/ and queues
 * the bounce (bid filled, "" when none is wanted); -1 with err takes the
 * copy back out of failed/ and leaves them in the message, so that its
 * next failure bounces them. */
struct delivery_split_hook {
    int (*kept)(void *ctx, const struct delivery_part *part,
                char bid[QUEUE_ID_LEN + 1], struct mo_err *err);
    void *ctx;
};

/* After a failed attempt (err) with the verdicts res: the recipients that
 * have the message leave env, so that nobody gets it twice. When LMTP's
 * replies after the data refused some of the others for good (5xx) and the
 * rest for now (4xx, or no reply yet), qdir is not NULL and a copy for the
 * 5xx ones can be kept in qdir/failed/ (attempts: its count), they leave
 * env too and err becomes the temporary failure of those left: the caller
 * queues env as for any 4xx. Otherwise env keeps them and err is unchanged,
 * but for why the copy could not be made (added to err, and in
 * rest->keep_err). hook (NULL: none) is called for the copy. Returns how
 * many recipients are left in env. The first attempt and the queue run
 * both call it. */
size_t delivery_sort_out(const struct config *cfg, const char *qdir,
                         const struct account *acct, struct envelope *env,
                         const struct message *msg, const struct smtp_result *res,
                         unsigned attempts, const struct delivery_split_hook *hook,
                         struct mo_err *err, struct delivery_rest *rest);

#endif
