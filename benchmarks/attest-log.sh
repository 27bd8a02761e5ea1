#!/usr/bin/env bash
# Times `hyperward attest log big.bin --format json` as a whole process against
# `tpm2_eventlog big.bin` (the baseline), interleaved in one run, on a ~1 MiB crypto-agile log
# that AttestationBench builds from a real one (its events repeated); prints the medians and
# their ratio. AttestationBench's in-process parse + replay figure is printed first.
#
#   bash benchmarks/attest-log.sh [RUNS]     (release builds; tpm2-tools installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
bin=.build/release
for product in AttestationBench hyperward; do
    [ -x "$bin/$product" ] || swift build -c release --product "$product" >/dev/null
done
command -v tpm2_eventlog >/dev/null || { echo "attest-log.sh: tpm2_eventlog is not installed (apt-get install tpm2-tools)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
big=$work/big.bin
"$bin/AttestationBench" --write "$big"
echo

# Both must read the whole log and agree on its PCRs before their times mean anything.
"$bin/hyperward" attest log "$big" --format yaml | sed -n '/^pcrs:/,$p' >"$work/ours.pcrs"
tpm2_eventlog "$big" 2>/dev/null | sed -n '/^pcrs:/,$p' >"$work/theirs.pcrs"
if ! cmp -s "$work/ours.pcrs" "$work/theirs.pcrs"; then
    echo "attest-log.sh: the two disagree on the PCRs of big.bin" >&2
    diff "$work/ours.pcrs" "$work/theirs.pcrs" | head >&2
    exit 1
fi

now() { date +%s%N; }
ours=() theirs=()
"$bin/hyperward" attest log "$big" --format json >/dev/null   # warm-up: page cache, loader
tpm2_eventlog "$big" >/dev/null 2>&1
for _ in $(seq "$runs"); do
    t=$(now); "$bin/hyperward" attest log "$big" --format json >/dev/null; ours+=($(( $(now) - t )))
    t=$(now); tpm2_eventlog "$big" >/dev/null 2>&1; theirs+=($(( $(now) - t )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
o=$(median "${ours[@]}")
b=$(median "${theirs[@]}")
echo "whole process on $(stat -c %s "$big") bytes, median of $runs interleaved runs:"
awk -v o="$o" -v b="$b" 'BEGIN {
    printf "  hyperward attest log --format json  %8.1f ms\n", o / 1e6
    printf "  tpm2_eventlog (baseline)            %8.1f ms\n", b / 1e6
    printf "  ratio hyperward / tpm2_eventlog     %8.2f\n", o / b
}'
