/* secrets.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "secrets.h"
int secret_get_password(const struct account *acct, char **out, struct mo_err *err) { (void)acct; *out = 0; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
