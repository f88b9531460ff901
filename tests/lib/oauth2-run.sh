# oauth2-run.sh - running mailout against the OAuth 2 bed; source after
# o2_start. State under $T, no keyring (unless a test starts its own).
XDG_STATE_HOME=$T/state HOME=$T/home
export XDG_STATE_HOME HOME
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
XDG_RUNTIME_DIR=$T/xdg-run
export XDG_RUNTIME_DIR
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

send() {            # ACCOUNT RCPT [ARGS...]: sets RC, ERR
    _a=$1 _r=$2; shift 2
    printf 'From: %s\nSubject: oauth2 %s\n\nbody for %s\n' "$O2_USER" "$_r" "$_r" \
        | timeout 60 "$MAILOUT" -C "$T/m.ini" -a "$_a" "$@" "$_r" >"$T/out" 2>"$T/err"
    RC=$?
    ERR=$(cat "$T/err")
}

# login_start ACCOUNT [ARGS]: mailout --login in the background (LOGIN_PID)
login_start() {
    _a=$1; shift
    rm -f "$T/login.out" "$T/login.err"
    timeout 120 "$MAILOUT" -C "$T/m.ini" -a "$_a" --login "$@" \
        >"$T/login.out" 2>"$T/login.err" </dev/null &
    LOGIN_PID=$!
}

login_code() {      # the user code mailout printed (waits 20 s)
    _i=0
    while ! grep -q 'enter the code' "$T/login.out" 2>/dev/null; do
        [ $_i -ge 200 ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
    sed -n 's/.*enter the code \([0-9-]*\).*/\1/p' "$T/login.out" | head -n 1
}

login() {           # ACCOUNT: a device login approved after 2 polls; sets RC
    login_start "$1"
    _c=$(login_code) || { RC=99; return; }
    sleep 2
    o2_ctl /test/approve user_code="$_c"
    wait "$LOGIN_PID"
    RC=$?
}

login_deny() {       # denied after the first poll
    login_start "$1"
    _c=$(login_code) || { RC=99; return; }
    sleep 1.5
    o2_ctl /test/deny user_code="$_c"
    wait "$LOGIN_PID"
    RC=$?
}

# o2_token: an access token for $O2_USER got straight from the server.
o2_token() {
    _r=$(curl -sS --cacert "$O2_CA" -d client_id="$O2_CLIENT_ID" -d "scope=$O2_SCOPE" "$O2_URL/device")
    _dc=$(printf '%s' "$_r" | "$O2_PY" -c 'import json,sys; print(json.load(sys.stdin)["device_code"])')
    _uc=$(printf '%s' "$_r" | "$O2_PY" -c 'import json,sys; print(json.load(sys.stdin)["user_code"])')
    o2_ctl /test/approve user_code="$_uc"
    sleep 1
    curl -sS --cacert "$O2_CA" -d client_id="$O2_CLIENT_ID" -d device_code="$_dc" \
        -d grant_type=urn:ietf:params:oauth:grant-type:device_code "$O2_URL/token" \
        | "$O2_PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
