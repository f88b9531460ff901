/* conf.h - the INI configuration of mailout(1) CONFIGURATION, loaded with the system inih. */
#ifndef MAILOUT_CONF_H
#define MAILOUT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "sasl.h"       /* enum auth_mech */

enum tls_mode { TLS_STARTTLS, TLS_IMPLICIT, TLS_OFF };

enum tristate { TRI_AUTO, TRI_OFF, TRI_ON };
enum oauth2_provider { OAUTH2_NONE, OAUTH2_MICROSOFT, OAUTH2_GOOGLE, OAUTH2_CUSTOM };
enum protocol { PROTO_SMTP, PROTO_LMTP };
/* rewrite_from (mailout(1) CONFIGURATION): which From and envelope senders
 * become the account's from. */
enum rewrite_mode { REWRITE_LOCAL, REWRITE_OFF, REWRITE_ALWAYS };

/* The system spool: root's queue is SPOOLDIR/queue, incoming/ is next to it
 * (mailout(1) QUEUE, Directory). The build sets it from $(localstatedir). */
#ifndef SPOOLDIR
#define SPOOLDIR "/var/spool/mailout"
#endif

/* message_size_limit's default (mailout(1) CONFIGURATION): 50 MB. */
#define CONF_DEFAULT_SIZE_LIMIT (50L * 1024 * 1024)

/* Where a key's value came from, for --check-config and --debug. */
struct conf_origin {
    const char *file;           /* one of config.files; NULL: built-in default */
    int line;
    char section[80];           /* "[defaults]" or "[account NAME]" */
};

struct account {
    char *name;
    char *host;
    int port;                   /* 0: unset, see account_port() */
    char *from;                 /* address, or a pattern like *@example.com */
    char *user;
    char *password;             /* secret: wiped by config_free */
    char *password_command;
    enum tls_mode tls;
    enum auth_mech auth;
    char *tls_trust_file;       /* "system" or a PEM path */
    char *tls_fingerprint;      /* "SHA256:AB:CD:..." normalised to upper case */
    char *tls_cert_file;
    char *tls_key_file;
    int tls_min_version;        /* 12 or 13 */
    char *tls_server_name;
    char *domain;               /* EHLO name; NULL: local_fqdn() */
    int timeout;                /* seconds, default 60 */
    char *dsn_notify;
    char *dsn_return;
    enum protocol protocol;
    enum tristate add_date, add_message_id, add_from;
    bool remove_bcc;            /* default on */
    bool queue;                 /* default on */
    long max_queue_age;         /* seconds, default 5 days */
    bool bounce;                /* a DSN to the sender of mail that failed for
                                 * good; default on for root (system mode) */
    /* mailout(1) OAUTH 2: the built-in OAuth 2 (oauth2.h fills the preset's values) */
    enum oauth2_provider oauth2_provider;
    char *oauth2_client_id;
    char *oauth2_client_secret_command;
    char *oauth2_tenant;
    char *oauth2_token_url;     /* https:// URLs */
    char *oauth2_device_url;
    char *oauth2_auth_url;
    char *oauth2_scope;
    char *oauth2_trust_file;    /* "system" or a PEM path */
    enum rewrite_mode rewrite_from;     /* default local */
    char *fallback;             /* account names, as written (fallback.h);
                                 * the account's own: never inherited */
    char *file;                 /* where the section was defined, for messages */
    int line;
    /* per key of conf_account_key(i): the value's origin, and the origin of
     * the value it replaced (file NULL when it replaced none) */
    struct conf_origin *origin, *overridden;
};

struct config {
    char *default_account;
    char *aliases;              /* path, tilde-expanded */
    char *logfile;              /* path, tilde-expanded, or NULL */
    bool syslog;
    char *queue_dir;            /* tilde-expanded; never NULL after
                                 * config_load (config_default_queue_dir) */
    char *qualify_domain;       /* bare local names get @this; NULL: none */
    long message_size_limit;    /* bytes, for incoming/ (system mode) */
    struct account *accounts;
    size_t n_accounts;
    char **files;               /* the files actually read, in order */
    size_t n_files;
    /* config_check_load only: every problem found, "FILE:LINE: KEY: why" */
    char **problems;
    size_t n_problems;
};

