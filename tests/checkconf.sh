#!/bin/sh
# checkconf.sh - --check-config (SPEC §1): every problem of every file and
# account in one run, each as FILE:LINE: KEY: with the fix, exit 0 / 78; the
# origin of each key (file, line, [defaults] or inherit) as --check-config
# and --debug show it; a file in msmtp's syntax named at its first bad line.
. "$top_srcdir/tests/tap.sh"

HOME=$T/home; export HOME
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME"

# ------------------------------------------------------------------ clean
cat >"$T/good.ini" <<'EOF'
[defaults]
tls = starttls
timeout = 20

[account work]
host = smtp.example.com
from = me@example.com
user = me
password_command = echo x
timeout = 30

[account backup]
inherit = work
host = smtp.backup.example
port = 465
tls = implicit
EOF
chmod 600 "$T/good.ini"
out=$("$MAILOUT" --check-config -C "$T/good.ini" 2>"$T/err"); rc=$?
is "$rc" 0 "clean configuration: exit 0"
is "$(cat "$T/err")" "" "  nothing on stderr"
like "$out" "^no problems found$" "  says so"
like "$out" "^configuration read: $T/good.ini$" "  names the file read"
like "$out" "^  timeout += 30 +$T/good.ini:10 \[account work\], overrides $T/good.ini:3 \[defaults\]$" \
    "  an overridden value names both origins"
like "$out" "^\[account backup\] $T/good.ini:12$" "  every account is listed"
like "$out" "^  user += me +$T/good.ini:8 \[account work\]$" "  an inherited value names the account it comes from"
like "$out" "^  auth += auto +\(default\)$" "  a built-in default says so"
like "$out" "^  password_command += \(set\) +$T/good.ini:9 \[account work\]$" "  password_command shows as (set): a command may hold a secret"
unlike "$out" "echo x" "  its text never appears"

# -------------------------------------------------- every problem at once
cat >"$T/bad.ini" <<'EOF'
[defaults]
port = 465

[account work]
host = smtp.example.com
from = me@example.com
user = me
password = secret
password_command = pass show work
prot = 25

[acount typo]
host = x

[account sub]
inherit = work
host = smtp.example.net:587
port = 587
tls = implicit
timeout = forever

[account clear]
host = smtp.example.org
port = 25
tls = off
user = me
tls_fingerprint = SHA256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF

[account lost]
inherit = nowhere
host = h
EOF
chmod 664 "$T/bad.ini"
out=$("$MAILOUT" --check-config -C "$T/bad.ini" 2>"$T/err"); rc=$?
err=$(cat "$T/err")
is "$rc" 78 "broken configuration: exit 78"
f=$T/bad.ini
for want in \
    "$f:10: prot: unknown key in \[account work\]" \
    "$f:12: unknown section \[acount typo\]" \
    "$f:20: timeout: 'forever' is not a number of seconds" \
    "$f:8: password: this file holds a password and is readable by others; run chmod 600" \
    "$f:30: inherit: no account named 'nowhere'" \
    "$f: writable by others.*chmod go-w" \
    "$f:2: port: \[account work\] port 465 speaks TLS from the start: set tls = implicit" \
    "$f:9: password_command: \[account work\] password is set too \($f:8\) and is used first" \
    "$f:17: host: \[account sub\] 'smtp.example.net:587' is not a host name" \
    "$f:19: tls: \[account sub\] port 587 greets in plain text and expects STARTTLS: set tls = starttls" \
    "$f:25: tls: \[account clear\] tls = off: mailout refuses to send this account's password in clear" \
    "$f:27: tls_fingerprint: \[account clear\] tls = off: this key is never used"
do
    like "$err" "^mailout: $want" "  reported: $(printf '%s' "$want" | cut -c1-60 | sed "s|$T/||")"
done
n=$(printf '%s\n' "$err" | grep -c '^mailout: ')
like "$out" "^$n problems found$" "  the summary counts the $n lines"
ok "$([ "$n" -ge 12 ]; echo $?)" "  at least the 12 problems planted ($n)"
unlike "$err" "secret" "  the password never appears"

# -a NAME: only that account's checks (file problems stay)
out=$("$MAILOUT" --check-config -C "$T/bad.ini" -a clear 2>"$T/err"); rc=$?
is "$rc" 78 "-a NAME: still 78"
unlike "$(cat "$T/err")" "\[account sub\]" "  another account's problems are left out"
like "$out" "^\[account clear\]" "  that account is listed"
out=$("$MAILOUT" --check-config -C "$T/good.ini" -a nosuch 2>&1); rc=$?
is "$rc" 78 "-a with an unknown account: 78"
like "$out" "no account named 'nosuch'" "  says so"

"$MAILOUT" --connect -C "$T/good.ini" </dev/null >/dev/null 2>&1; rc=$?
is "$rc" 64 "--connect without --check-config is a usage error"

# ------------------------------------------------------- msmtp's syntax
cat >"$T/msmtprc" <<'EOF'
# written for msmtp
defaults
auth           on
tls            on
tls_trust_file /etc/ssl/certs/ca-certificates.crt
logfile        ~/.msmtp.log

account        gmail
host           smtp.gmail.com
port           587
from           me@gmail.com
user           me
passwordeval   "pass show gmail"

account default : gmail
tls_fingerprint AB:CD:EF
EOF
out=$(printf 'Subject: t\n\nx\n' | "$MAILOUT" -C "$T/msmtprc" --dry-run a@b.example 2>&1); rc=$?
is "$rc" 78 "an msmtp file: 78"
is "$out" "mailout: $T/msmtprc:2: this looks like an msmtp file (\"defaults\" without '='): convert it with mailout --import-msmtprc $T/msmtprc" \
    "  the first bad line (2) is named, with the conversion"
out=$("$MAILOUT" --check-config -C "$T/msmtprc" 2>&1); rc=$?
is "$rc" 78 "--check-config on an msmtp file: 78"
is "$(printf '%s\n' "$out" | grep -c 'msmtp file')" 1 "  one hint, not one line per msmtp line"

# ---------------------------------------------------------------- --debug
out=$(printf 'From: me@example.com\nSubject: t\n\nx\n' \
      | "$MAILOUT" -C "$T/good.ini" --debug --dry-run a@b.example 2>&1 >/dev/null); rc=$?
is "$rc" 0 "--debug --dry-run: exit 0"
like "$out" "^D: configuration read: $T/good.ini$" "  --debug starts with the files read"
like "$out" "^D: account work \(its from matches the sender\)$" "  the account chosen, and why"
like "$out" "^D:   timeout += 30 +$T/good.ini:10 \[account work\], overrides $T/good.ini:3 \[defaults\]$" \
    "  each key with its origin"
unlike "$out" "echo x" "  the password_command's text is not shown"
out=$(printf 'Subject: t\n\nx\n' \
      | "$MAILOUT" -C "$T/good.ini" -a backup --debug --dry-run a@b.example 2>&1 >/dev/null)
like "$out" "^D: account backup \(chosen with -a\)$" "  -a is named as the reason"
like "$out" "^D:   password_command += \(set\) +$T/good.ini:9 \[account work\]$" "  the inherit it came through"

done_testing
