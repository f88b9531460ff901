/* test-queue.c - the queue file format: round trip, damage, modes, locks,
 * updates, moves and the mailq listing. */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util.h"
#include "queue.h"
#include "queuerun.h"
#include "queueadmin.h"
#include "tap.h"

static char qdir[256];

static char *slurp_fd(int fd, off_t off, size_t *len)
{
    struct strbuf b;
    char buf[4096];
    ssize_t r;

    strbuf_init(&b, 0);
    while ((r = pread(fd, buf, sizeof buf, off)) > 0) {
        strbuf_append(&b, buf, (size_t)r);
        off += r;
    }
    if (b.data == NULL)
        strbuf_append(&b, "", 0);
    return strbuf_detach(&b, len);
}

static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    size_t len;
    char *s;

    if (fd < 0)
        return NULL;
    s = slurp_fd(fd, 0, &len);
    close(fd);
    return s;
}

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void make_message(struct message *m, const char *headers, const char *body)
{
    char tmpl[300];
    struct mo_err err;

    memset(m, 0, sizeof *m);
    snprintf(tmpl, sizeof tmpl, "%s/tmp/body.XXXXXX", qdir);
    m->body_fd = mkstemp(tmpl);
    unlink(tmpl);
    if (write(m->body_fd, body, strlen(body)) != (ssize_t)strlen(body))
        abort();
    m->body_size = strlen(body);
    for (const char *p = body; *p; p++)
        m->body_crlf_extra += *p == '\n';
    if (header_block_parse(headers, strlen(headers), &m->headers, &err) != 0)
        diag("header_block_parse: %s", err.msg);
}

static void make_env(struct envelope *e, const char *sender, const char *r1, const char *r2)
{
    memset(e, 0, sizeof *e);
    e->sender = xstrdup(sender);
    e->rcpts = xcalloc(2, sizeof *e->rcpts);
    e->rcpts[e->n_rcpts++] = xstrdup(r1);
    if (r2)
        e->rcpts[e->n_rcpts++] = xstrdup(r2);
}

static int open_entry(const char *id)
{
    char *p = xasprintf("%s/%s", qdir, id);
    int fd = open(p, O_RDWR);
    free(p);
    return fd;
}

static char *entry_path(const char *sub, const char *id)
{
    return sub ? xasprintf("%s/%s/%s", qdir, sub, id) : xasprintf("%s/%s", qdir, id);
}

/* Writes raw bytes as a queue entry named id, mode 0600. */
static void write_raw(const char *id, const char *bytes, size_t n, int mode)
{
    char *p = entry_path(NULL, id);
    int fd;

    unlink(p);      /* a fresh file: owner and mode of an earlier case go */
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, bytes, n) != (ssize_t)n)
        abort();
    fchmod(fd, (mode_t)mode);
    close(fd);
    free(p);
}

static void test_basics(void)
{
    struct mo_err err;
    char *tmp = xasprintf("%s/tmp", qdir);

    is_int(queue_backoff(1), 300, "first retry after 5 min");
    is_int(queue_backoff(2), 600, "then 10 min");
    is_int(queue_backoff(5), 4800, "doubling");
    is_int(queue_backoff(7), 14400, "capped at 4 h");
    is_int(queue_backoff(4000000000u), 14400, "no overflow for a huge count");
    ok(queue_id_valid("AA19C7C4CC"), "a 10-hex-digit ID is valid");
    ok(!queue_id_valid("AA19C7C4C"), "9 digits are not");
    ok(!queue_id_valid("aa19c7c4cc"), "lower case is not");
    ok(!queue_id_valid("../etc/pas"), "a path is not");
    is_int(queue_prepare(qdir, &err), 0, "queue_prepare");
    is_int(mode_of(qdir), 0700, "queue dir is 0700");
    is_int(mode_of(tmp), 0700, "tmp/ is 0700");
    chmod(qdir, 0755);
    ok(queue_prepare(qdir, &err) == -1 && err.code == EX_NOPERM,
       "a queue dir open to others is refused: %s", err.msg);
    chmod(qdir, 0700);
    free(tmp);
}

