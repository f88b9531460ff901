#!/bin/sh
# harden.sh - a hostile or unusual environment through the real binary:
# closed standard descriptors, a reader of stderr that goes away (SIGPIPE),
# symlinks planted where files are opened by name. Issue 11.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
FAULT_CERTS=$T/certs      # tls = off: only named in config.ini
export FAULT_CERTS
DEAD=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# serve NAME DIR [LINE...]: the fault server on a case made of LINEs, one
# connection; DIR gets config.ini (account "fault"), message, queue/, log.
serve() {
    name=$1 d=$2; shift 2
    mkdir -p "$d"
    printf '%s\n' "desc: $name" "$@" >"$d/$name.test"
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
crlf() { sed 's/$/\r/' "$1"; }
same() {       # same FILE1 FILE2 DESCRIPTION
    if cmp -s "$1" "$2"; then ok 0 "$3"; else ok 1 "$3"; cmp "$1" "$2" | sed 's/^/#   /'; fi
}
entries() { ls "$1" 2>/dev/null | grep -cE '^[0-9A-F]{10}$' || true; }
body_of() { sed '1,/^$/d' "$1"; }   # the message part of a queue file
M="-a fault -f sender@example.org rcpt@example.net"

# ------------------------------------------------ closed standard descriptors
d=$T/v2
serve v2 "$d"
# shellcheck disable=SC2086
sh -c 'exec "$0" -C "$1" -v $2 2>&-' "$MAILOUT" "$d/config.ini" "$M" <"$d/message" >/dev/null
is "$?" 0 "-v with stderr closed: exit 0"
served
crlf "$d/message" >"$d/want"
same "$d/data" "$d/want" "-v with stderr closed: the message arrives unchanged (no -v line in it)"

d=$T/in
serve in "$d" "config: queue = on"   # never connected to: the port is dead
sed "s/^port = .*/port = $DEAD/" "$d/config.ini" >"$d/dead.ini"
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
# shellcheck disable=SC2086
out=$(sh -c 'exec "$0" -C "$1" $2 <&-' "$MAILOUT" "$d/dead.ini" "$M" 2>&1)
is "$?" 66 "stdin closed: exit 66 (EX_NOINPUT)"
like "$out" "^mailout: standard input is closed" "stdin closed: says so"
is "$(entries "$d/queue")" 0 "stdin closed: nothing queued"

# -q -d with stderr closed: the locked queue file must not become fd 2
d=$T/qd
serve qd1 "$d" "config: queue = on" "on RCPT: reply 451 4.3.0 later"
# shellcheck disable=SC2086
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" 2>"$d/err1"
is "$?" 0 "queued on 451"
served
id=$(ls "$d/queue" | grep -E '^[0-9A-F]{10}$' | head -n 1)
body_of "$d/queue/$id" >"$d/before"
like "$(cat "$d/before")" "^Subject: fault test" "the queued message is there"
serve qd2 "$d" "config: queue = on" "on RCPT: reply 451 4.3.0 later"
sh -c 'exec "$0" -C "$1" -q --queue-force -d -v 2>&-' "$MAILOUT" "$d/config.ini"
is "$?" 0 "-q -d with stderr closed: exit 0"
served
body_of "$d/queue/$id" >"$d/after"
same "$d/before" "$d/after" "-q -d with stderr closed: the queued message is byte-identical"
serve qd3 "$d" "config: queue = on"
sh -c 'exec "$0" -C "$1" -q --queue-force -d 2>&-' "$MAILOUT" "$d/config.ini"
served
crlf "$d/message" >"$d/want"
same "$d/data" "$d/want" "then delivered unchanged"
is "$(entries "$d/queue")" 0 "and gone from the queue"

# --------------------------------------------------------------- SIGPIPE
# -v to a pipe whose reader leaves after one line: the queue run goes on,
# every message is delivered once and leaves the queue.
S=$T/count
mkdir -p "$S"
/usr/bin/python3 "$top_srcdir/tests/lib/countserver.py" "$S" &
CPID=$!
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; kill "$CPID" 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$S/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
mkconf() {     # mkconf PORT: the account "t" on 127.0.0.1:PORT, queue $T/pq
    printf '[mailout]\nlogfile = %s/pq.log\nqueue_dir = %s/pq\n\n[account t]\n' "$T" "$T"
    printf 'host = 127.0.0.1\nport = %s\nfrom = s@example.org\ntls = off\nauth = off\ntimeout = 3\n' "$1"
}
mkconf "$DEAD" >"$T/pq.ini"
for n in 1 2 3 4 5; do
    printf 'Subject: pipe%s\n\nbody\n' "$n" | "$MAILOUT" -C "$T/pq.ini" r@example.net 2>/dev/null
done
is "$(entries "$T/pq")" 5 "five messages queued"
mkconf "$(cat "$S/port")" >"$T/pq.ini"
printf 'slow\n' >"$S/mode"
{ "$MAILOUT" -C "$T/pq.ini" -q --queue-force -v; echo $? >"$T/rc"; } 2>&1 | head -n 1 >/dev/null
is "$(cat "$T/rc")" 0 "-q -v | head -1: mailout is not killed by SIGPIPE (exit 0)"
is "$(entries "$T/pq")" 0 "the queue is empty after it"
printf 'ok\n' >"$S/mode"
"$MAILOUT" -C "$T/pq.ini" -q --queue-force 2>/dev/null
for n in 1 2 3 4 5; do
    c=$(grep -cx "pipe$n" "$S/accepted" 2>/dev/null)
    is "$c" 1 "pipe$n delivered exactly once"
done
{ printf 'Subject: pipe6\n\nbody\n' | "$MAILOUT" -C "$T/pq.ini" -v r@example.net; echo $? >"$T/rc"; } 2>&1 | head -n 1 >/dev/null
is "$(cat "$T/rc")" 0 "send -v | head -1: exit 0"
is "$(grep -cx pipe6 "$S/accepted")" 1 "and delivered once"

# ----------------------------------------------------- files opened by name
# A symbolic link planted where the log file goes: not followed, the
# delivery goes on, one line says why the log is not written.
d=$T/ln
serve ln "$d"
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$d/log"
# shellcheck disable=SC2086
"$MAILOUT" -C "$d/config.ini" $M <"$d/message" 2>"$d/err"
is "$?" 0 "log file is a planted symlink: still delivered"
served
is "$(cat "$T/victim")" "precious" "  the symlink's target is not written"
like "$(cat "$d/err")" "cannot write the log .*symbolic link" "  and mailout says why"
# a log file that belongs to someone else is not written either
if [ "$(id -u)" -eq 0 ]; then
    d=$T/lo
    serve lo "$d"
    printf 'theirs\n' >"$d/log"; chown 65534 "$d/log"
    # shellcheck disable=SC2086
    "$MAILOUT" -C "$d/config.ini" $M <"$d/message" 2>"$d/err"
    served
    is "$(cat "$d/log")" "theirs" "a log file of another user is not appended to"
else
    ok 0 "# SKIP needs root to give a file away"
fi
# The queue's tmp/ replaced by a symlink to another directory: not used.
d=$T/lt
serve lt "$d" "config: queue = on"
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
sed "s/^port = .*/port = $DEAD/" "$d/config.ini" >"$d/dead.ini"
mkdir -p "$d/queue" "$T/elsewhere"; chmod 700 "$d/queue" "$T/elsewhere"
ln -s "$T/elsewhere" "$d/queue/tmp"
# shellcheck disable=SC2086
"$MAILOUT" -C "$d/dead.ini" $M <"$d/message" 2>"$d/err"
rc=$?
ok "$([ $rc -ne 0 ]; echo $?)" "queue tmp/ is a planted symlink: not queued through it (exit $rc)"
like "$(cat "$d/err")" "tmp is a symbolic link" "  saying so: $(cat "$d/err")"
is "$(ls -A "$T/elsewhere" | wc -l)" 0 "  nothing written where it points"
is "$(entries "$d/queue")" 0 "  no entry"

# ------------------------------------------------ standard output that fails
if [ -w /dev/full ]; then
    out=$("$MAILOUT" -C "$T/pq.ini" --version 2>&1 >/dev/full)
    is "$?" 74 "--version to a full device: exit 74, not 0"
    like "$out" "^mailout: cannot write standard output: No space left on device$" "  one line saying so"
else
    ok 0 "# SKIP no /dev/full"
fi
{ "$MAILOUT" -C "$T/pq.ini" --version; echo $? >"$T/rc"; } 2>"$T/err" | head -c 1 >/dev/null
is "$(cat "$T/rc")" 0 "--version | head -c 1: a reader that leaves is no error"
is "$(cat "$T/err")" "" "  and nothing said"

done_testing
