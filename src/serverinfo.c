/* serverinfo.c - --serverinfo: connects as a send would, and prints what the
 * server is: greeting, TLS and certificate, capabilities, and what
 * auth = auto would choose. Nothing is sent. And --check-config --connect:
 * the same start, then AUTH and MAIL FROM, reported step by step. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "i18n.h"
#include "smtp_session.h"
#include "smtp_auth.h"
#include "serverinfo.h"

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
static void print_auth_choice(const struct smtp_session *s, FILE *out)
{
    struct mo_err why;
    enum auth_mech m;

    if (!s->caps.auth)
        return;
    if (smtp_auth_pick_auto(s, &m, &why) == 0)
        fprintf(out, _("auth = auto would use: %s\n"), sasl_mech_name(m));
    else
        fprintf(out, _("auth = auto: %s\n"), why.msg);
}

int smtp_print_serverinfo(const struct smtp_options *opt, FILE *out,
                          struct mo_err *err)
{
    struct smtp_session *s = smtp_session_new(opt);
    struct tls_info ti;
    int rc;

    s->probe = true;
    rc = smtp_session_start(s, err);

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
    if (rc == 0 && s->acct->tls == TLS_STARTTLS && !net_is_tls(s->c))
        rc = mo_err_set(err, EX_NOPERM, _("server does not offer STARTTLS; mailout would refuse to send in plaintext"));
    smtp_session_close(s);
    return rc;
}

/* ------------------------------------------------------------ --check-config --connect */

/* The steps of the report, in the order they happen for the account. */
enum step { STEP_CONNECT, STEP_GREETING, STEP_TLS, STEP_EHLO, STEP_AUTH, STEP_MAIL, STEP_DONE };

