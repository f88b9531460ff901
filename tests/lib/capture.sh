#!/bin/sh
# capture.sh MAILDIR SENDER RECIPIENT - Postfix pipe(8) delivery for the tests.
# Stores the message from stdin as MAILDIR/N.eml and its envelope as
# MAILDIR/N.env ("sender=..." and "recipient=..." lines). N counts up from 1;
# a claim directory .N makes concurrent deliveries pick distinct numbers, and
# N.eml appears last (by rename) so a reader never sees a partial message.
set -u
dir=$1 sender=$2 recipient=$3
umask 022
tmp=$(mktemp "$dir/.tmp.XXXXXX") || exit 75
cat > "$tmp" || { rm -f "$tmp"; exit 75; }
n=1
while ! mkdir "$dir/.$n" 2>/dev/null; do n=$((n + 1)); done
printf 'sender=%s\nrecipient=%s\n' "$sender" "$recipient" > "$dir/$n.env" || exit 75
chmod 644 "$tmp"
mv "$tmp" "$dir/$n.eml" || exit 75
exit 0
