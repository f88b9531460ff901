#!/bin/sh
# queue.sh - the queue end to end against tests/lib/countserver.py: temporary
# failures queued (exit 0), permanent ones copied to failed/, -q delivering
# each message exactly once, mailq, damaged entries, max_queue_age, the flush
# after a successful send, concurrent -q runs and kill -9 at random moments.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"

S=$T/srv
Q=$T/queue
mkdir -p "$S"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT

/usr/bin/python3 "$top_srcdir/tests/lib/countserver.py" "$S" &
SPID=$!
i=0
while [ ! -s "$S/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$S/port" ] || skip_all "the count server did not start"
PORT=$(cat "$S/port")
DEAD=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

mkconf() {     # mkconf PORT [EXTRA-LINE...]: the account "t" on 127.0.0.1:PORT
    port=$1; shift
    {
        printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\n\n' "$T" "$Q"
        printf '[account t]\nhost = 127.0.0.1\nport = %s\nfrom = s@example.org\n' "$port"
        printf 'tls = off\nauth = off\ntimeout = 3\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$T/c.ini"
    chmod 600 "$T/c.ini"
}
mode() { printf '%s\n' "$1" >"$S/mode"; }
send() {       # send SUBJECT: one message to r@example.net, stderr to $T/err
    printf 'Subject: %s\n\nbody of %s\n' "$1" "$1" \
        | "$MAILOUT" -C "$T/c.ini" r@example.net 2>"$T/err"
}
count() { if [ -f "$S/accepted" ]; then grep -cx -- "$1" "$S/accepted"; else echo 0; fi; }
nqueued() { ls "$Q" 2>/dev/null | grep -cE '^[0-9A-F]{10}$' || true; }
conns() { sed -n 's/^connections \([0-9]*\).*/\1/p' "$S/stats" 2>/dev/null || echo 0; }
qid() { sed -n 's/^mailout: queued as \([0-9A-F]*\):.*/\1/p' "$T/err"; }
mailq() { "$MAILOUT" -C "$T/c.ini" -bp; }
flush() { "$MAILOUT" -C "$T/c.ini" -q "$@"; }

# ------------------------------------------------------------ queued on failure
mkconf "$PORT"
is "$(mailq)" "Mail queue is empty" "mailq on an empty queue"
# another user's queue (root's 0700 directory, read as nobody)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    o=$(mktemp -d /tmp/mailout-q-other.XXXXXX); chmod 755 "$o"; mkdir -m 700 "$o/q"
    printf '[mailout]\nqueue_dir = %s/q\n[account t]\nhost = x.example\nfrom = a@b.example\n' "$o" >"$o/c.ini"
    chmod 644 "$o/c.ini"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$MAILOUT" -C "$o/c.ini" -bp 2>&1)
    rc=$?
    rm -rf "$o"
    ok "$([ $rc -eq 77 ]; echo $?)" "an unreadable queue is an error (77), not 'empty': $out"
else
    ok 0 "# SKIP needs root and setpriv to read a queue as another user"
fi

mkconf "$DEAD"
send refused
is "$?" 0 "connection refused: exit 0"
like "$(cat "$T/err")" "^mailout: queued as [0-9A-F]{10}: .*; will retry$" "with the notice"
ID1=$(qid)
is "$(stat -c %a "$Q")" 700 "queue directory 0700"
is "$(stat -c %a "$Q/$ID1")" 600 "queue file 0600"
is "$(stat -c %a "$Q/tmp")" 700 "tmp/ 0700"
like "$(cat "$T/log")" "queued=$ID1 reason='" "log line queued=ID reason=..."
like "$(head -n 1 "$Q/$ID1")" "^mailout-queue 1$" "the entry starts with its format line"
out=$(mailq)
is "$(printf '%s\n' "$out" | sed -n 1p)" \
   "-Queue ID- --Size-- ----Arrival Time---- -Sender/Recipient-------" "mailq header line"
like "$(printf '%s\n' "$out" | sed -n 2p)" \
     "^$ID1      [ 0-9]{3} [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}  s@example.org$" \
     "mailq entry line: ID, size, arrival, sender"
like "$(printf '%s\n' "$out" | sed -n 3p)" '^\(.*\)$' "mailq: the last error in parentheses"
like "$(printf '%s\n' "$out" | sed -n 4p)" \
     '^\(next attempt: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}\)$' \
     "mailq: the next attempt in parentheses"
is "$(printf '%s\n' "$out" | sed -n 5p)" \
   "                                         r@example.net" "mailq: the recipient, indented"
is "$(printf '%s\n' "$out" | sed -n '$p')" "-- 1 Kbytes in 1 Request." "mailq trailer"

mkconf "$DEAD" "queue = off"
send queue-off
is "$?" 75 "queue = off: exit 75"
is "$(nqueued)" 1 "and nothing more queued"

# A resolver that cannot be reached (EAI_AGAIN) is temporary; a name that
# does not exist (NXDOMAIN) is a configuration error (hints.sh). A private
# mount namespace gives mailout a resolv.conf naming a closed port.
mkconf 1 "" ; sed -i 's/^host = .*/host = smtp.example.com/' "$T/c.ini"
printf 'nameserver 127.0.0.9\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    printf 'Subject: dnsfail\n\nbody of dnsfail\n' \
        | unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && exec "$2" -C "$3" r@example.net' \
            sh "$T/resolv.conf" "$MAILOUT" "$T/c.ini" 2>"$T/err"
    is "$?" 0 "DNS failure (resolver unreachable): exit 0"
    like "$(cat "$T/err")" "queued as .*temporary failure in name resolution" "DNS failure queued"
else
    mkconf "$DEAD"
    send dnsfail
    is "$?" 0 "DNS failure: exit 0 # SKIP needs root and unshare (a refused connection instead)"
    like "$(cat "$T/err")" "queued as" "DNS failure queued # SKIP"
fi

mkconf "$PORT"
for m in 421 451rcpt dropbody dropdot; do
    mode "$m"
    send "$m"
    is "$?" 0 "$m: exit 0"
    like "$(cat "$T/err")" "^mailout: queued as " "$m: queued"
done
is "$(count dropdot)" 0 "the drop after the final dot: not counted as received"
is "$(nqueued)" 6 "six messages in the queue"

mode 550rcpt
send refused550
is "$?" 69 "550: exit 69 as before"
like "$(cat "$T/err")" "failed/ as [0-9A-F]{10}" "550: a copy is kept in failed/"
like "$(sed -n 1p "$T/err")" "^mailout: .*550" "  the error comes first"
like "$(sed -n '$p' "$T/err")" "^mailout: a copy is kept in the queue's failed/ as [0-9A-F]{10}$" \
    "  the copy line after the error it refers to"
FID=$(sed -n 's/.*failed\/ as \([0-9A-F]*\).*/\1/p' "$T/err")
ok "$([ -f "$Q/failed/$FID" ]; echo $?)" "failed/$FID exists"
like "$(grep '^last-error:' "$Q/failed/$FID")" "550 5.1.1" "with the reason"
like "$(cat "$T/log")" "failed=$FID" "log line failed=ID"

# ------------------------------------------------------- failed/ is part of the queue
out=$(mailq)
like "$out" "^Failed mail, kept in $Q/failed " "mailq: failed/ under its own heading"
like "$out" "^$FID +[0-9]+ " "mailq: the failed message listed"
like "$out" "^\(.*550 5\.1\.1" "mailq: with its reason"
is "$(printf '%s\n' "$out" | sed -n '$p')" "-- 1 Kbytes in 1 Failed request." "mailq: the failed trailer"
"$MAILOUT" -C "$T/c.ini" -qI "$FID" 2>"$T/qi.err"
is "$?" 69 "-qI on a failed ID: exit 69"
like "$(cat "$T/qi.err")" "$FID is in failed/.*--requeue $FID" "  and it says to requeue it first"
"$MAILOUT" -C "$T/c.ini" --requeue 0000000FFF 2>"$T/rq.err"
is "$?" 66 "--requeue of an unknown ID: exit 66"

# ------------------------------------------------------------------- -q
mode ok
flush --queue-due -v 2>"$T/due.err"
is "$?" 0 "--queue-due exits 0"
is "$(count refused)" 0 "--queue-due respects the back-off: nothing sent yet"
like "$(cat "$T/due.err")" "nothing to do: no queued message is due yet" "  and -v says so"
c0=$(conns)
flush -v 2>"$T/q.err"
is "$?" 0 "-q exits 0"
for s in refused dnsfail 421 451rcpt dropbody dropdot; do
    is "$(count "$s")" 1 "-q tries every message now: $s delivered exactly once"
done
is "$(grep -c ': delivered' "$T/q.err")" 6 "-q -v: one line per message delivered"
is "$(nqueued)" 0 "queue empty after the flush"
is "$(( $(conns) - c0 ))" 1 "one connection for the whole account"
like "$(cat "$T/log")" "delivered=$ID1" "log line delivered=ID"
flush -v 2>"$T/q.err"
is "$(count refused)" 1 "a second -q sends nothing again"
like "$(cat "$T/q.err")" "nothing to do: the queue is empty" "  and -v says there was nothing to do"

# --requeue: the 550 message back, the server now takes it
"$MAILOUT" -C "$T/c.ini" --requeue "$FID" 2>"$T/rq.err"
is "$?" 0 "--requeue exits 0"
like "$(cat "$T/rq.err")" "$FID is queued again as [0-9A-F]{10}" "  and says so"
ok "$([ ! -f "$Q/failed/$FID" ] && [ "$(nqueued)" -eq 1 ]; echo $?)" "  out of failed/, into the queue"
like "$(cat "$T/log")" "requeued=" "  log line requeued=ID"
flush --queue-due
is "$(count refused550)" 1 "a requeued message is due at once"
mode 550rcpt
send deleted-failed
DF=$(sed -n 's/.*failed\/ as \([0-9A-F]*\).*/\1/p' "$T/err")
mode ok
"$MAILOUT" -C "$T/c.ini" --queue-delete "$DF"
is "$?" 0 "--queue-delete of a failed message"
ok "$([ ! -f "$Q/failed/$DF" ]; echo $?)" "  removes it from failed/"

# -qI and --queue-delete
mkconf "$DEAD"
send one-now; A=$(qid)
send to-delete; B=$(qid)
mkconf "$PORT"
"$MAILOUT" -C "$T/c.ini" -qI "$A" 2>/dev/null
is "$?" 0 "-qI ID exits 0"
is "$(count one-now)" 1 "-qI delivered that one"
is "$(count to-delete)" 0 "and not the other"
"$MAILOUT" -C "$T/c.ini" --queue-delete "$B"
is "$?" 0 "--queue-delete"
is "$(nqueued)" 0 "the queue is empty"
"$MAILOUT" -C "$T/c.ini" --queue-delete "$B" 2>/dev/null
ok "$([ $? -ne 0 ]; echo $?)" "--queue-delete of an unknown ID fails"

# ------------------------------------------------------- damaged entries
mkconf "$DEAD"
send good1; G1=$(qid)
send good2
send good3; G3=$(qid)
printf 'garbage\n' >"$Q/0000000AAA"; chmod 600 "$Q/0000000AAA"
head -c 100 "$Q/$G1" >"$Q/0000000BBB"; chmod 600 "$Q/0000000BBB"
chmod 644 "$Q/$G3"
mkconf "$PORT"
flush --queue-force 2>"$T/err"
is "$(count good2)" 1 "the sound entry was delivered"
for id in 0000000AAA 0000000BBB "$G3"; do
    ok "$([ -f "$Q/corrupt/$id" ] && [ ! -f "$Q/$id" ]; echo $?)" "damaged $id moved to corrupt/"
    like "$(cat "$T/err")" "$id: damaged" "and reported"
done
is "$(count good1)" 1 "good1 delivered"

# --------------------------------------------------------- max_queue_age
mkconf "$DEAD"
send too-old; O=$(qid)
sed -i 's/^arrival: [0-9]*$/arrival: 1000000000/' "$Q/$O"
mkconf "$PORT"
flush 2>"$T/err"
ok "$([ -f "$Q/failed/$O" ] && [ ! -f "$Q/$O" ]; echo $?)" "past max_queue_age: moved to failed/"
like "$(cat "$T/log")" "failed=$O reason='in the queue longer than max_queue_age" "with a log line"
is "$(count too-old)" 0 "and not sent"

# ------------------------------------------- permanent refusal of queued mail
mkconf "$DEAD"
send refused-later; P=$(qid)
mkconf "$PORT"
mode 550rcpt
flush --queue-force 2>/dev/null
ok "$([ -f "$Q/failed/$P" ] && [ ! -f "$Q/$P" ]; echo $?)" "5xx for queued mail: moved to failed/"
mode ok

# ------------------------------------------------ flush after a good send
mkconf "$DEAD"
for n in 1 2 3; do send "ride$n"; done
mkconf "$PORT"
c0=$(conns)
send rider
is "$?" 0 "a send that succeeds"
for n in 1 2 3; do is "$(count "ride$n")" 1 "queued ride$n went along"; done
is "$(count rider)" 1 "the new message too"
is "$(( $(conns) - c0 ))" 1 "over the same connection"
is "$(nqueued)" 0 "queue empty"

# the ride-along is bounded: at most 100 messages after the new one
mkconf "$DEAD"
n=0
while [ $n -lt 105 ]; do send "b$n" || break; n=$((n + 1)); done
mkconf "$PORT"
send bound-rider
is "$(grep -c '^b[0-9]*$' "$S/accepted")" 100 "after a good send at most 100 queued messages follow"
is "$(nqueued)" 5 "the other 5 wait for -q"
ln -s "$MAILOUT" "$T/mailq"
like "$("$T/mailq" -C "$T/c.ini")" "^-- 1 Kbytes in 5 Requests\.$" "called as mailq it lists the queue"
flush --queue-force
is "$(grep -c '^b[0-9]*$' "$S/accepted")" 105 "-q sends the rest"

# ------------------------------------------- two concurrent -q over 200
mkconf "$DEAD"
n=0
while [ $n -lt 200 ]; do send "c$n" || break; n=$((n + 1)); done
is "$(nqueued)" 200 "200 messages queued"
mkconf "$PORT"
: >"$S/accepted.before"; cp "$S/accepted" "$S/accepted.before"
flush --queue-force 2>/dev/null & p1=$!
flush --queue-force 2>/dev/null & p2=$!
wait $p1; wait $p2
got=$(grep -c '^c[0-9]*$' "$S/accepted")
uniq=$(grep '^c[0-9]*$' "$S/accepted" | sort -u | wc -l)
is "$got" 200 "two concurrent -q: 200 deliveries"
is "$uniq" 200 "each message exactly once"
is "$(nqueued)" 0 "queue empty"

# ------------------------------------------------------ kill -9 at random
# Every message that got exit 0 must end up delivered or queued. Even rounds
# send to a slow server (killed while reading stdin, connecting, sending);
# odd rounds find nothing listening (killed while writing the queue file).
rand() { awk -v s="$1" -v r="$2" 'BEGIN { srand(s); printf "%.3f\n", rand() * r }'; }
# The kill moments spread over 1.5 times what a whole run takes here, so that
# some land after the end whatever the speed of the machine or the build.
now() { date +%s.%N; }
span() {       # span PORT: 1.5 times the seconds of one send to PORT
    mkconf "$1"
    t0=$(now)
    { printf 'Subject: calibrate\n\n'; sleep 0.05; printf 'body\n'; } \
        | "$MAILOUT" -C "$T/c.ini" r@example.net 2>/dev/null
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", (b - a) * 1.5 }'
}
mode slow
r_slow=$(span "$PORT")
r_dead=$(span "$DEAD")
: >"$T/exit0"
k=0
while [ $k -lt 20 ]; do
    if [ $((k % 2)) -eq 0 ]; then mkconf "$PORT"; r=$r_slow; else mkconf "$DEAD"; r=$r_dead; fi
    { printf 'Subject: k%d\n\n' "$k"; sleep 0.05; printf 'body\n'; } \
        | "$MAILOUT" -C "$T/c.ini" r@example.net 2>/dev/null &
    pid=$!
    sleep "$(rand "$k" "$r")"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ $? -eq 0 ] && echo "k$k" >>"$T/exit0"
    k=$((k + 1))
