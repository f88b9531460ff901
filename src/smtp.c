/* smtp.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "smtp.h"
int smtp_session_open(struct smtp_session **out, const struct smtp_options *opt, struct mo_err *err) { (void)out; (void)opt; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
int smtp_session_send(struct smtp_session *s, const struct envelope *env, const struct message *msg, struct smtp_result *res, struct mo_err *err) { (void)s; (void)env; (void)msg; (void)res; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
void smtp_session_close(struct smtp_session *s) { (void)s; }
int smtp_print_serverinfo(const struct smtp_options *opt, FILE *out, struct mo_err *err) { (void)opt; (void)out; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
