#!/bin/sh
. "$top_srcdir/tests/tap.sh"
skip_all "placeholder until conf tests land"
