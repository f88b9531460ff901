#!/bin/sh
# sysmode.sh - system mode (SPEC §7) as an admin sets it up: mailout built
# and installed with `make install` into a temporary prefix as root (the
# group, the set-group-id helper, the spool), the system file 0600 with the
# smarthost's password, then the real callers as the users they run as
# (nobody with HOME=/nonexistent, www-data): Debian cron's command line, at's,
# PHP's mail(), bsd-mailx. Root's queue run delivers them to the private
# Postfix with the From rewritten and root's alias; the users can read no
# secret; hostile submissions are refused; the staged install lists every
# file; systemd-analyze accepts the units.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (make install as root, runuser)"
for c in runuser groupadd getent cc; do
    command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed"
done
id nobody >/dev/null 2>&1 && id www-data >/dev/null 2>&1 || skip_all "no nobody or www-data user"
postfix_require
postfix_auto_stop "$T/pf"

# nobody must reach the prefix: $T is 0700 from mktemp.
chmod 711 "$T"
P=$T/prefix
B=$T/build
SPOOL=$P/var/spool/mailout
SUBMIT=$P/libexec/mailout/mailout-submit
unset MAILOUT_CONFIG XDG_CONFIG_HOME
HOME=$T/roothome; export HOME
mkdir -p "$HOME"

# ---------------------------------------------------------------- install
# A copy of the source, configured for the prefix (the helper and the main
# program have the spool and the helper's path compiled in).
mkdir -p "$B"
# Not what a build leaves in the source tree: distcheck's _build and _inst
# (busy while this runs) or an unpacked dist directory.
( cd "$top_srcdir" && tar cf - --exclude=./_build --exclude=./_inst \
      --exclude='./mailout-[0-9]*' . ) | ( cd "$B" && tar xf - )
chmod -R u+w "$B"
# make clean first: a copy of a configured tree would keep its objects, built
# with the other prefix's paths.
( cd "$B" && { [ ! -f Makefile ] || make clean; } >/dev/null 2>&1 && ./configure --quiet --prefix="$P" --enable-sendmail-links \
      --with-systemdsystemunitdir="$P/lib/systemd/system" \
      --with-systemduserunitdir="$P/lib/systemd/user" CFLAGS='-O0 -g' \
  && make -j2 >/dev/null 2>&1 ) > "$T/build.log" 2>&1 \
    || { cat "$T/build.log" | sed 's/^/# /'; echo "Bail out! the build for the prefix failed"; exit 1; }
( cd "$B" && make install ) > "$T/install.log" 2>&1
ok $? "make install as root into $P"
echo "# $(date +%T) installed"
like "$(cat "$T/install.log")" "Setting up system mode" "  it sets system mode up"
getent group mailout >/dev/null
ok $? "  the group mailout exists"
is "$(stat -c '%U:%G %a' "$SUBMIT")" "root:mailout 2755" "  mailout-submit is set-group-id mailout"
is "$(stat -c '%U:%G %a' "$SPOOL")" "root:root 755" "  the spool is root's, 0755"
is "$(stat -c '%U:%G %a' "$SPOOL/incoming")" "root:mailout 1730" "  incoming/ is root:mailout 1730"
is "$(stat -c '%U:%G %a' "$SPOOL/queue")" "root:root 700" "  the queue is root's alone"
is "$(readlink "$P/sbin/sendmail")" "$P/bin/mailout" "  sbin/sendmail is mailout"
is "$(readlink "$P/bin/mailq")/$(readlink "$P/bin/newaliases")" "mailout/mailout" "  mailq and newaliases too"
is "$(cat "$P/share/man/man1/sendmail.1")" ".so man1/mailout.1" "  sendmail(1) is mailout(1)"
ok "$([ -f "$P/share/doc/mailout/mailout.ini.example" ]; echo $?)" "  the example configuration is in docdir"
ok "$([ -f "$P/share/doc/mailout/examples/cron.d/mailout" ] && [ ! -e "$P/etc/cron.d" ]; echo $?)" \
    "  sysconfdir is not /etc: the cron line is an example in docdir"
