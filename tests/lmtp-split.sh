#!/bin/sh
# lmtp-split.sh - LMTP with replies 250 / 450 / 550 after the data (issue 11
# item 3): the 250 recipient has the message, the 450 one is queued and the
# 550 one kept in failed/ with its reply, on the first attempt and in a queue
# run alike; the retry goes to the 450 recipient only.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
FAULT_CERTS=$T/certs      # tls = off: only named in config.ini
export FAULT_CERTS

# serve NAME DIR [LINE...]: the fault server on a case made of LINEs (LMTP,
# queue on), one connection; DIR gets config.ini (account "fault"), queue/.
serve() {
    name=$1 d=$2; shift 2
    mkdir -p "$d"
    printf '%s\n' "desc: $name" "config: protocol = lmtp" "$@" >"$d/$name.test"
    rm -f "$d/vars.sh" "$d/transcript" "$d/data"
    $FS serve "$d/$name.test" "$d" &
    SPID=$!
    i=0
    while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
served() {     # served: waits (bounded) for the server to end
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
}
entries() { ls "$1" 2>/dev/null | grep -E '^[0-9A-F]{10}$' || true; }
rcpts_of() { sed -n '/^$/q; s/^recipient: //p' "$1" | tr '\n' ' '; }   # the queue file's recipients
rcpt_lines() { grep -o 'RCPT TO:<[^>]*>' "$1/transcript" | tr '\n' ' '; }
EOD="on EOD: reply 250 2.1.5 <a@example.net> Ok\r\n450 4.2.1 <b@example.net> Mailbox busy\r\n550 5.1.1 <c@example.net> No such user"
Q="config: queue = on"
M="-a fault -f sender@example.org a@example.net b@example.net c@example.net"

# ------------------------------------------------------------ first attempt
d=$T/first
serve f1 "$d" "$Q" "$EOD"
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 69 "250/450/550 on the first attempt: exit 69 (one recipient refused for good)"
like "$(cat "$d/err")" "^mailout: queued as [0-9A-F]{10}: recipient refused for now: b@example\.net \(450 4\.2\.1 <b@example\.net> Mailbox busy\); will retry" \
    "the user is told b is queued, with its reply"
like "$(tail -n 1 "$d/err")" "^mailout: recipient refused for good: c@example\.net \(550 5\.1\.1 <c@example\.net> No such user\); a copy for them is kept in the queue's failed/ as [0-9A-F]{10}$" \
    "and, last, that c was refused and is kept in failed/"
unlike "$(cat "$d/err")" "a@example\.net" "a, which has the message, is not named"
q=$(entries "$d/queue")
is "$(printf '%s\n' $q | grep -c .)" 1 "one queue entry"
is "$(rcpts_of "$d/queue/$q")" "b@example.net " "  for b only"
f=$(entries "$d/queue/failed")
is "$(printf '%s\n' $f | grep -c .)" 1 "one entry in failed/"
is "$(rcpts_of "$d/queue/failed/$f")" "c@example.net " "  for c only"
like "$(cat "$d/queue/failed/$f")" "550 5\.1\.1 <c@example\.net> No such user" "  with c's reply as its reason"
"$MAILOUT" -C "$d/config.ini" -bp >"$d/mailq" 2>&1
like "$(sed '/[Ff]ailed/,$d' "$d/mailq")" "b@example\.net" "mailq: b is queued"
unlike "$(sed '/[Ff]ailed/,$d' "$d/mailq")" "(a|c)@example\.net" "mailq: neither a nor c is in the queue"
like "$(sed -n '/[Ff]ailed/,$p' "$d/mailq")" "c@example\.net" "mailq: c is listed under failed/"
like "$(cat "$d/log")" "failed=$f" "the log has the failed/ copy"
like "$(cat "$d/log")" "queued=$q" "and the queued one"

# The retry: only b, nobody twice; c stays in failed/.
serve f2 "$d" "$Q"
"$MAILOUT" -C "$d/config.ini" -q >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 0 "-q with the server answering 250: 0"
is "$(rcpt_lines "$d")" "RCPT TO:<b@example.net> " "-q sends to b only (no duplicate to a, nothing to c)"
is "$(entries "$d/queue" | grep -c .)" 0 "the queue is empty"
is "$(entries "$d/queue/failed")" "$f" "c's copy is still in failed/"

# ---------------------------------------------------------------- queue run
# All three queued (a 421 greeting), then a queue run meets 250/450/550
# (bounce = off here: the bounce of the part is the next section's).
NB="config: bounce = off"
d=$T/run
serve r1 "$d" "$Q" "$NB" "on greeting: reply 421 4.3.2 try later"
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 0 "421 greeting: queued (0)"
q=$(entries "$d/queue")
is "$(rcpts_of "$d/queue/$q")" "a@example.net b@example.net c@example.net " "the entry has all three"
serve r2 "$d" "$Q" "$NB" "$EOD"
"$MAILOUT" -C "$d/config.ini" -qI "$q" >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 75 "-qI meets 250/450/550: 75, the entry is still queued"
like "$(cat "$d/err")" "^mailout: $q: refused for good in part, kept in failed/ as [0-9A-F]{10}: recipient refused for good: c@example\.net \(550 5\.1\.1" \
    "the run reports c's part going to failed/"
is "$(entries "$d/queue")" "$q" "the same entry stays queued"
is "$(rcpts_of "$d/queue/$q")" "b@example.net " "  for b only"
like "$(cat "$d/queue/$q")" "450 4\.2\.1 <b@example\.net> Mailbox busy" "  with b's reply as its last error"
f=$(entries "$d/queue/failed")
is "$(rcpts_of "$d/queue/failed/$f")" "c@example.net " "failed/ has c only"
serve r3 "$d" "$Q" "$NB"
"$MAILOUT" -C "$d/config.ini" -q >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 0 "the next -q: 0"
is "$(rcpt_lines "$d")" "RCPT TO:<b@example.net> " "it sends to b only"
is "$(entries "$d/queue" | grep -c .)" 0 "the queue is empty"

# ------------------------------------------- the part in failed/ is bounced
# The sender was told "queued": with bounce = on, c's part gets a bounce
# naming c only. It goes out over the run's session, where this server
# refuses it for now (451 to MAIL FROM:<>, no pipelining), so it is queued.
d=$T/bounce
B="config: bounce = on"
serve b1 "$d" "$Q" "$B" "on greeting: reply 421 4.3.2 try later"
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" >"$d/out" 2>"$d/err"
served
q=$(entries "$d/queue")
serve b2 "$d" "$Q" "$B" "caps: 8BITMIME" "$EOD" "on MAIL <>: reply 451 4.3.0 not now"
"$MAILOUT" -C "$d/config.ini" -q >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 0 "bounce = on, -q meets 250/450/550: 0"
f=$(entries "$d/queue/failed")
is "$(printf '%s\n' $f | grep -c .)" 1 "c's part is in failed/"
bid=$(entries "$d/queue" | grep -vx "$q")
is "$(printf '%s\n' $bid | grep -c .)" 1 "a bounce is queued beside b's entry"
like "$(cat "$d/err")" "^mailout: $f: a bounce to <sender@example\.org> is queued as $bid$" "  the run says so, with the failed/ copy's ID"
like "$(cat "$d/log")" "failed=$f .*bounced=$bid" "  the log line of the part says bounced=ID"
like "$(grep -c 'MAIL FROM:<>' "$d/transcript")" "^1$" "  it was tried over the same session"
is "$(sed -n 's/^sender: //p' "$d/queue/$bid")" "<>" "  with the null sender"
is "$(rcpts_of "$d/queue/$bid")" "sender@example.org " "  to the sender"
is "$(grep '^Final-Recipient:' "$d/queue/$bid")" "Final-Recipient: rfc822; c@example.net" "  naming c only (not a, delivered, nor b, queued)"
like "$(cat "$d/queue/$bid")" "Diagnostic-Code: smtp; 550 5\.1\.1 <c@example\.net> No such user" "  with c's reply"
like "$(cat "$d/queue/$bid")" "Status: 5\.1\.1" "  and its status"
like "$(cat "$d/queue/$bid")" "X-Mailout-Queue-ID: $f" "  and the failed/ copy's ID"
is "$(rcpts_of "$d/queue/$q")" "b@example.net " "b's entry is queued for b only"

# ----------------------------------- the part cannot be kept apart
# failed/ is a file: the part refused for good cannot be written there, and
# the user is told why (it was lost, and the whole went to failed/ unsaid).
d=$T/nokeep
serve k1 "$d" "$Q" "$NB" "$EOD"
mkdir -p "$d/queue"; chmod 700 "$d/queue"; : >"$d/queue/failed"
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" >"$d/out" 2>"$d/err"
rc=$?
served
ok "$([ "$rc" -ne 0 ]; echo $?)" "first attempt, the part cannot be kept: nonzero exit ($rc)"
like "$(cat "$d/err")" "those refused for good cannot be kept apart: .*failed" "  the error says why the part was not kept apart"
rm -f "$d/queue/failed"
serve k2 "$d" "$Q" "$NB" "on greeting: reply 421 4.3.2 try later"
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" >"$d/out" 2>"$d/err"
served
q=$(entries "$d/queue")
: >"$d/queue/failed"
serve k3 "$d" "$Q" "$NB" "$EOD"
"$MAILOUT" -C "$d/config.ini" -q >"$d/out" 2>"$d/err"
rc=$?
served
ok "$([ "$rc" -ne 0 ]; echo $?)" "queue run, the part cannot be kept: nonzero exit ($rc)"
like "$(cat "$d/err")" "^mailout: $q: refused for good in part, but that part cannot be kept apart: .*failed" "  the run says why"
is "$(entries "$d/queue")" "$q" "  the message is still queued"

# ------------------------------------------------ one class: no split
# 450 and 550 together with the queue off: the whole rest fails, exit 69,
# nothing written anywhere.
d=$T/off
serve o1 "$d" "config: queue = off" "$EOD"
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" >"$d/out" 2>"$d/err"
rc=$?
served
is "$rc" 69 "queue off: 69"
like "$(cat "$d/err")" "not delivered to 2 of 3 recipients: b@example\.net \(450.*c@example\.net \(550" "queue off: both named"
is "$(entries "$d/queue/failed" | grep -c .)" 0 "queue off: nothing in failed/"
done_testing
