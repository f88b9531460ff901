/* delivery.c - one message to the account's server and its log line, the
 * retry rule, and keeping a failed first attempt in the queue. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "i18n.h"
#include "util.h"
#include "log.h"
#include "sasl.h"
#include "secrets.h"
#include "delivery.h"
#include "oauth2.h"
#include "fallback.h"

enum delivery_fate delivery_fate(int code, enum delivery_stage stage, bool queued)
{
    if (stage == STAGE_QUEUE_FILE)      /* an OS error now is retried */
        return code == EX_DATAERR ? FATE_CORRUPT : FATE_RETRY;
    if (queued) {
        /* its caller was told "accepted": only the server's last word on
         * this message ends it; a refused password or a keyring that is
         * not there may be fixed before the next try (as Postfix does) */
        return stage == STAGE_MESSAGE && code == EX_UNAVAILABLE ? FATE_FAILED
                                                                : FATE_RETRY;
    }
    /* a first attempt: what the network or the server may mend by itself is
     * retried; the rest is kept in failed/ and the caller gets the exit
     * code. A failed password source is not retried: the retry runs from a
     * timer, without the terminal or desktop session it may need. The
     * built-in OAuth 2 token is: its endpoint may come back, and the user is
     * told to run --login before the next try. */
    return code == EX_TEMPFAIL && stage != STAGE_PASSWORD ? FATE_RETRY : FATE_FAILED;
}

void delivery_init(struct delivery *d, const struct config *cfg,
                   const struct account *acct, int verbose, bool debug,
                   bool keep_open)
{
    const struct account **chain = xcalloc(cfg->n_accounts + 1, sizeof *chain);

    memset(d, 0, sizeof *d);
    d->cfg = cfg;
    d->acct = acct;
    d->verbose = verbose;
    d->debug = debug;
    d->keep_open = keep_open;
    d->n_links = fallback_chain(cfg, acct, chain);
    d->links = xcalloc(d->n_links, sizeof *d->links);
    for (size_t i = 0; i < d->n_links; i++)
        d->links[i].acct = chain[i];
    free(chain);
}

/* The one place that asks for an account's password or OAuth 2 token. */
static int get_password(struct delivery_link *l, struct mo_err *err)
{
    const struct account *a = l->acct;

    if (l->password != NULL || !sasl_login_needs_password(a->auth, a->user))
        return 0;
    if (oauth2_applies(a))      /* the caller wants to know if it is new */
        return oauth2_access_token(a, &l->password, &l->token_refreshed, err);
    return secret_get_password(a, &l->password, err);
}

static int open_session(const struct delivery *d, struct delivery_link *l,
                        enum delivery_stage *stage, struct mo_err *err)
{
    struct smtp_options opt = { .acct = l->acct, .verbose = d->verbose,
                                .debug = d->debug, .keep_open = d->keep_open };

    *stage = oauth2_applies(l->acct) ? STAGE_TOKEN : STAGE_PASSWORD;
    if (get_password(l, err) != 0)
        return -1;
    *stage = STAGE_SESSION;
    opt.password = l->password;
    if (smtp_session_open(&l->s, &opt, err) != 0) {
        l->s = NULL;
        return -1;
    }
    return 0;
}

static void log_attempt(const struct delivery *d, const struct delivery_link *l,
                        const struct envelope *env, const struct message *msg,
                        const struct smtp_result *res, int exitcode)
{
    struct log_record r = {
        .host = l->acct->host, .tls = res->tls, .auth = res->auth,
        .account = l->acct != d->acct ? l->acct->name : NULL,
        .user = l->acct->user, .uid_name = env->submitter, .from = env->sender,
        .rcpts = (const char *const *)env->rcpts, .n_rcpts = env->n_rcpts,
        .mailsize = message_wire_size(msg),
        .smtpstatus = res->reply_code,
        .smtpmsg = res->reply[0] ? res->reply : NULL, .exitcode = exitcode,
    };
    log_delivery(d->cfg, &r);
}

/* A failure the next message would meet too (the session cannot be had,
 * authentication, the protocol): later sends report it without trying. */
