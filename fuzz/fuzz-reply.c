/* fuzz-reply.c - libFuzzer target: the SMTP reply parser (reply_feed_line,
 * reply_oneline, reply_line_text) on arbitrary bytes split into lines at LF
 * (a CR before it removed, as net_read_line does; NUL bytes kept), and the
 * EHLO capability parser (caps_parse, caps_has_mech) over every complete
 * reply they make. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "reply.h"

static void check_reply(const struct smtp_reply *r)
{
    char one[512];

    if (r->code < 200 || r->code > 599 || r->n_lines == 0 || r->n_lines > REPLY_MAX_LINES)
        abort();
    if (r->text.len > REPLY_MAX_BYTES + REPLY_MAX_LINES)
        abort();
    reply_oneline(r, one, sizeof one);
    if (strlen(one) >= sizeof one)
        abort();
    for (const char *p = one; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            abort();            /* server text never reaches a terminal raw */
    for (size_t i = 0; i < r->n_lines; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        if (t == NULL || t < r->text.data || t + len > r->text.data + r->text.len)
            abort();
    }
    if (reply_line_text(r, r->n_lines, &(size_t){ 0 }) != NULL)
        abort();
}

static void check_caps(const struct smtp_reply *r)
{
    struct smtp_caps c;
    size_t len;

    memset(&c, 0, sizeof c);
    caps_parse(&c, r);
    len = strnlen(c.auth_mechs, sizeof c.auth_mechs);
    if (len == sizeof c.auth_mechs)
        abort();                /* not terminated */
    if (len > 0 && c.auth_mechs[0] != ' ')
        abort();                /* space-framed */
    for (size_t i = 0; i < len; i++) {
        char ch = c.auth_mechs[i];
        if (!(ch == ' ' || ch == '-' || ch == '_' || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9')))
            abort();            /* RFC 4422's charset, upper case */
    }
    if (c.size_max != 0 && !c.size)
        abort();
    (void)caps_has_mech(&c, "PLAIN");
    (void)caps_has_mech(&c, "SCRAM-SHA-256-PLUS");
    (void)caps_has_mech(&c, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct smtp_reply r;
    struct mo_err err = { 0, "" };
    const char *p = (const char *)d, *end = p + n;

    reply_init(&r);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t len = (size_t)(le - p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        int rc = reply_feed_line(&r, p, len, &err);
        if (rc < 0) {
            if (err.code != EX_PROTOCOL || err.msg[0] == '\0')
                abort();
            reply_reset(&r);
        } else if (rc == 1) {
            if (!r.complete)
                abort();
            check_reply(&r);
            check_caps(&r);
            reply_reset(&r);
        }
        p = le + 1;
    }
    reply_free(&r);
    return 0;
}
