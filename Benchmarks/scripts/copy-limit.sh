#!/usr/bin/env bash
# The physical limit of a one-copy switch on this machine: frames per second when each frame is
# only copied once (guest TX buffer -> guest RX buffer), with no parsing and no ring bookkeeping.
# Builds copy-limit.c with the system C compiler and runs it for each size.
#
# Usage: Benchmarks/scripts/copy-limit.sh [sizes...]     (default: 64 1518; 2 s each, on CPU 1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp /tmp/copy-limit.XXXXXX)
trap 'rm -f "$bin"' EXIT
cc -O2 -o "$bin" "$here/copy-limit.c"
for size in "${@:-64 1518}"; do
    for s in $size; do taskset -c 1 "$bin" "$s" 2; done
done
