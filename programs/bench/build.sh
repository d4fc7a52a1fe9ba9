#!/usr/bin/env bash
# Rebuild the bench programs: <name>.c -> <name>.o, committed side by side (bench runs never need
# clang), with programs/build.sh's flags. Usage: bash programs/bench/build.sh
set -euo pipefail
cd "$(dirname "$0")"
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
[ -d "$ARCH_INC" ] || ARCH_INC=/usr/include/x86_64-linux-gnu
for src in *.c; do
  "${CLANG:-clang}" -O2 -g -target bpf -I"$ARCH_INC" -I../compat -fdebug-prefix-map="$PWD"=. -c "$src" -o "${src%.c}.o"
  echo "built ${src%.c}.o"
done
