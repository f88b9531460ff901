/* bs.c - sendmail -bs (mailout(1), -bs): mailout answers as an SMTP server on
 * standard input and output and relays each message through the account.
 *
 * Replies are written to a buffer that is flushed only when no more input
 * is waiting, so that a pipelined flight gets its replies in one write (RFC
 * 2920). Lines are bounded (BS_MAX_COMMAND, BS_MAX_TEXT): a longer one is
 * read to its end and refused, and the session goes on. The message of DATA
 * is written, unstuffed, to an unlinked temporary file and read back with
 * the command line's intake; a client that leaves before the final dot
 * leaves nothing: the file goes with it, nothing is sent or queued. Each
 * message is then prepared and relayed by the same code as a command-line
 * message (prepare.c, relay.c), and the reply says what really happened:
 * 250 when it was delivered or queued, the relay's code (or the one that
 * fits the exit status) otherwise. In system mode (no configuration: cfg is
 * NULL) each message is handed to mailout-submit instead (handoff.c). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "address.h"
#include "message.h"
#include "queue.h"
#include "smtpd_cmd.h"
#include "envelope.h"
#include "prepare.h"
#include "relay.h"
#include "handoff.h"
#include "dropfile.h"
#include "bs.h"

#define BS_READ_BUF 65536
#define BS_OUT_MAX (64 * 1024)

/* ------------------------------------------------------------ input/output */

struct io {
    int in, out;
    char buf[BS_READ_BUF];
    size_t pos, len;
    bool eof;
    struct strbuf reply;    /* replies not written yet */
    bool out_failed;
};

enum line_status { LINE_OK, LINE_LONG, LINE_EOF };

static int io_flush(struct io *io)
{
    if (write_full(io->out, io->reply.data, io->reply.len) != 0)
        io->out_failed = true;
    strbuf_reset(&io->reply);
    return io->out_failed ? -1 : 0;
}

