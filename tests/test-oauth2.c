/* test-oauth2.c - the built-in OAuth 2's pure parts: the oauth2_* keys and
 * their errors (file:line:key), the provider presets, the parsers of token
 * answers and redirect URLs. The flows run against real servers in
 * tests/oauth2-*.sh. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "oauth2.h"
#include "oauth2_parse.h"
#include "tap.h"

static const char *load(const char *text, struct config *cfg, struct mo_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    memset(err, 0, sizeof *err);
    if (conf_load_from_string(cfg, "t.ini", text, err) != 0)
        return err->msg;
    return NULL;
}

static void test_keys(void)
{
    struct config cfg;
    struct mo_err err;
    const char *e;
    struct oauth2_endpoints ep;

    e = load("[account w]\nhost = smtp.office365.com\nuser = me@example.com\n"
             "oauth2_provider = microsoft\noauth2_client_id = abc\noauth2_tenant = contoso.example\n", &cfg, &err);
    ok(e == NULL, "a microsoft account loads: %s", e ? e : "");
    if (e == NULL) {
        const struct account *a = &cfg.accounts[0];
        is_int(a->auth, AUTH_XOAUTH2, "auth = auto becomes XOAUTH2 with a provider");
        ok(oauth2_applies(a), "the built-in OAuth 2 applies");
        oauth2_endpoints_get(a, &ep);
        is_str(ep.token_url, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token", "microsoft token URL with the tenant");
        is_str(ep.device_url, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/devicecode", "device URL");
        is_str(ep.scope, "https://outlook.office.com/SMTP.Send offline_access", "microsoft scope");
        oauth2_endpoints_free(&ep);
        config_free(&cfg);
    }
    e = load("[account g]\nhost = smtp.gmail.com\nuser = me@gmail.com\nauth = oauthbearer\n"
             "oauth2_provider = google\noauth2_client_id = abc\n"
             "oauth2_token_url = https://tok.example/t\n", &cfg, &err);
    ok(e == NULL, "a google account loads");
    if (e == NULL) {
        oauth2_endpoints_get(&cfg.accounts[0], &ep);
        is_str(ep.token_url, "https://tok.example/t", "an own oauth2_token_url overrides the preset");
        is_str(ep.auth_url, "https://accounts.google.com/o/oauth2/v2/auth", "google auth URL");
        is_str(ep.scope, "https://mail.google.com/", "google scope");
        is_int(cfg.accounts[0].auth, AUTH_OAUTHBEARER, "auth = oauthbearer is kept");
        oauth2_endpoints_free(&ep);
        config_free(&cfg);
    }
    e = load("[account c]\nhost = h\nuser = u\noauth2_provider = custom\noauth2_client_id = x\n", &cfg, &err);
    ok(e && strstr(e, "t.ini:1: oauth2_token_url:"), "custom without a token URL: %s", e ? e : "");
    e = load("[account c]\nhost = h\nuser = u\noauth2_provider = microsoft\n", &cfg, &err);
    ok(e && strstr(e, "t.ini:1: oauth2_client_id:") && strstr(e, "none is shipped"), "no client id: %s", e ? e : "");
    e = load("[account c]\nhost = h\nuser = u\nauth = plain\noauth2_provider = google\noauth2_client_id = x\n", &cfg, &err);
    ok(e && strstr(e, "t.ini:1: auth:"), "auth = plain with a provider: %s", e ? e : "");
    e = load("[account c]\nhost = h\n\noauth2_provider = yahoo\n", &cfg, &err);
    ok(e && strstr(e, "t.ini:4: oauth2_provider:"), "an unknown provider names file:line:key: %s", e ? e : "");
    e = load("[account c]\nhost = h\noauth2_token_url = http://plain.example/token\n", &cfg, &err);
    ok(e && strstr(e, "t.ini:3: oauth2_token_url:") && strstr(e, "https://"), "an http:// URL is refused: %s", e ? e : "");
    e = load("[account c]\nhost = h\noauth2_trust_file = relative.pem\n", &cfg, &err);
    ok(e && strstr(e, "t.ini:3: oauth2_trust_file:"), "a relative trust file is refused: %s", e ? e : "");
    e = load("[account c]\nhost = h\nuser = u\nauth = xoauth2\npassword_command = echo t\n", &cfg, &err);
    ok(e == NULL && !oauth2_applies(&cfg.accounts[0]), "without a provider the token comes from password_command");
    if (e == NULL)
        config_free(&cfg);
}

#ifdef HAVE_JSONC
static void test_reply(void)
{
    struct oauth2_reply r;
    const char *j;

    memset(&r, 0, sizeof r);
    j = "{\"access_token\":\"at\",\"expires_in\":3599,\"refresh_token\":\"rt\",\"ext\":{\"a\":[1]}}";
    ok(oauth2_reply_parse(j, strlen(j), &r) == 0, "a token answer parses");
    is_str(r.access_token, "at", "access_token");
    is_str(r.refresh_token, "rt", "refresh_token");
    is_int(r.expires_in, 3599, "expires_in");
    ok(r.error == NULL && r.interval == -1, "no error, no interval");
    oauth2_reply_free(&r);
    j = "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":\"https://g/device\",\"expires_in\":\"1800\"}";
    ok(oauth2_reply_parse(j, strlen(j), &r) == 0 && r.verification_uri && strcmp(r.verification_uri, "https://g/device") == 0
       && r.expires_in == 1800, "Google's verification_url and a quoted expires_in");
    oauth2_reply_free(&r);
    j = "{\"error\":\"invalid_grant\",\"error_description\":\"caf\\u00e9\"}";
    ok(oauth2_reply_parse(j, strlen(j), &r) == 0 && strcmp(r.error, "invalid_grant") == 0
       && strcmp(r.error_description, "caf\xc3\xa9") == 0, "an error answer, \\u escapes decoded");
    oauth2_reply_free(&r);
    ok(oauth2_reply_parse("[1,2]", 5, &r) == -1, "an array is not an answer");
    ok(oauth2_reply_parse("{\"a\":", 5, &r) == -1, "a cut object is not an answer");
    ok(oauth2_reply_parse("<html>", 6, &r) == -1, "HTML is not an answer");
    j = "{\"access_token\":5}";
    ok(oauth2_reply_parse(j, strlen(j), &r) == 0 && r.access_token == NULL, "a non-string token is ignored");
    oauth2_reply_free(&r);
}

#endif

static void test_query(void)
{
    char *v;
    const char *u = "http://127.0.0.1:4123/?state=a%2Bb&code=4%2F0Ab+c&x=#frag";

    is_str(v = oauth2_query_param(u, "state"), "a+b", "percent-decoded state"); free(v);
    is_str(v = oauth2_query_param(u, "code"), "4/0Ab c", "code with %%2F and +"); free(v);
    is_str(v = oauth2_query_param(u, "x"), "", "an empty value"); free(v);
    ok((v = oauth2_query_param(u, "frag")) == NULL, "the fragment is not the query"); free(v);
    ok((v = oauth2_query_param(u, "cod")) == NULL, "a name's prefix does not match"); free(v);
    is_str(v = oauth2_query_param("code=1&state=2\r\n", "state"), "2", "a pasted line's end is dropped"); free(v);
    is_str(v = oauth2_query_param("?code=%zz%4", "code"), "%zz%4", "bad escapes stay as they are"); free(v);
}

int main(void)
{
    test_keys();
#ifdef HAVE_JSONC
    test_reply();
#else
    ok(1, "# SKIP built without json-c: no token answers to parse");
#endif
    test_query();
    return done_testing();
}
