/* smtp_auth.c - SMTP AUTH (RFC 4954): which mechanism the account and the
 * server agree on, and the exchange, lock-step or pipelined with the
 * transaction. The mechanisms themselves are sasl.c's. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "util.h"
#include "codec.h"
#include "sasl.h"
#include "smtp_session.h"
#include "smtp_auth.h"
#include "hints.h"

/* Largest decoded SASL challenge we accept (RFC 4954 line limit 12288). */
#define SASL_CHALLENGE_MAX 12288
/* Longest AUTH command line a server is sure to take, CRLF included:
 * Postfix cuts command lines at 2048 bytes. A longer initial response goes
 * after the server's 334 instead, where RFC 4954 allows 12288. */
#define AUTH_LINE_MAX 2048

/* The server's AUTH mechanisms as "PLAIN LOGIN" for messages (caps_parse
 * keeps only names in RFC 4422's charset). */
static void offered_list(const struct smtp_session *s, char *buf, size_t size)
{
    const char *m = s->caps.auth_mechs;
    size_t n;

    while (*m == ' ')
        m++;
    n = strlen(m);
    while (n > 0 && m[n - 1] == ' ')
        n--;
    snprintf(buf, size, "%.*s", (int)n, m);
}

int smtp_auth_pick_auto(const struct smtp_session *s, enum auth_mech *m,
                        struct mo_err *err)
{
    bool tls = net_is_tls(s->c);
    bool skipped = false;
    char offered[sizeof s->caps.auth_mechs];

    for (size_t i = 0; i < sasl_preference_len; i++) {
        enum auth_mech p = sasl_preference[i];
        if (!caps_has_mech(&s->caps, sasl_mech_name(p)))
            continue;
        if (!tls && (sasl_mech_is_plus(p) || sasl_mech(p)->cleartext)) {
            skipped = skipped || sasl_mech(p)->cleartext;
            continue;
        }
        *m = p;
        return 0;
    }
    offered_list(s, offered, sizeof offered);
    if (skipped)
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: the server offers only %s, which would send the password of account %s in clear over an unencrypted connection; set tls = starttls or tls = implicit"),
                          offered, s->acct->name);
    return mo_err_set(err, EX_NOPERM,
                      _("AUTH: no authentication mechanism in common with the server (it offers %s)"),
                      offered);
}

/* The configured mechanism, if the server offers it and the connection
 * allows it. */
static int check_configured(const struct smtp_session *s, struct mo_err *err)
{
    const struct account *a = s->acct;
    char offered[sizeof s->caps.auth_mechs];

    if (!caps_has_mech(&s->caps, sasl_mech_name(a->auth))) {
        offered_list(s, offered, sizeof offered);
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: the server does not offer the mechanism %s of account %s (it offers %s)"),
                          sasl_mech_name(a->auth), a->name, offered);
    }
    if ((sasl_mech(a->auth)->cleartext || sasl_mech_is_plus(a->auth)) && !net_is_tls(s->c))
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: refusing %s over an unencrypted connection: it would expose the password of account %s; set tls = starttls or tls = implicit"),
                          sasl_mech_name(a->auth), a->name);
    return 0;
}

/* Decides the mechanism, or AUTH_OFF when the account does not log in. */
static int choose_mech(const struct smtp_session *s, enum auth_mech *m, struct mo_err *err)
{
    const struct account *a = s->acct;

    *m = AUTH_OFF;
    if (a->auth == AUTH_OFF || (a->auth == AUTH_AUTO && a->user == NULL))
        return 0;
    if (a->auth == AUTH_EXTERNAL && a->tls_cert_file == NULL)
        return mo_err_set(err, EX_CONFIG,
                          _("auth = external in account %s needs a client certificate: set tls_cert_file and tls_key_file"),
                          a->name);
    if (!s->caps.auth)
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: account %s has a user but the server offers no authentication; refusing to send without logging in%s"),
                          a->name, s->caps.starttls && !net_is_tls(s->c)
                          ? _(" (it offers STARTTLS: set tls = starttls)") : "");
    if (a->auth == AUTH_AUTO)
        return smtp_auth_pick_auto(s, m, err);
    if (check_configured(s, err) != 0)
        return -1;
    *m = a->auth;
    return 0;
}