static void step_line(FILE *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step_line(FILE *out, const char *label, const char *fmt, ...)
{
    va_list ap;

    fprintf(out, "  %-10s ", label);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

static const char *step_label(enum step st)
{
    switch (st) {
    case STEP_CONNECT: return _("connect:");
    case STEP_GREETING: return _("greeting:");
    case STEP_TLS: return "TLS:";
    case STEP_EHLO: return "EHLO:";
    case STEP_AUTH: return "AUTH:";
    case STEP_MAIL: return "MAIL FROM:";
    default: return "";
    }
}

/* Where a failed smtp_session_start stopped. */
static enum step start_failed_at(const struct smtp_session *s)
{
    switch (s->reached) {
    case PH_NONE:
    case PH_CONNECT:
        return STEP_CONNECT;
    case PH_TLS_HANDSHAKE:
    case PH_STARTTLS:
        return STEP_TLS;
    case PH_GREETING:   /* greeted, then an EHLO name mailout cannot send */
        return s->reply.code == 220 ? STEP_EHLO : STEP_GREETING;
    default:            /* a tls = starttls account and no STARTTLS */
        return s->acct->tls == TLS_STARTTLS && !net_is_tls(s->c) && s->reply.code == 250
               ? STEP_TLS : STEP_EHLO;
    }
}

static void report_tls(const struct smtp_session *s, FILE *out)
{
    struct tls_info ti;

    if (s->acct->tls == TLS_OFF || !net_is_tls(s->c) || net_tls_info(s->c, &ti) != 0) {
        step_line(out, "TLS:", "%s", _("none: tls = off, the connection is not encrypted"));
        return;
    }
    step_line(out, "TLS:", _("ok, %s, cipher %s (%s)"), ti.version, ti.cipher,
              s->acct->tls == TLS_IMPLICIT ? _("from the start") : "STARTTLS");
    step_line(out, "", _("certificate subject: %s"), ti.subject);
    step_line(out, "", _("issuer: %s"), ti.issuer);
    step_line(out, "", _("valid from %s until %s"), ti.not_before, ti.not_after);
    step_line(out, "", _("SHA-256 fingerprint: %s"), ti.fingerprint);
    step_line(out, "", _("verified: %s"), !ti.verified ? _("no")
              : s->acct->tls_fingerprint ? _("yes (pinned with tls_fingerprint)")
              : _("yes (chain and name)"));
}

/* The steps before upto, all of which went well. */
static void report_start(const struct smtp_session *s, enum step upto, const char *ext,
                         FILE *out)
{
    static const enum step implicit[] = { STEP_CONNECT, STEP_TLS, STEP_GREETING, STEP_EHLO };
    static const enum step plain[] = { STEP_CONNECT, STEP_GREETING, STEP_TLS, STEP_EHLO };
    const enum step *order = s->acct->tls == TLS_IMPLICIT ? implicit : plain;

    for (size_t i = 0; i < 4 && order[i] != upto; i++) {
        if (order[i] == STEP_CONNECT)
            step_line(out, step_label(STEP_CONNECT), _("ok, %s port %d (%s)"), s->acct->host,
                      account_port(s->acct), net_peer_address(s->c));
        else if (order[i] == STEP_GREETING)
            step_line(out, step_label(STEP_GREETING), _("ok, %s"), s->greeting);
        else if (order[i] == STEP_TLS)
            report_tls(s, out);
        else
            step_line(out, "EHLO:", _("ok, extensions: %s"), ext);
    }
}

static void report_auth(const struct smtp_session *s, FILE *out)
{
    char offered[sizeof s->caps.auth_mechs + 8];
    size_t n;

    snprintf(offered, sizeof offered, "%s", s->caps.auth ? s->caps.auth_mechs : _(" none"));
    n = strlen(offered);
    while (n > 0 && offered[n - 1] == ' ')
        offered[--n] = '\0';

    if (s->phase == PH_AUTHENTICATED)
        step_line(out, "AUTH:", _("ok, logged in as %s with %s (offered:%s)"),
                  s->acct->user ? s->acct->user : "", sasl_mech_name(s->mech), offered);
    else
        step_line(out, "AUTH:", _("not used: account %s does not log in (offered:%s)"),
                  s->acct->name, offered);
}

/* AUTH, MAIL FROM and RSET after a good start; the step that failed, or
 * STEP_DONE. */
static enum step check_transaction(struct smtp_session *s, const struct mo_err *pw_err,
                                   FILE *out, struct mo_err *err)
{
    const char *from = s->acct->from;
    char answer[512];

    if (pw_err != NULL) {
        *err = *pw_err;
        return STEP_AUTH;
    }
    if (smtp_auth_now(s, err) != 0)
        return STEP_AUTH;
    report_auth(s, out);
    if (from == NULL || strchr(from, '*') != NULL) {
        step_line(out, "MAIL FROM:", _("not tried: account %s has no from address (from = %s)"),
                  s->acct->name, from ? from : "");
        return STEP_DONE;
    }
    if (smtp_try_sender(s, from, answer, sizeof answer, err) != 0)
        return STEP_MAIL;
    step_line(out, "MAIL FROM:", _("ok, <%s> accepted: %s"), from, answer);
    return STEP_DONE;
}

int smtp_check_connection(const struct smtp_options *opt, const struct mo_err *pw_err,
                          FILE *out, struct mo_err *err)
{
    struct smtp_session *s = smtp_session_new(opt);
    char ext[1024];
    enum step failed;

    if (smtp_session_start(s, err) != 0) {
        failed = start_failed_at(s);
        report_start(s, failed, "", out);
    } else {
        smtp_extensions(s, ext, sizeof ext);
        report_start(s, STEP_DONE, ext, out);
        failed = check_transaction(s, pw_err, out, err);
    }
    if (failed != STEP_DONE)
        step_line(out, step_label(failed), _("FAILED: %s"), err->msg);
    else
        step_line(out, "QUIT:", "%s", _("ok, RSET and QUIT sent, no message was sent"));
    smtp_session_close(s);
    return failed == STEP_DONE ? 0 : -1;
}
