#!/usr/bin/env bash
# The whole test suite: in-process Swift tests, a fuzz smoke run, then the real-peer scripts (QEMU
# guests, DPDK testpmd, veth/netns). Needs root (guests, namespaces, hugepages). Prints one closing line
# "N passed, M failed" over everything and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "Tests/run.sh needs root (QEMU guests, network namespaces, hugepages)"; exit 1; fi
Tests/system-packages.sh || { echo "could not install the system packages the tests need"; exit 1; }

passed=0; failed=0
log=$(mktemp /tmp/switchyard-swift-test.XXXXXX)
echo "== swift test"
swift test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Swift Testing's summary: "Test run with N tests in M suites passed/failed after ... (with K issues)"
n=$(grep -Eo 'Test run with [0-9]+ tests?' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
if [ "$status" = 0 ] && [ "${n:-0}" -gt 0 ]; then
    passed=$((passed + n))
else
    k=$(grep -Eo 'with [0-9]+ issues?' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 1)
    failed=$((failed + ${k:-1})); passed=$((passed + ${n:-0} - ${k:-1}))
    [ "$passed" -lt 0 ] && passed=0
fi
rm -f "$log"

echo "== release build for the real-peer tests"
if ! swift build -c release; then
    echo "release build failed"; failed=$((failed + 1))
fi
# libFuzzer targets over the parsers of hostile input, 15 s each (docs/fuzzing.md); one check per target.
echo "== Fuzz/run.sh --smoke"
out=$(mktemp /tmp/switchyard-fuzz.XXXXXX)
Fuzz/run.sh --smoke 2>&1 | tee "$out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
if [ -n "$summary" ]; then
    passed=$((passed + $(echo "$summary" | awk '{print $1}'))); failed=$((failed + $(echo "$summary" | awk '{print $3}')))
else
    echo "FAIL Fuzz/run.sh ended without a summary"; failed=$((failed + 1))
fi
rm -f "$out"

for script in Tests/RealPeers/[0-9]*.sh; do
    [ -e "$script" ] || continue
    echo "== $script"
    out=$(mktemp /tmp/switchyard-peer.XXXXXX)
    bash "$script" 2>&1 | tee "$out"
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
    if [ -n "$summary" ]; then
        p=$(echo "$summary" | awk '{print $1}'); f=$(echo "$summary" | awk '{print $3}')
        passed=$((passed + p)); failed=$((failed + f))
    else
        echo "FAIL $script ended without a summary"; failed=$((failed + 1))
    fi
    rm -f "$out"
done
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