static void test_round_trip(char id[QUEUE_ID_LEN + 1])
{
    struct message m, back;
    struct envelope env;
    struct queue_entry e;
    struct mo_err err;
    const char *hdr = "From: me@example.com\nSubject: test\n folded\n";
    const char *body = "line 1\n.dot line\n\xc3\xa9t\xc3\xa9\n";
    char *path, *file, *b;
    size_t blen;
    int fd;

    make_message(&m, hdr, body);
    m.has_8bit = true;
    make_env(&env, "me@example.com", "a@b.example", "c@d.example");
    env.dsn_notify = xstrdup("SUCCESS,FAILURE");
    env.dsn_ret = xstrdup("HDRS");
    env.dsn_envid = xstrdup("env-1");
    is_int(queue_write_new(qdir, NULL, "work", &env, &m, "451 4.3.0 try\r\nlater", 1,
                           1000, id, &err), 0, "queue_write_new");
    ok(queue_id_valid(id), "new ID %s is valid", id);
    path = entry_path(NULL, id);
    is_int(mode_of(path), 0600, "entry is 0600");
    file = slurp(path);
    ok(file && strncmp(file, "mailout-queue 1\nid: ", 20) == 0, "format line first");
    ok(file && strstr(file, "\nlast-error: 451 4.3.0 try  later\n") != NULL,
       "a newline in the reason cannot start a new field");
    ok(file && strstr(file, "\n\nFrom: me@example.com\nSubject: test\n folded\n\nline 1\n") != NULL,
       "envelope, blank line, header block, blank line, body");
    free(file);

    fd = open(path, O_RDONLY);
    is_int(queue_entry_read(fd, &e, &err), 0, "queue_entry_read");
    is_str(e.id, id, "id");
    is_str(e.account, "work", "account");
    is_str(e.env.sender, "me@example.com", "sender");
    is_int(e.env.n_rcpts, 2, "two recipients");
    is_str(e.env.rcpts[1], "c@d.example", "second recipient");
    is_str(e.env.dsn_notify, "SUCCESS,FAILURE", "dsn notify");
    is_str(e.env.dsn_ret, "HDRS", "dsn ret");
    is_str(e.env.dsn_envid, "env-1", "dsn envid");
    is_int(e.attempts, 1, "attempts");
    is_int(e.next_try, 1000, "next-try");
    is_str(e.last_error, "451 4.3.0 try  later", "last error");
    is_int(e.body_size, strlen(body), "body size");
    is_int(e.body_crlf_extra, 3, "body lines");
    ok(e.has_8bit && !e.has_long_lines, "flags");
    is_int(e.size, strlen(hdr) + 3 + 2 + strlen(body) + 3, "size counts CRLF");
    is_int(queue_entry_message(fd, &e, &back, &err), 0, "queue_entry_message");
    is_int(back.headers.n, 2, "two header fields back");
    is_int(back.body_offset, e.header_offset + (off_t)strlen(hdr) + 1, "body offset");
    b = slurp_fd(back.body_fd, back.body_offset, &blen);
    is_str(b, body, "body back byte for byte");
    is_int(lseek(back.body_fd, 0, SEEK_CUR), back.body_offset, "body fd positioned at the body");
    free(b);
    header_block_free(&back.headers);
    close(back.body_fd);
    queue_entry_free(&e);
    close(fd);
    free(path);
    header_block_free(&m.headers);
    close(m.body_fd);
    envelope_free(&env);
}

static void test_null_sender_and_failed(void)
{
    struct message m;
    struct envelope env;
    struct queue_entry e;
    struct mo_err err;
    char id[QUEUE_ID_LEN + 1], *path;
    int fd;

    make_message(&m, "Subject: bounce\n", "");
    make_env(&env, "", "x@y.example", NULL);
    is_int(queue_write_new(qdir, "failed", "work", &env, &m, "550 no", 1, 0, id, &err), 0,
           "write into failed/");
    path = entry_path("failed", id);
    is_int(mode_of(path), 0600, "failed/ entry 0600");
    fd = open(path, O_RDONLY);
    is_int(queue_entry_read(fd, &e, &err), 0, "read back an empty body");
    is_str(e.env.sender, "", "null sender round trip");
    is_int(e.body_size, 0, "empty body");
    queue_entry_free(&e);
    close(fd);
    free(path);
    path = xasprintf("%s/failed", qdir);
    is_int(mode_of(path), 0700, "failed/ is 0700");
    free(path);
    header_block_free(&m.headers);
    close(m.body_fd);
    envelope_free(&env);
}

