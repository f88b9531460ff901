#!/bin/sh
# dryrun.sh - envelope and header block through the real binary with
# --dry-run: -t (To/Cc/Bcc, Resent-*, groups, duplicates), command-line
# recipients, aliases, exit codes, injection, Bcc removal, the added Date,
# Message-ID and From, -F quoting, and what real mail programs pass.
. "$top_srcdir/tests/tap.sh"

HOME=$T/home; export HOME
TMPDIR=$T/tmp; export TMPDIR
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME" "$TMPDIR"
cat > "$T/c.ini" <<EOF
[mailout]
queue_dir = $T/queue
aliases = $T/aliases
default_account = work

[account work]
host = smtp.example.com
from = me@example.com
user = me@example.com

[account quiet]
host = mx.example.net
port = 2525
tls = implicit
auth = plain
from = *@example.net
add_date = off
add_message_id = off
add_from = off
remove_bcc = off

[account on]
host = smtp.example.org
tls = off
from = robot@example.org
add_date = on
add_message_id = on
add_from = on
dsn_notify = failure,delay
dsn_return = hdrs
EOF
cat > "$T/aliases" <<EOF
root: admin@example.com
postmaster: root
team: a@team.example, b@team.example, root
EOF
cat > "$T/aliases-default" <<EOF
root: admin@example.com
default: catchall@example.com
EOF

# dry [ARGS...] < message: sets out, err, rc.
dry() {
    out=$("$MAILOUT" -C "$T/c.ini" --dry-run "$@" 2>"$T/err"); rc=$?
    err=$(cat "$T/err")
}
field() { printf '%s\n' "$out" | sed -n "s/^$1: //p" | head -n 1; }
rcpts() { printf '%s\n' "$out" | sed -n 's/^recipient: //p' | tr '\n' ' '; }
headers() { printf '%s\n' "$out" | awk 'b==1 && /^$/ {exit} b==1 {print} /^$/ {b=1}'; }
hnames() { headers | sed -n 's/^\([^ 	:]*\):.*/\1/p' | tr '\n' ' '; }

# ---------------------------------------------------------------- the format
printf 'Subject: s\nDate: Mon, 1 Jan 2026 00:00:00 +0000\nMessage-ID: <x@y>\nFrom: me@example.com\n\nbody\n' > "$T/plain"
dry a@b.example < "$T/plain"
is "$rc" 0 "dry run exits 0"
is "$out" "account: work
server: smtp.example.com:587 (starttls)
auth: auto
user: me@example.com
sender: <me@example.com>
recipient: <a@b.example>

Subject: s
Date: Mon, 1 Jan 2026 00:00:00 +0000
Message-ID: <x@y>
From: me@example.com

body-size: 5
message-size: 99" "the whole dry-run output, exactly"
dry -a quiet a@b.example < "$T/plain"
is "$(field server)" "mx.example.net:2525 (implicit)" "server line with port and TLS mode"
is "$(field auth)" "plain" "auth line"
is "$(field user)" "(none)" "user line without a user"
dry -a on a@b.example < "$T/plain"
is "$(field server)" "smtp.example.org:25 (off)" "tls off: port 25"
is "$(field dsn-notify)" "failure,delay" "DSN notify from the account"
is "$(field dsn-ret)" "hdrs" "DSN ret from the account"
dry -a on -N never -R full -V env42 a@b.example < "$T/plain"
is "$(field dsn-notify)/$(field dsn-ret)/$(field dsn-envid)" "never/full/env42" "-N -R -V win over the account"

# ---------------------------------------------------------------- -t
cat > "$T/tcc" <<'EOF'
From: Me <me@example.com>
To: a@b.example, "Bee, Ann" <ann@b.example>
Cc: c@d.example
Bcc: hidden@e.example
bcc: other@e.example
Subject: t

body
EOF
dry -t < "$T/tcc"
is "$rc" 0 "-t: accepted"
is "$(rcpts)" "<a@b.example> <ann@b.example> <c@d.example> <hidden@e.example> <other@e.example> " \
   "-t: To, Cc and every Bcc, in order"
