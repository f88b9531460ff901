/* test-bounce.c - the delivery status notification: when one is due, its
 * structure (RFC 3464 fields, one boundary that delimits three parts), the
 * diagnostics per recipient, US-ASCII text, and the message it builds. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"
#include "headers.h"
#include "bounce.h"
#include "tap.h"

static void parse(struct header_block *hb, const char *text)
{
    struct mo_err err;

    memset(hb, 0, sizeof *hb);
    if (header_block_parse(text, strlen(text), hb, &err) != 0)
        diag("header_block_parse: %s", err.msg);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_wanted(void)
{
    struct account a = { .bounce = true, .from = "*@example.com" };
    struct envelope env = { .sender = "me@example.com" };
    struct header_block plain, dsn;

    parse(&plain, "From: me@example.com\nSubject: hi\n");
    parse(&dsn, "From: MAILER-DAEMON@example.org\nContent-Type: Multipart/Report;\n"
                " report-type=\"delivery-status\"; boundary=x\n");
    ok(bounce_wanted(&a, &env, &plain), "bounce on, a sender: wanted");
    ok(!bounce_wanted(&a, &env, &dsn), "never a bounce of a bounce (by its Content-Type)");
    env.sender = "";
    ok(!bounce_wanted(&a, &env, &plain), "never for the null sender");
    env.sender = "me@example.com";
    a.bounce = false;
    ok(!bounce_wanted(&a, &env, &plain), "bounce off: none");
    header_block_free(&plain);
    header_block_free(&dsn);
}

static void test_domain(void)
{
    struct account a = { .from = "*@example.com", .user = "u@other.example" };

    is_str(bounce_domain(&a), "example.com", "domain of a from pattern");
    a.from = NULL;
    is_str(bounce_domain(&a), "other.example", "else the user's");
    a.user = "plainuser";
    a.domain = "ehlo.example";
    is_str(bounce_domain(&a), "ehlo.example", "else the EHLO domain");
}

/* Two recipients, one refused with 550 5.1.1, one accepted (so the message
 * went to nobody): each gets its own line and fields. */
static char *render_refused(const char *headers, struct mo_err *err, int *rc)
{
    struct account a = { .bounce = true, .from = "me@example.com", .host = "smtp.example.com" };
    char *rcpts[] = { "bad@example.net", "good@example.net" };
    struct envelope env = { .sender = "me@example.com", .rcpts = rcpts, .n_rcpts = 2,
                            .dsn_envid = "ENV1" };
    const char *replies[] = { "550 5.1.1 <bad@example.net>: Recipient address rejected", NULL };
    struct bounce_failure f = {
        .queue_id = "0123456789", .arrival = 1700000000,
        .reason = "recipient refused: bad@example.net (550 5.1.1 ...) \xe2\x80\x94 the message was sent to nobody\x01",
        .reply = replies[0], .rcpt_replies = replies,
    };
    struct header_block hb;
    struct strbuf out;

    parse(&hb, headers);
    *rc = bounce_render(&a, &env, &hb, &f, 1700000100, &out, err);
    header_block_free(&hb);
    return *rc == 0 ? out.data : NULL;
}

