#!/usr/bin/env bash
# Installs test dependencies, starts what the tests need (libvirtd), builds with our own warnings
# treated as errors, and runs the whole test suite.
# Tests that need the external test corpus (HYPERWARD_FIXTURES, default ../shared/fixtures; see
# docs/testing.md) skip without it and are listed at the end; HYPERWARD_REQUIRE_FIXTURES=1 (set
# by .ci/run) makes them fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test

if [ "$(id -u)" -eq 0 ]; then
    # The real-QEMU tests need the daemons; as root they must run, not skip.
    if ! virsh -c qemu:///system version >/dev/null 2>&1; then
        # With the daemons' usual umask: under a caller's 077 libvirtd makes the per-guest swtpm
        # state directories 0700 root, and swtpm (user tss) cannot enter them.
        pgrep -x virtlogd >/dev/null || (umask 022; virtlogd -d)
        pgrep -x libvirtd >/dev/null || (umask 022; libvirtd -d)
        for _ in $(seq 1 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
    fi
    # The default network (virbr0 + dnsmasq) for the guest that tests the agent's libvirt sync.
    # (No `| grep -q` here: with pipefail, grep's early exit would fail the pipeline.)
    if [[ ! "$(virsh -c qemu:///system net-info default 2>/dev/null)" =~ Active:[[:space:]]*yes ]]; then
        virsh -c qemu:///system net-start default >/dev/null \
            || echo "test.sh: could not start the libvirt default network" >&2
    fi
    export HYPERWARD_REQUIRE_LIBVIRT=1
fi

log=$(mktemp)
testlog=$(mktemp)
trap 'rm -f "$log" "$testlog"' EXIT
set +e
swift build --build-tests >"$log" 2>&1
rc=$?
set -e
grep -vE '^\[[0-9]+/[0-9]+\]' "$log" | tail -n 60
if [ "$rc" -ne 0 ]; then
    echo "test.sh: build failed" >&2
    exit 1
fi
# Our code builds without warnings (dependencies' warnings are theirs).
if grep -E "^$(pwd)/(Sources|Tests)/.*warning:" "$log"; then
    echo "test.sh: warnings in Hyperward's own code (treated as errors)" >&2
    exit 1
fi
set +e
swift test --skip-build "$@" 2>&1 | tee "$testlog"
rc=${PIPESTATUS[0]}
set -e
# Swift Testing reports each one as `Test NAME skipped: "needs FOLDER (set HYPERWARD_FIXTURES)"`.
skipped=$(sed 's/\x1b\[[0-9;]*m//g' "$testlog" \
    | sed -nE 's/^[^ ]+ Test (.*) skipped: "needs (.*) \(set HYPERWARD_FIXTURES\)"$/\2\t\1/p' | LC_ALL=C sort)
if [ -n "$skipped" ]; then
    echo "test.sh: $(wc -l <<<"$skipped") tests skipped for want of the external test corpus (set HYPERWARD_FIXTURES; docs/testing.md):"
    awk -F '\t' '$1 != folder { folder = $1; print "  needs " folder ":" } { print "    " $2 }' <<<"$skipped"
fi
if [ "$rc" -ne 0 ]; then
    exit "$rc"
fi

# The fleet server's API against its OpenAPI document (schemathesis): no 5xx, every answer as
# documented, schema-violating requests refused (HYPERWARD_API_FUZZ_EXAMPLES per operation).
if [ $# -eq 0 ]; then
    bash scripts/api-fuzz.sh "${HYPERWARD_API_FUZZ_EXAMPLES:-60}"
fi

# The parsers of packets (capture reader, decoders, flow table), LUKS headers, domain statistics,
# series, the admission judge, TPM event logs and quotes are fuzzed for a bounded time on every
# run (HYPERWARD_FUZZ_SECONDS per target, default 20; 0 skips): a crash, hang or leak fails CI.
fuzz_seconds=${HYPERWARD_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" -gt 0 ] && [ $# -eq 0 ]; then
    bash scripts/fuzz.sh --build
    for target in capture frame luks domstats series admission eventlog quote; do
        log=$(mktemp)
        if ! FUZZ_SKIP_BUILD=1 bash scripts/fuzz.sh "$target" "$fuzz_seconds" >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            echo "test.sh: fuzzing $target found a problem (see .build-fuzz/artifacts/$target)" >&2
            exit 1
        fi
        grep -E "^stat::number_of_executed_units|Done [0-9]+ runs" "$log" | sed "s/^/fuzz $target: /" || true
        rm -f "$log"
    done
fi
