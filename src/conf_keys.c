/* conf_keys.c - see conf_keys.h: what each key of mailout.ini accepts,
 * and each account key's value and origin for --check-config and --debug. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "sasl.h"
#include "fallback.h"
#include "conf_keys.h"

#define DEFAULT_TIMEOUT 60
#define DEFAULT_QUEUE_AGE (5L * 86400)
#define MAX_QUEUE_AGE (400L * 86400)
#define DURATION_LIMIT 1000000000L     /* about 31 years; fits a 32-bit long */

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
    { "bounce", V_BOOL, A(bounce) },
    { "rewrite_from", V_REWRITE, A(rewrite_from) },
    { "inherit", V_INHERIT, 0 },
    { "fallback", V_FALLBACK, A(fallback) },
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

bool conf_valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CONF_NAME_MAX)
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

/* A fallback list: account names separated by commas or blanks. */
static bool fallback_list_ok(const char *v, char *why, size_t n)
{
    const char *p = v, *name;
    size_t len;

    while (fallback_next(&p, &name, &len)) {
        char one[CONF_NAME_MAX + 1];
        snprintf(one, sizeof one, "%.*s", (int)len, name);
        if (len > CONF_NAME_MAX || !conf_valid_name(one)) {
            snprintf(why, n, _("'%.*s' is not an account name (letters, digits, . _ - @ +; at most 64)"),
                     (int)len, name);
            return false;
        }
    }
    return true;
}

/* Empty means "unset" for the optional string keys, so that an account can
 * clear what it inherits. */
/* Checks a string value of a type that is stored as written; false with
 * why filled when it is not one. */
static bool string_ok(enum vtype t, const char *v, char *why, size_t n)
{
    switch (t) {
    case V_HOST: case V_HOST_OPT:
        if (no_space(v) && strlen(v) <= 255)
            return true;
        snprintf(why, n, _("'%s' is not a host name"), v);
        return false;
    case V_DOMAIN:
        if (no_space(v) && valid_domain(v))
            return true;
        snprintf(why, n, _("'%s' is not a domain (example.com)"), v);
        return false;
    case V_NAME: case V_INHERIT:
        if (conf_valid_name(v))
            return true;
        snprintf(why, n, _("'%s' is not an account name (letters, digits, . _ - @ +; at most 64)"), v);
        return false;
    case V_FROM:
        if (valid_from(v))
            return true;
        snprintf(why, n, _("'%s' is not an address (me@example.com) or a pattern (*@example.com)"), v);
        return false;
    case V_FALLBACK:
        return fallback_list_ok(v, why, n);
    case V_DSN_NOTIFY:
        if (conf_check_dsn_notify(v) == 0)
            return true;
        snprintf(why, n, _("'%s' is neither never nor a list of success,failure,delay"), v);
        return false;
    case V_URL:
        if (ascii_strncasecmp(v, "https://", 8) == 0 && v[8] != '\0' && no_space(v))
            return true;
        snprintf(why, n, _("'%s' is not an https:// URL"), v);
        return false;
    case V_DSN_RETURN:
        if (ascii_strcasecmp(v, "full") == 0 || ascii_strcasecmp(v, "hdrs") == 0)
            return true;
        snprintf(why, n, _("'%s' is neither full nor hdrs"), v);
        return false;
    default:
        return true;
    }
}

/* The types whose value is converted: paths, the trust store, a pin. */
static int parse_converted(enum vtype t, const char *v, union conf_val *out,
                           char *why, size_t n)
{
    if (t == V_TRUST && ascii_strcasecmp(v, "system") == 0) {
        out->s = xstrdup("system");
        return 0;
    }
    if (t == V_FPR) {
        if ((out->s = parse_fingerprint(v)) != NULL)
            return 0;
        snprintf(why, n, "%s", _("not a SHA-256 fingerprint (SHA256:AB:CD:... with 32 bytes)"));
        return -1;
    }
    if (!valid_path(v)) {
        if (t == V_TRUST)
            snprintf(why, n, _("'%s' is neither system nor an absolute path (/... or ~/...)"), v);
        else
            snprintf(why, n, _("'%s' is not an absolute path (/... or ~/...)"), v);
        return -1;
    }
    out->s = path_expand_tilde(v);
    return 0;
}

