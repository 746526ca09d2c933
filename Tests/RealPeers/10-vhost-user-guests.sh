#!/usr/bin/env bash
# Real peers for the vhost-user back-end: four QEMU guests (stock Debian kernel, virtio-net) and a
# DPDK testpmd virtio-user front-end, switched by Switchyard. Guests boot once; every check reuses them.
#   g1  access 10   Switchyard listens (QEMU client, reconnect=1)
#   g2  access 10   Switchyard connects (QEMU server=on) — `mode: client`
#   g3  access 20   isolated from VLAN 10; two queue pairs (multiqueue, QEMU queues=2) on a port
#                   without `queues:`: the default limit (8) lets it have them
#   g4  trunk 10,20 native 1, sub-interfaces eth0.10 / eth0.20, mrg_rxbuf=off (other features)
#   tp1/tp2 access 10: testpmd virtio-user, as client (tp1) and as server=1 (tp2)
#   h1  access 10   a tap port: the switch creates TAP device tap-sy<pid>, moved into namespace
#                   tap-ns<pid> with 10.0.10.50 (the host stack behind a tap, docs/tap-ports.md)
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/testpmd.sh
. Tests/RealPeers/lib/switchyard.sh
. Tests/RealPeers/lib/netns.sh
sy_init
netns_trap_cleanup

MAC1=52:54:00:10:00:01 MAC2=52:54:00:10:00:02 MAC3=52:54:00:20:00:03 MAC4=52:54:00:99:00:04
TPMAC0=02:00:00:00:00:01 TPMAC1=02:00:00:00:00:02
TAPIF=tap-sy$$ TAPNS=tap-ns$$ TAPIP=10.0.10.50

cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
  log: { level: info }
ports:
  - { name: g1, type: vhost-user, socket: g1.sock, vlan: { access: 10 } }
  - { name: g2, type: vhost-user, socket: g2-qemu.sock, mode: client, vlan: { access: 10 } }
  - { name: g3, type: vhost-user, socket: g3.sock, vlan: { access: 20 } }
  - { name: g4, type: vhost-user, socket: g4.sock, vlan: { trunk: { allowed: [10, 20], native: 1 } } }
  - { name: tp1, type: vhost-user, socket: tp1.sock, vlan: { access: 10 } }
  - { name: tp2, type: vhost-user, socket: tp2-testpmd.sock, mode: client, vlan: { access: 10 } }
  - { name: h1, type: tap, interface: $TAPIF, vlan: { access: 10 } }
YAML

check "switchyard starts on a config with server- and client-mode ports" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
SY_GUEST_REBOOT=1 guest_boot g1 $MAC1 "$SY_RUN_DIR/g1.sock" client "sy.name=g1 sy.ip=10.0.10.1/24"
guest_boot g2 $MAC2 "$SY_RUN_DIR/g2-qemu.sock" server "sy.name=g2 sy.ip=10.0.10.2/24"
SY_GUEST_QUEUES=2 guest_boot g3 $MAC3 "$SY_RUN_DIR/g3.sock" client "sy.name=g3 sy.ip=10.0.20.3/24"
guest_boot g4 $MAC4 "$SY_RUN_DIR/g4.sock" client "sy.name=g4 sy.vlan=10:10.0.10.4/24,20:10.0.20.4/24" "mrg_rxbuf=off"
for g in g1 g2 g3 g4; do check "guest $g boots with its virtio-net device on Switchyard" guest_wait_ready $g 180; done
note "boot seconds: g1 $(guest_boot_seconds g1), g2 $(guest_boot_seconds g2), g3 $(guest_boot_seconds g3), g4 $(guest_boot_seconds g4) ($(guest_accel))"

# Retries cover the first ARP round trips under TCG.
pings() { local g=$1 ip=$2; guest_run "$g" "ping -c 3 -W 2 $ip || ping -c 3 -W 2 $ip" 30; }
check "g1 pings g2 (server-mode port to client-mode port)" pings g1 10.0.10.2
check "g2 pings g1" pings g2 10.0.10.1
check "trunk guest g4 reaches access guest g1 through its VLAN 10 sub-interface" pings g4 10.0.10.1
check "trunk guest g4 reaches access guest g3 through its VLAN 20 sub-interface" pings g4 10.0.20.3
# Isolation: first the positive control (the same source g3, the same ping, answered where it
# should be: g4's VLAN 20 address), then g3 with an address in 10.0.10.0/24 must send to g1 and get
# no reply; a ping that could not run or timed out fails the check (guest_ping_unanswered).
check "g3 (VLAN 20) pings g4's VLAN 20 address: the probe works from this source" \
    guest_run g3 "ping -c 3 -W 2 10.0.20.4 || ping -c 3 -W 2 10.0.20.4" 30