done
mkconf "$PORT"
mode ok
flush --queue-force 2>/dev/null
n0=$(wc -l <"$T/exit0")
ok "$([ "$n0" -gt 0 ] && [ "$n0" -lt 20 ]; echo $?)" "kills landed before and after the end ($n0 of 20 got exit 0)"
missing=0
while read -r s; do [ "$(count "$s")" -ge 1 ] || missing=$((missing + 1)); done <"$T/exit0"
is "$missing" 0 "kill -9 during intake, send or queueing: every exit-0 message arrived"

mkconf "$DEAD"
k=0
while [ $k -lt 20 ]; do send "f$k"; k=$((k + 1)); done
mkconf "$PORT"
mode slow
k=0
while [ $k -lt 20 ] && [ "$(nqueued)" -gt 0 ]; do
    flush --queue-force 2>/dev/null &
    pid=$!
    sleep "$(rand "$((k + 100))" 0.5)"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    k=$((k + 1))
done
mode ok
flush --queue-force 2>/dev/null
missing=0; dups=0
k=0
while [ $k -lt 20 ]; do
    c=$(count "f$k")
    [ "$c" -ge 1 ] || missing=$((missing + 1))
    [ "$c" -le 1 ] || dups=$((dups + 1))
    k=$((k + 1))
