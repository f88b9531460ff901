/* envelope.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "envelope.h"
int envelope_collect_recipients(struct envelope *env, const struct cli *cli, const struct message *msg, const struct config *cfg, struct mo_err *err) { (void)env; (void)cli; (void)msg; (void)cfg; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
char *envelope_sender_hint(const struct cli *cli, const struct message *msg) { (void)cli; (void)msg; return 0; }
int envelope_finish(struct envelope *env, const struct cli *cli, const struct message *msg, const struct account *acct, struct mo_err *err) { (void)env; (void)cli; (void)msg; (void)acct; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
void envelope_free(struct envelope *env) { (void)env; }
