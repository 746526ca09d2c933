# cpushare.sh — did the busy-polling threads really own their CPUs during a window?
#
# On a shared machine another process can take half of the generator's or the back-end's CPU, and the
# figure then measures the neighbour. Each process's busiest thread (the polling one) is sampled from
# /proc/PID/task/TID/schedstat (nanoseconds on a CPU) at the start and end of the window.
#
#   bench_share_begin PID...    remembers the clock and how long each thread of each process has run
#   bench_share_end             prints, per PID in the same order, the share of the window that its
#                               busiest thread in the window ran, in % (e.g. "99.8 97.1")
#   bench_others_busy SECONDS PID...   % of all CPUs used by other processes than PID... meanwhile
#   bench_wait_quiet MAX TIMEOUT PID...  waits until bench_others_busy 3 <= MAX (1 after TIMEOUT s)

[ -n "${BENCH_SHARE_SOURCED:-}" ] && return 0
BENCH_SHARE_SOURCED=1

BENCH_SHARE_PIDS=() BENCH_SHARE_SAMPLE0=""

# One sample, read by ONE process so that it is taken in one time slice: the clock (/proc/uptime)
# and every thread's run time (schedstat, ns), as "FILE:CONTENT" lines. With polling threads at
# nice -20 on every CPU a shell at nice 0 may wait hundreds of ms between two forks, and a clock
# read apart from the run times then makes a window look shorter than they are (shares > 100 %).
bench_share_sample() {
    local pid files=(/proc/uptime)
    for pid in "$@"; do files+=(/proc/"$pid"/task/*/schedstat); done
    grep -H '' "${files[@]}" 2>/dev/null
}

bench_share_begin() {
    BENCH_SHARE_PIDS=("$@")
    BENCH_SHARE_SAMPLE0=$(bench_share_sample "$@")
}

# Per PID, the share of the window that its busiest thread *in the window* ran: by run time since
# start, a DPDK main thread that zeroed hugepages can still lead a forwarding lcore that just started.
bench_share_end() {
    local sample1
    sample1=$(bench_share_sample "${BENCH_SHARE_PIDS[@]}")
    { echo "$BENCH_SHARE_SAMPLE0" | sed 's/^/0 /'; echo "$sample1" | sed 's/^/1 /'; } |
        awk -v pids="${BENCH_SHARE_PIDS[*]}" '
        { split($2, f, ":"); path = f[1]; value = f[2] }
        path == "/proc/uptime" { up[$1] = value; next }
        { split(path, p, "/"); run[$1, p[3], p[5]] = value; tids[p[3], p[5]] = 1 }
        END {
            n = split(pids, list, " "); t = (up[1] - up[0]) * 1e9
            for (i = 1; i <= n; i++) {
                best = -1
                for (k in tids) { split(k, kt, SUBSEP)
                    if (kt[1] == list[i] && ((0, kt[1], kt[2]) in run) && ((1, kt[1], kt[2]) in run)) {
                        d = run[1, kt[1], kt[2]] - run[0, kt[1], kt[2]]; if (d > best) best = d } }
                printf "%s%s", (i > 1 ? " " : ""), (best < 0 || t <= 0) ? "?" : sprintf("%.1f", 100 * best / t)
            }
            print ""
        }'
}

# Percent of the machine's CPU time used by processes other than PIDs over SECONDS (from /proc/stat
# minus the PIDs' utime + stime), so that a back-end's own polling thread does not count as load.
bench_others_busy() {
    local seconds=$1 a b ours0=0 ours1=0 pid v; shift
    for pid in "$@"; do v=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) && ours0=$((ours0 + v)); done
    a=$(head -1 /proc/stat)
    sleep "$seconds"
    b=$(head -1 /proc/stat)
    for pid in "$@"; do v=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) && ours1=$((ours1 + v)); done
    awk -v a="$a" -v b="$b" -v ours="$((ours1 - ours0))" 'BEGIN { split(a, x, " "); split(b, y, " ")
        for (i = 2; i <= 9; i++) t += y[i] - x[i]
        busy = t - (y[5] - x[5]) - (y[6] - x[6]) - ours
        printf "%.0f\n", (t > 0 && busy > 0) ? 100 * busy / t : 0 }'
}

# Waits until other processes use at most MAX % of the machine for 3 s in a row, or TIMEOUT seconds
# passed. Returns 1 on timeout.
bench_wait_quiet() {
    local max=$1 timeout=$2 deadline=$((SECONDS + $2)) busy; shift 2
    while :; do
        busy=$(bench_others_busy 3 "$@")
        [ "$busy" -le "$max" ] && return 0
        [ $SECONDS -ge $deadline ] && return 1
        sleep 2
    done
}
