/* aliases.c - the aliases file: "name: addr, addr", "default: addr".
 *
 * The format is the familiar /etc/aliases one: "#" comment lines, an entry
 * continued on lines that start with whitespace, values as an RFC 5322
 * address list. Only addresses make sense for a relay-only program: pipes,
 * files and :include: are kept as "unsupported" entries, so that a system
 * /etc/aliases that has some still loads, and fail only when a name that
 * needs one is resolved. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "address.h"
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "aliases.h"

/* One entry, with its continuation lines; and the whole file. */
#define ALIASES_MAX_ENTRY (64 * 1024)
#define ALIASES_MAX_FILE (16 * 1024 * 1024)
#define ALIASES_MAX_NAME 256
/* A resolution that fans out further than this is a mistake, not a list. */
#define ALIASES_MAX_RESULTS 10000

struct alias_entry {
    char *name;
    char **targets;
    size_t n;
    unsigned line;
    bool unsupported;       /* a pipe, file or :include: target */
};

struct aliases {
    char *path;
    char *qualify_domain;   /* unknown names become name@this; NULL: EX_NOUSER */
    struct alias_entry *e;
    size_t n, cap;
};

struct loader {
    struct aliases *al;
    struct strbuf entry;    /* the current entry, continuations joined */
    unsigned entry_line;
    struct mo_err *err;
};

static bool is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

static void entry_free(struct alias_entry *e)
{
    free(e->name);
    for (size_t i = 0; i < e->n; i++)
        free(e->targets[i]);
    free(e->targets);
}

void aliases_free(struct aliases *al)
{
    if (al == NULL)
        return;
    for (size_t i = 0; i < al->n; i++)
        entry_free(&al->e[i]);
    free(al->e);
    free(al->path);
    free(al->qualify_domain);
    free(al);
}

/* Does a comma-separated element of the value start like a pipe, a file or
 * an :include:? Quotes are tracked so that a comma inside one is no split. */
static bool has_local_delivery(const char *v)
{
    bool start = true, quoted = false;

    for (const char *p = v; *p; p++) {
        if (start && !is_wsp(*p)) {
            const char *q = (*p == '"') ? p + 1 : p;
            if (*q == '|' || *q == '/' || ascii_strncasecmp(q, ":include:", 9) == 0)
                return true;
            start = false;
        }
        if (quoted && *p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == ',')
            start = true;
    }
    return false;
}

static int set_targets(struct loader *ld, struct alias_entry *e, const char *value)
{
    struct address_list l;

    if (has_local_delivery(value)) {
        e->unsupported = true;
        return 0;
    }
    if (address_list_parse(value, strlen(value), &l, ld->err) != 0) {
        ld->err->code = EX_CONFIG;
        return mo_err_prefix(ld->err, _("%s:%u: alias \"%s\""), ld->al->path,
                             e->line, e->name);
    }
    if (l.n == 0) {
        address_list_free(&l);
        return mo_err_set(ld->err, EX_CONFIG, _("%s:%u: alias \"%s\" has no address"),
                          ld->al->path, e->line, e->name);
    }
    e->targets = xcalloc(l.n, sizeof *e->targets);
    for (size_t i = 0; i < l.n; i++) {
        e->targets[i] = l.items[i].addr;
        l.items[i].addr = NULL;
    }
    e->n = l.n;
    address_list_free(&l);
    return 0;
}

