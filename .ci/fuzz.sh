#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each briefly from its seed corpus; fails if one
# finds a crash. See docs/fuzzing.md.
#   FUZZ_SECONDS   seconds per target (default 60); run for hours by hand to look deeper
#   FUZZ_TARGETS   which targets (default: all of them)
#   FUZZ_SANITIZER address (default, cargo-fuzz's) or none; docs/fuzzing.md has the build times
#   FUZZ_BUILD     release (default: optimized, the most executions per second) or dev
#                  (unoptimized with overflow checks: builds in a fraction of the time; CI uses it)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
targets="${FUZZ_TARGETS:-rrule config reservation_body}"
case "${FUZZ_BUILD:-release}" in
    release) mode=-O ;;
    dev) mode=--dev ;;
    *) echo "FUZZ_BUILD must be release or dev" >&2; exit 2 ;;
esac

# cargo-fuzz needs nightly-only compiler flags. Use the nightly toolchain when there is one;
# otherwise let the stable compiler accept them (RUSTC_BOOTSTRAP), which CI images with only
# stable Rust allow.
if rustup run nightly rustc --version >/dev/null 2>&1; then
    cargo=(cargo +nightly)
else
    echo "no nightly toolchain: building the fuzz targets with stable and RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    # 0.13.2 builds with Rust 1.95 from its lock file.
    cargo install cargo-fuzz --locked --version 0.13.2
fi

cd fuzz
start=$(date +%s)
"${cargo[@]}" fuzz build "$mode" --sanitizer "$sanitizer"
echo "fuzz targets built in $(($(date +%s) - start)) s"

failed=()
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    echo "== fuzzing $t for ${seconds} s"
    # The first directory collects what the run learns (ignored by git); the seeds stay as written.
    # -timeout: one input taking seconds is a finding too (a hang), not something to wait out.
    if ! "${cargo[@]}" fuzz run "$mode" --sanitizer "$sanitizer" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1; then
        failed+=("$t")
    fi
    for a in $(ls -t "artifacts/$t" | head -n $(($(ls "artifacts/$t" | wc -l) - before))); do
        echo "FOUND: fuzz/artifacts/$t/$a"
        echo "  reproduce: (cd fuzz && ${cargo[*]} fuzz run $mode --sanitizer $sanitizer $t artifacts/$t/$a)"
    done
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]}"
    exit 1
fi
echo "fuzzing found nothing in ${seconds} s per target"