static void reply(struct io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reply(struct io *io, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    line[strcspn(line, "\r\n")] = '\0';
    for (char *c = line; *c; c++)       /* SMTP replies are ASCII (RFC 5321) */
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    if (io->reply.len + strlen(line) + 2 > BS_OUT_MAX)
        io_flush(io);
    strbuf_appendf(&io->reply, "%s\r\n", line);
}

/* More input: replies waiting are written first (the client may wait for
 * them before it sends more). */
static int io_fill(struct io *io)
{
    ssize_t r;

    if (io->reply.len > 0)
        io_flush(io);
    do
        r = read(io->in, io->buf, sizeof io->buf);
    while (r < 0 && errno == EINTR);
    io->pos = 0;
    io->len = r > 0 ? (size_t)r : 0;
    if (r <= 0)
        io->eof = true;
    return r > 0 ? 0 : -1;
}

/* One line up to LF, without CR LF, in line (cap bytes, NUL-terminated). A
 * line longer than cap - 1 is read to its end and reported LINE_LONG. */
static enum line_status read_line(struct io *io, char *line, size_t cap, size_t *n)
{
    bool long_line = false;

    *n = 0;
    for (;;) {
        if (io->pos == io->len && (io->eof || io_fill(io) != 0))
            return LINE_EOF;        /* a last line without LF is no command */
        char *start = io->buf + io->pos;
        char *lf = memchr(start, '\n', io->len - io->pos);
        size_t take = lf ? (size_t)(lf - start) : io->len - io->pos;
        if (!long_line && *n + take < cap) {
            memcpy(line + *n, start, take);
            *n += take;
        } else {
            long_line = true;
        }
        io->pos += take + (lf != NULL);
        if (lf != NULL)
            break;
    }
    if (long_line)
        return LINE_LONG;
    if (*n > 0 && line[*n - 1] == '\r')
        (*n)--;
    line[*n] = '\0';
    return LINE_OK;
}

/* ------------------------------------------------------------ the session */

struct session {
    struct io io;
    const struct cli *cli;
    const struct config *cfg;   /* NULL in system mode */
    bool in_mail;
    char *sender;           /* MAIL FROM's path; "" is <> */
    char *ret, *envid, *notify;
    char **rcpts;
    size_t n_rcpts;
    int errors;             /* refused commands in a row */
    bool quit;
    bool vanished;          /* the client left inside DATA */
};

static void transaction_reset(struct session *s)
{
    free(s->sender);
    free(s->ret);
    free(s->envid);
    free(s->notify);
    for (size_t i = 0; i < s->n_rcpts; i++)
        free(s->rcpts[i]);
    free(s->rcpts);
    s->sender = s->ret = s->envid = s->notify = NULL;
    s->rcpts = NULL;
    s->n_rcpts = 0;
    s->in_mail = false;
}

static long size_limit(const struct session *s)
{
    return s->cfg != NULL ? s->cfg->message_size_limit : DROP_SIZE_LIMIT;
}

static void do_ehlo(struct session *s, const struct smtpd_cmd *c)
{
    transaction_reset(s);
    if (c->verb == SV_HELO) {
        reply(&s->io, "250 %s", local_fqdn());
        return;
    }
    reply(&s->io, "250-%s", local_fqdn());
    reply(&s->io, "250-PIPELINING");
    reply(&s->io, "250-SIZE %ld", size_limit(s));
    reply(&s->io, "250-8BITMIME");
    reply(&s->io, "250 ENHANCEDSTATUSCODES");
}

/* The path as an address the rest of mailout takes; NULL with a reply. */
static char *checked_address(struct session *s, const char *path, const char *code)
{
    struct mo_err err = { 0, "" };
    char *addr = NULL;

    if (path[0] == '\0')
        return xstrdup("");
    if (address_parse_one(path, &addr, &err) != 0) {
        reply(&s->io, "%s %s", code, err.msg);
        return NULL;
    }
    return addr;
}

static bool do_mail(struct session *s, struct smtpd_cmd *c)
{
    if (s->in_mail) {
        reply(&s->io, "503 5.5.1 %s", ("Nested MAIL command"));
        return false;
    }
    if (c->size > size_limit(s)) {
        reply(&s->io, "552 5.3.4 %s", ("Message size exceeds the limit"));
        return false;
    }
    if ((s->sender = checked_address(s, c->path, "553 5.1.7")) == NULL)
        return false;
    s->ret = c->ret;
    s->envid = c->envid;
    c->ret = c->envid = NULL;
    s->in_mail = true;
    reply(&s->io, "250 2.1.0 Ok");
    return true;
}

static bool do_rcpt(struct session *s, struct smtpd_cmd *c)
{
    char *addr;

    if (!s->in_mail) {
        reply(&s->io, "503 5.5.1 %s", ("Need MAIL command first"));
        return false;
    }
    if (s->n_rcpts >= BS_MAX_RCPTS) {
        reply(&s->io, "452 4.5.3 %s", ("Too many recipients"));
        return false;
    }
    if ((addr = checked_address(s, c->path, "553 5.1.3")) == NULL)
        return false;
    if (c->notify != NULL && s->notify == NULL) {
        s->notify = c->notify;      /* mailout has one NOTIFY per message */
        c->notify = NULL;
    }
    s->rcpts = xreallocarray(s->rcpts, s->n_rcpts + 1, sizeof *s->rcpts);
    s->rcpts[s->n_rcpts++] = addr;
    reply(&s->io, "250 2.1.5 Ok");
    return true;
}

/* ------------------------------------------------------------ DATA */

enum data_status { DATA_OK, DATA_TOO_BIG, DATA_LONG_LINE, DATA_WRITE_ERROR, DATA_VANISHED };

/* Reads the message up to the final dot into fd, unstuffed, LF line ends.
 * After a limit is passed it reads on to the dot without writing. */
static enum data_status read_data(struct session *s, int fd)
{
    static char line[BS_MAX_TEXT + 1];
    enum data_status st = DATA_OK;
    uint64_t size = 0;
    size_t n;

    for (;;) {
        enum line_status ls = read_line(&s->io, line, sizeof line, &n);
        if (ls == LINE_EOF)
            return DATA_VANISHED;
        if (ls == LINE_LONG) {
            if (st == DATA_OK)
                st = DATA_LONG_LINE;
            continue;
        }
        if (n == 1 && line[0] == '.')
            return st;
        const char *p = line[0] == '.' ? line + 1 : line;
        size_t len = line[0] == '.' ? n - 1 : n;
        size += len + 2;
        if (st == DATA_OK && size > (uint64_t)size_limit(s))
            st = DATA_TOO_BIG;
        if (st != DATA_OK)
            continue;
        line[n] = '\n';
        if (write_full(fd, p, len + 1) != 0)
            st = DATA_WRITE_ERROR;
    }
}

/* The command line that this message would have had: the session's
 * options, MAIL's sender and parameters, RCPT's recipients. */
static struct cli message_cli(const struct session *s)
{
    struct cli c = *s->cli;

    c.mode = CLI_DELIVER;
    c.read_recipients = false;
    c.read_envelope_from = false;
    c.ignore_dots = true;
    c.dry_run = false;
    c.sender = s->sender;
    c.recipients = s->rcpts;
    c.n_recipients = s->n_rcpts;
    if (s->notify != NULL)
        c.dsn_notify = s->notify;
    if (s->ret != NULL)
        c.dsn_ret = s->ret;
    if (s->envid != NULL)
        c.dsn_envid = s->envid;
    return c;
}

/* The reply for a message that was not taken: the relay's own code when
 * there is one, else the class the exit status says; then where copies
 * were kept (ro: the relay's outcome, or NULL). */
static void reply_failure(struct session *s, const struct mo_err *err,
                          const struct relay_outcome *ro)
{
    int code = ro != NULL ? ro->reply_code : 0;
    char text[sizeof err->msg + 2 * 128];
    int n = snprintf(text, sizeof text, "%s", err->msg);
    bool temp = err->code == EX_TEMPFAIL;

    if (ro != NULL && ro->failed_id[0] != '\0' && n >= 0 && (size_t)n < sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, (" (a copy is kept in the queue's failed/ as %s)"), ro->failed_id);
    if (ro != NULL && ro->queue_id[0] != '\0' && n >= 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, (" (queued for the other recipients as %s)"), ro->queue_id);
    /* the relay's code when its class agrees (a mixed LMTP verdict is 5xx) */
    if ((temp && code >= 400 && code < 500) || (!temp && code >= 500 && code < 600))
        reply(&s->io, "%d %d.0.0 %s", code, code / 100, text);
    else if (temp || err->code == EX_IOERR || err->code == EX_OSERR
             || err->code == EX_CANTCREAT)
        reply(&s->io, "451 4.3.0 %s", text);
    else if (err->code == EX_NOUSER)
        reply(&s->io, "550 5.1.1 %s", text);
    else if (err->code == EX_DATAERR)
        reply(&s->io, "554 5.6.0 %s", text);
    else if (err->code == EX_CONFIG || err->code == EX_NOPERM)
        reply(&s->io, "554 5.3.0 %s", text);
    else
        reply(&s->io, "554 5.0.0 %s", text);
}

/* Through the account, as the command line sends. */
static void relay_here(struct session *s, const struct cli *c, int fd)
{
    struct mo_err err = { 0, "" };
    struct message msg;
    struct envelope env;
    const struct account *acct;
    struct relay_outcome ro;

    memset(&msg, 0, sizeof msg);
    memset(&env, 0, sizeof env);
    memset(&ro, 0, sizeof ro);
    msg.body_fd = -1;
    if (message_read(fd, true, queue_spool_dir(s->cfg), &msg, &err) != 0
            || prepare_message(c, s->cfg, &msg, &env, &acct, &err) != 0)
        reply_failure(s, &err, NULL);
    else if (relay_message(c, s->cfg, acct, &env, &msg, &ro, &err) != 0)
        reply_failure(s, &err, &ro);
    else if (ro.result == RELAY_QUEUED)
        reply(&s->io, "250 2.0.0 %s %s: %s", ("Ok: queued as"), ro.queue_id, ro.queued_why.msg);
    else
        reply(&s->io, "250 2.0.0 %s", ("Ok: delivered"));
    envelope_free(&env);
    message_free(&msg);
}

static void relay(struct session *s, int fd)
{
    struct mo_err err = { 0, "" };
    struct cli c = message_cli(s);

    if (lseek(fd, 0, SEEK_SET) != 0) {
        mo_err_set(&err, EX_IOERR, "%s", strerror(errno));
        reply_failure(s, &err, NULL);
    } else if (s->cfg != NULL) {
        relay_here(s, &c, fd);
    } else if (handoff_message(&c, fd, &err) != 0) {
        reply_failure(s, &err, NULL);      /* system mode: mailout-submit said no */
    } else {
        reply(&s->io, "250 2.0.0 %s", ("Ok: queued for delivery"));
    }
}

/* An unlinked file for the message: nothing stays when the client goes. */
static int data_file(const struct session *s)
{
    const char *dir = s->cfg != NULL ? queue_spool_dir(s->cfg) : NULL;
    int fd = -1;

#ifdef O_TMPFILE
    if (dir != NULL)
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd < 0) {
        FILE *f = tmpfile();
        if (f != NULL) {
            fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0);
            fclose(f);
        }
    }
    return fd;
}

