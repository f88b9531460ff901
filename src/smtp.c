/* smtp.c - the SMTP (or LMTP) client session: greeting, EHLO, STARTTLS,
 * AUTH, the mail transaction and the data, at the round-trip floor.
 *
 * Commands are queued as data (struct pending: the state each reply belongs
 * to) and the replies are handled in order by one function per state, so the
 * same code serves a pipelined flight and lock-step. The only waits are
 * read_reply() calls; each says why it must wait. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "net.h"
#include "address.h"
#include "codec.h"
#include "reply.h"
#include "sasl.h"
#include "smtp_data.h"
#include "smtp.h"

/* Largest decoded SASL challenge we accept (RFC 4954 line limit 12288). */
#define SASL_CHALLENGE_MAX 12288
/* Spool reads: large enough that a write carries many TCP segments. */
#define DATA_CHUNK (64 * 1024)
/* BDAT chunk size: few chunks, so few replies queue up behind them. */
#define BDAT_CHUNK (1024 * 1024)
/* Deadlines (net_set_deadline): the session start is allowed SETUP_ROUNDS
 * timeouts, a transaction TXN_ROUNDS plus one per recipient, and its message
 * leaves at SMTP_MIN_RATE bytes per second or better. */
#define SETUP_ROUNDS 8
#define TXN_ROUNDS 6
#define SMTP_MIN_RATE 8192

enum smtp_state {
    ST_CONNECT, ST_TLS_HANDSHAKE, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS,
    ST_AUTH, ST_READY, ST_RSET, ST_MAIL, ST_RCPT, ST_DATA, ST_MESSAGE,
    ST_END_OF_DATA, ST_BDAT, ST_QUIT, ST_CLOSED,
};

static const char *const state_names[] = {
    [ST_CONNECT] = "CONNECT", [ST_TLS_HANDSHAKE] = "TLS-HANDSHAKE",
    [ST_GREETING] = "GREETING", [ST_EHLO] = "EHLO", [ST_HELO] = "HELO",
    [ST_STARTTLS] = "STARTTLS", [ST_AUTH] = "AUTH", [ST_READY] = "READY",
    [ST_RSET] = "RSET", [ST_MAIL] = "MAIL", [ST_RCPT] = "RCPT",
    [ST_DATA] = "DATA", [ST_MESSAGE] = "MESSAGE",
    [ST_END_OF_DATA] = "END-OF-DATA", [ST_BDAT] = "BDAT", [ST_QUIT] = "QUIT", [ST_CLOSED] = "CLOSED",
};

/* The stage as named in error messages. */
static const char *stage_name(enum smtp_state st)
{
    switch (st) {
    case ST_CONNECT: return _("connect");
    case ST_TLS_HANDSHAKE: return _("TLS handshake");
    case ST_GREETING: return _("greeting");
    case ST_MESSAGE: return _("sending the message");
    case ST_END_OF_DATA: return _("end of data");
    case ST_MAIL: return "MAIL FROM";
    case ST_RCPT: return "RCPT TO";
    default: return state_names[st];
    }
}

struct smtp_session {
    struct smtp_options opt;
    const struct account *acct;
    struct conn *c;
    enum smtp_state state;
    struct smtp_caps caps;
    struct smtp_reply reply;
    struct tls_config tc;
    char greeting[512];
    char line[NET_LINE_MAX];
    bool probe;                 /* --serverinfo: a missing STARTTLS is reported, not fatal */
    bool starttls_missing;
    bool authed;
    enum auth_mech mech;
    bool sent_before;           /* RSET before the next transaction */
    bool usable;                /* the connection can carry another command */
    bool quit_sent;
    char mechs[256];            /* offered(): the AUTH list for messages */
};

/* One command in flight and what its reply means. */
struct pending {
    enum smtp_state st;
    size_t rcpt;                /* ST_RCPT: index into env->rcpts */
};

/* What the replies of one transaction said. */
struct txn {
    const struct envelope *env;
    struct mo_err err;          /* first failure of AUTH / RSET / MAIL / DATA */
    bool failed;
    bool broken;                /* the session cannot go on (protocol error) */
    struct strbuf refused;      /* "addr (reply); ..." */
    size_t n_refused;
    int worst_rcpt;             /* 4 or 5 */
    bool *accepted;             /* per recipient, for LMTP */
    size_t n_accepted;
    bool data_open;             /* 354 received: the server is in data mode */
    bool accepted_anyway;       /* ...and was taken although AUTH failed */
    struct smtp_result *res;
};

/* ------------------------------------------------------------ output */

static void set_state(struct smtp_session *s, enum smtp_state st)
{
    if (s->opt.debug && (st != s->state || st == ST_CONNECT))
        fprintf(stderr, "-- %s\n", state_names[st]);
    s->state = st;
}

