/* cli.h - the sendmail command line of mailout(1) OPTIONS, parsed into plain data. */
#ifndef MAILOUT_CLI_H
#define MAILOUT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "err.h"

enum cli_mode {
    CLI_DELIVER,          /* -bm, the default */
    CLI_LIST_QUEUE,       /* -bp, or called as mailq */
    CLI_NEWALIASES,       /* -bi, or called as newaliases: succeeds, does nothing */
    CLI_SMTP_STDIN,       /* -bs */
    CLI_FLUSH_QUEUE,      /* -q, -q30m, -qf, -qI ID (one), --queue-force:
                           * every message now; --queue-due: those due */
    CLI_SERVERINFO,       /* --serverinfo */
    CLI_STORE_PASSWORD,   /* --store-password */
    CLI_FORGET_PASSWORD,  /* --forget-password */
    CLI_QUEUE_DELETE,     /* --queue-delete ID */
    CLI_CHECK_CONFIG,     /* --check-config [--connect] */
    CLI_LOGIN,            /* --login [--browser]: OAuth 2 */
    CLI_IMPORT_MSMTPRC,   /* --import-msmtprc [FILE] */
    CLI_REQUEUE,          /* --requeue ID */
    CLI_VERSION,
    CLI_HELP,
};

struct cli {
    enum cli_mode mode;
    const char *progname;       /* basename of argv[0] */
    bool read_recipients;       /* -t, --read-recipients */
    bool read_envelope_from;    /* --read-envelope-from: sender from From */
    bool ignore_dots;           /* -i, -oi */
    const char *sender;         /* -f / -r; NULL if absent; "" is the null sender */
    const char *full_name;      /* -F */
    const char *dsn_notify;     /* -N */
    const char *dsn_ret;        /* -R */
    const char *dsn_envid;      /* -V */
    const char *config_file;    /* -C */
    const char *account;        /* -a / --account */
    int verbose;                /* -v, counted */
    bool debug;                 /* -d / --debug */
    bool dry_run;               /* --dry-run */
    const char *queue_interval; /* the argument of -qINTERVAL, or NULL */
    const char *queue_id;       /* -qI ID, --queue-delete ID, --requeue ID;
                                 * only [A-Za-z0-9_-], at most 64 bytes */
    const char *import_file;    /* --import-msmtprc FILE; NULL: the default */
    bool queue_force;           /* --queue-force: the same as -q */
    bool queue_due;             /* --queue-due: only messages whose back-off
                                 * has passed */
    bool connect;               /* --connect (with --check-config) */
    bool browser;               /* --browser (with --login) */
    time_t submitted;           /* when the caller handed the message over,
                                 * for an added Date: 0 for now (a message
                                 * held or dropped earlier: held.h) */
    char **recipients;          /* points into argv; not owned */
    size_t n_recipients;
};

/* Parses argv (argv[0] picks mailq/newaliases modes). On a usage error fills
 * err with EX_USAGE and a one-line hint. */
int cli_parse(int argc, char **argv, struct cli *out, struct mo_err *err);

/* Writes the --help text to stdout. */
void cli_print_help(const char *progname);

#endif
