#!/usr/bin/env bash
# cross-host.sh — two hosts, one VLAN across them: Switchyard's native `type: vxlan` port against
# the kernel-bridge path (veth uplink into a kernel bridge holding a kernel vxlan device), side by
# side in one run (issue #13 item 4; docs/cross-host-performance.md).
#
# Run as root on Debian 12 from anywhere in a clone (needs dpdk-testpmd, iperf3, busybox).
#
#   Benchmarks/scripts/cross-host.sh [options]
#     --quick             1 run, 2 s windows (1 s warm-up), 3 s iperf3; result under
#                         Benchmarks/results/tmp/ (options after it can change that)
#     --runs N            runs; each run measures both paths (default 3)
#     --seconds S         measured window per frame size (default 5)   --warmup S (default 2)
#     --sizes LIST        Ethernet frame sizes with FCS, 64..1518 (default 64,1518; the overlay
#                         MTU is 1500, so 1518 is the largest that crosses)
#     --paths LIST        native,kernel (default both, in that order in odd runs, reversed in even)
#     --iperf-seconds S   iperf3 TCP A -> B per path and run (default 5; 0 skips iperf3)
#     --cpus G,A,B,S      CPUs of the generator, Switchyard A's datapath, Switchyard B's datapath and
#                         the sink (default 0,0,1,1: host A on CPU 0, host B on CPU 1)
#     --idle sleep|poll   the Switchyards' datapath idle mode (default sleep, the deployed default)
#     --no-build          use the existing .build/release/switchyard and yardctl
#     --output FILE       results file (default Benchmarks/results/<date>-cross-host.md)
#     --keep-logs         keep the run directory (daemon, testpmd, iperf3 logs, measurements.log)
#     --dirty             measure although the work tree has uncommitted changes (results marked)
#
# Two hosts = two network namespaces xbA-PID and xbB-PID joined by an underlay veth `xbu`
# (10.255.0.1/24 <-> 10.255.0.2/24, MTU 1550: a 1500-byte overlay plus VXLAN's 50). Each runs its
# own Switchyard with three ports, all access VLAN 10:
#   vm        vhost-user, client mode, to a DPDK testpmd on virtio-user (the "VM"; no QEMU: under
#             TCG it would measure the emulator). Host A's testpmd is the generator (txonly, to the
#             sink's MAC), host B's the sink (rxonly). The figure is the sink's RX rate.
#   host      tap `xbtap` in the namespace (10.0.10.1 / .2): iperf3 between the two host stacks.
#   the tunnel, one of:
#     native  `vx100`, type vxlan, VNI 100, local/remotes the underlay addresses (docs/vxlan-ports.md)
#     kernel  `fabric100`, type uplink on veth `xbsy`, whose peer `xbsybr` sits in bridge `xbbr`
#             with the kernel vxlan device `xbvx` (VNI 100, nolearning) — Deploy/evpn-fabric's
#             host-setup.sh, without FRR: the flood entry (type-3) and the remote MACs (type-2)
#             that zebra would install are written as static `bridge fdb` entries. The data path
#             is the same; the control plane is not what is measured.
# Both paths know every MAC statically (no flooding): Switchyard `static-macs` for the remote
# stations, kernel bridge/vxlan FDB entries. Runs are the outer loop; in each run both paths are
# set up, measured and torn down in turn, so run r of both shares the machine's state; ratios
# native ÷ kernel are per paired run with min / median / max. RPS on each namespace's underlay
# veth steers that host's kernel receive work to that host's CPU (a veth would otherwise do it on
# the sender's CPU, inside the sender's sendmmsg).
# Everything (namespaces, daemons, testpmds, iperf3, sockets) goes at exit, also on Ctrl-C.
# Exit status 1 when a measurement did not happen (nothing reached the sink, iperf3 failed, a path
# could not be set up): the results file is written all the same, with the reason in its notes.

set -u
COMMAND_LINE="$0${*:+ $*}"

BENCH_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SCRIPTS/../.." && pwd)
. "$BENCH_SCRIPTS/lib/provenance.sh"