ok "$([ -f "$P/lib/systemd/system/mailout-incoming.path" ]; echo $?)" "  the path unit is installed"
like "$(cat "$P/lib/systemd/system/mailout-queue.service")" "ExecStart=$P/bin/mailout --queue-due" \
    "  the service runs mailout --queue-due"
like "$(cat "$P/lib/systemd/system/mailout-incoming.path")" "PathChanged=$SPOOL/incoming" \
    "  the path unit watches incoming/"

# ---------------------------------------------------------------- the system file
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
postfix_require_delivery
mkdir -p "$P/etc" "$P/var/log"
printf 'root: admin@example.net\n' > "$P/etc/aliases"
cat > "$P/etc/mailout.ini" <<EOF2
[mailout]
aliases = $P/etc/aliases
qualify_domain = test.example
logfile = $P/var/log/mailout.log

[account smarthost]
host = localhost
port = $PF_STARTTLS_PORT
tls_trust_file = $PF_CA
from = server@test.example
user = $PF_USER
password = $PF_PASS
EOF2
chmod 600 "$P/etc/mailout.ini"
chmod 644 "$PF_CA" 2>/dev/null

as() {      # as USER COMMAND...: a clean login-less environment, as cron has
    _u=$1; shift
    runuser -u "$_u" -- env -i HOME=/nonexistent PATH=/usr/bin:/bin LOGNAME="$_u" "$@"
}
entries() { find "$SPOOL/incoming" -type f ! -name '.tmp-*' | wc -l; }
header() { sed -n "/^\$/q;s/^$2: //p" "$1"; }
envrcpt() { sed -n 's/^recipient=//p' "${1%.eml}.env"; }
envsender() { sed -n 's/^sender=//p' "${1%.eml}.env"; }

# ---------------------------------------------------------------- callers
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <nobody@host> run-parts\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\ncron output\n' \
    | as nobody "$P/sbin/sendmail" -FCronDaemon -i -B8BITMIME -oem root > "$T/out" 2>&1
ok $? "Debian cron's call as nobody, HOME=/nonexistent: exit 0"
is "$(cat "$T/out")" "" "  silent"
is "$(entries)" 1 "  one entry in incoming/"
is "$(stat -c '%U:%G %a' "$SPOOL/incoming/65534"/*)" "nobody:mailout 600" "  nobody's, group mailout, 0600"

printf 'Subject: Output from your job        3\nTo: nobody\n\nat output\n' \
    | as nobody "$P/sbin/sendmail" -i nobody > "$T/out" 2>&1
ok $? "at's call (sendmail -i USER): exit 0"

if command -v php >/dev/null 2>&1; then
    as www-data php -n -d "sendmail_path=$P/sbin/sendmail -t -i" \
        -r 'exit(mail("root", "php subject", "php body", "X-Mailer: PHP") ? 0 : 1);' > "$T/out" 2>&1
    ok $? "PHP mail() as www-data: true"
else
    ok 0 "# SKIP php is not installed"
fi
if command -v bsd-mailx >/dev/null 2>&1; then
    printf 'set sendmail=%s\n' "$P/sbin/sendmail" > "$T/mailrc"
    chmod 644 "$T/mailrc"
    echo "mailx body" | as nobody env MAILRC="$T/mailrc" bsd-mailx -n -s "mailx subject" root > "$T/out" 2>&1
    ok $? "bsd-mailx mail -s as nobody: exit 0"
else
    ok 0 "# SKIP bsd-mailx is not installed"
fi

# -bs as nobody: the session is served without the system file, and the
# message goes to the helper like a piped one (a pipelined flight).
before=$(entries)
printf 'EHLO client\r\nMAIL FROM:<nobody@test.example>\r\nRCPT TO:<root>\r\nDATA\r\nSubject: bs in system mode\r\nTo: root\r\n\r\n..dotted\r\nbs body\r\n.\r\nQUIT\r\n' \
    | as nobody "$P/sbin/sendmail" -bs > "$T/bs.out" 2> "$T/bs.err"
