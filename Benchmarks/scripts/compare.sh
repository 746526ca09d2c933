#!/usr/bin/env bash
# compare.sh — forwarding rate of Switchyard against testpmd (vhost io) and OVS-DPDK, one generator.
#
# Run as root on Debian 12 from anywhere in a clone. Method and caveats: Benchmarks/README.md.
#
#   Benchmarks/scripts/compare.sh [options]
#     --quick             1 run of 3 s (1 s warm-up), no waiting or retries (options after it can
#                         change that), result under Benchmarks/results/tmp/
#     --runs N            runs per figure, the median is reported (default 3)
#     --seconds S         measured window (default 10)   --warmup S   before it (default 3)
#     --sizes LIST        Ethernet frame sizes with FCS, 64..1518 (default 64,1518)
#     --backends LIST     switchyard,testpmd,ovs (default all three)
#     --cases LIST        learned,flood,bcast for Switchyard and OVS (default learned,flood)
#     --idle-seconds S    Switchyard idle-cost window (default 10; 0 skips it)
#     --no-build          use the existing .build/release/switchyard and yardctl
#     --output FILE       where to write the table (default Benchmarks/results/<date>-<host>.md)
#     --retries N         repeat a measurement up to N times while the generator's or the back-end's
#                         polling thread ran < 90 % of the window (default 3)
#     --quiet-wait S      before each attempt, wait up to S s until other processes use <= 10 % of
#                         the machine (default 120; 0: do not wait)
#     --nice N            run the generator's and back-ends' threads at niceness N (e.g. -20) so that
#                         other work on the machine barely preempts them; default: unchanged
#     --ring split|packed the generator's virtqueue format (default split; packed: packed_vq=1)
#     --keep-logs         keep the run directory (testpmd, Switchyard, OVS logs, measurements.log)
#     --dirty             measure even though the work tree has uncommitted changes; the results
#                         file then says so in its title and provenance (without it: refused)
#
# Method (Benchmarks/README.md, docs/test-and-benchmark-method.md): runs are the outer loop, so run r
# of every back-end is taken minutes apart at most; every ratio is computed per paired run and shown
# with min / median / max; a target holds only if the median and the worst paired run meet it.
# Like conditions: one generator (testpmd, two virtio-user ports) on hugepages listening (server=1)
# on both sockets for every back-end; every back-end connects as the client (Switchyard `mode:
# client`, testpmd net_vhost client=1, OVS dpdkvhostuserclient) and runs its DPDK memory, if any, on
# hugepages. The results file records the commit, whether the tree was clean, the exact command,
# the machine and how busy it was before the run.

set -u
COMMAND_LINE="$0${*:+ $*}"

BENCH_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SCRIPTS/../.." && pwd)
. "$REPO/Tests/RealPeers/lib/testpmd.sh"
. "$BENCH_SCRIPTS/lib/generator.sh"
. "$BENCH_SCRIPTS/lib/backend-switchyard.sh"
. "$BENCH_SCRIPTS/lib/backend-testpmd.sh"
. "$BENCH_SCRIPTS/lib/backend-ovs.sh"
. "$BENCH_SCRIPTS/lib/report.sh"
. "$BENCH_SCRIPTS/lib/cpushare.sh"
. "$BENCH_SCRIPTS/lib/provenance.sh"

DIRTY_OK=0 NICE="" RETRIES=3 RETRY_WAIT=5 MIN_SHARE=90 QUIET_MAX=10 QUIET_TIMEOUT=120 RUNS=3 SECONDS_MEASURED=10 WARMUP=3 IDLE_SECONDS=10 QUICK=0 BUILD=1 OUTPUT=""
SIZES=64,1518 BACKENDS=switchyard,testpmd,ovs CASES=learned,flood
BENCH_BACKEND_CPU=1

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "compare.sh: $*" >&2; exit 1; }
say() { echo "[compare] $*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 RUNS=1 SECONDS_MEASURED=3 WARMUP=1 IDLE_SECONDS=3 RETRIES=0 QUIET_TIMEOUT=0 ;;
        --runs) RUNS=$2; shift ;;
        --seconds) SECONDS_MEASURED=$2; shift ;;
        --warmup) WARMUP=$2; shift ;;
        --sizes) SIZES=$2; shift ;;
        --backends) BACKENDS=$2; shift ;;
        --cases) CASES=$2; shift ;;
        --idle-seconds) IDLE_SECONDS=$2; shift ;;
        --no-build) BUILD=0 ;;
        --output) OUTPUT=$2; shift ;;
        --nice) NICE=$2; shift ;;
        --retries) RETRIES=$2; shift ;;
        --quiet-wait) QUIET_TIMEOUT=$2; shift ;;
        --keep-logs) export SY_KEEP_LOGS=1 ;;
        --dirty) DIRTY_OK=1 ;;
        --ring) case $2 in split|packed) export BENCH_RING=$2 ;; *) die "--ring takes split or packed" ;; esac; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done

