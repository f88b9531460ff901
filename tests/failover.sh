#!/bin/sh
# failover.sh - fallback accounts (mailout(1) CONFIGURATION, fallback)
# against the private Postfix, with the scripted fault server as the first
# server: a closed port, a 421 greeting and a 4xx at RCPT (with DATA and
# with BDAT) fail over in the same run, each account with its own TLS and
# AUTH; a 5xx at RCPT and a 4xx after the data do not; with every server
# down the message is queued (exit 0) for the account asked for, and -q
# walks the chain again. The log line names the server that took it;
# --dry-run and -v show the chain; bad fallback lists are configuration
# errors with file:line:key, also for --check-config.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
postfix_up
FS="/usr/bin/python3 $top_srcdir/tests/faultserver.py"

dead_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
DEAD=$(dead_port)
DEAD2=$(dead_port)

mkconf() {     # mkconf FIRST-PORT PF-PORT QUEUE-DIR
    cat >"$T/c.ini" <<EOF
[mailout]
logfile = $T/log
queue_dir = $3

[account first]
host = 127.0.0.1
port = $1
from = sender@test.example
tls = off
auth = off
timeout = 5
fallback = pf

[account pf]
host = localhost
port = $2
tls = starttls
tls_trust_file = $PF_CA
user = $PF_USER
password = $PF_PASS
timeout = 10
EOF
    chmod 600 "$T/c.ini"
}
send() {       # send SUBJECT RCPT [OPTION...]
    _subj=$1 _rcpt=$2
    shift 2
    printf 'From: sender@test.example\nTo: %s\nSubject: %s\n\nbody of %s\n' "$_rcpt" "$_subj" "$_subj" \
        | "$MAILOUT" -C "$T/c.ini" -a first "$@" "$_rcpt" >"$T/out" 2>"$T/err"
}
nqueued() { ls "$1" 2>/dev/null | grep -cE '^[0-9A-F]{10}$' || true; }
logline() { grep "recipients=$1 " "$T/log" 2>/dev/null; }