DIRTY_OK=0 QUICK=0 BUILD=1 OUTPUT="" RUNS=3 SECONDS_MEASURED=5 WARMUP=2 IPERF_SECONDS=5
SIZES=64,1518 PATHS=native,kernel CPUS=0,0,1,1 IDLE=sleep

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "cross-host.sh: $*" >&2; exit 1; }
say() { echo "[cross-host] $*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 RUNS=1 SECONDS_MEASURED=2 WARMUP=1 IPERF_SECONDS=3 ;;
        --runs) RUNS=$2; shift ;;
        --seconds) SECONDS_MEASURED=$2; shift ;;
        --warmup) WARMUP=$2; shift ;;
        --sizes) SIZES=$2; shift ;;
        --paths) PATHS=$2; shift ;;
        --iperf-seconds) IPERF_SECONDS=$2; shift ;;
        --cpus) CPUS=$2; shift ;;
        --idle) IDLE=$2; shift ;;
        --no-build) BUILD=0 ;;
        --output) OUTPUT=$2; shift ;;
        --keep-logs) export SY_KEEP_LOGS=1 ;;
        --dirty) DIRTY_OK=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done

IFS=, read -ra SIZE_LIST <<<"$SIZES"
IFS=, read -ra PATH_LIST <<<"$PATHS"
IFS=, read -r CPU_GEN CPU_SYA CPU_SYB CPU_SINK <<<"$CPUS"
for s in "${SIZE_LIST[@]}"; do
    [[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 64 ] && [ "$s" -le 1518 ] || die "frame size $s not in 64..1518"
done
for p in "${PATH_LIST[@]}"; do case $p in native|kernel) ;; *) die "unknown path $p (native, kernel)" ;; esac; done
for c in "$CPU_GEN" "$CPU_SYA" "$CPU_SYB" "$CPU_SINK"; do
    [[ $c =~ ^[0-9]+$ ]] && [ "$c" -lt "$(nproc)" ] || die "--cpus takes four CPU ids below $(nproc), got $CPUS"
done
case $IDLE in sleep|poll) ;; *) die "--idle takes sleep or poll" ;; esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number"
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, hugepages, DPDK)"

# --- provenance ------------------------------------------------------------------------------------
bench_provenance

for c in dpdk-testpmd iperf3 busybox bridge ethtool python3; do
    command -v "$c" >/dev/null || die "$c not found (apt-get install dpdk-dev iperf3 busybox iproute2 ethtool python3)"
done

# --- build -----------------------------------------------------------------------------------------
SY_SWITCHYARD=$REPO/.build/release/switchyard SY_YARDCTL=$REPO/.build/release/yardctl
if [ $BUILD = 1 ]; then
    for p in switchyard yardctl; do
        say "swift build -c release --product $p"
        (cd "$REPO" && swift build -c release --product "$p" >&2) || die "build of $p failed"
    done
fi
[ -x "$SY_SWITCHYARD" ] && [ -x "$SY_YARDCTL" ] || die "no release build in $REPO/.build/release"

# --- run directory, cleanup ------------------------------------------------------------------------
# The harness's run directory, named for this script (common.sh makes it only if SY_RUN_DIR is unset).
SY_RUN_DIR=$(mktemp -d /tmp/xb-cross-host.XXXXXX) || die "mktemp failed"
export SY_RUN_DIR
: >"$SY_RUN_DIR/pids"
. "$REPO/Tests/RealPeers/lib/testpmd.sh"
. "$REPO/Tests/RealPeers/lib/netns.sh"
. "$BENCH_SCRIPTS/lib/cpushare.sh"
SY_NETNS_STATE=/tmp/xb-netns.$$
netns_trap_cleanup
RUN=$SY_RUN_DIR
: >"$RUN/measurements.log"
log() { echo "$*" >>"$RUN/measurements.log"; }

# --- the two hosts ---------------------------------------------------------------------------------
HOSTS="A B"
declare -A NS VTEP PEER CPU_HOST TAPIP TAPMAC
NS[A]=xbA-$$ NS[B]=xbB-$$
VTEP[A]=10.255.0.1 VTEP[B]=10.255.0.2 PEER[A]=10.255.0.2 PEER[B]=10.255.0.1
CPU_HOST[A]=$CPU_SYA CPU_HOST[B]=$CPU_SYB
TAPIP[A]=10.0.10.1 TAPIP[B]=10.0.10.2
TAPMAC[A]=02:5b:0a:00:00:02 TAPMAC[B]=02:5b:0b:00:00:02
GEN_MAC=02:5b:0a:00:00:01 SINK_MAC=02:5b:0b:00:00:01
UNDERLAY=xbu UNDERLAY_MTU=1550 OVERLAY_MTU=1500 VNI=100
BR=xbbr VX=xbvx UPLINK=xbsy BPORT=xbsybr TAP=xbtap
# What the other host's stations are, as each host's tunnel must know them (static, no flooding).
declare -A REMOTE_MACS LOCAL_MACS
REMOTE_MACS[A]="$SINK_MAC ${TAPMAC[B]}" REMOTE_MACS[B]="$GEN_MAC ${TAPMAC[A]}"
LOCAL_MACS[A]="$GEN_MAC ${TAPMAC[A]}" LOCAL_MACS[B]="$SINK_MAC ${TAPMAC[B]}"

