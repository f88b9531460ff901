/* queueadmin.c - what a user does to the queue by hand: mailq (-bp) and
 * --queue-delete. */
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

static void print_entry(FILE *out, const struct queue_entry *e, bool locked)
{
    char when[32];

    format_arrival(e->arrival, when, sizeof when);
    fprintf(out, "%-10s%c%8llu %-20.20s %s\n", e->id, locked ? '*' : ' ',
            (unsigned long long)e->size, when,
            e->env.sender[0] ? e->env.sender : "MAILER-DAEMON");
    if (e->last_error[0]) {
        /* Postfix keeps the line within 79 columns; never cut a UTF-8
         * sequence in two */
        size_t n = strlen(e->last_error);
        if (n > 77) {
            n = 77;
            while (n > 0 && ((unsigned char)e->last_error[n] & 0xC0) == 0x80)
                n--;
        }
        fprintf(out, "(%.*s)\n", (int)n, e->last_error);
    }
    for (size_t i = 0; i < e->env.n_rcpts; i++)
        fprintf(out, "%41s%s\n", "", e->env.rcpts[i]);
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

int queue_list(const struct config *cfg, FILE *out, FILE *report_to,
               struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    struct queue_scan sc;
    struct queue_entry e;
    struct mo_err rerr;
    size_t count = 0;
    unsigned long long total = 0;
    int rc;

    if (check_readable(qdir, err) != 0) {
        free(qdir);
        return -1;
    }
    queue_scan_begin(&sc, qdir);
    while ((rc = queue_scan_next(&sc, &e, &rerr)) != 0) {
        if (rc < 0) {
            if (report_to)
                fprintf(report_to, "mailout: %s: %s\n", sc.id, rerr.msg);
            continue;
        }
        if (count++ == 0)
            fprintf(out, "-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
        print_entry(out, &e, queue_is_locked(sc.fd));
        total += e.size;
        queue_entry_free(&e);
    }
    queue_scan_end(&sc);
    if (count == 0)
        fprintf(out, "Mail queue is empty\n");
    else
        fprintf(out, "-- %llu Kbytes in %zu Request%s.\n", (total + 1023) / 1024,
                count, count == 1 ? "" : "s");
    free(qdir);
    return 0;
}

int queue_delete(const struct config *cfg, const char *id, struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    char *path = xasprintf("%s/%s", qdir, id);
    struct stat st;
    int fd, rc = -1;

    if (!queue_id_valid(id) || lstat(path, &st) != 0) {
        mo_err_set(err, EX_NOINPUT, _("no queued message %s"), id);
    } else if ((fd = queue_open_locked(qdir, id, err)) == -2) {
        mo_err_set(err, EX_TEMPFAIL, _("%s is being delivered right now; try again"), id);
    } else if (fd >= 0) {
        if (queue_entry_remove(qdir, id, err) == 0) {
            queue_sync_dir(qdir);
            log_queue_event(cfg, "deleted", id, NULL);
            rc = 0;
        }
        close(fd);
    }
    free(path);
    free(qdir);
    return rc;
}
