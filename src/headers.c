/* headers.c - an RFC 5322 header block as a list of fields, each kept byte for
 * byte as received (folding included) so that it is sent unchanged. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "headers.h"

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* ftext of RFC 5322: printable US-ASCII except the colon. */
static bool is_name_char(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 33 && u <= 126 && u != ':';
}

enum header_line_kind header_line_kind(const char *line, size_t len)
{
    size_t i = 0;

    if (len == 0)
        return HL_OTHER;
    if (is_wsp(line[0]))
        return HL_CONTINUATION;
    while (i < len && i <= HEADER_NAME_MAX && is_name_char(line[i]))
        i++;
    if (i == 0 || i > HEADER_NAME_MAX)
        return HL_OTHER;
    /* obs-optional: "Name  :" with blanks before the colon is still a field. */
    while (i < len && is_wsp(line[i]))
        i++;
    if (i == len)
        return HL_UNKNOWN;
    return line[i] == ':' ? HL_FIELD : HL_OTHER;
}

/* The array grows in powers of two; n alone tells when it is full. */
static void fields_reserve_one(struct header_block *hb)
{
    size_t n = hb->n;

    if (n == 0 || (n & (n - 1)) == 0)
        hb->fields = xreallocarray(hb->fields, n < 4 ? 8 : 2 * n,
                                   sizeof *hb->fields);
}

static char *name_of(const char *raw)
{
    size_t n = 0;

    while (is_name_char(raw[n]))
        n++;
    return xstrndup(raw, n);
}

/* raw must be "Name...:..." with LF line ends and a final LF. */
static void field_take(struct header_field *f, char *raw, size_t raw_len)
{
    f->raw = raw;
    f->raw_len = raw_len;
    f->name = name_of(raw);
}

static int check_line_bytes(const char *line, size_t len, unsigned long no,
                            struct mo_err *err)
{
    if (memchr(line, '\0', len) != NULL)
        return mo_err_set(err, EX_DATAERR,
                          _("header line %lu contains a NUL byte"), no);
    if (memchr(line, '\r', len) != NULL)
        return mo_err_set(err, EX_DATAERR,
                          _("header line %lu contains a carriage return that does not end the line"),
                          no);
    return 0;
}

/* Appends the field spanning [start, end) of text, adding a final LF. */
static void add_field(struct header_block *hb, const char *start, const char *end)
{
    size_t len = (size_t)(end - start);
    bool lf = len > 0 && start[len - 1] == '\n';
    char *raw = xmalloc(len + 2);

    memcpy(raw, start, len);
    if (!lf)
        raw[len++] = '\n';
    raw[len] = '\0';
    fields_reserve_one(hb);
    field_take(&hb->fields[hb->n++], raw, len);
}

int header_block_parse(const char *text, size_t len, struct header_block *hb,
                       struct mo_err *err)
{
    const char *p = text, *end = text + len, *field = NULL;
    unsigned long no = 0;

    hb->fields = NULL;
    hb->n = 0;
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        const char *next = lf ? lf + 1 : end;
        size_t line_len = (size_t)((lf ? lf : end) - p);

        no++;
        if (check_line_bytes(p, line_len, no, err) != 0)
            goto fail;
        switch (header_line_kind(p, line_len)) {
        case HL_FIELD:
            if (field != NULL)
                add_field(hb, field, p);
            field = p;
            break;
        case HL_CONTINUATION:
            if (field == NULL) {
                mo_err_set(err, EX_DATAERR,
                           _("header line %lu is a continuation line with no field before it"),
                           no);
                goto fail;
            }
            break;
        default:
            mo_err_set(err, EX_DATAERR,
                       _("header line %lu is not a header field (Name: value)"), no);
            goto fail;
        }
        p = next;
    }
    if (field != NULL)
        add_field(hb, field, end);
    return 0;
fail:
    header_block_free(hb);
    return -1;
}

long header_find(const struct header_block *hb, const char *name, size_t start)
{
    for (size_t i = start; i < hb->n; i++)
        if (ascii_strcasecmp(hb->fields[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Unfolding (RFC 5322 2.2.3) removes the line breaks and keeps the blanks. */
char *header_value(const struct header_field *f)
{
    const char *colon = memchr(f->raw, ':', f->raw_len);
    const char *p, *end = f->raw + f->raw_len;
    char *out, *q;

    if (colon == NULL)
        return xstrdup("");
    p = colon + 1;
    out = q = xmalloc((size_t)(end - p) + 1);
    for (; p < end; p++)
        if (*p != '\n' && *p != '\r')
            *q++ = *p;
    *q = '\0';
    while (q > out && is_wsp(q[-1]))
        *--q = '\0';
    q = out;
    while (is_wsp(*q))
        q++;
    if (q != out)
        memmove(out, q, strlen(q) + 1);
    return out;
}

size_t header_remove_all(struct header_block *hb, const char *name)
{
    size_t kept = 0, removed = 0;

    for (size_t i = 0; i < hb->n; i++) {
        if (ascii_strcasecmp(hb->fields[i].name, name) == 0) {
            free(hb->fields[i].name);
            free(hb->fields[i].raw);
            removed++;
        } else {
            hb->fields[kept++] = hb->fields[i];
        }
    }
    hb->n = kept;
    return removed;
}

static char *make_raw(const char *name, const char *value, size_t *len)
{
    char *raw = value[0] ? xasprintf("%s: %s\n", name, value)
                         : xasprintf("%s:\n", name);

    *len = strlen(raw);
    /* A line break inside the value would start a new field: never allow it. */
    for (size_t i = 0; i + 1 < *len; i++)
        if (raw[i] == '\r' || raw[i] == '\n')
            raw[i] = ' ';
    return raw;
}

void header_append(struct header_block *hb, const char *name, const char *value)
{
    size_t len;
    char *raw = make_raw(name, value, &len);

    fields_reserve_one(hb);
    field_take(&hb->fields[hb->n++], raw, len);
}

void header_prepend(struct header_block *hb, const char *name, const char *value)
{
    size_t len;
    char *raw = make_raw(name, value, &len);

    fields_reserve_one(hb);
    memmove(hb->fields + 1, hb->fields, hb->n * sizeof *hb->fields);
    hb->n++;
    field_take(&hb->fields[0], raw, len);
}

void header_replace(struct header_block *hb, size_t i, const char *value)
{
    size_t len;
    char *raw = make_raw(hb->fields[i].name, value, &len);

    free(hb->fields[i].raw);
    hb->fields[i].raw = raw;
    hb->fields[i].raw_len = len;
}

char *header_block_render(const struct header_block *hb, size_t *len)
{
    size_t total = 0, off = 0;
    char *out;

    for (size_t i = 0; i < hb->n; i++)
        total += hb->fields[i].raw_len;
    out = xmalloc(total + 1);
    for (size_t i = 0; i < hb->n; i++) {
        memcpy(out + off, hb->fields[i].raw, hb->fields[i].raw_len);
        off += hb->fields[i].raw_len;
    }
    out[off] = '\0';
    if (len)
        *len = off;
    return out;
}

void header_block_free(struct header_block *hb)
{
    for (size_t i = 0; i < hb->n; i++) {
        free(hb->fields[i].name);
        free(hb->fields[i].raw);
    }
    free(hb->fields);
    hb->fields = NULL;
    hb->n = 0;
}