in_ns() { local h=$1; shift; ip netns exec "${NS[$h]}" "$@"; }
cpumask() { printf '%x\n' $((1 << $1)); }

hosts_up() {
    local h
    for h in $HOSTS; do
        ip netns add "${NS[$h]}" || return 1
        echo "ns ${NS[$h]}" >>"$SY_NETNS_STATE"
        in_ns $h ip link set lo up || return 1
    done
    ip link add "$UNDERLAY" netns "${NS[A]}" type veth peer name "$UNDERLAY" netns "${NS[B]}" || return 1
    for h in $HOSTS; do
        in_ns $h sysctl -qw "net.ipv6.conf.$UNDERLAY.disable_ipv6=1"
        in_ns $h ip link set "$UNDERLAY" mtu $UNDERLAY_MTU up || return 1
        in_ns $h ip addr add "${VTEP[$h]}/24" dev "$UNDERLAY" || return 1
        # This host's kernel receive work (decapsulation, bridge, socket delivery) on this host's CPU.
        in_ns $h sh -c "echo $(cpumask "${CPU_HOST[$h]}") >/sys/class/net/$UNDERLAY/queues/rx-0/rps_cpus" || return 1
        # The host stack's station on the switch: a persistent tap the tap port attaches to
        # (docs/tap-ports.md, "Created or existing device"), so its MAC and address outlive the
        # daemon restarts between paths.
        in_ns $h ip tuntap add dev $TAP mode tap vnet_hdr || return 1
        in_ns $h sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
        in_ns $h ip link set $TAP address "${TAPMAC[$h]}" mtu $OVERLAY_MTU up || return 1
        in_ns $h ip addr add "${TAPIP[$h]}/24" dev $TAP || return 1
    done
    in_ns A busybox ping -c 1 -W 2 "${VTEP[B]}" >/dev/null || { echo "underlay ping failed"; return 1; }
}

# The kernel-bridge path on host H: Deploy/evpn-fabric/host-setup.sh's devices (bridge, vxlan
# nolearning with bridge-port learning off, veth pair), and the FDB entries FRR's zebra would write
# from the other host's type-3 (flood list) and type-2 (MAC -> VTEP) routes, written by hand.
kernel_path_up() {
    local h=$1 mac
    in_ns $h ip link add $BR type bridge || return 1
    in_ns $h sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1"
    in_ns $h ip link add $VX type vxlan id $VNI local "${VTEP[$h]}" dstport 4789 nolearning dev $UNDERLAY || return 1
    in_ns $h ip link set $VX mtu $OVERLAY_MTU master $BR || return 1
    in_ns $h bridge link set dev $VX learning off || return 1
    in_ns $h ip link add $UPLINK type veth peer name $BPORT || return 1
    in_ns $h sysctl -qw "net.ipv6.conf.$UPLINK.disable_ipv6=1"
    in_ns $h sysctl -qw "net.ipv6.conf.$BPORT.disable_ipv6=1"
    in_ns $h ip link set $UPLINK mtu $OVERLAY_MTU || return 1
    in_ns $h ip link set $BPORT mtu $OVERLAY_MTU master $BR || return 1
    in_ns $h ip link set $BR mtu $OVERLAY_MTU || return 1
    for d in $VX $BPORT $UPLINK $BR; do in_ns $h ip link set $d up || return 1; done
    in_ns $h bridge fdb append 00:00:00:00:00:00 dev $VX dst "${PEER[$h]}" || return 1
    for mac in ${REMOTE_MACS[$h]}; do
        in_ns $h bridge fdb add "$mac" dev $VX master static || return 1
        in_ns $h bridge fdb add "$mac" dev $VX dst "${PEER[$h]}" || return 1
    done
    for mac in ${LOCAL_MACS[$h]}; do in_ns $h bridge fdb add "$mac" dev $BPORT master static || return 1; done
}
kernel_path_down() {
    local h=$1 d
    for d in $UPLINK $VX $BR; do in_ns $h ip link show $d >/dev/null 2>&1 && in_ns $h ip link del $d; done
    return 0
}

