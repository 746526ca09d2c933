#!/usr/bin/env bash
# DPDK testpmd as the only peer: two virtio-user ports, two queue pairs each, through a Switchyard
# whose ports have `queues: 2`. Frames circulate (io forwarding, tx_first); every RX queue of
# both generator ports must carry traffic, and the frames must be switched as learned unicast.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/testpmd.sh
. Tests/RealPeers/lib/switchyard.sh
sy_init

MAC0=02:00:00:00:01:00 MAC1=02:00:00:00:01:01
cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
ports:
  - { name: p0, type: vhost-user, socket: p0.sock, queues: 2, vlan: { access: 1 } }
  - { name: p1, type: vhost-user, socket: p1.sock, queues: 2, vlan: { access: 1 } }
YAML
check "switchyard starts with two-queue ports" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
testpmd_hugepages_ensure 256
testpmd_start mq --in-memory --single-file-segments -m 256 --file-prefix=sy-mq --no-pci -l 0-1 \
    --vdev "net_virtio_user0,path=$SY_RUN_DIR/p0.sock,queues=2,queue_size=1024,mac=$MAC0" \
    --vdev "net_virtio_user1,path=$SY_RUN_DIR/p1.sock,queues=2,queue_size=1024,mac=$MAC1" \
    -- --nb-cores=1 --rxq=2 --txq=2 --forward-mode=io --eth-peer=0,$MAC1 --eth-peer=1,$MAC0
check "testpmd connects two ports with two queue pairs each" testpmd_wait_ready mq 90

queues_enabled() {
    for _ in $(seq 50); do
        yardctl ports --json | python3 -c "import json,sys; ps=json.load(sys.stdin); sys.exit(0 if all(p['enabledQueues']==2 for p in ps) else 1)" && return 0
        sleep 0.2
    done
    yardctl ports; return 1
}
check "yardctl ports shows both queue pairs enabled on both ports" queues_enabled

testpmd_cmd mq "start tx_first 32" >/dev/null
sleep 3
stats=$(testpmd_cmd mq "stop" 30)
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
check "both generator MACs are learned (traffic is switched as known unicast)" learned
drops=$(yardctl stats | grep '^drop' | tr '\n' ' ')
note "switch drops during the run: ${drops:-none}"
testpmd_stop mq
switchyard_stop
check_summary
