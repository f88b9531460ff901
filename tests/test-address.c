/* test-address.c - RFC 5322 address lists as real programs write them. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "address.h"
#include "util.h"

/* A parsed list as one line: "Name <addr>, <addr>", so that a case is one
 * comparison and a failure shows everything. */
static char *render(const struct address_list *l)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0)
            strbuf_append(&b, ", ", 2);
        if (l->items[i].display_name)
            strbuf_appendf(&b, "%s ", l->items[i].display_name);
        strbuf_appendf(&b, "<%s>", l->items[i].addr);
    }
    return strbuf_detach(&b, NULL);
}

static void list_ok(const char *text, const char *want, const char *what)
{
    struct address_list l;
    struct mo_err err = { 0, "" };

    if (address_list_parse(text, strlen(text), &l, &err) != 0) {
        ok(0, "%s", what);
        diag("unexpected error: %s", err.msg);
        return;
    }
    char *got = render(&l);
    is_str(got, want, "%s", what);
    free(got);
    address_list_free(&l);
}

static void list_err_n(const char *text, size_t len, const char *want_msg,
                       const char *what)
{
    struct address_list l = { (struct mailbox *)1, 7 };
    struct mo_err err = { 0, "" };
    int rc = address_list_parse(text, len, &l, &err);

    if (rc == 0)
        address_list_free(&l);
    if (!ok(rc == -1 && err.code == EX_DATAERR && strstr(err.msg, want_msg) != NULL
            && l.n == 0 && l.items == NULL && !has_control_chars(err.msg), "%s", what))
        diag("rc=%d code=%d msg=%s", rc, err.code, err.msg);
}

static void list_err(const char *text, const char *want_msg, const char *what)
{
    list_err_n(text, strlen(text), want_msg, what);
}

static void one_ok(const char *text, const char *want, const char *what)
{
    char *addr = NULL;
    struct mo_err err = { 0, "" };

    if (address_parse_one(text, &addr, &err) != 0) {
        ok(0, "%s", what);
        diag("unexpected error: %s", err.msg);
        return;
    }
    is_str(addr, want, "%s", what);
    free(addr);
}

static void one_err(const char *text, const char *want_msg, const char *what)
{
    char *addr = (char *)"unchanged";
    struct mo_err err = { 0, "" };
    int rc = address_parse_one(text, &addr, &err);

    if (!ok(rc == -1 && err.code == EX_DATAERR && addr == NULL
            && strstr(err.msg, want_msg) != NULL && !has_control_chars(err.msg), "%s", what))
        diag("rc=%d code=%d msg=%s", rc, err.code, err.msg);
}

static void quote_is(const char *name, const char *want, const char *what)
{
    char *q = address_quote_phrase(name);
    is_str(q, want, "%s", what);
    free(q);
}

static void rfc5322_appendix(void)
{
    /* A.1.1 */
    list_ok("John Doe <jdoe@machine.example>", "John Doe <jdoe@machine.example>",
            "A.1.1 From");
    list_ok("Mary Smith <mary@example.net>", "Mary Smith <mary@example.net>",
            "A.1.1 To");
    /* A.1.2 */
    list_ok("\"Joe Q. Public\" <john.q.public@example.com>",
            "Joe Q. Public <john.q.public@example.com>", "A.1.2 quoted display name");
    list_ok("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
            "Mary Smith <mary@x.test>, <jdoe@example.org>, Who? <one@y.test>",
            "A.1.2 To with three kinds");
    list_ok("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
            "<boss@nil.test>, Giant; \"Big\" Box <sysservices@example.net>",
            "A.1.2 Cc: angle only, quoted specials and escaped quotes");
    list_ok("\"Mary Smith: Personal Account\" <smith@home.example>",
            "Mary Smith: Personal Account <smith@home.example>", "A.1.2 colon in quotes");
    /* A.1.3 */
    list_ok("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
            "Ed Jones <c@a.test>, <joe@where.test>, John <jdoe@one.test>",
            "A.1.3 group with members");
    list_ok("Undisclosed recipients:;", "", "A.1.3 empty group");
    /* A.2 */
    list_ok("\"Mary Smith: Personal Account\" <smith@home.example>, John Doe <jdoe@machine.example>",
            "Mary Smith: Personal Account <smith@home.example>, John Doe <jdoe@machine.example>",
            "A.2 reply To");
    /* A.4 */
    list_ok("Mary Smith <mary@x.test>, John Doe <jdoe@example.org>",
            "Mary Smith <mary@x.test>, John Doe <jdoe@example.org>", "A.4 Resent-To");
    /* A.5 */
    list_ok("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
            "Pete <pete@silly.test>", "A.5 comments everywhere in From");
    list_ok("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
            "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
            "Chris Jones <c@public.example>, <joe@example.org>, John <jdoe@one.test>",
            "A.5 folded group with comments");
    list_ok("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;",
            "", "A.5 empty group with nested comments");
    /* A.6.1 */
    list_ok("Joe Q. Public <john.q.public@example.com>",
            "Joe Q. Public <john.q.public@example.com>", "A.6.1 obs-phrase with a dot");
    list_ok("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
            "Mary Smith <mary@example.net>, <jdoe@test.example>",
            "A.6.1 route, empty element, spaced domain");
    /* A.6.3 */
    list_ok("John Doe <jdoe@machine(comment).  example>",
            "John Doe <jdoe@machine.example>", "A.6.3 comment inside domain");
    list_ok("Mary Smith\r\n  \r\n          <mary@example.net>",
            "Mary Smith <mary@example.net>", "A.6.3 whitespace-only folded line");
}

