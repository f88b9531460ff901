/* conf.c - the INI configuration of mailout(1) CONFIGURATION, loaded with the system inih.
 *
 * Each file is read into memory first (size, NUL bytes and line length are
 * checked there) and handed to inih line by line through our own reader, so
 * that every message can name the file and line even though inih's handler
 * has no line number in Debian's header, and so that a section header is seen
 * even when the section has no keys. Sections are collected raw per file; a
 * section in a later file replaces the one of the same name from an earlier
 * file; [defaults] and inherit are resolved once every file is read. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "i18n.h"
#include "util.h"
#include "conf.h"

#define CONF_MAX_SIZE (1024 * 1024)     /* a config file is never this big */
#define CONF_MAX_LINE 4096
#define NAME_MAX_LEN 64
#define DEFAULT_TIMEOUT 60
#define DEFAULT_QUEUE_AGE (5L * 86400)
#define MAX_QUEUE_AGE (400L * 86400)
#define DURATION_LIMIT 1000000000L     /* about 31 years; fits a 32-bit long */

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Debian's inih makes its compile-time options run-time variables. They are
 * weak here so that an inih without them still links; without them lines
 * are limited to inih's built-in maximum (200 bytes upstream). */
extern int ini_max_line __attribute__((weak));
extern int ini_initial_alloc __attribute__((weak));
extern bool ini_use_stack __attribute__((weak));
extern bool ini_allow_realloc __attribute__((weak));
extern bool ini_allow_multiline __attribute__((weak));

/* ------------------------------------------------------------ raw sections */

enum sec_kind { SEC_MAILOUT, SEC_DEFAULTS, SEC_ACCOUNT };

struct entry {
    char *key;
    char *value;
    int line;
};

struct section {
    enum sec_kind kind;
    char *name;             /* account name; NULL for [mailout], [defaults] */
    char *file;
    int line;
    struct entry *entries;
    size_t n_entries;
};

struct secset {
    struct section *v;
    size_t n;
};

struct loader {
    struct secset all;      /* the result of the files read so far */
    struct secset here;     /* sections of the file being read */
    struct section *cur;
    const char *file;
    const char *data;
    size_t len, pos;
    int line;
    int password_line;      /* a password key in this file, or 0 */
    bool failed;
    bool keep_going;        /* --check-config: record problems, go on */
    bool skip_keys;         /* keep_going: the current section was refused */
    bool skip_file;         /* keep_going: the rest of this file is not INI */
    struct config *cfg;     /* keep_going: where problems go */
    struct mo_err *err;
};

static void section_free(struct section *s)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        free(s->entries[i].key);
        secret_free(s->entries[i].value);   /* may be a password */
    }
    free(s->entries);
    free(s->name);
    free(s->file);
    memset(s, 0, sizeof *s);
}

static void secset_free(struct secset *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        section_free(&ss->v[i]);
    free(ss->v);
    ss->v = NULL;
    ss->n = 0;
}

static bool same_section(const struct section *a, enum sec_kind kind, const char *name)
{
    if (a->kind != kind)
        return false;
    return kind != SEC_ACCOUNT || strcmp(a->name, name) == 0;
}

static struct section *secset_find(struct secset *ss, enum sec_kind kind, const char *name)
{
    for (size_t i = 0; i < ss->n; i++)
        if (same_section(&ss->v[i], kind, name))
            return &ss->v[i];
    return NULL;
}

