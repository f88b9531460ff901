/* message.c - stub until its module lands. */
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "message.h"
int message_read(int in_fd, bool ignore_dots, const char *spool_dir, struct message *msg, struct mo_err *err) { (void)in_fd; (void)ignore_dots; (void)spool_dir; (void)msg; return mo_err_set(err, EX_SOFTWARE, "not implemented"); }
uint64_t message_wire_size(const struct message *msg) { (void)msg; return 0; }
void message_free(struct message *msg) { (void)msg; }
