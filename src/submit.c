/* submit.c - mailout-submit, the set-group-id helper of system mode (mailout(1) REPLACING THE LOCAL MTA):
 * the only privileged code a local user can run. It is written for a hostile
 * caller: it clears the environment, reads no configuration, opens no network
 * connection and touches no secret. It checks the envelope with the rules of
 * the main program (dropfile.c, address.c), reads the message (at most
 * DROP_SIZE_LIMIT bytes) and writes both, with the caller's uid and name, as
 * one entry in SPOOLDIR/incoming/UID/ (write, fsync, rename). Root's queue
 * run picks it up. With -bp it lists the caller's own entries still there.
 *
 *   mailout-submit [-i] [-t] [-f ADDR] [-F NAME] [-N V] [-R V] [-V V] [--] RCPT...
 *   mailout-submit -bp */
#include "config.h"
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "dropfile.h"

#ifndef SPOOLDIR
#define SPOOLDIR "/var/spool/mailout"
#endif
#define INCOMING SPOOLDIR "/incoming"

static int die(int code, const char *msg)
{
    fprintf(stderr, "mailout-submit: %s\n", msg);
    return code;
}

static int die_err(const struct mo_err *e)
{
    return die(e->code, e->msg);
}

/* Options that would read or reveal configuration get a reason. */
static int refuse_option(const char *a, struct mo_err *err)
{
    if (strncmp(a, "-C", 2) == 0 || strcmp(a, "--config") == 0)
        return mo_err_set(err, EX_USAGE, "%s",
                          _("-C is refused: the submit helper reads no configuration (run mailout -C FILE yourself)"));
    if (strcmp(a, "--debug") == 0 || strcmp(a, "-d") == 0)
        return mo_err_set(err, EX_USAGE, "%s",
                          _("--debug is refused: the submit helper never shows the system configuration"));
    return mo_err_set(err, EX_USAGE, _("option %.40s is not accepted (only -i -t -f -F -N -R -V and -bp)"), a);
}

static int take(char **slot, int *i, int argc, char **argv, struct mo_err *err)
{
    if (*slot != NULL || *i + 1 >= argc)
        return mo_err_set(err, EX_USAGE, _("%s needs one value, once"), argv[*i]);
    *slot = xstrdup(argv[++*i]);
    return 0;
}

static int parse_args(int argc, char **argv, struct drop_envelope *d, bool *dots,
                      bool *list, struct mo_err *err)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "-oi") == 0) {
            *dots = false;
        } else if (strcmp(a, "-t") == 0) {
            d->read_recipients = true;
        } else if (strcmp(a, "-bp") == 0) {
            *list = true;
        } else if (strcmp(a, "-f") == 0) {
            rc = take(&d->sender, &i, argc, argv, err);
        } else if (strcmp(a, "-F") == 0) {
            rc = take(&d->full_name, &i, argc, argv, err);
        } else if (strcmp(a, "-N") == 0) {
            rc = take(&d->notify, &i, argc, argv, err);
        } else if (strcmp(a, "-R") == 0) {
            rc = take(&d->ret, &i, argc, argv, err);
        } else if (strcmp(a, "-V") == 0) {
            rc = take(&d->envid, &i, argc, argv, err);
        } else {
            rc = refuse_option(a, err);
        }
        if (rc != 0)
            return -1;
    }
    if (argc - i > DROP_RCPTS_MAX)
        return mo_err_set(err, EX_USAGE, _("more than %d recipient arguments"), DROP_RCPTS_MAX);
    for (; i < argc; i++) {
        d->rcpts = xreallocarray(d->rcpts, d->n_rcpts + 1, sizeof *d->rcpts);
        d->rcpts[d->n_rcpts++] = xstrdup(argv[i]);
    }
    return 0;
}

/* Standard descriptors open (on /dev/null if the caller closed them), every
 * other one closed, nothing inherited from the environment. True when stdin
 * was closed: then there is no message, never an empty one. */
static bool sanitize(void)
{
    /* glibc itself puts /dev/full, write-only, on a closed stdin of a
     * set-group-id program: not readable counts as closed */
    int fl = fcntl(0, F_GETFL);
    bool stdin_closed = fl < 0 || (fl & O_ACCMODE) == O_WRONLY;

    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
            _exit(EX_OSERR);
    closefrom(3);
    clearenv();
    umask(077);
    return stdin_closed;
}