static const struct entry *section_get(const struct section *s, const char *key)
{
    for (size_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

/* ---------------------------------------------------------------- errors */

static void add_problem(struct loader *ld, char *text)
{
    struct config *c = ld->cfg;

    c->problems = xreallocarray(c->problems, c->n_problems + 1, sizeof *c->problems);
    c->problems[c->n_problems++] = text;
}

/* An error that is not at a line (a file that cannot be read): kept as a
 * problem when going on, else returned. */
static int fail_file(struct loader *ld)
{
    if (!ld->keep_going)
        return -1;
    add_problem(ld, xstrdup(ld->err->msg));
    return 0;
}

static int fail_at(struct loader *ld, const char *file, int line, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_at(struct loader *ld, const char *file, int line, const char *key,
                   const char *fmt, ...)
{
    char why[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (ld->keep_going) {
        char *p = key != NULL ? xasprintf("%s:%d: %s: %s", file, line, key, why)
                              : xasprintf("%s:%d: %s", file, line, why);
        add_problem(ld, p);
        return -1;
    }
    ld->failed = true;
    if (key != NULL)
        return mo_err_set(ld->err, EX_CONFIG, "%s:%d: %s: %s", file, line, key, why);
    return mo_err_set(ld->err, EX_CONFIG, "%s:%d: %s", file, line, why);
}

/* ---------------------------------------------------------------- values */

enum vtype {
    V_HOST, V_HOST_OPT, V_NAME, V_PORT, V_FROM, V_STR, V_PATH, V_TRUST, V_FPR,
    V_TLS, V_AUTH, V_TLSVER, V_TIMEOUT, V_DSN_NOTIFY, V_DSN_RETURN, V_PROTO,
    V_TRI, V_BOOL, V_DURATION, V_INHERIT, V_DOMAIN, V_REWRITE, V_SIZE,
    V_OAUTH2, V_URL,
};

union val {
    char *s;
    int i;
    long l;
    bool b;
};

struct keydef {
    const char *name;
    enum vtype type;
    size_t off;
};

#define A(f) offsetof(struct account, f)
static const struct keydef account_keys[] = {
    { "host", V_HOST, A(host) },
    { "port", V_PORT, A(port) },
    { "from", V_FROM, A(from) },
    { "user", V_STR, A(user) },
    { "password", V_STR, A(password) },
    { "password_command", V_STR, A(password_command) },
    { "tls", V_TLS, A(tls) },
    { "auth", V_AUTH, A(auth) },
    { "tls_trust_file", V_TRUST, A(tls_trust_file) },
    { "tls_fingerprint", V_FPR, A(tls_fingerprint) },
    { "tls_cert_file", V_PATH, A(tls_cert_file) },
    { "tls_key_file", V_PATH, A(tls_key_file) },
    { "tls_min_version", V_TLSVER, A(tls_min_version) },
    { "tls_server_name", V_HOST_OPT, A(tls_server_name) },
    { "domain", V_HOST_OPT, A(domain) },
    { "timeout", V_TIMEOUT, A(timeout) },
    { "dsn_notify", V_DSN_NOTIFY, A(dsn_notify) },
    { "dsn_return", V_DSN_RETURN, A(dsn_return) },
    { "protocol", V_PROTO, A(protocol) },
    { "add_date", V_TRI, A(add_date) },
    { "add_message_id", V_TRI, A(add_message_id) },
    { "add_from", V_TRI, A(add_from) },
    { "remove_bcc", V_BOOL, A(remove_bcc) },
    { "queue", V_BOOL, A(queue) },
    { "max_queue_age", V_DURATION, A(max_queue_age) },
    { "rewrite_from", V_REWRITE, A(rewrite_from) },
    { "inherit", V_INHERIT, 0 },
    { "oauth2_provider", V_OAUTH2, A(oauth2_provider) },
    { "oauth2_client_id", V_STR, A(oauth2_client_id) },
    { "oauth2_client_secret_command", V_STR, A(oauth2_client_secret_command) },
    { "oauth2_tenant", V_HOST_OPT, A(oauth2_tenant) },
    { "oauth2_token_url", V_URL, A(oauth2_token_url) },
    { "oauth2_device_url", V_URL, A(oauth2_device_url) },
    { "oauth2_auth_url", V_URL, A(oauth2_auth_url) },
    { "oauth2_scope", V_STR, A(oauth2_scope) },
    { "oauth2_trust_file", V_TRUST, A(oauth2_trust_file) },
};
#undef A

#define C(f) offsetof(struct config, f)
static const struct keydef mailout_keys[] = {
    { "default_account", V_NAME, C(default_account) },
    { "aliases", V_PATH, C(aliases) },
    { "logfile", V_PATH, C(logfile) },
    { "syslog", V_BOOL, C(syslog) },
    { "queue_dir", V_PATH, C(queue_dir) },
    { "qualify_domain", V_DOMAIN, C(qualify_domain) },
    { "message_size_limit", V_SIZE, C(message_size_limit) },
};
#undef C

static const char *const tls_names[] = {
    [TLS_STARTTLS] = "starttls", [TLS_IMPLICIT] = "implicit", [TLS_OFF] = "off",
};
static const char *const proto_names[] = { [PROTO_SMTP] = "smtp", [PROTO_LMTP] = "lmtp" };
static const char *const oauth2_names[] = {
    [OAUTH2_NONE] = "none", [OAUTH2_MICROSOFT] = "microsoft",
    [OAUTH2_GOOGLE] = "google", [OAUTH2_CUSTOM] = "custom",
};
static const char *const rewrite_names[] = {
    [REWRITE_LOCAL] = "local", [REWRITE_OFF] = "off", [REWRITE_ALWAYS] = "always",
};

static int lookup(const char *const *names, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] != NULL && ascii_strcasecmp(names[i], v) == 0)
            return (int)i;
    return -1;
}
#define LOOKUP(names, v) lookup(names, sizeof names / sizeof names[0], v)

/* The auth setting's keywords are the SASL module's. */
static int auth_keyword(const char *v)
{
    enum auth_mech m;

    return sasl_mech_from_keyword(v, &m) ? (int)m : -1;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "on", "yes", "true", "1" };
    static const char *const no[] = { "off", "no", "false", "0" };

    if (LOOKUP(yes, v) >= 0)
        *out = true;
    else if (LOOKUP(no, v) >= 0)
        *out = false;
    else
        return -1;
    return 0;
}

int conf_parse_duration(const char *s, long *seconds)
{
    long total = 0;

    if (*s == '\0')
        return -1;
    while (*s) {
        long n = 0, unit = 1;
        if (*s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
            n = n * 10 + (*s - '0');
            if (n > DURATION_LIMIT)
                return -1;
        }
        switch (*s) {
        case 's': s++; break;
        case 'm': unit = 60; s++; break;
        case 'h': unit = 3600; s++; break;
        case 'd': unit = 86400; s++; break;
        case 'w': unit = 7 * 86400; s++; break;
        case '\0': break;
        default: return -1;
        }
        if (n > (DURATION_LIMIT - total) / unit)
            return -1;
        total += n * unit;
    }
    if (seconds)
        *seconds = total;
    return 0;
}

int conf_parse_size(const char *s, long *bytes)
{
    long n = 0, unit = 1;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        n = n * 10 + (*s - '0');
        if (n > 2147483647L)
            return -1;
    }
    switch (*s) {
    case 'k': case 'K': unit = 1024; s++; break;
    case 'm': case 'M': unit = 1024L * 1024; s++; break;
    case 'g': case 'G': unit = 1024L * 1024 * 1024; s++; break;
    default: break;
    }
    if (*s != '\0' || n > 2147483647L / unit || n * unit < 1000)
        return -1;
    if (bytes)
        *bytes = n * unit;
    return 0;
}

int conf_check_dsn_notify(const char *s)
{
    static const char *const words[] = { "success", "failure", "delay" };
    bool seen[3] = { false, false, false };

    if (ascii_strcasecmp(s, "never") == 0)
        return 0;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        size_t k;
        for (k = 0; k < 3; k++)
            if (strlen(words[k]) == n && ascii_strncasecmp(words[k], s, n) == 0)
                break;
        if (k == 3 || seen[k])
            return -1;
        seen[k] = true;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

static bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (; *s; s++)
        if (!is_name_char(*s))
            return false;
    return true;
}

