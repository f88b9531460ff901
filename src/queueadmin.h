/* queueadmin.h - what a user does to the queue by hand: mailq (-bp) and
 * --queue-delete. */
#ifndef MAILOUT_QUEUEADMIN_H
#define MAILOUT_QUEUEADMIN_H

#include <stdio.h>
#include "err.h"
#include "conf.h"

/* mailq / -bp: the Postfix listing, or "Mail queue is empty"; an entry that
 * cannot be read is named on report (when not NULL) and left alone. */
int queue_list(const struct config *cfg, FILE *out, FILE *report,
               struct mo_err *err);

/* --queue-delete ID. EX_NOINPUT when there is no such entry, EX_TEMPFAIL
 * while it is being delivered. */
int queue_delete(const struct config *cfg, const char *id, struct mo_err *err);

#endif
