#!/bin/sh
# check-connect.sh - --check-config --connect (SPEC §1) against the private
# Postfix (tests/lib/postfix.sh) and openssl s_server: each step reported
# (connect, greeting, TLS with the certificate, the EHLO extensions, AUTH,
# MAIL FROM), nothing sent, the failing step with the hint a send gives and
# its exit code, the password never shown.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
command -v openssl >/dev/null || skip_all "no openssl"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }

HOME=$T/home; export HOME
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME"

cat >"$T/c.ini" <<EOF
[mailout]
queue_dir = $T/q

[account test]
host = localhost
port = $PF_STARTTLS_PORT
tls = starttls
tls_trust_file = $PF_CA
from = sender@test.example
user = $PF_USER
password = $PF_PASS
auth = plain
timeout = 20

[account implicit]
inherit = test
port = $PF_TLS_PORT
tls = implicit

[account wrongpw]
inherit = test
password = not-the-pass-word

[account mismatch]
inherit = test
host = 127.0.0.2
port = $PF_MISMATCH_PORT

[account plain]
host = 127.0.0.1
port = $PF_PLAIN_PORT
tls = off
from = sender@test.example
timeout = 20
EOF
chmod 600 "$T/c.ini"

# check ARGS... - run it; sets RC, OUT (stdout), ERR (stderr)
check() {
    timeout 120 "$MAILOUT" -C "$T/c.ini" --check-config --connect "$@" </dev/null >"$T/out" 2>"$T/err"
    RC=$?
    OUT=$(cat "$T/out") ERR=$(cat "$T/err")
}

# ------------------------------------------------------------ all fine
check -a test
is "$RC" 0 "STARTTLS + AUTH: exit 0"
like "$OUT" "^the server of account test, step by step:$" "  the report is headed by the account"
like "$OUT" "^  connect: +ok, localhost port $PF_STARTTLS_PORT \((127\.0\.0\.1|::1)\)$" "  connect step"
like "$OUT" "^  greeting: +ok, 220 mx\.test\.example ESMTP" "  greeting step"
like "$OUT" "^  TLS: +ok, TLSv1\.[23], cipher [A-Z0-9_-]+ \(STARTTLS\)$" "  TLS step: version, cipher"
like "$OUT" "certificate subject: .*CN = localhost" "  the certificate's subject"
like "$OUT" "issuer: .*CN = mailout test CA" "  its issuer"
like "$OUT" "valid from [0-9-]+ [0-9:]+Z until [0-9-]+ [0-9:]+Z" "  its validity"
like "$OUT" "verified: yes \(chain and name\)" "  the verification result"
like "$OUT" "^  EHLO: +ok, extensions: .*PIPELINING, SIZE 60000000, .*AUTH PLAIN LOGIN .*CHUNKING$" \
    "  EHLO step: every extension, SIZE with its value"
like "$OUT" "^  AUTH: +ok, logged in as alice@test\.example with PLAIN \(offered: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256\)$" \
    "  AUTH step: user, mechanism, what the server offers"
like "$OUT" "^  MAIL FROM: ok, <sender@test\.example> accepted: 250 2\.1\.0 Ok$" "  MAIL FROM step"
like "$OUT" "^  QUIT: +ok, RSET and QUIT sent, no message was sent$" "  ends with RSET and QUIT"
like "$OUT" "no problems found" "  no problems"
order=$(printf '%s\n' "$OUT" | sed -n 's/^  \([A-Za-z][A-Za-z ]*\): .*/\1/p' | tr '\n' ,)
is "$order" "connect,greeting,TLS,EHLO,AUTH,MAIL FROM,QUIT," "  the steps in the order they happen"
unlike "$OUT$ERR" "s3cret|pass-word" "  the password shows nowhere"
like "$(cat "$PF_LOG")" "disconnect from .* ehlo=2 starttls=1 auth=1 mail=1 rset=1 quit=1 commands=7$" \
    "  Postfix saw EHLO, STARTTLS, AUTH, MAIL, RSET, QUIT and nothing else"
sleep 1
is "$(postfix_mail_count)" 0 "  no message was sent"

