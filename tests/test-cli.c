/* test-cli.c - the sendmail command line of SPEC §1, parsed by cli_parse. */
#include "config.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include "tap.h"
#include "cli.h"

#define MAXARGS 32

static char *argv_buf[MAXARGS + 1];
static struct cli c;
static struct mo_err e;

/* Parses a NULL-terminated argument list; argv[0] is the first one. */
static int parse(const char *arg0, ...)
{
    va_list ap;
    int argc = 0;

    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < MAXARGS; a = va_arg(ap, const char *))
        argv_buf[argc++] = (char *)a;
    va_end(ap);
    argv_buf[argc] = NULL;
    memset(&e, 0, sizeof e);
    return cli_parse(argc, argv_buf, &c, &e);
}

#define OK(...) is_int(parse(__VA_ARGS__, (const char *)NULL), 0, "parses: %s", #__VA_ARGS__)
#define BAD(want, ...) do { \
        is_int(parse(__VA_ARGS__, (const char *)NULL), -1, "refused: %s", #__VA_ARGS__); \
        is_int(e.code, EX_USAGE, "  exit code 64"); \
        is_str(e.msg, want, "  message"); \
    } while (0)

static void test_names(void)
{
    OK("/usr/sbin/sendmail", "a@b");
    is_int(c.mode, CLI_DELIVER, "sendmail delivers");
    is_str(c.progname, "sendmail", "progname is the basename");
    OK("mailout", "a@b");
    is_int(c.mode, CLI_DELIVER, "mailout delivers");
    OK("/usr/bin/mailq");
    is_int(c.mode, CLI_LIST_QUEUE, "mailq lists the queue");
    OK("mailout-mailq");
    is_int(c.mode, CLI_LIST_QUEUE, "mailout-mailq lists the queue");
    OK("/usr/bin/newaliases");
    is_int(c.mode, CLI_NEWALIASES, "newaliases");
    OK("mailout-newaliases");
    is_int(c.mode, CLI_NEWALIASES, "mailout-newaliases");
    OK("mailq", "-bp");
    is_int(c.mode, CLI_LIST_QUEUE, "mailq -bp");
    is_int(cli_parse(0, argv_buf, &c, &e), 0, "argc 0 is fine");
    is_str(c.progname, "mailout", "  progname defaults to mailout");
}

static void test_values(void)
{
    OK("sendmail", "-fme@x", "a@b");
    is_str(c.sender, "me@x", "-fADDR");
    OK("sendmail", "-f", "me@x", "a@b");
    is_str(c.sender, "me@x", "-f ADDR");
    OK("sendmail", "-rme@x", "a@b");
    is_str(c.sender, "me@x", "-rADDR");
    OK("sendmail", "-r", "me@x", "a@b");
    is_str(c.sender, "me@x", "-r ADDR");
    OK("sendmail", "-f", "", "a@b");
    is_str(c.sender, "", "-f '' kept as the empty string");
    OK("sendmail", "-f", "<>", "a@b");
    is_str(c.sender, "<>", "-f '<>' kept as given");
    OK("sendmail", "-f<>", "a@b");
    is_str(c.sender, "<>", "-f<> kept as given");
    OK("sendmail", "-FJoe User", "a@b");
    is_str(c.full_name, "Joe User", "-FNAME");
    OK("sendmail", "-F", "Joe User", "a@b");
    is_str(c.full_name, "Joe User", "-F NAME");
    OK("sendmail", "-F", "", "a@b");
    is_str(c.full_name, "", "-F '' is an empty name");
    OK("sendmail", "-Nnever", "a@b");
    is_str(c.dsn_notify, "never", "-Nnever");
    OK("sendmail", "-N", "success,failure,delay", "a@b");
    is_str(c.dsn_notify, "success,failure,delay", "-N success,failure,delay");
    OK("sendmail", "-N", "FAILURE", "a@b");
    is_str(c.dsn_notify, "FAILURE", "-N is case-insensitive");
    OK("sendmail", "-Rfull", "a@b");
    is_str(c.dsn_ret, "full", "-Rfull");
    OK("sendmail", "-R", "hdrs", "a@b");
    is_str(c.dsn_ret, "hdrs", "-R hdrs");
    OK("sendmail", "-Vabc123", "a@b");
    is_str(c.dsn_envid, "abc123", "-VENVID");
    OK("sendmail", "-V", "x.y@z", "a@b");
    is_str(c.dsn_envid, "x.y@z", "-V ENVID");
    OK("sendmail", "-C/tmp/x.ini", "a@b");
    is_str(c.config_file, "/tmp/x.ini", "-CFILE");
    OK("sendmail", "-C", "/tmp/x.ini", "a@b");
    is_str(c.config_file, "/tmp/x.ini", "-C FILE");
    OK("sendmail", "-awork", "a@b");
    is_str(c.account, "work", "-aNAME");
    OK("sendmail", "-a", "work", "a@b");
    is_str(c.account, "work", "-a NAME");
    OK("sendmail", "--account", "work", "a@b");
    is_str(c.account, "work", "--account NAME");
    OK("sendmail", "--account=work", "a@b");
    is_str(c.account, "work", "--account=NAME");
    OK("sendmail", "-h", "17", "a@b");
    is_int(c.n_recipients, 1, "-h N takes its value");
    OK("sendmail", "-h17", "a@b");
    is_int(c.n_recipients, 1, "-hN");
}

