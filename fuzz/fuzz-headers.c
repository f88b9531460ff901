/* fuzz-headers.c - libFuzzer target: header_block_parse, header_value and the
 * editing calls on arbitrary bytes, then message_read over the same bytes
 * through a memfd. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "headers.h"
#include "message.h"

static void check_block(const uint8_t *d, size_t n)
{
    struct header_block hb;
    struct mo_err err = { 0, "" };

    if (header_block_parse((const char *)d, n, &hb, &err) != 0) {
        if (err.code != EX_DATAERR || err.msg[0] == '\0')
            abort();
        return;
    }
    size_t len;
    char *r = header_block_render(&hb, &len);
    /* Rendering gives the input back, with a final LF when it had none. */
    if (n > 0 && (len < n || memcmp(r, d, n) != 0))
        abort();
    free(r);
    for (size_t i = 0; i < hb.n; i++) {
        char *v = header_value(&hb.fields[i]);
        if (strchr(v, '\n') != NULL)
            abort();
        if (header_find(&hb, hb.fields[i].name, 0) > (long)i)
            abort();
        free(v);
    }
    if (hb.n > 0) {
        char *name = strdup(hb.fields[0].name);
        header_prepend(&hb, "Received", "by fuzz");
        header_append(&hb, "X-Fuzz", "a\r\nb");
        header_remove_all(&hb, name);
        if (header_find(&hb, name, 0) != -1)
            abort();
        free(name);
    }
    header_block_free(&hb);
}

static void check_intake(const uint8_t *d, size_t n)
{
    struct message msg;
    struct mo_err err = { 0, "" };
    int fd = memfd_create("fuzz", MFD_CLOEXEC);

    if (fd < 0)
        return;
    if (n > 0 && write(fd, d + 1, n - 1) != (ssize_t)(n - 1)) {
        close(fd);
        return;
    }
    lseek(fd, 0, SEEK_SET);
    if (message_read(fd, n > 0 && (d[0] & 1), "/tmp", &msg, &err) == 0) {
        /* the wire form adds CRs, never drops bytes: at least the blank line */
        if (message_wire_size(&msg) < msg.body_size + 2)
            abort();
        message_free(&msg);
    } else if (err.code != EX_DATAERR) {
        abort();
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    check_block(d, n);
    check_intake(d, n);
    return 0;
}