# --- Switchyard per host and path ------------------------------------------------------------------
sy_dir() { echo "$RUN/sy$1"; }
yard() { local h=$1; shift; "$SY_YARDCTL" --socket "$(sy_dir "$h")/control.sock" "$@"; }
tunnel_port() { [ "$1" = native ] && echo vx100 || echo fabric100; }
macs_yaml() { local m out=""; for m in $1; do out+="${out:+, }{ mac: \"$m\" }"; done; echo "[$out]"; }

sy_yaml() {  # HOST PATH
    local h=$1 path=$2 d; d=$(sy_dir "$h")
    mkdir -p "$d"
    {
        cat <<EOF
switch:
  socket-directory: $d
  control-socket: $d/control.sock
  log: { level: info }
  datapath: { cpus: [${CPU_HOST[$h]}], idle: $IDLE }
ports:
  - name: vm
    type: vhost-user
    socket: $RUN/vm$h.sock
    mode: client
    vlan: { access: 10 }
EOF
        [ "$h" = B ] && echo "    static-macs: $(macs_yaml "$SINK_MAC")"
        cat <<EOF
  - { name: host, type: tap, interface: $TAP, mtu: $OVERLAY_MTU, vlan: { access: 10 } }
EOF
        if [ "$path" = native ]; then
            cat <<EOF
  - name: vx100
    type: vxlan
    vni: $VNI
    local: ${VTEP[$h]}
    remotes: [${PEER[$h]}]
    underlay-mtu: $UNDERLAY_MTU
    vlan: { access: 10 }
    static-macs: $(macs_yaml "${REMOTE_MACS[$h]}")
EOF
        else
            cat <<EOF
  - name: fabric100
    type: uplink
    interface: $UPLINK
    vlan: { access: 10 }
    static-macs: $(macs_yaml "${REMOTE_MACS[$h]}")
EOF
        fi
    } >"$d/switchyard.yaml"
    "$SY_SWITCHYARD" --check-config "$d/switchyard.yaml" >/dev/null
}

declare -A SY_PID
sy_start() {  # HOST PATH
    local h=$1 path=$2 d deadline; d=$(sy_dir "$h")
    sy_yaml "$h" "$path" || { echo "config of host $h ($path) refused"; return 1; }
    rm -f "$d/control.sock"
    SY_PID[$h]=$(netns_spawn "${NS[$h]}" "switchyard $h" "$d/switchyard-$path.log" "$SY_SWITCHYARD" --config "$d/switchyard.yaml")
    deadline=$((SECONDS + 20))
    until [ -S "$d/control.sock" ]; do
        sy_pid_alive "${SY_PID[$h]}" || { echo "switchyard $h exited:"; tail -n 20 "$d/switchyard-$path.log"; return 1; }
        [ $SECONDS -lt $deadline ] || { echo "switchyard $h: no control socket"; return 1; }
        sleep 0.1
    done
}
sy_stop() {
    local h
    for h in $HOSTS; do [ -n "${SY_PID[$h]:-}" ] && sy_kill_pid "${SY_PID[$h]}"; SY_PID[$h]=""; done
}

