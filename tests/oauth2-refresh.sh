#!/bin/sh
# oauth2-refresh.sh - sending with the built-in OAuth 2 across token expiry,
# against real server software (tests/lib/oauth2-bed.sh): each refresh
# rotates the refresh token and mailout must store the new one (a client
# that does not fails); five concurrent senders refresh once; a dead grant
# queues the message with "run mailout --login", and after the login -q
# delivers; a token endpoint that fails (5xx, dropped, unreachable) queues
# it too, and it goes later.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
o2_require
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"

o2_conf "$T/m.ini" r
STATE=$XDG_STATE_HOME/mailout/oauth2
gens() { o2_events | grep '"type": "refresh"' | sed 's/.*"gen": \([0-9a-z]*\).*"result": "\([a-z]*\)".*/\1:\2/' | tr '\n' ' '; }
queued() { ls "$T/queue" 2>/dev/null | grep -cE '^[0-9A-F]{10}$'; }

# Access tokens live 30 s: below mailout's 60 s margin, so every send refreshes.
o2_ctl /test/lifetime seconds=30
login r
is "$RC" 0 "device login"
rt0=$(cat "$STATE"/*.refresh)

for n in 1 2 3; do
    send r "rot$n@test.example"
    is "$RC" 0 "send $n across the expiry: delivered"
    postfix_wait_for "rot$n@test.example" >/dev/null && ok 0 "rot$n arrived" || ok 1 "rot$n arrived"
    [ $n -eq 1 ] && cp "$STATE"/*.refresh "$T/rt-after-1"
done
is "$(gens)" "1:ok 2:ok 3:ok " "three refreshes, each presenting the newest generation once"
rt3=$(cat "$STATE"/*.refresh)
[ "$rt0" != "$rt3" ] && [ -n "$rt3" ]; ok $? "the stored refresh token was replaced by the rotated one"
is "$(ls -a "$STATE" | grep -c tmp)" 0 "no temporary files left behind"

# The same with a client that does not keep the rotated token: put back the
# one stored after send 1 (generation 2, already used) and drop the cache.
cp "$T/rt-after-1" "$STATE"/*.refresh
rm -f "$STATE"/*.access
send r stale@test.example
is "$RC" 0 "a refresh token the server rotated away: the message is queued (exit 0)"
like "$ERR" "queued as .*invalid_grant.*run mailout --login -a r" "the notice: invalid_grant, run mailout --login -a r"
like "$(gens)" "2:dead $" "the server saw the reused generation 2 (and so kills the grant)"
send r stale2@test.example
like "$ERR" "queued as .*run mailout --login -a r" "every later attempt says the same"
is "$(queued)" 2 "both are in the queue"

login r
is "$RC" 0 "--login again"
"$MAILOUT" -C "$T/m.ini" -q --queue-force >"$T/q.out" 2>&1
is "$?" 0 "-q after the login"
postfix_wait_for stale@test.example >/dev/null && postfix_wait_for stale2@test.example >/dev/null
ok $? "-q delivered both queued messages"
is "$(queued)" 0 "the queue is empty"

# Five concurrent senders with an expired access token: exactly one refresh.
o2_ctl /test/lifetime seconds=3600
before=$(o2_count refresh)
pids=
for n in 1 2 3 4 5; do
    printf 'Subject: c%s\n\nbody\n' $n | timeout 60 "$MAILOUT" -C "$T/m.ini" -a r "conc$n@test.example" \
        >"$T/c$n.out" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
is "$(($(o2_count refresh) - before))" 1 "five concurrent sends: one refresh at the server"
all=0
for n in 1 2 3 4 5; do postfix_wait_for "conc$n@test.example" >/dev/null || all=1; done
ok $all "all five were delivered"
is "$(queued)" 0 "none was queued"

# A revoked grant (the cached access token expired meanwhile).
o2_ctl /test/lifetime seconds=30
login r
o2_ctl /test/revoke
send r revoked@test.example
is "$RC" 0 "revoked grant: queued (exit 0)"
like "$ERR" "queued as .*invalid_grant.*run mailout --login -a r" "with the notice to log in"
login r
"$MAILOUT" -C "$T/m.ini" -q --queue-force >"$T/q.out" 2>&1
postfix_wait_for revoked@test.example >/dev/null; ok $? "after --login, -q delivered it"

# The token endpoint fails: 500, a dropped connection, nothing listening.
o2_ctl /test/fail mode=500
send r down500@test.example
is "$RC" 0 "token endpoint answers 500: queued (exit 0)"
like "$ERR" "queued as .*HTTP 500" "the notice names the HTTP 500"
o2_ctl /test/fail mode=drop
send r downdrop@test.example
is "$RC" 0 "token endpoint drops the connection: queued"
DEAD=$(pf_free_ports 1)
sed "s|^oauth2_token_url = .*|oauth2_token_url = https://127.0.0.1:$DEAD/token|" "$T/m.ini" >"$T/dead.ini"
printf 'Subject: x\n\nbody\n' | timeout 60 "$MAILOUT" -C "$T/dead.ini" -a r downdead@test.example >"$T/d.out" 2>"$T/d.err"
is "$?" 0 "token endpoint unreachable: queued"
like "$(cat "$T/d.err")" "queued as .*cannot refresh the OAuth 2 token" "the notice says why"
is "$(queued)" 3 "three queued"
o2_ctl /test/fail mode=off
"$MAILOUT" -C "$T/m.ini" -q --queue-force >"$T/q.out" 2>&1
all=0
for r in down500 downdrop downdead; do postfix_wait_for "$r@test.example" >/dev/null || all=1; done
ok $all "the endpoint back: -q delivered all three"
is "$(queued)" 0 "the queue is empty"
done_testing
