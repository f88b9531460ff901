/* dropfile.c - incoming/ entries of system mode: one "key value" line per
 * envelope item, "end", then the message as the caller wrote it. */
#include "config.h"
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "i18n.h"
#include "util.h"
#include "address.h"
#include "dropfile.h"

static int check_value(const char *what, const char *v, struct mo_err *err)
{
    if (v == NULL)
        return 0;
    if (has_control_chars(v))
        return mo_err_set(err, EX_DATAERR,
                          _("%s contains a control character (CR, LF or other); refused"), what);
    if (strlen(v) > DROP_VALUE_MAX)
        return mo_err_set(err, EX_DATAERR, _("%s is longer than %d bytes; refused"),
                          what, DROP_VALUE_MAX);
    return 0;
}

static int check_rcpt(const char *arg, struct mo_err *err)
{
    struct address_list al;

    if (address_list_parse(arg, strlen(arg), &al, err) != 0)
        return mo_err_prefix(err, _("recipient on the command line"));
    address_list_free(&al);
    return 0;
}

int drop_check_values(const struct drop_envelope *d, struct mo_err *err)
{
    if (check_value(_("the user name"), d->user, err) != 0
            || check_value(_("the sender address (-f)"), d->sender, err) != 0
            || check_value(_("the full name (-F)"), d->full_name, err) != 0
            || check_value(_("the DSN notify value (-N)"), d->notify, err) != 0
            || check_value(_("the DSN return value (-R)"), d->ret, err) != 0
            || check_value(_("the DSN envelope id (-V)"), d->envid, err) != 0
            || check_value(_("the account (-a)"), d->account, err) != 0
            || check_value(_("the reason"), d->reason, err) != 0)
        return -1;
    if (d->user == NULL || d->user[0] == '\0' || strchr(d->user, ' ') != NULL)
        return mo_err_set(err, EX_DATAERR, "%s", _("no valid user name"));
    if (d->n_rcpts > DROP_RCPTS_MAX)
        return mo_err_set(err, EX_USAGE, _("more than %d recipient arguments"), DROP_RCPTS_MAX);
    for (size_t i = 0; i < d->n_rcpts; i++)
        if (check_value(_("a recipient"), d->rcpts[i], err) != 0)
            return -1;
    return 0;
}

int drop_check(const struct drop_envelope *d, struct mo_err *err)
{
    char *addr = NULL;

    if (drop_check_values(d, err) != 0)
        return -1;
    /* the account is root's choice, not a local user's */
    if (d->account != NULL)
        return mo_err_set(err, EX_USAGE, "%s", _("an account (-a) is not accepted from a local user"));
    if (d->sender != NULL) {
        if (address_parse_one(d->sender, &addr, err) != 0)
            return mo_err_prefix(err, _("sender (-f)"));
        free(addr);
    }
    for (size_t i = 0; i < d->n_rcpts; i++)
        if (check_rcpt(d->rcpts[i], err) != 0)
            return -1;
    if (d->n_rcpts == 0 && !d->read_recipients)
        return mo_err_set(err, EX_DATAERR, "%s",
                          _("no recipients: give them on the command line, or use -t"));
    return 0;
}

static void put(struct strbuf *b, const char *key, const char *v)
{
    if (v != NULL)
        strbuf_appendf(b, "%s %s\n", key, v);
}

char *drop_render(const struct drop_envelope *d, size_t *len)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    strbuf_appendf(&b, "%s\nuid %lu\nuser %s\ntime %lld\n", DROP_FORMAT_LINE,
                   d->uid, d->user, d->time);
    if (d->read_recipients)
        strbuf_appendf(&b, "read-recipients\n");
    if (d->read_envelope_from)
        strbuf_appendf(&b, "read-envelope-from\n");
    put(&b, "account", d->account);
    put(&b, "reason", d->reason);
    put(&b, "sender", d->sender);
    put(&b, "full-name", d->full_name);
    put(&b, "notify", d->notify);
    put(&b, "ret", d->ret);
    put(&b, "envid", d->envid);
    for (size_t i = 0; i < d->n_rcpts; i++)
        put(&b, "rcpt", d->rcpts[i]);
    strbuf_appendf(&b, "end\n");
    return strbuf_detach(&b, len);
}

static int number(const char *v, unsigned long long max, unsigned long long *out)
{
    char *end;

    if (v[0] < '0' || v[0] > '9' || strlen(v) > 20)
        return -1;
    *out = strtoull(v, &end, 10);
    return *end == '\0' && *out <= max ? 0 : -1;
}

static char **slot(struct drop_envelope *d, const char *key)
{
    if (strcmp(key, "user") == 0) return &d->user;
    if (strcmp(key, "sender") == 0) return &d->sender;
    if (strcmp(key, "full-name") == 0) return &d->full_name;
    if (strcmp(key, "notify") == 0) return &d->notify;
    if (strcmp(key, "ret") == 0) return &d->ret;
    if (strcmp(key, "envid") == 0) return &d->envid;
    if (strcmp(key, "account") == 0) return &d->account;
    if (strcmp(key, "reason") == 0) return &d->reason;
    return NULL;
}

