#!/bin/sh
# delivery.sh - mailout end to end against a real Postfix with Cyrus SASL
# (tests/lib/postfix.sh): every AUTH mechanism (Postfix's log names the one
# used), TLS verification failures, pinning, IPv6, implicit TLS, plain, a
# 25 MB message byte-exact, -t with Bcc, 8-bit, the intake edge cases,
# refused recipients and the log line of SPEC §6.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
postfix_require_delivery

FROM=sender@test.example
# conf NAME [KEY=VALUE...] - write $T/NAME.ini: account "test" on the
# STARTTLS port with AUTH PLAIN, changed by the KEY=VALUE pairs (an empty
# VALUE drops the key).
conf() {
    _f=$T/$1.ini; shift
    {
        printf '[mailout]\nqueue_dir = %s\nlogfile = %s\n\n[account test]\n' \
            "${QDIR:-$T/queue}" "$T/mailout.log"
        for _kv in "host=localhost" "port=$PF_STARTTLS_PORT" "tls=starttls" \
                   "tls_trust_file=$PF_CA" "from=$FROM" "user=$PF_USER" \
                   "password=$PF_PASS" "auth=plain" "timeout=30"; do
            _k=${_kv%%=*} _skip=
            for _o in "$@"; do [ "${_o%%=*}" = "$_k" ] && _skip=1; done
            [ -z "$_skip" ] && printf '%s = %s\n' "$_k" "${_kv#*=}"
        done
        for _o in "$@"; do
            [ -n "${_o#*=}" ] && printf '%s = %s\n' "${_o%%=*}" "${_o#*=}"
        done
    } > "$_f"
    chmod 600 "$_f"
}

# send CONF MSGFILE [ARG...] - run mailout; sets RC, ERR (stderr text).
send() {
    _c=$1 _m=$2; shift 2
    timeout 300 "$MAILOUT" -C "$T/$_c.ini" "$@" < "$_m" > "$T/out" 2> "$T/err"
    RC=$?
    ERR=$(cat "$T/err")
}

# msg FILE RCPT [BODY] - a small message to RCPT.
msg() {
    printf 'From: Sender <%s>\nTo: <%s>\nSubject: delivery test\n\n%s\n' \
        "$FROM" "$2" "${3:-hello from mailout}" > "$1"
}

# body FILE - the body (after the first empty line) of a captured message.
body() { sed '1,/^$/d' "$1"; }
# header_of FILE NAME - the value of header field NAME (first line only).
header_of() { sed -n "/^\$/q;s/^$2: //p" "$1"; }

logcount() { grep -c -- "$1" "$PF_LOG"; }

# ---------------------------------------------------------------- AUTH
for mech in plain login cram-md5 scram-sha-1 scram-sha-256; do
    M=$(echo "$mech" | tr a-z A-Z)
    before=$(logcount "sasl_method=$M,")
    conf "$mech" "auth=$mech"
    msg "$T/m" "auth-$mech@example.net"
    send "$mech" "$T/m" "auth-$mech@example.net"
    is "$RC" 0 "auth=$mech: exit 0"
    f=$(postfix_wait_for "auth-$mech@example.net")
    ok $? "auth=$mech: message arrived"
    like "$(cat "$f" 2>/dev/null)" "Authenticated sender: $PF_USER" "auth=$mech: Received names the SASL user"
    is "$(logcount "sasl_method=$M,")" $((before + 1)) "auth=$mech: Postfix logged sasl_method=$M"
done

before=$(logcount "sasl_method=SCRAM-SHA-256,")
conf auto auth=auto
msg "$T/m" auto@example.net
send auto "$T/m" --debug auto@example.net
is "$RC" 0 "auth=auto: exit 0"
postfix_wait_for auto@example.net >/dev/null
is "$(logcount "sasl_method=SCRAM-SHA-256,")" $((before + 1)) "auth=auto picks SCRAM-SHA-256"
like "$ERR" '^C: (EHLO|STARTTLS)' "--debug shows the C: side"
like "$ERR" '^S: 220 ' "--debug shows the S: side"
unlike "$ERR" "$PF_PASS" "--debug never shows the password"