static void mark_broken(struct delivery_link *l, enum delivery_stage stage,
                        const struct mo_err *err)
{
    if (stage != STAGE_MESSAGE
        || (err->code != EX_TEMPFAIL && err->code != EX_UNAVAILABLE)) {
        l->broken = true;
        l->broken_stage = stage;
        l->broken_err = *err;
    }
}

/* The server refused the login (535) with an OAuth 2 access token from the
 * cache, and took the message for nobody: the token may have been revoked
 * before its expiry. It is dropped from the cache and the session closed,
 * so that the next open refreshes it (once: a token just refreshed that is
 * refused is final). */
static bool stale_token(const struct delivery *d, struct delivery_link *l,
                        struct smtp_result *res, const struct mo_err *err)
{
    if (!oauth2_applies(l->acct) || l->token_refreshed || l->password == NULL
        || err->code != EX_NOPERM || res->auth || res->reply_code != 535
        || smtp_result_count(res, RCPT_DELIVERED, NULL) != 0)
        return false;
    if (d->verbose)
        fprintf(stderr, "mailout: %s\n",
                _("the server refused the cached OAuth 2 access token: refreshing it and trying again"));
    oauth2_token_refused(l->acct, l->password);
    secret_free(l->password);
    l->password = NULL;
    smtp_session_close(l->s);
    l->s = NULL;
    smtp_result_free(res);
    memset(res, 0, sizeof *res);
    return true;
}

static int open_and_send(const struct delivery *d, struct delivery_link *l,
                         const struct envelope *env, const struct message *msg,
                         struct smtp_result *res, enum delivery_stage *stage,
                         struct mo_err *err)
{
    int rc = l->s == NULL ? open_session(d, l, stage, err) : 0;

    if (rc == 0) {
        *stage = STAGE_MESSAGE;
        rc = smtp_session_send(l->s, env, msg, res, err);
    }
    return rc;
}

/* One server of the chain: the delivery of a single account. */
static int send_via(struct delivery *d, struct delivery_link *l,
                    const struct envelope *env, const struct message *msg,
                    struct smtp_result *res, enum delivery_stage *stage,
                    struct mo_err *err)
{
    int rc;

    *stage = l->broken ? l->broken_stage : STAGE_PASSWORD;
    if (l->broken) {
        *err = l->broken_err;
        return -1;
    }
    rc = open_and_send(d, l, env, msg, res, stage, err);
    if (rc != 0 && *stage == STAGE_MESSAGE && stale_token(d, l, res, err))
        rc = open_and_send(d, l, env, msg, res, stage, err);
    log_attempt(d, l, env, msg, res, rc == 0 ? EX_OK : err->code);
    if (rc != 0)
        mark_broken(l, *stage, err);
    if (l->s != NULL && !smtp_session_usable(l->s)) {
        smtp_session_close(l->s);
        l->s = NULL;
    }
    return rc;
}

/* Whether the next server of the chain may have the message: the retry
 * rule says the failure is temporary, and this server cannot have it. */
static bool fails_over(const struct mo_err *err, enum delivery_stage stage,
                       const struct smtp_result *res)
{
    return delivery_fate(err->code, stage, false) == FATE_RETRY && !res->data_sent
        && smtp_result_count(res, RCPT_DELIVERED, NULL) == 0;
}

/* -v: the servers in the order they are tried, once. */
static void show_chain(struct delivery *d)
{
    struct strbuf b;

    if (!d->verbose || d->n_links < 2 || d->chain_shown)
        return;
    d->chain_shown = true;
    strbuf_init(&b, 0);
    for (size_t i = 0; i < d->n_links; i++)
        strbuf_appendf(&b, "%s%s (%s port %d)", i ? ", " : "", d->links[i].acct->name,
                       d->links[i].acct->host, account_port(d->links[i].acct));
    fprintf(stderr, _("mailout: servers to try in order: %s\n"), b.data);
    strbuf_free(&b);
}

/* err: the failures so far, the one of link i added. */
static void add_failure(const struct delivery *d, size_t i, const struct mo_err *e,
                        struct mo_err *err)
{
    char before[sizeof err->msg];

    if (d->verbose && d->n_links > 1)
        fprintf(stderr, _("mailout: account %s: %s\n"), d->links[i].acct->name, e->msg);
    if (i == 0) {
        *err = *e;
        return;
    }
    snprintf(before, sizeof before, "%s", err->msg);
    mo_err_set(err, e->code, _("%s; then account %s: %s"), before,
               d->links[i].acct->name, e->msg);
}

