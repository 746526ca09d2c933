#!/usr/bin/env bash
# offload-iperf.sh — iperf3 TCP between two QEMU guests through Switchyard (vhost-user, checksum/TSO
# offloads) and between the same two guests on a Linux bridge with tap devices (-netdev tap), in one
# run: the issue's acceptance test, "Switchyard must be at least as fast".
#
#   Benchmarks/scripts/offload-iperf.sh [--dirty]   (root, Debian 12; from anywhere in the repository)
#     --dirty   measure although the work tree has uncommitted changes (refused otherwise); the
#               results file then says DIRTY
#
# Environment: OFFLOAD_IPERF_RUNS (rounds, default 3; the median counts), OFFLOAD_IPERF_TIME
# (seconds per run, default 10), OFFLOAD_IPERF_PARALLEL=N (also N streams, iperf3 -P N),
# OFFLOAD_IPERF_SY_CPUS (e.g. "[1]": pin Switchyard's datapath thread; default unpinned),
# OFFLOAD_IPERF_RESULTS (the Markdown file; default Benchmarks/results/offload-iperf-DATE.md),
# OFFLOAD_IPERF_TAP_MSIX=0 (skip the reference pair below). SY_KEEP_LOGS=1 keeps guest and daemon
# logs. Exit status 1 when a back-end could not be measured or Switchyard is slower than the bridge
# with the same QEMU settings in the median or the worst round (ratios per paired round, as in
# compare.sh: round r of each pair ran minutes apart at most).
#
# Fairness: every pair is the same image and the same QEMU command line (lib/qemu.sh: q35, shared
# memfd memory, 1 vCPU, 256 MiB, virtio-net-pci, vectors=0 under TCG) — only -netdev differs.
# The machine is shared and its load swings within seconds, so the pairs are not measured one after
# the other: all are booted, then each round runs one iperf3 per pair in turn (rotating who goes
# first) while the other pairs are paused (QEMU monitor `stop`: no vCPU runs, so only one pair ever
# runs). The bridge lives in its own network namespace so that the host's br_netfilter setting
# (bridge-nf-call-iptables=1 on some hosts) is switched off there: the bridge is measured at its
# fastest, as on a stock Debian, and its names never clash with the host's. QEMU's tap back-end opens
# the tap with IFF_VNET_HDR and negotiates the same offloads.
# Under TCG the like-for-like NIC has vectors=0 (INTx: QEMU 7.2 segfaults with vhost-user + MSI-X
# there), so a third pair, bridge + tap with QEMU's default MSI-X vectors, is measured for reference:
# settings Switchyard cannot have on such a host.
# The bridge people deploy runs the tap through vhost-net (QEMU -netdev tap,vhost=on: the kernel
# moves the frames, not QEMU's main loop). Where /dev/vhost-net can be opened, a fourth pair "Linux
# bridge + tap, vhost=on" is measured next to vhost=off; where it cannot, the results say so.
# Average frame size = bytes / frames the back-end received from the sending guest (Switchyard port
# rx, tap rx) and delivered to the receiver: far above 1514 means 64 KB TSO segments crossed whole.
set -uo pipefail
COMMAND_LINE="$0${*:+ $*}"
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
DIRTY_OK=0
for a in "$@"; do
    case $a in --dirty) DIRTY_OK=1 ;; *) echo "usage: $0 [--dirty]" >&2; exit 2 ;; esac
done
COMMIT=$(git -C "$REPO" rev-parse HEAD 2>/dev/null) || { echo "not a git checkout" >&2; exit 1; }
TREE_STATUS=$(git -C "$REPO" status --porcelain 2>/dev/null)
if [ -n "$TREE_STATUS" ] && [ "$DIRTY_OK" != 1 ]; then
    echo "offload-iperf.sh: the work tree has uncommitted changes; commit them or pass --dirty:" >&2
    echo "$TREE_STATUS" >&2; exit 1
fi
BUSY_PROCESSES=$(ps -eo pcpu=,pid=,comm= --sort=-pcpu | awk '$1 >= 5 { printf "%s%s (pid %s) %s %%", sep, $3, $2, $1; sep = ", " }' | head -c 600)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh

