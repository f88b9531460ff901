#!/bin/sh
# oauth2-long.sh - 2,500-character access tokens (Microsoft's are 1,500 to
# 2,500) against the real Postfix + Dovecot stack (tests/lib/oauth2-bed.sh):
# "AUTH XOAUTH2 <response>" would be over Postfix's 2,048-byte command line,
# so the response goes after the 334 (RFC 4954 §4); Dovecot checks each token
# by introspection. Built-in OAuth 2 and password_command tokens, XOAUTH2 and
# OAUTHBEARER.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/oauth2-bed.sh"
o2_require
o2_start "$T/bed" || { echo "Bail out! the OAuth 2 test bed did not start"; exit 1; }
. "$top_srcdir/tests/lib/oauth2-run.sh"
STATE=$XDG_STATE_HOME/mailout/oauth2
LEN=2500

o2_ctl /test/token-length n=$LEN
o2_conf "$T/m.ini" long
login long
is "$RC" 0 "device login that gets a $LEN-character access token"
at=$(cut -d' ' -f2 "$STATE"/*.access)
is "${#at}" "$LEN" "the cached access token has $LEN characters"

# logins MECH: how many Postfix logged so far.
logins() { grep -c "sasl_method=$1, sasl_username=$O2_USER" "$PF_LOG"; }
# check MECH RCPT: the send in $ERR (--debug), its arrival, one more login
# of MECH than $B.
check() {
    is "$RC" 0 "$1: delivered"
    like "$ERR" "^C: AUTH $1\$" "$1: AUTH without an initial response on its line"
    like "$ERR" "^S: 334 " "$1: the response after the 334"
    like "$ERR" "^S: 235 " "$1: the stack accepted the token"
    unlike "$ERR" "${at%"${at#??????????????????????}"}" "$1: the token is not in the transcript"
    postfix_wait_for "$2" >/dev/null; ok $? "$1: $2 arrived"
    is "$(logins "$1")" "$((B + 1))" "$1: Postfix logged the login"
}

B=$(logins XOAUTH2)
send long xo@test.example --debug
check XOAUTH2 xo@test.example
o2_conf "$T/m.ini" long oauthbearer
B=$(logins OAUTHBEARER)
send long ob@test.example --debug
check OAUTHBEARER ob@test.example
is "$(o2_count refresh)" 0 "both used the login's token from the cache"

# The same with a refresh: the new token is as long.
rm -f "$STATE"/*.access
send long ob2@test.example
is "$RC" 0 "after a refresh: delivered"
postfix_wait_for ob2@test.example >/dev/null; ok $? "it arrived"
at=$(cut -d' ' -f2 "$STATE"/*.access)
is "${#at}" "$LEN" "the refreshed token has $LEN characters"

# A token helper (password_command, no oauth2_provider) with such a token.
o2_token >"$T/tok"
at=$(cat "$T/tok")
is "${#at}" "$LEN" "control: the helper's token has $LEN characters"
printf '#!/bin/sh\ncat %s\n' "$T/tok" >"$T/helper"; chmod 700 "$T/helper"
for mech in xoauth2 oauthbearer; do
    cat >"$T/p.ini" <<EOT
[account helper]
host = 127.0.0.1
port = $PF_STARTTLS_PORT
tls_trust_file = $PF_CA
from = $O2_USER
user = $O2_USER
auth = $mech
password_command = $T/helper
queue = off
EOT
    chmod 600 "$T/p.ini"
    B=$(logins "$(echo $mech | tr a-z A-Z)")
    printf 'Subject: t\n\nbody\n' | "$MAILOUT" -C "$T/p.ini" --debug "helper-$mech@test.example" \
        >"$T/p.out" 2>"$T/p.err"
    RC=$? ERR=$(cat "$T/p.err")
    check "$(echo $mech | tr a-z A-Z)" "helper-$mech@test.example"
done
done_testing
