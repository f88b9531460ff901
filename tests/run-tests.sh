#!/bin/sh
# Installs the dependencies, builds mailout and runs the whole test suite.
# This is README's test command and the first step of CI.
set -eu
cd "$(dirname "$0")/.."
./tests/setup-deps.sh
./autogen.sh
./configure --quiet
make -j"$(nproc)"
make -j"$(nproc)" check || { tail -300 test-suite.log 2>/dev/null; exit 1; }
