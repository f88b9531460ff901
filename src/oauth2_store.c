/* oauth2_store.c - token storage of the built-in OAuth 2 (see oauth2_store.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "conf.h"
#include "https.h"
#include "keyring.h"
#include "oauth2_store.h"

#define TOKEN_FILE_MAX (32 * 1024)

static const char *acct_name(const struct account *a)
{
    return a->name ? a->name : "?";
}

static char *state_dir(void)
{
    char *base = config_state_dir(), *dir = xasprintf("%s/oauth2", base);

    free(base);
    return dir;
}

int o2store_open(const struct account *a, struct o2store *st, struct mo_err *err)
{
    char *dir = state_dir(), *u = https_escape(a->user), *h = https_escape(a->host);

    memset(st, 0, sizeof *st);
    st->a = a;
    st->lock_fd = -1;
    st->base = xasprintf("%s/%s@%s", dir, u, h);
    free(u);
    free(h);
    if (mkdir_p(dir, 0700) != 0) {
        int e = errno;
        mo_err_set(err, EX_CANTCREAT, _("account %s: cannot make the token directory %s: %s"),
                   acct_name(a), dir, strerror(e));
        free(dir);
        return -1;
    }
    free(dir);
    return 0;
}

void o2store_close(struct o2store *st)
{
    if (st->lock_fd >= 0)
        close(st->lock_fd);     /* releases the flock */
    free(st->base);
    memset(st, 0, sizeof *st);
    st->lock_fd = -1;
}

int o2store_lock(struct o2store *st, int timeout, struct mo_err *err)
{
    char *path = xasprintf("%s.lock", st->base);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    long waited = 0, limit = 1000L * (timeout > 0 ? timeout : 60);

    if (fd < 0) {
        int e = errno;
        mo_err_set(err, EX_TEMPFAIL, _("account %s: cannot open %s: %s"),
                   acct_name(st->a), path, strerror(e));
        free(path);
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= limit) {
            close(fd);
            mo_err_set(err, EX_TEMPFAIL, _("account %s: another mailout holds %s for too long"),
                       acct_name(st->a), path);
            free(path);
            return -1;
        }
        struct timespec ts = { 0, 50 * 1000000 };
        nanosleep(&ts, NULL);
        waited += 50;
    }
    free(path);
    st->lock_fd = fd;
    return 0;
}