ok $? "-bs as nobody: exit 0"
like "$(tr -d '\r' < "$T/bs.out")" "^250 2\.0\.0 Ok: queued for delivery" "  the final dot answered: queued for delivery"
like "$(tr -d '\r' < "$T/bs.out")" "^221 " "  then QUIT"
is "$(cat "$T/bs.err")" "" "  nothing on stderr"
is "$(entries)" "$((before + 1))" "  one more entry in incoming/ (through the helper)"
printf 'MAIL FROM:<nobody@test.example>\r\n' | as nobody "$P/sbin/sendmail" -bs -a smarthost > "$T/out" 2>&1
is "$?" 77 "-bs -a ACCOUNT as nobody: refused (77), as for a piped message"
printf 'EHLO client\r\nMAIL FROM:<nobody@test.example>\r\nRCPT TO:<root>\r\nDATA\r\nSubject: half\r\n' \
    | as nobody "$P/sbin/sendmail" -bs > "$T/out" 2>&1
is "$?" 65 "-bs as nobody, leaving inside DATA: 65"
is "$(entries)" "$((before + 1))" "  and nothing handed over"

as nobody "$P/bin/mailq" > "$T/mailq" 2>&1
ok $? "mailq as nobody: exit 0"
like "$(cat "$T/mailq")" "Submitted by you" "  lists what nobody submitted"
like "$(cat "$T/mailq")" "^ +nobody$" "  with its recipients"
as www-data "$P/bin/mailq" > "$T/mailq" 2>&1
unlike "$(cat "$T/mailq")" "nobody|Cron" "  www-data does not see nobody's mail"

# ---------------------------------------------------------------- secrets
as nobody cat "$P/etc/mailout.ini" > /dev/null 2>&1
ok $((! $?)) "nobody cannot read the system file"
as nobody ls "$SPOOL/queue" > /dev/null 2>&1
ok $((! $?)) "nobody cannot list the queue"
as nobody ls "$SPOOL/incoming" > /dev/null 2>&1
ok $((! $?)) "nobody cannot list incoming/"
wd=$(find "$SPOOL/incoming/33" -type f | head -n 1)
as nobody cat "$wd" > /dev/null 2>&1
ok $((! $?)) "nobody cannot read www-data's entry"
as nobody "$SUBMIT" -bp > "$T/out" 2>&1
unlike "$(cat "$T/out")" "$(basename "$wd")" "  nor list it through the helper"
as nobody grep -rlF "$PF_PASS" "$P" > "$T/found" 2>/dev/null
is "$(cat "$T/found")" "" "the password is in no file under the prefix that nobody can read"
as nobody "$P/bin/mailq" > "$T/out" 2>&1
as nobody "$P/bin/mailout" --version >> "$T/out" 2>&1
unlike "$(cat "$T/out")" "$PF_PASS|$PF_USER" "  nor in what mailout tells nobody"

