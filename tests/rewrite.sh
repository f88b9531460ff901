#!/bin/sh
# rewrite.sh - rewrite_from and qualify_domain through the real binary with
# --dry-run: cron's exact command line and header, -f of a local user,
# rewrite_from = off / always, a From equal to the account's from kept byte
# for byte, a recipient still bare exits 67, bad values name file:line.
. "$top_srcdir/tests/tap.sh"

HOME=$T/home; export HOME
TMPDIR=$T/tmp; export TMPDIR
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME" "$TMPDIR"
printf 'root: admin@example.net\n' > "$T/aliases"
conf() {    # conf QUALIFY REWRITE
    cat > "$T/c.ini" <<EOF2
[mailout]
queue_dir = $T/queue
aliases = $T/aliases
${1:+qualify_domain = $1}

[account server]
host = smtp.example.com
from = server@example.com
${2:+rewrite_from = $2}
EOF2
}
hdr() { sed '1,/^$/d' "$T/out" | sed -n "/^\$/q;s/^$1: //p"; }   # after the envelope lines
env_line() { sed -n "s/^$1: //p" "$T/out"; }

conf example.com ""
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> run-parts\n\nout\n' \
    | "$MAILOUT" -C "$T/c.ini" --dry-run -FCronDaemon -i -B8BITMIME -oem root > "$T/out" 2>&1
ok $? "cron's command line: exit 0"
is "$(hdr From)" "Cron Daemon <server@example.com>" "cron: From rewritten, display name kept"
is "$(hdr To)" "root@example.com" "cron: To qualified"
is "$(env_line recipient)" "<admin@example.net>" "cron: envelope recipient is root's alias"
is "$(env_line sender)" "<server@example.com>" "cron: envelope sender is the account's"

printf 'Subject: s\n\nx\n' | "$MAILOUT" -C "$T/c.ini" --dry-run -f www-data nobody > "$T/out" 2>&1
ok $? "-f www-data to nobody: exit 0"
is "$(env_line sender)" "<server@example.com>" "-f of a local name becomes the account's from"
is "$(env_line recipient)" "<nobody@example.com>" "a name without alias gets qualify_domain"
is "$(hdr From)" "server@example.com" "the added From is the rewritten sender"

printf 'From: "Ops"  <server@example.com>\nTo: x@y.example\n\nx\n' \
    | "$MAILOUT" -C "$T/c.ini" --dry-run x@y.example > "$T/out" 2>&1
is "$(grep '^From:' "$T/out")" 'From: "Ops"  <server@example.com>' "a From equal to the account's from is untouched byte for byte"

conf example.com off
printf 'From: root (Cron Daemon)\n\nx\n' | "$MAILOUT" -C "$T/c.ini" --dry-run -f root root > "$T/out" 2>&1
is "$(hdr From)" "Cron Daemon <root@example.com>" "rewrite_from = off: From only qualified"
is "$(env_line sender)" "<root@example.com>" "rewrite_from = off: -f root only qualified"

conf "" always
printf 'From: Someone <someone@elsewhere.example>\n\nx\n' | "$MAILOUT" -C "$T/c.ini" --dry-run x@y.example > "$T/out" 2>&1
is "$(hdr From)" "Someone <server@example.com>" "rewrite_from = always: any From becomes the account's"

conf "" ""
printf 'Subject: s\n\nx\n' | "$MAILOUT" -C "$T/c.ini" --dry-run nobody > "$T/out" 2>&1
is "$?" 67 "a recipient still bare exits 67"
like "$(cat "$T/out")" 'unknown local name "nobody"' "... naming it"

conf "exa mple.com" ""
printf 'x\n' | "$MAILOUT" -C "$T/c.ini" --dry-run root > "$T/out" 2>&1
is "$?" 78 "a bad qualify_domain is a configuration error"
like "$(cat "$T/out")" 'c.ini:4: qualify_domain' "... naming file, line and key"
conf "" sometimes
printf 'x\n' | "$MAILOUT" -C "$T/c.ini" --dry-run root > "$T/out" 2>&1
is "$?" 78 "a bad rewrite_from is a configuration error"
like "$(cat "$T/out")" "rewrite_from.*off, local, always" "... listing the values"
done_testing
