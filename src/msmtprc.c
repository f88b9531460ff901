/* msmtprc.c - msmtp's configuration, converted to mailout's INI.
 *
 * msmtp's format (msmtp(1), checked against msmtp 1.8.23): one command per
 * line with an optional argument; a line whose first non-blank character is
 * '#' is a comment; an argument that starts and ends with '"' loses those two
 * quotes and nothing else ("cat ~/.pw" is the command cat ~/.pw); "defaults"
 * sets values for the accounts that follow; "account NAME : A, B" starts an
 * account with the current defaults and then everything A and B set.
 *
 * Each account is resolved here as msmtp resolves it and written out whole,
 * so that the INI means exactly what the msmtprc meant. msmtp's defaults
 * that differ from mailout's (no TLS, no AUTH, port 25) are written out
 * explicitly. A setting without an equivalent becomes a "; " comment that
 * says why. The text is then loaded with mailout's own parser; a value that
 * mailout refuses is commented out with the reason, so that the output always
 * loads. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "i18n.h"
#include "util.h"
#include "conf.h"
#include "msmtprc.h"

#define RC_MAX_SIZE (1024 * 1024)
#define RC_MAX_ACCOUNTS 1000
#define CHECK_NAME "import"

/* ------------------------------------------------------------ the model */

struct setting {
    char *key;
    char *val;
    int line;
};

struct macct {
    char *name;
    int line;
    bool own;               /* has lines of its own after "account" */
    size_t n_parents;
    char *parent;           /* the first parent, for "account default : X" */
    struct setting *set;
    size_t n;
};

struct rc {
    const char *file;
    int line;
    struct macct defaults;
    struct macct *acct;
    size_t n_acct;
    struct macct *cur;
    struct mo_err *err;
};

static int rc_fail(struct rc *rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rc_fail(struct rc *rc, const char *fmt, ...)
{
    char why[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return mo_err_set(rc->err, EX_CONFIG, "%s:%d: %s", rc->file, rc->line, why);
}

static void macct_free(struct macct *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->set[i].key);
        secret_free(a->set[i].val);     /* may be a password */
    }
    free(a->set);
    free(a->name);
    free(a->parent);
    memset(a, 0, sizeof *a);
}

static void rc_free(struct rc *rc)
{
    macct_free(&rc->defaults);
    for (size_t i = 0; i < rc->n_acct; i++)
        macct_free(&rc->acct[i]);
    free(rc->acct);
}

static const struct setting *get_setting(const struct macct *a, const char *key)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->set[i].key, key) == 0)
            return &a->set[i];
    return NULL;
}

static const char *get(const struct macct *a, const char *key)
{
    const struct setting *s = get_setting(a, key);
    return s ? s->val : NULL;
}

/* A later value replaces an earlier one, as in msmtp. */
static void put(struct macct *a, const char *key, const char *val, int line)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->set[i].key, key) == 0) {
            secret_free(a->set[i].val);
            a->set[i].val = xstrdup(val);
            a->set[i].line = line;
            return;
        }
    a->set = xreallocarray(a->set, a->n + 1, sizeof *a->set);
    a->set[a->n].key = xstrdup(key);
    a->set[a->n].val = xstrdup(val);
    a->set[a->n].line = line;
    a->n++;
}

static void copy_settings(struct macct *to, const struct macct *from)
{
    for (size_t i = 0; i < from->n; i++)
        put(to, from->set[i].key, from->set[i].val, from->set[i].line);
}

static struct macct *find_acct(struct rc *rc, const char *name)
{
    for (size_t i = 0; i < rc->n_acct; i++)
        if (strcmp(rc->acct[i].name, name) == 0)
            return &rc->acct[i];
    return NULL;
}

/* ------------------------------------------------------------ checks */

enum chk { C_ANY, C_ARG, C_ONOFF, C_PORT, C_TIMEOUT, C_AUTH, C_PROTO,
           C_SET_FROM, C_AUTO_OFF, C_DSN_RET, C_DSN_NOTIFY };