/* One "key value" line (value may be empty: "sender " is the null sender). */
static int parse_line(struct drop_envelope *d, char *line, struct mo_err *err)
{
    char *sp = strchr(line, ' '), **s;
    const char *v = sp ? sp + 1 : NULL;
    unsigned long long n;

    if (sp)
        *sp = '\0';
    if (v == NULL && strcmp(line, "read-recipients") == 0) {
        d->read_recipients = true;
        return 0;
    }
    if (v == NULL && strcmp(line, "read-envelope-from") == 0) {
        d->read_envelope_from = true;
        return 0;
    }
    if (v != NULL && strcmp(line, "uid") == 0 && number(v, 0xffffffffULL, &n) == 0) {
        d->uid = (unsigned long)n;
        return 0;
    }
    if (v != NULL && strcmp(line, "time") == 0 && number(v, 1ULL << 40, &n) == 0) {
        d->time = (long long)n;
        return 0;
    }
    if (v != NULL && strcmp(line, "rcpt") == 0 && d->n_rcpts < DROP_RCPTS_MAX) {
        d->rcpts = xreallocarray(d->rcpts, d->n_rcpts + 1, sizeof *d->rcpts);
        d->rcpts[d->n_rcpts++] = xstrdup(v);
        return 0;
    }
    if (v != NULL && (s = slot(d, line)) != NULL && *s == NULL) {
        *s = xstrdup(v);
        return 0;
    }
    return mo_err_set(err, EX_DATAERR, _("bad or repeated envelope line \"%.40s\""), line);
}

static int parse_text(const char *buf, size_t len, struct drop_envelope *d,
                      size_t *body_offset, int (*check)(const struct drop_envelope *,
                                                        struct mo_err *),
                      struct mo_err *err)
{
    size_t off = 0, lines = 0;

    memset(d, 0, sizeof *d);
    if (len > DROP_ENVELOPE_MAX)
        len = DROP_ENVELOPE_MAX;
    while (off < len) {
        const char *lf = memchr(buf + off, '\n', len - off);
        char *line;
        int rc = 0;

        if (lf == NULL)
            break;
        line = xstrndup(buf + off, (size_t)(lf - buf - off));
        off = (size_t)(lf - buf) + 1;
        if (lines++ == 0)
            rc = strcmp(line, DROP_FORMAT_LINE) == 0 ? 0
                 : mo_err_set(err, EX_DATAERR, "%s", _("not an incoming/ entry (bad first line)"));
        else if (strcmp(line, "end") == 0) {
            free(line);
            *body_offset = off;
            return check(d, err);
        } else
            rc = parse_line(d, line, err);
        free(line);
        if (rc != 0)
            return -1;
    }
    return mo_err_set(err, EX_DATAERR, "%s", _("the envelope has no end line"));
}

int drop_parse(const char *buf, size_t len, struct drop_envelope *d,
               size_t *body_offset, struct mo_err *err)
{
    return parse_text(buf, len, d, body_offset, drop_check, err);
}

int drop_parse_values(const char *buf, size_t len, struct drop_envelope *d,
                      size_t *body_offset, struct mo_err *err)
{
    return parse_text(buf, len, d, body_offset, drop_check_values, err);
}

int drop_read(int fd, bool held, struct drop_envelope *d, off_t *body,
              struct mo_err *err)
{
    char *buf = xmalloc(DROP_ENVELOPE_MAX);
    ssize_t n = pread(fd, buf, DROP_ENVELOPE_MAX, 0);
    size_t off = 0;
    int rc;

    memset(d, 0, sizeof *d);
    if (n < 0) {
        free(buf);
        return mo_err_set(err, EX_IOERR, "%s", strerror(errno));
    }
    rc = held ? drop_parse_values(buf, (size_t)n, d, &off, err)
              : drop_parse(buf, (size_t)n, d, &off, err);
    free(buf);
    *body = (off_t)off;
    return rc;
}

bool drop_name_valid(const char *name)
{
    return is_hex_name(name, DROP_NAME_LEN, false);
}

void drop_free(struct drop_envelope *d)
{
    for (size_t i = 0; i < d->n_rcpts; i++)
        free(d->rcpts[i]);
    free(d->rcpts);
    free(d->user);
    free(d->sender);
    free(d->full_name);
    free(d->notify);
    free(d->ret);
    free(d->envid);
    free(d->account);
    free(d->reason);
    memset(d, 0, sizeof *d);
}

void drop_print(FILE *out, const char *name, long long size,
                const struct drop_envelope *d)
{
    char when[32];
    time_t t = (time_t)d->time;

    strftime(when, sizeof when, "%a %b %e %H:%M:%S", localtime(&t));
    fprintf(out, "%-16s %8lld %s  %s\n", name, size, when,
            d->sender ? (d->sender[0] ? d->sender : "<>") : d->user);
    for (size_t i = 0; i < d->n_rcpts; i++)
        fprintf(out, "%47s%s\n", "", d->rcpts[i]);
    if (d->read_recipients)
        fprintf(out, "%47s%s\n", "", _("(and the recipients in To, Cc, Bcc)"));
}
