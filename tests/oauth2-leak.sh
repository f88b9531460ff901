#!/bin/sh
# oauth2-leak.sh - the built-in OAuth 2's tokens (refresh and access, old and
# rotated) show nowhere: not in stdout/stderr of --login, of sends with
# --debug -v (also not in base64, at any alignment), not in the log file,
# not in queue files, not in a child's argv or environment.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
o2_require
O2_CLIENT_SECRET=not-really-secret   # the server requires it
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"

# A confidential client: the secret comes from a command, which also records
# its own argv and environment.
o2_conf "$T/m.ini" leak xoauth2 "oauth2_client_secret_command = $T/secret-cmd"
cat >"$T/secret-cmd" <<EOT
#!/bin/sh
{ echo "argv: \$0 \$*"; env; } >>"$T/child-seen"
echo not-really-secret
EOT
chmod 700 "$T/secret-cmd"
STATE=$XDG_STATE_HOME/mailout/oauth2
TOKENS=$T/tokens
: >"$TOKENS"
collect() {         # remember every token mailout stored so far
    for f in "$STATE"/*.refresh "$STATE"/*.access; do
        [ -f "$f" ] && sed 's/^[0-9]* //' "$f" >>"$TOKENS"
    done
}
# patterns: each token, and its base64 at the three alignments
patterns() {
    sort -u "$TOKENS" | "$O2_PY" -c '
import base64, sys
for t in sys.stdin.read().split():
    print(t)
    for pad in range(3):
        b = base64.b64encode(b"x" * pad + t.encode()).decode()
        print(b[4:-4])'
}
leaks() {           # FILE...: the lines that hold a token
    patterns >"$T/pat"
    cat "$@" 2>/dev/null | grep -F -f "$T/pat"
}

o2_ctl /test/lifetime seconds=30
login leak
is "$RC" 0 "device login (confidential client, secret from a command)"
cp "$T/login.out" "$T/all-out"; cat "$T/login.err" >>"$T/all-out"
collect
like "$(wc -l <"$TOKENS")" '^2$' "a refresh and an access token were stored"

for n in 1 2; do
    send leak "leak$n@test.example" --debug -v
    is "$RC" 0 "send $n with --debug -v (a refresh with rotation): delivered"
    cat "$T/out" "$T/err" >>"$T/all-out"
    collect
done
like "$(sort -u "$TOKENS" | wc -l)" '^6$' "six distinct tokens over the login and two refreshes"
like "$(cat "$T/all-out")" 'AUTH XOAUTH2' "--debug did show the AUTH exchange"

# A message queued after the AUTH (the recipient gets a scripted 450).
send leak tempfail@test.example --debug -v
is "$RC" 0 "a temporary refusal after AUTH: queued"
cat "$T/out" "$T/err" >>"$T/all-out"
collect
# And one queued because the grant is dead.
o2_ctl /test/revoke
send leak dead@test.example --debug -v
like "$ERR" 'run mailout --login -a leak' "a dead grant: queued with the notice"
cat "$T/out" "$T/err" >>"$T/all-out"

# The detector itself: it finds the stored token in the state file, and its
# base64 in a payload made as XOAUTH2 makes it.
test -n "$(leaks "$STATE"/*.refresh)"; ok $? "control: the search finds a stored token"
printf 'user=%s\001auth=Bearer %s\001\001' "$O2_USER" "$(tail -n 1 "$TOKENS")" | base64 -w0 >"$T/b64"
test -n "$(leaks "$T/b64")"; ok $? "control: and its base64 inside an XOAUTH2 payload"
is "$(leaks "$T/all-out")" "" "no token in stdout/stderr of --login and --debug -v sends"
is "$(leaks "$T/mailout.log")" "" "no token in the log file"
like "$(cat "$T/mailout.log")" 'exitcode=EX_OK' "the log file was written"
is "$(ls "$T/queue" | grep -cE '^[0-9A-F]{10}$')" 2 "two queue files"
is "$(find "$T/queue" -type f -exec cat {} + | leaks /dev/stdin)" "" "no token in the queue files"
test -s "$T/child-seen"; ok $? "the secret command ran"
is "$(leaks "$T/child-seen")" "" "no token in a child's argv or environment"
is "$(find "$T/queue" -type f -exec cat {} + | cat - "$T/all-out" "$T/mailout.log" | grep -c not-really-secret)" 0 "nor the client secret anywhere"
done_testing