static const struct command {
    const char *name;
    enum chk chk;
} commands[] = {
    { "host", C_ARG }, { "port", C_PORT }, { "timeout", C_TIMEOUT },
    { "protocol", C_PROTO }, { "domain", C_ANY }, { "auth", C_AUTH },
    { "user", C_ANY }, { "password", C_ANY }, { "passwordeval", C_ANY },
    { "ntlmdomain", C_ANY }, { "tls", C_ONOFF }, { "tls_starttls", C_ONOFF },
    { "tls_trust_file", C_ANY }, { "tls_crl_file", C_ANY },
    { "tls_fingerprint", C_ANY }, { "tls_key_file", C_ANY },
    { "tls_cert_file", C_ANY }, { "tls_certcheck", C_ONOFF },
    { "tls_min_dh_prime_bits", C_ANY }, { "tls_priorities", C_ANY },
    { "tls_host_override", C_ANY }, { "from", C_ANY },
    { "from_full_name", C_ANY }, { "allow_from_override", C_ONOFF },
    { "set_from_header", C_SET_FROM }, { "set_date_header", C_AUTO_OFF },
    { "set_msgid_header", C_AUTO_OFF }, { "remove_bcc_headers", C_ONOFF },
    { "undisclosed_recipients", C_ONOFF }, { "dsn_notify", C_DSN_NOTIFY },
    { "dsn_return", C_DSN_RET }, { "logfile", C_ANY },
    { "logfile_time_format", C_ANY }, { "syslog", C_ANY }, { "aliases", C_ANY },
    { "auto_from", C_ONOFF }, { "maildomain", C_ANY },
    { "add_missing_from_header", C_ONOFF }, { "add_missing_date_header", C_ONOFF },
    { "source_ip", C_ANY }, { "proxy_host", C_ANY }, { "proxy_port", C_ANY },
    { "socket", C_ANY }, { "eval", C_ANY },
};

static const char *const mechs[] = {
    "plain", "login", "cram-md5", "scram-sha-1", "scram-sha-256", "xoauth2",
    "oauthbearer", "external", "gssapi", "digest-md5", "ntlm",
};

static bool is_on(const char *v)
{
    return v[0] == '\0' || strcmp(v, "on") == 0;
}

static bool in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_strcasecmp(v, list[i]) == 0)
            return true;
    return false;
}
#define IN(v, ...) in_list(v, (const char *const[]){ __VA_ARGS__ }, \
    sizeof (const char *const[]){ __VA_ARGS__ } / sizeof (const char *))

static bool is_number(const char *v, long lo, long hi)
{
    char *end;
    long l;

    if (v[0] < '0' || v[0] > '9')
        return false;
    errno = 0;
    l = strtol(v, &end, 10);
    return *end == '\0' && errno == 0 && l >= lo && l <= hi;
}

