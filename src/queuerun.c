/* queuerun.c - keeping, delivering, listing and deleting queued mail. The
 * file format and its locking are queue.c's; this is the policy. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "log.h"
#include "secrets.h"
#include "queuerun.h"

/* Files left in tmp/ by a process that died (kill -9 in the middle of intake
 * or of a queue write) are removed after this long. */
#define QUEUE_TMP_MAX_AGE (24 * 60 * 60)

bool queue_is_temporary(int code)
{
    return code == EX_TEMPFAIL;
}

/* Failures that come from the server or the session, worth a copy in
 * failed/ so that mail nobody read the error of is not lost. */
static bool keeps_failed_copy(int code)
{
    return code == EX_UNAVAILABLE || code == EX_NOPERM || code == EX_PROTOCOL;
}

int queue_keep(const struct config *cfg, const struct account *acct,
               const struct envelope *env, const struct message *msg,
               const struct mo_err *failure, char id[QUEUE_ID_LEN + 1],
               struct mo_err *err)
{
    bool temp = queue_is_temporary(failure->code);
    char *qdir;
    int rc;

    if (!acct->queue || (!temp && !keeps_failed_copy(failure->code)))
        return 1;
    qdir = queue_dir_path(cfg);
    rc = queue_write_new(qdir, temp ? NULL : "failed", acct->name, env, msg,
                         failure->msg, 1,
                         temp ? time(NULL) + queue_backoff(1) : 0, id, err);
    if (rc == 0)
        log_queue_event(cfg, temp ? "queued" : "failed", id, failure->msg);
    free(qdir);
    return rc;
}

/* ------------------------------------------------------------ delivery */

/* One account's share of a run: the session is opened at the first message
 * that is due, and reused for all the others. */
struct acct_run {
    const struct config *cfg;
    const struct account *acct;
    const struct queue_run_opts *o;
    const char *qdir;
    struct smtp_session *s;
    bool own_session;
    bool broken;                /* the session cannot be had: record, don't try */
    struct mo_err broken_err;
    char *password;
    bool ignore_backoff;
    bool no_reopen;             /* flush after a send: stop when s is gone */
    time_t deadline;            /* 0: none */
    size_t max, done;
    int last_status;            /* outcome of the last message, for -qI */
};

static void report(const struct queue_run_opts *o, const char *id, const char *what,
                   const char *why)
{
    if (o->report == NULL)
        return;
    if (why && why[0])
        fprintf(o->report, "mailout: %s: %s: %s\n", id, what, why);
    else
        fprintf(o->report, "mailout: %s: %s\n", id, what);
}

static int open_session(struct acct_run *r, struct mo_err *err)
{
    /* keep_open: more messages follow, so no QUIT in the last flight */
    struct smtp_options opt = { .acct = r->acct, .verbose = r->o->verbose,
                                .debug = r->o->debug, .keep_open = true };
    const struct account *a = r->acct;

    if (r->password == NULL && sasl_login_needs_password(a->auth, a->user)
        && secret_get_password(a, &r->password, err) != 0)
        return -1;
    opt.password = r->password;
    if (smtp_session_open(&r->s, &opt, err) != 0) {
        r->s = NULL;
        return -1;
    }
    r->own_session = true;
    return 0;
}

static void drop_session(struct acct_run *r)
{
    if (r->own_session)
        smtp_session_close(r->s);
    r->s = NULL;
    r->own_session = false;
}

/* A failed attempt: one more in the count, the next one later. */
static void record_failure(struct acct_run *r, int fd, struct queue_entry *e,
                           const char *reason)
{
    struct mo_err err;

    e->attempts++;
    e->next_try = time(NULL) + queue_backoff(e->attempts);
    free(e->last_error);
    e->last_error = xstrdup(reason);
    if (queue_entry_update(r->qdir, fd, e, &err) != 0)
        report(r->o, e->id, _("cannot record the attempt"), err.msg);
    log_queue_event(r->cfg, "queued", e->id, reason);
    r->last_status = EX_TEMPFAIL;
    if (r->o->verbose || r->o->id)
        report(r->o, e->id, _("still queued"), reason);
}

