/* log.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "log.h"
void log_delivery(const struct config *cfg, const struct log_record *r) { (void)cfg; (void)r; }
void log_queue_event(const struct config *cfg, const char *event, const char *id, const char *reason) { (void)cfg; (void)event; (void)id; (void)reason; }
