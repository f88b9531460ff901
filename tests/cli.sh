#!/bin/sh
# cli.sh - the command line of SPEC §1 through the real binary: exit codes,
# hints, --help, --version, the mailq/newaliases names, and the invocations of
# real mail programs (cron, cronie, mutt, git send-email, PHP) with --dry-run.
. "$top_srcdir/tests/tap.sh"

HOME=$T/home; export HOME
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME"

# ---------------------------------------------------------------- usage errors
out=$("$MAILOUT" -x a@b 2>&1 </dev/null); rc=$?
is "$rc" 64 "unknown option exits 64"
is "$out" "mailout: unknown option -x; see mailout --help" "unknown option: one-line hint"
out=$("$MAILOUT" --frobnicate 2>&1 </dev/null); rc=$?
is "$rc" 64 "unknown long option exits 64"
is "$out" "mailout: unknown option --frobnicate; see mailout --help" "  with the hint"
out=$("$MAILOUT" -f 2>&1 </dev/null); rc=$?
is "$rc" 64 "-f without a value exits 64"
like "$out" "option -f needs a value" "  and says so"
out=$("$MAILOUT" -N sometimes a@b 2>&1 </dev/null); rc=$?
is "$rc" 64 "bad -N exits 64"
out=$("$MAILOUT" -q5x 2>&1 </dev/null); rc=$?
is "$rc" 64 "bad -q interval exits 64"
like "$out" "bad queue interval '5x'" "  and names it"

# ---------------------------------------------------------------- --help
out=$("$MAILOUT" --help 2>&1); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" "^Usage: mailout \[OPTION\.\.\.\] \[--\] \[RECIPIENT\.\.\.\]" "--help starts with the usage line"
missing=
for o in -t -i -oi '-f ADDR' '-r ADDR' '-F NAME' '-N DSN' '-R full\|hdrs' '-V ENVID' \
         '-C FILE' -v -bm -bp -bi -bs '-q, -q30m' '-qI ID' '-o\*' '-B\*' '-L\*' '-h N' \
         '-O\*' '-e\*' -m -n -U '--account NAME' --debug --dry-run --serverinfo \
         --store-password --forget-password --queue-force '--queue-delete ID' \
         --version --help; do
    printf '%s\n' "$out" | grep -q -- "$o" || missing="$missing $o"
done
is "$missing" "" "--help lists every option"
out=$("$MAILOUT" -bp --help 2>&1); rc=$?
is "$rc" 0 "--help wins over another mode"

# ---------------------------------------------------------------- --version
out=$("$MAILOUT" -C /dev/null --version 2>&1); rc=$?
is "$rc" 0 "--version exits 0"
like "$out" "^mailout [0-9]+\.[0-9]+\.[0-9]+" "--version: program and version"
like "$out" "OpenSSL [0-9]" "--version: OpenSSL version"
like "$out" "[Kk]eyring" "--version: keyring support"
like "$out" "/mailout\.ini" "--version: system configuration file"
like "$out" "-C.*/dev/null|/dev/null" "--version: the -C file"
like "$out" "[Qq]ueue" "--version: queue directory"

# ---------------------------------------------------------------- names
ln -s "$MAILOUT" "$T/newaliases"
ln -s "$MAILOUT" "$T/mailq"
ln -s "$MAILOUT" "$T/sendmail"
out=$("$T/newaliases" 2>&1 </dev/null); rc=$?
is "$rc" 0 "newaliases succeeds"
is "$out" "" "  silently"
out=$("$MAILOUT" -bi 2>&1 </dev/null); rc=$?
is "$rc" 0 "-bi succeeds"
want=$("$MAILOUT" -bp 2>&1 </dev/null); wrc=$?
out=$("$T/mailq" 2>&1 </dev/null); rc=$?
is "$rc" "$wrc" "mailq exits as -bp does"
is "$out" "$want" "mailq prints what -bp prints"
unlike "$out" "recipient|unknown option" "mailq does not try to deliver"
out=$("$T/sendmail" -x 2>&1 </dev/null); rc=$?
is "$rc" 64 "the sendmail name parses options too"

# ---------------------------------------------------------------- real programs
# With --dry-run nothing is sent: these need the message intake and dry-run
# modules, and show that each program's exact arguments are understood.
TMPDIR=$T/tmp; export TMPDIR
mkdir -p "$TMPDIR"
cat >"$T/c.ini" <<EOF
[mailout]
aliases = ~/aliases
queue_dir = $T/queue
[account work]
host = smtp.example.com
from = me@x.example
EOF
printf 'root: admin@x.example\nuser: user@x.example\n' >"$HOME/aliases"
msg='From: me@x.example
To: to@x.example
Subject: test

body
'
run() { printf '%s' "$msg" | "$MAILOUT" -C "$T/c.ini" --dry-run "$@" 2>&1; }

out=$(run -FCronDaemon -i -B8BITMIME -oem root); rc=$?
is "$rc" 0 "cron: -FCronDaemon -i -B8BITMIME -oem root"
like "$out" "admin@x\.example" "  root goes to its alias"
out=$(run -FCronDaemon -i -odi -oem -oi -t -f user); rc=$?
is "$rc" 0 "cronie: -FCronDaemon -i -odi -oem -oi -t -f user"
like "$out" "to@x\.example" "  -t reads To"
out=$(run -oem -oi -- a@b.example c@d.example); rc=$?
is "$rc" 0 "mutt: -oem -oi -- a@b c@d"
like "$out" "a@b\.example" "  first recipient"
like "$out" "c@d\.example" "  second recipient"
out=$(run -i -f me@x.example a@b.example); rc=$?
is "$rc" 0 "git send-email: -i -f me@x a@b"
like "$out" "me@x\.example" "  sender"
out=$(run -t -i); rc=$?
is "$rc" 0 "PHP: -t -i"
like "$out" "to@x\.example" "  recipient from To"

# -bs speaks SMTP (tests/bs.sh has the sessions): a greeting, then QUIT.
out=$(printf 'QUIT\r\n' | "$MAILOUT" -C /dev/null -bs 2>&1); rc=$?
is "$rc" 0 "-bs: QUIT at once, exit 0"
like "$out" '^220 .*ESMTP mailout' "  the greeting"
like "$out" '^221 2\.0\.0' "  QUIT answered 221"

done_testing
