/* msmtprc.h - msmtp's configuration file, read and written out as the
 * equivalent mailout INI (--import-msmtprc). */
#ifndef MAILOUT_MSMTPRC_H
#define MAILOUT_MSMTPRC_H

#include <stddef.h>
#include <stdio.h>
#include "err.h"

/* Converts the msmtprc text (len bytes; NUL bytes are an error) called name
 * in messages, and returns the INI as a NUL-terminated string the caller
 * frees. Settings without an equivalent become "; " comments. The result
 * loads with mailout's own parser. A malformed file: NULL with err
 * (EX_CONFIG) naming name:line. */
char *msmtprc_convert(const char *name, const char *text, size_t len,
                      struct mo_err *err);

/* --import-msmtprc [FILE]: path NULL means ~/.msmtprc, else
 * $XDG_CONFIG_HOME/msmtp/config. Writes the INI to out. */
int msmtprc_import(const char *path, FILE *out, struct mo_err *err);

#endif
