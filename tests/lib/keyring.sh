# keyring.sh - a private Secret Service (gnome-keyring-daemon on its own D-Bus
# session bus) for tests. Source it after tap.sh.
#
#   keyring_require          skip the whole test when it cannot run here
#   keyring_start DIR        HOME and XDG_RUNTIME_DIR in DIR, a session bus,
#                            gnome-keyring-daemon with an unlocked default
#                            collection; exports DBUS_SESSION_BUS_ADDRESS
#   keyring_stop_daemon      stop gnome-keyring-daemon (the bus stays)
#   keyring_stop             stop both (by PID); safe to call twice
# Nothing here touches the caller's real keyring or session bus.

KR_BUS_PID= KR_GKD_PID=
# Under --enable-sanitizers: GLib's lifetime allocations are not our leaks.
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lib/lsan-glib.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

keyring_require() {
    for _p in dbus-daemon dbus-send gnome-keyring-daemon secret-tool python3; do
        command -v $_p >/dev/null || skip_all "$_p is not installed (tests/setup-deps.sh)"
    done
}

# A session bus without service activation: a client call made before our
# daemon owns org.freedesktop.secrets must not start a second, locked one.
kr_bus_conf() {
    cat <<EOT
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$1</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOT
}

kr_has_secret_service() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

keyring_start() {
    export HOME="$1/home" XDG_RUNTIME_DIR="$1/run"
    mkdir -p "$HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
    unset DISPLAY WAYLAND_DISPLAY
    kr_bus_conf "$XDG_RUNTIME_DIR" >"$1/bus.conf"
    _out=$(dbus-daemon --config-file="$1/bus.conf" --fork --print-address=1 --print-pid=1) || return 1
    DBUS_SESSION_BUS_ADDRESS=$(printf '%s\n' "$_out" | sed -n 1p)
    KR_BUS_PID=$(printf '%s\n' "$_out" | sed -n 2p)
    export DBUS_SESSION_BUS_ADDRESS
    echo 'keyring-unlock-pw' | gnome-keyring-daemon --unlock --components=secrets --foreground \
        >"$1/gkd.out" 2>"$1/gkd.err" &
    KR_GKD_PID=$!
    _i=0    # until our daemon owns the Secret Service name
    until kr_has_secret_service; do
        [ $_i -ge 100 ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
}

keyring_stop_daemon() {
    [ -n "$KR_GKD_PID" ] && { kill "$KR_GKD_PID" 2>/dev/null; wait "$KR_GKD_PID" 2>/dev/null; }
    KR_GKD_PID=
}

keyring_stop() {
    keyring_stop_daemon
    [ -n "$KR_BUS_PID" ] && kill "$KR_BUS_PID" 2>/dev/null
    KR_BUS_PID=
}