static bool no_space(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

static bool valid_domain(const char *d)
{
    size_t n = strlen(d);

    if (n == 0 || n > 255 || d[0] == '.' || d[n - 1] == '.' || strstr(d, "..") != NULL)
        return false;
    for (; *d; d++)
        if (strchr("@<>()[],;:\\\"", *d) != NULL)
            return false;
    return true;
}

/* An addr-spec (local@domain) or a pattern *@domain. */
static bool valid_from(const char *v)
{
    const char *at = strrchr(v, '@');

    if (at == NULL || at == v || !no_space(v) || !valid_domain(at + 1))
        return false;
    if (strcmp(v, "*") == 0 || (at - v == 1 && v[0] == '*'))
        return true;
    for (const char *p = v; p < at; p++)
        if (strchr("<>()[],;:\\*", *p) != NULL)
            return false;
    return true;
}

/* "SHA256:AB:CD:..." (32 bytes), the SHA256: prefix optional, any case;
 * normalised to the prefixed upper-case form. */
static char *parse_fingerprint(const char *v)
{
    char out[7 + 32 * 3];
    size_t o = 7;

    if (ascii_strncasecmp(v, "SHA256:", 7) == 0)
        v += 7;
    memcpy(out, "SHA256:", 7);
    for (int i = 0; i < 32; i++) {
        for (int j = 0; j < 2; j++) {
            char c = v[0];
            if (c >= 'a' && c <= 'f')
                c = (char)(c - 'a' + 'A');
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
                return NULL;
            out[o++] = c;
            v++;
        }
        if (i < 31) {
            if (*v != ':')
                return NULL;
            out[o++] = *v++;
        }
    }
    if (*v != '\0')
        return NULL;
    return xstrndup(out, o);
}

static bool valid_path(const char *v)
{
    return v[0] == '/' || (v[0] == '~' && (v[1] == '/' || v[1] == '\0'));
}

/* Empty means "unset" for the optional string keys, so that an account can
 * clear what it inherits. */
static int parse_string(enum vtype t, const char *v, union val *out,
                        char *why, size_t n)
{
    out->s = NULL;
    if (v[0] == '\0') {
        if (t == V_HOST || t == V_NAME || t == V_FROM || t == V_INHERIT) {
            snprintf(why, n, "%s", _("empty value"));
            return -1;
        }
        /* cleared, the trust store goes back to its default */
        if (t == V_TRUST)
            out->s = xstrdup("system");
        return 0;
    }
    switch (t) {
    case V_HOST: case V_HOST_OPT:
        if (!no_space(v) || strlen(v) > 255) {
            snprintf(why, n, _("'%s' is not a host name"), v);
            return -1;
        }
        break;
    case V_DOMAIN:
        if (!no_space(v) || !valid_domain(v)) {
            snprintf(why, n, _("'%s' is not a domain (example.com)"), v);
            return -1;
        }
        break;
    case V_NAME: case V_INHERIT:
        if (!valid_name(v)) {
            snprintf(why, n, _("'%s' is not an account name (letters, digits, . _ - @ +; at most 64)"), v);
            return -1;
        }
        break;
    case V_FROM:
        if (!valid_from(v)) {
            snprintf(why, n, _("'%s' is not an address (me@example.com) or a pattern (*@example.com)"), v);
            return -1;
        }
        break;
    case V_PATH:
        if (!valid_path(v)) {
            snprintf(why, n, _("'%s' is not an absolute path (/... or ~/...)"), v);
            return -1;
        }
        out->s = path_expand_tilde(v);
        return 0;
    case V_TRUST:
        if (ascii_strcasecmp(v, "system") == 0) {
            out->s = xstrdup("system");
            return 0;
        }
        if (!valid_path(v)) {
            snprintf(why, n, _("'%s' is neither system nor an absolute path (/... or ~/...)"), v);
            return -1;
        }
        out->s = path_expand_tilde(v);
        return 0;
    case V_FPR:
        if ((out->s = parse_fingerprint(v)) == NULL) {
            snprintf(why, n, "%s", _("not a SHA-256 fingerprint (SHA256:AB:CD:... with 32 bytes)"));
            return -1;
        }
        return 0;
    case V_DSN_NOTIFY:
        if (conf_check_dsn_notify(v) != 0) {
            snprintf(why, n, _("'%s' is neither never nor a list of success,failure,delay"), v);
            return -1;
        }
        break;
    case V_URL:
        if (ascii_strncasecmp(v, "https://", 8) != 0 || v[8] == '\0' || !no_space(v)) {
            snprintf(why, n, _("'%s' is not an https:// URL"), v);
            return -1;
        }
        break;
    case V_DSN_RETURN:
        if (ascii_strcasecmp(v, "full") != 0 && ascii_strcasecmp(v, "hdrs") != 0) {
            snprintf(why, n, _("'%s' is neither full nor hdrs"), v);
            return -1;
        }
        break;
    default:
        break;
    }
    out->s = xstrdup(v);
    return 0;
}

static int parse_number(enum vtype t, const char *v, union val *out,
                        char *why, size_t n)
{
    long l;

    switch (t) {
    case V_PORT: {
        char *end;
        errno = 0;
        l = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || l < 1 || l > 65535) {
            snprintf(why, n, _("'%s' is not a port number from 1 to 65535"), v);
            return -1;
        }
        out->i = (int)l;
        return 0;
    }
    case V_TIMEOUT:
        if (conf_parse_duration(v, &l) != 0 || l < 1 || l > 3600) {
            snprintf(why, n, _("'%s' is not a number of seconds from 1 to 3600"), v);
            return -1;
        }
        out->i = (int)l;
        return 0;
    case V_SIZE:
        if (conf_parse_size(v, &l) != 0) {
            snprintf(why, n, _("'%s' is not a size in bytes from 1000 to 2G (a K, M or G suffix is allowed)"), v);
            return -1;
        }
        out->l = l;
        return 0;
    default:    /* V_DURATION */
        if (conf_parse_duration(v, &l) != 0 || l < 1 || l > MAX_QUEUE_AGE) {
            snprintf(why, n, _("'%s' is not a duration like 5d, 12h, 30m or 90s (at most 400d)"), v);
            return -1;
        }
        out->l = l;
        return 0;
    }
}

static int parse_choice(enum vtype t, const char *v, union val *out,
                        char *why, size_t n)
{
    int k = -1;
    bool b;

    switch (t) {
    case V_TLS: k = LOOKUP(tls_names, v); break;
    case V_AUTH: k = auth_keyword(v); break;
    case V_PROTO: k = LOOKUP(proto_names, v); break;
    case V_OAUTH2: k = LOOKUP(oauth2_names, v); break;
    case V_REWRITE: k = LOOKUP(rewrite_names, v); break;
    case V_TLSVER:
        k = strcmp(v, "1.2") == 0 ? 12 : strcmp(v, "1.3") == 0 ? 13 : -1;
        break;
    case V_TRI:
        if (ascii_strcasecmp(v, "auto") == 0)
            k = TRI_AUTO;
        else if (parse_bool(v, &b) == 0)
            k = b ? TRI_ON : TRI_OFF;
        break;
    default:    /* V_BOOL */
        if (parse_bool(v, &b) == 0)
            k = b;
        break;
    }
    if (k >= 0) {
        out->i = k;
        return 0;
    }
    switch (t) {
    case V_TLS: snprintf(why, n, _("'%s' is not one of starttls, implicit, off"), v); break;
    case V_AUTH: snprintf(why, n, _("'%s' is not an authentication method (auto, off, plain, login, scram-sha-256, ...)"), v); break;
    case V_PROTO: snprintf(why, n, _("'%s' is neither smtp nor lmtp"), v); break;
    case V_OAUTH2: snprintf(why, n, _("'%s' is not one of microsoft, google, custom, none"), v); break;
    case V_REWRITE: snprintf(why, n, _("'%s' is not one of off, local, always"), v); break;
    case V_TLSVER: snprintf(why, n, _("'%s' is neither 1.2 nor 1.3"), v); break;
    case V_TRI: snprintf(why, n, _("'%s' is not one of auto, on, off"), v); break;
    default: snprintf(why, n, _("'%s' is not a boolean (on, off, yes, no, true, false, 1, 0)"), v); break;
    }
    return -1;
}

