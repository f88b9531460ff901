/* address.h - RFC 5322 address lists (To/Cc/Bcc/From, command line). */
#ifndef MAILOUT_ADDRESS_H
#define MAILOUT_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

struct mailbox {
    char *display_name;     /* decoded phrase (quotes removed), or NULL */
    char *addr;             /* addr-spec "local@domain", or a bare local name */
};

struct address_list {
    struct mailbox *items;
    size_t n;
};

/* Parses an address-list as found in a header field body (unfolded or not).
 * Groups contribute their members; an empty group contributes nothing.
 * Comments are dropped, encoded words left as they are, UTF-8 kept.
 * On a syntax error returns -1 with EX_DATAERR and a message naming the text. */
int address_list_parse(const char *text, size_t len, struct address_list *out,
                       struct mo_err *err);

/* Parses one address as given on the command line (-f, recipients): either a
 * bare addr-spec or "Name <addr>" or "<addr>". "" and "<>" give "" (null
 * sender). Control characters are refused (EX_DATAERR). */
int address_parse_one(const char *text, char **addr_out, struct mo_err *err);

/* True if addr has a domain part. */
bool address_is_qualified(const char *addr);

/* What follows the last "@" of addr (NULL or not: a plain string, an
 * address as configured or sent), or NULL when there is none or nothing
 * follows it. Points into addr. */
const char *address_domain(const char *addr);

/* The same mailbox: local part compared as is, domain without regard to
 * case (RFC 5321 2.4). */
bool address_equal(const char *a, const char *b);

/* Quotes a display name for a header when it needs it (RFC 5322 phrase). */
char *address_quote_phrase(const char *name);

/* True when s has no byte >= 0x80. */
bool address_is_ascii(const char *s);

/* The address as a server without SMTPUTF8 can take it: an ASCII address as
 * it is; a non-ASCII domain with an ASCII local part as its A-label (RFC
 * 5891, libidn2). Anything else is refused, never mangled: EX_UNAVAILABLE
 * (no ASCII form; server is named in the message), EX_DATAERR (a domain
 * IDNA rejects). *out is freed by the caller. */
int address_to_ascii(const char *addr, const char *server, char **out,
                     struct mo_err *err);

void address_list_free(struct address_list *l);

#endif