/* Turns the collected "name: value" text into an entry. */
static int finish_entry(struct loader *ld)
{
    struct aliases *al = ld->al;
    char *s, *colon, *name_end, *value;
    struct alias_entry e;

    if (ld->entry.len == 0)
        return 0;
    s = ld->entry.data;
    colon = strchr(s, ':');
    if (colon == NULL)
        return mo_err_set(ld->err, EX_CONFIG, _("%s:%u: expected \"name: address, ...\""),
                          al->path, ld->entry_line);
    for (name_end = colon; name_end > s && is_wsp(name_end[-1]); name_end--)
        ;
    if (name_end == s)
        return mo_err_set(ld->err, EX_CONFIG, _("%s:%u: alias name missing before ':'"),
                          al->path, ld->entry_line);
    *name_end = '\0';
    if (strpbrk(s, " \t\"@") != NULL || name_end - s > ALIASES_MAX_NAME)
        return mo_err_set(ld->err, EX_CONFIG,
                          _("%s:%u: bad alias name (a local name without spaces, quotes or '@')"),
                          al->path, ld->entry_line);
    for (value = colon + 1; is_wsp(*value); value++)
        ;
    memset(&e, 0, sizeof e);
    e.name = xstrdup(s);
    e.line = ld->entry_line;
    if (set_targets(ld, &e, value) != 0) {
        entry_free(&e);
        return -1;
    }
    if (al->n == al->cap) {
        al->cap = al->cap ? al->cap * 2 : 16;
        al->e = xreallocarray(al->e, al->cap, sizeof *al->e);
    }
    al->e[al->n++] = e;
    strbuf_reset(&ld->entry);
    return 0;
}

static int control_in_line(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 1;
    }
    return 0;
}

