# tap.sh - TAP helpers for the shell tests; source it.
# Each test runs in a scratch directory removed at exit.
set -u
TAP_N=0
TAP_FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/mailout-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
: "${MAILOUT:=${top_builddir:-.}/mailout}"

ok() {      # ok COND-EXIT-STATUS DESCRIPTION
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $TAP_N - $2"
    else echo "not ok $TAP_N - $2"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}
is() {      # is GOT EXPECTED DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"
    else ok 1 "$3"; printf '#   got:      %s\n#   expected: %s\n' "$1" "$2" | sed '3,$s/^/#   /'; fi
}
like() {    # like GOT GREP-E-PATTERN DESCRIPTION
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"
    else ok 1 "$3"; printf '#   got: %s\n#   want match: %s\n' "$1" "$2"; fi
}
unlike() {  # unlike GOT GREP-E-PATTERN DESCRIPTION
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 1 "$3"; printf '#   got: %s\n' "$1"
    else ok 0 "$3"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