static void expect_damaged(const char *what, const char *bytes, size_t n, int mode,
                           const char *why)
{
    struct queue_entry e;
    struct mo_err err = { 0, "" };
    int fd;

    write_raw("0000000001", bytes, n, mode);
    fd = open_entry("0000000001");
    ok(queue_entry_read(fd, &e, &err) == -1 && err.code == EX_DATAERR
       && strstr(err.msg, why) != NULL, "damaged (%s): %s", what, err.msg);
    close(fd);
}

static void test_damage(const char *id)
{
    char *path = entry_path(NULL, id), *good = slurp(path), *bad;
    size_t len = strlen(good);
    char *corrupt;
    struct mo_err err;
    int fd;

    expect_damaged("empty", "", 0, 0600, "no complete envelope");
    expect_damaged("garbage", "\x01\x02garbage\n\n", 11, 0600, "unknown format line");
    expect_damaged("truncated by one byte", good, len - 1, 0600, "size does not match");
    expect_damaged("truncated in the envelope", good, 40, 0600, "no complete envelope");
    bad = xasprintf("%s!", good);
    expect_damaged("a byte too many", bad, len + 1, 0600, "size does not match");
    free(bad);
    expect_damaged("mode 0644", good, len, 0644, "mode 644");
    if (geteuid() == 0) {
        char *p = entry_path(NULL, "0000000001");
        struct queue_entry e;
        struct mo_err err2 = { 0, "" };
        write_raw("0000000001", good, len, 0600);
        fd = -1;
        if (chown(p, 65534, (gid_t)-1) == 0)
            fd = open(p, O_RDONLY);
        ok(fd >= 0 && queue_entry_read(fd, &e, &err2) == -1 && strstr(err2.msg, "another user"),
           "damaged (owned by another user): %s", err2.msg);
        if (fd >= 0)
            close(fd);
        free(p);
    } else {
        ok(1, "# SKIP owner test needs root");
    }
    bad = xstrdup(good);
    memcpy(strstr(bad, "attempts:"), "attempt?:", 9);
    expect_damaged("unknown key", bad, len, 0600, "unknown key");
    memcpy(strstr(bad, "attempt?:"), "attempts:", 9);
    memcpy(strstr(bad, "next-try: ") + 10, "x", 1);
    expect_damaged("bad number", bad, len, 0600, "bad value");
    free(bad);
    bad = xstrdup(good);
    bad[0] = 'M';
    expect_damaged("wrong format line", bad, len, 0600, "unknown format line");
    free(bad);
    {
        const char *norcpt = "mailout-queue 1\nid: 0000000001\naccount: a\narrival: 5\n"
                             "attempts: 0\nnext-try: 0\nlast-error: \nsender: a@b\n"
                             "size: 0\nheader-size: 0\nbody-size: 0\nbody-lines: 0\n"
                             "8bit: no\nlong-lines: no\n\n\n";
        expect_damaged("no recipient", norcpt, strlen(norcpt), 0600, "required field");
    }
    /* a damaged entry moves aside byte for byte */
    write_raw("0000000001", "garbage\n", 8, 0644);
    fd = open_entry("0000000001");
    is_int(queue_entry_move(qdir, "0000000001", fd, NULL, "corrupt", NULL, &err), 0,
           "damaged entry moved to corrupt/");
    close(fd);
    corrupt = entry_path("corrupt", "0000000001");
    bad = slurp(corrupt);
    is_str(bad, "garbage\n", "corrupt/ copy keeps the bytes");
    is_int(mode_of(corrupt), 0600, "corrupt/ copy is 0600");
    free(bad);
    free(corrupt);
    bad = entry_path(NULL, "0000000001");
    ok(access(bad, F_OK) != 0, "and is gone from the queue");
    free(bad);
    free(good);
    free(path);
}

