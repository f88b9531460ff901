/* aliases.h - the aliases file: "name: addr, addr", "default: addr". */
#ifndef MAILOUT_ALIASES_H
#define MAILOUT_ALIASES_H

#include <stddef.h>
#include "err.h"

#define ALIASES_MAX_DEPTH 8

struct aliases;

/* Loads path; a missing file gives an empty table. Syntax errors are
 * EX_CONFIG naming file and line. */
int aliases_load(struct aliases **out, const char *path, struct mo_err *err);

/* Resolves a local name (recursively, with a depth bound) into qualified
 * addresses appended to *out (caller frees each and the array). Unknown names
 * fall back to "default"; with neither, EX_NOUSER. */
int aliases_resolve(const struct aliases *al, const char *name, char ***out,
                    size_t *n_out, struct mo_err *err);

/* qualify_domain (mailout(1) CONFIGURATION): from now on a name with neither an alias nor a
 * default resolves to name@domain instead of EX_NOUSER. NULL turns it off. */
void aliases_set_qualify_domain(struct aliases *al, const char *domain);

void aliases_free(struct aliases *al);

#endif