static void real_programs(void)
{
    /* mutt */
    list_ok("\"Last, First\" <a@b.example>", "Last, First <a@b.example>",
            "mutt: comma inside quoted name");
    list_ok("\"Doe, John\" <john@example.com>,\n\t\"Roe, Jane\" <jane@example.org>,\n"
            " bob@example.net", "Doe, John <john@example.com>, Roe, Jane <jane@example.org>, <bob@example.net>",
            "mutt: folded To with LF and tabs");
    list_ok("\"Doe, John\" <john@example.com>,\r\n\t\"Roe, Jane\" <jane@example.org>",
            "Doe, John <john@example.com>, Roe, Jane <jane@example.org>",
            "mutt: folded To with CRLF");
    /* git send-email */
    list_ok("\"A U Thor\" <author@example.com>", "A U Thor <author@example.com>",
            "git send-email: From");
    list_ok("\"A U Thor\" <author@example.com>, Jane Reviewer <jane@kernel.example>,\n"
            " linux-kernel@vger.example", "A U Thor <author@example.com>, Jane Reviewer "
            "<jane@kernel.example>, <linux-kernel@vger.example>", "git send-email: Cc list");
    list_ok("=?UTF-8?q?J=C3=B6rg=20Thor?= <joerg@example.com>",
            "=?UTF-8?q?J=C3=B6rg=20Thor?= <joerg@example.com>",
            "git send-email: encoded word left alone");
    /* cron, bsd-mailx */
    list_ok("root", "<root>", "cron: bare local name");
    list_ok("user@host", "<user@host>", "cron: MAILTO user@host");
    list_ok("root (Cron Daemon)", "<root>", "cron: local name with a comment");
    list_ok("alice, bob@example.com", "<alice>, <bob@example.com>", "bsd-mailx: two recipients");
    list_err("alice bob", "display name without <address>",
             "space-separated names are not a list");
    /* PHP mail() */
    list_ok("a@b.example, \"Name\" <c@d.example>\r\n", "<a@b.example>, Name <c@d.example>",
            "PHP mail(): trailing CRLF tolerated");
    list_ok("a@b.example,\r\n \"Name\" <c@d.example>", "<a@b.example>, Name <c@d.example>",
            "PHP mail(): folded with CRLF");
    /* UTF-8 and encoded words */
    list_ok("Jörg Müller <joerg@example.de>", "Jörg Müller <joerg@example.de>",
            "UTF-8 display name unquoted");
    list_ok("\"Ünïcødé, Ñame\" <u@example.com>", "Ünïcødé, Ñame <u@example.com>",
            "UTF-8 display name quoted");
    list_ok("\"=?utf-8?q?Caf=C3=A9?=\" <cafe@example.fr>", "=?utf-8?q?Caf=C3=A9?= <cafe@example.fr>",
            "encoded word inside quotes left alone");
    list_ok("=?iso-8859-1?B?SvZyZw==?= <j@example.de>", "=?iso-8859-1?B?SvZyZw==?= <j@example.de>",
            "base64 encoded word left alone");
    list_ok("用户 <user@例子.测试>", "用户 <user@例子.测试>", "UTF-8 address (RFC 6532)");
}

