#!/bin/sh
# hints.sh - the common mistakes of issue 15 produced for real, each with
# the fix in the message, its exit code and the message's place: TLS
# verification by cause against openssl s_server (certificates of the test
# CA that are expired, not yet valid, for another name, or from an unknown
# CA; a pin does not accept an expired certificate), a host name under
# .invalid that the resolver answers NXDOMAIN for (exit 68, kept in failed/),
# and a resolver that cannot be reached (temporary: queued).
. "$top_srcdir/tests/tap.sh"
command -v openssl >/dev/null || skip_all "no openssl"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"

HOME=$T/home; export HOME
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME"
C=$T/certs
sh "$top_srcdir/tests/lib/mkcerts.sh" "$C" >/dev/null 2>&1 || skip_all "cannot make test certificates"

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
msg() { printf 'From: a@example.org\nSubject: hint\n\nbody\n'; }
failed_count() { ls "$T/q/failed" 2>/dev/null | grep -vc '\.lock$'; }
queued_count() { find "$T/q" -maxdepth 1 -type f ! -name '*.lock' 2>/dev/null | wc -l; }

# cfg HOST PORT [extra lines]: an implicit-TLS account trusting the test CA
cfg() {
    h=$1 p=$2; shift 2
    {
        printf '[mailout]\nqueue_dir = %s/q\n[account t]\nhost = %s\nport = %s\n' "$T" "$h" "$p"
        printf 'tls = implicit\ntls_trust_file = %s\ntimeout = %s\nfrom = a@example.org\n' "${TRUST:-$C/ca.pem}" "${TMO:-10}"
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$T/c.ini"
}

# serve CERT: openssl s_server with that certificate on a fresh port ($PORT),
# until stop
serve() {
    PORT=$(free_port)
    openssl s_server -accept "127.0.0.1:$PORT" -cert "$C/$1.pem" -key "$C/$1.key" \
        -quiet </dev/null >"$T/s_server.log" 2>&1 &
    SPID=$!
    i=0
    until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1).close()" 2>/dev/null \
          || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
}
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

send() { msg | "$MAILOUT" -C "$T/c.ini" -a t b@example.net >"$T/out" 2>"$T/err"; }

# ------------------------------------------------------------- expired
rm -rf "$T/q"
serve expired; cfg 127.0.0.1 "$PORT"; send; rc=$?; stop
err=$(cat "$T/err")
is "$rc" 77 "expired certificate: exit 77"
like "$err" "TLS certificate of 127.0.0.1 has expired: valid from 2020-01-01 00:00:00 UTC until 2021-01-01 00:00:00 UTC, and it is now [0-9-]+ [0-9:]+ UTC; check the server's certificate or this machine's clock" \
    "  the dates, and what to check"
unlike "$err" "fingerprint|tls_trust_file" "  no 'pin it', no trust file"
is "$(failed_count)" 1 "  the message is kept in failed/"