static void test_update_lock_move(const char *id)
{
    struct queue_entry e, e2;
    struct mo_err err;
    char *path = entry_path(NULL, id), *failed;
    int fd, probe;

    fd = queue_open_locked(qdir, id, &err);
    ok(fd >= 0, "queue_open_locked");
    is_int(queue_open_locked(qdir, id, &err), -2, "a second lock is refused at once");
    probe = open(path, O_RDONLY);
    ok(queue_is_locked(probe), "mailq sees it locked");
    is_int(queue_entry_read(fd, &e, &err), 0, "read under lock");
    e.attempts = 4;
    e.next_try = 123456;
    free(e.last_error);
    e.last_error = xstrdup("421 later");
    is_int(queue_entry_update(qdir, fd, &e, &err), 0, "queue_entry_update");
    close(probe);
    probe = open(path, O_RDONLY);
    is_int(queue_entry_read(probe, &e2, &err), 0, "read the update");
    is_int(e2.attempts, 4, "attempts updated");
    is_int(e2.next_try, 123456, "next-try updated");
    is_str(e2.last_error, "421 later", "last error updated");
    is_int(e2.body_size, e.body_size, "body kept");
    is_int(mode_of(path), 0600, "updated entry still 0600");
    ok(!queue_is_locked(probe), "the replaced file is not locked (a new inode)");
    queue_entry_free(&e2);
    queue_entry_free(&e);
    close(probe);
    close(fd);

    fd = queue_open_locked(qdir, id, &err);
    ok(fd >= 0, "lock again after release");
    is_int(queue_entry_read(fd, &e, &err), 0, "read");
    is_int(queue_entry_move(qdir, id, fd, &e, "failed", "550 5.1.1 no such user", &err), 0,
           "move to failed/");
    close(fd);
    ok(access(path, F_OK) != 0, "gone from the queue");
    failed = entry_path("failed", id);
    probe = open(failed, O_RDONLY);
    is_int(queue_entry_read(probe, &e2, &err), 0, "failed/ copy is a valid entry");
    is_str(e2.last_error, "550 5.1.1 no such user", "with the reason");
    queue_entry_free(&e2);
    queue_entry_free(&e);
    close(probe);
    free(failed);
    free(path);
}

