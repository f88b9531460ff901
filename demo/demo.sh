#!/bin/sh
# demo.sh - watch mailout deliver one message: starts a private Postfix on
# loopback (STARTTLS required, SMTP AUTH via Cyrus SASL, its own test CA),
# writes a mailout configuration for it, sends a sample message with
# `mailout --debug` (the C:/S: conversation on stderr), prints the message as
# the server received it, and stops Postfix. Needs root and the packages of
# tests/setup-deps.sh; touches nothing outside a temporary directory.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
MAILOUT=${MAILOUT:-$top_srcdir/mailout}
skip_all() { echo "demo: $1" >&2; exit 1; }
. "$top_srcdir/tests/lib/postfix.sh"

why=$(postfix_unusable)
[ -z "$why" ] || skip_all "$why"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT (build it first: ./configure && make)"

D=$(mktemp -d "${TMPDIR:-/tmp}/mailout-demo.XXXXXX")
trap 'postfix_stop "$D/postfix"; rm -rf "$D"' EXIT
trap 'exit 130' HUP INT PIPE TERM

if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }

say "Starting a private Postfix in $D/postfix (loopback only)"
postfix_start "$D/postfix" || skip_all "Postfix did not start"
echo "STARTTLS + AUTH on localhost:$PF_STARTTLS_PORT, user $PF_USER (Cyrus sasldb)"

cat > "$D/mailout.ini" <<EOF
[mailout]
queue_dir = $D/queue
logfile = $D/mailout.log

[account demo]
host = localhost
port = $PF_STARTTLS_PORT
tls = starttls
tls_trust_file = $PF_CA
auth = auto
from = demo@test.example
user = $PF_USER
password = $PF_PASS
EOF
chmod 600 "$D/mailout.ini"
say "mailout's configuration ($D/mailout.ini)"
sed 's/^password = .*/password = (hidden)/' "$D/mailout.ini"

cat > "$D/message" <<'EOF'
From: Demo User <demo@test.example>
To: Friend <friend@example.net>
Bcc: secret-copy@example.net
Subject: Hello from mailout

This message went over STARTTLS with SMTP AUTH.
The Bcc header above was removed before the message left mailout,
and secret-copy@example.net still got a copy.
EOF
say "The message to send (-t: recipients from To, Cc, Bcc)"
cat "$D/message"
say "Sending with: mailout --debug -C $D/mailout.ini -t < message"
"$MAILOUT" --debug -C "$D/mailout.ini" -t < "$D/message" 2>&1
rc=$?
echo "(exit status $rc)"

if [ "$rc" -eq 0 ] && postfix_wait_for friend@example.net 20 >/dev/null; then
    f=$(postfix_wait_for friend@example.net)
    say "The message as Postfix received it (envelope: $(tr '\n' ' ' < "${f%.eml}.env"))"
    cat "$f"
    postfix_wait_for secret-copy@example.net 20 >/dev/null &&
        echo "(secret-copy@example.net got a copy too, without any Bcc header)"
    say "Postfix's log of the session"
    grep -E 'smtpd.*(TLS connection|sasl_method|disconnect)' "$PF_LOG" | tail -n 3
    say "mailout's log line"
    cat "$D/mailout.log"
else
    say "Nothing arrived; the server's log:"
    tail -n 20 "$PF_LOG"
fi
say "Stopping Postfix"
exit "$rc"
