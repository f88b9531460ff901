/* envelope.c - the envelope: recipients from the command line and (with -t)
 * the header, local names through the aliases file, the sender from -f, the
 * account or the From field. Every piece that ends up on an SMTP command line
 * is checked for control characters here: no command injection. */
#include "config.h"
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "address.h"
#include "aliases.h"
#include "envelope.h"
#include "rewrite.h"

/* Recipients as collected, before duplicates are removed. */
struct rcpt_list {
    char **v;
    size_t n;
};

static int refuse_control(const char *what, const char *s, struct mo_err *err)
{
    if (s != NULL && has_control_chars(s))
        return mo_err_set(err, EX_DATAERR,
                          _("%s contains a control character (CR, LF or other); refused"),
                          what);
    return 0;
}


static void add_unique(struct envelope *env, char *addr)
{
    for (size_t i = 0; i < env->n_rcpts; i++) {
        if (address_equal(env->rcpts[i], addr)) {
            free(addr);
            return;
        }
    }
    env->rcpts = xreallocarray(env->rcpts, env->n_rcpts + 1, sizeof *env->rcpts);
    env->rcpts[env->n_rcpts++] = addr;
}

static void rcpt_add(struct rcpt_list *l, const char *addr)
{
    l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
    l->v[l->n++] = xstrdup(addr);
}