int delivery_send(struct delivery *d, const struct envelope *env,
                  const struct message *msg, struct smtp_result *res,
                  enum delivery_stage *stage, struct mo_err *err)
{
    struct mo_err e = { 0, "" };
    int rc = -1;

    show_chain(d);
    for (size_t i = 0; i < d->n_links; i++) {
        if (i > 0) {
            smtp_result_free(res);
            memset(res, 0, sizeof *res);
            if (d->verbose)
                fprintf(stderr, _("mailout: trying the fallback account %s (%s port %d)\n"),
                        d->links[i].acct->name, d->links[i].acct->host,
                        account_port(d->links[i].acct));
        }
        rc = send_via(d, &d->links[i], env, msg, res, stage, &e);
        if (rc == 0)
            return 0;
        add_failure(d, i, &e, err);
        if (!fails_over(&e, *stage, res))
            break;
    }
    return rc;
}

bool delivery_has_session(const struct delivery *d)
{
    for (size_t i = 0; i < d->n_links; i++)
        if (d->links[i].s != NULL)
            return true;
    return false;
}

void delivery_end(struct delivery *d)
{
    for (size_t i = 0; i < d->n_links; i++) {
        smtp_session_close(d->links[i].s);
        secret_free(d->links[i].password);
    }
    free(d->links);
    d->links = NULL;
    d->n_links = 0;
}

int delivery_keep(const struct config *cfg, const struct account *acct,
                  const struct envelope *env, const struct message *msg,
                  const struct mo_err *failure, enum delivery_stage stage,
                  char id[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    enum delivery_fate fate = delivery_fate(failure->code, stage, false);
    bool retry = fate == FATE_RETRY;
    char *qdir;
    int rc;

    if (!acct->queue)
        return 1;
    qdir = queue_dir_path(cfg);
    rc = queue_write_new(qdir, retry ? NULL : "failed", acct->name, env, msg,
                         failure->msg, 1, retry ? time(NULL) + queue_backoff(1) : 0,
                         id, err);
    if (rc == 0)
        log_queue_event(cfg, retry ? "queued" : "failed", id, failure->msg);
    free(qdir);
    return rc;
}

/* "addr (reply); ..." for the recipients of env marked in pick; a
 * recipient without a verdict gets why (the session's failure). */
static char *rcpt_list(const struct envelope *env, const struct smtp_result *res,
                       const bool *pick, const char *why)
{
    struct strbuf b;
    size_t k = 0;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < env->n_rcpts; i++)
        if (pick[i])
            strbuf_appendf(&b, "%s%s (%s)", k++ ? "; " : "", env->rcpts[i],
                           res->rcpts[i].reply ? res->rcpts[i].reply : why);
    return strbuf_detach(&b, NULL);
}

/* The copy of a part just written to qdir/failed/ taken back, when the
 * hook refused it; said in err. */
static void unkeep(const char *qdir, const char *id, struct mo_err *err)
{
    char *fdir = xasprintf("%s/failed", qdir);
    char why[sizeof err->msg];
    struct mo_err rerr;

    if (queue_entry_remove(fdir, id, &rerr) != 0 || queue_sync_dir(fdir) != 0) {
        snprintf(why, sizeof why, "%s", err->msg);
        mo_err_set(err, err->code, _("%s; and its copy %s cannot be removed from failed/: %s"),
                   why, id, rerr.code ? rerr.msg : strerror(errno));
    }
    free(fdir);
}

/* The part (the recipients of env marked in pick) written to
 * qdir/failed/ and handed to the hook; rest's failed_id and bounce_id
 * filled. */
static int keep_part(const char *qdir, const struct account *acct,
                     const struct envelope *env, const struct message *msg,
                     const struct smtp_result *res, const bool *pick, unsigned attempts,
                     const struct delivery_split_hook *hook, struct delivery_rest *rest,
                     struct mo_err *err)
{
    struct envelope part = *env;
    const char **replies = xcalloc(env->n_rcpts, sizeof *replies);
    int rc;

