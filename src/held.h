/* held.h - messages kept as the caller gave them: the command line (the
 * dropfile.h text) and the message, not yet resolved through the
 * configuration. Two kinds end in the queue through here: the entries local
 * users drop into incoming/ (system mode), and a message held in failed/
 * because it was stopped before its account was known (a configuration
 * error, no account fits, an unknown local name: mailout(1) QUEUE), which
 * --requeue runs through the configuration again once that is fixed. */
#ifndef MAILOUT_HELD_H
#define MAILOUT_HELD_H

#include <stddef.h>
#include <sys/types.h>
#include "err.h"
#include "cli.h"
#include "conf.h"
#include "dropfile.h"
#include "message.h"
#include "queue.h"

/* Keeps msg with cli's envelope and reason in qdir/failed/ under a new queue
 * ID. head (hlen bytes) is the header block as it was read: preparing the
 * message may have changed msg's. Fills id. */
int held_keep(const char *qdir, const struct cli *cli, const char *head,
              size_t hlen, const struct message *msg, const char *reason,
              char id[QUEUE_ID_LEN + 1], struct mo_err *err);

/* The same for an incoming/ entry open as fd, whose message starts at body:
 * d is its envelope, reason why it could not be queued. */
int held_keep_entry(const char *qdir, const struct drop_envelope *d, int fd,
                    off_t body, const char *reason, char id[QUEUE_ID_LEN + 1],
                    struct mo_err *err);

/* Runs the message of fd (from body) with envelope d through the
 * configuration (prepare.h) and writes it into qdir, due now; submitter, when
 * set, is the local user it came from. Fills id. */
int held_enqueue(const struct config *cfg, const char *qdir, int fd, off_t body,
                 const struct drop_envelope *d, const char *submitter,
                 char id[QUEUE_ID_LEN + 1], struct mo_err *err);

/* A delivery status notification (bounce.h) of the held incoming/ entry
 * held_id (fd, body, d: what held_keep_entry kept) to its sender, queued in
 * qdir, when an account fits, it has bounce on and a recipient was given
 * (bid "" otherwise: nobody to tell, or nothing to report on). */
int held_bounce(const struct config *cfg, const char *qdir, int fd, off_t body,
                const struct drop_envelope *d, const char *held_id, const char *reason,
                char bid[QUEUE_ID_LEN + 1], struct mo_err *err);

#endif
