#!/usr/bin/env bash
# One VNI's EVPN control-plane mirror (docs/evpn-mirror.md): a kernel bridge holding an
# FRR-managed VXLAN device and one end of a veth pair whose other end stays down. zebra sees the
# VNI there and advertises the MACs Switchyard writes into the bridge (static entries on the veth
# end, `evpn:` in the YAML); Switchyard follows the remote MACs and flood list zebra installs on
# the VXLAN device. The mirror never carries data: its VXLAN device listens and sends on
# --dstport (default 4790), not on 4789, where Switchyard's own vxlan port (issue #13 item 2) and
# the remote VTEPs meet, and nothing can enter the bridge through the veth (its peer is down).
#
#   mirror-setup.sh up --local 10.255.0.1 [--vni 100] [--dstport 4790] [--bridge brm100]
#                      [--vxlan vxm100] [--port vem100]
#   mirror-setup.sh down [--vni 100] [--bridge brm100] [--vxlan vxm100] [--port vem100]
set -euo pipefail

usage() { sed -n '10,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
action=$1; shift
local_ip="" vni=100 dstport=4790 bridge="" vxlan="" port=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "mirror-setup.sh: $1 needs a value" >&2; exit 2; }
    case "$1" in
        --local) local_ip=$2 ;;
        --vni) vni=$2 ;;
        --dstport) dstport=$2 ;;
        --bridge) bridge=$2 ;;
        --vxlan) vxlan=$2 ;;
        --port) port=$2 ;;
        *) echo "mirror-setup.sh: unknown option $1" >&2; usage ;;
    esac
    shift 2
done
bridge=${bridge:-brm$vni} vxlan=${vxlan:-vxm$vni} port=${port:-vem$vni}
peer=${port}p
for n in "$bridge" "$vxlan" "$port" "$peer"; do
    [ ${#n} -le 15 ] || { echo "mirror-setup.sh: interface name $n is longer than 15 bytes" >&2; exit 2; }
done
no_ipv6() { sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" 2>/dev/null || true; }

case "$action" in
up)
    [ -n "$local_ip" ] || { echo "mirror-setup.sh: --local VTEP address is required" >&2; exit 2; }
    # 4789 belongs to the data path: a mirror there would decapsulate the remote VTEPs' traffic
    # into the bridge (and race Switchyard's socket for it).
    [ "$dstport" != 4789 ] || { echo "mirror-setup.sh: --dstport 4789 would make the mirror carry data" >&2; exit 2; }
    for n in "$bridge" "$vxlan" "$port" "$peer"; do
        ! ip link show "$n" >/dev/null 2>&1 || { echo "mirror-setup.sh: $n exists already" >&2; exit 1; }
    done
    # No multicast snooping: with it the bridge device joins 224.0.0.106 (multicast router
    # discovery) and sends IGMP reports of its own into the bridge, which would go out of the
    # mirror's VXLAN device (seen as tx packets on it in 72-evpn-mirror.sh).
    ip link add "$bridge" type bridge mcast_snooping 0
    no_ipv6 "$bridge"
    # zebra reads the VNI and the local VTEP from this device (type-3 route, "VTEP local_ip is in
    # VNI vni"); remote VTEPs send to their own port, 4789, never to dstport.
    ip link add "$vxlan" type vxlan id "$vni" local "$local_ip" dstport "$dstport" nolearning
    # A bridge port keeps its own IPv6: brought up, the device would send MLD reports and a
    # router solicitation of its own, straight out of the mirror (tx packets on it).
    no_ipv6 "$vxlan"
    ip link set "$vxlan" master "$bridge"
    # And should anything still enter the bridge: no flooding of any kind towards the VXLAN device
    # (zebra needs none of it: it reads and writes FDB entries, it never forwards).
    bridge link set dev "$vxlan" learning off flood off mcast_flood off bcast_flood off
    ip link add "$port" type veth peer name "$peer"
    no_ipv6 "$port"; no_ipv6 "$peer"
    ip link set "$port" master "$bridge"
    # The bridge learns nothing on the port: its only entries are the static ones Switchyard writes.
    bridge link set dev "$port" learning off
    for n in "$vxlan" "$port" "$bridge"; do ip link set "$n" up; done
    # $peer stays down: the port has no carrier, so the bridge forwards nothing to or from it.
    echo "mirror-setup.sh: VNI $vni mirror $vxlan (local $local_ip, port $dstport) in $bridge with $port (peer $peer down)"
    ;;
down)
    for n in "$port" "$vxlan" "$bridge"; do
        ip link show "$n" >/dev/null 2>&1 && ip link del "$n"
    done
    ;;
*) usage ;;
esac