is "$(hnames)" "From To Cc Subject Date Message-ID " "-t: Bcc removed, Date and Message-ID added"
unlike "$(headers)" "^[Bb][Cc][Cc]:|hidden@e" "no Bcc line in the header"
dry -t x@f.example < "$T/tcc"
is "$(rcpts)" "<x@f.example> <a@b.example> <ann@b.example> <c@d.example> <hidden@e.example> <other@e.example> " \
   "-t plus a command-line recipient: added"
dry c@d.example < "$T/tcc"
is "$(rcpts)" "<c@d.example> " "without -t the header is not read"
is "$(hnames)" "From To Cc Subject Date Message-ID " "  but Bcc is still removed"
dry -a quiet -t < "$T/tcc"
is "$(hnames)" "From To Cc Bcc bcc Subject " "remove_bcc = off keeps Bcc; add_* = off adds nothing"

cat > "$T/resent" <<'EOF'
Resent-From: fwd@example.com
Resent-To: r1@example.com
Resent-Cc: r2@example.com
Resent-Bcc: r3@example.com
From: orig@example.com
To: orig-to@example.com
Cc: orig-cc@example.com
Bcc: orig-bcc@example.com
Subject: resent

body
EOF
dry -t < "$T/resent"
is "$(rcpts)" "<r1@example.com> <r2@example.com> <r3@example.com> " \
   "Resent-* present: only Resent-To/Cc/Bcc are read"
is "$(hnames)" "Resent-From Resent-To Resent-Cc From To Cc Subject Date Message-ID " \
   "Resent-Bcc and Bcc both removed"
printf 'Resent-Date: x\nTo: t@example.com\n\n' > "$T/resent2"
dry -t < "$T/resent2"
is "$rc" 65 "any Resent- field switches -t to Resent-To/Cc/Bcc (none: exit 65)"

printf 'To: friends: a@g.example, b@g.example;, undisclosed-recipients:;\nCc: "Group, not" <c@g.example>\n\nx\n' > "$T/group"
dry -t < "$T/group"
is "$(rcpts)" "<a@g.example> <b@g.example> <c@g.example> " "groups give their members; empty group nothing"
like "$out" "^To: friends: a@g.example, b@g.example;, undisclosed-recipients:;$" "  the To field is sent unchanged"

printf 'To: Dup@Example.COM, dup@example.com\nCc: DUP@example.com, Dup@example.com\n\nx\n' > "$T/dup"
dry -t Dup@EXAMPLE.com < "$T/dup"
is "$(rcpts)" "<Dup@EXAMPLE.com> <dup@example.com> <DUP@example.com> " \
   "duplicates removed: domain without case, local part with case"
dry 'a@b.example, c@d.example' a@b.example < "$T/plain"
is "$(rcpts)" "<a@b.example> <c@d.example> " "a command-line argument is an address list"
dry 'Ann <ann@b.example>' < "$T/plain"
is "$(rcpts)" "<ann@b.example> " "a command-line 'Name <addr>'"
printf 'To: a@b.example,\n  c@d.example\n\nx\n' > "$T/folded"
dry -t < "$T/folded"
is "$(rcpts)" "<a@b.example> <c@d.example> " "a folded To field"
printf 'To: a@b.example, <<bad\n\nx\n' > "$T/badto"
dry -t < "$T/badto"
is "$rc" 65 "a malformed To field: exit 65"
like "$err" "^mailout: To field: " "  the message names the field"

# ---------------------------------------------------------------- aliases
dry root < "$T/plain"
is "$(rcpts)" "<admin@example.com> " "root through the aliases file"
dry postmaster team < "$T/plain"
is "$(rcpts)" "<admin@example.com> <a@team.example> <b@team.example> " \
   "nested aliases and lists, duplicates removed"
printf 'To: root\nCc: admin@Example.com\n\nx\n' > "$T/troot"
dry -t < "$T/troot"
is "$(rcpts)" "<admin@example.com> " "-t: local name in To resolved; duplicate removed"
is "$(headers | head -n 1)" "To: root" "  the To field itself is sent unchanged"
dry nosuchuser < "$T/plain"
is "$rc" 67 "unknown local name: exit 67"
like "$err" "unknown local name \"nosuchuser\"" "  the message names it"
sed "s|^aliases = .*|aliases = $T/aliases-default|" "$T/c.ini" > "$T/c2.ini"
out=$("$MAILOUT" -C "$T/c2.ini" --dry-run nosuchuser root < "$T/plain" 2>&1); rc=$?
is "$rc" 0 "default alias catches unknown local names"
is "$(rcpts)" "<catchall@example.com> <admin@example.com> " "  default and a named alias"
sed "/^aliases = /d" "$T/c.ini" > "$T/c3.ini"
out=$("$MAILOUT" -C "$T/c3.ini" --dry-run cronuser < "$T/plain" 2>&1); rc=$?
is "$rc" 67 "no aliases file: a local name exits 67"