static void more_syntax(void)
{
    list_ok("", "", "empty text gives an empty list");
    list_ok("   \t ", "", "whitespace only gives an empty list");
    list_ok("a@b.example,,, c@d.example,", "<a@b.example>, <c@d.example>", "empty elements");
    list_ok("<@route1,@route2:user@host.example>", "<user@host.example>",
            "obsolete route with two hops dropped");
    list_ok("<@r1.example, ,@r2.example:u@h.example>", "<u@h.example>",
            "route with an empty element");
    list_ok("postmaster@[192.0.2.1]", "<postmaster@[192.0.2.1]>", "domain literal");
    list_ok("Lit <u@[IPv6:2001:db8::1]>", "Lit <u@[IPv6:2001:db8::1]>", "IPv6 domain literal");
    list_ok("\"john doe\"@example.com", "<\"john doe\"@example.com>",
            "quoted local part with space stays quoted");
    list_ok("\"john\"@example.com", "<john@example.com>", "needlessly quoted local part unquoted");
    list_ok("\"a\\\"b\"@example.com", "<\"a\\\"b\"@example.com>", "escaped quote in local part");
    list_ok("john . q . public @ example . com", "<john.q.public@example.com>",
            "obsolete spaces around dots");
    list_ok("team: a@b.example, c@d.example;", "<a@b.example>, <c@d.example>", "group 'team'");
    list_ok("team: a@b.example, c@d.example; , x@y.example", "<a@b.example>, <c@d.example>, <x@y.example>",
            "group then a mailbox");
    list_ok("team: a@b.example", "<a@b.example>", "group missing ';' at the end is tolerated");
    list_ok("\"\" <a@b.example>", "<a@b.example>", "empty quoted display name gives none");
    list_ok("\"Name\"<a@b.example>", "Name <a@b.example>", "no space before <");
    list_ok("Name <root>", "Name <root>", "bare local name in angle brackets");
    list_ok("a(b(c(d)e)f).g@h.example", "<a.g@h.example>", "nested comment inside local part");
    list_ok("x@y.example (trailing (nested) comment)", "<x@y.example>", "trailing nested comment");
    list_ok("\"tab\tinside\" <t@example.com>", "tab\tinside <t@example.com>", "tab in quoted string kept");
    list_ok("a@b.example\n", "<a@b.example>", "trailing LF tolerated");
    list_ok("\"folded\r\n name\" <f@example.com>", "folded name <f@example.com>",
            "folding inside a quoted string unfolded");
    list_ok("Joe <joe@EXAMPLE.com>", "Joe <joe@EXAMPLE.com>", "case kept");
    list_ok("o'brien+tag@example.ie", "<o'brien+tag@example.ie>", "atext specials in local part");
}

