/* checkconf.c - --check-config: the configuration loaded in the mode that
 * goes on after an error, every account's keys with their origin, and the
 * mistakes that load without error but cannot work (port 465 with
 * tls = starttls, ...), all in one run. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "i18n.h"
#include "err.h"
#include "util.h"
#include "checkconf.h"
#include "sasl.h"
#include "secrets.h"
#include "serverinfo.h"

struct lint {
    const struct account *a;
    char ***lines;
    size_t *n;
    size_t found;
};

static void add_line(char ***lines, size_t *n, char *text)
{
    *lines = xreallocarray(*lines, *n + 1, sizeof **lines);
    (*lines)[(*n)++] = text;
}

/* A problem at the line that set key (the account's header when the value
 * is a built-in default). */
static void problem(struct lint *l, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(struct lint *l, const char *key, const char *fmt, ...)
{
    const struct conf_origin *o = conf_key_origin(l->a, key);
    const char *file = o != NULL && o->file != NULL ? o->file : l->a->file;
    int line = o != NULL && o->file != NULL ? o->line : l->a->line;
    char why[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    add_line(l->lines, l->n, xasprintf("%s:%d: %s: [account %s] %s", file, line, key,
                                       l->a->name, why));
    l->found++;
}

static bool key_set(const struct account *a, const char *key)
{
    const struct conf_origin *o = conf_key_origin(a, key);
    return o != NULL && o->file != NULL;
}

static void lint_port_tls(struct lint *l)
{
    const struct account *a = l->a;
    int port = account_port(a);

    if (a->protocol != PROTO_SMTP)
        return;
    if (port == 465 && a->tls != TLS_IMPLICIT)
        problem(l, key_set(a, "port") ? "port" : "tls", "%s",
                _("port 465 speaks TLS from the start: set tls = implicit (or port = 587 for STARTTLS)"));
    if ((port == 587 || port == 25) && a->tls == TLS_IMPLICIT)
        problem(l, "tls", _("port %d greets in plain text and expects STARTTLS: set tls = starttls (or port = 465)"),
                port);
}

static bool needs_user(enum auth_mech m)
{
    return m != AUTH_AUTO && m != AUTH_OFF && m != AUTH_EXTERNAL;
}

/* AUTH that would show the secret to a listener without TLS (auto may
 * pick such a mechanism, and mailout then refuses). */
static bool clear_mech(enum auth_mech m)
{
    return m == AUTH_AUTO || sasl_mech(m)->cleartext || sasl_mech(m)->channel_bound;
}

static void lint_secrets(struct lint *l)
{
    const struct account *a = l->a;
    const struct conf_origin *pw = conf_key_origin(a, "password");

    if (a->password != NULL && a->password_command != NULL)
        problem(l, "password_command",
                _("password is set too (%s:%d) and is used first, so this command never runs: remove one of them"),
                pw->file, pw->line);
    if (a->user == NULL && (a->password != NULL || a->password_command != NULL))
        problem(l, a->password != NULL ? "password" : "password_command", "%s",
                _("a password without user is never used: set user (the login name)"));
    if (a->user == NULL && needs_user(a->auth))
        problem(l, "auth", "%s", _("this method needs a login name: set user"));
    if (a->auth == AUTH_EXTERNAL && a->tls_cert_file == NULL)
        problem(l, "auth", "%s", _("auth = external logs in with a client certificate: set tls_cert_file and tls_key_file"));
    if (a->tls == TLS_OFF && a->user != NULL && a->auth != AUTH_OFF && clear_mech(a->auth))
        problem(l, "tls", "%s",
                _("tls = off: mailout refuses to send this account's password in clear; set tls = starttls or tls = implicit"));
}

static void lint_file(struct lint *l, const char *key, const char *path)
{
    struct stat st;

    if (path == NULL || strcmp(path, "system") == 0)
        return;
    if (access(path, R_OK) != 0)
        problem(l, key, _("cannot read %s: %s"), path, strerror(errno));
    else if (strcmp(key, "tls_key_file") == 0 && stat(path, &st) == 0
             && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
        problem(l, key, _("the private key %s is readable by others: run chmod 600 %s"), path, path);
}

static void lint_tls(struct lint *l)
{
    const struct account *a = l->a;
    static const char *const unused_off[] = { "tls_fingerprint", "tls_server_name",
                                              "tls_cert_file", "tls_min_version" };

    if ((a->tls_cert_file == NULL) != (a->tls_key_file == NULL))
        problem(l, a->tls_cert_file ? "tls_cert_file" : "tls_key_file", "%s",
                _("a client certificate needs both tls_cert_file and tls_key_file"));
    lint_file(l, "tls_trust_file", a->tls_trust_file);
    lint_file(l, "tls_cert_file", a->tls_cert_file);
    lint_file(l, "tls_key_file", a->tls_key_file);
    if (a->tls != TLS_OFF)
        return;
    for (size_t i = 0; i < sizeof unused_off / sizeof unused_off[0]; i++)
        if (key_set(a, unused_off[i]))
            problem(l, unused_off[i], "%s", _("tls = off: this key is never used"));
}

static void lint_host(struct lint *l)
{
    const char *h = l->a->host;
    const char *colon = strchr(h, ':');

    if (strstr(h, "://") != NULL || (colon != NULL && strchr(colon + 1, ':') == NULL))
        problem(l, "host", _("'%s' is not a host name: write the name alone (host = smtp.example.com) and the port as port = N"),
                h);
}

size_t checkconf_account(const struct account *a, char ***lines, size_t *n)
{
    struct lint l = { a, lines, n, 0 };

    lint_host(&l);
    lint_port_tls(&l);
    lint_secrets(&l);
    lint_tls(&l);
    return l.found;
}

/* ------------------------------------------------------------ reports */

static void print_origin(FILE *out, const struct conf_origin *o, const struct conf_origin *over)
{
    if (o == NULL || o->file == NULL) {
        fprintf(out, "%s\n", _("(default)"));
        return;
    }
    fprintf(out, "%s:%d %s", o->file, o->line, o->section);
    if (over != NULL && over->file != NULL)
        fprintf(out, _(", overrides %s:%d %s"), over->file, over->line, over->section);
    fputc('\n', out);
}

static void describe_keys(FILE *out, const struct account *a, const char *prefix)
{
    char value[512];

    fprintf(out, _("%s[account %s] %s:%d\n"), prefix, a->name, a->file, a->line);
    for (size_t i = 0; i < conf_n_account_keys(); i++) {
        if (!conf_account_value(a, i, value, sizeof value))
            continue;
        fprintf(out, "%s  %-17s = %-28s ", prefix, conf_account_key(i), value);
        print_origin(out, a->origin ? &a->origin[i] : NULL,
                     a->overridden ? &a->overridden[i] : NULL);
    }
}

static void describe_files(FILE *out, const struct config *cfg, const char *prefix)
{
    if (cfg->n_files == 0)
        fprintf(out, "%s%s\n", prefix, _("no configuration file was read"));
    for (size_t i = 0; i < cfg->n_files; i++)
        fprintf(out, _("%sconfiguration read: %s\n"), prefix, cfg->files[i]);
}

static const char *why_chosen(const struct config *cfg, const struct account *a,
                              const char *name, const char *sender)
{
    if (name != NULL)
        return _("chosen with -a");
    if (sender != NULL && sender[0] != '\0' && config_from_matches(a->from, sender))
        return _("its from matches the sender");
    if (cfg->default_account != NULL && strcmp(cfg->default_account, a->name) == 0)
        return _("default_account");
    return _("the only account");
}

void checkconf_describe(FILE *out, const struct config *cfg, const struct account *a,
                        const char *name, const char *sender)
{
    describe_files(out, cfg, "D: ");
    fprintf(out, _("D: account %s (%s)\n"), a->name, why_chosen(cfg, a, name, sender));
    describe_keys(out, a, "D: ");
}

/* A file anyone else can change could run a password_command of theirs. */
static void lint_file_modes(const struct config *cfg, char ***lines, size_t *n)
{
    struct stat st;

    for (size_t i = 0; i < cfg->n_files; i++)
        if (stat(cfg->files[i], &st) == 0 && S_ISREG(st.st_mode)
                && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
            add_line(lines, n, xasprintf(_("%s: writable by others, who could change where mail and passwords go: run chmod go-w %s"),
                                         cfg->files[i], cfg->files[i]));
}

static bool wanted(const struct account *a, const char *only)
{
    return only == NULL || strcmp(a->name, only) == 0;
}

/* What one run found: the problem lines, and the exit code of the first. */
struct findings {
    char **lines;
    size_t n;
    int first;
};

/* --connect: the account's server, step by step on out; its failure is a
 * problem line too. */
static void connect_account(const struct account *a, const struct checkconf_opts *o,
                            FILE *out, struct findings *f)
{
    struct smtp_options opt = { .acct = a, .verbose = o->verbose, .debug = o->debug };
    struct mo_err pw_err = { 0, "" }, err = { 0, "" };
    char *password = NULL;
    bool no_password = false;

    if (a->host == NULL)
        return;     /* reported already */
    if (sasl_login_needs_password(a->auth, a->user))
        no_password = secret_get_password(a, &password, &pw_err) != 0;
    opt.password = password;
    fprintf(out, _("\nthe server of account %s, step by step:\n"), a->name);
    fflush(out);
    if (smtp_check_connection(&opt, no_password ? &pw_err : NULL, out, &err) != 0) {
        add_line(&f->lines, &f->n, xasprintf(_("[account %s] %s"), a->name, err.msg));
        if (f->first == EX_OK)
            f->first = err.code;
    }
    secret_free(password);
}

static void check_accounts(FILE *out, const struct config *cfg, const struct checkconf_opts *o,
                           struct findings *f)
{
    bool seen = false;

    for (size_t i = 0; i < cfg->n_accounts; i++) {
        if (!wanted(&cfg->accounts[i], o->account))
            continue;
        seen = true;
        fputc('\n', out);
        describe_keys(out, &cfg->accounts[i], "");
        if (checkconf_account(&cfg->accounts[i], &f->lines, &f->n) > 0 && f->first == EX_OK)
            f->first = EX_CONFIG;
        if (o->connect)
            connect_account(&cfg->accounts[i], o, out, f);
    }
    if (o->account != NULL && !seen)
        add_line(&f->lines, &f->n, xasprintf(_("no account named '%s' in the configuration"), o->account));
    else if (cfg->n_accounts == 0)
        add_line(&f->lines, &f->n, xstrdup(_("no account is configured: add an [account NAME] section with host")));
}

int checkconf_run(const struct checkconf_opts *o, FILE *out, FILE *errout)
{
    struct config cfg;
    struct mo_err err = { 0, "" };
    struct findings f = { NULL, 0, EX_OK };

    if (config_check_load(&cfg, o->file, &err) != 0) {
        fprintf(errout, "mailout: %s\n", err.msg);
        return err.code;
    }
    describe_files(out, &cfg, "");
    for (size_t i = 0; i < cfg.n_problems; i++)
        add_line(&f.lines, &f.n, xstrdup(cfg.problems[i]));
    lint_file_modes(&cfg, &f.lines, &f.n);
    if (f.n > 0)
        f.first = EX_CONFIG;
    check_accounts(out, &cfg, o, &f);
    fputc('\n', out);
    fflush(out);
    for (size_t i = 0; i < f.n; i++) {
        fprintf(errout, "mailout: %s\n", f.lines[i]);
        free(f.lines[i]);
    }
    free(f.lines);
    if (f.n == 0)
        fprintf(out, "%s\n", _("no problems found"));
    else
        fprintf(out, ngettext("%zu problem found\n", "%zu problems found\n", f.n), f.n);
    config_free(&cfg);
    return f.n == 0 ? EX_OK : f.first != EX_OK ? f.first : EX_CONFIG;
}