# ---------------------------------------------------------------- hostile
before=$(entries)
as nobody "$SUBMIT" -C /etc/passwd root < /dev/null > "$T/out" 2>&1
is "$?" 64 "helper: -C refused (64)"
like "$(cat "$T/out")" "^mailout-submit: -C is refused" "  saying why"
as nobody env MAILOUT_CONFIG="$P/etc/mailout.ini" "$SUBMIT" root < /dev/null > "$T/out" 2>&1
is "$?" 64 "helper: \$MAILOUT_CONFIG refused (64)"
like "$(cat "$T/out")" "MAILOUT_CONFIG is refused" "  saying why"
as nobody "$SUBMIT" --debug root < /dev/null > "$T/out" 2>&1
is "$?" 64 "helper: --debug refused (64)"
as nobody "$P/sbin/sendmail" --debug root < /dev/null > "$T/out" 2>&1
is "$?" 77 "sendmail --debug as nobody: refused (77)"
like "$(cat "$T/out")" "only root can read" "  saying why"
as nobody "$P/sbin/sendmail" -C "$P/etc/mailout.ini" root < /dev/null > "$T/out" 2>&1
is "$?" 78 "sendmail -C SYSTEM-FILE as nobody: 78"
like "$(cat "$T/out")" "Permission denied" "  permission denied"
as nobody env MAILOUT_CONFIG="$P/etc/mailout.ini" "$P/sbin/sendmail" root < /dev/null > "$T/out" 2>&1
is "$?" 78 "sendmail with \$MAILOUT_CONFIG=SYSTEM-FILE as nobody: 78"
{ printf 'To: root\nSubject: big\n\n'; head -c 62914560 /dev/zero | tr '\0' 'x' | fold -w 76; } \
    | as nobody "$P/sbin/sendmail" -i root > "$T/out" 2>&1
is "$?" 69 "a 60 MB message: refused (69)"
like "$(cat "$T/out")" "larger than 52428800 bytes" "  naming the limit"
is "$(find "$SPOOL/incoming" -name '.tmp-*' | wc -l)" 0 "  nothing left behind"
as nobody "$SUBMIT" 'bad
line@example.net' < /dev/null > "$T/out" 2>&1
is "$?" 65 "helper: a recipient with a line break refused (65)"
as nobody sh -c 'exec "$0" -i root <&-' "$P/sbin/sendmail" > "$T/out" 2>&1
is "$?" 66 "sendmail with stdin closed as nobody: 66, not an empty message handed over"
like "$(cat "$T/out")" "standard input is closed" "  saying why"
as nobody sh -c 'exec "$0" root <&-' "$SUBMIT" > "$T/out" 2>&1
is "$?" 66 "helper with stdin closed: 66"

# The helper while it runs (waiting for the message): what it holds open, in
# its environment and in its memory. It never opened the system file, so the
# password cannot be there; nobody cannot read the process's environment
# (a set-group-id process is not dumpable).
mkfifo "$T/fifo" && chmod 666 "$T/fifo"
as nobody sh -c 'exec "$0" root < "$1"' "$SUBMIT" "$T/fifo" > "$T/out" 2>&1 &
exec 9>"$T/fifo"
pid=
for _ in $(seq 50); do pid=$(pgrep -u nobody -x mailout-submit) && break; sleep 0.1; done
ok "$([ -n "$pid" ]; echo $?)" "the helper runs as nobody, waiting for the message (pid $pid)"
ls -l "/proc/$pid/fd" > "$T/fds" 2>&1
like "$(cat "$T/fds")" "fifo" "  its open files are readable to root (the test sees them)"
unlike "$(cat "$T/fds")" "mailout.ini|/queue|\\.netrc" "  it holds no configuration or queue file open"
as nobody cat "/proc/$pid/environ" > /dev/null 2>&1
ok $((! $?)) "  nobody cannot read the helper's environment"
tr '\0' '\n' < "/proc/$pid/environ" | grep -F "$PF_PASS" > "$T/found"
is "$(cat "$T/found")" "" "  the password is not in its environment"
if python3 "$top_srcdir/tests/lib/memgrep.py" "$pid" "$PF_PASS" > "$T/mem" 2>&1; then
    is "$(cat "$T/mem")" "0 matches" "  the password is nowhere in its memory"
    python3 "$top_srcdir/tests/lib/memgrep.py" "$pid" "$SUBMIT" > "$T/mem" 2>&1
    unlike "$(cat "$T/mem")" "^0 matches" "  (the scan does find its own path there: $(cat "$T/mem"))"
else
    ok 0 "# SKIP cannot read another process's memory here: $(head -n 1 "$T/mem")"
fi
kill -TERM "$pid" 2>/dev/null
exec 9>&-
wait
is "$(entries)" "$before" "nothing of that reached incoming/"

