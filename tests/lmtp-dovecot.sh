#!/bin/sh
# lmtp-dovecot.sh - protocol = lmtp against a real LMTP server: a private
# Dovecot (dovecot-lmtpd) on a loopback port chosen at run time, delivering
# into Maildirs under $T. Recipient "full" has a 1-byte quota (552 after the
# data), "broken" has an unusable mail location (451 after the data), so a
# partial success is reported recipient by recipient and the exit code
# follows the worst class.
. "$top_srcdir/tests/tap.sh"
command -v dovecot >/dev/null 2>&1 || skip_all "dovecot (dovecot-core, dovecot-lmtpd) not installed"
[ -x /usr/lib/dovecot/lmtp ] || skip_all "dovecot-lmtpd not installed"
[ "$(id -u)" -eq 0 ] || skip_all "a private Dovecot needs root (it drops to nobody)"
id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 || skip_all "no dovecot/dovenull users"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"

D=$T/dovecot
mkdir -p "$D/run" "$D/state" "$D/mail" "$T/q"
chmod 755 "$T" "$D"
# nobody (the mail user) must reach into $T.
_p=$(dirname "$T")
while [ "$_p" != / ]; do chmod o+x "$_p" 2>/dev/null; _p=$(dirname "$_p"); done
chmod 700 "$T/q"
chown nobody:nogroup "$D/mail"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '%s\n' 'a:::::::' 'c:::::::' 'full:::::::userdb_quota_rule=*:storage=1B' \
    "broken:::::::userdb_mail=maildir:$D/mail/brokenbox/Maildir" > "$D/users"
# A plain file where broken's Maildir should be: 451 until it is removed.
: > "$D/mail/brokenbox"
cat > "$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:$D/mail/%n/Maildir
mail_plugins = quota
lmtp_rcpt_check_quota = no
quota_full_tempfail = no
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = passwd-file
  args = username_format=%n $D/users
  default_fields = uid=nobody gid=nogroup home=$D/mail/%n
}
plugin {
  quota = maildir:User quota
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $PORT
  }
}
service anvil {
  chroot =
}
EOF

DC_PID=
dc_stop() {
    [ -n "$DC_PID" ] || return 0
    kill "$DC_PID" 2>/dev/null
    for _i in $(seq 50); do kill -0 "$DC_PID" 2>/dev/null || break; sleep 0.1; done
    DC_PID=
}
trap 'dc_stop; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM PIPE
dovecot -c "$D/dovecot.conf" -F > "$D/fg.log" 2>&1 &
DC_PID=$!
up=
for _i in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2).close()" \
        2>/dev/null && { up=1; break; }
    kill -0 "$DC_PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$up" ] || { cat "$D/fg.log" "$D/dovecot.log" 2>/dev/null | sed 's/^/# /'
                  echo "Bail out! private Dovecot LMTP did not start"; exit 1; }

# conf QUEUE [PORT] - $T/m.ini: one LMTP account, no TLS, no AUTH.
conf() {
    cat > "$T/m.ini" <<EOF
[mailout]
queue_dir = $T/q
logfile = $T/mailout.log

[account lmtp]
host = 127.0.0.1
port = ${2:-$PORT}
protocol = lmtp
tls = off
auth = off
from = sender@example.org
queue = $1
EOF
    chmod 600 "$T/m.ini"
}
# send ARG... - mailout with the message $T/msg; sets RC, ERR.
send() {
    timeout 60 "$MAILOUT" -C "$T/m.ini" "$@" < "$T/msg" > "$T/out" 2> "$T/err"
    RC=$?
    ERR=$(cat "$T/err")
}
# count USER - messages in USER's Maildir.
count() { find "$D/mail/${2:-$1}/Maildir/new" -type f 2>/dev/null | wc -l; }
# last USER - the newest message file of USER.
last() { ls -t "$D/mail/$1/Maildir/new/"* 2>/dev/null | head -n 1; }

conf off
printf 'From: <sender@example.org>\nSubject: lmtp\n\nline one\n.leading dot\nlast line\n' > "$T/msg"

send --debug a@example.net
is "$RC" 0 "one recipient: delivered"
like "$ERR" '^C: LHLO ' "LHLO, not EHLO"
unlike "$ERR" '^C: (EHLO|HELO) ' "no EHLO or HELO in the transcript"
like "$ERR" '^S: 250 2\.0\.0 <a@example\.net> .*Saved' "the per-recipient reply after the data"
f=$(last a)
is "$(sed '1,/^$/d' "$f")" "$(printf 'line one\n.leading dot\nlast line')" "the body arrived intact (dot line unstuffed)"
is "$(grep -c '^Return-Path: <sender@example.org>' "$f")" 1 "Dovecot recorded the envelope sender"

timeout 60 "$MAILOUT" -C "$T/m.ini" --serverinfo > "$T/out" 2> "$T/err"
is "$?" 0 "--serverinfo against Dovecot LMTP: 0"
like "$(cat "$T/out")" '^Protocol: LMTP' "--serverinfo: the protocol is LMTP"
like "$(cat "$T/out")" '^Greeting: 220 .*Dovecot' "--serverinfo: Dovecot's greeting"
like "$(cat "$T/out")" '^    PIPELINING$' "--serverinfo: the LHLO capabilities"

send -v a@example.net c@example.net
is "$RC" 0 "two recipients: delivered"
like "$ERR" 'delivered to a@example\.net' "-v names a"
like "$ERR" 'delivered to c@example\.net' "-v names c"
is "$(count a)/$(count c)" "2/1" "both mailboxes got it"

