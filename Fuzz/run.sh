#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Package.swift, -sanitize=fuzzer,address) and runs each one,
# one at a time under nice, from its committed corpus Fuzz/Corpus/<target>/ (read-only) plus a
# scratch corpus Fuzz/.build-corpus/<target>/ that grows between runs. See docs/fuzzing.md.
#
#   Fuzz/run.sh --smoke [TARGET...]          each target 15 s (Tests/run.sh runs this)
#   Fuzz/run.sh --long SECONDS [TARGET...]   each target SECONDS
#   Fuzz/run.sh --replay [TARGET...]         every committed input once (crash-* regressions too)
#
# Prints per target the executions (stat::number_of_executed_units) and coverage (cov:), and closes
# with "N passed, M failed" (one check per target; a crash, leak or timeout fails it). A crashing
# input is saved as Fuzz/.build-artifacts/<target>/crash-*: docs/fuzzing.md says how it becomes a
# regression test.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
all_targets=(vhost-user split-queue offload vlan config control)

mode=${1:-}; shift || true
case "$mode" in
    --smoke) seconds=15 ;;
    --long) seconds=${1:?"--long needs SECONDS"}; shift ;;
    --replay) seconds=0 ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# SwiftPM derives a package's identity from its directory name: a checkout directory named "fuzz"
# would collide with this package's own (Fuzz/).
if [ "$(basename "$repo" | tr 'A-Z' 'a-z')" = fuzz ]; then
    echo "the checkout directory is named $(basename "$repo"), which SwiftPM confuses with Fuzz/; use another name"
    echo "0 passed, 1 failed"; exit 1
fi

echo "== building fuzz targets (release, -sanitize=fuzzer,address)"
# -enable-testing: the vhost-user target drives the internal MessageAssembler (@testable import).
if ! nice -n 19 swift build -c release --package-path Fuzz --scratch-path Fuzz/.build \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]|Cannot export local symbol'; then
    echo "fuzz build failed"; echo "0 passed, ${#targets[@]} failed"; exit 1
fi
bin=$(swift build -c release --package-path Fuzz --scratch-path Fuzz/.build -Xswiftc -sanitize=fuzzer,address \
      -Xswiftc -enable-testing --show-bin-path)

# Swift's backtracer and ASan fight over a trapping process (ASan reports the backtracer's own
# memory reads); without it a trap prints Swift's "Fatal error" line and libFuzzer's stack and input.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
passed=0; failed=0
for t in "${targets[@]}"; do
    exe="$bin/fuzz-$t"
    if [ ! -x "$exe" ]; then echo "FAIL $t: no executable $exe"; failed=$((failed + 1)); continue; fi
    scratch="Fuzz/.build-corpus/$t"; artifacts="Fuzz/.build-artifacts/$t"
    mkdir -p "$scratch" "$artifacts"
    log=$(mktemp /tmp/switchyard-fuzz-$t.XXXXXX)
    if [ "$mode" = --replay ]; then
        # Runs each file once, crash inputs included: they must pass now that they are fixed.
        nice -n 19 "$exe" -runs=1 -print_final_stats=1 Fuzz/Corpus/"$t"/* >"$log" 2>&1
    else
        nice -n 19 "$exe" "$scratch" "Fuzz/Corpus/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    fi
    status=$?
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+')
    if [ "$status" = 0 ] && [ "$mode" = --replay ]; then
        echo "ok   $t: $(ls Fuzz/Corpus/"$t" | wc -l) committed inputs replayed"
        passed=$((passed + 1))
    elif [ "$status" = 0 ]; then
        echo "ok   $t: ${execs:-?} executions, cov ${cov:-?}"
        passed=$((passed + 1))
    else
        echo "FAIL $t: exit $status after ${execs:-?} executions"
        grep -E 'ERROR|Fatal error|SUMMARY|Test unit written|panic|^ *#[0-9] ' "$log" | head -12 | sed 's/^/     /'
        failed=$((failed + 1))
    fi
    rm -f "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
