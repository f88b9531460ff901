/* queueadmin.c - what a user does to the queue by hand: mailq (-bp),
 * --queue-delete and --requeue. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "log.h"
#include "queue.h"
#include "held.h"
#include "queueadmin.h"

static void format_arrival(time_t t, char *buf, size_t size)
{
    /* English names whatever the locale, as Postfix prints them */
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "?");
        return;
    }
    snprintf(buf, size, "%s %s %2d %02d:%02d:%02d", days[tm.tm_wday % 7],
             months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Postfix keeps the line within 79 columns; never cut a UTF-8 sequence in
 * two. */
static void print_reason(FILE *out, const char *reason)
{
    size_t n = strlen(reason);

    if (n == 0)
        return;
    if (n > 77) {
        n = 77;
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;
    }
    fprintf(out, "(%.*s)\n", (int)n, reason);
}

/* queued: an entry of the queue (it has a next attempt), not of failed/. */
static void print_entry(FILE *out, const struct queue_entry *e, bool locked,
                        bool queued, time_t now)
{
    char when[32];

    format_arrival(e->arrival, when, sizeof when);
    fprintf(out, "%-10s%c%8llu %-20.20s %s\n", e->id, locked ? '*' : ' ',
            (unsigned long long)e->size, when,
            e->env.sender[0] ? e->env.sender : "MAILER-DAEMON");
    print_reason(out, e->last_error);
    if (queued && e->next_try > now) {
        format_arrival(e->next_try, when, sizeof when);
        fprintf(out, "(next attempt: %s)\n", when);
    } else if (queued) {
        fprintf(out, "(next attempt: %s)\n", _("at the next queue run"));
    }
    for (size_t i = 0; i < e->env.n_rcpts; i++)
        fprintf(out, "%41s%s\n", "", e->env.rcpts[i]);
    fputc('\n', out);
}

/* A message held before its account was known (held.h): the command line
 * it came with, in the same columns. */
static void print_held(FILE *out, const char *id, bool locked, long long size,
                       const struct drop_envelope *d)
{
    char when[32];

    format_arrival((time_t)d->time, when, sizeof when);
    fprintf(out, "%-10s%c%8lld %-20.20s %s\n", id, locked ? '*' : ' ', size, when,
            d->sender ? (d->sender[0] ? d->sender : "MAILER-DAEMON") : d->user);
    print_reason(out, d->reason ? d->reason : "");
    for (size_t i = 0; i < d->n_rcpts; i++)
        fprintf(out, "%41s%s\n", "", d->rcpts[i]);
    if (d->read_recipients)
        fprintf(out, "%41s%s\n", "", _("(and the recipients in To, Cc, Bcc)"));
    fputc('\n', out);
}

/* "Mail queue is empty" only when it is: a queue we may not read is an
 * error, a queue not made yet is empty. */
static int check_readable(const char *qdir, struct mo_err *err)
{
    DIR *d = opendir(qdir);

    if (d == NULL && errno != ENOENT)
        return mo_err_set(err, EX_NOPERM, _("cannot read the queue directory %s: %s"),
                          qdir, strerror(errno));
    if (d)
        closedir(d);
    return 0;
}

static void print_head(FILE *out, const char *head, size_t count)
{
    if (count == 0)
        fprintf(out, "%s-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------\n",
                head);
}

/* Prints the entry sc just read (rc from queue_scan_next), a queue entry or,
 * in failed/, a held message, after head when it is the first; returns its
 * size, or -1 when it is neither. */
static long long print_scanned(FILE *out, const struct queue_scan *sc, int rc,
                               struct queue_entry *e, bool queued, const char *head,
                               size_t count)
{
    struct drop_envelope d;
    struct mo_err herr;
    struct stat st;
    off_t body;
    long long size = -1;

    memset(&d, 0, sizeof d);
    if (rc > 0) {
        print_head(out, head, count);
        print_entry(out, e, queue_is_locked(sc->fd), queued, time(NULL));
        size = (long long)e->size;
        queue_entry_free(e);
    } else if (!queued && drop_read(sc->fd, true, &d, &body, &herr) == 0
               && fstat(sc->fd, &st) == 0) {
        size = (long long)(st.st_size - body);
        print_head(out, head, count);
        print_held(out, sc->id, queue_is_locked(sc->fd), size, &d);
    }
    drop_free(&d);
    return size;
}

/* Lists the entries of dir under head; returns how many. */
static size_t list_dir(const char *dir, const char *head, const char *tail_unit,
                       bool queued, FILE *out, FILE *report_to)
{
    struct queue_scan sc;
    struct queue_entry e;
    struct mo_err rerr;
    size_t count = 0;
    unsigned long long total = 0;
    long long size;
    int rc;

    queue_scan_begin(&sc, dir);
    while ((rc = queue_scan_next(&sc, &e, &rerr)) != 0) {
        if ((size = print_scanned(out, &sc, rc, &e, queued, head, count)) < 0) {
            if (report_to)
                fprintf(report_to, "mailout: %s: %s\n", sc.id, rerr.msg);
            continue;
        }
        count++;
        total += (unsigned long long)size;
    }
    queue_scan_end(&sc);
    if (count > 0)
        fprintf(out, "-- %llu Kbytes in %zu %s%s.\n", (total + 1023) / 1024,
                count, tail_unit, count == 1 ? "" : "s");
    return count;
}

int queue_list(const struct config *cfg, FILE *out, FILE *report_to,
               struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    char *fdir = xasprintf("%s/failed", qdir);
    char *head;

    if (check_readable(qdir, err) != 0) {
        free(fdir);
        free(qdir);
        return -1;
    }
    if (list_dir(qdir, "", "Request", true, out, report_to) == 0)
        fprintf(out, "Mail queue is empty\n");
    head = xasprintf(_("\nFailed mail, kept in %s (mailout --requeue ID sends one again, --queue-delete ID removes it):\n"),
                     fdir);
    list_dir(fdir, head, "Failed request", false, out, report_to);
    free(head);
    free(fdir);
    free(qdir);
    return 0;
}

/* Deletes dir/id: 0 done, 1 no such entry there, -1 error. */
static int delete_in(const struct config *cfg, const char *dir, const char *id,
                     struct mo_err *err)
{
    char *path = xasprintf("%s/%s", dir, id);
    struct stat st;
    int fd, rc = -1;

    if (!queue_id_valid(id) || lstat(path, &st) != 0) {
        rc = 1;
    } else if ((fd = queue_open_locked(dir, id, err)) == -2) {
        mo_err_set(err, EX_TEMPFAIL, _("%s is being delivered right now; try again"), id);
    } else if (fd >= 0) {
        if (queue_entry_remove(dir, id, err) == 0) {
            queue_sync_dir(dir);
            log_queue_event(cfg, "deleted", id, NULL);
            rc = 0;
        }
        close(fd);
    }
    free(path);
    return rc;
}

int queue_delete(const struct config *cfg, const char *id, struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    char *fdir = xasprintf("%s/failed", qdir);
    int rc = delete_in(cfg, qdir, id, err);

    if (rc == 1)
        rc = delete_in(cfg, fdir, id, err);
    if (rc == 1)
        rc = mo_err_set(err, EX_NOINPUT, _("no message %s in the queue or in failed/"), id);
    free(fdir);
    free(qdir);
    return rc;
}

/* Why failed/id cannot be requeued: it is not there. */
static int not_failed(const char *qdir, const char *id, struct mo_err *err)
{
    char *path = xasprintf("%s/%s", qdir, id);
    struct stat st;
    bool queued = queue_id_valid(id) && lstat(path, &st) == 0;

    free(path);
    if (queued)
        return mo_err_set(err, EX_NOINPUT, _("%s is in the queue, not in failed/: mailout -qI %s tries it now"),
                          id, id);
    return mo_err_set(err, EX_NOINPUT, _("no message %s in failed/"), id);
}

/* A held message (held.h) goes through the configuration now; it stays in
 * failed/ when that still fails. */
static int requeue_held(const struct config *cfg, const char *qdir, const char *fdir,
                        const char *id, int fd, char newid[QUEUE_ID_LEN + 1],
                        struct mo_err *err)
{
    struct drop_envelope d;
    struct mo_err herr;
    off_t body;
    int rc = -1;

    if (drop_read(fd, true, &d, &body, &herr) != 0) {
        drop_free(&d);
        return -1;              /* err says it is damaged as a queue entry */
    }
    /* root takes a local user's message in under that user's name */
    if (held_enqueue(cfg, qdir, fd, body, &d, d.uid != (unsigned long)getuid() ? d.user : NULL,
                     newid, err) != 0)
        mo_err_prefix(err, _("%s stays in failed/"), id);
    else if (queue_entry_remove(fdir, id, err) == 0) {
        queue_sync_dir(fdir);
        rc = 0;
    }
    drop_free(&d);
    return rc;
}

static int requeue_open(const struct config *cfg, const char *qdir, const char *fdir,
                        const char *id, int fd, char newid[QUEUE_ID_LEN + 1],
                        struct mo_err *err)
{
    struct queue_entry e;
    int rc;

    if (queue_entry_read(fd, &e, err) != 0)
        return requeue_held(cfg, qdir, fdir, id, fd, newid, err);
    rc = queue_entry_requeue(qdir, id, fd, &e, newid, err);
    queue_entry_free(&e);
    return rc;
}

int queue_requeue(const struct config *cfg, const char *id, FILE *report,
                  struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    char *fdir = xasprintf("%s/failed", qdir);
    char *path = xasprintf("%s/%s", fdir, id);
    char newid[QUEUE_ID_LEN + 1];
    struct stat st;
    int fd = -1, rc = -1;

    if (!queue_id_valid(id) || lstat(path, &st) != 0)
        not_failed(qdir, id, err);
    else if ((fd = queue_open_locked(fdir, id, err)) == -2)
        mo_err_set(err, EX_TEMPFAIL, _("%s is being handled right now; try again"), id);
    else if (fd >= 0 && (rc = requeue_open(cfg, qdir, fdir, id, fd, newid, err)) == 0) {
        log_queue_event(cfg, "requeued", newid, NULL);
        if (report)
            fprintf(report, _("mailout: %s is queued again as %s; mailout -q sends it now\n"),
                    id, newid);
    }
    if (fd >= 0)
        close(fd);
    free(path);
    free(fdir);
    free(qdir);
    return rc;
}
