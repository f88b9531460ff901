#!/bin/sh
# msmtprc.sh - mailout --import-msmtprc on realistic msmtp configurations
# (msmtp's own documentation examples and common setups), each converted and
# then delivering through the private Postfix (tests/lib/postfix.sh); then
# mutt configured the msmtp way switches by changing one line.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
postfix_require_delivery

export HOME="$T/home"
mkdir -p "$HOME"
unset MAILOUT_CONFIG XDG_CONFIG_HOME
printf '%s\n' "$PF_PASS" > "$HOME/.pw"
chmod 600 "$HOME/.pw"
N=0

have() { command -v "$1" >/dev/null 2>&1; }
envsender() { sed -n 's/^sender=//p' "${1%.eml}.env"; }
header() { sed -n "/^\$/q;s/^$2: //p" "$1"; }

# convert NAME: $T/NAME.rc -> $T/NAME.ini; exit 0 and the INI loads.
convert() {
    chmod 600 "$T/$1.rc"
    "$MAILOUT" --import-msmtprc "$T/$1.rc" > "$T/$1.ini" 2> "$T/$1.err"
    ok $? "$1: converted (exit 0)"
    chmod 600 "$T/$1.ini"
    is "$(cat "$T/$1.err")" "" "$1: nothing on stderr"
}

# send NAME RCPT [ACCOUNT-ARGS...]: delivers with the converted file; prints
# the captured file.
send() {
    _name=$1 _rcpt=$2; shift 2
    printf 'Subject: %s\n\nbody of %s\n' "$_name" "$_name" \
        | "$MAILOUT" -C "$T/$_name.ini" "$@" "$_rcpt" > "$T/$_name.out" 2>&1
    ok $? "$_name: mailout delivered with the converted configuration"
    sed 's/^/#   /' "$T/$_name.out"
}

# ---------------------------------------------- 1. msmtp's user example
# msmtp's documentation example (msmtprc-user.example), with the
# freemail server pointed at the private Postfix.
cat > "$T/user.rc" <<EOF
# Example for a user configuration file ~/.msmtprc
# Set default values: use the mail submission port 587, and always use TLS.
# On this port, TLS is activated via STARTTLS.
defaults
port $PF_STARTTLS_PORT
tls on
tls_starttls on
tls_trust_file $PF_CA

# Define a mail account at a freemail service
account freemail
host localhost
from joe_smith@test.example
auth on
user $PF_USER
passwordeval "cat ~/.pw"

# A second mail address at the same freemail service
account freemail2 : freemail
from joey@test.example

# Some other mail service
account company
host mail.company.example
from smithjoe@company.example
auth on
user company12345

# Set a default account
account default : freemail
EOF
convert user
like "$(cat "$T/user.ini")" '^password_command = cat ~/.pw$' "user: passwordeval \"cat ~/.pw\" loses its quotes"
like "$(cat "$T/user.ini")" '^default_account = freemail$' "user: account default : freemail"
like "$(cat "$T/user.ini")" 'keyring entry msmtp used \(host mail.company.example service smtp user company12345\)' \
    "user: the keyring account says where its password comes from"
send user user1@example.net
f=$(postfix_wait_for user1@example.net) && is "$(envsender "$f")" joe_smith@test.example "user: default account's sender"
send user user2@example.net -a freemail2
f=$(postfix_wait_for user2@example.net) && is "$(envsender "$f")" joey@test.example "user: the inherited account freemail2"
like "$(cat "$PF_LOG")" 'sasl_method=' "user: Postfix saw AUTH"

# ---------------------------------------------- 2. Gmail-style, STARTTLS
cat > "$T/gmail.rc" <<EOF
# Gmail
account gmail
host localhost
port $PF_STARTTLS_PORT
protocol smtp
auth on
from me@test.example
user $PF_USER
password $PF_PASS
tls on
tls_starttls on
tls_trust_file $PF_CA
logfile ~/.msmtp.log

account default : gmail
EOF
convert gmail
like "$(cat "$T/gmail.ini")" "^password = $PF_PASS\$" "gmail: the password, spaces and all"
like "$(head -n 1 "$T/gmail.ini")" 'chmod 600' "gmail: the file says to keep it private"
send gmail gmail@example.net
f=$(postfix_wait_for gmail@example.net) && is "$(envsender "$f")" me@test.example "gmail: sender"
like "$(cat "$HOME/.msmtp.log" 2>/dev/null)" 'recipients=gmail@example.net' "gmail: msmtp's logfile is mailout's log now"

# ---------------------------------------------- 3. port 465, tls_starttls off
cat > "$T/smtps.rc" <<EOF
account smtps
host localhost
port $PF_TLS_PORT
tls on
tls_starttls off
tls_trust_file $PF_CA
auth plain
user $PF_USER
passwordeval "cat ~/.pw"
from smtps@test.example
timeout 30
account default : smtps
EOF
convert smtps
like "$(cat "$T/smtps.ini")" '^tls = implicit$' "smtps: tls on + tls_starttls off is implicit"
send smtps smtps@example.net
f=$(postfix_wait_for smtps@example.net) && is "$(envsender "$f")" smtps@test.example "smtps: sender"

