/* version.c - --version: what was built and which files this run would use. */
#include "config.h"
#include <stdlib.h>
#include <openssl/crypto.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "secrets.h"
#include "sasl.h"
#include "version.h"
#include "oauth2.h"
#ifdef HAVE_LIBCURL
#include <curl/curl.h>
#endif
#ifdef HAVE_JSONC
#include <json-c/json.h>
#endif
#ifdef HAVE_LIBIDN2
#include <idn2.h>
#endif

/* What the client speaks: protocols, extensions it uses, SASL mechanisms
 * (auto's order first), channel bindings, IDNA. */
static void print_features(FILE *out)
{
    fprintf(out, "%s\n", _("Protocols: SMTP (ESMTP, protocol = smtp), LMTP (protocol = lmtp)"));
    fprintf(out, "%s\n", _("SMTP extensions used: PIPELINING STARTTLS AUTH SIZE 8BITMIME DSN SMTPUTF8 CHUNKING"));
    fprintf(out, "%s", _("SASL mechanisms, auth = auto order:"));
    for (size_t i = 0; i < sasl_preference_len; i++)
        fprintf(out, " %s", sasl_mech_name(sasl_preference[i]));
    fprintf(out, "\n%s", _("SASL mechanisms, by name only:"));
    for (int m = 0; m < 64; m++) {
        bool in_auto = false;
        if (m == AUTH_AUTO || m == AUTH_OFF || (int)sasl_mech_from_name(sasl_mech_name(m)) != m)
            continue;
        for (size_t i = 0; i < sasl_preference_len; i++)
            in_auto = in_auto || (int)sasl_preference[i] == m;
        if (!in_auto)
            fprintf(out, " %s", sasl_mech_name(m));
    }
    fprintf(out, "\n%s\n", _("Channel binding (SCRAM-*-PLUS): tls-exporter on TLS 1.3, tls-server-end-point on TLS 1.2"));
#ifdef HAVE_LIBIDN2
    fprintf(out, _("IDNA A-labels for servers without SMTPUTF8: libidn2 %s\n"), idn2_check_version(NULL));
#else
    fprintf(out, "%s\n", _("IDNA A-labels for servers without SMTPUTF8: no (built without libidn2)"));
#endif
}

static void print_oauth2(FILE *out)
{
#if defined(HAVE_LIBCURL) && defined(HAVE_JSONC)
    /* libcurl is loaded only for an HTTPS request: the version it was
     * built against, so that --version loads nothing */
    fprintf(out, _("OAuth 2 (built in): yes (libcurl %s, loaded when needed; json-c %s)\n"),
            LIBCURL_VERSION, json_c_version());
#elif defined(HAVE_LIBCURL)
    fprintf(out, "%s\n", _("OAuth 2 (built in): no (built without json-c)"));
#elif defined(HAVE_JSONC)
    fprintf(out, "%s\n", _("OAuth 2 (built in): no (built without libcurl)"));
#else
    fprintf(out, "%s\n", _("OAuth 2 (built in): no (built without libcurl and json-c)"));
#endif
}

int version_print(FILE *out, const struct config *cfg, const char *explicit_file)
{
    char *user = config_user_path();

    fprintf(out, "mailout %s\n", PACKAGE_VERSION);
    fprintf(out, _("TLS library: %s\n"), OpenSSL_version(OPENSSL_VERSION));
    fprintf(out, _("Keyring (Secret Service): %s\n"), secret_keyring_support());
    print_oauth2(out);
    print_features(out);
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
