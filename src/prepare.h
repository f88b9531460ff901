/* prepare.h - a message that has been read, made ready for its account:
 * recipients, the account, the finished envelope, the header block as sent.
 * The same for the command line and for root's pickup of incoming/. */
#ifndef MAILOUT_PREPARE_H
#define MAILOUT_PREPARE_H

#include "err.h"
#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"

/* Collects the recipients (cli, -t), picks the account (cli->account, else
 * by the sender, else default_account), finishes the envelope (aliases, -f,
 * rewrite_from, qualify_domain) and composes the header block. With
 * cli->debug the account choice and each key's origin go to stderr first.
 * 0 with *acct set; -1 with err (*acct NULL when no account was chosen). */
int prepare_message(const struct cli *cli, const struct config *cfg,
                    struct message *msg, struct envelope *env,
                    const struct account **acct, struct mo_err *err);

#endif
