#!/bin/sh
. "$top_srcdir/tests/tap.sh"
skip_all "placeholder until cli tests land"
