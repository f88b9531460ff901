/* compose.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "compose.h"
int compose_headers(struct message *msg, const struct envelope *env, const struct account *acct, const struct cli *cli, struct mo_err *err) { (void)msg; (void)env; (void)acct; (void)cli; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
