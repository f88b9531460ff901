/* incoming.c - root's queue run picks up SPOOLDIR/incoming/UID/NAME, the
 * entries mailout-submit wrote for local users. Everything in there was
 * written by an untrusted caller: each entry is opened without following
 * links, checked like a damaged queue file, parsed with the bounded rules
 * of dropfile.c, and only then resolved through the system configuration. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "queue.h"
#include "log.h"
#include "dropfile.h"
#include "held.h"
#include "incoming.h"

#define INCOMING SPOOLDIR "/incoming"
#define STALE_TMP (24 * 60 * 60)    /* a helper killed mid-write left it */

struct pickup {
    const struct config *cfg;
    FILE *report;
    char *qdir;
    gid_t gid;                      /* the mailout group */
    int queued;
};

/* Moves a refused entry aside (qdir/corrupt/incoming-UID-NAME) and says why. */
static void refuse(struct pickup *p, int dir, unsigned long uid, const char *name,
                   const char *uid_name, const char *why)
{
    char *where = xasprintf("%s/corrupt", p->qdir);
    char *to = xasprintf("%s/incoming-%lu-%.64s", where, uid, name);
    char *id = xasprintf("incoming/%lu/%.64s", uid, name);
    bool moved = mkdir_p(where, 0700) == 0 && renameat(dir, name, AT_FDCWD, to) == 0;

    fprintf(p->report, _("mailout: %s refused: %s; %s\n"), id, why,
            moved ? _("moved to the queue's corrupt/") : _("left where it is"));
    log_queue_event_uid(p->cfg, "refused", id, uid_name, why);
    free(where);
    free(to);
    free(id);
}

/* The checks of a file that an untrusted user may have prepared. */
static int check_file(const struct pickup *p, const struct stat *st,
                      unsigned long uid, struct mo_err *err)
{
    if (!S_ISREG(st->st_mode))
        return mo_err_set(err, EX_DATAERR, "%s", _("not a regular file"));
    if (st->st_uid != uid)
        return mo_err_set(err, EX_DATAERR, _("owned by uid %lu, not %lu"),
                          (unsigned long)st->st_uid, uid);
    if (st->st_gid != p->gid)
        return mo_err_set(err, EX_DATAERR, "%s", _("its group is not mailout"));
    if ((st->st_mode & 07777) != 0600)
        return mo_err_set(err, EX_DATAERR, _("mode %04o, not 0600"),
                          (unsigned)(st->st_mode & 07777));
    if (st->st_nlink != 1)
        return mo_err_set(err, EX_DATAERR, "%s", _("it has more than one link"));
    if (st->st_size > p->cfg->message_size_limit + DROP_ENVELOPE_MAX)
        return mo_err_set(err, EX_DATAERR, _("larger than message_size_limit (%ld bytes)"),
                          p->cfg->message_size_limit);
    return 0;
}

static int read_envelope(int fd, const struct stat *st, long limit,
                         struct drop_envelope *d, off_t *body, struct mo_err *err)
{
    if (drop_read(fd, false, d, body, err) != 0)
        return -1;
    if (st->st_size - *body > limit)
        return mo_err_set(err, EX_DATAERR, _("the message is larger than message_size_limit (%ld bytes)"),
                          limit);
    return 0;
}

/* Errors of this machine, not of the entry: disk full, I/O, out of memory. */
static bool for_now(int code)
{
    return code == EX_IOERR || code == EX_CANTCREAT || code == EX_OSERR
        || code == EX_TEMPFAIL || code == EX_SOFTWARE;
}

/* Leaves an entry for the next run (an error of this machine, not of it). */
static void stays(struct pickup *p, unsigned long uid, const char *name, const char *why)
{
    fprintf(p->report, _("mailout: incoming/%lu/%s stays for the next run: %s\n"),
            uid, name, why);
}

/* An entry that is sound but cannot be resolved (an unknown local name, no
 * account fits) is held in failed/ for --requeue once that is fixed, and
 * its sender, who was told it was accepted, gets a bounce (queued first:
 * when that fails, the held copy is taken back and the entry stays).
 * 1 held (the entry can go), 0 it stays, -1 it could not be held. */
static int hold(struct pickup *p, int fd, off_t body, const struct drop_envelope *d,
                unsigned long uid, const char *name, const char *why)
{
    char id[QUEUE_ID_LEN + 1], bid[QUEUE_ID_LEN + 1];
    char *fdir = xasprintf("%s/failed", p->qdir);
    struct mo_err err, rerr;
    int rc = 1;

    if (held_keep_entry(p->qdir, d, fd, body, why, id, &err) != 0) {
        rc = for_now(err.code) ? 0 : -1;
        if (rc == 0)
            stays(p, uid, name, err.msg);
    } else if (held_bounce(p->cfg, p->qdir, fd, body, d, id, why, bid, &err) != 0) {
        queue_entry_remove(fdir, id, &rerr);
        stays(p, uid, name, err.msg);
        rc = 0;
    } else {
        fprintf(p->report, _("mailout: incoming/%lu/%s cannot be queued: %s; kept in failed/ as %s\n"),
                uid, name, why, id);
        if (bid[0])
            fprintf(p->report, _("mailout: a bounce to its sender is queued as %s\n"), bid);
        log_queue_failed_uid(p->cfg, id, d->user, why, bid[0] ? bid : NULL);
    }
    free(fdir);
    return rc;
}