# ---------------------------------------------------------------- no recipients
dry < "$T/plain"
is "$rc" 65 "no recipient at all: exit 65"
like "$err" "no recipients" "  says so"
printf 'Subject: x\n\nbody\n' > "$T/noto"
dry -t < "$T/noto"
is "$rc" 65 "-t and no To/Cc/Bcc: exit 65"
printf 'To: undisclosed-recipients:;\n\nbody\n' > "$T/emptygroup"
dry -t < "$T/emptygroup"
is "$rc" 65 "-t and only an empty group: exit 65"

# ---------------------------------------------------------------- injection
nl='
'
cr=$(printf '\r')
dry -f "me@example.com${cr}${nl}RCPT TO:<evil@x.example>" a@b.example < "$T/plain"
is "$rc" 65 "CR LF in -f: exit 65"
like "$err" "sender address \(-f\) contains a control character" "  refused with a clear message"
unlike "$out" "evil" "  nothing printed"
dry -F "Name${nl}Bcc: evil@x.example" a@b.example < "$T/plain"
is "$rc" 65 "LF in -F: exit 65"
like "$err" "full name \(-F\) contains a control character" "  refused"
dry "a@b.example${nl}RCPT TO:<evil@x.example>" < "$T/plain"
is "$rc" 65 "LF in a recipient: exit 65"
like "$err" "recipient on the command line contains a control character" "  refused"
dry "a@b.example$(printf '\t')x" < "$T/plain"
is "$rc" 65 "a tab in a recipient: exit 65"
dry -V "id${cr}x" a@b.example < "$T/plain"
ok "$([ "$rc" -eq 64 ] || [ "$rc" -eq 65 ]; echo $?)" "CR in -V is refused (exit $rc)"
is "$out" "" "  nothing printed"
printf 'To: a@b.example\n\tRCPT\001TO:<evil@x.example>\n\nx\n' > "$T/ctlto"
dry -t < "$T/ctlto"
is "$rc" 65 "a control character in a To field: exit 65"
printf 'evil: "a@b.example\001x"\n' > "$T/aliases-ctl"
sed "s|^aliases = .*|aliases = $T/aliases-ctl|" "$T/c.ini" > "$T/c4.ini"
out=$("$MAILOUT" -C "$T/c4.ini" --dry-run evil < "$T/plain" 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ] && ! printf '%s' "$out" | grep -q '^recipient'; echo $?)" \
   "a control character in an alias target is refused (exit $rc)"

# ---------------------------------------------------------------- sender
dry -f other@example.com a@b.example < "$T/plain"
is "$(field sender)" "<other@example.com>" "-f sets the envelope sender"
dry -r other@example.com a@b.example < "$T/plain"
is "$(field sender)" "<other@example.com>" "-r is -f"
dry -f '<>' a@b.example < "$T/noto"
is "$(field sender)" "<>" "-f '<>' is the null sender"
like "$out" "^From: me@example.com$" "  From is the account's address, never <>"
dry -f '' a@b.example < "$T/noto"
is "$(field sender)" "<>" "-f '' is the null sender"
dry -f root a@b.example < "$T/noto"
is "$(field sender)" "<me@example.com>" "an unqualified -f is a local name: rewrite_from = local gives the account's from"
dry -a quiet -f root a@b.example < "$T/noto"
is "$(field sender)" "<root@example.net>" "with a pattern from, an unqualified -f gets the pattern's domain"
dry -a quiet a@b.example < "$T/tcc"
is "$(field sender)" "<me@example.com>" "account from is a pattern: the From field's address"
dry -f 'Me <me2@example.com>' a@b.example < "$T/noto"
is "$(field sender)" "<me2@example.com>" "-f 'Name <addr>'"
dry -f 'a@b@c' a@b.example < "$T/plain"
is "$rc" 65 "a malformed -f: exit 65"
printf 'From: someone@example.net\n\nx\n' > "$T/fromnet"
dry a@b.example < "$T/fromnet"
is "$(field account)" "quiet" "the From field picks the account when -f is absent"
dry -f x@example.net a@b.example < "$T/plain"
is "$(field account)" "quiet" "-f picks the account by its from pattern"
is "$(field sender)" "<x@example.net>" "  and is the sender"

