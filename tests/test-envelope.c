/* test-envelope.c - envelope (recipients, sender, DSN) and compose (Bcc,
 * Date, Message-ID, From) on messages built in memory. */
#include "config.h"
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "compose.h"
#include "envelope.h"
#include "util.h"

static char dir[] = "/tmp/mailout-test-envelope.XXXXXX";
static char aliases_path[128];

static void read_msg(const char *text, struct message *msg)
{
    FILE *f = tmpfile();
    struct mo_err err = { 0, "" };

    fputs(text, f);
    fflush(f);
    rewind(f);
    if (message_read(fileno(f), false, dir, msg, &err) != 0)
        diag("message_read: %s", err.msg);
    fclose(f);
}

static char *joined(const struct envelope *env)
{
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < env->n_rcpts; i++) {
        strncat(buf, env->rcpts[i], sizeof buf - strlen(buf) - 2);
        strncat(buf, " ", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

/* Collects recipients for a message and an argument list; returns rc. */
static int collect(const char *text, bool t, char **argv, size_t argc,
                   struct envelope *env, struct mo_err *err)
{
    struct cli cli;
    struct config cfg;
    struct message msg;
    int rc;

    memset(&cli, 0, sizeof cli);
    memset(&cfg, 0, sizeof cfg);
    memset(env, 0, sizeof *env);
    cli.read_recipients = t;
    cli.recipients = argv;
    cli.n_recipients = argc;
    cfg.aliases = aliases_path;
    read_msg(text, &msg);
    rc = envelope_collect_recipients(env, &cli, &msg, &cfg, err);
    message_free(&msg);
    return rc;
}

static void test_collect(void)
{
    struct envelope env;
    struct mo_err err = { 0, "" };
    char *args[] = { "x@a.example, Y <y@a.example>", "root" };

    is_int(collect("To: z@a.example, X@A.EXAMPLE\nBcc: root\n\n", true, args, 2, &env, &err),
           0, "collect: command line and -t");
    is_str(joined(&env), "x@a.example y@a.example admin@example.com z@a.example X@A.EXAMPLE ",
           "command-line lists first, aliases resolved, duplicates by domain case only");
    envelope_free(&env);
    is_int(env.n_rcpts, 0, "envelope_free empties");

    is_int(collect("RESENT-DATE: x\nResent-Cc: r@a.example\nTo: t@a.example\n\n", true,
                   NULL, 0, &env, &err), 0, "Resent- in any case");
    is_str(joined(&env), "r@a.example ", "  switches -t to the Resent- fields");
    envelope_free(&env);

    char *bad[] = { "a@b.example\rRCPT TO:<e@x.example>" };
    is_int(collect("\n", false, bad, 1, &env, &err), -1, "CR in a recipient refused");
    is_int(err.code, EX_DATAERR, "  EX_DATAERR");
    envelope_free(&env);

    char *unknown[] = { "nobody-here" };
    is_int(collect("\n", false, unknown, 1, &env, &err), -1, "unknown local name");
    is_int(err.code, EX_NOUSER, "  EX_NOUSER");
    envelope_free(&env);

    is_int(collect("Subject: x\n\n", true, NULL, 0, &env, &err), -1, "no recipients");
    is_int(err.code, EX_DATAERR, "  EX_DATAERR");
    envelope_free(&env);

    char *empty[] = { "" };
    is_int(collect("To: a@b.example\n\n", true, empty, 1, &env, &err), 0,
           "an empty argument adds nothing");
    is_str(joined(&env), "a@b.example ", "  the header's recipient only");
    envelope_free(&env);
}

static char *hint(const char *text, const char *sender)
{
    struct cli cli;
    struct message msg;
    char *h;

    memset(&cli, 0, sizeof cli);
    cli.sender = sender;
    read_msg(text, &msg);
    h = envelope_sender_hint(&cli, &msg);
    message_free(&msg);
    return h;
}

static void test_hint(void)
{
    char *h;

    h = hint("From: A <a@x.example>\n\n", NULL);
    is_str(h, "a@x.example", "hint: the From field's address");
    free(h);
    h = hint("From: A <a@x.example>\n\n", "Me <me@y.example>");
    is_str(h, "me@y.example", "hint: -f wins");
    free(h);
    h = hint("From: a@x.example\n\n", "<>");
    is_str(h, "a@x.example", "hint: null sender falls back to From");
    free(h);
    h = hint("From: a@x.example, b@x.example\n\n", NULL);
    is_str(h, NULL, "hint: two mailboxes in From give none");
    free(h);
    h = hint("From: a@x.example\nFrom: b@x.example\n\n", NULL);
    is_str(h, NULL, "hint: two From fields give none");
    free(h);
    h = hint("Subject: x\n\n", NULL);
    is_str(h, NULL, "hint: no From, no -f");
    free(h);
}

static struct account acct_with(const char *from)
{
    struct account a;
    memset(&a, 0, sizeof a);
    a.name = "t";
    a.from = (char *)from;
    a.remove_bcc = true;
    return a;
}

static char *finish_sender(const char *text, const char *f, const char *acct_from)
{
    struct cli cli;
    struct message msg;
    struct envelope env;
    struct mo_err err = { 0, "" };
    struct account a = acct_with(acct_from);
    char *s;

    memset(&cli, 0, sizeof cli);
    memset(&env, 0, sizeof env);
    cli.sender = f;
    read_msg(text, &msg);
    if (envelope_finish(&env, &cli, &msg, &a, &err) != 0)
        s = strdup(err.msg);
    else
        s = strdup(env.sender);
    envelope_free(&env);
    message_free(&msg);
    return s;
}

static void test_finish(void)
{
    char *s, *want;
    struct passwd *pw = getpwuid(getuid());

    s = finish_sender("From: h@x.example\n\n", "", "me@x.example");
    is_str(s, "", "-f '' is the null sender");
    free(s);
    s = finish_sender("From: h@x.example\n\n", NULL, "me@x.example");
    is_str(s, "me@x.example", "no -f: the account's address");
    free(s);
    s = finish_sender("From: h@x.example\n\n", NULL, "*@x.example");
    is_str(s, "h@x.example", "pattern account: the From field");
    free(s);
    s = finish_sender("Subject: x\n\n", "cron", "*@x.example");
    is_str(s, "cron@x.example", "unqualified -f: the pattern's domain");
    free(s);
    s = finish_sender("Subject: x\n\n", NULL, "*@x.example");
    want = pw ? xasprintf("%s@x.example", pw->pw_name) : strdup("?");
    is_str(s, want, "nothing else: the login name at the account's domain");
    free(want);
    free(s);

    struct cli cli;
    struct message msg;
    struct envelope env;
    struct mo_err err = { 0, "" };
    struct account a = acct_with("me@x.example");

    memset(&cli, 0, sizeof cli);
    memset(&env, 0, sizeof env);
    a.dsn_notify = "failure";
    a.dsn_return = "hdrs";
    cli.dsn_ret = "full";
    cli.dsn_envid = "e1";
    read_msg("\n", &msg);
    is_int(envelope_finish(&env, &cli, &msg, &a, &err), 0, "finish with DSN");
    is_str(env.dsn_notify, "failure", "DSN notify from the account");
    is_str(env.dsn_ret, "full", "-R wins over the account");
    is_str(env.dsn_envid, "e1", "-V");
    envelope_free(&env);
    cli.full_name = "A\nBcc: x@y";
    is_int(envelope_finish(&env, &cli, &msg, &a, &err), -1, "LF in -F refused");
    is_int(err.code, EX_DATAERR, "  EX_DATAERR");
    envelope_free(&env);
    message_free(&msg);
}

/* Composes text for sender with the account; returns the rendered block. */
static char *composed(const char *text, const char *sender, struct account *a,
                      const char *full_name)
{
    struct cli cli;
    struct message msg;
    struct envelope env;
    struct mo_err err = { 0, "" };
    char *r;

    memset(&cli, 0, sizeof cli);
    memset(&env, 0, sizeof env);
    cli.full_name = full_name;
    env.sender = (char *)sender;
    read_msg(text, &msg);
    if (compose_headers(&msg, &env, a, &cli, &err) != 0)
        r = strdup(err.msg);
    else
        r = header_block_render(&msg.headers, NULL);
    message_free(&msg);
    return r;
}

static void test_compose(void)
{
    struct account a = acct_with("*@x.example");
    char *r;

    a.add_date = a.add_message_id = TRI_OFF;
    r = composed("To: t@x.example\nBcc: b@x.example\nResent-Bcc: c@x.example\n\n", "", &a, "N");
    is_str(r, "To: t@x.example\n", "null sender and a pattern: no From; both Bcc kinds removed");
    free(r);
    a.remove_bcc = false;
    r = composed("To: t@x.example\nBcc: b@x.example\n\n", "s@x.example", &a, NULL);
    is_str(r, "To: t@x.example\nBcc: b@x.example\nFrom: s@x.example\n",
           "remove_bcc off; From from the sender");
    free(r);
    a.add_from = TRI_ON;
    r = composed("from: f@x.example\n\n", "s@x.example", &a, "N");
    is_str(r, "from: f@x.example\n", "add_from on: an existing from (any case) is kept alone");
    free(r);
    a.add_from = TRI_OFF;
    r = composed("\n", "s@x.example", &a, NULL);
    is_str(r, "", "add_from off: nothing");
    free(r);

    a.add_from = TRI_AUTO;
    a.add_date = TRI_AUTO;
    a.add_message_id = TRI_AUTO;
    r = composed("From: Q <q@q.example>\n\n", "s@x.example", &a, NULL);
    char day[4], mon[4], zone[6] = "", id[64] = "", dom[64] = "";
    int d, y, hh, mm, ss;
    const char *date = strstr(r, "Date: ");
    const char *mid = strstr(r, "Message-ID: ");
    ok(date && sscanf(date, "Date: %3[A-Za-z], %d %3[A-Za-z] %d %d:%d:%d %5s",
                      day, &d, mon, &y, &hh, &mm, &ss, zone) == 8
       && (zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5,
       "Date in RFC 5322 form");
    ok(mid && sscanf(mid, "Message-ID: <%63[0-9a-f.]@%63[^>]>", id, dom) == 2
       && strlen(id) > 33 && id[32] == '.', "Message-ID: <32 hex digits . time @ domain>");
    is_str(dom, "q.example", "Message-ID domain from the From field");
    free(r);
}

/* LMTP partial success: the delivered recipients leave the envelope. */
static void test_drop_rcpts(void)
{
    struct envelope e;
    bool drop[4] = { true, false, true, false };

    memset(&e, 0, sizeof e);
    e.sender = xstrdup("s@example.org");
    e.rcpts = xcalloc(4, sizeof *e.rcpts);
    e.rcpts[0] = xstrdup("a@x.example");
    e.rcpts[1] = xstrdup("b@x.example");
    e.rcpts[2] = xstrdup("c@x.example");
    e.rcpts[3] = xstrdup("d@x.example");
    e.n_rcpts = 4;
    is_int((int)envelope_drop_rcpts(&e, drop), 2, "drop: two dropped");
    is_int((int)e.n_rcpts, 2, "drop: two left");
    is_str(e.rcpts[0], "b@x.example", "drop: order kept (first)");
    is_str(e.rcpts[1], "d@x.example", "drop: order kept (second)");
    envelope_free(&e);
}

int main(void)
{
    FILE *f;

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(aliases_path, sizeof aliases_path, "%s/aliases", dir);
    f = fopen(aliases_path, "w");
    fputs("root: admin@example.com\npostmaster: root\n", f);
    fclose(f);
    test_collect();
    test_hint();
    test_finish();
    test_compose();
    test_drop_rcpts();
    unlink(aliases_path);
    rmdir(dir);
    return done_testing();
}
