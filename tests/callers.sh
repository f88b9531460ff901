#!/bin/sh
# callers.sh - real mail programs with mailout as their sendmail, delivering
# to the private Postfix (tests/lib/postfix.sh): bsd-mailx, mutt, s-nail,
# git send-email, cron's command line, PHP's mail(). Each message must arrive
# with the right envelope and headers. A program that is not installed is
# skipped (tests/setup-deps.sh installs them all).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
postfix_require_delivery

FROM=sender@test.example
export HOME="$T/home"
mkdir -p "$HOME"
printf 'root: cronroot@example.net\npostmaster: root\n' > "$T/aliases"
MAILOUT_CONFIG=$T/config.ini
export MAILOUT_CONFIG
cat > "$MAILOUT_CONFIG" <<EOF
[mailout]
default_account = test
aliases = $T/aliases
queue_dir = $T/queue
logfile = $T/mailout.log

[account test]
host = localhost
port = $PF_STARTTLS_PORT
tls = starttls
tls_trust_file = $PF_CA
from = $FROM
user = $PF_USER
password = $PF_PASS
EOF
chmod 600 "$MAILOUT_CONFIG"

# The callers run this as their sendmail: it records the argv they used,
# then is mailout.
SM=$T/sendmail
cat > "$SM" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >> "$T/argv"
exec "$MAILOUT" "\$@"
EOF
chmod 755 "$SM"

have() { command -v "$1" >/dev/null 2>&1; }
header() { sed -n "/^\$/q;s/^$2: //p" "$1"; }   # header FILE NAME
envsender() { sed -n 's/^sender=//p' "${1%.eml}.env"; }
lastargv() { tail -n 1 "$T/argv" 2>/dev/null; }

# ---------------------------------------------------------------- bsd-mailx
if have bsd-mailx; then
    printf 'set sendmail=%s\n' "$SM" > "$T/mailrc"
    echo "body from mailx" | MAILRC=$T/mailrc bsd-mailx -n -s "from mailx" \
        -b mailx-bcc@example.net mailx-to@example.net
    ok $? "bsd-mailx: exit 0"
    is "$(lastargv)" "-i -t" "bsd-mailx calls sendmail -i -t"
    f=$(postfix_wait_for mailx-to@example.net)
    ok $? "bsd-mailx: To recipient got it"
    is "$(header "$f" Subject)" "from mailx" "bsd-mailx: Subject"
    is "$(envsender "$f")" "$FROM" "bsd-mailx: envelope sender from the account"
    like "$(sed '1,/^$/d' "$f")" '^body from mailx$' "bsd-mailx: body"
    f=$(postfix_wait_for mailx-bcc@example.net)
    ok $? "bsd-mailx: Bcc recipient got it"
    unlike "$(sed '/^$/q' "$f")" 'X-Leaked-Bcc|mailx-bcc' "bsd-mailx: the Bcc header was removed before the server"
else
    ok 0 "# SKIP bsd-mailx is not installed"
fi

# ---------------------------------------------------------------- mutt
if have mutt; then
    cat > "$T/muttrc" <<EOF
set sendmail="$SM -oem -oi"
set from="Sender <$FROM>"
set use_from=yes
set envelope_from=no
set record=""
set copy=no
set folder="$T"
set spoolfile="$T/mbox"
EOF
    echo "body from mutt" | mutt -n -F "$T/muttrc" -s "from mutt" -- mutt-to@example.net
    ok $? "mutt: exit 0"
    like "$(lastargv)" '^-oem -oi (-- )?mutt-to@example\.net$' "mutt calls sendmail -oem -oi [--] RCPT"
    f=$(postfix_wait_for mutt-to@example.net)
    ok $? "mutt: message arrived"
    is "$(header "$f" Subject)" "from mutt" "mutt: Subject"
    is "$(header "$f" From)" "Sender <$FROM>" "mutt: its own From is kept"
    is "$(envsender "$f")" "$FROM" "mutt: envelope sender"
    like "$(header "$f" Message-ID)" '^<.+@.+>$' "mutt: its Message-ID is kept"
else
    ok 0 "# SKIP mutt is not installed"
fi