static bool is_string_type(enum vtype t)
{
    return t == V_HOST || t == V_HOST_OPT || t == V_NAME || t == V_FROM || t == V_STR
        || t == V_PATH || t == V_TRUST || t == V_FPR || t == V_DSN_NOTIFY
        || t == V_DSN_RETURN || t == V_INHERIT || t == V_DOMAIN || t == V_URL;
}

static int parse_value(enum vtype t, const char *v, union val *out, char *why, size_t n)
{
    if (has_control_chars(v)) {
        snprintf(why, n, "%s", _("control character in value"));
        return -1;
    }
    if (is_string_type(t))
        return parse_string(t, v, out, why, n);
    if (t == V_PORT || t == V_TIMEOUT || t == V_DURATION || t == V_SIZE)
        return parse_number(t, v, out, why, n);
    return parse_choice(t, v, out, why, n);
}

/* Stores a parsed value at its field; base is a struct account or config. */
static void store(void *base, const struct keydef *k, union val *v)
{
    char *field = (char *)base + k->off;

    if (k->type == V_INHERIT) {
        free(v->s);
        return;
    }
    if (is_string_type(k->type)) {
        char **slot = (char **)(void *)field;
        secret_free(*slot);     /* the password lives in such a slot too */
        *slot = v->s;
        return;
    }
    switch (k->type) {
    case V_TLS: *(enum tls_mode *)(void *)field = (enum tls_mode)v->i; break;
    case V_AUTH: *(enum auth_mech *)(void *)field = (enum auth_mech)v->i; break;
    case V_PROTO: *(enum protocol *)(void *)field = (enum protocol)v->i; break;
    case V_OAUTH2: *(enum oauth2_provider *)(void *)field = (enum oauth2_provider)v->i; break;
    case V_TRI: *(enum tristate *)(void *)field = (enum tristate)v->i; break;
    case V_BOOL: *(bool *)(void *)field = v->i != 0; break;
    case V_DURATION: case V_SIZE: *(long *)(void *)field = v->l; break;
    case V_REWRITE: *(enum rewrite_mode *)(void *)field = (enum rewrite_mode)v->i; break;
    default: *(int *)(void *)field = v->i; break;
    }
}

