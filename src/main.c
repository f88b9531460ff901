/* main.c - mailout: read a message, find its envelope and account, relay it
 * to the smarthost, or keep it in the queue when that fails for now. */
#include "config.h"
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "i18n.h"
#include "err.h"
#include "util.h"
#include "cli.h"
#include "conf.h"
#include "message.h"
#include "envelope.h"
#include "smtp.h"
#include "serverinfo.h"
#include "secrets.h"
#include "version.h"
#include "dryrun.h"
#include "queue.h"
#include "delivery.h"
#include "queuerun.h"
#include "oauth2_login.h"
#include "queueadmin.h"
#include "msmtprc.h"
#include "handoff.h"
#include "incoming.h"
#include "checkconf.h"
#include "startup.h"
#include "prepare.h"
#include "relay.h"
#include "bs.h"
#include "held.h"
#include "log.h"

static struct startup_state start;

static int fail(const struct mo_err *e)
{
    fprintf(stderr, "mailout: %s\n", e->msg);
    return e->code;
}

/* Intake spools into the queue's tmp/ when it can, so that the message is on
 * the queue's filesystem from the start. */
static const char *spool_dir_for(const struct config *cfg)
{
    return queue_spool_dir(cfg);
}

static struct queue_run_opts queue_opts(const struct cli *cli)
{
    /* -q tries every message now, as sendmail's does; --queue-due only
     * those whose back-off has passed */
    struct queue_run_opts o = { .force = !cli->queue_due, .id = cli->queue_id,
                                .account = cli->account, .verbose = cli->verbose,
                                .debug = cli->debug, .report = stderr };
    return o;
}

/* The error of a message that was refused, and where its copy is. */
static int report_failed(const struct relay_outcome *ro, const struct mo_err *err)
{
    int rc = fail(err);

    if (ro->failed_id[0] != '\0')   /* after the error it is about */
        fprintf(stderr, _("mailout: a copy is kept in the queue's failed/ as %s\n"), ro->failed_id);
    return rc;
}

/* A message queued for a retry is said on stderr (exit 0, or before the
 * error of the recipients refused for good). */
static void report_queued(const struct relay_outcome *out)
{
    if (out->queue_id[0] != '\0')
        fprintf(stderr, _("mailout: queued as %s: %s; will retry\n"), out->queue_id,
                out->queued_why.msg);
}

/* err stopped a message that was read before its account was known: it is
 * kept in failed/ as it was given (head: its header block as read), and
 * that is said after the error. Returns err's exit code. */
static int fail_and_hold(const struct cli *cli, const struct config *cfg,
                         const char *head, size_t hlen, const struct message *msg,
                         const struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    char id[QUEUE_ID_LEN + 1];
    struct mo_err herr;
    int rc = fail(err);

    if (held_keep(qdir, cli, head, hlen, msg, err->msg, id, &herr) == 0) {
        fprintf(stderr, _("mailout: the message is kept in %s/failed/ as %s; once the cause is fixed, mailout --requeue %s sends it\n"),
                qdir, id, id);
        log_queue_event(cfg, "failed", id, err->msg);
    } else {
        fprintf(stderr, _("mailout: the message could not be kept in failed/ either: %s\n"), herr.msg);
    }
    free(qdir);
    return rc;
}

static int run_deliver(const struct cli *cli, struct config *cfg)
{
    struct mo_err err = { 0, "" };
    struct message msg;
    struct envelope env;
    const struct account *acct;
    struct relay_outcome ro = { .failed_id = "" };
    char *head = NULL;
    size_t hlen = 0;
    int rc = -1;

    memset(&msg, 0, sizeof msg);
    memset(&env, 0, sizeof env);
    msg.body_fd = -1;
    if (message_read(STDIN_FILENO, cli->ignore_dots, spool_dir_for(cfg), &msg, &err) != 0)
        goto out;
    head = header_block_render(&msg.headers, &hlen);   /* as read, to be held */
    if (prepare_message(cli, cfg, &msg, &env, &acct, &err) != 0)
        rc = cli->dry_run ? fail(&err) : fail_and_hold(cli, cfg, head, hlen, &msg, &err);
    else if (cli->dry_run)
        rc = dryrun_print(stdout, cfg, acct, &env, &msg, &err);
    else {
        rc = relay_message(cli, cfg, acct, &env, &msg, &ro, &err);
        report_queued(&ro);
    }
out:
    free(head);
    envelope_free(&env);
    message_free(&msg);
    if (rc <= 0)
        return rc == 0 ? EX_OK : report_failed(&ro, &err);
    return rc;
}

