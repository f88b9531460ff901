#!/bin/sh
# bounce-keep.sh - a queued message refused for good is bounced exactly
# once even when the queue cannot record it at first (issue 13, review):
# the bounce is queued before the message moves to failed/, so a full disk
# that refuses the bounce leaves the message queued (its next failure
# bounces it), and a move to failed/ that fails takes its queued bounce
# back. The full disk is a small tmpfs in a private mount namespace (root).
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
FAULT_CERTS=$T/certs      # tls = off: only named in config.ini
export FAULT_CERTS
DEAD=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The helpers, in a file that the script in the mount namespace sources too.
cat >"$T/lib.sh" <<'LIB'
# serve DIR: the fault server for one connection: r@example.net is refused
# for good, anything else (the bounce) accepted.
serve() {
    mkdir -p "$1"
    printf '%s\n' "desc: bounce-keep" "on RCPT <r@example.net>: reply 550 5.1.1 <r@example.net> no such user" \
        >"$1/case.test"
    rm -f "$1/vars.sh" "$1/transcript" "$1/data"
    $FS serve "$1/case.test" "$1" &
    SPID=$!
    i=0
    while [ ! -s "$1/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
served() {     # served: waits (bounded) for the server to end
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
}
port_of() { sed -n 's/^port = //p' "$1/config.ini"; }
conf() {       # conf PORT QUEUE-DIR: bounce on
    printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\n\n[account t]\n' "$T" "$2"
    printf 'host = 127.0.0.1\nport = %s\nfrom = s@example.org\ntls = off\nauth = off\n' "$1"
    printf 'timeout = 3\nqueue = on\nbounce = on\n'
}
entries() { ls "$1" 2>/dev/null | grep -E '^[0-9A-F]{10}$' || true; }
# bounces QUEUE-DIR TRANSCRIPT...: bounces made, sent (the servers saw
# them) or still queued (the session ends after a refusal, and the fault
# server takes one connection)
bounces() {
    q=$1; shift
    { grep -l '^sender: <>$' "$q"/[0-9A-F]* 2>/dev/null; grep 'MAIL FROM:<>' "$@" 2>/dev/null; } | grep -c .
}
msg() { printf 'From: s@example.org\nTo: r@example.net\nSubject: %s\n\nbody\n' "$1"; }
LIB
printf 'FS="%s"\nDEAD=%s\nSPID=\nFAULT_CERTS=%s\nexport FAULT_CERTS\n' "$FS" "$DEAD" "$FAULT_CERTS" >>"$T/lib.sh"
. "$T/lib.sh"

# ------------------------------------------ the move to failed/ fails
# failed/ is a file: the message stays queued and its bounce is taken back.
Q=$T/q1
conf "$DEAD" "$Q" >"$T/c.ini"
msg "move fails" | "$MAILOUT" -C "$T/c.ini" r@example.net 2>"$T/err"
is "$?" 0 "server down: queued"
id=$(entries "$Q")
: >"$Q/failed"
serve "$T/s1"
conf "$(port_of "$T/s1")" "$Q" >"$T/c.ini"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/err"
rc=$?
served
ok "$([ "$rc" -ne 0 ]; echo $?)" "-q cannot move the refused message to failed/: nonzero exit ($rc)"
like "$(cat "$T/err")" "$id: cannot move to failed/" "  it says so"
is "$(entries "$Q")" "$id" "  the message is still queued, no bounce beside it"
is "$(bounces "$Q" "$T/s1/transcript")" 0 "  no bounce was sent or kept"
rm -f "$Q/failed"
serve "$T/s2"
conf "$(port_of "$T/s2")" "$Q" >"$T/c.ini"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/err"
rc=$?
served
is "$rc" 0 "failed/ can be made again: -q exits 0"
is "$(entries "$Q/failed")" "$id" "  the message is in failed/"
is "$(bounces "$Q" "$T/s1/transcript" "$T/s2/transcript")" 1 "  and it was bounced, once"

# ------------------------------------------ the bounce does not fit
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
    done_testing
    exit
fi
# In a private mount namespace, with the queue on a 512 KiB tmpfs: a
# refusal meets a disk with room for the move to failed/ but not for the
# bounce. Prints "R name value" lines checked out here.
cat >"$T/inside.sh" <<'INSIDE'
set -u
M=$1 T=$2 F=$3
mount -t tmpfs -o size=512k,mode=0700 tmpfs "$F" || { echo "R mount failed"; exit 0; }
Q=$F/queue
. "$T/lib.sh"
fill() {       # fill KIB: leaves about KIB KiB free on the small filesystem
    rm -f "$F/filler"
    free=$(df -k --output=avail "$F" | tail -n 1 | tr -d ' ')
    n=$((free - $1))
    [ "$n" -gt 0 ] && head -c "$((n * 1024))" /dev/zero >"$F/filler" 2>/dev/null
    :
}
conf "$DEAD" "$Q" >"$T/c.ini"
msg "no room for the bounce" | "$M" -C "$T/c.ini" r@example.net 2>"$T/err1"
echo "R queued $?"
echo "R id $(entries "$Q")"
serve "$T/s3"
conf "$(port_of "$T/s3")" "$Q" >"$T/c.ini"
fill 4
echo "R free $(df -k --output=avail "$F" | tail -n 1 | tr -d ' ')"
"$M" -C "$T/c.ini" -q 2>"$T/err2"
echo "R full-exit $?"
served
echo "R full-err $(tr '\n' ' ' <"$T/err2")"
echo "R full-queued $(entries "$Q" | tr '\n' ' ')"
echo "R full-failed $(entries "$Q/failed" | grep -c .)"
rm -f "$F/filler"
serve "$T/s4"
conf "$(port_of "$T/s4")" "$Q" >"$T/c.ini"
"$M" -C "$T/c.ini" -q 2>"$T/err3"
echo "R room-exit $?"
served
echo "R room-failed $(entries "$Q/failed" | tr '\n' ' ')"
echo "R bounces $(bounces "$Q" "$T/s3/transcript" "$T/s4/transcript")"
umount "$F"
INSIDE
mkdir -p "$T/small"
unshare -m sh "$T/inside.sh" "$MAILOUT" "$T" "$T/small" >"$T/r" 2>"$T/inside.err"
r() { sed -n "s/^R $1 //p" "$T/r"; }
if [ "$(r mount)" = "failed" ]; then
    echo "# cannot mount a tmpfs: the full-disk part is skipped"
    done_testing
    exit
fi
id=$(r id)
is "$(r queued)" 0 "server down: queued"
echo "# free on the small filesystem before -q: $(r free) KiB"
ok "$([ "$(r full-exit)" -ne 0 ]; echo $?)" "no room for the bounce: -q exits nonzero ($(r full-exit))"
like "$(r full-err)" "$id: cannot queue its bounce.*No space left on device" "  saying the bounce cannot be queued: $(r full-err)"
is "$(r full-queued)" "$id " "  the message stays queued"
is "$(r full-failed)" 0 "  and is not in failed/ (where no later run would bounce it)"
is "$(r room-exit)" 0 "room again: -q exits 0"
is "$(r room-failed)" "$id " "  the message is in failed/"
is "$(r bounces)" 1 "  it was bounced, once"
[ ! -s "$T/inside.err" ] || sed 's/^/# inside: /' "$T/inside.err"
done_testing
