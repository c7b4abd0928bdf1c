#!/usr/bin/env bash
# Criterion baselines for regression tracking (see README.md).
#   benches/baseline.sh save NAME [criterion args...]     run and save as NAME
#   benches/baseline.sh compare NAME [criterion args...]  run and compare with NAME
# FEATURES=peers adds wasmtime and wasmi; BENCH=execute runs one bench target.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: $0 save|compare NAME [criterion args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1 name=$2
shift 2
case $action in
    save) flag=--save-baseline ;;
    compare) flag=--baseline ;;
    *) usage ;;
esac
cargo_args=(bench -p kiln-benches)
[ -n "${FEATURES:-}" ] && cargo_args+=(--features "$FEATURES")
[ -n "${BENCH:-}" ] && cargo_args+=(--bench "$BENCH")
cargo "${cargo_args[@]}" -- "$flag" "$name" "$@"
if [ "$action" = save ]; then
    cargo run -q -p kiln-benches --bin report -- --baseline "$name"
fi
