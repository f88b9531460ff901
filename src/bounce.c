/* bounce.c - see bounce.h: the RFC 3464 delivery status notification of a
 * message that failed for good. The text is English whatever the locale of
 * the queue run (it goes to another person, as Postfix's does), and US-ASCII
 * but for the returned header block. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "i18n.h"
#include "address.h"
#include "compose.h"
#include "bounce.h"

static bool has_dsn_type(const struct header_block *hb)
{
    long i = header_find(hb, "Content-Type", 0);
    bool dsn = false;

    if (i >= 0) {
        char *v = header_value(&hb->fields[i]);
        for (char *p = v; *p; p++)
            *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
        dsn = strstr(v, "multipart/report") != NULL && strstr(v, "delivery-status") != NULL;
        free(v);
    }
    return dsn;
}

bool bounce_wanted(const struct account *acct, const struct envelope *env,
                   const struct header_block *orig)
{
    return acct->bounce && env->sender != NULL && env->sender[0] != '\0'
           && !has_dsn_type(orig);
}

const char *bounce_domain(const struct account *acct)
{
    const char *d = address_domain(acct->from);

    if (d == NULL)
        d = address_domain(acct->user);
    if (d == NULL)
        d = acct->domain;
    return d ? d : local_fqdn();
}

/* The notification's text: bounded, and once full it stays failed. */
struct text {
    struct strbuf b;
    bool full;
};

static void putn(struct text *t, const char *s, size_t n)
{
    if (!t->full && strbuf_append(&t->b, s, n) != 0)
        t->full = true;
}

static void put(struct text *t, const char *s)
{
    putn(t, s, strlen(s));
}

/* Formatted pieces (names, dates, the boundary), through util's
 * strbuf_appendf (a macro, so that the format is still checked). */
#define putf(t, ...) \
    do { \
        if (!(t)->full && strbuf_appendf(&(t)->b, __VA_ARGS__) != 0) \
            (t)->full = true; \
    } while (0)

/* s as one US-ASCII line of at most max bytes: controls become spaces, a
 * dash (U+2013, U+2014) "-", any other UTF-8 sequence one "?". */
static void put_ascii(struct text *t, const char *s, size_t max)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n < max; n++) {
        char c = (char)*p;
        if (*p >= 0x80) {
            c = p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x93 || p[2] == 0x94) ? '-' : '?';
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
        } else {
            if (*p < 0x20 || *p == 0x7f)
                c = ' ';
            p++;
        }
        putn(t, &c, 1);
    }
}

/* Past 1 to max ASCII digits at *p (no sign, no space): true, *p moved. */
static bool skip_digits(const char **p, size_t max)
{
    size_t n = strspn(*p, "0123456789");

    *p += n;
    return n >= 1 && n <= max;
}

/* The RFC 3463 status of a reply: its enhanced code (class "." 1-3 digits
 * "." 1-3 digits, then a space or the end), else its class. */
static void status_of(const char *reply, bool expired, char *out, size_t n)
{
    const char *code, *p;

    if (reply == NULL || (reply[0] != '4' && reply[0] != '5') || strlen(reply) < 4) {
        snprintf(out, n, "%s", expired ? "4.4.7" : "5.0.0");
        return;
    }
    code = p = reply + 4;
    if ((*p == '4' || *p == '5') && p[1] == '.' && (p += 2, skip_digits(&p, 3))
        && *p++ == '.' && skip_digits(&p, 3) && (*p == ' ' || *p == '\0'))
        snprintf(out, n, "%.*s", (int)(p - code), code);
    else
        snprintf(out, n, "%c.0.0", reply[0]);
}

/* What is known about recipient i: its own refusal, else the server's
 * reply to the message when no recipient was refused (MAIL, DATA), else
 * the reason. *smtp: it is a server reply. */
static const char *diag_of(const struct bounce_failure *f, size_t n, size_t i, bool *smtp)
{
    bool any_own = false;

    for (size_t k = 0; f->rcpt_replies != NULL && k < n; k++)
        any_own = any_own || f->rcpt_replies[k] != NULL;
    *smtp = true;
    if (any_own && f->rcpt_replies[i] != NULL)
        return f->rcpt_replies[i];
    if (!any_own && f->reply != NULL && f->reply[0] >= '4' && f->reply[0] <= '5')
        return f->reply;
    *smtp = false;
    return f->reason;
}