done
is "$missing" 0 "kill -9 during a flush: none of 20 missing"
echo "# duplicates from kills between the 250 and the removal: $dups"
is "$(nqueued)" 0 "queue empty at the end"

# ------------------------------------------------ the queue itself cannot be written
touch "$T/not-a-dir"
printf '[mailout]\nqueue_dir = %s\n[account a]\nhost = 127.0.0.1\nport = 1\ntls = off\nauth = off\nfrom = a@example.org\n' \
    "$T/not-a-dir/q" >"$T/unqueueable.ini"
printf 'Subject: x\n\nhi\n' | "$MAILOUT" -C "$T/unqueueable.ini" b@example.org 2>"$T/unq.err"
is "$?" 75 "temporary failure and the queue cannot be written: exit 75, the caller keeps the message"
is "$(wc -l <"$T/unq.err")" 1 "  one line of error"
like "$(cat "$T/unq.err")" 'Connection refused; and it cannot be queued: .*not-a-dir' "  naming both failures"

# ------------------------------------------ a NUL byte in a queue file's envelope
# Every command that reads the queue used to die on it (SIGSEGV): now it goes
# to corrupt/ and the rest flows.
mkconf "$DEAD"
send beside-nul; BN=$(qid)
printf 'mailout-queue 1\nid: 0000000DDD\nacc\000ount: t\nsender: a@b\n\nSubject: x\n\nbody\n' >"$Q/0000000DDD"
printf 'mailout-queue 1\nid: 0000000EEE\n\000\n\nx\n' >"$Q/0000000EEE"
chmod 600 "$Q/0000000DDD" "$Q/0000000EEE"
mailq >"$T/nul.out" 2>"$T/nul.err"
is "$?" 0 "NUL in an envelope: mailq exits 0"
like "$(cat "$T/nul.err")" "0000000DDD: damaged queue file: a NUL byte" "  and names the damaged file"
like "$(cat "$T/nul.out")" "^$BN " "  and lists the sound entry"
mkconf "$PORT"
ls "$Q/tmp" >"$T/tmp.before"
send after-nul
is "$?" 0 "NUL in an envelope: a new message is still sent (exit 0)"
is "$(count after-nul)" 1 "  and arrives"
is "$(ls "$Q/tmp")" "$(cat "$T/tmp.before")" "  nothing new is left in tmp/"
flush 2>"$T/nul.err"
is "$?" 0 "NUL in an envelope: -q exits 0"
for id in 0000000DDD 0000000EEE; do
    ok "$([ -f "$Q/corrupt/$id" ] && [ ! -f "$Q/$id" ]; echo $?)" "  $id moved to corrupt/"
