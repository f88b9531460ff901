/* smtp_txn.c - the mail transaction of an SMTP (or LMTP) session: MAIL, RCPT
 * and DATA in one flight with PIPELINING (lock-step without), the message as
 * DATA or BDAT chunks, and the verdicts, per recipient with LMTP. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "util.h"
#include "address.h"
#include "codec.h"
#include "smtp_data.h"
#include "smtp_session.h"
#include "hints.h"
#include "smtp_auth.h"

/* Encoding steps: large enough that a write carries many TCP segments. */
#define DATA_CHUNK MESSAGE_CHUNK
/* BDAT chunk size: few chunks, so few replies queue up behind them. */
#define BDAT_CHUNK (1024 * 1024)

/* What the replies of one transaction said. */
struct txn {
    const struct envelope *env;
    struct smtp_result *res;
    struct mo_err err;          /* the first failure (code 0: none yet) of
                                 * AUTH, RSET, MAIL, DATA or the data */
    struct strbuf refused;      /* "addr (reply); ..." */
    size_t n_refused;
    int worst_rcpt;             /* 4 or 5 */
    bool *accepted;             /* per recipient: RCPT took it */
    size_t n_accepted;
    bool refused_early;         /* AUTH, MAIL or a RCPT refused: BDAT
                                 * chunks in the flight are discarded */
};

static bool txn_failed(const struct txn *t)
{
    return t->err.code != 0;
}

static void txn_fail(struct txn *t, const struct mo_err *e)
{
    if (!txn_failed(t))
        t->err = *e;
}

static void fill_result(const struct smtp_session *s, struct smtp_result *res)
{
    if (res == NULL || s->reply.code == 0)
        return;
    res->reply_code = s->reply.code;
    reply_oneline(&s->reply, res->reply, sizeof res->reply);
}

/* Recipient i's verdict: the reply in s->reply. */
static void rcpt_verdict(const struct smtp_session *s, struct smtp_result *res, size_t i)
{
    char one[512];
    int cls = smtp_code_class(s->reply.code);

    reply_oneline(&s->reply, one, sizeof one);
    res->rcpts[i].outcome = cls == 2 ? RCPT_DELIVERED : cls == 4 ? RCPT_TEMPFAIL : RCPT_PERMFAIL;
    free(res->rcpts[i].reply);
    res->rcpts[i].reply = xstrdup(one);
}

size_t smtp_result_count(const struct smtp_result *res, enum rcpt_outcome o, bool *mark)
{
    size_t n = 0;

    for (size_t i = 0; res->rcpts != NULL && i < res->n_rcpts; i++)
        if (res->rcpts[i].outcome == o) {
            n++;
            if (mark)
                mark[i] = true;
        }
    return n;
}

void smtp_result_free(struct smtp_result *res)
{
    for (size_t i = 0; res->rcpts != NULL && i < res->n_rcpts; i++)
        free(res->rcpts[i].reply);
    free(res->rcpts);
    res->rcpts = NULL;
    res->n_rcpts = 0;
}

/* ------------------------------------------------------------ commands */

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

void flight_add(struct flight *f, enum pending_kind kind, size_t rcpt,
                char *line, char *shown)
{
    if (f->n == f->max) {
        f->max = f->max ? 2 * f->max : 8;
        f->cmd = xrealloc(f->cmd, f->max * sizeof *f->cmd);
    }
    f->cmd[f->n].kind = kind;
    f->cmd[f->n].rcpt = rcpt;
    f->cmd[f->n].line = line;
    f->cmd[f->n].shown = shown;
    f->n++;
}

void flight_free(struct flight *f)
{
    for (size_t i = 0; i < f->n; i++) {
        secret_free(f->cmd[i].line);
        free(f->cmd[i].shown);
    }
    free(f->cmd);
}

/* The state in which a command is sent and its reply read. */
static void enter(struct smtp_session *s, const struct pending *p)
{
    static const enum smtp_txn txn_of[] = {
        [PEND_RSET] = TX_RSET, [PEND_MAIL] = TX_MAIL, [PEND_RCPT] = TX_RCPT,
        [PEND_DATA] = TX_DATA,
    };

    if (p->kind == PEND_AUTH)
        smtp_name_stage(s, PH_AUTH);    /* the phase may be QUIT by now */
    else
        smtp_set_txn(s, txn_of[p->kind]);
}

/* ------------------------------------------------------------ replies */

