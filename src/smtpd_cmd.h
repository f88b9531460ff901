/* smtpd_cmd.h - one SMTP command line as a server (-bs) reads it. */
#ifndef MAILOUT_SMTPD_CMD_H
#define MAILOUT_SMTPD_CMD_H

#include <stdbool.h>
#include <stddef.h>

enum smtpd_verb {
    SV_HELO, SV_EHLO, SV_MAIL, SV_RCPT, SV_DATA, SV_RSET, SV_NOOP, SV_QUIT,
    SV_VRFY, SV_EXPN, SV_HELP, SV_STARTTLS, SV_AUTH, SV_BDAT, SV_UNKNOWN,
};

struct smtpd_cmd {
    enum smtpd_verb verb;
    char *arg;              /* HELO/EHLO name; NULL when none */
    char *path;             /* MAIL/RCPT: the address between < >; "" is <> */
    long size;              /* MAIL SIZE=, -1 when absent */
    char *ret;              /* MAIL RET=FULL|HDRS (lower case), or NULL */
    char *envid;            /* MAIL ENVID= (xtext as given), or NULL */
    char *notify;           /* RCPT NOTIFY= (lower case), or NULL */
};

/* Parses one command line (len bytes, without the line end; any byte may
 * be in it). 0 with out filled (free it with smtpd_cmd_free), or -1 with
 * the complete reply to give ("501 5.5.4 ...", no line end) in reply. */
int smtpd_cmd_parse(const char *line, size_t len, struct smtpd_cmd *out,
                    char *reply, size_t n);

void smtpd_cmd_free(struct smtpd_cmd *c);

#endif
