#!/usr/bin/env bash
# Times `hyperward attest verify` as an operator runs it, against the TPM steps alone run by
# tpm2-tools (the baseline: make the attestation key, read it, quote, flush), interleaved in one
# run on one software TPM holding a real boot's measurements (RHEL 8 with Secure Boot, replayed
# into swtpm). Prints the medians, their ratio, and hyperward's own split (TPM part and
# verification part, from its JSON). AttestationBench --verify's in-process figures come first.
#
#   bash benchmarks/attest-verify.sh [RUNS]   (release builds; swtpm, tpm2-tools; ../shared/fixtures)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
bin=$PWD/.build/release
for product in AttestationBench hyperward; do
    [ -x "$bin/$product" ] || swift build -c release --product "$product" >/dev/null
done
log=${HYPERWARD_FIXTURES:-../shared/fixtures}/eventlogs/go-eventlog/rhel8-uefi.bin
[ -f "$log" ] || { echo "attest-verify.sh: $log is missing (../shared/fixtures)" >&2; exit 1; }
log=$(realpath "$log")

"$bin/AttestationBench" --verify --runs 31
echo

work=$(mktemp -d)
port=$(( (RANDOM % 20000 + 30000) & ~1 ))
swtpm socket --tpm2 --tpmstate dir="$work" --server type=tcp,port=$port,bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
tpm=$!
trap 'kill $tpm 2>/dev/null; rm -rf "$work"' EXIT
tcti="swtpm:host=127.0.0.1,port=$port"
for _ in $(seq 50); do tpm2_getcap -T "$tcti" properties-fixed >/dev/null 2>&1 && break; sleep 0.1; done
"$bin/AttestationBench" --extend "$log" --tcti "$tcti"
cat >"$work/h.yaml" <<YAML
state_directory: $work/state
attestation:
  policy: $work/policy.yaml
  event_log: $log
  tcti: "$tcti"
YAML
"$bin/hyperward" attest baseline --config "$work/h.yaml" >/dev/null

now() { date +%s%N; }
ours=() theirs=() split=()
ctx=$work/ak.ctx
for _ in $(seq "$runs"); do
    t0=$(now)
    out=$("$bin/hyperward" attest verify --config "$work/h.yaml" --format json)
    t1=$(now)
    tpm2_flushcontext -T "$tcti" -t
    tpm2_createprimary -T "$tcti" -C o -G ecc256:ecdsa-sha256:null -g sha256 \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda' -c "$ctx" -Q
    tpm2_flushcontext -T "$tcti" -t
    tpm2_readpublic -T "$tcti" -c "$ctx" -f pem -o "$work/ak.pem" -Q
    tpm2_flushcontext -T "$tcti" -t
    tpm2_quote -T "$tcti" -c "$ctx" -l sha256:0,1,2,3,4,5,6,7,8,9,14 -q "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        -g sha256 -m "$work/m" -s "$work/s" -o "$work/p" -F values -Q
    tpm2_flushcontext -T "$tcti" -t
    t2=$(now)
    rm -f "$work/ak.pem"
    echo "$out" | grep -q '"passed":true' || { echo "attest-verify.sh: a verification failed: $out" >&2; exit 1; }
    ours+=($(( (t1 - t0) / 1000 ))) theirs+=($(( (t2 - t1) / 1000 )))
    split+=("$(echo "$out" | sed -E 's/.*"quote_ms":([0-9.]+).*"verify_ms":([0-9.]+).*/\1 \2/')")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${ours[@]}") mt=$(median "${theirs[@]}")
mq=$(median $(printf '%s\n' "${split[@]}" | cut -d' ' -f1)) mv=$(median $(printf '%s\n' "${split[@]}" | cut -d' ' -f2))
printf 'hyperward attest verify (whole process)  median %7.1f ms   (of which the TPM %s ms, verification %s ms)\n' "$(echo "$mo/1000" | bc -l)" "$mq" "$mv"
printf 'tpm2-tools, the same TPM steps           median %7.1f ms\n' "$(echo "$mt/1000" | bc -l)"
printf 'ratio hyperward/tpm2-tools: %.2f   (n=%d, interleaved)\n' "$(echo "$mo/$mt" | bc -l)" "$runs"
