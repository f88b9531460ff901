/* test-msmtprc.c - msmtprc_convert: msmtp's syntax and semantics, what each
 * setting becomes, what becomes a comment, and the errors with their line.
 * Every successful result is also loaded with mailout's own parser. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "conf.h"
#include "msmtprc.h"
#include "util.h"

static char *conv(const char *rc, struct mo_err *err)
{
    err->code = 0;
    err->msg[0] = '\0';
    return msmtprc_convert("t.rc", rc, strlen(rc), err);
}

/* The INI, which must load. */
static char *conv_ok(const char *rc, const char *what)
{
    struct mo_err err;
    struct config cfg;
    char *ini = conv(rc, &err);

    if (!ok(ini != NULL, "converts: %s", what)) {
        diag("%s", err.msg);
        return xstrdup("");
    }
    if (!ok(conf_load_from_string(&cfg, "out.ini", ini, &err) == 0, "output loads: %s", what))
        diag("%s", err.msg);
    else
        config_free(&cfg);
    return ini;
}

/* The value of key in [account name] of ini, or NULL. */
static char *value(const char *ini, const char *name, const char *key)
{
    char *head = xasprintf("\n[account %s]\n", name);
    const char *p = strstr(ini, head), *end;
    char *want = xasprintf("\n%s = ", key), *v = NULL;

    if (p != NULL) {
        p += strlen(head) - 1;
        end = strstr(p, "\n[");
        const char *k = strstr(p, want);
        if (k != NULL && (end == NULL || k < end)) {
            k += strlen(want);
            v = xstrndup(k, strcspn(k, "\n"));
        }
    }
    free(head);
    free(want);
    return v;
}

#define is_val(ini, acct, key, want, ...) do { \
        char *v_ = value(ini, acct, key); \
        is_str(v_, want, __VA_ARGS__); \
        free(v_); \
    } while (0)

static void err_is(const char *rc, const char *want, const char *what)
{
    struct mo_err err;
    char *ini = conv(rc, &err);

    ok(ini == NULL && err.code == EX_CONFIG, "refused: %s", what);
    is_str(err.msg, want, "message: %s", what);
    free(ini);
}

static void test_syntax(void)
{
    char *ini = conv_ok("# comment\n  # indented comment\n\naccount a\n"
                        "host \"smtp.example.com\"\r\nfrom a@example.com\n"
                        "auth on\nuser \"me\"\n"
                        "passwordeval \"cat ~/.pw\"\n", "quotes, CRLF, comments");
    is_val(ini, "a", "host", "smtp.example.com", "enclosing quotes go");
    is_val(ini, "a", "password_command", "cat ~/.pw", "passwordeval \"cat ~/.pw\" is the command cat ~/.pw");
    is_val(ini, "a", "user", "me", "user unquoted");
    is_val(ini, "a", "port", "25", "msmtp's default port 25 is written");
    is_val(ini, "a", "tls", "off", "msmtp's default: no TLS");
    is_val(ini, "a", "auth", NULL, "auth on is mailout's auto");
    ok(strstr(ini, "keyring") == NULL, "no keyring note when passwordeval is set");
    free(ini);
    ini = conv_ok("account a\nhost h.example\npasswordeval gpg -d \"x y\"\n"
                  "user u\n", "inner quotes stay");
    is_val(ini, "a", "password_command", "gpg -d \"x y\"", "quotes that do not enclose the argument stay");
    free(ini);
    ini = conv_ok("account a\nhost h.example\nuser u\npasswordeval \"a\" \"b\"\n", "msmtp quirk");
    is_val(ini, "a", "password_command", "a\" \"b", "a first and last quote go even so, as in msmtp 1.8.23");
    is_val(ini, "a", "auth", "off", "no auth command: msmtp does not authenticate, nor will mailout");
    free(ini);
    ini = conv_ok("account a\nhost h.example\nauth\nuser u\n"
                  "passwordeval pass show a ; echo\n", "shell ;");
    is_val(ini, "a", "password_command", "pass show a; echo", "blank before ; dropped (inih would cut there)");
    is_val(ini, "a", "auth", NULL, "an empty argument means on");
    free(ini);
}

static void test_tls(void)
{
    char *ini = conv_ok("defaults\ntls on\ntls_starttls off\naccount s\nhost h.example\n"
                        "account p\nhost h.example\nport 587\ntls_starttls on\n"
                        "tls_trust_file ~/ca.pem\ntls_host_override other.example\n"
                        "tls_certcheck off\ntls_crl_file /x.crl\n", "tls");
    is_val(ini, "s", "tls", "implicit", "tls on + tls_starttls off: implicit");
    is_val(ini, "s", "port", "465", "and msmtp's port for it, 465");
    is_val(ini, "p", "tls", "starttls", "tls on + tls_starttls on: starttls");
    is_val(ini, "p", "port", "587", "port kept");
    is_val(ini, "p", "tls_trust_file", "~/ca.pem", "tls_trust_file");
    is_val(ini, "p", "tls_server_name", "other.example", "tls_host_override: tls_server_name");
    ok(strstr(ini, "; msmtp's \"tls_certcheck off\" has no equivalent") != NULL, "tls_certcheck off: a comment");
    ok(strstr(ini, "; msmtp's \"tls_crl_file /x.crl\" has no equivalent") != NULL, "tls_crl_file: a comment");
    free(ini);
    ini = conv_ok("account a\nhost h.example\ntls on\ntls_fingerprint 11:22\n", "bad fingerprint");
    is_val(ini, "a", "tls_fingerprint", NULL, "a fingerprint mailout refuses is not a key");
    ok(strstr(ini, "; tls_fingerprint 11:22: mailout refuses this value") != NULL, "but a comment with the reason");
    free(ini);
}

