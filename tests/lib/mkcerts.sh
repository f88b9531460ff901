#!/bin/sh
# mkcerts.sh DIR - make a throwaway PKI for the TLS tests:
#   DIR/ca.pem DIR/ca.key            test CA
#   DIR/server.pem DIR/server.key    server cert, SAN DNS:localhost IP:127.0.0.1 IP:::1
#   DIR/client.pem DIR/client.key    client cert (extendedKeyUsage clientAuth)
#   DIR/other-ca.pem DIR/other-ca.key  an unrelated CA (for "unknown CA" tests)
#   DIR/expired.pem DIR/expired.key  issued by the test CA, expired (2020-2021)
#   DIR/future.pem DIR/future.key    issued by the test CA, valid from 2099
#   DIR/wrongname.pem DIR/wrongname.key  issued by the test CA for
#                                    mail.example.org only
# All keys are unencrypted EC P-256; certs are valid for 30 days but for
# expired and future.
# Idempotent: an existing complete set in DIR is kept.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
if [ -s ca.pem ] && [ -s server.pem ] && [ -s client.pem ] && [ -s other-ca.pem ] \
		&& [ -s expired.pem ] && [ -s future.pem ] && [ -s wrongname.pem ]; then
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

# A leaf with fixed dates (openssl x509 cannot date a certificate in the
# past or the future; openssl ca can): NAME START END SAN
mkdated() {
	genkey "$1.key"
	openssl req -new -key "$1.key" -out "$tmp/$1.csr" -subj "/O=mailout test/CN=localhost" 2>/dev/null
	: > "$tmp/index"
	echo 01 > "$tmp/serial"
	printf '[ca]\ndefault_ca = t\n[t]\ndatabase = %s/index\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\norganizationName = optional\n' \
		"$tmp" "$tmp" "$tmp" > "$tmp/ca.cnf"
	printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$4" > "$tmp/$1.ext"
	openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key -in "$tmp/$1.csr" \
		-out "$1.pem" -startdate "$2" -enddate "$3" -extfile "$tmp/$1.ext" -notext 2>/dev/null
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
mkdated expired 20200101000000Z 20210101000000Z "DNS:localhost,IP:127.0.0.1,IP:::1"
mkdated future 20991231000000Z 21001231000000Z "DNS:localhost,IP:127.0.0.1,IP:::1"
mkleaf wrongname "/O=mailout test/CN=mail.example.org" \
"basicConstraints=critical,CA:FALSE
extendedKeyUsage=serverAuth
subjectAltName=DNS:mail.example.org"
chmod 644 ./*.pem
chmod 600 ./*.key
