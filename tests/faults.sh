#!/bin/sh
# faults.sh - runs every tests/faults/*.test against tests/faultserver.py:
# the exit code, the error line, the commands the server saw (and which
# arrived in one flight) and the bytes it received. FAULTS="a b" runs some.
. "$top_srcdir/tests/tap.sh"
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"

FAULT_CERTS=$T/certs
export FAULT_CERTS
sh "$top_srcdir/tests/lib/mkcerts.sh" "$FAULT_CERTS" >/dev/null 2>&1 \
    || skip_all "cannot make test certificates"

default_message() {
    printf 'From: sender@example.org\nTo: rcpt@example.net\nSubject: fault test\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <fault@example.org>\n\nHello.\n'
}

run_case() {
    test=$1
    name=$(basename "$test" .test)
    d=$T/$name
    mkdir -p "$d"
    $FS serve "$test" "$d" &
    spid=$!
    i=0
    while [ ! -s "$d/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    port=$(cat "$d/port" 2>/dev/null)
    tls=$($FS get "$test" tls)
    $FS get "$test" config >"$d/overrides"
    # The base config, minus the keys the test sets itself (conf refuses a
    # key set twice).
    {
        printf '[mailout]\nlogfile = %s\nqueue_dir = %s\n\n[account fault]\n' "$d/log" "$d/queue"
        printf '%s\n' "host = 127.0.0.1" "port = $port" "from = sender@example.org" \
            "tls = ${tls:-off}" "tls_trust_file = $FAULT_CERTS/ca.pem" "auth = off" \
            "timeout = 2" "queue = off" "add_date = off" "add_message_id = off" \
            "add_from = off" |
        while IFS= read -r l; do
            grep -q "^${l%% =*} *=" "$d/overrides" || printf '%s\n' "$l"
        done
        cat "$d/overrides"
    } >"$d/config.ini"
    chmod 600 "$d/config.ini"
    args=$($FS get "$test" args)
    [ -n "$args" ] || args="-f sender@example.org rcpt@example.net"
    if [ -n "$($FS get "$test" message)" ]; then
        $FS get "$test" message >"$d/message"
    else
        default_message >"$d/message"
    fi
    # shellcheck disable=SC2086
    "$MAILOUT" -C "$d/config.ini" -a fault $args <"$d/message" >"$d/stdout" 2>"$d/stderr"
    code=$?
    # The server ends with the connection; one that never got one is stopped.
    i=0
    while kill -0 $spid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill $spid 2>/dev/null
    wait $spid 2>/dev/null
    desc=$($FS get "$test" desc)
    want=$($FS get "$test" exit)
    is "$code" "${want:-0}" "$name: exit code ($desc)"
    pattern=$($FS get "$test" error)
    if [ -n "$pattern" ]; then
        like "$(cat "$d/stderr")" "$pattern" "$name: error line"
    fi
    if [ "$(grep -c . "$d/stderr")" -gt 1 ] && [ -n "$pattern" ]; then
        ok 1 "$name: one error line"; sed 's/^/#   /' "$d/stderr"
    fi
    pattern=$($FS get "$test" stderr)
    [ -z "$pattern" ] || like "$(cat "$d/stderr")" "$pattern" "$name: stderr"
    pattern=$($FS get "$test" stderr-not)
    [ -z "$pattern" ] || unlike "$(cat "$d/stderr")" "$pattern" "$name: stderr lacks '$pattern'"
    if $FS check "$test" "$d" >"$d/check" 2>&1; then
        ok 0 "$name: server transcript"
    else
        ok 1 "$name: server transcript"; sed 's/^/#   /' "$d/check"
    fi
}

for test in "$top_srcdir"/tests/faults/*.test; do
    name=$(basename "$test" .test)
    if [ -n "${FAULTS:-}" ]; then
        case " $FAULTS " in *" $name "*) ;; *) continue ;; esac
    fi
    run_case "$test"
done
done_testing
