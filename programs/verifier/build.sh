#!/usr/bin/env bash
# Rebuild the verifier corpus: reject/<name>.c and accept/<name>.c -> <name>.o beside each, committed
# (the tests never need clang). The same command as programs/build.sh:
#   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c X.c -o X.o
# plus -I. for verifier.h, -I../compat (see programs/build.sh), and -fdebug-prefix-map so that a
# rebuild anywhere gives the same bytes: expected.json names the sha256 of each object.
# A source may ask for extra flags on a line of its own: `// cflags: -mcpu=v3`.
# After a rebuild, record the kernel's verdicts again: node scripts/record-verifier-corpus.mjs
# Usage: bash programs/verifier/build.sh [reject/name…|accept/name…]   (default: all)
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
[ -d "$ARCH_INC" ] || ARCH_INC=/usr/include/x86_64-linux-gnu

if [ $# -gt 0 ]; then srcs=("${@/%/.c}"); srcs=("${srcs[@]/%.c.c/.c}"); else srcs=(reject/*.c accept/*.c); fi
for src in "${srcs[@]}"; do
  name=${src%.c}
  extra=$(sed -n 's|^// cflags: *||p' "$src" | head -n1)
  # shellcheck disable=SC2086
  "$CLANG" -O2 -g -target bpf -I"$ARCH_INC" -I. -I../compat -fdebug-prefix-map="$PWD"=. $extra -c "$src" -o "$name.o"
  echo "built $name.o${extra:+ ($extra)}"
done