/* -v: one line per step, tagged with the state. */
static void step(const struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void step(const struct smtp_session *s, const char *fmt, ...)
{
    va_list ap;

    if (!s->opt.verbose)
        return;
    fprintf(stderr, "mailout: [%s] ", state_names[s->state]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void debug_line(const struct smtp_session *s, const char *dir,
                       const char *text, size_t len)
{
    char shown[NET_LINE_MAX];

    if (!s->opt.debug)
        return;
    reply_printable(text, len, shown, sizeof shown);
    fprintf(stderr, "%s%s\n", dir, shown);
}

/* ------------------------------------------------------------ I/O */

/* Queues one command line; it leaves with the next flush. shown replaces the
 * line in --debug (AUTH payloads). */
static int send_line(struct smtp_session *s, const char *line, const char *shown,
                     struct mo_err *err)
{
    size_t n = strlen(line);

    if (strpbrk(line, "\r\n") != NULL)
        return mo_err_set(err, EX_SOFTWARE, _("internal error: a command with a line break"));
    debug_line(s, "C: ", shown ? shown : line, strlen(shown ? shown : line));
    if (net_write(s->c, line, n, err) != 0 || net_write(s->c, "\r\n", 2, err) != 0) {
        s->usable = false;
        return mo_err_prefix(err, "%s", stage_name(s->state));
    }
    return 0;
}

static int flush(struct smtp_session *s, struct mo_err *err)
{
    if (net_flush(s->c, err) != 0) {
        s->usable = false;
        return mo_err_prefix(err, "%s", stage_name(s->state));
    }
    return 0;
}

/* Reads one whole reply into s->reply. The caller is the one waiting. */
static int read_reply(struct smtp_session *s, bool redact, struct mo_err *err)
{
    int rc;

    reply_reset(&s->reply);
    do {
        long n = net_read_line(s->c, s->line, sizeof s->line, err);
        if (n < 0) {
            s->usable = false;
            return mo_err_prefix(err, "%s", stage_name(s->state));
        }
        if (redact && n >= 4 && memcmp(s->line, "334", 3) == 0)
            debug_line(s, "S: ", "334 <redacted>", 14);
        else
            debug_line(s, "S: ", s->line, (size_t)n);
        rc = reply_feed_line(&s->reply, s->line, (size_t)n, err);
        if (rc < 0) {
            s->usable = false;
            return mo_err_prefix(err, "%s", stage_name(s->state));
        }
    } while (rc == 0);
    return 0;
}

static int code_class(int code)
{
    return code / 100;
}

/* An unwanted reply: 4xx temporary, 5xx permanent, anything else a protocol
 * violation. what names the stage; hint may be NULL. */
static int reply_error(const struct smtp_session *s, const char *what,
                       const char *hint, struct mo_err *err)
{
    char one[512];
    int cls = code_class(s->reply.code);
    int code = cls == 4 ? EX_TEMPFAIL : cls == 5 ? EX_UNAVAILABLE : EX_PROTOCOL;

    reply_oneline(&s->reply, one, sizeof one);
    if (hint)
        return mo_err_set(err, code, _("%s: %s — %s"), what, one, hint);
    return mo_err_set(err, code, _("%s: %s"), what, one);
}

static void fill_result(const struct smtp_session *s, struct smtp_result *res)
{
    if (res == NULL || s->reply.code == 0)
        return;
    res->reply_code = s->reply.code;
    reply_oneline(&s->reply, res->reply, sizeof res->reply);
}

/* ------------------------------------------------------------ TLS */

static void show_tls(const struct smtp_session *s)
{
    struct tls_info ti;

    if ((!s->opt.debug && !s->opt.verbose) || net_tls_info(s->c, &ti) != 0)
        return;
    step(s, _("TLS established: %s, %s"), ti.version, ti.cipher);
    if (!s->opt.debug)
        return;
    fprintf(stderr, _("-- TLS %s, cipher %s\n"), ti.version, ti.cipher);
    fprintf(stderr, _("-- certificate subject: %s\n"), ti.subject);
    fprintf(stderr, _("-- certificate issuer: %s\n"), ti.issuer);
    fprintf(stderr, _("-- certificate valid: %s to %s\n"), ti.not_before, ti.not_after);
    fprintf(stderr, _("-- certificate fingerprint: %s (%s)\n"), ti.fingerprint,
            ti.verified ? _("verified") : _("not verified"));
}

static int start_tls(struct smtp_session *s, struct mo_err *err)
{
    enum smtp_state was = s->state;

    set_state(s, ST_TLS_HANDSHAKE);
    /* STARTTLS response injection (CVE-2011-0411 class): anything the server
     * sent after its 220 was sent in plaintext and must not be read as if it
     * came over TLS. net_start_tls checks this too. */
    if (was == ST_STARTTLS && net_has_buffered_input(s->c)) {
        s->usable = false;
        return mo_err_set(err, EX_PROTOCOL,
                          _("STARTTLS: the server sent data after its 220 reply and before the TLS handshake (response injection); refusing to continue"));
    }
    if (net_start_tls(s->c, &s->tc, err) != 0) {
        s->usable = false;
        return mo_err_prefix(err, "%s", stage_name(ST_TLS_HANDSHAKE));
    }
    show_tls(s);
    return 0;
}

/* ------------------------------------------------------------ greeting, EHLO */

static int greeting(struct smtp_session *s, struct mo_err *err)
{
    set_state(s, ST_GREETING);
    /* Wait: RFC 5321 §3.1 — the client must not talk before the greeting. */
    if (read_reply(s, false, err) != 0)
        return -1;
    reply_oneline(&s->reply, s->greeting, sizeof s->greeting);
    if (s->reply.code == 220) {
        step(s, "%s", s->greeting);
        return 0;
    }
    if (code_class(s->reply.code) == 4)
        return reply_error(s, _("the server is not accepting mail now"),
                           _("try again later"), err);
    if (code_class(s->reply.code) == 5)
        return reply_error(s, _("the server refused the connection"), NULL, err);
    return reply_error(s, _("unexpected greeting"), NULL, err);
}

/* RFC 5321 4.1.4: the EHLO name is a fully qualified domain or, when the host
 * has none, an address literal of our end of the connection. */
static const char *ehlo_name(const struct smtp_session *s, char *buf, size_t size)
{
    const char *fqdn = local_fqdn();

    if (s->acct->domain != NULL)
        return s->acct->domain;
    if (strchr(fqdn, '.') != NULL || net_local_literal(s->c, buf, size) != 0)
        return fqdn;
    return buf;
}

static int hello(struct smtp_session *s, struct mo_err *err)
{
    char literal[80];
    const char *domain = ehlo_name(s, literal, sizeof literal);
    bool lmtp = s->acct->protocol == PROTO_LMTP;
    char *line;
    int rc;

    if (has_control_chars(domain) || strchr(domain, ' ') != NULL)
        return mo_err_set(err, EX_CONFIG, _("account %s: domain \"%s\" is not a valid EHLO name"),
                          s->acct->name, domain);
    memset(&s->caps, 0, sizeof s->caps);
    set_state(s, ST_EHLO);
    line = xasprintf("%s %s", lmtp ? "LHLO" : "EHLO", domain);
    rc = send_line(s, line, NULL, err) == 0 && flush(s, err) == 0
         /* Wait: the capabilities decide everything that follows. */
         && read_reply(s, false, err) == 0 ? 0 : -1;
    free(line);
    if (rc != 0)
        return -1;
    if (s->reply.code == 250) {
        caps_parse(&s->caps, &s->reply);
        step(s, _("server extensions:%s%s%s%s"), s->caps.pipelining ? " PIPELINING" : "",
             s->caps.starttls ? " STARTTLS" : "", s->caps.auth ? " AUTH" : "",
             s->caps.auth ? s->caps.auth_mechs : "");
        return 0;
    }
    if (lmtp || (s->reply.code != 500 && s->reply.code != 502))
        return reply_error(s, lmtp ? _("LHLO refused") : _("EHLO refused"), NULL, err);
    /* An old server: HELO, and no extensions at all. */
    set_state(s, ST_HELO);
    line = xasprintf("HELO %s", domain);
    rc = send_line(s, line, NULL, err) == 0 && flush(s, err) == 0
         /* Wait: nothing may follow HELO before its reply. */
         && read_reply(s, false, err) == 0 ? 0 : -1;
    free(line);
    if (rc != 0)
        return -1;
    if (s->reply.code != 250)
        return reply_error(s, _("HELO refused"), NULL, err);
    memset(&s->caps, 0, sizeof s->caps);
    return 0;
}

static int starttls(struct smtp_session *s, struct mo_err *err)
{
    if (!s->caps.starttls) {
        if (s->probe) {
            s->starttls_missing = true;
            return 0;
        }
        return mo_err_set(err, EX_NOPERM,
                          _("server does not offer STARTTLS; refusing to send in plaintext (account %s has tls = starttls; use tls = implicit if the port expects TLS from the start)"),
                          s->acct->name);
    }
    set_state(s, ST_STARTTLS);
    if (send_line(s, "STARTTLS", NULL, err) != 0 || flush(s, err) != 0
        /* Wait: the handshake may start only after the 220. */
        || read_reply(s, false, err) != 0)
        return -1;
    if (s->reply.code != 220)
        return reply_error(s, _("STARTTLS refused"),
                           _("refusing to send in plaintext"), err);
    if (start_tls(s, err) != 0)
        return -1;
    /* RFC 3207 §4.2: forget everything learnt before TLS. */
    return hello(s, err);
}

/* ------------------------------------------------------------ open / close */

static void init_tls_config(struct smtp_session *s)
{
    const struct account *a = s->acct;

    s->tc.server_name = a->tls_server_name ? a->tls_server_name : a->host;
    s->tc.trust_file = a->tls_trust_file;
    s->tc.fingerprint = a->tls_fingerprint;
    s->tc.cert_file = a->tls_cert_file;
    s->tc.key_file = a->tls_key_file;
    s->tc.min_version = a->tls_min_version ? a->tls_min_version : 12;
}

static int session_start(struct smtp_session *s, struct mo_err *err)
{
    const struct account *a = s->acct;
    int port = account_port(a);

    set_state(s, ST_CONNECT);
    step(s, _("connecting to %s port %d"), a->host, port);
    if (net_connect(&s->c, a->host, port, a->timeout > 0 ? a->timeout : 60, err) != 0)
        return -1;
    /* greeting, TLS, EHLO twice: a few timeouts in all, not one per byte */
    net_set_deadline(s->c, SETUP_ROUNDS * (a->timeout > 0 ? a->timeout : 60));
    s->usable = true;
    step(s, _("connected to %s"), net_peer_address(s->c));
    if (a->tls == TLS_IMPLICIT && start_tls(s, err) != 0)
        return -1;
    if (greeting(s, err) != 0 || hello(s, err) != 0)
        return -1;
    if (a->tls == TLS_STARTTLS && starttls(s, err) != 0)
        return -1;
    set_state(s, ST_READY);
    return 0;
}

static struct smtp_session *session_new(const struct smtp_options *opt)
{
    struct smtp_session *s = xcalloc(1, sizeof *s);

    s->opt = *opt;
    s->acct = opt->acct;
    reply_init(&s->reply);
    init_tls_config(s);
    return s;
}

int smtp_session_open(struct smtp_session **out, const struct smtp_options *opt,
                      struct mo_err *err)
{
    struct smtp_session *s = session_new(opt);

    *out = NULL;
    if (session_start(s, err) != 0) {
        smtp_session_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

bool smtp_session_usable(const struct smtp_session *s)
{
    return s != NULL && s->usable && !s->quit_sent;
}

void smtp_session_close(struct smtp_session *s)
{
    struct mo_err ignored;

    if (s == NULL)
        return;
    if (s->c != NULL && s->usable && !s->quit_sent) {
        /* No wait for the 221: the work is done, a stalled server must not
         * hold us; the server sees QUIT and then the close. */
        set_state(s, ST_QUIT);
        if (send_line(s, "QUIT", NULL, &ignored) == 0)
            flush(s, &ignored);
    }
    if (s->c != NULL) {
        net_close(s->c);
        s->c = NULL;
        set_state(s, ST_CLOSED);
    }
    reply_free(&s->reply);
    free(s);
}

/* ------------------------------------------------------------ AUTH */

/* The server's AUTH mechanisms as "PLAIN LOGIN" for messages. */
static const char *offered(struct smtp_session *s)
{
    const char *m = s->caps.auth_mechs;
    size_t n;

    while (*m == ' ')
        m++;
    n = strlen(m);
    while (n > 0 && m[n - 1] == ' ')
        n--;
    snprintf(s->mechs, sizeof s->mechs, "%.*s", (int)n, m);
    return s->mechs;
}

static int pick_auto(struct smtp_session *s, enum auth_mech *m, struct mo_err *err)
{
    bool tls = net_is_tls(s->c);
    const char *skipped = NULL;

    for (size_t i = 0; i < sasl_preference_len; i++) {
        enum auth_mech p = sasl_preference[i];
        if (!caps_has_mech(&s->caps, sasl_mech_name(p)))
            continue;
        if (sasl_mech_is_plus(p) && !tls)
            continue;
        if (sasl_mech(p)->cleartext && !tls) {
            if (skipped == NULL)
                skipped = sasl_mech_name(p);
            continue;
        }
        *m = p;
        return 0;
    }
    if (skipped)
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: the server offers only %s, which would send the password of account %s in clear over an unencrypted connection; set tls = starttls or tls = implicit"),
                          offered(s), s->acct->name);
    return mo_err_set(err, EX_NOPERM,
                      _("AUTH: no authentication mechanism in common with the server (it offers %s)"),
                      offered(s));
}

/* Decides the mechanism, or AUTH_OFF when the account does not log in. */
static int choose_mech(struct smtp_session *s, enum auth_mech *m, struct mo_err *err)
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
        return pick_auto(s, m, err);
    if (!caps_has_mech(&s->caps, sasl_mech_name(a->auth)))
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: the server does not offer the mechanism %s of account %s (it offers %s)"),
                          sasl_mech_name(a->auth), a->name, offered(s));
    if ((sasl_mech(a->auth)->cleartext || sasl_mech_is_plus(a->auth)) && !net_is_tls(s->c))
        return mo_err_set(err, EX_NOPERM,
                          _("AUTH: refusing %s over an unencrypted connection: it would expose the password of account %s; set tls = starttls or tls = implicit"),
                          sasl_mech_name(a->auth), a->name);
    *m = a->auth;
    return 0;
}

/* RFC 5802 §6: plain SCRAM says "y" (could bind) only when the server does
 * not offer the -PLUS variant; where it does, "y" reads as a downgrade. */
static bool plus_offered(struct smtp_session *s, enum auth_mech m)
{
    char plus[48];

    snprintf(plus, sizeof plus, "%s-PLUS", sasl_mech_name(m));
    return caps_has_mech(&s->caps, plus);
}

static int auth_client(struct smtp_session *s, enum auth_mech m,
                       struct sasl_client **out, struct mo_err *err)
{
    struct sasl_client *sc;

    if (sasl_mech_needs_password(m) && s->opt.password == NULL)
        return mo_err_set(err, EX_CONFIG, _("AUTH: no password for account %s"), s->acct->name);
    sc = sasl_client_new(m, s->acct->user, s->opt.password, NULL);
    if (sc == NULL)
        return mo_err_set(err, EX_SOFTWARE, _("AUTH: cannot start %s"), sasl_mech_name(m));
    sasl_client_set_server(sc, s->acct->host, account_port(s->acct));
    if (net_is_tls(s->c) && (sasl_mech_is_plus(m) || ((m == AUTH_SCRAM_SHA_1
                             || m == AUTH_SCRAM_SHA_256) && !plus_offered(s, m)))) {
        struct tls_info ti;
        unsigned char cb[128];
        const char *type = net_tls_info(s->c, &ti) == 0
            && strcmp(ti.version, "TLSv1.3") == 0 ? "tls-exporter" : "tls-server-end-point";
        long n = net_channel_binding(s->c, type, cb, sizeof cb);
        if (n > 0)
            sasl_client_set_channel_binding(sc, type, cb, (size_t)n);
        else if (sasl_mech_is_plus(m)) {
            sasl_client_free(sc);
            return mo_err_set(err, EX_NOPERM, _("AUTH: no TLS channel binding (%s) for %s"),
                              type, sasl_mech_name(m));
        }
    }
    *out = sc;
    return 0;
}

/* Sends "AUTH MECH [initial-response]". *has_initial tells whether one went. */
static int auth_send_first(struct smtp_session *s, struct sasl_client *sc,
                           enum auth_mech m, bool *has_initial, struct mo_err *err)
{
    unsigned char *ir = NULL;
    size_t ir_len = 0;
    char *line, *shown, *b64 = NULL;
    int rc;

    if (sasl_client_initial(sc, &ir, &ir_len, err) != 0)
        return -1;
    *has_initial = ir != NULL;
    if (ir != NULL)
        b64 = ir_len ? base64_encode(ir, ir_len) : xstrdup("=");
    line = b64 ? xasprintf("AUTH %s %s", sasl_mech_name(m), b64)
               : xasprintf("AUTH %s", sasl_mech_name(m));
    shown = xasprintf("AUTH %s%s", sasl_mech_name(m), b64 ? " <redacted>" : "");
    rc = send_line(s, line, shown, err);
    secret_free(line);
    secret_free(b64);
    free(shown);
    sasl_response_free(ir, ir_len);
    return rc;
}

static int auth_failed(struct smtp_session *s, struct sasl_client *sc,
                       struct mo_err *err)
{
    char one[512], hint[300];
    const char *detail = sc ? sasl_client_error_detail(sc) : NULL;

    reply_oneline(&s->reply, one, sizeof one);
    if (code_class(s->reply.code) == 4)
        return mo_err_set(err, EX_TEMPFAIL, _("authentication failed for now: %s — try again later"), one);
    if (code_class(s->reply.code) != 5)
        return mo_err_set(err, EX_PROTOCOL, _("authentication: unexpected reply %s"), one);
    if (s->mech == AUTH_XOAUTH2 || s->mech == AUTH_OAUTHBEARER)
        snprintf(hint, sizeof hint, _("check user and the token (password_command) of account %s"),
                 s->acct->name);
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

    if (send_line(s, "*", NULL, &ignored) == 0 && flush(s, &ignored) == 0)
        read_reply(s, true, &ignored);
}

/* The lock-step exchange: every challenge needs the previous answer. */
static int auth_exchange(struct smtp_session *s, struct sasl_client *sc,
                         struct mo_err *err)
{
    for (int rounds = 0; rounds < 10; rounds++) {
        unsigned char *ch = NULL, *resp = NULL;
        size_t ch_len = 0, resp_len = 0, tlen = 0;
        const char *t;
        char *b64;
        int rc;

        /* Wait: the server's challenge or verdict. */
        if (flush(s, err) != 0 || read_reply(s, true, err) != 0)
            return -1;
        if (s->reply.code == 235) {
            if (!sasl_client_done(sc))
                return mo_err_set(err, EX_NOPERM,
                                  _("authentication: the server accepted without proving it knows the password (no SCRAM server signature); refusing to continue"));
            return 0;
        }
        if (s->reply.code != 334)
            return auth_failed(s, sc, err);
        t = reply_line_text(&s->reply, 0, &tlen);
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
        rc = send_line(s, b64, "<redacted>", err);
        secret_free(b64);
        sasl_response_free(resp, resp_len);
        if (rc != 0)
            return -1;
    }
    return mo_err_set(err, EX_PROTOCOL, _("authentication: too many challenges from the server"));
}

/* ------------------------------------------------------------ transaction */

static int check_address(const char *a, struct mo_err *err)
{
    if (has_control_chars(a) || strpbrk(a, "<>") != NULL)
        return mo_err_set(err, EX_DATAERR, _("the address \"%s\" cannot be sent in SMTP"), a);
    return 0;
}

/* DSN keywords go out upper case; any byte that is not a letter or a comma
 * becomes '_' (the server then refuses the word; no command injection). */
static char *dsn_word(const char *v)
{
    char *w = xstrdup(v);
    for (char *p = w; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
        else if (!((*p >= 'A' && *p <= 'Z') || *p == ','))
            *p = '_';
    }
    return w;
}

static char *mail_line(const struct smtp_session *s, const struct envelope *env,
                       const struct message *msg, bool utf8)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    strbuf_appendf(&b, "MAIL FROM:<%s>", env->sender);
    if (s->caps.size)
        strbuf_appendf(&b, " SIZE=%llu", (unsigned long long)message_wire_size(msg));
    if (msg->has_8bit && s->caps.eightbitmime)
        strbuf_appendf(&b, " BODY=8BITMIME");
    if (utf8)
        strbuf_appendf(&b, " SMTPUTF8");
    if (s->caps.dsn && env->dsn_ret) {
        char *w = dsn_word(env->dsn_ret);
        strbuf_appendf(&b, " RET=%s", w);
        free(w);
    }
    if (s->caps.dsn && env->dsn_envid) {
        char *x = xtext_encode(env->dsn_envid);
        strbuf_appendf(&b, " ENVID=%s", x);
        free(x);
    }
    return strbuf_detach(&b, NULL);
}

static char *rcpt_line(const struct smtp_session *s, const struct envelope *env, size_t i)
{
    if (s->caps.dsn && env->dsn_notify) {
        char *w = dsn_word(env->dsn_notify);
        char *l = xasprintf("RCPT TO:<%s> NOTIFY=%s", env->rcpts[i], w);
        free(w);
        return l;
    }
    return xasprintf("RCPT TO:<%s>", env->rcpts[i]);
}

static void txn_fail(struct txn *t, const struct mo_err *e)
{
    if (!t->failed) {
        t->err = *e;
        t->failed = true;
    }
}

/* One reply of the flight, by the state of the command it answers. */
static void handle_reply(struct smtp_session *s, struct txn *t,
                         const struct pending *p)
{
    struct mo_err e = { 0, "" };
    char one[512];

    switch (p->st) {
    case ST_AUTH:
        if (s->reply.code == 235) {
            s->authed = true;
            step(s, _("authenticated as %s with %s"), s->acct->user, sasl_mech_name(s->mech));
            return;
        }
        if (s->reply.code == 334) {
            /* It ignored the initial response: our MAIL line is now being
             * read as a SASL answer. Nothing sane can follow. */
            t->broken = true;
            mo_err_set(&e, EX_PROTOCOL, _("AUTH: the server asked for more after the initial response of %s"),
                       sasl_mech_name(s->mech));
        } else {
            auth_failed(s, NULL, &e);
        }
        fill_result(s, t->res);
        txn_fail(t, &e);
        return;
    case ST_RSET:
        if (s->reply.code != 250) {
            t->broken = true;
            reply_error(s, _("RSET refused"), NULL, &e);
            txn_fail(t, &e);
        }
        return;
    case ST_MAIL:
        if (s->reply.code != 250) {
            char *what = xasprintf(_("sender <%s> refused"), t->env->sender);
            char *hint = code_class(s->reply.code) == 5
                ? xasprintf(_("check -f or the from of account %s"), s->acct->name) : NULL;
            reply_error(s, what, hint, &e);
            free(what);
            free(hint);
            fill_result(s, t->res);
            txn_fail(t, &e);
        }
        return;
    case ST_RCPT:
        if (s->reply.code == 250 || s->reply.code == 251) {
            t->accepted[p->rcpt] = true;
            t->n_accepted++;
            return;
        }
        reply_oneline(&s->reply, one, sizeof one);
        if (t->n_refused == 0 && !t->failed)
            fill_result(s, t->res);
        strbuf_appendf(&t->refused, "%s%s (%s)", t->n_refused ? "; " : "",
                       t->env->rcpts[p->rcpt], one);
        t->n_refused++;
        if (code_class(s->reply.code) != 4)
            t->worst_rcpt = 5;
        else if (t->worst_rcpt == 0)
            t->worst_rcpt = 4;
        return;
    case ST_DATA:
        if (s->reply.code == 354) {
            t->data_open = true;
            return;
        }
        /* After refused recipients a refused DATA is only the consequence. */
        if (t->n_refused > 0)
            return;
        reply_error(s, _("DATA refused"), NULL, &e);
        if (!t->failed)
            fill_result(s, t->res);
        txn_fail(t, &e);
        return;
    default:
        return;
    }
}

/* Lock-step only: a command is not sent when the transaction is already lost. */
static bool lost(const struct txn *t, const struct pending *p)
{
    if (t->broken || (t->failed && p->st != ST_RSET))
        return true;
    return p->st == ST_DATA && t->n_refused > 0;
}

static int send_bdat(struct smtp_session *s, const struct message *msg,
                     size_t *chunks, struct mo_err *err);
static int bdat_replies(struct smtp_session *s, struct txn *t, size_t chunks,
                        struct mo_err *err);

/* Writes the queued commands and reads their replies: one flight with
 * PIPELINING, otherwise one command per round trip. With bdat (CHUNKING and
 * PIPELINING) the message and QUIT join the flight. */
static int run_flight(struct smtp_session *s, struct txn *t, char **lines,
                      const char **shown, const struct pending *pend, size_t n,
                      const struct message *bdat, struct mo_err *err)
{
    size_t chunks = 0;

    bool pipe = s->caps.pipelining;
    size_t sent = 0;

    for (size_t i = 0; i < n; i++) {
        if (!pipe && lost(t, &pend[i]))
            break;
        set_state(s, pend[i].st);
        if (send_line(s, lines[i], shown[i], err) != 0)
            return -1;
        sent++;
        if (!pipe) {
            /* Wait: without PIPELINING each reply comes before the next command. */
            if (flush(s, err) != 0 || read_reply(s, false, err) != 0)
                return -1;
            handle_reply(s, t, &pend[i]);
        }
    }
    if (!pipe)
        return 0;
    if (bdat != NULL && send_bdat(s, bdat, &chunks, err) != 0)
        return -1;
    if (flush(s, err) != 0)
        return -1;
    for (size_t i = 0; i < sent; i++) {
        s->state = pend[i].st;  /* for messages; --debug showed it when sent */
        /* Wait (once, for the whole flight): the replies arrive together. */
        if (read_reply(s, false, err) != 0) {
            /* A server that said 421 and hung up: its reply tells more. */
            if (t->failed)
                *err = t->err;
            return -1;
        }
        handle_reply(s, t, &pend[i]);
    }
    return bdat != NULL ? bdat_replies(s, t, chunks, err) : 0;
}

static int rcpt_error(const struct txn *t, struct mo_err *err)
{
    int code = t->worst_rcpt == 5 ? EX_UNAVAILABLE : EX_TEMPFAIL;

    return mo_err_set(err, code,
                      ngettext("recipient refused: %s — the message was sent to nobody",
                               "recipients refused: %s — the message was sent to nobody",
                               t->n_refused), t->refused.data);
}

/* ------------------------------------------------------------ data */

static int write_encoded(struct smtp_session *s, struct wire_encoder *e,
                         const char *in, size_t n, char *out, struct mo_err *err)
{
    while (n > 0) {
        size_t chunk = n > DATA_CHUNK ? DATA_CHUNK : n;
        size_t o = wire_encode(e, in, chunk, out);
        if (net_write(s->c, out, o, err) != 0)
            return -1;
        in += chunk;
        n -= chunk;
    }
    return 0;
}

struct data_sink {
    struct smtp_session *s;
    struct wire_encoder e;
    char *out;
};

static int data_sink_write(void *ctx, const char *p, size_t n, struct mo_err *err)
{
    struct data_sink *d = ctx;
    return write_encoded(d->s, &d->e, p, n, d->out, err);
}

/* DATA: CRLF line ends and dot-stuffing on the fly, then the final dot. */
static int send_message(struct smtp_session *s, const struct message *msg,
                        struct mo_err *err)
{
    struct data_sink d = { .s = s, .out = xmalloc(WIRE_ENCODE_MAX(DATA_CHUNK)) };
    int rc = -1;

    wire_encoder_init(&d.e, true);
    if (message_stream(msg, data_sink_write, &d, err) == 0) {
        size_t o = wire_encode_finish(&d.e, d.out);
        if (net_write(s->c, d.out, o, err) == 0 && net_write(s->c, ".\r\n", 3, err) == 0)
            rc = 0;
    }
    free(d.out);
    if (rc != 0) {
        s->usable = false;
        mo_err_prefix(err, "%s", stage_name(ST_MESSAGE));
    }
    return rc;
}

static int end_of_data_reply(struct smtp_session *s, struct txn *t,
                             struct mo_err *err)
{
    fill_result(s, t->res);
    if (s->reply.code == 250)
        return 0;
    if (code_class(s->reply.code) == 4)
        return reply_error(s, _("the server did not accept the message for now"),
                           _("try again later"), err);
    if (code_class(s->reply.code) == 5)
        return reply_error(s, _("the server refused the message"), NULL, err);
    s->usable = false;
    return reply_error(s, _("unexpected reply at the end of data"), NULL, err);
}

/* Emits the encoded bytes gathered so far as one BDAT chunk. */
static int bdat_emit(struct smtp_session *s, const char *out, size_t len, bool last,
                     size_t *chunks, struct mo_err *err)
{
    char cmd[64];

    snprintf(cmd, sizeof cmd, "BDAT %zu%s", len, last ? " LAST" : "");
    (*chunks)++;
    if (send_line(s, cmd, NULL, err) != 0 || net_write(s->c, out, len, err) != 0)
        return -1;
    return 0;
}

/* Encodes in through e into out (at *len), emitting full chunks. */
static int bdat_add(struct smtp_session *s, struct wire_encoder *e, const char *in,
                    size_t n, char *out, size_t *len, size_t *chunks, struct mo_err *err)
{
    while (n > 0) {
        size_t piece = n > DATA_CHUNK ? DATA_CHUNK : n;
        *len += wire_encode(e, in, piece, out + *len);
        in += piece;
        n -= piece;
        if (*len >= BDAT_CHUNK) {
            if (bdat_emit(s, out, *len, false, chunks, err) != 0)
                return -1;
            *len = 0;
        }
    }
    return 0;
}

struct bdat_sink {
    struct smtp_session *s;
    struct wire_encoder e;
    char *out;
    size_t len;
    size_t *chunks;
};

static int bdat_sink_write(void *ctx, const char *p, size_t n, struct mo_err *err)
{
    struct bdat_sink *b = ctx;
    return bdat_add(b->s, &b->e, p, n, b->out, &b->len, b->chunks, err);
}

/* CHUNKING (RFC 3030): the message as BDAT chunks, no dot-stuffing, each
 * chunk's size known because it is encoded before its command is written. */
static int send_bdat(struct smtp_session *s, const struct message *msg,
                     size_t *chunks, struct mo_err *err)
{
    struct bdat_sink b = { .s = s, .chunks = chunks,
                           .out = xmalloc(BDAT_CHUNK + WIRE_ENCODE_MAX(DATA_CHUNK)) };
    int rc = -1;

    set_state(s, ST_BDAT);
    if (s->opt.debug)
        fprintf(stderr, _("C: <message: %llu bytes>\n"), (unsigned long long)message_wire_size(msg));
    wire_encoder_init(&b.e, false);
    if (message_stream(msg, bdat_sink_write, &b, err) != 0)
        goto out;
    b.len += wire_encode_finish(&b.e, b.out + b.len);
    if (bdat_emit(s, b.out, b.len, true, chunks, err) != 0)
        goto out;
    s->sent_before = true;
    if (!s->opt.keep_open) {
        /* QUIT rides in the same flight as the last chunk. */
        if (send_line(s, "QUIT", NULL, err) != 0)
            goto out;
        s->quit_sent = true;
    }
    rc = 0;
out:
    free(b.out);
    if (rc != 0)
        s->usable = false;
    return rc;
}

/* One reply per chunk; the last one is the verdict on the message. */
static int bdat_replies(struct smtp_session *s, struct txn *t, size_t chunks,
                        struct mo_err *err)
{
    struct mo_err e = { 0, "" };

    for (size_t i = 0; i < chunks; i++) {
        bool last = i + 1 == chunks;
        s->state = last ? ST_END_OF_DATA : ST_BDAT;
        /* Wait: these replies come in the same flight as the others. */
        if (read_reply(s, false, err) != 0)
            return -1;
        if (last && t->failed && s->reply.code == 250)
            t->accepted_anyway = true;
        if (t->failed || t->n_refused > 0)
            continue;   /* the earlier refusal is the story */
        if (last ? end_of_data_reply(s, t, &e) != 0 : s->reply.code != 250) {
            if (!last)
                reply_error(s, _("BDAT refused"), NULL, &e);
            fill_result(s, t->res);
            txn_fail(t, &e);
        }
    }
    return 0;
}

/* LMTP: one reply per accepted recipient (RFC 2033 §4.2). */
static int lmtp_replies(struct smtp_session *s, struct txn *t, struct mo_err *err)
{
    struct strbuf failed;
    int worst = 0, rc = 0;
    size_t n_failed = 0;

    strbuf_init(&failed, 0);
    for (size_t i = 0; i < t->env->n_rcpts; i++) {
        char one[512];
        if (!t->accepted[i])
            continue;
        /* Wait: the verdict for this recipient. */
        if (read_reply(s, false, err) != 0) {
            strbuf_free(&failed);
            return -1;
        }
        if (n_failed == 0)
            fill_result(s, t->res);
        if (s->reply.code == 250) {
            if (t->res->delivered)
                t->res->delivered[i] = true;
            step(s, _("delivered to %s"), t->env->rcpts[i]);
            continue;
        }
        reply_oneline(&s->reply, one, sizeof one);
        strbuf_appendf(&failed, "%s%s (%s)", n_failed ? "; " : "", t->env->rcpts[i], one);
        if (n_failed++ == 0)
            fill_result(s, t->res);
        worst = code_class(s->reply.code) == 4 && worst != 5 ? 4 : 5;
    }
    if (n_failed > 0)
        rc = mo_err_set(err, worst == 4 ? EX_TEMPFAIL : EX_UNAVAILABLE,
                        _("not delivered to %zu of %zu recipients: %s"),
                        n_failed, t->n_accepted, failed.data);
    strbuf_free(&failed);
    return rc;
}

static int data_phase(struct smtp_session *s, struct txn *t, const struct message *msg,
                      struct mo_err *err)
{
    bool quit = !s->opt.keep_open && s->caps.pipelining;

    set_state(s, ST_MESSAGE);
    step(s, _("sending the message (%llu bytes)"), (unsigned long long)message_wire_size(msg));
    if (s->opt.debug)
        fprintf(stderr, _("C: <message: %llu bytes>\nC: .\n"),
                (unsigned long long)message_wire_size(msg));
    if (send_message(s, msg, err) != 0)
        return -1;
    if (quit) {
        /* QUIT rides in the same flight as the final dot. */
        set_state(s, ST_QUIT);
        if (send_line(s, "QUIT", NULL, err) != 0)
            return -1;
        s->quit_sent = true;
    }
    if (flush(s, err) != 0)
        return -1;
    set_state(s, ST_END_OF_DATA);
    s->sent_before = true;
    if (s->acct->protocol == PROTO_LMTP)
        return lmtp_replies(s, t, err);
    /* Wait: the end-of-data reply says whether the server took the message. */
    if (read_reply(s, false, err) != 0)
        return -1;
    if (end_of_data_reply(s, t, err) != 0)
        return -1;
    step(s, "%s", t->res->reply);
    return 0;
}

/* ------------------------------------------------------------ send */

/* An address as it goes into MAIL or RCPT: as it is when it is ASCII or the
 * server offers SMTPUTF8 (*utf8 then records that it is needed), otherwise
 * its ASCII form or an error (address_to_ascii). */
static int wire_address(const struct smtp_session *s, const char *addr, char **out,
                        bool *utf8, struct mo_err *err)
{
    *out = NULL;
    if (check_address(addr, err) != 0)
        return -1;
    if (address_is_ascii(addr) || s->caps.smtputf8) {
        *utf8 = *utf8 || !address_is_ascii(addr);
        *out = xstrdup(addr);
        return 0;
    }
    return address_to_ascii(addr, s->acct->host, out, err);
}

/* Checks what can be checked before a byte is sent, and fills *w with the
 * envelope as it goes on the wire (free with wire_env_free). */
static int precheck(struct smtp_session *s, const struct envelope *env,
                    const struct message *msg, struct envelope *w, bool *utf8,
                    struct mo_err *err)
{
    uint64_t size = message_wire_size(msg);

    *w = *env;
    w->sender = NULL;
    w->rcpts = NULL;
    *utf8 = false;
    if (!smtp_session_usable(s))
        return mo_err_set(err, EX_TEMPFAIL, _("the connection to %s is closed"), s->acct->host);
    if (env->n_rcpts == 0)
        return mo_err_set(err, EX_DATAERR, _("no recipients"));
    if (s->caps.size_max > 0 && size > s->caps.size_max)
        return mo_err_set(err, EX_UNAVAILABLE,
                          _("the message is %llu bytes but %s accepts at most %llu bytes (SIZE)"),
                          (unsigned long long)size, s->acct->host,
                          (unsigned long long)s->caps.size_max);
    w->rcpts = xcalloc(env->n_rcpts, sizeof *w->rcpts);
    if (wire_address(s, env->sender, &w->sender, utf8, err) != 0)
        return -1;
    for (size_t i = 0; i < env->n_rcpts; i++)
        if (wire_address(s, env->rcpts[i], &w->rcpts[i], utf8, err) != 0)
            return -1;
    return 0;
}

static void wire_env_free(struct envelope *w)
{
    for (size_t i = 0; w->rcpts && i < w->n_rcpts; i++)
        free(w->rcpts[i]);
    free(w->rcpts);
    free(w->sender);
}

struct flight {
    char **lines;
    const char **shown;
    struct pending *pend;
    size_t n;
};

static void flight_add(struct flight *f, enum smtp_state st, size_t rcpt,
                       char *line, const char *shown)
{
    f->lines[f->n] = line;
    f->shown[f->n] = shown;
    f->pend[f->n].st = st;
    f->pend[f->n].rcpt = rcpt;
    f->n++;
}

static void flight_free(struct flight *f)
{
    for (size_t i = 0; i < f->n; i++)
        secret_free(f->lines[i]);
    free(f->lines);
    free(f->shown);
    free(f->pend);
}

/* AUTH before the transaction. With PLAIN or EXTERNAL and PIPELINING the AUTH
 * line joins the MAIL flight (RFC 4954 §4) and its reply is handled there. */
static int authenticate(struct smtp_session *s, struct flight *f, struct mo_err *err)
{
    struct sasl_client *sc = NULL;
    enum auth_mech m;
    bool initial = false;
    int rc;

    if (s->authed)
        return 0;
    if (choose_mech(s, &m, err) != 0)
        return -1;
    if (m == AUTH_OFF)
        return 0;
    s->mech = m;
    set_state(s, ST_AUTH);
    step(s, _("authenticating as %s with %s"), s->acct->user ? s->acct->user : "", sasl_mech_name(m));
    if (auth_client(s, m, &sc, err) != 0)
        return -1;
    if (sasl_mech(m)->pipelinable && s->caps.pipelining) {
        unsigned char *ir = NULL;
        size_t ir_len = 0;
        rc = sasl_client_initial(sc, &ir, &ir_len, err);
        if (rc == 0) {
            char *b64 = ir_len ? base64_encode(ir, ir_len) : xstrdup("=");
            flight_add(f, ST_AUTH, 0, xasprintf("AUTH %s %s", sasl_mech_name(m), b64),
                       m == AUTH_PLAIN ? "AUTH PLAIN <redacted>" : "AUTH EXTERNAL <redacted>");
            secret_free(b64);
        }
        sasl_response_free(ir, ir_len);
        sasl_client_free(sc);
        return rc;
    }
    rc = auth_send_first(s, sc, m, &initial, err);
    if (rc == 0)
        rc = auth_exchange(s, sc, err);
    sasl_client_free(sc);
    if (rc != 0) {
        s->usable = s->usable && err->code != EX_PROTOCOL;
        return -1;
    }
    s->authed = true;
    step(s, _("authenticated as %s with %s"), s->acct->user ? s->acct->user : "", sasl_mech_name(m));
    return 0;
}

/* After a failed transaction: RSET when the server can still hear commands,
 * else the connection is closed inside DATA, which discards the message. */
static void abort_transaction(struct smtp_session *s, struct txn *t)
{
    struct mo_err ignored;

    if (t->data_open || t->broken) {
        if (s->opt.debug)
            fprintf(stderr, "%s", _("-- aborting: closing the connection so that the server discards the message\n"));
        s->usable = false;
        return;
    }
    if (!s->usable)
        return;
    set_state(s, ST_RSET);
    /* Wait: the next transaction (or QUIT) needs a clean state. */
    if (send_line(s, "RSET", NULL, &ignored) != 0 || flush(s, &ignored) != 0
        || read_reply(s, false, &ignored) != 0 || s->reply.code != 250)
        s->usable = false;
    else
        s->sent_before = false;    /* clean already: no second RSET */
}

/* The whole transaction (AUTH, MAIL, each RCPT, DATA, the message at
 * SMTP_MIN_RATE at least, the final reply) has a deadline too. */
static int txn_seconds(const struct account *a, const struct envelope *env,
                       const struct message *msg)
{
    long long t = a->timeout > 0 ? a->timeout : 60;
    long long n = (long long)(TXN_ROUNDS + env->n_rcpts) * t
                  + (long long)(message_wire_size(msg) / SMTP_MIN_RATE);

    return n > 7 * 24 * 3600 ? 7 * 24 * 3600 : (int)n;
}

int smtp_session_send(struct smtp_session *s, const struct envelope *env,
                      const struct message *msg, struct smtp_result *res,
                      struct mo_err *err)
{
    struct txn t;
    struct flight f;
    struct envelope w;
    bool utf8 = false, bdat;
    bool *delivered = res->delivered;   /* the caller's, kept */
    int rc = -1;

    memset(res, 0, sizeof *res);
    res->delivered = delivered;
    memset(&t, 0, sizeof t);
    if (s == NULL)
        return mo_err_set(err, EX_SOFTWARE, _("no SMTP session"));
    res->tls = net_is_tls(s->c);
    net_set_deadline(s->c, txn_seconds(s->acct, env, msg));
    if (precheck(s, env, msg, &w, &utf8, err) != 0) {
        wire_env_free(&w);
        return -1;
    }
    /* BDAT LAST in the first flight only for one recipient: with more, a
     * refused one could not stop the message reaching the others, and
     * "nobody gets it" wins over one round trip. */
    bdat = s->caps.chunking && s->caps.pipelining && env->n_rcpts == 1
           && s->acct->protocol == PROTO_SMTP;
    t.env = env;
    t.res = res;
    t.accepted = xcalloc(env->n_rcpts, sizeof *t.accepted);
    strbuf_init(&t.refused, 0);
    f.n = 0;
    f.lines = xcalloc(env->n_rcpts + 4, sizeof *f.lines);
    f.shown = xcalloc(env->n_rcpts + 4, sizeof *f.shown);
    f.pend = xcalloc(env->n_rcpts + 4, sizeof *f.pend);
    if (authenticate(s, &f, err) != 0) {
        fill_result(s, res);
        goto out;
    }
    if (s->sent_before)
        flight_add(&f, ST_RSET, 0, xstrdup("RSET"), NULL);
    flight_add(&f, ST_MAIL, 0, mail_line(s, &w, msg, utf8), NULL);
    for (size_t i = 0; i < env->n_rcpts; i++)
        flight_add(&f, ST_RCPT, i, rcpt_line(s, &w, i), NULL);
    if (!bdat)
        flight_add(&f, ST_DATA, 0, xstrdup("DATA"), NULL);
    step(s, ngettext("from <%s> to %zu recipient", "from <%s> to %zu recipients", env->n_rcpts),
         env->sender, env->n_rcpts);
    s->sent_before = true;     /* the next message starts with RSET */
    if (run_flight(s, &t, f.lines, f.shown, f.pend, f.n, bdat ? msg : NULL, err) != 0)
        goto out;
    res->auth = s->authed;
    if (bdat && (t.failed || t.n_refused > 0)) {
        /* The chunks were refused with the transaction: nothing to abort. */
        if (t.failed)
            *err = t.err;
        else
            rcpt_error(&t, err);
        /* A server that takes mail without AUTH took it after a failed
         * pipelined AUTH: say so, so that nobody sends it twice. */
        if (t.accepted_anyway) {
            char one[512];
            reply_oneline(&s->reply, one, sizeof one);
            fill_result(s, res);
            mo_err_set(err, err->code, _("%s; but the server accepted the message without authentication: %s"),
                       t.err.msg, one);
        }
        goto out;
    }
    if (bdat) {
        rc = 0;
        step(s, "%s", res->reply);
        goto out;
    }
    if (t.failed || t.n_refused > 0 || t.broken) {
        if (t.failed)
            *err = t.err;
        else
            rcpt_error(&t, err);
        abort_transaction(s, &t);
        goto out;
    }
    if (!t.data_open) {
        mo_err_set(err, EX_PROTOCOL, _("DATA: no reply"));
        goto out;
    }
    rc = data_phase(s, &t, msg, err);
out:
    res->auth = s->authed;
    if (s->opt.debug && s->c)
        fprintf(stderr, _("-- round trips: %u\n"), net_wait_count(s->c));
    step(s, _("round trips: %u"), s->c ? net_wait_count(s->c) : 0);
    flight_free(&f);
    wire_env_free(&w);
    free(t.accepted);
    strbuf_free(&t.refused);
    return rc;
}

/* ------------------------------------------------------------ serverinfo */

static void print_caps(const struct smtp_caps *c, FILE *out)
{
    static const struct { size_t off; const char *name; } flags[] = {
        { offsetof(struct smtp_caps, pipelining), "PIPELINING" },
        { offsetof(struct smtp_caps, starttls), "STARTTLS" },
        { offsetof(struct smtp_caps, eightbitmime), "8BITMIME" },
        { offsetof(struct smtp_caps, smtputf8), "SMTPUTF8" },
        { offsetof(struct smtp_caps, dsn), "DSN" },
        { offsetof(struct smtp_caps, chunking), "CHUNKING" },
        { offsetof(struct smtp_caps, binarymime), "BINARYMIME" },
        { offsetof(struct smtp_caps, enhancedstatuscodes), "ENHANCEDSTATUSCODES" },
    };

    fprintf(out, "%s\n", _("Capabilities:"));
    if (!c->esmtp)
        fprintf(out, "    %s\n", _("none (the server answered HELO only)"));
    if (c->size && c->size_max > 0)
        fprintf(out, _("    SIZE %llu (%.2f MiB maximum message size)\n"),
                (unsigned long long)c->size_max, (double)c->size_max / (1024.0 * 1024.0));
    else if (c->size)
        fprintf(out, "    %s\n", _("SIZE (no limit given)"));
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (*(const bool *)((const char *)c + flags[i].off))
            fprintf(out, "    %s\n", flags[i].name);
    if (c->auth)
        fprintf(out, _("    AUTH%s(authentication mechanisms)\n"), c->auth_mechs);
}

/* --serverinfo: what auth = auto would pick on this connection, or why
 * it would refuse. */
static void print_auth_choice(struct smtp_session *s, FILE *out)
{
    struct mo_err why;
    enum auth_mech m;

    if (!s->caps.auth)
        return;
    if (pick_auto(s, &m, &why) == 0)
        fprintf(out, _("auth = auto would use: %s\n"), sasl_mech_name(m));
    else
        fprintf(out, _("auth = auto: %s\n"), why.msg);
}

int smtp_print_serverinfo(const struct smtp_options *opt, FILE *out,
                          struct mo_err *err)
{
    struct smtp_session *s = session_new(opt);
    struct tls_info ti;
    int rc;

    s->probe = true;
    rc = session_start(s, err);

    if (s->greeting[0] == '\0' && rc != 0) {
        smtp_session_close(s);
        return -1;
    }
    fprintf(out, _("Server %s port %d (%s)\n"), s->acct->host, account_port(s->acct),
            s->c ? net_peer_address(s->c) : "?");
    fprintf(out, _("Greeting: %s\n"), s->greeting);
    fprintf(out, _("Protocol: %s\n"), s->acct->protocol == PROTO_LMTP
            ? _("LMTP (LHLO, one reply per recipient)") : _("SMTP (EHLO)"));
    if (s->c && net_is_tls(s->c) && net_tls_info(s->c, &ti) == 0) {
        fprintf(out, _("TLS: %s, cipher %s\n"), ti.version, ti.cipher);
        fprintf(out, "%s\n", _("Certificate:"));
        fprintf(out, _("    Subject: %s\n"), ti.subject);
        fprintf(out, _("    Issuer: %s\n"), ti.issuer);
        fprintf(out, _("    Valid from: %s\n"), ti.not_before);
        fprintf(out, _("    Valid until: %s\n"), ti.not_after);
        fprintf(out, _("    SHA-256 fingerprint: %s\n"), ti.fingerprint);
        fprintf(out, _("    Verified: %s\n"), ti.verified ? _("yes") : _("no"));
        /* What SCRAM-*-PLUS would bind to on this connection. */
        fprintf(out, _("Channel binding: %s\n"), strcmp(ti.version, "TLSv1.3") == 0
                ? "tls-exporter" : "tls-server-end-point");
    } else {
        fprintf(out, "%s\n", _("TLS: none (plaintext connection)"));
    }
    if (rc == 0 || s->reply.code == 250) {
        print_caps(&s->caps, out);
        print_auth_choice(s, out);
    }
    if (rc == 0 && s->starttls_missing)
        rc = mo_err_set(err, EX_NOPERM, _("server does not offer STARTTLS; mailout would refuse to send in plaintext"));
    smtp_session_close(s);
    return rc;
}
