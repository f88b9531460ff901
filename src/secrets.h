/* secrets.h - the account's password, from the sources of mailout(1) PASSWORDS, in order. */
#ifndef MAILOUT_SECRETS_H
#define MAILOUT_SECRETS_H

#include "conf.h"
#include "err.h"

/* Finds the password for acct: password, password_command, keyring, ~/.netrc,
 * a prompt on /dev/tty. *out is freed with secret_free(). */
int secret_get_password(const struct account *acct, char **out,
                        struct mo_err *err);

/* Runs cmd (the value of the account's key, for messages) as password_command
 * is run: stdout's first line, bounded, with the account's timeout. */
int secret_command(const struct account *acct, const char *key, const char *cmd,
                   char **out, struct mo_err *err);

/* --store-password / --forget-password (which removes a stored OAuth 2
 * token too). */
int secret_store_password(const struct account *acct, struct mo_err *err);
int secret_forget_password(const struct account *acct, struct mo_err *err);

/* "yes (libsecret)" or "no", for --version. */
const char *secret_keyring_support(void);

#endif
