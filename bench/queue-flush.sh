#!/bin/sh
# queue-flush.sh - flush N queued messages (default 1000) to a local SMTP
# acceptor: mailout -q (one connection, RSET between messages) side by side
# with Debian's msmtpq (msmtp-queue -r: one msmtp process and connection per
# message), in one run. Prints wall time, CPU time (user+sys of the flushing
# command and its children), connections and server reads (each read is one
# flight from the client the server had to wait for: the round trips).
#
#   bench/queue-flush.sh [N]        (from the source tree; MAILOUT=path/to/mailout)
set -eu
N=${1:-1000}
here=$(cd "$(dirname "$0")/.." && pwd)
MAILOUT=${MAILOUT:-$here/mailout}
MSMTPQ=${MSMTPQ:-/usr/libexec/msmtp/msmtpq/msmtpq}
[ -x "$MAILOUT" ] || { echo "no mailout binary at $MAILOUT (set MAILOUT)"; exit 1; }
command -v msmtp >/dev/null || { echo "msmtp is not installed (apt-get install msmtp)"; exit 1; }
[ -x "$MSMTPQ" ] || { echo "no msmtpq at $MSMTPQ (set MSMTPQ)"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/queue-flush.XXXXXX")
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$W"' EXIT

start_server() {   # start_server DIR
    mkdir -p "$1"
    python3 "$here/tests/lib/countserver.py" "$1" &
    SPID=$!
    while [ ! -s "$1/port" ]; do sleep 0.05; done
}
stop_server() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=; }
stat_of() { sed -n "s/.*$2 \([0-9]*\).*/\1/p" "$1/stats"; }

# timed CMD...: runs CMD, prints "wall cpu" (seconds) of it and its children
timed() {
    /usr/bin/time -f '%e %U %S' -o "$W/time" "$@" >/dev/null 2>&1 || true
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$W/time"
}

message() {
    printf 'From: s@example.org\nTo: r@example.net\nSubject: bench %d\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <%d@bench.example>\n\n' "$1" "$1"
    j=0; while [ $j -lt 30 ]; do echo "line $j of a typical short notification message, some seventy bytes"; j=$((j + 1)); done
}

# ---- mailout: queue N messages with nothing listening, then flush
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkconf() {
    printf '[mailout]\nqueue_dir = %s/mq\n\n[account b]\nhost = 127.0.0.1\nport = %s\nfrom = s@example.org\ntls = off\nauth = off\n' \
        "$W" "$1" >"$W/mailout.ini"
    chmod 600 "$W/mailout.ini"
}
mkconf "$DEAD"
i=0
while [ $i -lt "$N" ]; do
    message $i | "$MAILOUT" -C "$W/mailout.ini" r@example.net 2>/dev/null
    i=$((i + 1))
done
start_server "$W/s1"
mkconf "$(cat "$W/s1/port")"
set -- $(timed "$MAILOUT" -C "$W/mailout.ini" -q --queue-force)
m_wall=$1 m_cpu=$2
sleep 0.2
m_conn=$(stat_of "$W/s1" connections) m_reads=$(stat_of "$W/s1" reads)
m_got=$(wc -l <"$W/s1/accepted")
stop_server

# ---- msmtpq: the same N messages in its queue format, then msmtp-queue -r
start_server "$W/s2"
cat >"$W/msmtprc" <<EOF
account b
host 127.0.0.1
port $(cat "$W/s2/port")
from s@example.org
auth off
tls off
account default : b
EOF
chmod 600 "$W/msmtprc"
mkdir -m 700 "$W/msq"
i=0
while [ $i -lt "$N" ]; do
    id=$(printf '2026-11-23-10.00.00-%05d' $i)
    message $i >"$W/msq/$id.mail"
    echo "-C $W/msmtprc -f s@example.org r@example.net" >"$W/msq/$id.msmtp"
    i=$((i + 1))
done
set -- $(MSMTPQ_Q="$W/msq" MSMTPQ_LOG="$W/msq.log" EMAIL_CONN_TEST=x \
         timed bash "$MSMTPQ" --q-mgmt -r)
q_wall=$1 q_cpu=$2
sleep 0.2
q_conn=$(stat_of "$W/s2" connections) q_reads=$(stat_of "$W/s2" reads)
q_got=$(wc -l <"$W/s2/accepted")
stop_server

printf '%-32s %9s %9s %12s %12s %9s\n' "flush of $N queued messages" "wall s" "CPU s" "connections" "server reads" "received"
printf '%-32s %9s %9s %12s %12s %9s\n' "mailout -q" "$m_wall" "$m_cpu" "$m_conn" "$m_reads" "$m_got"
printf '%-32s %9s %9s %12s %12s %9s\n' "msmtpq (msmtp-queue -r)" "$q_wall" "$q_cpu" "$q_conn" "$q_reads" "$q_got"
printf 'msmtp %s; %s; %s\n' "$(msmtp --version | sed -n 1p | awk '{print $3}')" "$(uname -sr)" "$(nproc) CPUs"
