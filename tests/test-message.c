/* test-message.c - message intake: line ends, the lone dot, NUL bytes, the
 * header limit, the spool file and its size accounting. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tap.h"
#include "message.h"

static char spool_dir[] = "/tmp/mailout-test-message.XXXXXX";

/* Runs message_read over len bytes of input held in a temporary file. */
static int intake(const char *in, size_t len, bool ignore_dots,
                  struct message *msg, struct mo_err *err)
{
    FILE *f = tmpfile();
    int rc;

    fwrite(in, 1, len, f);
    fflush(f);
    rewind(f);
    rc = message_read(fileno(f), ignore_dots, spool_dir, msg, err);
    fclose(f);
    return rc;
}

static char *slurp_body(const struct message *msg)
{
    char *buf = calloc(1, (size_t)msg->body_size + 1);
    ssize_t n = pread(msg->body_fd, buf, (size_t)msg->body_size, msg->body_offset);
    if (n < 0 || (uint64_t)n != msg->body_size) {
        free(buf);
        return strdup("(short read)");
    }
    return buf;
}

static char *headers_of(const struct message *msg)
{
    return header_block_render(&msg->headers, NULL);
}

/* Checks header block and body of one input. */
static void check(const char *name, const char *in, size_t len, bool ignore_dots,
                  const char *want_hdr, const char *want_body)
{
    struct message msg;
    struct mo_err err = { 0, "" };

    if (intake(in, len, ignore_dots, &msg, &err) != 0) {
        ok(0, "%s: read failed: %s", name, err.msg);
        ok(0, "%s: body", name);
        return;
    }
    char *h = headers_of(&msg), *b = slurp_body(&msg);
    is_str(h, want_hdr, "%s: header block", name);
    is_str(b, want_body, "%s: body", name);
    free(h);
    free(b);
    message_free(&msg);
}

#define CHECK(name, in, dots, hdr, body) check(name, in, sizeof in - 1, dots, hdr, body)

static void test_shapes(void)
{
    CHECK("LF", "Subject: a\nTo: b@c.example\n\nline 1\nline 2\n", false,
          "Subject: a\nTo: b@c.example\n", "line 1\nline 2\n");
    CHECK("CRLF", "Subject: a\r\nTo: b@c.example\r\n\r\nline 1\r\nline 2\r\n", false,
          "Subject: a\nTo: b@c.example\n", "line 1\nline 2\n");
    CHECK("mixed CRLF and LF", "Subject: a\r\n\nx\r\ny\n", false, "Subject: a\n", "x\ny\n");
    CHECK("no final newline", "Subject: a\n\nlast", false, "Subject: a\n", "last\n");
    CHECK("header only, no newline", "Subject: a", false, "Subject: a\n", "");
    CHECK("header only", "Subject: a\nX: y\n", false, "Subject: a\nX: y\n", "");
    CHECK("empty input", "", false, "", "");
    CHECK("no header at all", "Hello,\nworld\n", false, "", "Hello,\nworld\n");
    CHECK("blank first line", "\nSubject: body\n", false, "", "Subject: body\n");
    CHECK("header then text without blank line", "Subject: a\nHello\nX: y\n", false,
          "Subject: a\n", "Hello\nX: y\n");
    CHECK("folded header", "Subject: a\n b\n\tc\n\nx\n", false,
          "Subject: a\n b\n\tc\n", "x\n");
    CHECK("mbox From line dropped", "From me@x Mon Jan  1 00:00:00 2026\nSubject: a\n\nx\n",
          false, "Subject: a\n", "x\n");
    CHECK("only the first From line is dropped", "From a\nFrom b\n", false, "", "From b\n");
    CHECK("From: is a field", "From: a@b.example\n\nx\n", false, "From: a@b.example\n", "x\n");
    CHECK("bare CR in body kept", "S: a\n\nx\ry\r\r\nz\n", false, "S: a\n", "x\ry\r\nz\n");
    CHECK("CR CR LF in header", "S: a\r\r\n\r\nx\n", false, "S: a\n", "x\n");
    CHECK("continuation first is body", " x\nS: a\n", false, "", " x\nS: a\n");
}

static void test_dots(void)
{
    CHECK("lone dot ends input", "S: a\n\nx\n.\ny\n", false, "S: a\n", "x\n");
    CHECK("lone dot CRLF ends input", "S: a\r\n\r\nx\r\n.\r\ny\r\n", false, "S: a\n", "x\n");
    CHECK("lone dot in header ends input", "S: a\n.\nT: b\n", false, "S: a\n", "");
    CHECK("lone dot at EOF", "S: a\n\nx\n.", false, "S: a\n", "x\n");
    CHECK("-i: lone dot is text", "S: a\n\nx\n.\ny\n", true, "S: a\n", "x\n.\ny\n");
    CHECK("-i: lone dot CRLF is text", "S: a\n\nx\r\n.\r\ny", true, "S: a\n", "x\n.\ny\n");
    CHECK("two dots are text", "S: a\n\n..\n.x\n", false, "S: a\n", "..\n.x\n");
    CHECK("dot CR x is text", "S: a\n\n.\rx\n", false, "S: a\n", ".\rx\n");
    CHECK("dot space is text", "S: a\n\n. \nz\n", false, "S: a\n", ". \nz\n");
    CHECK("dot not at line start", "S: a\n\nx.\n", false, "S: a\n", "x.\n");
}

