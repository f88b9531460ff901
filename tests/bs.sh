#!/bin/sh
# bs.sh - mailout -bs (SPEC §9) against the private Postfix: a scripted
# client (tests/bs-client.py) with two messages in one session, a pipelined
# flight, a refused recipient, an over-long line, a client leaving inside
# DATA; then the real callers, Symfony Mailer and SwiftMailer, each sending a
# message with an attachment and a Bcc.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lib/postfix.sh"
postfix_require
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
postfix_auto_stop "$T/pf"
postfix_start "$T/pf" || { echo "Bail out! private Postfix did not start"; exit 1; }
postfix_require_delivery

export HOME="$T/home"
mkdir -p "$HOME"
MAILOUT_CONFIG=$T/config.ini
export MAILOUT_CONFIG
cat > "$MAILOUT_CONFIG" <<EOF
[mailout]
default_account = test
queue_dir = $T/queue
logfile = $T/mailout.log
message_size_limit = 100000

[account test]
host = localhost
port = $PF_STARTTLS_PORT
tls = starttls
tls_trust_file = $PF_CA
from = script@test.example
user = $PF_USER
password = $PF_PASS
EOF
chmod 600 "$MAILOUT_CONFIG"
PY=/usr/bin/python3
body() { sed '1,/^$/d' "$1"; }
header() { sed -n "/^\$/q;s/^$2: //p" "$1"; }
envsender() { sed -n 's/^sender=//p' "${1%.eml}.env"; }

# client SCENARIO: the script's checks as TAP
client() {
    "$PY" "$top_srcdir/tests/bs-client.py" "$1" "$MAILOUT" > "$T/$1.out" 2>&1
    while IFS= read -r l; do
        case $l in
            "ok "*) ok 0 "${l#ok }" ;;
            "not ok "*) ok 1 "${l#not ok }" ;;
            *) echo "# $l" ;;
        esac
    done < "$T/$1.out"
}

client session
for r in bs-one bs-two bs-two-b bs-pipe bs-pipe2 bs-after; do
    f=$(postfix_wait_for $r@example.net)
    ok $? "$r@example.net received"
done
f=$(postfix_mail_for bs-one@example.net | head -n 1)
is "$(header "$f" Subject)" "bs one" "the first message is the first"
is "$(envsender "$f")" script@test.example "envelope sender from MAIL FROM"
like "$(body "$f")" '^\.leading dot line$' "dot-stuffing undone"
f=$(postfix_mail_for bs-two@example.net | head -n 1)
is "$(header "$f" Subject)" "bs two" "the second message is the second"
postfix_wait_idle
is "$(postfix_mail_for reject@test.example)" "" "the refused recipient got nothing"
is "$(postfix_mail_for bs-longline@example.net)$(postfix_mail_for bs-big@example.net)" "" \
    "the messages over the limits were sent to nobody"
id=$(sed -n 's/^queued-id //p' "$T/session.out")
test -n "$id" && test -f "$T/queue/$id"
ok $? "the message refused for now is in the queue as $id"
like "$(cat "$T/mailout.log")" 'recipients=bs-one@example.net' "each message is logged"

# (the refused message is kept in failed/, as on the command line)
is "$(find "$T/queue/failed" -type f 2>/dev/null | wc -l)" 1 "the refused message: a copy in failed/"
queued() { find "$T/queue" -type f 2>/dev/null | grep -v '\.lock$' | sort; }
before=$(queued)
client vanish
postfix_wait_idle
sleep 1
is "$(postfix_mail_for bs-vanish@example.net)" "" "left inside DATA: nothing delivered"
is "$(queued)" "$before" "and nothing queued"
is "$(find "$T/queue/tmp" "$T/queue/incoming" -type f 2>/dev/null)" "" "and no spool file left behind"

# ---------------------------------------------------------------- Symfony Mailer
if [ -f /usr/share/php/Symfony/Component/Mailer/autoload.php ] && command -v php >/dev/null; then
    cat > "$T/symfony.php" <<'EOF'
<?php
require '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require '/usr/share/php/Symfony/Component/Mime/autoload.php';
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;
$transport = Transport::fromDsn('sendmail://default?command=' . rawurlencode($argv[1] . ' -bs'));
$email = (new Email())
    ->from('Symfony <symfony@test.example>')
    ->to('sym-to@example.net')
    ->bcc('sym-bcc@example.net')
    ->subject('from symfony')
    ->text("body from symfony\n")
    ->attach("attached text\n", 'note.txt', 'text/plain');
(new Mailer($transport))->send($email);
echo "sent\n";
EOF
    php "$T/symfony.php" "$MAILOUT" > "$T/symfony.out" 2>&1
    ok $? "Symfony Mailer (sendmail://default, command=mailout -bs): sent"
    sed 's/^/#   /' "$T/symfony.out"
    f=$(postfix_wait_for sym-to@example.net)
    ok $? "Symfony: the To recipient got it"
    is "$(header "$f" Subject)" "from symfony" "Symfony: Subject"
    like "$(cat "$f")" 'filename="?note.txt' "Symfony: the attachment is there"
    is "$(envsender "$f")" symfony@test.example "Symfony: envelope sender"
    f=$(postfix_wait_for sym-bcc@example.net)
    ok $? "Symfony: the Bcc recipient got it"
    unlike "$(sed '/^$/q' "$f")" 'X-Leaked-Bcc|sym-bcc' "Symfony: no Bcc in the header"
else
    ok 0 "# SKIP php-symfony-mailer is not installed (tests/setup-deps.sh)"
fi

# ---------------------------------------------------------------- SwiftMailer
if [ -f /usr/share/php/Swift/autoload.php ] && command -v php >/dev/null; then
    cat > "$T/swift.php" <<'EOF'
<?php
require '/usr/share/php/Swift/autoload.php';
$transport = new Swift_SendmailTransport($argv[1] . ' -bs');
$message = (new Swift_Message('from swiftmailer'))
    ->setFrom(['swift@test.example' => 'Swift'])
    ->setTo(['swift-to@example.net'])
    ->setBcc(['swift-bcc@example.net'])
    ->setBody("body from swiftmailer\n")
    ->attach(new Swift_Attachment("attached text\n", 'note.txt', 'text/plain'));
$failed = [];
$n = (new Swift_Mailer($transport))->send($message, $failed);
echo "sent to $n\n";
exit($n == 2 && !$failed ? 0 : 1);
EOF
    php "$T/swift.php" "$MAILOUT" > "$T/swift.out" 2>&1
    ok $? "SwiftMailer (Swift_SendmailTransport, mailout -bs): sent to both"
    sed 's/^/#   /' "$T/swift.out"
    f=$(postfix_wait_for swift-to@example.net)
    ok $? "SwiftMailer: the To recipient got it"
    is "$(header "$f" Subject)" "from swiftmailer" "SwiftMailer: Subject"
    like "$(cat "$f")" 'filename="?note.txt' "SwiftMailer: the attachment is there"
    f=$(postfix_wait_for swift-bcc@example.net)
    ok $? "SwiftMailer: the Bcc recipient got it"
    unlike "$(sed '/^$/q' "$f")" 'X-Leaked-Bcc|swift-bcc' "SwiftMailer: no Bcc in the header"
else
    ok 0 "# SKIP php-swiftmailer is not installed (tests/setup-deps.sh)"
fi

done_testing
