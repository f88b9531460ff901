/* version.h - --version: program, TLS library, keyring, configuration paths. */
#ifndef MAILOUT_VERSION_H
#define MAILOUT_VERSION_H

#include <stdio.h>
#include "conf.h"

int version_print(FILE *out, const struct config *cfg, const char *explicit_file);

#endif
