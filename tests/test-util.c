/* test-util.c - the shared helpers: bounded buffers, paths, the error style. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "err.h"
#include "util.h"
#include "tap.h"

static void test_strbuf(void)
{
    struct strbuf b;

    strbuf_init(&b, 8);
    ok(strbuf_append(&b, "abcd", 4) == 0, "strbuf: append within the limit");
    ok(strbuf_appendf(&b, "%d", 1234) == 0, "strbuf: appendf up to the limit");
    is_str(b.data, "abcd1234", "strbuf: contents NUL-terminated");
    ok(strbuf_append(&b, "x", 1) == -1, "strbuf: one byte over the limit is refused");
    is_int(b.len, 8, "strbuf: a refused append leaves the buffer as it was");
    strbuf_reset(&b);
    is_int(b.len, 0, "strbuf: reset empties");
    is_str(b.data, "", "strbuf: reset leaves an empty string");
    size_t len = 99;
    char *p = strbuf_detach(&b, &len);
    is_int(len, 0, "strbuf: detach gives the length");
    ok(b.data == NULL && b.len == 0, "strbuf: detach leaves the buffer empty");
    free(p);

    strbuf_init(&b, 0);
    char big[5000];
    memset(big, 'y', sizeof big);
    ok(strbuf_append(&b, big, sizeof big) == 0, "strbuf: no limit grows past the first size");
    ok(strbuf_appendf(&b, "%s", "tail") == 0 && b.len == sizeof big + 4,
       "strbuf: appendf after a large append");
    strbuf_free(&b);
    ok(b.data == NULL, "strbuf: free");
}

static void test_strings(void)
{
    char *s = xasprintf("%s-%d", "a", 42);
    is_str(s, "a-42", "xasprintf");
    free(s);
    s = xstrndup("abcdef", 3);
    is_str(s, "abc", "xstrndup cuts at n");
    free(s);
    ok(has_control_chars("a\r\nb"), "has_control_chars: CR LF");
    ok(has_control_chars("a\tb"), "has_control_chars: tab");
    ok(has_control_chars("a\x7f"), "has_control_chars: DEL");
    ok(!has_control_chars("na\xc3\xafve@example.org"), "has_control_chars: UTF-8 is not control");
    ok(ascii_strcasecmp("Bcc", "bCC") == 0, "ascii_strcasecmp: equal");
    ok(ascii_strcasecmp("Bcc", "Bcd") < 0, "ascii_strcasecmp: order");
    ok(ascii_strncasecmp("Resent-To", "RESENT-cc", 7) == 0, "ascii_strncasecmp: prefix");
    ok(ascii_strcasecmp("\xc3\x89", "\xc3\xa9") != 0, "ascii_strcasecmp: only ASCII folds");
}

static void test_paths(void)
{
    char *p;
    char dir[] = "/tmp/mailout-test-util.XXXXXX";
    struct stat st;

    setenv("HOME", "/home/someone", 1);
    p = path_expand_tilde("~/x/y");
    is_str(p, "/home/someone/x/y", "tilde: ~/x/y");
    free(p);
    p = path_expand_tilde("~");
    is_str(p, "/home/someone", "tilde: ~ alone");
    free(p);
    p = path_expand_tilde("~other/x");
    is_str(p, "~other/x", "tilde: ~user is left alone");
    free(p);
    p = path_expand_tilde("/abs");
    is_str(p, "/abs", "tilde: absolute path unchanged");
    free(p);

    ok(mkdtemp(dir) != NULL, "mkdtemp");
    p = xasprintf("%s/a/b/c", dir);
    ok(mkdir_p(p, 0700) == 0, "mkdir_p: nested directories");
    ok(stat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0,
       "mkdir_p: created with the mode asked for");
    ok(mkdir_p(p, 0700) == 0, "mkdir_p: an existing path is fine");
    char *q = xasprintf("rm -rf '%s'", dir);
    ok(system(q) == 0, "cleanup");
    free(q);
    free(p);
}

static void test_errors(void)
{
    struct mo_err e = { 0, "" };

    is_int(mo_err_set(&e, EX_CONFIG, "bad %s", "key"), -1, "mo_err_set returns -1");
    is_int(e.code, EX_CONFIG, "mo_err_set: code");
    is_str(e.msg, "bad key", "mo_err_set: message");
    mo_err_prefix(&e, "file.ini:%d", 3);
    is_str(e.msg, "file.ini:3: bad key", "mo_err_prefix");
    char longp[2000];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    mo_err_prefix(&e, "%s", longp);
    is_int(strlen(e.msg) < sizeof e.msg, 1, "mo_err_prefix: a long prefix stays inside the buffer");
    is_str(mo_exit_name(EX_TEMPFAIL), "EX_TEMPFAIL", "mo_exit_name");
    is_str(mo_exit_name(12345), "EX_UNKNOWN", "mo_exit_name: unknown code");
}

int main(void)
{
    test_strbuf();
    test_strings();
    test_paths();
    test_errors();
    /* no assertion: under ASan a bad free or overrun fails the program */
    secret_free(xstrdup("hunter2"));
    secret_free(NULL);
    ok(local_fqdn() != NULL && local_fqdn()[0] != '\0', "local_fqdn gives a name");
    return done_testing();
}
