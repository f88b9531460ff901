/* handoff.c - in system mode a local user's message goes to mailout-submit
 * (set-group-id mailout), which drops it into the spool's incoming/ for
 * root's queue run: the system file, with the smarthost's password, stays
 * readable by root alone. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int run_helper(const struct cli *cli, struct mo_err *err)
{
    size_t n = 0;
    char **v = xcalloc(cli->n_recipients + 16, sizeof *v);

    v[n++] = (char *)"mailout-submit";
    if (cli->mode == CLI_LIST_QUEUE) {
        v[n++] = (char *)"-bp";
    } else {
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
    }
    fflush(NULL);
    execv(SUBMIT, v);
    mo_err_set(err, EX_UNAVAILABLE,
               _("%s cannot be read by you, and the submit helper %s cannot be run: %s"),
               config_system_path(), SUBMIT, strerror(errno));
    free(v);
    return -1;
}

int handoff_maybe(const struct cli *cli, struct mo_err *err)
{
    if (!system_mode(cli))
        return 0;
    if (cli->mode == CLI_DELIVER && !cli->dry_run && !cli->debug && cli->account == NULL)
        return run_helper(cli, err);
    if (cli->mode == CLI_LIST_QUEUE)
        return run_helper(cli, err);
    if (cli->mode == CLI_VERSION)
        return 0;
    return mo_err_set(err, EX_NOPERM,
                      _("%s needs the system configuration %s, which only root can read; local users can only send (and list their mail with mailq)"),
                      cli->debug ? "--debug" : cli->dry_run ? "--dry-run" : cli->account ? "-a"
                      : _("this mode"), config_system_path());
}
