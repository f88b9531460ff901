/* test-smtp.c - the SMTP reply parser, the EHLO capability parser and the
 * CRLF / dot-stuffing encoder, without a network. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "codec.h"
#include "reply.h"
#include "smtp_data.h"

/* Feeds a whole reply given as '\n'-separated lines; returns the last rc. */
static int feed(struct smtp_reply *r, const char *lines, struct mo_err *err)
{
    const char *p = lines;
    int rc = 0;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        rc = reply_feed_line(r, p, len, err);
        if (rc != 0)
            return rc;
        p += len + (nl ? 1 : 0);
    }
    return rc;
}

static void test_reply(void)
{
    struct smtp_reply r;
    struct mo_err err = { 0, "" };
    char one[512];

    reply_init(&r);
    is_int(feed(&r, "220 mx.example ESMTP", &err), 1, "single-line reply complete");
    is_int(r.code, 220, "code 220");
    is_str(r.enhanced, "", "no enhanced code in a greeting");

    is_int(feed(&r, "250-mx.example\n250-PIPELINING", &err), 0, "multi-line reply incomplete");
    is_int(feed(&r, "250 8BITMIME", &err), 1, "multi-line reply completes on 'NNN '");
    is_int(r.n_lines, 3, "three lines kept");

    reply_reset(&r);
    is_int(feed(&r, "550-5.1.1 The email account\n550-5.1.1 does not exist\n550 5.1.1 here", &err), 1,
           "multi-line 550");
    is_str(r.enhanced, "5.1.1", "enhanced status code kept");
    reply_oneline(&r, one, sizeof one);
    is_str(one, "550 5.1.1 The email account does not exist here", "one-line form drops repeated codes");

    reply_reset(&r);
    is_int(feed(&r, "250", &err), 1, "bare code is a complete reply");
    reply_oneline(&r, one, sizeof one);
    is_str(one, "250", "bare code one-line");

    reply_reset(&r);
    is_int(feed(&r, "535 5.7.8 bad\033[31m", &err), 1, "reply with escape");
    reply_oneline(&r, one, sizeof one);
    is_str(one, "535 5.7.8 bad?[31m", "control characters not shown raw");

    static const char *bad[] = { "abc", "25", "600 x", "199 x", "2x0 y", "250x", "250_x", "", "0250 x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reply_reset(&r);
        err.code = 0;
        is_int(reply_feed_line(&r, bad[i], strlen(bad[i]), &err), -1, "malformed '%s' refused", bad[i]);
        is_int(err.code, EX_PROTOCOL, "  as EX_PROTOCOL");
    }

    reply_reset(&r);
    err.code = 0;
    is_int(feed(&r, "250-a\n251 b", &err), -1, "code change within a reply refused");
    is_int(err.code, EX_PROTOCOL, "  as EX_PROTOCOL");

    /* A flood: lines limit. */
    reply_reset(&r);
    int rc = 0;
    size_t n = 0;
    while (rc == 0 && n < 100000) {
        rc = reply_feed_line(&r, "250-flood", 9, &err);
        n++;
    }
    is_int(rc, -1, "endless multi-line reply refused");
    is_int(n, REPLY_MAX_LINES + 1, "after REPLY_MAX_LINES lines");
    /* A flood: bytes limit. */
    char big[4000];
    memset(big, 'x', sizeof big);
    memcpy(big, "250-", 4);
    reply_reset(&r);
    rc = 0;
    n = 0;
    while (rc == 0 && n < 1000) {
        rc = reply_feed_line(&r, big, sizeof big, &err);
        n++;
    }
    is_int(rc, -1, "reply over REPLY_MAX_BYTES refused");
    ok(r.text.len <= REPLY_MAX_BYTES, "memory bounded (%zu bytes)", r.text.len);

    /* After a complete reply the next line starts a new one. */
    reply_reset(&r);
    feed(&r, "250 ok", &err);
    is_int(feed(&r, "354 go", &err), 1, "next reply after a complete one");
    is_int(r.code, 354, "new code");
    is_int(r.n_lines, 1, "old lines dropped");
    reply_free(&r);
}