static int parse_string(enum vtype t, const char *v, union conf_val *out,
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
    if (t == V_PATH || t == V_TRUST || t == V_FPR)
        return parse_converted(t, v, out, why, n);
    if (!string_ok(t, v, why, n))
        return -1;
    out->s = xstrdup(v);
    return 0;
}

static int parse_number(enum vtype t, const char *v, union conf_val *out,
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

static int parse_choice(enum vtype t, const char *v, union conf_val *out,
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

bool conf_is_string(enum vtype t)
{
    return t == V_HOST || t == V_HOST_OPT || t == V_NAME || t == V_FROM || t == V_STR
        || t == V_PATH || t == V_TRUST || t == V_FPR || t == V_DSN_NOTIFY
        || t == V_DSN_RETURN || t == V_INHERIT || t == V_DOMAIN || t == V_URL
        || t == V_FALLBACK;
}

int conf_parse_value(enum vtype t, const char *v, union conf_val *out, char *why, size_t n)
{
    if (has_control_chars(v)) {
        snprintf(why, n, "%s", _("control character in value"));
        return -1;
    }
    if (conf_is_string(t))
        return parse_string(t, v, out, why, n);
    if (t == V_PORT || t == V_TIMEOUT || t == V_DURATION || t == V_SIZE)
        return parse_number(t, v, out, why, n);
    return parse_choice(t, v, out, why, n);
}

/* Stores a parsed value at its field; base is a struct account or config. */
void conf_store(void *base, const struct keydef *k, union conf_val *v)
{
    char *field = (char *)base + k->off;

    if (k->type == V_INHERIT) {
        free(v->s);
        return;
    }
    if (conf_is_string(k->type)) {
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

bool conf_account_only_key(const char *name)
{
    const struct keydef *k = find_key(account_keys, sizeof account_keys / sizeof account_keys[0],
                                      name);

    return k != NULL && (k->type == V_INHERIT || k->type == V_FALLBACK);
}

const struct keydef *conf_keydef(enum sec_kind kind, const char *name)
{
    if (kind == SEC_MAILOUT)
        return find_key(mailout_keys, sizeof mailout_keys / sizeof mailout_keys[0], name);
    const struct keydef *k = find_key(account_keys, sizeof account_keys / sizeof account_keys[0], name);
    if (k != NULL && (k->type == V_INHERIT || k->type == V_FALLBACK) && kind != SEC_ACCOUNT)
        return NULL;
    return k;
}

void conf_account_defaults(struct account *a)
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
    /* root's defaults are system mode's (mailout(1) REPLACING THE LOCAL MTA),
     * as for syslog: the senders there are daemons and cron jobs that read
     * no stderr, so mail that fails for good is reported to them by mail */
    a->bounce = geteuid() == 0;
    a->rewrite_from = REWRITE_LOCAL;
}

void conf_account_free(struct account *a)
{
    char **strings[] = {
        &a->name, &a->host, &a->from, &a->user, &a->password_command,
        &a->tls_trust_file, &a->tls_fingerprint, &a->tls_cert_file,
        &a->tls_key_file, &a->tls_server_name, &a->domain, &a->dsn_notify,
        &a->dsn_return, &a->file, &a->oauth2_client_id,
        &a->oauth2_client_secret_command, &a->oauth2_tenant, &a->oauth2_token_url,
        &a->oauth2_device_url, &a->oauth2_auth_url, &a->oauth2_scope,
        &a->oauth2_trust_file, &a->fallback,
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    free(a->origin);
    free(a->overridden);
    secret_free(a->password);
    memset(a, 0, sizeof *a);
}

#define N_ACCOUNT_KEYS (sizeof account_keys / sizeof account_keys[0])

ssize_t conf_account_key_index(const struct keydef *k)
{
    return k >= account_keys && k < account_keys + N_ACCOUNT_KEYS ? k - account_keys : -1;
}


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
    } else if (conf_is_string(k->type)) {
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
