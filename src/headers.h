/* headers.h - an RFC 5322 header block as a list of fields. */
#ifndef MAILOUT_HEADERS_H
#define MAILOUT_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

struct header_field {
    char *name;             /* field name as written, without the colon */
    char *raw;              /* whole field as received: name, colon, value and
                             * folded continuation lines, LF line ends, final LF */
    size_t raw_len;
};

struct header_block {
    struct header_field *fields;
    size_t n;
};

/* Splits a header block (LF line ends, no blank separator line) into fields.
 * A line that is neither a field nor a continuation is an EX_DATAERR. */
int header_block_parse(const char *text, size_t len, struct header_block *hb,
                       struct mo_err *err);

/* Index of the first field named name (case-insensitive) at or after start,
 * or -1. */
long header_find(const struct header_block *hb, const char *name, size_t start);

/* The value of a field with folding removed and leading space trimmed. */
char *header_value(const struct header_field *f);

/* Removes every field named name; returns how many. */
size_t header_remove_all(struct header_block *hb, const char *name);

/* Appends "Name: value\n" (value must not hold CR, LF or NUL). */
void header_append(struct header_block *hb, const char *name, const char *value);

/* Inserts at the top (used for Received-like fields). */
void header_prepend(struct header_block *hb, const char *name, const char *value);

/* The block as bytes with LF line ends; caller frees. */
char *header_block_render(const struct header_block *hb, size_t *len);

void header_block_free(struct header_block *hb);

#endif
