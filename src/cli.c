/* cli.c - the sendmail command line of mailout(1) OPTIONS, parsed by hand.
 *
 * Options end at the first argument that is not an option (or at "--"), as
 * sendmail and Postfix do: no getopt_long permutation, so a recipient that
 * happens to start with '-' after the first recipient is still a recipient.
 * Single-letter options may be bundled ("-ti", "-vvv"); an option that takes
 * a value takes the rest of its argument ("-fADDR") or the next one
 * ("-f ADDR"). */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "conf.h"
#include "cli.h"

/* RFC 3461: ENVID is at most 100 characters of printable US-ASCII. */
#define ENVID_MAX 100
#define QUEUE_ID_MAX 64

struct parser {
    int argc;
    char **argv;
    int i;                  /* index of the argument being parsed */
    struct cli *out;
    struct mo_err *err;
    bool mode_set;          /* an option chose the mode (not the program name) */
    bool help, version;     /* these win over any mode, whatever the order */
};

static int usage(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage(struct parser *p, const char *fmt, ...)
{
    char hint[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(hint, sizeof hint, fmt, ap);
    va_end(ap);
    return mo_err_set(p->err, EX_USAGE, _("%s; see mailout --help"), hint);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* mailq and newaliases (also as the installed mailout-mailq and
 * mailout-newaliases) pick their mode; every other name delivers. */
static enum cli_mode mode_for_name(const char *name)
{
    if (strncmp(name, "mailout-", 8) == 0)
        name += 8;
    if (strcmp(name, "mailq") == 0)
        return CLI_LIST_QUEUE;
    if (strcmp(name, "newaliases") == 0)
        return CLI_NEWALIASES;
    return CLI_DELIVER;
}

static int set_mode(struct parser *p, enum cli_mode m, const char *opt)
{
    if (p->mode_set && p->out->mode != m)
        return usage(p, _("option %s conflicts with an earlier mode option"), opt);
    p->out->mode = m;
    p->mode_set = true;
    return 0;
}

/* The value of a single-letter option: the rest of the argument, or the next
 * argument. *rest is the text after the option letter. */
static int take_value(struct parser *p, const char *rest, char opt,
                      const char **value)
{
    char name[3] = { '-', opt, '\0' };

    if (rest[0] != '\0') {
        *value = rest;
        return 0;
    }
    if (p->i + 1 >= p->argc)
        return usage(p, _("option %s needs a value"), name);
    *value = p->argv[++p->i];
    return 0;
}

static int check_dsn_ret(const char *s)
{
    return (ascii_strcasecmp(s, "full") == 0 || ascii_strcasecmp(s, "hdrs") == 0)
        ? 0 : -1;
}

static int check_envid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > ENVID_MAX)
        return -1;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return -1;
    return 0;
}

/* Letters, digits, '-' and '_': a queue ID can never name a path. */
static int check_queue_id(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > QUEUE_ID_MAX)
        return -1;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return -1;
    }
    return 0;
}

/* -q, -q30m, -qI ID, -qIID, -qf (foreground: what mailout always does),
 * -qR SITE / -qS SITE (all of the queue is flushed). */
static int parse_q(struct parser *p, const char *rest)
{
    const char *v = NULL;

    if (set_mode(p, CLI_FLUSH_QUEUE, "-q") != 0)
        return -1;
    if (rest[0] == '\0' || strcmp(rest, "f") == 0)
        return 0;
    if (rest[0] == 'I') {
        if (take_value(p, rest + 1, 'q', &v) != 0)
            return -1;
        if (check_queue_id(v) != 0)
            return usage(p, _("bad queue ID '%s' for -qI"), v);
        p->out->queue_id = v;
        return 0;
    }
    if (rest[0] == 'R' || rest[0] == 'S')
        return take_value(p, rest + 1, 'q', &v);
    if (conf_parse_duration(rest, NULL) != 0)
        return usage(p, _("bad queue interval '%s' (use e.g. -q30m)"), rest);
    p->out->queue_interval = rest;
    return 0;
}

static int parse_b(struct parser *p, const char *rest)
{
    if (strcmp(rest, "m") == 0)
        return set_mode(p, CLI_DELIVER, "-bm");
    if (strcmp(rest, "p") == 0)
        return set_mode(p, CLI_LIST_QUEUE, "-bp");
    if (strcmp(rest, "i") == 0)
        return set_mode(p, CLI_NEWALIASES, "-bi");
    if (strcmp(rest, "s") == 0)
        return set_mode(p, CLI_SMTP_STDIN, "-bs");
    if (rest[0] == '\0')
        return usage(p, "%s", _("option -b needs a mode (-bm, -bp, -bi or -bs)"));
    return usage(p, _("unsupported mode -b%s"), rest);
}

