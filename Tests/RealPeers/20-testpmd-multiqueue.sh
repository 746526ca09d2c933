#!/usr/bin/env bash
# DPDK testpmd as the only peer: three virtio-user ports, two queue pairs each, through a Switchyard
# whose ports have `queues: 2`. Ports 0 and 1 circulate frames (io forwarding, tx_first); every RX
# queue of both must carry traffic. Port 2 is connected but not forwarded (testpmd's portlist 0,1):
# it is the witness that tells learned unicast from flooding, which two ports alone cannot (a flood
# from p0 reaches exactly p1). Positive control: while the MACs are still unknown, p2 must receive
# the flooded frames; after learning, p2 must receive (almost) none of the millions p0 and p1 move.
#
# Packed virtqueues (docs/packed-rings.md), afterwards and on their own VLANs: a second testpmd with a
# packed_vq=1 port (p3) and a split one (p4) circulating frames both ways through the switch, then in
# icmpecho mode on a split port (p6) answering a QEMU guest whose virtio-net-pci has packed=on (g5,
# booted once at the start, in parallel with the multiqueue part).
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/testpmd.sh
. Tests/RealPeers/lib/switchyard.sh
. Tests/RealPeers/lib/qemu.sh
sy_init

MAC0=02:00:00:00:01:00 MAC1=02:00:00:00:01:01 MAC2=02:00:00:00:01:02
MAC3=02:00:00:00:01:03 MAC4=02:00:00:00:01:04 MAC5=52:54:00:00:01:05 MAC6=02:00:00:00:01:06
cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
ports:
  - { name: p0, type: vhost-user, socket: p0.sock, queues: 2, vlan: { access: 1 } }
  - { name: p1, type: vhost-user, socket: p1.sock, queues: 2, vlan: { access: 1 } }
  - { name: p2, type: vhost-user, socket: p2.sock, queues: 2, vlan: { access: 1 } }
  - { name: p3, type: vhost-user, socket: p3.sock, vlan: { access: 2 } }
  - { name: p4, type: vhost-user, socket: p4.sock, vlan: { access: 2 } }
  - { name: g5, type: vhost-user, socket: g5.sock, vlan: { access: 3 } }
  - { name: p6, type: vhost-user, socket: p6.sock, vlan: { access: 3 } }
YAML
check "switchyard starts with two-queue ports" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
# Booted now, checked at the end: a TCG boot takes a while.
guest_boot g5 "$MAC5" "$SY_RUN_DIR/g5.sock" client "sy.ip=10.0.3.1/24" "packed=on"
testpmd_hugepages_ensure 256
testpmd_start mq --in-memory --single-file-segments -m 256 --file-prefix=sy-mq --no-pci -l 0-1 \
    --vdev "net_virtio_user0,path=$SY_RUN_DIR/p0.sock,queues=2,queue_size=1024,mac=$MAC0" \
    --vdev "net_virtio_user1,path=$SY_RUN_DIR/p1.sock,queues=2,queue_size=1024,mac=$MAC1" \
    --vdev "net_virtio_user2,path=$SY_RUN_DIR/p2.sock,queues=2,queue_size=1024,mac=$MAC2" \
    -- --nb-cores=1 --rxq=2 --txq=2 --forward-mode=io --eth-peer=0,$MAC1 --eth-peer=1,$MAC0
check "testpmd connects three ports with two queue pairs each" testpmd_wait_ready mq 90
testpmd_cmd mq "set portlist 0,1" >/dev/null

queues_enabled() {
    for _ in $(seq 50); do
        yardctl ports --json | python3 -c "import json,sys; ps=json.load(sys.stdin)['ports']; ps=[p for p in ps if p['name'] in ('p0','p1','p2')]; sys.exit(0 if len(ps)==3 and all(p['enabledQueues']==2 for p in ps) else 1)" && return 0
        sleep 0.2
    done
    yardctl ports; return 1
}
check "yardctl ports shows both queue pairs enabled on all three ports" queues_enabled