static bool value_ok(enum chk c, const char *v)
{
    switch (c) {
    case C_ARG: return v[0] != '\0';
    case C_ONOFF: return is_on(v) || strcmp(v, "off") == 0;
    case C_PORT: return is_number(v, 1, 65535);
    case C_TIMEOUT: return strcmp(v, "off") == 0 || is_number(v, 0, 1000000000L);
    case C_AUTH:
        return is_on(v) || strcmp(v, "off") == 0
            || in_list(v, mechs, sizeof mechs / sizeof mechs[0]);
    case C_PROTO: return IN(v, "smtp", "lmtp");
    case C_SET_FROM: return IN(v, "auto", "on", "off") || v[0] == '\0';
    case C_AUTO_OFF: return IN(v, "auto", "off");
    case C_DSN_RET: return IN(v, "off", "headers", "full");
    case C_DSN_NOTIFY: return strcmp(v, "off") == 0 || conf_check_dsn_notify(v) == 0;
    default: return true;
    }
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* ------------------------------------------------------------ parsing */

/* "NAME", "NAME : A, B": starts an account from the defaults and its
 * parents (each defined earlier). */
static int begin_account(struct rc *rc, char *arg)
{
    char *colon = strchr(arg, ':');
    char *name = arg, *list = NULL;
    struct macct a;

    if (colon != NULL) {
        *colon = '\0';
        list = colon + 1;
    }
    name[strcspn(name, " \t")] = '\0';
    if (name[0] == '\0')
        return rc_fail(rc, "%s", _("account needs a name"));
    if (find_acct(rc, name) != NULL)
        return rc_fail(rc, _("account %s is defined twice"), name);
    if (rc->n_acct >= RC_MAX_ACCOUNTS)
        return rc_fail(rc, _("more than %d accounts"), RC_MAX_ACCOUNTS);
    memset(&a, 0, sizeof a);
    a.name = xstrdup(name);
    a.line = rc->line;
    copy_settings(&a, &rc->defaults);
    char *save = NULL;
    for (char *tok = list ? strtok_r(list, ", \t", &save) : NULL; tok != NULL;
            tok = strtok_r(NULL, ", \t", &save)) {
        const struct macct *parent = find_acct(rc, tok);
        if (parent == NULL) {
            macct_free(&a);
            return rc_fail(rc, _("account %s inherits from %s, which is not defined before it"),
                           name, tok);
        }
        copy_settings(&a, parent);
        if (a.n_parents++ == 0)
            a.parent = xstrdup(tok);
    }
    rc->acct = xreallocarray(rc->acct, rc->n_acct + 1, sizeof *rc->acct);
    rc->acct[rc->n_acct] = a;
    rc->cur = &rc->acct[rc->n_acct++];
    return 0;
}

/* Splits one line (NUL-terminated, no newline) into command and argument,
 * the argument unquoted as msmtp does. Returns 0 with *cmd NULL for a blank
 * or comment line. */
static void split_line(char *s, char **cmd, char **arg)
{
    size_t n;

    *cmd = NULL;
    *arg = NULL;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0' || *s == '#')
        return;
    *cmd = s;
    s += strcspn(s, " \t");
    if (*s != '\0')
        *s++ = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    *arg = s;
}

static int parse_line(struct rc *rc, char *s)
{
    char *cmd, *arg;
    const struct command *c;

    split_line(s, &cmd, &arg);
    if (cmd == NULL)
        return 0;
    if (strcmp(cmd, "defaults") == 0) {
        rc->cur = &rc->defaults;
        return 0;
    }
    if (strcmp(cmd, "account") == 0)
        return begin_account(rc, arg);
    if ((c = find_command(cmd)) == NULL)
        return rc_fail(rc, _("unknown command %s"), cmd);
    if (!value_ok(c->chk, arg))
        return arg[0] == '\0' ? rc_fail(rc, _("command %s needs an argument"), cmd)
                              : rc_fail(rc, _("invalid argument %s for command %s"), arg, cmd);
    if (rc->cur == NULL)
        rc->cur = &rc->defaults;    /* msmtp takes these as defaults */
    put(rc->cur, cmd, arg, rc->line);
    if (rc->cur != &rc->defaults)
        rc->cur->own = true;
    return 0;
}

static int parse_text(struct rc *rc, const char *text, size_t len)
{
    size_t pos = 0;

    if (memchr(text, '\0', len) != NULL) {
        rc->line = 1;
        for (const char *p = text; *p; p++)
            rc->line += *p == '\n';
        return rc_fail(rc, "%s", _("NUL byte in the file"));
    }
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char *line = xstrndup(text + pos, n);
        int rcode;

        rc->line++;
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        rcode = parse_line(rc, line);
        OPENSSL_cleanse(line, n);  /* split_line put NULs in it */
        free(line);
        if (rcode != 0)
            return -1;
        pos += n + (nl != NULL);
    }
    return 0;
}

/* ------------------------------------------------------------ output */

struct oline {
    char *key;              /* NULL: text is the whole line */
    char *text;             /* the value, or the whole line */
    int src;                /* msmtprc line, 0 for none */
    bool secret;            /* never shown in a comment */
};

struct out {
    struct oline *v;
    size_t n;
    const char *file;
};

static void out_push(struct out *o, const char *key, const char *text, int src,
                     bool secret)
{
    o->v = xreallocarray(o->v, o->n + 1, sizeof *o->v);
    o->v[o->n].key = key ? xstrdup(key) : NULL;
    o->v[o->n].text = xstrdup(text);
    o->v[o->n].src = src;
    o->v[o->n].secret = secret;
    o->n++;
}

