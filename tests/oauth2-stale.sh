#!/bin/sh
# oauth2-stale.sh - the built-in OAuth 2 when the server and the cache
# disagree, against real server software (tests/lib/oauth2-bed.sh): an
# access token from the cache that the server revoked before its expiry is
# dropped, refreshed once and the login tried again in the same run (a 535
# with a token just refreshed stays final); a token endpoint that takes the
# request and never answers is given up after the account's timeout and the
# message is queued.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
o2_require
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"

o2_conf "$T/m.ini" r
STATE=$XDG_STATE_HOME/mailout/oauth2
queued() { ls "$T/queue" 2>/dev/null | grep -cE '^[0-9A-F]{10}$'; }

login r
is "$RC" 0 "device login"
send r first@test.example
is "$RC" 0 "a send with the access token of the login"
postfix_wait_for first@test.example >/dev/null; ok $? "first arrived"
at1=$(cut -d' ' -f2 "$STATE"/*.access)
[ -n "$at1" ]; ok $? "the access token is cached"

# The server revokes that access token long before its expiry.
o2_ctl /test/revoke-access
before=$(o2_count refresh)
send r stale@test.example
is "$RC" 0 "a cached token the server revoked: refreshed and delivered (exit 0)"
postfix_wait_for stale@test.example >/dev/null; ok $? "stale arrived"
is "$(($(o2_count refresh) - before))" 1 "exactly one refresh"
is "$(queued)" 0 "nothing queued"
at2=$(cut -d' ' -f2 "$STATE"/*.access)
[ -n "$at2" ] && [ "$at1" != "$at2" ]; ok $? "the cache holds the new access token"
unlike "$ERR" "authentication failed" "no authentication error shown"

# A token just refreshed that the server refuses is final: no second refresh.
# (lifetime 0: the server issues tokens already dead to its introspection)
rm -f "$STATE"/*.access
before=$(o2_count refresh)
o2_ctl /test/lifetime seconds=0
send r fresh@test.example
is "$RC" 77 "a 535 with a token refreshed in this run is final (exit 77)"
like "$ERR" "authentication failed" "the server's refusal is shown"
is "$(($(o2_count refresh) - before))" 1 "one refresh, not two"
o2_ctl /test/lifetime seconds=3600

# The token endpoint takes the request and never answers.
rm -f "$STATE"/*.access
sed 's/^timeout = .*/timeout = 3/' "$T/m.ini" >"$T/hang.ini"
o2_ctl /test/fail mode=hang
start=$(date +%s)
printf 'Subject: hang\n\nbody\n' | timeout 60 "$MAILOUT" -C "$T/hang.ini" -a r hang@test.example \
    >"$T/h.out" 2>"$T/h.err"
rc=$? took=$(($(date +%s) - start))
is "$rc" 0 "a token endpoint that never answers: queued (exit 0)"
like "$(cat "$T/h.err")" "queued as .*cannot refresh the OAuth 2 token" "the notice says why"
[ "$took" -le 20 ]; ok $? "given up after the 3 s timeout (took ${took} s)"
is "$(queued)" 1 "it is in the queue"
o2_ctl /test/fail mode=off
"$MAILOUT" -C "$T/m.ini" -q --queue-force >"$T/q.out" 2>&1
postfix_wait_for hang@test.example >/dev/null; ok $? "the endpoint back: -q delivered it"
done_testing
