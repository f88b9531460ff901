/* test-aliases.c - the aliases file: loading, resolution, its errors. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "aliases.h"
#include "util.h"

static char dir[] = "/tmp/test-aliases.XXXXXX";
static int file_no;

static char *write_file(const char *text)
{
    char *path = xasprintf("%s/aliases%d", dir, ++file_no);
    FILE *f = fopen(path, "w");

    if (f == NULL || fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f) != 0) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }
    return path;
}

static struct aliases *load_ok(const char *text, const char *what)
{
    char *path = write_file(text);
    struct aliases *al = NULL;
    struct mo_err err = { 0, "" };

    if (!ok(aliases_load(&al, path, &err) == 0 && al != NULL, "load: %s", what))
        diag("%s", err.msg);
    free(path);
    return al;
}

static void load_err(const char *text, int code, const char *want, const char *what)
{
    char *path = write_file(text);
    struct aliases *al = (struct aliases *)1;
    struct mo_err err = { 0, "" };
    int rc = aliases_load(&al, path, &err);
    char *full = xasprintf("%s:%s", path, want);

    if (!ok(rc == -1 && al == NULL && err.code == code && strstr(err.msg, full) != NULL,
            "load error: %s", what))
        diag("rc=%d code=%d msg=%s (want %s)", rc, err.code, err.msg, full);
    free(full);
    free(path);
}

/* Resolution as one line, "a, b", or "ERROR code: message". */
static char *resolve(const struct aliases *al, const char *name)
{
    char **out = NULL;
    size_t n = 0;
    struct mo_err err = { 0, "" };
    struct strbuf b;

    strbuf_init(&b, 0);
    if (aliases_resolve(al, name, &out, &n, &err) != 0) {
        strbuf_appendf(&b, "ERROR %d: %s", err.code, err.msg);
        if (n != 0 || out != NULL)
            strbuf_appendf(&b, " (and %zu results left)", n);
    } else {
        for (size_t i = 0; i < n; i++)
            strbuf_appendf(&b, "%s%s", i ? ", " : "", out[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(out[i]);
    free(out);
    return strbuf_detach(&b, NULL);
}

static void resolves(const struct aliases *al, const char *name, const char *want,
                     const char *what)
{
    char *got = resolve(al, name);
    is_str(got, want, "resolve: %s", what);
    free(got);
}

static void resolve_err(const struct aliases *al, const char *name, int code,
                        const char *want, const char *what)
{
    char *got = resolve(al, name);
    char *prefix = xasprintf("ERROR %d: ", code);

    if (!ok(strncmp(got, prefix, strlen(prefix)) == 0 && strstr(got, want) != NULL
            && strstr(got, "results left") == NULL, "resolve error: %s", what))
        diag("got: %s (want %s)", got, want);
    free(prefix);
    free(got);
}

static void basics(void)
{
    struct aliases *al = load_ok(
        "# /etc/aliases as Debian ships it, plus ours\n"
        "mailer-daemon: postmaster\n"
        "postmaster: root\n"
        "root: Admin <admin@example.com>, ops@example.org\n"
        "\n"
        "  # an indented comment\n"
        "Team: alice@example.com,\n"
        "      bob@example.com,\n"
        "\t\"Carol, C.\" <carol@example.com>\n"
        "crlf: crlf@example.com\r\n"
        "self: self@example.com, postmaster\n"
        "literal: u@[192.0.2.1]\n", "a typical file");
    if (al == NULL)
        return;
    resolves(al, "root", "admin@example.com, ops@example.org", "one level, display name dropped");
    resolves(al, "postmaster", "admin@example.com, ops@example.org", "two levels");
    resolves(al, "mailer-daemon", "admin@example.com, ops@example.org", "three levels");
    resolves(al, "ROOT", "admin@example.com, ops@example.org", "names are case-insensitive");
    resolves(al, "team", "alice@example.com, bob@example.com, carol@example.com",
             "continuation lines");
    resolves(al, "crlf", "crlf@example.com", "CRLF line ends");
    resolves(al, "self", "self@example.com, admin@example.com, ops@example.org",
             "mixed qualified and local targets");
    resolves(al, "literal", "u@[192.0.2.1]", "domain literal target");
    resolves(al, "someone@example.net", "someone@example.net", "a qualified address passes through");
    resolve_err(al, "nobody", 67, "unknown local name \"nobody\"", "no alias and no default is EX_NOUSER");
    resolve_err(al, "bad\nname", 65, "control character", "a name with a line break is refused");

    /* Results are appended to what the caller already has. */
    char **out = xcalloc(1, sizeof *out);
    size_t n = 1;
    struct mo_err err = { 0, "" };
    out[0] = xstrdup("first@example.com");
    int rc = aliases_resolve(al, "root", &out, &n, &err);
    ok(rc == 0 && n == 3 && strcmp(out[0], "first@example.com") == 0
       && strcmp(out[2], "ops@example.org") == 0, "resolve appends to the caller's list");
    rc = aliases_resolve(al, "nobody", &out, &n, &err);
    ok(rc == -1 && n == 3, "a failed resolve leaves the caller's list as it was");
    for (size_t i = 0; i < n; i++)
        free(out[i]);
    free(out);
    aliases_free(al);
}

static void defaults(void)
{
    struct aliases *al = load_ok(
        "root: admin\n"
        "admin: admin@example.com\n"
        "default: catchall@example.com\n"
        "orphan: nosuchname\n", "with a default");
    if (al == NULL)
        return;
    resolves(al, "root", "admin@example.com", "a known name ignores the default");
    resolves(al, "www-data", "catchall@example.com", "an unknown name goes to default");
    resolves(al, "orphan", "catchall@example.com", "an unknown target goes to default");
    resolves(al, "default", "catchall@example.com", "default itself");
    aliases_free(al);

    al = load_ok("DEFAULT: root\nroot: r@example.com\n", "default naming a local alias");
    if (al) {
        resolves(al, "cron", "r@example.com", "default resolved recursively");
        aliases_free(al);
    }
    al = load_ok("default: nobody\n", "default pointing to nothing");
    if (al) {
        resolve_err(al, "cron", 67, "unknown local name \"nobody\"",
                    "default to an unknown name is EX_NOUSER naming it");
        aliases_free(al);
    }
}

static void loops_and_depth(void)
{
    struct aliases *al = load_ok(
        "a: b\nb: c\nc: a\n"
        "self: self\n"
        "d1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\nd7: d8\nd8: end@example.com\n"
        "e1: e2\ne2: e3\ne3: e4\ne4: e5\ne5: e6\ne6: e7\ne7: e8\ne8: e9\ne9: end@example.com\n"
        "diamond: x, y\nx: z\ny: z\nz: z@example.com\n", "loops and chains");
    if (al == NULL)
        return;
    resolve_err(al, "a", 78, "alias loop: a -> b -> c -> a", "a three-alias loop");
    resolve_err(al, "b", 78, "alias loop: b -> c -> a -> b", "the same loop from b");
    resolve_err(al, "self", 78, "alias loop: self -> self", "an alias naming itself");
    resolve_err(al, "a", 78, ":3: alias loop", "the loop message names file:line");
    resolves(al, "d1", "end@example.com", "eight levels are allowed");
    resolve_err(al, "e1", 78, "nested deeper than 8 levels", "nine levels are refused");
    resolves(al, "diamond", "z@example.com", "two paths to one address give it once");
    aliases_free(al);

    /* Exponential fan-out is cut short by expanding each alias once. */
    struct strbuf b;
    strbuf_init(&b, 0);
    for (int lvl = 0; lvl < 7; lvl++) {
        strbuf_appendf(&b, "f%d:", lvl);
        for (int k = 0; k < 50; k++)
            strbuf_appendf(&b, "%s f%d", k ? "," : "", lvl + 1);
        strbuf_appendf(&b, "\n");
    }
    strbuf_appendf(&b, "f7: fan@example.com\n");
    al = load_ok(b.data, "fan-out of 50^7");
    if (al) {
        resolves(al, "f0", "fan@example.com", "fan-out resolves quickly to one address");
        aliases_free(al);
    }
    strbuf_free(&b);
}

static void unsupported(void)
{
    struct aliases *al = load_ok(
        "root: r@example.com\n"
        "pipe: |/usr/bin/procmail -a x\n"
        "file: /var/mail/archive\n"
        "inc: :include:/etc/mail/list\n"
        "quoted: \"|/bin/cat\", x@example.com\n"
        "usespipe: pipe\n", "a system file with local deliveries");
    if (al == NULL)
        return;
    resolves(al, "root", "r@example.com", "other entries work");
    resolve_err(al, "pipe", 78, "alias \"pipe\" (for \"pipe\") delivers to a pipe", "pipe refused when used");
    resolve_err(al, "file", 78, "a pipe, file or :include:", "file refused when used");
    resolve_err(al, "inc", 78, ":4: alias \"inc\"", "include refused, naming file:line");
    resolve_err(al, "quoted", 78, "a pipe, file", "quoted pipe refused");
    resolve_err(al, "usespipe", 78, "alias \"pipe\" (for \"pipe\")", "refused through another alias");
    aliases_free(al);
}

static void load_errors(void)
{
    load_err("root: a@b.example\nthis line has no colon\n", 78, "2: expected \"name: address",
             "line without a colon");
    load_err("  indented: x@y.example\n", 78, "1: continuation line without an alias",
             "continuation first");
    load_err("# c\n\nroot: admin@example.com\nbad: a@\n", 78, "4: alias \"bad\": malformed address \"a@\": empty domain",
             "bad address, with file:line and the text");
    load_err("root: \"unterminated\n", 78, "1: alias \"root\": malformed address", "unterminated quote");
    load_err("root:\n", 78, "1: alias \"root\" has no address", "empty value");
    load_err("root: undisclosed:;\n", 78, "1: alias \"root\" has no address", "empty group value");
    load_err(": a@b.example\n", 78, "1: alias name missing", "no name");
    load_err("two words: a@b.example\n", 78, "1: bad alias name", "name with a space");
    load_err("a@b: c@d.example\n", 78, "1: bad alias name", "qualified name");
    load_err("root: a@b.example\nx: y@z.example\nRoot: c@d.example\n", 78,
             "3: duplicate alias \"Root\" (first on line 1)", "duplicate name");
    load_err("root: a@b.example\x01\n", 65, "1: control character", "control character in a target");
    load_err("root: a@b.example,\n  evil@x.example\rRCPT\n", 65, "2: control character",
             "CR inside a continuation line");
    {
        char text[] = "root: a@b.example\nx: c\0d@e.example\n";
        char *path = xasprintf("%s/nul", dir);
        FILE *f = fopen(path, "w");
        fwrite(text, 1, sizeof text - 1, f);
        fclose(f);
        struct aliases *al = NULL;
        struct mo_err err = { 0, "" };
        char *want = xasprintf("%s:2: control character", path);
        ok(aliases_load(&al, path, &err) == -1 && err.code == 65
           && strstr(err.msg, want) != NULL, "load error: NUL byte in a line");
        free(want);
        free(path);
    }
}

static void missing_and_unreadable(void)
{
    struct aliases *al = NULL;
    struct mo_err err = { 0, "" };
    char *path = xasprintf("%s/does-not-exist", dir);

    ok(aliases_load(&al, path, &err) == 0 && al != NULL, "missing file loads as empty");
    if (al) {
        resolves(al, "a@b.example", "a@b.example", "empty table: qualified passes");
        resolve_err(al, "root", 67, "neither an alias nor a default in", "empty table: local name is EX_NOUSER");
        aliases_free(al);
    }
    al = NULL;
    ok(aliases_load(&al, NULL, &err) == 0 && al != NULL, "no path configured loads as empty");
    if (al) {
        resolve_err(al, "root", 67, "unknown local name \"root\" (no domain, and no aliases file",
                    "no path: local name is EX_NOUSER");
        aliases_free(al);
    }
    al = (struct aliases *)1;
    ok(aliases_load(&al, dir, &err) == -1 && err.code == 78 && al == NULL
       && strstr(err.msg, dir) != NULL, "a directory is a configuration error naming it");
    free(path);
    path = xasprintf("%s/fifo", dir);
    al = (struct aliases *)1;
    ok(mkfifo(path, 0600) == 0 && aliases_load(&al, path, &err) == -1 && err.code == 78
       && al == NULL && strstr(err.msg, "not a regular file") != NULL,
       "a FIFO is refused without blocking");
    free(path);
    if (geteuid() != 0) {
        char *p = write_file("root: a@b.example\n");
        chmod(p, 0);
        al = NULL;
        ok(aliases_load(&al, p, &err) == -1 && err.code == 78, "unreadable file is EX_CONFIG");
        free(p);
    }
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    basics();
    defaults();
    loops_and_depth();
    unsupported();
    load_errors();
    missing_and_unreadable();
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    free(cmd);
    return done_testing();
}
