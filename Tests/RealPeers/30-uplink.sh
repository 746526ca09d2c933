#!/usr/bin/env bash
# The uplink port against a real kernel peer: a veth pair whose far end lives in a network namespace
# that plays the outside host. Guests boot once; every check reuses them.
#   up0  uplink on the root-namespace end of the veth, trunk allowed [10] native 1
#   gA   access 1 (native: untagged on the wire), 10.0.1.1/24, port MTU 9000
#   gB   access 10 (tagged 10 on the wire), 10.0.10.1/24
#   tp   access 1, DPDK testpmd virtio-user: the 64-byte frame source for the uplink's TX rate
#   mon0 tap mir<pid>m, the output of mirror gA-span (gA's frames both ways; docs/mirroring.md),
#        read by tcpdump on the host
#   namespace: 10.0.1.254/24 untagged (the kernel), and 10.0.10.254 on VLAN 10 answered by
#   lib/vlan-responder.py (this host kernel has no 802.1Q, so no `vlan 10` sub-interface).
# Checks: state, untagged and tagged reachability, the mirror's copies, FDB, trunk filtering, iperf3 both ways, link down
# and carrier loss, MTU (the uplink's and the interface's), 64-byte frame rates in and out, the
# interface deleted and recreated. Namespace, veth, responder, guests and daemon go at exit.
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

NS=sy-up-$$ HOST_IF=syu$$h NS_IF=eth0 MON_IF=mir$$m
MACA=52:54:00:01:00:01 MACB=52:54:00:0a:00:02
NSMAC=02:5a:00:00:01:fe RESPMAC=02:5a:00:00:0a:fe BLASTMAC=02:5a:00:00:01:bb TPMAC=02:00:00:00:01:01

ns_host_address() { ip -n "$NS" link set "$NS_IF" address "$NSMAC" && ip -n "$NS" addr add 10.0.1.254/24 dev "$NS_IF"; }
setup "namespace $NS with veth $HOST_IF <-> $NS_IF" eval 'netns_create "$NS" "$HOST_IF" "$NS_IF" && ns_host_address'
netns_spawn "$NS" vlan-responder "$SY_RUN_DIR/vlan-responder.log" python3 -u "$SY_LIB_DIR/vlan-responder.py" \
    --interface "$NS_IF" --vlan 10 --ip 10.0.10.254 --mac "$RESPMAC" --parent $$ >/dev/null
netns_spawn "$NS" iperf3-server "$SY_RUN_DIR/iperf3-server.log" iperf3 -s -B 10.0.1.254 >/dev/null

cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
  log: { level: info }
ports:
  - { name: up0, type: uplink, interface: $HOST_IF, vlan: { trunk: { allowed: [10], native: 1 } } }
  - { name: gA, type: vhost-user, socket: gA.sock, mtu: 9000, vlan: { access: 1 } }
  - { name: gB, type: vhost-user, socket: gB.sock, vlan: { access: 10 } }
  - { name: tp, type: vhost-user, socket: tp.sock, vlan: { access: 1 } }
  - { name: mon0, type: tap, interface: $MON_IF, vlan: { access: 1 } }
mirrors:
  - { name: gA-span, output: mon0, source-ports: [gA], destination-ports: [gA] }
YAML

check "switchyard starts with an uplink on $HOST_IF, three vhost-user ports and a mirror tap" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
guest_boot gA $MACA "$SY_RUN_DIR/gA.sock" client "sy.ip=10.0.1.1/24"
guest_boot gB $MACB "$SY_RUN_DIR/gB.sock" client "sy.ip=10.0.10.1/24"
for g in gA gB; do check "guest $g boots on Switchyard" guest_wait_ready $g 180; done
note "boot seconds: gA $(guest_boot_seconds gA), gB $(guest_boot_seconds gB) ($(guest_accel))"