static void test_accounts(void)
{
    char *ini = conv_ok("defaults\nport 587\ntls on\nlogfile ~/.msmtp.log\n"
                        "account base\nhost a.example\nfrom me@a.example\nauth plain\nuser me\n"
                        "account second : base\nfrom other@a.example\n"
                        "defaults\nport 2525\n"
                        "account third\nhost b.example\nfrom x@b.example\n"
                        "account default : second\n", "inheritance");
    is_val(ini, "second", "host", "a.example", "inherits host");
    is_val(ini, "second", "auth", "plain", "inherits auth, lower case");
    is_val(ini, "second", "from", "other@a.example", "own from");
    is_val(ini, "third", "port", "2525", "a later defaults applies to later accounts");
    is_val(ini, "base", "port", "587", "and not to earlier ones");
    ok(strstr(ini, "default_account = second\n") != NULL, "account default : second names the default");
    ok(strstr(ini, "[account default]") == NULL, "and is no account of its own");
    ok(strstr(ini, "[mailout]\ndefault_account = second\nlogfile = ~/.msmtp.log\n") != NULL,
       "logfile goes to [mailout]");
    free(ini);
    ini = conv_ok("account default\nhost h.example\nfrom %U@example.org\nset_from_header on\n"
                  "syslog LOG_MAIL\naliases /etc/aliases\nundisclosed_recipients\n", "system");
    ok(strstr(ini, "default_account = default\n") != NULL, "a real account default");
    is_val(ini, "default", "from", "*@example.org", "%%U@domain: a pattern");
    is_val(ini, "default", "rewrite_from", "always", "set_from_header on: rewrite_from = always");
    ok(strstr(ini, "syslog = on\naliases = /etc/aliases\n") != NULL, "syslog and aliases");
    ok(strstr(ini, "\"undisclosed_recipients \" has no equivalent") != NULL, "undisclosed_recipients: a comment");
    free(ini);
    ini = conv_ok("account a\nhost h.example\nauth on\nuser u\npassword \" pw;x \"\n"
                  "dsn_notify failure\ndsn_return headers\nset_date_header off\ntimeout off\n", "misc");
    ok(strstr(ini, "pw;x") == NULL, "a password that cannot be written is not shown");
    ok(strstr(ini, "; password: its value cannot be written here") != NULL, "but named");
    is_val(ini, "a", "dsn_return", "hdrs", "dsn_return headers: hdrs");
    is_val(ini, "a", "dsn_notify", "failure", "dsn_notify");
    is_val(ini, "a", "add_date", "off", "set_date_header off: add_date = off");
    ok(strstr(ini, "\"timeout off\" has no equivalent") != NULL, "timeout off: a comment");
    free(ini);
    ini = conv_ok("account k\nhost k.example\nauth on\nuser u@k.example\n", "keyring");
    ok(strstr(ini, "; password: mailout uses the keyring entry msmtp used (host k.example service smtp user u@k.example)") != NULL,
       "no password source: the keyring note");
    free(ini);
}

static void test_errors(void)
{
    err_is("account a\nhost h\nfoo bar\n", "t.rc:3: unknown command foo", "unknown command");
    err_is("account a\nhost h\nport 70000\n", "t.rc:3: invalid argument 70000 for command port", "port");
    err_is("account a\nhost\n", "t.rc:2: command host needs an argument", "empty host");
    err_is("account a\nhost h\naccount a\n", "t.rc:3: account a is defined twice", "twice");
    err_is("\n\naccount b : a\n", "t.rc:3: account b inherits from a, which is not defined before it", "parent");
    err_is("account a\ntls maybe\n", "t.rc:2: invalid argument maybe for command tls", "tls");
    err_is("account\n", "t.rc:1: account needs a name", "no name");
    err_is("account a\nport 25\n", "t.rc:1: host: [account a] has no host (required)", "no host");

    struct mo_err err;
    char *ini = msmtprc_convert("t.rc", "account a\nho\0st h\n", 17, &err);
    ok(ini == NULL && strcmp(err.msg, "t.rc:2: NUL byte in the file") == 0, "NUL byte: %s", err.msg);
    ini = conv("", &err);
    ok(ini != NULL && strstr(ini, "[mailout]") != NULL, "an empty file converts to an empty config");
    free(ini);
}

int main(void)
{
    test_syntax();
    test_tls();
    test_accounts();
    test_errors();
    return done_testing();
}