/* The configuration did not load, but it was read (mailout(1) QUEUE): the
 * message is held in the queue directory it names, if that much of it can
 * be made out (config_check_load), else in the default one. */
static int hold_unconfigured(const struct cli *cli, const struct mo_err *cerr)
{
    struct mo_err err = { 0, "" };
    struct config partial;
    struct message msg;
    char *head = NULL;
    size_t hlen = 0;
    int rc;

    memset(&msg, 0, sizeof msg);
    msg.body_fd = -1;
    if (config_check_load(&partial, cli->config_file, &err) != 0)
        memset(&partial, 0, sizeof partial);
    if (message_read(STDIN_FILENO, cli->ignore_dots, queue_spool_dir(&partial), &msg, &err) != 0) {
        rc = fail(cerr);
    } else {
        head = header_block_render(&msg.headers, &hlen);
        rc = fail_and_hold(cli, &partial, head, hlen, &msg, cerr);
    }
    free(head);
    message_free(&msg);
    config_free(&partial);
    return rc;
}

/* -bs: the SMTP session on stdin/stdout; cfg NULL in system mode. */
static int run_bs(const struct cli *cli, const struct config *cfg)
{
    struct mo_err err = { 0, "" };

    if (cli->dry_run) {
        mo_err_set(&err, EX_USAGE, "%s", _("--dry-run does not go with -bs; pipe the message to mailout --dry-run instead"));
        return fail(&err);
    }
    return bs_serve(STDIN_FILENO, STDOUT_FILENO, cli, cfg, &err) == 0 ? EX_OK : fail(&err);
}

static int run_queue(const struct cli *cli, const struct config *cfg)
{
    struct mo_err err = { 0, "" };
    struct queue_run_opts o = queue_opts(cli);
    int rc;

    if (cli->mode == CLI_LIST_QUEUE) {
        rc = queue_list(cfg, stdout, stderr, &err);
        incoming_list(stdout);      /* system mode: what local users dropped */
    }
    else if (cli->mode == CLI_QUEUE_DELETE)
        rc = queue_delete(cfg, cli->queue_id, &err);
    else if (cli->mode == CLI_REQUEUE)
        rc = queue_requeue(cfg, cli->queue_id, stderr, &err);
    else {
        incoming_pickup(cfg, stderr);   /* system mode: what local users dropped */
        rc = queue_run(cfg, &o, &err);
    }
    return rc == 0 ? EX_OK : fail(&err);
}

/* --store-password / --forget-password: the account's keyring entry. */
static int run_keyring(const struct cli *cli, const struct config *cfg)
{
    struct mo_err err = { 0, "" };
    const struct account *acct = config_select_account(cfg, cli->account, NULL, &err);
    int rc;

    if (acct == NULL)
        return fail(&err);
    rc = cli->mode == CLI_STORE_PASSWORD ? secret_store_password(acct, &err)
                                         : secret_forget_password(acct, &err);
    return rc == 0 ? EX_OK : fail(&err);
}

/* --login [--browser]: the account's OAuth 2 sign-in. */
static int run_login(const struct cli *cli, const struct config *cfg)
{
    struct mo_err err = { 0, "" };
    const struct account *acct = config_select_account(cfg, cli->account, NULL, &err);

    if (acct == NULL || oauth2_login(acct, cli->browser, stdout, &err) != 0)
        return fail(&err);
    return EX_OK;
}