static int load_line(struct loader *ld, char *line, size_t len, unsigned lineno)
{
    size_t i = 0;

    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (control_in_line(line, len))
        return mo_err_set(ld->err, EX_DATAERR, _("%s:%u: control character in the aliases file"),
                          ld->al->path, lineno);
    while (i < len && is_wsp(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return 0;
    if (i == 0) {
        if (finish_entry(ld) != 0)
            return -1;
        ld->entry_line = lineno;
    } else if (ld->entry.len == 0) {
        return mo_err_set(ld->err, EX_CONFIG, _("%s:%u: continuation line without an alias before it"),
                          ld->al->path, lineno);
    } else {
        /* A continuation is folding: it joins with a space. */
        i = 0;
        line[0] = ' ';
        while (i + 1 < len && is_wsp(line[i + 1]))
            i++;
    }
    if (strbuf_append(&ld->entry, line + i, len - i) != 0)
        return mo_err_set(ld->err, EX_CONFIG, _("%s:%u: alias entry too long"),
                          ld->al->path, lineno);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct alias_entry *x = a, *y = b;
    int c = ascii_strcasecmp(x->name, y->name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Sorted for lookup; a name given twice is a mistake worth reporting. */
static int sort_entries(struct aliases *al, struct mo_err *err)
{
    if (al->n > 1)
        qsort(al->e, al->n, sizeof *al->e, cmp_entry);
    for (size_t i = 1; i < al->n; i++)
        if (ascii_strcasecmp(al->e[i - 1].name, al->e[i].name) == 0)
            return mo_err_set(err, EX_CONFIG, _("%s:%u: duplicate alias \"%s\" (first on line %u)"),
                              al->path, al->e[i].line, al->e[i].name, al->e[i - 1].line);
    return 0;
}

static int read_file(struct loader *ld, FILE *f)
{
    char *line = NULL;
    size_t cap = 0, total = 0;
    ssize_t got;
    unsigned lineno = 0;
    int rc = 0;

    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        total += (size_t)got;
        if (total > ALIASES_MAX_FILE) {
            rc = mo_err_set(ld->err, EX_CONFIG, _("%s: file too large"), ld->al->path);
            break;
        }
        if ((rc = load_line(ld, line, (size_t)got, lineno)) != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = mo_err_set(ld->err, EX_CONFIG, _("%s: cannot read: %s"), ld->al->path, strerror(errno));
    if (rc == 0)
        rc = finish_entry(ld);
    free(line);
    return rc;
}

/* Opens path for reading; a FIFO or device would block or never end, so
 * only a regular file will do. A missing file gives *f == NULL and 0. */
static int open_regular(const char *path, FILE **f, struct mo_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

    *f = NULL;
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return mo_err_set(err, EX_CONFIG, _("%s: cannot open: %s"), path, strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mo_err_set(err, EX_CONFIG, _("%s: not a regular file"), path);
    }
    if (fcntl(fd, F_SETFL, 0) != 0 || (*f = fdopen(fd, "r")) == NULL) {
        int e = errno;
        close(fd);
        return mo_err_set(err, EX_CONFIG, _("%s: cannot open: %s"), path, strerror(e));
    }
    return 0;
}

int aliases_load(struct aliases **out, const char *path, struct mo_err *err)
{
    struct loader ld;
    FILE *f;
    int rc;

    *out = xcalloc(1, sizeof **out);
    (*out)->path = xstrdup(path ? path : "");
    if (path == NULL || path[0] == '\0')
        return 0;
    if ((rc = open_regular(path, &f, err)) != 0 || f == NULL) {
        if (rc == 0)
            return 0;
        goto fail;
    }
    memset(&ld, 0, sizeof ld);
    ld.al = *out;
    ld.err = err;
    strbuf_init(&ld.entry, ALIASES_MAX_ENTRY);
    rc = read_file(&ld, f);
    strbuf_free(&ld.entry);
    fclose(f);
    if (rc == 0)
        rc = sort_entries(*out, err);
    if (rc == 0)
        return 0;
fail:
    aliases_free(*out);
    *out = NULL;
    return rc;
}

/* ------------------------------------------------------------ resolving */

static long lookup(const struct aliases *al, const char *name)
{
    size_t lo = 0, hi = al->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ascii_strcasecmp(name, al->e[mid].name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

struct frame {
    size_t entry;
    size_t next;            /* the next target to look at */
};

struct resolver {
    const struct aliases *al;
    struct frame stack[ALIASES_MAX_DEPTH];
    size_t depth;
    bool *done;             /* entries already expanded in this call */
    char ***out;
    size_t *n_out;
    size_t first;           /* *out holds what the caller had before this */
    struct mo_err *err;
};

static bool on_stack(const struct resolver *r, size_t idx)
{
    for (size_t i = 0; i < r->depth; i++)
        if (r->stack[i].entry == idx)
            return true;
    return false;
}

/* "a -> b -> c" for messages, bounded by the depth limit. */
static char *chain(const struct resolver *r, const char *last)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < r->depth; i++)
        strbuf_appendf(&b, "%s -> ", r->al->e[r->stack[i].entry].name);
    strbuf_appendf(&b, "%s", last);
    return strbuf_detach(&b, NULL);
}

static int add_result(struct resolver *r, const char *addr)
{
    for (size_t i = r->first; i < *r->n_out; i++)
        if (strcmp((*r->out)[i], addr) == 0)
            return 0;
    if (*r->n_out - r->first >= ALIASES_MAX_RESULTS)
        return mo_err_set(r->err, EX_CONFIG, _("%s: alias \"%s\" expands to more than %d addresses"),
                          r->al->path, r->al->e[r->stack[0].entry].name, ALIASES_MAX_RESULTS);
    *r->out = xreallocarray(*r->out, *r->n_out + 1, sizeof **r->out);
    (*r->out)[(*r->n_out)++] = xstrdup(addr);
    return 0;
}

/* A name with no alias and no default, once qualify_domain is set. */
static int add_qualified(struct resolver *r, const char *name)
{
    char *q = xasprintf("%s@%s", name, r->al->qualify_domain);
    int rc = add_result(r, q);

    free(q);
    return rc;
}

/* Finds the entry for a local name, falling back to "default" unless that
 * is what is being expanded already. */
static int find_entry(struct resolver *r, const char *name, long *idx)
{
    const struct aliases *al = r->al;
    long def;

    *idx = lookup(al, name);
    if (*idx >= 0)
        return 0;
    def = lookup(al, "default");
    if (def >= 0 && !on_stack(r, (size_t)def)) {
        *idx = def;
        return 0;
    }
    if (al->qualify_domain != NULL)
        return 0;       /* *idx is -1: the caller qualifies the name */
    if (al->path[0] == '\0')
        return mo_err_set(r->err, EX_NOUSER,
                          _("unknown local name \"%s\" (no domain, and no aliases file is configured)"),
                          name);
    return mo_err_set(r->err, EX_NOUSER,
                      _("unknown local name \"%s\" (no domain, and neither an alias nor a default in %s)"),
                      name, al->path);
}

static int push(struct resolver *r, const char *name, size_t idx)
{
    const struct alias_entry *e = &r->al->e[idx];
    /* Messages point at the line that names the alias, not its own. */
    unsigned line = r->depth ? r->al->e[r->stack[r->depth - 1].entry].line : e->line;
    char *c;

    if (on_stack(r, idx)) {
        c = chain(r, e->name);
        mo_err_set(r->err, EX_CONFIG, _("%s:%u: alias loop: %s"), r->al->path, line, c);
        free(c);
        return -1;
    }
    if (r->done[idx])
        return 0;
    if (r->depth == ALIASES_MAX_DEPTH) {
        c = chain(r, e->name);
        mo_err_set(r->err, EX_CONFIG, _("%s:%u: aliases nested deeper than %d levels: %s"),
                   r->al->path, line, ALIASES_MAX_DEPTH, c);
        free(c);
        return -1;
    }
    if (e->unsupported)
        return mo_err_set(r->err, EX_CONFIG,
                          _("%s:%u: alias \"%s\" (for \"%s\") delivers to a pipe, file or :include:, which mailout cannot do"),
                          r->al->path, e->line, e->name, name);
    r->stack[r->depth].entry = idx;
    r->stack[r->depth].next = 0;
    r->depth++;
    return 0;
}

static int step(struct resolver *r)
{
    struct frame *f = &r->stack[r->depth - 1];
    const struct alias_entry *e = &r->al->e[f->entry];
    const char *target;
    long idx;

    if (f->next == e->n) {
        r->done[f->entry] = true;
        r->depth--;
        return 0;
    }
    target = e->targets[f->next++];
    if (address_is_qualified(target))
        return add_result(r, target);
    if (find_entry(r, target, &idx) != 0)
        return mo_err_prefix(r->err, _("%s:%u: alias \"%s\""), r->al->path, e->line, e->name);
    if (idx < 0)
        return add_qualified(r, target);
    return push(r, target, (size_t)idx);
}

int aliases_resolve(const struct aliases *al, const char *name, char ***out,
                    size_t *n_out, struct mo_err *err)
{
    struct resolver r;
    long idx;
    int rc = 0;

    if (has_control_chars(name))
        return mo_err_set(err, EX_DATAERR, _("control character in a recipient name"));
    memset(&r, 0, sizeof r);
    r.al = al;
    r.out = out;
    r.n_out = n_out;
    r.first = *n_out;
    r.err = err;
    if (address_is_qualified(name)) {
        *out = xreallocarray(*out, *n_out + 1, sizeof **out);
        (*out)[(*n_out)++] = xstrdup(name);
        return 0;
    }
    if (find_entry(&r, name, &idx) != 0)
        return -1;
    if (idx < 0) {
        *out = xreallocarray(*out, *n_out + 1, sizeof **out);
        (*out)[(*n_out)++] = xasprintf("%s@%s", name, al->qualify_domain);
        return 0;
    }
    r.done = xcalloc(al->n, sizeof *r.done);
    rc = push(&r, name, (size_t)idx);
    while (rc == 0 && r.depth > 0)
        rc = step(&r);
    free(r.done);
    if (rc != 0) {
        /* All or nothing: the caller's list is left as it was. */
        while (*n_out > r.first)
            free((*out)[--*n_out]);
    }
    return rc;
}

void aliases_set_qualify_domain(struct aliases *al, const char *domain)
{
    free(al->qualify_domain);
    al->qualify_domain = domain && domain[0] ? xstrdup(domain) : NULL;
}
