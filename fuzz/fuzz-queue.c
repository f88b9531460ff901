/* fuzz-queue.c - libFuzzer target: the queue-file reader (queue_entry_read)
 * on arbitrary bytes in a 0600 memfd, then the message part the entry
 * points to (queue_entry_message). Whatever the bytes, an entry is either
 * read whole and consistent, or refused as damaged with one printable
 * line: never a crash, so that a damaged file goes to corrupt/ and the rest
 * of the queue flows. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "queue.h"

static void check_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            abort();
}

static void check_entry(int fd, const struct queue_entry *e)
{
    if (!queue_id_valid(e->id) || e->account == NULL || e->env.sender == NULL
            || e->env.n_rcpts == 0 || e->last_error == NULL)
        abort();
    for (size_t i = 0; i < e->env.n_rcpts; i++)
        if (e->env.rcpts[i] == NULL)
            abort();
    struct message msg;
    struct mo_err err = { 0, "" };
    memset(&msg, 0, sizeof msg);
    msg.body_fd = -1;
    if (queue_entry_message(fd, e, &msg, &err) == 0)
        message_free(&msg);
    else
        check_printable(err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct queue_entry e;
    struct mo_err err = { 0, "" };
    int fd = memfd_create("fuzz-queue", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (fchmod(fd, 0600) != 0 || write(fd, d, n) != (ssize_t)n) {
        close(fd);
        return 0;
    }
    if (queue_entry_read(fd, &e, &err) == 0) {
        check_entry(fd, &e);
        queue_entry_free(&e);
    } else {
        if (err.code != EX_DATAERR || err.msg[0] == '\0')
            abort();
        check_printable(err.msg);
    }
    close(fd);
    return 0;
}
