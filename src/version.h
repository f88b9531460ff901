/* version.h - --version: program, TLS library, keyring, configuration paths. */
#ifndef MAILOUT_VERSION_H
#define MAILOUT_VERSION_H

#include <stdio.h>
#include "conf.h"

/* Prints the --version text; cfg may be NULL (the configuration could not be
 * loaded), explicit_file is -C or NULL. Returns an exit code: EX_OK, or
 * EX_IOERR when out could not be written. */
int version_print(FILE *out, const struct config *cfg, const char *explicit_file);

#endif