check -a implicit
is "$RC" 0 "implicit TLS: exit 0"
order=$(printf '%s\n' "$OUT" | sed -n 's/^  \([A-Za-z][A-Za-z ]*\): .*/\1/p' | tr '\n' ,)
is "$order" "connect,TLS,greeting,EHLO,AUTH,MAIL FROM,QUIT," "  TLS before the greeting"
like "$OUT" "^  TLS: +ok, TLSv1\.[23], cipher .* \(from the start\)$" "  says so"

check -a plain
is "$RC" 0 "plain port without a login: exit 0"
like "$OUT" "^  TLS: +none: tls = off" "  TLS step: none"
like "$OUT" "^  EHLO: +ok, extensions: .*STARTTLS" "  STARTTLS listed among the extensions"
like "$OUT" "^  AUTH: +not used: account plain does not log in \(offered: none\)$" "  AUTH step: not used"
like "$OUT" "^  MAIL FROM: ok" "  MAIL FROM accepted"

# ------------------------------------------------------ wrong password
check -a wrongpw
is "$RC" 77 "wrong password: exit 77 (as a send)"
like "$OUT" "^  AUTH: +FAILED: authentication failed: 535 5\.7\.8 .* — check user and password of account wrongpw$" \
    "  the AUTH step fails, with the hint"
unlike "$OUT" "MAIL FROM:|QUIT:" "  no step after it"
like "$ERR" "^mailout: \[account wrongpw\] authentication failed: 535" "  and one problem line on stderr"
like "$OUT" "^1 problem found$" "  counted"
unlike "$OUT$ERR" "not-the-pass-word|s3cret" "  neither password shows"

# ------------------------------------------------------- name mismatch
check -a mismatch
is "$RC" 77 "certificate for another name: exit 77"
like "$OUT" "^  greeting: +ok" "  the greeting step before it passed"
like "$OUT" "^  TLS: +FAILED: TLS handshake: TLS certificate of 127\.0\.0\.2 is for localhost, 127\.0\.0\.1, ::1, not for 127\.0\.0\.2: set host to one of those names, or tls_server_name" \
    "  the TLS step fails naming the certificate's names"
unlike "$OUT" "EHLO:|AUTH:" "  no step after it"

# ------------------------------------------------------ every account
check
is "$RC" 77 "all accounts: the exit code of the first failure (wrongpw: 77)"
n=$(printf '%s\n' "$OUT" | grep -c 'step by step:$')
is "$n" 5 "  every account's server is tried"
like "$OUT" "^2 problems found$" "  the two failures counted"

# ------------------------------------------ openssl s_server: TLS steps
C=$T/certs
sh "$top_srcdir/tests/lib/mkcerts.sh" "$C" >/dev/null 2>&1 || skip_all "cannot make test certificates"
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
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
sconf() {
    printf '[account s]\nhost = 127.0.0.1\nport = %s\ntls = %s\ntls_trust_file = %s\ntimeout = %s\nfrom = a@example.org\n' \
        "$PORT" "$1" "$C/ca.pem" "${2:-30}" >"$T/s.ini"
}

serve expired; sconf implicit
timeout 60 "$MAILOUT" -C "$T/s.ini" --check-config --connect >"$T/out" 2>"$T/err"; RC=$?; stop
OUT=$(cat "$T/out")
is "$RC" 77 "expired certificate: exit 77"
like "$OUT" "^  connect: +ok" "  connected"
like "$OUT" "^  TLS: +FAILED: .*has expired: valid from 2020-01-01 00:00:00 UTC until 2021-01-01 00:00:00 UTC.*check the server's certificate or this machine's clock" \
    "  the TLS step fails with the dates and what to check"

# a TLS port (not 465) configured for STARTTLS: no greeting comes
serve server; sconf starttls 3
timeout 60 "$MAILOUT" -C "$T/s.ini" --check-config --connect >"$T/out" 2>"$T/err"; RC=$?; stop
OUT=$(cat "$T/out")
is "$RC" 75 "no greeting (a TLS port, tls = starttls): exit 75, as a send"
like "$OUT" "^  greeting: +FAILED: .*timed out after 3 s waiting for the greeting .*set tls = implicit" \
    "  the greeting step fails, naming tls = implicit"

done_testing
