/* log.h - the one-line-per-message log of mailout(1) LOG, to a file or syslog. */
#ifndef MAILOUT_LOG_H
#define MAILOUT_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "conf.h"

struct log_record {
    const char *host;
    const char *account;        /* a fallback account's name: its server took
                                 * or refused the message; NULL otherwise */
    bool tls;
    bool auth;                  /* the session logged in */
    const char *user;           /* the login: logged only with auth */
    const char *uid_name;       /* system mode: the local user who submitted */
    const char *from;
    const char *const *rcpts;
    size_t n_rcpts;
    uint64_t mailsize;
    int smtpstatus;             /* 0: none */
    const char *smtpmsg;        /* NULL: none */
    int exitcode;
};

/* Appends the delivery line; failures to log are reported on stderr once and
 * never change the exit code. */
void log_delivery(const struct config *cfg, const struct log_record *r);

/* "queued=ID reason='...'", "delivered=ID", "failed=ID reason='...'". */
void log_queue_event(const struct config *cfg, const char *event,
                     const char *id, const char *reason);

/* The same with "uid=NAME" after the ID: a message a local user dropped
 * into incoming/ (system mode); events "queued" and "refused". */
void log_queue_event_uid(const struct config *cfg, const char *event,
                         const char *id, const char *uid_name, const char *reason);

/* "failed=ID reason='...'", with "bounced=ID" when a bounce to the sender
 * was queued as that ID (NULL: none). */
void log_queue_failed(const struct config *cfg, const char *id, const char *reason,
                      const char *bounce_id);

/* The same with "uid=NAME" after the ID: a local user's incoming/ entry
 * held in failed/ (held.h). */
void log_queue_failed_uid(const struct config *cfg, const char *id, const char *uid_name,
                          const char *reason, const char *bounce_id);

#endif