ports_json() { yardctl ports --json; }
port_field() {  # PORT PYTHON-EXPR over p (the port object); prints it, succeeds when it is truthy
    ports_json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; v=($2); print(v); sys.exit(0 if v else 1)"
}
port_number() {  # PORT PYTHON-EXPR: prints a number (0 when the port or the value is missing)
    ports_json 2>/dev/null | python3 -c "import json,sys
try: p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; print(int($2))
except Exception: print(0)"
}
port_counter() { port_number "$1" "p['counters']['$2']"; }
port_drop() { port_number "$1" "p['counters']['drops'].get('$2', 0)"; }
wait_state() {  # PORT STATE SECONDS
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        port_field "$1" "p['state']=='$2'" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "state of $1 after $3 s: $(port_field "$1" "p['state']" 2>&1)"
    return 1
}
pings() { local g=$1 ip=$2; guest_run "$g" "ping -c 3 -W 2 $ip || ping -c 3 -W 2 $ip" 30; }
wait_ping() {  # GUEST IP SECONDS
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do guest_run "$1" "ping -c 1 -W 1 $2" 10 >/dev/null && return 0; sleep 0.5; done
    echo "$1 got no answer from $2 within $3 s"; return 1
}
no_ping() { guest_ping_unanswered "$1" "-c 3 -W 1 $2"; }
fdb_has() {  # PORT VLAN MAC
    yardctl fdb show | awk -v p="$1" -v v="$2" -v m="$3" '$1==p && $2==v && tolower($3)==m {found=1} END {exit !found}' ||
        { yardctl fdb show; return 1; }
}
# "Not in the FDB" only counts when yardctl answered: a yardctl that failed shows nothing.
fdb_lacks() {  # PORT VLAN MAC
    local table
    table=$(yardctl fdb show) || { echo "yardctl fdb show failed (exit $?): the FDB was not read"; return 1; }
    printf '%s\n' "$table"
    ! printf '%s\n' "$table" | awk -v p="$1" -v v="$2" -v m="$3" '$1==p && $2==v && tolower($3)==m {found=1} END {exit !found}'
}
uplink_summary() {
    ports_json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='up0'][0]; c=p['counters']; print(f\"{p['state']}, rx {c['rxFrames']} frames, tx {c['txFrames']} frames, drops {c['drops'] or 'none'}\")"
}
# Sends raw frames out of the namespace end: SECONDS of back-to-back frames (COUNT 0) or COUNT frames.
# LENGTH is the frame length without FCS (60 = a 64-byte frame on the wire); VLAN 0 = untagged.
# Prints "sent ELAPSED_SECONDS".
ns_send() {  # DST SRC VLAN LENGTH COUNT SECONDS
    ip netns exec "$NS" python3 - "$NS_IF" "$@" <<'PY'
import socket, struct, sys, time
iface, dst, src, vlan, length, count, seconds = sys.argv[1:8]
mac = lambda t: bytes(int(x, 16) for x in t.split(":"))
head = mac(dst) + mac(src)
if int(vlan):
    head += struct.pack("!HH", 0x8100, int(vlan))
frame = head + b"\x88\xb5" + bytes(max(0, int(length) - len(head) - 2))  # IEEE local experimental type
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
s.setsockopt(263, 20, 1)  # PACKET_QDISC_BYPASS: the generator, not the qdisc, sets the pace
send, sent, errors, count, start = s.send, 0, {}, int(count), time.monotonic()
end = start + float(seconds)
while (count and sent < count) or (not count and time.monotonic() < end):
    for _ in range(min(1000, count - sent) if count else 1000):
        try:
            send(frame)
            sent += 1
        except OSError as e:  # counted and reported, never silently dropped
            errors[e.errno] = errors.get(e.errno, 0) + 1
            if sum(errors.values()) > 1000 * (sent + 1):
                break
    if count and sum(errors.values()) > 1000 * (sent + 1):
        break
print(sent, f"{time.monotonic() - start:.3f}")
if errors:
    import errno
    print("send errors:", ", ".join(f"{errno.errorcode.get(k, k)} x{v}" for k, v in errors.items()), file=sys.stderr)
sys.exit(0 if sent else 1)
PY
}