static void test_flags(void)
{
    OK("sendmail", "-t");
    ok(c.read_recipients && c.n_recipients == 0, "-t, no recipients");
    OK("sendmail", "-i", "a@b");
    ok(c.ignore_dots, "-i");
    OK("sendmail", "-oi", "a@b");
    ok(c.ignore_dots, "-oi sets ignore_dots");
    OK("sendmail", "-o", "i", "a@b");
    ok(c.ignore_dots && c.n_recipients == 1, "-o i (separate) sets ignore_dots");
    OK("sendmail", "-oem", "a@b");
    ok(!c.ignore_dots, "-oem is ignored (does not set ignore_dots)");
    OK("sendmail", "a@b");
    ok(!c.ignore_dots && !c.read_recipients && c.verbose == 0 && !c.debug, "defaults off");
    ok(c.sender == NULL && c.account == NULL && c.config_file == NULL, "  no sender/account/config");
    OK("sendmail", "-ti", "a@b");
    ok(c.read_recipients && c.ignore_dots, "bundled -ti");
    OK("sendmail", "-tif", "me@x", "a@b");
    ok(c.read_recipients && c.ignore_dots && strcmp(c.sender, "me@x") == 0, "bundled -tif ADDR");
    OK("sendmail", "-v", "a@b");
    is_int(c.verbose, 1, "-v");
    OK("sendmail", "-v", "-vv", "a@b");
    is_int(c.verbose, 3, "-v -vv counts 3");
    OK("sendmail", "-d", "a@b");
    ok(c.debug, "-d");
    OK("sendmail", "--debug", "a@b");
    ok(c.debug, "--debug");
    OK("sendmail", "--dry-run", "a@b");
    ok(c.dry_run && c.mode == CLI_DELIVER, "--dry-run delivers nothing");
    OK("sendmail", "-bm", "a@b");
    is_int(c.mode, CLI_DELIVER, "-bm");
    OK("sendmail", "-bp");
    is_int(c.mode, CLI_LIST_QUEUE, "-bp");
    OK("sendmail", "-bi");
    is_int(c.mode, CLI_NEWALIASES, "-bi");
    OK("sendmail", "-bs");
    is_int(c.mode, CLI_SMTP_STDIN, "-bs");
    OK("sendmail", "-I");
    is_int(c.mode, CLI_NEWALIASES, "-I (Postfix newaliases)");
    OK("sendmail", "--serverinfo");
    is_int(c.mode, CLI_SERVERINFO, "--serverinfo");
    OK("sendmail", "--store-password", "-a", "w");
    is_int(c.mode, CLI_STORE_PASSWORD, "--store-password");
    OK("sendmail", "--forget-password");
    is_int(c.mode, CLI_FORGET_PASSWORD, "--forget-password");
    OK("sendmail", "--version");
    is_int(c.mode, CLI_VERSION, "--version");
    OK("sendmail", "--help");
    is_int(c.mode, CLI_HELP, "--help");
    OK("sendmail", "-bp", "--help");
    is_int(c.mode, CLI_HELP, "--help wins over -bp");
    OK("sendmail", "--version", "-q");
    is_int(c.mode, CLI_VERSION, "--version wins over -q");
}