conf badpw "password=wrong password"
msg "$T/m" badpw@example.net
send badpw "$T/m" badpw@example.net
is "$RC" 77 "wrong password: exit 77"
like "$ERR" 'authentication failed.*535' "wrong password: message names the stage and the 535 reply"
unlike "$ERR" 'wrong password' "wrong password: the password is not printed"

# ---------------------------------------------------------------- TLS
conf otherca "tls_trust_file=$PF_OTHER_CA"
msg "$T/m" otherca@example.net
send otherca "$T/m" otherca@example.net
is "$RC" 77 "unknown CA: exit 77"
like "$ERR" '[Cc]ertificate|verif' "unknown CA: the message says the certificate was not verified"

conf mismatch host=127.0.0.2 "port=$PF_MISMATCH_PORT"
msg "$T/m" mismatch@example.net
send mismatch "$T/m" mismatch@example.net
is "$RC" 77 "certificate not naming 127.0.0.2: exit 77"
like "$ERR" '127\.0\.0\.2' "name mismatch: the message names the host"

fp=$(openssl x509 -in "$PF_CERTS/server.pem" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/')
conf pin "tls_fingerprint=$fp" "tls_trust_file=$PF_OTHER_CA"
msg "$T/m" pin@example.net
send pin "$T/m" pin@example.net
is "$RC" 0 "tls_fingerprint pin accepts the pinned certificate (even from an untrusted CA)"
postfix_wait_for pin@example.net >/dev/null; ok $? "pinned: message arrived"
timeout 60 "$MAILOUT" -C "$T/pin.ini" --serverinfo > "$T/out" 2>&1
ok $? "--serverinfo: exit 0"
like "$(cat "$T/out")" "$fp\$" "--serverinfo prints the certificate's full SHA-256 fingerprint"
like "$(cat "$T/out")" 'AUTH .*SCRAM-SHA-256' "--serverinfo lists the AUTH mechanisms after STARTTLS"
send otherca "$T/m" otherca@example.net
like "$ERR" "$fp" "unknown CA: the error offers the full fingerprint to pin"
badfp=SHA256:$(printf '00:%.0s' $(seq 31))00
conf badpin "tls_fingerprint=$badfp"
msg "$T/m" badpin@example.net
send badpin "$T/m" badpin@example.net
is "$RC" 77 "wrong tls_fingerprint: exit 77"
like "$ERR" 'fingerprint' "wrong pin: the message says so"

conf ipv6 host=::1
msg "$T/m" ipv6@example.net
send ipv6 "$T/m" ipv6@example.net
is "$RC" 0 "host = ::1: exit 0"
f=$(postfix_wait_for ipv6@example.net)
like "$(cat "$f" 2>/dev/null)" 'IPv6:::1\]' "host = ::1: came over IPv6"
like "$(cat "$f" 2>/dev/null)" 'using TLSv1\.[23]' "host = ::1: over TLS"

conf implicit tls=implicit "port=$PF_TLS_PORT"
msg "$T/m" implicit@example.net
send implicit "$T/m" implicit@example.net
is "$RC" 0 "implicit TLS: exit 0"
f=$(postfix_wait_for implicit@example.net)
like "$(cat "$f" 2>/dev/null)" 'using TLSv1\.[23]' "implicit TLS: Received shows TLS"
like "$(cat "$f" 2>/dev/null)" "Authenticated sender: $PF_USER" "implicit TLS: authenticated"

conf plain tls=off auth=off user= password= "port=$PF_PLAIN_PORT"
msg "$T/m" plain@example.net
send plain "$T/m" plain@example.net
is "$RC" 0 "plain, no AUTH: exit 0"
f=$(postfix_wait_for plain@example.net)
unlike "$(cat "$f" 2>/dev/null)" 'using TLS|Authenticated sender' "plain: no TLS, no AUTH"

conf plainauth tls=off "port=$PF_PLAIN_PORT"
msg "$T/m" plainauth@example.net
send plainauth "$T/m" plainauth@example.net
is "$RC" 77 "a password over an unencrypted connection is refused: exit 77"

# The plain port offers STARTTLS but no AUTH: with a user, never send unauthenticated.
conf noauth "port=$PF_PLAIN_PORT"
msg "$T/m" noauth@example.net
send noauth "$T/m" noauth@example.net
is "$RC" 77 "server offers no AUTH but the account has a user: exit 77"
like "$ERR" 'AUTH|authentication' "no AUTH offered: the message says why"
postfix_wait_idle
is "$(postfix_mail_for noauth@example.net)" "" "no AUTH offered: nothing was sent"

conf ccert "tls_cert_file=$PF_CERTS/client.pem" "tls_key_file=$PF_CERTS/client.key"
msg "$T/m" ccert@example.net
send ccert "$T/m" ccert@example.net
is "$RC" 0 "client certificate: exit 0"
f=$(postfix_wait_for ccert@example.net)
like "$(cat "$f" 2>/dev/null)" 'Client CN "mailout test client", Issuer "mailout test CA" \(verified OK\)' \
    "client certificate: Postfix saw and verified it"

# ---------------------------------------------------------------- envelope
conf env
msg "$T/m" envf@example.net
send env "$T/m" -f other@test.example envf@example.net
is "$RC" 0 "-f ADDR: exit 0"
f=$(postfix_wait_for envf@example.net)
is "$(sed -n 's/^sender=//p' "${f%.eml}.env")" "other@test.example" "-f ADDR: the envelope sender"

msg "$T/m" null@example.net
send env "$T/m" -f '<>' null@example.net
is "$RC" 0 "-f '<>': exit 0"
f=$(postfix_wait_for null@example.net)
is "$(sed -n 's/^sender=//p' "${f%.eml}.env")" "" "-f '<>': the null sender"

msg "$T/m" dsn@example.net
send env "$T/m" --debug -N success,failure -R hdrs -V envid42 dsn@example.net
is "$RC" 0 "DSN options: exit 0"
like "$ERR" 'MAIL FROM:<[^>]*>.* RET=HDRS' "DSN: RET=HDRS on MAIL FROM"
like "$ERR" 'MAIL FROM:<[^>]*>.* ENVID=envid42' "DSN: ENVID on MAIL FROM"
like "$ERR" 'RCPT TO:<dsn@example\.net>.* NOTIFY=SUCCESS,FAILURE' "DSN: NOTIFY on RCPT TO"
postfix_wait_for dsn@example.net >/dev/null
f=$(postfix_wait_for sender@test.example)
m=$(cat "$f" 2>/dev/null)
like "$m" 'Action: (delivered|relayed)' "DSN: NOTIFY=SUCCESS made Postfix send a success notice"
like "$m" 'Original-Envelope-Id: envid42' "DSN: the server got the ENVID"
like "$m" 'Content-Type: text/rfc822-headers' "DSN: RET=HDRS returned the headers only"

printf 'From: <%s>\nTo: <j\303\274rgen@example.net>\nSubject: utf8\n\nx\n' "$FROM" > "$T/m"
send env "$T/m" --debug "$(printf 'j\303\274rgen@example.net')"
is "$RC" 0 "UTF-8 recipient: exit 0"
like "$ERR" 'MAIL FROM:.* SMTPUTF8' "UTF-8 recipient: MAIL FROM asks for SMTPUTF8"
postfix_wait_for "$(printf 'j\303\274rgen@example.net')" >/dev/null
ok $? "UTF-8 recipient: message arrived for the UTF-8 address"

# ---------------------------------------------------------------- data
# 25 MB: lines of varied length, some starting with dots, 8-bit free.
awk 'BEGIN { printf "From: <%s>\nTo: <big@example.net>\nSubject: 25 MB\n\n", "'"$FROM"'";
             line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
             n = 0; i = 0;
             while (n < 25 * 1024 * 1024) {
                 l = (i % 7 == 0 ? "." : "") substr(line line, 1, 1 + (i * 37) % 120);
                 print l; n += length(l) + 1; i++ } }' > "$T/big"