# --- state and basic reachability ---------------------------------------------------------------
check "yardctl ports shows the uplink up" wait_state up0 up 10
check "yardctl ports shows the uplink as type uplink on $HOST_IF" \
    port_field up0 "p['type']=='uplink' and p['endpoint'].startswith('$HOST_IF')"
check "gA (access 1 = native) pings the namespace host 10.0.1.254 untagged" pings gA 10.0.1.254
check "gB (access 10) pings 10.0.10.254, the namespace's VLAN 10 responder" pings gB 10.0.10.254
check "the VLAN 10 responder saw the echo requests tagged 10 and answered" \
    grep -q 'echo reply' "$SY_RUN_DIR/vlan-responder.log"
# Positive controls above: the same source (gA) with the same tool reaches 10.0.1.254, and gB
# reaches this very address 10.0.10.254. Now gA, given an address in 10.0.10.0/24, must send and
# get no reply.
untagged_isolated() {
    guest_run gA "ip addr add 10.0.10.5/24 dev eth0" 10 || { echo "could not add 10.0.10.5 to gA"; return 1; }
    no_ping gA 10.0.10.254
    local s=$?
    guest_run gA "ip addr del 10.0.10.5/24 dev eth0" 10
    return $s
}
check "gA cannot reach the VLAN 10 address untagged (access 1 traffic stays untagged)" untagged_isolated

# --- mirroring (docs/mirroring.md): mon0, the tap $MON_IF, gets a copy of what gA sends and receives
# tcpdump on the host reads the tap. gB pings first (VLAN 10, not selected), then gA: gA's requests
# and replies in the capture are the positive control that it was reading when gB's went by.
mirror_capture() {
    local pcap="$SY_RUN_DIR/mirror.pcap" log="$SY_RUN_DIR/mirror-tcpdump.log" deadline tpid seen=""
    rm -f "$pcap"
    timeout 90 tcpdump -i "$MON_IF" -n -U -w "$pcap" icmp 2>"$log" &
    tpid=$!
    deadline=$((SECONDS + 20))
    until grep -q "listening on" "$log" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "tcpdump did not start on $MON_IF: $(cat "$log")"; kill $tpid; return 1; }
        sleep 0.2
    done
    guest_run gB "ping -c 3 -i 0.3 -W 2 10.0.10.254" 30 >/dev/null || { echo "gB's pings failed"; kill $tpid; return 1; }
    guest_run gA "ping -c 3 -i 0.3 -W 2 10.0.1.254" 30 >/dev/null || { echo "gA's pings failed"; kill $tpid; return 1; }
    deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ]; do
        seen=$(tcpdump -r "$pcap" -n -e 2>/dev/null)
        [ "$(grep -c '10.0.1.1 > 10.0.1.254: ICMP echo request' <<<"$seen")" -ge 3 ] &&
            [ "$(grep -c '10.0.1.254 > 10.0.1.1: ICMP echo reply' <<<"$seen")" -ge 3 ] && break
        sleep 0.3
    done
    kill $tpid 2>/dev/null; wait $tpid 2>/dev/null
    seen=$(tcpdump -r "$pcap" -n -e 2>/dev/null)
    echo "$seen" >"$SY_RUN_DIR/mirror.txt"
    local requests replies others
    requests=$(grep -c '10.0.1.1 > 10.0.1.254: ICMP echo request' <<<"$seen")
    replies=$(grep -c '10.0.1.254 > 10.0.1.1: ICMP echo reply' <<<"$seen")
    others=$(grep -c '10.0.10' <<<"$seen")
    echo "capture: $requests requests and $replies replies of gA, $others frames of VLAN 10 (gB)"
    # Exactly one copy of each (a frame from gA and one to gA are each selected once).
    [ "$requests" -eq 3 ] && [ "$replies" -eq 3 ] && [ "$others" -eq 0 ] || { echo "$seen"; return 1; }
    # Untagged: VLAN 1 is the tap's own access VLAN.
    ! grep -q 'vlan' <<<"$seen" || { echo "a copy in VLAN 1 came tagged: $seen"; return 1; }
}
check "tcpdump on the mirror tap sees each of gA's echo requests and replies once and none of gB's (VLAN 10)" mirror_capture
mirror_counts() {
    local out
    out=$(yardctl mirrors) || { echo "yardctl mirrors failed: $out"; return 1; }
    echo "$out"
    awk '$1=="gA-span" && $2=="mon0" && $3=="active" && $4 >= 6 {ok=1} END {exit !ok}' <<<"$out"
}
check "yardctl mirrors shows gA-span active with the copies counted" mirror_counts
mon_learns_nothing() {  # the table was read and holds gA (control), and nothing on mon0
    local table
    table=$(yardctl fdb show) || { echo "yardctl fdb show failed"; return 1; }
    awk '$1=="gA" {a=1} $1=="mon0" {m=1} END {exit !(a && !m)}' <<<"$table" || { echo "$table"; return 1; }
}
check "nothing is learned on the mirror tap (the FDB holds gA, nothing on mon0)" mon_learns_nothing
note "frames the host sent into the mirror tap, dropped as mirror-output: $(port_drop mon0 mirror-output 2>/dev/null)"
rtt=$(guest_run gA "ping -c 10 -i 0.2 10.0.1.254" 30 | sed -n 's/.*min\/avg\/max = \([0-9.\/]*\).*/\1/p')
note "ping gA -> namespace RTT min/avg/max ms: ${rtt:-?}"