static void auth_reply(struct smtp_session *s, struct txn *t)
{
    struct mo_err e = { 0, "" };

    if (smtp_auth_reply(s, &e) == 0) {
        t->res->auth = true;
        return;
    }
    t->refused_early = true;
    fill_result(s, t->res);
    txn_fail(t, &e);
}

static void mail_reply(struct smtp_session *s, struct txn *t)
{
    struct mo_err e = { 0, "" };
    char *what, *hint;

    if (s->reply.code == 250)
        return;
    t->refused_early = true;
    what = xasprintf(_("sender <%s> refused"), t->env->sender);
    hint = NULL;
    if (smtp_code_class(s->reply.code) == 5) {
        char one[512];
        const char *owned;
        reply_oneline(&s->reply, one, sizeof one);
        owned = hint_sender_refused(one);
        hint = owned != NULL ? xstrdup(owned)
                             : xasprintf(_("check -f or the from of account %s"), s->acct->name);
    }
    smtp_reply_error(s, what, hint, &e);
    free(what);
    free(hint);
    fill_result(s, t->res);
    txn_fail(t, &e);
}

static void rcpt_reply(struct smtp_session *s, struct txn *t, size_t i)
{
    char one[512];

    if (s->reply.code == 250 || s->reply.code == 251) {
        t->accepted[i] = true;
        t->n_accepted++;
        return;
    }
    t->refused_early = true;
    rcpt_verdict(s, t->res, i);
    reply_oneline(&s->reply, one, sizeof one);
    if (t->n_refused == 0 && !txn_failed(t))
        fill_result(s, t->res);
    strbuf_appendf(&t->refused, "%s%s (%s)", t->n_refused ? "; " : "",
                   t->env->rcpts[i], one);
    t->n_refused++;
    if (smtp_code_class(s->reply.code) != 4)
        t->worst_rcpt = 5;
    else if (t->worst_rcpt == 0)
        t->worst_rcpt = 4;
}

/* One reply of the flight, by the command it answers. */
static void handle_reply(struct smtp_session *s, struct txn *t, const struct pending *p)
{
    struct mo_err e = { 0, "" };

    switch (p->kind) {
    case PEND_AUTH:
        auth_reply(s, t);
        return;
    case PEND_RSET:
        if (s->reply.code != 250) {
            smtp_set_phase(s, PH_BROKEN);
            smtp_reply_error(s, _("RSET refused"), NULL, &e);
            txn_fail(t, &e);
        }
        return;
    case PEND_MAIL:
        mail_reply(s, t);
        return;
    case PEND_RCPT:
        rcpt_reply(s, t, p->rcpt);
        return;
    case PEND_DATA:
        if (s->reply.code == 354) {
            smtp_set_txn(s, TX_MESSAGE);
            return;
        }
        /* After refused recipients a refused DATA is only the consequence. */
        if (t->n_refused > 0)
            return;
        smtp_reply_error(s, _("DATA refused"), NULL, &e);
        if (!txn_failed(t))
            fill_result(s, t->res);
        txn_fail(t, &e);
        return;
    }
}

/* Lock-step only: a command is not sent when the transaction is already
 * beyond saving. */
static bool beyond_saving(const struct smtp_session *s, const struct txn *t,
                          const struct pending *p)
{
    if (s->phase == PH_BROKEN || (txn_failed(t) && p->kind != PEND_RSET))
        return true;
    return p->kind == PEND_DATA && t->n_refused > 0;
}

static int send_bdat(struct smtp_session *s, const struct message *msg,
                     size_t *chunks, struct mo_err *err);
static int bdat_replies(struct smtp_session *s, struct txn *t, size_t chunks,
                        struct mo_err *err);

/* Without PIPELINING: each reply comes before the next command. */
static int run_lockstep(struct smtp_session *s, struct txn *t, const struct flight *f,
                        struct mo_err *err)
{
    for (size_t i = 0; i < f->n; i++) {
        if (beyond_saving(s, t, &f->cmd[i]))
            break;
        enter(s, &f->cmd[i]);
        if (smtp_send_line(s, f->cmd[i].line, f->cmd[i].shown, err) != 0
            /* Wait: without PIPELINING each reply comes before the next command. */
            || smtp_flush(s, err) != 0 || smtp_read_reply(s, false, err) != 0)
            return -1;
        handle_reply(s, t, &f->cmd[i]);
    }
    return 0;
}

