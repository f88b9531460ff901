/* dryrun.h - --dry-run: account, server, envelope and header block. */
#ifndef MAILOUT_DRYRUN_H
#define MAILOUT_DRYRUN_H

#include <stdio.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"

int dryrun_print(FILE *out, const struct config *cfg, const struct account *acct,
                 const struct envelope *env, const struct message *msg,
                 struct mo_err *err);

#endif
