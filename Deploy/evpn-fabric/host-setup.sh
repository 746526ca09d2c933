#!/usr/bin/env bash
# One host's half of the EVPN fabric path (docs/evpn-fabric.md): a kernel bridge holding an
# FRR-managed VXLAN device and one end of a veth pair; the other end of the pair is Switchyard's
# uplink. Run as root on each host (or inside a network namespace with `ip netns exec`), before
# FRR and Switchyard start. `up` refuses to run when one of its devices exists already; `down`
# removes what `up` made.
#
#   host-setup.sh up --local 10.255.0.1 [--vni 100] [--dstport 4789] [--underlay-dev eth1]
#                    [--mtu 1500] [--bridge br100] [--vxlan vx100] [--uplink sy100]
#                    [--bridge-port sy100-br]
#   host-setup.sh down [--bridge br100] [--vxlan vx100] [--uplink sy100]
#
#   --local        this host's VTEP address (an address of the underlay, reachable by the peers)
#   --mtu          the overlay MTU (what guests may send); the underlay needs 50 bytes more
#   --uplink       the veth end Switchyard's `type: uplink` port names as `interface:`
#   --bridge-port  the veth end enslaved to the bridge
#
# One bridge, one VXLAN device and one veth pair per VNI: the bridge does no VLAN filtering (the
# "traditional bridge per VNI" model FRR supports), so the VLAN <-> VNI mapping is made by
# Switchyard, whose uplink port is an access port of the VLAN (untagged on the veth).
set -euo pipefail

usage() { sed -n '8,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
action=$1; shift
local_ip="" vni=100 dstport=4789 underlay="" mtu=1500
bridge="" vxlan="" uplink="" bport=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "host-setup.sh: $1 needs a value" >&2; exit 2; }
    case "$1" in
        --local) local_ip=$2 ;;
        --vni) vni=$2 ;;
        --dstport) dstport=$2 ;;
        --underlay-dev) underlay=$2 ;;
        --mtu) mtu=$2 ;;
        --bridge) bridge=$2 ;;
        --vxlan) vxlan=$2 ;;
        --uplink) uplink=$2 ;;
        --bridge-port) bport=$2 ;;
        *) echo "host-setup.sh: unknown option $1" >&2; usage ;;
    esac
    shift 2
done
bridge=${bridge:-br$vni} vxlan=${vxlan:-vx$vni} uplink=${uplink:-sy$vni} bport=${bport:-$uplink-br}
for n in "$bridge" "$vxlan" "$uplink" "$bport"; do
    [ ${#n} -le 15 ] || { echo "host-setup.sh: interface name $n is longer than 15 bytes" >&2; exit 2; }
done

# No IPv6 on the devices the host itself would otherwise speak from: router solicitations and MLD
# reports from the bridge or a veth end would be learned by the bridge and advertised by zebra as
# type-2 routes of this host, and would reach every guest of the VNI.
no_ipv6() { sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" 2>/dev/null || true; }

case "$action" in
up)
    [ -n "$local_ip" ] || { echo "host-setup.sh: --local VTEP address is required" >&2; exit 2; }
    for n in "$bridge" "$vxlan" "$uplink" "$bport"; do
        ! ip link show "$n" >/dev/null 2>&1 || { echo "host-setup.sh: $n exists already (host-setup.sh down first)" >&2; exit 1; }
    done
    if [ -n "$underlay" ]; then
        umtu=$(cat "/sys/class/net/$underlay/mtu")
        [ "$umtu" -ge $((mtu + 50)) ] || {
            echo "host-setup.sh: underlay $underlay has MTU $umtu; an overlay MTU of $mtu needs $((mtu + 50)) (VXLAN adds 50 bytes)" >&2
            exit 1; }
    fi
    # The bridge: no VLAN filtering (not needed with one bridge per VNI; some kernels, this
    # project's test machine among them, are built without it and refuse `vlan_filtering 0`).
    ip link add "$bridge" type bridge
    no_ipv6 "$bridge"
    # The VXLAN device: zebra finds it (a vxlan device in a bridge) and, with advertise-all-vni,
    # announces its VNI (type-3) and the MACs the bridge learns on the other ports (type-2). It
    # installs the remote MACs it hears as `extern_learn` FDB entries with the remote VTEP as dst,
    # and one 00:00:00:00:00:00 entry per remote VTEP as the flood list. `nolearning`: remote MACs
    # come from BGP, never from the data plane.
    ip link add "$vxlan" type vxlan id "$vni" local "$local_ip" dstport "$dstport" nolearning \
        ${underlay:+dev "$underlay"}
    ip link set "$vxlan" mtu "$mtu"
    ip link set "$vxlan" master "$bridge"
    bridge link set dev "$vxlan" learning off
    # The veth pair: $bport in the bridge learns the guests' MACs from their frames.
    ip link add "$uplink" type veth peer name "$bport"
    no_ipv6 "$uplink"; no_ipv6 "$bport"
    ip link set "$uplink" mtu "$mtu"
    ip link set "$bport" mtu "$mtu"
    ip link set "$bport" master "$bridge"
    ip link set "$bridge" mtu "$mtu"
    for n in "$vxlan" "$bport" "$uplink" "$bridge"; do ip link set "$n" up; done
    echo "host-setup.sh: VNI $vni on $vxlan (local $local_ip, port $dstport) in $bridge with $bport; Switchyard's uplink is $uplink (MTU $mtu)"
    ;;
down)
    for n in "$uplink" "$vxlan" "$bridge"; do
        ip link show "$n" >/dev/null 2>&1 && ip link del "$n"
    done
    ;;
*) usage ;;
esac
