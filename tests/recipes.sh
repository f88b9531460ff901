#!/bin/sh
# recipes.sh - every configuration recipe in mailout(1) and the installed
# doc/mailout.ini.example are complete configurations that --dry-run accepts;
# the example names every key the configuration parser knows.
. "$top_srcdir/tests/tap.sh"
[ -x "$MAILOUT" ] || skip_all "no mailout binary at $MAILOUT"
export HOME="$T/home"
mkdir -p "$HOME/.config/mailout"
unset MAILOUT_CONFIG XDG_CONFIG_HOME
MAN=$top_srcdir/doc/mailout.1

# Each ".\" recipe NAME" is followed by one .nf/.fi block: the file.
awk -v dir="$T" '
    /^\.\\" recipe / { name = $3; next }
    name != "" && /^\.nf$/ { out = dir "/" name ".ini"; printf "" > out; next }
    out != "" && /^\.fi$/ { close(out); print name; out = ""; name = ""; next }
    out != "" { gsub(/\\-/, "-"); gsub(/\\e/, "\\"); print >> out }
' "$MAN" > "$T/recipes"
is "$(tr '\n' ' ' < "$T/recipes")" "gmail microsoft fastmail icloud selfhosted " \
    "the manual has the recipes: Gmail, Microsoft 365, Fastmail, iCloud, self-hosted"

for r in $(cat "$T/recipes"); do
    f=$T/$r.ini
    chmod 600 "$f"
    "$MAILOUT" -C "$f" --dry-run rcpt@example.net < /dev/null > "$T/$r.out" 2> "$T/$r.err"
    ok $? "recipe $r: --dry-run accepts it"
    sed 's/^/#   /' "$T/$r.err"
    like "$(grep -i '^server:\|^host:' "$T/$r.out")" "$(sed -n 's/^host = //p' "$f" | head -n 1)" \
        "recipe $r: the server is the recipe's"
done
like "$(cat "$T/fastmail.ini")" '^tls = implicit$' "Fastmail on 465: implicit TLS"
"$MAILOUT" -C "$T/fastmail.ini" -a fastmail-587 --dry-run rcpt@example.net < /dev/null > "$T/f587.out"
ok $? "Fastmail on 587: the second account"
like "$(cat "$T/f587.out")" '587' "  on port 587"
like "$(cat "$T/microsoft.out")" 'xoauth2|XOAUTH2' "Microsoft 365: XOAUTH2"

# The example config: it loads as it is, and every key is in it.
EX=$top_srcdir/doc/mailout.ini.example
cp "$EX" "$T/example.ini"
chmod 600 "$T/example.ini"
"$MAILOUT" -C "$T/example.ini" --dry-run rcpt@example.net < /dev/null > "$T/example.out" 2>&1
ok $? "mailout.ini.example: --dry-run accepts it"
sed 's/^/#   /' "$T/example.out" | head -n 5
keys=$(sed -n '/^static const struct keydef [a-z_]*keys\[\] = {/,/^};/p' "$top_srcdir/src/conf_keys.c" \
       | sed -n 's/^ *{ "\([a-z0-9_]*\)".*/\1/p')
[ -n "$keys" ]
ok $? "the parser's keys were found in src/conf_keys.c"
missing=
for k in $keys; do
    grep -Eq "^;? ?$k =" "$EX" || missing="$missing $k"
done
is "$missing" "" "mailout.ini.example explains every key"

done_testing
