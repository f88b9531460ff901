/* fuzz-smtpd-cmd.c - libFuzzer target: arbitrary bytes as one -bs command
 * line through smtpd_cmd_parse. A refusal is one reply line "4xx/5xx x.y.z
 * text"; an accepted MAIL or RCPT has a path without control bytes. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpd_cmd.h"

static void check_reply(const char *r)
{
    if (strlen(r) < 4 || (r[0] != '4' && r[0] != '5') || r[1] < '0' || r[1] > '9'
            || r[2] < '0' || r[2] > '9' || r[3] != ' ' || strpbrk(r, "\r\n") != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct smtpd_cmd c;
    char reply[512];

    if (smtpd_cmd_parse((const char *)d, n, &c, reply, sizeof reply) != 0) {
        check_reply(reply);
        if (c.path != NULL || c.arg != NULL)
            abort();
        return 0;
    }
    if ((c.verb == SV_MAIL || c.verb == SV_RCPT) && c.path == NULL)
        abort();
    for (const char *p = c.path; p && *p; p++)
        if ((unsigned char)*p < ' ')
            abort();
    if (c.verb == SV_RCPT && c.path[0] == '\0')
        abort();
    smtpd_cmd_free(&c);
    return 0;
}