# ---------------------------------------------------------------- added fields
dry a@b.example < "$T/noto"
is "$(hnames)" "Subject From Date Message-ID " "From, Date and Message-ID added when missing"
like "$out" "^From: me@example.com$" "From is the sender's address"
like "$out" "^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}$" \
     "Date in RFC 5322 form with a numeric zone"
like "$out" "^Message-ID: <[0-9a-f]{32}\.[0-9]+@example\.com>$" "Message-ID: random hex, time, From's domain"
id1=$(field Message-ID)
dry a@b.example < "$T/noto"
ok "$([ "$id1" != "$(field Message-ID)" ]; echo $?)" "two runs give two Message-IDs"
out=$(TZ=EST5 "$MAILOUT" -C "$T/c.ini" --dry-run a@b.example < "$T/noto")
like "$(field Date)" " -0500$" "Date uses the local time zone"
dry -a on a@b.example < "$T/plain"
is "$(hnames)" "Subject Date Message-ID From " "add_* = on: present fields are not added twice"
dry -a on a@b.example < "$T/noto"
is "$(hnames)" "Subject From Date Message-ID " "add_* = on adds missing fields"
like "$out" "^From: robot@example.org$" "  From from the account"
dry -a quiet a@b.example < "$T/noto"
is "$(hnames)" "Subject " "add_* = off adds nothing"
dry -a quiet -f '<>' a@b.example < "$T/noto"
is "$(field sender)" "<>" "null sender and a pattern account"
dry -a on -f '<>' a@b.example < "$T/noto"
like "$out" "^From: robot@example.org$" "null sender: From from the account's address"

# ---------------------------------------------------------------- -F
dry -F CronDaemon a@b.example < "$T/noto"
like "$out" "^From: CronDaemon <me@example.com>$" "-F CronDaemon"
dry -F 'Cron Daemon' a@b.example < "$T/noto"
like "$out" "^From: Cron Daemon <me@example.com>$" "-F with a space: atoms need no quotes"
dry -F 'Doe, John' a@b.example < "$T/noto"
like "$out" '^From: "Doe, John" <me@example.com>$' "-F with a comma is quoted"
dry -F 'Say "hi" \o/' a@b.example < "$T/noto"
like "$out" '^From: "Say \\"hi\\" \\\\o/" <me@example.com>$' "-F quotes and backslashes escaped"
dry -F 'John Q. Public' a@b.example < "$T/noto"
like "$out" '^From: "John Q. Public" <me@example.com>$' "-F with a dot is quoted"
dry -F 'Someone' a@b.example < "$T/plain"
like "$out" "^From: me@example.com$" "-F does not touch an existing From"

# ---------------------------------------------------------------- callers
# Debian cron: sendmail -FCronDaemon -i -B8BITMIME -oem MAILTO
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> true\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nout\n' > "$T/cron"
dry -FCronDaemon -i -B8BITMIME -oem root < "$T/cron"
is "$rc" 0 "Debian cron's call"
is "$(field sender)/$(rcpts)" "<me@example.com>/<admin@example.com> " "  root's alias, the account's sender"
like "$out" "^From: Cron Daemon <me@example.com>$" "  its From becomes the account's, the name kept (rewrite_from = local)"
# cronie: -FCronDaemon -i -odi -oem -oi -t -f USER
dry -FCronDaemon -i -odi -oem -oi -t -f root < "$T/cron"
is "$rc" 0 "cronie's call"
is "$(field sender)/$(rcpts)" "<me@example.com>/<admin@example.com> " "  -f root rewritten to the account's from, To: root resolved"
# PHP mail(): sendmail -t -i, its own header lines end in CRLF
printf 'To: php@example.com\r\nSubject: php\r\nX-PHP-Originating-Script: 0:a.php\r\nFrom: web@example.com\r\n\r\nline\r\n.\r\nstill body\r\n' > "$T/php"
dry -t -i < "$T/php"
is "$rc" 0 "PHP's call (-t -i, CRLF)"
is "$(rcpts)" "<php@example.com> " "  recipient from To"
is "$(field body-size)" 18 "  -i: the lone dot is body"
is "$(hnames)" "To Subject X-PHP-Originating-Script From Date Message-ID " "  header fields"

