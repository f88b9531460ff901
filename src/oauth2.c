/* oauth2.c - presets, token requests and the access token for a send (see
 * oauth2.h). Tokens are wiped when done with and never put in a message. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "https.h"
#include "secrets.h"
#include "oauth2_store.h"
#include "oauth2.h"
#include "oauth2_parse.h"


/* A cached access token is used only while it has this long left. */
#define MIN_VALID 60

static const char *acct_name(const struct account *a)
{
    return a->name ? a->name : "?";
}

bool oauth2_built(void)
{
#ifdef HAVE_JSONC
    return https_built();
#else
    return false;
#endif
}

bool oauth2_applies(const struct account *a)
{
    return a->oauth2_provider != OAUTH2_NONE
        && (a->auth == AUTH_XOAUTH2 || a->auth == AUTH_OAUTHBEARER);
}

static char *pick(const char *mine, const char *preset)
{
    return mine ? xstrdup(mine) : preset ? xstrdup(preset) : NULL;
}

void oauth2_endpoints_get(const struct account *a, struct oauth2_endpoints *ep)
{
    const char *t = a->oauth2_tenant ? a->oauth2_tenant : "common";
    char *ms = xasprintf("https://login.microsoftonline.com/%s/oauth2/v2.0", t);
    char *tok = NULL, *dev = NULL, *au = NULL;
    const char *scope = NULL;

    if (a->oauth2_provider == OAUTH2_MICROSOFT) {
        tok = xasprintf("%s/token", ms);
        dev = xasprintf("%s/devicecode", ms);
        au = xasprintf("%s/authorize", ms);
        scope = "https://outlook.office.com/SMTP.Send offline_access";
    } else if (a->oauth2_provider == OAUTH2_GOOGLE) {
        tok = xstrdup("https://oauth2.googleapis.com/token");
        dev = xstrdup("https://oauth2.googleapis.com/device/code");
        au = xstrdup("https://accounts.google.com/o/oauth2/v2/auth");
        scope = "https://mail.google.com/";
    }
    ep->token_url = pick(a->oauth2_token_url, tok);
    ep->device_url = pick(a->oauth2_device_url, dev);
    ep->auth_url = pick(a->oauth2_auth_url, au);
    ep->scope = pick(a->oauth2_scope, scope);
    free(tok);
    free(dev);
    free(au);
    free(ms);
}

void oauth2_endpoints_free(struct oauth2_endpoints *ep)
{
    free(ep->token_url);
    free(ep->device_url);
    free(ep->auth_url);
    free(ep->scope);
    memset(ep, 0, sizeof *ep);
}

/* client_id, and client_secret from its command (confidential clients). */
static int add_client(const struct account *a, char **form, struct mo_err *err)
{
    char *secret = NULL;

    https_form_add(form, "client_id", a->oauth2_client_id);
    if (a->oauth2_client_secret_command == NULL)
        return 0;
    if (secret_command(a, "oauth2_client_secret_command", a->oauth2_client_secret_command,
                       &secret, err) != 0)
        return -1;
    https_form_add(form, "client_secret", secret);
    secret_free(secret);
    return 0;
}

int oauth2_post(const struct account *a, const char *url, char **form,
                struct oauth2_reply *r, struct mo_err *err)
{
    struct https_answer ans;
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (!oauth2_built())
        rc = mo_err_set(err, EX_UNAVAILABLE, _("account %s: mailout was built without OAuth 2 (configure with libcurl and json-c)"),
                        acct_name(a));
    else if (add_client(a, form, err) == 0
             && https_post_form(url, *form, a->oauth2_trust_file, a->timeout, &ans, err) == 0) {
        r->status = ans.status;
        if (ans.status >= 500)
            mo_err_set(err, EX_TEMPFAIL, _("%s answered HTTP %ld"), url, ans.status);
        else if (oauth2_reply_parse(ans.body, ans.len, r) != 0)
            mo_err_set(err, EX_TEMPFAIL, _("%s answered HTTP %ld without a JSON object"), url, ans.status);
        else
            rc = 0;
        https_answer_free(&ans);
    }
    secret_free(*form);
    *form = NULL;
    if (rc != 0)
        oauth2_reply_free(r);
    return rc;
}

/* The server's words, made one safe line. */
static const char *said(const struct oauth2_reply *r, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%.200s", r->error ? r->error : "?",
             r->error_description ? ": " : "", r->error_description ? r->error_description : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return buf;
}

/* An OAuth error answer to a refresh, as a send's failure. */
static int refresh_refused(const struct account *a, const struct oauth2_reply *r,
                           struct mo_err *err)
{
    char why[300];

