#!/bin/sh
# secrets.sh - the password prompt on a terminal, no terminal, and no libsecret
# at start-up. The sources themselves are unit-tested in test-secrets.c.
. "$top_srcdir/tests/tap.sh"
TS="$top_builddir/tests/test-secrets"
PTY="$top_srcdir/tests/lib/pty-answer.py"
command -v python3 >/dev/null || skip_all "python3 is needed for the pseudo-terminal"

# No keyring (D-Bus nowhere), no .netrc: the prompt is the last source.
export HOME="$T/home"; mkdir -p "$HOME"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/no-bus"
unset DISPLAY

python3 "$PTY" "$T/transcript" 'typed secret' -- "$TS" get smtp.example.com me "$T/pw" 2>"$T/err"
rc=$?
is "$rc" 0 "the prompt on the terminal gives the password"
is "$(cat "$T/pw" 2>/dev/null)" "typed secret" "exactly what was typed, newline dropped"
like "$(cat "$T/transcript")" 'Password for me at smtp\.example\.com \(account work\): ' "the prompt names user, host and account"
unlike "$(cat "$T/transcript")" 'typed secret' "the password was not echoed"

python3 "$PTY" "$T/transcript" '' -- "$TS" get smtp.example.com me "$T/pw2" 2>"$T/err"
rc=$?
is "$rc" 65 "an empty answer is refused"
like "$(cat "$T/transcript")" 'no password entered' "with a clear message"

# No controlling terminal (cron): a clear error, no hang.
start=$(date +%s)
setsid -w "$TS" get smtp.example.com me "$T/pw3" </dev/null >/dev/null 2>"$T/err"
rc=$?
ok $((rc == 0)) "without a terminal there is no password (exit $rc)"
like "$(cat "$T/err")" 'no terminal to ask on' "and the error says why"
ok $(( $(date +%s) - start > 5 )) "without waiting"
ok $([ ! -e "$T/pw3" ]; echo $?) "nothing was written"

# Lazy loading: the program is not linked against libsecret or GLib.
if [ -x "$MAILOUT" ]; then
    unlike "$(ldd "$MAILOUT")" 'libsecret|libglib|libgio' "mailout is not linked against libsecret/GLib"
fi
like "$("$TS" maps)" 'not mapped' "a process that did not consult the keyring has no libsecret mapped"

# password_command through mailout: its output never reaches the error.
if [ -x "$MAILOUT" ]; then
    cat >"$T/cfg.ini" <<EOT
[mailout]
queue_dir = $T/queue
[account work]
host = 127.0.0.1
port = 9
from = me@example.com
user = me
tls = off
queue = off
password_command = echo visible-secret-output; echo cmd-stderr >&2; exit 3
EOT
    chmod 600 "$T/cfg.ini"
    printf 'Subject: t\n\nbody\n' | "$MAILOUT" --dry-run -C "$T/cfg.ini" -f me@example.com you@example.com >/dev/null 2>&1 \
        || { ok 1 "mailout --dry-run works with this configuration (needed for the end-to-end password_command test)"; done_testing; exit; }
    printf 'Subject: t\n\nbody\n' | "$MAILOUT" -C "$T/cfg.ini" -f me@example.com you@example.com >"$T/out" 2>"$T/err"
    rc=$?
    like "$(cat "$T/err")" 'account work: password_command failed \(exit status 3\)' "mailout: a failing password_command is a clear error"
    like "$(cat "$T/err")" 'cmd-stderr' "its stderr passes through"
    unlike "$(cat "$T/out" "$T/err")" 'visible-secret-output' "its stdout never appears"
    is "$rc" 75 "exit 75 (temporary) with the queue off"
fi
done_testing
