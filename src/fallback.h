/* fallback.h - an account's fallback accounts (mailout(1) CONFIGURATION,
 * fallback): the list as written, its check at load time (names that
 * exist, no account that falls back to itself, no cycle) and the chain of
 * servers a delivery walks. */
#ifndef MAILOUT_FALLBACK_H
#define MAILOUT_FALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include "conf.h"

/* The next name of a fallback list (names separated by commas and/or
 * blanks) at *p: *name and *len point into the list, *p moves past it.
 * False at the end of the list. */
bool fallback_next(const char **p, const char **name, size_t *len);

/* Checks the fallback lists of n accounts: names[i] and its list lists[i]
 * (NULL: none). Every name must be one of names[], not the account itself,
 * and following the lists must never come back to an account. Calls
 * report(ctx, i, why) once for each account i whose list is wrong (why is
 * one translated phrase). */
void fallback_check(const char *const *names, const char *const *lists, size_t n,
                    void (*report)(void *ctx, size_t i, const char *why), void *ctx);

/* The servers to try for acct, in order: acct, then each account its
 * fallback names, each followed by its own fallback accounts (depth first),
 * every account once. Returns how many went into out (which has room for
 * cfg->n_accounts + 1). */
size_t fallback_chain(const struct config *cfg, const struct account *acct,
                      const struct account **out);

#endif
