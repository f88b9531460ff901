/* serverinfo.h - mailout --serverinfo. */
#ifndef MAILOUT_SERVERINFO_H
#define MAILOUT_SERVERINFO_H

#include <stdio.h>
#include "err.h"
#include "smtp.h"

/* Connects with the account of opt and prints to out the server's greeting,
 * TLS and certificate, capabilities and what auth = auto would choose. A
 * tls = starttls account at a server without STARTTLS is reported and then
 * EX_NOPERM; connection errors as smtp_session_open's. */
int smtp_print_serverinfo(const struct smtp_options *opt, FILE *out,
                          struct mo_err *err);

/* --check-config --connect: connects with the account of opt as a send
 * would, logs in, sends MAIL FROM:<the account's from>, then RSET and QUIT,
 * and reports each step on out (greeting, TLS and certificate, the EHLO
 * extensions, AUTH, MAIL FROM), the failed one with the error and its
 * hint. pw_err: why the password could not be had (the AUTH step fails
 * with it), or NULL. 0 when every step went well; else -1 with the error
 * of the step that failed (its code the one a send would exit with). */
int smtp_check_connection(const struct smtp_options *opt, const struct mo_err *pw_err,
                          FILE *out, struct mo_err *err);

#endif
