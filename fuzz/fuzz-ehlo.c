/* fuzz-ehlo.c - libFuzzer target: the EHLO capability parser (caps_parse,
 * caps_has_mech) over every complete reply the bytes make, one per LF line
 * as fuzz-reply splits them. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "reply.h"

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
    for (size_t i = 0; i < len; i++)
        if (c.auth_mechs[i] >= 'a' && c.auth_mechs[i] <= 'z')
            abort();            /* upper case */
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
        if (rc != 0) {
            if (rc == 1)
                check_caps(&r);
            reply_reset(&r);
        }
        p = le + 1;
    }
    reply_free(&r);
    return 0;
}
