# oauth2-bed.sh - real server software verifying real OAuth 2 tokens:
# a private authorization server (tests/lib/oauth2-server.py, HTTPS), a
# private Dovecot whose oauth2 passdb checks each bearer token by RFC 7662
# introspection there, and a private Postfix taking its SASL from that
# Dovecot (XOAUTH2 and OAUTHBEARER). Source it after tap.sh; see
# ../shared/TESTBED.md for why the Dovecot settings are what they are.
#
#   o2_require           skip the whole test when the bed cannot run here
#   o2_start DIR         start all three in DIR; stopped when the test exits
#   o2_ctl PATH [K=V..]  a test control of the server (see oauth2-server.py)
#   o2_events            the server's event list (JSON), one event a line
#   o2_count TYPE [K=V]  how many events of TYPE (with field K equal to V)
#   o2_conf FILE NAME [AUTH] [EXTRA]   an account NAME for the bed in FILE
#
# After o2_start: O2_URL (https://127.0.0.1:PORT), O2_CA, O2_CLIENT_ID,
# O2_SCOPE, O2_USER, O2_DC (Dovecot's dir, dovecot.log) and the PF_* of
# postfix.sh (PF_STARTTLS_PORT offers AUTH XOAUTH2 OAUTHBEARER).

. "$top_srcdir/tests/lib/postfix.sh"

O2_CLIENT_ID=mailout-test-client
O2_SCOPE=https://mail.test/smtp
O2_RS_USER=dovecot-rs
O2_RS_SECRET=rs-secret-$$
O2_PY=/usr/bin/python3
O2_AS_PID=
O2_DC=

o2_require() {
    postfix_require
    command -v dovecot >/dev/null 2>&1 || skip_all "dovecot (dovecot-core) is not installed"
    command -v curl >/dev/null 2>&1 || skip_all "curl is not installed (tests/setup-deps.sh)"
    [ -x "$O2_PY" ] || skip_all "no /usr/bin/python3"
    id dovecot >/dev/null 2>&1 || skip_all "no dovecot user"
    [ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
    "$MAILOUT" --version 2>/dev/null | grep -q '^OAuth 2 (built in): yes' \
        || skip_all "mailout was built without OAuth 2 (needs libcurl and json-c at configure time)"
}

o2_wait_file() {    # FILE: until it exists (10 s)
    _i=0
    while [ ! -s "$1" ]; do
        [ $_i -ge 100 ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
}

o2_start_server() {
    "$O2_PY" "$top_srcdir/tests/lib/oauth2-server.py" --cert "$1/certs/server.pem" \
        --key "$1/certs/server.key" --port-file "$1/as.port" --client-id "$O2_CLIENT_ID" \
        --rs-user "$O2_RS_USER" --rs-secret "$O2_RS_SECRET" --scope "$O2_SCOPE" \
        --user "$O2_USER" ${O2_CLIENT_SECRET:+--client-secret "$O2_CLIENT_SECRET"} \
        </dev/null >"$1/as.log" 2>&1 &
    O2_AS_PID=$!
    o2_wait_file "$1/as.port" || return 1
    O2_URL=https://127.0.0.1:$(cat "$1/as.port")
    export O2_URL
}

o2_dovecot_conf() {
    cat >"$1/dovecot.conf" <<EOF
instance_name = test-oauth2-$$
base_dir = $1/run
state_dir = $1/state
protocols = none
ssl = no
log_path = $1/dovecot.log
auth_mechanisms = xoauth2 oauthbearer
auth_cache_size = 0
auth_failure_delay = 0
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $1/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
    cat >"$1/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = https://$O2_RS_USER:$O2_RS_SECRET@127.0.0.1:${O2_URL##*:}/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
scope = $O2_SCOPE
tls_ca_cert_file = $O2_CA
timeout_msecs = 10000
EOF
    chgrp dovecot "$1/oauth2.conf.ext"
    chmod 640 "$1/oauth2.conf.ext"
}

o2_start_dovecot() {
    O2_DC=$1
    mkdir -p "$1/run" "$1/state"
    o2_dovecot_conf "$1"
    dovecot -c "$1/dovecot.conf" </dev/null >>"$1/start.log" 2>&1 || return 1
    _i=0
    while [ ! -S "$1/run/auth-postfix" ]; do
        [ $_i -ge 100 ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
}

o2_stop() {
    if [ -n "$O2_DC" ] && [ -f "$O2_DC/run/master.pid" ]; then
        _pid=$(cat "$O2_DC/run/master.pid")
        kill "$_pid" 2>/dev/null
        for _i in $(seq 50); do kill -0 "$_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    [ -n "$O2_AS_PID" ] && kill "$O2_AS_PID" 2>/dev/null
    [ -n "${PF_DIR:-}" ] && postfix_stop "$PF_DIR"
    O2_AS_PID= O2_DC=
}

o2_start() {
    mkdir -p "$1"
    _o2=$(cd "$1" && pwd)
    trap 'o2_stop; rm -rf "$T"' EXIT
    trap 'exit 1' HUP INT TERM PIPE
    O2_USER=$PF_USER
    "$top_srcdir/tests/lib/mkcerts.sh" "$_o2/pf/certs" || return 1
    O2_CA=$_o2/pf/certs/ca.pem
    o2_start_server "$_o2/pf" || { echo "# the authorization server did not start"; sed 's/^/# /' "$_o2/pf/as.log"; return 1; }
    o2_start_dovecot "$_o2/dovecot" || { echo "# Dovecot did not start"; sed 's/^/# /' "$_o2"/dovecot/*.log; return 1; }
    PF_SASL_TYPE=dovecot PF_SASL_PATH=$_o2/dovecot/run/auth-postfix
    export PF_SASL_TYPE PF_SASL_PATH O2_CA O2_USER
    postfix_start "$_o2/pf" || return 1
}

o2_ctl() {          # PATH [K=V...]
    _p=$1; shift
    _args=
    for _kv in "$@"; do _args="$_args --data-urlencode $_kv"; done
    # shellcheck disable=SC2086
    curl -sS --fail --cacert "$O2_CA" -X POST $_args "$O2_URL$_p" >/dev/null
}

o2_events() {
    curl -sS --fail --cacert "$O2_CA" "$O2_URL/test/events" \
        | "$O2_PY" -c 'import json,sys; [print(json.dumps(e, sort_keys=True)) for e in json.load(sys.stdin)]'
}

o2_count() {        # TYPE [K=V]
    _f='"type": "'$1'"'
    if [ $# -ge 2 ]; then
        o2_events | grep -F "$_f" | grep -cF "\"${2%%=*}\": ${2#*=}"
    else
        o2_events | grep -cF "$_f"
    fi
}

o2_conf() {         # FILE NAME [AUTH] [EXTRA-LINES]
    cat >"$1" <<EOF
[mailout]
queue_dir = $T/queue
logfile = $T/mailout.log

[account $2]
host = 127.0.0.1
port = $PF_STARTTLS_PORT
tls = starttls
tls_trust_file = $PF_CA
from = $O2_USER
user = $O2_USER
auth = ${3:-xoauth2}
timeout = 20
oauth2_provider = custom
oauth2_client_id = $O2_CLIENT_ID
oauth2_token_url = $O2_URL/token
oauth2_device_url = $O2_URL/device
oauth2_auth_url = $O2_URL/authorize
oauth2_scope = $O2_SCOPE offline_access
oauth2_trust_file = $O2_CA
${4:-}
EOF
    chmod 600 "$1"
}