# 3b. msmtp's default port for it is 465: none written in the msmtprc
sed -e "/^port/d" "$T/smtps.rc" > "$T/smtps465.rc"
convert smtps465
like "$(cat "$T/smtps465.ini")" '^port = 465$' "smtps465: msmtp's implicit default port is written out"

# ---------------------------------------------- 4. passwordeval with gpg, and pass
if have gpg; then
    export GNUPGHOME="$T/gnupg"
    mkdir -m 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key 'Test <gpg@test.example>' future-default default never 2>/dev/null
    printf '%s\n' "$PF_PASS" | gpg --batch --quiet --trust-model always -e -r gpg@test.example \
        -o "$HOME/.msmtp-password.gpg"
    cat > "$T/gpg.rc" <<EOF
defaults
tls on
tls_trust_file $PF_CA
account gpg
host localhost
port $PF_STARTTLS_PORT
from gpg@test.example
auth on
user $PF_USER
passwordeval gpg --no-tty -q -d ~/.msmtp-password.gpg
EOF
    convert gpg
    like "$(cat "$T/gpg.ini")" '^password_command = gpg --no-tty -q -d ~/.msmtp-password.gpg$' "gpg: passwordeval as written"
    send gpg gpg@example.net
    postfix_wait_for gpg@example.net >/dev/null
    ok $? "gpg: arrived"
    if have pass; then
        export PASSWORD_STORE_DIR="$T/store"
        pass init gpg@test.example >/dev/null 2>&1
        printf '%s\n' "$PF_PASS" | pass insert -e smtp/test >/dev/null 2>&1
        sed -e 's|^passwordeval .*|passwordeval "pass show smtp/test \| head -n 1"|' -e 's/^account gpg/account pass/' \
            -e 's/^from gpg@/from pass@/' "$T/gpg.rc" > "$T/pass.rc"
        convert pass
        like "$(cat "$T/pass.ini")" '^password_command = pass show smtp/test \| head -n 1$' "pass: passwordeval unquoted"
        send pass pass@example.net
        f=$(postfix_wait_for pass@example.net) && is "$(envsender "$f")" pass@test.example "pass: sender"
    else
        ok 0 "# SKIP pass is not installed (tests/setup-deps.sh)"
    fi
    gpgconf --kill gpg-agent 2>/dev/null
else
    ok 0 "# SKIP gpg is not installed (tests/setup-deps.sh)"
fi

# ---------------------------------------------- 5. inheritance, several defaults
cat > "$T/inherit.rc" <<EOF
defaults
tls on
tls_starttls on
tls_trust_file $PF_CA
auth on
user $PF_USER
passwordeval "cat ~/.pw"

account base
host localhost
port $PF_STARTTLS_PORT
from base@test.example
dsn_notify failure
dsn_return headers

account personal : base
from personal@test.example

defaults
tls off
auth off

account plain
host 127.0.0.1
port $PF_PLAIN_PORT
from plain@test.example
set_date_header off

account default : personal
EOF
convert inherit
send inherit inherit1@example.net
f=$(postfix_wait_for inherit1@example.net) && is "$(envsender "$f")" personal@test.example "inherit: default : personal"
send inherit inherit2@example.net -a plain
f=$(postfix_wait_for inherit2@example.net) && is "$(envsender "$f")" plain@test.example "inherit: the account after the second defaults"
like "$(cat "$T/inherit.ini")" '^dsn_return = hdrs$' "inherit: dsn_return headers is hdrs"

# ---------------------------------------------- 6. system-wide /etc/msmtprc with aliases
printf 'root: admin@example.net\ndefault: fallback@example.net\n' > "$T/aliases"
cat > "$T/system.rc" <<EOF
# Example for a system wide configuration file
account default
host 127.0.0.1
port $PF_PLAIN_PORT
from server@test.example
allow_from_override off
syslog LOG_MAIL
aliases $T/aliases
EOF
convert system
like "$(cat "$T/system.ini")" "^aliases = $T/aliases\$" "system: aliases"
like "$(cat "$T/system.ini")" '^syslog = on$' "system: syslog"
like "$(cat "$T/system.ini")" 'allow_from_override off" has no equivalent' "system: allow_from_override is a comment"
send system root
f=$(postfix_wait_for admin@example.net) && is "$(envsender "$f")" server@test.example "system: root went through the aliases"