static int run_serverinfo(const struct cli *cli, const struct config *cfg)
{
    struct mo_err err = { 0, "" };
    const struct account *acct = config_select_account(cfg, cli->account, NULL, &err);
    struct smtp_options opt = { .acct = acct, .verbose = cli->verbose,
                                .debug = cli->debug };

    if (acct == NULL || smtp_print_serverinfo(&opt, stdout, &err) != 0)
        return fail(&err);
    return EX_OK;
}

/* The modes that read no mailout configuration; -1 for the others. */
static int run_unconfigured(const struct cli *cli)
{
    struct mo_err err = { 0, "" };

    switch (cli->mode) {
    case CLI_HELP:
        cli_print_help(cli->progname);
        return EX_OK;
    case CLI_NEWALIASES:
        return EX_OK;
    case CLI_CHECK_CONFIG: {
        struct checkconf_opts o = { .file = cli->config_file, .account = cli->account,
                                    .connect = cli->connect, .verbose = cli->verbose,
                                    .debug = cli->debug };
        return checkconf_run(&o, stdout, stderr);
    }
    case CLI_IMPORT_MSMTPRC:
        return msmtprc_import(cli->import_file, stdout, &err) == 0 ? EX_OK : fail(&err);
    default:
        return -1;
    }
}

static int run_configured(const struct cli *cli, struct config *cfg)
{
    struct mo_err err = { 0, "" };

    switch (cli->mode) {
    case CLI_VERSION:
        return version_print(stdout, cfg, cli->config_file);
    case CLI_SERVERINFO:
        return run_serverinfo(cli, cfg);
    case CLI_STORE_PASSWORD:
    case CLI_FORGET_PASSWORD:
        return run_keyring(cli, cfg);
    case CLI_LOGIN:
        return run_login(cli, cfg);
    case CLI_DELIVER:
        return run_deliver(cli, cfg);
    case CLI_LIST_QUEUE:
    case CLI_FLUSH_QUEUE:
    case CLI_QUEUE_DELETE:
    case CLI_REQUEUE:
        return run_queue(cli, cfg);
    case CLI_SMTP_STDIN:
        return run_bs(cli, cfg);
    default:
        mo_err_set(&err, EX_UNAVAILABLE, "%s", _("this mode is not available yet"));
        return fail(&err);
    }
}

int main(int argc, char **argv)
{
    struct cli cli;
    struct config cfg;
    struct mo_err err = { 0, "" };
    int status;

    if (startup_harden(&start) != 0)
        return EX_OSERR;        /* no stderr to say it on */
    setlocale(LC_ALL, "");
    bindtextdomain(PACKAGE, LOCALEDIR);
    textdomain(PACKAGE);

    if (cli_parse(argc, argv, &cli, &err) != 0)
        return fail(&err);
    if ((status = run_unconfigured(&cli)) >= 0)
        return status;
    if ((cli.mode == CLI_DELIVER || cli.mode == CLI_SMTP_STDIN) && start.stdin_closed) {
        /* never an empty message sent (or handed over) with exit 0 */
        mo_err_set(&err, EX_NOINPUT, "%s", _("standard input is closed: there is no message to send"));
        return fail(&err);
    }
    /* system mode: a caller who cannot read the configuration hands over
     * (for -bs, each message of the session) */
    if ((status = handoff_maybe(&cli, &err)) < 0)
        return fail(&err);
    if (status == 1)
        return run_bs(&cli, NULL);
    memset(&cfg, 0, sizeof cfg);
    if ((status = config_load(&cfg, cli.config_file, &err)) != 0) {
        /* --version still answers, so that a broken file can be reported */
        if (cli.mode == CLI_VERSION)
            version_print(stdout, NULL, cli.config_file);
        if (cli.mode == CLI_DELIVER && !cli.dry_run && status != CONFIG_UNREADABLE)
            return hold_unconfigured(&cli, &err);
        return fail(&err);
    }
    status = run_configured(&cli, &cfg);
    config_free(&cfg);
    return status;
}