/* RFC 5802 §6: plain SCRAM says "y" (could bind) only when the server does
 * not offer the -PLUS variant; where it does, "y" reads as a downgrade. */
static bool plus_offered(const struct smtp_session *s, enum auth_mech m)
{
    char plus[48];

    snprintf(plus, sizeof plus, "%s-PLUS", sasl_mech_name(m));
    return caps_has_mech(&s->caps, plus);
}

/* SCRAM's channel binding: required for -PLUS, "y" for plain SCRAM. */
static int bind_channel(const struct smtp_session *s, enum auth_mech m,
                        struct sasl_client *sc, struct mo_err *err)
{
    struct tls_info ti;
    unsigned char cb[128];
    const char *type;
    long n;

    if (!net_is_tls(s->c) || !(sasl_mech_is_plus(m) || ((m == AUTH_SCRAM_SHA_1
                               || m == AUTH_SCRAM_SHA_256) && !plus_offered(s, m))))
        return 0;
    type = net_tls_info(s->c, &ti) == 0 && strcmp(ti.version, "TLSv1.3") == 0
           ? "tls-exporter" : "tls-server-end-point";
    n = net_channel_binding(s->c, type, cb, sizeof cb);
    if (n > 0)
        sasl_client_set_channel_binding(sc, type, cb, (size_t)n);
    else if (sasl_mech_is_plus(m))
        return mo_err_set(err, EX_NOPERM, _("AUTH: no TLS channel binding (%s) for %s"),
                          type, sasl_mech_name(m));
    return 0;
}

static int auth_client(const struct smtp_session *s, enum auth_mech m,
                       struct sasl_client **out, struct mo_err *err)
{
    struct sasl_client *sc;

