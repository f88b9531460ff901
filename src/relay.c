/* relay.c - see relay.h. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "util.h"
#include "smtp.h"
#include "delivery.h"
#include "queuerun.h"
#include "relay.h"

/* The first attempt; res is the caller's to free. */
static int send_once(const struct cli *cli, const struct config *cfg,
                     const struct account *acct, const struct envelope *env,
                     const struct message *msg, struct smtp_result *res,
                     enum delivery_stage *stage, struct mo_err *err)
{
    struct delivery d;
    int rc;

    delivery_init(&d, cfg, acct, cli->verbose, cli->debug, queue_has_mail(cfg, acct));
    memset(res, 0, sizeof *res);
    rc = delivery_send(&d, env, msg, res, stage, err);
    if (rc == 0) {
        /* the server is up: queued mail of this account rides along */
        struct queue_run_opts qo = { .account = cli->account, .verbose = cli->verbose,
                                     .debug = cli->debug, .report = stderr };
        queue_flush_session(&d, &qo);
    }
    delivery_end(&d);
    return rc;
}

/* A temporary failure is queued (0); a permanent one keeps its error and
 * leaves a copy in the queue's failed/ (-1). */
static int keep_for_later(const struct config *cfg, const struct account *acct,
                          const struct envelope *env, const struct message *msg,
                          enum delivery_stage stage, struct relay_outcome *out,
                          struct mo_err *err)
{
    struct mo_err qerr = { 0, "" };
    char id[QUEUE_ID_LEN + 1];
    int kept = delivery_keep(cfg, acct, env, msg, err, stage, id, &qerr);

    if (kept < 0) {
        /* one line: why it failed, and why it is not kept either */
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        mo_err_set(err, err->code, _("%s; and it cannot be queued: %s"), why, qerr.msg);
    }
    if (kept != 0)
        return -1;
    if (delivery_fate(err->code, stage, false) != FATE_RETRY) {
        memcpy(out->failed_id, id, sizeof id);
        return -1;
    }
    memcpy(out->queue_id, id, sizeof id);
    out->queued_why = *err;
    return 0;
}

/* After a failed attempt. LMTP: recipients that have the message are not
 * kept again; when some were refused for good and others for now, the
 * first ones are kept in failed/, the others queued, and the result is the
 * permanent failure. */
static int after_failure(const struct config *cfg, const struct account *acct,
                         struct envelope *env, const struct message *msg,
                         const struct smtp_result *res, enum delivery_stage stage,
                         struct relay_outcome *out, struct mo_err *err)
{
    struct delivery_rest rest;
    size_t n = env->n_rcpts;
    char *qdir = acct->queue ? queue_dir_path(cfg) : NULL;
    int rc;

    if (delivery_sort_out(cfg, qdir, acct, env, msg, res, 1, NULL, err, &rest) == 0 && n > 0)
        rc = 0;
    else
        rc = keep_for_later(cfg, acct, env, msg, stage, out, err);
    if (rc == 0 && rest.failed > 0)
        rc = mo_err_set(err, EX_UNAVAILABLE, _("%s; a copy for them is kept in the queue's failed/ as %s"),
                        rest.failed_why.msg, rest.failed_id);
    else if (rest.failed > 0 && out->failed_id[0] == '\0')
        /* the rest could not be kept: still name the copy already made */
        memcpy(out->failed_id, rest.failed_id, sizeof out->failed_id);
    free(qdir);
    return rc;
}

int relay_message(const struct cli *cli, const struct config *cfg,
                  const struct account *acct, struct envelope *env,
                  const struct message *msg, struct relay_outcome *out,
                  struct mo_err *err)
{
    struct smtp_result res;
    enum delivery_stage stage;
    int rc;

    memset(out, 0, sizeof *out);
    rc = send_once(cli, cfg, acct, env, msg, &res, &stage, err);
    out->reply_code = res.reply_code;
    if (rc != 0)
        rc = after_failure(cfg, acct, env, msg, &res, stage, out, err);
    out->result = rc != 0 ? RELAY_REFUSED : out->queue_id[0] != '\0' ? RELAY_QUEUED : RELAY_SENT;
    smtp_result_free(&res);
    return rc;
}
