#!/bin/sh
# diskfull.sh - a full disk while spooling and queueing (issue 11): the
# caller gets a nonzero exit and one line saying why, never exit 0, and no
# half-written entry is left for a later run to send. On a real small
# filesystem: a tmpfs of 512 KiB mounted in a private mount namespace.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (a tmpfs in a private mount namespace)"
command -v unshare >/dev/null || skip_all "no unshare"
unshare -m true 2>/dev/null || skip_all "unshare -m is not allowed here"

S=$T/srv
mkdir -p "$S" "$T/small"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
/usr/bin/python3 "$top_srcdir/tests/lib/countserver.py" "$S" &
SPID=$!
i=0
while [ ! -s "$S/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$S/port" ] || skip_all "the count server did not start"
DEAD=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The whole scenario runs in one private mount namespace; it prints TAP-ish
# "R name value" lines that are checked out here.
cat >"$T/inside.sh" <<'INSIDE'
set -u
M=$1 T=$2 S=$3 PORT=$4 DEAD=$5
F=$T/small
mount -t tmpfs -o size=512k,mode=0700 tmpfs "$F" || { echo "R mount failed"; exit 0; }
Q=$F/queue
conf() {       # conf PORT: queue on the small filesystem
    printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\n\n[account t]\n' "$T" "$Q"
    printf 'host = 127.0.0.1\nport = %s\nfrom = s@example.org\ntls = off\nauth = off\ntimeout = 3\n' "$1"
} 
fill() {       # fill KIB: leaves about KIB KiB free on the small filesystem
    rm -f "$F/filler"
    free=$(df -k --output=avail "$F" | tail -n 1 | tr -d ' ')
    n=$((free - $1))
    [ "$n" -gt 0 ] && head -c "$((n * 1024))" /dev/zero >"$F/filler" 2>/dev/null
    :
}
msg() {        # msg SUBJECT KIB
    printf 'Subject: %s\n\n' "$1"
    awk -v n="$2" 'BEGIN { for (i = 0; i < n * 16; i++) printf "%063d\n", i }'
}
entries() { ls "$Q" 2>/dev/null | grep -cE '^[0-9A-F]{10}' || true; }
leftovers() { ls -A "$Q/tmp" 2>/dev/null | wc -l; }
conf "$DEAD" >"$T/c.ini"
mkdir -p "$Q"; chmod 700 "$Q"

# 1. the spool does not fit: intake fails
fill 64
msg big 200 | "$M" -C "$T/c.ini" r@example.net 2>"$T/err1"
echo "R spool-exit $?"
echo "R spool-lines $(wc -l <"$T/err1")"
echo "R spool-err $(head -n 1 "$T/err1")"
echo "R spool-entries $(entries)"
echo "R spool-tmp $(leftovers)"

# 2. the spool fits, the queue entry (a second copy) does not
fill 160
msg medium 100 | "$M" -C "$T/c.ini" r@example.net 2>"$T/err2"
echo "R queue-exit $?"
echo "R queue-lines $(wc -l <"$T/err2")"
echo "R queue-err $(head -n 1 "$T/err2")"
echo "R queue-entries $(entries)"
echo "R queue-tmp $(leftovers)"

# 3. an entry queued with room to spare; then the disk is full when the
# queue run must rewrite it after a failed attempt
rm -f "$F/filler"
msg kept 40 >"$T/kept.msg"
"$M" -C "$T/c.ini" r@example.net <"$T/kept.msg" 2>"$T/err3"
echo "R kept-exit $?"
id=$(ls "$Q" | grep -E '^[0-9A-F]{10}$' | head -n 1)
cp "$Q/$id" "$T/kept.before"
fill 0
"$M" -C "$T/c.ini" -q --queue-force 2>"$T/err4"
echo "R run-exit $?"
echo "R run-lines $(grep -c . "$T/err4")"
echo "R run-err $(head -n 1 "$T/err4")"
echo "R run-entries $(entries)"
echo "R run-tmp $(leftovers)"
sed '1,/^$/d' "$Q/$id" >"$T/kept.after.body" 2>/dev/null
sed '1,/^$/d' "$T/kept.before" >"$T/kept.before.body"
cmp -s "$T/kept.before.body" "$T/kept.after.body"; echo "R run-intact $?"
# 4. room again: the run delivers it whole, once
rm -f "$F/filler"
conf "$PORT" >"$T/c.ini"
"$M" -C "$T/c.ini" -q --queue-force 2>"$T/err5"
echo "R later-exit $?"
echo "R later-entries $(entries)"
umount "$F"
INSIDE
unshare -m sh "$T/inside.sh" "$MAILOUT" "$T" "$S" "$(cat "$S/port")" "$DEAD" >"$T/r" 2>"$T/inside.err"
r() { sed -n "s/^R $1 //p" "$T/r"; }
[ "$(r mount)" != "failed" ] || skip_all "cannot mount a tmpfs"

ok "$([ "$(r spool-exit)" -ne 0 ]; echo $?)" "spool does not fit: nonzero exit ($(r spool-exit))"
is "$(r spool-lines)" 1 "  one line"
like "$(r spool-err)" "^mailout: .*(No space left on device|space)" "  saying the disk is full: $(r spool-err)"
is "$(r spool-entries)" 0 "  nothing queued"
is "$(r spool-tmp)" 0 "  nothing left in tmp/"

ok "$([ "$(r queue-exit)" -ne 0 ]; echo $?)" "queue entry does not fit: nonzero exit ($(r queue-exit))"
is "$(r queue-lines)" 1 "  one line"
like "$(r queue-err)" "^mailout: .*No space left on device" "  saying the disk is full: $(r queue-err)"
is "$(r queue-entries)" 0 "  no half-written entry"
is "$(r queue-tmp)" 0 "  nothing left in tmp/"

is "$(r kept-exit)" 0 "queued with room to spare"
ok "$([ -n "$(r run-entries)" ] && [ "$(r run-entries)" -eq 1 ]; echo $?)" "full disk during -q: the entry is still there"
is "$(r run-intact)" 0 "  its message unchanged"
is "$(r run-tmp)" 0 "  nothing left in tmp/"
ok "$([ "$(r run-exit)" -ne 0 ]; echo $?)" "  -q says it could not record the attempt: nonzero exit ($(r run-exit))"
like "$(cat "$T/r" | sed -n 's/^R run-err //p')" "cannot record the attempt.*No space left on device" "  naming the full disk: $(r run-err)"
is "$(r later-exit)" 0 "room again: -q exit 0"
is "$(r later-entries)" 0 "  the queue is empty"
is "$(grep -cx kept "$S/accepted" 2>/dev/null)" 1 "  delivered once"
[ ! -s "$T/inside.err" ] || sed 's/^/# inside: /' "$T/inside.err"
done_testing