static void test_queue(void)
{
    OK("sendmail", "-q");
    ok(c.mode == CLI_FLUSH_QUEUE && c.queue_interval == NULL && c.queue_id == NULL, "-q");
    OK("sendmail", "-q30m");
    ok(c.mode == CLI_FLUSH_QUEUE && c.queue_interval && strcmp(c.queue_interval, "30m") == 0, "-q30m");
    OK("sendmail", "-q1h30m");
    is_str(c.queue_interval, "1h30m", "-q1h30m");
    OK("sendmail", "-q90");
    is_str(c.queue_interval, "90", "-q90 (seconds)");
    OK("sendmail", "-qIAB12cd");
    ok(c.mode == CLI_FLUSH_QUEUE && c.queue_id && strcmp(c.queue_id, "AB12cd") == 0, "-qIID");
    OK("sendmail", "-qI", "AB12cd");
    is_str(c.queue_id, "AB12cd", "-qI ID");
    OK("sendmail", "-q", "--queue-force");
    ok(c.mode == CLI_FLUSH_QUEUE && c.queue_force, "-q --queue-force");
    OK("sendmail", "-qf");
    ok(c.mode == CLI_FLUSH_QUEUE && !c.queue_force, "-qf is a plain flush (foreground)");
    OK("sendmail", "-qRexample.com");
    is_int(c.mode, CLI_FLUSH_QUEUE, "-qRSITE flushes all");
    OK("sendmail", "--queue-delete", "ABC123");
    ok(c.mode == CLI_QUEUE_DELETE && strcmp(c.queue_id, "ABC123") == 0, "--queue-delete ID");
    OK("sendmail", "--queue-delete=ABC123");
    ok(c.mode == CLI_QUEUE_DELETE && strcmp(c.queue_id, "ABC123") == 0, "--queue-delete=ID");
    BAD("bad queue interval 'x' (use e.g. -q30m); see mailout --help", "sendmail", "-qx");
    BAD("bad queue interval '30q' (use e.g. -q30m); see mailout --help", "sendmail", "-q30q");
    BAD("bad queue ID '../x' for -qI; see mailout --help", "sendmail", "-qI", "../x");
    BAD("bad queue ID '../x' for --queue-delete; see mailout --help",
        "sendmail", "--queue-delete", "../x");
    BAD("option -q needs a value; see mailout --help", "sendmail", "-qI");
    OK("sendmail", "--queue-force");
    ok(c.mode == CLI_FLUSH_QUEUE && c.queue_force, "--queue-force alone: the same as -q");
    OK("sendmail", "--queue-due");
    ok(c.mode == CLI_FLUSH_QUEUE && c.queue_due && !c.queue_force, "--queue-due: a queue run");
    OK("sendmail", "--requeue", "ABC123");
    ok(c.mode == CLI_REQUEUE && strcmp(c.queue_id, "ABC123") == 0, "--requeue ID");
    BAD("bad queue ID '../x' for --requeue; see mailout --help", "sendmail", "--requeue", "../x");
    BAD("--queue-due tries only the messages that are due; it cannot be combined with --queue-force or -qI; see mailout --help",
        "sendmail", "--queue-due", "--queue-force");
    BAD("option --queue-force conflicts with an earlier mode option; see mailout --help",
        "sendmail", "--queue-delete", "ABC123", "--queue-force");
}