want=$(body "$T/big" | sha256sum)
conf big
send big "$T/big" big@example.net
is "$RC" 0 "25 MB message: exit 0"
f=$(postfix_wait_for big@example.net 120)
is "$(body "$f" | sha256sum)" "$want" "25 MB message: body arrived byte-exact"
rm -f "$T/big"

# Two recipients: the DATA path with dot-stuffing (BDAT, when offered, may
# carry single-recipient mail). 2 MB, every third line starting with dots.
awk 'BEGIN { printf "From: <%s>\nTo: <two1@example.net>, <two2@example.net>\nSubject: 2 MB\n\n", "'"$FROM"'";
             n = 0; i = 0;
             while (n < 2 * 1024 * 1024) {
                 l = (i % 3 == 0 ? substr("...", 1, 1 + i % 2) : "") "line " i;
                 if (i % 101 == 0) l = ".";
                 print l; n += length(l) + 1; i++ } }' > "$T/two"
want=$(body "$T/two" | sha256sum)
conf std
send std "$T/two" -i -t
is "$RC" 0 "2 MB dot-heavy message to two recipients: exit 0"
for r in two1 two2; do
    f=$(postfix_wait_for "$r@example.net" 60)
    is "$(body "$f" | sha256sum)" "$want" "dot-heavy message to $r: body arrived byte-exact"
