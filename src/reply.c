/* reply.c - SMTP reply and EHLO capability parsing. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "reply.h"

void reply_init(struct smtp_reply *r)
{
    memset(r, 0, sizeof *r);
    strbuf_init(&r->text, REPLY_MAX_BYTES);
}

void reply_reset(struct smtp_reply *r)
{
    r->code = 0;
    r->enhanced[0] = '\0';
    r->n_lines = 0;
    r->complete = false;
    strbuf_reset(&r->text);
}

void reply_free(struct smtp_reply *r)
{
    strbuf_free(&r->text);
    reply_init(r);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 3463: class "." subject "." detail, 1-3 digits each (class 2, 4 or 5). */
static size_t enhanced_len(const char *s, size_t len)
{
    size_t i = 0;

    for (int part = 0; part < 3; part++) {
        size_t start = i;
        while (i < len && is_digit(s[i]) && i - start < 3)
            i++;
        if (i == start)
            return 0;
        if (part < 2) {
            if (i >= len || s[i] != '.')
                return 0;
            i++;
        }
    }
    if (s[0] != '2' && s[0] != '4' && s[0] != '5')
        return 0;
    if (i < len && s[i] != ' ')
        return 0;
    return i;
}

int reply_feed_line(struct smtp_reply *r, const char *line, size_t len,
                    struct mo_err *err)
{
    char shown[80];
    int code;

    if (r->complete)
        reply_reset(r);
    if (len < 3 || line[0] < '2' || line[0] > '5' || !is_digit(line[1])
        || !is_digit(line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-')) {
        reply_printable(line, len, shown, sizeof shown);
        return mo_err_set(err, EX_PROTOCOL,
                          _("the server sent a malformed reply line: \"%s\""), shown);
    }
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (r->n_lines > 0 && code != r->code) {
        reply_printable(line, len, shown, sizeof shown);
        return mo_err_set(err, EX_PROTOCOL,
                          _("the server changed the reply code within a multi-line reply: \"%s\""), shown);
    }
    if (r->n_lines >= REPLY_MAX_LINES
        || (r->n_lines > 0 && strbuf_append(&r->text, "\n", 1) != 0)
        || strbuf_append(&r->text, line, len) != 0)
        return mo_err_set(err, EX_PROTOCOL,
                          _("the server's reply is too long (over %d lines or %d bytes)"),
                          REPLY_MAX_LINES, REPLY_MAX_BYTES);
    if (r->n_lines == 0) {
        size_t el;
        r->code = code;
        if (len > 4 && (el = enhanced_len(line + 4, len - 4)) > 0
            && el < sizeof r->enhanced && line[4] == line[0]) {
            memcpy(r->enhanced, line + 4, el);
            r->enhanced[el] = '\0';
        }
    }
    r->n_lines++;
    r->complete = len == 3 || line[3] == ' ';
    return r->complete ? 1 : 0;
}

const char *reply_line_text(const struct smtp_reply *r, size_t i, size_t *len)
{
    const char *p = r->text.data, *end, *nl;

    if (p == NULL || i >= r->n_lines)
        return NULL;
    end = p + r->text.len;
    for (; i > 0; i--) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return NULL;
        p = nl + 1;
    }
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        nl = end;
    if (nl - p <= 4) {
        *len = 0;
        return nl;
    }
    *len = (size_t)(nl - p - 4);
    return p + 4;
}

void reply_printable(const char *s, size_t len, char *buf, size_t size)
{
    size_t o = 0;

    if (size == 0)
        return;
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    buf[o] = '\0';
}

void reply_oneline(const struct smtp_reply *r, char *buf, size_t size)
{
    size_t o, el = strlen(r->enhanced);

    if (size == 0)
        return;
    snprintf(buf, size, "%03d", r->code);
    o = strlen(buf);
    for (size_t i = 0; i < r->n_lines && o + 2 < size; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        if (t == NULL)
            break;
        /* Servers repeat the enhanced code on every line: show it once. */
        if (i > 0 && el > 0 && len >= el && memcmp(t, r->enhanced, el) == 0) {
            t += el;
            len -= el;
            while (len > 0 && *t == ' ') {
                t++;
                len--;
            }
        }
        if (len == 0)
            continue;
        buf[o++] = ' ';
        reply_printable(t, len, buf + o, size - o);
        o += strlen(buf + o);
    }
    buf[o] = '\0';
}