static void list_errors(void)
{
    list_err("Name <a@b.example", "unbalanced '<' (missing '>')", "unbalanced <");
    list_err("a@b.example>", "unbalanced '>'", "unbalanced >");
    list_err("\"Name <a@b.example>", "unterminated quoted string", "unterminated quote");
    list_err("(comment a@b.example", "unterminated comment", "unterminated comment");
    list_err("(a(b) c@d.example", "unterminated comment", "unterminated nested comment");
    list_err("a@b.example)", "unbalanced ')'", "stray )");
    list_err("a@", "empty domain after '@'", "empty domain");
    list_err("a@, b@c.example", "\"a@, b@c.example\": empty domain", "empty domain message quotes the text");
    list_err("@b.example", "missing local part before '@'", "missing local part");
    list_err("a@b..example", "empty label in domain", "double dot in domain");
    list_err("a@.example", "empty label", "leading dot in domain");
    list_err("a@b.example\r\nBcc: victim@x.example", "line break not followed by whitespace",
             "header injection by CRLF refused");
    list_err("a@b.example\nRCPT TO:<x@y>", "line break not followed by whitespace",
             "SMTP injection by LF refused");
    list_err("a@b.example\rX", "carriage return without line feed", "lone CR refused");
    list_err_n("a@b.ex\0ample", 12, "NUL byte", "NUL refused");
    list_err("a\x01@b.example", "control character", "control character refused");
    list_err("\"a\x1b[31m\" <a@b.example>", "control character", "escape in quotes refused");
    list_err("Name <a@b.example", "\"Name <a@b.example\"", "message quotes the text");
    list_err("a\x1b@b.example", "a\\x1b@b.example", "message escapes controls");
    list_err("John Smith", "display name without <address>", "display name alone");
    list_err("a@b.example c@d.example", "expected ','", "missing comma");
    list_err("a@b.example <c@d.example>", "display name must come before", "angle after addr-spec");
    list_err("<>", "empty address <>", "null address in a list");
    list_err("a@b.example;", "';' outside a group", "stray ;");
    list_err("g: h: a@b.example;;", "group inside a group", "nested group");
    list_err(": a@b.example;", "group without a name", "group without a name");
    list_err("g: a@b.example; c@d.example", "expected ',' after a group", "text after group");
    list_err("a\\b@c.example", "backslash outside quotes", "stray backslash");
    list_err("\"abc\\", "backslash at the end", "backslash at end of quoted string");
    list_err("u@[1.2.3.4", "unterminated domain literal", "unterminated literal");
    list_err("u@[1.2[3.4]", "'[' inside a domain literal", "[ in literal");
    list_err("u@[1.2\\.3.4]", "invalid character in a domain literal", "quoted-pair in a literal");
    list_err("u@[1.2.3.\xc3\xa9]", "invalid character in a domain literal", "8-bit in a literal");
    list_err("\xff\xfe@example.com", "not UTF-8", "invalid UTF-8 in a local part");
    list_err("u@exa\xe9mple.com", "not UTF-8", "Latin-1 in a domain");
    list_err("u@ex\xc2\x9b" "ample.com", "not UTF-8", "C1 control in a domain");
    list_ok("Andr\xe9 <andre@example.fr>", "Andr\xe9 <andre@example.fr>",
            "legacy Latin-1 display name kept");
    list_ok("u@[ 192.0.2.1 ]", "<u@[192.0.2.1]>", "spaces in a literal dropped");
    list_err("[1.2.3.4]", "domain literal without '@'", "literal alone");
    list_err("u@[]", "empty domain literal", "empty literal");
    list_err("u@example.[1.2.3.4]", "domain literal after a domain name", "mixed domain");
    list_err("a(comment)g@h.example", "unquoted space", "comment splitting a local part");
    list_err("\"a\tb\"@example.com", "tab in the local part", "tab in a quoted local part");
    list_err("\"\"@example.com", "empty local part", "empty quoted local part");
    list_err("<@r1.example u@h.example>", "malformed route", "route without ':'");
    list_err("Name <a@b.example c@d.example>", "unexpected text inside <...>", "two addrs in <>");
    list_err("x <a@b.example>y", "expected ','", "text after >");
}

static void limits(void)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    for (int i = 0; i < 40; i++)
        strbuf_append(&b, "(", 1);
    strbuf_append(&b, "x", 1);
    for (int i = 0; i < 40; i++)
        strbuf_append(&b, ")", 1);
    strbuf_append(&b, "a@b.example", 11);
    list_err(b.data, "comments nested too deeply", "deep comment nesting bounded");
    strbuf_reset(&b);
    for (int i = 0; i < 20; i++)
        strbuf_append(&b, "(", 1);
    for (int i = 0; i < 20; i++)
        strbuf_append(&b, ")", 1);
    strbuf_append(&b, "a@b.example", 11);
    list_ok(b.data, "<a@b.example>", "moderate comment nesting fine");
    strbuf_reset(&b);
    for (int i = 0; i < 1200; i++)
        strbuf_append(&b, "x", 1);
    strbuf_append(&b, "@b.example", 10);
    list_err(b.data, "too long", "overlong address refused");
    {
        /* The message quotes a bounded part of the text. */
        struct address_list l;
        struct mo_err err = { 0, "" };
        address_list_parse(b.data, b.len - 10, &l, &err);
        strbuf_reset(&b);
        for (int i = 0; i < 2000; i++)
            strbuf_append(&b, "y", 1);
        strbuf_append(&b, "\"", 1);
        address_list_parse(b.data, b.len, &l, &err);
        ok(strlen(err.msg) < 200 && strstr(err.msg, "...") != NULL,
           "error message quotes a bounded snippet");
    }
    strbuf_reset(&b);
    for (int i = 0; i < 3000; i++)
        strbuf_appendf(&b, "%su%d@example.com", i ? ", " : "", i);
    {
        struct address_list l;
        struct mo_err err = { 0, "" };
        int rc = address_list_parse(b.data, b.len, &l, &err);
        ok(rc == 0 && l.n == 3000 && strcmp(l.items[2999].addr, "u2999@example.com") == 0,
           "a 3000-address Cc list");
        if (rc == 0)
            address_list_free(&l);
    }
    {
        size_t big = 2 * 1024 * 1024;
        char *s = xmalloc(big);
        memset(s, ' ', big);
        list_err_n(s, big, "address list too long", "input size bounded");
        free(s);
    }
    strbuf_free(&b);
}