# ---------------------------------------------- 7. self-signed server, pinned
fp=$("$MAILOUT" -C "$T/gmail.ini" --serverinfo 2>/dev/null | sed -n 's/.*\(SHA256:[0-9A-F:]*\).*/\1/p' | head -n 1)
fp=${fp#SHA256:}
cat > "$T/pinned.rc" <<EOF
account pinned
host localhost
port $PF_STARTTLS_PORT
tls on
tls_fingerprint $fp
auth on
user $PF_USER
passwordeval "cat ~/.pw"
from pinned@test.example
account default : pinned
EOF
convert pinned
like "$(cat "$T/pinned.ini")" "^tls_fingerprint = SHA256:$fp\$|^tls_fingerprint = $fp\$" "pinned: the fingerprint"
send pinned pinned@example.net
postfix_wait_for pinned@example.net >/dev/null
ok $? "pinned: arrived, verified by fingerprint only"

# ---------------------------------------------- 8. set_from_header, %U and odd settings
cat > "$T/odd.rc" <<EOF
account odd
host 127.0.0.1
port $PF_PLAIN_PORT
from %U@test.example
set_from_header auto
undisclosed_recipients on
proxy_host 127.0.0.1
proxy_port 9050
tls_certcheck off
account default : odd
EOF
convert odd
for k in undisclosed_recipients proxy_host proxy_port tls_certcheck; do
    like "$(cat "$T/odd.ini")" "^; msmtp's \"$k .*\" has no equivalent: " "odd: $k is a comment that says so"
done
send odd odd@example.net
f=$(postfix_wait_for odd@example.net) && is "$(envsender "$f")" "$(id -un)@test.example" "odd: %U@domain is the login at the domain"

# ---------------------------------------------- errors
printf 'account a\nhost h\ntls maybe\n' > "$T/bad.rc"
"$MAILOUT" --import-msmtprc "$T/bad.rc" > "$T/bad.out" 2> "$T/bad.err"
is $? 78 "malformed msmtprc: exit 78"
is "$(cat "$T/bad.err")" "mailout: $T/bad.rc:3: invalid argument maybe for command tls" "one line naming file:line"
is "$(cat "$T/bad.out")" "" "nothing on stdout"
"$MAILOUT" --import-msmtprc > /dev/null 2> "$T/none.err"
is $? 66 "no msmtprc at all: exit 66"
like "$(cat "$T/none.err")" 'neither ~/.msmtprc nor' "and says where it looked"
cp "$T/user.rc" "$HOME/.msmtprc"
"$MAILOUT" --import-msmtprc > "$T/home.ini"
ok $? "the default file ~/.msmtprc"
like "$(grep "converted from" "$T/home.ini")" "converted from $HOME/.msmtprc" "  is the one read"
rm "$HOME/.msmtprc"
mkdir -p "$T/xdg/msmtp" && cp "$T/gmail.rc" "$T/xdg/msmtp/config"
XDG_CONFIG_HOME=$T/xdg "$MAILOUT" --import-msmtprc > "$T/xdg.ini"
ok $? "else \$XDG_CONFIG_HOME/msmtp/config"
like "$(grep "converted from" "$T/xdg.ini")" "converted from $T/xdg/msmtp/config" "  is the one read"

# ---------------------------------------------- mutt, the msmtp way
if have mutt; then
    mkdir -p "$HOME/.config/mailout"
    cp "$T/user.rc" "$HOME/.msmtprc"
    "$MAILOUT" --import-msmtprc > "$HOME/.config/mailout/config.ini"
    ok $? "mutt: one command converts ~/.msmtprc"
    mkdir -p "$T/bin"
    ln -s "$MAILOUT" "$T/bin/mailout"
    cat > "$T/muttrc" <<EOF
set sendmail="msmtp --read-envelope-from"
set use_envelope_from
set from="Joey <joey@test.example>"
set record=""
set copy=no
set folder="$T"
set spoolfile="$T/mbox"
EOF
    sed -i 's/"msmtp /"mailout /' "$T/muttrc"    # and one changed line
    echo "body from mutt" | PATH="$T/bin:$PATH" mutt -n -F "$T/muttrc" -s "mutt the msmtp way" -- mutt1@example.net
    ok $? "mutt: exit 0"
    f=$(postfix_wait_for mutt1@example.net) && is "$(envsender "$f")" joey@test.example \
        "mutt: envelope sender is the From address, not the account's"
    # without use_envelope_from, only --read-envelope-from gives it
    sed -i '/use_envelope_from/d' "$T/muttrc"
    sed -i 's/Joey <joey@/Other <other@/' "$T/muttrc"
    echo "body from mutt" | PATH="$T/bin:$PATH" mutt -n -F "$T/muttrc" -s "mutt 2" -- mutt2@example.net
    f=$(postfix_wait_for mutt2@example.net) && is "$(envsender "$f")" other@test.example \
        "mutt: --read-envelope-from takes the sender from From"
    is "$(header "$f" From)" "Other <other@test.example>" "mutt: From kept"
else
    ok 0 "# SKIP mutt is not installed"
fi

done_testing
