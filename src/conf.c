/* conf.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "conf.h"
int config_load(struct config *cfg, const char *f, struct mo_err *err) { (void)cfg; (void)f; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
const struct account *config_select_account(const struct config *cfg, const char *name, const char *sender, struct mo_err *err) { (void)cfg; (void)name; (void)sender; mo_err_set(err, EX_SOFTWARE, "not implemented"); return 0; }
void config_free(struct config *cfg) { (void)cfg; }
