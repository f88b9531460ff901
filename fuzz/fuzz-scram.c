/* fuzz-scram.c - libFuzzer target: what a server says during AUTH, as the
 * SASL client mechanisms read it (sasl_client_step): SCRAM server-first and
 * server-final messages above all, and the CRAM-MD5, LOGIN, XOAUTH2 and
 * OAUTHBEARER challenges. The first byte picks the mechanism; the rest is
 * split at LF into successive (decoded) challenges. Each piece also goes
 * through base64_decode as the text of a 334 reply would: what decodes must
 * encode back to the same text (only canonical base64 is accepted). The client nonce is
 * fixed ("fuzznonce"), so a seed "r=fuzznonceX,s=...,i=4096" gets past the
 * nonce check. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "sasl.h"

static const enum auth_mech mechs[] = {
    AUTH_SCRAM_SHA_256, AUTH_SCRAM_SHA_1, AUTH_SCRAM_SHA_256_PLUS, AUTH_SCRAM_SHA_1_PLUS,
    AUTH_CRAM_MD5, AUTH_LOGIN, AUTH_XOAUTH2, AUTH_OAUTHBEARER, AUTH_PLAIN, AUTH_EXTERNAL,
};

/* PBKDF2 with a hostile count is bounded by sasl.c (at most 1000000); the
 * fuzzer skips the slow end of that range to keep its pace. */
static bool slow_iterations(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (d[i] != 'i' || d[i + 1] != '=')
            continue;
        size_t k = i + 2;
        while (k < n && d[k] == '0')
            k++;
        size_t digits = 0;
        while (k + digits < n && d[k + digits] >= '0' && d[k + digits] <= '9')
            digits++;
        if (digits > 5)
            return true;
    }
    return false;
}

static void check_base64(const uint8_t *p, size_t len)
{
    unsigned char *dec = NULL;
    size_t dlen = 0;

    if (base64_decode((const char *)p, len, &dec, &dlen, 12288) != 0)
        return;
    char *enc = base64_encode(dec, dlen);
    if (strlen(enc) != len || memcmp(enc, p, len) != 0 || dec[dlen] != '\0')
        abort();
    free(enc);
    free(dec);
}

static void check_err(const struct mo_err *err)
{
    if ((err->code != EX_PROTOCOL && err->code != EX_NOPERM) || err->msg[0] == '\0')
        abort();
    for (const char *p = err->msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            abort();            /* server text is filtered in messages */
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const unsigned char cb[32] = "channel-binding-data-for-fuzz!!";
    struct mo_err err = { 0, "" };
    unsigned char *out = NULL;
    size_t out_len = 0;

    if (n == 0 || slow_iterations(d, n))
        return 0;
    struct sasl_client *c = sasl_client_new(mechs[d[0] % (sizeof mechs / sizeof mechs[0])],
                                            "user", "pencil", "fuzznonce");
    if (c == NULL)
        abort();
    if (sasl_client_set_channel_binding(c, "tls-exporter", cb, sizeof cb) != 0)
        abort();
    sasl_client_set_server(c, "mail.example.org", 587);
    if (sasl_client_initial(c, &out, &out_len, &err) != 0)
        abort();
    sasl_response_free(out, out_len);
    for (const uint8_t *p = d + 1, *end = d + n; p <= end; ) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        check_base64(p, (size_t)(le - p));
        out = NULL;
        out_len = 0;
        if (sasl_client_step(c, p, (size_t)(le - p), &out, &out_len, &err) != 0) {
            if (out != NULL)
                abort();        /* no response to send after an error */
            check_err(&err);
            break;
        }
        sasl_response_free(out, out_len);
        (void)sasl_client_done(c);
        const char *detail = sasl_client_error_detail(c);
        if (detail)
            for (const char *q = detail; *q; q++)
                if ((unsigned char)*q < 0x20 || (unsigned char)*q == 0x7f)
                    abort();
        p = le + 1;
    }
    sasl_client_free(c);
    return 0;
}
