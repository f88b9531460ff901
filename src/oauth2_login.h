/* oauth2_login.h - `mailout --login`: get a refresh token for an account with
 * the device authorization grant (RFC 8628), or with --browser the
 * authorization code grant with PKCE S256 (RFC 7636) and a loopback redirect
 * on 127.0.0.1 (RFC 8252), then store it (oauth2_store.h). Instructions go
 * to out; with --browser a pasted redirect URL is read from standard input. */
#ifndef MAILOUT_OAUTH2_LOGIN_H
#define MAILOUT_OAUTH2_LOGIN_H

#include <stdbool.h>
#include <stdio.h>
#include "conf.h"
#include "err.h"

int oauth2_login(const struct account *a, bool browser, FILE *out, struct mo_err *err);

#endif