static void human_part(struct text *t, const struct envelope *env,
                       const struct bounce_failure *f)
{
    putf(t, "This is the mail system at host %s.\n\n", local_fqdn());
    put(t, f->expired ? "Your message could not be delivered for too long, and it\n"
                        "will not be tried again.\n\n"
                      : "Your message could not be delivered: it was refused for\n"
                        "good, and it will not be tried again.\n\n");
    for (size_t i = 0; i < env->n_rcpts; i++) {
        bool smtp;
        const char *d = diag_of(f, env->n_rcpts, i, &smtp);
        /* both on one line, which must stay under SMTP's 998 bytes */
        put(t, "<");
        put_ascii(t, env->rcpts[i], BOUNCE_DIAG_MAX / 2);
        put(t, ">: ");
        put_ascii(t, d, BOUNCE_DIAG_MAX / 2);
        put(t, "\n");
    }
    put(t, "\nThe delivery report and the header of your message follow.\n");
}

static void rcpt_fields(struct text *t, const struct account *acct,
                        const struct envelope *env, const struct bounce_failure *f,
                        size_t i, const char *date)
{
    char status[16];
    bool smtp;
    const char *d = diag_of(f, env->n_rcpts, i, &smtp);

    status_of(smtp ? d : NULL, f->expired, status, sizeof status);
    put(t, "\nFinal-Recipient: rfc822; ");
    put_ascii(t, env->rcpts[i], BOUNCE_DIAG_MAX);
    putf(t, "\nAction: failed\nStatus: %s\n", status);
    if (smtp)
        putf(t, "Remote-MTA: dns; %s\n", acct->host);
    put(t, smtp ? "Diagnostic-Code: smtp; " : "Diagnostic-Code: X-mailout; ");
    put_ascii(t, d, BOUNCE_DIAG_MAX);
    putf(t, "\nLast-Attempt-Date: %s\n", date);
}

static void status_part(struct text *t, const struct account *acct,
                        const struct envelope *env, const struct bounce_failure *f,
                        time_t now)
{
    char *arrival = compose_date(f->arrival);
    char *date = compose_date(now);

    putf(t, "Reporting-MTA: dns; %s\n", local_fqdn());
    putf(t, "X-Mailout-Queue-ID: %s\n", f->queue_id);
    if (env->dsn_envid != NULL) {
        put(t, "Original-Envelope-Id: ");
        put_ascii(t, env->dsn_envid, 100);
        put(t, "\n");
    }
    put(t, "X-Mailout-Sender: rfc822; ");
    put_ascii(t, env->sender, BOUNCE_DIAG_MAX);
    putf(t, "\nArrival-Date: %s\n", arrival);
    for (size_t i = 0; i < env->n_rcpts; i++)
        rcpt_fields(t, acct, env, f, i, date);
    free(arrival);
    free(date);
}

/* A boundary that is in none of the parts (RFC 2046 5.1.1: at most 70
 * characters; "=_" cannot occur in quoted-printable). */
