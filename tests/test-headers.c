/* test-headers.c - the header block: parsing, lookup, unfolding, editing. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "headers.h"

static int parse(const char *text, struct header_block *hb, struct mo_err *err)
{
    return header_block_parse(text, strlen(text), hb, err);
}

static void test_parse(void)
{
    struct header_block hb;
    struct mo_err err = { 0, "" };
    const char *text = "From: a@b.example\n"
                       "Subject: one\n two\n\tthree\n"
                       "to : c@d.example\n"
                       "X-Empty:\n";

    is_int(parse(text, &hb, &err), 0, "a header block parses");
    is_int(hb.n, 4, "four fields");
    is_str(hb.fields[0].name, "From", "name as written");
    is_str(hb.fields[1].raw, "Subject: one\n two\n\tthree\n", "folding kept in raw");
    is_int(hb.fields[1].raw_len, strlen(hb.fields[1].raw), "raw_len matches");
    is_str(hb.fields[2].name, "to", "blanks before the colon are not part of the name");

    char *v = header_value(&hb.fields[1]);
    is_str(v, "one two\tthree", "header_value unfolds and keeps the blanks");
    free(v);
    v = header_value(&hb.fields[2]);
    is_str(v, "c@d.example", "value of an obs-optional field");
    free(v);
    v = header_value(&hb.fields[3]);
    is_str(v, "", "empty value");
    free(v);

    is_int(header_find(&hb, "TO", 0), 2, "header_find is case-insensitive");
    is_int(header_find(&hb, "subject", 2), -1, "header_find honours start");
    is_int(header_find(&hb, "Cc", 0), -1, "header_find: absent field");

    size_t len;
    char *r = header_block_render(&hb, &len);
    is_str(r, text, "render gives the block back byte for byte");
    is_int(len, strlen(text), "render length");
    free(r);
    header_block_free(&hb);
}

static void test_final_lf(void)
{
    struct header_block hb;
    struct mo_err err = { 0, "" };

    is_int(parse("A: 1\nB: 2", &hb, &err), 0, "no final LF parses");
    is_str(hb.fields[1].raw, "B: 2\n", "final LF added to the last field");
    header_block_free(&hb);
    is_int(parse("", &hb, &err), 0, "empty block parses");
    is_int(hb.n, 0, "empty block has no field");
    header_block_free(&hb);
}

static void test_errors(void)
{
    struct header_block hb;
    struct mo_err err = { 0, "" };

    is_int(parse(" folded\nA: 1\n", &hb, &err), -1, "continuation first is refused");
    is_int(err.code, EX_DATAERR, "... with EX_DATAERR");
    is_int(parse("A: 1\nnot a header\n", &hb, &err), -1, "a non-field line is refused");
    ok(strstr(err.msg, "line 2") != NULL, "the message names the line: %s", err.msg);
    is_int(parse("A: 1\n\nB: 2\n", &hb, &err), -1, "an empty line inside is refused");
    is_int(parse("A: 1\rB: 2\n", &hb, &err), -1, "a bare CR is refused");
    ok(strstr(err.msg, "carriage return") != NULL, "... and said so: %s", err.msg);
    is_int(header_block_parse("A: 1\0\n", 6, &hb, &err), -1, "a NUL byte is refused");
    ok(strstr(err.msg, "NUL") != NULL, "... and said so: %s", err.msg);
    is_int(parse(": no name\n", &hb, &err), -1, "an empty field name is refused");
    is_int(parse("Na\xc3\xa9me: x\n", &hb, &err), -1, "an 8-bit field name is refused");
}

static void test_kind(void)
{
    is_int(header_line_kind("Subject: x", 10), HL_FIELD, "kind: field");
    is_int(header_line_kind("Subject", 7), HL_UNKNOWN, "kind: a name prefix is undecided");
    is_int(header_line_kind("Subject ", 8), HL_UNKNOWN, "kind: name and blanks undecided");
    is_int(header_line_kind("From a@b Mon", 12), HL_OTHER, "kind: mbox From line");
    is_int(header_line_kind(" x", 2), HL_CONTINUATION, "kind: continuation");
    is_int(header_line_kind("", 0), HL_OTHER, "kind: empty line");
    is_int(header_line_kind("Hello, world", 12), HL_OTHER, "kind: text");

    size_t n = HEADER_NAME_MAX + 1;
    char *longname = malloc(n + 1);
    memset(longname, 'a', n);
    longname[n] = ':';
    is_int(header_line_kind(longname, n), HL_OTHER, "kind: a name over the limit is text");
    is_int(header_line_kind(longname + 1, n), HL_FIELD, "kind: a name at the limit is a field");
    free(longname);
}

static void test_edit(void)
{
    struct header_block hb;
    struct mo_err err = { 0, "" };

    parse("To: a@b.example\nBcc: x@y.example\nbcc: z@y.example\n", &hb, &err);
    is_int(header_remove_all(&hb, "BCC"), 2, "remove_all removes every Bcc");
    is_int(hb.n, 1, "one field left");
    header_append(&hb, "Date", "Tue, 1 Dec 2026 10:00:00 +0100");
    header_prepend(&hb, "Received", "by test");
    header_append(&hb, "X-Inject", "a\r\nBcc: evil@example");
    header_append(&hb, "X-Empty", "");

    char *r = header_block_render(&hb, NULL);
    is_str(r, "Received: by test\nTo: a@b.example\n"
              "Date: Tue, 1 Dec 2026 10:00:00 +0100\n"
              "X-Inject: a  Bcc: evil@example\nX-Empty:\n",
           "append and prepend; a line break in a value cannot start a field");
    free(r);
    is_int(header_find(&hb, "Bcc", 0), -1, "no Bcc field was injected");
    is_str(hb.fields[2].name, "Date", "appended field has its name");

    /* Growing past the first allocation keeps every field. */
    for (int i = 0; i < 100; i++)
        header_append(&hb, "X-N", "v");
    is_int(hb.n, 105, "105 fields after 100 appends");
    is_int(header_remove_all(&hb, "x-n"), 100, "and 100 removed again");
    header_append(&hb, "X-Last", "1");
    is_int(header_find(&hb, "X-Last", 0), 5, "append after removal");
    header_block_free(&hb);
    is_int(hb.n, 0, "free empties the block");
}

int main(void)
{
    test_parse();
    test_final_lf();
    test_errors();
    test_kind();
    test_edit();
    return done_testing();
}
