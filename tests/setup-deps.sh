#!/bin/sh
# Install every build and test dependency of mailout from Debian 12's packages.
# Idempotent: packages already present are skipped by apt-get.
set -eu
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
PKGS="build-essential autoconf automake autopoint gettext pkg-config
      libssl-dev libinih-dev libsecret-1-dev libglib2.0-dev libidn2-dev
      libcurl4-openssl-dev libjson-c-dev curl
      clang libclang-rt-14-dev llvm
      postfix sasl2-bin libsasl2-modules libsasl2-modules-db php-cli
      openssl ca-certificates python3 procps util-linux
      dbus gnome-keyring libsecret-tools
      msmtp bsd-mailx mutt s-nail git-email libmailtools-perl gnupg pass
      php-symfony-mailer php-swiftmailer
      valgrind time dovecot-core dovecot-lmtpd"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# The distribution's postfix must not run: the tests start their own instance.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now postfix >/dev/null 2>&1 || true; fi
$SUDO postfix stop >/dev/null 2>&1 || true
# Nor the distribution's Dovecot: tests/lmtp-dovecot.sh starts a private one.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true; fi
echo "setup-deps: all dependencies present"