check "yardctl fdb show lists the namespace host's MAC on up0 in VLAN 1" fdb_has up0 1 $NSMAC
check "yardctl fdb show lists the VLAN 10 responder's MAC on up0 in VLAN 10" fdb_has up0 10 $RESPMAC
check "yardctl fdb show lists gA on gA in VLAN 1 and gB on gB in VLAN 10" \
    eval "fdb_has gA 1 $MACA && fdb_has gB 10 $MACB"

before=$(port_drop up0 vlan-not-allowed)
gen=$(ns_send ff:ff:ff:ff:ff:ff "$BLASTMAC" 20 60 20 0 2>&1); gen_status=$?
sleep 0.5
after=$(port_drop up0 vlan-not-allowed)
vlan20_dropped() {
    echo "generator: '$gen' (exit $gen_status); vlan-not-allowed on up0: $before -> $after"
    [ "$gen_status" = 0 ] && [ "${gen%% *}" = 20 ] || { echo "the generator did not send its 20 frames"; return 1; }
    [ $((after - before)) -ge 20 ]
}
check "20 frames tagged with VLAN 20 (not allowed on the trunk) are dropped as vlan-not-allowed" vlan20_dropped
check "a MAC seen only in a VLAN the trunk does not allow is not learned" fdb_lacks up0 20 $BLASTMAC
# Positive control for the check above: the same sender, same MAC, in the native VLAN is learned.
ns_send ff:ff:ff:ff:ff:ff "$BLASTMAC" 0 60 5 0 >/dev/null
sleep 0.3
check "the same MAC sending untagged (native VLAN 1) is learned on up0" fdb_has up0 1 $BLASTMAC

# --- throughput -----------------------------------------------------------------------------------
check "guest gA has TCP segmentation offload on" \
    eval "guest_run gA 'ethtool -k eth0 | grep tcp-segmentation-offload' | grep -q ': on'"