static int pick_boundary(char *out, size_t n, const char *const *parts, size_t nparts,
                         struct mo_err *err)
{
    for (int tries = 0; tries < 16; tries++) {
        unsigned char r[12];
        bool clash = false;
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return mo_err_set(err, EX_OSERR, _("cannot get random bytes for a bounce: %s"),
                              strerror(errno));
        snprintf(out, n, "=_mailout_%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x",
                 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
        for (size_t i = 0; i < nparts && !clash; i++)
            clash = strstr(parts[i], out) != NULL;
        if (!clash)
            return 0;
    }
    return mo_err_set(err, EX_SOFTWARE, "%s", _("cannot find a MIME boundary for a bounce"));
}

static void top_fields(struct text *t, const struct account *acct,
                       const struct envelope *env, const struct bounce_failure *f,
                       time_t now, const char *boundary)
{
    char *date = compose_date(now);
    unsigned char r[8] = { 0 };

    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        memset(r, 0, sizeof r);     /* the queue ID and the time keep it unique */
    putf(t, "Date: %s\n", date);
    putf(t, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", bounce_domain(acct));
    put(t, "To: <");
    put_ascii(t, env->sender, BOUNCE_DIAG_MAX);
    put(t, ">\nSubject: Undelivered Mail Returned to Sender\n");
    putf(t, "Message-ID: <%lld.%s.%02x%02x%02x%02x%02x%02x%02x%02x@%s>\n",
         (long long)now, f->queue_id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
         bounce_domain(acct));
    put(t, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n");
    putf(t, "Content-Type: multipart/report; report-type=delivery-status;\n"
         "\tboundary=\"%s\"\n\nThis is a MIME-encapsulated message.\n", boundary);
    free(date);
}

static bool is_8bit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

/* The parts under the boundary, then the closing delimiter. */
static void assemble(struct text *out, const char *boundary, const struct text *human,
                     const struct text *status, const char *hdrs, size_t hlen)
{
    putf(out, "\n--%s\nContent-Description: Notification\n"
         "Content-Type: text/plain; charset=us-ascii\n\n", boundary);
    putn(out, human->b.data, human->b.len);
    putf(out, "\n--%s\nContent-Description: Delivery report\n"
         "Content-Type: message/delivery-status\n\n", boundary);
    putn(out, status->b.data, status->b.len);
    putf(out, "\n--%s\nContent-Description: Undelivered Message Headers\n"
         "Content-Type: text/rfc822-headers\n%s\n", boundary,
         is_8bit(hdrs, hlen) ? "Content-Transfer-Encoding: 8bit\n" : "");
    putn(out, hdrs, hlen);
    putf(out, "\n--%s--\n", boundary);
}

int bounce_render(const struct account *acct, const struct envelope *env,
                  const struct header_block *orig, const struct bounce_failure *f,
                  time_t now, struct strbuf *out, struct mo_err *err)
{
    struct text human = { { 0 }, false }, status = { { 0 }, false }, all = { { 0 }, false };
    size_t hlen = 0;
    char *hdrs = header_block_render(orig, &hlen);
    char boundary[80];
    int rc = -1;

    strbuf_init(&human.b, BOUNCE_REPORT_LIMIT / 2);
    strbuf_init(&status.b, BOUNCE_REPORT_LIMIT / 2);
    strbuf_init(&all.b, BOUNCE_REPORT_LIMIT + MESSAGE_HEADER_LIMIT);
    human_part(&human, env, f);
    status_part(&status, acct, env, f, now);
    if (!human.full && !status.full) {
        const char *parts[] = { human.b.data, status.b.data, hdrs ? hdrs : "" };
        if (pick_boundary(boundary, sizeof boundary, parts, 3, err) != 0)
            goto out;
        top_fields(&all, acct, env, f, now, boundary);
        assemble(&all, boundary, &human, &status, hdrs ? hdrs : "", hlen);
    }
    if (human.full || status.full || all.full) {
        mo_err_set(err, EX_SOFTWARE, _("the bounce would be larger than %d bytes"),
                   BOUNCE_REPORT_LIMIT + MESSAGE_HEADER_LIMIT);
        goto out;
    }
    *out = all.b;
    memset(&all, 0, sizeof all);
    rc = 0;
out:
    strbuf_free(&human.b);
    strbuf_free(&status.b);
    strbuf_free(&all.b);
    free(hdrs);
    return rc;
}

/* The text through a file that is gone once read, as intake reads stdin. */
static int read_as_message(const struct strbuf *text, const char *spool_dir,
                           struct message *msg, struct mo_err *err)
{
    char *tmp = xasprintf("%s/b.XXXXXX", spool_dir);
    int fd = mkstemp(tmp), rc = -1;

    if (fd < 0) {
        mo_err_set(err, EX_CANTCREAT, _("cannot create a file in %s: %s"), spool_dir,
                   strerror(errno));
    } else {
        unlink(tmp);
        if (write_full(fd, text->data, text->len) != 0 || lseek(fd, 0, SEEK_SET) != 0)
            mo_err_set(err, EX_IOERR, _("cannot write a bounce into %s: %s"), spool_dir,
                       strerror(errno));
        else
            rc = message_read(fd, true, spool_dir, msg, err);
        close(fd);
    }
    free(tmp);
    return rc;
}

int bounce_build(const struct account *acct, const struct envelope *env,
                 const struct header_block *orig, const struct bounce_failure *f,
                 const char *spool_dir, struct message *msg, struct envelope *benv,
                 struct mo_err *err)
{
    struct strbuf text;
    int rc;

    memset(msg, 0, sizeof *msg);
    msg->body_fd = -1;
    memset(benv, 0, sizeof *benv);
    if (bounce_render(acct, env, orig, f, time(NULL), &text, err) != 0)
        return -1;
    rc = read_as_message(&text, spool_dir, msg, err);
    strbuf_free(&text);
    if (rc != 0)
        return -1;
    benv->sender = xstrdup("");
    benv->rcpts = xcalloc(1, sizeof *benv->rcpts);
    benv->rcpts[0] = xstrdup(env->sender);
    benv->n_rcpts = 1;
    return 0;
}
