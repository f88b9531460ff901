/* handoff.h - system mode for callers other than root (mailout(1) REPLACING THE LOCAL MTA). */
#ifndef MAILOUT_HANDOFF_H
#define MAILOUT_HANDOFF_H

#include "cli.h"

/* A caller other than root, without -C, $MAILOUT_CONFIG or a user
 * configuration of its own, who cannot read the system file, hands the
 * message (and -bp) to mailout-submit: this runs it in place of mailout.
 * Returns -1 when that is not the case (carry on), else an exit status
 * (the helper could not be run, or the mode needs the configuration). */
int handoff_maybe(const struct cli *cli);

#endif