static void out_free(struct out *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].key);
        secret_free(o->v[i].text);
    }
    free(o->v);
}

static void out_raw(struct out *o, const char *text)
{
    out_push(o, NULL, text, 0, false);
}

static void out_note(struct out *o, int src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void out_note(struct out *o, int src, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    text[strcspn(text, "\r\n")] = '\0';
    char *line = xasprintf("; %s", text);
    out_push(o, NULL, line, src, false);
    free(line);
}

/* inih ends a value at " ;" and trims blanks: such a value cannot be
 * written, and is a comment instead (without the value if secret). */
static bool writable(const char *v)
{
    size_t n = strlen(v);

    for (size_t i = 1; i < n; i++)
        if (v[i] == ';' && (v[i - 1] == ' ' || v[i - 1] == '\t'))
            return false;
    return n == 0 || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t');
}

/* A shell command for sh -c: blanks before a ';' outside quotes mean
 * nothing to the shell but end the value for inih, so they go. */
static char *shell_unblank(const char *cmd)
{
    char *out = xstrdup(cmd);
    size_t o = 0;
    char quote = 0;

    for (size_t i = 0; cmd[i] != '\0'; i++) {
        char c = cmd[i];
        if (quote == 0 && c == ';')
            while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
        out[o++] = c;
        if (c == '\\' && quote != '\'' && cmd[i + 1] != '\0')
            out[o++] = cmd[++i];
        else if (quote == 0 && (c == '\'' || c == '"'))
            quote = c;
        else if (quote == c)
            quote = 0;
    }
    out[o] = '\0';
    return out;
}

static void out_key(struct out *o, const char *key, const char *val, int src, bool secret)
{
    if (!writable(val)) {
        if (secret)
            out_note(o, src, _("%s: its value cannot be written here (it has \" ;\" or blanks at an end); use mailout --store-password or a password_command script"), key);
        else
            out_note(o, src, _("%s %s: cannot be written here (it has \" ;\" or blanks at an end); put it in a script and name that"), key, val);
        return;
    }
    out_push(o, key, val, src, secret);
}

/* The msmtp setting as it was written, for comments. */
static void out_unsupported(struct out *o, const struct macct *a, const char *cmd,
                            const char *why)
{
    const struct setting *s = get_setting(a, cmd);

    if (s != NULL)
        out_note(o, s->line, _("msmtp's \"%s %s\" has no equivalent: %s"), cmd, s->val, why);
}

/* ------------------------------------------------------------ conversion */

static int line_of(const struct macct *a, const char *key)
{
    const struct setting *s = get_setting(a, key);
    return s ? s->line : a->line;
}

/* Writes msmtp's key as mailout's key when it is set. */
static void same(struct out *o, const struct macct *a, const char *from, const char *to)
{
    const struct setting *s = get_setting(a, from);

    if (s != NULL && s->val[0] != '\0')
        out_key(o, to, s->val, s->line, false);
}

static void emit_server(struct out *o, const struct macct *a)
{
    const char *tls = get(a, "tls"), *st = get(a, "tls_starttls");
    const char *port = get(a, "port"), *proto = get(a, "protocol");
    bool tls_on = tls != NULL && is_on(tls);
    bool starttls = st == NULL || is_on(st);
    bool lmtp = proto != NULL && strcmp(proto, "lmtp") == 0;

    same(o, a, "host", "host");
    /* msmtp's defaults (25, 465 for TLS without STARTTLS, 2003 for LMTP)
     * are not mailout's: the port is always written */
    if (port == NULL)
        port = lmtp ? "2003" : tls_on && !starttls ? "465" : "25";
    out_key(o, "port", port, line_of(a, "port"), false);
    out_key(o, "tls", !tls_on ? "off" : starttls ? "starttls" : "implicit",
            line_of(a, tls_on ? "tls_starttls" : "tls"), false);
    if (lmtp)
        out_key(o, "protocol", "lmtp", line_of(a, "protocol"), false);
    same(o, a, "tls_trust_file", "tls_trust_file");
    same(o, a, "tls_fingerprint", "tls_fingerprint");
    same(o, a, "tls_cert_file", "tls_cert_file");
    same(o, a, "tls_key_file", "tls_key_file");
    same(o, a, "tls_host_override", "tls_server_name");
    if (get(a, "tls_certcheck") != NULL && !is_on(get(a, "tls_certcheck")))
        out_unsupported(o, a, "tls_certcheck",
                        _("mailout always verifies the certificate; for a self-signed one set tls_fingerprint (mailout --serverinfo prints it) or tls_trust_file"));
    out_unsupported(o, a, "tls_crl_file", _("mailout does not read CRL files"));
    out_unsupported(o, a, "tls_priorities", _("use tls_min_version = 1.2 or 1.3"));
    out_unsupported(o, a, "tls_min_dh_prime_bits", _("OpenSSL's defaults apply"));
}

static void emit_auth(struct out *o, const struct macct *a)
{
    const char *auth = get(a, "auth"), *user = get(a, "user");
    const char *pw = get(a, "password"), *eval = get(a, "passwordeval");
    bool has_user = user != NULL && user[0] != '\0';

    if (auth == NULL || strcmp(auth, "off") == 0) {
        /* msmtp does not authenticate unless told to; mailout does when
         * there is a user */
        if (has_user)
            out_key(o, "auth", "off", line_of(a, "auth"), false);
    } else if (IN(auth, "gssapi", "digest-md5", "ntlm")) {
        out_unsupported(o, a, "auth", _("mailout does not offer this mechanism; it picks the best one the server offers"));
    } else if (!is_on(auth)) {
        char *lower = xstrdup(auth);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        out_key(o, "auth", lower, line_of(a, "auth"), false);
        free(lower);
    }
    same(o, a, "user", "user");
    if (pw != NULL && pw[0] != '\0')
        out_key(o, "password", pw, line_of(a, "password"), true);
    if (eval != NULL && eval[0] != '\0') {
        char *cmd = shell_unblank(eval);
        out_key(o, "password_command", cmd, line_of(a, "passwordeval"), false);
        free(cmd);
    }
    if (has_user && auth != NULL && strcmp(auth, "off") != 0
            && (pw == NULL || pw[0] == '\0') && (eval == NULL || eval[0] == '\0'))
        out_note(o, 0, _("password: mailout uses the keyring entry msmtp used (host %s service smtp user %s), else ~/.netrc, else asks"),
                 get(a, "host") ? get(a, "host") : "?", user);
    out_unsupported(o, a, "ntlmdomain", _("mailout does not speak NTLM"));
}

/* msmtp's "%U@example.com" (the login name) is mailout's pattern
 * "*@example.com": a local sender gets the domain of the pattern. */
static void emit_from(struct out *o, const struct macct *a)
{
    const struct setting *s = get_setting(a, "from");

    if (s == NULL || s->val[0] == '\0')
        return;
    if (strchr(s->val, '%') == NULL) {
        out_key(o, "from", s->val, s->line, false);
    } else if (strncmp(s->val, "%U@", 3) == 0 && strchr(s->val + 3, '%') == NULL) {
        char *pat = xasprintf("*%s", s->val + 2);
        out_note(o, s->line, _("msmtp's \"from %s\": the sender is the login name at %s, or the From field's address"),
                 s->val, s->val + 3);
        out_key(o, "from", pat, s->line, false);
        free(pat);
    } else {
        out_unsupported(o, a, "from", _("mailout has no %-substitutions other than %U@domain"));
    }
}

static bool is_off(const struct macct *a, const char *key)
{
    const char *v = get(a, key);
    return v != NULL && strcmp(v, "off") == 0;
}

static void emit_headers(struct out *o, const struct macct *a)
{
    const char *sfh = get(a, "set_from_header"), *ret = get(a, "dsn_return");
    const char *notify = get(a, "dsn_notify");

    emit_from(o, a);
    if (sfh != NULL && is_on(sfh))
        out_key(o, "rewrite_from", "always", line_of(a, "set_from_header"), false);
    else if (is_off(a, "set_from_header") || is_off(a, "add_missing_from_header"))
        out_key(o, "add_from", "off", line_of(a, "set_from_header"), false);
    if (is_off(a, "set_date_header") || is_off(a, "add_missing_date_header"))
        out_key(o, "add_date", "off", line_of(a, "set_date_header"), false);
    if (is_off(a, "set_msgid_header"))
        out_key(o, "add_message_id", "off", line_of(a, "set_msgid_header"), false);
    if (is_off(a, "remove_bcc_headers"))
        out_key(o, "remove_bcc", "off", line_of(a, "remove_bcc_headers"), false);
    if (notify != NULL && strcmp(notify, "off") != 0)
        out_key(o, "dsn_notify", notify, line_of(a, "dsn_notify"), false);
    if (ret != NULL && strcmp(ret, "off") != 0)
        out_key(o, "dsn_return", strcmp(ret, "headers") == 0 ? "hdrs" : "full",
                line_of(a, "dsn_return"), false);
    out_unsupported(o, a, "from_full_name", _("mailout -F NAME sets the display name of an added From"));
    if (is_off(a, "allow_from_override"))
        out_unsupported(o, a, "allow_from_override", _("mailout always takes -f (rewrite_from = always rewrites the From field)"));
    if (get(a, "undisclosed_recipients") && is_on(get(a, "undisclosed_recipients")))
        out_unsupported(o, a, "undisclosed_recipients", _("mailout leaves To and Cc as the message has them"));
    if (get(a, "auto_from") && is_on(get(a, "auto_from")))
        out_unsupported(o, a, "auto_from", _("set from (a pattern like *@example.com works)"));
    out_unsupported(o, a, "maildomain", _("set from (a pattern like *@example.com works)"));
}

static void emit_misc(struct out *o, const struct macct *a)
{
    const struct setting *t = get_setting(a, "timeout");

    if (t != NULL && (strcmp(t->val, "off") == 0 || strcmp(t->val, "0") == 0))
        out_unsupported(o, a, "timeout", _("mailout always has a timeout (60 s unless set, at most 3600)"));
    else if (t != NULL && is_number(t->val, 1, 3600))
        out_key(o, "timeout", t->val, t->line, false);
    else if (t != NULL) {
        out_note(o, t->line, _("msmtp's \"timeout %s\" is more than mailout's maximum of 3600 s"), t->val);
        out_key(o, "timeout", "3600", t->line, false);
    }
    same(o, a, "domain", "domain");
    out_unsupported(o, a, "source_ip", _("mailout connects from the address the system picks"));
    out_unsupported(o, a, "proxy_host", _("mailout does not use a SOCKS proxy"));
    out_unsupported(o, a, "proxy_port", _("mailout does not use a SOCKS proxy"));
    out_unsupported(o, a, "socket", _("mailout connects over TCP only"));
    out_unsupported(o, a, "logfile_time_format", _("mailout's log lines have a fixed format"));
    out_unsupported(o, a, "eval", _("the importer runs no commands; run it yourself and write the setting it gives"));
}

/* "account default : X" with nothing of its own only names the default. */
static bool is_alias(const struct macct *a)
{
    return strcmp(a->name, "default") == 0 && a->n_parents == 1 && !a->own;
}

static const struct macct *primary(const struct rc *rc)
{
    for (size_t i = 0; i < rc->n_acct; i++)
        if (strcmp(rc->acct[i].name, "default") == 0)
            return &rc->acct[i];
    return rc->n_acct > 0 ? &rc->acct[0] : &rc->defaults;
}

static bool same_value(const char *x, const char *y)
{
    return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* logfile, syslog and aliases are per account in msmtp, program-wide in
 * mailout: the default account's are taken. */
static void emit_global(struct out *o, const struct rc *rc)
{
    const struct macct *p = primary(rc);
    const struct setting *s;

    out_raw(o, "[mailout]");
    if (p != &rc->defaults)
        out_key(o, "default_account", is_alias(p) ? p->parent : p->name, p->line, false);
    if ((s = get_setting(p, "logfile")) != NULL && s->val[0] != '\0') {
        if (strcmp(s->val, "-") == 0)
            out_note(o, s->line, "%s", _("msmtp's \"logfile -\" (standard output) has no equivalent: mailout logs to a file or syslog"));
        else
            out_key(o, "logfile", s->val, s->line, false);
    }
    if ((s = get_setting(p, "syslog")) != NULL && strcmp(s->val, "off") != 0) {
        out_key(o, "syslog", "on", s->line, false);
        if (!is_on(s->val) && strcmp(s->val, "LOG_MAIL") != 0)
            out_note(o, s->line, _("msmtp's \"syslog %s\": mailout logs with facility mail"), s->val);
    }
    if ((s = get_setting(p, "aliases")) != NULL && s->val[0] != '\0')
        out_key(o, "aliases", s->val, s->line, false);
}

static void emit_account(struct out *o, const struct rc *rc, const struct macct *a)
{
    const struct macct *p = primary(rc);
    static const char *const global[] = { "logfile", "syslog", "aliases" };
    char *head = xasprintf("[account %s]", a->name);

    out_raw(o, "");
    out_push(o, NULL, head, a->line, false);
    free(head);
    emit_server(o, a);
    emit_auth(o, a);
    emit_headers(o, a);
    emit_misc(o, a);
    if (is_alias(p))
        p = find_acct((struct rc *)rc, p->parent);
    for (size_t i = 0; p != NULL && i < 3; i++)
        if (!same_value(get(a, global[i]), get(p, global[i])) && get(a, global[i]) != NULL)
            out_note(o, line_of(a, global[i]),
                     _("msmtp's \"%s %s\": mailout has one for all accounts ([mailout] above)"),
                     global[i], get(a, global[i]));
}

static void emit_all(struct out *o, const struct rc *rc)
{
    out_note(o, 0, _("mailout configuration converted from %s by mailout --import-msmtprc"), rc->file);
    out_note(o, 0, _("Save it as ~/.config/mailout/config.ini (the system file: %s),"), config_system_path());
    out_note(o, 0, "%s", _("then try it: mailout --dry-run you@example.com < /dev/null"));
    out_raw(o, "");
    emit_global(o, rc);
    for (size_t i = 0; i < rc->n_acct; i++)
        if (!is_alias(&rc->acct[i]))
            emit_account(o, rc, &rc->acct[i]);
}

/* ------------------------------------------------------------ self-check */

static char *render(const struct out *o)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < o->n; i++) {
        const struct oline *l = &o->v[i];
        if (l->key != NULL)
            strbuf_appendf(&b, "%s = %s\n", l->key, l->text);
        else
            strbuf_appendf(&b, "%s\n", l->text);
    }
    return strbuf_detach(&b, NULL);
}