    said(r, why, sizeof why);
    if (r->error && strcmp(r->error, "invalid_grant") == 0)
        return mo_err_set(err, EX_TEMPFAIL, _("account %s: the authorization server refused the stored refresh token (%s); run mailout --login -a %s"),
                          acct_name(a), why, acct_name(a));
    if (r->error && (strcmp(r->error, "invalid_client") == 0
                     || strcmp(r->error, "unauthorized_client") == 0
                     || strcmp(r->error, "invalid_scope") == 0))
        return mo_err_set(err, EX_CONFIG, _("account %s: the token endpoint refused the client (%s); check oauth2_client_id and the scope"),
                          acct_name(a), why);
    return mo_err_set(err, EX_TEMPFAIL, _("account %s: the token endpoint refused the refresh (HTTP %ld, %s)"),
                      acct_name(a), r->status, why);
}

/* One refresh (RFC 6749 §6): the rotated refresh token is stored before
 * the access token is cached, so that a crash leaves a usable one. */
static int refresh(struct o2store *st, const char *rt, char **out, struct mo_err *err)
{
    const struct account *a = st->a;
    struct oauth2_endpoints ep;
    struct oauth2_reply r;
    char *form = NULL, where[512];
    struct mo_err cerr;
    int rc;

    oauth2_endpoints_get(a, &ep);
    https_form_add(&form, "grant_type", "refresh_token");
    https_form_add(&form, "refresh_token", rt);
    rc = oauth2_post(a, ep.token_url, &form, &r, err);
    if (rc != 0)
        mo_err_prefix(err, _("account %s: cannot refresh the OAuth 2 token"), acct_name(a));
    oauth2_endpoints_free(&ep);
    if (rc != 0)
        return -1;
    if (r.error != NULL || r.access_token == NULL)
        rc = r.error ? refresh_refused(a, &r, err)
                     : mo_err_set(err, EX_TEMPFAIL, _("account %s: the token endpoint answered without an access token"), acct_name(a));
    else if (r.refresh_token != NULL && strcmp(r.refresh_token, rt) != 0)
        rc = o2store_put_refresh(st, r.refresh_token, false, where, sizeof where, err);
    if (rc == 0) {
        o2store_put_access(st, r.access_token, r.expires_in > 0 ? r.expires_in : 3600, &cerr);
        *out = r.access_token;
        r.access_token = NULL;
    }
    oauth2_reply_free(&r);
    return rc;
}

static int no_token(const struct account *a, const char *why, struct mo_err *err)
{
    if (why[0] != '\0')
        return mo_err_set(err, EX_TEMPFAIL, _("account %s: no OAuth 2 token at hand (the keyring: %s); run mailout --login -a %s"),
                          acct_name(a), why, acct_name(a));
    return mo_err_set(err, EX_TEMPFAIL, _("account %s: no OAuth 2 token stored; run mailout --login -a %s"),
                      acct_name(a), acct_name(a));
}

int oauth2_access_token(const struct account *a, char **out, bool *refreshed,
                        struct mo_err *err)
{
    struct o2store st;
    char *rt = NULL, why[512];
    int rc = -1;

    *out = NULL;
    if (refreshed)
        *refreshed = false;
    if (!oauth2_built())
        return mo_err_set(err, EX_UNAVAILABLE, _("account %s: mailout was built without OAuth 2 (configure with libcurl and json-c)"),
                          acct_name(a));
    if (o2store_open(a, &st, err) != 0)
        return -1;
    if (o2store_get_access(&st, MIN_VALID, out))
        rc = 0;
    else if (o2store_lock(&st, a->timeout, err) == 0) {
        /* another sender may have refreshed while this one waited */
        if (o2store_get_access(&st, MIN_VALID, out))
            rc = 0;
        else if (o2store_get_refresh(&st, &rt, why, sizeof why) == 1) {
            rc = refresh(&st, rt, out, err);
            if (refreshed)
                *refreshed = true;
        } else
            no_token(a, why, err);
    }
    secret_free(rt);
    o2store_close(&st);
    return rc;
}

void oauth2_token_refused(const struct account *a, const char *at)
{
    struct o2store st;
    struct mo_err ignored;

    if (at == NULL || o2store_open(a, &st, &ignored) != 0)
        return;
    /* under the lock, so that no sender reads it half gone */
    if (o2store_lock(&st, a->timeout, &ignored) == 0)
        o2store_drop_access(&st, at);
    o2store_close(&st);
}

int oauth2_save_login(const struct account *a, const struct oauth2_reply *r,
                      char *where, size_t where_size, struct mo_err *err)
{
    struct o2store st;
    struct mo_err cerr;
    int rc;

    if (r->refresh_token == NULL)
        return mo_err_set(err, EX_PROTOCOL, _("account %s: the server gave no refresh token (does the scope ask for offline access?)"),
                          acct_name(a));
    if (o2store_open(a, &st, err) != 0)
        return -1;
    rc = o2store_lock(&st, a->timeout, err);
    if (rc == 0)
        rc = o2store_put_refresh(&st, r->refresh_token, true, where, where_size, err);
    if (rc == 0 && r->access_token != NULL)
        o2store_put_access(&st, r->access_token, r->expires_in > 0 ? r->expires_in : 3600, &cerr);
    o2store_close(&st);
    return rc;
}
