#!/bin/sh
# mkcerts.sh DIR - make a throwaway PKI for the TLS tests:
#   DIR/ca.pem DIR/ca.key            test CA
#   DIR/server.pem DIR/server.key    server cert, SAN DNS:localhost IP:127.0.0.1 IP:::1
#   DIR/client.pem DIR/client.key    client cert (extendedKeyUsage clientAuth)
#   DIR/other-ca.pem DIR/other-ca.key  an unrelated CA (for "unknown CA" tests)
# All keys are unencrypted EC P-256; certs are valid for 30 days.
# Idempotent: an existing complete set in DIR is kept.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
if [ -s ca.pem ] && [ -s server.pem ] && [ -s client.pem ] && [ -s other-ca.pem ]; then
	exit 0
fi
umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

genkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

mkca() { # name subject
	genkey "$1.key"
	openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 30 -sha256 \
		-subj "$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

mkleaf() { # name subject extfile-contents
	genkey "$1.key"
	openssl req -new -key "$1.key" -out "$tmp/$1.csr" -subj "$2" 2>/dev/null
	printf '%s\n' "$3" > "$tmp/$1.ext"
	openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -CAserial "$tmp/ca.srl" -out "$1.pem" -days 30 -sha256 \
		-extfile "$tmp/$1.ext" 2>/dev/null
}

mkca ca "/O=mailout test/CN=mailout test CA"
mkca other-ca "/O=mailout test/CN=unrelated test CA"
mkleaf server "/O=mailout test/CN=localhost" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf client "/O=mailout test/CN=mailout test client" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
chmod 644 ./*.pem
chmod 600 ./*.key
