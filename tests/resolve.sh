#!/bin/sh
# resolve.sh - name resolution is bounded (issue 11): a resolver that never
# answers costs the account's timeout for the server's name and a few
# seconds for the local host's name (EHLO, Message-ID), not the resolver's
# own timeouts and retries. In a private network, mount and UTS namespace:
# /etc/resolv.conf (bind-mounted) names 127.0.0.1, where a UDP socket reads
# queries and answers none.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
[ "$(id -u)" = 0 ] || skip_all "needs root for private namespaces"
command -v unshare >/dev/null 2>&1 || skip_all "no unshare (util-linux)"
unshare -n -m -u true 2>/dev/null || skip_all "unshare -n -m -u is not permitted here"
FAULT_CERTS=$T/certs
export FAULT_CERTS
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"$T/resolv.conf"

cat >"$T/inside.sh" <<'INSIDE'
set -u
T=$1 M=$2 FS=$3 CASE=$4
ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null
mount --bind "$T/resolv.conf" /etc/resolv.conf || { echo "R setup failed"; exit 0; }
hostname client.example.com    # a dot: no lookup of our own name yet
# the silent resolver
/usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    s.recvfrom(4096)' &
dns=$!
sleep 0.3
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }

# 1. the server's name
d=$T/name; mkdir -p "$d"
$FS serve "$CASE" "$d" &
srv=$!
i=0
while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sed 's/^host = .*/host = mail.unanswered.test/; s/^timeout = .*/timeout = 2/' "$d/config.ini" >"$d/c.ini"
t0=$(now)
"$M" -C "$d/c.ini" -a fault -f sender@example.org rcpt@example.net <"$d/message" 2>"$d/err"
echo "R name-exit $?"
echo "R name-secs $(secs "$t0" "$(now)")"
echo "R name-err $(head -n 1 "$d/err")"
kill $srv 2>/dev/null; wait $srv 2>/dev/null

# 2. the local host's name (EHLO): the lookup is given up, the address
# literal used, the message delivered
hostname nodots
d=$T/ehlo; mkdir -p "$d"
$FS serve "$CASE" "$d" &
srv=$!
i=0
while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
t0=$(now)
"$M" -C "$d/config.ini" -a fault --debug -f sender@example.org rcpt@example.net <"$d/message" 2>"$d/err"
echo "R ehlo-exit $?"
echo "R ehlo-secs $(secs "$t0" "$(now)")"
echo "R ehlo-line $(grep '^C: EHLO ' "$d/err")"
wait $srv 2>/dev/null
kill $dns
INSIDE
unshare -n -m -u sh "$T/inside.sh" "$T" "$MAILOUT" \
    "/usr/bin/python3 $top_srcdir/tests/faultserver.py" "$top_srcdir/tests/faults/ok-pipelined.test" \
    >"$T/r" 2>"$T/inside.err"
r() { sed -n "s/^R $1 //p" "$T/r"; }
[ "$(r setup)" != "failed" ] || skip_all "cannot bind-mount /etc/resolv.conf"
[ ! -s "$T/inside.err" ] || sed 's/^/# inside: /' "$T/inside.err"

is "$(r name-exit)" 75 "an unanswered lookup of the server: exit 75 (temporary)"
like "$(r name-err)" "no answer from the name resolver within 2 s" "  saying so: $(r name-err)"
ok "$(awk -v s="$(r name-secs)" 'BEGIN { exit !(s > 0 && s < 4.5) }'; echo $?)" \
   "  within the 2 s timeout, not the resolver's 10 s ($(r name-secs) s)"
is "$(r ehlo-exit)" 0 "an unanswered lookup of the local name: delivered all the same"
is "$(r ehlo-line)" "C: EHLO [127.0.0.1]" "  EHLO gives the address literal"
ok "$(awk -v s="$(r ehlo-secs)" 'BEGIN { exit !(s > 0 && s < 8) }'; echo $?)" \
   "  the local name cost at most 5 s ($(r ehlo-secs) s)"
done_testing
