#!/bin/sh
# faults.sh - runs every tests/faults/*.test against tests/faultserver.py:
# the exit code, the error line, the commands the server saw (and which
# arrived in one flight) and the bytes it received. FAULTS="a b" runs some.
. "$top_srcdir/tests/tap.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"

FAULT_CERTS=$T/certs
export FAULT_CERTS
sh "$top_srcdir/tests/lib/mkcerts.sh" "$FAULT_CERTS" >/dev/null 2>&1 \
    || skip_all "cannot make test certificates"

run_case() {
    test=$1 name=$2
    d=$T/$name
    mkdir -p "$d"
    # The server writes the client's config.ini, message and vars.sh.
    $FS serve "$test" "$d" &
    spid=$!
    i=0
    while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    . "$d/vars.sh"
    if [ -n "$t_requires" ] && ! grep -q "define $t_requires 1" "${top_builddir:-.}/config.h" 2>/dev/null; then
        kill $spid 2>/dev/null; wait $spid 2>/dev/null
        TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $name # SKIP built without $t_requires"
        return
    fi
    [ -n "$t_args" ] || t_args="-f sender@example.org rcpt@example.net"
    if [ -n "$t_driver" ]; then
        # shellcheck disable=SC2086
        "${top_builddir:-.}/tests/smtp-driver" "$d/config.ini" fault $t_driver \
            <"$d/message" >"$d/stdout" 2>"$d/stderr"
    else
        # shellcheck disable=SC2086
        "$MAILOUT" -C "$d/config.ini" -a fault $t_args <"$d/message" >"$d/stdout" 2>"$d/stderr"
    fi
    code=$?
    : >"$d/client-exited"   # a slowread server reads the rest at full speed
    # The server ends with the connection; one that never got one is stopped.
    i=0
    while kill -0 $spid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill $spid 2>/dev/null
    wait $spid 2>/dev/null
    is "$code" "${t_exit:-0}" "$name: exit code ($t_desc)"
    [ ! -s "$d/stderr" ] || printf '#   %s\n' "$(tail -n 1 "$d/stderr")"
    [ -z "$t_error" ] || like "$(cat "$d/stderr")" "$t_error" "$name: error line"
    # The error is one line (--debug and -v lines aside; the driver sends
    # several messages).
    if [ -z "$t_driver" ] && [ "$(grep '^mailout: ' "$d/stderr" | grep -vc '^mailout: \[')" -gt 1 ]; then
        ok 1 "$name: one error line"; sed 's/^/#   /' "$d/stderr"
    fi
    [ -z "$t_stderr" ] || like "$(cat "$d/stderr")" "$t_stderr" "$name: stderr"
    [ -z "$t_stdout" ] || like "$(cat "$d/stdout")" "$t_stdout" "$name: stdout"
    [ -z "$t_stdout_not" ] || unlike "$(cat "$d/stdout")" "$t_stdout_not" "$name: stdout lacks '$t_stdout_not'"
    [ -z "$t_stderr_not" ] || unlike "$(cat "$d/stderr")" "$t_stderr_not" "$name: stderr lacks '$t_stderr_not'"
    if $FS check "$test" "$d" >"$d/check" 2>&1; then
        ok 0 "$name: server transcript"
    else
        ok 1 "$name: server transcript"; sed 's/^/#   /' "$d/check"
    fi
}

for test in "$top_srcdir"/tests/faults/*.test; do
    name=${test##*/}
    name=${name%.test}
    if [ -n "${FAULTS:-}" ]; then
        case " $FAULTS " in *" $name "*) ;; *) continue ;; esac
    fi
    run_case "$test" "$name"
done
done_testing
