/* util.h - allocation that cannot fail silently, bounded strings, paths. */
#ifndef MAILOUT_UTIL_H
#define MAILOUT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Out of memory is fatal: these print one line and exit EX_OSERR. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer with a hard limit; append fails (returns -1) past it. */
struct strbuf {
    char *data;         /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit;       /* 0: no limit */
};
void strbuf_init(struct strbuf *b, size_t limit);
int strbuf_append(struct strbuf *b, const void *p, size_t n);
int strbuf_appendf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *b);
void strbuf_free(struct strbuf *b);
/* Hands the data to the caller and leaves b empty. */
char *strbuf_detach(struct strbuf *b, size_t *len);

/* The user's home directory: $HOME when it is an absolute path, else the
 * password database's entry; NULL when neither is known. Caller frees. */
char *home_dir(void);

/* rel under the home directory ("/" + rel when it is unknown). Caller frees. */
char *home_path(const char *rel);

/* "~" and "~/x" become home_path("") and home_path("x"); anything else is
 * copied. */
char *path_expand_tilde(const char *path);

/* mkdir -p with mode for each created component. Returns 0 or -1 (errno). */
int mkdir_p(const char *path, int mode);

/* Writes all n bytes, retrying short writes and EINTR. 0, or -1 with errno
 * (ENOSPC, EIO, ...) for the caller to report. */
int write_full(int fd, const void *p, size_t n);

/* Copies len bytes of in from offset off to out (write_full); len is a
 * bound and a shorter source is an error (EIO: a truncated file). */
int copy_fd_range(int in, off_t off, uint64_t len, int out);

/* True if s has a byte < 0x20 (other than none allowed) or 0x7f. */
bool has_control_chars(const char *s);

/* Length of the valid UTF-8 sequence of one printable character at s (at
 * most avail bytes), or 0: C1 controls, overlongs, surrogates and truncated
 * sequences give 0. For text shown to people: addresses, the log. */
size_t utf8_printable_len(const unsigned char *s, size_t avail);

/* True if s is exactly len hex digits, all upper case (upper) or all lower
 * case: the file names of queue entries and of incoming/ drops. */
bool is_hex_name(const char *s, size_t len, bool upper);

/* ASCII case-insensitive helpers that do not depend on the locale. */
int ascii_strcasecmp(const char *a, const char *b);
int ascii_strncasecmp(const char *a, const char *b, size_t n);

/* Overwrites and frees a secret string (NULL is fine). */
void secret_free(char *s);

/* The local host's fully qualified name, for EHLO and Message-ID; never NULL. */
const char *local_fqdn(void);

#endif
