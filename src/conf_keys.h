/* conf_keys.h - the keys of mailout.ini and their values: the key tables,
 * the value parsers and checkers, and storing a value in its field. Private
 * to conf.c and conf_keys.c: the rest of the program sees struct config,
 * struct account and conf.h. */
#ifndef MAILOUT_CONF_KEYS_H
#define MAILOUT_CONF_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "conf.h"

#define CONF_NAME_MAX 64        /* an account name's length */

enum sec_kind { SEC_MAILOUT, SEC_DEFAULTS, SEC_ACCOUNT };

enum vtype {
    V_HOST, V_HOST_OPT, V_NAME, V_PORT, V_FROM, V_STR, V_PATH, V_TRUST, V_FPR,
    V_TLS, V_AUTH, V_TLSVER, V_TIMEOUT, V_DSN_NOTIFY, V_DSN_RETURN, V_PROTO,
    V_TRI, V_BOOL, V_DURATION, V_INHERIT, V_DOMAIN, V_REWRITE, V_SIZE,
    V_OAUTH2, V_URL, V_FALLBACK,
};

union conf_val {
    char *s;
    int i;
    long l;
    bool b;
};

struct keydef {
    const char *name;
    enum vtype type;
    size_t off;
};

/* The key of that name in a section of that kind, or NULL. */
const struct keydef *conf_keydef(enum sec_kind kind, const char *name);

/* True for a key that only an account section takes (inherit, fallback:
 * each account has its own, none comes from [defaults]). */
bool conf_account_only_key(const char *name);

/* Parses v for a key of type t into out (a string is allocated). 0, or -1
 * with why (one translated phrase) filled. */
int conf_parse_value(enum vtype t, const char *v, union conf_val *out, char *why, size_t n);

/* True if the key's value is a string (allocated in out->s). */
bool conf_is_string(enum vtype t);

/* Stores a parsed value at its field; base is a struct account or config. */
void conf_store(void *base, const struct keydef *k, union conf_val *v);

/* The index of k in the account keys (the order of conf_account_key), or
 * -1 when k is a [mailout] key. */
ssize_t conf_account_key_index(const struct keydef *k);

bool conf_valid_name(const char *s);
void conf_account_defaults(struct account *a);
void conf_account_free(struct account *a);

#endif
