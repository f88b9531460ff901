/* dryrun.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "dryrun.h"
int dryrun_print(FILE *out, const struct account *acct, const struct envelope *env, const struct message *msg, struct mo_err *err) { (void)out; (void)acct; (void)env; (void)msg; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
