/* oauth2_parse.c - the untrusted bytes of OAuth 2: token and device
 * endpoint answers (JSON, through json-c) and redirect URLs. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "util.h"
#include "oauth2_parse.h"

#ifdef HAVE_JSONC
#include <json-c/json.h>
#endif

void oauth2_reply_free(struct oauth2_reply *r)
{
    secret_free(r->access_token);
    secret_free(r->refresh_token);
    secret_free(r->device_code);
    free(r->error);
    free(r->error_description);
    free(r->user_code);
    free(r->verification_uri);
    free(r->verification_uri_complete);
    memset(r, 0, sizeof *r);
}

#ifdef HAVE_JSONC

/* A copy of a string member, which is wiped inside json-c's object. */
static char *take_str(json_object *o, const char *key)
{
    json_object *v;
    char *s, *p;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    p = (char *)json_object_get_string(v);
    s = xstrndup(p, (size_t)json_object_get_string_len(v));
    OPENSSL_cleanse(p, (size_t)json_object_get_string_len(v));
    return s;
}

static long take_long(json_object *o, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v))
        return -1;
    if (json_object_is_type(v, json_type_int))
        return (long)json_object_get_int64(v);
    if (json_object_is_type(v, json_type_string))    /* some servers quote it */
        return strtol(json_object_get_string(v), NULL, 10);
    return -1;
}

int oauth2_reply_parse(const char *body, size_t len, struct oauth2_reply *r)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;

    if (tok == NULL || len > (size_t)0x7fffffff)
        return -1;
    o = json_tokener_parse_ex(tok, body, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success)
        json_object_put(o), o = NULL;
    json_tokener_free(tok);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return -1;
    }
    r->access_token = take_str(o, "access_token");
    r->refresh_token = take_str(o, "refresh_token");
    r->expires_in = take_long(o, "expires_in");
    r->error = take_str(o, "error");
    r->error_description = take_str(o, "error_description");
    r->device_code = take_str(o, "device_code");
    r->user_code = take_str(o, "user_code");
    r->verification_uri = take_str(o, "verification_uri");
    if (r->verification_uri == NULL)    /* Google's name */
        r->verification_uri = take_str(o, "verification_url");
    r->verification_uri_complete = take_str(o, "verification_uri_complete");
    r->interval = take_long(o, "interval");
    json_object_put(o);
    return 0;
}

#else

int oauth2_reply_parse(const char *body, size_t len, struct oauth2_reply *r)
{
    (void)body;
    (void)len;
    (void)r;
    return -1;
}

#endif

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *pct_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

char *oauth2_query_param(const char *url, const char *name)
{
    const char *q = strchr(url, '?'), *end;
    size_t nl = strlen(name);

    q = q ? q + 1 : url;
    end = q + strcspn(q, "# \r\n");
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - q) > nl && strncmp(q, name, nl) == 0 && q[nl] == '=')
            return pct_decode(q + nl + 1, (size_t)(stop - q - nl - 1));
        q = stop + 1;
    }
    return NULL;
}

