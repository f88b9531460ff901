#!/bin/sh
# oauth2-browser.sh - `mailout --login --browser`: the authorization code
# grant with PKCE S256 and a loopback redirect on 127.0.0.1, against the
# bed's authorization server, which verifies the code_verifier; the
# redirect either reaches mailout's listener or is pasted on stdin; the
# token then works against Dovecot + Postfix.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
o2_require
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"
BROWSER="$O2_PY $top_srcdir/tests/lib/oauth2-browser.py $O2_CA"

o2_conf "$T/m.ini" b
auth_url() {        # the authorization URL mailout printed (waits 20 s)
    _i=0
    while ! grep -q '^https://.*/authorize?' "$T/login.out" 2>/dev/null; do
        [ $_i -ge 200 ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
    grep '^https://.*/authorize?' "$T/login.out" | head -n 1
}
param() { "$O2_PY" -c 'import sys, urllib.parse as u; print(dict(u.parse_qsl(u.urlsplit(sys.argv[1]).query)).get(sys.argv[2], ""))' "$1" "$2"; }

# 1. The browser follows the redirect to mailout's loopback listener.
login_start b --browser
URL=$(auth_url); ok $? "--browser prints the authorization URL"
is "$(param "$URL" code_challenge_method)" S256 "it asks for PKCE S256"
like "$(param "$URL" code_challenge)" '^[A-Za-z0-9_-]{43}$' "with a SHA-256 challenge (43 base64url characters)"
like "$(param "$URL" redirect_uri)" '^http://127\.0\.0\.1:[0-9]+/$' "and a loopback redirect on 127.0.0.1"
like "$(param "$URL" state)" '^[A-Za-z0-9_-]{20,}$' "and a random state"
like "$($BROWSER "$URL")" 'login is finished' "the browser lands on mailout's page"
wait "$LOGIN_PID"
is "$?" 0 "--login --browser succeeds"
is "$(o2_count token 'pkce="S256 verified"')" 1 "the server verified the code_verifier against the challenge"
send b browser@test.example
is "$RC" 0 "a send with the token: delivered"
postfix_wait_for browser@test.example >/dev/null; ok $? "it arrived through Dovecot's check"

# 2. Headless: the user pastes the final redirect URL on stdin.
mkfifo "$T/paste"
rm -f "$T/login.out"
timeout 60 "$MAILOUT" -C "$T/m.ini" -a b --login --browser <"$T/paste" >"$T/login.out" 2>"$T/login.err" &
LOGIN_PID=$!
exec 7>"$T/paste"
URL=$(auth_url)
LOC=$($BROWSER "$URL" --no-follow)
like "$LOC" '^http://127\.0\.0\.1:[0-9]+/\?code=' "the server redirects with a code"
printf '%s\n' "$LOC" >&7
wait "$LOGIN_PID"
is "$?" 0 "a pasted redirect URL finishes the login"
exec 7>&-
is "$(o2_count token 'pkce="S256 verified"')" 2 "the server verified PKCE again"

# 3. A redirect of another login (state differs) is refused.
rm -f "$T/login.out" "$T/paste"; mkfifo "$T/paste"
timeout 60 "$MAILOUT" -C "$T/m.ini" -a b --login --browser <"$T/paste" >"$T/login.out" 2>"$T/login.err" &
LOGIN_PID=$!
exec 7>"$T/paste"
URL=$(auth_url)
LOC=$($BROWSER "$URL" --no-follow | sed 's/state=[^&]*/state=forged/')
printf '%s\n' "$LOC" >&7
wait "$LOGIN_PID"
is "$?" 76 "a redirect with another state: refused (76)"
like "$(cat "$T/login.err")" 'state differs' "and says why"
exec 7>&-

# The bed's PKCE check can fail: a code exchanged with a wrong verifier.
LOC=$($BROWSER "$(printf '%s' "$URL" | sed 's/code_challenge=[^&]*/code_challenge=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/')" --no-follow)
CODE=$(param "$LOC" code)
R=$(curl -sS --cacert "$O2_CA" -d grant_type=authorization_code -d client_id="$O2_CLIENT_ID" \
    -d code="$CODE" -d redirect_uri="$(param "$URL" redirect_uri)" \
    -d code_verifier=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB "$O2_URL/token")
like "$R" 'invalid_grant' "the server refuses a code_verifier that does not match"
done_testing
