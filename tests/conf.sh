#!/bin/sh
# conf.sh - the configuration of SPEC §2 through the real binary: exit 78 with
# file:line:key messages, the chmod 600 rule, which files are read (-C,
# $MAILOUT_CONFIG, $XDG_CONFIG_HOME, ~/.config) and account selection.
. "$top_srcdir/tests/tap.sh"

HOME=$T/home; export HOME
TMPDIR=$T/tmp; export TMPDIR
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME" "$TMPDIR"

msg() { printf 'From: %s\nSubject: t\n\nbody\n' "$1"; }

# ---------------------------------------------------------------- errors: 78
cat >"$T/bad.ini" <<'EOF'
[account work]
host = smtp.example.com
prot = smtp
EOF
out=$("$MAILOUT" -C "$T/bad.ini" --dry-run a@b.example </dev/null 2>&1); rc=$?
is "$rc" 78 "unknown key exits 78"
is "$out" "mailout: $T/bad.ini:3: prot: unknown key in [account work]" "  message names file, line and key"

printf '[account work]\nhost = h\nport = 99999\n' >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "bad value exits 78 (in every mode that loads the configuration)"
is "$out" "mailout: $T/bad.ini:3: port: '99999' is not a port number from 1 to 65535" "  message"

printf '[acount work]\nhost = h\n' >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "unknown section exits 78"
like "$out" "bad.ini:1: unknown section \[acount work\]" "  message"

printf '[account work]\nport = 25\n' >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "missing host exits 78"
is "$out" "mailout: $T/bad.ini:1: host: [account work] has no host (required)" "  message"

printf '[account a]\nhost = h\ninherit = b\n[account b]\nhost = h\ninherit = a\n' >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "inherit cycle exits 78"
like "$out" "bad.ini:[36]: inherit: inherit cycle: (a -> b -> a|b -> a -> b)" "  message shows the cycle"

out=$("$MAILOUT" -C "$T/missing.ini" -bp 2>&1); rc=$?
is "$rc" 78 "-C missing file exits 78"
is "$out" "mailout: cannot open $T/missing.ini: No such file or directory" "  message"

mkdir "$T/dir.ini"
out=$("$MAILOUT" -C "$T/dir.ini" -bp 2>&1); rc=$?
is "$rc" 78 "-C directory exits 78"
is "$out" "mailout: $T/dir.ini is not a regular file" "  message"

