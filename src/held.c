/* held.c - see held.h. A held message is an incoming/ entry (dropfile.h)
 * with a reason, named by a queue ID in failed/, so that mailq,
 * --queue-delete and --requeue take it like any failed message. */
#include "config.h"
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "envelope.h"
#include "prepare.h"
#include "bounce.h"
#include "held.h"

/* The reason on one line within the format's bound, never cutting a UTF-8
 * sequence in two. */
static char *one_line(const char *reason)
{
    size_t n = strnlen(reason, DROP_VALUE_MAX + 1);
    char *r;

    if (n > DROP_VALUE_MAX) {
        n = DROP_VALUE_MAX;
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;
    }
    r = xstrndup(reason, n);
    for (char *p = r; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return r;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* The command line as a drop envelope, with who gave it and when. */
static void from_cli(const struct cli *cli, const char *reason, struct drop_envelope *d)
{
    struct passwd *pw = getpwuid(getuid());

    memset(d, 0, sizeof *d);
    d->uid = (unsigned long)getuid();
    d->user = pw && pw->pw_name && pw->pw_name[0] ? xstrdup(pw->pw_name)
                                                 : xasprintf("%lu", d->uid);
    d->time = (long long)time(NULL);
    d->read_recipients = cli->read_recipients;
    d->read_envelope_from = cli->read_envelope_from;
    d->sender = dup_or_null(cli->sender);
    d->full_name = dup_or_null(cli->full_name);
    d->notify = dup_or_null(cli->dsn_notify);
    d->ret = dup_or_null(cli->dsn_ret);
    d->envid = dup_or_null(cli->dsn_envid);
    d->account = dup_or_null(cli->account);
    d->reason = one_line(reason);
    d->rcpts = xcalloc(cli->n_recipients ? cli->n_recipients : 1, sizeof *d->rcpts);
    for (size_t i = 0; i < cli->n_recipients; i++)
        d->rcpts[d->n_rcpts++] = xstrdup(cli->recipients[i]);
}

/* What a held file holds: the envelope text, then the message. */
struct held_src {
    const char *text;
    size_t tlen;
    const char *head;           /* held_keep: the header block as read */
    size_t hlen;
    const struct message *msg;  /* held_keep: the body */
    int fd;                     /* held_keep_entry: the entry, from off */
    off_t off;
    uint64_t len;
};

static int write_held(const void *arg, int fd)
{
    const struct held_src *s = arg;
    struct mo_err err;

    if (write_full(fd, s->text, s->tlen) != 0)
        return -1;
    if (s->msg == NULL)
        return copy_fd_range(s->fd, s->off, s->len, fd);
    /* the header block as it was read, then message_stream's blank line and
     * body from a view of msg without its (perhaps changed) header block */
    struct message view = *s->msg;
    view.headers.n = 0;
    if (write_full(fd, s->head, s->hlen) != 0)
        return -1;
    return message_write(&view, fd, &err);
}

static int write_in_failed(const char *qdir, const struct drop_envelope *d,
                           struct held_src *src, char id[QUEUE_ID_LEN + 1],
                           struct mo_err *err)
{
    int rc;

    if (drop_check_values(d, err) != 0)
        return -1;
    src->text = drop_render(d, &src->tlen);
    rc = queue_write_file(qdir, "failed", write_held, src, id, err);
    free((char *)src->text);
    return rc;
}

int held_keep(const char *qdir, const struct cli *cli, const char *head,
              size_t hlen, const struct message *msg, const char *reason,
              char id[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    struct drop_envelope d;
    struct held_src src = { .head = head, .hlen = hlen, .msg = msg };
    int rc;

    from_cli(cli, reason, &d);
    rc = write_in_failed(qdir, &d, &src, id, err);
    drop_free(&d);
    return rc;
}

int held_keep_entry(const char *qdir, const struct drop_envelope *d, int fd,
                    off_t body, const char *reason, char id[QUEUE_ID_LEN + 1],
                    struct mo_err *err)
{
    struct drop_envelope copy = *d;
    struct held_src src = { .fd = fd, .off = body };
    struct stat st;
    int rc;

    if (fstat(fd, &st) != 0 || st.st_size < body)
        return mo_err_set(err, EX_IOERR, _("cannot read the entry: %s"), strerror(errno));
    src.len = (uint64_t)(st.st_size - body);
    copy.reason = one_line(reason);
    rc = write_in_failed(qdir, &copy, &src, id, err);
    free(copy.reason);
    return rc;
}

/* The caller's command line, as the main program would have parsed it. */
static void as_cli(const struct drop_envelope *d, struct cli *cli)
{
    memset(cli, 0, sizeof *cli);
    cli->mode = CLI_DELIVER;
    cli->progname = "mailout";
    cli->read_recipients = d->read_recipients;
    cli->read_envelope_from = d->read_envelope_from;
    cli->ignore_dots = true;    /* a "." line ended the input before */
    cli->sender = d->sender;
    cli->full_name = d->full_name;
    cli->dsn_notify = d->notify;
    cli->dsn_ret = d->ret;
    cli->dsn_envid = d->envid;
    cli->account = d->account;
    cli->recipients = d->rcpts;
    cli->n_recipients = d->n_rcpts;
    cli->submitted = (time_t)d->time;   /* Date: when it was handed over */
}

int held_enqueue(const struct config *cfg, const char *qdir, int fd, off_t body,
                 const struct drop_envelope *d, const char *submitter,
                 char id[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    struct message msg;
    struct envelope env;
    struct cli cli;
    const struct account *acct;
    int rc = -1;

    memset(&msg, 0, sizeof msg);
    memset(&env, 0, sizeof env);
    msg.body_fd = -1;
    as_cli(d, &cli);
    if (lseek(fd, body, SEEK_SET) != body) {
        mo_err_set(err, EX_IOERR, _("cannot read the entry: %s"), strerror(errno));
        goto out;
    }
    if (message_read(fd, true, queue_spool_dir(cfg), &msg, err) != 0
            || prepare_message(&cli, cfg, &msg, &env, &acct, err) != 0)
        goto out;
    env.submitter = dup_or_null(submitter);
    rc = queue_write_new(qdir, NULL, acct->name, &env, &msg, "", 0, time(NULL), id, err);
out:
    envelope_free(&env);
    message_free(&msg);
    return rc;
}

/* The account a bounce of d's message goes through, and the envelope it
 * reports on (the sender the account gives it, envelope_finish; the
 * recipients as they were given); NULL when there is none to be had. */
static const struct account *bounce_account(const struct config *cfg,
                                            const struct drop_envelope *d,
                                            const struct cli *cli,
                                            const struct message *msg,
                                            struct envelope *env)
{
    struct mo_err lerr;
    char *hint = envelope_sender_hint(cli, msg);
    const struct account *acct = config_select_account(cfg, cli->account, hint, &lerr);

    free(hint);
    if (acct == NULL || d->n_rcpts == 0 || envelope_finish(env, cli, msg, acct, &lerr) != 0)
        return NULL;
    env->rcpts = xcalloc(d->n_rcpts, sizeof *env->rcpts);
    for (size_t i = 0; i < d->n_rcpts; i++)
        env->rcpts[env->n_rcpts++] = xstrdup(d->rcpts[i]);
    return acct;
}

int held_bounce(const struct config *cfg, const char *qdir, int fd, off_t body,
                const struct drop_envelope *d, const char *held_id, const char *reason,
                char bid[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    struct bounce_failure f = { .queue_id = held_id, .arrival = (time_t)d->time,
                                .reason = reason };
    struct message msg, bmsg;
    struct envelope env, benv;
    const struct account *acct = NULL;
    struct mo_err lerr;
    struct cli cli;
    int rc = 0;

    bid[0] = '\0';
    memset(&msg, 0, sizeof msg);
    memset(&env, 0, sizeof env);
    msg.body_fd = -1;
    as_cli(d, &cli);
    if (lseek(fd, body, SEEK_SET) == body
            && message_read(fd, true, queue_spool_dir(cfg), &msg, &lerr) == 0)
        acct = bounce_account(cfg, d, &cli, &msg, &env);
    if (acct != NULL && bounce_wanted(acct, &env, &msg.headers)) {
        rc = bounce_build(acct, &env, &msg.headers, &f, queue_spool_dir(cfg), &bmsg, &benv, err);
        if (rc == 0) {
            rc = queue_write_new(qdir, NULL, acct->name, &benv, &bmsg, "", 0, time(NULL),
                                 bid, err);
            envelope_free(&benv);
            message_free(&bmsg);
        }
    }
    envelope_free(&env);
    message_free(&msg);
    return rc;
}
