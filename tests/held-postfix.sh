#!/bin/sh
# held-postfix.sh - a message stopped before its account is known is held in
# failed/ as it was given (mailout(1) QUEUE, step 1), then delivered to the
# private Postfix by --requeue once the cause is fixed: a configuration
# error in a file that was read, an unknown local name, no account (-a),
# a malformed address. Nothing is held for a file that cannot be read, for
# --dry-run, or when the message itself cannot be read.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_up

Q=$T/queue
mkconf() {     # mkconf ACCOUNT-NAME [EXTRA-LINE]: the account, and one more line in it
    {
        printf '[mailout]\nlogfile = %s/log\nqueue_dir = %s\naliases = %s/aliases\n\n' "$T" "$Q" "$T"
        printf '[account %s]\nhost = localhost\nport = %s\nfrom = sender@test.example\n' "$1" "$PF_STARTTLS_PORT"
        printf 'tls = starttls\ntls_trust_file = %s\nuser = %s\npassword = %s\ntimeout = 10\n%s\n' \
            "$PF_CA" "$PF_USER" "$PF_PASS" "${2:-}"
    } >"$T/c.ini"
    chmod 600 "$T/c.ini"
}
: >"$T/aliases"
ids() { ls "$1" 2>/dev/null | grep -E '^[0-9A-F]{10}$'; }
kept_id() { sed -n 's|^mailout: the message is kept in .*/failed/ as \([0-9A-F]*\); .*|\1|p' "$T/err"; }
body_of() { sed '1,/^end$/d' "$1"; }        # the message part of a held file
deliver() {    # deliver ID ADDR: --requeue, -q, and the file Postfix captured
    "$MAILOUT" -C "$T/c.ini" --requeue "$1" >"$T/rq.out" 2>"$T/rq.err" || return 1
    "$MAILOUT" -C "$T/c.ini" -q 2>"$T/q.err" || return 1
    postfix_wait_for "$2"
}

# --- a configuration error in a file that was read
mkconf pf "bogus_key = 1"
printf 'To: cfg@example.net\nSubject: config error\nDate: Mon, 30 Nov 2026 10:00:00 +0000\nMessage-ID: <cfg@test.example>\n\nbody of config error\n.\n' >"$T/sent"
"$MAILOUT" -C "$T/c.ini" -i -t <"$T/sent" 2>"$T/err"
is "$?" 78 "a configuration error: exit 78 as before"
like "$(sed -n 1p "$T/err")" "^mailout: $T/c.ini:[0-9]+: bogus_key: unknown key in \\[account pf\\]$" "  the error first"
id=$(kept_id)
like "$(sed -n 2p "$T/err")" "^mailout: the message is kept in $Q/failed/ as [0-9A-F]{10}; once the cause is fixed, mailout --requeue $id sends it$" \
    "  then where the message is: the queue_dir the broken file names"
is "$(wc -l <"$T/err")" 2 "  two lines, nothing else"
is "$(ids "$Q/failed")" "$id" "  it is in failed/"
body_of "$Q/failed/$id" >"$T/kept"
cmp -s "$T/sent" "$T/kept"
ok $? "  byte for byte as it was handed over (-i: the dot line kept)"
like "$(cat "$T/log")" "failed=$id reason='.*bogus_key: unknown key" "  logged as failed=ID with the reason"
"$MAILOUT" -C "$T/c.ini" -bp >"$T/mailq" 2>&1
is "$?" 78 "mailq while the file is broken: 78"
mkconf pf
"$MAILOUT" -C "$T/c.ini" -bp >"$T/mailq" 2>&1
like "$(cat "$T/mailq")" "^Failed mail, kept in $Q/failed" "mailq after the fix: the failed heading"
like "$(cat "$T/mailq")" "^$id +[0-9]+ [A-Z][a-z]{2} .{15}  root$" "  the held message, from the user who sent it"
like "$(cat "$T/mailq")" "^\\($T/c.ini:[0-9]+: bogus_key: unknown key in \\[account pf\\]\\)$" "  its reason"
like "$(cat "$T/mailq")" "^ {41}\\(and the recipients in To, Cc, Bcc\\)$" "  and that -t reads the header"
"$MAILOUT" -C "$T/c.ini" -qI "$id" >"$T/qi" 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "-qI on a held ID: an error"
like "$(cat "$T/qi")" "requeue" "  that says to requeue it first"
f=$(deliver "$id" cfg@example.net); ok $? "--requeue then -q: delivered"
like "$(cat "$T/rq.err")" "^mailout: $id is queued again as [0-9A-F]{10}; mailout -q sends it now$" "  --requeue says the new ID"
is "$(ids "$Q/failed" | wc -l)" 0 "  failed/ is empty"
is "$(sed '1,/^$/d' "$f")" "$(printf 'body of config error\n.')" "  with its body"
is "$(sed -n 's/^Message-ID: //p' "$f")" "<cfg@test.example>" "  and its own header fields"
is "$(sed -n 's/^From: //p' "$f")" "sender@test.example" "  From added then, by the account"

