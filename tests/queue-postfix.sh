#!/bin/sh
# queue-postfix.sh - the queue against the private Postfix (STARTTLS + AUTH):
# mail queued while the server was unreachable goes out in one session with
# RSET between messages (Postfix's own disconnect line counts the commands),
# a 450 keeps a message queued, a 550 moves it to failed/.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_up

Q=$T/queue
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkconf() {     # mkconf PORT
    cat >"$T/c.ini" <<EOF
[mailout]
logfile = $T/log
queue_dir = $Q

[account pf]
host = localhost
port = $1
from = sender@test.example
tls = starttls
tls_trust_file = $PF_CA
user = $PF_USER
password = $PF_PASS
timeout = 10
; the transactions are counted below: no bounce (bounce-postfix.sh has them)
bounce = off
EOF
    chmod 600 "$T/c.ini"
}
send() {       # send SUBJECT RCPT
    printf 'From: sender@test.example\nTo: %s\nSubject: %s\n\nbody of %s\n' "$2" "$1" "$1" \
        | "$MAILOUT" -C "$T/c.ini" "$2" 2>"$T/err"
}
nqueued() { ls "$Q" 2>/dev/null | grep -cE '^[0-9A-F]{10}$' || true; }

mkconf "$DEAD"
for n in 1 2 3; do
    send "queued $n" "rcpt$n@example.net"
    is "$?" 0 "server unreachable: message $n queued, exit 0"
done
send "to be refused" reject@test.example
send "to be deferred" tempfail@test.example
is "$(nqueued)" 5 "five messages queued"

mkconf "$PF_STARTTLS_PORT"
before=$(wc -l <"$PF_LOG")
"$MAILOUT" -C "$T/c.ini" -q --queue-force 2>"$T/err"
is "$?" 0 "-q exits 0"
postfix_wait_mail 3; ok $? "Postfix captured the three messages"
for n in 1 2 3; do
    f=$(postfix_mail_for "rcpt$n@example.net")
    like "$(cat "$f" 2>/dev/null)" "Subject: queued $n" "rcpt$n got its message"
done
sleep 1
sessions=$(tail -n +"$((before + 1))" "$PF_LOG" | grep -c 'disconnect from' || true)
is "$sessions" 1 "one SMTP session for the whole account"
disc=$(tail -n +"$((before + 1))" "$PF_LOG" | grep 'disconnect from' | tail -n 1)
like "$disc" 'starttls=1' "with STARTTLS"
like "$disc" 'auth=1' "one AUTH"
like "$disc" 'mail=5' "five transactions"
rset=$(printf '%s\n' "$disc" | sed -n 's/.* rset=\([0-9]*\).*/\1/p')
ok "$([ "${rset:-0}" -ge 4 ]; echo $?)" "RSET between the messages (rset=$rset: 4 between, plus one after each refused RCPT)"
is "$(nqueued)" 1 "the 450 one stays queued"
id=$(ls "$Q" | grep -E '^[0-9A-F]{10}$')
like "$(grep '^last-error:' "$Q/$id")" "450 4.2.1" "with Postfix's 450 as last error"
like "$(grep '^attempts:' "$Q/$id")" "attempts: 2" "and its second attempt counted"
like "$(cat "$Q"/failed/* 2>/dev/null | grep '^last-error:')" "550 5.1.1" "the 550 one moved to failed/"
like "$("$MAILOUT" -C "$T/c.ini" -bp)" "\(.*450 4.2.1" "mailq shows the 450"

done_testing