tx0=$(port_counter up0 txFrames) txb0=$(port_counter up0 txBytes)
iperf_out=$(guest_run gA "iperf3 -c 10.0.1.254 -t 5 -f g" 60)
gbps=$(printf '%s\n' "$iperf_out" | awk '/sender/ {print $(NF-3)}' | tail -1)
tx1=$(port_counter up0 txFrames) txb1=$(port_counter up0 txBytes)
check "iperf3 TCP gA -> namespace host completes" test -n "$gbps"
avg=$(( (txb1 - txb0) / ( (tx1 - tx0) > 0 ? (tx1 - tx0) : 1 ) ))
note "iperf3 TCP gA -> namespace (guest TSO on, $(guest_accel) guest): ${gbps:-?} Gbit/s; the uplink sent $((tx1 - tx0)) frames, $avg bytes on average (> 1514: GSO frames passed to the kernel whole)"
iperf_rev=$(guest_run gA "iperf3 -c 10.0.1.254 -t 3 -R -f g" 60 | awk '/receiver/ {print $(NF-2)}' | tail -1)
check "iperf3 TCP namespace host -> gA (-R) completes" test -n "$iperf_rev"
note "iperf3 TCP namespace -> gA: ${iperf_rev:-?} Gbit/s"

# --- link state -----------------------------------------------------------------------------------
link_cycle() {  # DESCRIPTION DOWN-COMMAND UP-COMMAND
    local what=$1 down=$2 up=$3 t0
    t0=$(date +%s.%N)
    $down
    check "$what down: the uplink state becomes link-down" wait_state up0 link-down 5 &&
        note "$what down: link-down shown after $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}') s"
    check "$what down: gA's pings to the namespace host fail" no_ping gA 10.0.1.254
    t0=$(date +%s.%N)
    $up
    check "$what up: the uplink state is up again" wait_state up0 up 10 &&
        note "$what up: up shown after $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}') s"
    check "$what up: gA reaches the namespace host again" wait_ping gA 10.0.1.254 20
    check "$what up: gB reaches the VLAN 10 responder again" wait_ping gB 10.0.10.254 20
}
link_cycle "ip link set $HOST_IF (the uplink's own interface)" "ip link set $HOST_IF down" "ip link set $HOST_IF up"
link_cycle "carrier loss (the namespace end $NS_IF)" "ip -n $NS link set $NS_IF down" "ip -n $NS link set $NS_IF up"
check "the namespace host's MAC is learned on up0 again after the link came back" fdb_has up0 1 $NSMAC

# --- MTU ------------------------------------------------------------------------------------------
oversize_ping() {  # SIZE: a ping of SIZE data bytes from gA must fail and grow up0's mtu-exceeded count
    local before after
    before=$(port_drop up0 mtu-exceeded)
    guest_ping_unanswered gA "-c 2 -W 2 -s $1 10.0.1.254" || return 1
    after=$(port_drop up0 mtu-exceeded)
    echo "mtu-exceeded on up0: $before -> $after"
    [ "$after" -gt "$before" ] || { ports_json; return 1; }
}
ip link set "$HOST_IF" mtu 1500 && ip -n "$NS" link set "$NS_IF" mtu 1500
check "gA raises its eth0 MTU to 4000 (its switch port allows 9000)" guest_run gA "ip link set eth0 mtu 4000"
check "a 3042-byte frame from gA to the 1500-byte uplink is not delivered and counted as mtu-exceeded" \
    oversize_ping 3000
check "with gA at MTU 4000, normal-size pings to the namespace host still work" pings gA 10.0.1.254
ip link set "$HOST_IF" mtu 1000 && ip -n "$NS" link set "$NS_IF" mtu 1000
sleep 1
check "after the interface MTU drops to 1000, a 1242-byte frame is counted as mtu-exceeded" oversize_ping 1200
check "after the interface MTU drops to 1000, normal-size pings still work" pings gA 10.0.1.254
note "yardctl ports shows up0 with mtu $(port_field up0 "p['mtu']" 2>/dev/null) while $HOST_IF has MTU $(cat /sys/class/net/$HOST_IF/mtu)"
ip link set "$HOST_IF" mtu 1500 && ip -n "$NS" link set "$NS_IF" mtu 1500
check "gA returns to MTU 1500 and reaches the namespace host" \
    eval "guest_run gA 'ip link set eth0 mtu 1500' && pings gA 10.0.1.254"