send a@example.net full@example.net
is "$RC" 69 "a delivered, full refused with 552 after the data: 69"
like "$ERR" 'not delivered to 1 of 2 recipients: full@example\.net \(552 5\.2\.2' "the refused recipient and its reply are named"
unlike "$ERR" 'a@example\.net' "the delivered recipient is not reported as failed"
is "$(count a)" 3 "a got the message despite the other failure"

send a@example.net broken@example.net
is "$RC" 75 "a delivered, broken 451 after the data, queue off: 75"
like "$ERR" 'broken@example\.net \(451 4\.' "the temporary failure is named"

send a@example.net broken@example.net full@example.net
is "$RC" 69 "a 4xx and a 5xx after the data: the worst class (5xx) gives 69"
like "$ERR" 'not delivered to 2 of 3 recipients' "both failures counted"
like "$ERR" 'full@example\.net \(552' "the permanent one is named"
like "$ERR" 'broken@example\.net \(451' "the temporary one is named"
is "$(count a)" 5 "a got every one of these messages"
like "$(tail -n 1 "$T/mailout.log")" 'exitcode=EX_UNAVAILABLE' "the log line carries the worst class"

send nobody@example.net
is "$RC" 69 "an unknown user (550 at RCPT): 69"
like "$ERR" 'nobody@example\.net \(550 5\.1\.1' "Dovecot's reason is shown"

# Queue on: the 4xx recipient is queued; the retry reaches only it, the
# recipient that already has the message does not get it twice.
conf on
send a@example.net broken@example.net
is "$RC" 0 "a 451 after the data with the queue on: 0 (queued)"
like "$ERR" 'queued' "the notice says queued"
n_a=$(count a)
like "$("$MAILOUT" -C "$T/m.ini" -bp)" 'broken@example\.net' "mailq: broken is queued"
unlike "$("$MAILOUT" -C "$T/m.ini" -bp)" 'a@example\.net' "mailq: a, which has the message, is not"
rm "$D/mail/brokenbox"
timeout 60 "$MAILOUT" -C "$T/m.ini" -q --queue-force -v > "$T/out" 2> "$T/err"
is "$?" 0 "mailout -q delivers the queued recipient"
grep -q "delivered to broken@example.net" "$T/err"; ok $? "-v names the queued recipient"
is "$(count broken brokenbox)" 1 "broken got it on the retry"
is "$(count a)" "$n_a" "a did not get a duplicate"
is "$(find "$T/q" -type f ! -path '*/failed/*' ! -path '*/tmp/*' | wc -l)" 0 "the queue is empty"

# The same split inside a queue run: both recipients queued while the
# server was unreachable; the first run delivers to a only and keeps
# broken; the second delivers to broken; a has it once.
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf on "$DEAD"
send a@example.net broken@example.net
is "$RC" 0 "server unreachable: queued"
conf on
rm -rf "$D/mail/brokenbox"; : > "$D/mail/brokenbox"
n_a=$(count a); n_b=$(count broken brokenbox)
timeout 60 "$MAILOUT" -C "$T/m.ini" -q --queue-force > "$T/out" 2> "$T/err"
is "$(count a)" "$((n_a + 1))" "queue run: a delivered"
like "$("$MAILOUT" -C "$T/m.ini" -bp)" 'broken@example\.net' "queue run: broken still queued"
unlike "$("$MAILOUT" -C "$T/m.ini" -bp)" 'a@example\.net' "queue run: a no longer in the entry"
rm "$D/mail/brokenbox"
timeout 60 "$MAILOUT" -C "$T/m.ini" -q --queue-force > "$T/out" 2> "$T/err"
is "$(count broken brokenbox)" "$((n_b + 1))" "second queue run: broken delivered"
is "$(count a)" "$((n_a + 1))" "second queue run: a did not get it twice"
is "$(find "$T/q" -type f ! -path '*/failed/*' ! -path '*/tmp/*' | wc -l)" 0 "the queue is empty"

# 250 / 451 / 552 with the queue on (issue 11): broken is queued, full is
# kept in failed/ with Dovecot's reply, exit 69; the retry reaches broken only.
rm -rf "$D/mail/brokenbox"; : > "$D/mail/brokenbox"
n_a=$(count a); n_b=$(count broken brokenbox)
n_f=$(ls "$T/q/failed" 2>/dev/null | wc -l)
send a@example.net broken@example.net full@example.net
is "$RC" 69 "250/451/552, queue on: 69 for the permanent part"
like "$ERR" 'queued as [0-9A-F]{10}: recipient refused for now: broken@example\.net \(451' "broken is queued"
like "$ERR" "recipient refused for good: full@example\.net \(552 .*failed/ as [0-9A-F]{10}\$" "full is kept in failed/"
is "$(count a)" "$((n_a + 1))" "a got it once"
like "$("$MAILOUT" -C "$T/m.ini" -bp | sed '/^Failed/,$d')" 'broken@example\.net' "mailq: broken is queued"
unlike "$("$MAILOUT" -C "$T/m.ini" -bp | sed '/^Failed/,$d')" '(a|full)@example\.net' "mailq: a and full are not"
is "$(ls "$T/q/failed" | wc -l)" "$((n_f + 1))" "one more entry in failed/"
rm "$D/mail/brokenbox"
timeout 60 "$MAILOUT" -C "$T/m.ini" -q --queue-force > "$T/out" 2> "$T/err"
is "$?" 0 "-q: broken delivered"
is "$(count broken brokenbox)" "$((n_b + 1))" "broken got it on the retry"
is "$(count a)" "$((n_a + 1))" "a did not get it twice"
is "$(find "$T/q" -type f ! -path '*/failed/*' ! -path '*/tmp/*' | wc -l)" 0 "the queue is empty"

dc_stop
done_testing
