#!/bin/sh
# chaos.sh - 200 messages sent while tests/lib/chaosserver.py drops, stalls
# and answers 4xx at random, and kill -9 hits mailout at random moments;
# then mailout -q until the queue is empty. Every message that got exit 0
# arrived at least once, none arrived altered (byte comparison of the
# body), none is stuck in the queue, in failed/ or in corrupt/. Bounded:
# sends run 8 at a time with a 1 s timeout, the -q rounds are counted.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
N=${CHAOS_MESSAGES:-200}
SEED=${CHAOS_SEED:-11}
S=$T/srv
Q=$T/queue
mkdir -p "$S" "$T/msg" "$T/rc"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
/usr/bin/python3 "$top_srcdir/tests/lib/chaosserver.py" "$S" "$SEED" &
SPID=$!
i=0
while [ ! -s "$S/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$S/port" ] || skip_all "the chaos server did not start"
{
    printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\n\n[account t]\n' "$T" "$Q"
    printf 'host = 127.0.0.1\nport = %s\nfrom = s@example.org\n' "$(cat "$S/port")"
    printf 'tls = off\nauth = off\ntimeout = 1\nadd_date = off\nadd_message_id = off\n'
} >"$T/c.ini"
printf '3 1 4\n' >"$S/chaos"

# Message k: its subject, and a body with lines of dots, long lines, bytes
# above 127, sized by k (some messages several hundred KiB).
awk -v n="$N" -v d="$T/msg" 'BEGIN {
    srand(7)
    for (k = 1; k <= n; k++) {
        f = d "/" k
        printf "Subject: chaos-%d\nTo: r@example.net\n\n", k > f
        lines = int(rand() * 40) + 1
        if (k % 25 == 0) lines = 6000
        for (i = 0; i < lines; i++) {
            r = int(rand() * 4)
            if (r == 0) printf ".leading dot %d of %d\n", i, k > f
            else if (r == 1) printf "caf\303\251 %d %d\n", k, i > f
            else if (r == 2) { s = ""; for (j = 0; j < 30; j++) s = s "x"; printf "%s%d\n", s, k > f }
            else printf "%d.%d\n", k, i > f
        }
        close(f)
    }
}'

rand_ms() { awk -v s="$1" 'BEGIN { srand(s); printf "%.3f\n", rand() * 0.25 }'; }
send() {       # send K: one message, its exit code to rc/K; every 5th is killed
    k=$1
    if [ $((k % 5)) -eq 0 ]; then
        "$MAILOUT" -C "$T/c.ini" r@example.net <"$T/msg/$k" 2>/dev/null &
        p=$!
        sleep "$(rand_ms "$k")"
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
        echo $? >"$T/rc/$k"
    else
        "$MAILOUT" -C "$T/c.ini" r@example.net <"$T/msg/$k" 2>/dev/null
        echo $? >"$T/rc/$k"
    fi
}
start=$(date +%s)
k=1
while [ $k -le "$N" ]; do
    pids=
    for j in 0 1 2 3 4 5 6 7; do
        if [ $((k + j)) -le "$N" ]; then send $((k + j)) & pids="$pids $!"; fi
    done
    # shellcheck disable=SC2086
    wait $pids          # not the server
    k=$((k + 8))
done
sent=$(date +%s)

# Then the queue, until it is empty (the server still misbehaves; a kill -9
# of the first runs too).
round=0
while [ $round -lt 40 ] && [ "$(ls "$Q" 2>/dev/null | grep -cE '^[0-9A-F]{10}')" -gt 0 ]; do
    round=$((round + 1))
    [ $round -eq 15 ] && printf '0 0 0\n' >"$S/chaos"   # calm down at last
    if [ $round -le 4 ]; then
        "$MAILOUT" -C "$T/c.ini" -q --queue-force 2>/dev/null &
        p=$!
        sleep "$(rand_ms "$round")"
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    else
        "$MAILOUT" -C "$T/c.ini" -q --queue-force 2>/dev/null
    fi
done
end=$(date +%s)
echo "# sends took $((sent - start)) s, $round queue runs $((end - sent)) s"

# What arrived: subject -> the bodies received (LF line ends).
python3 - "$T" "$N" >"$T/verdict" <<'PY'
import os, sys
t, n = sys.argv[1], int(sys.argv[2])
got = {}
acc = os.path.join(t, "srv", "accepted")
for name in os.listdir(acc):
    if name.startswith("."):
        continue
    data = open(os.path.join(acc, name), "rb").read().replace(b"\r\n", b"\n")
    head, _, body = data.partition(b"\n\n")
    subj = [l for l in head.split(b"\n") if l.lower().startswith(b"subject:")]
    key = subj[0].split(b":", 1)[1].strip().decode() if subj else "?"
    got.setdefault(key, []).append(body)
ok0 = lost = corrupt = killed = 0
for k in range(1, n + 1):
    rc = open(os.path.join(t, "rc", str(k))).read().strip()
    body = open(os.path.join(t, "msg", str(k)), "rb").read().partition(b"\n\n")[2]
    copies = got.get("chaos-%d" % k, [])
    if any(c != body for c in copies):
        corrupt += 1
        print("corrupt chaos-%d" % k)
    if rc == "0":
        ok0 += 1
        if not copies:
            lost += 1
            print("lost chaos-%d" % k)
    else:
        killed += 1
print("exit0 %d lost %d corrupt %d other %d" % (ok0, lost, corrupt, killed))
PY
sed 's/^/# /' "$T/verdict" | tail -n 5
summary=$(tail -n 1 "$T/verdict")
like "$summary" "^exit0 [1-9][0-9]* " "most sends got exit 0 (sent or queued)"
like "$summary" " lost 0 " "every message that got exit 0 arrived"
like "$summary" " corrupt 0 " "no message arrived altered"
is "$(ls "$Q" | grep -cE '^[0-9A-F]{10}')" 0 "the queue is empty after $round runs"
is "$(ls "$Q/failed" 2>/dev/null | wc -l)" 0 "nothing in failed/"
is "$(ls "$Q/corrupt" 2>/dev/null | wc -l)" 0 "nothing in corrupt/"
echo "# $((end - start)) s in all (a figure, not a pass mark: speed is for the benchmarks)"
done_testing