RUNS=${OFFLOAD_IPERF_RUNS:-3}
TIME=${OFFLOAD_IPERF_TIME:-10}
PARALLEL=${OFFLOAD_IPERF_PARALLEL:-}
RESULTS=${OFFLOAD_IPERF_RESULTS:-$REPO/Benchmarks/results/offload-iperf-$(date +%F).md}
MAC1=52:54:00:0f:00:01 MAC2=52:54:00:0f:00:02
IP1=10.0.0.1 IP2=10.0.0.2

log() { echo "[offload-iperf] $*" >&2; }
die() { log "$*"; exit 1; }

# Two runs of this script at once would put twice the guests on the machine and measure nothing useful.
exec 8>/run/lock/sy-offload-iperf.lock || die "cannot open the lock file"
flock -n 8 || die "another offload-iperf.sh is running"

SY_HOST_PACKAGES="$SY_HOST_PACKAGES jq" sy_host_packages_ensure || die "apt-get install failed"
[ -c /dev/net/tun ] || die "/dev/net/tun missing (tun module)"
for exe in switchyard yardctl; do
    if [ ! -x "$REPO/.build/release/$exe" ]; then
        log "building $exe (release)"
        swift build -c release --product "$exe" >&2 || die "swift build -c release --product $exe failed"
    fi
done
guest_image_ensure || die "guest image"

NETNS=sy-offload-$$
bench_cleanup() {
    sy_cleanup
    if [ -e "/run/netns/$NETNS" ]; then
        local l
        for l in sytap0 sytap1 sytap2 sytap3 sytap4 sytap5 sybr0 sybr1 sybr2; do ip -n "$NETNS" link del "$l" 2>/dev/null; done
        ip netns del "$NETNS"
    fi
}
trap 'bench_cleanup' EXIT
trap 'bench_cleanup; trap - INT; kill -INT $$' INT
trap 'bench_cleanup; trap - TERM; kill -TERM $$' TERM
sy_run_dir || die "run directory"

# --- helpers ------------------------------------------------------------------------------------

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a=="" || b=="" || b==0) print "?"; else printf "%.2f\n", a/b}'; }
avg_frame() { awk -v b="$1" -v f="$2" 'BEGIN {if (f>0) printf "%.0f\n", b/f; else print "?"}'; }
load_now() { uptime | sed 's/.*load average: //'; }

# Prints the offloads that matter from ethtool -k in the guest; fails if TSO or a checksum offload is off.
guest_offloads() {
    local g=$1 k tso tx rx tso6 gro
    k=$(guest_run "$g" "ethtool -k eth0" 20) || { echo "ethtool failed"; return 1; }
    printf '%s\n' "$k" >"$SY_RUN_DIR/$g.ethtool-k"
    field() { awk -F': ' -v f="$1" '$1 ~ "^[ \t]*" f "$" {split($2, w, " "); print w[1]}' <<<"$k"; }
    tso=$(field tcp-segmentation-offload) tx=$(field tx-checksumming) rx=$(field rx-checksumming)
    tso6=$(field tx-tcp6-segmentation) gro=$(field generic-receive-offload)
    echo "tso=${tso:-?} tso6=${tso6:-?} tx-csum=${tx:-?} rx-csum=${rx:-?} gro=${gro:-?}"
    [ "$tso" = on ] && [ "$tx" = on ] && [ "$rx" = on ]
}

# Per pair P (sy, br, bx): guests P1 (iperf3 client, IP1) and P2 (server, IP2); counters_P prints
# "FROM_BYTES FROM_FRAMES TO_BYTES TO_FRAMES" as the back-end saw the traffic from P1 and to P2.
declare -A LABEL OK OFFL LOAD GBPS PGBPS FB FF TB TF ROUND
PAIRS=()

