/* message.c - message intake. Standard input is read through a fixed buffer
 * and normalised (CRLF to LF, final LF, the sendmail lone dot) byte by byte;
 * the header block is kept in memory up to MESSAGE_HEADER_LIMIT, and the body
 * goes straight to a spool file, so memory stays flat whatever the size. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "message.h"

#define IO_BUF 65536
#define LONG_LINE 998

enum phase { PH_HEADER, PH_BODY };

struct intake {
    struct message *msg;
    struct mo_err *err;
    bool ignore_dots;
    bool done;              /* a lone dot ended the input */
    /* normalisation */
    unsigned long long line_no;  /* 1-based input line being read */
    uint64_t line_len;      /* bytes of the current line handed on so far */
    bool cr_held;           /* a CR not yet known to end the line */
    bool dot_held;          /* the line so far is a single "." */
    bool body_cr_last;      /* the last body byte written was a CR */
    /* header phase */
    enum phase phase;
    bool from_checked;      /* the first line was checked for "From " */
    struct strbuf hdr;      /* accepted header lines, LF ends */
    size_t line_start;      /* where the current line starts in hdr */
    /* body phase */
    char out[IO_BUF];
    size_t out_len;
};

static int io_error(struct intake *st, const char *what)
{
    return mo_err_set(st->err, EX_IOERR, _("cannot write the spool file %s: %s"),
                      what, strerror(errno));
}

