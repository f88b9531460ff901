/* checkconf.h - --check-config (mailout(1) OPTIONS): every file and account checked in
 * one run, each problem as FILE:LINE: KEY: what is wrong and the fix; and
 * the account description that --debug starts with. */
#ifndef MAILOUT_CHECKCONF_H
#define MAILOUT_CHECKCONF_H

#include <stdbool.h>
#include <stdio.h>
#include "conf.h"

struct checkconf_opts {
    const char *file;           /* -C FILE, or NULL */
    const char *account;        /* -a NAME: only that one, or NULL */
    bool connect;               /* --connect: each server tried too */
    int verbose;                /* -v and --debug for those sessions */
    bool debug;
};

/* Loads the configuration, reports on out what was read and every
 * account's keys with their origin, and on errout one line per problem.
 * With connect, each account's server is tried after its keys: connect,
 * TLS, AUTH, MAIL FROM, step by step on out. Returns the exit code:
 * EX_OK when clean, else that of the first problem (EX_CONFIG for a
 * problem in the files, a send's exit code for a step that failed). */
int checkconf_run(const struct checkconf_opts *o, FILE *out, FILE *errout);

/* The likely mistakes of one account (port/tls mix-ups, password next to
 * password_command, ...), each appended to *lines as "FILE:LINE: KEY: why";
 * returns how many were found. */
size_t checkconf_account(const struct account *a, char ***lines, size_t *n);

/* For --debug: the files read, the account chosen and why (name: the -a
 * argument or NULL; sender: the envelope sender it was chosen for, or
 * NULL), and each key with its origin. */
void checkconf_describe(FILE *out, const struct config *cfg, const struct account *a,
                        const char *name, const char *sender);

#endif