# Entries planted as root stand for a caller who got past the helper.
src=$(find "$SPOOL/incoming/65534" -type f | head -n 1)
ln -s /etc/shadow "$SPOOL/incoming/65534/0000000000000001"
cp -p "$src" "$SPOOL/incoming/65534/0000000000000002" && chown root "$SPOOL/incoming/65534/0000000000000002"
cp -p "$src" "$SPOOL/incoming/65534/0000000000000003" && chmod 644 "$SPOOL/incoming/65534/0000000000000003"
sed 's/^user nobody$/user root/' "$src" > "$SPOOL/incoming/65534/0000000000000004"
chown nobody:mailout "$SPOOL/incoming/65534/0000000000000004"; chmod 600 "$SPOOL/incoming/65534/0000000000000004"
ln -s /root "$SPOOL/incoming/0"
shadow_before=$(stat -c '%s %Y' /etc/shadow)

echo "# $(date +%T) hostile submissions done"

# A sound entry that root's run cannot resolve: -t, and no recipient in the
# header. The caller was told it was accepted, so it is held, not refused.
printf 'Subject: nobody to send to\n\nheld body\n' | as nobody "$P/sbin/sendmail" -t > "$T/out" 2>&1
is "$?" 0 "sendmail -t with no recipient in the header, as nobody: accepted (exit 0)"

# Root's mailq shows what waits in incoming/ too (read only: the run decides).
listed_before=$(find "$SPOOL/incoming" | sort)
"$P/bin/mailq" > "$T/rootq" 2>&1
ok $? "root's mailq: exit 0"
like "$(cat "$T/rootq")" "^Submitted by local users, waiting for the next queue run" "  lists incoming/ under its own heading"
like "$(cat "$T/rootq")" "^[0-9a-f]{16} +[0-9]+ .{19}  nobody$" "  nobody's entries, the user as the sender"
like "$(cat "$T/rootq")" "^[0-9a-f]{16} +[0-9]+ .{19}  www-data$" "  and www-data's"
unlike "$(cat "$T/rootq")" "^0000000000000001" "  not the planted symbolic link"
is "$(find "$SPOOL/incoming" | sort)" "$listed_before" "  nothing moved by listing"
# ---------------------------------------------------------------- the privileged run
n0=$(postfix_mail_count)
"$P/bin/mailout" -q > "$T/qrun" 2>&1
ok $? "root's queue run (mailout -q): exit 0"
like "$(cat "$T/qrun")" "0000000000000001 refused: a symbolic link" "  the planted symlink refused"
like "$(cat "$T/qrun")" "0000000000000002 refused: owned by uid 0, not 65534" "  the forged owner refused"
like "$(cat "$T/qrun")" "0000000000000003 refused: mode 0644, not 0600" "  the bad mode refused"
like "$(cat "$T/qrun")" "0000000000000004 refused: it claims to come from root" "  the forged user name refused"
like "$(cat "$T/qrun")" "incoming/0/0 refused|incoming/.*/0 refused" "  a symlink as a user's directory refused"
is "$(stat -c '%s %Y' /etc/shadow)" "$shadow_before" "  /etc/shadow untouched"
like "$(cat "$T/qrun")" "^mailout: incoming/65534/[0-9a-f]{16} cannot be queued: no recipients: .*; kept in failed/ as [0-9A-F]{10}$" \
    "  the entry without a recipient is held in failed/, saying why"
hid=$(sed -n 's|^mailout: incoming/65534/.* cannot be queued: .*; kept in failed/ as \([0-9A-F]*\)$|\1|p' "$T/qrun")
is "$(sed -n '/^end$/,$p' "$SPOOL/queue/failed/$hid" | sed 1d)" "$(printf 'Subject: nobody to send to\n\nheld body')" \
    "  the message held byte for byte"
