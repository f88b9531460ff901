/* smtp_data.h - the message as it goes on the wire: LF to CRLF and, for DATA,
 * dot-stuffing (RFC 5321 §4.5.2), done on the fly over chunks of any size. */
#ifndef MAILOUT_SMTP_DATA_H
#define MAILOUT_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_encoder {
    bool dot_stuff;             /* DATA: yes; BDAT: no */
    bool at_bol;                /* the next byte starts a line */
    bool pending_cr;            /* a CR ended the last chunk */
};

/* Output needs at most this many bytes for n input bytes. */
#define WIRE_ENCODE_MAX(n) (2 * (n) + 2)

void wire_encoder_init(struct wire_encoder *e, bool dot_stuff);

/* Encodes n bytes of in (LF line ends) into out (at least WIRE_ENCODE_MAX(n)
 * bytes); returns the bytes written. CRLF and LF both become CRLF, and a bare
 * CR becomes CRLF as well, so that no byte sequence in a message can end the
 * data early on any server (SMTP smuggling). */
size_t wire_encode(struct wire_encoder *e, const char *in, size_t n, char *out);

/* Ends the data: a pending CR, and a CRLF when the last line lacked one.
 * Writes at most 2 bytes; the caller adds ".\r\n" for DATA. */
size_t wire_encode_finish(struct wire_encoder *e, char *out);

#endif
