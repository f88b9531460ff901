#!/bin/sh
# deadline.sh - the per-message deadline (issue 11, item 6): a server that
# reads the body slowly but steadily, each write of mailout making progress
# within the timeout, cannot hold a message for longer than (6 + recipients)
# timeouts plus one second per 8 KiB; then the message is queued, intact,
# with a one-line reason that names the limit. And a server that stops
# reading in the middle of the body: the write times out.
#
# In a private network namespace, where the send buffer of TCP is capped at
# 4 KiB: on loopback the kernel otherwise grows it to megabytes and swallows
# the whole message at once, so the writes never block and only the reply
# timeout is left to test. The scripted server reads the body from a socket
# with a small receive buffer (tests/faultserver.py, slowread).
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private network namespace"
command -v unshare >/dev/null 2>&1 || skip_all "no unshare (util-linux)"
unshare -n true 2>/dev/null || skip_all "unshare -n is not permitted here"
FAULT_CERTS=$T/certs
export FAULT_CERTS

TIMEOUT=2
# 256 bytes every 0.125 s: 2 KiB/s at most
cat >"$T/slow.test" <<EOF
desc: the server reads about 96 KiB of body at 2 KiB/s at most
config: timeout = $TIMEOUT
config: queue = on
on DATA: slowread 256 0.125
fill: 98304
EOF
cat >"$T/stop.test" <<EOF
desc: the server stops reading after the 354 (one byte a second)
config: timeout = $TIMEOUT
config: queue = on
on DATA: slowread 1 1
fill: 20000
EOF

cat >"$T/inside.sh" <<'INSIDE'
set -u
T=$1 M=$2 FS=$3
ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null
echo "4096 4096 4096" >/proc/sys/net/ipv4/tcp_wmem || { echo "R setup failed"; exit 0; }
now() { date +%s.%N; }
run() {
    d=$T/$1; mkdir -p "$d"
    $FS serve "$T/$1.test" "$d" &
    srv=$!
    i=0
    while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    t0=$(now)
    "$M" -C "$d/config.ini" -a fault -f sender@example.org rcpt@example.net \
        <"$d/message" >"$d/out" 2>"$d/err"
    echo "R $1-exit $?"
    echo "R $1-secs $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f\n", b - a }')"
    : >"$d/client-exited"   # the server reads what is left at full speed
    i=0
    while kill -0 $srv 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill $srv 2>/dev/null
    wait $srv 2>/dev/null
}
run slow
run stop
INSIDE
unshare -n sh "$T/inside.sh" "$T" "$MAILOUT" \
    "/usr/bin/python3 $top_srcdir/tests/faultserver.py" >"$T/r" 2>"$T/inside.err"
r() { sed -n "s/^R $1 //p" "$T/r"; }
[ "$(r setup)" != "failed" ] || skip_all "cannot cap the TCP send buffer in the namespace"
[ ! -s "$T/inside.err" ] || sed 's/^/# inside: /' "$T/inside.err"

# 1. The slow reader.
d=$T/slow
[ ! -s "$d/err" ] || sed 's/^/# stderr: /' "$d/err"
# What the deadline is: (6 + 1 recipient) timeouts + 1 s per 8 KiB on the wire.
size=$(sed -n 's/.*MAIL FROM:<[^>]*> SIZE=\([0-9]*\).*/\1/p' "$d/transcript")
limit=$(( (6 + 1) * TIMEOUT + ${size:-0} / 8192 ))
# The slow reader takes size / 2048 s at the very least.
need=$(( ${size:-0} / 2048 ))
ok "$([ "${size:-0}" -gt 90000 ] && [ "$need" -gt $((limit + 15)) ]; echo $?)" \
   "the message ($size bytes) would take the server $need s, the limit is $limit s"

is "$(r slow-exit)" 0 "exit 0 (queued, as the next lines check)"
secs=$(r slow-secs)
ok "$(awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s >= l - 0.5) }'; echo $?)" \
   "  not before the deadline ($secs s, the limit is $limit s)"
ok "$(awk -v s="$secs" -v l="$limit" -v n="$need" 'BEGIN { exit !(s < l + 8 && s < n - 5) }'; echo $?)" \
   "  at the deadline, long before the server would be done ($secs s of $need s)"
is "$(grep -c '^mailout: ' "$d/err")" 1 "  one line on stderr"
like "$(cat "$d/err")" \
     "^mailout: queued as [0-9A-F]+: sending the message: 127\.0\.0\.1:[0-9]+ is too slow: this step was not done within the $limit s it is allowed \(if the server is merely slow, raise timeout: the limit grows with it\); will retry$" \
     "  it says the server was too slow for the limit, and what to do"
like "$(sed -n 2p "$d/transcript")" "^[0-9]+ MAIL FROM:" "  the server saw MAIL"
like "$(tail -n 1 "$d/transcript")" "^[0-9]+ <data cut off after [0-9]+ bytes>$" \
     "  and no final dot: $(tail -n 1 "$d/transcript" | cut -d' ' -f2-)"

# Nothing lost: the queue holds the message as it came, with the reason.
set -- "$d"/queue/[0-9A-F]*
ok "$([ "$#" = 1 ] && [ -f "$1" ]; echo $?)" "one queue entry"
like "$(sed -n 's/^last-error: //p' "$1")" "too slow: this step was not done within the $limit s" \
     "  its last error names the time limit"
ok "$(sed '1,/^$/d' "$1" | cmp -s - "$d/message"; echo $?)" \
   "  the message in it is the one sent, byte for byte"

# 2. A server that stops reading: the write that does not get on times out,
# and the error names the message, not the QUIT that waits behind it.
d=$T/stop
[ ! -s "$d/err" ] || sed 's/^/# stderr: /' "$d/err"
is "$(r stop-exit)" 0 "a server that stops reading the message: queued, exit 0"
ok "$(awk -v s="$(r stop-secs)" -v t=$TIMEOUT 'BEGIN { exit !(s >= t - 0.5 && s < t + 4) }'; echo $?)" \
   "  after the $TIMEOUT s timeout ($(r stop-secs) s)"
like "$(cat "$d/err")" \
     "^mailout: queued as [0-9A-F]+: sending the message: timed out after $TIMEOUT s while writing to 127\.0\.0\.1:[0-9]+; will retry$" \
     "  one line that names the message and the write"
set -- "$d"/queue/[0-9A-F]*
ok "$([ "$#" = 1 ] && [ -f "$1" ] && sed '1,/^$/d' "$1" | cmp -s - "$d/message"; echo $?)" \
   "  the queue holds it, byte for byte"
done_testing