static void test_caps(void)
{
    struct smtp_reply r;
    struct smtp_caps c;
    struct mo_err err;

    reply_init(&r);
    feed(&r, "250-mx.example Hello\n250-SIZE 10240000\n250-pipelining\n250-8BITMIME\n"
             "250-SMTPUTF8\n250-DSN\n250-STARTTLS\n250-CHUNKING\n250-ENHANCEDSTATUSCODES\n"
             "250-AUTH PLAIN login SCRAM-SHA-256\n250-AUTH=CRAM-MD5 PLAIN\n250 XCLIENT", &err);
    caps_parse(&c, &r);
    ok(c.esmtp, "esmtp");
    ok(c.size && c.size_max == 10240000, "SIZE 10240000");
    ok(c.pipelining, "PIPELINING (case-insensitive)");
    ok(c.eightbitmime && c.smtputf8 && c.dsn && c.starttls && c.chunking
       && c.enhancedstatuscodes, "8BITMIME SMTPUTF8 DSN STARTTLS CHUNKING ENHANCEDSTATUSCODES");
    ok(!c.binarymime, "BINARYMIME not offered");
    ok(c.auth, "AUTH offered");
    ok(caps_has_mech(&c, "PLAIN") && caps_has_mech(&c, "LOGIN")
       && caps_has_mech(&c, "SCRAM-SHA-256") && caps_has_mech(&c, "CRAM-MD5"),
       "mechanisms from AUTH and AUTH=");
    ok(!caps_has_mech(&c, "SCRAM-SHA-1"), "SCRAM-SHA-1 is not SCRAM-SHA-256's prefix match");
    ok(!caps_has_mech(&c, "SCRAM"), "no partial match");
    is_str(c.auth_mechs, " PLAIN LOGIN SCRAM-SHA-256 CRAM-MD5 ", "no duplicates");

    feed(&r, "250-mx\n250-SIZE\n250-STARTTLSX\n250 PIPELINING2", &err);
    caps_parse(&c, &r);
    ok(c.size && c.size_max == 0, "SIZE without a number: no limit");
    ok(!c.starttls && !c.pipelining, "keywords match whole words only");

    /* RFC 4422 names only: escape sequences and overlong names never stored. */
    feed(&r, "250-mx\n250 AUTH \x1b]0;EVIL\x07 X-OK_1 ABCDEFGHIJKLMNOPQRSTU ABCDEFGHIJKLMNOPQRST pl\x9b" "ain", &err);
    caps_parse(&c, &r);
    is_str(c.auth_mechs, " X-OK_1 ABCDEFGHIJKLMNOPQRST ", "only [A-Z0-9-_]{1,20} mechanism names kept");

    feed(&r, "250 mx.example", &err);
    caps_parse(&c, &r);
    ok(!c.auth && !c.starttls && !c.size, "one-line EHLO: no extensions");
    reply_free(&r);

    char *x = xtext_encode("a+b=c d\x01");
    is_str(x, "a+2Bb+3Dc+20d+01", "xtext");
    free(x);
}

/* Encodes in chunks split at every position pair and compares. */
static int encode_split(const char *in, bool stuff, const char *want, size_t a, size_t b)
{
    size_t n = strlen(in), o = 0;
    char *out = malloc(WIRE_ENCODE_MAX(n) + 8);
    struct wire_encoder e;
    size_t cut[4] = { 0, a, b, n };
    int same;

    wire_encoder_init(&e, stuff);
    for (int k = 0; k < 3; k++)
        o += wire_encode(&e, in + cut[k], cut[k + 1] - cut[k], out + o);
    o += wire_encode_finish(&e, out + o);
    same = o == strlen(want) && memcmp(out, want, o) == 0;
    free(out);
    return same;
}

static void check_encoding(const char *in, bool stuff, const char *want, const char *what)
{
    size_t n = strlen(in);
    int all = 1;

    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++)
            all &= encode_split(in, stuff, want, a, b);
    ok(all, "%s (every 3-way split)", what);
}

static void test_encoder(void)
{
    check_encoding("a\nb\n", true, "a\r\nb\r\n", "LF to CRLF");
    check_encoding(".\n..\n.x\nx.\n", true, "..\r\n...\r\n..x\r\nx.\r\n", "dot-stuffing at line starts only");
    check_encoding(".\n..\n", false, ".\r\n..\r\n", "no dot-stuffing for BDAT");
    check_encoding("a\r\nb\n", true, "a\r\nb\r\n", "CRLF kept as one line end");
    check_encoding("a\r.\r\n", true, "a\r\n..\r\n", "bare CR is a line end, the dot after it stuffed");
    check_encoding("a\n.\r", true, "a\r\n..\r\n", "trailing bare CR");
    check_encoding("no newline", true, "no newline\r\n", "final CRLF added");
    check_encoding("", true, "", "empty stays empty");
    check_encoding("\n\n.", true, "\r\n\r\n..\r\n", "empty lines and a last dot line");
    check_encoding("x\xc3\xa9\x80\n", true, "x\xc3\xa9\x80\r\n", "8-bit bytes untouched");

    /* One byte at a time through a long input equals one call. */
    char in[3000], *one = malloc(WIRE_ENCODE_MAX(sizeof in)), *bytes = malloc(WIRE_ENCODE_MAX(sizeof in) + 8);
    struct wire_encoder e;
    size_t n1 = 0, n2 = 0;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = ".\n\ra"[(i * 7 + i / 3) % 4];
    wire_encoder_init(&e, true);
    n1 = wire_encode(&e, in, sizeof in, one);
    n1 += wire_encode_finish(&e, one + n1);
    wire_encoder_init(&e, true);
    for (size_t i = 0; i < sizeof in; i++)
        n2 += wire_encode(&e, in + i, 1, bytes + n2);
    n2 += wire_encode_finish(&e, bytes + n2);
    ok(n1 == n2 && memcmp(one, bytes, n1) == 0, "byte-by-byte equals one chunk");
    ok(n1 <= WIRE_ENCODE_MAX(sizeof in), "within WIRE_ENCODE_MAX");
    int clean = 1;
    for (size_t i = 0; i < n1; i++) {
        if (one[i] == '\r' && (i + 1 >= n1 || one[i + 1] != '\n'))
            clean = 0;
        if (one[i] == '\n' && (i == 0 || one[i - 1] != '\r'))
            clean = 0;
    }
    ok(clean, "no bare CR or LF in the output");
    free(one);
    free(bytes);
}

int main(void)
{
    test_reply();
    test_caps();
    test_encoder();
    return done_testing();
}
