#!/usr/bin/env bash
# Rebuild every XDP program in programs/: <name>.c -> <name>.o, committed side by side (as cilium/ebpf
# keeps testdata). clang 14, the exact command a user would type:
#   clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c X.c -o X.o
# plus -Icompat: an empty gnu/stubs-32.h, so that <linux/icmp.h> (which includes glibc's
# <sys/socket.h>) compiles without libc6-dev-i386 installed.
# plus -fdebug-prefix-map, so the DWARF names no checkout directory and a rebuild anywhere gives the
# same bytes (the recordings in expected/ name the sha256 of the object they were made from).
# A source may ask for extra flags on a line of its own: `// cflags: -mcpu=v3`.
# Usage: bash programs/build.sh [name…]   (default: all)
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
[ -d "$ARCH_INC" ] || ARCH_INC=/usr/include/x86_64-linux-gnu

if [ $# -gt 0 ]; then srcs=("${@/%/.c}"); srcs=("${srcs[@]/%.c.c/.c}"); else srcs=(*.c); fi
for src in "${srcs[@]}"; do
  name=${src%.c}
  extra=$(sed -n 's|^// cflags: *||p' "$src" | head -n1)
  # shellcheck disable=SC2086
  "$CLANG" -O2 -g -target bpf -I"$ARCH_INC" -Icompat -fdebug-prefix-map="$PWD"=. $extra -c "$src" -o "$name.o"
  echo "built $name.o${extra:+ ($extra)}"
done
