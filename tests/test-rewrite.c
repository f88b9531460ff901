/* test-rewrite.c - rewrite_from (off, local, always) and qualify_domain
 * (SPEC §2) on the envelope and on From, To, Cc, Sender and Reply-To, with
 * messages built in memory and an aliases file. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "envelope.h"
#include "rewrite.h"
#include "util.h"

static char dir[] = "/tmp/mailout-test-rewrite.XXXXXX";
static char aliases_path[128];

struct run {
    struct message msg;
    struct envelope env;
    struct mo_err err;
    int rc;
};

/* The whole pipeline main() runs: recipients (aliases, qualify_domain), the
 * sender (rewrite_from), then the header fields. */
static void run(struct run *r, const char *text, const char *qd,
                enum rewrite_mode mode, const char *from, const char *f_opt,
                char **argv, size_t argc)
{
    struct cli cli;
    struct config cfg;
    struct account a;
    FILE *f = tmpfile();

    memset(r, 0, sizeof *r);
    memset(&cli, 0, sizeof cli);
    memset(&cfg, 0, sizeof cfg);
    memset(&a, 0, sizeof a);
    cli.recipients = argv;
    cli.n_recipients = argc;
    cli.sender = f_opt;
    cfg.aliases = aliases_path;
    cfg.qualify_domain = (char *)qd;
    a.from = (char *)from;
    a.rewrite_from = mode;
    fputs(text, f);
    fflush(f);
    rewind(f);
    r->rc = message_read(fileno(f), true, dir, &r->msg, &r->err);
    fclose(f);
    if (r->rc == 0)
        r->rc = envelope_collect_recipients(&r->env, &cli, &r->msg, &cfg, &r->err);
    if (r->rc == 0)
        r->rc = envelope_finish(&r->env, &cli, &r->msg, &a, &r->err);
    if (r->rc == 0)
        rewrite_headers(&r->msg, &r->env, &a);
}

static void done(struct run *r)
{
    envelope_free(&r->env);
    message_free(&r->msg);
}

