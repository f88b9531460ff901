/* queuerun.c - delivering queued mail: a queue run (-q, -qI ID), and the
 * account's queued mail after a successful send. The file format and its
 * locking are queue.c's; sending and the retry rule are delivery.c's. */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "log.h"
#include "queue.h"
#include "bounce.h"
#include "queuerun.h"

/* Files left in tmp/ by a process that died (kill -9 in the middle of intake
 * or of a queue write) are removed after this long. */
#define QUEUE_TMP_MAX_AGE (24 * 60 * 60)

/* One account's share of a run: its session is opened at the first message
 * that is due, and reused for all the others. */
struct acct_run {
    const struct config *cfg;
    const struct queue_run_opts *o;
    const char *qdir;
    struct delivery *d;
    bool ignore_backoff;
    bool no_reopen;             /* flush after a send: stop when the
                                 * sessions are gone */
    time_t deadline;            /* 0: none */
    size_t max, done;
    int last_status;            /* outcome of the last message, for -qI */
    struct mo_err store_err;    /* the first outcome the queue could not
                                 * record (a full disk): the run fails */
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

/* The queue could not record what became of id: said now, and the run
 * ends with the first such error instead of exit 0. */
static void store_failed(struct acct_run *r, const char *id, const char *what,
                         const struct mo_err *e)
{
    report(r->o, id, what, e->msg);
    if (r->store_err.code == 0)
        mo_err_set(&r->store_err, e->code, _("could not update the queue for %s: %s"),
                   id, e->msg);
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
        store_failed(r, e->id, _("cannot record the attempt"), &err);
    log_queue_event(r->cfg, "queued", e->id, reason);
    r->last_status = EX_TEMPFAIL;
    if (r->o->verbose || r->o->id)
        report(r->o, e->id, _("still queued"), reason);
}

/* A damaged entry goes to corrupt/, so that the rest of the queue flows. */
static int move_corrupt(const struct queue_run_opts *o, const char *qdir,
                        const char *id, int fd, const char *why, struct mo_err *err)
{
    report(o, id, _("damaged, moved to corrupt/"), why);
    if (queue_entry_move(qdir, id, fd, NULL, "corrupt", NULL, err) == 0)
        return 0;
    report(o, id, _("cannot move to corrupt/"), err->msg);
    return -1;
}

/* What the server said about a message that failed, for its bounce. */
struct verdict {
    const char *reply;                  /* its reply to the message, or NULL */
    const char *const *rcpt_replies;    /* per recipient of the entry, or NULL */
};

/* A bounce of the message whose envelope is env and header block orig
 * (what became of it: f) queued to its sender when the account wants one,
 * and held locked in *bfd until the caller knows that the failure is
 * recorded, so that no other run sends it before (bid "" and *bfd -1 when
 * none is wanted). -1 with err when it could not be queued. */
static int queue_bounce(struct acct_run *r, const struct envelope *env,
                        const struct header_block *orig, const struct bounce_failure *f,
                        char bid[QUEUE_ID_LEN + 1], int *bfd, struct mo_err *err)
{
    const struct account *acct = r->d->acct;
    struct message bmsg;
    struct envelope benv;
    struct mo_err lerr;
    int rc;

    bid[0] = '\0';
    *bfd = -1;
    if (!bounce_wanted(acct, env, orig))
        return 0;
    rc = bounce_build(acct, env, orig, f, queue_spool_dir(r->cfg), &bmsg, &benv, err);
    if (rc != 0)
        return -1;
    rc = queue_write_new(r->qdir, NULL, acct->name, &benv, &bmsg, "", 0, time(NULL), bid, err);
    envelope_free(&benv);
    message_free(&bmsg);
    if (rc == 0)
        *bfd = queue_open_locked(r->qdir, bid, &lerr);  /* -2: another run has it */
    return rc;
}

/* The bounce bid queued for a failure that could not be recorded is
 * removed: the message is still queued, and its next failure bounces. */
static void drop_bounce(struct acct_run *r, const char *id, const char *bid, int bfd)
{
    struct mo_err err;

    if (bid[0] && queue_entry_remove(r->qdir, bid, &err) != 0)
        store_failed(r, id, _("cannot remove the bounce queued for it"), &err);
    if (bfd >= 0)
        close(bfd);
}

static void run_entry(struct acct_run *r, const char *id);

/* The bounce just queued goes out over the run's session, like any queued
 * message (a failure leaves it queued); what the run reports for -qI stays
 * the failed message's. */
static void send_bounce(struct acct_run *r, const char *id, const char *sender,
                        const char *bid, int bfd)
{
    int status = r->last_status;
    char *what;

    if (bfd >= 0)
        close(bfd);
    if (bid[0] == '\0')
        return;
    what = xasprintf(_("a bounce to <%s> is queued as %s"), sender, bid);
    report(r->o, id, what, NULL);
    free(what);
    if (!(r->no_reopen && !delivery_has_session(r->d)))
        run_entry(r, bid);
    r->last_status = status;
}

/* The entry to failed/, its bounce queued first: a message still queued is
 * bounced when it fails again, one in failed/ never. */
static void move_failed(struct acct_run *r, int fd, struct queue_entry *e,
                        const char *reason, const struct verdict *v, bool expired)
{
    struct bounce_failure f = { .queue_id = e->id, .arrival = e->arrival,
                                .reason = reason, .expired = expired,
                                .reply = v ? v->reply : NULL,
                                .rcpt_replies = v ? v->rcpt_replies : NULL };
    struct mo_err err;
    struct message orig;
    char bid[QUEUE_ID_LEN + 1] = "";
    int bfd = -1, rc;

    r->last_status = EX_TEMPFAIL;
    if (queue_entry_message(fd, e, &orig, &err) != 0) {
        store_failed(r, e->id, _("cannot read it to bounce it, left in the queue"), &err);
        return;
    }
    rc = queue_bounce(r, &e->env, &orig.headers, &f, bid, &bfd, &err);
    header_block_free(&orig.headers);
    close(orig.body_fd);
    if (rc != 0) {
        store_failed(r, e->id, _("cannot queue its bounce, left in the queue"), &err);
        return;
    }
    if (queue_entry_move(r->qdir, e->id, fd, e, "failed", reason, &err) != 0) {
        store_failed(r, e->id, _("cannot move to failed/"), &err);
        drop_bounce(r, e->id, bid, bfd);
        return;
    }
    log_queue_failed(r->cfg, e->id, reason, bid[0] ? bid : NULL);
    report(r->o, e->id, _("moved to failed/"), reason);
    r->last_status = EX_UNAVAILABLE;
    send_bounce(r, e->id, e->env.sender, bid, bfd);
}

/* What the retry rule decided for a failed attempt. */
static void settle(struct acct_run *r, int fd, struct queue_entry *e,
                   enum delivery_fate fate, const struct mo_err *why,
                   const struct verdict *v)
{
    struct mo_err err;

    if (fate == FATE_CORRUPT) {
        if (move_corrupt(r->o, r->qdir, e->id, fd, why->msg, &err) != 0)
            store_failed(r, e->id, _("cannot move to corrupt/"), &err);
        r->last_status = EX_DATAERR;
    } else if (fate == FATE_FAILED) {
        move_failed(r, fd, e, why->msg, v, false);
    } else {
        record_failure(r, fd, e, why->msg);
    }
}

static void delivered(struct acct_run *r, const struct queue_entry *e,
                      const struct smtp_result *res)
{
    struct mo_err err;

    /* removed while still locked, so no other run can send it again */
    if (queue_entry_remove(r->qdir, e->id, &err) != 0)
        store_failed(r, e->id, _("delivered, but cannot remove it"), &err);
    log_queue_event(r->cfg, "delivered", e->id, NULL);
    if (r->o->verbose || r->o->id)
        report(r->o, e->id, _("delivered"), res->reply);
    r->last_status = EX_OK;
}

/* What the split's hook needs to bounce the part refused for good. */
struct split_ctx {
    struct acct_run *r;
    const struct queue_entry *e;
    const struct header_block *orig;
};

/* LMTP: the copy for those refused for good is in failed/ (delivery.h's
 * hook): their bounce is queued, as for a message that moves there. */
static int bounce_part(void *ctx, const struct delivery_part *p,
                       char bid[QUEUE_ID_LEN + 1], struct mo_err *err)
{
    const struct split_ctx *c = ctx;
    struct bounce_failure f = { .queue_id = p->id, .arrival = c->e->arrival,
                                .reason = p->why, .rcpt_replies = p->replies };
    int bfd, rc = queue_bounce(c->r, p->env, c->orig, &f, bid, &bfd, err);

    if (bfd >= 0)
        close(bfd);             /* nothing left to undo: it may go */
    return rc;
}

/* LMTP: the recipients refused for good went to failed/ as a new entry,
 * or could not (they stay in the message). */
static void split_off(struct acct_run *r, const struct queue_entry *e,
                      const struct delivery_rest *rest)
{
    char *what;

    if (rest->keep_err.code != 0) {
        report(r->o, e->id, _("refused for good in part, but that part cannot be kept apart"),
               rest->keep_err.msg);
        return;
    }
    if (rest->failed == 0)
        return;
    what = xasprintf(_("refused for good in part, kept in failed/ as %s"), rest->failed_id);
    report(r->o, e->id, what, rest->failed_why.msg);
    free(what);
}

/* LMTP: every recipient has the message although the session then failed. */
static bool all_delivered(const struct envelope *env, const struct smtp_result *res)
{
    return env->n_rcpts > 0 && smtp_result_count(res, RCPT_DELIVERED, NULL) == env->n_rcpts;
}

/* The entry's recipients before delivery_sort_out drops some of them. */
static char **rcpts_copy(const struct envelope *env)
{
    char **v = xcalloc(env->n_rcpts ? env->n_rcpts : 1, sizeof *v);

    for (size_t i = 0; i < env->n_rcpts; i++)
        v[i] = xstrdup(env->rcpts[i]);
    return v;
}

/* What the server said about each recipient left in env (res is indexed
 * as was, the recipients before); frees was. */
static const char **replies_now(const struct envelope *env, char **was, size_t n_was,
                                const struct smtp_result *res)
{
    const char **replies = xcalloc(env->n_rcpts ? env->n_rcpts : 1, sizeof *replies);

    for (size_t k = 0; k < env->n_rcpts; k++)
        for (size_t i = 0; i < n_was && i < res->n_rcpts && res->rcpts != NULL; i++)
            if (strcmp(was[i], env->rcpts[k]) == 0)
                replies[k] = res->rcpts[i].reply;
    for (size_t i = 0; i < n_was; i++)
        free(was[i]);
    free(was);
    return replies;
}

static void send_entry(struct acct_run *r, int fd, struct queue_entry *e)
{
    struct smtp_result res;
    struct message msg;
    struct mo_err err = { 0, "" };
    enum delivery_stage stage = STAGE_QUEUE_FILE;

    if (queue_entry_message(fd, e, &msg, &err) != 0) {
        settle(r, fd, e, delivery_fate(err.code, stage, true), &err, NULL);
        return;
    }
    memset(&res, 0, sizeof res);
    if (delivery_send(r->d, &e->env, &msg, &res, &stage, &err) == 0
        || all_delivered(&e->env, &res)) {
        delivered(r, e, &res);
    } else {
        /* LMTP: not twice to those that have it; those refused for good
         * apart from those refused for now */
        struct delivery_rest rest;
        struct split_ctx sc = { r, e, &msg.headers };
        struct delivery_split_hook hook = { bounce_part, &sc };
        char **was = rcpts_copy(&e->env);
        size_t n_was = e->env.n_rcpts;
        delivery_sort_out(r->cfg, r->qdir, r->d->acct, &e->env, &msg, &res,
                          e->attempts + 1, &hook, &err, &rest);
        split_off(r, e, &rest);
        const char **replies = replies_now(&e->env, was, n_was, &res);
        struct verdict v = { res.reply_code >= 400 ? res.reply : NULL, replies };
        settle(r, fd, e, delivery_fate(err.code, stage, true), &err, &v);
        free(replies);
        send_bounce(r, rest.failed_id, e->env.sender, rest.bounce_id, -1);
    }
    smtp_result_free(&res);
    header_block_free(&msg.headers);
    close(msg.body_fd);
}

static bool too_old(const struct account *a, const struct queue_entry *e, time_t now)
{
    return a != NULL && a->max_queue_age > 0 && now - e->arrival > a->max_queue_age;
}

/* Locks one entry and does what is due with it. */
static void run_entry(struct acct_run *r, const char *id)
{
    const struct account *acct = r->d->acct;
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
        if (delivery_fate(err.code, STAGE_QUEUE_FILE, true) == FATE_CORRUPT) {
            struct mo_err merr;
            if (move_corrupt(r->o, r->qdir, id, fd, err.msg, &merr) != 0)
                store_failed(r, id, _("cannot move to corrupt/"), &merr);
            r->last_status = EX_DATAERR;
        } else {
            report(r->o, id, _("cannot read, left for the next run"), err.msg);
        }
        close(fd);
        return;
    }
    if (strcmp(e.account, acct->name) != 0) {
        /* replaced meanwhile by something else: leave it to the next run */
    } else if (too_old(acct, &e, now)) {
        char *why = xasprintf(_("in the queue longer than max_queue_age (%ld s); last error: %s"),
                              acct->max_queue_age, e.last_error);
        move_failed(r, fd, &e, why, NULL, true);
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
        if (r->no_reopen && !delivery_has_session(r->d))
            break;
        run_entry(r, ids[i]);
    }
}