    part.rcpts = xcalloc(env->n_rcpts, sizeof *part.rcpts);
    part.n_rcpts = 0;
    for (size_t i = 0; i < env->n_rcpts; i++)
        if (pick[i]) {
            replies[part.n_rcpts] = res->rcpts[i].reply;
            part.rcpts[part.n_rcpts++] = env->rcpts[i];
        }
    rc = queue_write_new(qdir, "failed", acct->name, &part, msg, rest->failed_why.msg,
                         attempts, 0, rest->failed_id, err);
    if (rc == 0 && hook != NULL) {
        struct delivery_part p = { &part, replies, rest->failed_why.msg, rest->failed_id };
        if ((rc = hook->kept(hook->ctx, &p, rest->bounce_id, err)) != 0)
            unkeep(qdir, rest->failed_id, err);
    }
    if (rc == 0)
        rest->failed = part.n_rcpts;
    free(replies);
    free(part.rcpts);
    return rc;
}

/* The 5xx recipients (perm) in qdir/failed/; rest filled (keep_err: why
 * not). */
static int keep_refused(const struct config *cfg, const char *qdir,
                        const struct account *acct, const struct envelope *env,
                        const struct message *msg, const struct smtp_result *res,
                        const bool *perm, unsigned attempts,
                        const struct delivery_split_hook *hook, struct delivery_rest *rest)
{
    size_t n = 0;
    char *list = rcpt_list(env, res, perm, "");
    int rc;

    for (size_t i = 0; i < env->n_rcpts; i++)
        n += perm[i];
    mo_err_set(&rest->failed_why, EX_UNAVAILABLE,
               ngettext("recipient refused for good: %s", "recipients refused for good: %s", n),
               list);
    rc = keep_part(qdir, acct, env, msg, res, perm, attempts, hook, rest, &rest->keep_err);
    if (rc == 0) {
        log_queue_failed(cfg, rest->failed_id, rest->failed_why.msg,
                         rest->bounce_id[0] ? rest->bounce_id : NULL);
    } else if (rest->keep_err.code == 0) {
        rest->keep_err.code = EX_SOFTWARE;
    }
    free(list);
    return rc;
}

/* err, the failure of the whole, says why its part refused for good could
 * not be kept apart. */
static void add_keep_err(struct mo_err *err, const struct mo_err *why)
{
    char before[sizeof err->msg];

    snprintf(before, sizeof before, "%s", err->msg);
    mo_err_set(err, err->code, _("%s; those refused for good cannot be kept apart: %s"),
               before, why->msg);
}

size_t delivery_sort_out(const struct config *cfg, const char *qdir,
                         const struct account *acct, struct envelope *env,
                         const struct message *msg, const struct smtp_result *res,
                         unsigned attempts, const struct delivery_split_hook *hook,
                         struct mo_err *err, struct delivery_rest *rest)
{
    size_t n = env->n_rcpts, n_perm = 0, n_temp = 0;
    bool *perm = xcalloc(n ? n : 1, sizeof *perm);
    bool *temp = xcalloc(n ? n : 1, sizeof *temp);

    memset(rest, 0, sizeof *rest);
    for (size_t i = 0; res->rcpts != NULL && i < n && i < res->n_rcpts; i++) {
        enum rcpt_outcome o = res->rcpts[i].outcome;
        perm[i] = o == RCPT_PERMFAIL;
        temp[i] = o == RCPT_TEMPFAIL || o == RCPT_NO_VERDICT;
        n_perm += perm[i];
        n_temp += temp[i];
    }
    if (res->per_rcpt && n_perm > 0 && n_temp > 0 && qdir != NULL
        && keep_refused(cfg, qdir, acct, env, msg, res, perm, attempts, hook, rest) == 0) {
        char *list = rcpt_list(env, res, temp, err->msg);
        mo_err_set(err, EX_TEMPFAIL, ngettext("recipient refused for now: %s",
                                              "recipients refused for now: %s", n_temp), list);
        free(list);
    } else {
        if (rest->keep_err.code != 0)
            add_keep_err(err, &rest->keep_err);
        memset(perm, 0, n * sizeof *perm);
    }
    /* perm: the refused for good that went to failed/; add the delivered */
    rest->delivered = res->rcpts ? smtp_result_count(res, RCPT_DELIVERED, perm) : 0;
    envelope_drop_rcpts(env, perm);
    free(perm);
    free(temp);
    return env->n_rcpts;
}
