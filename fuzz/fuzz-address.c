/* fuzz-address.c - libFuzzer target: address_list_parse and address_parse_one
 * on arbitrary bytes, with invariants (no control character in what comes
 * out, quoting round-trips); input starting with "#aliases\n" is loaded as an
 * aliases file instead and every name in it resolved. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "address.h"
#include "aliases.h"
#include "util.h"

static bool has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* What quote_phrase writes must parse back to the same mailbox. Tabs become
 * spaces there on purpose, so they are compared as spaces. */
static void check_round_trip(const struct mailbox *m)
{
    char *q = m->display_name ? address_quote_phrase(m->display_name) : xstrdup("");
    char *text = xasprintf("%s <%s>", q, m->addr);
    struct address_list l;
    struct mo_err err = { 0, "" };

    if (address_list_parse(text, strlen(text), &l, &err) != 0) {
        fprintf(stderr, "round trip failed: [%s]: %s\n", text, err.msg);
        abort();
    }
    if (l.n != 1 || strcmp(l.items[0].addr, m->addr) != 0)
        abort();
    if (m->display_name) {
        char *want = xstrdup(m->display_name);
        for (char *p = want; *p; p++)
            if (*p == '\t')
                *p = ' ';
        if (l.items[0].display_name == NULL || strcmp(l.items[0].display_name, want) != 0) {
            fprintf(stderr, "name changed: [%s] -> [%s]\n", want,
                    l.items[0].display_name ? l.items[0].display_name : "(null)");
            abort();
        }
        free(want);
    } else if (l.items[0].display_name != NULL) {
        abort();
    }
    address_list_free(&l);
    free(text);
    free(q);
}

static void check_list(const uint8_t *d, size_t n)
{
    struct address_list l;
    struct mo_err err = { 0, "" };

    if (address_list_parse((const char *)d, n, &l, &err) != 0) {
        if (err.code != EX_DATAERR || err.msg[0] == '\0' || has_control_chars(err.msg)
                || strlen(err.msg) > 400)
            abort();
        if (l.n != 0 || l.items != NULL)
            abort();
        return;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct mailbox *m = &l.items[i];
        if (m->addr == NULL || m->addr[0] == '\0' || has_control_chars(m->addr))
            abort();
        if (m->display_name && (m->display_name[0] == '\0' || has_line_break(m->display_name)))
            abort();
        (void)address_is_qualified(m->addr);
        check_round_trip(m);
    }
    address_list_free(&l);
}

static void check_one(const uint8_t *d, size_t n)
{
    char *s = xstrndup((const char *)d, n);
    char *addr = NULL;
    struct mo_err err = { 0, "" };

    if (address_parse_one(s, &addr, &err) == 0) {
        if (addr == NULL || has_control_chars(addr))
            abort();
        free(addr);
    } else if (addr != NULL || err.code != EX_DATAERR || has_control_chars(err.msg)) {
        abort();
    }
    free(s);
}

static void check_aliases(const uint8_t *d, size_t n)
{
    int fd = memfd_create("fuzz-aliases", MFD_CLOEXEC);
    char path[64];
    struct aliases *al = NULL;
    struct mo_err err = { 0, "" };

    if (fd < 0)
        return;
    if (write(fd, d, n) != (ssize_t)n) {
        close(fd);
        return;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (aliases_load(&al, path, &err) == 0) {
        /* Every "name:" at a line start is worth resolving, known or not. */
        for (const uint8_t *p = d, *end = d + n; p < end; ) {
            const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
            const uint8_t *le = nl ? nl : end;
            const uint8_t *colon = memchr(p, ':', (size_t)(le - p));
            if (colon && colon > p && colon - p < 64) {
                char *name = xstrndup((const char *)p, (size_t)(colon - p));
                char **out = NULL;
                size_t k = 0;
                if (aliases_resolve(al, name, &out, &k, &err) == 0) {
                    for (size_t i = 0; i < k; i++) {
                        if (!address_is_qualified(out[i]) || has_control_chars(out[i]))
                            abort();
                    }
                } else if (k != 0 || has_control_chars(err.msg)) {
                    abort();
                }
                for (size_t i = 0; i < k; i++)
                    free(out[i]);
                free(out);
                free(name);
            }
            p = le + 1;
        }
        aliases_free(al);
    } else if (al != NULL || has_control_chars(err.msg)) {
        abort();
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const char tag[] = "#aliases\n";

    if (n >= sizeof tag - 1 && memcmp(d, tag, sizeof tag - 1) == 0) {
        check_aliases(d, n);
        return 0;
    }
    check_list(d, n);
    check_one(d, n);
    return 0;
}
