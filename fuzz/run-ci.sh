#!/usr/bin/env bash
# Builds every fuzz target and runs each for a short time over its
# committed seed corpus; fails on any crash, timeout or memory blow-up.
#
#   bash fuzz/run-ci.sh                                # every target, 20 s each
#   FUZZ_SECONDS=600 bash fuzz/run-ci.sh filter_rule   # one target, longer
#
# Needs only stable Rust and a C++ compiler (libfuzzer-sys builds libFuzzer
# from source): no cargo-fuzz, no nightly. The flags are the coverage
# instrumentation `cargo fuzz` passes, minus its sanitizer (which would
# need nightly; Herald has no unsafe code for ASan to watch).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
FUZZ="$(pwd)"
seconds=${FUZZ_SECONDS:-20}
started=$SECONDS

if ! command -v c++ >/dev/null 2>&1; then
    echo "installing g++ (libFuzzer is C++)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends g++
fi

# Only Herald's crates and the targets are instrumented (see rustc-sancov):
# coverage of the dependencies would slow the build and steer libFuzzer
# into serde_json's and base64's insides instead of Herald's decoders.
# A target directory of its own (FUZZ_TARGET_DIR, default fuzz/target):
# instrumented builds of Herald's crates must never be mixed with others.
export RUSTC_WRAPPER="$FUZZ/rustc-sancov"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$FUZZ/target}"

# All targets, or those named on the command line.
targets=("$@")
if ((${#targets[@]} == 0)); then
    for source in fuzz_targets/*.rs; do
        targets+=("$(basename "$source" .rs)")
    done
fi

# Outside the main workspace, so `cargo fmt --all` there does not see it.
cargo fmt --check

build_started=$SECONDS
# The fuzz-ci profile (unoptimised, debug assertions on): see Cargo.toml.
cargo build --locked --profile fuzz-ci --bins
echo "fuzz targets built in $((SECONDS - build_started)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One target: exit status to $work/<target>/rc, output to .../log.
run_target() {
    local target=$1 dir="$work/$1"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    # New inputs go to the scratch corpus (the first directory), never
    # into the committed seeds.
    set +e
    "$CARGO_TARGET_DIR/fuzz-ci/$target" \
        -max_total_time="$seconds" \
        -rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10 \
        -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" \
        "$dir/corpus" "corpus/$target" >"$dir/log" 2>&1
    echo $? >"$dir/rc"
    set -e
}

for target in "${targets[@]}"; do
    test -d "corpus/$target" || { echo "error: no seed corpus corpus/$target" >&2; exit 1; }
done
# As many targets at once as there are cores (each libFuzzer is one thread).
jobs_at_once=$(nproc)
for ((i = 0; i < ${#targets[@]}; i += jobs_at_once)); do
    for target in "${targets[@]:i:jobs_at_once}"; do
        run_target "$target" &
    done
    wait
done

failed=()
for target in "${targets[@]}"; do
    dir="$work/$target"
    rc=$(cat "$dir/rc")
    echo
    echo "--- $target: ${seconds} s over $(ls "corpus/$target" | wc -l) seeds, exit $rc"
    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$dir/log" || true
    if ((rc != 0)) || compgen -G "$dir/artifacts/*" >/dev/null; then
        tail -n 40 "$dir/log"
        failed+=("$target")
        for artifact in "$dir/artifacts/"*; do
            [[ -e $artifact ]] || continue
            echo "artifact $(basename "$artifact") (base64):"
            base64 -w0 "$artifact"
            echo
        done
    fi
done

echo
if ((${#failed[@]})); then
    echo "error: fuzz targets failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: all ${#targets[@]} targets ran ${seconds} s each without a failure"
echo "fuzz step took $((SECONDS - started)) s"
