/* codec.c - base64 (RFC 4648, strict) and xtext (RFC 3461). */
#include "config.h"
#include <stdbool.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "util.h"
#include "codec.h"

char *base64_encode(const unsigned char *in, size_t len)
{
    size_t n = 4 * ((len + 2) / 3);
    char *out = xmalloc(n + 1);
    size_t o = 0;

    /* EVP_EncodeBlock takes an int length: encode in bounded chunks. */
    while (len > 0) {
        size_t chunk = len > 3 * 4096 ? 3 * 4096 : len;
        o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, in, (int)chunk);
        in += chunk;
        len -= chunk;
    }
    out[o] = '\0';
    return out;
}

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Strict: length a multiple of 4, padding only at the end, no whitespace. */
int base64_decode(const char *in, size_t len, unsigned char **out,
                  size_t *out_len, size_t max)
{
    unsigned char *buf;
    size_t o = 0, pad = 0;

    *out = NULL;
    *out_len = 0;
    if (len % 4 != 0)
        return -1;
    if (len >= 1 && in[len - 1] == '=') pad++;
    if (pad && len >= 2 && in[len - 2] == '=') pad++;
    if (len / 4 * 3 - pad > max)
        return -1;
    buf = xmalloc(len / 4 * 3 + 1);
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        bool last = i + 4 == len;
        for (int k = 0; k < 4; k++) {
            v[k] = b64_value((unsigned char)in[i + k]);
            if (v[k] < 0 && !(last && in[i + k] == '=' && k >= 4 - (int)pad)) {
                OPENSSL_cleanse(buf, len / 4 * 3 + 1);
                free(buf);
                return -1;
            }
        }
        /* Non-canonical padding bits would let two texts decode alike. */
        if ((v[2] < 0 && (v[1] & 15)) || (v[2] >= 0 && v[3] < 0 && (v[2] & 3))) {
            OPENSSL_cleanse(buf, len / 4 * 3 + 1);
            free(buf);
            return -1;
        }
        buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0)
            buf[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] >= 0)
            buf[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
}

char *xtext_encode(const char *s)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < '!' || c > '~' || c == '+' || c == '=')
            strbuf_appendf(&b, "+%02X", c);
        else
            strbuf_append(&b, s, 1);
    }
    return strbuf_detach(&b, NULL);
}
