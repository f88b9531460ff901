/* fuzz-dropfile.c - libFuzzer target: drop_parse, the reader of the entries
 * local users drop into incoming/ (system mode), on arbitrary bytes. An
 * accepted envelope must satisfy drop_check, carry no line break in any
 * value, and render back to text that parses to the same envelope. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct drop_envelope d, again;
    struct mo_err err = { 0, "" };
    size_t body = 0, body2 = 0, len;
    char *text;

    if (drop_parse((const char *)data, size, &d, &body, &err) != 0) {
        drop_free(&d);
        return 0;
    }
    if (body > size || drop_check(&d, &err) != 0)
        abort();
    text = drop_render(&d, &len);
    if (drop_parse(text, len, &again, &body2, &err) != 0 || body2 != len)
        abort();
    same(d.user, again.user);
    same(d.sender, again.sender);
    same(d.full_name, again.full_name);
    if (d.n_rcpts != again.n_rcpts || d.uid != again.uid || d.time != again.time
            || d.read_recipients != again.read_recipients)
        abort();
    for (size_t i = 0; i < d.n_rcpts; i++)
        if (strpbrk(d.rcpts[i], "\r\n") != NULL || strcmp(d.rcpts[i], again.rcpts[i]) != 0)
            abort();
    free(text);
    drop_free(&again);
    drop_free(&d);
    return 0;
}
