/* oauth2_login.c - the two interactive logins (see oauth2_login.h). */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "https.h"
#include "oauth2.h"
#include "oauth2_login.h"
#include "oauth2_parse.h"

#define BROWSER_WAIT 300        /* seconds for the user to finish in the browser */
#define REQUEST_MAX 8192

static const char *acct_name(const struct account *a)
{
    return a->name ? a->name : "?";
}

static void sleep_s(long s)
{
    struct timespec ts = { s, 0 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------ device grant */

static int device_start(const struct account *a, const struct oauth2_endpoints *ep,
                        struct oauth2_reply *d, struct mo_err *err)
{
    char *form = NULL;

    if (ep->device_url == NULL)
        return mo_err_set(err, EX_CONFIG, _("account %s: no oauth2_device_url for a device login (try --browser)"),
                          acct_name(a));
    https_form_add(&form, "scope", ep->scope ? ep->scope : "");
    if (oauth2_post(a, ep->device_url, &form, d, err) != 0)
        return -1;
    if (d->error != NULL || d->device_code == NULL || d->user_code == NULL
        || d->verification_uri == NULL)
        return mo_err_set(err, EX_PROTOCOL, _("account %s: the device endpoint refused (HTTP %ld, %s)"),
                          acct_name(a), d->status, d->error ? d->error : _("no device code"));
    return 0;
}

/* Polls as RFC 8628 §3.5 says; 0 with *tok the token answer. */
static int device_poll(const struct account *a, const struct oauth2_endpoints *ep,
                       const struct oauth2_reply *d, struct oauth2_reply *tok,
                       struct mo_err *err)
{
    long interval = d->interval > 0 ? d->interval : 5;
    time_t deadline = time(NULL) + (d->expires_in > 0 ? d->expires_in : 900);

    for (;;) {
        char *form = NULL;
        sleep_s(interval);
        if (time(NULL) > deadline)
            return mo_err_set(err, EX_TEMPFAIL, _("account %s: the code expired before the login was finished"), acct_name(a));
        https_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
        https_form_add(&form, "device_code", d->device_code);
        if (oauth2_post(a, ep->token_url, &form, tok, err) != 0)
            return -1;
        if (tok->error == NULL && tok->access_token != NULL)
            return 0;
        if (tok->error == NULL || strcmp(tok->error, "authorization_pending") != 0) {
            if (tok->error == NULL || strcmp(tok->error, "slow_down") != 0)
                break;
            interval += 5;
        }
        oauth2_reply_free(tok);
    }
    if (tok->error && strcmp(tok->error, "expired_token") == 0)
        mo_err_set(err, EX_TEMPFAIL, _("account %s: the code expired before the login was finished"), acct_name(a));
    else if (tok->error && strcmp(tok->error, "access_denied") == 0)
        mo_err_set(err, EX_NOPERM, _("account %s: the login was refused (access_denied)"), acct_name(a));
    else
        mo_err_set(err, EX_PROTOCOL, _("account %s: the token endpoint refused the login (HTTP %ld, %s)"),
                   acct_name(a), tok->status, tok->error ? tok->error : _("no access token"));
    oauth2_reply_free(tok);
    return -1;
}

static int login_device(const struct account *a, const struct oauth2_endpoints *ep,
                        FILE *out, struct oauth2_reply *tok, struct mo_err *err)
{
    struct oauth2_reply d;
    int rc;

    if (device_start(a, ep, &d, err) != 0) {
        oauth2_reply_free(&d);
        return -1;
    }
    fprintf(out, _("To sign in to account %s, open %s and enter the code %s\n"),
            acct_name(a), d.verification_uri, d.user_code);
    if (d.verification_uri_complete != NULL)
        fprintf(out, _("(or open %s)\n"), d.verification_uri_complete);
    fprintf(out, "%s\n", _("Waiting for the login to finish..."));
    fflush(out);
    rc = device_poll(a, ep, &d, tok, err);
    oauth2_reply_free(&d);
    return rc;
}

/* ------------------------------------------------ authorization code + PKCE */

/* base64url without padding of n random bytes, or of a SHA-256. */
static char *b64url(const unsigned char *p, size_t n)
{
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);

    while (len > 0 && out[len - 1] == '=')
        out[--len] = '\0';
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return out;
}

static char *random_b64url(size_t n)
{
    unsigned char buf[64];

    if (n > sizeof buf || RAND_bytes(buf, (int)n) != 1)
        return NULL;
    return b64url(buf, n);
}

static char *pkce_challenge(const char *verifier)
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)verifier, strlen(verifier), md);
    return b64url(md, sizeof md);
}

