/* test-dropfile.c - the incoming/ entry format of system mode: what the
 * submit helper accepts (the main program's injection rules), the text it
 * writes, and what the queue run's reader refuses. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "dropfile.h"
#include "util.h"

static struct drop_envelope base(char **rcpts, size_t n)
{
    struct drop_envelope d;

    memset(&d, 0, sizeof d);
    d.uid = 65534;
    d.user = "nobody";
    d.time = 1796019347;
    d.rcpts = rcpts;
    d.n_rcpts = n;
    return d;
}

static int parse(const char *text, struct drop_envelope *d, size_t *body, struct mo_err *err)
{
    return drop_parse(text, strlen(text), d, body, err);
}

static void test_check(void)
{
    char *root[] = { "root" }, *crlf[] = { "a@b.example\r\nRCPT TO:<x@y>" };
    char *bad[] = { "a@@b" }, *list[] = { "\"A, B\" <a@b.example>, c@d.example" };
    struct drop_envelope d;
    struct mo_err err = { 0, "" };

    d = base(root, 1);
    is_int(drop_check(&d, &err), 0, "cron's envelope (root) is accepted");
    d = base(list, 1);
    is_int(drop_check(&d, &err), 0, "an address list in one argument is accepted");
    d = base(crlf, 1);
    is_int(drop_check(&d, &err), -1, "a recipient with CR LF is refused");
    is_int(err.code, EX_DATAERR, "  with 65");
    d = base(bad, 1);
    is_int(drop_check(&d, &err), -1, "a malformed recipient is refused");
    d = base(NULL, 0);
    is_int(drop_check(&d, &err), -1, "no recipient and no -t is refused");
    d.read_recipients = true;
    is_int(drop_check(&d, &err), 0, "  -t alone is fine");
    d = base(root, 1);
    d.sender = "a@b\nMAIL FROM:<x>";
    is_int(drop_check(&d, &err), -1, "-f with a line break is refused");
    d.sender = "";
    is_int(drop_check(&d, &err), 0, "-f '' (the null sender) is fine");
    d.sender = NULL;
    d.full_name = "Cron\rDaemon";
    is_int(drop_check(&d, &err), -1, "-F with a CR is refused");
    d.full_name = NULL;
    d.user = "evil user";
    is_int(drop_check(&d, &err), -1, "a user name with a space is refused");
}

static void test_round_trip(void)
{
    char *rcpts[] = { "root", "a@b.example" };
    struct drop_envelope d = base(rcpts, 2), back;
    struct mo_err err = { 0, "" };
    size_t len, body = 0;
    char *text, *with_body;

    d.read_recipients = true;
    d.sender = "";
    d.full_name = "Cron Daemon";
    d.notify = "success,failure";
    text = drop_render(&d, &len);
    is_str(text, "mailout-incoming 1\nuid 65534\nuser nobody\ntime 1796019347\nread-recipients\n"
                 "sender \nfull-name Cron Daemon\nnotify success,failure\nrcpt root\nrcpt a@b.example\nend\n",
           "the text part as documented");
    with_body = xasprintf("%sFrom: root\n\nbody\n", text);
    is_int(parse(with_body, &back, &body, &err), 0, "it parses back");
    is_int((long long)body, (long long)len, "  the message starts after end");
    ok(back.uid == 65534 && strcmp(back.user, "nobody") == 0 && back.read_recipients
       && strcmp(back.sender, "") == 0 && back.n_rcpts == 2
       && strcmp(back.rcpts[1], "a@b.example") == 0, "  with every field");
    drop_free(&back);
    free(with_body);
    free(text);
}

static void test_refused(void)
{
    static const char *const bad[] = {
        "mailout-queue 1\nend\n",
        "mailout-incoming 1\nuid 1\nuser a\ntime 1\nrcpt root\n",
        "mailout-incoming 1\nuid 1\nuser a\nuser b\ntime 1\nrcpt root\nend\n",
        "mailout-incoming 1\nuid -1\nuser a\ntime 1\nrcpt root\nend\n",
        "mailout-incoming 1\nuid 1\nuser a\ntime 1\nconfig /etc/shadow\nrcpt root\nend\n",
        "mailout-incoming 1\nuid 1\nuser a\ntime 1\nrcpt a@b\r\nend\n",
        "mailout-incoming 1\nuid 1\ntime 1\nrcpt root\nend\n",
    };
    static const char *const why[] = {
        "another format", "no end line", "a repeated field", "a negative uid",
        "an unknown key", "a CR in a recipient", "no user",
    };
    struct drop_envelope d;
    struct mo_err err;
    size_t body;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        is_int(parse(bad[i], &d, &body, &err), -1, "refused: %s", why[i]);
        drop_free(&d);
    }
    ok(drop_name_valid("0123456789abcdef"), "entry names: 16 lower-case hex digits");
    ok(!drop_name_valid("0123456789ABCDEF") && !drop_name_valid("../etc/passwd")
       && !drop_name_valid(".tmp-0123456789abcdef"), "  nothing else");
}

/* A message held in failed/ (held.h) keeps what the main program's command
 * line had, which a local user's entry may not carry. */
static void test_held(void)
{
    static const char held[] =
        "mailout-incoming 1\nuid 1000\nuser ann\ntime 5\nread-envelope-from\n"
        "account work\nreason no account named 'work' in the configuration\n"
        "rcpt a@@b\nend\nbody\n";
    struct drop_envelope d;
    struct mo_err err = { 0, "" };
    size_t body = 0, len;
    char *text;

    is_int(drop_parse(held, strlen(held), &d, &body, &err), -1,
           "a local user's entry may not name an account (or a bad recipient)");
    drop_free(&d);
    is_int(drop_parse_values(held, strlen(held), &d, &body, &err), 0,
           "a held message's text parses: %s", err.msg);
    ok(d.read_envelope_from && d.account && strcmp(d.account, "work") == 0
       && d.reason && strncmp(d.reason, "no account named", 16) == 0
       && d.n_rcpts == 1 && strcmp(d.rcpts[0], "a@@b") == 0,
       "  with the account, the reason and the recipient as given");
    is_int((long long)body, (long long)(strlen(held) - 5), "  the message starts after end");
    text = drop_render(&d, &len);
    is_int((long long)len, (long long)body, "  and renders back to the same text");
    ok(strncmp(text, held, len) == 0, "  byte for byte");
    free(text);
    free(d.reason);
    d.reason = xstrdup("a\nb");
    is_int(drop_check_values(&d, &err), -1, "a reason with a line break is refused");
    drop_free(&d);
}

int main(void)
{
    test_check();
    test_round_trip();
    test_refused();
    test_held();
    return done_testing();
}
