# postfix.sh - a private Postfix instance with Cyrus SASL for real-peer tests.
# Source it after tap.sh (it uses $top_srcdir and skip_all).
#
#   postfix_require              skip the whole test (TAP SKIP) when we cannot run Postfix
#   postfix_start DIR            make and start an instance living entirely in DIR
#                                (PF_MESSAGE_SIZE_LIMIT: default 60000000; PF_SASL_TYPE=dovecot
#                                with PF_SASL_PATH=SOCKET: SASL from a Dovecot auth socket)
#   postfix_stop DIR             stop it (postfix stop, then the master's PID)
#   postfix_wait_mail N [SECS]   wait until N messages were captured (default 30 s)
#   postfix_auto_stop DIR        stop the instance and remove $T when the test exits
#
# After postfix_start these are exported:
#   PF_STARTTLS_PORT  587-style: STARTTLS required, AUTH required to relay
#   PF_TLS_PORT       465-style: implicit TLS, AUTH required
#   PF_PLAIN_PORT     25-style: no TLS, no AUTH, relays for loopback
#   PF_MISMATCH_PORT  like STARTTLS but on 127.0.0.2, whose name the cert lacks
#   PF_SMALL_PORT     like plain, but SIZE 10000 (message_size_limit)
#   PF_DIR            DIR as an absolute path
#   PF_CA PF_OTHER_CA PF_CERTS  test CA, an unrelated CA, the cert directory
#   PF_USER PF_PASS   the SASL login (user@realm) and password
#   PF_MAILDIR        captured mail: N.eml (as delivered) and N.env
#                     (line 1 "sender=ADDR", line 2 "recipient=ADDR")
#   PF_LOG            Postfix's log file (sasl_method=..., TLS lines)
#   (mail to ANY@discard.example is accepted and discarded, not captured)
#   PF_ACCESS         recipient access table: "tempfail@test.example" gets
#                     450, "reject@test.example" gets 550
#
# Nothing here touches /etc/postfix or the system's Postfix.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

PF_REALM=test.example
PF_USER=alice@$PF_REALM
PF_PASS='s3cret pass-word'
export PF_USER PF_PASS

