/* version.c - --version: what was built and which files this run would use. */
#include "config.h"
#include <stdlib.h>
#include <openssl/crypto.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "secrets.h"
#include "version.h"

int version_print(FILE *out, const struct config *cfg, const char *explicit_file)
{
    char *user = config_user_path();

    fprintf(out, "mailout %s\n", PACKAGE_VERSION);
    fprintf(out, _("TLS library: %s\n"), OpenSSL_version(OPENSSL_VERSION));
    fprintf(out, _("Keyring (Secret Service): %s\n"), secret_keyring_support());
    fprintf(out, _("System configuration file: %s%s\n"), config_system_path(),
            explicit_file ? _(" (not read: -C)") : "");
    fprintf(out, _("User configuration file: %s%s\n"), user,
            explicit_file ? _(" (not read: -C)") : "");
    if (explicit_file != NULL)
        fprintf(out, _("Configuration file (-C, read alone): %s\n"), explicit_file);
    if (cfg != NULL) {
        for (size_t i = 0; i < cfg->n_files; i++)
            fprintf(out, _("Configuration read: %s\n"), cfg->files[i]);
        if (cfg->n_files == 0)
            fprintf(out, "%s", _("Configuration read: none\n"));
        fprintf(out, _("Queue directory: %s\n"), cfg->queue_dir ? cfg->queue_dir : "-");
        if (cfg->syslog)
            fprintf(out, "%s", _("Log: syslog (facility mail)\n"));
        else
            fprintf(out, _("Log: %s\n"), cfg->logfile ? cfg->logfile : _("none"));
    }
    free(user);
    return ferror(out) ? EX_IOERR : EX_OK;
}
