#!/bin/sh
# sasl-cyrus.sh - mailout's SASL client against a real Cyrus SASL server
# (sasl-sample-server with a private sasldb): every password mechanism
# succeeds with the right password, SCRAM verifies the server's signature,
# and a wrong password is refused by the server.
. "$top_srcdir/tests/tap.sh"
for p in sasl-sample-server saslpasswd2 python3 stdbuf; do
    command -v $p >/dev/null || skip_all "$p is not installed"
done
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libscram.so ] || ls /usr/lib/*/sasl2/libscram.so >/dev/null 2>&1 \
    || skip_all "the Cyrus SCRAM plugin (libsasl2-modules) is not installed"
GLUE="$top_srcdir/tests/lib/cyrus-sample.py"
TSASL="$top_builddir/tests/test-sasl"

printf '%s' 'pencil sharpener' | saslpasswd2 -f "$T/sasldb" -c -p -u example.org user
cat >"$T/sample.conf" <<EOT
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $T/sasldb
mech_list: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256
EOT
export SASL_CONF_PATH="$T"

run() {     # run MECH PASSWORD
    timeout 20 python3 "$GLUE" "stdbuf -oL sasl-sample-server -s sample -m $1 -u example.org" \
        "'$TSASL' drive $1 user@example.org '$2'" "$1" 2>"$T/transcript.$1"
}
for m in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256; do
    is "$(run $m 'pencil sharpener')" "complete DONE 1" "$m: Cyrus SASL accepts mailout's client"
    like "$(run $m 'wrong')" '^(server|client)-error' "$m: a wrong password is refused"
done
like "$(cat "$T/transcript.SCRAM-SHA-256")" 'S: ' "the transcript shows the exchange"
done_testing
