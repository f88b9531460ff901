/* smtp_auth.h - SMTP AUTH (RFC 4954) inside a session: choosing the
 * mechanism (the account's, or auth = auto's strongest safe one) and the
 * exchange. */
#ifndef MAILOUT_SMTP_AUTH_H
#define MAILOUT_SMTP_AUTH_H

#include "sasl.h"
#include "smtp_session.h"

/* Logs in when the account asks for it and the session has not yet: phase
 * AUTHENTICATED on success. A pipelinable mechanism with PIPELINING puts its
 * AUTH line into f instead, and smtp_auth_reply takes its reply when the
 * flight's replies are read. An initial response too long for one command
 * line goes after the server's 334 (RFC 4954 §4). Errors: EX_NOPERM
 * (refused, no mechanism in common, cleartext over plaintext), EX_TEMPFAIL
 * (4xx), EX_CONFIG (no password, no client certificate), EX_PROTOCOL (then
 * the session is PH_BROKEN). */
int smtp_auth_start(struct smtp_session *s, struct flight *f, struct mo_err *err);

/* The login alone, lock-step, for --check-config --connect: a pipelinable
 * AUTH line goes out by itself and its verdict is read at once. Errors as
 * smtp_auth_start's; 0 without a login when the account does not log in
 * (phase READY then). */
int smtp_auth_now(struct smtp_session *s, struct mo_err *err);

/* The reply (in s->reply) to an AUTH line sent in a flight. */
int smtp_auth_reply(struct smtp_session *s, struct mo_err *err);

/* What auth = auto would use on this session, or why it would refuse. */
int smtp_auth_pick_auto(const struct smtp_session *s, enum auth_mech *m,
                        struct mo_err *err);

#endif
