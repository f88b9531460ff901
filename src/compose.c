/* compose.c - the header block as it will be sent. Bcc goes (it would tell
 * every recipient who else got the message); Date, Message-ID and From are
 * added when missing, as sendmail and Postfix do for local submissions. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "address.h"
#include "compose.h"

char *compose_date(time_t now)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    long off;

    if (localtime_r(&now, &tm) == NULL)
        gmtime_r(&now, &tm);
    off = tm.tm_gmtoff / 60;
    return xasprintf("%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
                     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static bool is_domain_text(const char *d)
{
    if (d == NULL || d[0] == '\0')
        return false;
    for (const char *p = d; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* The right side of the Message-ID: the From address's domain, else the
 * envelope sender's, else this host's name. */
static char *id_domain(const struct message *msg, const struct envelope *env)
{
    long i = header_find(&msg->headers, "From", 0);
    char *d = NULL;

    if (i >= 0) {
        char *v = header_value(&msg->headers.fields[i]);
        struct address_list al;
        struct mo_err e;
        if (address_list_parse(v, strlen(v), &al, &e) == 0) {
            if (al.n >= 1 && is_domain_text(address_domain(al.items[0].addr)))
                d = xstrdup(address_domain(al.items[0].addr));
            address_list_free(&al);
        }
        free(v);
    }
    if (d == NULL && is_domain_text(address_domain(env->sender)))
        d = xstrdup(address_domain(env->sender));
    return d ? d : xstrdup(local_fqdn());
}

static int add_message_id(struct message *msg, const struct envelope *env,
                          time_t now, struct mo_err *err)
{
    unsigned char rnd[16];
    char hex[sizeof rnd * 2 + 1];
    char *domain, *id;

    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return mo_err_set(err, EX_SOFTWARE,
                          _("cannot get random bytes for the Message-ID"));
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    domain = id_domain(msg, env);
    id = xasprintf("<%s.%lld@%s>", hex, (long long)now, domain);
    header_append(&msg->headers, "Message-ID", id);
    free(id);
    free(domain);
    return 0;
}

/* From: the envelope sender, else the account's address; never the null
 * sender, and nothing when there is no address at all. */
static void add_from(struct message *msg, const struct envelope *env,
                     const struct account *acct, const struct cli *cli)
{
    const char *addr = NULL;
    char *value;

    if (env->sender != NULL && env->sender[0] != '\0')
        addr = env->sender;
    else if (acct->from != NULL && strchr(acct->from, '*') == NULL
             && address_is_qualified(acct->from))
        addr = acct->from;
    if (addr == NULL)
        return;
    if (cli->full_name != NULL && cli->full_name[0] != '\0') {
        char *phrase = address_quote_phrase(cli->full_name);
        value = xasprintf("%s <%s>", phrase, addr);
        free(phrase);
    } else {
        value = xstrdup(addr);
    }
    header_append(&msg->headers, "From", value);
    free(value);
}

static bool missing(const struct message *msg, const char *name)
{
    return header_find(&msg->headers, name, 0) < 0;
}

int compose_headers(struct message *msg, const struct envelope *env,
                    const struct account *acct, const struct cli *cli,
                    struct mo_err *err)
{
    time_t now = cli->submitted ? cli->submitted : time(NULL);

    if (cli->full_name != NULL && has_control_chars(cli->full_name))
        return mo_err_set(err, EX_DATAERR,
                          _("%s contains a control character (CR, LF or other); refused"),
                          _("the full name (-F)"));
    if (acct->remove_bcc) {
        header_remove_all(&msg->headers, "Bcc");
        header_remove_all(&msg->headers, "Resent-Bcc");
    }
    /* "on" and "auto" both add a missing field; "off" never adds one. */
    if (acct->add_from != TRI_OFF && missing(msg, "From"))
        add_from(msg, env, acct, cli);
    if (acct->add_date != TRI_OFF && missing(msg, "Date")) {
        char *date = compose_date(now);
        header_append(&msg->headers, "Date", date);
        free(date);
    }
    if (acct->add_message_id != TRI_OFF && missing(msg, "Message-ID")
            && add_message_id(msg, env, now, err) != 0)
        return -1;
    return 0;
}
