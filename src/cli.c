/* cli.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "cli.h"
#include <string.h>
int cli_parse(int argc, char **argv, struct cli *out, struct mo_err *err)
{ (void)argc; (void)argv; memset(out, 0, sizeof *out); return mo_err_set(err, EX_SOFTWARE, "cli: not implemented"); }
void cli_print_help(const char *progname) { (void)progname; }