/* The file's content up to its first newline; NULL when absent or unusable. */
static char *read_small(const char *path)
{
    char buf[TOKEN_FILE_MAX + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    size_t len = 0;
    ssize_t n;
    char *out = NULL;

    if (fd < 0)
        return NULL;
    while (len < TOKEN_FILE_MAX && (n = read(fd, buf + len, TOKEN_FILE_MAX - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (buf[0] != '\0')
        out = xstrdup(buf);
    OPENSSL_cleanse(buf, sizeof buf);
    return out;
}

static int sync_dir_of(const char *path)
{
    char *dir = xstrdup(path), *slash = strrchr(dir, '/');
    int fd, rc = 0;

    if (slash != NULL)
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(dir);
    return rc;
}


/* Replaces path with text + "\n": a crash leaves the old or the new file. */
static int write_atomic(const char *path, const char *text)
{
    char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = -1, e = 0;

    if (fd >= 0) {
        if (write_full(fd, text, strlen(text)) == 0 && write_full(fd, "\n", 1) == 0
            && fsync(fd) == 0)
            rc = 0;
        e = errno;
        if (close(fd) != 0 && rc == 0)
            rc = -1, e = errno;
        if (rc == 0 && (rename(tmp, path) != 0 || sync_dir_of(path) != 0))
            rc = -1, e = errno;
    } else {
        e = errno;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    errno = e;
    return rc;
}

int o2store_get_refresh(struct o2store *st, char **rt, char *why, size_t why_size)
{
    char *path = xasprintf("%s.refresh", st->base);
    int rc;

    why[0] = '\0';
    *rt = read_small(path);
    free(path);
    st->in_keyring = false;
    if (*rt != NULL)
        return 1;
    if (!keyring_built())
        return 0;
    rc = keyring_lookup(OAUTH2_KEYRING_SERVICE, st->a->host, st->a->user, rt, why, why_size);
    st->in_keyring = rc == 1;
    return rc == 1 ? 1 : 0;
}

static int put_file(struct o2store *st, const char *rt, char *where, size_t where_size,
                    struct mo_err *err)
{
    char *path = xasprintf("%s.refresh", st->base);

    if (write_atomic(path, rt) != 0) {
        int e = errno;
        mo_err_set(err, EX_TEMPFAIL, _("account %s: cannot store the refresh token in %s: %s"),
                   acct_name(st->a), path, strerror(e));
        free(path);
        return -1;
    }
    snprintf(where, where_size, "%s", path);
    free(path);
    st->in_keyring = false;
    return 0;
}

int o2store_put_refresh(struct o2store *st, const char *rt, bool login,
                        char *where, size_t where_size, struct mo_err *err)
{
    struct mo_err kerr = { 0, "" };
    char *label, *path;
    int rc = -1;

    if ((login || st->in_keyring) && keyring_built()) {
        label = xasprintf("mailout OAuth 2: %s@%s", st->a->user, st->a->host);
        rc = keyring_store(OAUTH2_KEYRING_SERVICE, st->a->host, st->a->user, label, rt, &kerr);
        free(label);
    }
    if (rc != 0)
        return put_file(st, rt, where, where_size, err);
    /* the keyring has it now: a file left from before would win over it */
    path = xasprintf("%s.refresh", st->base);
    unlink(path);
    free(path);
    snprintf(where, where_size, "%s", _("the keyring"));
    st->in_keyring = true;
    return 0;
}

bool o2store_get_access(struct o2store *st, long min_valid, char **at)
{
    char *path = xasprintf("%s.access", st->base);
    char *line = read_small(path), *sp, *end;
    long long exp;

    free(path);
    *at = NULL;
    if (line == NULL)
        return false;
    errno = 0;
    exp = strtoll(line, &end, 10);
    sp = end;
    if (errno == 0 && *sp == ' ' && sp[1] != '\0' && exp - (long long)time(NULL) >= min_valid)
        *at = xstrdup(sp + 1);
    secret_free(line);
    return *at != NULL;
}

int o2store_put_access(struct o2store *st, const char *at, long expires_in,
                       struct mo_err *err)
{
    char *path = xasprintf("%s.access", st->base);
    char *line = xasprintf("%lld %s", (long long)time(NULL) + expires_in, at);
    int rc = write_atomic(path, line), e = errno;

    secret_free(line);
    if (rc != 0)
        mo_err_set(err, EX_TEMPFAIL, _("account %s: cannot write %s: %s"),
                   acct_name(st->a), path, strerror(e));
    free(path);
    return rc;
}

void o2store_drop_access(struct o2store *st, const char *at)
{
    char *cur = NULL;
    char *path;

    /* whatever its expiry: only the token itself decides */
    if (!o2store_get_access(st, LONG_MIN, &cur))
        return;
    if (strcmp(cur, at) == 0) {
        path = xasprintf("%s.access", st->base);
        unlink(path);
        free(path);
    }
    secret_free(cur);
}

int o2store_forget(const struct account *a, struct mo_err *err)
{
    static const char *const ext[] = { ".refresh", ".access" };
    struct o2store st;
    int found = 0, k;

    if (o2store_open(a, &st, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        char *path = xasprintf("%s%s", st.base, ext[i]);
        found |= unlink(path) == 0 && i == 0;
        free(path);
    }
    o2store_close(&st);
    if (!keyring_built())
        return found;
    k = keyring_forget(OAUTH2_KEYRING_SERVICE, a->host, a->user, err);
    if (k < 0 && !found)
        return -1;
    return found || k == 1;
}