vlan_isolated() {
    guest_run g3 "ip addr add 10.0.10.3/24 dev eth0" 10 || { echo "could not add 10.0.10.3 to g3"; return 1; }
    guest_ping_unanswered g3 "-c 3 -W 1 10.0.10.1"
    local s=$?
    guest_run g3 "ip addr del 10.0.10.3/24 dev eth0" 10
    return $s
}
check "a VLAN 20 guest cannot reach a VLAN 10 guest on the same subnet (sent, 0 received)" vlan_isolated

# The tap port: the switch created $TAPIF; its host side goes into a namespace with an address,
# as a container's would (the fd keeps working across the move).
tap_into_namespace() {
    ip link show "$TAPIF" || { echo "switchyard did not create $TAPIF"; return 1; }
    ip netns add "$TAPNS" || return 1
    echo "ns $TAPNS" >>"$SY_NETNS_STATE"
    ip netns exec "$TAPNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 &&
        ip -n "$TAPNS" link set lo up && ip link set "$TAPIF" netns "$TAPNS" &&
        ip -n "$TAPNS" addr add $TAPIP/24 dev "$TAPIF" && ip -n "$TAPNS" link set "$TAPIF" up
}
setup "the tap port's device $TAPIF moved into namespace $TAPNS with $TAPIP" tap_into_namespace
TAPMAC=$(ip -n "$TAPNS" -br link show "$TAPIF" | awk '{print $3}')
check "g1 (VLAN 10) pings the host stack behind the tap port" pings g1 $TAPIP
check "the namespace behind the tap pings g2 (VLAN 10)" ip netns exec "$TAPNS" sh -c "busybox ping -c 3 -W 2 10.0.10.2 || busybox ping -c 3 -W 2 10.0.10.2"
# Negative, after the positive above (same target, same tool): g3 on VLAN 20 with an address in
# 10.0.10.0/24 sends to the tap's address and gets no reply.
tap_isolated() {
    guest_run g3 "ip addr add 10.0.10.3/24 dev eth0" 10 || { echo "could not add 10.0.10.3 to g3"; return 1; }
    guest_ping_unanswered g3 "-c 3 -W 1 $TAPIP"
    local s=$?
    guest_run g3 "ip addr del 10.0.10.3/24 dev eth0" 10
    return $s
}
check "a VLAN 20 guest cannot reach the VLAN 10 tap port's host (sent, 0 received)" tap_isolated

# Multiqueue on a port without `queues:` (docs/vhost-user-protocol.md#queue-pairs): QEMU's
# queues=2 is within the default limit of 8, so the guest boots with two pairs (it would not boot at
# all against a limit of 1: "you are asking more queues than supported"). The guest turns on its
# second queue pair (ctrl-vq MQ_VQ_PAIRS_SET → QEMU sends SET_VRING_ENABLE for rings 2 and 3); both
# pairs must run and carry traffic, and the port shows 2 enabled of a limit of 8.
two_queues_running() {
    guest_run g3 "ethtool -L eth0 combined 2" 20 >/dev/null
    for _ in $(seq 50); do port_field g3 "p['enabledQueues'] == 2 and p['queues'] == 8" >/dev/null && return 0; sleep 0.2; done
    port_field g3 "(p['enabledQueues'], p['queues'])"  # shows enabled and limit when they are not 2 and 8
    port_field g3 "p['enabledQueues'] == 2 and p['queues'] == 8"
}
rtt=$(guest_run g1 "ping -c 10 -i 0.2 10.0.10.2" 30 | sed -n 's/.*min\/avg\/max = \([0-9.\/]*\).*/\1/p')
note "ping g1 -> g2 RTT min/avg/max ms: ${rtt:-?}"

