#!/bin/sh
# ehlo.sh - the name mailout gives in EHLO (RFC 5321 4.1.4): the account's
# domain when set, else the host's fully qualified name, else (a host name
# without a dot) an address literal of our end of the connection. The host
# name is set in a private UTS namespace, so the machine's own is untouched.
. "$top_srcdir/tests/tap.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private UTS namespace"
command -v unshare >/dev/null 2>&1 || skip_all "no unshare (util-linux)"
unshare --uts true 2>/dev/null || skip_all "unshare --uts is not permitted here"
FAULT_CERTS=$T/certs
export FAULT_CERTS
sh "$top_srcdir/tests/lib/mkcerts.sh" "$FAULT_CERTS" >/dev/null 2>&1 || skip_all "cannot make certificates"

# send_as HOSTNAME [CONFIG LINE]: one delivery with --debug; RC is its exit
# code, ehlo_of HOSTNAME the EHLO line it sent.
send_as() {
    d=$T/$1; mkdir -p "$d"
    /usr/bin/python3 "$top_srcdir/tests/faultserver.py" serve \
        "$top_srcdir/tests/faults/ok-pipelined.test" "$d" &
    spid=$!
    i=0
    while [ ! -s "$d/vars.sh" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    [ -z "${2:-}" ] || printf '%s\n' "$2" >>"$d/config.ini"
    unshare --uts sh -c 'hostname "$1"; shift; exec "$@"' sh "$1" \
        "$MAILOUT" -C "$d/config.ini" -a fault --debug \
        -f sender@example.org a@example.net b@example.net <"$d/message" 2>"$d/stderr"
    RC=$?
    wait $spid 2>/dev/null
}
ehlo_of() { grep '^C: EHLO ' "$T/$1/stderr"; }

send_as nodots
is "$RC" 0 "a host name without a dot: delivered"
is "$(ehlo_of nodots)" "C: EHLO [127.0.0.1]" "EHLO gives the address literal of our end"
send_as mx1.example.org
is "$(ehlo_of mx1.example.org)" "C: EHLO mx1.example.org" "a fully qualified host name is used as it is"
send_as nodots2 "domain = client.example.com"
is "$(ehlo_of nodots2)" "C: EHLO client.example.com" "the account's domain wins over both"
done_testing
