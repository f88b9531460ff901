#!/bin/sh
# ext-postfix.sh - internationalised addresses and client-certificate login
# against the private Postfix (tests/lib/postfix.sh):
#  - SMTPUTF8 on (Postfix's default): UTF-8 sender, local part and domain
#    arrive as they are, MAIL FROM carries SMTPUTF8;
#  - an extra service with smtputf8_enable = no: a non-ASCII local part is
#    refused before MAIL (exit 69, nothing mangled reaches Postfix), an IDNA
#    domain with an ASCII local part arrives as its A-label (libidn2);
#  - auth = external: Postfix with Cyrus SASL does not offer EXTERNAL even
#    to a verified client certificate (it never hands Cyrus the external
#    identity), so the account is refused with 77 and a message naming the
#    mechanisms offered; a client certificate alone relays through
#    permit_tls_clientcerts + relay_clientcerts (fingerprint table);
#    auth = external without tls_cert_file is refused before AUTH.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
postfix_require_delivery

# Two more services: plain without SMTPUTF8, and a STARTTLS port where a
# client certificate whose fingerprint is listed may relay without AUTH.
set -- $(pf_free_ports 2)
NOUTF8_PORT=$1 CCERT_PORT=$2
FP=$(openssl x509 -in "$PF_CERTS/client.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
printf '%s client\n' "$FP" > "$PF_DIR/relay_clientcerts"
postconf -c "$PF_DIR/etc" -M "$NOUTF8_PORT/inet=$NOUTF8_PORT inet n - n - - smtpd -o smtputf8_enable=no"
postconf -c "$PF_DIR/etc" -M "$CCERT_PORT/inet=$CCERT_PORT inet n - n - - smtpd -o smtpd_tls_security_level=encrypt -o smtpd_tls_fingerprint_digest=sha256 -o relay_clientcerts=texthash:$PF_DIR/relay_clientcerts -o smtpd_relay_restrictions=permit_tls_clientcerts,reject"
# Ask Cyrus for EXTERNAL and SCRAM-SHA-256-PLUS too: Debian 12's Postfix
# still offers neither (it sets no external identity and no channel
# binding on the SASL connection). LOGIN is dropped to prove that the
# edited list is the one in force.
sed -i 's/^mech_list: .*/mech_list: PLAIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS EXTERNAL/' \
    "$PF_DIR/etc/sasl/smtpd.conf"
pf_cmd postfix -c "$PF_DIR/etc" reload >/dev/null || { echo "Bail out! postfix reload failed"; exit 1; }
pf_wait_listen 127.0.0.1:$NOUTF8_PORT 127.0.0.1:$CCERT_PORT \
    || { echo "Bail out! the extra services do not listen"; exit 1; }

FROM=sender@test.example
# conf NAME KEY=VALUE... - $T/NAME.ini with account "t" from the pairs.
conf() {
    _f=$T/$1.ini; shift
    {
        printf '[mailout]\nqueue_dir = %s\nlogfile = %s\n\n[account t]\n' "$T/q" "$T/mailout.log"
        printf 'host = localhost\nfrom = %s\ntls_trust_file = %s\nqueue = off\ntimeout = 30\n' \
            "$FROM" "$PF_CA"
        for _kv in "$@"; do printf '%s = %s\n' "${_kv%%=*}" "${_kv#*=}"; done
    } > "$_f"
    chmod 600 "$_f"
}
send() {
    _c=$1; shift
    timeout 120 "$MAILOUT" -C "$T/$_c.ini" "$@" < "$T/m" > "$T/out" 2> "$T/err"
    RC=$?
    ERR=$(cat "$T/err")
}
u() { printf "$1"; }    # octal escapes to UTF-8 bytes
msg() { printf 'From: <%s>\nTo: <%s>\nSubject: ext\n\nbody\n' "$FROM" "$1" > "$T/m"; }

# ------------------------------------------------ SMTPUTF8 offered
conf utf8 "port=$PF_PLAIN_PORT" tls=off auth=off
R=$(u 'r\303\251sum\303\251@b\303\274cher.example')
S=$(u 'j\303\266rg@test.example')
msg "$R"
send utf8 --debug -f "$S" "$R"
is "$RC" 0 "UTF-8 sender, local part and domain with SMTPUTF8: delivered"
# (--debug shows non-ASCII bytes as "?", so the patterns skip over them)
like "$ERR" '^C: MAIL FROM:<j[^>]*rg@test\.example>.* SMTPUTF8' "MAIL FROM names the UTF-8 sender and SMTPUTF8"
like "$ERR" '^C: RCPT TO:<r[^>]*sum[^>]*@b[^>]*cher\.example>$' "RCPT TO carries the UTF-8 address, no A-label"
f=$(postfix_wait_for "$R")
ok $? "Postfix delivered to the UTF-8 address"
is "$(sed -n 's/^sender=//p' "${f%.eml}.env")" "$S" "Postfix's envelope sender is the UTF-8 one"

# ------------------------------------------------ SMTPUTF8 not offered
conf noutf8 "port=$NOUTF8_PORT" tls=off auth=off
send noutf8 --serverinfo
unlike "$(cat "$T/out")" 'SMTPUTF8' "the smtputf8_enable=no service does not offer SMTPUTF8"

n0=$(postfix_mail_count)
msg "$R"
send noutf8 --debug "$R"
is "$RC" 69 "non-ASCII local part, no SMTPUTF8: exit 69"
like "$ERR" 'non-ASCII local part but .* does not offer SMTPUTF8' "the message says why"
unlike "$ERR" '^C: (MAIL|RCPT)' "no MAIL or RCPT was sent"
send noutf8 -f "$S" plain@example.net
is "$RC" 69 "non-ASCII sender, no SMTPUTF8: exit 69"

msg "rcpt@example.net"
if grep -q '^#define HAVE_LIBIDN2 1' "${top_builddir:-.}/config.h" 2>/dev/null; then
    A=$(u 'idn@b\303\274cher.example')
    send noutf8 --debug "$A"
    is "$RC" 0 "IDNA domain, ASCII local part, no SMTPUTF8: delivered"
    like "$ERR" '^C: RCPT TO:<idn@xn--bcher-kva\.example>' "RCPT TO carries the A-label"
    unlike "$ERR" 'SMTPUTF8' "MAIL FROM does not ask for SMTPUTF8"
    f=$(postfix_wait_for idn@xn--bcher-kva.example)
    ok $? "Postfix delivered to the A-label address"
else
    A=$(u 'idn@b\303\274cher.example')
    send noutf8 "$A"
    is "$RC" 69 "built without libidn2: an IDNA domain without SMTPUTF8 is 69"
    like "$ERR" 'without libidn2' "and the message says why"
fi
postfix_wait_idle
is "$(postfix_mail_for "$R" | wc -l)" 1 "nothing more arrived for the UTF-8 address (no mangled copy)"

# ------------------------------------------------ EXTERNAL
CC="tls_cert_file=$PF_CERTS/client.pem"
CK="tls_key_file=$PF_CERTS/client.key"
conf ext "port=$PF_STARTTLS_PORT" tls=starttls auth=external "$CC" "$CK"
send ext --serverinfo
like "$(cat "$T/out")" 'AUTH.*PLAIN' "the AUTH port offers its mechanisms"
like "$(cat "$T/out")" 'Verified: yes' "TLS verified"
unlike "$(cat "$T/out")" 'AUTH.* LOGIN' "the edited mech_list is in force (LOGIN gone)"
unlike "$(cat "$T/out")" 'EXTERNAL' "Postfix/Cyrus does not offer EXTERNAL, even with a client certificate and EXTERNAL in mech_list"
unlike "$(cat "$T/out")" 'PLUS' "nor SCRAM-SHA-256-PLUS (channel binding is tested against tests/scram-plus.sh's server)"
msg ext@example.net
send ext ext@example.net
is "$RC" 77 "auth = external where EXTERNAL is not offered: 77"
like "$ERR" 'does not offer the mechanism EXTERNAL' "the message names EXTERNAL and what is offered"

conf extnocert "port=$PF_STARTTLS_PORT" tls=starttls auth=external
send extnocert ext@example.net
is "$RC" 78 "auth = external without tls_cert_file: 78 (configuration)"
like "$ERR" 'tls_cert_file' "the message names tls_cert_file"

# The certificate itself as the credential: permit_tls_clientcerts.
conf certrelay "port=$CCERT_PORT" tls=starttls auth=off "$CC" "$CK"
msg certrelay@example.net
send certrelay certrelay@example.net
is "$RC" 0 "listed client certificate, no AUTH: relayed"
f=$(postfix_wait_for certrelay@example.net)
like "$(cat "$f" 2>/dev/null)" 'Client CN "mailout test client".*verified OK' "Postfix verified the certificate"
conf nocert "port=$CCERT_PORT" tls=starttls auth=off
msg nocert@example.net
send nocert nocert@example.net
is "$RC" 69 "no client certificate on that port: relay refused (69)"
like "$ERR" 'nocert@example\.net \(554 5\.7\.1 .*Access denied' "Postfix's reason is shown"
done_testing