# a pin names the certificate, not its dates: still refused, same hint
fp=$(openssl x509 -in "$C/expired.pem" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/')
rm -rf "$T/q"
serve expired; cfg 127.0.0.1 "$PORT" "tls_fingerprint = $fp"; send; rc=$?; stop
is "$rc" 77 "expired certificate, pinned: still refused (77)"
like "$(cat "$T/err")" "has expired: valid from 2020-01-01.*check the server's certificate or this machine's clock" \
    "  with the dates"

# the same pin on a valid certificate's chain the trust file does not know
fp=$(openssl x509 -in "$C/server.pem" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/')
TRUST=$C/other-ca.pem
TMO=2; serve server; cfg 127.0.0.1 "$PORT" "tls_fingerprint = $fp"; TMO=; send; rc=$?; stop
TRUST=
like "$(cat "$T/err")" "greeting" "a pin still accepts a valid certificate from an unknown CA (on to the greeting)"

# --------------------------------------------------------- not yet valid
rm -rf "$T/q"
serve future; cfg 127.0.0.1 "$PORT"; send; rc=$?; stop
is "$rc" 77 "certificate not valid yet: exit 77"
like "$(cat "$T/err")" "is not valid yet: valid from 2099-12-31 00:00:00 UTC until 2100-12-31 00:00:00 UTC, and it is now .*this machine's clock" \
    "  the dates, and the clock"
unlike "$(cat "$T/err")" "fingerprint" "  no 'pin it'"

# ----------------------------------------------------------- wrong name
rm -rf "$T/q"
serve wrongname; cfg 127.0.0.1 "$PORT"; send; rc=$?; stop
is "$rc" 77 "name mismatch: exit 77"
like "$(cat "$T/err")" "TLS certificate of 127.0.0.1 is for mail.example.org, not for 127.0.0.1: set host to one of those names, or tls_server_name = NAME" \
    "  the names it carries, and tls_server_name"
unlike "$(cat "$T/err")" "fingerprint" "  no 'pin it'"
serve wrongname; cfg localhost "$PORT"; send; rc=$?; stop
like "$(cat "$T/err")" "TLS certificate of localhost is for mail.example.org, not for localhost" \
    "  by host name too"
TMO=2; serve wrongname; cfg 127.0.0.1 "$PORT" "tls_server_name = mail.example.org"; TMO=; send; rc=$?; stop
like "$(cat "$T/err")" "greeting" "  tls_server_name = the certificate's name passes verification (on to the greeting)"

# ----------------------------------------------------------- unknown CA
rm -rf "$T/q"
TRUST=$C/other-ca.pem
serve server; cfg 127.0.0.1 "$PORT"; send; rc=$?; stop
TRUST=
is "$rc" 77 "unknown CA: exit 77"
like "$(cat "$T/err")" "TLS certificate verification failed for 127.0.0.1: .*set tls_trust_file to the CA that signed it" \
    "  tls_trust_file"

# ------------------------------------- implicit TLS on a plain-text port
# A server that greets in plain text, as on port 587: the ClientHello gets
# "220 ..." back, which is no TLS record. A configuration error, at once.
PORT=$(free_port)
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
held = []
while True:
    c, _ = s.accept(); c.sendall(b"220 plain.example ESMTP\r\n"); held.append(c)
' "$PORT" &
SPID=$!
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1).close()" 2>/dev/null \
      || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
rm -rf "$T/q"
TMO=30; cfg 127.0.0.1 "$PORT"; TMO=
start=$(date +%s)
send; rc=$?
took=$(( $(date +%s) - start ))
stop
is "$rc" 78 "tls = implicit on a port that greets in plain text: exit 78"
like "$(cat "$T/err")" "(greets in plain text before any TLS|the server answered in plain text \(wrong version number\)).*this port expects STARTTLS.*set tls = starttls" \
    "  set tls = starttls"
is "$(failed_count)" 1 "  the message is kept in failed/"
is "$(queued_count)" 0 "  not queued for retries"
ok "$([ "$took" -lt 5 ]; echo $?)" "  at once (${took} s, timeout 30 s)"

# ------------------------------------------------------- NXDOMAIN: 68
rm -rf "$T/q"
cfg no-such-host.invalid 587
start=$(date +%s)
send; rc=$?
took=$(( $(date +%s) - start ))
is "$rc" 68 "NXDOMAIN for the host: exit 68 (a configuration error, not five days of retries)"
like "$(cat "$T/err")" "cannot connect to no-such-host.invalid:587: no such host: the name no-such-host.invalid does not exist in DNS; check host" \
    "  the hint to check host"
is "$(failed_count)" 1 "  the message is kept in failed/"
is "$(queued_count)" 0 "  and not queued for retries"
ok "$([ "$took" -lt 5 ]; echo $?)" "  at once (${took} s)"

# ---------------------------------------- a resolver that does not answer
# A private mount namespace whose resolv.conf names a closed port: the
# resolver cannot be reached (EAI_AGAIN), which stays temporary.
printf 'nameserver 127.0.0.9\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    rm -rf "$T/q"
    msg | unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && exec "$2" -C "$3" -a t b@example.net' \
        sh "$T/resolv.conf" "$MAILOUT" "$T/c.ini" >"$T/out" 2>"$T/err"; rc=$?
    is "$rc" 0 "resolver unreachable: queued (exit 0)"
    like "$(cat "$T/err")" "queued as .*temporary failure in name resolution; will retry" "  as a temporary failure"
    is "$(queued_count)" 1 "  in the queue"
else
    TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - resolver unreachable # SKIP needs root and unshare"
fi

# ------------------------------------ tls = starttls at a TLS-only port 465
# openssl s_server on port 465 (of a loopback address of this test's own)
# waits for a ClientHello and never greets: found in 5 s, not the timeout.
A=127.0.$(( $$ % 200 + 20 )).$(( $$ % 250 + 2 ))
openssl s_server -accept "$A:465" -cert "$C/server.pem" -key "$C/server.key" -quiet \
    </dev/null >"$T/s_server.log" 2>&1 &
SPID=$!
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('$A',465),1).close()" 2>/dev/null \
      || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$SPID" 2>/dev/null; then
    rm -rf "$T/q"
    printf '[mailout]\nqueue_dir = %s/q\n[account t]\nhost = %s\nport = 465\ntls = starttls\ntimeout = 60\nfrom = a@example.org\n' \
        "$T" "$A" >"$T/c.ini"
    start=$(date +%s)
    send; rc=$?
    took=$(( $(date +%s) - start ))
    stop
    is "$rc" 78 "tls = starttls on port 465 (openssl s_server): exit 78"
    like "$(cat "$T/err")" "no greeting from $A within 5 s: port 465 speaks TLS from the start; set tls = implicit" \
        "  set tls = implicit"
    ok "$([ "$took" -le 8 ]; echo $?)" "  found in ${took} s, with a timeout of 60 s"
    is "$(failed_count)" 1 "  the message is kept in failed/"
    is "$(queued_count)" 0 "  not queued for five days of retries"