# Why we cannot run a private Postfix here, or nothing.
postfix_unusable() {
    if [ "$(id -u)" -ne 0 ]; then echo "needs root to run a private Postfix"; return; fi
    for c in postfix postconf saslpasswd2 openssl python3; do
        command -v "$c" >/dev/null 2>&1 || { echo "$c is not installed (tests/setup-deps.sh)"; return; }
    done
    id postfix >/dev/null 2>&1 || { echo "no postfix user (tests/setup-deps.sh)"; return; }
    getent group postdrop >/dev/null 2>&1 || { echo "no postdrop group"; return; }
    ls /usr/lib/*/sasl2/libscram.so* >/dev/null 2>&1 \
        || { echo "libsasl2-modules is not installed"; return; }
}

postfix_require() {
    _why=$(postfix_unusable)
    [ -z "$_why" ] || skip_all "$_why"
}

# COUNT distinct TCP ports free on 127.0.0.1, ::1 and 127.0.0.2 right now.
pf_free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
want, ports, held = int(sys.argv[1]), [], []
while len(ports) < want:
    s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s4.bind(("127.0.0.1", 0))
    port = s4.getsockname()[1]
    try:
        for fam, host in ((socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.2")):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.bind((host, port))
            s.close()
    except OSError:
        s4.close()
        continue
    held.append(s4)     # kept bound until all are chosen, so they differ
    ports.append(port)
print(" ".join(map(str, ports)))
EOF
}

# Run a postfix command; on failure show its reason (printed only to a tty).
pf_cmd() {
    if ! "$@" >/dev/null 2>&1; then
        echo "# postfix command failed: $*" >&2
        script -qec "$*" /dev/null 2>&1 | sed 's/^/#   /' >&2
        return 1
    fi
}

pf_write_config() {
    _d=$1
    mkdir -p "$_d/etc"
    cat > "$_d/etc/main.cf" <<EOF
# Private test instance made by tests/lib/postfix.sh
compatibility_level = 3.6
queue_directory = $_d/queue
data_directory = $_d/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $_d/maillog
maillog_file_prefixes = $_d
myhostname = mx.test.example
mydomain = test.example
myorigin = test.example
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = 127.0.0.1, [::1]
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtp_dns_support_level = disabled
biff = no
append_dot_mydomain = no
default_transport = capture
relay_transport = capture
capture_destination_recipient_limit = 1
capture_destination_concurrency_limit = 4
disable_mime_output_conversion = yes
local_header_rewrite_clients =
always_add_missing_headers = no
header_checks = regexp:$_d/header_checks
transport_maps = texthash:$_d/transport
message_size_limit = ${PF_MESSAGE_SIZE_LIMIT:-60000000}
smtpd_tls_chain_files = $_d/certs/server.key, $_d/certs/server.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
# Ask for (never require) a client certificate: Received then names it.
smtpd_tls_ask_ccert = yes
smtpd_tls_CAfile = $_d/certs/ca.pem
smtpd_tls_security_level = may
smtpd_sasl_type = ${PF_SASL_TYPE:-cyrus}
smtpd_sasl_path = ${PF_SASL_PATH:-smtpd}
cyrus_sasl_config_path = $_d/etc/sasl
smtpd_sasl_authenticated_header = yes
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
rcpt_access = check_recipient_access texthash:$_d/access
plain_relay = \$rcpt_access, permit_mynetworks, reject
auth_relay = \$rcpt_access, permit_sasl_authenticated, reject
smtpd_relay_restrictions = \$plain_relay
smtpd_recipient_restrictions =
EOF
    _auth="-o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes -o smtpd_relay_restrictions=\$auth_relay"
    cat > "$_d/etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
$PF_PLAIN_PORT inet n - n - - smtpd
$PF_SMALL_PORT inet n - n - - smtpd
  -o message_size_limit=10000
$PF_STARTTLS_PORT inet n - n - - smtpd
  $_auth
$PF_TLS_PORT inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes $_auth
127.0.0.2:$PF_MISMATCH_PORT inet n - n - - smtpd
  $_auth
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
capture   unix  -       n       n       -       -       pipe
  flags=q user=nobody null_sender= argv=$_d/capture.sh $_d/mail \${sender} \${recipient}
EOF
    printf '%s\n' '/^(Bcc|Resent-Bcc):(.*)$/ REPLACE X-Leaked-Bcc: ${1}:${2}' \
        > "$_d/header_checks"
    # Mail to discard.example is accepted and thrown away (benchmarks).
    printf 'discard.example discard:\n' > "$_d/transport"
    cat > "$_d/access" <<'EOF'
tempfail@test.example 450 4.2.1 scripted temporary failure for tests
reject@test.example 550 5.1.1 scripted permanent rejection for tests
EOF
    # Debian's smtpd reads CONFIG_DIR/sasl/smtpd.conf whatever
    # cyrus_sasl_config_path says (its patch 07_sasl_config).
    mkdir -p "$_d/etc/sasl"
    cat > "$_d/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $_d/etc/sasl/sasldb2
mech_list: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256
EOF
    printf '%s' "$PF_PASS" | saslpasswd2 -f "$_d/etc/sasl/sasldb2" -c -p -u "$PF_REALM" "${PF_USER%@*}"
    chown postfix "$_d/etc/sasl/sasldb2"
    chmod 600 "$_d/etc/sasl/sasldb2"
    chmod 755 "$_d/etc/sasl"
}

postfix_start() {
    _d=$1
    mkdir -p "$_d"
    _d=$(cd "$_d" && pwd)
    # postfix (queue) and nobody (capture) must reach into DIR.
    chmod 755 "$_d"
    _p=$(dirname "$_d")
    while [ "$_p" != / ]; do chmod o+x "$_p" 2>/dev/null; _p=$(dirname "$_p"); done

    set -- $(pf_free_ports 5)
    PF_PLAIN_PORT=$1 PF_STARTTLS_PORT=$2 PF_TLS_PORT=$3 PF_MISMATCH_PORT=$4 PF_SMALL_PORT=$5
    export PF_PLAIN_PORT PF_STARTTLS_PORT PF_TLS_PORT PF_MISMATCH_PORT PF_SMALL_PORT

    "$top_srcdir/tests/lib/mkcerts.sh" "$_d/certs" || return 1
    PF_CERTS=$_d/certs PF_CA=$_d/certs/ca.pem PF_OTHER_CA=$_d/certs/other-ca.pem
    export PF_CERTS PF_CA PF_OTHER_CA

    mkdir -p "$_d/data" "$_d/queue" "$_d/mail"
    chown postfix "$_d/data"; chmod 700 "$_d/data"
    chown nobody "$_d/mail"
    cp "$top_srcdir/tests/lib/capture.sh" "$_d/capture.sh"
    chmod 755 "$_d/capture.sh"
    : > "$_d/maillog"
    pf_write_config "$_d"
    PF_DIR=$_d PF_MAILDIR=$_d/mail PF_LOG=$_d/maillog PF_ACCESS=$_d/access
    export PF_DIR PF_MAILDIR PF_LOG PF_ACCESS

    pf_cmd postfix -c "$_d/etc" start || return 1
    # Ready when every listener answers.
    pf_wait_listen 127.0.0.1:$PF_PLAIN_PORT 127.0.0.1:$PF_STARTTLS_PORT \
        127.0.0.1:$PF_TLS_PORT ::1:$PF_PLAIN_PORT ::1:$PF_STARTTLS_PORT \
        127.0.0.2:$PF_MISMATCH_PORT 127.0.0.1:$PF_SMALL_PORT
}

# Wait (10 s at most) until every HOST:PORT accepts a connection.
pf_wait_listen() {
    python3 - "$@" <<'EOF'
import socket, sys, time
for arg in sys.argv[1:]:
    host, port = arg.rsplit(":", 1)
    for _ in range(100):
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("# postfix: nothing listens on %s" % arg)
EOF
}

postfix_stop() {
    _d=$(cd "$1" 2>/dev/null && pwd) || return 0
    [ -f "$_d/etc/main.cf" ] || return 0
    _pid=$(cat "$_d/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    postfix -c "$_d/etc" stop >/dev/null 2>&1
    if [ -n "$_pid" ]; then
        _i=0
        while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
        kill -0 "$_pid" 2>/dev/null && kill -9 "$_pid" 2>/dev/null
    fi
    return 0
}

postfix_auto_stop() {
    PF_AUTO_DIR=$1
    trap 'postfix_stop "$PF_AUTO_DIR"; rm -rf "$T"' EXIT
}

# The usual start of a test against the private Postfix: skip without one,
# start it in $T/pf, stop it at exit, bail out when it does not start.
postfix_up() {
    postfix_require
    postfix_auto_stop "$T/pf"
    postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
}

# Number of messages captured so far.
postfix_mail_count() {
    find "$PF_MAILDIR" -maxdepth 1 -name '*.eml' | wc -l
}

postfix_wait_mail() {
    _want=$1 _secs=${2:-30} _i=0
    while [ "$(postfix_mail_count)" -lt "$_want" ]; do
        [ $_i -ge $((_secs * 10)) ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
    return 0
}

# The captured message file(s) whose envelope recipient is ADDR.
postfix_mail_for() {
    grep -lx "recipient=$1" "$PF_MAILDIR"/*.env 2>/dev/null | sed 's/\.env$/.eml/'
}

# Wait (bounded, default 30 s) until a message for ADDR was captured; print
# its file name.
postfix_wait_for() {
    _i=0 _secs=${2:-30}
    while :; do
        _f=$(postfix_mail_for "$1" | head -n 1)
        [ -n "$_f" ] && [ -f "$_f" ] && { echo "$_f"; return 0; }
        [ $_i -ge $((_secs * 10)) ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
}

# Wait until Postfix's queue is empty (everything delivered or refused), so
# that "nothing arrived" is a fact, not a race. Bounded (default 30 s).
postfix_wait_idle() {
    _i=0 _secs=${1:-30}
    while [ -n "$(find "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" \
                  "$PF_DIR/queue/maildrop" -type f 2>/dev/null | head -n 1)" ]; do
        [ $_i -ge $((_secs * 10)) ] && return 1
        sleep 0.1; _i=$((_i + 1))
    done
    return 0
}

# postfix_require_delivery - skip the whole test when this mailout build
# cannot deliver yet (its delivery modules still stubs: exit 70 "not
# implemented" on a plain send). Any other failure is left to the test.
postfix_require_delivery() {
    printf '[account probe]\nhost = 127.0.0.1\nport = %s\ntls = off\nauth = off\nfrom = probe@test.example\n' \
        "$PF_PLAIN_PORT" > "$PF_DIR/probe.ini"
    printf 'Subject: probe\n\nprobe\n' | "$MAILOUT" -C "$PF_DIR/probe.ini" probe@discard.example \
        > "$PF_DIR/probe.out" 2>&1
    if [ $? -eq 70 ] && grep -q 'not implemented' "$PF_DIR/probe.out"; then
        skip_all "this mailout build cannot deliver yet ($(head -n 1 "$PF_DIR/probe.out"))"
    fi
}
