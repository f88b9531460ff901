#!/bin/sh
# version-features.sh - --version names what the client speaks: protocols,
# extensions, SASL mechanisms in auth = auto's order, channel bindings, IDNA.
. "$top_srcdir/tests/tap.sh"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
out=$("$MAILOUT" -C /dev/null --version 2>&1)
is "$?" 0 "--version exits 0"
like "$out" '^Protocols: .*SMTP.*LMTP' "protocols: SMTP and LMTP"
for x in PIPELINING STARTTLS SIZE 8BITMIME DSN SMTPUTF8 CHUNKING; do
    like "$out" "^SMTP extensions used: .*\\b$x\\b" "extension $x"
done
like "$out" '^SASL mechanisms, auth = auto order: SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS SCRAM-SHA-256 ' \
    "auto prefers the channel-bound SCRAM mechanisms"
line=$(printf '%s\n' "$out" | grep '^SASL mechanisms, by name only:')
for m in XOAUTH2 OAUTHBEARER EXTERNAL; do
    like "$line" " $m( |\$)" "$m is offered by name"
done
unlike "$line" 'PLAIN|SCRAM|auto|off' "the by-name list holds no auto mechanism, no auto/off"
like "$out" '^Channel binding .*tls-exporter.*TLS 1\.3.*tls-server-end-point.*TLS 1\.2' "channel-binding types"
if grep -q '^#define HAVE_LIBIDN2 1' "${top_builddir:-.}/config.h" 2>/dev/null; then
    like "$out" '^IDNA A-labels .*: libidn2 [0-9]' "IDNA: the libidn2 version"
else
    like "$out" '^IDNA A-labels .*: no ' "IDNA: built without libidn2"
fi
if grep -q '^#define HAVE_LIBCURL 1' "${top_builddir:-.}/config.h" 2>/dev/null; then
    like "$out" '^OAuth 2 \(built in\): .*libcurl [0-9.]+, loaded when needed' "OAuth 2: libcurl is loaded when needed"
    # libcurl brings some twenty libraries: a send that does not use the
    # built-in OAuth 2 must not map them (dlopen in https.c)
    if command -v readelf >/dev/null 2>&1; then
        unlike "$(readelf -d "$MAILOUT" 2>&1)" 'NEEDED.*libcurl' "the program is not linked against libcurl"
    fi
fi
done_testing