/* A damaged entry goes to corrupt/, so that the rest of the queue flows. */
static void move_corrupt(struct acct_run *r, const char *id, int fd, struct mo_err *why)
{
    struct mo_err err;

    report(r->o, id, _("damaged, moved to corrupt/"), why->msg);
    if (queue_entry_move(r->qdir, id, fd, NULL, "corrupt", NULL, &err) != 0) {
        report(r->o, id, _("cannot move to corrupt/"), err.msg);
        return;
    }
    r->last_status = EX_DATAERR;
}

static void move_failed(struct acct_run *r, int fd, struct queue_entry *e,
                        const char *reason)
{
    struct mo_err err;

    if (queue_entry_move(r->qdir, e->id, fd, e, "failed", reason, &err) != 0) {
        report(r->o, e->id, _("cannot move to failed/"), err.msg);
        return;
    }
    log_queue_event(r->cfg, "failed", e->id, reason);
    report(r->o, e->id, _("moved to failed/"), reason);
    r->last_status = EX_UNAVAILABLE;
}

static void log_sent(struct acct_run *r, const struct queue_entry *e,
                     const struct smtp_result *res, int code)
{
    struct log_record l = {
        .host = r->acct->host, .tls = res->tls, .auth = res->auth,
        .user = r->acct->user, .from = e->env.sender,
        .rcpts = (const char *const *)e->env.rcpts, .n_rcpts = e->env.n_rcpts,
        .mailsize = e->size, .smtpstatus = res->reply_code,
        .smtpmsg = res->reply[0] ? res->reply : NULL, .exitcode = code,
    };
    log_delivery(r->cfg, &l);
}

/* LMTP: every recipient has the message although the session then failed. */
static bool all_delivered(const struct envelope *env, const struct smtp_result *res)
{
    return env->n_rcpts > 0 && smtp_result_count(res, RCPT_DELIVERED, NULL) == env->n_rcpts;
}

static void send_entry(struct acct_run *r, int fd, struct queue_entry *e)
{
    struct smtp_result res;
    struct message msg;
    struct mo_err err = { 0, "" };
    char *path;

    if (r->s == NULL && !r->broken && open_session(r, &err) != 0) {
        r->broken = true;
        r->broken_err = err;
    }
    if (r->broken) {
        record_failure(r, fd, e, r->broken_err.msg);
        return;
    }
    if (queue_entry_message(fd, e, &msg, &err) != 0) {
        /* only damage goes aside; an OS error now is retried later */
        if (err.code != EX_DATAERR) {
            record_failure(r, fd, e, err.msg);
            return;
        }
        move_corrupt(r, e->id, fd, &err);
        return;
    }
    if (smtp_session_send(r->s, &e->env, &msg, &res, &err) == 0
        || all_delivered(&e->env, &res)) {
        /* removed while still locked, so no other run can send it again */
        path = xasprintf("%s/%s", r->qdir, e->id);
        if (unlink(path) != 0)
            report(r->o, e->id, _("delivered, but cannot remove it"), strerror(errno));
        free(path);
        log_sent(r, e, &res, EX_OK);
        log_queue_event(r->cfg, "delivered", e->id, NULL);
        if (r->o->verbose || r->o->id)
            report(r->o, e->id, _("delivered"), res.reply);
        r->last_status = EX_OK;
    } else {
        log_sent(r, e, &res, err.code);
        bool *delivered = xcalloc(e->env.n_rcpts, sizeof *delivered);
        smtp_result_count(&res, RCPT_DELIVERED, delivered);
        envelope_drop_rcpts(&e->env, delivered);   /* LMTP: not twice */
        free(delivered);
        if (err.code == EX_UNAVAILABLE)
            move_failed(r, fd, e, err.msg);
        else
            record_failure(r, fd, e, err.msg);
        /* authentication or protocol trouble will not go away with the
         * next message: the rest of the account only records it */
        if (err.code != EX_TEMPFAIL && err.code != EX_UNAVAILABLE) {
            r->broken = true;
            r->broken_err = err;
        }
    }
    if (r->s && !smtp_session_usable(r->s))
        drop_session(r);
    smtp_result_free(&res);
    header_block_free(&msg.headers);
    close(msg.body_fd);
}