static bool keyword_is(const char *t, size_t len, const char *kw)
{
    size_t n = strlen(kw);
    return len >= n && ascii_strncasecmp(t, kw, n) == 0
           && (len == n || t[n] == ' ' || t[n] == '=');
}

/* RFC 4422 §3.1: a mechanism name is 1 to 20 of [A-Z0-9-_]. Anything else
 * (control characters, escape sequences) is dropped, never stored. */
static bool mech_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > SASL_MECH_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'A' && name[i] <= 'Z') || is_digit(name[i])
              || name[i] == '-' || name[i] == '_'))
            return false;
    return true;
}

static void add_mechs(struct smtp_caps *c, const char *t, size_t len)
{
    size_t o = strlen(c->auth_mechs);

    if (o == 0 && sizeof c->auth_mechs > 1)
        c->auth_mechs[o++] = ' ';
    for (size_t i = 0; i < len;) {
        size_t j = i;
        char name[SASL_MECH_NAME_MAX + 1];
        while (j < len && t[j] != ' ')
            j++;
        if (j - i <= SASL_MECH_NAME_MAX) {
            for (size_t k = i; k < j; k++)
                name[k - i] = (t[k] >= 'a' && t[k] <= 'z') ? (char)(t[k] - 32) : t[k];
            name[j - i] = '\0';
            if (mech_name_ok(name, j - i) && !caps_has_mech(c, name)
                && o + (j - i) + 2 < sizeof c->auth_mechs) {
                memcpy(c->auth_mechs + o, name, j - i);
                o += j - i;
                c->auth_mechs[o++] = ' ';
            }
        }
        c->auth_mechs[o] = '\0';
        i = j + 1;
    }
}

static void parse_size(struct smtp_caps *c, const char *t, size_t len)
{
    uint64_t v = 0;
    size_t i = 4;

    c->size = true;
    while (i < len && t[i] == ' ')
        i++;
    for (; i < len && is_digit(t[i]); i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return;         /* absurd: treat as no limit */
        v = v * 10 + (uint64_t)(t[i] - '0');
    }
    c->size_max = v;
}

void caps_parse(struct smtp_caps *c, const struct smtp_reply *r)
{
    static const struct { const char *kw; size_t off; } flags[] = {
        { "PIPELINING", offsetof(struct smtp_caps, pipelining) },
        { "8BITMIME", offsetof(struct smtp_caps, eightbitmime) },
        { "SMTPUTF8", offsetof(struct smtp_caps, smtputf8) },
        { "DSN", offsetof(struct smtp_caps, dsn) },
        { "STARTTLS", offsetof(struct smtp_caps, starttls) },
        { "CHUNKING", offsetof(struct smtp_caps, chunking) },
        { "BINARYMIME", offsetof(struct smtp_caps, binarymime) },
        { "ENHANCEDSTATUSCODES", offsetof(struct smtp_caps, enhancedstatuscodes) },
    };

    memset(c, 0, sizeof *c);
    c->esmtp = true;
    for (size_t i = 1; i < r->n_lines; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        if (t == NULL)
            break;
        if (keyword_is(t, len, "SIZE")) {
            parse_size(c, t, len);
        } else if (keyword_is(t, len, "AUTH")) {
            c->auth = true;
            add_mechs(c, t + 5 < t + len ? t + 5 : t + len, len > 5 ? len - 5 : 0);
        } else {
            for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
                if (keyword_is(t, len, flags[k].kw))
                    *(bool *)((char *)c + flags[k].off) = true;
        }
    }
}

bool caps_has_mech(const struct smtp_caps *c, const char *mech)
{
    size_t n = strlen(mech);
    const char *p = c->auth_mechs;

    if (n == 0)
        return false;           /* strstr would find "" forever */
    while ((p = strstr(p, mech)) != NULL) {
        if (p > c->auth_mechs && p[-1] == ' ' && p[n] == ' ')
            return true;
        p += n;
    }
    return false;
}
