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

/* delivered: env->n_rcpts flags, set for recipients LMTP delivered. */
static int send_once(const struct cli *cli, const struct config *cfg,
                     const struct account *acct, const struct envelope *env,
                     const struct message *msg, bool *delivered,
                     enum delivery_stage *stage, int *reply_code,
                     struct mo_err *err)
{
    struct delivery d;
    struct smtp_result res;
    int rc;

    delivery_init(&d, cfg, acct, cli->verbose, cli->debug, queue_has_mail(cfg, acct));
    memset(&res, 0, sizeof res);
    rc = delivery_send(&d, env, msg, &res, stage, err);
    smtp_result_count(&res, RCPT_DELIVERED, delivered);
    *reply_code = res.reply_code;
    if (rc == 0) {
        /* the server is up: queued mail of this account rides along */
        struct queue_run_opts qo = { .account = cli->account, .verbose = cli->verbose,
                                     .debug = cli->debug, .report = stderr };
        queue_flush_session(&d, &qo);
    }
    delivery_end(&d);
    smtp_result_free(&res);
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
    int kept = delivery_keep(cfg, acct, env, msg, err, stage, out->queue_id, &qerr);

    if (kept < 0) {
        /* one line: why it failed, and why it is not kept either */
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        mo_err_set(err, err->code, _("%s; and it cannot be queued: %s"), why, qerr.msg);
    }
    if (kept != 0) {
        out->queue_id[0] = '\0';
        return -1;
    }
    if (delivery_fate(err->code, stage, false) != FATE_RETRY)
        return -1;
    out->result = RELAY_QUEUED;
    return 0;
}

int relay_message(const struct cli *cli, const struct config *cfg,
                  const struct account *acct, struct envelope *env,
                  const struct message *msg, struct relay_outcome *out,
                  struct mo_err *err)
{
    bool *done = xcalloc(env->n_rcpts, sizeof *done);
    enum delivery_stage stage;
    int rc;

    memset(out, 0, sizeof *out);
    out->result = RELAY_REFUSED;
    rc = send_once(cli, cfg, acct, env, msg, done, &stage, &out->reply_code, err);
    if (rc == 0) {
        out->result = RELAY_SENT;
    } else {
        /* LMTP: recipients that have it are not queued again */
        size_t n = env->n_rcpts;
        if (envelope_drop_rcpts(env, done) == n && n > 0) {
            out->result = RELAY_SENT;
            rc = 0;
        } else {
            rc = keep_for_later(cfg, acct, env, msg, stage, out, err);
        }
    }
    free(done);
    return rc;
}