# "TIME RX TX" of one port: the clock just before yardctl reads the counters, so that a rate
# divides by the time between the two reads, not by the window (the reads take their own time).
port_counters() {  # HOST PORT
    local t json
    t=$(date +%s.%N)
    json=$(yard "$1" ports --json 2>/dev/null)
    python3 -c "import json,sys
try:
    p=[x for x in json.loads(sys.argv[1])['ports'] if x['name']=='$2'][0]['counters']
    print('$t', p['rxFrames'], p['txFrames'])
except Exception: print('$t 0 0')" "$json"
}
# Frames per second between two port_counters lines, in Mpps: FIELD 2 (rx) or 3 (tx).
counter_mpps() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "%.3f", (y[1] > x[1]) ? (y[f] - x[f]) / (y[1] - x[1]) / 1e6 : 0 }'; }
# The daemon's drop totals by reason, "reason count" per line: `yardctl stats` prints them unindented
# (the indented "  drop ..." lines under each port repeat them per port).
sy_drops() { yard "$1" stats 2>/dev/null | awk '/^drop / { r = $2; sub(/:$/, "", r); print r, $NF }'; }
# "reason +N, ..." for the reasons that grew between two sy_drops outputs; "none" if none did.
drops_grown() {
    awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, "\n"); for (i = 1; i <= n; i++) { split(x[i], f, " "); if (f[1] != "") c[f[1]] = f[2] }
        n = split(b, y, "\n"); for (i = 1; i <= n; i++) { split(y[i], f, " "); if (f[1] != "" && f[2] - c[f[1]] > 0) { out = out sep f[1] " +" (f[2] - c[f[1]]); sep = ", " } }
        print (out == "" ? "none" : out) }'
}
wait_port_up() {  # HOST PORT
    local deadline=$((SECONDS + 15)) state
    while [ $SECONDS -lt $deadline ]; do
        state=$(yard "$1" ports --json 2>/dev/null | python3 -c "import json,sys
print([x for x in json.load(sys.stdin)['ports'] if x['name']=='$2'][0]['state'])" 2>/dev/null)
        [ "$state" = up ] || [ "$state" = running ] && return 0
        sleep 0.2
    done
    echo "port $2 on host $1 is '$state', not up"; return 1
}

# --- the "VMs": testpmd on virtio-user, listening; Switchyard connects (client mode) ---------------
vms_start() {
    local gen_extra sink_extra
    testpmd_start sink --in-memory --single-file-segments -m 256 --no-pci "--file-prefix=xb-sink-$$" \
        --lcores "0@$CPU_SINK,1@$CPU_SINK" \
        --vdev "net_virtio_user0,path=$RUN/vmB.sock,queue_size=1024,mac=$SINK_MAC,server=1" \
        -- --nb-cores=1 --forward-mode=rxonly || return 1
    sy_track_socket "$RUN/vmB.sock"
    testpmd_start gen --in-memory --single-file-segments -m 256 --no-pci "--file-prefix=xb-gen-$$" \
        --lcores "0@$CPU_GEN,1@$CPU_GEN" \
        --vdev "net_virtio_user0,path=$RUN/vmA.sock,queue_size=1024,mac=$GEN_MAC,server=1" \
        -- --nb-cores=1 --forward-mode=txonly "--eth-peer=0,$SINK_MAC" || return 1
    sy_track_socket "$RUN/vmA.sock"
    testpmd_wait_ready sink 60 && testpmd_wait_ready gen 60 || return 1
    testpmd_cmd sink "start" >/dev/null
}
vms_stop() { testpmd_stop gen; testpmd_stop sink; }
tp_rate() {  # FIELD: from a "show port stats" output on stdin
    awk -v f="$1:" '{ for (i = 1; i < NF; i++) if ($i == f) { printf "%.0f\n", $(i + 1); exit } }'
}
# The clock and /proc/stat's softirq column (jiffies) of CPUs C1 and C2.
softirq_ticks() { echo "$(date +%s.%N) $(awk -v a="cpu$1" -v b="cpu$2" '$1 == a { x = $8 } $1 == b { y = $8 } END { print x, y }' /proc/stat)"; }
# "X % / Y %": the share of the time between two softirq_ticks samples each CPU spent in softirq.
softirq_pct() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[1] - x[1]
    if (t <= 0) { print "?"; exit } printf "%.0f %% / %.0f %%", 100 * (y[2] - x[2]) / hz / t, 100 * (y[3] - x[3]) / hz / t }'; }

declare -A MPPS OFFERED TUN_TX TUN_RX SHARE NOTE_OF GBPS RETRANS
NOTES=() FAILURES=0
# A measurement that did not happen (nothing crossed, iperf3 failed, a set-up failed) is a note in
# the results and makes the exit status 1: a path that carried nothing must not read as slow.
fail_note() { NOTES+=("$1"); FAILURES=$((FAILURES + 1)); say "FAILED: $1"; }

