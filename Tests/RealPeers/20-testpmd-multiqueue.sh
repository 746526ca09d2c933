#!/usr/bin/env bash
# DPDK testpmd as the only peer: three virtio-user ports, two queue pairs each, through a Switchyard
# whose ports have `queues: 2`. Ports 0 and 1 circulate frames (io forwarding, tx_first); every RX
# queue of both must carry traffic. Port 2 is connected but not forwarded (testpmd's portlist 0,1):
# it is the witness that tells learned unicast from flooding, which two ports alone cannot (a flood
# from p0 reaches exactly p1). Positive control: while the MACs are still unknown, p2 must receive
# the flooded frames; after learning, p2 must receive (almost) none of the millions p0 and p1 move.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/testpmd.sh
. Tests/RealPeers/lib/switchyard.sh
sy_init

MAC0=02:00:00:00:01:00 MAC1=02:00:00:00:01:01 MAC2=02:00:00:00:01:02
cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
ports:
  - { name: p0, type: vhost-user, socket: p0.sock, queues: 2, vlan: { access: 1 } }
  - { name: p1, type: vhost-user, socket: p1.sock, queues: 2, vlan: { access: 1 } }
  - { name: p2, type: vhost-user, socket: p2.sock, queues: 2, vlan: { access: 1 } }
YAML
check "switchyard starts with two-queue ports" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
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
        yardctl ports --json | python3 -c "import json,sys; ps=json.load(sys.stdin)['ports']; sys.exit(0 if len(ps)==3 and all(p['enabledQueues']==2 for p in ps) else 1)" && return 0
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
switchyard_stop
check_summary
