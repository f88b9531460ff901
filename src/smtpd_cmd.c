/* smtpd_cmd.c - one SMTP command line as a server (-bs) reads it: the verb,
 * the path of MAIL FROM / RCPT TO (RFC 5321 4.1.2, a source route dropped)
 * and the ESMTP parameters mailout knows (SIZE, BODY, SMTPUTF8, RET, ENVID,
 * NOTIFY, ORCPT). Anything else is refused with the reply to give. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "util.h"
#include "conf.h"
#include "smtpd_cmd.h"

#define PATH_MAX_LEN 512        /* RFC 5321 4.5.3.1.3: 256; generous */
#define ENVID_MAX 100
#define SIZE_MAX_VALUE 1000000000000L

static int refuse(char *reply, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *reply, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reply, n, fmt, ap);
    va_end(ap);
    return -1;
}

static const struct {
    const char *name;
    enum smtpd_verb verb;
} verbs[] = {
    { "HELO", SV_HELO }, { "EHLO", SV_EHLO }, { "MAIL", SV_MAIL },
    { "RCPT", SV_RCPT }, { "DATA", SV_DATA }, { "RSET", SV_RSET },
    { "NOOP", SV_NOOP }, { "QUIT", SV_QUIT }, { "VRFY", SV_VRFY },
    { "EXPN", SV_EXPN }, { "HELP", SV_HELP }, { "STARTTLS", SV_STARTTLS },
    { "AUTH", SV_AUTH }, { "BDAT", SV_BDAT },
};

static enum smtpd_verb find_verb(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strlen(verbs[i].name) == n && ascii_strncasecmp(verbs[i].name, s, n) == 0)
            return verbs[i].verb;
    return SV_UNKNOWN;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

/* "<...>" with quoted strings and a source route; *end after the '>'.
 * Returns the address (caller frees) or NULL. */
static char *take_path(const char *s, const char **end)
{
    const char *p = s + 1, *start;
    bool quoted = false;

    if (*s != '<')
        return NULL;
    if (*p == '@') {                /* <@a,@b:user@d>: the route goes */
        size_t route = strcspn(p, ":>\"");
        if (p[route] != ':')
            return NULL;
        p += route + 1;
    }
    start = p;
    for (; *p; p++) {
        if (*p == '\\' && quoted && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (*p == '>' && !quoted)
            break;
    }
    if (*p != '>' || (size_t)(p - start) > PATH_MAX_LEN)
        return NULL;
    *end = p + 1;
    return xstrndup(start, (size_t)(p - start));
}

static bool valid_xtext(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n > ENVID_MAX)
        return false;
    for (; *v; v++)
        if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f || *v == '=')
            return false;
    return true;
}

static int mail_param(struct smtpd_cmd *c, char *key, char *val, char *reply, size_t n)
{
    if (ascii_strcasecmp(key, "SIZE") == 0) {
        char *end;
        errno = 0;
        long l = val ? strtol(val, &end, 10) : -1;
        if (val == NULL || val[0] < '0' || val[0] > '9' || *end || errno || l > SIZE_MAX_VALUE)
            return refuse(reply, n, "501 5.5.4 %s", ("Bad SIZE= value"));
        c->size = l;
    } else if (ascii_strcasecmp(key, "BODY") == 0) {
        if (val == NULL || (ascii_strcasecmp(val, "7BIT") != 0 && ascii_strcasecmp(val, "8BITMIME") != 0))
            return refuse(reply, n, "501 5.5.4 %s", ("Bad BODY= value (7BIT or 8BITMIME)"));
    } else if (ascii_strcasecmp(key, "SMTPUTF8") == 0 && val == NULL) {
        ;   /* UTF-8 is relayed as it is */
    } else if (ascii_strcasecmp(key, "RET") == 0) {
        if (val == NULL || (ascii_strcasecmp(val, "FULL") != 0 && ascii_strcasecmp(val, "HDRS") != 0))
            return refuse(reply, n, "501 5.5.4 %s", ("Bad RET= value (FULL or HDRS)"));
        free(c->ret);
        c->ret = xstrdup(val);
        lower(c->ret);
    } else if (ascii_strcasecmp(key, "ENVID") == 0) {
        if (val == NULL || !valid_xtext(val))
            return refuse(reply, n, "501 5.5.4 %s", ("Bad ENVID= value"));
        free(c->envid);
        c->envid = xstrdup(val);
    } else {
        return refuse(reply, n, "555 5.5.4 %s", ("Unsupported MAIL FROM parameter"));
    }
    return 0;
}

