#!/bin/sh
# bounce-postfix.sh - bounces against the private Postfix (STARTTLS + AUTH):
# queued mail refused for good (550) or past max_queue_age moves to failed/
# and, with bounce = on, an RFC 3464 report reaches the sender with the null
# envelope sender (parsed with Python's email module); bounce = off and a
# null sender give none; a bounce refused for now stays queued, one refused
# for good is never bounced in turn.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }

DEAD=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkconf() {     # mkconf PORT QUEUE [EXTRA-LINE...]
    port=$1 q=$2; shift 2
    {
        printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\n\n' "$T" "$q"
        printf '[account pf]\nhost = localhost\nport = %s\nfrom = sender@test.example\n' "$port"
        printf 'tls = starttls\ntls_trust_file = %s\nuser = %s\npassword = %s\ntimeout = 10\n' \
            "$PF_CA" "$PF_USER" "$PF_PASS"
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$T/c.ini"
    chmod 600 "$T/c.ini"
}
send() {       # send SUBJECT RCPT [MAILOUT-OPTION...]
    subj=$1 rcpt=$2; shift 2
    printf 'From: sender@test.example\nTo: %s\nSubject: %s\n\nbody of %s\n' "$rcpt" "$subj" "$subj" \
        | "$MAILOUT" -C "$T/c.ini" "$@" "$rcpt" 2>"$T/err"
}
ids() { ls "$1" 2>/dev/null | grep -E '^[0-9A-F]{10}$'; }
count() { ids "$1" | wc -l; }

# The captured report as "key=value" lines, or "error=..." (one line each).
dsn_facts() {
    /usr/bin/python3 - "$1" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
print("type=%s" % m.get_content_type())
print("report-type=%s" % m.get_param("report-type"))
print("from=%s" % m["From"])
print("to=%s" % m["To"])
print("auto-submitted=%s" % m["Auto-Submitted"])
parts = m.get_payload() if m.is_multipart() else []
print("parts=%s" % ",".join(p.get_content_type() for p in parts))
for p in parts:
    if p.get_content_type() == "message/delivery-status":
        blocks = p.get_payload()
        print("reporting-mta=%s" % blocks[0]["Reporting-MTA"])
        print("arrival-date=%s" % (blocks[0]["Arrival-Date"] is not None))
        for r in blocks[1:]:
            for k in ("Final-Recipient", "Action", "Status", "Diagnostic-Code"):
                print("%s=%s" % (k.lower(), r[k]))
    elif p.get_content_type() == "text/rfc822-headers":
        orig = email.message_from_string(p.get_payload())
        print("orig-subject=%s" % orig["Subject"])
    elif p.get_content_type() == "text/plain":
        print("text=%s" % " ".join(p.get_payload().split()))
EOF
}

# --- bounce = on, a 550 recipient: the report reaches the sender
Q=$T/q-on
mkconf "$DEAD" "$Q" "bounce = on"
send "bounce me" reject@test.example
is "$?" 0 "server down: queued, exit 0"
mkconf "$PF_STARTTLS_PORT" "$Q" "bounce = on"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/q.err"
is "$?" 0 "-q exits 0"
like "$(cat "$T/q.err")" "moved to failed/: .*550 5.1.1" "-q says it moved to failed/ with the 550"
like "$(cat "$T/q.err")" "a bounce to <sender@test.example> is queued as [0-9A-F]{10}" "  and that a bounce is queued"
f=$(postfix_wait_for sender@test.example)
ok $? "a report arrived for the sender"
is "$(sed -n 1p "${f%.eml}.env")" "sender=" "with the null envelope sender"
FID=$(ids "$Q/failed")
is "$(count "$Q/failed")" 1 "the message is in failed/"
is "$(count "$Q")" 0 "the bounce left the queue (delivered)"
BID=$(sed -n 's/.*failed=\([0-9A-F]\{10\}\) .*bounced=\([0-9A-F]\{10\}\).*/\2/p' "$T/log")
like "$(grep "failed=$FID" "$T/log")" "bounced=[0-9A-F]{10}" "the log line of the failed message says bounced=ID"
like "$(grep "delivered=$BID" "$T/log")" "delivered=$BID" "  and that ID was delivered"
like "$(grep 'from=<>' "$PF_LOG")" "from=<>" "Postfix saw MAIL FROM:<>"
facts=$(dsn_facts "$f")
echo "$facts" | sed 's/^/# /'
like "$facts" "^type=multipart/report$" "it parses as multipart/report"
like "$facts" "^report-type=delivery-status$" "  report-type=delivery-status"
like "$facts" "^from=.*<MAILER-DAEMON@test.example>$" "  From MAILER-DAEMON@ the account's domain"
like "$facts" "^to=<sender@test.example>$" "  To the sender"
like "$facts" "^auto-submitted=auto-replied$" "  Auto-Submitted: auto-replied"
like "$facts" "^parts=text/plain,message/delivery-status,text/rfc822-headers$" "  three parts in order"
like "$facts" "^reporting-mta=dns; " "  Reporting-MTA"
like "$facts" "^arrival-date=True$" "  Arrival-Date"
like "$facts" "^final-recipient=rfc822; reject@test.example$" "  Final-Recipient: the refused recipient"
like "$facts" "^action=failed$" "  Action: failed"
like "$facts" "^status=5.1.1$" "  Status: 5.1.1"
like "$facts" "^diagnostic-code=smtp; 550 5.1.1 .*scripted permanent rejection" "  Diagnostic-Code: the server's reply"
like "$facts" "^orig-subject=bounce me$" "  the original header attached"
like "$facts" "^text=.*<reject@test.example>: 550 5.1.1" "  the text names the recipient and the reply"

# --- bounce = off: none
before=$(postfix_mail_count)
Q=$T/q-off
mkconf "$DEAD" "$Q" "bounce = off"
send "no bounce" reject@test.example
mkconf "$PF_STARTTLS_PORT" "$Q" "bounce = off"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/q.err"
is "$(count "$Q/failed")" 1 "bounce = off: in failed/"
postfix_wait_idle; sleep 1
is "$(postfix_mail_count)" "$before" "  and no report was sent"
unlike "$(cat "$T/q.err")" "bounce" "  and none mentioned"

# --- a null sender: none, whatever bounce says
Q=$T/q-null
mkconf "$DEAD" "$Q" "bounce = on"
send "null sender" reject@test.example -f '<>'
mkconf "$PF_STARTTLS_PORT" "$Q" "bounce = on"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/q.err"
is "$(count "$Q/failed")" 1 "null sender: in failed/"
is "$(count "$Q")" 0 "  nothing queued for it"
postfix_wait_idle; sleep 1
is "$(postfix_mail_count)" "$before" "  and no report was sent"

# --- past max_queue_age: failed/ and a report (4.4.7), the message not sent
Q=$T/q-old
mkconf "$DEAD" "$Q" "bounce = on" "max_queue_age = 1s"
send "too old" old@example.net
sleep 2
mkconf "$PF_STARTTLS_PORT" "$Q" "bounce = on" "max_queue_age = 1s"
"$MAILOUT" -C "$T/c.ini" --queue-due 2>"$T/q.err"
is "$?" 0 "--queue-due exits 0"
is "$(count "$Q/failed")" 1 "expired: in failed/"
like "$(cat "$Q"/failed/* | grep '^last-error:')" "max_queue_age" "  with the reason"
postfix_wait_mail $((before + 1)); ok $? "a report arrived"
f=$(grep -lx "recipient=sender@test.example" "$PF_MAILDIR"/*.env | while read -r e; do
        grep -q 'too old' "${e%.env}.eml" && echo "${e%.env}.eml"; done | head -n 1)
ok "$([ -n "$f" ]; echo $?)" "  for the expired message"
facts=$(dsn_facts "$f")
like "$facts" "^status=4.4.7$" "  Status: 4.4.7"
like "$facts" "^final-recipient=rfc822; old@example.net$" "  Final-Recipient"
like "$facts" "^diagnostic-code=X-mailout; .*max_queue_age" "  Diagnostic-Code names max_queue_age"
is "$(postfix_mail_for old@example.net)" "" "the expired message itself was not sent"

# --- a bounce refused for now stays queued; one refused for good is not bounced
Q=$T/q-chain
mkconf "$DEAD" "$Q" "bounce = on"
send "sender deferred" reject@test.example -f tempfail@test.example
send "sender refused" reject@test.example -f reject@test.example
mkconf "$PF_STARTTLS_PORT" "$Q" "bounce = on"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/q.err"
is "$(count "$Q/failed")" 3 "both in failed/, and the bounce refused for good too"
is "$(count "$Q")" 1 "the bounce refused for now stays queued"
q1=$(ids "$Q")
like "$(grep '^sender:' "$Q/$q1")" "sender: <>" "  with the null sender"
like "$(grep '^last-error:' "$Q/$q1")" "450 4.2.1" "  and the 450 as last error"
like "$("$MAILOUT" -C "$T/c.ini" -bp)" "$q1 .*MAILER-DAEMON" "mailq shows it from MAILER-DAEMON"
is "$(grep -c ' failed=' "$T/log")" 7 "seven messages failed in all (1 + 1 + 1 + 1 + 3)"
is "$(grep -c ' failed=.*bounced=' "$T/log")" 4 "four were bounced: never a bounce of a bounce"

done_testing
