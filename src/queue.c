/* queue.c - the on-disk queue. One file per message, named by its ID:
 *
 *   mailout-queue 1           format line
 *   key: value                envelope and attempt state, one field a line
 *   ...
 *   (blank line)
 *   header block, LF line ends
 *   (blank line)
 *   body, LF line ends
 *
 * A whole file is one rename, so an entry is either complete or absent, and
 * one lock covers it. The sizes in the envelope let a truncated file be told
 * from a complete one. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "queue.h"

/* The envelope part is text; this bounds what a damaged file can make us
 * allocate (many thousand recipients still fit). */
#define QUEUE_ENVELOPE_LIMIT (16 * 1024 * 1024)

char *queue_dir_path(const struct config *cfg)
{
    if (cfg && cfg->queue_dir && cfg->queue_dir[0])
        return xstrdup(cfg->queue_dir);
    return config_default_queue_dir();
}

static int check_dir(const char *dir, struct mo_err *err)
{
    struct stat st;

    if (stat(dir, &st) != 0)
        return mo_err_set(err, EX_CANTCREAT, _("queue directory %s: %s"),
                          dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mo_err_set(err, EX_CANTCREAT, _("queue directory %s is not a directory"), dir);
    if (st.st_uid != geteuid())
        return mo_err_set(err, EX_NOPERM,
                          _("queue directory %s belongs to another user"), dir);
    if (st.st_mode & 077)
        return mo_err_set(err, EX_NOPERM,
                          _("queue directory %s is open to other users (mode %03o); chmod 700 it"),
                          dir, (unsigned)(st.st_mode & 0777));
    return 0;
}

static int make_dir(const char *dir, struct mo_err *err)
{
    if (mkdir_p(dir, 0700) != 0)
        return mo_err_set(err, EX_CANTCREAT, _("cannot create queue directory %s: %s"),
                          dir, strerror(errno));
    return check_dir(dir, err);
}

static int make_subdir(const char *qdir, const char *sub, struct mo_err *err)
{
    char *p = xasprintf("%s/%s", qdir, sub);
    struct stat st;
    /* tmp/, failed/, corrupt/ are ours: a symbolic link there was planted */
    int rc = lstat(p, &st) == 0 && S_ISLNK(st.st_mode)
             ? mo_err_set(err, EX_NOPERM, _("queue directory %s is a symbolic link"), p)
             : make_dir(p, err);

    free(p);
    return rc;
}

int queue_prepare(const char *qdir, struct mo_err *err)
{
    umask(077);
    if (make_dir(qdir, err) != 0)
        return -1;
    return make_subdir(qdir, "tmp", err);
}

const char *queue_spool_dir(const struct config *cfg)
{
    static char *spool;
    struct mo_err err;
    const char *tmp;
    char *qdir;

    if (spool)
        return spool;
    qdir = queue_dir_path(cfg);
    if (queue_prepare(qdir, &err) == 0)
        spool = xasprintf("%s/tmp", qdir);
    free(qdir);
    if (spool)
        return spool;
    tmp = getenv("TMPDIR");
    return (tmp && tmp[0]) ? tmp : "/tmp";
}

long queue_backoff(unsigned attempts)
{
    long d = QUEUE_BACKOFF_FIRST;

    for (unsigned i = 1; i < attempts && d < QUEUE_BACKOFF_MAX; i++)
        d *= 2;
    return d < QUEUE_BACKOFF_MAX ? d : QUEUE_BACKOFF_MAX;
}

bool queue_id_valid(const char *name)
{
    return is_hex_name(name, QUEUE_ID_LEN, true);
}

static void new_id(char id[QUEUE_ID_LEN + 1])
{
    struct timeval tv;
    uint16_t r;

    gettimeofday(&tv, NULL);
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint16_t)(tv.tv_usec ^ getpid());
    snprintf(id, QUEUE_ID_LEN + 1, "%06lX%04X",
             (unsigned long)tv.tv_sec & 0xFFFFFFUL, (unsigned)r);
}

/* ------------------------------------------------------------ low-level I/O */