/* Locks one entry and does what is due with it. */
static void run_entry(struct acct_run *r, const char *id)
{
    struct queue_entry e;
    struct mo_err err;
    time_t now = time(NULL);
    int fd = queue_open_locked(r->qdir, id, &err);

    if (fd == -2) {
        if (r->o->verbose || r->o->id)
            report(r->o, id, _("skipped, another process is delivering it"), NULL);
        r->last_status = EX_TEMPFAIL;
        return;
    }
    if (fd < 0) {
        report(r->o, id, _("cannot open"), err.msg);
        return;
    }
    if (queue_entry_read(fd, &e, &err) != 0) {
        if (err.code == EX_DATAERR)
            move_corrupt(r, id, fd, &err);
        else
            report(r->o, id, _("cannot read, left for the next run"), err.msg);
        close(fd);
        return;
    }
    if (strcmp(e.account, r->acct->name) != 0) {
        /* replaced meanwhile by something else: leave it to the next run */
    } else if (r->acct->max_queue_age > 0 && now - e.arrival > r->acct->max_queue_age) {
        char *why = xasprintf(_("in the queue longer than max_queue_age (%ld s); last error: %s"),
                              r->acct->max_queue_age, e.last_error);
        move_failed(r, fd, &e, why);
        free(why);
    } else if (r->ignore_backoff || e.next_try <= now) {
        send_entry(r, fd, &e);
        r->done++;
    }
    queue_entry_free(&e);
    close(fd);
}

static void run_entries(struct acct_run *r, char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r->max && r->done >= r->max)
            break;
        if (r->deadline && time(NULL) >= r->deadline)
            break;
        if (r->no_reopen && r->s == NULL)
            break;
        run_entry(r, ids[i]);
    }
}

static void acct_run_end(struct acct_run *r)
{
    drop_session(r);
    secret_free(r->password);
    r->password = NULL;
}

/* A queued message as the first pass of a run sees it, unlocked. */
struct due {
    char *account;
    char *id;
};

static int cmp_due(const void *a, const void *b)
{
    const struct due *x = a, *y = b;
    int c = strcmp(x->account, y->account);

    return c ? c : strcmp(x->id, y->id);
}

static void quarantine(const char *qdir, const char *id, const struct queue_run_opts *o,
                       const char *why)
{
    struct mo_err err;
    int fd = queue_open_locked(qdir, id, &err);
    struct queue_entry e;

    if (fd < 0)
        return;
    /* read again under the lock: only a file that is still damaged moves */
    if (queue_entry_read(fd, &e, &err) == 0) {
        queue_entry_free(&e);
    } else {
        report(o, id, _("damaged, moved to corrupt/"), why);
        if (queue_entry_move(qdir, id, fd, NULL, "corrupt", NULL, &err) != 0)
            report(o, id, _("cannot move to corrupt/"), err.msg);
    }
    close(fd);
}

/* First pass: which entries to try, grouped by account. Damaged files are
 * moved aside here, so that the rest flows. */