/* Writes the queued commands and reads their replies: one flight with
 * PIPELINING, otherwise one command per round trip. With bdat (CHUNKING and
 * PIPELINING) the message and QUIT join the flight. */
static int run_flight(struct smtp_session *s, struct txn *t, const struct flight *f,
                      const struct message *bdat, struct mo_err *err)
{
    size_t chunks = 0;

    if (!s->caps.pipelining)
        return run_lockstep(s, t, f, err);
    for (size_t i = 0; i < f->n; i++) {
        enter(s, &f->cmd[i]);
        if (smtp_send_line(s, f->cmd[i].line, f->cmd[i].shown, err) != 0)
            return -1;
    }
    if (bdat != NULL && send_bdat(s, bdat, &chunks, err) != 0)
        return -1;
    if (smtp_flush(s, err) != 0)
        return -1;
    for (size_t i = 0; i < f->n; i++) {
        enter(s, &f->cmd[i]);
        /* Wait (once, for the whole flight): the replies arrive together. */
        if (smtp_read_reply(s, false, err) != 0) {
            /* A server that said 421 and hung up: its reply tells more. */
            if (txn_failed(t))
                *err = t->err;
            return -1;
        }
        handle_reply(s, t, &f->cmd[i]);
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
        mo_err_prefix(err, "%s", smtp_stage_name(s));
        smtp_set_phase(s, PH_BROKEN);
    }
    return rc;
}

/* The verdict on the whole message (SMTP): every recipient shares it. */
static int end_of_data_reply(struct smtp_session *s, struct txn *t,
                             struct mo_err *err)
{
    fill_result(s, t->res);
    if (s->reply.code == 250) {
        for (size_t i = 0; i < t->env->n_rcpts; i++)
            if (t->accepted[i])
                rcpt_verdict(s, t->res, i);
        return 0;
    }
    if (smtp_code_class(s->reply.code) == 4)
        return smtp_reply_error(s, _("the server did not accept the message for now"),
                                _("try again later"), err);
    if (smtp_code_class(s->reply.code) == 5)
        return smtp_reply_error(s, _("the server refused the message"), NULL, err);
    smtp_set_phase(s, PH_BROKEN);
    return smtp_reply_error(s, _("unexpected reply at the end of data"), NULL, err);
}

/* Emits the encoded bytes gathered so far as one BDAT chunk. */
static int bdat_emit(struct smtp_session *s, const char *out, size_t len, bool last,
                     size_t *chunks, struct mo_err *err)
{
    char cmd[64];

    snprintf(cmd, sizeof cmd, "BDAT %zu%s", len, last ? " LAST" : "");
    (*chunks)++;
    if (smtp_send_line(s, cmd, NULL, err) != 0 || net_write(s->c, out, len, err) != 0)
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

    smtp_set_txn(s, TX_BDAT);
    if (s->opt.debug)
        fprintf(stderr, _("C: <message: %llu bytes>\n"), (unsigned long long)message_wire_size(msg));
    wire_encoder_init(&b.e, false);
    if (message_stream(msg, bdat_sink_write, &b, err) != 0)
        goto out;
    b.len += wire_encode_finish(&b.e, b.out + b.len);
    if (bdat_emit(s, b.out, b.len, true, chunks, err) != 0)
        goto out;
    if (!s->opt.keep_open) {
        /* QUIT rides in the same flight as the last chunk; a write that
         * fails now (here or in the flush after) loses the message. */
        smtp_set_phase(s, PH_QUIT);
        smtp_name_txn(s, TX_BDAT);
        if (smtp_send_line(s, "QUIT", NULL, err) != 0)
            goto out;
    }
    rc = 0;
out:
    free(b.out);
    if (rc != 0)
        smtp_set_phase(s, PH_BROKEN);
    return rc;
}

/* One reply per chunk; the last one is the verdict on the message. */
static int bdat_replies(struct smtp_session *s, struct txn *t, size_t chunks,
                        struct mo_err *err)
{
    struct mo_err e = { 0, "" };