/* A queued message a run will try, as its first pass saw it (unlocked). */
struct entry_ref {
    char *account;
    char *id;
};

static int cmp_ref(const void *a, const void *b)
{
    const struct entry_ref *x = a, *y = b;
    int c = strcmp(x->account, y->account);

    return c ? c : strcmp(x->id, y->id);
}

static void refs_free(struct entry_ref *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].account);
        free(v[i].id);
    }
    free(v);
}

/* Moves a file the scan could not read to corrupt/, after reading it again
 * under its lock: only a file that is still damaged moves. */
static void quarantine(const char *qdir, const char *id, const struct queue_run_opts *o)
{
    struct mo_err err, merr;
    struct queue_entry e;
    int fd = queue_open_locked(qdir, id, &err);

    if (fd < 0)
        return;
    if (queue_entry_read(fd, &e, &err) == 0)
        queue_entry_free(&e);
    else if (delivery_fate(err.code, STAGE_QUEUE_FILE, true) == FATE_CORRUPT)
        (void)move_corrupt(o, qdir, id, fd, err.msg, &merr);  /* reported; retried next run */
    close(fd);
}

/* Whether a run looks at e now: all of them (flush, force, -qI), else only
 * those due or past max_queue_age. */
static bool wanted(const struct config *cfg, const struct queue_run_opts *o,
                   const struct queue_entry *e, bool all, time_t now)
{
    struct mo_err err;

    if (all || o->force || o->id || e->next_try <= now)
        return true;
    return too_old(config_select_account(cfg, e->account, NULL, &err), e, now);
}

