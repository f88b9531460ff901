#!/bin/sh
# intake.sh - message intake through the real binary (with --dry-run): the
# lone dot with and without -i, CRLF and LF, the final newline, NUL bytes,
# the header limit, long lines, empty and header-only input, and a 100 MB
# message read with flat memory.
. "$top_srcdir/tests/tap.sh"

HOME=$T/home; export HOME
TMPDIR=$T/tmp; export TMPDIR
unset MAILOUT_CONFIG XDG_CONFIG_HOME
mkdir -p "$HOME" "$TMPDIR"
cat > "$T/c.ini" <<EOF
[mailout]
queue_dir = $T/queue
aliases = $T/aliases
[account work]
host = smtp.example.com
from = me@example.com
user = me@example.com
EOF
: > "$T/aliases"

# dry FILE ARGS...: runs a dry run with stdin from FILE; sets out, err, rc.
dry() {
    f=$1; shift
    out=$("$MAILOUT" -C "$T/c.ini" --dry-run "$@" < "$f" 2>"$T/err"); rc=$?
    err=$(cat "$T/err")
}
field() {   # field KEY: the value of "KEY: value" in $out
    printf '%s\n' "$out" | sed -n "s/^$1: //p" | head -n 1
}
# The header block of the dry run: from the first blank line to the next.
headers() {
    printf '%s\n' "$out" | awk 'b==1 && /^$/ {exit} b==1 {print} /^$/ {b=1}'
}

# ---------------------------------------------------------------- lone dot
printf 'Subject: dot\n\nline 1\n.\nline 3\n' > "$T/dot"
dry "$T/dot" a@b.example
is "$rc" 0 "lone dot: accepted"
is "$(field body-size)" 7 "without -i a lone dot ends the input"
dry "$T/dot" -i a@b.example
is "$(field body-size)" 16 "with -i a lone dot is body text"
dry "$T/dot" -oi a@b.example
is "$(field body-size)" 16 "-oi is the same as -i"
printf 'Subject: dot\r\n\r\nline 1\r\n.\r\nline 3\r\n' > "$T/dotcrlf"
dry "$T/dotcrlf" a@b.example
is "$(field body-size)" 7 "lone dot with CRLF ends the input"
printf 'Subject: dot\n\n..\n.x\n. \n' > "$T/dots"
dry "$T/dots" a@b.example
is "$(field body-size)" 9 "'..', '.x' and '. ' are text"
printf 'Subject: dot\n.\nTo: x@y.example\n' > "$T/dothdr"
dry "$T/dothdr" -t a@b.example
is "$(field body-size)" 0 "lone dot in the header ends the input"
unlike "$out" "x@y.example" "  and what follows is not read"

# ---------------------------------------------------------------- line ends
printf 'Subject: lf\nX-A: 1\n\nab\ncd\n' > "$T/lf"
printf 'Subject: lf\r\nX-A: 1\r\n\r\nab\r\ncd\r\n' > "$T/crlf"
dry "$T/lf" a@b.example; lf_out=$out
dry "$T/crlf" a@b.example; crlf_out=$out
is "$(field body-size)" 6 "CRLF input: body counted with LF line ends"
is "$(printf '%s\n' "$crlf_out" | grep -v '^Date:\|^Message-ID:')" \
   "$(printf '%s\n' "$lf_out" | grep -v '^Date:\|^Message-ID:')" \
   "CRLF and LF input give the same envelope and header"
unlike "$(printf '%s' "$crlf_out" | od -c)" '\\r' "no CR left in the header block"
printf 'Subject: x\n\nab\rcd\n' > "$T/barecr"
dry "$T/barecr" a@b.example
is "$rc" 0 "bare CR in the body accepted"
is "$(field body-size)" 6 "  and kept as it is"
printf 'Subject: x\ry\n\nbody\n' > "$T/hdrcr"
dry "$T/hdrcr" a@b.example
is "$rc" 65 "bare CR inside a header line: exit 65"
like "$err" "header line 1 contains a carriage return" "  with a clear message"
printf 'Subject: x\r\r\n\r\nbody\n' > "$T/crcrlf"
dry "$T/crcrlf" a@b.example
is "$rc" 0 "CR CR LF at a header line end accepted"
like "$out" "^Subject: x$" "  and the CRs dropped"

# ---------------------------------------------------------------- final newline
printf 'Subject: x\n\nno newline' > "$T/nonl"
dry "$T/nonl" a@b.example
is "$(field body-size)" 11 "missing final newline is added"
printf 'Subject: only a header' > "$T/hdronly-nonl"
dry "$T/hdronly-nonl" a@b.example
is "$rc" 0 "header-only input without newline accepted"
like "$out" "^Subject: only a header$" "  header kept"
is "$(field body-size)" 0 "  empty body"

# ---------------------------------------------------------------- NUL
printf 'Subject: x\n\nline 3\nli\000ne 4\n' > "$T/nul"
dry "$T/nul" a@b.example
is "$rc" 65 "NUL byte: exit 65"
is "$err" "mailout: message contains a NUL byte at line 4" "  message names the line"
is "$out" "" "  nothing printed"
printf 'Subj\000ect: x\n\nbody\n' > "$T/nulhdr"
dry "$T/nulhdr" a@b.example
is "$rc" 65 "NUL byte in the header: exit 65"
ok "$([ -d "$T/queue/tmp" ]; echo $?)" "the spool is in the queue's tmp/"
is "$(find "$T/queue/tmp" "$TMPDIR" -name 'mailout-*' | wc -l)" 0 "no spool file left behind after an error"

