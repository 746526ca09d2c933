#!/usr/bin/env bash
# The native vxlan port against a plain Linux kernel VTEP (docs/vxlan-ports.md), both directions.
#   underlay  veth vxu<pid>h (root, 10.255.0.1/24) <-> eth0 in namespace vx-ns-<pid> (10.255.0.2/24)
#   kernel    in the namespace: `vxlan` device vx100 (id 100, dstport 4789, local 10.255.0.2,
#             remote 10.255.0.1), 10.0.10.254/24 on it, MAC 02:5a:00:0a:00:fe
#   switch    in the root namespace: vx100, a native vxlan port (VNI 100, local 10.255.0.1, static
#             flood list [10.255.0.2], access VLAN 10); gB, a QEMU guest on VLAN 10, 10.0.10.1/24
# Checks: the guest pings the kernel VTEP's address and the namespace pings the guest; `yardctl fdb
# show` lists the kernel device's inner MAC on vx100 with VTEP 10.255.0.2 (text and JSON); the
# underlay MTU (largest ping that fits passes, one byte more is dropped mtu-exceeded, never
# fragmented); iperf3 both ways (the guest's TSO frames segmented by the switch); bad datagrams from the namespace (wrong VNI, wrong flags, truncated) are counted
# under their reasons while the tunnel keeps working. Namespace, veth, guest and daemon go at exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh
. Tests/RealPeers/lib/netns.sh
sy_init
netns_trap_cleanup

NS=vx-ns-$$ HOST_IF=vxu$$h NS_IF=eth0
MACB=52:54:00:0a:00:b1 KMAC=02:5a:00:0a:00:fe

# The namespace's veth end computes checksums itself (tx off): with offload on, the kernel VTEP
# hands the veth its inner TCP checksum still partial (CHECKSUM_PARTIAL crosses a veth untouched)
# and the switch's UDP socket would read it unfinished. A NIC finishes it on the wire; a veth never
# does (docs/vxlan-ports.md, "A VTEP behind a veth").
kernel_vtep() {
    ip netns exec "$NS" ethtool -K "$NS_IF" tx off >/dev/null &&
    ip -n "$NS" addr add 10.255.0.2/24 dev "$NS_IF" &&
    ip addr add 10.255.0.1/24 dev "$HOST_IF" &&
    ip -n "$NS" link add vx100 type vxlan id 100 dstport 4789 local 10.255.0.2 remote 10.255.0.1 dev "$NS_IF" &&
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.vx100.disable_ipv6=1 &&
    ip -n "$NS" link set vx100 address "$KMAC" &&
    ip -n "$NS" addr add 10.0.10.254/24 dev vx100 &&
    ip -n "$NS" link set vx100 up
}
setup "namespace $NS with veth $HOST_IF <-> $NS_IF" netns_create "$NS" "$HOST_IF" "$NS_IF"
setup "a kernel vxlan device (VNI 100, dstport 4789) in $NS towards 10.255.0.1" kernel_vtep

cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
  log: { level: info }
ports:
  - { name: gB, type: vhost-user, socket: gB.sock, vlan: { access: 10 } }
  - name: vx100
    type: vxlan
    vni: 100
    local: 10.255.0.1
    remotes: [10.255.0.2]
    vlan: { access: 10 }
YAML

check "switchyard starts with a vxlan port on 10.255.0.1:4789 and a vhost-user port" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
guest_boot gB $MACB "$SY_RUN_DIR/gB.sock" client "sy.ip=10.0.10.1/24"
check "guest gB boots on Switchyard" guest_wait_ready gB 240
note "boot seconds: gB $(guest_boot_seconds gB) ($(guest_accel))"

port_number() {  # PORT PYTHON-EXPR: prints a number (0 when the port or the value is missing)
    yardctl ports --json 2>/dev/null | python3 -c "import json,sys
try: p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; print(int($2))
except Exception: print(0)"
}
port_drop() { port_number "$1" "p['counters']['drops'].get('$2', 0)"; }
wait_ping() {  # GUEST IP SECONDS
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do guest_run "$1" "ping -c 1 -W 1 $2" 10 >/dev/null && return 0; sleep 0.5; done
    echo "$1 got no answer from $2 within $3 s"; return 1
}
vtep_row() {  # MAC: the fdb show row of MAC on vx100, VLAN 10, ending in the VTEP 10.255.0.2
    local table
    table=$(yardctl fdb show) || { echo "yardctl fdb show failed"; return 1; }
    printf '%s\n' "$table"
    printf '%s\n' "$table" | awk -v m="$1" '$1=="vx100" && $2==10 && tolower($3)==m && $NF=="10.255.0.2" {f=1} END {exit !f}'
}
vtep_json() {
    yardctl fdb show --json | python3 -c "import json,sys
e=[x for x in json.load(sys.stdin)['fdb']['entries'] if x['port']=='vx100' and x['mac'].lower()=='$KMAC']
print(e); sys.exit(0 if e and e[0].get('vtep')=='10.255.0.2' else 1)"
}
vx_listed() {
    local row; row=$(yardctl ports | awk '$1=="vx100"'); echo "$row"
    [[ $row == *" vxlan "* && $row == *" up "* ]]
}
kernel_learned() {
    local fdb; fdb=$(ip netns exec "$NS" bridge fdb show dev vx100); echo "$fdb"
    printf '%s\n' "$fdb" | grep -qi "^$MACB dst 10.255.0.1"
}
# Sends one UDP datagram from the namespace to the switch's VTEP: HEX payload.
ns_datagram() {
    ip netns exec "$NS" python3 -c "import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.255.0.2', 0))
s.sendto(bytes.fromhex(sys.argv[1]), ('10.255.0.1', 4789))" "$1"
}
# A broadcast inner frame (from 02:5a:00:0a:00:99) behind a VXLAN header with FLAGS and VNI (hex).
inner_frame=ffffffffffff025a000a00990800$(printf '00%.0s' $(seq 1 46))
wait_drop() {  # PORT REASON BEFORE SECONDS
    local deadline=$((SECONDS + $4)) n
    while [ $SECONDS -lt $deadline ]; do
        n=$(port_drop "$1" "$2"); [ "$n" -gt "$3" ] && { echo "$2: $3 -> $n"; return 0; }; sleep 0.2
    done
    echo "$2 still $(port_drop "$1" "$2") (was $3)"; return 1
}
bad_datagram() {  # REASON HEX
    local before; before=$(port_drop vx100 "$1")
    ns_datagram "$2" && wait_drop vx100 "$1" "$before" 5
}