# Real programs, through a wrapper that adds -C and --dry-run.
cat > "$T/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$T/args"
exec "$MAILOUT" -C "$T/c.ini" --dry-run "\$@" > "$T/wrap.out" 2> "$T/wrap.err"
EOF
chmod +x "$T/sendmail"
wrapped() { out=$(cat "$T/wrap.out" 2>/dev/null); err=$(cat "$T/wrap.err" 2>/dev/null); }

if command -v bsd-mailx >/dev/null 2>&1; then
    rm -f "$T/wrap.out"
    printf 'set sendmail=%s\n' "$T/sendmail" > "$T/mailrc"
    echo "mailx body" | MAILRC=$T/mailrc bsd-mailx -n -s 'mailx subj' -b bcc@x.example \
        -c cc@x.example to@x.example >/dev/null 2>&1
    wrapped
    like "$(tr '\n' ' ' < "$T/args")" "-i .*-t|-t .*-i" "bsd-mailx calls with -i -t"
    is "$(rcpts)" "<to@x.example> <cc@x.example> <bcc@x.example> " "bsd-mailx: To, Cc, Bcc"
    unlike "$(headers)" "^Bcc" "bsd-mailx: its Bcc line is removed"
    like "$(headers)" "^Subject: mailx subj$" "bsd-mailx: Subject"
else
    ok 1 "bsd-mailx missing: run tests/setup-deps.sh"
fi

if command -v mutt >/dev/null 2>&1; then
    rm -f "$T/wrap.out"
    cat > "$T/muttrc" <<EOF
set sendmail="$T/sendmail -oem -oi"
set from="Me <me@example.com>"
set use_from=yes
set record=""
set copy=no
EOF
    echo "mutt body" | mutt -n -F "$T/muttrc" -s 'mutt subj' -b mbcc@x.example -- mto@x.example >/dev/null 2>&1
    wrapped
    is "$(rcpts)" "<mto@x.example> <mbcc@x.example> " "mutt: recipients on the command line"
    unlike "$(headers)" "^Bcc" "mutt: no Bcc sent"
    like "$(headers)" "^From: Me <me@example.com>$" "mutt: its own From kept"
    is "$(headers | grep -c '^Date:')" 1 "mutt: its Date, not a second one"
else
    ok 1 "mutt missing: run tests/setup-deps.sh"
fi

if git --version >/dev/null 2>&1 && git send-email --help >/dev/null 2>&1; then
    rm -f "$T/wrap.out"
    (
        cd "$T" && git init -q repo && cd repo &&
        git config user.name 'Pat Ch' && git config user.email pat@example.com &&
        echo a > f && git add f && git commit -qm 'add f' &&
        git format-patch -q -1 -o "$T/patches" &&
        git send-email --smtp-server="$T/sendmail" --confirm=never --suppress-cc=all \
            --to=list@x.example --cc=cc@x.example --from='Pat Ch <pat@example.com>' \
            --envelope-sender=pat@example.com --quiet "$T"/patches/*.patch
    ) >/dev/null 2>&1
    wrapped
    is "$(field sender)" "<pat@example.com>" "git send-email: -f from --envelope-sender"
    is "$(rcpts)" "<list@x.example> <cc@x.example> " "git send-email: recipients on the command line"
    like "$(headers)" "^Subject: \[PATCH\] add f$" "git send-email: the patch subject"
    like "$(headers)" "^From: Pat Ch <pat@example.com>$" "git send-email: its From kept"
    is "$(headers | grep -ci '^Message-ID:')" 1 "git send-email: its Message-Id (any case) is not doubled"
else
    ok 1 "git send-email missing: run tests/setup-deps.sh"
fi

done_testing
