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

#endif
