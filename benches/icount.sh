#!/usr/bin/env bash
# Instruction counts (callgrind `Ir`) of Kiln's compile of a module, of 100
# instantiations and of its execute (bench.start..bench.end only), per
# benchmark. See README.md.
#   benches/icount.sh [BENCHMARK...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(shootout-gimli shootout-fib2 shootout-keccak kernel-fib)
cargo build -q --release -p kiln-benches --bin icount
bin=${CARGO_TARGET_DIR:-target}/release/icount
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-8s %-24s %16s\n' phase benchmark Ir
for bench in "${benches[@]}"; do
    for phase in compile instantiate execute; do
        if ! valgrind --tool=callgrind --collect-atstart=no \
            --callgrind-out-file="$tmp/out" "$bin" "$phase" "$bench" >"$tmp/log" 2>&1; then
            cat "$tmp/log" >&2
            exit 1
        fi
        ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/out")
        printf '%-8s %-24s %16s\n' "$phase" "$bench" "$ir"
    done
done