IFS=, read -ra SIZE_LIST <<<"$SIZES"
IFS=, read -ra BACKEND_LIST <<<"$BACKENDS"
IFS=, read -ra CASE_LIST <<<"$CASES"
for s in "${SIZE_LIST[@]}"; do
    [[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 64 ] && [ "$s" -le 1518 ] || die "frame size $s not in 64..1518"
done
for b in "${BACKEND_LIST[@]}"; do
    case $b in switchyard|testpmd|ovs) ;; *) die "unknown back-end $b" ;; esac
done
for c in "${CASE_LIST[@]}"; do
    case $c in learned|flood|bcast) ;; *) die "unknown case $c" ;; esac
done
[ "$(id -u)" = 0 ] || die "must run as root (hugepages, DPDK)"

# --- provenance: what is measured, from which tree ---------------------------------------------------
bench_provenance
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (generator on CPU 0, back-end on CPU 1)"
has() { case ",$BACKENDS," in *",$1,"*) return 0 ;; esac; return 1; }

# --- packages --------------------------------------------------------------------------------------
need_pkgs=()
command -v dpdk-testpmd >/dev/null || need_pkgs+=(dpdk-dev)
has ovs && [ ! -x "$BENCH_OVS_VSWITCHD" ] && need_pkgs+=(openvswitch-switch-dpdk)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    say "installing ${need_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >&2 ||
        die "apt-get install ${need_pkgs[*]} failed"
fi

# --- build -----------------------------------------------------------------------------------------
BENCH_SY_BIN=$REPO/.build/release/switchyard BENCH_YARDCTL_BIN=$REPO/.build/release/yardctl
if has switchyard; then
    if [ $BUILD = 1 ]; then
        # Only the two products: a release build of every target (tests included) is not needed.
        for p in switchyard yardctl; do
            say "swift build -c release --product $p"
            (cd "$REPO" && swift build -c release --product "$p" >&2) || die "build of $p failed"
        done
    fi
    [ -x "$BENCH_SY_BIN" ] && [ -x "$BENCH_YARDCTL_BIN" ] || die "no release build in $REPO/.build/release"
fi

# --- run directory, hugepages ----------------------------------------------------------------------
sy_init || die "cannot create the run directory"
# common.sh's trap ends every tracked process; OVS's bridge taps outlive it, so remove them after.
bench_exit() {
    local taps tap
    taps=$(cat "$SY_RUN_DIR/ovs-taps" 2>/dev/null)
    sy_cleanup
    for tap in $taps; do ip link show "$tap" >/dev/null 2>&1 && ip link delete "$tap"; done
}
trap 'bench_exit' EXIT
trap 'bench_exit; trap - INT; kill -INT $$' INT
trap 'bench_exit; trap - TERM; kill -TERM $$' TERM
: >"$SY_RUN_DIR/measurements.log"
# The generator's mbuf pool (~170 pages) plus OVS's fixed 512 MiB; only ever grow the pool.
[ "$(cat /proc/sys/vm/nr_hugepages)" -lt 1024 ] && echo 1024 >/proc/sys/vm/nr_hugepages
want_free=256
# OVS (socket-mem) and the testpmd back-end (-m 1024) each take 1 GiB of hugepages, one at a time.
{ has ovs || has testpmd; } && want_free=$((want_free + BENCH_OVS_SOCKET_MEM / 2))
testpmd_hugepages_ensure "$want_free" || die "not enough hugepages"