static void test_ignored(void)
{
    OK("sendmail", "-oem", "-odi", "-oQ/tmp", "-B8BITMIME", "-Bbody", "-Lsyslog",
       "-h", "17", "-Oopt=v", "-em", "-m", "-n", "-U", "-G", "-c", "a@b");
    ok(c.n_recipients == 1 && strcmp(c.recipients[0], "a@b") == 0 && c.mode == CLI_DELIVER,
       "all ignored options accepted, recipient kept");
    OK("sendmail", "-B", "8BITMIME", "-L", "x", "-O", "a=b", "-e", "q", "a@b");
    ok(c.n_recipients == 1, "separate values of ignored options are consumed");
    OK("sendmail", "-p", "smtp", "a@b");
    ok(c.n_recipients == 1, "-p PROTO accepted");
}

/* msmtp's names that mail readers are configured with (SPEC §1). */
static void test_msmtp(void)
{
    OK("mailout", "--read-envelope-from", "-oi", "a@b");
    ok(c.read_envelope_from && !c.read_recipients && c.ignore_dots && c.n_recipients == 1,
       "--read-envelope-from");
    OK("mailout", "--read-recipients");
    ok(c.read_recipients && !c.read_envelope_from, "--read-recipients is -t");
    OK("mailout", "--account=work", "a@b");
    is_str(c.account, "work", "--account=NAME");
    OK("mailout", "--import-msmtprc");
    ok(c.mode == CLI_IMPORT_MSMTPRC && c.import_file == NULL, "--import-msmtprc: the default file");
    OK("mailout", "--import-msmtprc", "/etc/msmtprc");
    ok(c.mode == CLI_IMPORT_MSMTPRC && c.import_file != NULL
       && strcmp(c.import_file, "/etc/msmtprc") == 0 && c.n_recipients == 0, "--import-msmtprc FILE");
    OK("mailout", "--import-msmtprc=/x");
    is_str(c.import_file, "/x", "--import-msmtprc=FILE");
    BAD("--import-msmtprc takes one file; see mailout --help", "mailout", "--import-msmtprc", "a", "b");
    BAD("option -X (log file) is not supported; set logfile = FILE in [mailout] of the configuration; see mailout --help",
        "sendmail", "-X", "/tmp/log", "a@b");
    BAD("msmtp's option --logfile is not mailout's; use logfile = FILE in [mailout] of the configuration; see mailout --help",
        "mailout", "--logfile=/tmp/x", "a@b");
    BAD("msmtp's option --file is not mailout's; use -C FILE; see mailout --help",
        "mailout", "--file=/x", "a@b");
    BAD("msmtp's option --pretend is not mailout's; use --dry-run; see mailout --help",
        "mailout", "--pretend", "a@b");
    BAD("msmtp's option --tls-starttls is not mailout's; set it in the account of the configuration file (mailout --import-msmtprc converts an msmtprc); see mailout --help",
        "mailout", "--tls-starttls=off", "a@b");
    BAD("unknown option --tlsx; see mailout --help", "mailout", "--tlsx", "a@b");
}

static void test_recipients(void)
{
    OK("sendmail", "a@b", "c@d");
    ok(c.n_recipients == 2 && strcmp(c.recipients[1], "c@d") == 0, "two recipients");
    ok(c.recipients == argv_buf + 1, "recipients point into argv");
    OK("sendmail", "-i", "--", "-x@y", "c@d");
    ok(c.n_recipients == 2 && strcmp(c.recipients[0], "-x@y") == 0, "-- ends options");
    OK("sendmail", "a@b", "-t");
    ok(c.n_recipients == 2 && !c.read_recipients, "options end at the first recipient");
    OK("sendmail", "--");
    is_int(c.n_recipients, 0, "-- alone: no recipients");
}

