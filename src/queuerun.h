/* queuerun.h - delivering queued mail: a queue run (-q, -qI ID) and the
 * account's queued mail riding along after a successful send. */
#ifndef MAILOUT_QUEUERUN_H
#define MAILOUT_QUEUERUN_H

#include <stdbool.h>
#include <stdio.h>
#include "err.h"
#include "conf.h"
#include "delivery.h"

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

/* -q: delivers due entries, one session per account. Returns 0 when the run
 * was made (entries may remain queued); with o->id, the exit status of that
 * one message (EX_TEMPFAIL when it stays queued). */
int queue_run(const struct config *cfg, const struct queue_run_opts *o,
              struct mo_err *err);

/* True if the account may have queued mail: the send then keeps its session
 * open (no QUIT in the final flight) so that the mail can follow. Reads the
 * directory only (any entry counts), so a first attempt parses no file. */
bool queue_has_mail(const struct config *cfg, const struct account *acct);

/* After a send succeeded over d: sends d's account's queued mail over the
 * same session too, whatever its back-off, within the bounds above, and
 * stops when the session is gone. Never fails the caller, who still owns d. */
void queue_flush_session(struct delivery *d, const struct queue_run_opts *o);

#endif