    for (size_t i = 0; i < chunks; i++) {
        bool last = i + 1 == chunks;
        smtp_set_txn(s, last ? TX_END_OF_DATA : TX_BDAT);
        /* Wait: these replies come in the same flight as the others. */
        if (smtp_read_reply(s, false, err) != 0)
            return -1;
        if (txn_failed(t) || t->n_refused > 0)
            continue;   /* the earlier refusal is the story */
        if (last ? end_of_data_reply(s, t, &e) != 0 : s->reply.code != 250) {
            if (!last)
                smtp_reply_error(s, _("BDAT refused"), NULL, &e);
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
    t->res->per_rcpt = true;
    for (size_t i = 0; i < t->env->n_rcpts; i++) {
        if (!t->accepted[i])
            continue;
        /* Wait: the verdict for this recipient. */
        if (smtp_read_reply(s, false, err) != 0) {
            strbuf_free(&failed);
            return -1;
        }
        rcpt_verdict(s, t->res, i);
        if (n_failed == 0)
            fill_result(s, t->res);
        if (s->reply.code == 250) {
            smtp_verbose(s, _("delivered to %s"), t->env->rcpts[i]);
            continue;
        }
        strbuf_appendf(&failed, "%s%s (%s)", n_failed ? "; " : "", t->env->rcpts[i],
                       t->res->rcpts[i].reply);
        n_failed++;
        worst = smtp_code_class(s->reply.code) == 4 && worst != 5 ? 4 : 5;
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
    t->res->data_sent = true;
    smtp_set_txn(s, TX_MESSAGE);
    smtp_verbose(s, _("sending the message (%llu bytes)"), (unsigned long long)message_wire_size(msg));
    if (s->opt.debug)
        fprintf(stderr, _("C: <message: %llu bytes>\nC: .\n"),
                (unsigned long long)message_wire_size(msg));
    if (send_message(s, msg, err) != 0)
        return -1;
    if (!s->opt.keep_open && s->caps.pipelining) {
        /* QUIT rides in the same flight as the final dot. */
        smtp_set_phase(s, PH_QUIT);
        /* What a write that fails now loses is the message, not QUIT. */
        smtp_name_txn(s, TX_MESSAGE);
        if (smtp_send_line(s, "QUIT", NULL, err) != 0)
            return -1;
    }
    if (smtp_flush(s, err) != 0)
        return -1;
    smtp_set_txn(s, TX_END_OF_DATA);
    if (s->acct->protocol == PROTO_LMTP)
        return lmtp_replies(s, t, err);
    /* Wait: the end-of-data reply says whether the server took the message. */
    if (smtp_read_reply(s, false, err) != 0)
        return -1;
    if (end_of_data_reply(s, t, err) != 0)
        return -1;
    smtp_verbose(s, "%s", t->res->reply);
    return 0;
}

/* ------------------------------------------------------------ send */

/* An address as it goes into MAIL or RCPT: as it is when it is ASCII or the
 * server offers SMTPUTF8, otherwise its ASCII form or an error
 * (address_to_ascii). */
static int wire_address(const struct smtp_session *s, const char *addr, char **out,
                        struct mo_err *err)
{
    *out = NULL;
    if (check_address(addr, err) != 0)
        return -1;
    if (address_is_ascii(addr) || s->caps.smtputf8) {
        *out = xstrdup(addr);
        return 0;
    }
    return address_to_ascii(addr, s->acct->host, out, err);
}

/* What can be checked before a byte is sent. */
static int check_sendable(const struct smtp_session *s, const struct envelope *env,
                          const struct message *msg, struct mo_err *err)
{
    uint64_t size = message_wire_size(msg);

    if (!smtp_session_usable(s))
        return mo_err_set(err, EX_TEMPFAIL, _("the connection to %s is closed"), s->acct->host);
    if (env->n_rcpts == 0)
        return mo_err_set(err, EX_DATAERR, _("no recipients"));
    if (s->caps.size_max > 0 && size > s->caps.size_max)
        return mo_err_set(err, EX_UNAVAILABLE,
                          _("the message is %llu bytes but %s accepts at most %llu bytes (SIZE)"),
                          (unsigned long long)size, s->acct->host,
                          (unsigned long long)s->caps.size_max);
    return 0;
}

/* The envelope as it goes on the wire, in *w (free with wire_env_free). */
static int wire_envelope(const struct smtp_session *s, const struct envelope *env,
                         struct envelope *w, struct mo_err *err)
{
    *w = *env;
    w->sender = NULL;
    w->rcpts = xcalloc(env->n_rcpts, sizeof *w->rcpts);
    if (wire_address(s, env->sender, &w->sender, err) != 0)
        return -1;
    for (size_t i = 0; i < env->n_rcpts; i++)
        if (wire_address(s, env->rcpts[i], &w->rcpts[i], err) != 0)
            return -1;
    return 0;
}

/* SMTPUTF8 is asked for when the envelope on the wire is not ASCII. */
static bool needs_utf8(const struct envelope *w)
{
    bool utf8 = !address_is_ascii(w->sender);

    for (size_t i = 0; i < w->n_rcpts; i++)
        utf8 = utf8 || !address_is_ascii(w->rcpts[i]);
    return utf8;
}

static void wire_env_free(struct envelope *w)
{
    for (size_t i = 0; w->rcpts && i < w->n_rcpts; i++)
        free(w->rcpts[i]);
    free(w->rcpts);
    free(w->sender);
}

/* After a failed transaction: RSET when the server can still hear commands,
 * else the connection is closed inside DATA, which discards the message. */
static void abort_transaction(struct smtp_session *s)
{
    struct mo_err ignored;

    if (s->txn == TX_MESSAGE || s->phase == PH_BROKEN) {
        if (s->opt.debug)
            fprintf(stderr, "%s", _("-- aborting: closing the connection so that the server discards the message\n"));
        smtp_set_phase(s, PH_BROKEN);
        return;
    }
    if (!smtp_can_send(s))
        return;
    smtp_set_txn(s, TX_RSET);
    /* Wait: the next transaction (or QUIT) needs a clean state. */
    if (smtp_send_line(s, "RSET", NULL, &ignored) != 0 || smtp_flush(s, &ignored) != 0
        || smtp_read_reply(s, false, &ignored) != 0 || s->reply.code != 250)
        smtp_set_phase(s, PH_BROKEN);
    else
        smtp_set_txn(s, TX_IDLE);    /* clean already: no second RSET */
}

/* The failure of a BDAT flight: the chunks were refused with the
 * transaction, so there is nothing to abort. */
static void bdat_failure(struct smtp_session *s, struct txn *t, struct mo_err *err)
{
    char one[512];

    if (!txn_failed(t)) {
        rcpt_error(t, err);
        return;
    }
    *err = t->err;
    /* A server that takes mail without AUTH took it after a failed
     * pipelined AUTH: say so, so that nobody sends it twice. */
    if (s->txn == TX_END_OF_DATA && s->reply.code == 250) {
        reply_oneline(&s->reply, one, sizeof one);
        fill_result(s, t->res);
        mo_err_set(err, err->code, _("%s; but the server accepted the message without authentication: %s"),
                   t->err.msg, one);
    }
}

/* The flight's outcome: the data phase, or why not. */
static int finish(struct smtp_session *s, struct txn *t, const struct message *msg,
                  bool bdat, struct mo_err *err)
{
    if (bdat && (txn_failed(t) || t->n_refused > 0)) {
        bdat_failure(s, t, err);
        return -1;
    }
    if (bdat) {
        smtp_verbose(s, "%s", t->res->reply);
        return 0;
    }
    if (txn_failed(t) || t->n_refused > 0 || s->phase == PH_BROKEN) {
        if (txn_failed(t))
            *err = t->err;
        else
            rcpt_error(t, err);
        abort_transaction(s);
        return -1;
    }
    if (s->txn != TX_MESSAGE)
        return mo_err_set(err, EX_PROTOCOL, _("DATA: no reply"));
    return data_phase(s, t, msg, err);
}

/* MAIL, RCPT for each recipient and DATA (BDAT comes with the message),
 * after an RSET when a transaction ran before on this connection. */
static void queue_commands(struct smtp_session *s, struct flight *f, const struct envelope *w,
                           const struct message *msg, bool utf8, bool bdat)
{
    if (s->txn != TX_IDLE)
        flight_add(f, PEND_RSET, 0, xstrdup("RSET"), NULL);
    flight_add(f, PEND_MAIL, 0, mail_line(s, w, msg, utf8), NULL);
    for (size_t i = 0; i < w->n_rcpts; i++)
        flight_add(f, PEND_RCPT, i, rcpt_line(s, w, i), NULL);
    if (!bdat)
        flight_add(f, PEND_DATA, 0, xstrdup("DATA"), NULL);
}

static int transaction(struct smtp_session *s, struct txn *t, const struct envelope *w,
                       const struct message *msg, struct mo_err *err)
{
    struct flight f = { NULL, 0, 0 };
    /* BDAT LAST in the first flight only for one recipient: with more, a
     * refused one could not stop the message reaching the others, and
     * "nobody gets it" wins over one round trip. */
    bool bdat = s->caps.chunking && s->caps.pipelining && w->n_rcpts == 1
                && s->acct->protocol == PROTO_SMTP;
    int rc = -1;

    if (smtp_auth_start(s, &f, err) != 0) {
        fill_result(s, t->res);
        goto out;
    }
    t->res->auth = t->res->auth || s->phase == PH_AUTHENTICATED;
    queue_commands(s, &f, w, msg, needs_utf8(w), bdat);
    smtp_name_txn(s, TX_MAIL);
    smtp_verbose(s, ngettext("from <%s> to %zu recipient", "from <%s> to %zu recipients",
                             w->n_rcpts), t->env->sender, w->n_rcpts);
    if (run_flight(s, t, &f, bdat ? msg : NULL, err) == 0)
        rc = finish(s, t, msg, bdat, err);
    /* the chunks went with MAIL and RCPT: kept unless those were refused */
    if (bdat)
        t->res->data_sent = !t->refused_early;
out:
    flight_free(&f);
    return rc;
}

int smtp_try_sender(struct smtp_session *s, const char *sender, char *answer,
                    size_t size, struct mo_err *err)
{
    struct envelope env = { .sender = (char *)sender };
    struct smtp_result res = { 0 };
    struct txn t = { .env = &env, .res = &res };
    struct envelope w = { 0 };
    char *line;
    int rc = -1;

    answer[0] = '\0';
    if (wire_envelope(s, &env, &w, err) != 0)
        goto out;
    line = xasprintf("MAIL FROM:<%s>%s", w.sender, needs_utf8(&w) ? " SMTPUTF8" : "");
    smtp_set_txn(s, TX_MAIL);
    rc = smtp_send_line(s, line, NULL, err) == 0 && smtp_flush(s, err) == 0
         /* Wait: the verdict on the sender is what is asked for. */
         && smtp_read_reply(s, false, err) == 0 ? 0 : -1;
    free(line);
    if (rc == 0) {
        reply_oneline(&s->reply, answer, size);
        mail_reply(s, &t);
    }
    if (rc == 0 && txn_failed(&t)) {
        *err = t.err;
        rc = -1;
    }
    abort_transaction(s);
out:
    wire_env_free(&w);
    return rc;
}

/* The whole transaction (AUTH, MAIL, each RCPT, DATA, the message at
 * MIN_RATE bytes per second at least, the final reply) has a deadline too
 * (net_set_deadline), besides the timeout of each read and write. */
#define TXN_ROUNDS 6
#define MIN_RATE 8192

static int txn_seconds(const struct account *a, const struct envelope *env,
                       const struct message *msg)
{
    long long t = a->timeout > 0 ? a->timeout : 60;
    long long n = (long long)(TXN_ROUNDS + env->n_rcpts) * t
                  + (long long)(message_wire_size(msg) / MIN_RATE);

    return n > 7 * 24 * 3600 ? 7 * 24 * 3600 : (int)n;
}

int smtp_session_send(struct smtp_session *s, const struct envelope *env,
                      const struct message *msg, struct smtp_result *res,
                      struct mo_err *err)
{
    struct txn t = { .env = env, .res = res };
    struct envelope w = { 0 };
    int rc;

    memset(res, 0, sizeof *res);
    if (s == NULL)
        return mo_err_set(err, EX_SOFTWARE, _("no SMTP session"));
    res->tls = net_is_tls(s->c);
    res->auth = s->phase == PH_AUTHENTICATED;
    net_set_deadline(s->c, txn_seconds(s->acct, env, msg));
    if (check_sendable(s, env, msg, err) != 0)
        return -1;
    if (wire_envelope(s, env, &w, err) != 0) {
        wire_env_free(&w);
        return -1;
    }
    res->rcpts = xcalloc(env->n_rcpts, sizeof *res->rcpts);
    res->n_rcpts = env->n_rcpts;
    t.accepted = xcalloc(env->n_rcpts, sizeof *t.accepted);
    strbuf_init(&t.refused, 0);
    rc = transaction(s, &t, &w, msg, err);
    if (s->txn != TX_IDLE)
        smtp_set_txn(s, TX_DONE);
    free(t.accepted);
    strbuf_free(&t.refused);
    if (s->opt.debug && s->c)
        fprintf(stderr, _("-- round trips: %u\n"), net_wait_count(s->c));
    smtp_verbose(s, _("round trips: %u"), s->c ? net_wait_count(s->c) : 0);
    wire_env_free(&w);
    return rc;
}