counters_sy() {
    yardctl ports --json | jq -r '(.ports[] | select(.name=="g1") | .counters | "\(.rxBytes) \(.rxFrames)"),
                                  (.[] | select(.name=="g2") | .counters | "\(.txBytes) \(.txFrames)")' | paste -sd ' ' -
}
tap_counters() {  # FROM_TAP TO_TAP
    { ip -n "$NETNS" -j -s link show "$1" | jq -r '.[0].stats64.rx | "\(.bytes) \(.packets)"'
      ip -n "$NETNS" -j -s link show "$2" | jq -r '.[0].stats64.tx | "\(.bytes) \(.packets)"'; } | paste -sd ' ' -
}
counters_br() { tap_counters sytap0 sytap1; }
counters_bx() { tap_counters sytap2 sytap3; }
counters_bv() { tap_counters sytap4 sytap5; }

pause_pair() { guest_monitor "${1}1" stop >/dev/null; guest_monitor "${1}2" stop >/dev/null; }
resume_pair() { guest_monitor "${1}1" cont >/dev/null; guest_monitor "${1}2" cont >/dev/null; }

# Waits for the pair booted by the caller, checks offloads, starts the iperf3 server, pauses it.
ready_pair() {
    local p=$1
    if guest_wait_ready "${p}1" 300 && guest_wait_ready "${p}2" 300 &&
        guest_run "${p}1" "ping -c 3 -W 2 $IP2 || ping -c 3 -W 2 $IP2" 40 >/dev/null; then
        local a b
        a=$(guest_offloads "${p}1") || log "WARNING: an offload is off in ${p}1"
        b=$(guest_offloads "${p}2") || log "WARNING: an offload is off in ${p}2"
        OFFL[$p]="sender: $a; receiver: $b"
        log "  ${LABEL[$p]}: ${OFFL[$p]}"
        log "  ${LABEL[$p]}: guest interrupts: $(guest_run "${p}1" "grep -o 'PCI-MSI\|IO-APIC' /proc/interrupts | sort | uniq -c | tr -s ' \n' ' '" 10)"
        guest_run "${p}2" "iperf3 -s -D >/tmp/iperf-server.log 2>&1" 10 >/dev/null
        sleep 1
        OK[$p]=1 GBPS[$p]="" PGBPS[$p]="" FB[$p]=0 FF[$p]=0 TB[$p]=0 TF[$p]=0
        PAIRS+=("$p")
    else
        log "${LABEL[$p]}: guests did not come up"
        OK[$p]=0
    fi
    pause_pair "$p"
}

# One iperf3 run P1 -> P2 with STREAMS streams; prints the receiver's Gbit/s ([SUM] line with -P).
iperf_once() {
    local p=$1 streams=$2 out
    out=$(guest_run "${p}1" "iperf3 -c $IP2 -t $TIME -P $streams -f g" $((TIME + 40)))
    printf '%s\n' "$out" >>"$SY_RUN_DIR/iperf-$p.log"
    printf '%s\n' "$out" | awk '/receiver/ {v=$(NF-2)} END {print v}'
}

# Resumes pair P, measures one run per stream count, pauses it again.
run_pair() {
    local p=$1 round=$2 g fb0 ff0 tb0 tf0 fb1 ff1 tb1 tf1
    resume_pair "$p"
    sleep 0.5
    read -r fb0 ff0 tb0 tf0 < <("counters_$p")
    g=$(iperf_once "$p" 1)
    read -r fb1 ff1 tb1 tf1 < <("counters_$p")
    log "  round $round ${LABEL[$p]}: ${g:-failed} Gbit/s, $((ff1 - ff0)) frames from ${p}1, avg $(avg_frame $((fb1 - fb0)) $((ff1 - ff0))) B"
    [ -n "$g" ] && GBPS[$p]+="$g "
    ROUND[$p,$round]=$g
    FB[$p]=$((FB[$p] + fb1 - fb0)) FF[$p]=$((FF[$p] + ff1 - ff0)) TB[$p]=$((TB[$p] + tb1 - tb0)) TF[$p]=$((TF[$p] + tf1 - tf0))
    if [ -n "$PARALLEL" ]; then
        g=$(iperf_once "$p" "$PARALLEL")
        log "  round $round ${LABEL[$p]} -P $PARALLEL: ${g:-failed} Gbit/s"
        [ -n "$g" ] && PGBPS[$p]+="$g "
    fi
    pause_pair "$p"
}

