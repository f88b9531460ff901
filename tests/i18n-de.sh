#!/bin/sh
# i18n-de.sh - the German translation through the real program: po/Makefile
# installs the catalog (LINGUAS must list de) into a staged DESTDIR, a mailout
# linked from the same objects but looking in that staged localedir runs a few
# error paths with LANGUAGE=de, and German text must come out.
#
# Locale: LC_ALL=C.UTF-8 (built into Debian 12's libc-bin, no locales package
# needed) plus LANGUAGE=de. glibc ignores LANGUAGE only in the plain "C"
# locale, and LANG=de_DE.UTF-8 would fall back to "C" where that locale was
# never generated, so this combination works on a fresh machine.
. "$top_srcdir/tests/tap.sh"

unset MAKEFLAGS MFLAGS MAKELEVEL
stage=$T/stage
bin=$T/mailout-de

# The configured localedir, and a mailout built with LOCALEDIR pointing at
# the same path under the staging DESTDIR (main.c only; the library is the
# one the suite tests). Everything else is the build's own flags.
cat >"$T/i18n.mk" <<'EOF'
i18n-localedir:
	@echo '$(localedir)'
$(I18N_BIN): localedir := $(I18N_STAGE)$(localedir)
$(I18N_BIN): libmailout.a
	$(COMPILE) -c -o $@.o $(srcdir)/src/main.c
	$(LINK) $@.o $(mailout_LDADD) $(LIBS)
EOF
mk() { make -s -C "$top_builddir" -f Makefile -f "$T/i18n.mk" I18N_STAGE="$stage" I18N_BIN="$bin" "$@"; }

localedir=$(mk i18n-localedir 2>/dev/null)
like "$localedir" '^/' "the configured localedir is an absolute path ($localedir)"

mo=$stage$localedir/de/LC_MESSAGES/mailout.mo
if make -s -C "$top_builddir/po" update-gmo >"$T/po.log" 2>&1 &&
   make -s -C "$top_builddir/po" install DESTDIR="$stage" >>"$T/po.log" 2>&1; then rc=0; else rc=1; fi
ok "$rc" "make -C po install DESTDIR=... succeeds"
test -s "$mo"; ok $? "  it installs de/LC_MESSAGES/mailout.mo under localedir"
[ -s "$mo" ] || sed 's/^/#   /' "$T/po.log"

mk "$bin" >"$T/build.log" 2>&1; rc=$?
ok "$rc" "mailout built with LOCALEDIR under the staging directory"
[ "$rc" -eq 0 ] || { sed 's/^/#   /' "$T/build.log"; done_testing; exit 1; }

de() { LC_ALL=C.UTF-8 LANGUAGE=de "$bin" "$@"; }
en() { LC_ALL=C.UTF-8 LANGUAGE= "$bin" "$@"; }

# ------------------------------------------------------ unknown option: 64
out=$(de --bogus 2>&1 </dev/null); rc=$?
is "$rc" 64 "unknown option still exits 64 in German"
is "$out" "mailout: unbekannte Option --bogus; siehe mailout --help" "  message is German, option and --help kept"
out=$(en --bogus 2>&1 </dev/null)
is "$out" "mailout: unknown option --bogus; see mailout --help" "  without LANGUAGE=de the same binary speaks English"

out=$(de -b 2>&1 </dev/null); rc=$?
is "$rc" 64 "-b without a mode exits 64"
is "$out" "mailout: Option -b braucht einen Modus (-bm, -bp, -bi oder -bs); siehe mailout --help" "  message"

out=$(de --help 2>&1 </dev/null); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" "^Sendmail-Optionen:$" "  help is German"
like "$out" "^  --dry-run          Konto, Umschlag und Kopf ausgeben; nichts senden$" "  option names and columns kept"
like "$out" "^  -f ADDR, -r ADDR   Umschlag-Absender" "  envelope sender is Umschlag-Absender (UTF-8 intact)"