measure_size() {  # PATH SIZE RUN
    local path=$1 size=$2 run=$3 port out_b out_a rx tx a0 a1 b0 b1 da0 da1 db0 db1 u0 u1 s0 s1 share rb0 rb1 _
    port=$(tunnel_port "$path")
    testpmd_cmd gen "set txpkts $((size - 4))" >/dev/null || return 1
    testpmd_cmd gen "start" >/dev/null || return 1
    sleep "$WARMUP"
    testpmd_cmd sink "show port stats 0" >/dev/null; testpmd_cmd gen "show port stats 0" >/dev/null
    a0=$(port_counters A "$port"); b0=$(port_counters B "$port"); da0=$(sy_drops A); db0=$(sy_drops B)
    u0=$(in_ns B awk '/^Udp:/ && $2 ~ /^[0-9]+$/ { print $4, $6 }' /proc/net/snmp)
    s0=$(softirq_ticks "$CPU_SYA" "$CPU_SYB")
    bench_share_begin "$(cat "$RUN/tp-gen.pid")" "${SY_PID[A]}" "${SY_PID[B]}" "$(cat "$RUN/tp-sink.pid")"
    sleep "$SECONDS_MEASURED"
    out_b=$(testpmd_cmd sink "show port stats 0"); out_a=$(testpmd_cmd gen "show port stats 0")
    share=$(bench_share_end)
    a1=$(port_counters A "$port"); b1=$(port_counters B "$port"); da1=$(sy_drops A); db1=$(sy_drops B)
    u1=$(in_ns B awk '/^Udp:/ && $2 ~ /^[0-9]+$/ { print $4, $6 }' /proc/net/snmp)
    s1=$(softirq_ticks "$CPU_SYA" "$CPU_SYB")
    testpmd_cmd gen "stop" >>"$RUN/measurements.log" 2>&1
    rx=$(tp_rate Rx-pps <<<"$out_b"); tx=$(tp_rate Tx-pps <<<"$out_a")
    local key="$path|$size|$run"
    MPPS[$key]=$(awk -v p="${rx:-0}" 'BEGIN { printf "%.3f", p / 1e6 }')
    OFFERED[$key]=$(awk -v p="${tx:-0}" 'BEGIN { printf "%.3f", p / 1e6 }')
    TUN_TX[$key]=$(counter_mpps "$a0" "$a1" 3)
    TUN_RX[$key]=$(counter_mpps "$b0" "$b1" 2)
    read -r _ rb0 _ <<<"$b0"; read -r _ rb1 _ <<<"$b1"
    SHARE[$key]=${share// //}
    NOTE_OF[$key]="drops A: $(drops_grown "$da0" "$da1"); B: $(drops_grown "$db0" "$db1"); host B kernel UDP InErrors/RcvbufErrors $(awk -v a="$u0" -v b="$u1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "+%d/+%d", y[1] - x[1], y[2] - x[2] }'); softirq on CPU $CPU_SYA / CPU $CPU_SYB $(softirq_pct "$s0" "$s1") of the window"
    {
        echo "=== run $run, $path, $size B: sink Rx-pps $rx, generator Tx-pps $tx; tunnel $port A tx $a0 -> $a1, B rx $b0 -> $b1; ${NOTE_OF[$key]}; CPU share gen/SY-A/SY-B/sink $share"
        echo "--- sink"; echo "$out_b"; echo "--- generator"; echo "$out_a"
    } >>"$RUN/measurements.log"
    say "$(printf 'run %d  %-6s %4d B  received at B %7.3f Mpps  (generator %7.3f, A tunnel tx %7.3f, B tunnel rx %7.3f)  CPU gen/SY-A/SY-B/sink %s %%' \
        "$run" "$path" "$size" "${MPPS[$key]}" "${OFFERED[$key]}" "${TUN_TX[$key]}" "${TUN_RX[$key]}" "${SHARE[$key]}")"
    [ "$((rb1 - rb0))" -gt 0 ] && [ "${rx:-0}" -gt 0 ] ||
        fail_note "run $run, $path, $size B: nothing arrived at the sink or from the tunnel port $port on host B"
    sleep 0.5
}