fdb_has() {  # PORT VLAN MAC
    yardctl fdb show | awk -v p="$1" -v v="$2" -v m="$3" '$1==p && $2==v && $3==m {found=1} END {exit !found}' ||
        { yardctl fdb show; return 1; }
}
check "yardctl fdb show lists g1's MAC on port g1, VLAN 10" fdb_has g1 10 $MAC1
check "yardctl fdb show lists g2's MAC on port g2, VLAN 10" fdb_has g2 10 $MAC2
check "yardctl fdb show lists g3's MAC on port g3, VLAN 20" fdb_has g3 20 $MAC3
check "yardctl fdb show lists g4's MAC on port g4 in VLANs 10 and 20" eval "fdb_has g4 10 $MAC4 && fdb_has g4 20 $MAC4"

ports_json() { yardctl ports --json; }
port_field() {  # PORT PYTHON-EXPR over p (the port object)
    ports_json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; v=($2); print(v); sys.exit(0 if v else 1)"
}
all_running() { for g in g1 g2 g3 g4; do port_field $g "p['state']=='running'" || return 1; done; }
check "yardctl ports shows all four guest ports running" all_running
features_differ() {
    port_field g1 "'mrg_rxbuf' in p['features']" &&
        port_field g4 "'mrg_rxbuf' not in p['features'] and 'version_1' in p['features']"
}
check "g1 negotiated mergeable RX buffers, g4 (mrg_rxbuf=off) did not" features_differ
check "yardctl ports shows h1 as type tap on $TAPIF, up, with frames both ways" \
    port_field h1 "p['type'] == 'tap' and p['endpoint'] == '$TAPIF' and p['state'] == 'up' and p['counters']['rxFrames'] > 0 and p['counters']['txFrames'] > 0"
check "yardctl fdb show lists the tap's MAC on port h1, VLAN 10" fdb_has h1 10 "$TAPMAC"
check "yardctl ports counts frames both ways on g1" port_field g1 "p['counters']['rxFrames'] > 0 and p['counters']['txFrames'] > 0"
check "a two-queue guest (QEMU queues=2) enables both pairs on a port without queues: (2 of the default 8)" two_queues_running
check "the two-queue guest still reaches the trunk guest on VLAN 20" pings g3 10.0.20.4
# Both queue pairs must carry traffic: virtio_net maps vCPU N to TX queue N (XPS), so a ping from
# each vCPU goes out on its own TX ring, and each must be answered and counted on its queue.
queue_packets() { guest_run g3 "ethtool -S eth0" 10 | awk -v q="$1" '$1 == q":" {print $2}'; }
both_tx_queues_carry() {
    local q0 q1 n0 n1
    q0=$(queue_packets tx_queue_0_packets) q1=$(queue_packets tx_queue_1_packets)
    [ -n "$q0" ] && [ -n "$q1" ] || { echo "no per-queue counters from ethtool -S"; return 1; }
    guest_run g3 "taskset -c 0 ping -c 3 -W 2 10.0.20.4 && taskset -c 1 ping -c 3 -W 2 10.0.20.4" 30 || return 1
    n0=$(queue_packets tx_queue_0_packets) n1=$(queue_packets tx_queue_1_packets)
    echo "g3 tx_queue_0_packets $q0 -> $n0, tx_queue_1_packets $q1 -> $n1"
    [ "${n0:-0}" -gt "$q0" ] && [ "${n1:-0}" -gt "$q1" ]
}
check "pings from each of g3's two vCPUs are answered and both TX queues carried them" both_tx_queues_carry
mq_rx=$(guest_run g3 "ethtool -S eth0 | grep -E 'rx_queue_[01]_packets'" 10 | tr -s ' \n' ' ')
note "g3 per-queue RX counters (the switch picks the RX queue): ${mq_rx:-?}"

guest_run g2 "iperf3 -s -D >/tmp/iperf.log 2>&1" 10
sleep 1
iperf_out=$(guest_run g1 "iperf3 -c 10.0.10.2 -t 5 -f g" 60)
gbps=$(printf '%s\n' "$iperf_out" | awk '/sender/ {print $(NF-3)}' | tail -1)
check "iperf3 TCP g1 -> g2 completes" test -n "$gbps"
note "iperf3 TCP g1 -> g2: ${gbps:-?} Gbit/s ($(guest_accel) guests)"
iperf_mix=$(guest_run g4 "iperf3 -c 10.0.10.2 -t 3 -f g" 60 | awk '/receiver/ {print $(NF-2)}' | tail -1)
check "iperf3 TCP from the non-mergeable trunk guest g4 (VLAN 10) -> g2 completes" test -n "$iperf_mix"
note "iperf3 TCP g4.10 -> g2: ${iperf_mix:-?} Gbit/s"
# The host stack hands the tap TSO super-frames and partial checksums (IFF_VNET_HDR, TUNSETOFFLOAD);
# they cross whole to g2, which negotiated guest TSO.
iperf_tap=$(ip netns exec "$TAPNS" iperf3 -c 10.0.10.2 -t 3 -f g 2>&1 | awk '/receiver/ {print $(NF-2)}' | tail -1)
check "iperf3 TCP from the namespace behind the tap -> g2 completes" test -n "$iperf_tap"
note "iperf3 TCP tap namespace -> g2: ${iperf_tap:-?} Gbit/s; h1 drops: $(port_field h1 "p['counters']['drops']" 2>/dev/null)"