done

conf std
printf 'From: <%s>\nTo: <to1@example.net>\nCc: <cc1@example.net>\nBcc: <bcc1@example.net>\nSubject: bcc\n\nbcc test\n' "$FROM" > "$T/m"
send std "$T/m" -t
is "$RC" 0 "-t with Bcc: exit 0"
for r in to1 cc1 bcc1; do
    f=$(postfix_wait_for "$r@example.net")
    ok $? "-t: $r@example.net got it"
    unlike "$(sed '/^$/q' "$f" 2>/dev/null)" 'X-Leaked-Bcc|bcc1@' "-t: no Bcc header reached the server ($r)"
done

printf 'From: <%s>\nTo: <eight@example.net>\nSubject: 8bit\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\303\274\303\237e, na\303\257ve caf\303\251 \342\202\254 \360\237\223\254\n\377\376 raw bytes\n' "$FROM" > "$T/m"
send std "$T/m" --debug eight@example.net
is "$RC" 0 "8-bit body: exit 0"
like "$ERR" 'MAIL FROM:.*BODY=8BITMIME' "8-bit body: MAIL FROM says BODY=8BITMIME"
f=$(postfix_wait_for eight@example.net)
is "$(body "$f" | od -An -tx1)" "$(body "$T/m" | od -An -tx1)" "8-bit body: arrived byte-exact"

# Intake edge cases: what arrives is what the caller meant.
printf 'From: <%s>\r\nTo: <crlf@example.net>\r\nSubject: crlf\r\n\r\nline one\r\nline two\r\n' "$FROM" > "$T/m"
send std "$T/m" crlf@example.net
is "$RC" 0 "CRLF input: exit 0"
f=$(postfix_wait_for crlf@example.net)
is "$(body "$f" | od -c | head -3)" "$(printf 'line one\nline two\n' | od -c | head -3)" "CRLF input: lines arrive without stray CRs"
like "$(sed -n 's/^Subject: //p' "$f" 2>/dev/null | od -c)" 'c   r   l   f  \\n' "CRLF input: header has no stray CR"

