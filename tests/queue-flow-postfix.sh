#!/bin/sh
# queue-flow-postfix.sh - a message's way through the queue against the
# private Postfix (STARTTLS + AUTH), as mailout(1) QUEUE tells it: server
# down -> exit 0 -> server up -> --queue-due sends nothing yet, -q sends it
# at once (counted at the server); a refused password -> failed/ -> fixed ->
# --requeue -> delivered once; a password_command that prints nothing ->
# nonzero exit, the message byte for byte in failed/ -> requeued, delivered;
# mailq checked line by line with a queued and a failed message.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_up

Q=$T/queue
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkconf() {     # mkconf PORT SECRET-LINE
    {
        printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\n\n' "$T" "$Q"
        printf '[account pf]\nhost = localhost\nport = %s\nfrom = sender@test.example\n' "$1"
        printf 'tls = starttls\ntls_trust_file = %s\nuser = %s\n%s\ntimeout = 10\nbounce = off\n' \
            "$PF_CA" "$PF_USER" "$2"
    } >"$T/c.ini"
    chmod 600 "$T/c.ini"
}
GOOD="password = $PF_PASS"
msg() {        # msg SUBJECT RCPT: a message that mailout sends unchanged
    printf 'From: sender@test.example\nTo: %s\nSubject: %s\nDate: Mon, 30 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@test.example>\n\nbody of %s\n' \
        "$2" "$1" "$(echo "$1" | tr ' ' '.')" "$1"
}
send() { msg "$1" "$2" | "$MAILOUT" -C "$T/c.ini" "$2" 2>"$T/err"; }
ids() { ls "$1" 2>/dev/null | grep -E '^[0-9A-F]{10}$'; }
sessions() { grep -c 'disconnect from' "$PF_LOG" || true; }
got() { postfix_mail_for "$1" | grep -c . || true; }     # messages captured for ADDR

# --- server down -> exit 0 -> --queue-due sends nothing -> -q sends at once
mkconf "$DEAD" "$GOOD"
send "while down" down@example.net
is "$?" 0 "server down: exit 0"
like "$(cat "$T/err")" "^mailout: queued as [0-9A-F]{10}: .*; will retry$" "  with the notice"
id=$(ids "$Q")
is "$(ids "$Q" | wc -l)" 1 "  one message queued"
mkconf "$PF_STARTTLS_PORT" "$GOOD"
s0=$(sessions)
"$MAILOUT" -C "$T/c.ini" --queue-due -v 2>"$T/due.err"
is "$?" 0 "server up, --queue-due right after: exit 0"
like "$(cat "$T/due.err")" "nothing to do: no queued message is due yet" "  says nothing is due"
sleep 1
is "$(sessions)" "$s0" "  and the server saw no session"
is "$(ids "$Q")" "$id" "  the message is still queued"
"$MAILOUT" -C "$T/c.ini" -q -v 2>"$T/q.err"
is "$?" 0 "-q: exit 0"
like "$(cat "$T/q.err")" "^mailout: $id: delivered" "  -q -v says it was delivered"
postfix_wait_for down@example.net >/dev/null; ok $? "  Postfix has it at once"
sleep 1
is "$(sessions)" "$((s0 + 1))" "  in one session"
like "$(grep 'disconnect from' "$PF_LOG" | tail -n 1)" " mail=1 rcpt=1 (data|bdat)=1" "  counted at the server: one message"
is "$(ids "$Q" | wc -l)" 0 "  the queue is empty"

