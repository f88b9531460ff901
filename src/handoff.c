/* handoff.c - in system mode a local user's message goes to mailout-submit
 * (set-group-id mailout), which drops it into the spool's incoming/ for
 * root's queue run: the system file, with the smarthost's password, stays
 * readable by root alone. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "i18n.h"
#include "util.h"
#include "conf.h"
#include "handoff.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec"
#endif
#define SUBMIT LIBEXECDIR "/mailout/mailout-submit"

static bool system_mode(const struct cli *cli)
{
    const char *env = getenv("MAILOUT_CONFIG");
    struct stat st;
    char *user;
    bool own;

    if (getuid() == 0 || geteuid() == 0 || cli->config_file != NULL
            || (env != NULL && env[0] != '\0'))
        return false;
    user = config_user_path();
    own = stat(user, &st) == 0;
    free(user);
    if (own)
        return false;
    return access(config_system_path(), R_OK) != 0 && errno == EACCES;
}

static void add(char **v, size_t *n, const char *opt, const char *value)
{
    if (value == NULL)
        return;
    v[(*n)++] = (char *)opt;
    v[(*n)++] = (char *)value;
}

/* The helper's argument vector for cli (free it; it points into cli). */
static char **helper_argv(const struct cli *cli)
{
    size_t n = 0;
    char **v = xcalloc(cli->n_recipients + 16, sizeof *v);

    v[n++] = (char *)"mailout-submit";
    if (cli->mode == CLI_LIST_QUEUE) {
        v[n++] = (char *)"-bp";
        return v;
    }
    if (cli->ignore_dots)
        v[n++] = (char *)"-i";
    if (cli->read_recipients)
        v[n++] = (char *)"-t";
    add(v, &n, "-f", cli->sender);
    add(v, &n, "-F", cli->full_name);
    add(v, &n, "-N", cli->dsn_notify);
    add(v, &n, "-R", cli->dsn_ret);
    add(v, &n, "-V", cli->dsn_envid);
    v[n++] = (char *)"--";
    for (size_t i = 0; i < cli->n_recipients; i++)
        v[n++] = cli->recipients[i];
    return v;
}

static int cannot_run(struct mo_err *err)
{
    return mo_err_set(err, EX_UNAVAILABLE,
                      _("%s cannot be read by you, and the submit helper %s cannot be run: %s"),
                      config_system_path(), SUBMIT, strerror(errno));
}

static int run_helper(const struct cli *cli, struct mo_err *err)
{
    char **v = helper_argv(cli);

    fflush(NULL);
    execv(SUBMIT, v);
    cannot_run(err);
    free(v);
    return -1;
}

/* In the child: fd on stdin, /dev/null on stdout (the session's channel is
 * not the helper's), the pipe on stderr; then the helper. */
static void exec_child(char **v, int fd, int errpipe)
{
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

    if (null < 0 || dup2(fd, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0
            || dup2(errpipe, STDERR_FILENO) < 0)
        _exit(EX_OSERR);
    execv(SUBMIT, v);
    dprintf(STDERR_FILENO, "%s: %s", SUBMIT, strerror(errno));
    _exit(EX_UNAVAILABLE);
}

/* The helper's stderr (bounded), its exit status into err. */
static int wait_helper(pid_t pid, int rd, struct mo_err *err)
{
    char text[sizeof err->msg];
    size_t len = 0;
    ssize_t r;
    int status;

    /* read to the end, keeping the start: a helper blocked on a full pipe
     * would never exit */
    for (;;) {
        char sink[512];
        bool full = len == sizeof text - 1;
        r = full ? read(rd, sink, sizeof sink) : read(rd, text + len, sizeof text - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (!full)
            len += (size_t)r;
    }
    text[len] = '\0';
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return mo_err_set(err, EX_OSERR, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == EX_OK)
        return 0;
    text[strcspn(text, "\n")] = '\0';
    return mo_err_set(err, WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE, "%s",
                      strncmp(text, "mailout-submit: ", 16) == 0 ? text + 16
                      : text[0] ? text : _("the submit helper failed"));
}

int handoff_message(const struct cli *cli, int fd, struct mo_err *err)
{
    char **v = helper_argv(cli);
    int p[2], rc;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) != 0) {
        free(v);
        return mo_err_set(err, EX_OSERR, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    if ((pid = fork()) == 0)
        exec_child(v, fd, p[1]);
    close(p[1]);
    rc = pid < 0 ? mo_err_set(err, EX_OSERR, "fork: %s", strerror(errno))
                 : wait_helper(pid, p[0], err);
    close(p[0]);
    free(v);
    return rc;
}

int handoff_maybe(const struct cli *cli, struct mo_err *err)
{
    if (!system_mode(cli))
        return 0;
    if (cli->mode == CLI_DELIVER && !cli->dry_run && !cli->debug && cli->account == NULL)
        return run_helper(cli, err);
    if (cli->mode == CLI_LIST_QUEUE)
        return run_helper(cli, err);
    if (cli->mode == CLI_SMTP_STDIN && !cli->dry_run && !cli->debug && cli->account == NULL)
        return 1;       /* each message of the session to the helper */
    if (cli->mode == CLI_VERSION)
        return 0;
    return mo_err_set(err, EX_NOPERM,
                      _("%s needs the system configuration %s, which only root can read; local users can only send (and list their mail with mailq)"),
                      cli->debug ? "--debug" : cli->dry_run ? "--dry-run" : cli->account ? "-a"
                      : _("this mode"), config_system_path());
}