iperf_path() {  # PATH RUN
    local path=$1 run=$2 out gbps retr deadline=$((SECONDS + 15))
    until in_ns A busybox ping -c 1 -W 1 "${TAPIP[B]}" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { fail_note "run $run, $path: iperf3 not run, host A cannot ping host B's tap address ${TAPIP[B]}"; return 1; }
        sleep 0.5
    done
    out=$(in_ns A taskset -c "$CPU_SYA" iperf3 -c "${TAPIP[B]}" -B "${TAPIP[A]}" -t "$IPERF_SECONDS" -J 2>&1)
    echo "=== run $run, $path: iperf3" >>"$RUN/measurements.log"; echo "$out" >>"$RUN/measurements.log"
    read -r gbps retr < <(python3 -c "import json,sys
d=json.loads(sys.stdin.read()); e=d['end']
print('%.3f' % (e['sum_received']['bits_per_second'] / 1e9), e['sum_sent'].get('retransmits', '?'))" <<<"$out" 2>/dev/null)
    GBPS[$path|$run]=${gbps:-} RETRANS[$path|$run]=${retr:-}
    [ -n "$gbps" ] || fail_note "run $run, $path: iperf3 gave no result (see measurements.log)"
    say "run $run  $path  iperf3 TCP A -> B: ${gbps:-failed} Gbit/s (retransmits ${retr:-?})"
}

measure_path() {  # PATH RUN
    local path=$1 run=$2 h size
    say "run $run/$RUNS: $path path"
    if [ "$path" = kernel ]; then
        for h in $HOSTS; do kernel_path_up $h || { say "host $h: kernel path set-up failed"; return 1; }; done
    fi
    for h in $HOSTS; do sy_start $h "$path" || { say "host $h: switchyard did not start"; return 1; }; done
    for h in $HOSTS; do wait_port_up $h "$(tunnel_port "$path")" >&2 || return 1; done
    if vms_start; then
        for h in $HOSTS; do wait_port_up $h vm >&2; done
        for size in "${SIZE_LIST[@]}"; do measure_size "$path" "$size" "$run"; done
    else
        fail_note "run $run, $path: the testpmd VMs did not start"
    fi
    vms_stop
    [ "$IPERF_SECONDS" != 0 ] && iperf_path "$path" "$run"
    for h in $HOSTS; do
        { echo "--- run $run, $path, host $h: yardctl ports / stats"; yard $h ports; yard $h stats; } >>"$RUN/measurements.log" 2>&1
    done
    sy_stop
    if [ "$path" = kernel ]; then
        in_ns A ip -s link show $VX >>"$RUN/measurements.log" 2>&1
        for h in $HOSTS; do kernel_path_down $h; done
    fi
}

# --- the run ---------------------------------------------------------------------------------------
testpmd_hugepages_ensure 300 || die "not enough hugepages"
bench_quiet_check
hosts_up || die "could not make the two hosts"
if [ "$IPERF_SECONDS" != 0 ]; then
    netns_spawn "${NS[B]}" "iperf3 server" "$RUN/iperf3-server.log" taskset -c "$CPU_SYB" iperf3 -s -B "${TAPIP[B]}" >/dev/null
fi
T_START=$SECONDS
for run in $(seq "$RUNS"); do
    order=("${PATH_LIST[@]}")
    # Odd runs in the given order, even runs reversed: a drift within a run hits both paths alike.
    [ $((run % 2)) = 0 ] && [ ${#order[@]} = 2 ] && order=("${order[1]}" "${order[0]}")
    for path in "${order[@]}"; do
        measure_path "$path" "$run" || { vms_stop; sy_stop; for h in $HOSTS; do kernel_path_down $h; done; fail_note "run $run, $path: set-up failed (see the log)"; }
    done
done
say "measured in $((SECONDS - T_START)) s"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------------------------
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s / %s", lo, hi; else printf "- / -" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print ""; else printf "%.2f\n", a / b }'; }
has_path() { case ",$PATHS," in *",$1,"*) return 0 ;; esac; return 1; }

body() {
    local size run key ratios r n k
    echo "### Mpps received at host B (the sink's RX rate over the window)"
    echo
    echo "| frame | run | native vxlan port | kernel bridge + vxlan | native ÷ kernel |"
    echo "|---|---|---|---|---|"
    for size in "${SIZE_LIST[@]}"; do
        ratios=""
        for run in $(seq "$RUNS"); do
            n=${MPPS[native|$size|$run]:-} k=${MPPS[kernel|$size|$run]:-}
            r=$(ratio "$n" "$k"); ratios+=" $r"
            echo "| $size B | $run | ${n:--} | ${k:--} | ${r:+$r×} |"
        done
        local ns="" ks=""
        for run in $(seq "$RUNS"); do ns+=" ${MPPS[native|$size|$run]:-}"; ks+=" ${MPPS[kernel|$size|$run]:-}"; done
        echo "| $size B | **median** | $(median "$ns") | $(median "$ks") | **$(median "$ratios")×** (min / max $(minmax "$ratios")) |"
    done
    echo
    if [ "$IPERF_SECONDS" != 0 ]; then
        echo "### iperf3 TCP, host A's stack -> host B's stack (tap ports), ${IPERF_SECONDS} s, one stream"
        echo
        echo "| run | native Gbit/s (retransmits) | kernel Gbit/s (retransmits) | native ÷ kernel |"
        echo "|---|---|---|---|"
        ratios="" ns="" ks=""
        for run in $(seq "$RUNS"); do
            n=${GBPS[native|$run]:-} k=${GBPS[kernel|$run]:-}
            r=$(ratio "$n" "$k"); ratios+=" $r"; ns+=" $n"; ks+=" $k"
            echo "| $run | ${n:--} (${RETRANS[native|$run]:-?}) | ${k:--} (${RETRANS[kernel|$run]:-?}) | ${r:+$r×} |"
        done
        echo "| **median** | $(median "$ns") | $(median "$ks") | **$(median "$ratios")×** (min / max $(minmax "$ratios")) |"
        echo
    fi
    echo "### Where the frames went (Mpps over the window) and who had the CPU"
    echo
    echo "Generator = what host A's testpmd got into its TX ring (Switchyard A took); A tunnel tx = frames"
    echo "Switchyard A sent on its tunnel port (vx100 / fabric100); B tunnel rx = frames Switchyard B"
    echo "received from it; received = the sink. CPU = share of the window the busiest thread of each"
    echo "process ran (generator / Switchyard A / Switchyard B / sink), CPUs $CPUS."
    echo
    echo "| run | path | frame | generator | A tunnel tx | B tunnel rx | received | CPU % | counters |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for run in $(seq "$RUNS"); do
        for path in "${PATH_LIST[@]}"; do
            for size in "${SIZE_LIST[@]}"; do
                key="$path|$size|$run"
                [ -n "${MPPS[$key]:-}" ] || continue
                echo "| $run | $path | $size B | ${OFFERED[$key]} | ${TUN_TX[$key]} | ${TUN_RX[$key]} | ${MPPS[$key]} | ${SHARE[$key]} | ${NOTE_OF[$key]} |"
            done
        done
    done
    bench_notes
}
BODY=$(body)
echo
echo "$BODY"

if [ -z "$OUTPUT" ]; then
    if [ $QUICK = 1 ]; then OUTPUT=$REPO/Benchmarks/results/tmp/$(date +%F)-cross-host-quick.md
    else OUTPUT=$REPO/Benchmarks/results/$(date +%F)-cross-host.md; fi
fi
mkdir -p "$(dirname "$OUTPUT")"
{
    echo "# Cross-host: native vxlan port vs kernel bridge — $(date '+%F %H:%M %Z'), $(hostname -s)${TREE_STATUS:+ — DIRTY TREE}"
    echo
    echo "Provenance:"
    echo
    echo "* Commit: $COMMIT; tree clean: $TREE_CLEAN"
    echo "* Command: \`$COMMAND_LINE\`"
    echo "* Machine: $MACHINE"
    echo "* Software: DPDK $(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null), iperf3 $(dpkg-query -W -f='${Version}' iperf3 2>/dev/null), $(swift --version 2>/dev/null | head -1)"
    echo "* Quiet-machine check before the run: CPUs ${BUSY_BEFORE} % busy over 3 s (> 10 % = not quiet), load average $LOAD_BEFORE;" \
        "processes over 5 % CPU: ${BUSY_PROCESSES:-none}. After the run: load average $LOAD_AFTER."
    [ "$BUSY_BEFORE" -gt 10 ] && echo "* **Not a quiet machine**: other work used ${BUSY_BEFORE} % of the CPUs before the run; treat the figures as noisy."
    [ "$QUICK" = 1 ] && echo "* **Quick run**: not for any README figure."
    echo "* Method: docs/cross-host-performance.md; $RUNS run(s), both paths in each (order alternating per run);" \
        "${SECONDS_MEASURED} s window after ${WARMUP} s warm-up per frame size; iperf3 ${IPERF_SECONDS} s; ratios per paired run."
    echo "* Two namespaces joined by a veth underlay (MTU $UNDERLAY_MTU, overlay MTU $OVERLAY_MTU), each with its own Switchyard" \
        "(release, datapath idle: $IDLE); CPUs generator / Switchyard A / Switchyard B / sink = $CPUS; RPS of each underlay end on its host's CPU;" \
        "net.core.rmem_default $(cat /proc/sys/net/core/rmem_default) (the native port's UDP socket asks for 4 MiB itself since 2f78bba: docs/vxlan-ports.md, \"Socket buffers\")."
    echo "* Generator: testpmd txonly on virtio-user (one UDP flow, to the sink's MAC); sink: testpmd rxonly. Frame sizes include the FCS (virtio carries size − 4)."
    echo "* Kernel path: bridge + vxlan (nolearning) + veth as Deploy/evpn-fabric/host-setup.sh, FDB entries static (what FRR would install), no FRR running."
    echo
    echo "$BODY"
} >"$OUTPUT"
say "written to ${OUTPUT#"$REPO"/}"
[ -n "${SY_KEEP_LOGS:-}" ] && say "logs: $RUN"
[ "$FAILURES" = 0 ] || { say "$FAILURES measurement(s) failed: see the notes"; exit 1; }
exit 0
