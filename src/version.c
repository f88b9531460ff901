/* version.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "version.h"
int version_print(FILE *out, const struct config *cfg, const char *f) { (void)cfg; (void)f; fprintf(out, "mailout %s\n", PACKAGE_VERSION); return 0; }