/* A value option: stores it after the check that applies to it. */
static int parse_valued(struct parser *p, char c, const char *rest)
{
    struct cli *o = p->out;
    const char *v = NULL;

    if (take_value(p, rest, c, &v) != 0)
        return -1;
    switch (c) {
    case 'f': case 'r': o->sender = v; break;
    case 'F': o->full_name = v; break;
    case 'C': o->config_file = v; break;
    case 'a': o->account = v; break;
    case 'N':
        if (conf_check_dsn_notify(v) != 0)
            return usage(p, _("bad -N value '%s' (use never, or success,failure,delay)"), v);
        o->dsn_notify = v;
        break;
    case 'R':
        if (check_dsn_ret(v) != 0)
            return usage(p, _("bad -R value '%s' (use full or hdrs)"), v);
        o->dsn_ret = v;
        break;
    case 'V':
        if (check_envid(v) != 0)
            return usage(p, _("bad -V value '%s' (printable ASCII, at most 100 characters)"), v);
        o->dsn_envid = v;
        break;
    default:
        break;      /* -h N, -p: accepted and ignored */
    }
    return 0;
}

/* One "-xyz" cluster. Returns 0, or -1 with the error set. */
static int parse_cluster(struct parser *p, const char *arg)
{
    struct cli *o = p->out;
    char bad[3] = { '-', '\0', '\0' };

    for (const char *s = arg + 1; *s; s++) {
        char c = *s;
        const char *rest = s + 1;
        switch (c) {
        case 't': o->read_recipients = true; continue;
        case 'i': o->ignore_dots = true; continue;
        case 'v': o->verbose++; continue;
        case 'd': o->debug = true; return 0;   /* sendmail -dX.Y: debug too */
        case 'm': case 'n': case 'U': case 'G': case 'c': continue;
        case 'I': return set_mode(p, CLI_NEWALIASES, "-I");
        case 'o':
            /* -oi is the one -o option with a meaning; -o alone takes the
             * next argument, as getopt's "o:" does in Postfix. */
            if (rest[0] == '\0' && p->i + 1 < p->argc)
                rest = p->argv[++p->i];
            if (strcmp(rest, "i") == 0)
                o->ignore_dots = true;
            return 0;
        case 'B': case 'L': case 'O': case 'e':
            return parse_valued(p, c, rest);
        case 'b': return parse_b(p, rest);
        case 'q': return parse_q(p, rest);
        case 'f': case 'r': case 'F': case 'N': case 'R': case 'V':
        case 'C': case 'a': case 'h': case 'p':
            return parse_valued(p, c, rest);
        case 'X':
            /* sendmail's traffic log and msmtp's log file alike */
            return usage(p, "%s", _("option -X (log file) is not supported; set logfile = FILE in [mailout] of the configuration"));
        default:
            bad[1] = c;
            return usage(p, _("unknown option %s"), bad);
        }
    }
    return 0;
}

/* "--name" or "--name=value"; *value is NULL when there is no '='. */
static bool long_is(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);

    if (strncmp(arg + 2, name, n) != 0)
        return false;
    if (arg[2 + n] == '\0') {
        *value = NULL;
        return true;
    }
    if (arg[2 + n] == '=') {
        *value = arg + 3 + n;
        return true;
    }
    return false;
}

static int long_value(struct parser *p, const char *name, const char **value)
{
    if (*value != NULL)
        return 0;
    if (p->i + 1 >= p->argc)
        return usage(p, _("option --%s needs a value"), name);
    *value = p->argv[++p->i];
    return 0;
}

static int long_flag(struct parser *p, const char *name, const char *value)
{
    if (value != NULL)
        return usage(p, _("option --%s takes no value"), name);
    return 0;
}

/* msmtp's options that mailout does not take, each with what to use. */
static const struct { const char *name; const char *use; } msmtp_opts[] = {
    { "file", N_("-C FILE") },
    { "pretend", N_("--dry-run") },
    { "logfile", N_("logfile = FILE in [mailout] of the configuration") },
    { "from", N_("-f ADDR") },
    { "dsn-notify", N_("-N") }, { "dsn-return", N_("-R") },
    { "configure", N_("the recipes in mailout(1)") },
    { "rmqs", N_("mailout -q") },
    { "host", NULL }, { "port", NULL }, { "timeout", NULL }, { "protocol", NULL },
    { "domain", NULL }, { "auth", NULL }, { "user", NULL }, { "passwordeval", NULL },
    { "tls", NULL }, { "tls-starttls", NULL }, { "tls-trust-file", NULL },
    { "tls-crl-file", NULL }, { "tls-fingerprint", NULL }, { "tls-key-file", NULL },
    { "tls-cert-file", NULL }, { "tls-certcheck", NULL }, { "tls-priorities", NULL },
    { "tls-host-override", NULL }, { "tls-min-dh-prime-bits", NULL },
    { "maildomain", NULL }, { "auto-from", NULL }, { "set-from-header", NULL },
    { "set-date-header", NULL }, { "remove-bcc-headers", NULL },
    { "undisclosed-recipients", NULL }, { "source-ip", NULL }, { "proxy-host", NULL },
    { "proxy-port", NULL }, { "socket", NULL }, { "logfile-time-format", NULL },
    { "syslog", NULL }, { "aliases", NULL },
};

