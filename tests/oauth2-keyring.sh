#!/bin/sh
# oauth2-keyring.sh - with a Secret Service, the built-in OAuth 2 keeps its
# refresh token in the keyring (host, service smtp-oauth2, user), not in a
# file; a rotated token replaces the item; a login removes a token file that
# would win over the keyring; --forget-password removes
# the item; a keyring out of reach queues the message. Against the real bed (tests/lib/oauth2-bed.sh).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
. "$top_srcdir/tests/lib/keyring.sh"
o2_require
keyring_require
case "$("$top_builddir/tests/test-secrets" support)" in
    yes*) ;;
    no*) skip_all "built without libsecret";;
    *) echo "Bail out! test-secrets support gave no answer"; exit 1;;
esac
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"
trap 'keyring_stop; o2_stop; rm -rf "$T"' EXIT
keyring_start "$T/kr" || { echo "Bail out! the private keyring did not start"; exit 1; }
export XDG_STATE_HOME=$T/state
STATE=$XDG_STATE_HOME/mailout/oauth2
item() { secret-tool lookup host 127.0.0.1 service smtp-oauth2 user "$O2_USER" 2>/dev/null; }

o2_conf "$T/m.ini" k
o2_ctl /test/lifetime seconds=30
login k
is "$RC" 0 "device login with a keyring"
like "$(cat "$T/login.out")" 'stored in the keyring' "it says the keyring"
like "$(item)" '^rt-' "the keyring holds the refresh token (service smtp-oauth2)"
is "$(ls "$STATE" | grep -c '\.refresh$')" 0 "and no token file was written"
rt1=$(item)

send k kr1@test.example
is "$RC" 0 "a send (refresh with rotation through the keyring): delivered"
postfix_wait_for kr1@test.example >/dev/null; ok $? "it arrived"
rt2=$(item)
[ -n "$rt2" ] && [ "$rt1" != "$rt2" ]; ok $? "the keyring item now holds the rotated token"
is "$(o2_events | grep '"type": "refresh"' | grep -c '"result": "ok"')" 1 "one refresh, accepted"

# The keyring goes away (cron without a session): the token cannot be read,
# the message is queued with a notice naming the keyring; with the keyring
# back, -q delivers it.
keyring_stop
send k kr2@test.example
is "$RC" 0 "a send while the keyring is down: queued (exit 0)"
like "$ERR" "queued as .*the keyring" "the notice names the keyring"
keyring_start "$T/kr" || { echo "Bail out! the private keyring did not restart"; exit 1; }
"$MAILOUT" -C "$T/m.ini" -q --queue-force >"$T/q.out" 2>&1
postfix_wait_for kr2@test.example >/dev/null; ok $? "the keyring back: -q delivered it"
is "$(o2_events | grep '"type": "refresh"' | grep -c '"result": "ok"')" 2 "two refreshes, none refused"

# A token file (left by a rotation while the keyring failed) wins until the
# next login, which puts the token back in the keyring.
printf 'rt-stale-file\n' >"$STATE/$(printf '%s' "$O2_USER" | sed 's/@/%40/')@127.0.0.1.refresh"
test -s "$STATE"/*.refresh; ok $? "control: the token file is where mailout looks"
send k kr-stale@test.example
like "$ERR" "queued as .*invalid_grant" "the file's (stale) token is used before the keyring's"
o2_ctl /test/lifetime seconds=3600
login k
is "$RC" 0 "a new login with the keyring back"
like "$(item)" '^rt-' "stores the token in the keyring"
is "$(ls "$STATE" | grep -c '\.refresh$')" 0 "and removes the file that would win over it"
"$MAILOUT" -C "$T/m.ini" -a k --forget-password >"$T/f.out" 2>&1
is "$?" 0 "--forget-password"
is "$(item)" "" "the keyring item is gone"

# A session bus without a Secret Service (a headless login, the keyring
# daemon not running): the refresh token goes to a 0600 file under the state
# directory, sends use it and store its rotation there.
keyring_stop_daemon
login k
is "$RC" 0 "a login on a bus without a Secret Service"
like "$(cat "$T/login.out")" "stored in $STATE/" "it says the token went to a file under the state directory"
f=$(ls "$STATE"/*.refresh 2>/dev/null)
is "$(stat -c %a "$f" 2>/dev/null)" 600 "the token file is 0600"
is "$(stat -c %a "$STATE")" 700 "in a 0700 directory"
rt1=$(cat "$f")
rm -f "$STATE"/*.access
send k kr-file@test.example
is "$RC" 0 "a send with the token from the file: delivered"
postfix_wait_for kr-file@test.example >/dev/null; ok $? "it arrived"
rt2=$(cat "$f" 2>/dev/null)
[ -n "$rt2" ] && [ "$rt1" != "$rt2" ]; ok $? "the rotated refresh token replaced the file's"
is "$(stat -c %a "$f" 2>/dev/null)" 600 "still 0600"
done_testing