# ---------------------------------------------------------------- header limit
{ printf 'Subject: big\nX-Big: '; head -c 10000000 /dev/zero | tr '\0' a; printf '\n\nbody\n'; } > "$T/bighdr"
dry "$T/bighdr" a@b.example
is "$rc" 65 "10 MB header line: exit 65"
like "$err" "header block is larger than 1024 KiB" "  with a clear message"
{ printf 'Subject: big\n\n'; head -c 10000000 /dev/zero | tr '\0' a; printf '\n'; } > "$T/bigbody"
dry "$T/bigbody" a@b.example
is "$rc" 0 "10 MB body line accepted"
is "$(field body-size)" 10000001 "  and sent whole"
{ head -c 2000000 /dev/zero | tr '\0' a; printf '\n'; } > "$T/bigtext"
dry "$T/bigtext" a@b.example
is "$rc" 0 "2 MB first line that is not a field: it is body"
is "$(field body-size)" 2000001 "  all of it"

# ---------------------------------------------------------------- long lines
{ printf 'Subject: long\n\n'; head -c 5000 /dev/zero | tr '\0' b; printf '\nshort\n'; } > "$T/long"
dry "$T/long" a@b.example
is "$rc" 0 "a 5000-octet body line is accepted"
is "$(field body-size)" 5007 "  unchanged"

# ---------------------------------------------------------------- shapes
: > "$T/empty"
dry "$T/empty" a@b.example
is "$rc" 0 "empty input accepted with a recipient"
is "$(field body-size)" 0 "  empty body"
like "$out" "^Date: " "  Date added to an empty message"
dry "$T/empty" -t
is "$rc" 65 "empty input with -t: exit 65 (no recipients)"
like "$err" "no recipients" "  says no recipients"
printf 'Subject: h\nTo: x@y.example\n' > "$T/hdronly"
dry "$T/hdronly" -t
is "$rc" 0 "header-only input"
is "$(field recipient)" "<x@y.example>" "  recipient from To"
is "$(field body-size)" 0 "  empty body"
printf 'Hello,\nthis has no header.\n' > "$T/nohdr"
dry "$T/nohdr" a@b.example
is "$rc" 0 "input without a header"
is "$(field body-size)" 27 "  is all body"
is "$(headers | sed 's/:.*//' | tr '\n' ' ')" "From Date Message-ID " "  only the added fields in the header"
printf 'From me@example.com Mon Jan  1 00:00:00 2026\nSubject: mbox\n\nbody\n' > "$T/mbox"
dry "$T/mbox" a@b.example
is "$(headers | head -n 1)" "Subject: mbox" "an mbox 'From ' first line is dropped"
printf 'Subject: s\nno blank line\nX-Not: header\n' > "$T/noblank"
dry "$T/noblank" a@b.example
is "$(field body-size)" 28 "a non-field line starts the body"
unlike "$(headers)" "X-Not" "  and what follows is body"
printf 'Subject: caf\303\251\n\n\303\251t\303\251\n' > "$T/utf8"
dry "$T/utf8" a@b.example
is "$rc" 0 "8-bit header and body accepted"
like "$out" "^Subject: caf" "  header kept"

# ---------------------------------------------------------------- 100 MB, flat memory
if [ -x /usr/bin/time ]; then
    printf 'Subject: small\nTo: a@b.example\n\nbody\n' \
        | /usr/bin/time -f %M -o "$T/rss0" "$MAILOUT" -C "$T/c.ini" --dry-run -t >/dev/null 2>&1
    base=$(tail -n 1 "$T/rss0")
    yes 'The quick brown fox jumps over the lazy dog, again and again and again.' \
        | head -c 100000000 \
        | { printf 'Subject: big\nTo: a@b.example\n\n'; cat; } \
        | /usr/bin/time -f %M -o "$T/rss" "$MAILOUT" -C "$T/c.ini" --dry-run -t \
        > "$T/big.out" 2>"$T/big.err"
    rc=$?
    is "$rc" 0 "100 MB message read"
    out=$(cat "$T/big.out")
    is "$(field body-size)" 100000001 "  body of 100 MB spooled whole (final newline added)"
    rss=$(tail -n 1 "$T/rss")
    ok "$([ $((rss - base)) -lt 4096 ]; echo $?)" \
       "  peak memory ${rss} KiB: less than 4 MiB over a 5-byte message's ${base} KiB"
    if [ "$base" -lt 16384 ]; then
        ok "$([ "$rss" -lt 16384 ]; echo $?)" "  peak memory ${rss} KiB < 16 MiB"
    else
        # A sanitizer build maps its shadow memory up front.
        ok 0 "  # SKIP absolute bound: instrumented build starts at ${base} KiB"
    fi
else
    ok 1 "/usr/bin/time missing: run tests/setup-deps.sh"
fi

done_testing
