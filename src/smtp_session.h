/* smtp_session.h - the SMTP session's insides, shared by the files of the
 * protocol engine (smtp.c: connection, greeting, EHLO, STARTTLS; smtp_txn.c:
 * the mail transaction and the data), SMTP AUTH (smtp_auth.c) and
 * --serverinfo (serverinfo.c). Nothing else includes it: smtp.h is the
 * session's public interface.
 *
 * The session's state is two values, changed only through smtp_set_phase
 * and smtp_set_txn (which --debug traces by name): where the connection is (phase) and where the
 * current mail transaction is (txn). Commands are queued as data (struct
 * pending: the line and what its reply means) and their replies are read in
 * order, so the same code serves a pipelined flight and lock-step. */
#ifndef MAILOUT_SMTP_SESSION_H
#define MAILOUT_SMTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include "net.h"
#include "reply.h"
#include "smtp.h"

/* Where the connection is. */
enum smtp_phase {
    PH_NONE,            /* not connected yet */
    PH_CONNECT, PH_TLS_HANDSHAKE, PH_GREETING, PH_EHLO, PH_HELO, PH_STARTTLS,
    PH_AUTH,            /* an AUTH exchange is under way */
    PH_READY,           /* transactions can run; not logged in */
    PH_AUTHENTICATED,   /* transactions can run; logged in */
    PH_QUIT,            /* QUIT sent: the replies still due are read */
    PH_BROKEN,          /* out of step with the server or cut off: only a
                         * close remains (no QUIT, which also discards a
                         * message inside DATA) */
    PH_CLOSED,
};

/* Where the current mail transaction is. */
enum smtp_txn {
    TX_IDLE,            /* none: the next one starts with MAIL */
    TX_RSET, TX_MAIL, TX_RCPT, TX_DATA,   /* that command's reply is due */
    TX_MESSAGE,         /* 354 came: the server is reading the message */
    TX_BDAT,            /* chunks sent, their replies due */
    TX_END_OF_DATA,     /* the verdict on the message is due */
    TX_DONE,            /* over: the next one starts with RSET */
};

/* A state's names: for --debug and -v ("END-OF-DATA"), and for error
 * messages, translated ("end of data"; NULL: the same). */
struct smtp_stage {
    const char *debug, *message;
};

struct smtp_session {
    struct smtp_options opt;
    const struct account *acct;
    struct conn *c;
    enum smtp_phase phase;
    enum smtp_txn txn;
    const struct smtp_stage *stage;   /* the part of the state set last */
    enum smtp_phase reached;    /* the last phase entered of CONNECT ..
                                 * AUTHENTICATED: where a failed start
                                 * stopped (--check-config --connect) */
    bool probe;                 /* --serverinfo: a missing STARTTLS is
                                 * reported, not fatal */
    enum auth_mech mech;        /* the mechanism AUTH uses or used */
    struct smtp_caps caps;
    struct smtp_reply reply;    /* the reply last read */
    struct tls_config tc;
    char greeting[512];
    char line[NET_LINE_MAX];
};

/* Change one part of the state (through one function that --debug traces)
 * and name the stage after it, even when it stays the same: the replies of
 * a flight are read in the stage of the command each one answers. */
void smtp_set_phase(struct smtp_session *s, enum smtp_phase ph);
void smtp_set_txn(struct smtp_session *s, enum smtp_txn tx);

/* Names the stage after ph without entering it: the reply to a pipelined
 * AUTH is read when the phase may already be QUIT. */
void smtp_name_stage(struct smtp_session *s, enum smtp_phase ph);

/* Names the stage after tx without entering it: -v's line about the
 * envelope belongs to MAIL, whatever the flight sends before it. */
void smtp_name_txn(struct smtp_session *s, enum smtp_txn tx);

/* The stage as error messages name it: "greeting", "RCPT TO". */
const char *smtp_stage_name(const struct smtp_session *s);

/* True while the connection can carry commands (phase READY or
 * AUTHENTICATED). */
bool smtp_can_send(const struct smtp_session *s);

/* -v: one line on stderr, tagged with the stage. */
void smtp_verbose(const struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The extensions of the EHLO reply in s->reply, each line as the server
 * wrote it (made printable), separated by ", "; "none" when it has none. */
void smtp_extensions(const struct smtp_session *s, char *buf, size_t size);

/* Queues one command line; it leaves with the next smtp_flush. shown (NULL:
 * the line) is what --debug prints instead (AUTH payloads). On a write
 * error the session is PH_BROKEN and err names the stage. */
int smtp_send_line(struct smtp_session *s, const char *line, const char *shown,
                   struct mo_err *err);
int smtp_flush(struct smtp_session *s, struct mo_err *err);

/* Reads one whole reply into s->reply; redact hides 334 challenges from
 * --debug. The caller is the one waiting. */
int smtp_read_reply(struct smtp_session *s, bool redact, struct mo_err *err);

/* 2 for 2xx, and so on. */
int smtp_code_class(int code);

/* An unwanted s->reply: EX_TEMPFAIL for 4xx, EX_UNAVAILABLE for 5xx,
 * EX_PROTOCOL for anything else; what names the stage, hint may be NULL. */
int smtp_reply_error(const struct smtp_session *s, const char *what,
                     const char *hint, struct mo_err *err);

/* A new session that has not connected; smtp_session_close frees it. */
struct smtp_session *smtp_session_new(const struct smtp_options *opt);

/* Connects, greets, EHLOs and does TLS as configured: phase READY. */
int smtp_session_start(struct smtp_session *s, struct mo_err *err);

/* --check-config --connect: MAIL FROM:<sender> alone (its ASCII form, or
 * SMTPUTF8, as a send would), then RSET. 0 when the server accepted the
 * sender; else -1 with the error (and hint) a send would give. answer:
 * the server's reply to MAIL as one line ("" when none came). */
int smtp_try_sender(struct smtp_session *s, const char *sender, char *answer,
                    size_t size, struct mo_err *err);

/* One command of a flight and what its reply means. */
enum pending_kind { PEND_AUTH, PEND_RSET, PEND_MAIL, PEND_RCPT, PEND_DATA };

struct pending {
    enum pending_kind kind;
    size_t rcpt;                /* PEND_RCPT: index into the envelope */
    char *line;                 /* the command (wiped when freed: AUTH) */
    char *shown;                /* what --debug shows, NULL: the line */
};

/* The commands of one transaction, written together with PIPELINING. */
struct flight {
    struct pending *cmd;
    size_t n, max;
};

/* Adds a command; the flight takes line and shown (may be NULL) over. */
void flight_add(struct flight *f, enum pending_kind kind, size_t rcpt,
                char *line, char *shown);
/* Frees the commands (the lines wiped: AUTH) and the array. */
void flight_free(struct flight *f);

#endif