int queue_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Puts tmp in place as dir/name without replacing anything: link() fails on
 * an existing name, which is how an ID stays unique. Filesystems without
 * hard links get a checked rename. */
static int place_file(const char *tmp, const char *dir, const char *name)
{
    char *dst = xasprintf("%s/%s", dir, name);
    int rc = link(tmp, dst);

    if (rc != 0 && errno != EEXIST) {
        struct stat st;
        if (lstat(dst, &st) == 0) {
            errno = EEXIST;
        } else {
            rc = rename(tmp, dst);
        }
    } else if (rc == 0) {
        unlink(tmp);
    }
    free(dst);
    return rc;
}

/* Puts tmp in place as dir/id, or dir/id.1, dir/id.2 ... when that is taken
 * (an entry moved into failed/ or corrupt/ twice); fills name. */
static int place_free_name(const char *tmp, const char *dir, const char *id,
                           char *name, size_t size)
{
    for (int i = 0; i <= 100; i++) {
        if (i == 0)
            snprintf(name, size, "%s", id);
        else
            snprintf(name, size, "%s.%d", id, i);
        if (place_file(tmp, dir, name) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

/* ---------------------------------------------------------- envelope text */

static void put_field(struct strbuf *b, const char *key, const char *value)
{
    strbuf_appendf(b, "%s: ", key);
    /* a value is one line: a newline in a server's reply must not start a
     * new field */
    for (const char *p = value; *p; p++) {
        char c = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
        strbuf_append(b, &c, 1);
    }
    strbuf_append(b, "\n", 1);
}

static void render_envelope(struct strbuf *b, const struct queue_entry *e)
{
    strbuf_appendf(b, "%s\n", QUEUE_FORMAT_LINE);
    put_field(b, "id", e->id);
    put_field(b, "account", e->account ? e->account : "");
    strbuf_appendf(b, "arrival: %lld\n", (long long)e->arrival);
    strbuf_appendf(b, "attempts: %u\n", e->attempts);
    strbuf_appendf(b, "next-try: %lld\n", (long long)e->next_try);
    put_field(b, "last-error", e->last_error ? e->last_error : "");
    put_field(b, "sender", e->env.sender && e->env.sender[0] ? e->env.sender : "<>");
    for (size_t i = 0; i < e->env.n_rcpts; i++)
        put_field(b, "recipient", e->env.rcpts[i]);
    if (e->env.dsn_notify)
        put_field(b, "dsn-notify", e->env.dsn_notify);
    if (e->env.dsn_ret)
        put_field(b, "dsn-ret", e->env.dsn_ret);
    if (e->env.dsn_envid)
        put_field(b, "dsn-envid", e->env.dsn_envid);
    if (e->env.submitter)
        put_field(b, "submitter", e->env.submitter);
    strbuf_appendf(b, "size: %" PRIu64 "\n", e->size);
    strbuf_appendf(b, "header-size: %" PRIu64 "\n", e->header_len);
    strbuf_appendf(b, "body-size: %" PRIu64 "\n", e->body_size);
    strbuf_appendf(b, "body-lines: %" PRIu64 "\n", e->body_crlf_extra);
    strbuf_appendf(b, "8bit: %s\n", e->has_8bit ? "yes" : "no");
    strbuf_appendf(b, "long-lines: %s\n", e->has_long_lines ? "yes" : "no");
    strbuf_append(b, "\n", 1);
}

static int parse_u64(const char *v, uint64_t *out)
{
    char *end;
    unsigned long long n;

    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || *end)
        return -1;
    *out = n;
    return 0;
}

static void add_rcpt(struct envelope *env, const char *v)
{
    env->rcpts = xreallocarray(env->rcpts, env->n_rcpts + 1, sizeof *env->rcpts);
    env->rcpts[env->n_rcpts++] = xstrdup(v);
}

/* One "key: value" line into e; returns -1 for an unknown key or a bad
 * number. Unknown keys are an error so that a newer format is not
 * half-understood. */
static int parse_field(struct queue_entry *e, const char *key, const char *v)
{
    uint64_t n;

    if (strcmp(key, "recipient") == 0) {
        add_rcpt(&e->env, v);
        return 0;
    }
    if (strcmp(key, "id") == 0)
        return queue_id_valid(v) ? (memcpy(e->id, v, QUEUE_ID_LEN + 1), 0) : -1;
#define STR_FIELD(k, dst) \
    if (strcmp(key, k) == 0) { free(dst); dst = xstrdup(v); return 0; }
    STR_FIELD("account", e->account)
    STR_FIELD("last-error", e->last_error)
    STR_FIELD("sender", e->env.sender)
    STR_FIELD("dsn-notify", e->env.dsn_notify)
    STR_FIELD("dsn-ret", e->env.dsn_ret)
    STR_FIELD("dsn-envid", e->env.dsn_envid)
    STR_FIELD("submitter", e->env.submitter)
#undef STR_FIELD
    if (strcmp(key, "8bit") == 0 || strcmp(key, "long-lines") == 0) {
        bool *b = key[0] == '8' ? &e->has_8bit : &e->has_long_lines;
        if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
            return -1;
        *b = v[0] == 'y';
        return 0;
    }
    if (parse_u64(v, &n) != 0)
        return -1;
    if (strcmp(key, "arrival") == 0)
        e->arrival = (time_t)n;
    else if (strcmp(key, "attempts") == 0)
        e->attempts = n > 1000000 ? 1000000 : (unsigned)n;
    else if (strcmp(key, "next-try") == 0)
        e->next_try = (time_t)n;
    else if (strcmp(key, "size") == 0)
        e->size = n;
    else if (strcmp(key, "header-size") == 0)
        e->header_len = n;
    else if (strcmp(key, "body-size") == 0)
        e->body_size = n;
    else if (strcmp(key, "body-lines") == 0)
        e->body_crlf_extra = n;
    else
        return -1;
    return 0;
}

/* Reads up to and including the blank line that ends the envelope. */
static int read_envelope_text(int fd, struct strbuf *b, size_t *end)
{
    char buf[8192];
    off_t off = 0;

    for (;;) {
        ssize_t r = pread(fd, buf, sizeof buf, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        size_t old = b->len;
        if (strbuf_append(b, buf, (size_t)r) != 0)
            return -1;
        off += r;
        /* look for "\n\n" from one byte before the new data */
        for (size_t i = old ? old - 1 : 0; i + 1 < b->len; i++) {
            if (b->data[i] == '\n' && b->data[i + 1] == '\n') {
                *end = i + 2;
                return 0;
            }
        }
    }
}

static int damaged(struct mo_err *err, const char *what)
{
    return mo_err_set(err, EX_DATAERR, _("damaged queue file: %s"), what);
}

static int check_file(int fd, struct stat *st, struct mo_err *err)
{
    if (fstat(fd, st) != 0)
        return mo_err_set(err, EX_IOERR, "fstat: %s", strerror(errno));
    if (!S_ISREG(st->st_mode))
        return damaged(err, _("not a regular file"));
    if (st->st_uid != geteuid())
        return damaged(err, _("owned by another user"));
    if (st->st_mode & 077)
        return mo_err_set(err, EX_DATAERR,
                          _("damaged queue file: mode %03o, not 600"),
                          (unsigned)(st->st_mode & 0777));
    return 0;
}

/* The envelope's lines (text, NUL-terminated, ending in a newline) into e. */
static int parse_envelope_lines(char *text, struct queue_entry *e, struct mo_err *err)
{
    char *line = text, *next = strchr(line, '\n');

    *next = '\0';
    if (strcmp(line, QUEUE_FORMAT_LINE) != 0)
        return damaged(err, _("unknown format line"));
    for (line = next + 1; *line; line = next + 1) {
        char *colon;
        next = strchr(line, '\n');
        *next = '\0';
        if ((colon = strstr(line, ": ")) == NULL)
            return damaged(err, _("a line without \"key: value\""));
        *colon = '\0';
        if (parse_field(e, line, colon + 2) != 0)
            return damaged(err, _("unknown key or bad value"));
    }
    if (!e->id[0] || !e->account || !e->env.sender || e->env.n_rcpts == 0 || !e->arrival)
        return damaged(err, _("a required field is missing"));
    if (strcmp(e->env.sender, "<>") == 0)
        e->env.sender[0] = '\0';
    if (!e->last_error)
        e->last_error = xstrdup("");
    return 0;
}

/* The file holds exactly the envelope, the header block, the blank line and
 * the body the envelope announces. */
static int check_entry_size(int fd, const struct stat *st, const struct queue_entry *e,
                            struct mo_err *err)
{
    char c = 0;

    if ((uint64_t)st->st_size
            != (uint64_t)e->header_offset + e->header_len + 1 + e->body_size)
        return damaged(err, _("its size does not match its envelope (truncated?)"));
    if (pread(fd, &c, 1, e->header_offset + (off_t)e->header_len) != 1 || c != '\n')
        return damaged(err, _("no blank line after the header block"));
    return 0;
}

int queue_entry_read(int fd, struct queue_entry *e, struct mo_err *err)
{
    struct strbuf b;
    struct stat st;
    size_t end = 0;
    int rc = -1;

    memset(e, 0, sizeof *e);
    if (check_file(fd, &st, err) != 0)
        return -1;
    strbuf_init(&b, QUEUE_ENVELOPE_LIMIT);
    if (read_envelope_text(fd, &b, &end) != 0)
        damaged(err, _("no complete envelope"));
    /* the lines are C strings: a NUL byte would end one early */
    else if (memchr(b.data, '\0', end) != NULL)
        damaged(err, _("a NUL byte in its envelope"));
    else {
        b.data[end - 1] = '\0';
        e->header_offset = (off_t)end;
        rc = parse_envelope_lines(b.data, e, err) == 0
             && check_entry_size(fd, &st, e, err) == 0 ? 0 : -1;
    }
    strbuf_free(&b);
    if (rc != 0)
        queue_entry_free(e);
    return rc;
}

void queue_entry_free(struct queue_entry *e)
{
    free(e->account);
    free(e->last_error);
    envelope_free(&e->env);
    memset(e, 0, sizeof *e);
}

int queue_entry_message(int fd, const struct queue_entry *e,
                        struct message *msg, struct mo_err *err)
{
    char *text;
    off_t body = e->header_offset + (off_t)e->header_len + 1;
    int rc;

    memset(msg, 0, sizeof *msg);
    msg->body_fd = -1;
    if (e->header_len > MESSAGE_HEADER_LIMIT)
        return damaged(err, _("header block too large"));
    text = xmalloc((size_t)e->header_len + 1);
    if (pread(fd, text, (size_t)e->header_len, e->header_offset) != (ssize_t)e->header_len) {
        free(text);
        return damaged(err, _("short header block"));
    }
    text[e->header_len] = '\0';
    rc = header_block_parse(text, (size_t)e->header_len, &msg->headers, err);
    free(text);
    if (rc != 0)
        return -1;
    msg->body_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (msg->body_fd < 0 || lseek(msg->body_fd, body, SEEK_SET) < 0) {
        header_block_free(&msg->headers);
        return mo_err_set(err, EX_OSERR, "dup: %s", strerror(errno));
    }
    msg->body_offset = body;
    msg->body_size = e->body_size;
    msg->body_crlf_extra = e->body_crlf_extra;
    msg->has_8bit = e->has_8bit;
    msg->has_long_lines = e->has_long_lines;
    return 0;
}

/* -------------------------------------------------------------- writing */

/* Fills the open file fd with e's envelope text and then the message bytes
 * from write_rest(arg, fd), durably. */
static int fill_file(int fd, const struct queue_entry *e,
                     int (*write_rest)(const void *, int), const void *arg)
{
    struct strbuf b;
    int rc = -1;

    strbuf_init(&b, 0);
    if (e != NULL)
        render_envelope(&b, e);
    if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0
        && write_full(fd, b.data, b.len) == 0 && write_rest(arg, fd) == 0
        && fchmod(fd, 0600) == 0 && fsync(fd) == 0)
        rc = 0;
    strbuf_free(&b);
    return rc;
}

/* Writes e and the message bytes into a new file in qdir/tmp and puts it in
 * place as dir/ID without replacing anything: with fresh_id, id when set
 * and free, else a fresh ID each try (the envelope e names it, so the file
 * is rewritten); without, id under a free name (place_free_name). e NULL:
 * write_rest writes the whole file, which does not name its ID. */
static int write_entry(const char *qdir, const char *sub, struct queue_entry *e,
                       char id[QUEUE_ID_LEN + 1], bool fresh_id,
                       int (*write_rest)(const void *, int), const void *arg,
                       struct mo_err *err)
{
    char *tmp = xasprintf("%s/tmp/q.XXXXXX", qdir);
    char *dir = sub ? xasprintf("%s/%s", qdir, sub) : xstrdup(qdir);
    char name[QUEUE_ID_LEN + 16];
    int fd = -1, rc = -1, placed = -1;

    if (queue_prepare(qdir, err) != 0 || (sub && make_subdir(qdir, sub, err) != 0))
        goto out;
    if ((fd = mkstemp(tmp)) < 0) {
        mo_err_set(err, EX_CANTCREAT, _("cannot create a file in %s/tmp: %s"),
                   qdir, strerror(errno));
        goto out;
    }
    for (int tries = 0; tries < (fresh_id ? 100 : 1) && placed != 0; tries++) {
        if (fresh_id && (tries > 0 || id[0] == '\0'))
            new_id(id);
        if ((tries == 0 || e != NULL) && fill_file(fd, e, write_rest, arg) != 0) {
            mo_err_set(err, EX_IOERR, _("cannot write queue file in %s: %s"),
                       qdir, strerror(errno));
            goto out;
        }
        placed = fresh_id ? place_file(tmp, dir, id)
                          : place_free_name(tmp, dir, id, name, sizeof name);
        if (placed != 0 && errno != EEXIST)
            break;
    }
    if (placed != 0)
        mo_err_set(err, EX_CANTCREAT, errno == EEXIST ? _("no free queue ID in %s: %s")
                   : _("cannot put queue file into %s: %s"), dir, strerror(errno));
    else if (queue_sync_dir(dir) != 0)
        mo_err_set(err, EX_IOERR, _("cannot sync %s: %s"), dir, strerror(errno));
    else
        rc = 0;
out:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    free(dir);
    return rc;
}

int queue_write_file(const char *qdir, const char *sub,
                     int (*write_all)(const void *arg, int fd), const void *arg,
                     char id[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    id[0] = '\0';
    return write_entry(qdir, sub, NULL, id, true, write_all, arg, err);
}

static int write_new_rest(const void *arg, int fd)
{
    struct mo_err err;

    return message_write(arg, fd, &err);
}

int queue_write_new(const char *qdir, const char *subdir, const char *account,
                    const struct envelope *env, const struct message *msg,
                    const char *reason, unsigned attempts, time_t next_try,
                    char id[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    struct queue_entry e;
    int rc;

    memset(&e, 0, sizeof e);
    e.account = (char *)account;
    e.env = *env;
    e.arrival = time(NULL);
    e.attempts = attempts;
    e.next_try = next_try;
    e.last_error = (char *)(reason ? reason : "");
    for (size_t i = 0; i < msg->headers.n; i++)
        e.header_len += msg->headers.fields[i].raw_len;
    e.body_size = msg->body_size;
    e.body_crlf_extra = msg->body_crlf_extra;
    e.has_8bit = msg->has_8bit;
    e.has_long_lines = msg->has_long_lines;
    e.size = message_wire_size(msg);
    rc = write_entry(qdir, subdir, &e, e.id, true, write_new_rest, msg, err);
    if (rc == 0)
        memcpy(id, e.id, QUEUE_ID_LEN + 1);
    return rc;
}

struct old_entry_src {
    int fd;
    const struct queue_entry *e;
};

static int write_old_rest(const void *arg, int fd)
{
    const struct old_entry_src *s = arg;

    return copy_fd_range(s->fd, s->e->header_offset, s->e->header_len + 1 + s->e->body_size, fd);
}

int queue_entry_update(const char *qdir, int fd, const struct queue_entry *e,
                       struct mo_err *err)
{
    struct old_entry_src src = { fd, e };
    struct queue_entry copy = *e;
    char *tmp = xasprintf("%s/tmp/u.XXXXXX", qdir);
    char *path = xasprintf("%s/%s", qdir, e->id);
    struct strbuf b;
    int out, rc = -1;

    /* an update replaces the entry, so this is a rename over it, not
     * write_entry's no-clobber placing */
    strbuf_init(&b, 0);
    render_envelope(&b, &copy);
    out = mkstemp(tmp);
    if (out < 0 || write_full(out, b.data, b.len) != 0 || write_old_rest(&src, out) != 0
        || fsync(out) != 0 || rename(tmp, path) != 0 || queue_sync_dir(qdir) != 0) {
        mo_err_set(err, EX_IOERR, _("cannot update queue file %s: %s"), path, strerror(errno));
        unlink(tmp);
    } else {
        rc = 0;
    }
    if (out >= 0)
        close(out);
    strbuf_free(&b);
    free(tmp);
    free(path);
    return rc;
}

/* Copies a file that is not readable as an entry into qdir/sub byte for
 * byte. */
static int copy_aside(const char *qdir, const char *id, int fd, const char *sub,
                      struct mo_err *err)
{
    char *tmp = xasprintf("%s/tmp/c.XXXXXX", qdir);
    char *dir = xasprintf("%s/%s", qdir, sub);
    char name[64];
    struct stat st;
    int out = -1, rc = -1;

    if (make_subdir(qdir, sub, err) != 0)
        goto out;
    if ((out = mkstemp(tmp)) >= 0 && fstat(fd, &st) == 0
        && copy_fd_range(fd, 0, (uint64_t)st.st_size, out) == 0 && fsync(out) == 0
        && place_free_name(tmp, dir, id, name, sizeof name) == 0)
        rc = 0;
    else
        mo_err_set(err, EX_IOERR, _("cannot copy %s/%s into %s: %s"),
                   qdir, id, dir, strerror(errno));
out:
    if (out >= 0)
        close(out);
    unlink(tmp);
    free(tmp);
    free(dir);
    return rc;
}

int queue_entry_move(const char *qdir, const char *id, int fd,
                     const struct queue_entry *e, const char *sub,
                     const char *reason, struct mo_err *err)
{
    char *path = xasprintf("%s/%s", qdir, id);
    int rc;

    if (e) {
        struct queue_entry copy = *e;
        struct old_entry_src src = { fd, e };
        copy.last_error = (char *)(reason ? reason : e->last_error);
        rc = write_entry(qdir, sub, &copy, copy.id, false, write_old_rest, &src, err);
    } else {
        rc = copy_aside(qdir, id, fd, sub, err);
    }
    if (rc == 0 && (unlink(path) != 0 || queue_sync_dir(qdir) != 0))
        rc = mo_err_set(err, EX_IOERR, _("cannot remove %s: %s"), path, strerror(errno));
    free(path);
    return rc;
}

int queue_entry_remove(const char *qdir, const char *id, struct mo_err *err)
{
    char *path = xasprintf("%s/%s", qdir, id);
    int rc = 0;

    if (unlink(path) != 0)
        rc = mo_err_set(err, EX_IOERR, _("cannot remove %s: %s"), path, strerror(errno));
    free(path);
    return rc;
}

int queue_entry_requeue(const char *qdir, const char *name, int fd,
                        const struct queue_entry *e, char id[QUEUE_ID_LEN + 1],
                        struct mo_err *err)
{
    struct queue_entry copy = *e;
    struct old_entry_src src = { fd, e };
    char *fdir = xasprintf("%s/failed", qdir);
    int rc;

    /* a fresh start: due now, and max_queue_age counts from now */
    copy.attempts = 0;
    copy.next_try = 0;
    copy.arrival = time(NULL);
    rc = write_entry(qdir, NULL, &copy, copy.id, true, write_old_rest, &src, err);
    if (rc == 0) {
        memcpy(id, copy.id, QUEUE_ID_LEN + 1);
        if (queue_entry_remove(fdir, name, err) != 0 || queue_sync_dir(fdir) != 0)
            rc = -1;
    }
    free(fdir);
    return rc;
}

/* -------------------------------------------------------------- locking */

/* Open-file-description locks where the system has them: unlike flock they
 * can be tested without being taken (mailq's '*'), and unlike POSIX record
 * locks closing another descriptor of the file does not drop them. */
static int lock_nb(int fd)
{
#ifdef F_OFD_SETLK
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno != EINVAL)
        return -1;
#endif
    return flock(fd, LOCK_EX | LOCK_NB);
}

bool queue_is_locked(int fd)
{
#ifdef F_OFD_GETLK
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_OFD_GETLK, &fl) == 0)
        return fl.l_type != F_UNLCK;
#endif
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        return true;
    flock(fd, LOCK_UN);
    return false;
}

int queue_open_locked(const char *qdir, const char *id, struct mo_err *err)
{
    char *path = xasprintf("%s/%s", qdir, id);
    struct stat a, b;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

    if (fd < 0) {
        int e = errno;
        free(path);
        if (e == ENOENT)
            return -2;          /* delivered or moved by another run */
        mo_err_set(err, EX_NOINPUT, _("queue file %s: %s"), id, strerror(e));
        return -1;
    }
    if (lock_nb(fd) != 0) {
        close(fd);
        free(path);
        return -2;
    }
    /* the lock may be on a file that the holder before us removed or
     * replaced after we opened it: only the current name counts */
    if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_ino != b.st_ino
        || a.st_dev != b.st_dev || a.st_nlink == 0) {
        close(fd);
        free(path);
        return -2;
    }
    free(path);
    return fd;
}

