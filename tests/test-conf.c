/* test-conf.c - the configuration of SPEC §2: every key, every error path
 * with its file:line:key message, inheritance, file precedence, permissions,
 * account selection. */
#include "config.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include "tap.h"
#include "util.h"
#include "conf.h"
#include "fallback.h"

static struct config cfg;
static struct mo_err err;
static char dir[] = "/tmp/test-conf.XXXXXX";

static int load(const char *text)
{
    config_free(&cfg);
    memset(&err, 0, sizeof err);
    return conf_load_from_string(&cfg, "t.ini", text, &err);
}

/* Loads text and expects exactly this EX_CONFIG message. */
static void bad(const char *text, const char *want, const char *what)
{
    int rc = load(text);
    ok(rc == -1 && err.code == EX_CONFIG, "%s: refused with 78", what);
    is_str(err.msg, want, "  %s: message", what);
    ok(cfg.accounts == NULL && cfg.n_accounts == 0, "  %s: nothing left loaded", what);
}

/* Formatted text in one of a pool of buffers, so that tests need not free. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    static char pool[32][1024];
    static int k;
    char *b = pool[k++ % 32];
    va_list ap;

    va_start(ap, f);
    vsnprintf(b, sizeof pool[0], f, ap);
    va_end(ap);
    return b;
}

static char *write_file(const char *name, const char *text, int mode)
{
    char *path = fmt("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
    return path;
}

static const struct account *find_acct(const char *name)
{
    for (size_t i = 0; i < cfg.n_accounts; i++)
        if (strcmp(cfg.accounts[i].name, name) == 0)
            return &cfg.accounts[i];
    return NULL;
}

static void test_defaults(void)
{
    const struct account *a;

    is_int(load("[account work]\nhost = smtp.example.com\n"), 0, "minimal account loads");
    a = find_acct("work");
    ok(a != NULL && cfg.n_accounts == 1, "one account named work");
    if (a == NULL)
        return;
    is_str(a->host, "smtp.example.com", "host");
    is_int(a->port, 0, "port unset");
    is_int(account_port(a), 587, "starttls: port 587");
    is_int(a->tls, TLS_STARTTLS, "tls default starttls");
    is_int(a->auth, AUTH_AUTO, "auth default auto");
    is_str(a->tls_trust_file, "system", "tls_trust_file default system");
    is_int(a->tls_min_version, 12, "tls_min_version default 1.2");
    is_int(a->timeout, 60, "timeout default 60");
    is_int(a->protocol, PROTO_SMTP, "protocol default smtp");
    ok(a->remove_bcc && a->queue, "remove_bcc and queue default on");
    is_int(a->max_queue_age, 5 * 86400, "max_queue_age default 5d");
    ok(a->add_date == TRI_AUTO && a->add_from == TRI_AUTO && a->add_message_id == TRI_AUTO,
       "add_* default auto");
    ok(a->from == NULL && a->user == NULL && a->password == NULL && a->domain == NULL,
       "optional strings unset");
    is_str(a->file, "t.ini", "account remembers its file");
    is_int(a->line, 1, "  and line");
    ok(cfg.logfile == NULL && cfg.syslog == (geteuid() == 0) && cfg.aliases == NULL,
       "no log file, no aliases; syslog for root only");
    if (geteuid() == 0)
        is_str(cfg.queue_dir, SPOOLDIR "/queue", "root: queue_dir is the spool's queue/");
    else {
        char *want = xasprintf("%s/.local/state/mailout/queue", getenv("HOME"));
        is_str(cfg.queue_dir, want, "queue_dir default in ~/.local/state");
        free(want);
    }
}

static void test_all_keys(void)
{
    const struct account *a;
    const char *text =
        "; comment\n# comment\n"
        "[mailout]\n"
        "default_account = work\n"
        "aliases = ~/aliases\n"
        "logfile = ~/log/mailout.log\n"
        "syslog = yes\n"
        "queue_dir = /var/tmp/q\n"
        "[account work]\n"
        "host = smtp.example.com   ; inline comment\n"
        "port = 465\n"
        "from = *@Example.com\n"
        "user = me@example.com\n"
        "password = s3cret\n"
        "password_command = pass show smtp/work\n"
        "tls = implicit\n"
        "auth = SCRAM-SHA-256-PLUS\n"
        "tls_trust_file = ~/ca.pem\n"
        "tls_fingerprint = sha256:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n"
        "tls_cert_file = /etc/c.pem\n"
        "tls_key_file = /etc/k.pem\n"
        "tls_min_version = 1.3\n"
        "tls_server_name = other.example\n"
        "domain = ehlo.example\n"
        "timeout = 30\n"
        "dsn_notify = failure,delay\n"
        "dsn_return = hdrs\n"
        "protocol = lmtp\n"
        "add_date = off\n"
        "add_message_id = on\n"
        "add_from = auto\n"
        "remove_bcc = false\n"
        "queue = 0\n"
        "max_queue_age = 1d12h\n";
    char *home = getenv("HOME"), *want;

    is_int(load(text), 0, "every key loads");
    a = find_acct("work");
    if (a == NULL) {
        ok(0, "account work exists: %s", err.msg);
        return;
    }
    is_str(cfg.default_account, "work", "default_account");
    want = xasprintf("%s/aliases", home);
    is_str(cfg.aliases, want, "aliases with ~ expanded");
    free(want);
    want = xasprintf("%s/log/mailout.log", home);
    is_str(cfg.logfile, want, "logfile with ~ expanded");
    free(want);
    ok(cfg.syslog, "syslog = yes");
    is_str(cfg.queue_dir, "/var/tmp/q", "queue_dir");
    is_str(a->host, "smtp.example.com", "inline comment stripped");
    is_int(a->port, 465, "port");
    is_str(a->from, "*@Example.com", "from pattern");
    is_str(a->user, "me@example.com", "user");
    is_str(a->password, "s3cret", "password");
    is_str(a->password_command, "pass show smtp/work", "password_command");
    is_int(a->tls, TLS_IMPLICIT, "tls implicit");
    is_int(a->auth, AUTH_SCRAM_SHA_256_PLUS, "auth is case-insensitive");
    want = xasprintf("%s/ca.pem", home);
    is_str(a->tls_trust_file, want, "tls_trust_file path");
    free(want);
    is_str(a->tls_fingerprint,
           "SHA256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
           "tls_fingerprint normalised to upper case");
    is_str(a->tls_cert_file, "/etc/c.pem", "tls_cert_file");
    is_str(a->tls_key_file, "/etc/k.pem", "tls_key_file");
    is_int(a->tls_min_version, 13, "tls_min_version 1.3");
    is_str(a->tls_server_name, "other.example", "tls_server_name");
    is_str(a->domain, "ehlo.example", "domain");
    is_int(a->timeout, 30, "timeout");
    is_str(a->dsn_notify, "failure,delay", "dsn_notify");
    is_str(a->dsn_return, "hdrs", "dsn_return");
    is_int(a->protocol, PROTO_LMTP, "protocol lmtp");
    is_int(account_port(a), 465, "explicit port wins");
    ok(a->add_date == TRI_OFF && a->add_message_id == TRI_ON && a->add_from == TRI_AUTO,
       "add_date/add_message_id/add_from");
    ok(!a->remove_bcc && !a->queue, "remove_bcc = false, queue = 0");
    is_int(a->max_queue_age, 36 * 3600, "max_queue_age 1d12h");

    is_int(load("[account a]\nhost=h\nfingerprint_ignored_check = 1\n"), -1, "sanity: unknown key fails");
    is_int(load("[account a]\nhost=h\ntls_fingerprint = 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n"),
           0, "fingerprint without SHA256: prefix");
    is_str(cfg.accounts[0].tls_fingerprint,
           "SHA256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
           "  gets the prefix");
    is_int(load("\xEF\xBB\xBF[account a]\nhost=h\n"), 0, "UTF-8 byte order mark accepted");
    is_int(load("[account a]\r\nhost = h\r\n"), 0, "CRLF lines accepted");
    is_str(cfg.accounts[0].host, "h", "  value without CR");
    is_int(load("  [account a]\n\thost = h\n   port = 25\n"), 0, "indented lines are plain lines");
    is_int(cfg.accounts[0].port, 25, "  not a multi-line continuation");
    is_int(load("[ account   spaced ]\nhost=h\n"), 0, "blanks around the section name");
    ok(find_acct("spaced") != NULL, "  account name trimmed");
    is_int(load("[account a]\nhost=h\ntls=off\n"), 0, "tls off");
    is_int(account_port(&cfg.accounts[0]), 25, "  default port 25");
    is_int(load("[account a]\nhost=h\nmax_queue_age = 90\ntimeout=2m\n"), 0, "bare seconds, minutes");
    ok(cfg.accounts[0].max_queue_age == 90 && cfg.accounts[0].timeout == 120, "  90s, 120s");
    is_int(load("[account a]\nhost=h\ntls_trust_file = SYSTEM\n"), 0, "tls_trust_file SYSTEM");
    is_str(cfg.accounts[0].tls_trust_file, "system", "  normalised");
    is_int(load(""), 0, "an empty file is fine");
    is_int(cfg.n_accounts, 0, "  no accounts");
    is_int(load("[mailout]\n[defaults]\n"), 0, "empty [mailout] and [defaults] are fine");
    is_int(load("[mailout]\nlogfile =\n"), 0, "empty logfile means none");
    ok(cfg.logfile == NULL, "  logfile NULL");
}

static void test_errors(void)
{
    bad("[account work]\nhost = h\nprot = smtp\n",
        "t.ini:3: prot: unknown key in [account work]", "unknown key");
    bad("[mailout]\nhost = h\n",
        "t.ini:2: host: unknown key in [mailout]", "account key in [mailout]");
    bad("[defaults]\nfallback = backup\n[account a]\nhost = h\n[account backup]\nhost = b\n",
        "t.ini:2: fallback: belongs in an account section ([account NAME]), not in [defaults]: each account has its own",
        "fallback in [defaults]");
    bad("[mailout]\ninherit = a\n[account a]\nhost = h\n",
        "t.ini:2: inherit: belongs in an account section ([account NAME]), not in [mailout]: each account has its own",
        "inherit in [mailout]");
    bad("[defaults]\ninherit = a\n",
        "t.ini:2: inherit: belongs in an account section ([account NAME]), not in [defaults]: each account has its own",
        "inherit in [defaults]");
    bad("[defaults]\ndefault_account = a\n",
        "t.ini:2: default_account: unknown key in [defaults]", "[mailout] key in [defaults]");
    bad("[foo]\nhost = h\n",
        "t.ini:1: unknown section [foo] (use [mailout], [defaults] or [account NAME])",
        "unknown section");
    bad("[account work]\nhost=h\n[foo]\n",
        "t.ini:3: unknown section [foo] (use [mailout], [defaults] or [account NAME])",
        "unknown empty section");
    bad("[account]\nhost = h\n",
        "t.ini:1: unknown section [account] (use [mailout], [defaults] or [account NAME])",
        "account without a name");
    bad("[account bad/name]\nhost = h\n",
        "t.ini:1: bad account name 'bad/name' (letters, digits, . _ - @ +; at most 64)",
        "bad account name");
    bad("[account work\nhost = h\n", "t.ini:1: syntax error: ']' missing", "section without ]");
    bad("[account work] x\nhost = h\n", "t.ini:1: syntax error: text after ']'", "text after ]");
    bad("host = h\n",
        "t.ini:1: host: key outside a section (start with [mailout], [defaults] or [account NAME])",
        "key before any section");
    bad("[account work]\nhost h\n",
        "t.ini:2: syntax error (expected key = value, a comment or [section])", "line without =");
    bad("[account work]\nhost = a\nhost = b\n",
        "t.ini:3: host: set twice in [account work]", "key set twice");
    bad("[account work]\nhost = a\n[account work]\nhost = b\n",
        "t.ini:3: section [account work] appears twice in this file", "section twice");
    bad("[account work]\nport = 587\n",
        "t.ini:1: host: [account work] has no host (required)", "missing host");
    bad("[account work]\nhost = h\n[account unused]\nport = 25\n",
        "t.ini:3: host: [account unused] has no host (required)", "missing host, unused account");
    bad("[account work]\nhost =\n", "t.ini:2: host: empty value", "empty host");
    bad("[account work]\nhost = a b\n", "t.ini:2: host: 'a b' is not a host name", "host with a space");
    bad("[account work]\nhost = h\nport = 70000\n",
        "t.ini:3: port: '70000' is not a port number from 1 to 65535", "port too big");
    bad("[account work]\nhost = h\nport = 0\n",
        "t.ini:3: port: '0' is not a port number from 1 to 65535", "port 0");
    bad("[account work]\nhost = h\nport = 58x\n",
        "t.ini:3: port: '58x' is not a port number from 1 to 65535", "port not a number");
    bad("[account work]\nhost = h\nport = -1\n",
        "t.ini:3: port: '-1' is not a port number from 1 to 65535", "negative port");
    bad("[account work]\nhost = h\ntls = on\n",
        "t.ini:3: tls: 'on' is not one of starttls, implicit, off", "bad tls");
    bad("[account work]\nhost = h\nauth = magic\n",
        "t.ini:3: auth: 'magic' is not an authentication method (auto, off, plain, login, scram-sha-256, ...)",
        "bad auth");
    bad("[account work]\nhost = h\nfrom = not-an-address\n",
        "t.ini:3: from: 'not-an-address' is not an address (me@example.com) or a pattern (*@example.com)",
        "bad from");
    bad("[account work]\nhost = h\nfrom = a@b@\n",
        "t.ini:3: from: 'a@b@' is not an address (me@example.com) or a pattern (*@example.com)",
        "from with an empty domain");
    bad("[account work]\nhost = h\nfrom = *x@example.com\n",
        "t.ini:3: from: '*x@example.com' is not an address (me@example.com) or a pattern (*@example.com)",
        "from with a partial wildcard");
    bad("[account work]\nhost = h\nfrom = Me <me@example.com>\n",
        "t.ini:3: from: 'Me <me@example.com>' is not an address (me@example.com) or a pattern (*@example.com)",
        "from with a display name");
    bad("[account work]\nhost = h\ntls_trust_file = certs/ca.pem\n",
        "t.ini:3: tls_trust_file: 'certs/ca.pem' is neither system nor an absolute path (/... or ~/...)",
        "relative trust file");
    bad("[account work]\nhost = h\ntls_cert_file = c.pem\n",
        "t.ini:3: tls_cert_file: 'c.pem' is not an absolute path (/... or ~/...)", "relative cert file");
    bad("[account work]\nhost = h\ntls_fingerprint = SHA256:AB:CD\n",
        "t.ini:3: tls_fingerprint: not a SHA-256 fingerprint (SHA256:AB:CD:... with 32 bytes)",
        "short fingerprint");
    bad("[account work]\nhost = h\ntls_fingerprint = SHA256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:8G\n",
        "t.ini:3: tls_fingerprint: not a SHA-256 fingerprint (SHA256:AB:CD:... with 32 bytes)",
        "fingerprint with a non-hex digit");
    bad("[account work]\nhost = h\ntls_fingerprint = SHA256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:00\n",
        "t.ini:3: tls_fingerprint: not a SHA-256 fingerprint (SHA256:AB:CD:... with 32 bytes)",
        "fingerprint too long");
    bad("[account work]\nhost = h\ntls_min_version = 1.1\n",
        "t.ini:3: tls_min_version: '1.1' is neither 1.2 nor 1.3", "tls 1.1");
    bad("[account work]\nhost = h\ntimeout = 0\n",
        "t.ini:3: timeout: '0' is not a number of seconds from 1 to 3600", "timeout 0");
    bad("[account work]\nhost = h\ntimeout = soon\n",
        "t.ini:3: timeout: 'soon' is not a number of seconds from 1 to 3600", "timeout word");
    bad("[account work]\nhost = h\nmax_queue_age = 5y\n",
        "t.ini:3: max_queue_age: '5y' is not a duration like 5d, 12h, 30m or 90s (at most 400d)",
        "bad duration unit");
    bad("[account work]\nhost = h\nmax_queue_age = 999999999999d\n",
        "t.ini:3: max_queue_age: '999999999999d' is not a duration like 5d, 12h, 30m or 90s (at most 400d)",
        "huge duration");
    bad("[account work]\nhost = h\ndsn_notify = never,delay\n",
        "t.ini:3: dsn_notify: 'never,delay' is neither never nor a list of success,failure,delay",
        "never with another");
    bad("[account work]\nhost = h\ndsn_return = body\n",
        "t.ini:3: dsn_return: 'body' is neither full nor hdrs", "bad dsn_return");
    bad("[account work]\nhost = h\nprotocol = http\n",
        "t.ini:3: protocol: 'http' is neither smtp nor lmtp", "bad protocol");
    bad("[account work]\nhost = h\nadd_date = maybe\n",
        "t.ini:3: add_date: 'maybe' is not one of auto, on, off", "bad tristate");
    bad("[account work]\nhost = h\nqueue = sometimes\n",
        "t.ini:3: queue: 'sometimes' is not a boolean (on, off, yes, no, true, false, 1, 0)",
        "bad boolean");
    bad("[mailout]\nsyslog = 2\n",
        "t.ini:2: syslog: '2' is not a boolean (on, off, yes, no, true, false, 1, 0)", "bad syslog");
    bad("[mailout]\nlogfile = mailout.log\n",
        "t.ini:2: logfile: 'mailout.log' is not an absolute path (/... or ~/...)", "relative logfile");
    bad("[mailout]\nqueue_dir = ~user/q\n",
        "t.ini:2: queue_dir: '~user/q' is not an absolute path (/... or ~/...)", "~user path");
    bad("[mailout]\ndefault_account = nope\n[account a]\nhost = h\n",
        "t.ini:2: default_account: no account named 'nope'", "default_account unknown");
    bad("[account work]\nhost = h\nuser = a\x01" "b\n",
        "t.ini:3: user: control character in value", "control character");
    bad("[account work]\nhost = h\ninherit = nope\n",
        "t.ini:3: inherit: no account named 'nope'", "inherit unknown");
    bad("[account a]\nhost = h\ninherit = a\n",
        "t.ini:3: inherit: inherit cycle: a -> a", "inherit itself");
    bad("[account a]\nhost = h\ninherit = b\n[account b]\nhost = h\ninherit = c\n[account c]\ninherit = b\n",
        "t.ini:8: inherit: inherit cycle: a -> b -> c -> b", "inherit cycle");
}

static void test_inherit(void)
{
    const char *text =
        "[defaults]\ntls = implicit\nauth = plain\nuser = def\ntimeout = 10\n"
        "[account base]\nhost = base.example\nport = 2525\nuser = base\n"
        "[account child]\ninherit = base\nuser =\nfrom = c@example.com\n"
        "[account grandchild]\ninherit = child\nhost = gc.example\nauth = login\n"
        "[account plain]\nhost = p.example\n";
    const struct account *a;

    is_int(load(text), 0, "inheritance loads: %s", err.msg);
    a = find_acct("base");
    ok(a && a->tls == TLS_IMPLICIT && a->auth == AUTH_PLAIN && a->timeout == 10,
       "[defaults] reaches base");
    ok(a && strcmp(a->user, "base") == 0 && a->port == 2525, "base overrides [defaults]");
    a = find_acct("child");
    ok(a && strcmp(a->host, "base.example") == 0 && a->port == 2525, "child inherits base");
    ok(a && a->user == NULL, "an empty value clears what is inherited");
    ok(a && a->tls == TLS_IMPLICIT, "child gets [defaults] too");
    a = find_acct("grandchild");
    ok(a && strcmp(a->host, "gc.example") == 0 && a->port == 2525 && a->auth == AUTH_LOGIN
       && strcmp(a->from, "c@example.com") == 0 && a->user == NULL, "two levels of inherit");
    a = find_acct("plain");
    ok(a && a->auth == AUTH_PLAIN && strcmp(a->user, "def") == 0, "[defaults] alone");
    is_int(load("[account b]\nhost=h\n[account a]\ninherit = b\n"), 0, "inherit a later-defined... earlier section");
    is_int(load("[account a]\ninherit = b\n[account b]\nhost=h\n"), 0, "inherit a section defined below");
    ok(find_acct("a") && strcmp(find_acct("a")->host, "h") == 0, "  host comes from below");
    is_int(load("[account a]\nhost=h\n[account b]\nhost=h\n[account c]\nhost=h\n"), 0, "three accounts");
    ok(strcmp(cfg.accounts[0].name, "a") == 0 && strcmp(cfg.accounts[2].name, "c") == 0,
       "accounts in file order");
}

static void test_select(void)
{
    const struct account *a;
    const char *text =
        "[account one]\nhost = h1\nfrom = *@one.example\n"
        "[account two]\nhost = h2\nfrom = me@two.example\n"
        "[account three]\nhost = h3\nfrom = *@one.example\n";

    load(text);
    a = config_select_account(&cfg, "two", "x@one.example", &err);
    is_str(a ? a->name : NULL, "two", "-a wins over from");
    a = config_find_account(&cfg, "two", 3);
    is_str(a ? a->name : NULL, "two", "found by name");
    a = config_find_account(&cfg, "threefold", 5);
    is_str(a ? a->name : NULL, "three", "found by a name's first len bytes");
    ok(config_find_account(&cfg, "thre", 4) == NULL, "a prefix of a name is not that name");
    ok(config_find_account(&cfg, "Two", 3) == NULL, "names are compared exactly");
    a = config_select_account(&cfg, "nope", NULL, &err);
    ok(a == NULL && err.code == EX_CONFIG, "-a unknown account: 78");
    is_str(err.msg, "no account named 'nope' in the configuration", "  message");
    a = config_select_account(&cfg, NULL, "x@one.example", &err);
    is_str(a ? a->name : NULL, "one", "pattern: first match in file order");
    a = config_select_account(&cfg, NULL, "X@ONE.Example", &err);
    is_str(a ? a->name : NULL, "one", "pattern: domain case-insensitive");
    a = config_select_account(&cfg, NULL, "<x@one.example>", &err);
    is_str(a ? a->name : NULL, "one", "sender in angle brackets");
    a = config_select_account(&cfg, NULL, "Me@Two.Example", &err);
    is_str(a ? a->name : NULL, "two", "exact from, case-insensitive");
    a = config_select_account(&cfg, NULL, "you@two.example", &err);
    ok(a == NULL && err.code == EX_CONFIG, "no match, no default, three accounts: 78");
    is_str(err.msg, "no account fits: use -a NAME, set default_account in [mailout], or a from that matches the sender",
           "  message");
    a = config_select_account(&cfg, NULL, "", &err);
    ok(a == NULL, "null sender matches nothing");

    load("[mailout]\ndefault_account = two\n[account one]\nhost = h1\nfrom = *@one.example\n[account two]\nhost = h2\n");
    a = config_select_account(&cfg, NULL, "x@other.example", &err);
    is_str(a ? a->name : NULL, "two", "default_account when nothing matches");
    a = config_select_account(&cfg, NULL, "x@one.example", &err);
    is_str(a ? a->name : NULL, "one", "a matching from wins over default_account");
    a = config_select_account(&cfg, NULL, NULL, &err);
    is_str(a ? a->name : NULL, "two", "no sender: default_account");

    load("[account only]\nhost = h\nfrom = me@x.example\n");
    a = config_select_account(&cfg, NULL, "other@y.example", &err);
    is_str(a ? a->name : NULL, "only", "the only account");
    load("");
    a = config_select_account(&cfg, NULL, "x@y", &err);
    ok(a == NULL && err.code == EX_CONFIG, "no account at all: 78");
    ok(strncmp(err.msg, "no account configured", 21) == 0, "  says no account is configured: %s", err.msg);

    ok(config_from_matches("*@example.com", "a@example.com"), "match: pattern");
    ok(!config_from_matches("*@example.com", "a@sub.example.com"), "no match: subdomain");
    ok(!config_from_matches("*@example.com", "a@example.com.evil"), "no match: suffix");
    ok(!config_from_matches("*@example.com", "example.com"), "no match: no @");
    ok(!config_from_matches("*@example.com", "@example.com"), "no match: empty local part");
    ok(config_from_matches("a@example.com", "A@EXAMPLE.COM"), "match: exact, any case");
    ok(!config_from_matches("a@example.com", "b@example.com"), "no match: other local part");
    ok(!config_from_matches(NULL, "a@b"), "no from: no match");
}

static void test_helpers(void)
{
    long s = 0;

    ok(conf_check_dsn_notify("never") == 0, "dsn: never");
    ok(conf_check_dsn_notify("NEVER") == 0, "dsn: NEVER");
    ok(conf_check_dsn_notify("success") == 0, "dsn: success");
    ok(conf_check_dsn_notify("delay,success,failure") == 0, "dsn: all three, any order");
    ok(conf_check_dsn_notify("") != 0, "dsn: empty refused");
    ok(conf_check_dsn_notify("success,,failure") != 0, "dsn: empty item refused");
    ok(conf_check_dsn_notify("delay,delay") != 0, "dsn: repeated refused");
    ok(conf_check_dsn_notify("never,success") != 0, "dsn: never with another refused");
    ok(conf_check_dsn_notify("success ") != 0, "dsn: trailing blank refused");
    ok(conf_parse_duration("5d", &s) == 0 && s == 432000, "duration 5d");
    ok(conf_parse_duration("1w2d3h4m5s", &s) == 0 && s == 604800 + 2 * 86400 + 3 * 3600 + 245,
       "duration 1w2d3h4m5s");
    ok(conf_parse_duration("", &s) != 0, "duration empty refused");
    ok(conf_parse_duration("d", &s) != 0, "duration without number refused");
    ok(conf_parse_duration("5dd", &s) != 0, "duration 5dd refused");
    ok(conf_parse_duration("-5", &s) != 0, "negative duration refused");
    ok(conf_parse_duration("99999999999999999999", &s) != 0, "overflow refused");
    is_str(config_system_path(), SYSCONFDIR "/mailout.ini", "system path from SYSCONFDIR");
}

static void test_user_path(void)
{
    char *p;

    setenv("HOME", "/home/u", 1);
    unsetenv("MAILOUT_CONFIG");
    unsetenv("XDG_CONFIG_HOME");
    p = config_user_path();
    is_str(p, "/home/u/.config/mailout/config.ini", "user path under ~/.config");
    free(p);
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    p = config_user_path();
    is_str(p, "/xdg/mailout/config.ini", "XDG_CONFIG_HOME");
    free(p);
    setenv("XDG_CONFIG_HOME", "relative", 1);
    p = config_user_path();
    is_str(p, "/home/u/.config/mailout/config.ini", "relative XDG_CONFIG_HOME ignored");
    free(p);
    setenv("MAILOUT_CONFIG", "/elsewhere.ini", 1);
    p = config_user_path();
    is_str(p, "/elsewhere.ini", "MAILOUT_CONFIG overrides");
    free(p);
    unsetenv("MAILOUT_CONFIG");
    unsetenv("XDG_CONFIG_HOME");
}

static void test_files(void)
{
    char *sys = write_file("sys.ini",
        "[mailout]\ndefault_account = shared\nlogfile = /var/log/x\n"
        "[defaults]\nport = 2525\n"
        "[account shared]\nhost = sys.example\nuser = sysuser\n"
        "[account sysonly]\nhost = s.example\n", 0644);
    char *usr = write_file("user.ini",
        "[account shared]\nhost = user.example\n"
        "[account mine]\ninherit = sysonly\n", 0600);
    const char *both[] = { sys, usr };
    char *pw, *pw2, *d, *nul, *lng, *big, *path;
    const struct account *a;
    struct strbuf b;

    config_free(&cfg);
    is_int(conf_load_files(&cfg, both, 2, &err), 0, "system then user file: %s", err.msg);
    a = find_acct("shared");
    ok(a && strcmp(a->host, "user.example") == 0 && a->user == NULL,
       "a section in the later file replaces the earlier one whole");
    ok(a && a->port == 2525, "  [defaults] of the earlier file still applies");
    a = find_acct("mine");
    ok(a && strcmp(a->host, "s.example") == 0, "inherit works across files");
    is_str(cfg.default_account, "shared", "[mailout] of the system file kept");
    ok(cfg.n_files == 2 && strcmp(cfg.files[1], usr) == 0, "files read are listed");
    ok(cfg.n_accounts == 3 && strcmp(cfg.accounts[0].name, "sysonly") == 0
       && strcmp(cfg.accounts[1].name, "shared") == 0, "a replacing section takes its new place");
    config_free(&cfg);

    /* -C FILE */
    is_int(config_load(&cfg, usr, &err), -1, "-C FILE alone: inherit target not there");
    is_str(err.msg, fmt("%s:4: inherit: no account named 'sysonly'", usr), "  message names the file");
    is_int(config_load(&cfg, sys, &err), 0, "-C FILE loads");
    ok(cfg.n_files == 1 && strcmp(cfg.files[0], sys) == 0, "  that file only");
    config_free(&cfg);
    path = fmt("%s/missing.ini", dir);
    is_int(config_load(&cfg, path, &err), CONFIG_UNREADABLE, "-C missing file");
    ok(err.code == EX_CONFIG, "  78");
    is_str(err.msg, fmt("cannot open %s: No such file or directory", path), "  message");

    /* MAILOUT_CONFIG, XDG; the system file of this build is usually absent */
    setenv("MAILOUT_CONFIG", usr, 1);
    if (access(config_system_path(), F_OK) == 0) {
        ok(1, "# skip: %s exists", config_system_path());
        ok(1, "# skip");
    } else {
        setenv("MAILOUT_CONFIG", sys, 1);
        is_int(config_load(&cfg, NULL, &err), 0, "MAILOUT_CONFIG is read");
        ok(cfg.n_files == 1 && strcmp(cfg.files[0], sys) == 0, "  as the user file");
        config_free(&cfg);
        setenv("MAILOUT_CONFIG", path, 1);
        is_int(config_load(&cfg, NULL, &err), CONFIG_UNREADABLE, "MAILOUT_CONFIG naming a missing file is an error");
        unsetenv("MAILOUT_CONFIG");
        setenv("XDG_CONFIG_HOME", dir, 1);
        is_int(config_load(&cfg, NULL, &err), 0, "no user file under XDG_CONFIG_HOME: fine");
        is_int(cfg.n_files, 0, "  nothing read");
        config_free(&cfg);
        mkdir(fmt("%s/mailout", dir), 0700);
        write_file("mailout/config.ini", "[account x]\nhost = xdg.example\n", 0600);
        is_int(config_load(&cfg, NULL, &err), 0, "XDG_CONFIG_HOME/mailout/config.ini is read");
        ok(cfg.n_accounts == 1 && strcmp(cfg.accounts[0].host, "xdg.example") == 0, "  its account");
        config_free(&cfg);
        unsetenv("XDG_CONFIG_HOME");
    }
    unsetenv("MAILOUT_CONFIG");

    /* permissions */
    pw = write_file("pw.ini", "[account a]\nhost = h\npassword = secret\n", 0640);
    is_int(config_load(&cfg, pw, &err), -1, "password in a group-readable file refused");
    ok(err.code == EX_CONFIG, "  78");
    is_str(err.msg, fmt("%s:3: password: this file holds a password and is readable by others; run chmod 600 %s", pw, pw),
           "  message says chmod 600");
    ok(strstr(err.msg, "secret") == NULL, "  the password is not in the message");
    chmod(pw, 0604);
    is_int(config_load(&cfg, pw, &err), -1, "password in a world-readable file refused");
    chmod(pw, 0600);
    is_int(config_load(&cfg, pw, &err), 0, "password in a 0600 file accepted");
    config_free(&cfg);
    pw2 = write_file("nopw.ini", "[account a]\nhost = h\npassword_command = pass x\n", 0644);
    is_int(config_load(&cfg, pw2, &err), 0, "no password: a 0644 file is fine");
    config_free(&cfg);

    /* hostile files */
    d = fmt("%s/adir", dir);
    mkdir(d, 0700);
    is_int(config_load(&cfg, d, &err), CONFIG_UNREADABLE, "a directory refused");
    is_str(err.msg, fmt("%s is not a regular file", d), "  message");
    nul = fmt("%s/nul.ini", dir);
    {
        FILE *f = fopen(nul, "w");
        fwrite("[account a]\nhost = h\x00x\n", 1, 22, f);
        fclose(f);
    }
    is_int(config_load(&cfg, nul, &err), -1, "a NUL byte refused");
    is_str(err.msg, fmt("%s:2: NUL byte in the file", nul), "  message names the line");
    strbuf_init(&b, 0);
    strbuf_appendf(&b, "[account a]\nhost = h\nuser = ");
    for (int i = 0; i < 5000; i++)
        strbuf_append(&b, "x", 1);
    strbuf_appendf(&b, "\n");
    lng = write_file("long.ini", b.data, 0600);
    is_int(config_load(&cfg, lng, &err), -1, "a 5000-byte line refused");
    is_str(err.msg, fmt("%s:3: line longer than 4096 bytes", lng), "  message");
    strbuf_reset(&b);
    strbuf_appendf(&b, "[account a]\nhost = h\nuser = ");
    for (int i = 0; i < 4000; i++)
        strbuf_append(&b, "y", 1);
    strbuf_appendf(&b, "\n");
    lng = write_file("long2.ini", b.data, 0600);
    is_int(config_load(&cfg, lng, &err), 0, "a 4000-byte line is fine");
    ok(cfg.n_accounts == 1 && strlen(cfg.accounts[0].user) == 4000, "  value kept whole");
    config_free(&cfg);
    strbuf_reset(&b);
    strbuf_appendf(&b, "[account a]\nhost = h\nuser = ");
    for (int i = 0; i < 10 * 1024 * 1024; i += 1024) {
        char chunk[1024];
        memset(chunk, 'z', sizeof chunk);
        strbuf_append(&b, chunk, sizeof chunk);
    }
    big = write_file("big.ini", b.data, 0600);
    is_int(config_load(&cfg, big, &err), CONFIG_UNREADABLE, "a 10 MB line refused");
    is_str(err.msg, fmt("%s is larger than 1048576 bytes", big), "  message");
    strbuf_free(&b);
    is_int(config_load(&cfg, "/dev/null", &err), 0, "-C /dev/null: an empty configuration");
    is_int(cfg.n_accounts, 0, "  no accounts");
    config_free(&cfg);
    is_int(config_load(&cfg, "/dev/zero", &err), CONFIG_UNREADABLE, "-C /dev/zero refused");
    is_str(err.msg, "/dev/zero is not a regular file", "  message");
}

