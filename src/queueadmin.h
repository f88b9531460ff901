/* queueadmin.h - what a user does to the queue by hand: mailq (-bp),
 * --queue-delete and --requeue. */
#ifndef MAILOUT_QUEUEADMIN_H
#define MAILOUT_QUEUEADMIN_H

#include <stdio.h>
#include "err.h"
#include "conf.h"

/* mailq / -bp: the Postfix listing, or "Mail queue is empty", then the
 * messages in failed/ under their own heading; an entry that cannot be read
 * is named on report (when not NULL) and left alone. */
int queue_list(const struct config *cfg, FILE *out, FILE *report,
               struct mo_err *err);

/* --queue-delete ID: a queued message, or one in failed/. EX_NOINPUT when
 * there is no such entry, EX_TEMPFAIL while it is being delivered. */
int queue_delete(const struct config *cfg, const char *id, struct mo_err *err);

/* --requeue ID: failed/ID back into the queue, due now (its attempts and
 * max_queue_age start again); says so on report. EX_NOINPUT when failed/
 * has no such entry, EX_TEMPFAIL while it is locked, EX_DATAERR when it is
 * damaged. */
int queue_requeue(const struct config *cfg, const char *id, FILE *report,
                  struct mo_err *err);

#endif
