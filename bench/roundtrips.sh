#!/bin/sh
# roundtrips.sh - round trips per message, mailout next to Debian's msmtp,
# through a delay proxy (bench/delayproxy.py, 50 ms each way by default) in
# front of a private Postfix (tests/lib/postfix.sh): STARTTLS + AUTH PLAIN,
# implicit TLS + AUTH PLAIN, plain without AUTH. Both clients use AUTH PLAIN
# so that they are compared on the same mechanism.
#
#   bench/roundtrips.sh [RUNS]        (default 3 messages per client and mode)
#
# "waits" = the server's flights the client waited for after the TCP connect,
# counted by the proxy (the greeting is the first). Floors from issue 4 with
# DATA: STARTTLS + AUTH 7 (8 without pipelining behind AUTH PLAIN), implicit
# 5, plain 4; one less each when BDAT (CHUNKING) joins the MAIL/RCPT flight.
# Not a test: needs root, Postfix and msmtp (tests/setup-deps.sh). Env:
# MAILOUT (default ./mailout of the tree), MSMTP (default msmtp), DELAY_MS.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
MAILOUT=${MAILOUT:-$top_srcdir/mailout}
MSMTP=${MSMTP:-msmtp}
DELAY_MS=${DELAY_MS:-50}
RUNS=${1:-3}
skip_all() { echo "roundtrips: $1" >&2; exit 1; }
. "$top_srcdir/tests/lib/postfix.sh"
why=$(postfix_unusable); [ -z "$why" ] || skip_all "$why"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
command -v "$MSMTP" >/dev/null || skip_all "msmtp is not installed"

D=$(mktemp -d "${TMPDIR:-/tmp}/mailout-bench.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; postfix_stop "$D/pf"; rm -rf "$D"' EXIT
trap 'exit 130' HUP INT PIPE TERM
postfix_start "$D/pf" >/dev/null || skip_all "Postfix did not start"

# proxy MODE TARGET_PORT - start a delay proxy; sets PORT_<MODE>.
proxy() {
    python3 "$top_srcdir/bench/delayproxy.py" 127.0.0.1 "$2" --delay-ms "$DELAY_MS" \
        --log "$D/proxy-$1.log" > "$D/port-$1" &
    PIDS="$PIDS $!"
    i=0
    while [ ! -s "$D/port-$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    eval "PORT_$1=\$(cat \"\$D/port-$1\")"
}
proxy starttls "$PF_STARTTLS_PORT"
proxy implicit "$PF_TLS_PORT"
proxy plain "$PF_PLAIN_PORT"

{
    printf '[mailout]\nqueue_dir = %s/queue\n\n' "$D"
    printf '[defaults]\nhost = localhost\nfrom = sender@test.example\ntls_trust_file = %s\nuser = %s\npassword = %s\nauth = plain\n\n' \
        "$PF_CA" "$PF_USER" "$PF_PASS"
    printf '[account starttls]\nport = %s\ntls = starttls\n\n' "$PORT_starttls"
    printf '[account implicit]\nport = %s\ntls = implicit\n\n' "$PORT_implicit"
    printf '[account plain]\nport = %s\ntls = off\nauth = off\n' "$PORT_plain"
} > "$D/mailout.ini"
# [defaults] must not give the plain account a user: it would refuse AUTH in clear.
sed -i '/^\[account plain\]/a user =' "$D/mailout.ini" 2>/dev/null
{
    printf 'defaults\nhost localhost\nfrom sender@test.example\ntls_trust_file %s\nuser %s\npassword %s\nauth plain\ntimeout 60\n\n' \
        "$PF_CA" "$PF_USER" "$PF_PASS"
    printf 'account starttls\nport %s\ntls on\ntls_starttls on\n\n' "$PORT_starttls"
    printf 'account implicit\nport %s\ntls on\ntls_starttls off\n\n' "$PORT_implicit"
    printf 'account plain\nport %s\ntls off\nauth off\n' "$PORT_plain"
} > "$D/msmtprc"
chmod 600 "$D/mailout.ini" "$D/msmtprc"
printf 'From: <sender@test.example>\nTo: <rt@example.net>\nSubject: round trips\n\nhello\n' > "$D/msg"

# run CLIENT MODE RCPT... - one message; prints "waits seconds" from the proxy's log.
run() {
    _client=$1 _mode=$2; shift 2
    before=$(wc -l < "$D/proxy-$_mode.log" 2>/dev/null || echo 0)
    if [ "$_client" = mailout ]; then
        "$MAILOUT" -C "$D/mailout.ini" -a "$_mode" "$@" < "$D/msg" > "$D/err" 2>&1
    else
        "$MSMTP" -C "$D/msmtprc" -a "$_mode" "$@" < "$D/msg" > "$D/err" 2>&1
    fi
    rc=$?
    [ $rc -eq 0 ] || { echo "roundtrips: $_client $_mode failed (exit $rc): $(cat "$D/err")" >&2; return 1; }
    i=0   # the proxy logs a connection once both sides closed
    while [ "$(wc -l < "$D/proxy-$_mode.log" 2>/dev/null || echo 0)" -le "$before" ] && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    tail -n 1 "$D/proxy-$_mode.log" | sed 's/.*waits=\([0-9]*\).*seconds=\([0-9.]*\).*/\1 \2/'
}

echo "Round trips after the TCP connect (server flights waited for), ${DELAY_MS} ms one-way delay,"
echo "median of $RUNS messages; seconds = the connection's life at the proxy (connect to close)."
echo "mailout: $("$MAILOUT" --version | head -n 1); msmtp: $("$MSMTP" --version | head -n 1)"
table() { # RCPT... : one table row per mode
printf '\n%-22s %10s | %13s %9s | %13s %9s\n' mode "floor"  "mailout waits" seconds "msmtp waits" seconds
for mode in starttls implicit plain; do
    case $mode in
        starttls) floor="7 (BDAT 6)" label="STARTTLS + AUTH PLAIN" ;;
        implicit) floor="5 (BDAT 4)" label="implicit TLS + AUTH" ;;
        plain) floor="4 (BDAT 3)" label="plain, no AUTH" ;;
    esac
    [ $# -gt 1 ] && floor=${floor%% *}
    for client in mailout msmtp; do
        : > "$D/res-$client"
        n=0
        while [ $n -lt "$RUNS" ]; do
            run "$client" "$mode" "$@" >> "$D/res-$client" || break
            n=$((n + 1))
        done
        [ "$n" -gt 0 ] || { eval "W_$client= S_$client="; continue; }
        mid=$(( (n + 1) / 2 ))
        eval "W_$client=\$(sort -n \"\$D/res-$client\" | sed -n \"\${mid}p\" | cut -d' ' -f1)"
        eval "S_$client=\$(sort -k2 -n \"\$D/res-$client\" | sed -n \"\${mid}p\" | cut -d' ' -f2)"
    done
    printf '%-22s %10s | %13s %9s | %13s %9s\n' "$label" "$floor" \
        "${W_mailout:-fail}" "${S_mailout:-}" "${W_msmtp:-fail}" "${S_msmtp:-}"
done
}
echo
echo "One recipient (mailout may use BDAT when the server offers CHUNKING):"
table rt@example.net
echo
echo "Two recipients (DATA: dot-stuffed, one reply per RCPT):"
table rt@example.net rt2@example.net