# --- both directions -----------------------------------------------------------------------------
check "yardctl ports shows vx100 as type vxlan, up" vx_listed
check "gB pings the kernel VTEP's address 10.0.10.254 across the tunnel" wait_ping gB 10.0.10.254 30
check "the namespace pings gB (10.0.10.1) through its kernel vxlan device" \
    ip netns exec "$NS" busybox ping -c 3 -W 2 10.0.10.1
check "yardctl fdb show lists the kernel VTEP's inner MAC on vx100 with VTEP 10.255.0.2" vtep_row "$KMAC"
check "yardctl fdb show --json gives that entry vtep 10.255.0.2" vtep_json
check "the kernel VTEP learned gB's MAC behind 10.255.0.1" kernel_learned

# --- underlay MTU: 1500 - 50 = 1450 of IP in the inner frame ----------------------------------------
# busybox ping -s N sends N + 28 bytes of IP: 1422 fits (1450), 1423 does not.
check "a 1450-byte IP packet (ping -s 1422) crosses the tunnel" guest_run gB "ping -c 2 -W 2 -s 1422 10.0.10.254" 30
before=$(port_number vx100 "p['counters']['drops'].get('mtu-exceeded', 0)")
check "a 1451-byte IP packet (ping -s 1423) is not answered: never fragmented" \
    guest_ping_unanswered gB "-c 2 -W 1 -s 1423 10.0.10.254"
check "... and counted mtu-exceeded on vx100" wait_drop vx100 mtu-exceeded "$before" 5

# --- TCP across the tunnel: the guest's TSO frames are cut to the tunnel's MTU by the switch ------
netns_spawn "$NS" iperf3-server "$SY_RUN_DIR/iperf3-server.log" iperf3 -s -B 10.0.10.254 >/dev/null
check "guest gB has TCP segmentation offload on" \
    eval "guest_run gB 'ethtool -k eth0 | grep tcp-segmentation-offload' | grep -q ': on'"
tx0=$(port_number vx100 "p['counters']['txFrames']")
iperf_out=$(guest_run gB "iperf3 -c 10.0.10.254 -t 3 -f m" 60)
mbps=$(printf '%s\n' "$iperf_out" | awk '/sender/ {print $(NF-3)}' | tail -1)
tx1=$(port_number vx100 "p['counters']['txFrames']")
check "iperf3 TCP gB -> the kernel VTEP's host completes" \
    eval '[ -n "$mbps" ] || { printf "%s\n" "$iperf_out"; yardctl ports --json | python3 -c "import json,sys; print([p[\"counters\"] for p in json.load(sys.stdin)[\"ports\"]])"; false; }'
check "... and no frame of it was dropped unsupported-offload" \
    eval '[ "$(port_drop vx100 unsupported-offload)" = 0 ]'
note "iperf3 TCP gB -> namespace over VXLAN ($(guest_accel) guest, debug or release switch as built): ${mbps:-?} Mbit/s, vx100 sent $((tx1 - tx0)) frames"
iperf_rev=$(guest_run gB "iperf3 -c 10.0.10.254 -t 3 -R -f m" 60 | awk '/receiver/ {print $(NF-2)}' | tail -1)
check "iperf3 TCP the kernel VTEP's host -> gB (-R) completes" test -n "$iperf_rev"
note "iperf3 TCP namespace -> gB over VXLAN: ${iperf_rev:-?} Mbit/s"

# --- bad input from the underlay, each counted; the tunnel still works after ----------------------
check "a datagram with another VNI (101) is dropped vxlan-wrong-vni" bad_datagram vxlan-wrong-vni "0800000000006500$inner_frame"
check "a datagram without the I flag is dropped vxlan-flags" bad_datagram vxlan-flags "0000000000006400$inner_frame"
check "a datagram shorter than the VXLAN header is dropped vxlan-truncated" bad_datagram vxlan-truncated "08000000"
check "an inner frame of 13 bytes is dropped vxlan-inner-runt" bad_datagram vxlan-inner-runt "0800000000006400ffffffffffff025a000a009908"
check "after all that gB still pings 10.0.10.254" wait_ping gB 10.0.10.254 10

check_summary
