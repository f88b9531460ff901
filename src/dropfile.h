/* dropfile.h - the entries local users drop into the spool's incoming/ in
 * system mode (mailout(1) REPLACING THE LOCAL MTA): a text envelope as the caller gave it, then the
 * message. Shared by the submit helper (which writes them) and the queue run
 * (which reads them as root), so that both check the envelope with the same
 * rules. The format is described in mailout(1), REPLACING THE LOCAL MTA. */
#ifndef MAILOUT_DROPFILE_H
#define MAILOUT_DROPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "err.h"

#define DROP_FORMAT_LINE "mailout-incoming 1"
#define DROP_ENVELOPE_MAX (256 * 1024)  /* bytes of the text part */
#define DROP_RCPTS_MAX 1000             /* recipient arguments */
#define DROP_VALUE_MAX 2000             /* bytes of one value */
#define DROP_NAME_LEN 16                /* hex digits of an entry's name */
/* The helper cannot read the configuration: this is its message limit. */
#define DROP_SIZE_LIMIT (50L * 1024 * 1024)

struct drop_envelope {
    unsigned long uid;          /* the caller's real uid */
    char *user;                 /* its name, from the password database */
    long long time;             /* when it was dropped */
    bool read_recipients;       /* -t */
    char *sender;               /* -f; NULL: none, "" the null sender */
    char *full_name;            /* -F */
    char *notify, *ret, *envid; /* -N, -R, -V */
    char **rcpts;               /* the command-line arguments, as given */
    size_t n_rcpts;
    /* Only in a message held in failed/ (held.h), never from a local user: */
    char *account;              /* -a */
    bool read_envelope_from;    /* --read-envelope-from */
    char *reason;               /* why it was held */
};

/* Checks what the caller gave with the rules of the main program: no control
 * character anywhere, -f one address, each recipient argument an address
 * list, a recipient or -t, the bounds above, no -a. EX_DATAERR / EX_USAGE. */
int drop_check(const struct drop_envelope *d, struct mo_err *err);

/* The format's own bounds alone (no control character, DROP_VALUE_MAX, a
 * user name): what any envelope must meet to be written as text. */
int drop_check_values(const struct drop_envelope *d, struct mo_err *err);

/* The text part, ending with the "end" line; caller frees. */
char *drop_render(const struct drop_envelope *d, size_t *len);

/* Parses the text part at the start of buf (len bytes read so far); sets
 * *body_offset to where the message starts. EX_DATAERR names what is wrong,
 * drop_check included. */
int drop_parse(const char *buf, size_t len, struct drop_envelope *d,
               size_t *body_offset, struct mo_err *err);

/* The same with drop_check_values only: a message held in failed/ keeps
 * the command line that failed, which the main program checks again when
 * it is requeued. */
int drop_parse_values(const char *buf, size_t len, struct drop_envelope *d,
                      size_t *body_offset, struct mo_err *err);

/* True if name is an entry name (DROP_NAME_LEN lower-case hex digits). */
bool drop_name_valid(const char *name);

/* Reads and parses the text part of the open file fd (at most
 * DROP_ENVELOPE_MAX bytes from its start) with drop_parse, or with
 * drop_parse_values when held (a message held in failed/, held.h); *body is
 * where the message starts. EX_IOERR when fd cannot be read. */
int drop_read(int fd, bool held, struct drop_envelope *d, off_t *body,
              struct mo_err *err);

/* The listing of one entry in mailq's columns (queue ID, size of the
 * message, arrival, sender; then one line per recipient argument). */
void drop_print(FILE *out, const char *name, long long size,
                const struct drop_envelope *d);

void drop_free(struct drop_envelope *d);

#endif