# Live capture (docs/capture.md). The filter runs in the daemon: while g1 sends TCP (iperf3) and
# then pings g2, `-c 6 icmp` on g1 must write exactly the three echo requests and three replies, and
# the capture's end must count the TCP frames it filtered out.
CAPDIR=$SY_RUN_DIR/cap-$$
mkdir -p "$CAPDIR"
# Background captures write nothing to the check's stdout (check reads it to its end) and are
# ended on every failure path.
capture_started() {  # STDERR-FILE PID: waits (deadline) for "capturing on", or the process to exit
    local deadline=$((SECONDS + 20))
    while [ $SECONDS -lt $deadline ]; do
        grep -q "capturing on" "$1" 2>/dev/null && return 0
        sy_pid_alive "$2" || break
        sleep 0.1
    done
    cat "$1"; kill "$2" 2>/dev/null; return 1
}
yardctl_pid() {  # PATTERN: the newest yardctl process whose command line matches, waited for
    local pid
    for _ in $(seq 100); do pid=$(pgrep -n -f "yardctl .*$1") && { echo "$pid"; return 0; }; sleep 0.1; done
    return 1
}
capture_exits() {  # PID SECONDS
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do sy_pid_alive "$1" || return 0; sleep 0.2; done
    echo "yardctl capture (pid $1) still running after $2 s"; kill -INT "$1"; return 1
}
icmp_capture_to_file() {
    local f=$CAPDIR/icmp.pcap err=$CAPDIR/icmp.err pid total icmp requests replies
    yardctl capture g1 -c 6 -w "$f" icmp >/dev/null 2>"$err" &
    pid=$!
    capture_started "$err" $pid || return 1
    guest_run g1 "iperf3 -c 10.0.10.2 -t 1 >/dev/null; ping -c 3 -i 0.3 -W 2 10.0.10.2" 40 >/dev/null
    capture_exits $pid 30 || { cat "$err"; return 1; }
    wait $pid || { echo "yardctl capture exited $?"; cat "$err"; return 1; }
    cat "$err"
    total=$(tcpdump -nr "$f" 2>/dev/null | wc -l)
    icmp=$(tcpdump -nr "$f" icmp 2>/dev/null | wc -l)
    requests=$(tcpdump -nr "$f" 2>/dev/null | grep -c "ICMP echo request")
    replies=$(tcpdump -nr "$f" 2>/dev/null | grep -c "ICMP echo reply")
    tcpdump -nr "$f" 2>/dev/null
    echo "records $total, icmp $icmp, echo requests $requests, echo replies $replies"
    [ "$total" -eq 6 ] && [ "$icmp" -eq "$total" ] && [ "$requests" -eq 3 ] && [ "$replies" -eq 3 ] &&
        grep -Eq "capture ended \(6 frames\): 6 frames captured, [1-9][0-9]* filtered out" "$err"
}
check "yardctl capture g1 -c 6 -w FILE icmp: tcpdump -r finds the 3 echo requests and 3 replies, and only those (TCP filtered out)" icmp_capture_to_file
capture_to_tshark() {
    local out=$CAPDIR/tshark.out err=$CAPDIR/tshark.err pid pipeline n
    command -v tshark >/dev/null || { echo "tshark is not installed (Tests/system-packages.sh)"; return 1; }
    (yardctl capture g2 -c 4 -w - icmp 2>"$err" | tshark -r - >"$out" 2>"$CAPDIR/tshark.stderr") >/dev/null 2>&1 &
    pipeline=$!
    pid=$(yardctl_pid "capture g2 -c 4 -w -") || { echo "yardctl capture did not start"; return 1; }
    capture_started "$err" $pid || return 1
    guest_run g1 "ping -c 2 -i 0.3 -W 2 10.0.10.2" 30 >/dev/null
    capture_exits $pid 30 || return 1
    wait $pipeline
    cat "$out" "$err"
    n=$(grep -c "Echo (ping)" "$out")
    [ "$n" -eq 4 ] && [ "$(wc -l <"$out")" -eq 4 ]
}
check "yardctl capture g2 -c 4 -w - icmp | tshark -r - reads the stream (4 echo requests and replies)" capture_to_tshark
# A reader that stops reading: the capture's ring fills, the engine counts losses and forwarding
# goes on. Positive control: iperf3 g1 -> g2 without a capture, measured right before, in this run.
iperf_rate() { guest_run g1 "iperf3 -c 10.0.10.2 -t 5 -f m" 60 | awk '/receiver/ {print $(NF-2)}' | tail -1; }
stalled_reader_costs_nothing() {
    local err=$CAPDIR/stalled.err base with sleeper capture_pid=
    base=$(iperf_rate)
    # `sleep` never reads: yardctl blocks on its stdout, the daemon's output for it fills.
    yardctl capture g2 -w - 2>"$err" | sleep 600 >/dev/null 2>&1 &
    sleeper=$!
    capture_pid=$(yardctl_pid "capture g2 -w -") || { echo "yardctl capture did not start"; kill "$sleeper"; return 1; }
    capture_started "$err" "$capture_pid" || { kill "$sleeper"; return 1; }
    with=$(iperf_rate)
    kill "$sleeper"
    capture_exits "$capture_pid" 30 || return 1
    wait "$sleeper" 2>/dev/null
    cat "$err"
    echo "iperf3 g1 -> g2: ${base:-?} Mbit/s without a capture, ${with:-?} Mbit/s with a stalled capture on g2"
    echo "${with:-?} Mbit/s with a stalled capture on g2, ${base:-?} Mbit/s without; $(grep 'capture ended' "$err")" \
        >"$CAPDIR/stalled.note"
    [ -n "$base" ] && [ -n "$with" ] && awk -v b="$base" -v w="$with" 'BEGIN { exit !(w >= 0.5 * b) }' &&
        grep -Eq "capture ended \(stopped by the client\): [0-9]+ frames captured, 0 filtered out, [1-9][0-9]* lost" "$err"
}
check "a capture whose reader stops reading: iperf3 keeps at least half its rate, the capture's end reports lost frames" stalled_reader_costs_nothing
note "iperf3 g1 -> g2: $(cat "$CAPDIR/stalled.note" 2>/dev/null)"

