/* prepare.c - see prepare.h. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include "compose.h"
#include "rewrite.h"
#include "checkconf.h"
#include "prepare.h"

int prepare_message(const struct cli *cli, const struct config *cfg,
                    struct message *msg, struct envelope *env,
                    const struct account **acct, struct mo_err *err)
{
    char *hint;

    *acct = NULL;
    if (envelope_collect_recipients(env, cli, msg, cfg, err) != 0)
        return -1;
    hint = envelope_sender_hint(cli, msg);
    *acct = config_select_account(cfg, cli->account, hint, err);
    if (*acct != NULL && cli->debug)
        checkconf_describe(stderr, cfg, *acct, cli->account, hint);
    free(hint);
    if (*acct == NULL || envelope_finish(env, cli, msg, *acct, err) != 0)
        return -1;
    rewrite_headers(msg, env, *acct);
    return compose_headers(msg, env, *acct, cli, err);
}
