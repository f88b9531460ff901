/* smtp.h - an SMTP (or LMTP) client session to the account's server. */
#ifndef MAILOUT_SMTP_H
#define MAILOUT_SMTP_H

#include <stdbool.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"

struct smtp_options {
    const struct account *acct;
    const char *password;       /* NULL when the account has no user */
    int verbose;                /* -v: one line per step on stderr */
    bool debug;                 /* --debug: C:/S: transcript, secrets redacted */
    bool keep_open;             /* more messages follow (the queue): do not
                                 * send QUIT in the flight of the final dot */
};

/* What became of one recipient. */
enum rcpt_outcome {
    RCPT_NO_VERDICT,            /* the transaction ended before its verdict */
    RCPT_DELIVERED,             /* the server took the message for it (2xx) */
    RCPT_TEMPFAIL,              /* refused for now (4xx): retry */
    RCPT_PERMFAIL,              /* refused (5xx) */
};

struct rcpt_result {
    enum rcpt_outcome outcome;
    char *reply;                /* the server's verdict, one printable line,
                                 * or NULL */
};

/* What the server said about a message: for the log line and the queue.
 * smtp_session_send fills it (and owns nothing the caller passed in);
 * free it with smtp_result_free. */
struct smtp_result {
    int reply_code;             /* last reply code (250 on success), 0 if none */
    char reply[512];            /* that reply's text, one line, e.g.
                                 * "250 2.0.0 Ok: queued as AA19C7C4CC" */
    bool tls;                   /* the session was encrypted */
    bool auth;                  /* the session authenticated */
    bool data_sent;             /* the message went to the server in a
                                 * transaction that it did not refuse
                                 * before the data: it may have it */
    struct rcpt_result *rcpts;  /* one per recipient of the envelope, in its
                                 * order (NULL when nothing was sent): with
                                 * LMTP each has its own verdict after the
                                 * data, so a partial failure is kept for the
                                 * others only */
    size_t n_rcpts;
    bool per_rcpt;              /* LMTP after the data: each recipient's
                                 * verdict is its own fate (with SMTP, or
                                 * before the data, one refusal stops the
                                 * message for all) */
};

struct smtp_session;

/* Connects, greets, EHLOs, does STARTTLS/implicit TLS as configured. AUTH is
 * done lazily by the first smtp_session_send so that it can be pipelined.
 * Errors: EX_TEMPFAIL (network, 4xx, timeout), EX_UNAVAILABLE (5xx),
 * EX_NOPERM (TLS verification, STARTTLS missing, auth refused),
 * EX_PROTOCOL (the server broke the protocol). */
int smtp_session_open(struct smtp_session **out, const struct smtp_options *opt,
                      struct mo_err *err);

/* Sends one message (RSET first when the session has sent one before).
 * res is overwritten: free it with smtp_result_free afterwards. */
int smtp_session_send(struct smtp_session *s, const struct envelope *env,
                      const struct message *msg, struct smtp_result *res,
                      struct mo_err *err);

/* False once the connection cannot carry another transaction: QUIT was
 * sent with the last message (keep_open false), the server broke the
 * protocol, or a transaction was aborted by closing inside DATA. The queue
 * then opens a new session for the next message. */
bool smtp_session_usable(const struct smtp_session *s);

/* Sends QUIT when the session is healthy, closes and frees. NULL is fine. */
void smtp_session_close(struct smtp_session *s);

/* How many recipients have outcome o; with mark (n_rcpts flags, may be
 * NULL) they are also marked true there. */
size_t smtp_result_count(const struct smtp_result *res, enum rcpt_outcome o,
                         bool *mark);

void smtp_result_free(struct smtp_result *res);

#endif
