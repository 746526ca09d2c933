# checks.sh — PASS/FAIL bookkeeping for real-peer suites. Source it (bash).
#   check "description" COMMAND...   runs COMMAND; prints "PASS description" or "FAIL description"
#                                    (with the command's output on failure); counts the result
#   check_summary                    prints "N passed, M failed" and returns non-zero on failures
#   note "text"                      an informational line (measurements), prefixed "NOTE"
#   setup "description" COMMAND...   a harness set-up step (a namespace, a veth): not a test of the
#                                    switch, so never counted as passed; if it fails the suite cannot
#                                    mean anything, so it counts one failure, prints the summary, exits
# A suite must call check_summary last: Tests/run.sh reads that line.
# A negative check ("no reply", "not in the FDB") must fail when its probe itself fails (a command
# that timed out, a yardctl that could not connect) and must follow a positive control in the same
# run: the same probe succeeding where it should (docs/test-and-benchmark-method.md).

[ -n "${SY_CHECKS_SOURCED:-}" ] && return 0
SY_CHECKS_SOURCED=1
SY_PASSED=0
SY_FAILED=0

check() {
    local what=$1 out status
    shift
    out=$("$@" 2>&1)
    status=$?
    if [ $status = 0 ]; then
        SY_PASSED=$((SY_PASSED + 1))
        echo "PASS $what"
    else
        SY_FAILED=$((SY_FAILED + 1))
        echo "FAIL $what (exit $status)"
        printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /'
    fi
    return $status
}

note() { echo "NOTE $*"; }

setup() {
    local what=$1 out status
    shift
    out=$("$@" 2>&1)
    status=$?
    if [ $status = 0 ]; then
        echo "SETUP $what"
        return 0
    fi
    SY_FAILED=$((SY_FAILED + 1))
    echo "FAIL set-up: $what (exit $status); the suite stops here"
    printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /'
    check_summary
    exit 1
}

check_summary() {
    echo "$SY_PASSED passed, $SY_FAILED failed"
    [ "$SY_FAILED" = 0 ]
}

# A suite that cannot even set up (no root, no QEMU) must fail loudly, never skip.
require_root() {
    if [ "$(id -u)" != 0 ]; then
        SY_FAILED=$((SY_FAILED + 1))
        echo "FAIL $(basename "$0") needs root (QEMU guests, sockets in /run, hugepages, namespaces)"
        check_summary
        exit 1
    fi
}