static size_t collect(const char *qdir, const struct config *cfg,
                      const struct queue_run_opts *o, const char *only_account,
                      bool all, struct due **out)
{
    char **ids;
    size_t n = queue_list_ids(qdir, &ids), k = 0;
    time_t now = time(NULL);

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        struct queue_entry e;
        struct mo_err err;
        char *path;
        int fd;

        if (o->id && strcmp(o->id, ids[i]) != 0)
            continue;
        path = xasprintf("%s/%s", qdir, ids[i]);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        free(path);
        if (fd < 0)
            continue;
        if (queue_entry_read(fd, &e, &err) != 0) {
            close(fd);
            quarantine(qdir, ids[i], o, err.msg);
            continue;
        }
        close(fd);
        if (only_account == NULL || strcmp(only_account, e.account) == 0) {
            const struct account *a = config_select_account(cfg, e.account, NULL, &err);
            bool old = a && a->max_queue_age > 0 && now - e.arrival > a->max_queue_age;
            if (all || o->force || o->id || e.next_try <= now || old) {
                *out = xreallocarray(*out, k + 1, sizeof **out);
                (*out)[k].account = xstrdup(e.account);
                (*out)[k].id = xstrdup(ids[i]);
                k++;
            }
        }
        queue_entry_free(&e);
    }
    queue_ids_free(ids, n);
    if (k > 1)
        qsort(*out, k, sizeof **out, cmp_due);
    return k;
}

static void due_free(struct due *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].account);
        free(d[i].id);
    }
    free(d);
}

/* Removes what dead processes left in tmp/. */
static void sweep_tmp(const char *qdir)
{
    char *tdir = xasprintf("%s/tmp", qdir);
    DIR *d = opendir(tdir);
    struct dirent *de;
    time_t now = time(NULL);

    while (d && (de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISREG(st.st_mode) && now - st.st_mtime > QUEUE_TMP_MAX_AGE)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    if (d)
        closedir(d);
    free(tdir);
}

static int fsync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    fsync(fd);
    close(fd);
    return 0;
}

static bool queue_dir_usable(const char *qdir, struct mo_err *err)
{
    struct stat st;

    if (stat(qdir, &st) != 0)
        return false;           /* no queue yet: nothing to do */
    return queue_prepare(qdir, err) == 0;
}

int queue_run(const struct config *cfg, const struct queue_run_opts *o,
              struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    struct due *d = NULL;
    size_t n = 0, i = 0;
    int status = EX_OK;

    err->code = 0;
    if (!queue_dir_usable(qdir, err)) {
        free(qdir);
        if (err->code)
            return -1;
        if (o->id)
            return mo_err_set(err, EX_NOINPUT, _("no queued message %s"), o->id);
        return 0;
    }
    sweep_tmp(qdir);
    n = collect(qdir, cfg, o, o->account, false, &d);
    if (o->id && n == 0) {
        free(qdir);
        return mo_err_set(err, EX_NOINPUT, _("no queued message %s"), o->id);
    }
    while (i < n) {
        size_t j = i;
        struct mo_err aerr;
        struct acct_run r = { .cfg = cfg, .o = o, .qdir = qdir,
                              .ignore_backoff = o->force || o->id,
                              .last_status = EX_TEMPFAIL };
        char **ids;

        while (j < n && strcmp(d[j].account, d[i].account) == 0)
            j++;
        r.acct = config_select_account(cfg, d[i].account, NULL, &aerr);
        if (r.acct == NULL) {
            for (size_t k = i; k < j; k++)
                report(o, d[k].id, _("kept: its account is not configured"), aerr.msg);
            status = EX_CONFIG;
            i = j;
            continue;
        }
        ids = xreallocarray(NULL, j - i, sizeof *ids);
        for (size_t k = i; k < j; k++)
            ids[k - i] = d[k].id;
        run_entries(&r, ids, j - i);
        acct_run_end(&r);
        free(ids);
        if (o->id)
            status = r.last_status;
        i = j;
    }
    fsync_path(qdir);
    due_free(d, n);
    free(qdir);
    if (o->id && status != EX_OK) {
        if (status == EX_TEMPFAIL)
            return mo_err_set(err, status, _("%s is still in the queue"), o->id);
        if (status == EX_UNAVAILABLE)
            return mo_err_set(err, status, _("%s was refused and moved to failed/"), o->id);
        if (status == EX_DATAERR)
            return mo_err_set(err, status, _("%s is damaged and was moved to corrupt/"), o->id);
        return mo_err_set(err, status, _("%s: its account is not configured"), o->id);
    }
    return 0;
}