# A reload that moves g1 to VLAN 20 and back while it pings (docs/reload.md): applied in place,
# so g1's vhost-user connection is never closed or re-created: no disconnect, no new listener, no
# re-added port for g1 in the daemon's log, and its counters keep counting (a re-created port
# starts from 0). In VLAN 20 it reaches g3 (positive) and no longer g2 (negative, same ping); one
# ping running across the reload back to VLAN 10 is answered again without any reconnect.
SY_YAML=$SY_RUN_DIR/switchyard.yaml
g1_connection_events() {
    grep -E 'port=g1 .*(front-end disconnected|closing vhost-user connection|listening for a vhost-user|port added|port removed)' \
        "$SY_RUN_DIR/switchyard.log" | wc -l
}
g1_rx_frames() { port_field g1 "p['counters']['rxFrames']"; }
set_g1_vlan() {  # VLAN: edits g1's line of the file, reloads, and insists on "in place"
    local out
    sed -i "s/\(name: g1, .*access: \)[0-9]*/\1$1/" "$SY_YAML" || return 1
    grep -q "name: g1, .*access: $1 }" "$SY_YAML" || { echo "g1's VLAN not edited"; return 1; }
    out=$(yardctl reload) || { echo "$out"; return 1; }
    echo "$out"
    printf '%s\n' "$out" | grep -q "changed in place, connection kept: g1 (vlan" &&
        port_field g1 "p['vlanMode'] == 'access $1' and p['state'] == 'running'"
}
events_before=$(g1_connection_events)
rx_before=$(g1_rx_frames)
guest_run g1 "ip addr add 10.0.20.1/24 dev eth0" 10 >/dev/null
check "g1 pings g2 on VLAN 10 before the VLAN reload (positive control)" pings g1 10.0.10.2
check "a reload moves g1 to VLAN 20 in place (yardctl reload: changed in place)" set_g1_vlan 20
check "in VLAN 20, g3 pings g1's VLAN 20 address" pings g3 10.0.20.1
check "in VLAN 20, g1's pings to g2 (VLAN 10) go unanswered (sent, 0 received)" guest_ping_unanswered g1 "-c 3 -W 1 10.0.10.2"
ping_across_reload() {
    local out reloader
    # The reload back to VLAN 10 lands about 5 s into a 14 s ping.
    ( sleep 5; set_g1_vlan 10 >"$SY_RUN_DIR/reload-back.out" 2>&1; echo $? >"$SY_RUN_DIR/reload-back.rc" ) &
    reloader=$!
    out=$(guest_run g1 "ping -c 56 -i 0.25 -W 1 10.0.10.2" 40)
    wait "$reloader"
    printf '%s\n' "$out" | tail -n 4
    cat "$SY_RUN_DIR/reload-back.out"
    [ "$(cat "$SY_RUN_DIR/reload-back.rc")" = 0 ] || { echo "the reload back to VLAN 10 failed"; return 1; }
    # Unanswered at first (still VLAN 20), answered to the end after the reload back.
    printf '%s\n' "$out" | grep -q 'seq=0 ' && { echo "seq 0 answered: the ping did not start in VLAN 20"; return 1; }
    printf '%s\n' "$out" | grep -q "seq=55 " || { echo "the last ping was not answered: traffic did not resume"; return 1; }
}
check "one ping across the reload back to VLAN 10: unanswered first, answered again to its end" ping_across_reload
guest_run g1 "ip addr del 10.0.20.1/24 dev eth0" 10 >/dev/null
g1_kept_its_connection() {
    local events rx
    events=$(g1_connection_events) rx=$(g1_rx_frames)
    echo "g1 connection events in the log: $events_before -> $events; rx frames $rx_before -> $rx"
    grep -E 'port=g1 .*port updated in place' "$SY_RUN_DIR/switchyard.log" | tail -n 2
    [ "$events" = "$events_before" ] && [ "$rx" -gt "$rx_before" ] &&
        [ "$(grep -cE 'port=g1 .*port updated in place' "$SY_RUN_DIR/switchyard.log")" -ge 2 ]
}
check "g1's vhost-user connection was kept through both reloads (no disconnect, no re-created port, counters kept)" g1_kept_its_connection