/* An msmtp option is refused with the mailout way to do the same; 1 when
 * arg is not one of them. */
static int refuse_msmtp(struct parser *p, const char *arg)
{
    size_t n = strcspn(arg + 2, "=");

    for (size_t k = 0; k < sizeof msmtp_opts / sizeof msmtp_opts[0]; k++) {
        if (strlen(msmtp_opts[k].name) != n || strncmp(arg + 2, msmtp_opts[k].name, n) != 0)
            continue;
        if (msmtp_opts[k].use != NULL)
            return usage(p, _("msmtp's option --%s is not mailout's; use %s"),
                         msmtp_opts[k].name, _(msmtp_opts[k].use));
        return usage(p, _("msmtp's option --%s is not mailout's; set it in the account of the configuration file (mailout --import-msmtprc converts an msmtprc)"),
                     msmtp_opts[k].name);
    }
    return 1;
}

/* The long options without a value: the flag each sets in struct cli and
 * the mode it selects (either may be absent). */
#define NO_FLAG ((size_t)-1)
#define NO_MODE (-1)
#define FLAG(f) offsetof(struct cli, f)
static const struct long_flag {
    const char *name;
    size_t flag;
    int mode;
} long_flags[] = {
    { "debug", FLAG(debug), NO_MODE },
    { "dry-run", FLAG(dry_run), NO_MODE },
    { "read-recipients", FLAG(read_recipients), NO_MODE },
    { "read-envelope-from", FLAG(read_envelope_from), NO_MODE },
    { "browser", FLAG(browser), NO_MODE },
    { "connect", FLAG(connect), NO_MODE },
    { "queue-force", FLAG(queue_force), CLI_FLUSH_QUEUE },
    { "queue-due", FLAG(queue_due), CLI_FLUSH_QUEUE },
    { "login", NO_FLAG, CLI_LOGIN },
    { "check-config", NO_FLAG, CLI_CHECK_CONFIG },
    { "serverinfo", NO_FLAG, CLI_SERVERINFO },
    { "store-password", NO_FLAG, CLI_STORE_PASSWORD },
    { "forget-password", NO_FLAG, CLI_FORGET_PASSWORD },
    { "version", NO_FLAG, CLI_VERSION },
    { "help", NO_FLAG, CLI_HELP },
};

static int parse_long(struct parser *p, const char *arg)
{
    struct cli *o = p->out;
    const char *v = NULL;

    if (long_is(arg, "account", &v)) {
        if (long_value(p, "account", &v) != 0)
            return -1;
        o->account = v;
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        const char *name = k == 0 ? "queue-delete" : "requeue";
        if (!long_is(arg, name, &v))
            continue;
        if (long_value(p, name, &v) != 0
                || set_mode(p, k == 0 ? CLI_QUEUE_DELETE : CLI_REQUEUE,
                            k == 0 ? "--queue-delete" : "--requeue") != 0)
            return -1;
        if (check_queue_id(v) != 0)
            return usage(p, _("bad queue ID '%s' for --%s"), v, name);
        o->queue_id = v;
        return 0;
    }
    if (long_is(arg, "import-msmtprc", &v)) {
        if (set_mode(p, CLI_IMPORT_MSMTPRC, "--import-msmtprc") != 0)
            return -1;
        o->import_file = v;     /* or the argument after it, see finish() */
        return 0;
    }
    for (size_t k = 0; k < sizeof long_flags / sizeof long_flags[0]; k++) {
        const struct long_flag *f = &long_flags[k];
        if (!long_is(arg, f->name, &v))
            continue;
        if (long_flag(p, f->name, v) != 0)
            return -1;
        if (f->flag != NO_FLAG)
            *(bool *)(void *)((char *)o + f->flag) = true;
        if (f->mode == CLI_HELP)
            p->help = true;
        else if (f->mode == CLI_VERSION)
            p->version = true;
        else if (f->mode != NO_MODE)
            return set_mode(p, (enum cli_mode)f->mode, arg);
        return 0;
    }
    if (refuse_msmtp(p, arg) != 1)
        return -1;
    return usage(p, _("unknown option %s"), arg);
}

