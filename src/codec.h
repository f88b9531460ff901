/* codec.h - the encodings the SMTP session puts on the wire: base64 for SASL
 * (RFC 4648) and xtext for DSN's ENVID (RFC 3461). Pure functions. */
#ifndef MAILOUT_CODEC_H
#define MAILOUT_CODEC_H

#include <stddef.h>

/* Base64 with bounds: decode refuses bad input (length not a multiple of 4,
 * padding in the middle, whitespace, non-canonical padding bits) and output
 * over max. The decoded buffer has a NUL after its last byte and is wiped
 * before it is freed on failure. Encode never fails (xmalloc). */
char *base64_encode(const unsigned char *in, size_t len);
int base64_decode(const char *in, size_t len, unsigned char **out,
                  size_t *out_len, size_t max);

/* RFC 3461 xtext: '+', '=' and bytes outside '!'..'~' as "+XX". */
char *xtext_encode(const char *s);

#endif
