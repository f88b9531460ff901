/* startup.c - the process made safe before anything else runs. Like
 * Postfix's sendmail: a closed standard descriptor is reopened on /dev/null,
 * or the first file we open would take its number and get our messages. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "i18n.h"
#include "startup.h"

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* Descriptors are taken lowest first, so open() fills the closed one. */
static int reopen_null(int fd)
{
    int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

    if (n == fd)
        return 0;
    if (n >= 0)
        close(n);
    return -1;
}

/* At exit: what went to standard output (mailq, --version, --dry-run,
 * --import-msmtprc) must have arrived; a full disk or a failed device is an
 * error, not exit 0 with a truncated file. A reader that left (EPIPE) is
 * not: mailq | head -1 stays quiet. */
static void close_stdout(void)
{
    bool failed_before = ferror(stdout) != 0;
    int e = fclose(stdout) != 0 ? errno : 0;

    if (e == EPIPE || (e == 0 && !failed_before))
        return;
    fprintf(stderr, _("mailout: cannot write standard output: %s\n"),
            e ? strerror(e) : _("write error"));
    _exit(EX_IOERR);
}

int startup_harden(struct startup_state *st)
{
    struct sigaction sa;

    memset(st, 0, sizeof *st);
    for (int fd = 0; fd <= 2; fd++) {
        if (fd_is_open(fd))
            continue;
        if (fd == 0)
            st->stdin_closed = true;
        if (reopen_null(fd) != 0)
            return -1;
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    atexit(close_stdout);
    return 0;
}
