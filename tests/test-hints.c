/* test-hints.c - which refusals get which hint. */
#include "config.h"
#include <string.h>
#include "tap.h"
#include "hints.h"

static void test_auth(void)
{
    const char *h;

    h = hint_auth_refused("smtp.gmail.com");
    ok(h != NULL && strstr(h, "app password") && strstr(h, "RECIPES, Gmail"), "Gmail: app password, recipe");
    ok(hint_auth_refused("SMTP.GMAIL.COM.") != NULL, "Gmail: any case, trailing dot");
    h = hint_auth_refused("smtp.office365.com");
    ok(h != NULL && strstr(h, "OAuth 2") && strstr(h, "Microsoft 365"), "Office 365: OAuth, recipe");
    ok(hint_auth_refused("smtp-mail.outlook.com") != NULL, "Outlook.com");
    h = hint_auth_refused("smtp.mail.yahoo.com");
    ok(h != NULL && strstr(h, "app password"), "Yahoo: app password");
    h = hint_auth_refused("smtp.mail.me.com");
    ok(h != NULL && strstr(h, "app-specific") && strstr(h, "iCloud"), "iCloud: app-specific password");
    ok(hint_auth_refused("smtp.example.com") == NULL, "another host: no hint");
    ok(hint_auth_refused("notgmail.com") == NULL, "a name that only ends like gmail.com: no hint");
    ok(hint_auth_refused("gmail.com.evil.example") == NULL, "gmail.com as a prefix: no hint");
    ok(hint_auth_refused(NULL) == NULL, "NULL: no hint");
}

static void test_sender(void)
{
    const char *h;

    h = hint_sender_refused("553 5.7.1 <x@example.org>: Sender address rejected: not owned by user me@example.com");
    ok(h != NULL && strstr(h, "rewrite_from") && strstr(h, "from"), "Postfix login mismatch: from / rewrite_from");
    ok(hint_sender_refused("550 5.7.60 SMTP; Client does not have permissions to send as this sender") != NULL,
       "Microsoft SendAsDenied");
    ok(hint_sender_refused("553 5.7.1 Sender address not allowed") != NULL, "generic wording");
    ok(hint_sender_refused("550 5.1.1 mailbox unavailable") == NULL, "another 5xx: no hint");
    ok(hint_sender_refused("451 4.7.1 not owned by user, try later") == NULL, "a 4xx: no hint");
    ok(hint_sender_refused(NULL) == NULL, "NULL: no hint");
}

int main(void)
{
    test_auth();
    test_sender();
    return done_testing();
}
