#!/bin/sh
# scram-plus.sh - SCRAM-SHA-256-PLUS end to end (issue 7.1): mailout against a
# scripted server (test-sasl serve) that computes the channel binding on its
# own side with OpenSSL - tls-exporter on TLS 1.3, tls-server-end-point on
# TLS 1.2 - and checks the client's c= against it. A binding that differs
# (a TLS interceptor) and a wrong server signature are authentication
# failures (77), never a fallback.
. "$top_srcdir/tests/tap.sh"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
command -v openssl >/dev/null || skip_all "openssl is not installed"
TSASL="$top_builddir/tests/test-sasl"

sh "$top_srcdir/tests/lib/mkcerts.sh" "$T/pki" >/dev/null 2>&1 \
    || skip_all "cannot make test certificates"

# run TLSVER MODE AUTH: one server, one mailout run; sets RC, ERR, SEEN.
run() {
    rm -f "$T/port" "$T/seen"
    "$TSASL" serve "$T/pki/server.pem" "$T/pki/server.key" "$1" "$2" "$T/port" "$T/seen" &
    spid=$!
    i=0; while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    cat >"$T/c.ini" <<EOT
[mailout]
queue_dir = $T/queue
[account plus]
host = 127.0.0.1
port = $(cat "$T/port")
tls = starttls
tls_trust_file = $T/pki/ca.pem
from = me@test
user = u@test
password_command = printf 'pw plus'
auth = $3
queue = off
timeout = 10
EOT
    chmod 600 "$T/c.ini"
    printf 'Subject: plus\n\nbody\n' | timeout 30 "$MAILOUT" -C "$T/c.ini" -f me@test you@test >"$T/out" 2>"$T/err"
    RC=$?
    ERR=$(cat "$T/err")
    i=0; while kill -0 "$spid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
    SEEN=$(cat "$T/seen" 2>/dev/null)
}

run 13 good scram-sha-256-plus
is "$RC" 0 "TLS 1.3, auth=scram-sha-256-plus: delivered ($ERR)"
like "$SEEN" '^auth ok gs2=p=tls-exporter,, tls=TLSv1\.3' "the server checked a tls-exporter binding: $SEEN"

run 12 good scram-sha-256-plus
is "$RC" 0 "TLS 1.2, auth=scram-sha-256-plus: delivered ($ERR)"
like "$SEEN" '^auth ok gs2=p=tls-server-end-point,, tls=TLSv1\.2' "the server checked a tls-server-end-point binding: $SEEN"

run 13 good auto
is "$RC" 0 "auth=auto: delivered"
like "$SEEN" '^auth ok gs2=p=tls-exporter,,' "auto chose SCRAM-SHA-256-PLUS"

# RFC 5802 §6: a client that could bind but picks plain SCRAM although the
# server offers -PLUS must send "n"; "y" there means a downgrade and the
# server fails it. smtp.c sets the binding on plain SCRAM only when the
# server does not offer the -PLUS variant.
run 13 good scram-sha-256
is "$RC" 0 "auth=scram-sha-256 where -PLUS is offered: delivered ($ERR)"
like "$SEEN" '^auth ok gs2=n,,' "the client said n,, ($SEEN)"

run 13 badcb scram-sha-256-plus
is "$RC" 77 "a channel binding that differs (interceptor): 77"
like "$SEEN" '^cb mismatch' "the server saw the mismatch"
like "$ERR" 'channel-bindings-dont-match' "the error shows the server's reason"

run 12 badcb auto
is "$RC" 77 "auto with a binding that differs: 77, no fallback to plain SCRAM"

run 13 badsig scram-sha-256-plus
is "$RC" 77 "a wrong server signature: 77"
like "$ERR" 'signature does not verify' "saying the server did not prove the password"
unlike "$(cat "$T/out" "$T/err")" 'pw plus' "the password shows nowhere"
done_testing