# A guest driver reload: QEMU stops the rings (GET_VRING_BASE) and starts new ones.
reload_driver() {
    guest_run g2 "rmmod virtio_net && insmod /lib/modules/virtio_net.ko && sleep 1 && ip link set eth0 up && ip addr add 10.0.10.2/24 dev eth0" 30 &&
        pings g1 10.0.10.2
}
check "g2 reloads its virtio_net driver and traffic resumes" reload_driver

# A guest reboot (system_reset): the device is reset and renegotiated from scratch.
ready_count() { grep -c SY-GUEST-READY "$SY_RUN_DIR/$1.console.log"; }
reboot_guest() {
    local g=$1 before; before=$(ready_count $g)
    guest_monitor $g system_reset >/dev/null
    for _ in $(seq 600); do [ "$(ready_count $g)" -gt "$before" ] && break; sleep 0.2; done
    [ "$(ready_count $g)" -gt "$before" ] || { echo "$g did not come back"; return 1; }
    sleep 1
    guest_run $g "echo back" 20 | grep -q back
}
check "g1 reboots and is ready again" reboot_guest g1
check "after g1's reboot, g1 and g2 ping each other" eval "pings g1 10.0.10.2 && pings g2 10.0.10.1"

# Switchyard restarts: QEMU clients reconnect to it; it reconnects to QEMU servers.
wait_ping() {  # GUEST IP SECONDS
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do guest_run "$1" "ping -c 1 -W 1 $2" 10 >/dev/null && return 0; sleep 0.5; done
    return 1
}
stop_removes_sockets() {
    ls "$SY_RUN_DIR/g1.sock" "$SY_RUN_DIR/control.sock" || { echo "the sockets were not there before the stop"; return 1; }
    switchyard_stop
    ! ls "$SY_RUN_DIR/g1.sock" "$SY_RUN_DIR/control.sock" 2>/dev/null
}
check "switchyard stops cleanly and removes its sockets" stop_removes_sockets
restart_started=$(date +%s.%N)
switchyard_start "$SY_RUN_DIR/switchyard.yaml"
check "after a restart, QEMU (client) reconnects and g1 reaches g2 (switchyard reconnects as client)" wait_ping g1 10.0.10.2 40
note "restart to g1's first answered ping: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $restart_started }") s (an upper bound: it includes the daemon's start, QEMU's 1 s reconnect timer and the guest command's own latency under TCG)"
check "after a restart, the trunk guest reaches VLAN 20 again" wait_ping g4 10.0.20.3 40
switchyard_kill
crash_restart_started=$(date +%s.%N)
check "switchyard comes back after a crash (stale sockets replaced)" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
check "after the crash, g2 reaches g1 again" wait_ping g2 10.0.10.1 40
note "ports after the crash restart: $(ports_json 2>&1 | python3 -c 'import json,sys; print("; ".join(p["name"] + " " + p["state"] for p in json.load(sys.stdin)["ports"]))' 2>&1)"
note "SIGKILL restart to g2's first answered ping: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $crash_restart_started }") s (upper bound, as above)"