# --- Switchyard pair ----------------------------------------------------------------------------

cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
  log: { level: info }
  datapath: { cpus: ${OFFLOAD_IPERF_SY_CPUS:-[]}, idle: sleep }
ports:
  - { name: g1, type: vhost-user, socket: g1.sock, mode: server, vlan: { access: 1 } }
  - { name: g2, type: vhost-user, socket: g2.sock, mode: server, vlan: { access: 1 } }
YAML

LABEL[sy]="Switchyard (vhost-user)"
log "booting the Switchyard pair ($(guest_accel))"
if switchyard_start "$SY_RUN_DIR/switchyard.yaml"; then
    guest_boot sy1 $MAC1 "$SY_RUN_DIR/g1.sock" client "sy.ip=$IP1/24"
    guest_boot sy2 $MAC2 "$SY_RUN_DIR/g2.sock" client "sy.ip=$IP2/24"
    ready_pair sy
    SY_FEATURES=$(yardctl ports --json | jq -r '.ports[] | select(.name=="g1") | .features | join(" ")')
    log "  g1 port features: $SY_FEATURES"
else
    log "switchyard did not start"; OK[sy]=0
fi

# --- Linux bridge + tap pairs (own namespace; one bridge per pair, so the pairs never share L2) -

ip netns add "$NETNS" || die "ip netns add"
for f in iptables ip6tables arptables; do
    [ -w "/proc/sys/net/bridge/bridge-nf-call-$f" ] &&
        ip netns exec "$NETNS" sh -c "echo 0 >/proc/sys/net/bridge/bridge-nf-call-$f"
done
ip -n "$NETNS" link set lo up
make_bridge() {  # BRIDGE TAP TAP
    ip -n "$NETNS" link add "$1" type bridge stp_state 0 || return 1
    local t
    for t in "$2" "$3"; do
        ip -n "$NETNS" tuntap add dev "$t" mode tap vnet_hdr || return 1
        ip -n "$NETNS" link set "$t" master "$1" up || return 1
    done
    ip -n "$NETNS" link set "$1" up
}

LABEL[br]="Linux bridge + tap"
log "booting the bridge pair (namespace $NETNS, sybr0: sytap0, sytap1)"
make_bridge sybr0 sytap0 sytap1 || die "bridge set-up failed"
SY_GUEST_NETNS=$NETNS guest_boot br1 $MAC1 tap:sytap0 client "sy.ip=$IP1/24"
SY_GUEST_NETNS=$NETNS guest_boot br2 $MAC2 tap:sytap1 client "sy.ip=$IP2/24"
ready_pair br

# The device option given last wins: vectors=4 (QEMU's default for one queue pair) over vectors=0.
if [ "$(guest_accel)" = tcg ] && [ "${OFFLOAD_IPERF_TAP_MSIX:-1}" = 1 ]; then
    LABEL[bx]="Linux bridge + tap, MSI-X (reference)"
    log "booting the bridge pair with MSI-X (sybr1: sytap2, sytap3)"
    make_bridge sybr1 sytap2 sytap3 || die "bridge set-up failed"
    SY_GUEST_NETNS=$NETNS guest_boot bx1 $MAC1 tap:sytap2 client "sy.ip=$IP1/24" vectors=4
    SY_GUEST_NETNS=$NETNS guest_boot bx2 $MAC2 tap:sytap3 client "sy.ip=$IP2/24" vectors=4
    ready_pair bx
fi