/* msmtp's syntax: the first line that is not INI is named, with the hint. */
static void test_msmtp(void)
{
    bad("# msmtp\ndefaults\nauth on\n\naccount gmail\nhost smtp.gmail.com\n"
        "tls_fingerprint AB:CD\n",
        "t.ini:2: this looks like an msmtp file (\"defaults\" without '='): convert it with mailout --import-msmtprc t.ini",
        "msmtp file");
    bad("account gmail\nhost h\n",
        "t.ini:1: this looks like an msmtp file (\"account\" without '='): convert it with mailout --import-msmtprc t.ini",
        "msmtp file starting with account");
    /* a later line inih would take for "key: value" is not the one named */
    bad("[account a]\nhost = h\nfoo bar\nx = 1\ntls_fingerprint AB:CD\n",
        "t.ini:3: syntax error (expected key = value, a comment or [section])",
        "first bad line named, not a later one");
}

/* config_check_load: every problem of every file, the good accounts built,
 * each key's origin through [defaults] and inherit. */
/* fallback (mailout(1) CONFIGURATION): the account's own list, checked at
 * load, walked depth first with every account once. */
static void test_fallback(void)
{
    const struct account *chain[8];
    const struct account *a;
    size_t n;

    is_int(load("[account work]\nhost = w\nfallback = backup, other\n"
                "[account backup]\ninherit = work\nhost = b\nfallback = other\n"
                "[account other]\nhost = o\nfallback = last\n"
                "[account last]\nhost = l\n"
                "[account child]\ninherit = work\n"), 0, "fallback loads: %s", err.msg);
    a = find_acct("work");
    ok(a && a->fallback && strcmp(a->fallback, "backup, other") == 0, "work's list as written");
    a = find_acct("child");
    ok(a && a->fallback == NULL, "fallback is not inherited (child of work has none)");
    a = find_acct("backup");
    ok(a && a->fallback && strcmp(a->fallback, "other") == 0,
       "backup inherits work but not its fallback (no self-reference)");
    n = fallback_chain(&cfg, find_acct("work"), chain);
    is_int((int)n, 4, "work's chain: four servers");
    if (n == 4)
        ok(chain[0] == find_acct("work") && chain[1] == find_acct("backup")
           && chain[2] == find_acct("other") && chain[3] == find_acct("last"),
           "  work, backup, other (backup's), last (other's): each once, in order");
    n = fallback_chain(&cfg, find_acct("last"), chain);
    ok(n == 1 && chain[0] == find_acct("last"), "no fallback: the account alone");
    bad("[account a]\nhost = h\nfallback = nope\n",
        "t.ini:3: fallback: no account named 'nope'", "fallback unknown");
    bad("[account a]\nhost = h\n\nfallback = b a\n[account b]\nhost = h\n",
        "t.ini:4: fallback: account a cannot fall back to itself", "fallback itself");
    bad("[account a]\nhost = h\nfallback = b\n[account b]\nhost = h\nfallback = c\n"
        "[account c]\nhost = h\nfallback = a\n",
        "t.ini:9: fallback: fallback cycle: a -> b -> c -> a", "fallback cycle");
    bad("[account a]\nhost = h\nfallback = b,,c d!\n",
        "t.ini:3: fallback: 'd!' is not an account name (letters, digits, . _ - @ +; at most 64)",
        "fallback bad name");
    bad("[defaults]\nfallback = a\n[account a]\nhost = h\n",
        "t.ini:2: fallback: belongs in an account section ([account NAME]), not in [defaults]: each account has its own",
        "fallback in [defaults] (only one)");
}

