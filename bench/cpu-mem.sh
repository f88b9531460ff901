#!/bin/sh
# cpu-mem.sh - client CPU time (user + sys) and peak RSS, mailout next to
# Debian's msmtp, sending 1 MB and 100 MB messages to a private Postfix
# (tests/lib/postfix.sh) over plain SMTP and over STARTTLS + AUTH PLAIN.
# Measured with GNU time ("%U %S %M"); Postfix discards the messages
# (discard.example), so its own work is not on the client's clock.
#
#   bench/cpu-mem.sh [RUNS]     (default 3; the median CPU and RSS are shown)
#
# Not a test: needs root, Postfix, msmtp and GNU time (tests/setup-deps.sh).
# Env: MAILOUT (default ./mailout of the tree), MSMTP (default msmtp).
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
MAILOUT=${MAILOUT:-$top_srcdir/mailout}
MSMTP=${MSMTP:-msmtp}
RUNS=${1:-3}
GTIME=/usr/bin/time
skip_all() { echo "cpu-mem: $1" >&2; exit 1; }
. "$top_srcdir/tests/lib/postfix.sh"
why=$(postfix_unusable); [ -z "$why" ] || skip_all "$why"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
command -v "$MSMTP" >/dev/null || skip_all "msmtp is not installed"
[ -x "$GTIME" ] || skip_all "GNU time is not installed (package time)"

D=$(mktemp -d "${TMPDIR:-/tmp}/mailout-bench.XXXXXX")
trap 'postfix_stop "$D/pf"; rm -rf "$D"' EXIT
trap 'exit 130' HUP INT PIPE TERM
PF_MESSAGE_SIZE_LIMIT=250000000
postfix_start "$D/pf" >/dev/null || skip_all "Postfix did not start"

cat > "$D/mailout.ini" <<EOF
[mailout]
queue_dir = $D/queue

[account starttls]
host = localhost
port = $PF_STARTTLS_PORT
tls = starttls
tls_trust_file = $PF_CA
from = sender@test.example
user = $PF_USER
password = $PF_PASS
auth = plain

[account plain]
host = localhost
port = $PF_PLAIN_PORT
tls = off
auth = off
from = sender@test.example
EOF
cat > "$D/msmtprc" <<EOF
defaults
host localhost
from sender@test.example
timeout 300

account starttls
port $PF_STARTTLS_PORT
tls on
tls_starttls on
tls_trust_file $PF_CA
auth plain
user $PF_USER
password $PF_PASS

account plain
port $PF_PLAIN_PORT
tls off
auth off
EOF
chmod 600 "$D/mailout.ini" "$D/msmtprc"

# mkmsg FILE MB - a text message of MB mebibytes, 72-character lines.
mkmsg() {
    { printf 'From: <sender@test.example>\nTo: <bench@discard.example>\nSubject: %s MB\n\n' "$2"
      yes 'The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnop' \
        | head -c $(($2 * 1024 * 1024)) | sed '$s/$//'
    } > "$1"
}
mkmsg "$D/m1" 1
mkmsg "$D/m100" 100

# measure CLIENT MODE SIZE - prints "cpu_seconds peak_rss_kib" of one send.
measure() {
    if [ "$1" = mailout ]; then
        "$GTIME" -f '%U %S %M' -o "$D/time" "$MAILOUT" -C "$D/mailout.ini" -a "$2" \
            bench@discard.example < "$D/m$3" > "$D/err" 2>&1
    else
        "$GTIME" -f '%U %S %M' -o "$D/time" "$MSMTP" -C "$D/msmtprc" -a "$2" \
            bench@discard.example < "$D/m$3" > "$D/err" 2>&1
    fi || { echo "cpu-mem: $1 $2 $3 MB failed: $(cat "$D/err")" >&2; return 1; }
    awk '{ printf "%.3f %d\n", $1 + $2, $3 }' "$D/time"
}

# median of column $2 of file $1
median() { sort -n -k"$2" "$1" | sed -n "$(( ($(wc -l < "$1") + 1) / 2 ))p" | cut -d' ' -f"$2"; }

echo "Client CPU (user+sys, s) and peak RSS (KiB), median of $RUNS runs; Postfix on loopback."
echo "mailout: $("$MAILOUT" --version | head -n 1); msmtp: $("$MSMTP" --version | head -n 1)"
printf '\n%-9s %7s | %10s %10s %9s | %10s %10s %9s | %s\n' mode size \
    "mailout s" "s/MB" "RSS KiB" "msmtp s" "s/MB" "RSS KiB" "CPU ratio"
for mode in plain starttls; do
    for size in 1 100; do
        for client in mailout msmtp; do
            : > "$D/res"
            n=0
            while [ $n -lt "$RUNS" ]; do
                measure "$client" "$mode" "$size" >> "$D/res" || break
                n=$((n + 1))
            done
            [ "$n" -gt 0 ] || { eval "C_$client=0 R_$client=0"; continue; }
            eval "C_$client=\$(median \"\$D/res\" 1)"
            eval "R_$client=\$(median \"\$D/res\" 2)"
        done
        awk -v mode="$mode" -v size="$size" -v cm="${C_mailout:-0}" -v rm="${R_mailout:-0}" \
            -v cs="${C_msmtp:-0}" -v rs="${R_msmtp:-0}" 'BEGIN {
            ratio = cs > 0 ? sprintf("%.2f", cm / cs) : "-";
            printf "%-9s %4d MB | %10.3f %10.4f %9d | %10.3f %10.4f %9d | %s\n",
                mode, size, cm, cm / size, rm, cs, cs / size, rs, ratio }'
    done
done