note "up0 after the MTU checks: $(uplink_summary)"

# --- 64-byte frame rates through the uplink -----------------------------------------------------
note "load average before the rate runs (2 cores, shared): $(cut -d' ' -f1-3 /proc/loadavg)"
# Into the uplink: the generator (python, raw AF_PACKET with PACKET_QDISC_BYPASS, one frame per
# send) runs in the namespace; up0's rxFrames delta over the generator's run time is the rate the
# uplink took in. Frames go to gA's MAC, so they are also forwarded (most are dropped at gA's full
# RX ring: a TCG guest drains it slowly).
up0_drops() { port_number up0 "sum(p['counters']['drops'].values())"; }
rx0=$(port_counter up0 rxFrames) gen0=$(ip netns exec "$NS" cat "/sys/class/net/$NS_IF/statistics/tx_packets")
rxdrop0=$(up0_drops)
gen=$(ns_send $MACA "$BLASTMAC" 0 60 0 3 2>"$SY_RUN_DIR/flood-gen.err"); gen_status=$?
read -r sent elapsed <<<"$gen"
# The veth count is read first, then up0's after a pause: a frame the namespace sends on its own
# (an ARP refresh) between the two reads then only adds to up0's side, and every frame the veth
# counted has left the packet socket's ring by the time up0 is read (CI once saw 1 short of
# 1307002 with the reads the other way round).
gen1=$(ip netns exec "$NS" cat "/sys/class/net/$NS_IF/statistics/tx_packets")
sleep 1
rx1=$(port_counter up0 rxFrames)
rxdrop1=$(up0_drops)
received=$((rx1 - rx0)) carried=$((gen1 - gen0))
# Both flood checks need a flood: a generator that sent nothing would make them "0 >= 0".
flood_sent() {
    echo "generator exit $gen_status, sent ${sent:-0}, veth carried $carried; $(cat "$SY_RUN_DIR/flood-gen.err" 2>/dev/null)"
    [ "$gen_status" = 0 ] && [ "${sent:-0}" -ge 10000 ] && [ "$carried" -ge 10000 ] ||
        { echo "no flood to measure (need >= 10000 frames sent and carried)"; return 1; }
}
uplink_takes_in_half() { flood_sent && [ $((received * 2)) -ge "$carried" ]; }
check "the uplink takes in at least half of a 3 s flood of 64-byte frames (>= 10000 sent)" uplink_takes_in_half
# The veth counts a frame once the receive path has it; past that only the packet socket's ring
# can lose it (PACKET_STATISTICS), and a lost frame must show up in up0's drops.
flood_accounted() {
    flood_sent || return 1
    echo "veth carried $carried, up0 received $received, up0 drops +$((rxdrop1 - rxdrop0)) (now $(port_field up0 "p['counters']['drops']" 2>/dev/null))"
    [ $((received + rxdrop1 - rxdrop0)) -ge "$carried" ]
}
check "every flood frame the veth carried to up0 was received or counted as dropped by up0" flood_accounted
fps=$(awk -v n="$received" -v t="${elapsed:-0}" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "?" }')
gfps=$(awk -v n="${sent:-0}" -v t="${elapsed:-0}" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "?" }')
[ -s "$SY_RUN_DIR/flood-gen.err" ] && note "flood generator: $(cat "$SY_RUN_DIR/flood-gen.err")"
note "uplink RX with 64-byte frames: $fps frames/s (up0 rxFrames delta $received over ${elapsed:-?} s; the generator sent $gfps frames/s, veth carried $((gen1 - gen0)); the generator is the limit when the two agree)"
note "gA port after the flood: txFrames $(port_counter gA txFrames), drops $(port_field gA "p['counters']['drops']" 2>/dev/null)"
check "gA still reaches the namespace host after the flood" wait_ping gA 10.0.1.254 20

