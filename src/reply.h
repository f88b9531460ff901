/* reply.h - SMTP replies (RFC 5321 §4.2) and the EHLO capabilities they carry.
 * Pure functions over lines: the session reads lines with net_read_line and
 * feeds them here, so the parser does not care how the bytes were split. */
#ifndef MAILOUT_REPLY_H
#define MAILOUT_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "util.h"

/* A server that floods cannot grow our memory past these. */
#define REPLY_MAX_LINES 100
#define REPLY_MAX_BYTES (64 * 1024)

struct smtp_reply {
    int code;                   /* 220, 250, ...; 0 before the first line */
    char enhanced[16];          /* RFC 3463 "5.7.8" of the first line, or "" */
    struct strbuf text;         /* every line as received, '\n'-separated */
    size_t n_lines;
    bool complete;
};

void reply_init(struct smtp_reply *r);
void reply_reset(struct smtp_reply *r);
void reply_free(struct smtp_reply *r);

/* Feeds one line (line ending removed). Returns 1 when the reply is complete,
 * 0 when more lines follow, -1 with EX_PROTOCOL for a malformed line (code
 * not [2-5][0-9][0-9] followed by ' ', '-' or the end of line), a code that
 * changes within the reply, or a reply over the bounds above. */
int reply_feed_line(struct smtp_reply *r, const char *line, size_t len,
                    struct mo_err *err);

/* The reply as one printable line for messages and the log: "550 5.1.1 No
 * such user here" — continuation lines joined with a space (their repeated
 * code and enhanced code dropped), control characters replaced by '?',
 * truncated to size. */
void reply_oneline(const struct smtp_reply *r, char *buf, size_t size);

/* Text after "NNN " / "NNN-" of line i (0-based), with its length; NULL when
 * there is no such line. */
const char *reply_line_text(const struct smtp_reply *r, size_t i, size_t *len);

/* Copies s into buf replacing control characters and bytes >= 0x7f by '?'
 * (server text never reaches a terminal raw). */
void reply_printable(const char *s, size_t len, char *buf, size_t size);

/* Longest SASL mechanism name (RFC 4422 §3.1). */
#define SASL_MECH_NAME_MAX 20

/* What the EHLO reply announced. */
struct smtp_caps {
    bool esmtp;                 /* EHLO answered (false after HELO) */
    bool size;                  /* SIZE offered */
    uint64_t size_max;          /* SIZE n; 0: no limit announced */
    bool pipelining, eightbitmime, smtputf8, dsn, starttls, chunking,
         binarymime, enhancedstatuscodes;
    bool auth;                  /* AUTH or AUTH= seen */
    char auth_mechs[256];       /* " PLAIN LOGIN " upper case, space-framed;
                                 * only names in RFC 4422's charset */
};

/* Parses the lines after the first of a 250 EHLO reply. Unknown keywords are
 * ignored; AUTH and the old AUTH= form are merged; a mechanism name outside
 * RFC 4422's charset or over 20 characters is dropped, so that no server
 * text reaches a terminal through it. */
void caps_parse(struct smtp_caps *c, const struct smtp_reply *r);

bool caps_has_mech(const struct smtp_caps *c, const char *mech);

#endif