static void rcpt_free(struct rcpt_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* One command-line argument is an address list, as sendmail takes it. */
static int add_cmdline(struct rcpt_list *l, const char *arg, struct mo_err *err)
{
    struct address_list al;

    if (refuse_control(_("a recipient on the command line"), arg, err) != 0)
        return -1;
    if (address_list_parse(arg, strlen(arg), &al, err) != 0)
        return mo_err_prefix(err, _("recipient on the command line"));
    for (size_t i = 0; i < al.n; i++)
        rcpt_add(l, al.items[i].addr);
    address_list_free(&al);
    return 0;
}

static bool has_resent(const struct header_block *hb)
{
    for (size_t i = 0; i < hb->n; i++)
        if (ascii_strncasecmp(hb->fields[i].name, "Resent-", 7) == 0)
            return true;
    return false;
}

static int add_field(struct rcpt_list *l, const struct header_block *hb,
                     const char *name, struct mo_err *err)
{
    for (long i = header_find(hb, name, 0); i >= 0; i = header_find(hb, name, (size_t)i + 1)) {
        struct address_list al;
        char *v = header_value(&hb->fields[i]);
        int rc = address_list_parse(v, strlen(v), &al, err);

        free(v);
        if (rc != 0)
            return mo_err_prefix(err, _("%s field"), hb->fields[i].name);
        for (size_t k = 0; k < al.n; k++)
            rcpt_add(l, al.items[k].addr);
        address_list_free(&al);
    }
    return 0;
}

static int add_from_header(struct rcpt_list *l, const struct header_block *hb,
                           struct mo_err *err)
{
    static const char *const plain[] = { "To", "Cc", "Bcc" };
    static const char *const resent[] = { "Resent-To", "Resent-Cc", "Resent-Bcc" };
    const char *const *names = has_resent(hb) ? resent : plain;

    for (size_t i = 0; i < 3; i++)
        if (add_field(l, hb, names[i], err) != 0)
            return -1;
    return 0;
}

/* Qualified addresses go in as they are; local names through the aliases. */
static int resolve_all(struct envelope *env, const struct rcpt_list *l,
                       const struct config *cfg, struct mo_err *err)
{
    struct aliases *al = NULL;
    int rc = 0;

    for (size_t i = 0; i < l->n && rc == 0; i++) {
        const char *a = l->v[i];
        char **out = NULL;
        size_t n = 0;

        if (a[0] == '\0')
            continue;
        if (refuse_control(_("a recipient"), a, err) != 0) {
            rc = -1;
            break;
        }
        if (address_is_qualified(a)) {
            add_unique(env, xstrdup(a));
            continue;
        }
        if (al == NULL) {
            if (aliases_load(&al, cfg->aliases, err) != 0)
                return -1;
            aliases_set_qualify_domain(al, cfg->qualify_domain);
        }
        rc = aliases_resolve(al, a, &out, &n, err);
        for (size_t k = 0; k < n; k++) {
            if (rc == 0 && has_control_chars(out[k]))
                rc = mo_err_set(err, EX_DATAERR,
                                _("the alias of \"%s\" contains a control character; refused"), a);
            else if (rc == 0 && !address_is_qualified(out[k]))
                rc = mo_err_set(err, EX_NOUSER,
                                _("the alias of \"%s\" gives \"%s\", which has no domain"),
                                a, out[k]);
            if (rc == 0)
                add_unique(env, out[k]);
            else
                free(out[k]);
        }
        free(out);
    }
    aliases_free(al);
    return rc;
}

/* -f, -F and the DSN options end up on SMTP command lines or in a header. */
static int check_options(const struct cli *cli, struct mo_err *err)
{
    char *addr = NULL;

    if (refuse_control(_("the sender address (-f)"), cli->sender, err) != 0
            || refuse_control(_("the full name (-F)"), cli->full_name, err) != 0
            || refuse_control(_("the DSN envelope id (-V)"), cli->dsn_envid, err) != 0
            || refuse_control(_("the DSN notify value (-N)"), cli->dsn_notify, err) != 0
            || refuse_control(_("the DSN return value (-R)"), cli->dsn_ret, err) != 0)
        return -1;
    if (cli->sender != NULL) {
        if (address_parse_one(cli->sender, &addr, err) != 0)
            return mo_err_prefix(err, _("sender (-f)"));
        free(addr);
    }
    return 0;
}

int envelope_collect_recipients(struct envelope *env, const struct cli *cli,
        const struct message *msg, const struct config *cfg, struct mo_err *err)
{
    struct rcpt_list l = { NULL, 0 };
    int rc = -1;

    if (check_options(cli, err) != 0)
        return -1;
    free(env->qualify_domain);
    env->qualify_domain = cfg->qualify_domain ? xstrdup(cfg->qualify_domain) : NULL;
    for (size_t i = 0; i < cli->n_recipients; i++)
        if (add_cmdline(&l, cli->recipients[i], err) != 0)
            goto out;
    if (cli->read_recipients && add_from_header(&l, &msg->headers, err) != 0)
        goto out;
    if (resolve_all(env, &l, cfg, err) != 0)
        goto out;
    if (env->n_rcpts == 0) {
        mo_err_set(err, EX_DATAERR, cli->read_recipients
                   ? _("no recipients: none on the command line nor in To, Cc or Bcc")
                   : _("no recipients: give them on the command line, or use -t"));
        goto out;
    }
    rc = 0;
out:
    rcpt_free(&l);
    return rc;
}

/* The address of the single mailbox in the single From field, or NULL. */
static char *from_field_address(const struct message *msg)
{
    const struct header_block *hb = &msg->headers;
    long i = header_find(hb, "From", 0);
    struct address_list al;
    struct mo_err err;
    char *v, *addr = NULL;

    if (i < 0 || header_find(hb, "From", (size_t)i + 1) >= 0)
        return NULL;
    v = header_value(&hb->fields[i]);
    if (address_list_parse(v, strlen(v), &al, &err) == 0) {
        if (al.n == 1 && al.items[0].addr[0] != '\0'
                && !has_control_chars(al.items[0].addr))
            addr = xstrdup(al.items[0].addr);
        address_list_free(&al);
    }
    free(v);
    return addr;
}

char *envelope_sender_hint(const struct cli *cli, const struct message *msg)
{
    char *addr = NULL;

    if (cli->sender != NULL) {
        if (address_parse_one(cli->sender, &addr, NULL) != 0)
            return NULL;
        if (addr[0] != '\0')
            return addr;
        /* The null sender matches no account's from: look at From instead. */
        free(addr);
    }
    return from_field_address(msg);
}

static bool is_pattern(const char *from)
{
    return from != NULL && strchr(from, '*') != NULL;
}

/* Local names get the domain of the account's from (a pattern's too), else
 * the host's name, as sendmail appends its own domain. */
static char *qualify(const char *local, const struct account *acct)
{
    const char *at = acct->from ? strrchr(acct->from, '@') : NULL;

    if (at != NULL && at[1] != '\0' && strchr(at, '*') == NULL)
        return xasprintf("%s%s", local, at);
    return xasprintf("%s@%s", local, local_fqdn());
}

static char *login_name(void)
{
    struct passwd *pw = getpwuid(getuid());

    if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0'
            && !has_control_chars(pw->pw_name) && strchr(pw->pw_name, ' ') == NULL)
        return xstrdup(pw->pw_name);
    return xstrdup("nobody");
}