/* With a password in it, the text starts by saying how to keep it. */
static char *render_final(const struct out *o)
{
    char *text = render(o), *with;

    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].key != NULL && strcmp(o->v[i].key, "password") == 0) {
            with = xasprintf("; %s\n%s",
                             _("It holds a password: keep it readable by you alone (chmod 600)."), text);
            secret_free(text);
            return with;
        }
    return text;
}

/* The line that the parser named in "import:LINE: key: why", with why. */
static size_t failed_line(const struct mo_err *e, const char **why)
{
    const char *p = e->msg + strlen(CHECK_NAME ":");
    char *end;
    long l;

    if (strncmp(e->msg, CHECK_NAME ":", strlen(CHECK_NAME ":")) != 0)
        return 0;
    l = strtol(p, &end, 10);
    if (end == p || strncmp(end, ": ", 2) != 0 || l < 1)
        return 0;
    *why = end + 2;
    return (size_t)l;
}

/* A value mailout refuses becomes a comment with the reason. Returns 1 when
 * a line was changed, 0 when the text loads, -1 for a failure. */
static int check_once(struct out *o, struct rc *rc)
{
    struct config cfg;
    struct mo_err e = { 0, "" };
    char *text = render(o);
    const char *why = "";
    size_t l;
    int loaded = conf_load_from_string(&cfg, CHECK_NAME, text, &e);

    secret_free(text);
    if (loaded == 0) {
        config_free(&cfg);
        return 0;
    }
    l = failed_line(&e, &why);
    if (l == 0 || l > o->n || o->v[l - 1].key == NULL) {
        rc->line = (l > 0 && l <= o->n) ? o->v[l - 1].src : 0;
        return rc_fail(rc, "%s", why[0] ? why : e.msg);
    }
    struct oline *ol = &o->v[l - 1];
    char *note = ol->secret ? xasprintf(_("; %s: mailout refuses this value: %s"), ol->key, why)
        : xasprintf(_("; %s %s: mailout refuses this value: %s"), ol->key, ol->text, why);
    note[strcspn(note, "\r\n")] = '\0';
    free(ol->key);
    ol->key = NULL;
    secret_free(ol->text);
    ol->text = note;
    return 1;
}

