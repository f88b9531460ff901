/* conf.h - the INI configuration of SPEC §2, loaded with the system inih. */
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
/* rewrite_from (SPEC §2): which From and envelope senders become the
 * account's from. */
enum rewrite_mode { REWRITE_LOCAL, REWRITE_OFF, REWRITE_ALWAYS };

/* The system spool: root's queue is SPOOLDIR/queue, incoming/ is next to it
 * (SPEC §7). The build sets it from $(localstatedir). */
#ifndef SPOOLDIR
#define SPOOLDIR "/var/spool/mailout"
#endif

/* message_size_limit's default (SPEC §7): 50 MB. */
#define CONF_DEFAULT_SIZE_LIMIT (50L * 1024 * 1024)

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
    /* SPEC §8: the built-in OAuth 2 (oauth2.h fills the preset's values) */
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
    char *file;                 /* where the section was defined, for messages */
    int line;
};

struct config {
    char *default_account;
    char *aliases;              /* path, tilde-expanded */
    char *logfile;              /* path, tilde-expanded, or NULL */
    bool syslog;
    char *queue_dir;            /* tilde-expanded; default per SPEC */
    char *qualify_domain;       /* bare local names get @this; NULL: none */
    long message_size_limit;    /* bytes, for incoming/ (system mode) */
    struct account *accounts;
    size_t n_accounts;
    char **files;               /* the files actually read, in order */
    size_t n_files;
};

/* Loads -C FILE alone when explicit_file is set, else the system file then the
 * user file (XDG / $MAILOUT_CONFIG). Missing default files are not an error.
 * Errors are EX_CONFIG and name file, line and key. */
int config_load(struct config *cfg, const char *explicit_file, struct mo_err *err);

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

/* SPEC §2 selection: by name if given, else the first account (in file
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

/* Paths for --version. */
const char *config_system_path(void);
char *config_user_path(void);   /* caller frees */

void config_free(struct config *cfg);

#endif