static void test_fallback_check_load(void)
{
    const char *path = write_file("fallback.ini",
        "[account a]\nhost = h\nfallback = b nope\n"
        "[account b]\nhost = h\nfallback = c\n"
        "[account c]\nhost = h\nfallback = a\n"
        "[account d]\nhost = h\nfallback = d\n", 0600);

    config_free(&cfg);
    memset(&err, 0, sizeof err);
    is_int(config_check_load(&cfg, path, &err), 0, "fallback check load: returns 0");
    is_int((int)cfg.n_problems, 3, "fallback check load: three problems in one run");
    if (cfg.n_problems == 3) {
        ok(strstr(cfg.problems[0], "fallback.ini:3: fallback: no account named 'nope'") != NULL,
           "  unknown: %s", cfg.problems[0]);
        ok(strstr(cfg.problems[1], "fallback.ini:12: fallback: account d cannot fall back to itself") != NULL,
           "  itself: %s", cfg.problems[1]);
        ok(strstr(cfg.problems[2], "fallback.ini:9: fallback: fallback cycle: a -> b -> c -> a") != NULL,
           "  cycle: %s", cfg.problems[2]);
    }
}

static void test_check_load(void)
{
    const char *path = write_file("check.ini",
        "[defaults]\nport = 465\ntimeout = 20\n"
        "[account a]\nhost = h\nprot = 1\ntimeout = 30\n"
        "[weird]\nx = 1\n"
        "[account b]\ninherit = a\ntls = implicit\nport = 99999\n"
        "[account c]\ninherit = nowhere\nhost = h\n"
        "bad line\n", 0600);
    const struct account *a, *b;
    const struct conf_origin *o;

    config_free(&cfg);
    memset(&err, 0, sizeof err);
    is_int(config_check_load(&cfg, path, &err), 0, "check load: returns 0 with problems");
    is_int((int)cfg.n_problems, 5, "check load: all five problems found");
    if (cfg.n_problems == 5) {
        ok(strstr(cfg.problems[0], "check.ini:6: prot: unknown key") != NULL, "  unknown key: %s", cfg.problems[0]);
        ok(strstr(cfg.problems[1], "check.ini:8: unknown section [weird]") != NULL, "  section: %s", cfg.problems[1]);
        ok(strstr(cfg.problems[2], "check.ini:13: port: '99999'") != NULL, "  bad value: %s", cfg.problems[2]);
        ok(strstr(cfg.problems[3], "check.ini:17: syntax error") != NULL, "  syntax: %s", cfg.problems[3]);
        ok(strstr(cfg.problems[4], "check.ini:15: inherit: no account named 'nowhere'") != NULL, "  inherit: %s", cfg.problems[4]);
    }
    is_int((int)cfg.n_accounts, 2, "check load: the two good accounts are built");
    a = find_acct("a");
    b = find_acct("b");
    ok(a != NULL && b != NULL, "  a and b");
    if (a == NULL || b == NULL)
        return;
    o = conf_key_origin(a, "timeout");
    ok(o->file != NULL && o->line == 7 && strcmp(o->section, "[account a]") == 0, "  a's timeout from line 7");
    ok(a->overridden[conf_key_origin(a, "timeout") - a->origin].line == 3, "  overriding [defaults] line 3");
    o = conf_key_origin(b, "timeout");
    ok(o->line == 7 && strcmp(o->section, "[account a]") == 0, "  b's timeout inherited from [account a]");
    o = conf_key_origin(b, "port");
    ok(o->line == 2 && strcmp(o->section, "[defaults]") == 0, "  b's port from [defaults] (its own was bad)");
    ok(conf_key_origin(b, "auth")->file == NULL, "  auth: built-in default");
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("HOME", dir, 1);
    test_defaults();
    test_all_keys();
    test_errors();
    test_inherit();
    test_select();
    test_helpers();
    test_files();
    test_user_path();
    test_msmtp();
    test_check_load();
    test_fallback();
    test_fallback_check_load();
    config_free(&cfg);
    {
        char *cmd = xasprintf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
        free(cmd);
    }
    return done_testing();
}