/* The field as it will be sent, without the final LF. */
static const char *field(struct run *r, const char *name)
{
    static char buf[512];
    long i = header_find(&r->msg.headers, name, 0);

    if (i < 0)
        return NULL;
    snprintf(buf, sizeof buf, "%s", r->msg.headers.fields[i].raw);
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static const char *rcpts(struct run *r)
{
    static char buf[512];

    buf[0] = '\0';
    for (size_t i = 0; i < r->env.n_rcpts; i++) {
        if (i > 0)
            strncat(buf, " ", sizeof buf - strlen(buf) - 1);
        strncat(buf, r->env.rcpts[i], sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

static char *host_address(const char *local)
{
    static char buf[300];
    snprintf(buf, sizeof buf, "%s@%s", local, local_fqdn());
    return buf;
}

static void test_cron(void)
{
    static const char cron[] = "From: root (Cron Daemon)\nTo: root\nSubject: x\n\nbody\n";
    char *root[] = { "root" }, *nobody[] = { "nobody" };
    struct run r;

    run(&r, cron, "example.com", REWRITE_LOCAL, "server@example.com", NULL, root, 1);
    is_int(r.rc, 0, "cron: accepted");
    is_str(field(&r, "From"), "From: Cron Daemon <server@example.com>",
           "cron: From gets the account's address, the comment becomes the display name");
    is_str(field(&r, "To"), "To: root@example.com", "cron: To root qualified");
    is_str(rcpts(&r), "admin@example.net", "cron: envelope recipient through the root alias");
    is_str(r.env.sender, "server@example.com", "cron: envelope sender is the account's");
    done(&r);

    run(&r, cron, "example.com", REWRITE_LOCAL, "server@example.com", NULL, nobody, 1);
    is_str(rcpts(&r), "nobody@example.com", "no alias: qualify_domain");
    done(&r);

    run(&r, cron, NULL, REWRITE_LOCAL, "server@example.com", NULL, nobody, 1);
    is_int(r.rc, -1, "no alias, no qualify_domain: refused");
    is_int(r.err.code, 67, "... with 67");
    done(&r);

    run(&r, cron, "example.com", REWRITE_OFF, "server@example.com", "root", root, 1);
    is_str(field(&r, "From"), "From: Cron Daemon <root@example.com>", "off: From only qualified, display name kept");
    is_str(r.env.sender, "root@example.com", "off: -f root only qualified");
    done(&r);
}

static void test_sender(void)
{
    static const char plain[] = "From: Someone <someone@elsewhere.example>\nTo: x@y.example\n\nb\n";
    char *x[] = { "x@y.example" };
    struct run r;

    run(&r, plain, NULL, REWRITE_LOCAL, "server@example.com", NULL, x, 1);
    is_str(field(&r, "From"), "From: Someone <someone@elsewhere.example>", "local: a foreign From stays");
    done(&r);
    run(&r, plain, NULL, REWRITE_ALWAYS, "server@example.com", NULL, x, 1);
    is_str(field(&r, "From"), "From: Someone <server@example.com>", "always: every From, display name kept");
    done(&r);
    run(&r, plain, NULL, REWRITE_ALWAYS, "server@example.com", "someone@elsewhere.example", x, 1);
    is_str(r.env.sender, "server@example.com", "always: -f too");
    done(&r);
    run(&r, plain, NULL, REWRITE_LOCAL, "server@example.com", "www-data", x, 1);
    is_str(r.env.sender, "server@example.com", "local: -f www-data becomes the account's from");
    done(&r);
    run(&r, plain, NULL, REWRITE_LOCAL, "server@example.com", host_address("www-data"), x, 1);
    is_str(r.env.sender, "server@example.com", "local: -f name@this-host becomes the account's from");
    done(&r);
    run(&r, plain, NULL, REWRITE_ALWAYS, "server@example.com", "", x, 1);
    is_str(r.env.sender, "", "the null sender is never rewritten");
    done(&r);
    run(&r, plain, NULL, REWRITE_ALWAYS, "*@example.com", "someone@elsewhere.example", x, 1);
    is_str(r.env.sender, "someone@elsewhere.example", "a pattern from rewrites nothing");
    done(&r);
}

static void test_untouched(void)
{
    static const char same[] = "From:   \"Server\"\n  <server@EXAMPLE.com>\nTo: x@y.example\n\nb\n";
    static const char host[] = "From: Me <me@%s>\nTo: x@y.example\n\nb\n";
    char *x[] = { "x@y.example" }, text[400];
    struct run r;

    run(&r, same, NULL, REWRITE_ALWAYS, "server@example.com", NULL, x, 1);
    is_int(r.rc, 0, "From equal to the account's from: accepted");
    is_int((long long)r.msg.headers.fields[0].raw_len, (long long)strlen("From:   \"Server\"\n  <server@EXAMPLE.com>\n"),
           "... and kept byte for byte, folding included");
    ok(memcmp(r.msg.headers.fields[0].raw, same, r.msg.headers.fields[0].raw_len) == 0, "... same bytes");
    done(&r);
    snprintf(text, sizeof text, host, local_fqdn());
    run(&r, text, NULL, REWRITE_LOCAL, "server@example.com", NULL, x, 1);
    is_str(field(&r, "From"), "From: Me <server@example.com>", "local: From at this host's own name is local");
    done(&r);
}

static void test_fields(void)
{
    static const char m[] = "From: a@b.example\nTo: root, \"W D\" <www-data>\nCc: ops\n"
                            "Sender: cron\nReply-To: admin\nBcc: hidden\n\nb\n";
    char *x[] = { "x@y.example" };
    struct run r;

    run(&r, m, "example.com", REWRITE_LOCAL, "server@example.com", NULL, x, 1);
    is_str(field(&r, "To"), "To: root@example.com, W D <www-data@example.com>", "To: every bare name, names kept");
    is_str(field(&r, "Cc"), "Cc: ops@example.com", "Cc qualified");
    is_str(field(&r, "Sender"), "Sender: cron@example.com", "Sender qualified");
    is_str(field(&r, "Reply-To"), "Reply-To: admin@example.com", "Reply-To qualified");
    is_str(field(&r, "From"), "From: a@b.example", "a qualified From stays");
    done(&r);
    run(&r, m, NULL, REWRITE_LOCAL, "server@example.com", NULL, x, 1);
    is_str(field(&r, "To"), "To: root, \"W D\" <www-data>", "without qualify_domain To stays as written");
    done(&r);
}

int main(void)
{
    FILE *f;

    if (mkdtemp(dir) == NULL)
        return 99;
    snprintf(aliases_path, sizeof aliases_path, "%s/aliases", dir);
    f = fopen(aliases_path, "w");
    fputs("root: admin@example.net\n", f);
    fclose(f);
    test_cron();
    test_sender();
    test_untouched();
    test_fields();
    unlink(aliases_path);
    rmdir(dir);
    return done_testing();
}
