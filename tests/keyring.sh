#!/bin/sh
# keyring.sh - a real gnome-keyring-daemon on a private D-Bus session bus:
# items made by secret-tool (msmtp's attributes) are found, --store-password
# through a pseudo-terminal, --forget-password, and an absent Secret Service
# or bus falls through to the next source with one line on stderr.
. "$top_srcdir/tests/tap.sh"
TS="$top_builddir/tests/test-secrets"
PTY="$top_srcdir/tests/lib/pty-answer.py"
case "$("$TS" support)" in
    yes*) ;;
    no*) skip_all "built without libsecret";;
    *) echo "Bail out! test-secrets support gave no answer"; exit 1;;
esac
. "$top_srcdir/tests/lib/keyring.sh"
keyring_require
trap 'keyring_stop; rm -rf "$T"' EXIT
keyring_start "$T" || { echo "Bail out! the private keyring did not start"; exit 1; }

printf '%s' 'msmtp-style secret' | secret-tool store --label=msmtp host smtp.example.com service smtp user me@example.com
out=$("$TS" get smtp.example.com me@example.com "$T/pw" 2>"$T/err"); rc=$?
is "$rc" 0 "an item made by secret-tool with msmtp's attributes is found"
is "$(cat "$T/pw" 2>/dev/null)" "msmtp-style secret" "its password"
like "$out" 'libsecret mapped' "libsecret was loaded for the lookup"
is "$(cat "$T/err")" "" "nothing on stderr"
"$TS" get smtp.example.com other@example.com "$T/pw-other" </dev/null >/dev/null 2>"$T/err"
ok $([ ! -e "$T/pw-other" ]; echo $?) "another user's lookup finds nothing"

# --store-password: asked twice on the terminal, never echoed.
python3 "$PTY" "$T/tr" 'stored via pty' 'stored via pty' -- "$TS" store mx.example.org bob >/dev/null
is "$?" 0 "store: prompted twice on the terminal"
is "$(secret-tool lookup host mx.example.org service smtp user bob)" "stored via pty" "secret-tool finds what mailout stored"
like "$(secret-tool search host mx.example.org service smtp user bob 2>&1)" 'label = mailout: bob@mx\.example\.org' "labelled mailout: user@host"
unlike "$(cat "$T/tr")" 'stored via pty' "the password was not echoed"
"$TS" get mx.example.org bob "$T/pw2" >/dev/null 2>&1
is "$(cat "$T/pw2" 2>/dev/null)" "stored via pty" "and mailout looks it up"
python3 "$PTY" "$T/tr" 'replaced' 'replaced' -- "$TS" store mx.example.org bob >/dev/null
is "$(secret-tool lookup host mx.example.org service smtp user bob)" "replaced" "storing again replaces the password"
python3 "$PTY" "$T/tr" 'one' 'two' -- "$TS" store mx.example.org bob >/dev/null
is "$?" 65 "two different answers: nothing stored"
is "$(secret-tool lookup host mx.example.org service smtp user bob)" "replaced" "the old password stays"

"$TS" forget mx.example.org bob 2>"$T/err"
is "$?" 0 "forget removes the item"
is "$(secret-tool lookup host mx.example.org service smtp user bob)" "" "secret-tool no longer finds it"
"$TS" forget mx.example.org bob 2>"$T/err"
is "$?" 69 "forgetting again is an error"
like "$(cat "$T/err")" 'keyring has no password for bob at mx\.example\.org' "saying so"

# A locked collection (nobody to type the unlock password): one line, then
# the next source.
if command -v gdbus >/dev/null; then
    printf '%s' 'locked secret' | secret-tool store --label=x host locked.example service smtp user lu
    printf 'machine locked.example login lu password netrc-for-locked\n' >"$HOME/.netrc"
    chmod 600 "$HOME/.netrc"
    timeout 10 gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
        --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
    "$TS" get locked.example lu "$T/pwl" </dev/null >/dev/null 2>"$T/err"
    is "$(cat "$T/pwl" 2>/dev/null)" "netrc-for-locked" "a locked collection: the next source is used"
    like "$(cat "$T/err")" 'keyring is not available \(the entry is in a locked collection\)' "saying the entry is locked"
    is "$(wc -l <"$T/err")" 1 "in one line"
    rm -f "$HOME/.netrc"
fi

# No Secret Service on the bus: one line, then ~/.netrc.
keyring_stop
kr_bus_conf "$T/run" >"$T/bus.conf"
_out=$(dbus-daemon --config-file="$T/bus.conf" --fork --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS=$(printf '%s\n' "$_out" | sed -n 1p)
KR_BUS_PID=$(printf '%s\n' "$_out" | sed -n 2p)
printf 'machine smtp.example.com login me@example.com password from-netrc\n' >"$HOME/.netrc"
chmod 600 "$HOME/.netrc"
"$TS" get smtp.example.com me@example.com "$T/pw3" >/dev/null 2>"$T/err"
is "$?" 0 "no Secret Service on the bus: the next source is used"
is "$(cat "$T/pw3" 2>/dev/null)" "from-netrc" "the .netrc password"
is "$(wc -l <"$T/err")" 1 "one line on stderr"
like "$(cat "$T/err")" 'keyring is not available.*trying the next password source' "saying the keyring is not available"
keyring_stop

# No bus at all (cron).
export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/run/gone"
"$TS" get smtp.example.com me@example.com "$T/pw4" >/dev/null 2>"$T/err"
is "$(cat "$T/pw4" 2>/dev/null)" "from-netrc" "no D-Bus at all: the next source is used"
is "$(wc -l <"$T/err")" 1 "with one line on stderr"
done_testing
