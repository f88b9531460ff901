#!/bin/sh
# oauth2-device.sh - the built-in OAuth 2 against real server software
# (tests/lib/oauth2-bed.sh): `mailout --login` with the device grant
# (RFC 8628: authorization_pending, slow_down), then sends whose token
# Dovecot verifies by introspection; the cached access token is used while
# valid; password_command tokens keep working; --forget-password.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
o2_require
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"

o2_conf "$T/m.ini" dev
STATE=$XDG_STATE_HOME/mailout/oauth2

# A send before any login: queued, with the notice.
send dev first@test.example
is "$RC" 0 "no token yet: the message is queued (exit 0)"
like "$ERR" 'queued as .*no OAuth 2 token .*; run mailout --login -a dev' "the notice says to run mailout --login -a dev"

login dev
is "$RC" 0 "--login (device grant) succeeds once approved"
like "$(cat "$T/login.out")" "open $O2_URL/device-login and enter the code [0-9]{4}-[0-9]{4}" "it prints the verification URL and the user code"
like "$(cat "$T/login.out")" "stored in $STATE/" "without a keyring the refresh token goes to a file under the state directory"
is "$(stat -c %a "$STATE"/*.refresh 2>/dev/null)" 600 "the token file is 0600"
is "$(stat -c %a "$STATE")" 700 "its directory is 0700"
like "$(o2_count device_poll)" '^[2-9]$' "it polled again while authorization_pending"
is "$(o2_count poll_too_fast)" 0 "never faster than the interval"

send dev one@test.example
is "$RC" 0 "a send after the login: delivered"
f=$(postfix_wait_for one@test.example) && ok 0 "Postfix got it" || ok 1 "Postfix got it"
like "$(grep 'sasl_method=XOAUTH2' "$PF_LOG")" "sasl_username=$O2_USER" "Postfix logged XOAUTH2 as $O2_USER"
is "$(o2_count refresh)" 0 "the login's access token was used from the cache: no refresh"
is "$(o2_count introspect active=true)" 1 "Dovecot checked the token at the server: active"

# The queued first message goes too.
"$MAILOUT" -C "$T/m.ini" -q >"$T/q.out" 2>&1
is "$?" 0 "-q delivers the message queued before the login"
postfix_wait_for first@test.example >/dev/null && ok 0 "it arrived" || ok 1 "it arrived"

# OAUTHBEARER with the same stored token.
o2_conf "$T/m.ini" dev oauthbearer
send dev bearer@test.example
is "$RC" 0 "auth = oauthbearer: delivered"
postfix_wait_for bearer@test.example >/dev/null
like "$(grep 'sasl_method=OAUTHBEARER' "$PF_LOG")" "sasl_username=$O2_USER" "Postfix logged OAUTHBEARER"

# A denied device login, after a slow_down: the next poll waits 5 s more.
o2_ctl /test/slow-down n=1
polls=$(o2_count device_poll)
login_deny dev
is "$RC" 77 "a refused device login: exit 77"
like "$(cat "$T/login.err")" 'access_denied' "and says access_denied"
is "$(($(o2_count device_poll) - polls))" 2 "two polls: slow_down, then access_denied"
is "$(o2_count poll_too_fast)" 0 "after slow_down it waited the interval + 5 s"

# password_command tokens still work (no oauth2_provider).
TOK=$(o2_token)
printf '#!/bin/sh\ncat %s\n' "$T/tok" >"$T/helper"; chmod 700 "$T/helper"
printf '%s\n' "$TOK" >"$T/tok"
cat >"$T/p.ini" <<EOT
[account helper]
host = 127.0.0.1
port = $PF_STARTTLS_PORT
tls_trust_file = $PF_CA
from = $O2_USER
user = $O2_USER
auth = xoauth2
password_command = $T/helper
queue = off
EOT
printf 'Subject: t\n\nbody\n' | "$MAILOUT" -C "$T/p.ini" helper@test.example >"$T/p.out" 2>&1
is "$?" 0 "a token from password_command: delivered"
postfix_wait_for helper@test.example >/dev/null && ok 0 "it arrived" || ok 1 "it arrived"
printf 'at-not-a-real-token\n' >"$T/tok"
printf 'Subject: t\n\nbody\n' | "$MAILOUT" -C "$T/p.ini" helper2@test.example >"$T/p.out" 2>&1
is "$?" 77 "a forged token from password_command is refused by the stack: 77"

# --forget-password removes the stored token.
o2_conf "$T/m.ini" dev
"$MAILOUT" -C "$T/m.ini" -a dev --forget-password >"$T/f.out" 2>&1
is "$?" 0 "--forget-password succeeds"
is "$(ls "$STATE" | grep -c -e '\.refresh$' -e '\.access$')" 0 "the token and the cache are gone"
send dev after-forget@test.example
like "$ERR" 'queued as .*no OAuth 2 token .*; run mailout --login -a dev' "a send after it asks for a login again"
done_testing