static void take_entry(struct pickup *p, int dir, unsigned long uid, const char *name)
{
    struct passwd *pw = getpwuid((uid_t)uid);
    const char *uname = pw && pw->pw_name ? pw->pw_name : NULL;
    struct drop_envelope d;
    struct mo_err err = { 0, "" };
    char id[QUEUE_ID_LEN + 1];
    struct stat st;
    off_t body = 0;
    int held, fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    memset(&d, 0, sizeof d);
    if (fd < 0)
        mo_err_set(&err, EX_DATAERR, "%s", errno == ELOOP ? _("a symbolic link") : strerror(errno));
    else if (fstat(fd, &st) != 0 || check_file(p, &st, uid, &err) != 0
             || read_envelope(fd, &st, p->cfg->message_size_limit, &d, &body, &err) != 0)
        ;
    else if (d.uid != uid || uname == NULL || strcmp(d.user, uname) != 0)
        mo_err_set(&err, EX_DATAERR, _("it claims to come from %.64s (uid %lu)"), d.user, d.uid);
    else if (held_enqueue(p->cfg, p->qdir, fd, body, &d, d.user, id, &err) == 0) {
        unlinkat(dir, name, 0);
        p->queued++;
        log_queue_event_uid(p->cfg, "queued", id, uname, NULL);
    } else if (for_now(err.code)) {
        stays(p, uid, name, err.msg);   /* the entry is sound: the next run tries again */
        err.code = 0;
    } else if ((held = hold(p, fd, body, &d, uid, name, err.msg)) >= 0) {
        if (held == 1)
            unlinkat(dir, name, 0);
        err.code = 0;
    }
    if (err.code != 0)
        refuse(p, dir, uid, name, uname, err.msg);
    if (fd >= 0)
        close(fd);
    drop_free(&d);
}

/* A temporary file older than a day was left by a helper that died. */
static void reap_tmp(int dir, const char *name)
{
    struct stat st;

    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && st.st_mtime < time(NULL) - STALE_TMP)
        unlinkat(dir, name, 0);
}

static bool uid_name(const char *s, unsigned long *uid)
{
    char *end;

    if (s[0] < '0' || s[0] > '9' || strlen(s) > 10)
        return false;
    *uid = strtoul(s, &end, 10);
    return *end == '\0';
}

/* One user's directory: it must be theirs and closed to everybody else. */
static void take_user(struct pickup *p, int in, const char *name)
{
    unsigned long uid;
    struct stat st;
    struct dirent *de;
    DIR *dp;
    int fd;

    if (!uid_name(name, &uid)) {
        refuse(p, in, 0, name, NULL, _("not a user's directory"));
        return;
    }
    fd = openat(in, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != uid || (st.st_mode & 07777) != 0700) {
        if (fd >= 0)
            close(fd);
        refuse(p, in, uid, name, NULL, _("a user's directory must be a directory of that uid, mode 0700"));
        return;
    }
    if ((dp = fdopendir(fd)) == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strncmp(de->d_name, ".tmp-", 5) == 0)
            reap_tmp(dirfd(dp), de->d_name);
        else if (!drop_name_valid(de->d_name))
            refuse(p, dirfd(dp), uid, de->d_name, NULL, _("not an entry name"));
        else
            take_entry(p, dirfd(dp), uid, de->d_name);
    }
    closedir(dp);
}

/* SPOOLDIR/incoming itself, never through a link; NULL when absent. */
static DIR *open_incoming(void)
{
    int in = open(INCOMING, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dp = in >= 0 ? fdopendir(in) : NULL;

    if (dp == NULL && in >= 0)
        close(in);
    return dp;
}

int incoming_pickup(const struct config *cfg, FILE *report)
{
    struct pickup p = { cfg, report, NULL, 0, 0 };
    struct group *gr = getgrnam("mailout");
    struct mo_err err;
    struct dirent *de;
    DIR *dp;

    if (geteuid() != 0 || gr == NULL || (dp = open_incoming()) == NULL)
        return 0;
    p.gid = gr->gr_gid;
    p.qdir = queue_dir_path(cfg);
    if (queue_prepare(p.qdir, &err) != 0) {
        fprintf(report, "mailout: %s\n", err.msg);
    } else {
        while ((de = readdir(dp)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                take_user(&p, dirfd(dp), de->d_name);
    }
    closedir(dp);
    free(p.qdir);
    return p.queued;
}

/* One entry for mailq; the same bounded reading as the pickup, nothing moved. */
static void list_entry(FILE *out, int dir, const char *name, size_t *shown)
{
    struct drop_envelope d;
    struct mo_err err;
    struct stat st;
    off_t body;
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return;
    }
    if ((*shown)++ == 0)
        fprintf(out, "\n%s\n-Queue ID-------- --Size-- ----Arrival Time---- -Sender/Recipient-------\n",
                _("Submitted by local users, waiting for the next queue run (mailout -q takes them in now):"));
    if (read_envelope(fd, &st, LONG_MAX, &d, &body, &err) != 0) {
        fprintf(out, "%-16s %8lld %s\n", name, (long long)st.st_size, err.msg);
    } else {
        drop_print(out, name, (long long)(st.st_size - body), &d);
        drop_free(&d);
    }
    close(fd);
}

size_t incoming_list(FILE *out)
{
    size_t shown = 0;
    struct dirent *de, *ue;
    DIR *dp, *up;
    int fd;

    if (geteuid() != 0 || (dp = open_incoming()) == NULL)
        return 0;
    while ((de = readdir(dp)) != NULL) {
        fd = openat(dirfd(dp), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (de->d_name[0] == '.' || fd < 0 || (up = fdopendir(fd)) == NULL) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        while ((ue = readdir(up)) != NULL)
            if (drop_name_valid(ue->d_name))
                list_entry(out, dirfd(up), ue->d_name, &shown);
        closedir(up);
    }
    closedir(dp);
    return shown;
}