bool queue_has_mail(const struct config *cfg, const struct account *acct)
{
    char *qdir = queue_dir_path(cfg);
    char **ids;
    size_t n = acct->queue ? queue_list_ids(qdir, &ids) : 0;
    bool found = false;

    for (size_t i = 0; i < n && !found; i++) {
        char *path = xasprintf("%s/%s", qdir, ids[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct queue_entry e;
        struct mo_err err;

        free(path);
        if (fd >= 0 && queue_entry_read(fd, &e, &err) == 0) {
            found = strcmp(e.account, acct->name) == 0;
            queue_entry_free(&e);
        }
        if (fd >= 0)
            close(fd);
    }
    if (n)
        queue_ids_free(ids, n);
    free(qdir);
    return found;
}

void queue_flush_session(const struct config *cfg, const struct account *acct,
                         struct smtp_session *s, const struct queue_run_opts *o)
{
    char *qdir = queue_dir_path(cfg);
    struct acct_run r = { .cfg = cfg, .acct = acct, .o = o, .qdir = qdir, .s = s,
                          .ignore_backoff = true, .no_reopen = true,
                          .deadline = time(NULL) + QUEUE_FLUSH_MAX_SECONDS,
                          .max = QUEUE_FLUSH_MAX_MESSAGES };
    struct mo_err err = { 0, "" };
    struct due *d = NULL;
    size_t n = 0;

    if (acct->queue && s && smtp_session_usable(s) && queue_dir_usable(qdir, &err))
        n = collect(qdir, cfg, o, acct->name, true, &d);
    if (n > 0) {
        char **ids = xreallocarray(NULL, n, sizeof *ids);
        for (size_t k = 0; k < n; k++)
            ids[k] = d[k].id;
        run_entries(&r, ids, n);
        free(ids);
        fsync_path(qdir);
    }
    /* the caller owns s and closes it */
    secret_free(r.password);
    due_free(d, n);
    free(qdir);
}

/* ------------------------------------------------------------- listing */

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

int queue_list(const struct config *cfg, FILE *out, FILE *report_to,
               struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    char **ids;
    size_t n, count = 0;
    unsigned long long total = 0;
    DIR *d = opendir(qdir);

    /* "Mail queue is empty" only when it is: a queue we may not read is an
     * error, a queue not made yet is empty */
    if (d == NULL && errno != ENOENT) {
        mo_err_set(err, EX_NOPERM, _("cannot read the queue directory %s: %s"),
                   qdir, strerror(errno));
        free(qdir);
        return -1;
    }
    if (d)
        closedir(d);
    n = queue_list_ids(qdir, &ids);
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", qdir, ids[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct queue_entry e;
        struct mo_err rerr;

        free(path);
        if (fd < 0)
            continue;           /* delivered since the directory was read */
        if (queue_entry_read(fd, &e, &rerr) != 0) {
            if (report_to)
                fprintf(report_to, "mailout: %s: %s\n", ids[i], rerr.msg);
            close(fd);
            continue;
        }
        if (count++ == 0)
            fprintf(out, "-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
        print_entry(out, &e, queue_is_locked(fd));
        total += e.size;
        queue_entry_free(&e);
        close(fd);
    }
    if (count == 0)
        fprintf(out, "Mail queue is empty\n");
    else
        fprintf(out, "-- %llu Kbytes in %zu Request%s.\n", (total + 1023) / 1024,
                count, count == 1 ? "" : "s");
    queue_ids_free(ids, n);
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
        if (unlink(path) != 0) {
            mo_err_set(err, EX_IOERR, _("cannot remove %s: %s"), path, strerror(errno));
        } else {
            fsync_path(qdir);
            log_queue_event(cfg, "deleted", id, NULL);
            rc = 0;
        }
        close(fd);
    }
    free(path);
    free(qdir);
    return rc;
}