static void test_real(void)
{
    /* cron (Debian's cron) */
    OK("/usr/sbin/sendmail", "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root");
    ok(c.mode == CLI_DELIVER && c.ignore_dots && strcmp(c.full_name, "CronDaemon") == 0
       && c.n_recipients == 1 && strcmp(c.recipients[0], "root") == 0, "cron");
    /* cronie */
    OK("/usr/sbin/sendmail", "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "user");
    ok(c.read_recipients && c.ignore_dots && strcmp(c.sender, "user") == 0
       && strcmp(c.full_name, "CronDaemon") == 0 && c.n_recipients == 0, "cronie");
    /* mutt */
    OK("/usr/sbin/sendmail", "-oem", "-oi", "--", "a@b", "c@d");
    ok(c.ignore_dots && c.n_recipients == 2 && strcmp(c.recipients[0], "a@b") == 0, "mutt");
    /* git send-email */
    OK("/usr/sbin/sendmail", "-i", "-f", "me@x", "a@b");
    ok(c.ignore_dots && strcmp(c.sender, "me@x") == 0 && c.n_recipients == 1, "git send-email");
    /* PHP mail() */
    OK("/usr/sbin/sendmail", "-t", "-i");
    ok(c.read_recipients && c.ignore_dots && c.n_recipients == 0, "PHP");
}

static void test_errors(void)
{
    BAD("unknown option -x; see mailout --help", "sendmail", "-x", "a@b");
    BAD("unknown option -x; see mailout --help", "sendmail", "-tx", "a@b");
    BAD("unknown option --frobnicate; see mailout --help", "sendmail", "--frobnicate");
    BAD("unknown option --accountx; see mailout --help", "sendmail", "--accountx");
    BAD("option -f needs a value; see mailout --help", "sendmail", "-f");
    BAD("option -F needs a value; see mailout --help", "sendmail", "-F");
    BAD("option -C needs a value; see mailout --help", "sendmail", "-C");
    BAD("option -a needs a value; see mailout --help", "sendmail", "-a");
    BAD("option -h needs a value; see mailout --help", "sendmail", "-h");
    BAD("option --account needs a value; see mailout --help", "sendmail", "--account");
    BAD("option --debug takes no value; see mailout --help", "sendmail", "--debug=1");
    BAD("bad -N value 'sometimes' (use never, or success,failure,delay); see mailout --help",
        "sendmail", "-N", "sometimes");
    BAD("bad -N value 'never,success' (use never, or success,failure,delay); see mailout --help",
        "sendmail", "-Nnever,success");
    BAD("bad -N value 'success,success' (use never, or success,failure,delay); see mailout --help",
        "sendmail", "-Nsuccess,success");
    BAD("bad -N value 'success,' (use never, or success,failure,delay); see mailout --help",
        "sendmail", "-Nsuccess,");
    BAD("bad -R value 'all' (use full or hdrs); see mailout --help", "sendmail", "-R", "all");
    BAD("bad -V value 'a b' (printable ASCII, at most 100 characters); see mailout --help",
        "sendmail", "-V", "a b");
    BAD("unsupported mode -bd; see mailout --help", "sendmail", "-bd");
    BAD("option -b needs a mode (-bm, -bp, -bi or -bs); see mailout --help", "sendmail", "-b");
    BAD("option -q conflicts with an earlier mode option; see mailout --help", "sendmail", "-bp", "-q");
    BAD("option --serverinfo conflicts with an earlier mode option; see mailout --help",
        "sendmail", "-bs", "--serverinfo");
}

int main(void)
{
    test_names();
    test_values();
    test_flags();
    test_queue();
    test_ignored();
    test_msmtp();
    test_recipients();
    test_real();
    test_errors();
    return done_testing();
}