else
    TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - port 465 # SKIP cannot listen on $A:465"
fi

# ------------------------------------------- refusals, by the fault server
# tests/hints/*.test: as tests/faults/, but a test whose host is a
# provider's name runs in a private mount namespace whose /etc/hosts maps
# that name to 127.0.0.1, so that the hint is chosen by the real host name.
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"
FAULT_CERTS=$C; export FAULT_CERTS
printf '127.0.0.1 localhost smtp.gmail.com smtp.office365.com smtp.example.com\n' >"$T/hosts"
can_ns=false
[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null && can_ns=true
for test in "$top_srcdir"/tests/hints/*.test; do
    name=${test##*/}; name=${name%.test}
    d=$T/h-$name
    mkdir -p "$d"
    $FS serve "$test" "$d" &
    spid=$!
    i=0
    while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    . "$d/vars.sh"
    if grep -q '^host = smtp\.' "$d/config.ini"; then
        if ! $can_ns; then
            kill $spid 2>/dev/null; wait $spid 2>/dev/null
            TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $name # SKIP needs root and unshare"
            continue
        fi
        unshare -m sh -c 'mount --bind "$1" /etc/hosts && exec "$2" -C "$3" -a fault -f sender@example.org rcpt@example.net' \
            sh "$T/hosts" "$MAILOUT" "$d/config.ini" <"$d/message" >"$d/stdout" 2>"$d/stderr"
    else
        "$MAILOUT" -C "$d/config.ini" -a fault -f sender@example.org rcpt@example.net \
            <"$d/message" >"$d/stdout" 2>"$d/stderr"
    fi
    code=$?
    i=0
    while kill -0 $spid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill $spid 2>/dev/null; wait $spid 2>/dev/null
    is "$code" "$t_exit" "$name: exit code ($t_desc)"
    like "$(cat "$d/stderr")" "$t_error" "$name: the hint"
    if $FS check "$test" "$d" >"$d/check" 2>&1; then ok 0 "$name: server transcript"
    else ok 1 "$name: server transcript"; sed 's/^/#   /' "$d/check"; fi
done

done_testing