static int flush_out(struct intake *st)
{
    size_t off = 0;

    while (off < st->out_len) {
        ssize_t n = write(st->msg->body_fd, st->out + off, st->out_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error(st, st->msg->spool_path);
        off += (size_t)n;
    }
    st->out_len = 0;
    return 0;
}

static int body_bytes(struct intake *st, const char *p, size_t n)
{
    struct message *msg = st->msg;

    for (size_t i = 0; i < n && !msg->has_8bit; i++)
        if ((unsigned char)p[i] >= 0x80)
            msg->has_8bit = true;
    msg->body_size += n;
    /* A bare CR becomes CRLF on the wire: one byte more (undone in
     * body_eol when an LF follows it after all). */
    if (n > 0) {
        const char *end = p + n;
        for (const char *q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
            msg->body_crlf_extra++;
        st->body_cr_last = p[n - 1] == '\r';
    }
    while (n > 0) {
        size_t room = sizeof st->out - st->out_len;
        size_t k = n < room ? n : room;
        memcpy(st->out + st->out_len, p, k);
        st->out_len += k;
        p += k;
        n -= k;
        if (st->out_len == sizeof st->out && flush_out(st) != 0)
            return -1;
    }
    return 0;
}

static int body_eol(struct intake *st)
{
    /* LF becomes CRLF: one byte more; after a CR the pair is sent as it is,
     * and the byte counted for that CR is taken back. */
    if (st->body_cr_last)
        st->msg->body_crlf_extra--;
    else
        st->msg->body_crlf_extra++;
    return body_bytes(st, "\n", 1);
}

static int header_too_large(struct intake *st)
{
    return mo_err_set(st->err, EX_DATAERR,
                      _("the header block is larger than %d KiB (line %llu); "
                        "is a blank line missing between header and body?"),
                      MESSAGE_HEADER_LIMIT / 1024, st->line_no);
}

/* The current line is not a header line: the header block ends before it and
 * the line is the first of the body. */
static int start_body(struct intake *st)
{
    const char *line = st->hdr.data + st->line_start;
    size_t len = st->hdr.len - st->line_start;

    st->phase = PH_BODY;
    if (body_bytes(st, line, len) != 0)
        return -1;
    st->hdr.len = st->line_start;
    st->hdr.data[st->hdr.len] = '\0';
    return 0;
}

static int header_bytes(struct intake *st, const char *p, size_t n)
{
    size_t room = st->hdr.limit - st->hdr.len;

    if (n <= room)
        return strbuf_append(&st->hdr, p, n);
    strbuf_append(&st->hdr, p, room);
    /* Full: only a line that is plainly not a header may go on, as body. */
    enum header_line_kind kind = header_line_kind(st->hdr.data + st->line_start,
                                                  st->hdr.len - st->line_start);
    if (kind != HL_OTHER && !(kind == HL_CONTINUATION && st->line_start == 0))
        return header_too_large(st);
    if (start_body(st) != 0)
        return -1;
    return body_bytes(st, p + room, n - room);
}

/* "From " on the first line is the mbox separator that mail(1) and some
 * scripts put there; like Postfix's sendmail we drop it. */
static bool is_mbox_from(const char *line, size_t len)
{
    return len >= 5 && memcmp(line, "From ", 5) == 0;
}

static int header_eol(struct intake *st)
{
    char *line = st->hdr.data ? st->hdr.data + st->line_start : NULL;
    size_t len = st->hdr.len - st->line_start;
    bool first = !st->from_checked;

    /* CRs left before the line end ("\r\r\n" from a double conversion). */
    while (len > 0 && line[len - 1] == '\r')
        len--;
    st->hdr.len = st->line_start + len;
    st->from_checked = true;
    if (len == 0) {
        st->phase = PH_BODY;
        return 0;
    }
    if (first && is_mbox_from(line, len)) {
        st->hdr.len = st->line_start;
        return 0;
    }
    enum header_line_kind kind = header_line_kind(line, len);
    if (kind == HL_FIELD || (kind == HL_CONTINUATION && st->line_start > 0)) {
        if (strbuf_append(&st->hdr, "\n", 1) != 0)
            return header_too_large(st);
        st->line_start = st->hdr.len;
        return 0;
    }
    if (start_body(st) != 0)
        return -1;
    return body_eol(st);
}

static int emit_bytes(struct intake *st, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    st->line_len += n;
    if (st->line_len > LONG_LINE)
        st->msg->has_long_lines = true;
    return st->phase == PH_HEADER ? header_bytes(st, p, n) : body_bytes(st, p, n);
}

static int emit_eol(struct intake *st)
{
    st->line_len = 0;
    st->line_no++;
    return st->phase == PH_HEADER ? header_eol(st) : body_eol(st);
}

/* Hands on a held "." or CR once the next byte shows they are text. */
static int release_held(struct intake *st)
{
    if (st->dot_held) {
        st->dot_held = false;
        if (emit_bytes(st, ".", 1) != 0)
            return -1;
    }
    if (st->cr_held) {
        st->cr_held = false;
        if (emit_bytes(st, "\r", 1) != 0)
            return -1;
    }
    return 0;
}

static int line_end(struct intake *st)
{
    st->cr_held = false;        /* CR LF: the CR is dropped */
    if (st->dot_held) {
        st->done = true;
        return 0;
    }
    return emit_eol(st);
}

static bool is_special(char c)
{
    return c == '\n' || c == '\r' || c == '\0';
}

static int feed(struct intake *st, const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && !st->done) {
        char c = p[i];

        if (c == '\0') {
            return mo_err_set(st->err, EX_DATAERR,
                              _("message contains a NUL byte at line %llu"),
                              st->line_no);
        }
        if (c == '\n') {
            if (line_end(st) != 0)
                return -1;
            i++;
            continue;
        }
        if (c == '\r') {
            /* A CR already held is followed by another CR: it is text. */
            if (st->cr_held && release_held(st) != 0)
                return -1;
            st->cr_held = true;
            i++;
            continue;
        }
        if (release_held(st) != 0)
            return -1;
        if (c == '.' && st->line_len == 0 && !st->ignore_dots) {
            st->dot_held = true;
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_special(p[j]))
            j++;
        if (emit_bytes(st, p + i, j - i) != 0)
            return -1;
        i = j;
    }
    return 0;
}

/* End of input: a partial line gets its newline; a held CR is the CR of that
 * newline; a held lone "." still ends the input. */
static int finish(struct intake *st)
{
    st->cr_held = false;
    if (st->done)
        return 0;
    if (st->dot_held) {
        st->done = true;
        return 0;
    }
    if (st->line_len > 0)
        return emit_eol(st);
    /* A lone CR on the last line: an empty last line. */
    return 0;
}

static int open_spool(struct message *msg, const char *spool_dir, struct mo_err *err)
{
    msg->spool_path = xasprintf("%s/mailout-XXXXXX", spool_dir);
    msg->body_fd = mkostemp(msg->spool_path, O_CLOEXEC);
    if (msg->body_fd < 0) {
        int e = errno;
        mo_err_set(err, EX_CANTCREAT, _("cannot create a spool file in %s: %s"),
                   spool_dir, strerror(e));
        free(msg->spool_path);
        msg->spool_path = NULL;
        return -1;
    }
    if (fchmod(msg->body_fd, 0600) != 0)
        return mo_err_set(err, EX_IOERR, _("cannot set the mode of %s: %s"),
                          msg->spool_path, strerror(errno));
    return 0;
}

static int read_all(int in_fd, struct intake *st)
{
    char *buf = xmalloc(IO_BUF);
    int rc = 0;

    while (!st->done) {
        ssize_t n = read(in_fd, buf, IO_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = mo_err_set(st->err, EX_IOERR, _("cannot read the message: %s"),
                            strerror(errno));
            break;
        }
        if (n == 0) {
            rc = finish(st);
            break;
        }
        if (feed(st, buf, (size_t)n) != 0) {
            rc = -1;
            break;
        }
    }
    free(buf);
    return rc;
}

static bool header_has_8bit(const struct strbuf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if ((unsigned char)b->data[i] >= 0x80)
            return true;
    return false;
}

int message_read(int in_fd, bool ignore_dots, const char *spool_dir,
                 struct message *msg, struct mo_err *err)
{
    struct intake *st;
    int rc = -1;

    memset(msg, 0, sizeof *msg);
    msg->body_fd = -1;
    if (open_spool(msg, spool_dir, err) != 0)
        goto out_free;
    st = xcalloc(1, sizeof *st);
    st->msg = msg;
    st->err = err;
    st->ignore_dots = ignore_dots;
    st->line_no = 1;
    strbuf_init(&st->hdr, MESSAGE_HEADER_LIMIT);
    if (read_all(in_fd, st) == 0 && flush_out(st) == 0) {
        if (header_has_8bit(&st->hdr))
            msg->has_8bit = true;
        rc = header_block_parse(st->hdr.data ? st->hdr.data : "", st->hdr.len,
                                &msg->headers, err);
    }
    strbuf_free(&st->hdr);
    free(st);
    if (rc == 0 && lseek(msg->body_fd, 0, SEEK_SET) != 0)
        rc = mo_err_set(err, EX_IOERR, _("cannot rewind the spool file %s: %s"),
                        msg->spool_path, strerror(errno));
out_free:
    if (rc != 0)
        message_free(msg);
    return rc;
}

/* Bytes that the wire form (smtp_data.h) adds to p: a CRLF for every LF
 * and every CR that is not already one half of a CRLF. */
static uint64_t crlf_extra(const char *p, size_t n)
{
    uint64_t extra = 0;

    for (size_t k = 0; k < n; k++) {
        if (p[k] == '\n' && (k == 0 || p[k - 1] != '\r'))
            extra++;
        else if (p[k] == '\r' && (k + 1 == n || p[k + 1] != '\n'))
            extra++;
    }
    return extra;
}

uint64_t message_wire_size(const struct message *msg)
{
    uint64_t n = 2;     /* the blank line */

    for (size_t i = 0; i < msg->headers.n; i++) {
        const struct header_field *f = &msg->headers.fields[i];
        n += f->raw_len + crlf_extra(f->raw, f->raw_len);
    }
    return n + msg->body_size + msg->body_crlf_extra;
}

int message_stream(const struct message *msg, message_sink sink, void *ctx,
                   struct mo_err *err)
{
    char *in = xmalloc(MESSAGE_CHUNK);
    size_t hlen = 0;
    char *head = header_block_render(&msg->headers, &hlen);
    off_t pos = msg->body_offset;
    int rc = -1;

    if (sink(ctx, head, hlen, err) != 0 || sink(ctx, "\n", 1, err) != 0)
        goto out;
    while (msg->body_fd >= 0) {
        ssize_t n = pread(msg->body_fd, in, MESSAGE_CHUNK, pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            mo_err_set(err, EX_IOERR, _("cannot read the spooled message: %s"), strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        pos += n;
        if (sink(ctx, in, (size_t)n, err) != 0)
            goto out;
    }
    rc = 0;
out:
    free(head);
    free(in);
    return rc;
}

static int sink_to_fd(void *ctx, const char *p, size_t n, struct mo_err *err)
{
    (void)err;                  /* the caller reports errno */
    return write_full(*(const int *)ctx, p, n);
}

int message_write(const struct message *msg, int fd, struct mo_err *err)
{
    return message_stream(msg, sink_to_fd, &fd, err);
}

void message_keep_spool(struct message *msg)
{
    msg->keep_spool = true;
}

void message_free(struct message *msg)
{
    if (msg->spool_path != NULL && !msg->keep_spool)
        unlink(msg->spool_path);
    free(msg->spool_path);
    msg->spool_path = NULL;
    if (msg->body_fd >= 0)
        close(msg->body_fd);
    msg->body_fd = -1;
    header_block_free(&msg->headers);
}
