/* keyring.c - libsecret resolved at run time with dlopen: the program is not
 * linked against libsecret or GLib, and loads them only on the first
 * keyring call (see keyring.h for why). */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "keyring.h"

#ifdef HAVE_LIBSECRET
#include <dlfcn.h>
#include <libsecret/secret.h>

#define LIBSECRET_SONAME "libsecret-1.so.0"

/* msmtp's schema name, so that msmtp finds the items mailout stores; the
 * lookup does not match the name, so items made by secret-tool (which have
 * no schema) are found too. */
static const SecretSchema schema = {
    "de.marlam.msmtp.password", SECRET_SCHEMA_DONT_MATCH_NAME,
    {
        { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static struct {
    bool tried;
    void *handle;
    gchar *(*lookup)(const SecretSchema *, GCancellable *, GError **, ...);
    gboolean (*store)(const SecretSchema *, const gchar *, const gchar *,
                      const gchar *, GCancellable *, GError **, ...);
    gboolean (*clear)(const SecretSchema *, GCancellable *, GError **, ...);
    GList *(*search)(const SecretSchema *, SecretSearchFlags, GCancellable *,
                     GError **, ...);
    void (*list_free_full)(GList *, GDestroyNotify);
    void (*object_unref)(gpointer);
    void (*pw_free)(gchar *);
    void (*error_free)(GError *);
    char load_error[256];
} lib;

/* The library stays loaded: GLib cannot be unloaded safely. */
static bool load(void)
{
    if (lib.tried)
        return lib.handle != NULL;
    lib.tried = true;
    lib.handle = dlopen(LIBSECRET_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib.handle == NULL) {
        snprintf(lib.load_error, sizeof lib.load_error, "%s", dlerror());
        return false;
    }
    *(void **)&lib.lookup = dlsym(lib.handle, "secret_password_lookup_sync");
    *(void **)&lib.store = dlsym(lib.handle, "secret_password_store_sync");
    *(void **)&lib.clear = dlsym(lib.handle, "secret_password_clear_sync");
    *(void **)&lib.pw_free = dlsym(lib.handle, "secret_password_free");
    *(void **)&lib.error_free = dlsym(lib.handle, "g_error_free");
    /* Optional (libsecret >= 0.19): tells a locked item from no item. */
    *(void **)&lib.search = dlsym(lib.handle, "secret_password_search_sync");
    *(void **)&lib.list_free_full = dlsym(lib.handle, "g_list_free_full");
    *(void **)&lib.object_unref = dlsym(lib.handle, "g_object_unref");
    if (!lib.lookup || !lib.store || !lib.clear || !lib.pw_free || !lib.error_free) {
        snprintf(lib.load_error, sizeof lib.load_error, "%s",
                 _("libsecret lacks a needed function"));
        lib.handle = NULL;
        return false;
    }
    return true;
}

/* GLib messages may span lines; ours are one line. */
static void take_error(GError *e, char *buf, size_t size)
{
    snprintf(buf, size, "%s", e && e->message ? e->message : _("unknown error"));
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (e)
        lib.error_free(e);
}

bool keyring_built(void)
{
    return true;
}

/* The lookup gives nothing both for no item and for an item in a collection
 * that stays locked (no prompter, as without a desktop session); a search
 * that does not unlock still lists the locked item. */
static bool item_is_locked(const char *service, const char *host, const char *user,
                           char *why, size_t why_size)
{
    GError *e = NULL;
    GList *items;

    if (!lib.search || !lib.list_free_full || !lib.object_unref)
        return false;
    items = lib.search(&schema, SECRET_SEARCH_NONE, NULL, &e, "host", host,
                       "service", service, "user", user, (char *)NULL);
    if (e != NULL) {
        lib.error_free(e);
        return false;
    }
    if (items == NULL)
        return false;
    lib.list_free_full(items, lib.object_unref);
    snprintf(why, why_size, "%s", _("the entry is in a locked collection"));
    return true;
}

int keyring_lookup(const char *service, const char *host, const char *user,
                   char **out, char *why, size_t why_size)
{
    GError *e = NULL;
    gchar *pw;

    *out = NULL;
    if (!load()) {
        snprintf(why, why_size, _("cannot load %s: %s"), LIBSECRET_SONAME, lib.load_error);
        return -1;
    }
    pw = lib.lookup(&schema, NULL, &e, "host", host, "service", service,
                    "user", user, (char *)NULL);
    if (e != NULL) {
        take_error(e, why, why_size);
        if (pw)
            lib.pw_free(pw);
        return -1;
    }
    if (pw == NULL)
        return item_is_locked(service, host, user, why, why_size) ? -1 : 0;
    *out = xstrdup(pw);
    lib.pw_free(pw);            /* wipes */
    return 1;
}

int keyring_store(const char *service, const char *host, const char *user,
                  const char *label, const char *password, struct mo_err *err)
{
    GError *e = NULL;
    char why[512];

    if (!load())
        return mo_err_set(err, EX_UNAVAILABLE, _("keyring: cannot load %s: %s"),
                          LIBSECRET_SONAME, lib.load_error);
    if (!lib.store(&schema, SECRET_COLLECTION_DEFAULT, label, password, NULL, &e,
                   "host", host, "service", service, "user", user, (char *)NULL)) {
        take_error(e, why, sizeof why);
        return mo_err_set(err, EX_UNAVAILABLE, _("keyring: cannot store the password: %s"), why);
    }
    return 0;
}

int keyring_forget(const char *service, const char *host, const char *user,
                   struct mo_err *err)
{
    GError *e = NULL;
    char why[512];
    gboolean removed;

    if (!load())
        return mo_err_set(err, EX_UNAVAILABLE, _("keyring: cannot load %s: %s"),
                          LIBSECRET_SONAME, lib.load_error);
    removed = lib.clear(&schema, NULL, &e, "host", host, "service", service,
                        "user", user, (char *)NULL);
    if (e != NULL) {
        take_error(e, why, sizeof why);
        return mo_err_set(err, EX_UNAVAILABLE, _("keyring: cannot remove the password: %s"), why);
    }
    return removed ? 1 : 0;
}

#else /* !HAVE_LIBSECRET */

bool keyring_built(void)
{
    return false;
}

int keyring_lookup(const char *service, const char *host, const char *user,
                   char **out, char *why, size_t why_size)
{
    (void)service;
    (void)host;
    (void)user;
    *out = NULL;
    snprintf(why, why_size, "%s", _("mailout was built without keyring support"));
    return -1;
}

int keyring_store(const char *service, const char *host, const char *user,
                  const char *label, const char *password, struct mo_err *err)
{
    (void)service;
    (void)host;
    (void)user;
    (void)label;
    (void)password;
    return mo_err_set(err, EX_UNAVAILABLE, _("mailout was built without keyring support (configure --with-libsecret)"));
}

int keyring_forget(const char *service, const char *host, const char *user,
                   struct mo_err *err)
{
    (void)service;
    (void)host;
    (void)user;
    return mo_err_set(err, EX_UNAVAILABLE, _("mailout was built without keyring support (configure --with-libsecret)"));
}

#endif