# A fault server for the first account, scripted by TEST-TEXT (a
# tests/faults/*.test text); sets FPORT, FDIR, FPID.
fault_start() {   # fault_start NAME TEST-TEXT
    FDIR=$T/fault-$1
    mkdir -p "$FDIR"
    printf '%s\n' "$2" >"$FDIR/case.test"
    $FS serve "$FDIR/case.test" "$FDIR" &
    FPID=$!
    _i=0
    while [ ! -s "$FDIR/vars.sh" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
    FPORT=$(sed -n 's/^port = //p' "$FDIR/config.ini")
}
fault_end() {
    _i=0
    while kill -0 "$FPID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill "$FPID" 2>/dev/null
    wait "$FPID" 2>/dev/null
}
fault_check() {   # fault_check DESCRIPTION: the server saw what the test says
    if $FS check "$FDIR/case.test" "$FDIR" >"$FDIR/check" 2>&1; then ok 0 "$1"
    else ok 1 "$1"; sed 's/^/#   /' "$FDIR/check"; fi
}

Q=$T/queue
mkconf "$DEAD" "$PF_STARTTLS_PORT" "$Q"

# --dry-run and -v name the chain
send "dry" dry@example.net --dry-run
is "$?" 0 "--dry-run exits 0"
like "$(cat "$T/out")" "^server: 127\\.0\\.0\\.1:$DEAD \\(off\\)\$" "--dry-run: the account's server"
like "$(grep '^fallback:' "$T/out")" "^fallback: pf localhost:$PF_STARTTLS_PORT \\(starttls\\)\$" "--dry-run: then the fallback account's"

# 1. the first account's port is closed: delivered through pf, same run
send "closed port" closed@example.net -v
is "$?" 0 "port closed: exit 0"
f=$(postfix_wait_for closed@example.net 20)
like "$(cat "$f" 2>/dev/null)" "Subject: closed port" "port closed: delivered through the fallback account"
like "$(cat "$f" 2>/dev/null)" "Authenticated sender: $PF_USER" "  with pf's own AUTH (user and password)"
like "$(cat "$f" 2>/dev/null)" "using TLS" "  and pf's own TLS"
is "$(nqueued "$Q")" 0 "  nothing queued"
like "$(cat "$T/err")" "servers to try in order: first \\(127\\.0\\.0\\.1 port $DEAD\\), pf \\(localhost port $PF_STARTTLS_PORT\\)" "-v: the chain"
like "$(cat "$T/err")" "trying the fallback account pf \\(localhost port $PF_STARTTLS_PORT\\)" "-v: the step to the fallback"
like "$(logline closed@example.net | head -n 1)" "host=127\\.0\\.0\\.1 tls=off .*exitcode=EX_TEMPFAIL\$" "log: the first server's failure"
like "$(logline closed@example.net | tail -n 1)" "host=localhost account=pf tls=on auth=on user=$PF_USER .*smtpstatus=250 .*exitcode=EX_OK\$" "log: the line names the server that took it (account pf, its host)"

# 2. the first server answers 421 at the greeting
fault_start greeting421 'desc: 421 greeting
on greeting: reply 421 4.3.2 Service not available, closing
commands:
QUIT
end'
mkconf "$FPORT" "$PF_STARTTLS_PORT" "$Q"
send "greeting 421" g421@example.net
is "$?" 0 "421 greeting: exit 0"
fault_end
fault_check "421 greeting: the first server saw only QUIT"
f=$(postfix_wait_for g421@example.net 20)
like "$(cat "$f" 2>/dev/null)" "Subject: greeting 421" "421 greeting: delivered through the fallback account"
like "$(logline g421@example.net | tail -n 1)" "host=localhost account=pf .*exitcode=EX_OK\$" "  log names pf"
is "$(nqueued "$Q")" 0 "  nothing queued"

# 3. a 4xx at RCPT (before the data): fails over; the first got no data
fault_start rcpt451 'desc: 451 at RCPT
on RCPT: reply 451 4.3.0 try again later'
mkconf "$FPORT" "$PF_STARTTLS_PORT" "$Q"
send "rcpt 451" r451@example.net
is "$?" 0 "451 at RCPT: exit 0"
fault_end
ok "$([ ! -s "$FDIR/data" ]; echo $?)" "451 at RCPT: the first server got no message data"
f=$(postfix_wait_for r451@example.net 20)
like "$(cat "$f" 2>/dev/null)" "Subject: rcpt 451" "451 at RCPT: delivered through the fallback account"

# 4. the same with CHUNKING: the BDAT chunk went with the refused RCPT
fault_start bdat451 'desc: 451 at RCPT, BDAT in the flight
caps: PIPELINING CHUNKING 8BITMIME SIZE_10000000
on RCPT: reply 451 4.3.0 try again later'
mkconf "$FPORT" "$PF_STARTTLS_PORT" "$Q"
send "bdat 451" b451@example.net
is "$?" 0 "451 at RCPT with BDAT: exit 0"
fault_end
like "$(cut -d' ' -f2- "$FDIR/transcript")" "BDAT [0-9]+ LAST" "  the chunk was sent in the flight"
f=$(postfix_wait_for b451@example.net 20)
like "$(cat "$f" 2>/dev/null)" "Subject: bdat 451" "  and refused with the RCPT: delivered through the fallback account"

# 5. a 4xx after the data: the server had the message; no failover, queued
Q5=$T/queue5
fault_start eod451 'desc: 451 after the data
on EOD: reply 451 4.3.0 local problem'
mkconf "$FPORT" "$PF_STARTTLS_PORT" "$Q5"
send "eod 451" e451@example.net
is "$?" 0 "451 after the data: exit 0 (queued)"
fault_end
like "$(cat "$T/err")" "queued as [0-9A-F]{10}: .*451 4\\.3\\.0 local problem.*; will retry" "  the notice: queued, with the first server's reply"
unlike "$(cat "$T/err")" "account pf" "  pf was not tried"
is "$(nqueued "$Q5")" 1 "  one message queued"
postfix_wait_idle
is "$(postfix_mail_for e451@example.net)" "" "  Postfix did not get it"

# 6. a 5xx at RCPT on the first: refused for good, no failover
fault_start rcpt550 'desc: 550 at RCPT
on RCPT: reply 550 5.1.1 User unknown'
mkconf "$FPORT" "$PF_STARTTLS_PORT" "$Q"
send "rcpt 550" r550@example.net
is "$?" 69 "550 at RCPT: exit 69"
fault_end
like "$(cat "$T/err")" "recipient refused: r550@example.net \\(550 5\\.1\\.1 User unknown\\)" "  the first server's refusal"
unlike "$(cat "$T/err")" "account pf" "  pf was not tried"
is "$(logline r550@example.net | grep -c 'account=pf')" 0 "  no log line for pf"
postfix_wait_idle
is "$(postfix_mail_for r550@example.net)" "" "  Postfix did not get it"
is "$(ls "$Q/failed" 2>/dev/null | grep -cE '^[0-9A-F]{10}$')" 1 "  a copy kept in failed/"

# 7. every server down: queued for the account asked for; -q walks the chain
mkconf "$DEAD" "$DEAD2" "$Q"
send "both down" down@example.net
is "$?" 0 "both down: exit 0"
like "$(cat "$T/err")" "queued as [0-9A-F]{10}: .*; then account pf: .*; will retry" "  the notice names both failures"
is "$(nqueued "$Q")" 1 "  one message queued"
id=$(ls "$Q" | grep -E '^[0-9A-F]{10}$')
like "$(grep '^account:' "$Q/$id")" "^account: first\$" "  queued for the account asked for"
mkconf "$DEAD" "$PF_STARTTLS_PORT" "$Q"
"$MAILOUT" -C "$T/c.ini" -q 2>"$T/err"
is "$?" 0 "-q with pf back: exit 0"
f=$(postfix_wait_for down@example.net 20)
like "$(cat "$f" 2>/dev/null)" "Subject: both down" "-q: delivered through the fallback account"
is "$(nqueued "$Q")" 0 "  the queue is empty"
like "$(logline down@example.net | tail -n 1)" "host=localhost account=pf .*exitcode=EX_OK\$" "  log names pf"
like "$(grep "delivered=$id" "$T/log")" "delivered=$id" "  and the queue's delivered line"

# 8. configuration errors: file:line:key, for a send and for --check-config
cat >"$T/bad.ini" <<'EOF'
[account a]
host = h
fallback = b nope

[account b]
host = h
fallback = a

[account c]
host = h
fallback = c
EOF
printf 'Subject: x\n\nx\n' | "$MAILOUT" -C "$T/bad.ini" --dry-run -a c x@example.net 2>"$T/err"
is "$?" 78 "bad fallback: exit 78"
like "$(cat "$T/err")" "^mailout: $T/bad\\.ini:3: fallback: no account named 'nope'\$" "  the first problem, with file:line:key"
"$MAILOUT" -C "$T/bad.ini" --check-config >"$T/out" 2>"$T/err"
ok "$([ $? -ne 0 ]; echo $?)" "--check-config: nonzero exit"
like "$(cat "$T/out" "$T/err")" "bad\\.ini:3: fallback: no account named 'nope'" "--check-config: unknown account"
like "$(cat "$T/out" "$T/err")" "bad\\.ini:7: fallback: fallback cycle: a -> b -> a" "--check-config: the cycle"
like "$(cat "$T/out" "$T/err")" "bad\\.ini:11: fallback: account c cannot fall back to itself" "--check-config: self-reference"

done_testing
