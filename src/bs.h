/* bs.h - sendmail -bs: an SMTP server on standard input and output that
 * relays each message it is given (mailout(1), -bs). */
#ifndef MAILOUT_BS_H
#define MAILOUT_BS_H

#include "cli.h"
#include "conf.h"
#include "err.h"

/* Limits of a session. */
#define BS_MAX_COMMAND 2048     /* a command line, as Postfix's line_length_limit */
#define BS_MAX_TEXT 65536       /* a line of the message: longer than RFC 5321's
                                 * 1000, as the command line takes any line */
#define BS_MAX_RCPTS 1000
#define BS_MAX_ERRORS 20        /* errors in a row before the session ends (421) */

/* Serves one session on in/out until QUIT or end of input. Each message
 * goes through the account chosen as for the command line, with cli's
 * options (-a, -v, -d, -F, -N, -R, -V) and the envelope of MAIL/RCPT. With
 * cfg NULL (system mode: the configuration is root's) each message is
 * handed to mailout-submit instead (handoff_message).
 * Returns 0, or -1 with err set when the client left inside DATA (nothing
 * was sent or queued) or the output failed. */
int bs_serve(int in, int out, const struct cli *cli, const struct config *cfg,
             struct mo_err *err);

#endif