bench_quiet_check
[ "$BUSY_BEFORE" -gt 10 ] &&
    say "WARNING: other work is running (CPUs ${BUSY_BEFORE} % busy): expect disturbed windows and retries"

# --- one measurement -------------------------------------------------------------------------------
NOTES=()

backend_pid() {
    case $1 in
        switchyard) echo "$BENCH_SY_PID" ;;
        testpmd) cat "$SY_RUN_DIR/tp-be.pid" ;;
        ovs) echo "$BENCH_OVS_PID" ;;
    esac
}

# setpriority(PRIO_PROCESS) is per thread on Linux: renice every thread, once they all exist.
prioritize() {
    local pid t
    [ -n "$NICE" ] || return 0
    for pid in "$@"; do
        for t in /proc/"$pid"/task/*; do renice -n "$NICE" -p "${t##*/}" >/dev/null 2>&1; done
    done
}

# Every back-end connects to the generator (OVS's dpdkvhostuserclient can only be a client).
gen_mode_for() { echo server; }

destinations_for() {
    case $1 in
        learned|io) echo "$BENCH_MAC1 $BENCH_MAC0" ;;
        flood) echo "$BENCH_UNKNOWN0 $BENCH_UNKNOWN1" ;;
        bcast) echo "ff:ff:ff:ff:ff:ff ff:ff:ff:ff:ff:ff" ;;
    esac
}

# Called by bench_gen_measure (in its subshell) around the measured window; results go to files.
window_hook() {
    case $1 in
        begin)
            bench_share_begin "$WINDOW_GEN_PID" "$WINDOW_BACKEND_PID"
            [ "$WINDOW_BACKEND" = switchyard ] && WINDOW_DROPS0=$(bench_switchyard_drops)
            ;;
        end)
            bench_share_end >"$SY_RUN_DIR/window.share"
            [ "$WINDOW_BACKEND" = switchyard ] &&
                echo $(($(bench_switchyard_drops) - WINDOW_DROPS0)) >"$SY_RUN_DIR/window.drops"
            ;;
    esac
}
BENCH_WINDOW_HOOK=window_hook

# One attempt: generator up, measure, generator down. Sets pps, bps, share, drops.
attempt() {
    local backend=$1 case=$2 size=$3 dst result
    if [ "$QUIET_TIMEOUT" != 0 ] && ! bench_wait_quiet "$QUIET_MAX" "$QUIET_TIMEOUT" "$(backend_pid "$backend")"; then
        say "  the machine stayed busy for ${QUIET_TIMEOUT} s; measuring anyway"
    fi
    read -r -a dst <<<"$(destinations_for "$case")"
    if ! bench_gen_start "$(gen_mode_for "$backend")" "$BENCH_SOCK0" "$BENCH_SOCK1" "${dst[0]}" "${dst[1]}"; then
        bench_gen_stop; return 1
    fi
    WINDOW_BACKEND=$backend WINDOW_GEN_PID=$(cat "$SY_RUN_DIR/tp-gen.pid") WINDOW_BACKEND_PID=$(backend_pid "$backend")
    prioritize "$WINDOW_GEN_PID" "$WINDOW_BACKEND_PID"
    rm -f "$SY_RUN_DIR/window.share" "$SY_RUN_DIR/window.drops"
    result=$(bench_gen_measure "$size" "$WARMUP" "$SECONDS_MEASURED")
    bench_gen_stop
    [ -n "$result" ] || return 1
    read -r pps bps <<<"$result"
    share=$(cat "$SY_RUN_DIR/window.share" 2>/dev/null)
    drops=$(cat "$SY_RUN_DIR/window.drops" 2>/dev/null)
    echo "--- window: CPU share gen/back-end ${share:-?} %, Switchyard drops ${drops:-n/a}" >>"$SY_RUN_DIR/measurements.log"
}

# True if a polling thread ran less than MIN_SHARE % of the window (a neighbour took its CPU).
disturbed() {
    awk -v s="${1:-0 0}" -v m="$MIN_SHARE" 'BEGIN { n = split(s, a, " "); for (i = 1; i <= n; i++) if (a[i] + 0 < m) exit 0; exit 1 }'
}