static const struct keydef *find_key(const struct keydef *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static const struct keydef *keydef_for(enum sec_kind kind, const char *name)
{
    if (kind == SEC_MAILOUT)
        return find_key(mailout_keys, sizeof mailout_keys / sizeof mailout_keys[0], name);
    const struct keydef *k = find_key(account_keys, sizeof account_keys / sizeof account_keys[0], name);
    if (k != NULL && k->type == V_INHERIT && kind != SEC_ACCOUNT)
        return NULL;
    return k;
}

static void account_defaults(struct account *a)
{
    memset(a, 0, sizeof *a);
    a->tls = TLS_STARTTLS;
    a->auth = AUTH_AUTO;
    a->tls_trust_file = xstrdup("system");
    a->tls_min_version = 12;
    a->timeout = DEFAULT_TIMEOUT;
    a->protocol = PROTO_SMTP;
    a->add_date = a->add_message_id = a->add_from = TRI_AUTO;
    a->remove_bcc = true;
    a->queue = true;
    a->max_queue_age = DEFAULT_QUEUE_AGE;
    a->rewrite_from = REWRITE_LOCAL;
}

static void account_free(struct account *a)
{
    char **strings[] = {
        &a->name, &a->host, &a->from, &a->user, &a->password_command,
        &a->tls_trust_file, &a->tls_fingerprint, &a->tls_cert_file,
        &a->tls_key_file, &a->tls_server_name, &a->domain, &a->dsn_notify,
        &a->dsn_return, &a->file, &a->oauth2_client_id,
        &a->oauth2_client_secret_command, &a->oauth2_tenant, &a->oauth2_token_url,
        &a->oauth2_device_url, &a->oauth2_auth_url, &a->oauth2_scope,
        &a->oauth2_trust_file,
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    free(a->origin);
    free(a->overridden);
    secret_free(a->password);
    memset(a, 0, sizeof *a);
}

/* ------------------------------------------------------------ parsing */

static const char *section_label(const struct section *s, char *buf, size_t n)
{
    if (s->kind == SEC_MAILOUT)
        return "[mailout]";
    if (s->kind == SEC_DEFAULTS)
        return "[defaults]";
    snprintf(buf, n, "[account %s]", s->name);
    return buf;
}

/* A "[...]" line: records the section before inih sees its keys. */
static int begin_section(struct loader *ld, const char *line)
{
    const char *end = strchr(line, ']');
    char name[CONF_MAX_LINE];
    enum sec_kind kind;
    const char *acct = NULL;
    size_t n;

    if (end == NULL)
        return fail_at(ld, ld->file, ld->line, NULL, "%s", _("syntax error: ']' missing"));
    for (const char *p = end + 1; *p && *p != '\n' && *p != '\r'; p++)
        if (*p != ' ' && *p != '\t') {
            if (*p == ';' || *p == '#')
                break;
            return fail_at(ld, ld->file, ld->line, NULL, "%s", _("syntax error: text after ']'"));
        }
    line++;
    while (*line == ' ' || *line == '\t')
        line++;
    n = (size_t)(end - line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    memcpy(name, line, n);
    name[n] = '\0';
    if (strcmp(name, "mailout") == 0) {
        kind = SEC_MAILOUT;
    } else if (strcmp(name, "defaults") == 0) {
        kind = SEC_DEFAULTS;
    } else if (strncmp(name, "account", 7) == 0 && (name[7] == ' ' || name[7] == '\t')) {
        kind = SEC_ACCOUNT;
        for (acct = name + 8; *acct == ' ' || *acct == '\t'; acct++)
            ;
        if (!valid_name(acct))
            return fail_at(ld, ld->file, ld->line, NULL,
                           _("bad account name '%s' (letters, digits, . _ - @ +; at most 64)"), acct);
    } else {
        return fail_at(ld, ld->file, ld->line, NULL,
                       _("unknown section [%s] (use [mailout], [defaults] or [account NAME])"), name);
    }
    if (secset_find(&ld->here, kind, acct) != NULL)
        return fail_at(ld, ld->file, ld->line, NULL,
                       _("section [%s] appears twice in this file"), name);
    ld->here.v = xreallocarray(ld->here.v, ld->here.n + 1, sizeof *ld->here.v);
    ld->cur = &ld->here.v[ld->here.n++];
    memset(ld->cur, 0, sizeof *ld->cur);
    ld->cur->kind = kind;
    ld->cur->name = acct ? xstrdup(acct) : NULL;
    ld->cur->file = xstrdup(ld->file);
    ld->cur->line = ld->line;
    ld->skip_keys = false;
    return 0;
}

/* msmtp's commands: a line starting with one of them and no '=' means the
 * file is in msmtp's syntax. */
static bool msmtp_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "defaults", "account", "host", "port", "from", "auth", "user",
        "password", "passwordeval", "tls", "tls_starttls", "tls_trust_file",
        "tls_certcheck", "tls_fingerprint", "tls_key_file", "tls_cert_file",
        "tls_crl_file", "tls_host_override", "tls_min_dh_prime_bits",
        "tls_priorities", "logfile", "logfile_time_format", "syslog", "domain",
        "timeout", "protocol", "aliases", "maildomain", "dsn_notify",
        "dsn_return", "add_missing_from_header", "add_missing_date_header",
        "remove_bcc_headers", "undisclosed_recipients", "set_from_header",
        "allow_from_override", "auto_from", "eval", "source_ip", "proxy_host",
        "proxy_port", "socket", "ntlmdomain",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return true;
    return false;
}

/* A line that is neither blank, a comment, a section nor "key = value" (or
 * inih's "key: value"): the error names this very line, and says when it
 * is msmtp's syntax (an msmtp command before any [section]). The line's text is not quoted: it may be a password. */
static int check_syntax(struct loader *ld, const char *str)
{
    size_t n = strcspn(str, " \t\r\n=:");
    const char *p = str + n;

    if (*str == '\0' || strchr(";#[\r\n", *str) != NULL)
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (n > 0 && (*p == '=' || *p == ':'))
        return 0;
    if (ld->here.n == 0 && msmtp_word(str, n)) {
        char word[32];
        snprintf(word, sizeof word, "%.*s", (int)n, str);
        fail_at(ld, ld->file, ld->line, NULL,
                _("this looks like an msmtp file (\"%s\" without '='): convert it with mailout --import-msmtprc %s"),
                word, ld->file);
        ld->skip_file = true;
        return -1;
    }
    return fail_at(ld, ld->file, ld->line, NULL, "%s",
                   _("syntax error (expected key = value, a comment or [section])"));
}

/* inih's reader: one line per call, counted, leading blanks removed (so that
 * inih never sees a multi-line continuation), section headers noted. When
 * going on after errors, a bad line reaches inih as a blank one. */
static char *read_line(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    const char *start, *nl;
    size_t n;

    if (ld->failed || ld->skip_file || ld->pos >= ld->len)
        return NULL;
    start = ld->data + ld->pos;
    nl = memchr(start, '\n', ld->len - ld->pos);
    n = nl ? (size_t)(nl - start) + 1 : ld->len - ld->pos;
    ld->pos += n;
    ld->line++;
    while (n > 0 && (*start == ' ' || *start == '\t')) {
        start++;
        n--;
    }
    if (num < 3 || n > CONF_MAX_LINE || n + 1 > (size_t)num) {
        fail_at(ld, ld->file, ld->line, NULL, _("line longer than %d bytes"),
                (num < CONF_MAX_LINE + 2 ? num - 2 : CONF_MAX_LINE));
        if (!ld->keep_going || num < 3)
            return NULL;
        str[0] = '\0';
        return str;
    }
    memcpy(str, start, n);
    str[n] = '\0';
    if (check_syntax(ld, str) != 0) {
        str[0] = '\0';
        return ld->keep_going && !ld->skip_file ? str : NULL;
    }
    if (str[0] == '[' && begin_section(ld, str) != 0) {
        if (!ld->keep_going)
            return NULL;
        ld->cur = NULL;     /* its keys are not checked against a wrong table */
        ld->skip_keys = true;
        str[0] = '\0';
    }
    return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;
    const struct keydef *k;
    char why[512], label[NAME_MAX_LEN + 16];
    union val v;

    (void)section;      /* ours is ld->cur, which inih cannot truncate */
    if (ld->failed)
        return 0;
    /* going on after an error, inih is told the line was fine */
    int bad = ld->keep_going ? 1 : 0;
    if (ld->skip_keys)
        return 1;
    if (ld->cur == NULL)
        return fail_at(ld, ld->file, ld->line, name, "%s",
                       _("key outside a section (start with [mailout], [defaults] or [account NAME])")), bad;
    k = keydef_for(ld->cur->kind, name);
    if (k == NULL)
        return fail_at(ld, ld->file, ld->line, name, _("unknown key in %s"),
                       section_label(ld->cur, label, sizeof label)), bad;
    if (section_get(ld->cur, name) != NULL)
        return fail_at(ld, ld->file, ld->line, name, _("set twice in %s"),
                       section_label(ld->cur, label, sizeof label)), bad;
    if (parse_value(k->type, value, &v, why, sizeof why) != 0)
        return fail_at(ld, ld->file, ld->line, name, "%s", why), bad;
    if (is_string_type(k->type))
        secret_free(v.s);
    if (strcmp(name, "password") == 0)
        ld->password_line = ld->line;
    struct section *s = ld->cur;
    s->entries = xreallocarray(s->entries, s->n_entries + 1, sizeof *s->entries);
    s->entries[s->n_entries].key = xstrdup(name);
    s->entries[s->n_entries].value = xstrdup(value);
    s->entries[s->n_entries].line = ld->line;
    s->n_entries++;
    return 1;
}

/* Reads a whole file with its checks. Returns 1 read, 0 missing (and
 * missing_ok), -1 error. */
static int read_config_file(struct loader *ld, const char *path, bool missing_ok,
                            char **data, size_t *len, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        if (missing_ok && errno == ENOENT)
            return 0;
        return mo_err_set(ld->err, EX_CONFIG, _("cannot open %s: %s"), path, strerror(errno));
    }
    /* /dev/null is the usual way to say "no configuration" */
    if (fstat(fd, st) != 0
            || !(S_ISREG(st->st_mode) || (S_ISCHR(st->st_mode) && strcmp(path, "/dev/null") == 0))) {
        close(fd);
        return mo_err_set(ld->err, EX_CONFIG, _("%s is not a regular file"), path);
    }
    if (st->st_size > CONF_MAX_SIZE) {
        close(fd);
        return mo_err_set(ld->err, EX_CONFIG, _("%s is larger than %d bytes"), path, CONF_MAX_SIZE);
    }
    /* One buffer of the file's size, read in place: the text may hold a
     * password, and a growing buffer would leave copies of it behind. */
    size_t cap = (size_t)st->st_size + 1, n = 0;
    char *text = xmalloc(cap + 1);
    for (;;) {
        ssize_t r = read(fd, text + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r > 0 && n + (size_t)r == cap)) {
            int e = errno;
            close(fd);
            OPENSSL_cleanse(text, cap + 1);
            free(text);
            return r < 0 ? mo_err_set(ld->err, EX_CONFIG, _("cannot read %s: %s"), path, strerror(e))
                         : mo_err_set(ld->err, EX_CONFIG, _("%s changed while it was read"), path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    text[n] = '\0';
    *data = text;
    *len = n;
    return 1;
}

static int check_nul(struct loader *ld, const char *data, size_t len)
{
    const char *nul = memchr(data, '\0', len);
    int line = 1;

    if (nul == NULL)
        return 0;
    for (const char *p = data; p < nul; p++)
        line += *p == '\n';
    return fail_at(ld, ld->file, line, NULL, "%s", _("NUL byte in the file"));
}

static void tune_inih(void)
{
    if (&ini_max_line != NULL && &ini_initial_alloc != NULL && &ini_use_stack != NULL
            && &ini_allow_realloc != NULL) {
        /* heap buffer of exactly this size: the reader is told its size */
        ini_use_stack = false;
        ini_allow_realloc = false;
        ini_max_line = CONF_MAX_LINE + 2;
        ini_initial_alloc = CONF_MAX_LINE + 2;
    }
    if (&ini_allow_multiline != NULL)
        ini_allow_multiline = false;
}

/* A later file replaces a section of an earlier one; the replacement takes
 * its place at the end, so that file order is account order. */
static void merge_file(struct loader *ld)
{
    for (size_t i = 0; i < ld->here.n; i++) {
        struct section *s = &ld->here.v[i];
        struct section *old = secset_find(&ld->all, s->kind, s->name);
        if (old != NULL) {
            size_t k = (size_t)(old - ld->all.v);
            section_free(old);
            memmove(old, old + 1, (ld->all.n - k - 1) * sizeof *old);
            ld->all.n--;
        }
        ld->all.v = xreallocarray(ld->all.v, ld->all.n + 1, sizeof *ld->all.v);
        ld->all.v[ld->all.n++] = *s;
    }
    free(ld->here.v);
    ld->here.v = NULL;
    ld->here.n = 0;
}

static void discard_file(struct loader *ld)
{
    secset_free(&ld->here);
}

/* Parses one file's text (NUL-terminated, len bytes) into ld->here. */
static int parse_text(struct loader *ld, const char *name, const char *data, size_t len)
{
    int rc;

    ld->file = name;
    ld->data = data;
    ld->len = len;
    ld->pos = 0;
    ld->line = 0;
    ld->cur = NULL;
    ld->password_line = 0;
    ld->skip_keys = ld->skip_file = false;
    if (check_nul(ld, data, len) != 0)
        return -1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        ld->pos = 3;    /* a UTF-8 byte order mark, which inih would skip */
    }
    tune_inih();
    rc = ini_parse_stream(read_line, ld, on_key, ld);
    if (ld->failed)
        return -1;
    if (rc == -2)
        return mo_err_set(ld->err, EX_OSERR, "%s", _("out of memory"));
    if (rc != 0 && !ld->keep_going)
        return fail_at(ld, name, rc, NULL, "%s",
                       _("syntax error (expected key = value, a comment or [section])"));
    return 0;
}

static int load_file(struct loader *ld, struct config *cfg, const char *path, bool missing_ok)
{
    char *data = NULL;
    size_t len = 0;
    struct stat st;
    int rc = read_config_file(ld, path, missing_ok, &data, &len, &st);

    if (rc < 0)
        return fail_file(ld);
    if (rc == 0)
        return 0;
    rc = parse_text(ld, path, data, len);
    OPENSSL_cleanse(data, len);     /* it may hold a password */
    free(data);
    if (rc != 0 && ld->keep_going && !ld->failed)
        rc = 0;     /* a NUL byte: reported; what came before it is checked */
    if (rc == 0 && ld->password_line != 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0
            && fail_at(ld, path, ld->password_line, "password",
                       _("this file holds a password and is readable by others; run chmod 600 %s"), path) != 0
            && !ld->keep_going)
        rc = -1;
    if (rc != 0) {
        discard_file(ld);
        return -1;
    }
    merge_file(ld);
    cfg->files = xreallocarray(cfg->files, cfg->n_files + 1, sizeof *cfg->files);
    cfg->files[cfg->n_files++] = xstrdup(path);
    return 0;
}

/* ------------------------------------------------------------ resolving */

#define N_ACCOUNT_KEYS (sizeof account_keys / sizeof account_keys[0])

/* The file name as kept in cfg->files, which outlives the sections. */
static const char *interned_file(const struct config *cfg, const char *file)
{
    for (size_t i = 0; i < cfg->n_files; i++)
        if (strcmp(cfg->files[i], file) == 0)
            return cfg->files[i];
    return NULL;
}

static void note_origin(const struct config *cfg, struct account *a, size_t k,
                        const struct section *s, int line)
{
    char label[NAME_MAX_LEN + 16];

    a->overridden[k] = a->origin[k];
    a->origin[k].file = interned_file(cfg, s->file);
    a->origin[k].line = line;
    snprintf(a->origin[k].section, sizeof a->origin[k].section, "%s",
             section_label(s, label, sizeof label));
}

/* Applies the section's values to base (a struct account or config); for an
 * account, notes where each value came from. */
static void apply_section(const struct config *cfg, void *base, struct account *a,
                          const struct section *s)
{
    for (size_t i = 0; i < s->n_entries; i++) {
        const struct keydef *k = keydef_for(s->kind, s->entries[i].key);
        char why[512];
        union val v;
        if (k == NULL || parse_value(k->type, s->entries[i].value, &v, why, sizeof why) != 0)
            continue;
        store(base, k, &v);
        if (a != NULL && k >= account_keys && k < account_keys + N_ACCOUNT_KEYS)
            note_origin(cfg, a, (size_t)(k - account_keys), s, s->entries[i].line);
    }
}

static int inherit_cycle(struct loader *ld, struct section **chain, size_t depth,
                         const struct section *again)
{
    const struct section *last = chain[depth - 1];
    const struct entry *e = section_get(last, "inherit");
    struct strbuf b;
    int rc;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < depth; i++)
        strbuf_appendf(&b, "%s -> ", chain[i]->name);
    strbuf_appendf(&b, "%s", again->name);
    rc = fail_at(ld, last->file, e->line, "inherit", _("inherit cycle: %s"), b.data);
    strbuf_free(&b);
    return rc;
}

/* The inherit chain of s, root first, into chain[0..*n). */
static int inherit_chain(struct loader *ld, struct section *s,
                         struct section **chain, size_t *n)
{
    size_t depth = 0;

    for (struct section *cur = s; cur != NULL; ) {
        const struct entry *e = section_get(cur, "inherit");
        for (size_t i = 0; i < depth; i++)
            if (chain[i] == cur)
                return inherit_cycle(ld, chain, depth, cur);
        chain[depth++] = cur;
        if (e == NULL)
            break;
        struct section *next = secset_find(&ld->all, SEC_ACCOUNT, e->value);
        if (next == NULL)
            return fail_at(ld, cur->file, e->line, "inherit",
                           _("no account named '%s'"), e->value);
        cur = next;
    }
    for (size_t i = 0; i < depth / 2; i++) {
        struct section *t = chain[i];
        chain[i] = chain[depth - 1 - i];
        chain[depth - 1 - i] = t;
    }
    *n = depth;
    return 0;
}

/* mailout(1) OAUTH 2: what the built-in OAuth 2 needs besides its preset. The mechanism
 * of every preset is XOAUTH2 when auth is left at auto. */
static int check_oauth2(struct loader *ld, const struct section *s, struct account *a)
{
    const char *key = NULL, *why = NULL;

    if (a->oauth2_provider == OAUTH2_NONE)
        return 0;
    if (a->auth == AUTH_AUTO)
        a->auth = AUTH_XOAUTH2;
    if (a->auth != AUTH_XOAUTH2 && a->auth != AUTH_OAUTHBEARER)
        key = "auth", why = _("oauth2_provider needs auth = xoauth2 or oauthbearer");
    else if (a->oauth2_client_id == NULL)
        key = "oauth2_client_id", why = _("oauth2_provider needs your own oauth2_client_id (none is shipped; see mailout(1))");
    else if (a->user == NULL)
        key = "user", why = _("oauth2_provider needs user (the mailbox to log in as)");
    else if (a->oauth2_provider == OAUTH2_CUSTOM && a->oauth2_token_url == NULL)
        key = "oauth2_token_url", why = _("oauth2_provider = custom needs oauth2_token_url");
    else if (a->oauth2_provider == OAUTH2_CUSTOM && a->oauth2_scope == NULL)
        key = "oauth2_scope", why = _("oauth2_provider = custom needs oauth2_scope");
    if (key == NULL)
        return 0;
    return fail_at(ld, s->file, s->line, key, "[account %s]: %s", s->name, why);
}

static int build_account(struct loader *ld, struct section *s,
                         const struct section *defaults, struct account *a)
{
    struct section **chain = xcalloc(ld->all.n + 1, sizeof *chain);
    size_t n = 0;

    if (inherit_chain(ld, s, chain, &n) != 0) {
        free(chain);
        return -1;
    }
    account_defaults(a);
    a->name = xstrdup(s->name);
    a->file = xstrdup(s->file);
    a->line = s->line;
    a->origin = xcalloc(N_ACCOUNT_KEYS, sizeof *a->origin);
    a->overridden = xcalloc(N_ACCOUNT_KEYS, sizeof *a->overridden);
    if (defaults != NULL)
        apply_section(ld->cfg, a, a, defaults);
    for (size_t i = 0; i < n; i++)
        apply_section(ld->cfg, a, a, chain[i]);
    free(chain);
    if (a->host == NULL)
        return fail_at(ld, s->file, s->line, "host",
                       _("[account %s] has no host (required)"), s->name);
    return check_oauth2(ld, s, a);
}

char *config_default_queue_dir(void)
{
    const char *state = getenv("XDG_STATE_HOME");

    if (geteuid() == 0)
        return xstrdup(SPOOLDIR "/queue");
    /* the XDG base directory rules: a relative value is ignored */
    if (state != NULL && state[0] == '/')
        return xasprintf("%s/mailout/queue", state);
    return home_path(".local/state/mailout/queue");
}

static int build_config(struct loader *ld, struct config *cfg)
{
    const struct section *defaults = secset_find(&ld->all, SEC_DEFAULTS, NULL);
    const struct section *mo = secset_find(&ld->all, SEC_MAILOUT, NULL);
    size_t n = 0;

    if (mo != NULL)
        apply_section(cfg, cfg, NULL, mo);
    if (cfg->queue_dir == NULL)
        cfg->queue_dir = config_default_queue_dir();
    /* root logs to syslog (facility mail) unless told otherwise (mailout(1) LOG) */
    if (geteuid() == 0 && cfg->logfile == NULL
            && (mo == NULL || section_get(mo, "syslog") == NULL))
        cfg->syslog = true;
    if (cfg->message_size_limit == 0)
        cfg->message_size_limit = CONF_DEFAULT_SIZE_LIMIT;
    for (size_t i = 0; i < ld->all.n; i++)
        n += ld->all.v[i].kind == SEC_ACCOUNT;
    cfg->accounts = xcalloc(n ? n : 1, sizeof *cfg->accounts);
    for (size_t i = 0; i < ld->all.n; i++) {
        struct section *s = &ld->all.v[i];
        if (s->kind != SEC_ACCOUNT)
            continue;
        if (build_account(ld, s, defaults, &cfg->accounts[cfg->n_accounts]) != 0) {
            account_free(&cfg->accounts[cfg->n_accounts]);
            if (ld->keep_going)
                continue;       /* reported; the others are still checked */
            return -1;
        }
        cfg->n_accounts++;
    }
    if (mo != NULL && cfg->default_account != NULL
            && secset_find(&ld->all, SEC_ACCOUNT, cfg->default_account) == NULL) {
        const struct entry *e = section_get(mo, "default_account");
        if (fail_at(ld, mo->file, e ? e->line : mo->line, "default_account",
                    _("no account named '%s'"), cfg->default_account) != 0 && !ld->keep_going)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ public */

const char *config_system_path(void)
{
    return SYSCONFDIR "/mailout.ini";
}

char *config_user_path(void)
{
    const char *env = getenv("MAILOUT_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");

    if (env != NULL && env[0] != '\0')
        return xstrdup(env);
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/mailout/config.ini", xdg);
    return home_path(".config/mailout/config.ini");
}

static int load_all(struct loader *ld, struct config *cfg, const char *explicit_file)
{
    if (explicit_file != NULL)
        return load_file(ld, cfg, explicit_file, false);
    /* A user other than root with a configuration of their own does not
     * need the system file, which holds root's password (mailout(1) REPLACING THE LOCAL MTA). */
    if (!(geteuid() != 0 && access(config_system_path(), R_OK) != 0 && errno == EACCES)
            && load_file(ld, cfg, config_system_path(), true) != 0)
        return -1;
    /* $MAILOUT_CONFIG names a file on purpose: it must exist. */
    const char *env = getenv("MAILOUT_CONFIG");
    char *user = config_user_path();
    int rc = load_file(ld, cfg, user, env == NULL || env[0] == '\0');
    free(user);
    return rc;
}

static int finish_load(struct loader *ld, struct config *cfg, int rc)
{
    if (rc == 0)
        rc = build_config(ld, cfg);
    secset_free(&ld->all);
    secset_free(&ld->here);
    if (rc != 0)
        config_free(cfg);
    return rc;
}

int config_load(struct config *cfg, const char *explicit_file, struct mo_err *err)
{
    struct loader ld;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    return finish_load(&ld, cfg, load_all(&ld, cfg, explicit_file));
}

int config_check_load(struct config *cfg, const char *explicit_file, struct mo_err *err)
{
    struct loader ld;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    ld.keep_going = true;
    return finish_load(&ld, cfg, load_all(&ld, cfg, explicit_file));
}

int conf_load_files(struct config *cfg, const char *const *paths, size_t n,
                    struct mo_err *err)
{
    struct loader ld;
    int rc = 0;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = load_file(&ld, cfg, paths[i], false);
    return finish_load(&ld, cfg, rc);
}

int conf_load_from_string(struct config *cfg, const char *name, const char *text,
                          struct mo_err *err)
{
    struct loader ld;
    int rc;

    memset(cfg, 0, sizeof *cfg);
    memset(&ld, 0, sizeof ld);
    ld.err = err;
    ld.cfg = cfg;
    rc = parse_text(&ld, name, text, strlen(text));
    if (rc == 0) {
        merge_file(&ld);
        cfg->files = xreallocarray(cfg->files, 1, sizeof *cfg->files);
        cfg->files[cfg->n_files++] = xstrdup(name);
    }
    return finish_load(&ld, cfg, rc);
}

bool config_from_matches(const char *pattern, const char *addr)
{
    const char *at;
    size_t n;

    if (pattern == NULL || addr == NULL)
        return false;
    n = strlen(addr);
    if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
        addr++;
        n -= 2;
    }
    if (pattern[0] == '*' && pattern[1] == '@') {
        at = memrchr(addr, '@', n);
        return at != NULL && at != addr
            && strlen(pattern + 2) == n - (size_t)(at + 1 - addr)
            && ascii_strncasecmp(pattern + 2, at + 1, n - (size_t)(at + 1 - addr)) == 0;
    }
    return strlen(pattern) == n && ascii_strncasecmp(pattern, addr, n) == 0;
}

static const struct account *find_account(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].name, name) == 0)
            return &cfg->accounts[i];
    return NULL;
}