static int finish(struct parser *p)
{
    struct cli *o = p->out;

    if (p->help) {
        o->mode = CLI_HELP;
        return 0;
    }
    if (p->version) {
        o->mode = CLI_VERSION;
        return 0;
    }
    if (o->mode == CLI_IMPORT_MSMTPRC && o->n_recipients > 0) {
        if (o->import_file != NULL || o->n_recipients > 1)
            return usage(p, "%s", _("--import-msmtprc takes one file"));
        o->import_file = o->recipients[0];
        o->n_recipients = 0;
    }
    if (o->connect && o->mode != CLI_CHECK_CONFIG)
        return usage(p, "%s", _("option --connect needs --check-config"));
    if (o->browser && o->mode != CLI_LOGIN)
        return usage(p, "%s", _("option --browser needs --login"));
    if (o->queue_due && (o->queue_force || o->queue_id != NULL))
        return usage(p, "%s", _("--queue-due tries only the messages that are due; it cannot be combined with --queue-force or -qI"));
    return 0;
}

int cli_parse(int argc, char **argv, struct cli *out, struct mo_err *err)
{
    struct parser p = { argc, argv, 1, out, err, false, false, false };

    memset(out, 0, sizeof *out);
    out->progname = (argc > 0 && argv[0] && argv[0][0]) ? base_name(argv[0]) : "mailout";
    out->mode = mode_for_name(out->progname);
    for (; p.i < argc; p.i++) {
        const char *arg = argv[p.i];
        if (strcmp(arg, "--") == 0) {
            p.i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        if ((arg[1] == '-' ? parse_long(&p, arg) : parse_cluster(&p, arg)) != 0)
            return -1;
    }
    out->recipients = argv + p.i;
    out->n_recipients = p.i < argc ? (size_t)(argc - p.i) : 0;
    return finish(&p);
}

void cli_print_help(const char *progname)
{
    printf(_("Usage: %s [OPTION...] [--] [RECIPIENT...]\n"), progname ? progname : "mailout");
    fputs(_("Read one message on standard input and relay it to the account's server.\n"
            "\n"
            "Sendmail options:\n"
            "  -t                 read recipients from To, Cc, Bcc (or Resent-*)\n"
            "  -i, -oi            a line with a single '.' does not end the input\n"
            "  -f ADDR, -r ADDR   envelope sender ('' or '<>': the null sender)\n"
            "  -F NAME            display name for an added From field\n"
            "  -N DSN             never, or success,failure,delay\n"
            "  -R full|hdrs       DSN: return the full message or only its header\n"
            "  -V ENVID           DSN envelope ID\n"
            "  -C FILE            use this configuration file only\n"
            "  -v                 one line per delivery step on stderr (repeatable)\n"
            "  -bm                deliver (the default)\n"
            "  -bp                list the queue (also as mailq)\n"
            "  -bi                do nothing and succeed (also as newaliases)\n"
            "  -bs                speak SMTP on stdin and stdout\n"
            "  -q, -q30m          try every queued message now\n"
            "  -qI ID             try one queued message now\n"
            "  -o*, -B*, -L*, -h N, -O*, -e*, -m, -n, -U   accepted and ignored\n"
            "\n"
            "mailout options:\n"
            "  -a, --account NAME use this account\n"
            "  -d, --debug        SMTP transcript on stderr (secrets redacted)\n"
            "  --dry-run          print account, envelope and header; send nothing\n"
            "  --serverinfo       print the server's greeting, TLS and capabilities\n"
            "  --check-config     check every file and account; send nothing\n"
            "  --connect          with --check-config: also log in to each server\n"
            "  --store-password   store the account's password in the keyring\n"
            "  --forget-password  remove the account's password (and OAuth 2 token)\n"
            "  --login            OAuth 2: sign in (device code) and store the token\n"
            "  --browser          with --login: sign in in a browser (PKCE, loopback)\n"
            "  --queue-due        try the queued messages whose retry time has come\n"
            "  --queue-force      the same as -q\n"
            "  --requeue ID       put a message from failed/ back into the queue\n"
            "  --queue-delete ID  remove a queued or failed message\n"
            "  --import-msmtprc [FILE]  print an msmtp configuration as mailout's\n"
            "  --read-envelope-from     envelope sender from the From field (msmtp)\n"
            "  --read-recipients  the same as -t (msmtp's name)\n"
            "  --version          print version, TLS library and file paths\n"
            "  --help             print this help\n"
            "\n"
            "Use -- before recipients that start with '-'. See mailout(1).\n"), stdout);
}