# True if (almost) nothing circulated: the frames put in flight were lost before the back-end forwarded
# them (OVS drops the first frames of a flow while its handler thread installs the flow; at nice -20
# both CPUs belong to polling threads and that thread can starve). Not a rate: repeat the attempt.
stalled() { awk -v p="${1:-0}" 'BEGIN { exit !(p < 1000) }'; }

# A disturbed or stalled attempt is repeated up to RETRIES times; the last attempt counts.
measure() {
    local backend=$1 case=$2 size=$3 run=$4 try=0 pps bps share drops
    while :; do
        try=$((try + 1))
        echo "=== run $run: $backend, $case, $size B (attempt $try)" >>"$SY_RUN_DIR/measurements.log"
        if ! attempt "$backend" "$case" "$size"; then
            say "measurement failed for $backend/$case/$size (run $run); see the log"; return 1
        fi
        say "$(printf 'run %d  %-10s %-7s %4d B  %7.3f Mpps  %6.2f Gbit/s   CPU share gen/back-end %s %%%s' \
            "$run" "$backend" "$case" "$size" "$(awk -v p="$pps" 'BEGIN { print p / 1e6 }')" \
            "$(awk -v b="$bps" 'BEGIN { print b / 1e9 }')" "${share// //}" "${drops:+, drops $drops}")"
        if stalled "$pps" && [ "$try" -le "$RETRIES" ]; then
            say "  stalled (no frames circulated): again in $RETRY_WAIT s"; sleep "$RETRY_WAIT"; continue
        fi
        disturbed "$share" && [ "$try" -le "$RETRIES" ] || break
        say "  disturbed (a polling thread ran < $MIN_SHARE % of the window): again in $RETRY_WAIT s"
        sleep "$RETRY_WAIT"
    done
    if stalled "$pps"; then
        bench_record "$backend" "$case" "$size" "$run" "$pps" "$bps" "†"
        NOTES+=("† run $run, $(bench_backend_label "$backend"), $(bench_case_label "$case"), $size B: no frames circulated in all $try attempts (the frames put in flight were lost before the back-end forwarded them)")
    elif disturbed "$share"; then
        bench_record "$backend" "$case" "$size" "$run" "$pps" "$bps" "†"
        NOTES+=("† run $run, $(bench_backend_label "$backend"), $(bench_case_label "$case"), $size B: disturbed in all $try attempts; the polling threads ran ${share// //} % (generator / back-end) of the last window")
    else
        bench_record "$backend" "$case" "$size" "$run" "$pps" "$bps"
    fi
    if [ "$try" -gt 1 ] && ! disturbed "$share"; then
        NOTES+=("run $run, $(bench_backend_label "$backend"), $(bench_case_label "$case"), $size B: attempt $try counted, earlier ones were disturbed")
    fi
    if [ -n "$drops" ] && [ "$drops" -gt 0 ]; then
        NOTES+=("run $run, Switchyard, $(bench_case_label "$case"), $size B: $drops drops counted during the window (yardctl stats)")
    fi
}

cases_for() { [ "$1" = testpmd ] && echo io || echo "${CASE_LIST[*]}"; }

# Runs are the outer loop so that a change in background load hits every back-end alike.
for run in $(seq "$RUNS"); do
    for backend in "${BACKEND_LIST[@]}"; do
        say "run $run/$RUNS: starting $backend"
        if ! "bench_${backend}_start" $([ "$backend" = switchyard ] && echo poll); then
            say "$backend did not start; skipping it in run $run"; "bench_${backend}_stop"; continue
        fi
        for size in "${SIZE_LIST[@]}"; do
            for case in $(cases_for "$backend"); do
                measure "$backend" "$case" "$size" "$run"
            done
        done
        "bench_${backend}_diag" >>"$SY_RUN_DIR/measurements.log" 2>&1
        "bench_${backend}_stop"
    done
done

# --- Switchyard idle cost --------------------------------------------------------------------------
IDLE_LINE=""
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
if has switchyard && [ "$IDLE_SECONDS" != 0 ]; then
    say "Switchyard idle cost: idle: sleep, generator connected but stopped, ${IDLE_SECONDS} s"
    if bench_switchyard_start sleep &&
        bench_gen_start server "$BENCH_SOCK0" "$BENCH_SOCK1" "$BENCH_MAC1" "$BENCH_MAC0"; then
        sleep 2
        bench_yardctl ports >>"$SY_RUN_DIR/measurements.log" 2>&1
        t0=$(cpu_ticks "$BENCH_SY_PID"); n0=$(date +%s.%N)
        sleep "$IDLE_SECONDS"
        t1=$(cpu_ticks "$BENCH_SY_PID"); n1=$(date +%s.%N)
        IDLE_LINE=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v a="$n0" -v b="$n1" 'BEGIN {
            s = t / hz; printf "Switchyard idle cost (idle: sleep, generator connected, no traffic): %.2f CPU s in %.1f s = %.2f %% of a core", s, b - a, 100 * s / (b - a) }')
    else
        IDLE_LINE="Switchyard idle cost: measurement failed (see the log)"
    fi
    bench_gen_stop
    bench_switchyard_stop