static void test_listing(void)
{
    struct config cfg;
    struct message m;
    struct envelope env;
    struct queue_entry e;
    struct mo_err err;
    char id[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1], *out = NULL, *want;
    size_t outlen;
    FILE *f;
    int fd;
    struct tm tm = { .tm_year = 122, .tm_mon = 0, .tm_mday = 27, .tm_hour = 15,
                     .tm_min = 47, .tm_sec = 10 };

    memset(&cfg, 0, sizeof cfg);
    cfg.queue_dir = xasprintf("%s/list", qdir);
    f = open_memstream(&out, &outlen);
    queue_list(&cfg, f, NULL, &err);
    fclose(f);
    is_str(out, "Mail queue is empty\n", "empty queue (no directory yet)");
    free(out);

    make_message(&m, "Subject: x\n", "hello\n");
    make_env(&env, "user@remoteserver.com", "someone@somewhere.com", NULL);
    queue_write_new(cfg.queue_dir, NULL, "work", &env, &m, "", 0, 0, id, &err);
    fd = queue_open_locked(cfg.queue_dir, id, &err);
    queue_entry_read(fd, &e, &err);
    e.arrival = mktime(&tm);
    e.size = 298;
    queue_entry_update(cfg.queue_dir, fd, &e, &err);
    queue_entry_free(&e);
    close(fd);
    envelope_free(&env);
    make_env(&env, "", "a@b.example", "c@d.example");
    queue_write_new(cfg.queue_dir, NULL, "work", &env, &m,
                    "connect to smtp.example.com: Connection refused", 1, 0, id2, &err);
    fd = queue_open_locked(cfg.queue_dir, id2, &err);
    queue_entry_read(fd, &e, &err);
    tm.tm_mday = 5;
    e.arrival = mktime(&tm);
    e.size = 1500;
    queue_entry_update(cfg.queue_dir, fd, &e, &err);
    queue_entry_free(&e);
    close(fd);
    /* hold the lock of the first one, as a running -q would */
    fd = queue_open_locked(cfg.queue_dir, id, &err);

    f = open_memstream(&out, &outlen);
    queue_list(&cfg, f, NULL, &err);
    fclose(f);
    {
        char b1[256], b2[512];
        /* both are due: their next attempt is the next queue run */
        snprintf(b1, sizeof b1, "%s*     298 Thu Jan 27 15:47:10  user@remoteserver.com\n"
                 "(next attempt: at the next queue run)\n"
                 "                                         someone@somewhere.com\n\n", id);
        snprintf(b2, sizeof b2, "%s     1500 Wed Jan  5 15:47:10  MAILER-DAEMON\n"
                 "(connect to smtp.example.com: Connection refused)\n"
                 "(next attempt: at the next queue run)\n"
                 "                                         a@b.example\n"
                 "                                         c@d.example\n\n", id2);
        want = xasprintf("-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
                         "%s%s-- 2 Kbytes in 2 Requests.\n",
                         strcmp(id, id2) < 0 ? b1 : b2, strcmp(id, id2) < 0 ? b2 : b1);
    }
    /* line by line, so that a failure shows which line */
    {
        char *g = out, *w = want;
        int line = 1, same = 1;
        while (*g || *w) {
            char *ge = strchr(g, '\n'), *we = strchr(w, '\n');
            size_t gl = ge ? (size_t)(ge - g) : strlen(g), wl = we ? (size_t)(we - w) : strlen(w);
            char *gs = xstrndup(g, gl), *ws = xstrndup(w, wl);
            is_str(gs, ws, "mailq line %d", line);
            same &= strcmp(gs, ws) == 0;
            free(gs);
            free(ws);
            g += gl + (ge ? 1 : 0);
            w += wl + (we ? 1 : 0);
            line++;
        }
        ok(same, "mailq output as Postfix prints it");
    }
    free(want);
    free(out);
    close(fd);

    is_int(queue_delete(&cfg, id, &err), 0, "queue_delete");
    ok(queue_delete(&cfg, id, &err) == -1 && err.code == EX_NOINPUT,
       "deleting it again: %s", err.msg);
    fd = queue_open_locked(cfg.queue_dir, id2, &err);
    ok(queue_delete(&cfg, id2, &err) == -1 && err.code == EX_TEMPFAIL,
       "a locked entry is not deleted: %s", err.msg);
    close(fd);
    f = open_memstream(&out, &outlen);
    queue_list(&cfg, f, NULL, &err);
    fclose(f);
    ok(strstr(out, "-- 2 Kbytes in 1 Request.\n") != NULL, "singular Request, size rounded up");
    free(out);
    free(cfg.queue_dir);
    header_block_free(&m.headers);
    close(m.body_fd);
    envelope_free(&env);
}

static void test_unique_ids(void)
{
    struct message m;
    struct envelope env;
    struct mo_err err;
    char ids[50][QUEUE_ID_LEN + 1];
    int dup = 0, fails = 0;

    make_message(&m, "Subject: x\n", "x\n");
    make_env(&env, "a@b", "c@d", NULL);
    for (int i = 0; i < 50; i++)
        fails += queue_write_new(qdir, "uniq", "w", &env, &m, "", 0, 0, ids[i], &err) != 0;
    for (int i = 0; i < 50; i++)
        for (int j = i + 1; j < 50; j++)
            dup += strcmp(ids[i], ids[j]) == 0;
    ok(fails == 0 && dup == 0, "50 entries in one second get 50 IDs");
    header_block_free(&m.headers);
    close(m.body_fd);
    envelope_free(&env);
}

int main(void)
{
    char id[QUEUE_ID_LEN + 1];
    char *rm;

    setenv("TZ", "UTC", 1);
    tzset();
    snprintf(qdir, sizeof qdir, "%s/mailout-tq.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(qdir) == NULL)
        return 1;
    strncat(qdir, "/queue", sizeof qdir - strlen(qdir) - 1);
    test_basics();
    test_round_trip(id);
    test_null_sender_and_failed();
    test_damage(id);
    test_update_lock_move(id);
    test_listing();
    test_unique_ids();
    rm = xasprintf("rm -rf '%.*s'", (int)(strlen(qdir) - 6), qdir);
    if (system(rm) != 0)
        diag("cleanup failed");
    free(rm);
    return done_testing();
}