# vhost-net: the kernel's vhost worker moves the tap's frames (what a libvirt bridge uses by default).
VHOST_NET_NOTE=""
[ -e /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
if [ -c /dev/vhost-net ] && { exec 7<>/dev/vhost-net; } 2>/dev/null; then
    exec 7>&-
    LABEL[bv]="Linux bridge + tap, vhost=on (vhost-net)"
    log "booting the bridge pair with vhost-net (sybr2: sytap4, sytap5)"
    make_bridge sybr2 sytap4 sytap5 || die "bridge set-up failed"
    SY_GUEST_TAP_VHOST=on SY_GUEST_NETNS=$NETNS guest_boot bv1 $MAC1 tap:sytap4 client "sy.ip=$IP1/24"
    SY_GUEST_TAP_VHOST=on SY_GUEST_NETNS=$NETNS guest_boot bv2 $MAC2 tap:sytap5 client "sy.ip=$IP2/24"
    ready_pair bv
    [ "${OK[bv]:-0}" = 1 ] || VHOST_NET_NOTE="the vhost=on pair did not come up (see bv1.qemu.log): not measured"
else
    VHOST_NET_NOTE="not measured: /dev/vhost-net cannot be opened on this host ($( [ -e /dev/vhost-net ] && echo "it exists but open failed" || echo "no such device; modprobe vhost_net failed or is not allowed"))"
    log "vhost-net baseline $VHOST_NET_NOTE"
fi

# --- interleaved rounds -------------------------------------------------------------------------

n=${#PAIRS[@]}
[ "$n" -gt 0 ] || die "no pair came up"
for r in $(seq "$RUNS"); do
    LOAD[$r]=$(load_now)
    log "round $r/$RUNS (load ${LOAD[$r]})"
    for i in $(seq 0 $((n - 1))); do
        run_pair "${PAIRS[$(((i + r - 1) % n))]}" "$r"
    done
done

if [ "${OK[sy]}" = 1 ]; then
    SY_DROPS=$(yardctl ports --json | jq -r '.ports[] | "\(.name): \(.counters.drops | to_entries | map("\(.key)=\(.value)") | join(", ") | if . == "" then "none" else . end)"' | paste -sd ';' -)
    yardctl ports >"$SY_RUN_DIR/yardctl-ports.txt" 2>&1
fi
BR_DROPS=$(for t in sytap0 sytap1 sybr0 sytap2 sytap3 sybr1 sytap4 sytap5 sybr2; do ip -n "$NETNS" -j -s link show $t 2>/dev/null | jq -r '.[0] | "\(.ifname): rx \(.stats64.rx.dropped) tx \(.stats64.tx.dropped)"'; done | paste -sd ';' -)
for p in sy br bx bv; do [ "${OK[$p]:-0}" = 1 ] && pause_pair "$p"; done

# --- report -------------------------------------------------------------------------------------

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
declare -A MED PMED
for p in sy br bx bv; do MED[$p]=$(med "${GBPS[$p]:-}"); PMED[$p]=$(med "${PGBPS[$p]:-}"); done

what="median of $RUNS runs of $TIME s"
[ "$RUNS" = 1 ] && what="1 run of $TIME s"
table() {
    echo "| back-end | streams | Gbit/s ($what) | runs (Gbit/s) | avg frame from g1 (B) | avg frame to g2 (B) |"
    echo "|---|---|---|---|---|---|"
    local p
    for p in sy br bx bv; do
        [ -n "${LABEL[$p]:-}" ] || continue
        echo "| ${LABEL[$p]} | 1 | ${MED[$p]:-failed} | ${GBPS[$p]% } | $(avg_frame "${FB[$p]:-0}" "${FF[$p]:-0}") | $(avg_frame "${TB[$p]:-0}" "${TF[$p]:-0}") |"
    done
    if [ -n "$PARALLEL" ]; then
        for p in sy br bx bv; do
            [ -n "${LABEL[$p]:-}" ] || continue
            echo "| ${LABEL[$p]} | $PARALLEL | ${PMED[$p]:-failed} | ${PGBPS[$p]% } | | |"
        done
    fi
    echo
    echo "Switchyard ÷ each bridge per paired round (round r of one pair over round r of the other; 1 stream):"
    echo
    echo "| Switchyard ÷ | per round (1, 2, …) | min | median | max |"
    echo "|---|---|---:|---:|---:|"
    local q
    for q in br bv bx; do
        [ -n "${LABEL[$q]:-}" ] && [ "${OK[$q]:-0}" = 1 ] || continue
        echo "| ${LABEL[$q]} | $(paired_ratios "$q") |"
    done
    return 0
}
# "r1×, r2×, … | min× | median× | max×" for Switchyard ÷ pair Q over the rounds both measured.
paired_ratios() {
    local q=$1 r v list="" values=""
    for r in $(seq "$RUNS"); do
        local a=${ROUND[sy,$r]:-} b=${ROUND[$q,$r]:-}
        if [ -n "$a" ] && [ -n "$b" ]; then
            v=$(ratio "$a" "$b"); list+="$v×, "; [ "$v" != "?" ] && values+=" $v"
        else
            list+="—, "
        fi
    done
    [ -n "$values" ] || { echo "${list%, } | — | — | —"; return; }
    echo "${list%, } | $(tr ' ' '\n' <<<"$values" | grep . | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f× | %.2f× | %.2f×", v[1], m, v[NR]}')"
}
loads() { local r; for r in $(seq "$RUNS"); do printf '%s%s: %s' "$([ "$r" = 1 ] || echo '; ')" "$r" "${LOAD[$r]:-?}"; done; echo; }

commit=$COMMIT
[ -n "$TREE_STATUS" ] && commit+=" — DIRTY TREE ($(wc -l <<<"$TREE_STATUS") uncommitted paths)"
mkdir -p "$(dirname "$RESULTS")"
{
    echo "# iperf3 through Switchyard vs Linux bridge + tap — $(date '+%F %H:%M %Z')"
    echo
    echo "Command \`$COMMAND_LINE\`, commit $commit; tree clean: $([ -n "$TREE_STATUS" ] && echo no || echo yes)."
    echo "Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)."
    echo "Before the run: load average $LOAD_BEFORE; processes over 5 % CPU: ${BUSY_PROCESSES:-none}."
    echo "Host: $(nproc) CPUs, kernel $(uname -r),"
    echo "$(qemu-system-x86_64 --version | head -1). Guests: $(guest_accel), 1 vCPU, ${SY_GUEST_MEM:-256} MiB,"
    echo "guest kernel $(awk '/^kernel=/ {print $2}' "$(dirname "$SY_GUEST_KERNEL")/inputs" 2>/dev/null), virtio-net-pci$([ "$(guest_accel)" = tcg ] && echo " (vectors=0 unless noted)");"
    echo "iperf3 -c g1 → g2, TCP, receiver rate. Rounds interleave the pairs (the others paused)."
    echo "Bridge: own network namespace, bridge-nf-call-* = 0, tap vhost=off; vhost-net pair (tap vhost=on): ${VHOST_NET_NOTE:-measured, see the table}."
    echo
    table
    echo
    echo "Load average (1/5/15 min) at the start of each round: $(loads)"
    echo
    echo "Guest offloads (ethtool -k eth0):"
    for p in sy br bx bv; do [ -n "${LABEL[$p]:-}" ] && echo "- ${LABEL[$p]}: ${OFFL[$p]:-?}"; done
    echo
    echo "Switchyard g1 negotiated: ${SY_FEATURES:-?}"
    echo
    echo "Drops — Switchyard: ${SY_DROPS:-?}; bridge: ${BR_DROPS:-?}"
} >"$RESULTS"

echo
table
echo
echo "load at the start of each round: $(loads)"
echo "Switchyard drops: ${SY_DROPS:-?}"
echo "written to ${RESULTS#$REPO/}"

[ "${OK[sy]:-0}" = 1 ] && [ "${OK[br]:-0}" = 1 ] && [ -n "${MED[sy]}" ] && [ -n "${MED[br]}" ] || exit 1
# Like compare.sh's targets: "at least as fast" must hold in the median and the worst paired round.
pr=$(paired_ratios br)
awk -v s="$pr" 'BEGIN { n = split(s, f, "|"); mn = f[n-2] + 0; md = f[n-1] + 0; exit !(mn >= 1 && md >= 1) }' ||
    { log "Switchyard is not at least as fast as the bridge in the median and the worst paired round: $pr"; exit 1; }
