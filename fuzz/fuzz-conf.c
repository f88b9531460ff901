/* fuzz-conf.c - libFuzzer target: arbitrary bytes as a configuration file,
 * through conf_load_from_string (a NUL-terminated copy) and through
 * config_load on a memfd (so NUL bytes, long lines and the permission check
 * are reached too), and config_check_load (--check-config: goes on after
 * each error, then every account's lints and key values); then account
 * selection on what loaded. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>
#include "conf.h"
#include "checkconf.h"

static void check_loaded(int rc, struct config *cfg, const struct mo_err *err)
{
    if (rc != 0) {
        /* an error is EX_CONFIG (or out of memory), says something, loads nothing */
        if ((err->code != EX_CONFIG && err->code != EX_OSERR) || err->msg[0] == '\0'
                || cfg->accounts != NULL || cfg->n_accounts != 0)
            abort();
        return;
    }
    if (cfg->queue_dir == NULL)
        abort();
    for (size_t i = 0; i < cfg->n_accounts; i++) {
        const struct account *a = &cfg->accounts[i];
        struct mo_err e = { 0, "" };
        if (a->name == NULL || a->host == NULL || a->tls_trust_file == NULL)
            abort();
        int port = account_port(a);
        if (port < 1 || port > 65535)
            abort();
        if (config_select_account(cfg, a->name, NULL, &e) != a)
            abort();
        if (a->from != NULL && config_select_account(cfg, NULL, a->from, &e) == NULL)
            abort();
    }
    struct mo_err e = { 0, "" };
    const struct account *a = config_select_account(cfg, NULL, "x@example.com", &e);
    if (a == NULL && (e.code != EX_CONFIG || e.msg[0] == '\0'))
        abort();
}

/* The keep-going load: never fails but for memory, and whatever account it
 * builds can be linted and printed. */
static void check_all(const char *path)
{
    struct config cfg;
    struct mo_err err = { 0, "" };
    char **lines = NULL, value[512];
    size_t n = 0;

    if (config_check_load(&cfg, path, &err) != 0)
        abort();
    for (size_t i = 0; i < cfg.n_problems; i++)
        if (cfg.problems[i] == NULL || cfg.problems[i][0] == '\0')
            abort();
    for (size_t i = 0; i < cfg.n_accounts; i++) {
        checkconf_account(&cfg.accounts[i], &lines, &n);
        for (size_t k = 0; k < conf_n_account_keys(); k++)
            conf_account_value(&cfg.accounts[i], k, value, sizeof value);
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct config cfg;
    struct mo_err err = { 0, "" };
    char *text = malloc(n + 1);

    memcpy(text, d, n);
    text[n] = '\0';
    check_loaded(conf_load_from_string(&cfg, "fuzz.ini", text, &err), &cfg, &err);
    config_free(&cfg);
    free(text);

    int fd = memfd_create("fuzz-conf", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, d, n) == (ssize_t)n) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        err.code = 0;
        err.msg[0] = '\0';
        check_loaded(config_load(&cfg, path, &err), &cfg, &err);
        config_free(&cfg);
        check_all(path);
    }
    close(fd);
    return 0;
}
