#!/bin/sh
. "$top_srcdir/tests/tap.sh"
skip_all "placeholder until intake tests land"
