/* test-smtpd-cmd.c - the -bs command parser: verbs, paths, parameters and
 * the replies for what it refuses. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "smtpd_cmd.h"

static struct smtpd_cmd c;
static char r[512];

static int parse(const char *line)
{
    r[0] = '\0';
    smtpd_cmd_free(&c);
    return smtpd_cmd_parse(line, strlen(line), &c, r, sizeof r);
}

#define REFUSED(line, want) do { \
        ok(parse(line) == -1, "refused: %s", line); \
        ok(strncmp(r, want, strlen(want)) == 0, "  reply %s (%s)", want, r); \
    } while (0)

static void test_verbs(void)
{
    ok(parse("EHLO client.example") == 0 && c.verb == SV_EHLO
       && strcmp(c.arg, "client.example") == 0, "EHLO name");
    ok(parse("helo x") == 0 && c.verb == SV_HELO, "helo, any case");
    ok(parse("QUIT") == 0 && c.verb == SV_QUIT, "QUIT");
    ok(parse("NOOP anything") == 0 && c.verb == SV_NOOP, "NOOP with text");
    ok(parse("VRFY root") == 0 && c.verb == SV_VRFY, "VRFY");
    ok(parse("DATA") == 0 && c.verb == SV_DATA, "DATA");
    ok(parse("RSET ") == 0 && c.verb == SV_RSET, "a trailing blank");
    REFUSED("DATA x", "501 5.5.4");
    REFUSED("EHLO", "501 5.5.4");
    REFUSED("XYZZY", "500 5.5.1");
    REFUSED("", "500 5.5.1");
    REFUSED("MAIL FROM:<a@b>\001", "500 5.5.2");
    ok(smtpd_cmd_parse("NOOP\0x", 6, &c, r, sizeof r) == -1 && strncmp(r, "500 5.5.2", 9) == 0,
       "a NUL byte is refused");
}

static void test_paths(void)
{
    ok(parse("MAIL FROM:<me@example.com>") == 0 && strcmp(c.path, "me@example.com") == 0
       && c.size == -1, "MAIL FROM");
    ok(parse("mail from: <me@example.com> SIZE=1234 BODY=8BITMIME SMTPUTF8") == 0
       && c.size == 1234, "blank after the colon, SIZE, BODY, SMTPUTF8");
    ok(parse("MAIL FROM:<>") == 0 && strcmp(c.path, "") == 0, "the null sender");
    ok(parse("MAIL FROM:<a@b> RET=HDRS ENVID=abc+2B1") == 0 && strcmp(c.ret, "hdrs") == 0
       && strcmp(c.envid, "abc+2B1") == 0, "RET and ENVID");
    ok(parse("RCPT TO:<@r1,@r2:you@example.net>") == 0 && strcmp(c.path, "you@example.net") == 0,
       "a source route is dropped");
    ok(parse("RCPT TO:<\"a >b\"@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;x@y") == 0
       && strcmp(c.path, "\"a >b\"@example.net") == 0 && strcmp(c.notify, "success,delay") == 0,
       "a quoted '>' and NOTIFY");
    ok(parse("EHLO\tclient.example") == 0 && c.verb == SV_EHLO
       && strcmp(c.arg, "client.example") == 0, "a tab after the verb");
    REFUSED("MAIL FROM:<@r1> SIZE=1:x@y>", "501 5.1.7");
    REFUSED("MAIL FROM:me@example.com", "501 5.1.7");
    REFUSED("MAIL TO:<me@example.com>", "501 5.5.4");
    REFUSED("MAIL FROM:<me@example.com", "501 5.1.7");
    REFUSED("MAIL FROM:<a@b>x", "501 5.5.4");
    REFUSED("MAIL FROM:<a@b> SIZE=x", "501 5.5.4");
    REFUSED("MAIL FROM:<a@b> BODY=BINARYMIME", "501 5.5.4");
    REFUSED("MAIL FROM:<a@b> FOO=1", "555 5.5.4");
    REFUSED("RCPT TO:<>", "501 5.1.3");
    REFUSED("RCPT TO:<a@b> NOTIFY=sometimes", "501 5.5.4");
    REFUSED("RCPT TO:<a@b> SIZE=1", "555 5.5.4");
    char longpath[700] = "MAIL FROM:<";
    memset(longpath + 11, 'a', 600);
    memcpy(longpath + 611, "@b>", 4);
    REFUSED(longpath, "501 5.1.7");
}

int main(void)
{
    test_verbs();
    test_paths();
    smtpd_cmd_free(&c);
    return done_testing();
}