const struct account *config_select_account(const struct config *cfg,
        const char *name, const char *sender, struct mo_err *err)
{
    const struct account *a;

    if (name != NULL) {
        if ((a = find_account(cfg, name)) == NULL)
            mo_err_set(err, EX_CONFIG, _("no account named '%s' in the configuration"), name);
        return a;
    }
    if (sender != NULL && sender[0] != '\0')
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (config_from_matches(cfg->accounts[i].from, sender))
                return &cfg->accounts[i];
    if (cfg->default_account != NULL && (a = find_account(cfg, cfg->default_account)) != NULL)
        return a;
    if (cfg->n_accounts == 1)
        return &cfg->accounts[0];
    if (cfg->n_accounts == 0) {
        mo_err_set(err, EX_CONFIG, _("no account configured (looked in %s and the user file; see mailout --version)"),
                   config_system_path());
        return NULL;
    }
    mo_err_set(err, EX_CONFIG, "%s",
               _("no account fits: use -a NAME, set default_account in [mailout], or a from that matches the sender"));
    return NULL;
}

int account_port(const struct account *a)
{
    if (a->port != 0)
        return a->port;
    if (a->protocol == PROTO_LMTP)
        return 24;
    switch (a->tls) {
    case TLS_IMPLICIT: return 465;
    case TLS_OFF: return 25;
    default: return 587;
    }
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_accounts; i++)
        account_free(&cfg->accounts[i]);
    free(cfg->accounts);
    for (size_t i = 0; i < cfg->n_files; i++)
        free(cfg->files[i]);
    free(cfg->files);
    for (size_t i = 0; i < cfg->n_problems; i++)
        free(cfg->problems[i]);
    free(cfg->problems);
    free(cfg->default_account);
    free(cfg->aliases);
    free(cfg->logfile);
    free(cfg->queue_dir);
    free(cfg->qualify_domain);
    memset(cfg, 0, sizeof *cfg);
}