done
is "$(count beside-nul)" 1 "  the sound entry beside it was delivered"

# --------------------------------------------------- $XDG_STATE_HOME
# A user without queue_dir: --version and a queued send both use
# $XDG_STATE_HOME/mailout/queue (root has its own, SPOOLDIR/queue).
xdg_run() {    # xdg_run ARGS...: mailout as a user, XDG_STATE_HOME=$X/state
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups \
            env HOME=/nonexistent XDG_STATE_HOME="$X/state" "$MAILOUT" -C "$X/c.ini" "$@"
    else
        env XDG_STATE_HOME="$X/state" "$MAILOUT" -C "$X/c.ini" "$@"
    fi
}
if [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null; then
    X=$(mktemp -d /tmp/mailout-xdg.XXXXXX); chmod 755 "$X"; mkdir -m 700 "$X/state"
    [ "$(id -u)" -eq 0 ] && chown 65534:65534 "$X/state"
    printf '[account t]\nhost = 127.0.0.1\nport = %s\nfrom = s@example.org\ntls = off\nauth = off\n' \
        "$DEAD" >"$X/c.ini"
    chmod 644 "$X/c.ini"
    like "$(xdg_run --version)" "^Queue directory: $X/state/mailout/queue$" \
         "XDG_STATE_HOME: --version names \$XDG_STATE_HOME/mailout/queue"
    printf 'Subject: xdg\n\nhi\n' | xdg_run r@example.net 2>"$T/xdg.err"
    is "$?" 0 "XDG_STATE_HOME: a temporary failure is queued (exit 0)"
    xid=$(sed -n 's/^mailout: queued as \([0-9A-F]*\):.*/\1/p' "$T/xdg.err")
    ok "$([ -n "$xid" ] && [ -f "$X/state/mailout/queue/$xid" ]; echo $?)" \
       "  into \$XDG_STATE_HOME/mailout/queue"
    rm -rf "$X"
else
    ok 0 "# SKIP needs setpriv to run as a user"
    ok 0 "# SKIP needs setpriv to run as a user"
    ok 0 "# SKIP needs setpriv to run as a user"
fi

done_testing
