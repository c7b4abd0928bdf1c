#!/usr/bin/env bash
# Instruction counts (callgrind `Ir`) per benchmark and phase: compiling the
# module (one thread), 100 instantiations, and its execute
# (bench.start..bench.end only). See README.md.
#   benches/icount.sh [BENCHMARK...]
#   RUNTIMES="kiln wasmtime" benches/icount.sh [BENCHMARK...]  # + Kiln ÷ wasmtime
#   RUNTIMES="kiln kiln-epochs" benches/icount.sh [BENCHMARK...]  # the epoch checks' cost
#   RUNTIMES="kiln-pooling wasmtime-pooling" benches/icount.sh [BENCHMARK...]  # pooled instantiation
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(shootout-gimli shootout-fib2 shootout-keccak kernel-fib quicksort)
read -r -a runtimes <<<"${RUNTIMES:-kiln}"
features=()
for rt in "${runtimes[@]}"; do
    case $rt in kiln | kiln-*) ;; *) features=(--features peers) ;; esac
done
cargo build -q --release -p kiln-benches "${features[@]}" --bin icount
bin=${CARGO_TARGET_DIR:-target}/release/icount
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() { # runtime phase benchmark -> Ir
    if ! valgrind --tool=callgrind --collect-atstart=no \
        --callgrind-out-file="$tmp/out" "$bin" --runtime "$1" "$2" "$3" >"$tmp/log" 2>&1; then
        cat "$tmp/log" >&2
        exit 1
    fi
    awk '/^(summary|totals):/ { print $2; exit }' "$tmp/out"
}

printf '%-12s %-24s' phase benchmark
printf ' %16s' "${runtimes[@]}"
[ ${#runtimes[@]} -lt 2 ] || printf ' %8s' "÷${runtimes[1]}"
printf '\n'
for bench in "${benches[@]}"; do
    for phase in compile instantiate execute; do
        printf '%-12s %-24s' "$phase" "$bench"
        irs=()
        for rt in "${runtimes[@]}"; do
            irs+=("$(count "$rt" "$phase" "$bench")")
            printf ' %16s' "${irs[-1]}"
        done
        [ ${#irs[@]} -lt 2 ] || awk -v a="${irs[0]}" -v b="${irs[1]}" 'BEGIN { printf " %8.2f", a / b }'
        printf '\n'
    done
done
