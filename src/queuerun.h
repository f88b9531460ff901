/* queuerun.h - what the queue does: keep a message that could not be sent,
 * deliver queued mail (-q, and after a successful send), list it (mailq) and
 * delete one entry. */
#ifndef MAILOUT_QUEUERUN_H
#define MAILOUT_QUEUERUN_H

#include <stdbool.h>
#include <stdio.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"
#include "smtp.h"
#include "queue.h"

/* After a successful send, queued mail of the same account rides along on
 * the same connection, within these bounds (stated in mailout(1)). */
#define QUEUE_FLUSH_MAX_MESSAGES 100
#define QUEUE_FLUSH_MAX_SECONDS 30

struct queue_run_opts {
    bool force;                 /* --queue-force / -qf: ignore back-off */
    const char *id;             /* -qI ID: only this entry, now */
    const char *account;        /* -a: only this account's entries */
    int verbose;
    bool debug;
    FILE *report;               /* where per-message notices go (stderr) */
};

/* A failed first attempt (failure = the delivery error). Temporary failure
 * with queue on: the message is queued and id filled; returns 0. Permanent
 * failure with queue on: a copy goes to failed/, id filled, returns 0.
 * Returns -1 with err when the queue could not take the message. The caller
 * tells the two cases apart by failure->code. */
int queue_keep(const struct config *cfg, const struct account *acct,
               const struct envelope *env, const struct message *msg,
               const struct mo_err *failure, char id[QUEUE_ID_LEN + 1],
               struct mo_err *err);

/* True if a delivery failure with this code is worth a retry. */
bool queue_is_temporary(int code);

/* -q: delivers due entries, one session per account. Returns 0 when the run
 * was made (entries may remain queued); with o->id, the exit status of that
 * one message (EX_TEMPFAIL when it stays queued). */
int queue_run(const struct config *cfg, const struct queue_run_opts *o,
              struct mo_err *err);

/* True if the account has queued mail: the send then keeps its session open
 * (no QUIT in the final flight) so that the mail can follow. */
bool queue_has_mail(const struct config *cfg, const struct account *acct);

/* After a send succeeded on s: sends the account's queued mail over s too,
 * whatever its back-off, within the bounds above. Never fails the caller. */
void queue_flush_session(const struct config *cfg, const struct account *acct,
                         struct smtp_session *s, const struct queue_run_opts *o);

/* mailq / -bp: the Postfix listing, or "Mail queue is empty". */
int queue_list(const struct config *cfg, FILE *out, FILE *report,
               struct mo_err *err);

/* --queue-delete ID. EX_NOINPUT when there is no such entry, EX_TEMPFAIL
 * while it is being delivered. */
int queue_delete(const struct config *cfg, const char *id, struct mo_err *err);

#endif
