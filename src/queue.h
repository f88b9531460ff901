/* queue.h - the on-disk queue: one file per message, a text envelope then the
 * message, written durably (tmp, fsync, rename, fsync dir), locked while it is
 * being delivered. The format is described in mailout(1), section QUEUE. */
#ifndef MAILOUT_QUEUE_H
#define MAILOUT_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "err.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"

/* IDs are 10 upper-case hex digits: 6 of the arrival time, 4 random. */
#define QUEUE_ID_LEN 10
#define QUEUE_FORMAT_LINE "mailout-queue 1"
/* Back-off after the n-th failed attempt: 5 min doubling, at most 4 h. */
#define QUEUE_BACKOFF_FIRST (5 * 60)
#define QUEUE_BACKOFF_MAX (4 * 60 * 60)

/* The envelope part of a queue file, as text fields. */
struct queue_entry {
    char id[QUEUE_ID_LEN + 1];
    char *account;
    struct envelope env;
    time_t arrival;
    unsigned attempts;
    time_t next_try;
    char *last_error;           /* "" when none */
    uint64_t size;              /* the message as sent (CRLF), for mailq */
    uint64_t header_len;        /* header block bytes, LF, without the blank line */
    uint64_t body_size;
    uint64_t body_crlf_extra;   /* message.h; "body-lines" in the file */
    bool has_8bit;
    bool has_long_lines;
    off_t header_offset;        /* where the header block starts in the file */
};

/* The queue directory: cfg->queue_dir, which config_load always sets, or
 * config_default_queue_dir() for a configuration built by hand. Caller
 * frees. */
char *queue_dir_path(const struct config *cfg);

/* Creates the queue directory and its tmp/ (0700) and checks that it belongs
 * to this user and is not open to others. EX_CANTCREAT / EX_NOPERM. */
int queue_prepare(const char *qdir, struct mo_err *err);

/* Where intake spools a message: qdir/tmp when it can be made, so that the
 * queue lives on the same filesystem; else $TMPDIR or /tmp. Static string. */
const char *queue_spool_dir(const struct config *cfg);

/* Writes a new entry into dir (qdir or qdir/failed) for msg and env, with
 * reason as its last error and attempts/next_try set; fills id. Durable when
 * it returns 0. */
int queue_write_new(const char *qdir, const char *subdir, const char *account,
                    const struct envelope *env, const struct message *msg,
                    const char *reason, unsigned attempts, time_t next_try,
                    char id[QUEUE_ID_LEN + 1], struct mo_err *err);

/* Writes a file that is not a queue entry (a held message, held.h) into
 * qdir/sub under a fresh queue ID, as durably as an entry: write_all fills
 * the open file. Fills id. */
int queue_write_file(const char *qdir, const char *sub,
                     int (*write_all)(const void *arg, int fd), const void *arg,
                     char id[QUEUE_ID_LEN + 1], struct mo_err *err);

/* Parses the envelope part of an open queue file (fd at any position) and
 * checks the file's size against it. EX_DATAERR names what is damaged. */
int queue_entry_read(int fd, struct queue_entry *e, struct mo_err *err);

/* Builds the message of an entry for sending: headers parsed, body_fd a dup
 * of fd with body_offset past the header block. */
int queue_entry_message(int fd, const struct queue_entry *e,
                        struct message *msg, struct mo_err *err);

/* Rewrites an entry in place (new file, rename) with new attempt state; the
 * caller holds the lock on the old file, whose fd is fd. */
int queue_entry_update(const char *qdir, int fd, const struct queue_entry *e,
                       struct mo_err *err);

/* Copies the entry's file into qdir/sub (failed, corrupt) with a reason and
 * removes it from the queue. */
int queue_entry_move(const char *qdir, const char *id, int fd,
                     const struct queue_entry *e, const char *sub,
                     const char *reason, struct mo_err *err);

/* --requeue: copies the entry open as fd, qdir/failed/name, back into qdir
 * (its own ID when free) with a fresh start (no attempts, due now, arrival
 * now) and removes it from failed/; fills id. The caller holds its lock. */
int queue_entry_requeue(const char *qdir, const char *name, int fd,
                        const struct queue_entry *e, char id[QUEUE_ID_LEN + 1],
                        struct mo_err *err);

/* Removes qdir/id (delivered or deleted; the caller holds its lock). The
 * directory is synced by queue_sync_dir, once for many removals. */
int queue_entry_remove(const char *qdir, const char *id, struct mo_err *err);

/* fsync of a directory, so that renames and removals in it are durable. */
int queue_sync_dir(const char *dir);

void queue_entry_free(struct queue_entry *e);

/* Seconds to wait after the attempts-th failed attempt. */
long queue_backoff(unsigned attempts);

/* True if name is a queue ID (10 upper-case hex digits). */
bool queue_id_valid(const char *name);

/* Opens qdir/id and takes its lock without waiting. Returns the fd, -1 with
 * err on error, or -2 when another process holds the lock or the entry was
 * removed meanwhile. */
int queue_open_locked(const char *qdir, const char *id, struct mo_err *err);

/* True if another process holds the lock of the open entry fd (for mailq). */
bool queue_is_locked(int fd);

/* Reads the entries of a queue directory in arrival order, unlocked: the one
 * scan that -q, the flush after a send and mailq share.
 *
 *   struct queue_scan sc;
 *   queue_scan_begin(&sc, qdir);
 *   while ((rc = queue_scan_next(&sc, &e, &err)) != 0) { ... }
 *   queue_scan_end(&sc);
 */
struct queue_scan {
    const char *qdir;
    char **ids;
    size_t n, i;
    const char *id;             /* the entry queue_scan_next just read */
    int fd;                     /* its file, read-only, open until the next call */
};
void queue_scan_begin(struct queue_scan *sc, const char *qdir);

/* 1: the next entry is in e (free it with queue_entry_free); 0: no more;
 * -1: sc->id cannot be read, err says why (EX_DATAERR: it is damaged). Files
 * removed since the directory was read are skipped. */
int queue_scan_next(struct queue_scan *sc, struct queue_entry *e, struct mo_err *err);
void queue_scan_end(struct queue_scan *sc);

/* True if qdir holds any entry, whatever its account: a directory read,
 * no file opened. */
bool queue_has_entries(const char *qdir);

#endif
