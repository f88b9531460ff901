/* handoff.h - system mode for callers other than root (mailout(1) REPLACING THE LOCAL MTA). */
#ifndef MAILOUT_HANDOFF_H
#define MAILOUT_HANDOFF_H

#include "err.h"
#include "cli.h"

/* A caller other than root, without -C, $MAILOUT_CONFIG or a user
 * configuration of its own, who cannot read the system file, hands the
 * message (and -bp) to mailout-submit: this runs it in place of mailout and
 * does not return. 0 when that is not the case (carry on); 1 for -bs in
 * that case (serve the session without the configuration, each message
 * through handoff_message); -1 with err when the helper cannot be run or
 * the mode needs the configuration. */
int handoff_maybe(const struct cli *cli, struct mo_err *err);

/* One message of a -bs session in system mode: fd (read from its start,
 * the message as sendmail -i reads it) on the helper's standard input, the
 * envelope in cli (sender, recipients, -F -N -R -V), the helper waited for.
 * 0 when it took the message into incoming/; -1 with err: the helper's exit
 * status and its own line. */
int handoff_message(const struct cli *cli, int fd, struct mo_err *err);

#endif