# --- an unknown local name, fixed in the aliases
mkconf pf
"$MAILOUT" -C "$T/c.ini" -F "Night Job" localbob <<EOF 2>"$T/err"
Subject: for a local name

body for bob
EOF
is "$?" 67 "an unknown local name: exit 67"
sent_at=$(date +%s)
like "$(sed -n 1p "$T/err")" "unknown local name \"localbob\"" "  saying so"
id=$(kept_id)
ok "$([ -n "$id" ] && [ -f "$Q/failed/$id" ]; echo $?)" "  held in failed/ ($id)"
"$MAILOUT" -C "$T/c.ini" --requeue "$id" >"$T/rq" 2>&1
is "$?" 67 "--requeue before the fix: still 67"
like "$(cat "$T/rq")" "^mailout: $id stays in failed/: unknown local name" "  it stays in failed/, saying why"
ok "$([ -f "$Q/failed/$id" ]; echo $?)" "  and it is still there"
echo "localbob: bob@example.net" >"$T/aliases"
sleep 2     # the requeue is later than the send
f=$(deliver "$id" bob@example.net); ok $? "after the alias is added: --requeue, -q, delivered to the alias"
is "$(sed -n 's/^From: //p' "$f")" "Night Job <sender@test.example>" "  -F was kept with the message"
dated=$(date -d "$(sed -n 's/^Date: //p' "$f")" +%s)
ok "$([ "$dated" -le "$sent_at" ]; echo $?)" "  its added Date is when it was sent ($dated), not when it was requeued"

# --- no account: -a names one that is not there yet
"$MAILOUT" -C "$T/c.ini" -a night acct@example.net <<EOF 2>"$T/err"
Subject: for an account to come

body for night
EOF
is "$?" 78 "-a with an unknown account: exit 78"
id=$(kept_id)
ok "$([ -n "$id" ] && [ -f "$Q/failed/$id" ]; echo $?)" "  held in failed/"
mkconf night
"$MAILOUT" -C "$T/c.ini" --requeue "$id" 2>/dev/null
is "$?" 0 "the account added: --requeue"
is "$(sed -n 's/^account: //p' "$Q"/[0-9A-F]*)" "night" "  queued for the account -a named"
"$MAILOUT" -C "$T/c.ini" -q 2>/dev/null
postfix_wait_for acct@example.net >/dev/null; ok $? "  and -q delivers it"

# --- a malformed address in the header: held too; delete it
mkconf pf
printf 'To: a@@b\nSubject: malformed\n\nx\n' | "$MAILOUT" -C "$T/c.ini" -t 2>"$T/err"
is "$?" 65 "a malformed To with -t: exit 65"
id=$(kept_id)
ok "$([ -n "$id" ] && [ -f "$Q/failed/$id" ]; echo $?)" "  held in failed/"
"$MAILOUT" -C "$T/c.ini" --queue-delete "$id" 2>"$T/del"
is "$?" 0 "  --queue-delete removes it"
is "$(ids "$Q/failed" | wc -l)" 0 "  failed/ is empty"

# --- what is not held
printf 'Subject: x\n\nx\n' | "$MAILOUT" -C "$T/missing.ini" a@example.net 2>"$T/err"
is "$?" 78 "a configuration file that cannot be read: 78"
is "$(wc -l <"$T/err")" 1 "  one line, nothing held"
mkconf pf "bogus_key = 1"
printf 'Subject: x\n\nx\n' | "$MAILOUT" -C "$T/c.ini" --dry-run a@example.net >/dev/null 2>"$T/err"
is "$?" 78 "--dry-run with a broken file: 78"
is "$(wc -l <"$T/err")" 1 "  one line, nothing held"
mkconf pf
printf 'Subject: x\n\nx\n' | "$MAILOUT" -C "$T/c.ini" --dry-run nobodyknows >/dev/null 2>"$T/err"
is "$?" 67 "--dry-run with an unknown local name: 67"
is "$(wc -l <"$T/err")" 1 "  one line, nothing held"
printf 'Subject: a\0b\n\nx\n' | "$MAILOUT" -C "$T/c.ini" a@example.net 2>"$T/err"
is "$?" 65 "a NUL byte: the message cannot be read (65)"
is "$(wc -l <"$T/err")" 1 "  one line, nothing held"
is "$(ids "$Q/failed" | wc -l)" 0 "failed/ holds none of these"

done_testing
