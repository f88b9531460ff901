/* envelope.h - who the message is from and to: -f, -t, command line, aliases. */
#ifndef MAILOUT_ENVELOPE_H
#define MAILOUT_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "cli.h"
#include "conf.h"
#include "message.h"

struct envelope {
    char *sender;           /* "" is the null sender; never NULL once set */
    char **rcpts;           /* fully qualified addr-specs, no duplicates */
    size_t n_rcpts;
    char *dsn_notify;       /* NULL when not requested */
    char *dsn_ret;
    char *dsn_envid;
    char *qualify_domain;   /* [mailout] qualify_domain, kept by collect for
                             * the sender and the header; NULL: none */
    char *submitter;        /* system mode: the local user who dropped it
                             * into incoming/ (queued with it); else NULL */
};

/* Collects recipients: the command line, plus with -t To/Cc/Bcc (or
 * Resent-To/Cc/Bcc when any Resent- field exists); resolves local names
 * through the aliases file; removes duplicates. A name that is still bare
 * gets qualify_domain when it is set. EX_DATAERR for no recipient or a
 * malformed address, EX_NOUSER for an unqualified name with no alias. */
int envelope_collect_recipients(struct envelope *env, const struct cli *cli,
        const struct message *msg, const struct config *cfg, struct mo_err *err);

/* The address used to choose an account: -f if given, else the From field's
 * address when the message has exactly one, else NULL. Caller frees. */
char *envelope_sender_hint(const struct cli *cli, const struct message *msg);

/* Sets sender and DSN parameters from the command line and the account:
 * -f wins, else the account's from (when it is not a pattern), else the
 * From field's address; then rewrite_from may replace it with the account's
 * from, and a bare name left gets qualify_domain (else the account's domain
 * or this host's name). */
int envelope_finish(struct envelope *env, const struct cli *cli,
        const struct message *msg, const struct account *acct, struct mo_err *err);

/* Removes the recipients whose drop[i] is true (drop has n_rcpts entries),
 * keeping the order of the others; returns how many went. For LMTP: the
 * recipients that already have the message are not queued again. */
size_t envelope_drop_rcpts(struct envelope *env, const bool *drop);

void envelope_free(struct envelope *env);

#endif
