/* fuzz-oauth2.c - libFuzzer target: arbitrary bytes as an OAuth 2 token or
 * device endpoint answer (oauth2_reply_parse) and as a redirect URL pasted by
 * the user (oauth2_query_param). */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "oauth2_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "code", "state", "error", "" };
    struct oauth2_reply r;
    char *s = malloc(size + 1);

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    memset(&r, 0, sizeof r);
    if (oauth2_reply_parse((const char *)data, size, &r) == 0) {
        /* every string is a NUL-terminated copy */
        const char *f[] = { r.access_token, r.refresh_token, r.error, r.error_description,
                            r.device_code, r.user_code, r.verification_uri,
                            r.verification_uri_complete };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (f[i] != NULL && strlen(f[i]) > size)
                abort();
    }
    oauth2_reply_free(&r);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *v = oauth2_query_param(s, names[i]);
        if (v != NULL && strlen(v) > size)
            abort();
        free(v);
    }
    free(s);
    return 0;
}