# Out of the uplink: DPDK testpmd (virtio-user on port tp, txonly, 60-byte frames + FCS = 64) sends to
# the namespace host's MAC, learned on up0; up0's txFrames delta over the run is the rate it sent.
veth_stat() { cat "/sys/class/net/$HOST_IF/statistics/$1"; }
ns_stat() { ip netns exec "$NS" cat "/sys/class/net/$NS_IF/statistics/$1"; }
testpmd_hugepages_ensure 256
testpmd_virtio_user_args sy-up-$$ "$SY_RUN_DIR/tp.sock" $TPMAC
testpmd_start tp "${SY_TP_ARGS[@]}" -l 0-1 -- --nb-cores=1 --rxq=1 --txq=1
check "testpmd starts with a virtio-user port on Switchyard" testpmd_wait_ready tp 90
testpmd_cmd tp "set fwd txonly" >/dev/null
testpmd_cmd tp "set txpkts 60" >/dev/null
testpmd_cmd tp "set eth-peer 0 $NSMAC" >/dev/null
tx0=$(port_counter up0 txFrames) drop0=$(up0_drops)
vtx0=$(veth_stat tx_packets) vdrop0=$(veth_stat tx_dropped) nrx0=$(ns_stat rx_packets)
t0=$(date +%s.%N)
testpmd_cmd tp "start" >/dev/null
sleep 3
testpmd_cmd tp "stop" >/dev/null
t1=$(date +%s.%N)
sleep 0.5
tx1=$(port_counter up0 txFrames) drop1=$(up0_drops)
vtx1=$(veth_stat tx_packets) vdrop1=$(veth_stat tx_dropped) nrx1=$(ns_stat rx_packets)
offered=$(testpmd_port_stat tp 0 TX-packets)
sent=$((tx1 - tx0))
fps=$(awk -v n="$sent" -v a="$t1" -v b="$t0" 'BEGIN { printf "%.0f", n / (a - b) }')
check "the uplink sends 64-byte frames from testpmd to the namespace host" test "$sent" -gt 1000
tx_accounted() {
    echo "up0 $sent, veth tx $((vtx1 - vtx0)) dropped $((vdrop1 - vdrop0))"
    [ "$sent" -gt 1000 ] || { echo "too few frames sent to compare"; return 1; }
    [ $(( (vtx1 - vtx0 + vdrop1 - vdrop0) * 100 )) -ge $((sent * 99)) ]
}
check "frames up0 counts as sent (> 1000) left through $HOST_IF (tx_packets + tx_dropped within 1%)" tx_accounted
note "uplink TX with 64-byte frames: $fps frames/s (up0 txFrames delta $sent over $(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.2f", a-b}') s; testpmd offered ${offered:-?}, up0 drops +$((drop1 - drop0)), $HOST_IF tx $((vtx1 - vtx0)) dropped $((vdrop1 - vdrop0)), namespace received $((nrx1 - nrx0)))"
note "up0 drops after the TX run: $(port_field up0 "p['counters']['drops']" 2>/dev/null)"
testpmd_stop tp

# The interface goes away and comes back (the VLAN 10 responder and iperf3 server go with it).
ip link del "$HOST_IF"
check "after $HOST_IF is deleted, the uplink state is no-such-interface" wait_state up0 no-such-interface 5
check "after $HOST_IF is deleted, gA's pings to the namespace host fail" no_ping gA 10.0.1.254
setup "the veth pair again with the same names" eval "netns_add_veth $NS $HOST_IF $NS_IF && ns_host_address"
check "after $HOST_IF is back, the uplink state is up again" wait_state up0 up 10
check "after $HOST_IF is back, gA reaches the namespace host again" wait_ping gA 10.0.1.254 20

check "switchyard is still running after all of the above" sy_pid_alive "$(switchyard_pid)"
note "up0 at the end: $(uplink_summary)"
switchyard_stop
check_summary
