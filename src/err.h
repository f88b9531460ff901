/* err.h - one error style: functions return 0 or -1 and fill a struct mo_err;
 * main() prints it once, at the edge, and exits with its sysexits code. */
#ifndef MAILOUT_ERR_H
#define MAILOUT_ERR_H

#include <sysexits.h>

struct mo_err {
    int code;           /* a sysexits.h value, EX_OK when no error */
    char msg[1024];     /* one line for the user, already translated */
};

/* Sets *e and returns -1, so that a caller can write `return mo_err_set(...)`. */
int mo_err_set(struct mo_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes e->msg with "what: " (used by a caller that adds context). */
int mo_err_prefix(struct mo_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The sysexits name of a code, e.g. "EX_TEMPFAIL", for the log line. */
const char *mo_exit_name(int code);

#endif
