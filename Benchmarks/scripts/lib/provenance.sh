# provenance.sh — where a figure comes from, for compare.sh and cross-host.sh
# (docs/test-and-benchmark-method.md: results from a clean tree, with the commit and the machine).
#
#   bench_provenance        sets COMMIT, TREE_STATUS, TREE_CLEAN ("yes" or what is dirty), MACHINE and
#                           BUSY_PROCESSES (other processes over 5 % CPU now); refuses a dirty tree
#                           unless DIRTY_OK=1. Needs REPO and die.
#   cpu_busy SECONDS        percent of all CPUs busy over SECONDS, from /proc/stat (the load average
#                           would still count the polling threads of a run that just ended)
#   bench_quiet_check       sets LOAD_BEFORE and BUSY_BEFORE (3 s) and says them. Needs say.
#   bench_notes             the results file's "Notes:" section from the NOTES array, if any

[ -n "${BENCH_PROVENANCE_SOURCED:-}" ] && return 0
BENCH_PROVENANCE_SOURCED=1

bench_provenance() {
    COMMIT=$(git -C "$REPO" rev-parse HEAD 2>/dev/null) || die "not a git checkout: results need a commit"
    TREE_STATUS=$(git -C "$REPO" status --porcelain 2>/dev/null)
    if [ -n "$TREE_STATUS" ]; then
        [ "$DIRTY_OK" = 1 ] || die "the work tree has uncommitted changes (git status --porcelain):
$TREE_STATUS
commit them, or pass --dirty to measure anyway (the results are then marked DIRTY)"
        TREE_CLEAN="no — DIRTY, $(wc -l <<<"$TREE_STATUS") uncommitted path(s): $(awk '{print $2}' <<<"$TREE_STATUS" | head -10 | tr '\n' ' ')"
    else
        TREE_CLEAN=yes
    fi
    MACHINE="$(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
    # The busiest other processes before the run: a figure taken next to them measures them too.
    BUSY_PROCESSES=$(ps -eo pcpu=,pid=,comm= --sort=-pcpu | awk '$1 >= 5 { printf "%s%s (pid %s) %s %%", sep, $3, $2, $1; sep = ", " }' | head -c 600)
}

cpu_busy() {
    local a b
    a=$(head -1 /proc/stat); sleep "$1"; b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); for (i = 2; i <= 9; i++) t += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6]); printf "%.0f\n", t ? 100 * (t - idle) / t : 0 }'
}

bench_quiet_check() {
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    BUSY_BEFORE=$(cpu_busy 3)
    say "before the run: load average $LOAD_BEFORE, CPUs ${BUSY_BEFORE} % busy over 3 s"
}

bench_notes() {
    [ ${#NOTES[@]} -gt 0 ] || return 0
    echo
    echo "Notes:"
    local n
    for n in "${NOTES[@]}"; do echo "* $n"; done
}
