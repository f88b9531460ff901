/* serverinfo.c - --serverinfo: connects as a send would, and prints what the
 * server is: greeting, TLS and certificate, capabilities, and what
 * auth = auto would choose. Nothing is sent. */
#include "config.h"
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
