/* hints.c - which refusals get which fix. The providers are recognised by
 * the host name only (the account's host, as configured): a 535 from them
 * nearly always means the account password was sent where an app password
 * or an OAuth 2 token is required. */
#include "config.h"
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "i18n.h"
#include "util.h"
#include "hints.h"

/* True when host is name or ends in ".name" (case-insensitive). */
static bool host_is(const char *host, const char *name)
{
    size_t h = strlen(host), n = strlen(name);

    if (h > 0 && host[h - 1] == '.')
        h--;                    /* a fully qualified "smtp.gmail.com." */
    if (h < n || ascii_strncasecmp(host + h - n, name, n) != 0)
        return false;
    return h == n || host[h - n - 1] == '.';
}

const char *hint_auth_refused(const char *host)
{
    if (host == NULL)
        return NULL;
    if (host_is(host, "gmail.com") || host_is(host, "googlemail.com") || host_is(host, "google.com"))
        return _("Gmail refuses the account password: use an app password (or auth = xoauth2); see RECIPES, Gmail, in mailout(1)");
    if (host_is(host, "office365.com") || host_is(host, "outlook.com") || host_is(host, "hotmail.com")
            || host_is(host, "live.com"))
        return _("Microsoft accepts only OAuth 2 here: set auth = xoauth2 with a token helper; see RECIPES, Microsoft 365 and Outlook.com, in mailout(1)");
    if (host_is(host, "yahoo.com") || host_is(host, "yahoo.co.jp") || host_is(host, "aol.com"))
        return _("Yahoo refuses the account password: generate an app password under Account security and use it as the password");
    if (host_is(host, "me.com") || host_is(host, "icloud.com") || host_is(host, "mac.com"))
        return _("iCloud refuses the Apple ID password: use an app-specific password; see RECIPES, iCloud Mail, in mailout(1)");
    return NULL;
}

/* Case-insensitive substring. */
static bool has(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; *s; s++)
        if (ascii_strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

const char *hint_sender_refused(const char *reply)
{
    /* Postfix reject_sender_login_mismatch: "not owned by user";
     * Microsoft: "5.7.60 ... not have permissions to send as this sender";
     * Gmail, Yahoo, iCloud and others: "sender ... not (allowed|authorized)",
     * "From address not verified", "not permitted to send as". */
    static const char *const words[] = {
        "not owned by", "send as this sender", "sender not allowed",
        "sender address not allowed", "not authorized to send", "not allowed to send",
        "address not verified", "not permitted to send", "sender mismatch",
        "login mismatch", "sendasdenied", "5.7.60",
    };

    if (reply == NULL || reply[0] != '5')
        return NULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (has(reply, words[i]))
            return _("the server does not let this login send as this sender: set from to the account's own address, or rewrite_from = always to send every message as from");
    return NULL;
}
