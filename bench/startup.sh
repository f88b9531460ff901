#!/bin/sh
# startup.sh - what the keyring support costs at start-up (issue 5, item 6):
# wall time and peak RSS of `--version` and of a `--dry-run` (mailout) or
# `--pretend` (msmtp, which reads its configuration and stops), for mailout
# built with libsecret (loaded with dlopen only when a password is looked up
# there), mailout built without it, and Debian's msmtp (linked against
# libsecret and GLib). Then the one case that does load libsecret: a keyring
# lookup against a private gnome-keyring (tests/lib/keyring.sh).
#
#   bench/startup.sh [RUNS]      (default 50; medians are shown)
#
# Env: MAILOUT (built with libsecret), MAILOUT_NOSECRET (configured with
# --with-libsecret=no; that row is left out when unset), MSMTP (default
# msmtp), TEST_SECRETS (tests/test-secrets of the libsecret build).
# Not a test: the numbers depend on the machine.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
MAILOUT=${MAILOUT:-$top_srcdir/mailout}
MAILOUT_NOSECRET=${MAILOUT_NOSECRET:-}
MSMTP=${MSMTP:-msmtp}
TEST_SECRETS=${TEST_SECRETS:-$(dirname "$MAILOUT")/tests/test-secrets}
RUNS=${1:-50}
[ -x "$MAILOUT" ] || { echo "startup: no mailout binary at $MAILOUT" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "startup: GNU time is needed (package time)" >&2; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/mailout-startup.XXXXXX")
trap 'rm -rf "$D"' EXIT

cat >"$D/mailout.ini" <<EOT
[account work]
host = smtp.example.com
from = me@example.com
user = me@example.com
password_command = echo never-run
EOT
cat >"$D/msmtprc" <<EOT
account work
host smtp.example.com
from me@example.com
auth on
user me@example.com
passwordeval echo never-run
account default : work
EOT
chmod 600 "$D/mailout.ini" "$D/msmtprc"
printf 'From: me@example.com\nTo: you@example.com\nSubject: x\n\nbody\n' >"$D/msg"

python3 - "$RUNS" "$D" "$MAILOUT" "$MAILOUT_NOSECRET" "$MSMTP" <<'PY'
import os, subprocess, sys, time, statistics
runs, d, mo, mo_ns, msmtp = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
# Wall time of the command itself; peak RSS from GNU time (a child forked by
# python would report python's own RSS as its high-water mark).
def measure(argv, stdin_path=None):
    walls, rss = [], []
    for _ in range(runs):
        fin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
        t0 = time.perf_counter()
        subprocess.run(argv, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        if stdin_path: fin.close()
        fin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", d + "/rss"] + argv, stdin=fin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rss.append(int(open(d + "/rss").read().split()[-1]))
        if stdin_path: fin.close()
    return statistics.median(walls) * 1000, statistics.median(rss) / 1024
rows = []
def row(name, argv, stdin_path=None):
    ms, mb = measure(argv, stdin_path)
    print(f"{name:<44} {ms:8.2f} ms {mb:8.1f} MiB")
print(f"{'median of %d runs' % runs:<44} {'wall':>11} {'peak RSS':>12}")
for label, binary in (("mailout (libsecret, dlopen on demand)", mo), ("mailout (--with-libsecret=no)", mo_ns)):
    if not binary: continue
    row(label + " --version", [binary, "--version"])
    row(label + " --dry-run", [binary, "-C", f"{d}/mailout.ini", "--dry-run", "-t"], f"{d}/msg")
row("msmtp --version", [msmtp, "--version"])
row("msmtp --pretend", [msmtp, "-C", f"{d}/msmtprc", "--pretend"])
PY

# The keyring lookup itself, which is where libsecret is paid for.
if [ -x "$TEST_SECRETS" ] && "$TEST_SECRETS" support | grep -q '^yes' \
   && command -v gnome-keyring-daemon >/dev/null && command -v dbus-daemon >/dev/null; then
    skip_all() { echo "startup: $1" >&2; exit 0; }
    . "$top_srcdir/tests/lib/keyring.sh"
    trap 'keyring_stop; rm -rf "$D"' EXIT
    keyring_start "$D/kr" || exit 0
    printf '%s' 'bench-secret' | secret-tool store --label=bench host h service smtp user u
    python3 - "$RUNS" "$TEST_SECRETS" "$D/pw" <<'PY'
import os, subprocess, sys, time, statistics
runs, ts, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
walls, rss = [], []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run([ts, "get", "h", "u", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t0)
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out + ".rss", ts, "get", "h", "u", out],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rss.append(int(open(out + ".rss").read().split()[-1]))
print(f"{'keyring lookup (libsecret loaded, D-Bus)':<44} {statistics.median(walls)*1000:8.2f} ms {statistics.median(rss)/1024:8.1f} MiB")
PY
fi

# Shared objects mapped at start (deterministic, unlike the times above).
for b in "$MAILOUT" "$MAILOUT_NOSECRET" "$(command -v "$MSMTP")"; do
    [ -n "$b" ] || continue
    printf '%-44s %3d shared objects at start%s\n' "$(basename "$(dirname "$b")")/$(basename "$b")" \
        "$(ldd "$b" | wc -l)" "$(ldd "$b" | grep -q libsecret && echo ', libsecret among them')"
done