static int choose_sender(struct envelope *env, const struct cli *cli,
                         const struct message *msg, const struct account *acct,
                         struct mo_err *err)
{
    char *addr = NULL;

    if (cli->sender != NULL) {
        if (address_parse_one(cli->sender, &addr, err) != 0)
            return mo_err_prefix(err, _("sender (-f)"));
    } else if (cli->read_envelope_from && (addr = from_field_address(msg)) != NULL) {
        /* msmtp's --read-envelope-from: the From field, as -t reads To */
    } else if (acct->from != NULL && !is_pattern(acct->from)
               && address_is_qualified(acct->from)) {
        addr = xstrdup(acct->from);
    } else if ((addr = from_field_address(msg)) == NULL) {
        addr = login_name();
    }
    if (rewrite_sender_wanted(addr, acct)) {
        free(addr);
        addr = xstrdup(acct->from);
    } else if (addr[0] != '\0' && !address_is_qualified(addr)) {
        char *q = env->qualify_domain ? xasprintf("%s@%s", addr, env->qualify_domain)
                                      : qualify(addr, acct);
        free(addr);
        addr = q;
    }
    if (refuse_control(_("the sender address"), addr, err) != 0) {
        free(addr);
        return -1;
    }
    env->sender = addr;
    return 0;
}

static char *dup_or_null(const char *a, const char *b)
{
    const char *v = a ? a : b;
    return v && v[0] ? xstrdup(v) : NULL;
}

int envelope_finish(struct envelope *env, const struct cli *cli,
        const struct message *msg, const struct account *acct, struct mo_err *err)
{
    if (check_options(cli, err) != 0)
        return -1;
    if (refuse_control(_("the account's dsn_notify"), acct->dsn_notify, err) != 0
            || refuse_control(_("the account's dsn_return"), acct->dsn_return, err) != 0)
        return -1;
    free(env->sender);
    env->sender = NULL;
    if (choose_sender(env, cli, msg, acct, err) != 0)
        return -1;
    free(env->dsn_notify);
    free(env->dsn_ret);
    free(env->dsn_envid);
    env->dsn_notify = dup_or_null(cli->dsn_notify, acct->dsn_notify);
    env->dsn_ret = dup_or_null(cli->dsn_ret, acct->dsn_return);
    env->dsn_envid = dup_or_null(cli->dsn_envid, NULL);
    return 0;
}

size_t envelope_drop_rcpts(struct envelope *env, const bool *drop)
{
    size_t kept = 0, n = env->n_rcpts;

    for (size_t i = 0; i < n; i++) {
        if (drop[i])
            free(env->rcpts[i]);
        else
            env->rcpts[kept++] = env->rcpts[i];
    }
    env->n_rcpts = kept;
    return n - kept;
}

void envelope_free(struct envelope *env)
{
    for (size_t i = 0; i < env->n_rcpts; i++)
        free(env->rcpts[i]);
    free(env->rcpts);
    free(env->sender);
    free(env->dsn_notify);
    free(env->dsn_ret);
    free(env->dsn_envid);
    free(env->qualify_domain);
    free(env->submitter);
    memset(env, 0, sizeof *env);
}
