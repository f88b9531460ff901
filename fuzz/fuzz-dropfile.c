/* fuzz-dropfile.c - libFuzzer target: drop_parse, the reader of the entries
 * local users drop into incoming/ (system mode), and drop_parse_values, the
 * reader of messages held in failed/ (held.h), on arbitrary bytes. An
 * accepted envelope must satisfy drop_check (drop_check_values), carry no
 * line break in any value, and render back to text that parses to the same
 * envelope. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dropfile.h"
#include "util.h"

static void same(const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        abort();
}

typedef int (*parser)(const char *, size_t, struct drop_envelope *, size_t *,
                      struct mo_err *);
typedef int (*checker)(const struct drop_envelope *, struct mo_err *);

static void one(const uint8_t *data, size_t size, parser parse, checker check)
{
    struct drop_envelope d, again;
    struct mo_err err = { 0, "" };
    size_t body = 0, body2 = 0, len;
    char *text;

    if (parse((const char *)data, size, &d, &body, &err) != 0) {
        drop_free(&d);
        return;
    }
    if (body > size || check(&d, &err) != 0)
        abort();
    text = drop_render(&d, &len);
    if (parse(text, len, &again, &body2, &err) != 0 || body2 != len)
        abort();
    same(d.user, again.user);
    same(d.sender, again.sender);
    same(d.full_name, again.full_name);
    same(d.account, again.account);
    same(d.reason, again.reason);
    if (d.n_rcpts != again.n_rcpts || d.uid != again.uid || d.time != again.time
            || d.read_recipients != again.read_recipients
            || d.read_envelope_from != again.read_envelope_from)
        abort();
    for (size_t i = 0; i < d.n_rcpts; i++)
        if (strpbrk(d.rcpts[i], "\r\n") != NULL || strcmp(d.rcpts[i], again.rcpts[i]) != 0)
            abort();
    free(text);
    drop_free(&again);
    drop_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, drop_parse, drop_check);
    one(data, size, drop_parse_values, drop_check_values);
    return 0;
}
