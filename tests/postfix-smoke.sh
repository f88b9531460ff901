#!/bin/sh
# postfix-smoke.sh - proves the private Postfix rig (tests/lib/postfix.sh)
# works, using python3's smtplib as the client, so that the delivery tests
# built on it can trust what they see.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_up

# smtp MODE FROM TO [HEADER-EXTRA] - send one message with smtplib; prints
# "sent", or the error. MODE: starttls | tls | plain | starttls-noauth |
# mismatch | ehlo6 | plain6
smtp() {
    python3 - "$@" <<'EOF'
import os, smtplib, ssl, sys
mode, frm, to = sys.argv[1:4]
extra = sys.argv[4] if len(sys.argv) > 4 else ""
env = os.environ
ctx = ssl.create_default_context(cafile=env["PF_CA"])
msg = ("From: <%s>\r\nTo: <%s>\r\n%sSubject: rig smoke %s\r\n\r\n"
       "body of %s\r\n" % (frm, to, extra, mode, mode))
try:
    if mode == "tls":
        s = smtplib.SMTP_SSL("localhost", int(env["PF_TLS_PORT"]), context=ctx, timeout=20, local_hostname="client.test.example")
    elif mode.startswith("plain"):
        host = "::1" if mode == "plain6" else "127.0.0.1"
        s = smtplib.SMTP(host, int(env["PF_PLAIN_PORT"]), timeout=20, local_hostname="client.test.example")
    elif mode == "mismatch":
        s = smtplib.SMTP("127.0.0.2", int(env["PF_MISMATCH_PORT"]), timeout=20, local_hostname="client.test.example")
        s.starttls(context=ctx)
    else:
        host = "::1" if mode == "starttls6" else "localhost"
        s = smtplib.SMTP(host, int(env["PF_STARTTLS_PORT"]), timeout=20, local_hostname="client.test.example")
        s.ehlo()
        print("pre-tls-auth:", s.has_extn("auth"))
        s.starttls(context=ctx)
    s.ehlo()
    if mode in ("tls", "starttls", "starttls6"):
        print("mechs:", s.esmtp_features.get("auth", ""))
        s.user, s.password = env["PF_USER"], env["PF_PASS"]
        s.auth("PLAIN", s.auth_plain)
    refused = s.sendmail(frm, [to], msg.encode())
    s.quit()
    print("sent")
except Exception as e:
    print("error:", type(e).__name__, e)
EOF
}

out=$(smtp starttls sender@test.example bob@example.net)
like "$out" 'pre-tls-auth: False' "no AUTH offered before STARTTLS"
like "$out" 'mechs: .*PLAIN' "PLAIN offered after STARTTLS"
for m in LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256; do
    like "$out" "mechs: .*$m" "$m offered after STARTTLS"
done
like "$out" '^sent$' "STARTTLS + AUTH PLAIN: accepted"
postfix_wait_mail 1; ok $? "STARTTLS message captured"
f=$(postfix_mail_for bob@example.net)
m=$(cat "$f" 2>/dev/null)
like "$m" 'using TLSv1\.[23]' "Received header shows TLS"
like "$m" 'Authenticated sender: alice@test\.example' "Received header shows the SASL user"
like "$m" 'body of starttls' "body captured"
unlike "$m" '^(Date|Message-ID):' "Postfix added no Date/Message-ID"
is "$(cat "${f%.eml}.env")" "sender=sender@test.example
recipient=bob@example.net" "envelope captured"
like "$(cat "$PF_LOG")" 'sasl_method=PLAIN, sasl_username=alice@test\.example' "maillog shows sasl_method=PLAIN"

out=$(smtp tls sender@test.example carol@example.net)
like "$out" '^sent$' "implicit TLS + AUTH: accepted"
postfix_wait_mail 2; ok $? "implicit TLS message captured"
like "$(cat "$(postfix_mail_for carol@example.net)")" 'using TLSv1\.[23]' "implicit TLS: Received shows TLS"

out=$(smtp plain sender@test.example dave@example.net)
like "$out" '^sent$' "plain port: accepted without AUTH"
out=$(smtp plain6 sender@test.example erin@example.net)
like "$out" '^sent$' "plain port on ::1: accepted"
out=$(smtp starttls6 sender@test.example frank@example.net)
like "$out" '^sent$' "STARTTLS on ::1: accepted"
postfix_wait_mail 5; ok $? "plain and IPv6 messages captured"
like "$(cat "$(postfix_mail_for erin@example.net)")" 'IPv6:::1\]' "IPv6 message came over ::1"

out=$(smtp starttls-noauth sender@test.example grace@example.net)
like "$out" '554, b.5\.7\.1 <grace@example\.net>' "STARTTLS port refuses to relay without AUTH"

out=$(smtp plain sender@test.example tempfail@test.example)
like "$out" '450.*scripted temporary' "access table: tempfail@ gets 450"
out=$(smtp plain sender@test.example reject@test.example)
like "$out" '550.*scripted permanent' "access table: reject@ gets 550"

out=$(smtp mismatch sender@test.example heidi@example.net)
like "$out" 'CERTIFICATE_VERIFY_FAILED|IP address mismatch|mismatch' "127.0.0.2 service: the certificate does not name it"

out=$(smtp plain sender@test.example ivan@example.net 'Bcc: <hidden@example.net>
')
like "$out" '^sent$' "message with Bcc accepted"
postfix_wait_mail 6; ok $? "Bcc message captured"
like "$(cat "$(postfix_mail_for ivan@example.net)")" '^X-Leaked-Bcc: Bcc: <hidden@example\.net>' \
    "a Bcc header reaching Postfix shows as X-Leaked-Bcc"

sleep 0.5
is "$(postfix_mail_count | tr -d ' ')" 6 "exactly the accepted messages were captured"
done_testing