static void test_render(void)
{
    struct mo_err err;
    int rc;
    char *t = render_refused("From: me@example.com\nTo: bad@example.net\nSubject: caf\xc3\xa9\n", &err, &rc);
    char delim[128];
    const char *b;

    is_int(rc, 0, "rendered");
    if (t == NULL)
        return;
    ok(strstr(t, "From: Mail Delivery System <MAILER-DAEMON@example.com>\n") != NULL, "From MAILER-DAEMON@ the account's domain");
    ok(strstr(t, "\nTo: <me@example.com>\n") != NULL, "to the envelope sender");
    ok(strstr(t, "Auto-Submitted: auto-replied\n") != NULL, "Auto-Submitted");
    ok(strstr(t, "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"") != NULL,
       "multipart/report; report-type=delivery-status");
    b = strstr(t, "boundary=\"");
    snprintf(delim, sizeof delim, "\n--%.*s", (int)strcspn(b + 10, "\""), b + 10);
    is_int(count(t, delim), 4, "the boundary delimits three parts and closes them");
    ok(strstr(t, delim) != NULL && strstr(strstr(t, "\n\n"), "--") != NULL, "parts after the header");
    ok(strlen(delim) - 3 <= 70, "boundary within 70 characters");
    ok(strstr(t, "Content-Type: message/delivery-status\n") != NULL, "a message/delivery-status part");
    ok(strstr(t, "Content-Type: text/rfc822-headers\nContent-Transfer-Encoding: 8bit\n\nFrom: me@example.com\nTo: bad@example.net\nSubject: caf\xc3\xa9\n") != NULL,
       "the original header block as text/rfc822-headers, 8bit declared");
    ok(strstr(t, "Original-Envelope-Id: ENV1\n") != NULL, "Original-Envelope-Id");
    ok(strstr(t, "Arrival-Date: ") != NULL && strstr(t, "Reporting-MTA: dns; ") != NULL, "Reporting-MTA, Arrival-Date");
    ok(strstr(t, "\nFinal-Recipient: rfc822; bad@example.net\nAction: failed\nStatus: 5.1.1\n"
                 "Remote-MTA: dns; smtp.example.com\n"
                 "Diagnostic-Code: smtp; 550 5.1.1 <bad@example.net>: Recipient address rejected\n") != NULL,
       "the refused recipient: its status and the server's reply");
    ok(strstr(t, "\nFinal-Recipient: rfc822; good@example.net\nAction: failed\nStatus: 5.0.0\n"
                 "Diagnostic-Code: X-mailout; recipient refused: bad@example.net (550 5.1.1 ...) - the message was sent to nobody \n") != NULL,
       "the other: failed too, with the reason in US-ASCII (dash, control)");
    ok(strstr(t, "<bad@example.net>: 550 5.1.1") != NULL, "the human-readable part names each recipient and the reply");
    free(t);
}

static void test_expired(void)
{
    struct account a = { .bounce = true, .from = "me@example.com", .host = "h" };
    char *rcpts[] = { "x@example.net" };
    struct envelope env = { .sender = "me@example.com", .rcpts = rcpts, .n_rcpts = 1 };
    struct bounce_failure f = { .queue_id = "0123456789", .arrival = 1, .expired = true,
                                .reason = "in the queue longer than max_queue_age" };
    struct header_block hb;
    struct strbuf out;
    struct mo_err err;

    parse(&hb, "Subject: x\n");
    is_int(bounce_render(&a, &env, &hb, &f, 2, &out, &err), 0, "expired: rendered");
    ok(out.data && strstr(out.data, "Status: 4.4.7\nDiagnostic-Code: X-mailout; in the queue longer") != NULL,
       "expired: 4.4.7 and the reason");
    ok(out.data && strstr(out.data, "Content-Transfer-Encoding") == NULL, "US-ASCII headers: no 8bit declared");
    strbuf_free(&out);
    header_block_free(&hb);
}

/* The Status field a recipient refused with reply gets. */
static char *status_for(const char *reply)
{
    struct account a = { .bounce = true, .from = "me@example.com", .host = "h" };
    char *rcpts[] = { "x@example.net" };
    struct envelope env = { .sender = "me@example.com", .rcpts = rcpts, .n_rcpts = 1 };
    const char *replies[] = { reply };
    struct bounce_failure f = { .queue_id = "0123456789", .arrival = 1, .reason = "refused",
                                .reply = reply, .rcpt_replies = replies };
    struct header_block hb;
    struct strbuf out;
    struct mo_err err;
    const char *s;
    char *status = NULL;

    parse(&hb, "Subject: x\n");
    if (bounce_render(&a, &env, &hb, &f, 2, &out, &err) == 0) {
        if ((s = strstr(out.data, "\nStatus: ")) != NULL)
            status = xstrndup(s + 9, strcspn(s + 9, "\n"));
        strbuf_free(&out);
    }
    header_block_free(&hb);
    return status;
}

/* The enhanced status code is taken only when it is one: digits only (no
 * sign, no space, which sscanf's %u would take), 1 to 3 of them. */
static void test_status(void)
{
    static const char *const cases[][2] = {
        { "550 5.1.1 no such user", "5.1.1" },
        { "450 4.2.10 busy", "4.2.10" },
        { "550 5.7.1", "5.7.1" },
        { "550 +5.1.1 signed", "5.0.0" },
        { "550 -5.1.1 signed", "5.0.0" },
        { "550 5.+1.1 signed", "5.0.0" },
        { "550 5.1.-1 signed", "5.0.0" },
        { "550 5.-1.1 signed", "5.0.0" },
        { "550  5.1.1 spaced", "5.0.0" },
        { "550 5. 1.1 spaced", "5.0.0" },
        { "550 5.1.1000 long", "5.0.0" },
        { "550 5.1.1x trailing", "5.0.0" },
        { "550 2.1.1 wrong class", "5.0.0" },
        { "451 4.3.0", "4.3.0" },
        { "451 try later", "4.0.0" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = status_for(cases[i][0]);
        is_str(got, cases[i][1], cases[i][0]);
        free(got);
    }
}

static void test_build(void)
{
    struct account a = { .bounce = true, .from = "me@example.com", .host = "h" };
    char *rcpts[] = { "x@example.net" };
    struct envelope env = { .sender = "me@example.com", .rcpts = rcpts, .n_rcpts = 1 };
    struct bounce_failure f = { .queue_id = "0123456789", .arrival = 1, .reason = "refused",
                                .reply = "554 5.7.1 no" };
    char dir[] = "/tmp/mailout-tb.XXXXXX";
    struct header_block hb;
    struct message msg;
    struct envelope benv;
    struct mo_err err;

    if (mkdtemp(dir) == NULL)
        return;
    parse(&hb, "Subject: x\n");
    is_int(bounce_build(&a, &env, &hb, &f, dir, &msg, &benv, &err), 0, "built as a message");
    is_str(benv.sender, "", "its envelope sender is null");
    is_int(benv.n_rcpts, 1, "one recipient");
    is_str(benv.n_rcpts ? benv.rcpts[0] : NULL, "me@example.com", "the original sender");
    ok(header_find(&msg.headers, "Message-ID", 0) >= 0 && header_find(&msg.headers, "Date", 0) >= 0,
       "Date and Message-ID of its own");
    ok(msg.body_size > 0 && !msg.has_8bit, "a body, 7-bit");
    message_free(&msg);
    envelope_free(&benv);
    header_block_free(&hb);
    rmdir(dir);
}

int main(void)
{
    test_wanted();
    test_domain();
    test_render();
    test_expired();
    test_status();
    test_build();
    return done_testing();
}