# Frames p2 was handed (delivered into its RX rings, or dropped there once they are full: testpmd
# does not poll it), and the frames p0 and p1 took in. Prints "P2 RECEIVED"; fails if yardctl did.
counters() {
    yardctl ports --json | python3 -c "
import json, sys
ps = {p['name']: p['counters'] for p in json.load(sys.stdin)['ports']}
print(ps['p2']['txFrames'] + sum(ps['p2']['drops'].values()), ps['p0']['rxFrames'] + ps['p1']['rxFrames'])"
}

# Learning phase: one burst per port with nobody learned yet floods; p2 must see it.
c0=$(counters) || c0=""
testpmd_cmd mq "start tx_first 1" >/dev/null
sleep 1
testpmd_cmd mq "stop" >/dev/null
c1=$(counters) || c1=""
read -r p2a rxa <<<"${c0:-0 0}"; read -r p2b rxb <<<"${c1:-0 0}"
flood_reaches_p2() {
    echo "p2 handed $p2a -> $p2b, p0+p1 received $rxa -> $rxb"
    [ -n "$c0" ] && [ -n "$c1" ] || { echo "yardctl ports --json failed"; return 1; }
    [ $((p2b - p2a)) -gt 0 ]
}
check "positive control: before the MACs are learned, flooded frames reach the third port p2" flood_reaches_p2

testpmd_cmd mq "clear port stats all" >/dev/null
testpmd_cmd mq "start tx_first 32" >/dev/null
sleep 3
stats=$(testpmd_cmd mq "stop" 30)
c2=$(counters) || c2=""
streams=$(printf '%s\n' "$stats" | awk '/Forward Stats for RX Port=/ {stream=$0} /RX-packets:/ && stream != "" {print stream " " $2; stream=""}')
note "per-stream RX: $(printf '%s' "$streams" | sed -E 's/-+ Forward Stats for //g; s/ -+//g' | tr '\n' ';')"
all_streams_busy() {
    local n=0
    while read -r line; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        [ "${line##* }" -gt 0 ] || { echo "idle stream: $line"; return 1; }
    done <<<"$streams"
    [ "$n" -ge 4 ] || { echo "expected 4 RX streams, saw $n:"; printf '%s\n' "$stats"; return 1; }
}
check "all four generator RX queues (2 ports x 2 queues) carry traffic" all_streams_busy
learned() {
    yardctl fdb show | grep -q "$MAC0" && yardctl fdb show | grep -q "$MAC1"
}
check "both generator MACs are learned" learned
read -r p2c rxc <<<"${c2:-0 0}"
unicast_only() {
    [ -n "$c2" ] || { echo "yardctl ports --json failed"; return 1; }
    local rx=$((rxc - rxb)) p2=$((p2c - p2b))
    echo "during the run: p0+p1 received $rx; p2 was handed $p2"
    [ "$rx" -ge 100000 ] || { echo "too little traffic to judge ($rx frames)"; return 1; }
    # Once both MACs are known nothing is flooded; 0.1 % leaves room for nothing but races.
    [ $((p2 * 1000)) -le "$rx" ]
}
check "the run is learned unicast: >= 100000 frames switched, the third port p2 got < 0.1 % of them" unicast_only
drops=$(yardctl stats | grep '^drop' | tr '\n' ' ')
note "switch drops during the run: ${drops:-none}"
testpmd_stop mq

# --- Packed virtqueues: testpmd packed_vq=1 <-> split, and a packed=on QEMU guest <-> split ---
port_field() {  # PORT PYTHON-EXPR over p (the port object)
    yardctl ports --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; v=($2); print(v); sys.exit(0 if v else 1)"
}
testpmd_start pk --in-memory --single-file-segments -m 256 --file-prefix=sy-pk --no-pci -l 0-1 \
    --vdev "net_virtio_user0,path=$SY_RUN_DIR/p3.sock,queue_size=1024,mac=$MAC3,packed_vq=1" \
    --vdev "net_virtio_user1,path=$SY_RUN_DIR/p4.sock,queue_size=1024,mac=$MAC4" \
    --vdev "net_virtio_user2,path=$SY_RUN_DIR/p6.sock,queue_size=1024,mac=$MAC6" \
    -- --nb-cores=1 --forward-mode=io --eth-peer=0,$MAC4 --eth-peer=1,$MAC3