printf 'From: <%s>\nTo: <nonl@example.net>\nSubject: no newline\n\nlast line without newline' "$FROM" > "$T/m"
send std "$T/m" nonl@example.net
is "$RC" 0 "no final newline: exit 0"
f=$(postfix_wait_for nonl@example.net)
is "$(body "$f")" "last line without newline" "no final newline: body arrives"

printf 'From: <%s>\nTo: <dot-i@example.net>\nSubject: dot\n\nbefore\n.\nafter\n' "$FROM" > "$T/m"
send std "$T/m" -i dot-i@example.net
is "$RC" 0 "-i with a lone dot: exit 0"
f=$(postfix_wait_for dot-i@example.net)
is "$(body "$f")" "before
.
after" "-i: the lone dot and what follows arrive"

printf 'From: <%s>\nTo: <dot@example.net>\nSubject: dot\n\nbefore\n.\nafter\n' "$FROM" > "$T/m"
send std "$T/m" dot@example.net
is "$RC" 0 "without -i a lone dot ends the input: exit 0"
f=$(postfix_wait_for dot@example.net)
is "$(body "$f")" "before" "without -i: the message ends at the lone dot"

printf 'From: <%s>\nTo: <dots@example.net>\nSubject: dots\n\n.leading dot\n..two dots\n. dot space\n...\n.\n' "$FROM" > "$T/m"
send std "$T/m" -i dots@example.net
is "$RC" 0 "lines starting with dots: exit 0"
f=$(postfix_wait_for dots@example.net)
is "$(body "$f")" ".leading dot
..two dots
. dot space
...
." "lines starting with dots arrive unstuffed, as written"

printf 'From: <%s>\nTo: <cr@example.net>\nSubject: cr\r\r\n\nbare\rCR inside\nend\n' "$FROM" > "$T/m"
send std "$T/m" cr@example.net
is "$RC" 0 "bare CR in the body, CR CR LF after a header: exit 0"
f=$(postfix_wait_for cr@example.net)
# mailout(1): a bare CR is sent as a line end (no smuggling sequence can form).
is "$(body "$f" | od -An -c | tr -s ' ')" "$(printf 'bare\nCR inside\nend\n' | od -An -c | tr -s ' ')" \
    "bare CR in the body arrives as a line end, as the manual says"
is "$(sed -n 's/^Subject: //p' "$f" | od -An -c | tr -s ' ')" " c r \\n" "CR CR LF at a header end: the CRs are gone"

printf 'From: <%s>\nTo: <hdronly@example.net>\nSubject: header only' "$FROM" > "$T/m"
send std "$T/m" hdronly@example.net
is "$RC" 0 "header-only input without a newline: exit 0"
f=$(postfix_wait_for hdronly@example.net)
is "$(header_of "$f" Subject)" "header only" "header-only: header arrives"
is "$(body "$f")" "" "header-only: empty body"

long=$(printf '%05000d' 0 | tr 0 x)
printf 'From: <%s>\nTo: <longline@example.net>\nSubject: long\n\n%s\nshort\n' "$FROM" "$long" > "$T/m"
send std "$T/m" longline@example.net
is "$RC" 0 "a 5000-octet body line: exit 0"
f=$(postfix_wait_for longline@example.net)
is "$(body "$f" | sha256sum)" "$(printf '%s\nshort\n' "$long" | sha256sum)" "5000-octet line arrives whole"

printf 'From someone@example.org Mon Nov 23 10:00:00 2026\nFrom: <%s>\nTo: <mbox@example.net>\nSubject: mbox\n\nbody\n' "$FROM" > "$T/m"
send std "$T/m" mbox@example.net
is "$RC" 0 "an mbox From_ line first: exit 0"
f=$(postfix_wait_for mbox@example.net)
unlike "$(cat "$f")" '^From someone' "the mbox From_ line is dropped"