/* ------------------------------------------------------------ origins */

size_t conf_n_account_keys(void)
{
    return N_ACCOUNT_KEYS;
}

const char *conf_account_key(size_t i)
{
    return i < N_ACCOUNT_KEYS ? account_keys[i].name : NULL;
}

const struct conf_origin *conf_key_origin(const struct account *a, const char *name)
{
    const struct keydef *k = find_key(account_keys, N_ACCOUNT_KEYS, name);

    if (k == NULL || a->origin == NULL)
        return NULL;
    return &a->origin[k - account_keys];
}

static const char *choice_name(enum vtype t, int v)
{
    switch (t) {
    case V_TLS: return tls_names[v];
    case V_AUTH: return sasl_mech((enum auth_mech)v)->keyword;
    case V_PROTO: return proto_names[v];
    case V_REWRITE: return rewrite_names[v];
    case V_TRI: return v == TRI_AUTO ? "auto" : v == TRI_ON ? "on" : "off";
    default: return v ? "on" : "off";
    }
}

bool conf_account_value(const struct account *a, size_t i, char *buf, size_t n)
{
    const struct keydef *k;
    const char *field;

    if (i >= N_ACCOUNT_KEYS || n == 0)
        return false;
    k = &account_keys[i];
    field = (const char *)a + k->off;
    buf[0] = '\0';
    if (k->type == V_INHERIT) {
        return false;
    } else if (is_string_type(k->type)) {
        const char *v = *(char *const *)(const void *)field;
        if (v == NULL)
            return false;
        /* a command line may carry a secret too ("echo s3cret") */
        bool hide = strcmp(k->name, "password") == 0 || strstr(k->name, "_command") != NULL;
        snprintf(buf, n, "%s", hide ? _("(set)") : v);
    } else if (k->type == V_PORT) {
        snprintf(buf, n, "%d", account_port(a));
    } else if (k->type == V_TLSVER) {
        snprintf(buf, n, "1.%d", a->tls_min_version - 10);
    } else if (k->type == V_TIMEOUT) {
        snprintf(buf, n, "%d", a->timeout);
    } else if (k->type == V_DURATION) {
        snprintf(buf, n, "%lds", a->max_queue_age);
    } else if (k->type == V_BOOL) {
        snprintf(buf, n, "%s", choice_name(k->type, *(const bool *)(const void *)field));
    } else if (k->type == V_TLS || k->type == V_AUTH || k->type == V_PROTO
               || k->type == V_TRI || k->type == V_REWRITE) {
        snprintf(buf, n, "%s", choice_name(k->type, *(const int *)(const void *)field));
    } else {
        return false;   /* a type this report does not know: not shown */
    }
    return true;
}
