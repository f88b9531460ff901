/* message.h - message intake: stdin to a spool file, the header block kept in
 * memory (bounded), the body never held in memory. */
#ifndef MAILOUT_MESSAGE_H
#define MAILOUT_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"
#include "headers.h"

/* Largest header block accepted; larger input is an EX_DATAERR. */
#define MESSAGE_HEADER_LIMIT (1024 * 1024)

struct message {
    struct header_block headers;   /* parsed header block, editable */
    int body_fd;                   /* spool file with the body only, LF line
                                    * ends, final LF guaranteed; -1 when none */
    off_t body_offset;             /* where the body starts in body_fd (0 for
                                    * intake's spool; after the header block
                                    * in a queue file) */
    char *spool_path;              /* path of that file (unlinked by free) */
    uint64_t body_size;            /* bytes in the spool file */
    uint64_t body_crlf_extra;      /* what the CRLF form adds to body_size:
                                    * one byte per LF (its CR) and one per
                                    * bare CR (sent as CRLF); equal to the
                                    * LF count when there is no CR */
    bool has_8bit;                 /* any byte >= 0x80 in headers or body */
    bool has_long_lines;           /* a line over 998 octets (sent as is) */
    bool keep_spool;               /* set by message_keep_spool */
};

/* Reads a message from fd in_fd. With ignore_dots false, a line holding a
 * single "." ends the input (sendmail). CRLF and LF are both accepted; the
 * spool keeps LF. A missing final newline is added. NUL bytes are refused
 * with EX_DATAERR. The body is written to a new file in spool_dir (mode 0600). */
int message_read(int in_fd, bool ignore_dots, const char *spool_dir,
                 struct message *msg, struct mo_err *err);

/* Size of the message as sent: header block + blank line + body, with CRLF
 * line ends and bare CRs sent as CRLF (dot-stuffing not counted, as RFC
 * 1870 asks for SIZE=). */
uint64_t message_wire_size(const struct message *msg);

/* message_stream hands the message on in pieces of at most this size. */
#define MESSAGE_CHUNK (64 * 1024)

/* Receives one piece of the message; nonzero (with err) stops the stream. */
typedef int (*message_sink)(void *ctx, const char *p, size_t n, struct mo_err *err);

/* Feeds the message as it is sent or queued — header block, blank line, body
 * from body_fd at body_offset — with LF line ends to sink, through one fixed
 * buffer: memory stays flat whatever the size. EX_IOERR when the spool
 * cannot be read; otherwise what sink returned. */
int message_stream(const struct message *msg, message_sink sink, void *ctx,
                   struct mo_err *err);

/* message_stream into the file fd (write_full); -1 with errno set when a
 * write fails, err when the spool cannot be read. */
int message_write(const struct message *msg, int fd, struct mo_err *err);

/* Keeps the spool file on disk (the queue took it over) instead of unlinking
 * it in message_free; spool_path stays valid until message_free. */
void message_keep_spool(struct message *msg);

void message_free(struct message *msg);

#endif
