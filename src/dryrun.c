/* dryrun.c - --dry-run: what would be sent, in a stable "key: value" form
 * that scripts and tests can grep; nothing is sent. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "dryrun.h"
#include "fallback.h"

static const char *tls_name(enum tls_mode m)
{
    switch (m) {
    case TLS_STARTTLS: return "starttls";
    case TLS_IMPLICIT: return "implicit";
    case TLS_OFF: return "off";
    }
    return "?";
}

/* The servers tried after acct's, in order: "fallback: NAME HOST:PORT (TLS)". */
static void print_fallbacks(FILE *out, const struct config *cfg, const struct account *acct)
{
    const struct account **chain = xcalloc(cfg->n_accounts + 1, sizeof *chain);
    size_t n = fallback_chain(cfg, acct, chain);

    for (size_t i = 1; i < n; i++)
        fprintf(out, "fallback: %s %s:%d (%s)\n", chain[i]->name, chain[i]->host,
                account_port(chain[i]), tls_name(chain[i]->tls));
    free(chain);
}

int dryrun_print(FILE *out, const struct config *cfg, const struct account *acct,
                 const struct envelope *env, const struct message *msg,
                 struct mo_err *err)
{
    size_t len;
    char *hdr;

    fprintf(out, "account: %s\n", acct->name ? acct->name : "");
    fprintf(out, "server: %s:%d (%s)\n", acct->host ? acct->host : "",
            account_port(acct), tls_name(acct->tls));
    fprintf(out, "auth: %s\n", sasl_mech(acct->auth)->keyword);
    fprintf(out, "user: %s\n", acct->user ? acct->user : "(none)");
    print_fallbacks(out, cfg, acct);
    fprintf(out, "sender: <%s>\n", env->sender ? env->sender : "");
    for (size_t i = 0; i < env->n_rcpts; i++)
        fprintf(out, "recipient: <%s>\n", env->rcpts[i]);
    if (env->dsn_notify)
        fprintf(out, "dsn-notify: %s\n", env->dsn_notify);
    if (env->dsn_ret)
        fprintf(out, "dsn-ret: %s\n", env->dsn_ret);
    if (env->dsn_envid)
        fprintf(out, "dsn-envid: %s\n", env->dsn_envid);
    /* The header block exactly as sent (CRLF on the wire), then the sizes. */
    hdr = header_block_render(&msg->headers, &len);
    fputc('\n', out);
    fwrite(hdr, 1, len, out);
    free(hdr);
    fputc('\n', out);
    fprintf(out, "body-size: %llu\n", (unsigned long long)msg->body_size);
    fprintf(out, "message-size: %llu\n", (unsigned long long)message_wire_size(msg));
    if (fflush(out) != 0 || ferror(out))
        return mo_err_set(err, EX_IOERR, _("cannot write the dry-run output: %s"),
                          strerror(errno));
    return 0;
}
