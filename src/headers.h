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

/* Longest field name taken as one; a longer run of name characters is text. */
#define HEADER_NAME_MAX 998

/* What a line (without its LF) is at the top of a message. HL_UNKNOWN only for
 * an incomplete line whose prefix does not decide yet (name characters so far). */
enum header_line_kind { HL_FIELD, HL_CONTINUATION, HL_OTHER, HL_UNKNOWN };
enum header_line_kind header_line_kind(const char *line, size_t len);

/* Splits a header block (LF line ends, no blank separator line) into fields.
 * A line that is neither a field nor a continuation is an EX_DATAERR, and so
 * is a CR or NUL byte anywhere (a CR inside a header line could be read as a
 * line break by a server: header injection). */
int header_block_parse(const char *text, size_t len, struct header_block *hb,
                       struct mo_err *err);

/* Index of the first field named name (case-insensitive) at or after start,
 * or -1. */
long header_find(const struct header_block *hb, const char *name, size_t start);

/* The value of a field with folding removed and leading space trimmed. */
char *header_value(const struct header_field *f);

/* Removes every field named name; returns how many. */
size_t header_remove_all(struct header_block *hb, const char *name);

/* Appends "Name: value\n". The value must not hold CR or LF; any that slips
 * through is replaced by a space, so a field can never be split in two. */
void header_append(struct header_block *hb, const char *name, const char *value);

/* Replaces the value of field i (its name kept as written), with the
 * same guard against line breaks as header_append. */
void header_replace(struct header_block *hb, size_t i, const char *value);

/* Inserts at the top (used for Received-like fields). */
void header_prepend(struct header_block *hb, const char *name, const char *value);

/* The block as bytes with LF line ends; caller frees. */
char *header_block_render(const struct header_block *hb, size_t *len);

void header_block_free(struct header_block *hb);

#endif