static int self_check(struct out *o, struct rc *rc)
{
    for (size_t tries = 0; tries <= o->n; tries++) {
        int r = check_once(o, rc);
        if (r <= 0)
            return r;
    }
    rc->line = 0;
    return rc_fail(rc, "%s", _("the converted configuration does not load"));
}

/* ------------------------------------------------------------ public */

char *msmtprc_convert(const char *name, const char *text, size_t len,
                      struct mo_err *err)
{
    struct rc rc;
    struct out o = { NULL, 0, name };
    char *ini = NULL;

    memset(&rc, 0, sizeof rc);
    rc.file = name;
    rc.err = err;
    if (parse_text(&rc, text, len) == 0) {
        emit_all(&o, &rc);
        if (self_check(&o, &rc) == 0)
            ini = render_final(&o);
    }
    out_free(&o);
    rc_free(&rc);
    return ini;
}

/* Reads the whole file (regular, at most RC_MAX_SIZE) into one buffer of
 * its size: it may hold a password, and a growing buffer leaves copies. */
static int read_file(const char *path, char **text, size_t *len, struct mo_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    size_t cap, n = 0;
    char *buf;

    if (fd < 0)
        return mo_err_set(err, errno == ENOENT ? EX_NOINPUT : EX_CONFIG,
                          _("cannot open %s: %s"), path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > RC_MAX_SIZE) {
        close(fd);
        return S_ISREG(st.st_mode)
            ? mo_err_set(err, EX_CONFIG, _("%s is larger than %d bytes"), path, RC_MAX_SIZE)
            : mo_err_set(err, EX_CONFIG, _("%s is not a regular file"), path);
    }
    cap = (size_t)st.st_size + 1;
    buf = xcalloc(cap + 1, 1);     /* zeroed: secret_free stops at the end */
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r > 0 && n + (size_t)r == cap)) {
            int e = errno;
            close(fd);
            secret_free(buf);
            return r < 0 ? mo_err_set(err, EX_CONFIG, _("cannot read %s: %s"), path, strerror(e))
                         : mo_err_set(err, EX_CONFIG, _("%s changed while it was read"), path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* ~/.msmtprc, else $XDG_CONFIG_HOME/msmtp/config (~/.config by default). */
static char *default_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    char *home = path_expand_tilde("~/.msmtprc");

    if (access(home, F_OK) == 0)
        return home;
    free(home);
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/msmtp/config", xdg);
    return path_expand_tilde("~/.config/msmtp/config");
}

int msmtprc_import(const char *path, FILE *out, struct mo_err *err)
{
    char *file = path ? xstrdup(path) : default_path();
    char *text = NULL, *ini;
    size_t len = 0;

    if (read_file(file, &text, &len, err) != 0) {
        if (path == NULL && err->code == EX_NOINPUT)
            mo_err_set(err, EX_NOINPUT, _("no msmtp configuration: neither ~/.msmtprc nor %s exists; name the file: mailout --import-msmtprc FILE"), file);
        free(file);
        return -1;
    }
    ini = msmtprc_convert(file, text, len, err);
    secret_free(text);
    free(file);
    if (ini == NULL)
        return -1;
    if (fputs(ini, out) == EOF || fflush(out) != 0) {
        secret_free(ini);
        return mo_err_set(err, EX_IOERR, _("cannot write the configuration: %s"), strerror(errno));
    }
    secret_free(ini);
    return 0;
}
