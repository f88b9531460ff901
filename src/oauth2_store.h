/* oauth2_store.h - where the built-in OAuth 2 keeps its tokens: the refresh
 * token in the keyring (host, service smtp-oauth2, user) or, without one, in
 * a 0600 file; the access token in a 0600 cache file; both under the state
 * directory ($XDG_STATE_HOME/mailout/oauth2, else ~/.local/state/mailout/oauth2,
 * or /var/lib/mailout/oauth2 for root), with a lock file for the refresh. Files
 * are replaced atomically (write, fsync, rename). A refresh-token file, when
 * present, wins over the keyring (it is written when the keyring failed). */
#ifndef MAILOUT_OAUTH2_STORE_H
#define MAILOUT_OAUTH2_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include "conf.h"
#include "err.h"

#define OAUTH2_KEYRING_SERVICE "smtp-oauth2"

struct o2store {
    const struct account *a;
    char *base;             /* STATEDIR/USER@HOST, the files' common prefix */
    int lock_fd;            /* -1: not locked */
    bool in_keyring;        /* the refresh token was read from the keyring */
};

/* Makes the directory (0700) and the paths. */
int o2store_open(const struct account *a, struct o2store *st, struct mo_err *err);
/* Unlocks and frees. */
void o2store_close(struct o2store *st);

/* An exclusive lock across processes (flock), waiting up to timeout s. */
int o2store_lock(struct o2store *st, int timeout, struct mo_err *err);

/* 1: *rt set; 0: none stored (why says so when the keyring was not
 * reachable, else why is ""). */
int o2store_get_refresh(struct o2store *st, char **rt, char *why, size_t why_size);

/* Stores rt. login: the keyring first (then the file is removed); else
 * where the old one was read from, the file when the keyring fails. where
 * tells the user which. */
int o2store_put_refresh(struct o2store *st, const char *rt, bool login,
                        char *where, size_t where_size, struct mo_err *err);

/* True with *at set when the cached access token is valid for at least
 * min_valid more seconds. */
bool o2store_get_access(struct o2store *st, long min_valid, char **at);
int o2store_put_access(struct o2store *st, const char *at, long expires_in,
                       struct mo_err *err);
/* Removes the cached access token when it is at (the server refused it). */
void o2store_drop_access(struct o2store *st, const char *at);

/* Removes the refresh token (keyring and file) and the cache: 1 something
 * was removed, 0 nothing was stored, -1 error. */
int o2store_forget(const struct account *a, struct mo_err *err);

#endif
