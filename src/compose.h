/* compose.h - the header block as it will be sent: Bcc removed, Date,
 * Message-ID and From added per the account's add_* settings. */
#ifndef MAILOUT_COMPOSE_H
#define MAILOUT_COMPOSE_H

#include <time.h>
#include "err.h"
#include "cli.h"
#include "conf.h"
#include "envelope.h"
#include "message.h"

int compose_headers(struct message *msg, const struct envelope *env,
                    const struct account *acct, const struct cli *cli,
                    struct mo_err *err);

/* now as an RFC 5322 3.3 date-time (English names whatever the locale),
 * for the Date field and bounces. Caller frees. */
char *compose_date(time_t now);

#endif