/* ------------------------------------------------------------- listing */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The IDs in qdir, sorted (arrival order). */
static size_t list_ids(const char *qdir, char ***ids)
{
    DIR *d = opendir(qdir);
    struct dirent *de;
    size_t n = 0;

    *ids = NULL;
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (!queue_id_valid(de->d_name))
            continue;
        *ids = xreallocarray(*ids, n + 1, sizeof **ids);
        (*ids)[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(*ids, n, sizeof **ids, cmp_str);
    return n;
}

void queue_scan_begin(struct queue_scan *sc, const char *qdir)
{
    memset(sc, 0, sizeof *sc);
    sc->qdir = qdir;
    sc->fd = -1;
    sc->n = list_ids(qdir, &sc->ids);
}

int queue_scan_next(struct queue_scan *sc, struct queue_entry *e, struct mo_err *err)
{
    if (sc->fd >= 0)
        close(sc->fd);
    sc->fd = -1;
    while (sc->i < sc->n) {
        char *path = xasprintf("%s/%s", sc->qdir, sc->ids[sc->i]);
        sc->id = sc->ids[sc->i++];
        sc->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        free(path);
        if (sc->fd < 0)
            continue;           /* delivered or moved since the directory was read */
        return queue_entry_read(sc->fd, e, err) == 0 ? 1 : -1;
    }
    return 0;
}

void queue_scan_end(struct queue_scan *sc)
{
    if (sc->fd >= 0)
        close(sc->fd);
    for (size_t i = 0; i < sc->n; i++)
        free(sc->ids[i]);
    free(sc->ids);
    memset(sc, 0, sizeof *sc);
    sc->fd = -1;
}

bool queue_has_entries(const char *qdir)
{
    DIR *d = opendir(qdir);
    struct dirent *de;
    bool found = false;

    while (d != NULL && !found && (de = readdir(d)) != NULL)
        found = queue_id_valid(de->d_name);
    if (d != NULL)
        closedir(d);
    return found;
}