printf 'no header here\nsecond line\n' > "$T/m"
send std "$T/m" nohdr@example.net
is "$RC" 0 "input without a header: exit 0"
f=$(postfix_wait_for nohdr@example.net)
is "$(body "$f")" "no header here
second line" "input without a header: all of it is body"
like "$(header_of "$f" From)" "$FROM" "input without a header: From added"

: > "$T/m"
send std "$T/m" empty@example.net
is "$RC" 0 "empty input: exit 0"
f=$(postfix_wait_for empty@example.net)
like "$(header_of "$f" Date)" '[0-9]{4} [0-9:]{8} [-+][0-9]{4}$' "empty input: arrives with a Date"
is "$(body "$f")" "" "empty input: empty body"

printf 'From: =?utf-8?q?x?= <%s>\nTo: <hdr8@example.net>\nSubject: Gr\303\274\303\237e aus K\303\266ln\n\nx\n' "$FROM" > "$T/m"
send std "$T/m" hdr8@example.net
is "$RC" 0 "8-bit header: exit 0"
f=$(postfix_wait_for hdr8@example.net)
is "$(header_of "$f" Subject)" "$(printf 'Gr\303\274\303\237e aus K\303\266ln')" "8-bit header arrives intact"

# ---------------------------------------------------------------- refusals
conf small tls=off auth=off user= password= "port=$PF_SMALL_PORT"
awk 'BEGIN { printf "Subject: too big\n\n"; for (i = 0; i < 400; i++) print "0123456789012345678901234567890123456789012345678901234567890123456789" }' > "$T/m"
postfix_wait_idle
send small "$T/m" --debug toobig@example.net
is "$RC" 69 "a message over the server's SIZE: exit 69"
like "$ERR" '[Ss][Ii][Zz][Ee]|too (big|large)' "over SIZE: the message says why"
unlike "$ERR" '^C: (DATA|BDAT)' "over SIZE: no data was sent"
sleep 0.5
is "$(postfix_mail_for toobig@example.net)" "" "over SIZE: nothing arrived"

msg "$T/m" ok1@example.net
send std "$T/m" ok1@example.net reject@test.example
is "$RC" 69 "a recipient refused with 5xx: exit 69"
like "$ERR" 'reject@test\.example.*550|550.*reject@test\.example' "5xx: the error names the recipient and the reply"
postfix_wait_idle
is "$(postfix_mail_for ok1@example.net)" "" "5xx: nobody got the message"

# Its own queue, so that later sends do not retry it.
QDIR=$T/queue-4xx conf std4xx
msg "$T/m" ok2@example.net
send std4xx "$T/m" ok2@example.net tempfail@test.example
if [ "$RC" = 0 ]; then
    like "$ERR" '[Qq]ueued' "4xx: exit 0 with a queued notice"
else
    is "$RC" 75 "4xx: exit 75 (temporary failure)"
fi
like "$ERR" 'tempfail@test\.example.*450|450.*tempfail@test\.example' "4xx: the error names the recipient and the reply"
postfix_wait_idle
is "$(postfix_mail_for ok2@example.net)" "" "4xx: nobody got the message"

# ---------------------------------------------------------------- log line
rm -f "$T/mailout.log"
msg "$T/m" logged@example.net
send std "$T/m" logged@example.net logged2@example.net
is "$RC" 0 "log line: exit 0"
line=$(grep 'recipients=logged@' "$T/mailout.log" 2>/dev/null)
like "$line" "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} host=localhost tls=on auth=on user=$PF_USER from=$FROM recipients=logged@example\\.net,logged2@example\\.net mailsize=[0-9]+ smtpstatus=250 smtpmsg='250 2\\.0\\.0 Ok: queued as [0-9A-Z]+' exitcode=EX_OK\$" \
    "the log line matches SPEC §6"
postfix_wait_for logged2@example.net >/dev/null
done_testing
