/* keyring.h - the Secret Service keyring through libsecret, loaded with
 * dlopen only when a password is looked up there, so that a send that never
 * needs the keyring does not pay for GLib and D-Bus at start-up. Items use
 * msmtp's attributes: host, service, user (service "smtp" for passwords,
 * "smtp-oauth2" for OAuth 2 refresh tokens). */
#ifndef MAILOUT_KEYRING_H
#define MAILOUT_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

/* True when built with libsecret (--with-libsecret). */
bool keyring_built(void);

/* 1: found, *out set (free with secret_free); 0: no such item; -1: the
 * keyring cannot be used (not built, library missing, no D-Bus, no Secret
 * Service, locked): why says so in one line. */
int keyring_lookup(const char *service, const char *host, const char *user,
                   char **out, char *why, size_t why_size);

/* Stores (replacing) the item under label. EX_UNAVAILABLE when the keyring
 * cannot be used. */
int keyring_store(const char *service, const char *host, const char *user,
                  const char *label, const char *password, struct mo_err *err);

/* 1: an item was removed, 0: there was none, -1: error. */
int keyring_forget(const char *service, const char *host, const char *user,
                   struct mo_err *err);

#endif