static void do_data(struct session *s)
{
    enum data_status st;
    int fd;

    if (!s->in_mail || s->n_rcpts == 0) {
        reply(&s->io, "503 5.5.1 %s", s->in_mail ? ("Need RCPT command first")
                                                  : ("Need MAIL command first"));
        return;
    }
    if ((fd = data_file(s)) < 0) {
        reply(&s->io, "451 4.3.0 %s: %s", ("Cannot keep the message"), strerror(errno));
        return;
    }
    reply(&s->io, "354 %s", ("End data with <CR><LF>.<CR><LF>"));
    st = read_data(s, fd);
    if (st == DATA_VANISHED) {
        close(fd);              /* unlinked: the message is gone */
        s->quit = s->vanished = true;
        return;
    }
    if (st == DATA_TOO_BIG)
        reply(&s->io, "552 5.3.4 %s", ("Message size exceeds the limit"));
    else if (st == DATA_LONG_LINE)
        reply(&s->io, "500 5.5.2 %s", ("Message has a line longer than 65536 bytes"));
    else if (st == DATA_WRITE_ERROR)
        reply(&s->io, "451 4.3.0 %s: %s", ("Cannot keep the message"), strerror(errno));
    else
        relay(s, fd);
    close(fd);
    transaction_reset(s);
}

