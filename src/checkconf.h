/* checkconf.h - --check-config (mailout(1) OPTIONS): every file and account checked in
 * one run, each problem as FILE:LINE: KEY: what is wrong and the fix; and
 * the account description that --debug starts with. */
#ifndef MAILOUT_CHECKCONF_H
#define MAILOUT_CHECKCONF_H

#include <stdio.h>
#include "conf.h"

/* Loads the configuration (explicit_file: -C, or NULL), reports on out what
 * was read and every account's keys with their origin, and on errout one
 * line per problem. account: only that one (-a), or NULL. Returns the exit
 * code: EX_OK when clean, EX_CONFIG otherwise. */
int checkconf_run(const char *explicit_file, const char *account,
                  FILE *out, FILE *errout);

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