static void parse_one(void)
{
    one_ok("user@example.com", "user@example.com", "one: bare addr-spec");
    one_ok("<user@example.com>", "user@example.com", "one: angle");
    one_ok("Some Name <user@example.com>", "user@example.com", "one: name and angle");
    one_ok("\"Last, First\" <user@example.com>", "user@example.com", "one: quoted name with comma");
    one_ok("", "", "one: empty is the null sender");
    one_ok("<>", "", "one: <> is the null sender");
    one_ok(" <> ", "", "one: <> with spaces");
    one_ok("root", "root", "one: bare local name");
    one_ok("<@relay.example:user@example.com>", "user@example.com", "one: route dropped");
    one_ok("user@[192.0.2.1]", "user@[192.0.2.1]", "one: domain literal");
    one_err("a@b.example\r\nRCPT TO:<x@y.example>", "control character", "one: CRLF refused");
    one_err("a@b.example\n", "control character", "one: LF refused");
    one_err("a@b.example\tx", "control character", "one: tab refused");
    one_err("a\x7f@b.example", "control character", "one: DEL refused");
    one_err("a@b.example, c@d.example", "several addresses", "one: two addresses refused");
    one_err("g: a@b.example;", "a group", "one: group refused");
    one_err("undisclosed-recipients:;", "a group", "one: empty group refused");
    one_err("a@", "empty domain", "one: empty domain");
    one_err("<a@b.example", "unbalanced '<'", "one: unbalanced <");
}

static void qualified_and_quoting(void)
{
    ok(address_is_qualified("a@b.example"), "qualified: a@b");
    ok(!address_is_qualified("root"), "unqualified: root");
    ok(!address_is_qualified("a@"), "unqualified: a@");
    ok(!address_is_qualified("@b"), "unqualified: @b");
    ok(!address_is_qualified("\"a@b\""), "unqualified: @ only inside quotes");
    ok(address_is_qualified("\"a@b\"@c.example"), "qualified: quoted local part with @");
    ok(address_is_qualified("u@[192.0.2.1]"), "qualified: domain literal");
    ok(!address_is_qualified(""), "unqualified: null sender");
    is_str(address_domain("a@b.example"), "b.example", "domain: a@b.example");
    is_str(address_domain("\"a@b\"@c.example"), "c.example", "domain: after the last @");
    ok(address_domain("a@") == NULL, "domain: none after the @");
    ok(address_domain("root") == NULL, "domain: no @");
    ok(address_domain(NULL) == NULL, "domain: no address");

    quote_is("John Doe", "John Doe", "quote: plain words stay bare");
    quote_is("Doe, John", "\"Doe, John\"", "quote: comma");
    quote_is("Joe Q. Public", "\"Joe Q. Public\"", "quote: dot");
    quote_is("say \"hi\"", "\"say \\\"hi\\\"\"", "quote: quotes escaped");
    quote_is("back\\slash", "\"back\\\\slash\"", "quote: backslash escaped");
    quote_is("", "\"\"", "quote: empty");
    quote_is(" lead", "\" lead\"", "quote: leading space");
    quote_is("two  spaces", "\"two  spaces\"", "quote: double space");
    quote_is("Jörg", "Jörg", "quote: UTF-8 is atext");
    quote_is("=?utf-8?q?J=C3=B6rg?=", "=?utf-8?q?J=C3=B6rg?=", "quote: encoded word stays bare");
    quote_is("Evil\r\nBcc: x@y", "\"Evil  Bcc: x@y\"", "quote: line break cannot reach the header");
    ok(address_quote_phrase(NULL) == NULL, "quote: NULL gives NULL");

    /* Round trip: what quote_phrase writes parses back to the same name. */
    const char *names[] = { "Doe, John", "say \"hi\"", "a\\b", "Giant; <Big> Box", "x@y: z" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *q = address_quote_phrase(names[i]);
        char *text = xasprintf("%s <u@example.com>", q);
        struct address_list l;
        struct mo_err err = { 0, "" };
        int rc = address_list_parse(text, strlen(text), &l, &err);
        ok(rc == 0 && l.n == 1 && l.items[0].display_name
           && strcmp(l.items[0].display_name, names[i]) == 0, "round trip of '%s'", names[i]);
        if (rc == 0)
            address_list_free(&l);
        free(text);
        free(q);
    }
}

int main(void)
{
    rfc5322_appendix();
    real_programs();
    more_syntax();
    list_errors();
    limits();
    parse_one();
    qualified_and_quoting();
    return done_testing();
}