/* Loads -C FILE alone when explicit_file is set, else the system file then the
 * user file (XDG / $MAILOUT_CONFIG). Missing default files are not an error.
 * Errors are EX_CONFIG and name file, line and key; the return value is -1,
 * or CONFIG_UNREADABLE when a file could not be read at all (a message is
 * kept in failed/ only for a configuration that was read, mailout(1) QUEUE). */
#define CONFIG_UNREADABLE (-2)
int config_load(struct config *cfg, const char *explicit_file, struct mo_err *err);

/* As config_load, but goes on after an error: every problem of every file
 * lands in cfg->problems (the accounts without one are built); returns 0
 * unless out of memory. For --check-config. */
int config_check_load(struct config *cfg, const char *explicit_file, struct mo_err *err);

/* The account keys, in the order of account.origin. */
size_t conf_n_account_keys(void);
const char *conf_account_key(size_t i);

/* The value of account key i as the file would spell it, into buf; the
 * password and password_command show as "(set)" (a command may hold a
 * secret). Returns false when the key is unset. */
bool conf_account_value(const struct account *a, size_t i, char *buf, size_t n);

/* The origin of key name in a, or NULL for an unknown key. */
const struct conf_origin *conf_key_origin(const struct account *a, const char *name);

/* Loads exactly these files in order (each must exist), a later section
 * replacing an earlier one, as config_load does with its files. */
int conf_load_files(struct config *cfg, const char *const *paths, size_t n,
                    struct mo_err *err);

/* Parses text as one configuration file called name (for messages), with
 * every check of config_load but the permission one; for tests and fuzzing. */
int conf_load_from_string(struct config *cfg, const char *name, const char *text,
                          struct mo_err *err);

/* A duration: one or more NUMBER[smhdw] ("5d", "1h30m", "90"; a bare number
 * is seconds) in seconds. 0, or -1 when s is not one. seconds may be NULL. */
int conf_parse_duration(const char *s, long *seconds);

/* The account called name[0..len) (exactly, as in its section header), or
 * NULL. */
const struct account *config_find_account(const struct config *cfg, const char *name,
                                          size_t len);

/* Account selection (mailout(1), ACCOUNT SELECTION): by name if given, else the first account (in file
 * order) whose from matches sender, else default_account, else the only
 * account; NULL with err (EX_CONFIG) filled when none fits. */
const struct account *config_select_account(const struct config *cfg,
        const char *name, const char *sender, struct mo_err *err);

/* True if addr matches a from pattern ("*@example.com" or an exact address,
 * case-insensitive). */
bool config_from_matches(const char *pattern, const char *addr);

/* A size: bytes, or a number with a K, M or G suffix (powers of 1024),
 * from 1000 bytes to 2 GiB; 0, or -1 when s is not one. */
int conf_parse_size(const char *s, long *bytes);

/* 0 if s is a DSN NOTIFY value: "never", or a comma list of success,
 * failure, delay (each once, case-insensitive); -1 otherwise. */
int conf_check_dsn_notify(const char *s);

/* The port used when the account leaves port unset: 587 starttls, 465
 * implicit, 25 off; 24 for lmtp. */
int account_port(const struct account *a);

/* The queue directory when queue_dir is not set (mailout(1), QUEUE,
 * Directory): root's SPOOLDIR/queue, else $XDG_STATE_HOME/mailout/queue when that is an
 * absolute path, else ~/.local/state/mailout/queue. Caller frees. */
char *config_default_queue_dir(void);

/* mailout's state directory, where a default path under it is made:
 * $XDG_STATE_HOME/mailout when that is an absolute path, else root's
 * /var/lib/mailout, else ~/.local/state/mailout. Caller frees. */
char *config_state_dir(void);

/* Paths for --version. */
const char *config_system_path(void);
char *config_user_path(void);   /* caller frees */

void config_free(struct config *cfg);

#endif
