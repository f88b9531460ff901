/* rewrite.c - rewrite_from and qualify_domain (mailout(1) CONFIGURATION) applied to the
 * envelope sender's choice and to the address fields of the header. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"
#include "address.h"
#include "rewrite.h"


bool rewrite_is_local(const char *addr)
{
    const char *at = strrchr(addr, '@');
    const char *fqdn = local_fqdn();
    char host[256];

    if (at == NULL)
        return true;
    at++;
    if (ascii_strcasecmp(at, fqdn) == 0 || ascii_strcasecmp(at, "localhost") == 0
            || ascii_strcasecmp(at, "localhost.localdomain") == 0)
        return true;
    if (gethostname(host, sizeof host - 1) != 0)
        return false;
    host[sizeof host - 1] = '\0';
    return ascii_strcasecmp(at, host) == 0;
}

static bool literal_from(const struct account *acct)
{
    return acct->from != NULL && strchr(acct->from, '*') == NULL
           && address_is_qualified(acct->from);
}

bool rewrite_sender_wanted(const char *addr, const struct account *acct)
{
    if (addr[0] == '\0' || !literal_from(acct) || address_equal(addr, acct->from))
        return false;
    switch (acct->rewrite_from) {
    case REWRITE_ALWAYS: return true;
    case REWRITE_LOCAL: return rewrite_is_local(addr);
    default: return false;
    }
}

/* The text of the first comment of value, "root (Cron Daemon)" giving
 * "Cron Daemon", or NULL. */
static char *comment_name(const char *value)
{
    const char *open = strchr(value, '('), *close = strrchr(value, ')');
    char *out, *q;

    if (open == NULL || close == NULL || close < open)
        return NULL;
    out = q = xmalloc((size_t)(close - open) + 1);
    for (const char *p = open + 1; p < close; p++) {
        if (*p == '\\' && p + 1 < close)
            p++;
        *q++ = *p;
    }
    *q = '\0';
    for (q = out; *q == ' ' || *q == '\t'; q++)
        ;
    memmove(out, q, strlen(q) + 1);
    for (q = out + strlen(out); q > out && (q[-1] == ' ' || q[-1] == '\t'); q--)
        q[-1] = '\0';
    if (out[0] == '\0' || has_control_chars(out)) {
        free(out);
        return NULL;
    }
    return out;
}

/* New address for one mailbox, or NULL when it stays. */
static char *new_address(const char *addr, bool is_from, const struct envelope *env,
                         const struct account *acct)
{
    if (is_from && rewrite_sender_wanted(addr, acct))
        return xstrdup(acct->from);
    if (addr[0] != '\0' && !address_is_qualified(addr) && env->qualify_domain != NULL)
        return xasprintf("%s@%s", addr, env->qualify_domain);
    return NULL;
}

static char *render(const struct address_list *al)
{
    struct strbuf b;

    strbuf_init(&b, 0);
    for (size_t i = 0; i < al->n; i++) {
        const struct mailbox *m = &al->items[i];
        if (i > 0)
            strbuf_append(&b, ", ", 2);
        if (m->display_name != NULL && m->display_name[0] != '\0') {
            char *phrase = address_quote_phrase(m->display_name);
            strbuf_append(&b, phrase, strlen(phrase));
            strbuf_append(&b, " <", 2);
            strbuf_append(&b, m->addr, strlen(m->addr));
            strbuf_append(&b, ">", 1);
            free(phrase);
        } else {
            strbuf_append(&b, m->addr, strlen(m->addr));
        }
    }
    return strbuf_detach(&b, NULL);
}

/* Rewrites field i when one of its addresses changes. */
static void rewrite_field(struct header_block *hb, size_t i, bool is_from,
                          const struct envelope *env, const struct account *acct)
{
    char *value = header_value(&hb->fields[i]);
    struct address_list al;
    struct mo_err err;
    bool changed = false;

    if (address_list_parse(value, strlen(value), &al, &err) != 0) {
        free(value);
        return;
    }
    for (size_t k = 0; k < al.n; k++) {
        struct mailbox *m = &al.items[k];
        char *addr = new_address(m->addr, is_from, env, acct);
        if (addr == NULL)
            continue;
        if (m->display_name == NULL && al.n == 1)
            m->display_name = comment_name(value);
        free(m->addr);
        m->addr = addr;
        changed = true;
    }
    if (changed) {
        char *v = render(&al);
        header_replace(hb, i, v);
        free(v);
    }
    address_list_free(&al);
    free(value);
}

void rewrite_headers(struct message *msg, const struct envelope *env,
                     const struct account *acct)
{
    static const char *const names[] = { "From", "To", "Cc", "Sender", "Reply-To" };
    struct header_block *hb = &msg->headers;

    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        bool is_from = n == 0;
        for (long i = header_find(hb, names[n], 0); i >= 0;
             i = header_find(hb, names[n], (size_t)i + 1))
            rewrite_field(hb, (size_t)i, is_from, env, acct);
    }
}
