/* test-log.c - the log line of SPEC §6 and the queue events, written to a
 * temporary log file: exact format, escaping, file and directory creation. */
#include "config.h"
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include "tap.h"
#include "util.h"
#include "log.h"

static char dir[] = "/tmp/test-log.XXXXXX";
static struct config cfg;

/* The log file's text, and empties it for the next test. */
static char *take_log(void)
{
    FILE *f = fopen(cfg.logfile, "r");
    struct strbuf b;
    char buf[4096];
    size_t n;

    strbuf_init(&b, 0);
    if (f == NULL)
        return xstrdup("");
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&b, buf, n);
    fclose(f);
    unlink(cfg.logfile);
    return strbuf_detach(&b, NULL);
}

static int stamp_ok(const char *line)
{
    regex_t re;
    int rc;

    regcomp(&re, "^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-3][0-9] "
                 "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] ", REG_EXTENDED | REG_NOSUB);
    rc = regexec(&re, line, 0, NULL, 0) == 0;
    regfree(&re);
    return rc;
}

static void test_delivery(void)
{
    const char *rcpts[] = { "a@b.example", "c@d.example" };
    struct log_record r = {
        .host = "smtp.example.com", .tls = true, .auth = true, .user = "me",
        .from = "me@example.com", .rcpts = rcpts, .n_rcpts = 2, .mailsize = 298,
        .smtpstatus = 250, .smtpmsg = "250 2.0.0 Ok: queued as AA19C7C4CC",
        .exitcode = EX_OK,
    };
    struct stat st;
    char *text;

    log_delivery(&cfg, &r);
    ok(stat(cfg.logfile, &st) == 0, "log file created with its directories");
    is_int(st.st_mode & 0777, 0600, "log file mode 0600");
    text = take_log();
    ok(stamp_ok(text), "line starts with a time stamp like 'Nov 22 15:47:20 ': %.16s", text);
    is_str(strlen(text) > 16 ? text + 16 : text,
           "host=smtp.example.com tls=on auth=on user=me from=me@example.com "
           "recipients=a@b.example,c@d.example mailsize=298 smtpstatus=250 "
           "smtpmsg='250 2.0.0 Ok: queued as AA19C7C4CC' exitcode=EX_OK\n",
           "the SPEC §6 line exactly");
    free(text);

    log_delivery(&cfg, &r);
    log_delivery(&cfg, &r);
    text = take_log();
    ok(strchr(text, '\n') != NULL && strchr(strchr(text, '\n') + 1, '\n') != NULL
       && *(strchr(strchr(text, '\n') + 1, '\n') + 1) == '\0', "two calls append two lines");
    free(text);

    r.smtpmsg = "451 it's down\r\nNov 22 15:47:20 host=fake exitcode=EX_OK";
    r.smtpstatus = 451;
    r.exitcode = EX_TEMPFAIL;
    r.user = "we ird";
    r.from = "";
    r.tls = r.auth = false;
    log_delivery(&cfg, &r);
    text = take_log();
    is_str(text + 16,
           "host=smtp.example.com tls=off auth=off user='we ird' from=<> "
           "recipients=a@b.example,c@d.example mailsize=298 smtpstatus=451 "
           "smtpmsg='451 it\\'s down\\x0D\\x0ANov 22 15:47:20 host=fake exitcode=EX_OK' "
           "exitcode=EX_TEMPFAIL\n",
           "a reply cannot add a line; quotes and blanks escaped; null sender is <>");
    free(text);

    r.smtpmsg = NULL;
    r.smtpstatus = 0;
    r.user = NULL;
    r.exitcode = EX_UNAVAILABLE;
    r.n_rcpts = 1;
    log_delivery(&cfg, &r);
    text = take_log();
    is_str(text + 16,
           "host=smtp.example.com tls=off auth=off from=<> recipients=a@b.example "
           "mailsize=298 exitcode=EX_UNAVAILABLE\n",
           "no reply, no user: those fields are left out");
    free(text);

    r.account = "backup";       /* a fallback account's server */
    log_delivery(&cfg, &r);
    text = take_log();
    is_str(text + 16,
           "host=smtp.example.com account=backup tls=off auth=off from=<> recipients=a@b.example "
           "mailsize=298 exitcode=EX_UNAVAILABLE\n",
           "a fallback account is named after the host");
    free(text);
    r.account = NULL;

    {
        char big[3000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        r.smtpmsg = big;
        log_delivery(&cfg, &r);
        text = take_log();
        ok(strstr(text, "xxx...' exitcode=") != NULL && strlen(text) < 1200,
           "a very long reply is cut and marked");
        free(text);
    }
}

static void test_queue_events(void)
{
    char *text;

    log_queue_event(&cfg, "queued", "AA19C7C4CC", "connect to smtp.example.com: Connection refused");
    text = take_log();
    ok(stamp_ok(text), "queue event has a time stamp");
    is_str(text + 16, "queued=AA19C7C4CC reason='connect to smtp.example.com: Connection refused'\n",
           "queued=ID reason='...'");
    free(text);
    log_queue_event(&cfg, "delivered", "AA19C7C4CC", NULL);
    text = take_log();
    is_str(text + 16, "delivered=AA19C7C4CC\n", "delivered=ID");
    free(text);
    log_queue_event(&cfg, "failed", "AA19C7C4CC", "550 no such user\nx");
    text = take_log();
    is_str(text + 16, "failed=AA19C7C4CC reason='550 no such user\\x0Ax'\n", "failed=ID reason, escaped");
    free(text);
}

static void test_no_log(void)
{
    struct config none;
    const char *rcpts[] = { "a@b" };
    struct log_record r = { .host = "h", .rcpts = rcpts, .n_rcpts = 1 };
    char *path;

    memset(&none, 0, sizeof none);
    log_delivery(&none, &r);
    log_delivery(NULL, &r);
    log_queue_event(&none, "queued", "X", "y");
    ok(1, "no logfile and no syslog: nothing happens");

    path = xasprintf("%s/file", dir);
    fclose(fopen(path, "w"));
    none.logfile = xasprintf("%s/file/log", dir);
    fflush(stdout);
    log_delivery(&none, &r);
    log_delivery(&none, &r);
    ok(access(none.logfile, F_OK) != 0, "an impossible log path fails quietly (once, on stderr)");
    free(none.logfile);
    free(path);
}

int main(void)
{
    char *cmd;

    if (mkdtemp(dir) == NULL)
        return 1;
    memset(&cfg, 0, sizeof cfg);
    cfg.logfile = xasprintf("%s/state/mailout/log", dir);
    test_delivery();
    test_queue_events();
    test_no_log();
    free(cfg.logfile);
    cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    free(cmd);
    return done_testing();
}
