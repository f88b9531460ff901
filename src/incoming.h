/* incoming.h - the privileged side of system mode (mailout(1) REPLACING THE LOCAL MTA): root's queue run
 * takes what local users dropped into SPOOLDIR/incoming/ through
 * mailout-submit and moves it into the queue. */
#ifndef MAILOUT_INCOMING_H
#define MAILOUT_INCOMING_H

#include <stdio.h>
#include "conf.h"

/* As root, when SPOOLDIR/incoming exists: checks every entry like a damaged
 * queue file (a directory per uid owned by it, mode 0700; regular files
 * only, no symbolic link, owner the uid, group mailout, mode 0600, one link,
 * the format, the uid and its name, message_size_limit), then resolves its
 * envelope through the system configuration (aliases, account, rewrite_from,
 * qualify_domain) and writes it into the queue, due now. A refused entry is
 * moved to the queue's corrupt/ (or left where it is when that fails) with
 * a line on report and in the log; a sound one that cannot be resolved (an
 * unknown local name, no account) is held in failed/ (held.h). Returns how
 * many entries were queued; does nothing for other users. */
int incoming_pickup(const struct config *cfg, FILE *report);

/* As root, for mailq: lists the entries waiting in SPOOLDIR/incoming/ under
 * their own heading (read only: a damaged entry is shown as such and left
 * for the queue run to refuse). Returns how many were listed. */
size_t incoming_list(FILE *out);

#endif
