/* smtp.c - the SMTP (or LMTP) session's connection: its state, the command
 * and reply I/O, TLS, the greeting, EHLO (or LHLO, or HELO) and STARTTLS,
 * opening and closing. The mail transaction is smtp_txn.c's, AUTH
 * smtp_auth.c's; smtp_session.h describes how they fit together. The only
 * waits are smtp_read_reply() calls; each says why it must wait. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "i18n.h"
#include "util.h"
#include "smtp_session.h"

/* ------------------------------------------------------------ state */

/* Names for --debug and -v ("EHLO") and, translated, for error messages
 * ("greeting: ..."; NULL: the same as for --debug). */
static const struct smtp_stage phase_names[] = {
    [PH_NONE] = { "NONE", NULL }, [PH_CONNECT] = { "CONNECT", N_("connect") },
    [PH_TLS_HANDSHAKE] = { "TLS-HANDSHAKE", N_("TLS handshake") },
    [PH_GREETING] = { "GREETING", N_("greeting") }, [PH_EHLO] = { "EHLO", NULL },
    [PH_HELO] = { "HELO", NULL }, [PH_STARTTLS] = { "STARTTLS", NULL },
    [PH_AUTH] = { "AUTH", NULL }, [PH_READY] = { "READY", NULL },
    [PH_AUTHENTICATED] = { "AUTHENTICATED", NULL }, [PH_QUIT] = { "QUIT", NULL },
    [PH_BROKEN] = { "BROKEN", NULL }, [PH_CLOSED] = { "CLOSED", NULL },
};

static const struct smtp_stage txn_names[] = {
    [TX_IDLE] = { "IDLE", NULL }, [TX_RSET] = { "RSET", NULL },
    [TX_MAIL] = { "MAIL", "MAIL FROM" }, [TX_RCPT] = { "RCPT", "RCPT TO" },
    [TX_DATA] = { "DATA", NULL },
    [TX_MESSAGE] = { "MESSAGE", N_("sending the message") },
    [TX_BDAT] = { "BDAT", NULL },
    [TX_END_OF_DATA] = { "END-OF-DATA", N_("end of data") }, [TX_DONE] = { "DONE", NULL },
};

const char *smtp_stage_name(const struct smtp_session *s)
{
    return s->stage->message ? _(s->stage->message) : s->stage->debug;
}

/* The one place where the state changes; --debug traces every change. */
static void change(struct smtp_session *s, enum smtp_phase ph, enum smtp_txn tx)
{
    if (s->opt.debug && (ph != s->phase || ph == PH_CONNECT))
        fprintf(stderr, "-- %s\n", phase_names[ph].debug);
    if (s->opt.debug && tx != s->txn)
        fprintf(stderr, "-- %s\n", txn_names[tx].debug);
    s->phase = ph;
    s->txn = tx;
    if (ph >= PH_CONNECT && ph <= PH_AUTHENTICATED)
        s->reached = ph;
}

void smtp_set_phase(struct smtp_session *s, enum smtp_phase ph)
{
    change(s, ph, s->txn);
    s->stage = &phase_names[ph];
}

void smtp_set_txn(struct smtp_session *s, enum smtp_txn tx)
{
    change(s, s->phase, tx);
    s->stage = &txn_names[tx];
}

void smtp_name_stage(struct smtp_session *s, enum smtp_phase ph)
{
    s->stage = &phase_names[ph];
}

void smtp_name_txn(struct smtp_session *s, enum smtp_txn tx)
{
    s->stage = &txn_names[tx];
}

bool smtp_can_send(const struct smtp_session *s)
{
    return s->phase == PH_READY || s->phase == PH_AUTHENTICATED;
}

/* ------------------------------------------------------------ output */