/* SPOOLDIR/incoming/UID, made if missing; it must be ours and 0700. */
static int open_own_dir(bool create, struct mo_err *err)
{
    char name[32];
    struct stat st;
    int in, fd;

    snprintf(name, sizeof name, "%lu", (unsigned long)getuid());
    in = open(INCOMING, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return mo_err_set(err, EX_UNAVAILABLE,
                          _("%s: %s (is mailout installed for system mode? see mailout(1))"),
                          INCOMING, strerror(errno));
    if (create && mkdirat(in, name, 0700) != 0 && errno != EEXIST) {
        mo_err_set(err, EX_CANTCREAT, _("cannot create %s/%s: %s"), INCOMING, name, strerror(errno));
        close(in);
        return -1;
    }
    fd = openat(in, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(in);
    if (fd < 0)
        return mo_err_set(err, errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s/%s: %s",
                          INCOMING, name, strerror(errno));
    if (fstat(fd, &st) != 0 || st.st_uid != getuid() || (st.st_mode & 07777) != 0700) {
        close(fd);
        return mo_err_set(err, EX_NOPERM,
                          _("%s/%s is not yours or not mode 0700; ask the administrator"),
                          INCOMING, name);
    }
    return fd;
}


/* Copies stdin to fd; without -i a line of a single "." ends it (sendmail).
 * 1: over the limit. */
static int copy_message(int fd, bool dots)
{
    char in[65536], out[65536 + 4];
    unsigned long long total = 0;
    int state = 1;      /* 1: line start, 2: "." seen, 3: ".\r" seen, 0: inside */
    ssize_t n;

    while ((n = read(STDIN_FILENO, in, sizeof in)) != 0) {
        size_t o = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (ssize_t i = 0; i < n; i++) {
            char c = in[i];
            if (dots && state == 1 && c == '.') { state = 2; continue; }
            if (state == 2 && c == '\r') { state = 3; continue; }
            if ((state == 2 || state == 3) && c == '\n')
                return write_full(fd, out, o);
            if (state == 2 || state == 3) {
                out[o++] = '.';
                if (state == 3)
                    out[o++] = '\r';
            }
            out[o++] = c;
            state = c == '\n' ? 1 : 0;
        }
        total += o;
        if (total > DROP_SIZE_LIMIT)
            return 1;
        if (write_full(fd, out, o) != 0)
            return -1;
    }
    return 0;
}

static void random_name(char name[DROP_NAME_LEN + 1])
{
    unsigned char r[DROP_NAME_LEN / 2];

    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        _exit(EX_OSERR);
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(name + 2 * i, 3, "%02x", r[i]);
}

static int drop(const struct drop_envelope *d, bool dots, struct mo_err *err)
{
    char name[DROP_NAME_LEN + 1], tmp[DROP_NAME_LEN + 6];
    size_t len;
    char *text = drop_render(d, &len);
    int dir = open_own_dir(true, err), fd = -1, rc = -1;

    if (dir < 0)
        goto out;
    random_name(name);
    snprintf(tmp, sizeof tmp, ".tmp-%s", name);
    fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write_full(fd, text, len) != 0) {
        mo_err_set(err, EX_CANTCREAT, _("cannot write into %s: %s"), INCOMING, strerror(errno));
        goto out;
    }
    rc = copy_message(fd, dots);
    if (rc == 1)
        mo_err_set(err, EX_UNAVAILABLE,
                   _("the message is larger than %ld bytes (message_size_limit); refused"),
                   DROP_SIZE_LIMIT);
    else if (rc != 0 || fsync(fd) != 0 || renameat(dir, tmp, dir, name) != 0)
        rc = mo_err_set(err, EX_IOERR, _("cannot write into %s: %s"), INCOMING, strerror(errno));
out:
    if (rc != 0 && fd >= 0)
        unlinkat(dir, tmp, 0);
    if (fd >= 0)
        close(fd);
    if (dir >= 0)
        close(dir);
    free(text);
    return rc == 0 ? 0 : -1;
}

/* One entry of the caller's own directory, for -bp. */
static void list_one(int dir, const char *name)
{
    char buf[DROP_ENVELOPE_MAX];
    struct drop_envelope d;
    struct mo_err err;
    struct stat st;
    size_t body;
    ssize_t n;
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != getuid()
            || (n = read(fd, buf, sizeof buf)) <= 0
            || drop_parse(buf, (size_t)n, &d, &body, &err) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    drop_print(stdout, name, (long long)(st.st_size - (off_t)body), &d);
    drop_free(&d);
    close(fd);
}

static int list_own(void)
{
    struct mo_err err = { 0, "" };
    int dir = open_own_dir(false, &err), shown = 0;
    DIR *dp;
    struct dirent *de;

    if (dir < 0 && err.code != EX_NOINPUT)     /* none yet: nothing waits */
        return die_err(&err);
    if (dir >= 0 && (dp = fdopendir(dir)) != NULL) {
        while ((de = readdir(dp)) != NULL) {
            if (!drop_name_valid(de->d_name))
                continue;
            if (shown++ == 0)
                printf("%s\n-Queue ID-------- --Size-- ----Arrival Time---- -Sender/Recipient-------\n",
                       _("Submitted by you, waiting for the system's queue run:"));
            list_one(dirfd(dp), de->d_name);
        }
        closedir(dp);
    }
    if (shown == 0)
        printf("%s\n", _("Mail queue is empty"));
    return EX_OK;
}

int main(int argc, char **argv)
{
    struct drop_envelope d;
    struct mo_err err = { 0, "" };
    struct passwd *pw;
    bool dots = true, list = false, stdin_closed;
    int rc;

    if (getenv("MAILOUT_CONFIG") != NULL)
        return die(EX_USAGE, _("$MAILOUT_CONFIG is refused: the submit helper reads no configuration"));
    stdin_closed = sanitize();
    memset(&d, 0, sizeof d);
    if (parse_args(argc, argv, &d, &dots, &list, &err) != 0)
        return die_err(&err);
    if (list)
        return list_own();
    if (stdin_closed)
        return die(EX_NOINPUT, _("standard input is closed: there is no message to send"));
    pw = getpwuid(getuid());
    if (pw == NULL || pw->pw_name == NULL)
        return die(EX_NOUSER, _("your uid has no name in the password database"));
    d.uid = (unsigned long)getuid();
    d.user = xstrdup(pw->pw_name);
    d.time = (long long)time(NULL);
    rc = drop_check(&d, &err) == 0 ? drop(&d, dots, &err) : -1;
    drop_free(&d);
    return rc == 0 ? EX_OK : die_err(&err);
}
