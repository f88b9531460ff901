#!/bin/sh
# oauth.sh - XOAUTH2 and OAUTHBEARER end to end (issue 7.2) against the
# scripted server of test-sasl: the token comes from password_command (a
# token helper); a refused token gets the server's JSON error decoded into
# the message, the client answers the error challenge as RFC 7628 asks, and
# the token shows nowhere.
. "$top_srcdir/tests/tap.sh"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
command -v openssl >/dev/null || skip_all "openssl is not installed"
TSASL="$top_builddir/tests/test-sasl"
sh "$top_srcdir/tests/lib/mkcerts.sh" "$T/pki" >/dev/null 2>&1 \
    || skip_all "cannot make test certificates"

run() {     # run AUTH TOKEN [ARG...]; sets RC, ERR, SEEN
    _auth=$1 _tok=$2; shift 2
    rm -f "$T/port" "$T/seen"
    "$TSASL" serve "$T/pki/server.pem" "$T/pki/server.key" 13 good "$T/port" "$T/seen" &
    spid=$!
    i=0; while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    printf '#!/bin/sh\necho "%s"\n' "$_tok" >"$T/token-helper"; chmod 700 "$T/token-helper"
    cat >"$T/c.ini" <<EOT
[mailout]
queue_dir = $T/queue
logfile = $T/mailout.log
[account oauth]
host = 127.0.0.1
port = $(cat "$T/port")
tls = starttls
tls_trust_file = $T/pki/ca.pem
from = me@test
user = me@test
password_command = $T/token-helper
auth = $_auth
queue = off
timeout = 10
EOT
    chmod 600 "$T/c.ini"
    printf 'Subject: oauth\n\nbody\n' | timeout 30 "$MAILOUT" -C "$T/c.ini" "$@" -f me@test you@test >"$T/out" 2>"$T/err"
    RC=$?
    ERR=$(cat "$T/err")
    wait "$spid" 2>/dev/null
    SEEN=$(cat "$T/seen" 2>/dev/null)
}

for mech in xoauth2 oauthbearer; do
    M=$(echo $mech | tr a-z A-Z)
    run $mech tok-good --debug -v
    is "$RC" 0 "$mech with a good token: delivered"
    like "$SEEN" "^oauth ok mech=$M" "the server saw $M"
    like "$ERR" "^C: AUTH $M <redacted>" "--debug shows the AUTH line redacted"
    like "$(cat "$T/mailout.log" 2>/dev/null)" 'exitcode=EX_OK' "the log line was written"
    # "tok-good" in base64 at each of the three alignments it can have in a payload
    unlike "$ERR$(cat "$T/out" "$T/mailout.log")" 'tok-good|dG9rLWdv|Rvay1nb29k|b2stZ29v' \
        "a delivered token shows nowhere (--debug -v, log), not even in base64"
    run $mech tok-expired-SECRET --debug
    is "$RC" 77 "$mech with a refused token: 77"
    like "$ERR" 'status invalid_token, scope https://mail\.test/' "the JSON error is decoded into the message"
    unlike "$ERR$(cat "$T/out" "$T/mailout.log")" 'tok-expired-SECRET' "the token shows nowhere, even with --debug (nor in the log)"
done
like "$SEEN" '^oauth refused mech=OAUTHBEARER answer=\[AQ==\]' "OAUTHBEARER answered the error challenge with ^A"
run xoauth2 tok-bad
like "$SEEN" '^oauth refused mech=XOAUTH2 answer=\[\]' "XOAUTH2 answered it with an empty line"
done_testing