printf '[account a]\nhost = h\001\n' >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "control character exits 78"
printf '[account a]\nhost = h\000x\n' >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "NUL byte exits 78"
is "$out" "mailout: $T/bad.ini:2: NUL byte in the file" "  message"
{ printf '[account a]\nhost = '; head -c 10485760 /dev/zero | tr '\0' x; printf '\n'; } >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "a 10 MB line exits 78"
is "$out" "mailout: $T/bad.ini is larger than 1048576 bytes" "  message"
{ printf '[account a]\nhost = h\nuser = '; head -c 5000 /dev/zero | tr '\0' x; printf '\n'; } >"$T/bad.ini"
out=$("$MAILOUT" -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "a 5000-byte line exits 78"
is "$out" "mailout: $T/bad.ini:3: line longer than 4096 bytes" "  message"

# ---------------------------------------------------------------- permissions
printf '[mailout]\nqueue_dir = %s/queue\n[account a]\nhost = h\npassword = hunter2\n' "$T" >"$T/pw.ini"
chmod 644 "$T/pw.ini"
out=$("$MAILOUT" -C "$T/pw.ini" -bp 2>&1); rc=$?
is "$rc" 78 "password in a 0644 file exits 78"
is "$out" "mailout: $T/pw.ini:5: password: this file holds a password and is readable by others; run chmod 600 $T/pw.ini" \
   "  message says chmod 600"
unlike "$out" "hunter2" "  without the password"
chmod 600 "$T/pw.ini"
out=$(msg me@x.example | "$MAILOUT" -C "$T/pw.ini" --dry-run a@b.example 2>&1); rc=$?
is "$rc" 0 "password in a 0600 file accepted"
unlike "$out" "hunter2" "  --dry-run does not print the password"

# ---------------------------------------------------------------- which files
mkfile() {  # mkfile PATH ACCOUNT-HOST
    mkdir -p "$(dirname "$1")"
    printf '[mailout]\nqueue_dir = %s/queue\n[account a]\nhost = %s\n' "$T" "$2" >"$1"
}
files_read() { "$MAILOUT" "$@" --version 2>&1 | sed -n 's/^Configuration read: //p' | tr '\n' ' '; }
host_used() { msg me@x.example | "$MAILOUT" "$@" --dry-run a@b.example 2>&1 | sed -n 's/^server: //p'; }

sys=$("$MAILOUT" -C /dev/null --version | sed -n 's/^System configuration file: \([^ ]*\).*/\1/p')
if [ -e "$sys" ]; then
    echo "# $sys exists: file order checks below include it"
fi
mkfile "$HOME/.config/mailout/config.ini" home.example
is "$(files_read)" "$HOME/.config/mailout/config.ini " "~/.config/mailout/config.ini is read"
like "$(host_used)" "^home\.example:587" "  and its account used"
mkfile "$T/xdg/mailout/config.ini" xdg.example
XDG_CONFIG_HOME=$T/xdg; export XDG_CONFIG_HOME
is "$(files_read)" "$T/xdg/mailout/config.ini " "\$XDG_CONFIG_HOME/mailout/config.ini replaces ~/.config"
like "$(host_used)" "^xdg\.example:" "  and its account used"
mkfile "$T/env.ini" env.example
MAILOUT_CONFIG=$T/env.ini; export MAILOUT_CONFIG
is "$(files_read)" "$T/env.ini " "\$MAILOUT_CONFIG overrides the user file"
like "$(host_used)" "^env\.example:" "  and its account used"
mkfile "$T/c.ini" c.example
is "$(files_read -C "$T/c.ini")" "$T/c.ini " "-C FILE is read alone"
like "$(host_used -C "$T/c.ini")" "^c\.example:" "  and its account used"
MAILOUT_CONFIG=$T/nope.ini
out=$("$MAILOUT" -bp 2>&1); rc=$?
is "$rc" 78 "\$MAILOUT_CONFIG naming a missing file exits 78"
like "$out" "cannot open $T/nope.ini" "  and says which"
unset MAILOUT_CONFIG XDG_CONFIG_HOME
rm -rf "$HOME/.config"
if [ ! -e "$sys" ]; then
    is "$(files_read)" "none " "no file at all: nothing read"
    out=$(msg me@x.example | "$MAILOUT" --dry-run a@b.example 2>&1); rc=$?
    is "$rc" 78 "no account: exit 78"
    like "$out" "no account configured" "  message"
fi

# ---------------------------------------------------------------- selection
cat >"$T/sel.ini" <<EOF
[mailout]
queue_dir = $T/queue
[defaults]
port = 2525
[account work]
host = work.example
from = *@work.example
[account home]
host = home.example
from = me@home.example
[account third]
inherit = work
host = third.example
EOF
acct_used() { sed -n 's/^account: //p'; }
is "$(msg x@work.example | "$MAILOUT" -C "$T/sel.ini" --dry-run a@b.example 2>&1 | acct_used)" work \
   "From matches a pattern: that account"
is "$(msg Me@HOME.example | "$MAILOUT" -C "$T/sel.ini" --dry-run a@b.example 2>&1 | acct_used)" home \
   "From matches exactly (any case)"
is "$(msg x@work.example | "$MAILOUT" -C "$T/sel.ini" --dry-run -f me@home.example a@b.example 2>&1 | acct_used)" home \
   "-f wins over From for selection"
is "$(msg x@work.example | "$MAILOUT" -C "$T/sel.ini" --dry-run -a third a@b.example 2>&1 | acct_used)" third \
   "-a NAME wins"
is "$(msg x@work.example | "$MAILOUT" -C "$T/sel.ini" --dry-run --account=third a@b.example 2>&1 | sed -n 's/^server: //p')" \
   "third.example:2525 (starttls)" "inherit and [defaults] applied"
out=$(msg x@else.example | "$MAILOUT" -C "$T/sel.ini" --dry-run a@b.example 2>&1); rc=$?
is "$rc" 78 "no match, no default_account, several accounts: 78"
like "$out" "no account fits" "  message"
out=$(msg x@work.example | "$MAILOUT" -C "$T/sel.ini" --dry-run -a nope a@b.example 2>&1); rc=$?
is "$rc" 78 "-a unknown account: 78"
is "$out" "mailout: no account named 'nope' in the configuration" "  message"
printf '[mailout]\ndefault_account = home\n' | cat - "$T/sel.ini" | sed '3d' >"$T/sel2.ini"
is "$(msg x@else.example | "$MAILOUT" -C "$T/sel2.ini" --dry-run a@b.example 2>&1 | acct_used)" home \
   "default_account when nothing matches"

done_testing