check "testpmd connects a packed_vq=1 port and two split ports" testpmd_wait_ready pk 90
packed_negotiated() {
    port_field p3 "'ring_packed' in p['features'] and p['state']=='running'" &&
        port_field p4 "'ring_packed' not in p['features'] and p['state']=='running'"
}
check "p3 (packed_vq=1) negotiated ring_packed; p4 (split, positive control) did not" packed_negotiated
# io forwarding between ports 0 and 1: port 0's frames (to MAC4) go p3 -> p4 and, forwarded
# unchanged, out of p3 again; port 1's go p4 -> p3. So each direction is one packed and one split ring.
testpmd_cmd pk "set portlist 0,1" >/dev/null
yc0=$(yardctl ports --json) || yc0=""
testpmd_cmd pk "clear port stats all" >/dev/null
testpmd_cmd pk "start tx_first 32" >/dev/null
sleep 3
testpmd_cmd pk "stop" 30 >/dev/null
yc1=$(yardctl ports --json) || yc1=""
# Port statistics since "clear port stats all" (per-stream lines appear only with more streams than ports).
pk_rx0=$(testpmd_port_stat pk 0 RX-packets) pk_rx1=$(testpmd_port_stat pk 1 RX-packets)
note "packed<->split run: testpmd RX port 0 (p3, packed) ${pk_rx0:-?}, port 1 (p4, split) ${pk_rx1:-?}"
packed_both_ways() {
    [ -n "$yc0" ] && [ -n "$yc1" ] || { echo "yardctl ports --json failed"; return 1; }
    python3 - "$yc0" "$yc1" <<'PY'
import json, sys
a = {p['name']: p['counters'] for p in json.loads(sys.argv[1])['ports']}
b = {p['name']: p['counters'] for p in json.loads(sys.argv[2])['ports']}
d = {n: {k: b[n][k] - a[n][k] for k in ('rxFrames', 'txFrames')} for n in ('p3', 'p4')}
print("switch counters during the run:", d)
# p3 sends (packed TX ring) what p4 receives (split RX ring), and the other way round.
ok = all(d[n][k] >= 10000 for n in d for k in d[n])
sys.exit(0 if ok else 1)
PY
}
check "packed p3 and split p4 switch >= 10000 frames each way (switch rx/tx counters of both ports)" packed_both_ways
testpmd_rx_both() {
    echo "testpmd RX: port 0 ${pk_rx0:-none}, port 1 ${pk_rx1:-none}"
    [ "${pk_rx0:-0}" -ge 10000 ] && [ "${pk_rx1:-0}" -ge 10000 ]
}
check "testpmd received >= 10000 frames on the packed port and on the split port" testpmd_rx_both

# The packed=on guest pings the split icmpecho port (its own VLAN 3).
testpmd_cmd pk "set fwd icmpecho" >/dev/null
testpmd_cmd pk "set portlist 2" >/dev/null
testpmd_cmd pk "start" >/dev/null
check "the packed=on guest g5 boots" guest_wait_ready g5 300
guest_packed_bit() {  # the virtio device's negotiated features, one character per bit
    local f; f=$(guest_run g5 "cat /sys/class/net/eth0/device/features" 20) || return 1
    echo "g5 features: $f"
    [ "${f:34:1}" = 1 ]
}
check "inside g5, the virtio device negotiated VIRTIO_F_RING_PACKED (features bit 34)" guest_packed_bit
guest_packed_port() {
    port_field g5 "'ring_packed' in p['features']" && port_field p6 "'ring_packed' not in p['features']"
}
check "yardctl: g5's port is packed, the split peer p6's is not (positive control)" guest_packed_port
gping() {
    local deadline=$((SECONDS + 60))
    until guest_run g5 "ping -c 3 -W 2 10.0.3.2" 30; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 2
    done
}
check "the packed=on guest g5 pings the split icmpecho port p6" gping
testpmd_cmd pk "stop" >/dev/null
testpmd_stop pk
guest_stop g5
switchyard_stop
check_summary