/* First pass: which entries to try, grouped by account. Damaged files are
 * moved aside here, so that the rest flows. */
static size_t pick_entries(const char *qdir, const struct config *cfg,
                           const struct queue_run_opts *o, const char *only_account,
                           bool all, struct entry_ref **out, size_t *seen)
{
    struct queue_scan sc;
    struct queue_entry e;
    struct mo_err err;
    time_t now = time(NULL);
    size_t k = 0;
    int rc;

    *out = NULL;
    queue_scan_begin(&sc, qdir);
    while ((rc = queue_scan_next(&sc, &e, &err)) != 0) {
        if (rc < 0) {
            if (o->id == NULL || strcmp(o->id, sc.id) == 0)
                quarantine(qdir, sc.id, o);
            continue;
        }
        (*seen)++;
        if ((o->id == NULL || strcmp(o->id, sc.id) == 0)
            && (only_account == NULL || strcmp(only_account, e.account) == 0)
            && wanted(cfg, o, &e, all, now)) {
            *out = xreallocarray(*out, k + 1, sizeof **out);
            (*out)[k].account = xstrdup(e.account);
            (*out)[k].id = xstrdup(sc.id);
            k++;
        }
        queue_entry_free(&e);
    }
    queue_scan_end(&sc);
    if (k > 1)
        qsort(*out, k, sizeof **out, cmp_ref);
    return k;
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

static bool queue_dir_usable(const char *qdir, struct mo_err *err)
{
    struct stat st;

    if (stat(qdir, &st) != 0)
        return false;           /* no queue yet: nothing to do */
    return queue_prepare(qdir, err) == 0;
}

/* One account's entries refs[0..n), over one session. Returns the outcome
 * of the last message (for -qI). */
static int run_account(const struct config *cfg, const struct queue_run_opts *o,
                       const char *qdir, const struct entry_ref *refs, size_t n,
                       struct mo_err *store_err)
{
    struct mo_err err;
    struct delivery d;
    const struct account *acct = config_select_account(cfg, refs[0].account, NULL, &err);
    struct acct_run r = { .cfg = cfg, .o = o, .qdir = qdir, .d = &d,
                          .ignore_backoff = o->force || o->id,
                          .last_status = EX_TEMPFAIL };
    char **ids;

    if (acct == NULL) {
        for (size_t k = 0; k < n; k++)
            report(o, refs[k].id, _("kept: its account is not configured"), err.msg);
        return EX_CONFIG;
    }
    delivery_init(&d, cfg, acct, o->verbose, o->debug, true);
    ids = xreallocarray(NULL, n, sizeof *ids);
    for (size_t k = 0; k < n; k++)
        ids[k] = refs[k].id;
    run_entries(&r, ids, n);
    delivery_end(&d);
    free(ids);
    if (r.store_err.code != 0 && store_err->code == 0)
        *store_err = r.store_err;
    return r.last_status;
}

/* -qI ID: what became of the message, as the exit status says it. */
static int one_message_status(const char *id, int status, struct mo_err *err)
{
    if (status == EX_OK)
        return 0;
    if (status == EX_TEMPFAIL)
        return mo_err_set(err, status, _("%s is still in the queue"), id);
    if (status == EX_UNAVAILABLE)
        return mo_err_set(err, status, _("%s was refused and moved to failed/"), id);
    if (status == EX_DATAERR)
        return mo_err_set(err, status, _("%s is damaged and was moved to corrupt/"), id);
    return mo_err_set(err, status, _("%s: its account is not configured"), id);
}

/* -qI ID found nothing to try: it may be in failed/. */
static int no_such_message(const char *qdir, const char *id, struct mo_err *err)
{
    char *path = xasprintf("%s/failed/%s", qdir, id);
    struct stat st;
    int failed = lstat(path, &st) == 0;

    free(path);
    if (failed)
        return mo_err_set(err, EX_UNAVAILABLE,
                          _("%s is in failed/, not in the queue: mailout --requeue %s puts it back first"),
                          id, id);
    return mo_err_set(err, EX_NOINPUT, _("no queued message %s"), id);
}

/* -v: a run that tried nothing says so. */
static void report_idle(const struct queue_run_opts *o, size_t seen)
{
    if (o->verbose && o->report)
        fprintf(o->report, "mailout: %s\n", seen == 0 ? _("nothing to do: the queue is empty")
                : _("nothing to do: no queued message is due yet (mailout -q tries them all now)"));
}

int queue_run(const struct config *cfg, const struct queue_run_opts *o,
              struct mo_err *err)
{
    char *qdir = queue_dir_path(cfg);
    struct entry_ref *refs = NULL;
    size_t n = 0, i = 0, seen = 0;
    int status = EX_OK;
    struct mo_err store_err = { 0, "" };

    err->code = 0;
    if (queue_dir_usable(qdir, err)) {
        sweep_tmp(qdir);
        n = pick_entries(qdir, cfg, o, o->account, false, &refs, &seen);
    }
    if (n == 0) {
        int rc = err->code ? -1 : o->id ? no_such_message(qdir, o->id, err) : 0;
        if (rc == 0)
            report_idle(o, seen);
        free(qdir);
        return rc;
    }
    while (i < n) {
        size_t j = i;
        while (j < n && strcmp(refs[j].account, refs[i].account) == 0)
            j++;
        status = run_account(cfg, o, qdir, refs + i, j - i, &store_err);
        i = j;
    }
    queue_sync_dir(qdir);
    refs_free(refs, n);
    free(qdir);
    if (store_err.code != 0) {
        *err = store_err;
        return -1;
    }
    /* with -qI there is one message, so one account: its status */
    return o->id ? one_message_status(o->id, status, err) : 0;
}

bool queue_has_mail(const struct config *cfg, const struct account *acct)
{
    char *qdir;
    bool found;

    if (!acct->queue)
        return false;
    qdir = queue_dir_path(cfg);
    found = queue_has_entries(qdir);
    free(qdir);
    return found;
}

void queue_flush_session(struct delivery *d, const struct queue_run_opts *o)
{
    char *qdir = queue_dir_path(d->cfg);
    struct acct_run r = { .cfg = d->cfg, .o = o, .qdir = qdir, .d = d,
                          .ignore_backoff = true, .no_reopen = true,
                          .deadline = time(NULL) + QUEUE_FLUSH_MAX_SECONDS,
                          .max = QUEUE_FLUSH_MAX_MESSAGES };
    struct mo_err err = { 0, "" };
    struct entry_ref *refs = NULL;
    size_t n = 0, seen = 0;

    if (d->acct->queue && delivery_has_session(d) && queue_dir_usable(qdir, &err))
        n = pick_entries(qdir, d->cfg, o, d->acct->name, true, &refs, &seen);
    if (n > 0) {
        char **ids = xreallocarray(NULL, n, sizeof *ids);
        for (size_t k = 0; k < n; k++)
            ids[k] = refs[k].id;
        run_entries(&r, ids, n);
        free(ids);
        queue_sync_dir(qdir);
    }
    refs_free(refs, n);
    free(qdir);
}