static int rcpt_param(struct smtpd_cmd *c, char *key, char *val, char *reply, size_t n)
{
    if (ascii_strcasecmp(key, "NOTIFY") == 0) {
        if (val == NULL || conf_check_dsn_notify(val) != 0)
            return refuse(reply, n, "501 5.5.4 %s", ("Bad NOTIFY= value"));
        free(c->notify);
        c->notify = xstrdup(val);
        lower(c->notify);
    } else if (ascii_strcasecmp(key, "ORCPT") == 0 && val != NULL) {
        ;   /* the original recipient is not passed on */
    } else {
        return refuse(reply, n, "555 5.5.4 %s", ("Unsupported RCPT TO parameter"));
    }
    return 0;
}

/* The parameters after the path: "KEY[=VALUE]" separated by spaces. */
static int params(struct smtpd_cmd *c, char *s, char *reply, size_t n)
{
    char *save = NULL;

    for (char *tok = strtok_r(s, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (eq != NULL)
            *eq++ = '\0';
        if ((c->verb == SV_MAIL ? mail_param(c, tok, eq, reply, n)
                                : rcpt_param(c, tok, eq, reply, n)) != 0)
            return -1;
    }
    return 0;
}

/* "MAIL FROM:<path> params" / "RCPT TO:<path> params"; rest is the text
 * after the verb. */
static int parse_path_cmd(struct smtpd_cmd *c, const char *rest, char *reply, size_t n)
{
    const char *word = c->verb == SV_MAIL ? "FROM:" : "TO:";
    const char *usage = c->verb == SV_MAIL ? "MAIL FROM:<address>" : "RCPT TO:<address>";
    const char *end = NULL;
    size_t wl = strlen(word);
    char *tail;
    int rc;

    while (*rest == ' ')
        rest++;
    if (ascii_strncasecmp(rest, word, wl) != 0)
        return refuse(reply, n, "501 5.5.4 %s %s", ("Syntax:"), usage);
    rest += wl;
    while (*rest == ' ')
        rest++;
    if ((c->path = take_path(rest, &end)) == NULL)
        return refuse(reply, n, "501 5.1.7 %s %s", ("Bad address syntax; use"), usage);
    if (c->verb == SV_RCPT && c->path[0] == '\0')
        return refuse(reply, n, "501 5.1.3 %s", ("An empty recipient address"));
    if (*end != '\0' && *end != ' ')
        return refuse(reply, n, "501 5.5.4 %s %s", ("Syntax:"), usage);
    tail = xstrdup(end);
    rc = params(c, tail, reply, n);
    free(tail);
    return rc;
}

static int parse_rest(struct smtpd_cmd *c, const char *rest, char *reply, size_t n)
{
    switch (c->verb) {
    case SV_HELO: case SV_EHLO:
        while (*rest == ' ')
            rest++;
        if (*rest == '\0')
            return refuse(reply, n, "501 5.5.4 %s %s", ("Syntax:"),
                          c->verb == SV_HELO ? "HELO hostname" : "EHLO hostname");
        c->arg = xstrdup(rest);
        return 0;
    case SV_MAIL: case SV_RCPT:
        return parse_path_cmd(c, rest, reply, n);
    case SV_DATA: case SV_RSET: case SV_QUIT:
        if (*rest != '\0')
            return refuse(reply, n, "501 5.5.4 %s", ("This command takes no argument"));
        return 0;
    default:
        return 0;   /* NOOP, VRFY, HELP, ...: the argument does not matter */
    }
}

int smtpd_cmd_parse(const char *line, size_t len, struct smtpd_cmd *out,
                    char *reply, size_t n)
{
    size_t vl = 0;
    char *copy;
    int rc;

    memset(out, 0, sizeof *out);
    out->size = -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < ' ' && line[i] != '\t')
            return refuse(reply, n, "500 5.5.2 %s", ("Control character in the command"));
    while (vl < len && line[vl] != ' ' && line[vl] != '\t')
        vl++;
    out->verb = find_verb(line, vl);
    if (out->verb == SV_UNKNOWN)
        return refuse(reply, n, "500 5.5.1 %s", ("Command unrecognized"));
    copy = xstrndup(line + vl, len - vl);
    for (char *p = copy; *p; p++)
        if (*p == '\t')
            *p = ' ';
    for (size_t k = strlen(copy); k > 0 && copy[k - 1] == ' '; k--)
        copy[k - 1] = '\0';
    rc = parse_rest(out, copy[0] == ' ' ? copy + 1 : copy, reply, n);
    free(copy);
    if (rc != 0)
        smtpd_cmd_free(out);
    return rc;
}

void smtpd_cmd_free(struct smtpd_cmd *c)
{
    free(c->arg);
    free(c->path);
    free(c->ret);
    free(c->envid);
    free(c->notify);
    c->arg = c->path = c->ret = c->envid = c->notify = NULL;
}