static void test_errors(void)
{
    struct message msg;
    struct mo_err err = { 0, "" };
    static const char nul[] = "S: a\n\nline 3\nli\0ne 4\n";

    is_int(intake(nul, sizeof nul - 1, false, &msg, &err), -1, "NUL byte refused");
    is_int(err.code, EX_DATAERR, "NUL: EX_DATAERR");
    is_str(err.msg, "message contains a NUL byte at line 4", "NUL: message names the line");
    is_int(msg.body_fd, -1, "NUL: no spool left open");
    is_int(intake("S: \0", 4, false, &msg, &err), -1, "NUL in the header refused");
    is_str(err.msg, "message contains a NUL byte at line 1", "NUL in header: line 1");

    is_int(intake("S: a\rb\n\nx\n", 10, false, &msg, &err), -1, "bare CR in a header refused");
    is_int(err.code, EX_DATAERR, "bare CR in a header: EX_DATAERR");

    /* A 2 MiB header line. */
    size_t n = 2 * 1024 * 1024;
    char *big = malloc(n + 16);
    memcpy(big, "X-Big: ", 7);
    memset(big + 7, 'a', n);
    memcpy(big + 7 + n, "\n\nbody\n", 7);
    is_int(intake(big, n + 14, false, &msg, &err), -1, "header over 1 MiB refused");
    is_int(err.code, EX_DATAERR, "header over 1 MiB: EX_DATAERR");
    ok(strstr(err.msg, "larger than 1024 KiB") != NULL, "message says why: %s", err.msg);

    /* The same bytes without the colon are a body line: accepted. */
    big[5] = '-';
    big[6] = '-';
    is_int(intake(big, n + 14, false, &msg, &err), 0, "a 2 MiB text line is body");
    is_int(msg.headers.n, 0, "... no header");
    ok(msg.has_long_lines, "... has_long_lines");
    is_int(msg.body_size, n + 14, "... all of it in the body");
    message_free(&msg);
    free(big);

    /* Many small header lines past the limit. */
    size_t lines = MESSAGE_HEADER_LIMIT / 10 + 1;
    char *many = malloc(lines * 10 + 1);
    for (size_t i = 0; i < lines; i++)
        memcpy(many + i * 10, "X-A: 1234\n", 10);
    is_int(intake(many, lines * 10, false, &msg, &err), -1, "many header lines over 1 MiB refused");
    free(many);

    is_int(message_read(0, false, "/nonexistent/dir", &msg, &err), -1, "spool dir missing");
    is_int(err.code, EX_CANTCREAT, "spool dir missing: EX_CANTCREAT");
}

static void test_accounting(void)
{
    struct message msg;
    struct mo_err err = { 0, "" };
    static const char in[] = "Subject: a\r\n b\r\nTo: x@y.example\r\n\r\nl1\r\n\xc3\xa9\r\n\r\n";
    struct stat st;

    is_int(intake(in, sizeof in - 1, false, &msg, &err), 0, "accounting input read");
    is_int(msg.body_size, 7, "body_size counts LF form");
    is_int(msg.body_crlf_extra, 3, "body_crlf_extra");
    is_int(msg.body_offset, 0, "body_offset 0");
    ok(msg.has_8bit, "has_8bit from the body");
    ok(!msg.has_long_lines, "no long line");
    /* "Subject: a\r\n b\r\nTo: x@y.example\r\n" + "\r\n" + "l1\r\n\xc3\xa9\r\n\r\n" */
    is_int(message_wire_size(&msg), 33 + 2 + 10, "wire size in CRLF form");
    ok(fstat(msg.body_fd, &st) == 0 && (st.st_mode & 0777) == 0600, "spool mode 0600");
    ok(strncmp(msg.spool_path, spool_dir, strlen(spool_dir)) == 0, "spool in spool_dir");
    char *path = strdup(msg.spool_path);
    message_free(&msg);
    ok(access(path, F_OK) != 0, "message_free unlinks the spool");
    free(path);

    is_int(intake("S: \xc3\xa9\n\nx\n", 9, false, &msg, &err), 0, "8-bit header read");
    ok(msg.has_8bit, "has_8bit from the header");
    message_free(&msg);

    /* keep_spool after a read: the file stays. */
    is_int(intake("S: a\n\nx\n", 8, false, &msg, &err), 0, "read for keep");
    path = strdup(msg.spool_path);
    message_keep_spool(&msg);
    ok(msg.spool_path != NULL, "keep_spool leaves the path for the queue");
    message_free(&msg);
    ok(access(path, F_OK) == 0, "a kept spool file survives message_free");
    unlink(path);
    free(path);
}

int main(void)
{
    if (mkdtemp(spool_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_shapes();
    test_dots();
    test_errors();
    test_accounting();
    rmdir(spool_dir);
    return done_testing();
}