/* ------------------------------------------------------------ commands */

/* Returns true when the command was accepted. */
static bool dispatch(struct session *s, struct smtpd_cmd *c)
{
    switch (c->verb) {
    case SV_HELO: case SV_EHLO: do_ehlo(s, c); return true;
    case SV_MAIL: return do_mail(s, c);
    case SV_RCPT: return do_rcpt(s, c);
    case SV_DATA: do_data(s); return true;
    case SV_RSET: transaction_reset(s); reply(&s->io, "250 2.0.0 Ok"); return true;
    case SV_NOOP: reply(&s->io, "250 2.0.0 Ok"); return true;
    case SV_QUIT: reply(&s->io, "221 2.0.0 Bye"); s->quit = true; return true;
    case SV_VRFY:
        reply(&s->io, "252 2.5.2 %s", ("Cannot VRFY user; send the message and delivery will be attempted"));
        return true;
    case SV_HELP:
        reply(&s->io, "214 2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY");
        return true;
    default:    /* EXPN, STARTTLS, AUTH, BDAT: nothing to do on a pipe */
        reply(&s->io, "502 5.5.1 %s", ("Command not implemented"));
        return false;
    }
}

/* Refused commands in a row, over-long lines included, end the session. */
static void count_error(struct session *s, bool good)
{
    s->errors = good ? 0 : s->errors + 1;
    if (s->errors >= BS_MAX_ERRORS) {
        reply(&s->io, "421 4.7.0 %s", "Too many errors; closing the session");
        s->quit = true;
    }
}

static void one_command(struct session *s, const char *line, size_t n)
{
    struct smtpd_cmd c;
    char why[512];
    bool good;

    if (smtpd_cmd_parse(line, n, &c, why, sizeof why) != 0) {
        reply(&s->io, "%s", why);
        good = false;
    } else {
        good = dispatch(s, &c);
        smtpd_cmd_free(&c);
    }
    count_error(s, good);
}

int bs_serve(int in, int out, const struct cli *cli, const struct config *cfg,
             struct mo_err *err)
{
    static char line[BS_MAX_COMMAND + 1];
    struct session s;
    size_t n;

    memset(&s, 0, sizeof s);
    s.io.in = in;
    s.io.out = out;
    strbuf_init(&s.io.reply, 0);
    s.cli = cli;
    s.cfg = cfg;
    reply(&s.io, "220 %s ESMTP mailout", local_fqdn());
    while (!s.quit && !s.io.out_failed) {
        enum line_status ls = read_line(&s.io, line, sizeof line, &n);
        if (ls == LINE_EOF)
            break;
        if (ls == LINE_LONG) {
            reply(&s.io, "500 5.5.2 %s", "Line too long");
            count_error(&s, false);
            continue;
        }
        one_command(&s, line, n);
    }
    io_flush(&s.io);
    transaction_reset(&s);
    strbuf_free(&s.io.reply);
    if (s.vanished)
        return mo_err_set(err, EX_DATAERR, "%s",
                          _("-bs: the client closed the session inside DATA; nothing was sent or queued"));
    if (s.io.out_failed)
        return mo_err_set(err, EX_IOERR, _("-bs: cannot write the reply: %s"), strerror(errno));
    return 0;
}