fi

# --- report ----------------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
body() {
    echo "Rates (each run's figure is the generator's RX rate over the window; † = see the notes):"
    echo
    bench_table
    echo
    echo "Ratios, per paired run (run r of Switchyard ÷ run r of the other back-end):"
    echo
    bench_ratio_table
    echo
    echo "Targets (issue #14): a target holds only if the median AND the worst paired run meet it."
    echo
    bench_targets
    echo
    echo "Per frame, testpmd (vhost io) and OVS-DPDK copy each frame twice (guest TX buffer → mbuf →"
    echo "guest RX buffer); Switchyard copies it once (guest TX buffer → guest RX buffer). testpmd does"
    echo "no switching (port to port); OVS and Switchyard learn MACs and look each frame up."
    [ -n "$IDLE_LINE" ] && { echo; echo "$IDLE_LINE"; }
    bench_notes
}
BODY=$(body)
echo
echo "$BODY"

if [ -z "$OUTPUT" ]; then
    if [ $QUICK = 1 ]; then
        OUTPUT=$REPO/Benchmarks/results/tmp/$(date +%F)-$(hostname -s)-quick.md
    else
        OUTPUT=$REPO/Benchmarks/results/$(date +%F)-$(hostname -s).md
    fi
fi
mkdir -p "$(dirname "$OUTPUT")"
{
    echo "# Switchyard vs testpmd vs OVS-DPDK — $(date '+%F %H:%M %Z'), $(hostname -s)${TREE_STATUS:+ — DIRTY TREE}"
    echo
    echo "Provenance:"
    echo
    echo "* Commit: $COMMIT; tree clean: $TREE_CLEAN"
    echo "* Command: \`$COMMAND_LINE\`"
    echo "* Machine: $MACHINE"
    echo "* Software: DPDK $(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null)," \
        "OVS $(dpkg-query -W -f='${Version}' openvswitch-switch-dpdk 2>/dev/null || echo 'not installed'), $(swift --version 2>/dev/null | head -1)"
    echo "* Quiet-machine check before the run: CPUs ${BUSY_BEFORE} % busy over 3 s (> 10 % = not quiet), load average $LOAD_BEFORE;" \
        "processes over 5 % CPU: ${BUSY_PROCESSES:-none}. After the run: load average $LOAD_AFTER.${NICE:+ Generator and back-ends at nice $NICE.}"
    [ "$BUSY_BEFORE" -gt 10 ] && echo "* **Not a quiet machine**: other work used ${BUSY_BEFORE} % of the CPUs before the run; treat the figures as noisy."
    [ "$QUICK" = 1 ] && echo "* **Quick run** (one short run): not for any README figure."
    echo "* Method: Benchmarks/README.md (\"Back-end comparison\"); $RUNS run(s), back-ends interleaved within each run;" \
        "${SECONDS_MEASURED} s window after ${WARMUP} s warm-up; ratios per paired run."
    echo "* Generator (testpmd, two virtio-user ports, hugepages, server=1) on CPU 0; every back-end connects as the client;"
    echo "  its forwarding thread on CPU 1. Frame sizes include the FCS; Gbit/s counts the bytes moved (size − 4)."
    echo
    echo "$BODY"
} >"$OUTPUT"
say "written to ${OUTPUT#"$REPO"/}"
[ -n "${SY_KEEP_LOGS:-}" ] && say "logs: $SY_RUN_DIR/measurements.log"
exit 0