/* A listening socket on 127.0.0.1 on a free port. */
static int loopback_listen(int *port, struct mo_err *err)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 4) != 0
        || getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return mo_err_set(err, EX_OSERR, _("cannot listen on 127.0.0.1 for the redirect: %s"), strerror(e));
    }
    *port = ntohs(sin.sin_port);
    return fd;
}

static char *auth_url(const struct account *a, const struct oauth2_endpoints *ep,
                      const char *redirect, const char *state, const char *challenge)
{
    char *q = NULL, *url;

    https_form_add(&q, "response_type", "code");
    https_form_add(&q, "client_id", a->oauth2_client_id);
    https_form_add(&q, "redirect_uri", redirect);
    https_form_add(&q, "scope", ep->scope ? ep->scope : "");
    https_form_add(&q, "state", state);
    https_form_add(&q, "code_challenge", challenge);
    https_form_add(&q, "code_challenge_method", "S256");
    if (a->oauth2_provider == OAUTH2_GOOGLE) {   /* a refresh token every time */
        https_form_add(&q, "access_type", "offline");
        https_form_add(&q, "prompt", "consent");
    }
    https_form_add(&q, "login_hint", a->user);
    url = xasprintf("%s%s%s", ep->auth_url, strchr(ep->auth_url, '?') ? "&" : "?", q);
    free(q);
    return url;
}

