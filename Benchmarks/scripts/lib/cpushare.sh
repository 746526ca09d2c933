# cpushare.sh — did the busy-polling threads really own their CPUs during a window?
#
# On a shared machine another process can take half of the generator's or the back-end's CPU, and the
# figure then measures the neighbour. Each process's busiest thread (the polling one) is sampled from
# /proc/PID/task/TID/schedstat (nanoseconds on a CPU) at the start and end of the window.
#
#   bench_share_begin PID...    remembers how long each thread of each process has run
#   bench_share_end             prints, per PID in the same order, the share of the window that its
#                               busiest thread in the window ran, in % (e.g. "99.8 97.1")
#   bench_others_busy SECONDS PID...   % of all CPUs used by other processes than PID... meanwhile
#   bench_wait_quiet MAX TIMEOUT PID...  waits until bench_others_busy 3 <= MAX (1 after TIMEOUT s)

[ -n "${BENCH_SHARE_SOURCED:-}" ] && return 0
BENCH_SHARE_SOURCED=1

BENCH_SHARE_PIDS=() BENCH_SHARE_RUN0=() BENCH_SHARE_T0=0

# "TID:NS TID:NS ..." for every thread of PID: nanoseconds each has run so far.
bench_thread_runtimes() {
    local t v out=""
    for t in /proc/"$1"/task/*; do
        v=$(awk '{ print $1 }' "$t/schedstat" 2>/dev/null) && [ -n "$v" ] && out+="${t##*/}:$v "
    done
    echo "${out% }"
}

bench_share_begin() {
    local pid
    BENCH_SHARE_PIDS=("$@") BENCH_SHARE_RUN0=()
    for pid in "$@"; do BENCH_SHARE_RUN0+=("$(bench_thread_runtimes "$pid")"); done
    BENCH_SHARE_T0=$(date +%s%N)
}

# The polling thread is the one that ran most *during* the window: by run time since start, a DPDK
# main thread that zeroed hugepages at start-up can still lead a freshly started forwarding lcore.
bench_share_end() {
    local t1 i out="" r1
    t1=$(date +%s%N)
    for i in "${!BENCH_SHARE_PIDS[@]}"; do
        r1=$(bench_thread_runtimes "${BENCH_SHARE_PIDS[$i]}")
        out+="$(awk -v a="${BENCH_SHARE_RUN0[$i]}" -v b="$r1" -v t="$((t1 - BENCH_SHARE_T0))" 'BEGIN {
            n = split(a, x, " "); for (k = 1; k <= n; k++) { split(x[k], kv, ":"); start[kv[1]] = kv[2] }
            n = split(b, y, " "); best = -1
            for (k = 1; k <= n; k++) { split(y[k], kv, ":"); if (kv[1] in start && kv[2] - start[kv[1]] > best) best = kv[2] - start[kv[1]] }
            if (best < 0 || t <= 0) printf "?"; else printf "%.1f", 100 * best / t }') "
    done
    echo "${out% }"
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