void smtp_verbose(const struct smtp_session *s, const char *fmt, ...)
{
    va_list ap;

    if (!s->opt.verbose)
        return;
    fprintf(stderr, "mailout: [%s] ", s->stage->debug);
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

/* An I/O failure: the stage goes into the message, the connection is lost. */
static int io_failed(struct smtp_session *s, struct mo_err *err)
{
    mo_err_prefix(err, "%s", smtp_stage_name(s));
    smtp_set_phase(s, PH_BROKEN);
    return -1;
}

int smtp_send_line(struct smtp_session *s, const char *line, const char *shown,
                   struct mo_err *err)
{
    size_t n = strlen(line);

    if (strpbrk(line, "\r\n") != NULL)
        return mo_err_set(err, EX_SOFTWARE, _("internal error: a command with a line break"));
    debug_line(s, "C: ", shown ? shown : line, strlen(shown ? shown : line));
    if (net_write(s->c, line, n, err) != 0 || net_write(s->c, "\r\n", 2, err) != 0)
        return io_failed(s, err);
    return 0;
}

int smtp_flush(struct smtp_session *s, struct mo_err *err)
{
    if (net_flush(s->c, err) != 0)
        return io_failed(s, err);
    return 0;
}

int smtp_read_reply(struct smtp_session *s, bool redact, struct mo_err *err)
{
    int rc;

    reply_reset(&s->reply);
    do {
        long n = net_read_line(s->c, s->line, sizeof s->line, err);
        if (n < 0)
            return io_failed(s, err);
        if (redact && n >= 4 && memcmp(s->line, "334", 3) == 0)
            debug_line(s, "S: ", "334 <redacted>", 14);
        else
            debug_line(s, "S: ", s->line, (size_t)n);
        rc = reply_feed_line(&s->reply, s->line, (size_t)n, err);
        if (rc < 0)
            return io_failed(s, err);
    } while (rc == 0);
    return 0;
}

int smtp_code_class(int code)
{
    return code / 100;
}

int smtp_reply_error(const struct smtp_session *s, const char *what,
                     const char *hint, struct mo_err *err)
{
    char one[512];
    int cls = smtp_code_class(s->reply.code);
    int code = cls == 4 ? EX_TEMPFAIL : cls == 5 ? EX_UNAVAILABLE : EX_PROTOCOL;

    reply_oneline(&s->reply, one, sizeof one);
    if (hint)
        return mo_err_set(err, code, _("%s: %s — %s"), what, one, hint);
    return mo_err_set(err, code, _("%s: %s"), what, one);
}

/* ------------------------------------------------------------ TLS */

static void show_tls(const struct smtp_session *s)
{
    struct tls_info ti;

    if ((!s->opt.debug && !s->opt.verbose) || net_tls_info(s->c, &ti) != 0)
        return;
    smtp_verbose(s, _("TLS established: %s, %s"), ti.version, ti.cipher);
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
    enum smtp_phase was = s->phase;

    smtp_set_phase(s, PH_TLS_HANDSHAKE);
    /* STARTTLS response injection (CVE-2011-0411 class): anything the server
     * sent after its 220 was sent in plaintext and must not be read as if it
     * came over TLS. net_start_tls checks this too. */
    if (was == PH_STARTTLS && net_has_buffered_input(s->c)) {
        smtp_set_phase(s, PH_BROKEN);
        return mo_err_set(err, EX_PROTOCOL,
                          _("STARTTLS: the server sent data after its 220 reply and before the TLS handshake (response injection); refusing to continue"));
    }
    if (net_start_tls(s->c, &s->tc, err) != 0) {
        mo_err_prefix(err, "%s", smtp_stage_name(s));
        smtp_set_phase(s, PH_BROKEN);
        return -1;
    }
    show_tls(s);
    return 0;
}

/* ------------------------------------------------------------ greeting, EHLO */

/* Seconds a server on port 465 gets to greet in plain text before mailout
 * says it speaks TLS from the start: it waits for our ClientHello. */
#define TLS_PORT_GREETING_WAIT 5

/* Before a plain-text greeting: a server that sends a TLS record, or one
 * on port 465 that stays silent, is a tls = starttls mistake, found in
 * seconds instead of after the whole timeout. */
static int greeting_mixup(struct smtp_session *s, struct mo_err *err)
{
    int timeout = s->acct->timeout > 0 ? s->acct->timeout : 60;
    bool tls_port = account_port(s->acct) == 465;
    int wait = tls_port && timeout > TLS_PORT_GREETING_WAIT ? TLS_PORT_GREETING_WAIT : timeout;
    int r;

    if (net_is_tls(s->c))
        return 0;
    if ((r = net_peek_greeting(s->c, wait, err)) == 0)
        return 0;
    if (r == 1 && tls_port)
        mo_err_set(err, EX_CONFIG,
                   _("no greeting from %s within %d s: port 465 speaks TLS from the start; set tls = implicit"),
                   s->acct->host, wait);
    else if (r == 1)
        mo_err_set(err, EX_TEMPFAIL,
                   _("timed out after %d s waiting for the greeting of %s (if this port speaks TLS from the start, set tls = implicit)"),
                   wait, s->acct->host);
    mo_err_prefix(err, "%s", smtp_stage_name(s));
    smtp_set_phase(s, PH_BROKEN);
    return -1;
}

static int greeting(struct smtp_session *s, struct mo_err *err)
{
    smtp_set_phase(s, PH_GREETING);
    if (greeting_mixup(s, err) != 0)
        return -1;
    /* Wait: RFC 5321 §3.1 — the client must not talk before the greeting. */
    if (smtp_read_reply(s, false, err) != 0)
        return -1;
    reply_oneline(&s->reply, s->greeting, sizeof s->greeting);
    if (s->reply.code == 220) {
        smtp_verbose(s, "%s", s->greeting);
        return 0;
    }
    if (smtp_code_class(s->reply.code) == 4)
        return smtp_reply_error(s, _("the server is not accepting mail now"),
                                _("try again later"), err);
    if (smtp_code_class(s->reply.code) == 5)
        return smtp_reply_error(s, _("the server refused the connection"), NULL, err);
    return smtp_reply_error(s, _("unexpected greeting"), NULL, err);
}

/* One extension line as shown: AUTH with the mechanism names caps_parse
 * kept (RFC 4422's charset), any other line made printable. */
static void show_extension(const struct smtp_session *s, const char *t, size_t len,
                           char *buf, size_t size)
{
    size_t n;

    if (len >= 4 && strncasecmp(t, "AUTH", 4) == 0 && (len == 4 || t[4] == ' ' || t[4] == '=')) {
        snprintf(buf, size, "AUTH%s", s->caps.auth_mechs);
        n = strlen(buf);
        while (n > 0 && buf[n - 1] == ' ')
            buf[--n] = '\0';
        return;
    }
    reply_printable(t, len, buf, size);
}

void smtp_extensions(const struct smtp_session *s, char *buf, size_t size)
{
    size_t used = 0, len;

    buf[0] = '\0';
    for (size_t i = 1; i < s->reply.n_lines && used + 3 < size; i++) {
        const char *t = reply_line_text(&s->reply, i, &len);
        if (t == NULL || len == 0)
            continue;
        if (used > 0) {
            memcpy(buf + used, ", ", 3);
            used += 2;
        }
        show_extension(s, t, len, buf + used, size - used);
        used += strlen(buf + used);
    }
    if (used == 0)
        snprintf(buf, size, "%s", _("none"));
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
    smtp_set_phase(s, PH_EHLO);
    line = xasprintf("%s %s", lmtp ? "LHLO" : "EHLO", domain);
    rc = smtp_send_line(s, line, NULL, err) == 0 && smtp_flush(s, err) == 0
         /* Wait: the capabilities decide everything that follows. */
         && smtp_read_reply(s, false, err) == 0 ? 0 : -1;
    free(line);
    if (rc != 0)
        return -1;
    if (s->reply.code == 250) {
        caps_parse(&s->caps, &s->reply);
        if (s->opt.verbose) {
            char ext[1024];
            smtp_extensions(s, ext, sizeof ext);
            smtp_verbose(s, _("server extensions: %s"), ext);
        }
        return 0;
    }
    if (lmtp || (s->reply.code != 500 && s->reply.code != 502))
        return smtp_reply_error(s, lmtp ? _("LHLO refused") : _("EHLO refused"), NULL, err);
    /* An old server: HELO, and no extensions at all. */
    smtp_set_phase(s, PH_HELO);
    line = xasprintf("HELO %s", domain);
    rc = smtp_send_line(s, line, NULL, err) == 0 && smtp_flush(s, err) == 0
         /* Wait: nothing may follow HELO before its reply. */
         && smtp_read_reply(s, false, err) == 0 ? 0 : -1;
    free(line);
    if (rc != 0)
        return -1;
    if (s->reply.code != 250)
        return smtp_reply_error(s, _("HELO refused"), NULL, err);
    memset(&s->caps, 0, sizeof s->caps);
    return 0;
}

static int starttls(struct smtp_session *s, struct mo_err *err)
{
    if (!s->caps.starttls) {
        if (s->probe)
            return 0;   /* --serverinfo reports it */
        return mo_err_set(err, EX_NOPERM,
                          _("server does not offer STARTTLS; refusing to send in plaintext (account %s has tls = starttls; use tls = implicit if the port expects TLS from the start)"),
                          s->acct->name);
    }
    smtp_set_phase(s, PH_STARTTLS);
    if (smtp_send_line(s, "STARTTLS", NULL, err) != 0 || smtp_flush(s, err) != 0
        /* Wait: the handshake may start only after the 220. */
        || smtp_read_reply(s, false, err) != 0)
        return -1;
    if (s->reply.code != 220)
        return smtp_reply_error(s, _("STARTTLS refused"),
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

/* The session's start (connect aside) may take this many timeouts in all. */
#define SETUP_ROUNDS 8

int smtp_session_start(struct smtp_session *s, struct mo_err *err)
{
    const struct account *a = s->acct;
    int port = account_port(a);

    smtp_set_phase(s, PH_CONNECT);
    smtp_verbose(s, _("connecting to %s port %d"), a->host, port);
    if (net_connect(&s->c, a->host, port, a->timeout > 0 ? a->timeout : 60, err) != 0)
        return -1;
    /* greeting, TLS, EHLO twice: a few timeouts in all, not one per byte */
    net_set_deadline(s->c, SETUP_ROUNDS * (a->timeout > 0 ? a->timeout : 60));
    smtp_verbose(s, _("connected to %s"), net_peer_address(s->c));
    if (a->tls == TLS_IMPLICIT && start_tls(s, err) != 0)
        return -1;
    if (greeting(s, err) != 0 || hello(s, err) != 0)
        return -1;
    if (a->tls == TLS_STARTTLS && starttls(s, err) != 0)
        return -1;
    smtp_set_phase(s, PH_READY);
    return 0;
}

struct smtp_session *smtp_session_new(const struct smtp_options *opt)
{
    struct smtp_session *s = xcalloc(1, sizeof *s);

    s->opt = *opt;
    s->acct = opt->acct;
    smtp_set_phase(s, PH_NONE);
    reply_init(&s->reply);
    init_tls_config(s);
    return s;
}

int smtp_session_open(struct smtp_session **out, const struct smtp_options *opt,
                      struct mo_err *err)
{
    struct smtp_session *s = smtp_session_new(opt);

    *out = NULL;
    if (smtp_session_start(s, err) != 0) {
        smtp_session_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

bool smtp_session_usable(const struct smtp_session *s)
{
    return s != NULL && smtp_can_send(s);
}

void smtp_session_close(struct smtp_session *s)
{
    struct mo_err ignored;

    if (s == NULL)
        return;
    if (s->c != NULL && s->phase >= PH_GREETING && s->phase <= PH_AUTHENTICATED) {
        /* No wait for the 221: the work is done, a stalled server must not
         * hold us; the server sees QUIT and then the close. */
        smtp_set_phase(s, PH_QUIT);
        if (smtp_send_line(s, "QUIT", NULL, &ignored) == 0)
            smtp_flush(s, &ignored);
    }
    if (s->c != NULL) {
        net_close(s->c);
        s->c = NULL;
        smtp_set_phase(s, PH_CLOSED);
    }
    reply_free(&s->reply);
    free(s);
}