# --- a refused password -> failed/ -> fixed -> --requeue -> delivered once
mkconf "$PF_STARTTLS_PORT" "password = wrong password"
send "wrong password" pw@example.net
rc=$?
is "$rc" 77 "a refused password on the first attempt: exit 77"
like "$(cat "$T/err")" "a copy is kept in the queue's failed/ as [0-9A-F]{10}" "  a copy in failed/"
fid=$(ids "$Q/failed")
mkconf "$PF_STARTTLS_PORT" "$GOOD"
"$MAILOUT" -C "$T/c.ini" --requeue "$fid" 2>"$T/rq.err"
is "$?" 0 "--requeue after fixing the password: exit 0"
is "$(ids "$Q/failed" | wc -l)" 0 "  failed/ is empty"
rid=$(ids "$Q")
"$MAILOUT" -C "$T/c.ini" -qI "$rid" 2>"$T/qi.err"
is "$?" 0 "-qI ID: delivered, exit 0"
postfix_wait_for pw@example.net >/dev/null; ok $? "  Postfix has it"
"$MAILOUT" -C "$T/c.ini" -q 2>/dev/null
postfix_wait_idle; sleep 1
is "$(got pw@example.net)" 1 "  delivered once, not again by the next -q"

# --- password_command printing nothing -> nonzero, byte for byte in failed/
printf '%s' "$PF_PASS" >"$T/pw"
mkconf "$PF_STARTTLS_PORT" "password_command = true"
msg "empty secret" cmd@example.net >"$T/sent.eml"
"$MAILOUT" -C "$T/c.ini" cmd@example.net <"$T/sent.eml" 2>"$T/err"
rc=$?
ok "$([ "$rc" -ne 0 ]; echo $?)" "an empty password_command: nonzero exit ($rc)"
like "$(cat "$T/err")" "^mailout: .*password_command" "  the error names password_command"
like "$(cat "$T/err")" "a copy is kept in the queue.s failed/ as $(ids "$Q/failed")" "  and says where the message is"
fid=$(ids "$Q/failed")
is "$(ids "$Q/failed" | wc -l)" 1 "  the message is in failed/"
sed '1,/^$/d' "$Q/failed/$fid" >"$T/kept.eml"
cmp -s "$T/sent.eml" "$T/kept.eml"
ok $? "  byte for byte as it was handed over"
mkconf "$PF_STARTTLS_PORT" "password_command = cat $T/pw"
"$MAILOUT" -C "$T/c.ini" --requeue "$fid" 2>/dev/null
is "$?" 0 "  requeued after the fix"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/q.err"
is "$?" 0 "  -q: exit 0"
f=$(postfix_wait_for cmd@example.net); ok $? "  and delivered"
like "$(sed '1,/^$/d' "$f")" "^body of empty secret$" "  with its body"
is "$(grep -c '^Subject: empty secret$' "$f")" 1 "  and its header"

# --- mailq, line by line: one queued, one failed
mkconf "$DEAD" "$GOOD"
send "for mailq" later@example.net
qid=$(ids "$Q")
mkconf "$PF_STARTTLS_PORT" "$GOOD"
send "refused" reject@test.example
fid=$(ids "$Q/failed")
"$MAILOUT" -C "$T/c.ini" -bp >"$T/mailq" 2>"$T/mailq.err"
is "$?" 0 "mailq: exit 0"
D='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
n=0
while IFS= read -r want; do
    n=$((n + 1))
    line=$(sed -n "${n}p" "$T/mailq")
    like "$line" "$want" "mailq line $n"
done <<EOF
^-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------\$
^$qid  +[0-9]+ $D  sender@test.example\$
^\(cannot connect to localhost:$DEAD .*\)\$
^\(next attempt: $D\)\$
^ {41}later@example.net\$
^\$
^-- 1 Kbytes in 1 Request\.\$
^\$
^Failed mail, kept in $Q/failed \(mailout --requeue ID sends one again, --queue-delete ID removes it\):\$
^-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------\$
^$fid  +[0-9]+ $D  sender@test.example\$
^\(.*550 5\.1\.1 .*\)\$
^ {41}reject@test.example\$
^\$
^-- 1 Kbytes in 1 Failed request\.\$
EOF
is "$(wc -l <"$T/mailq")" "$n" "mailq: $n lines, nothing else"

done_testing