"$P/bin/mailq" > "$T/rootq2" 2>&1
like "$(cat "$T/rootq2")" "^$hid +[0-9]+ .{19}  nobody$" "  mailq lists it under failed/, from nobody"
like "$(cat "$T/rootq2")" "^\(no recipients: none on the command line nor in To, Cc or Bcc\)$" "  with the reason"
like "$(cat "$P/var/log/mailout.log")" "failed=$hid uid=nobody reason='no recipients" "  the log says failed=ID uid=nobody"
"$P/bin/mailout" --requeue "$hid" > "$T/rq" 2>&1
is "$?" 65 "--requeue while the cause is not fixed: the error's exit status"
like "$(cat "$T/rq")" "^mailout: $hid stays in failed/: no recipients" "  it stays in failed/, saying why"
"$P/bin/mailout" --queue-delete "$hid" > "$T/rq" 2>&1
ok $? "  --queue-delete removes it"
ok "$([ ! -e "$SPOOL/queue/failed/$hid" ]; echo $?)" "  gone from failed/"
is "$(entries)" 0 "incoming/ is empty after the run"
postfix_wait_mail $((n0 + 5)) 60
ok $? "the five messages were delivered"
sleep 2
is "$(postfix_mail_count)" "$((n0 + 5))" "  and nothing else (no refused entry got through)"