# DPDK testpmd as a second front-end: virtio-user as client (tp1) and as server=1 (tp2).
testpmd_hugepages_ensure 256
testpmd_start tp --in-memory --single-file-segments -m 256 --file-prefix=sy-tp --no-pci -l 0-1 \
    --vdev "net_virtio_user0,path=$SY_RUN_DIR/tp1.sock,queue_size=1024,mac=$TPMAC0" \
    --vdev "net_virtio_user1,path=$SY_RUN_DIR/tp2-testpmd.sock,queue_size=1024,mac=$TPMAC1,server=1" \
    -- --nb-cores=1 --rxq=1 --txq=1
check "testpmd starts with one virtio-user port on each socket mode" testpmd_wait_ready tp 90
# virtio-user takes IN_ORDER (and then uses its in-order RX/TX paths); Linux 6.1 guests do not know it.
in_order_only_testpmd() {
    port_field tp1 "'in_order' in p['features']" && port_field tp2 "'in_order' in p['features']" &&
        port_field g1 "'in_order' not in p['features']"
}
check "testpmd's ports negotiated in_order, the QEMU guest's did not" in_order_only_testpmd
rx_before=$(guest_run g1 "cat /sys/class/net/eth0/statistics/rx_packets" 10)
testpmd_cmd tp "set fwd txonly" >/dev/null
testpmd_cmd tp "set eth-peer 0 $MAC1" >/dev/null
testpmd_cmd tp "set eth-peer 1 $MAC1" >/dev/null
testpmd_cmd tp "start" >/dev/null
sleep 2
testpmd_cmd tp "stop" >/dev/null
rx_after=$(guest_run g1 "cat /sys/class/net/eth0/statistics/rx_packets" 10)
note "g1 received $((rx_after - rx_before)) frames from testpmd txonly in 2 s"
check "frames from testpmd (both virtio-user ports) reach guest g1" test $((rx_after - rx_before)) -gt 100
check "both testpmd MACs are learned on their ports" eval "fdb_has tp1 10 $TPMAC0 && fdb_has tp2 10 $TPMAC1"
testpmd_cmd tp "clear port stats all" >/dev/null
testpmd_cmd tp "set fwd rxonly" >/dev/null
testpmd_cmd tp "start" >/dev/null
guest_run g1 "ip neigh replace 10.0.10.98 lladdr $TPMAC0 dev eth0; ip neigh replace 10.0.10.99 lladdr $TPMAC1 dev eth0; ping -c 5 -i 0.2 -W 1 10.0.10.98; ping -c 5 -i 0.2 -W 1 10.0.10.99" 30 >/dev/null
sleep 1
testpmd_cmd tp "stop" >/dev/null
p0=$(testpmd_port_stat tp 0 RX-packets); p1=$(testpmd_port_stat tp 1 RX-packets)
note "testpmd received from g1: port0 ${p0:-?}, port1 ${p1:-?}"
check "frames from g1 reach testpmd's client-mode port (tp1)" test "${p0:-0}" -ge 5
check "frames from g1 reach testpmd's server-mode port (tp2)" test "${p1:-0}" -ge 5
testpmd_stop tp

check "switchyard is still running after all of the above" sy_pid_alive "$(switchyard_pid)"
dropline=$(yardctl stats | grep '^drop' | tr '\n' ' ')
note "switch-wide drops: ${dropline:-none}"
switchyard_stop
check_summary