# ---------------------------------------------------------------- s-nail
if have s-nail; then
    echo "body from s-nail" | MAILRC=/dev/null s-nail -n -S mta="$SM" -S sendwait \
        -S from="$FROM" -s "from s-nail" snail-to@example.net
    ok $? "s-nail: exit 0 (sendwait: mailout's exit status)"
    f=$(postfix_wait_for snail-to@example.net)
    ok $? "s-nail: message arrived"
    is "$(header "$f" Subject)" "from s-nail" "s-nail: Subject"
    is "$(envsender "$f")" "$FROM" "s-nail: envelope sender"
    like "$(sed '1,/^$/d' "$f")" '^body from s-nail$' "s-nail: body"
else
    ok 0 "# SKIP s-nail is not installed"
fi

# ---------------------------------------------------------------- git send-email
if git send-email -h 2>&1 | grep -q "send-email"; then
    r=$T/repo
    git init -q "$r" && cd "$r" && git config user.name "Git Sender" \
        && git config user.email "$FROM" && echo one > f && git add f \
        && git commit -q -m "first" && echo two >> f \
        && git commit -q -am "Add a second line" && git format-patch -q -1 -o "$T/patches"
    git send-email --smtp-server="$SM" --confirm=never --suppress-cc=all \
        --to=git-to@example.net --quiet "$T"/patches/*.patch > "$T/git.out" 2>&1
    ok $? "git send-email: exit 0"
    cd "$T" || exit 1
    like "$(lastargv)" 'git-to@example\.net' "git send-email passes the recipient"
    f=$(postfix_wait_for git-to@example.net)
    ok $? "git send-email: message arrived"
    like "$(header "$f" Subject)" '^\[PATCH\] Add a second line$' "git send-email: Subject"
    is "$(header "$f" From)" "Git Sender <$FROM>" "git send-email: From"
    like "$(sed '1,/^$/d' "$f")" '\+two' "git send-email: the patch is in the body"
else
    ok 0 "# SKIP git send-email is not installed"
fi

# ---------------------------------------------------------------- cron
# Debian cron's exact command line; MAILTO=root goes through the aliases.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@vm> echo hi\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\nX-Cron-Env: <LOGNAME=root>\n\nhi \342\200\224 from cron\n' \
    | "$SM" -FCronDaemon -i -B8BITMIME -oem root
ok $? "cron's command line: exit 0"
f=$(postfix_wait_for cronroot@example.net)
ok $? "cron: root reached its alias"
is "$(header "$f" Subject)" "Cron <root@vm> echo hi" "cron: Subject"
like "$(sed '1,/^$/d' "$f")" "hi $(printf '\342\200\224') from cron" "cron: 8-bit body intact"
is "$(header "$f" To)" "root" "cron: the To header is left as written"

# cronie: -t and -f USER
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@vm> cronie\n\ncronie job output\n' \
    | "$SM" -FCronDaemon -i -odi -oem -oi -t -f "$FROM"
ok $? "cronie's command line: exit 0"
postfix_wait_idle
is "$(grep -c 'cronie job output' "$(postfix_mail_for cronroot@example.net | tail -n 1)" 2>/dev/null)" 1 \
    "cronie: root reached its alias"

# ---------------------------------------------------------------- PHP
if have php; then
    php -d "sendmail_path=$SM -t -i" -r \
        'exit(mail("php-to@example.net", "from php", "body from php\nsecond line", "From: PHP App <'"$FROM"'>\r\nX-Mailer: PHP/test") ? 0 : 1);'
    ok $? "PHP mail(): returns true"
    is "$(lastargv)" "-t -i" "PHP calls sendmail -t -i"
else
    # PHP's exact invocation: sh -c "sendmail -t -i", CRLF after its headers.
    printf 'To: php-to@example.net\r\nSubject: from php\r\nFrom: PHP App <%s>\r\nX-Mailer: PHP/test\r\n\nbody from php\nsecond line\n' "$FROM" \
        | sh -c "$SM -t -i"
    ok $? "PHP mail() emulated (php-cli is not installed)"
    ok 0 "# SKIP php-cli is not installed"
fi
f=$(postfix_wait_for php-to@example.net)
ok $? "PHP: message arrived"
is "$(header "$f" Subject)" "from php" "PHP: Subject"
is "$(header "$f" From)" "PHP App <$FROM>" "PHP: From"
unlike "$(od -c "$f")" '\\r' "PHP: no stray CR anywhere"
is "$(sed '1,/^$/d' "$f")" "body from php
second line" "PHP: body"

done_testing