    if (sasl_mech_needs_password(m) && s->opt.password == NULL)
        return mo_err_set(err, EX_CONFIG, _("AUTH: no password for account %s"), s->acct->name);
    sc = sasl_client_new(m, s->acct->user, s->opt.password, NULL);
    if (sc == NULL)
        return mo_err_set(err, EX_SOFTWARE, _("AUTH: cannot start %s"), sasl_mech_name(m));
    sasl_client_set_server(sc, s->acct->host, account_port(s->acct));
    if (bind_channel(s, m, sc, err) != 0) {
        sasl_client_free(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

/* The first AUTH line, the one place it is built: "AUTH MECH", with the
 * initial response when the mechanism has one ("=" when it is empty) and
 * the line stays within AUTH_LINE_MAX. A longer one is left in *later (its
 * base64), to go after the server's 334 (RFC 4954 §4). */
static int auth_first_line(struct sasl_client *sc, enum auth_mech m, char **line,
                           char **later, struct mo_err *err)
{
    unsigned char *ir = NULL;
    size_t ir_len = 0;
    char *b64 = NULL;

    *line = *later = NULL;
    if (sasl_client_initial(sc, &ir, &ir_len, err) != 0)
        return -1;
    if (ir != NULL)
        b64 = ir_len ? base64_encode(ir, ir_len) : xstrdup("=");
    sasl_response_free(ir, ir_len);
    if (b64 != NULL && strlen("AUTH  \r\n") + strlen(sasl_mech_name(m)) + strlen(b64)
                       <= AUTH_LINE_MAX) {
        *line = xasprintf("AUTH %s %s", sasl_mech_name(m), b64);
        secret_free(b64);
        return 0;
    }
    *line = xasprintf("AUTH %s", sasl_mech_name(m));
    *later = b64;
    return 0;
}

/* What --debug shows for the first line. */
static char *auth_first_shown(const char *line, enum auth_mech m)
{
    return xasprintf("AUTH %s%s", sasl_mech_name(m),
                     strchr(line + 5, ' ') != NULL ? " <redacted>" : "");
}

/* An AUTH failure reply in s->reply as the error; sc (may be NULL) adds the
 * server's OAuth error detail. */
static int auth_failed(const struct smtp_session *s, struct sasl_client *sc,
                       struct mo_err *err)
{
    char one[512], hint[300];
    const char *detail = sc ? sasl_client_error_detail(sc) : NULL;

    reply_oneline(&s->reply, one, sizeof one);
    if (smtp_code_class(s->reply.code) == 4)
        return mo_err_set(err, EX_TEMPFAIL, _("authentication failed for now: %s — try again later"), one);
    if (smtp_code_class(s->reply.code) != 5)
        return mo_err_set(err, EX_PROTOCOL, _("authentication: unexpected reply %s"), one);
    if (s->mech == AUTH_XOAUTH2 || s->mech == AUTH_OAUTHBEARER)
        snprintf(hint, sizeof hint, _("check user and the token (password_command) of account %s"),
                 s->acct->name);
    else if (s->reply.code == 535 && hint_auth_refused(s->acct->host) != NULL)
        snprintf(hint, sizeof hint, "%s", hint_auth_refused(s->acct->host));
    else
        snprintf(hint, sizeof hint, _("check user and password of account %s"), s->acct->name);
    if (detail)
        return mo_err_set(err, EX_NOPERM, _("authentication failed: %s (%s) — %s"), one, detail, hint);
    return mo_err_set(err, EX_NOPERM, _("authentication failed: %s — %s"), one, hint);
}

/* Sends "*" (RFC 4954 §4) and reads the 501, so that the session stays in step. */
static void auth_cancel(struct smtp_session *s)
{
    struct mo_err ignored;

    if (smtp_send_line(s, "*", NULL, &ignored) == 0 && smtp_flush(s, &ignored) == 0)
        smtp_read_reply(s, true, &ignored);
}

/* The answer to one 334: the deferred initial response when there is one
 * (the challenge is then empty), else the mechanism's step. */
static int auth_answer(struct smtp_session *s, struct sasl_client *sc, char **later,
                       struct mo_err *err)
{
    unsigned char *ch = NULL, *resp = NULL;
    size_t ch_len = 0, resp_len = 0, tlen = 0;
    const char *t = reply_line_text(&s->reply, 0, &tlen);
    char *b64;
    int rc;

    if (*later != NULL) {
        rc = smtp_send_line(s, *later, "<redacted>", err);
        secret_free(*later);
        *later = NULL;
        return rc;
    }
    if (s->reply.n_lines != 1 || t == NULL
        || base64_decode(t, tlen, &ch, &ch_len, SASL_CHALLENGE_MAX) != 0) {
        auth_cancel(s);
        return mo_err_set(err, EX_PROTOCOL, _("authentication: the server sent a malformed challenge"));
    }
    rc = sasl_client_step(sc, ch, ch_len, &resp, &resp_len, err);
    sasl_response_free(ch, ch_len);
    if (rc != 0) {
        auth_cancel(s);
        return -1;
    }
    b64 = base64_encode(resp, resp_len);
    rc = smtp_send_line(s, b64, "<redacted>", err);
    secret_free(b64);
    sasl_response_free(resp, resp_len);
    return rc;
}

/* The lock-step exchange: every challenge needs the previous answer. */
static int auth_exchange(struct smtp_session *s, struct sasl_client *sc, char **later,
                         struct mo_err *err)
{
    for (int rounds = 0; rounds < 10; rounds++) {
        /* Wait: the server's challenge or verdict. */
        if (smtp_flush(s, err) != 0 || smtp_read_reply(s, true, err) != 0)
            return -1;
        if (s->reply.code == 235) {
            if (!sasl_client_done(sc))
                return mo_err_set(err, EX_NOPERM,
                                  _("authentication: the server accepted without proving it knows the password (no SCRAM server signature); refusing to continue"));
            return 0;
        }
        if (s->reply.code != 334)
            return auth_failed(s, sc, err);
        if (auth_answer(s, sc, later, err) != 0)
            return -1;
    }
    return mo_err_set(err, EX_PROTOCOL, _("authentication: too many challenges from the server"));
}

/* The end of an AUTH exchange: logged in, or back to READY, or out of step
 * after a protocol error. A phase that moved on meanwhile (cut off, or QUIT
 * sent in a pipelined flight) stays. */
static int auth_end(struct smtp_session *s, int rc, const struct mo_err *err)
{
    if (rc == 0)
        smtp_verbose(s, _("authenticated as %s with %s"), s->acct->user ? s->acct->user : "",
                     sasl_mech_name(s->mech));
    if (s->phase == PH_AUTH)
        smtp_set_phase(s, rc == 0 ? PH_AUTHENTICATED
                          : err->code == EX_PROTOCOL ? PH_BROKEN : PH_READY);
    return rc;
}

int smtp_auth_reply(struct smtp_session *s, struct mo_err *err)
{
    int rc;

    if (s->reply.code == 235)
        return auth_end(s, 0, err);
    if (s->reply.code == 334)
        /* It ignored the initial response: our MAIL line is now being read
         * as a SASL answer. Nothing sane can follow. */
        rc = mo_err_set(err, EX_PROTOCOL, _("AUTH: the server asked for more after the initial response of %s"),
                        sasl_mech_name(s->mech));
    else
        rc = auth_failed(s, NULL, err);
    return auth_end(s, rc, err);
}

/* Lock-step AUTH, or the AUTH line queued in the flight (pipelinable and a
 * short enough initial response: RFC 4954 §4). */
static int auth_run(struct smtp_session *s, struct sasl_client *sc, struct flight *f,
                    struct mo_err *err)
{
    char *line = NULL, *later = NULL, *shown;
    int rc = auth_first_line(sc, s->mech, &line, &later, err);

    if (rc != 0)
        return auth_end(s, rc, err);
    shown = auth_first_shown(line, s->mech);
    if (later == NULL && sasl_mech(s->mech)->pipelinable && s->caps.pipelining) {
        flight_add(f, PEND_AUTH, 0, line, shown);
        return 0;
    }
    rc = smtp_send_line(s, line, shown, err);
    secret_free(line);
    free(shown);
    if (rc == 0)
        rc = auth_exchange(s, sc, &later, err);
    secret_free(later);
    return auth_end(s, rc, err);
}

int smtp_auth_start(struct smtp_session *s, struct flight *f, struct mo_err *err)
{
    struct sasl_client *sc = NULL;
    enum auth_mech m;
    int rc;

    if (s->phase == PH_AUTHENTICATED)
        return 0;
    if (choose_mech(s, &m, err) != 0)
        return -1;
    if (m == AUTH_OFF)
        return 0;
    s->mech = m;
    smtp_set_phase(s, PH_AUTH);
    smtp_verbose(s, _("authenticating as %s with %s"), s->acct->user ? s->acct->user : "",
                 sasl_mech_name(m));
    if (auth_client(s, m, &sc, err) != 0)
        return auth_end(s, -1, err);
    rc = auth_run(s, sc, f, err);
    sasl_client_free(sc);
    return rc;
}

int smtp_auth_now(struct smtp_session *s, struct mo_err *err)
{
    struct flight f = { NULL, 0, 0 };
    int rc = smtp_auth_start(s, &f, err);

    if (rc == 0 && f.n == 1) {
        smtp_name_stage(s, PH_AUTH);
        rc = smtp_send_line(s, f.cmd[0].line, f.cmd[0].shown, err) == 0
             && smtp_flush(s, err) == 0
             /* Wait: the verdict on the login is what is asked for. */
             && smtp_read_reply(s, false, err) == 0 ? smtp_auth_reply(s, err) : -1;
    }
    flight_free(&f);
    return rc;
}
