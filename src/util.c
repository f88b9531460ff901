/* util.c - small helpers shared by every module. */
#include "config.h"
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "i18n.h"
#include "resolve.h"
#include "util.h"

/* How long the local host's name may take to resolve (EHLO, Message-ID). */
#define LOCAL_FQDN_WAIT_MS 5000

static void out_of_memory(void)
{
    fprintf(stderr, _("mailout: out of memory\n"));
    exit(EX_OSERR);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory();
    return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > (size_t)-1 / size)
        out_of_memory();
    return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void strbuf_init(struct strbuf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

int strbuf_append(struct strbuf *b, const void *p, size_t n)
{
    if (b->limit != 0 && (n > b->limit || b->len > b->limit - n))
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int strbuf_appendf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return strbuf_append(b, small, (size_t)n);
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = strbuf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

void strbuf_reset(struct strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void strbuf_free(struct strbuf *b)
{
    free(b->data);
    strbuf_init(b, b->limit);
}

char *strbuf_detach(struct strbuf *b, size_t *len)
{
    char *p = b->data ? b->data : xstrdup("");
    if (len)
        *len = b->len;
    strbuf_init(b, b->limit);
    return p;
}

char *home_dir(void)
{
    const char *h = getenv("HOME");
    struct passwd *pw;

    if (h != NULL && h[0] == '/')
        return xstrdup(h);
    pw = getpwuid(getuid());
    if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
        return xstrdup(pw->pw_dir);
    return NULL;
}

char *home_path(const char *rel)
{
    char *home = home_dir();
    char *path;

    /* "/" + "/x" would be "//x" */
    if (home == NULL || strcmp(home, "/") == 0)
        path = xasprintf("/%s", rel);
    else
        path = xasprintf("%s/%s", home, rel);
    free(home);
    return path;
}

char *path_expand_tilde(const char *path)
{
    if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
        return xstrdup(path);
    if (path[1] == '\0') {
        char *home = home_dir();
        return home ? home : xstrdup("/");
    }
    return home_path(path + 2);
}

int mkdir_p(const char *path, int mode)
{
    char *p = xstrdup(path);
    int rc = 0;

    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    int saved = errno;
    free(p);
    errno = saved;
    return rc;
}

bool has_control_chars(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int ascii_strncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = ascii_lower((unsigned char)a[i]);
        int cb = ascii_lower((unsigned char)b[i]);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

int ascii_strcasecmp(const char *a, const char *b)
{
    return ascii_strncasecmp(a, b, (size_t)-1);
}

void secret_free(char *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

const char *local_fqdn(void)
{
    static char name[256];
    struct addrinfo hints, *res = NULL;

    if (name[0] != '\0')
        return name;
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
        snprintf(name, sizeof name, "localhost");
    name[sizeof name - 1] = '\0';
    if (strchr(name, '.') != NULL)
        return name;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_CANONNAME;
    /* bounded: a resolver that does not answer costs LOCAL_FQDN_WAIT_MS */
    if (resolve_bounded(name, NULL, &hints, LOCAL_FQDN_WAIT_MS, &res) == 0 && res
            && res->ai_canonname
            && strchr(res->ai_canonname, '.') != NULL)
        snprintf(name, sizeof name, "%s", res->ai_canonname);
    if (res)
        freeaddrinfo(res);
    return name;
}

int write_full(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int copy_fd_range(int in, off_t off, uint64_t len, int out)
{
    char buf[65536];

    while (len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        ssize_t r = pread(in, buf, want, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        if (write_full(out, buf, (size_t)r) != 0)
            return -1;
        off += r;
        len -= (uint64_t)r;
    }
    return 0;
}

bool is_hex_name(const char *s, size_t len, bool upper)
{
    char a = upper ? 'A' : 'a', f = upper ? 'F' : 'f';
    size_t i;

    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= a && s[i] <= f)))
            return false;
    return i == len;
}

/* Length of a valid UTF-8 sequence of a printable character at s, or 0
 * (C1 controls, overlongs, surrogates and truncated sequences give 0). */
size_t utf8_printable_len(const unsigned char *s, size_t avail)
{
    uint32_t cp;
    size_t n;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
            || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
        return 0;
    return n;
}