/* The request line of one HTTP request on fd, answered with a short page. */
static char *serve_redirect(int lfd)
{
    static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Connection: close\r\n\r\nmailout: the login is finished; you can close this window.\r\n";
    char buf[REQUEST_MAX + 1];
    size_t len = 0;
    int fd = accept(lfd, NULL, NULL);
    char *line = NULL;

    if (fd < 0)
        return NULL;
    while (len < REQUEST_MAX && memchr(buf, '\n', len) == NULL) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        if (poll(&p, 1, 10000) <= 0 || (n = read(fd, buf + len, REQUEST_MAX - len)) <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (strncmp(buf, "GET ", 4) == 0 && memchr(buf, '\n', len) != NULL) {
        line = xstrndup(buf + 4, strcspn(buf + 4, " \r\n"));
        ssize_t w = write(fd, page, sizeof page - 1);   /* a courtesy */
        (void)w;
    }
    close(fd);
    return line;
}

/* The redirect, from the loopback listener or pasted on stdin. */
static char *wait_redirect(int lfd, const struct account *a, struct mo_err *err)
{
    struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
    time_t deadline = time(NULL) + BROWSER_WAIT;
    char line[REQUEST_MAX];
    char *got = NULL;
    int nfds = 2;

    while (got == NULL && time(NULL) < deadline) {
        if (poll(p, (nfds_t)nfds, 1000) <= 0)
            continue;
        if (p[0].revents & POLLIN)
            got = serve_redirect(lfd);
        else if (p[1].revents & (POLLIN | POLLHUP)) {
            if (fgets(line, sizeof line, stdin) == NULL)
                nfds = 1;       /* nothing will be pasted */
            else if (strchr(line, '?') != NULL)
                got = xstrdup(line);
        }
    }
    if (got == NULL)
        mo_err_set(err, EX_TEMPFAIL, _("account %s: no redirect arrived within %d s"), acct_name(a), BROWSER_WAIT);
    return got;
}

/* The redirect's code, after its state was checked. */
static char *code_from(const struct account *a, const char *redirect, const char *state,
                       struct mo_err *err)
{
    char *got_state = oauth2_query_param(redirect, "state");
    char *code = oauth2_query_param(redirect, "code");
    char *error = oauth2_query_param(redirect, "error");

    if (got_state == NULL || strcmp(got_state, state) != 0) {
        mo_err_set(err, EX_PROTOCOL, _("account %s: the redirect does not belong to this login (state differs)"), acct_name(a));
        secret_free(code);
        code = NULL;
    } else if (code == NULL) {
        for (char *c = error; c && *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = ' ';
        mo_err_set(err, EX_NOPERM, _("account %s: the login was refused (%.200s)"),
                   acct_name(a), error ? error : _("no code in the redirect"));
    }
    free(got_state);
    free(error);
    return code;
}

static int exchange_code(const struct account *a, const struct oauth2_endpoints *ep,
                         const char *code, const char *redirect, const char *verifier,
                         struct oauth2_reply *tok, struct mo_err *err)
{
    char *form = NULL;

    https_form_add(&form, "grant_type", "authorization_code");
    https_form_add(&form, "code", code);
    https_form_add(&form, "redirect_uri", redirect);
    https_form_add(&form, "code_verifier", verifier);
    if (oauth2_post(a, ep->token_url, &form, tok, err) != 0)
        return -1;
    if (tok->error == NULL && tok->access_token != NULL)
        return 0;
    mo_err_set(err, EX_PROTOCOL, _("account %s: the token endpoint refused the code (HTTP %ld, %s)"),
               acct_name(a), tok->status, tok->error ? tok->error : _("no access token"));
    oauth2_reply_free(tok);
    return -1;
}

static int login_browser(const struct account *a, const struct oauth2_endpoints *ep,
                         FILE *out, struct oauth2_reply *tok, struct mo_err *err)
{
    char *verifier = random_b64url(48), *state = random_b64url(16);
    char *challenge = NULL, *redirect = NULL, *url = NULL, *got = NULL, *code = NULL;
    int port = 0, lfd = -1, rc = -1;

    if (ep->auth_url == NULL)
        mo_err_set(err, EX_CONFIG, _("account %s: no oauth2_auth_url for a browser login"), acct_name(a));
    else if (verifier == NULL || state == NULL)
        mo_err_set(err, EX_OSERR, "%s", _("no random bytes for PKCE"));
    else if ((lfd = loopback_listen(&port, err)) >= 0) {
        challenge = pkce_challenge(verifier);
        redirect = xasprintf("http://127.0.0.1:%d/", port);
        url = auth_url(a, ep, redirect, state, challenge);
        fprintf(out, _("To sign in to account %s, open this address in a browser:\n\n%s\n\n"
                       "If the browser runs on another machine, paste here the address it ends on\n"
                       "(http://127.0.0.1:%d/?code=...), then press Enter.\n"), acct_name(a), url, port);
        fflush(out);
        if ((got = wait_redirect(lfd, a, err)) != NULL
            && (code = code_from(a, got, state, err)) != NULL)
            rc = exchange_code(a, ep, code, redirect, verifier, tok, err);
        close(lfd);
    }
    secret_free(verifier);
    secret_free(code);
    secret_free(got);
    free(state);
    free(challenge);
    free(redirect);
    free(url);
    return rc;
}

int oauth2_login(const struct account *a, bool browser, FILE *out, struct mo_err *err)
{
    struct oauth2_endpoints ep;
    struct oauth2_reply tok;
    char where[512];
    int rc;

    if (!oauth2_applies(a))
        return mo_err_set(err, EX_USAGE, _("account %s has no oauth2_provider (and auth = xoauth2 or oauthbearer): nothing to log in to"),
                          acct_name(a));
    if (!oauth2_built())
        return mo_err_set(err, EX_UNAVAILABLE, "%s", _("mailout was built without OAuth 2 (configure with libcurl and json-c)"));
    memset(&tok, 0, sizeof tok);
    oauth2_endpoints_get(a, &ep);
    rc = browser ? login_browser(a, &ep, out, &tok, err) : login_device(a, &ep, out, &tok, err);
    oauth2_endpoints_free(&ep);
    if (rc == 0)
        rc = oauth2_save_login(a, &tok, where, sizeof where, err);
    if (rc == 0)
        fprintf(out, _("Logged in: account %s; the refresh token is stored in %s\n"), acct_name(a), where);
    oauth2_reply_free(&tok);
    return rc;
}
