#!/bin/sh
# Installs the dependencies, builds mailout and runs the whole test suite.
# This is README's test command and the first step of CI.
set -eu
cd "$(dirname "$0")/.."
./tests/setup-deps.sh
./autogen.sh
mkdir -p _build
cd _build
../configure --quiet
make -j"$(nproc)"
make -j"$(nproc)" check || { cat test-suite.log 2>/dev/null | tail -200; exit 1; }
