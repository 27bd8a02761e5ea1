#!/usr/bin/env bash
# Builds the libFuzzer targets of the parsers of untrusted files and runs one (docs/fuzzing.md).
#   scripts/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER_OPTIONS...]   fuzz TARGET (default 180 s)
#   scripts/fuzz.sh --list                                      list the targets
#   scripts/fuzz.sh --build                                     only build
# The build lives in .build-fuzz (release, ASan + libFuzzer, -D FUZZING) and leaves the regular
# .build alone. New corpus entries go to .build-fuzz/corpus/TARGET (the seeds in
# Fuzz/Corpus/TARGET are only read); crashes, hangs and OOMs go to .build-fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(dpkg-status advisory-feed libvirt-config waivers configuration kernel-cmdline debian-version rpm-version os-release network-policy libvirt-xml capture frame luks domstats series admission eventlog quote)
scratch=.build-fuzz
# Every swift invocation on $scratch takes the same flags: one without them (even --show-bin-path)
# rewrites the build manifest, and the next build then compiles without instrumentation.
# swiftc keeps only the last `-sanitize=` it is given, and SwiftPM passes its two in no fixed
# order (so a build had either coverage or ASan): the joined flag, passed last, enables both.
flags=(-c release --scratch-path "$scratch" --sanitize fuzzer --sanitize address
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)

build() {
    local log
    log=$(mktemp)
    # --sanitize also instruments C dependencies (libyaml under Yams) for coverage.
    if ! swift build "${flags[@]}" --product HyperwardFuzz >"$log" 2>&1; then
        grep -vE '^\[[0-9]+/[0-9]+\]|ld.gold: warning' "$log" | tail -n 40 >&2
        rm -f "$log"
        echo "fuzz.sh: build failed" >&2
        exit 1
    fi
    rm -f "$log"
}

case "${1:-}" in
    ""|-h|--help)
        echo "usage: scripts/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER_OPTIONS...] | --list | --build" >&2
        exit 64 ;;
    --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
    --build) build; exit 0 ;;
esac

target=$1
shift
if ! printf '%s\n' "${targets[@]}" | grep -qx -- "$target"; then
    echo "fuzz.sh: unknown target '$target' (scripts/fuzz.sh --list)" >&2
    exit 64
fi
seconds=180
if [ $# -gt 0 ] && [ "$1" != "--" ]; then seconds=$1; shift; fi
[ "${1:-}" = "--" ] && shift

# FUZZ_SKIP_BUILD=1 runs the binary already built (`--build`): the test script builds once and
# runs every target, since in a fresh clone each further `swift build` rebuilt the dependencies.
bin=$scratch/release/HyperwardFuzz
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$bin" ]; then
    build
    [ -x "$bin" ] || bin=$(swift build "${flags[@]}" --show-bin-path)/HyperwardFuzz
fi
corpus=$scratch/corpus/$target
artifacts=$scratch/artifacts/$target
mkdir -p "$corpus" "$artifacts"
seeds=()
[ -d "Fuzz/Corpus/$target" ] && seeds+=("Fuzz/Corpus/$target")
[ -d "Fuzz/Regressions/$target" ] && seeds+=("Fuzz/Regressions/$target")
dict=()
[ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")

# The targets that parse XML run without LeakSanitizer: Foundation's XMLParser on Linux leaks the
# NSError of every libxml2 parse error, a toolchain leak (docs/fuzzing.md, finding 4).
# -detect_leaks=0 stops libFuzzer's checks during the run; ASAN_OPTIONS the check at exit.
leaks=()
case "$target" in
    libvirt-xml|admission)
        leaks=(-detect_leaks=0)
        export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" ;;
esac

# Any crash, hang (-timeout) or memory blow-up (-rss_limit_mb) stops the run with an artifact.
FUZZ_TARGET=$target exec "$bin" \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${leaks[@]}" "${dict[@]}" "$@" "$corpus" "${seeds[@]}"