f=$(grep -l '^Subject: Cron' "$PF_MAILDIR"/*.eml | head -n 1)
is "$(header "$f" From)" "Cron Daemon <server@test.example>" "cron: From rewritten, display name kept"
is "$(envrcpt "$f")" "admin@example.net" "cron: envelope to root's alias"
is "$(envsender "$f")" "server@test.example" "cron: envelope sender the account's"
is "$(header "$f" To)" "root@test.example" "cron: To qualified"
f=$(grep -l '^Subject: Output from your job' "$PF_MAILDIR"/*.eml | head -n 1)
is "$(envrcpt "$f")" "nobody@test.example" "at: nobody qualified (no alias)"
is "$(header "$f" From)" "server@test.example" "at: the added From is the account's"
if command -v php >/dev/null 2>&1; then
    f=$(grep -l '^Subject: php subject' "$PF_MAILDIR"/*.eml | head -n 1)
    is "$(envrcpt "$f")" "admin@example.net" "PHP: envelope to root's alias"
    is "$(header "$f" From)" "server@test.example" "PHP: From the account's"
fi
f=$(grep -l '^Subject: bs in system mode' "$PF_MAILDIR"/*.eml | head -n 1)
is "$(envrcpt "$f")" "admin@example.net" "-bs as nobody: envelope to root's alias"
like "$(sed '1,/^$/d' "$f")" '^\.dotted$' "  dot-stuffing undone"
if command -v bsd-mailx >/dev/null 2>&1; then
    f=$(grep -l '^Subject: mailx subject' "$PF_MAILDIR"/*.eml | head -n 1)
    is "$(envrcpt "$f")" "admin@example.net" "bsd-mailx: envelope to root's alias"
fi
like "$(cat "$P/var/log/mailout.log")" "queued=[0-9A-F]+ uid=nobody" "the log names the submitting user (uid=nobody)"
like "$(cat "$P/var/log/mailout.log")" "queued=[0-9A-F]+ uid=www-data" "  and www-data"
like "$(cat "$P/var/log/mailout.log")" "refused=incoming/65534/0000000000000002" "  and the refusals"
like "$(grep 'recipients=admin@example.net' "$P/var/log/mailout.log")" "host=localhost .*user=$PF_USER uid=nobody from=server@test.example" \
    "  the delivery line has uid=nobody after user= (the SMTP login)"

# An entry whose recipient cannot be resolved (an alias loop in the system
# file's aliases): held in failed/, its sender told with a bounce; the
# aliases fixed, --requeue takes it in and -q delivers it.
printf 'root: admin@example.net\nloopa: loopb\nloopb: loopa\n' > "$P/etc/aliases"
printf 'Subject: into the loop\n\nloop body\n' | as nobody "$P/sbin/sendmail" loopa > "$T/out" 2>&1
is "$?" 0 "sendmail to an alias loop, as nobody: accepted (exit 0)"
"$P/bin/mailout" -q > "$T/qrun2" 2>&1
ok $? "root's queue run: exit 0"
like "$(cat "$T/qrun2")" "^mailout: incoming/65534/[0-9a-f]{16} cannot be queued: .*alias loop.*; kept in failed/ as [0-9A-F]{10}\$" \
    "  the entry is held in failed/, saying why"
lid=$(sed -n 's|^mailout: incoming/65534/.* kept in failed/ as \([0-9A-F]*\)$|\1|p' "$T/qrun2")
like "$(cat "$T/qrun2")" "^mailout: a bounce to its sender is queued as [0-9A-F]{10}\$" "  and a bounce to its sender is queued"
f=$(postfix_wait_for server@test.example); ok $? "  the bounce reaches the sender (the account's address, as rewrite_from made it)"
is "$(envsender "$f")" "" "  with the null envelope sender"
like "$(cat "$f")" "report-type=delivery-status" "  a delivery status notification"
like "$(cat "$f")" "^Final-Recipient: rfc822; loopa" "  naming the recipient as it was given"
like "$(cat "$P/var/log/mailout.log")" "failed=$lid uid=nobody reason='.*alias loop.*' bounced=[0-9A-F]{10}" \
    "  logged with uid= and bounced="
printf 'root: admin@example.net\nloopa: looped@example.net\n' > "$P/etc/aliases"
"$P/bin/mailout" --requeue "$lid" > "$T/rq" 2>&1
ok $? "the aliases fixed: --requeue takes it in"
"$P/bin/mailout" -q > /dev/null 2>&1
f=$(postfix_wait_for looped@example.net); ok $? "  and -q delivers it to the fixed alias"
is "$(header "$f" Subject)" "into the loop" "  the message it was"

# ---------------------------------------------------------------- staged install, units
( cd "$B" && make install DESTDIR="$T/stage" ) > "$T/stage.log" 2>&1
ok $? "make install DESTDIR=..."
like "$(cat "$T/stage.log")" "groupadd --system mailout" "  prints the commands a packager runs"
missing=
for f in bin/mailout bin/mailq bin/newaliases sbin/sendmail libexec/mailout/mailout-submit \
         share/man/man1/mailout.1 share/man/man1/sendmail.1 share/man/man1/mailq.1 \
         share/man/man1/newaliases.1 share/doc/mailout/mailout.ini.example \
         share/doc/mailout/examples/cron.d/mailout lib/systemd/system/mailout-queue.service \
         lib/systemd/system/mailout-queue.timer lib/systemd/system/mailout-incoming.path \
         lib/systemd/user/mailout-queue.service lib/systemd/user/mailout-queue.timer; do
    [ -e "$T/stage$P/$f" ] || [ -L "$T/stage$P/$f" ] || missing="$missing $f"
done
is "$missing" "" "  every file is staged"
ok "$([ "$(stat -c %a "$T/stage$P/libexec/mailout/mailout-submit")" = 755 ]; echo $?)" \
    "  without the set-group-id bit (that is the packager's)"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify --man=no "$P/lib/systemd/system/mailout-queue.service" \
        "$P/lib/systemd/system/mailout-queue.timer" \
        "$P/lib/systemd/system/mailout-incoming.path" > "$T/verify" 2>&1
    ok $? "systemd-analyze verify accepts the units"
    sed 's/^/# /' "$T/verify"
else
    ok 0 "# SKIP systemd-analyze is not installed"
fi

( cd "$B" && make uninstall ) > "$T/uninstall.log" 2>&1
ok $? "make uninstall"
left=$(find "$P" \( -type f -o -type l \) ! -path "$P/etc/*" ! -path "$P/var/*" | sed "s|$P/||")
is "$left" "" "  removes every installed file"
done_testing