# --------------------------------------------- configuration errors: 78
printf '[account work]\nport = 25\n' >"$T/nohost.ini"
chmod 600 "$T/nohost.ini"
out=$(de -C "$T/nohost.ini" -bp 2>&1); rc=$?
is "$rc" 78 "missing host key exits 78"
is "$out" "mailout: $T/nohost.ini:1: host: [account work] hat keinen host (erforderlich)" "  message is German, file:line:key kept"

printf '[account work]\nhost = smtp.example.com\nprot = smtp\n' >"$T/bad.ini"
chmod 600 "$T/bad.ini"
out=$(de -C "$T/bad.ini" -bp 2>&1); rc=$?
is "$rc" 78 "unknown key exits 78"
is "$out" "mailout: $T/bad.ini:3: prot: unbekannter Schlüssel in [account work]" "  message"

out=$(de -C "$T/missing.ini" -bp 2>&1); rc=$?
is "$rc" 78 "missing -C file exits 78"
like "$out" "^mailout: $T/missing.ini kann nicht geöffnet werden: " "  message"

# --------------------------------------------- malformed addresses: 65
printf '[account work]\nhost = smtp.example.com\nfrom = me@example.com\n' >"$T/ok.ini"
chmod 600 "$T/ok.ini"
msg='Subject: t\n\nbody\n'
out=$(printf "$msg" | de -C "$T/ok.ini" --dry-run 'a@@b' 2>&1); rc=$?
is "$rc" 65 "malformed recipient exits 65"
is "$out" "mailout: Empfänger auf der Kommandozeile: fehlerhafte Adresse \"a@@b\": leere Domain nach '@'" "  message is German"

out=$(printf "$msg" | de -C "$T/ok.ini" --dry-run -f 'x y@z' b@example.org 2>&1); rc=$?
is "$rc" 65 "malformed sender exits 65"
is "$out" "mailout: Absender (-f): fehlerhafte Adresse \"x y@z\": Leerzeichen ohne Anführungszeichen in einer Adresse, oder ein Anzeigename ohne <Adresse>" "  message"

out=$(printf 'To: "a@b\n\nbody\n' | de -C "$T/ok.ini" --dry-run -t 2>&1); rc=$?
is "$rc" 65 "malformed To field exits 65"
is "$out" "mailout: Feld To: fehlerhafte Adresse \"\"a@b\": nicht abgeschlossene Zeichenkette in Anführungszeichen" "  message"

out=$(printf "$msg" | de -C "$T/ok.ini" --dry-run 2>&1); rc=$?
is "$rc" 65 "no recipients exits 65"
is "$out" "mailout: keine Empfänger: auf der Kommandozeile angeben oder -t verwenden" "  message"

# ------------------------------ every message of the sources is translated
# The catalog of today's sources (the options of po/Makevars), merged with
# de.po: a message added or changed without its German text shows up here as
# untranslated or fuzzy, before a German user meets it in English.
(cd "$top_srcdir" && xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 \
    --package-name=mailout -f po/POTFILES.in -o "$T/now.pot") 2>"$T/xg.log"
ok $? "xgettext extracts the catalog of the sources"
msgmerge --quiet --no-fuzzy-matching -o "$T/now.po" "$top_srcdir/po/de.po" "$T/now.pot" 2>>"$T/xg.log"
ok $? "msgmerge merges po/de.po with it"
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$T/now.po" 2>&1)
like "$stats" '^[0-9]+ translated messages\.$' "po/de.po translates every message ($stats)"
[ -s "$T/xg.log" ] && sed 's/^/#   /' "$T/xg.log"
LC_ALL=C msgattrib --untranslated --no-obsolete "$T/now.po" 2>/dev/null | grep '^msgid "..*' | head -5 | sed 's/^/#   missing: /'

[ "$TAP_FAILED" -eq 0 ] ||
    echo "# English where German is expected: a changed message needs its translation (make -C po update-po, then translate the fuzzy or untranslated entries in po/de.po)"
done_testing
