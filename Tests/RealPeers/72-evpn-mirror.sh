#!/usr/bin/env bash
# The EVPN control-plane mirror (docs/evpn-mirror.md), without QEMU: two hosts as namespaces.
#   evmA-<pid>  underlay evmu 10.255.7.1/24. Switchyard A with a tap port (VLAN 10; its device has
#               10.0.10.1 in A's host stack), a native vxlan port vx100 (VNI 100, VLAN 10, no static
#               remotes, learn-remotes off: flood list and remote MACs come from EVPN) and `evpn:` VNI
#               100 <-> VLAN 10 on the mirror Deploy/evpn-mirror/mirror-setup.sh made (bridge
#               evmbr100, VXLAN evmvx100 dstport 4790, veth evmve100 with its peer down); FRR.
#   evmB-<pid>  underlay evmu 10.255.7.2/24. A plain kernel VTEP: bridge evmbr100, VXLAN evmvx100
#               (dstport 4789), a veth into evmG-<pid> (10.0.10.2, the "guest"); FRR.
# FRR on both: zebra + bgpd, iBGP l2vpn evpn, advertise-all-vni (Deploy/evpn-fabric/frr-config.sh).
# Checks: BGP up; B's guest MAC in A's `yardctl evpn` with B's VTEP (timed); B's VTEP in A's flood
# list; the native port against B's FRR-managed kernel VTEP: B's guest MAC on vx100 with B's VTEP in
# `yardctl fdb show` before any traffic, pings both ways through it; a static MAC added to A's switch (yardctl fdb add) and a MAC A's switch learns on its tap
# port reach B's kernel VXLAN FDB with A's VTEP (timed) and leave it when removed (timed); the
# mirror carried no data (its VXLAN device's counters stay 0 while B's guest pings across and B's
# device counters move); a second mirror (VNI 200 <-> VLAN 20, A only) keeps its MACs and is
# followed again when made again; B's guest MAC moves to A (timed); A's switch stopped withdraws
# its MACs, started again reads the flood list from its first dump. Everything goes at exit.
# Runs .build/release binaries like the other suites (SY_SWITCHYARD / SY_YARDCTL override).
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/common.sh
. Tests/RealPeers/lib/switchyard.sh
. Tests/RealPeers/lib/netns.sh
. Tests/RealPeers/lib/frr.sh
sy_init

HOSTS="A B"
declare -A NS VTEP PEER
NS[A]=evmA-$$ NS[B]=evmB-$$ NS[G]=evmG-$$
VTEP[A]=10.255.7.1 VTEP[B]=10.255.7.2 PEER[A]=10.255.7.2 PEER[B]=10.255.7.1
UNDERLAY=evmu BR=evmbr100 VX=evmvx100 MPORT=evmve100 TAP=evmtap0
GMAC=02:e7:00:00:0b:01 GIP=10.0.10.2 STATICMAC=02:e7:00:00:0a:01 LEARNMAC=02:e7:00:00:0a:02
SYD=$SY_RUN_DIR/evmA
trap 'sy_cleanup; netns_cleanup; rm -rf "$(frr_dir A)" "$(frr_dir B)"' EXIT
trap 'sy_cleanup; netns_cleanup; rm -rf "$(frr_dir A)" "$(frr_dir B)"; trap - INT; kill -INT $$' INT
trap 'sy_cleanup; netns_cleanup; rm -rf "$(frr_dir A)" "$(frr_dir B)"; trap - TERM; kill -TERM $$' TERM

yardctl_a() { "$SY_YARDCTL" --socket "$SYD/control.sock" "$@"; }

# --- hosts, underlay, the mirror (A) and the plain kernel VTEP (B) ---------------------------------
setup "hosts ${NS[A]}, ${NS[B]} (underlay $UNDERLAY 10.255.7.1 <-> .2) and guest namespace ${NS[G]}" hosts_underlay G
setup "host A: Deploy/evpn-mirror/mirror-setup.sh up (mirror $VX dstport 4790 in $BR, port $MPORT, peer down)" \
    in_ns A Deploy/evpn-mirror/mirror-setup.sh up --local "${VTEP[A]}" --vni 100 --bridge $BR --vxlan $VX --port $MPORT
# A second VNI on host A only (VLAN 20): its MACs must stay in it.
setup "host A: a second mirror, VNI 200 (evmbr200, evmvx200, evmve200)" \
    in_ns A Deploy/evpn-mirror/mirror-setup.sh up --local "${VTEP[A]}" --vni 200 --bridge evmbr200 --vxlan evmvx200 --port evmve200
mirror_refuses_4789() {
    local out
    if out=$(in_ns A Deploy/evpn-mirror/mirror-setup.sh up --local "${VTEP[A]}" --dstport 4789 --bridge evmbrX --vxlan evmvxX --port evmveX 2>&1); then
        echo "accepted dstport 4789: $out"; return 1
    fi
    echo "$out"; grep -q "would make the mirror carry data" <<<"$out" && ! in_ns A ip link show evmbrX 2>/dev/null
}
check "mirror-setup.sh refuses dstport 4789 (the data path's port) and creates nothing" mirror_refuses_4789
kernel_vtep() {
    in_ns B ip link add $BR type bridge && in_ns B sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1" || return 1
    in_ns B ip link add $VX type vxlan id 100 local "${VTEP[B]}" dstport 4789 nolearning dev $UNDERLAY || return 1
    in_ns B ip link set $VX master $BR && in_ns B bridge link set dev $VX learning off || return 1
    in_ns B ip link add evmg type veth peer name eth0 netns "${NS[G]}" || return 1
    in_ns B sysctl -qw net.ipv6.conf.evmg.disable_ipv6=1
    in_ns B ip link set evmg master $BR || return 1
    for n in $VX evmg $BR; do in_ns B ip link set $n up || return 1; done
    in_ns G sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    in_ns G ip link set eth0 address $GMAC && in_ns G ip addr add $GIP/24 dev eth0 && in_ns G ip link set eth0 up
}
setup "host B: kernel VTEP (bridge $BR, $VX dstport 4789, veth evmg into ${NS[G]} with $GIP, MAC $GMAC)" kernel_vtep
for h in $HOSTS; do
    netns_spawn "${NS[$h]}" "bridge monitor $h" "$SY_RUN_DIR/fdb-monitor-$h.log" bridge -t monitor fdb >/dev/null
done

# --- FRR (as in 70-evpn-fabric.sh) -----------------------------------------------------------------
for h in $HOSTS; do setup "host $h: FRR configuration in $(frr_dir $h)" frr_files $h; done
for h in $HOSTS; do setup "host $h: zebra -N ${NS[$h]} -P 0" start_zebra $h; done

# --- Switchyard A: a tap port on VLAN 10 and the mirror of VNI 100 ---------------------------------
sy_start_a() {
    mkdir -p "$SYD" || return 1
    cat >"$SYD/switchyard.yaml" <<YAML
switch:
  socket-directory: $SYD
  control-socket: $SYD/control.sock
ports:
  - name: host0
    type: tap
    interface: $TAP
    vlan: { access: 10 }
  - name: host1
    type: tap
    interface: evmtap1
    vlan: { access: 20 }
  - name: vx100
    type: vxlan
    vni: 100
    local: ${VTEP[A]}
    learn-remotes: false
    vlan: { access: 10 }
evpn:
  - { vni: 100, vlan: 10, bridge: $BR, vxlan: $VX, port: $MPORT }
  - { vni: 200, vlan: 20, bridge: evmbr200, vxlan: evmvx200, port: evmve200 }
YAML
    "$SY_SWITCHYARD" --check-config "$SYD/switchyard.yaml" || return 1
    netns_spawn "${NS[A]}" "switchyard A" "$SYD/switchyard.log" "$SY_SWITCHYARD" --config "$SYD/switchyard.yaml" >"$SYD/switchyard.pid"
    local deadline=$((SECONDS + 20))
    until [ -S "$SYD/control.sock" ]; do
        sy_pid_alive "$(cat "$SYD/switchyard.pid")" || { echo "switchyard A exited:"; tail -n 20 "$SYD/switchyard.log"; return 1; }
        [ $SECONDS -lt $deadline ] || { echo "no control socket"; return 1; }
        sleep 0.1
    done
}
check "host A: switchyard starts with a tap port, a native vxlan port and evpn VNI 100 <-> VLAN 10 on the mirror" sy_start_a
in_ns A sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" 2>/dev/null
setup "host A: 10.0.10.1/24 on the tap device $TAP (A's host stack on VLAN 10)" \
    eval "in_ns A ip addr add 10.0.10.1/24 dev $TAP && in_ns A ip link set $TAP up"
in_ns A sysctl -qw "net.ipv6.conf.evmtap1.disable_ipv6=1" 2>/dev/null

start_bgpd A
t_bgp=$(now)
start_bgpd B
check "the iBGP session (l2vpn evpn) between 10.255.7.1 and 10.255.7.2 is established" wait_for 30 established &&
    note "BGP up: Established on both ends $(since "$t_bgp") s after the second bgpd started"

evpn_json() {  # PYTHON-EXPR over m (VNI ${2:-100}'s entry of yardctl evpn --json)
    yardctl_a evpn --json | python3 -c "import json,sys
d=json.load(sys.stdin); e=d['evpn'] if isinstance(d, dict) else d
m=[x for x in e if x['vni']==${2:-100}][0]; v=($1); print(v); sys.exit(0 if v else 1)"
}
flood_has_b() { evpn_json "'${VTEP[B]}' in m['floodList']"; }
check "host A: yardctl evpn shows host B's VTEP ${VTEP[B]} in VNI 100's flood list (type-3)" wait_for 15 flood_has_b

# The guest sends: B's bridge learns its MAC, zebra B advertises it, zebra A installs it on the
# mirror, Switchyard A follows it. Timed from the guest's first frame.
t_guest=$(now)
in_ns G busybox ping -c 3 -W 1 10.0.10.99 >/dev/null 2>&1 &
remote_has_g() { evpn_json "any(r['mac']=='$GMAC' and r['vtep']=='${VTEP[B]}' for r in m['remoteMACs'])"; }
check "host A: yardctl evpn shows B's guest $GMAC -> VTEP ${VTEP[B]} (type-2 through the mirror)" wait_for 15 remote_has_g &&
    note "remote MAC convergence: B's guest in A's yardctl evpn $(since "$t_guest") s after its first frame"
text=$(yardctl_a evpn)
check "yardctl evpn (text) lists the remote MAC with its VTEP and the flood list" \
    eval "grep -q '$GMAC *remote ${VTEP[B]}' <<<\"\$text\" && grep -q 'flood list: ${VTEP[B]}' <<<\"\$text\" || { echo \"\$text\"; false; }"
note "yardctl evpn on host A: $(printf '%s' "$text" | tr -s ' ' | paste -sd ';')"

# --- the native vxlan port, fed by EVPN, against B's FRR-managed kernel VTEP ------------------------
# From the type-2 route (pinned, whatever traffic says) or, first, from the guest's ARP flooded to
# A's VTEP, which is Switchyard's socket: either way the VTEP column must name B.
on_vx() { yardctl_a fdb show | grep -Eq "^vx100 +10 +$GMAC .* ${VTEP[B]}"; }
check "host A: yardctl fdb show lists B's guest $GMAC on vx100 with VTEP ${VTEP[B]} (from the type-2 route)" wait_for 5 on_vx
vx_in() { yardctl_a ports --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='vx100'][0]; print(p['counters']['rxFrames'], p['counters']['txFrames'])"; }
vx_before=$(vx_in)
check "B's guest pings A's host stack (10.0.10.1) through A's native vxlan port" \
    in_ns G busybox ping -c 3 -W 2 10.0.10.1
check "A's host stack pings B's guest ($GIP) through the native port: flood list and MAC from EVPN" \
    in_ns A busybox ping -c 3 -W 2 $GIP
vx_after=$(vx_in)
note "vx100 rx/tx frames: $vx_before -> $vx_after"
check "the pings crossed vx100 both ways (its rx and tx counters moved)" \
    eval "set -- $vx_before $vx_after; [ \$3 -gt \$1 ] && [ \$4 -gt \$2 ]"

# --- A's local MACs reach B's kernel FDB as type-2 routes -------------------------------------------
b_has() { local fdb; fdb=$(in_ns B bridge fdb show dev $VX) && grep -Eq "^$1 dst ${VTEP[A]} .*extern_learn" <<<"$fdb"; }
b_lacks() {  # MAC: only when the table was read, and only if something else of A's is in it
    local fdb; fdb=$(in_ns B bridge fdb show dev $VX) || return 1
    grep -q "^00:00:00:00:00:00 dst ${VTEP[A]}" <<<"$fdb" || { echo "A's flood entry is not on B: the table says nothing"; echo "$fdb"; return 1; }
    ! grep -q "^$1 " <<<"$fdb" || { echo "B's $VX still has it:"; echo "$fdb"; return 1; }
}
t_static=$(now)
check "host A: yardctl fdb add (static $STATICMAC on host0, VLAN 10)" yardctl_a fdb add host0 10 $STATICMAC
check "host B's kernel VXLAN FDB gets A's static MAC $STATICMAC with dst ${VTEP[A]} (type-2, extern_learn)" wait_for 15 b_has $STATICMAC &&
    note "local MAC advertisement: $STATICMAC on B's $VX $(since "$t_static") s after yardctl fdb add (up to 1 s of it the daemon's diff period)"
check "host A: yardctl evpn lists $STATICMAC as advertised" evpn_json "'$STATICMAC' in m['advertised']"
note "host A's zebra on $STATICMAC: $(vtysh_on A -c "show evpn mac vni 100 mac $STATICMAC" 2>/dev/null | grep -Ei 'intf|sync|seq|sticky|static' | tr -s ' ' | paste -sd ';')"
note "host B's zebra on $STATICMAC: $(vtysh_on B -c "show evpn mac vni 100 mac $STATICMAC" 2>/dev/null | grep -Ei 'remote|sync|seq|sticky|static' | tr -s ' ' | paste -sd ';')"
static_on_port() {
    local f; f=$(in_ns A bridge fdb show dev $MPORT) || return 1
    grep -Eq "^$STATICMAC master $BR static" <<<"$f" || { echo "$f"; return 1; }
}
check "host A: the mirror bridge holds $STATICMAC as a static entry on $MPORT" static_on_port

# A learned MAC: one broadcast frame from the tap device's host side into the switch.
send_from_tap() {
    in_ns A python3 - "$TAP" "$1" <<'PY'
import socket, sys
iface, src = sys.argv[1:3]
mac = bytes(int(x, 16) for x in src.split(":"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((iface, 0))
print(s.send(b"\xff" * 6 + mac + b"\x88\xb5" + bytes(46)))
PY
}
t_learn=$(now)
check "a frame from $LEARNMAC enters A's switch on the tap port" send_from_tap $LEARNMAC
check "host B's kernel VXLAN FDB gets the MAC A's switch learned ($LEARNMAC, dst ${VTEP[A]})" wait_for 15 b_has $LEARNMAC &&
    note "learned MAC advertisement: $LEARNMAC on B's $VX $(since "$t_learn") s after its frame"

# VLAN 20's MAC goes to VNI 200's mirror only. Positive control: the VLAN 10 MAC above reached B.
VLAN20MAC=02:e7:00:00:14:01
send_from_tap_1() { TAP=evmtap1 send_from_tap "$@"; }
check "a frame from $VLAN20MAC enters A's switch on host1 (VLAN 20)" send_from_tap_1 $VLAN20MAC
in_vni200() { evpn_json "'$VLAN20MAC' in m['advertised']" 200; }
check "host A: yardctl evpn lists $VLAN20MAC as advertised in VNI 200" wait_for 5 in_vni200
check "host A: VNI 100's advertised MACs do not include it" evpn_json "'$VLAN20MAC' not in m['advertised'] and '$LEARNMAC' in m['advertised']"
only_in_200() {
    local f200 f100; f200=$(in_ns A bridge fdb show dev evmve200) && f100=$(in_ns A bridge fdb show dev $MPORT) || return 1
    grep -q "^$VLAN20MAC " <<<"$f200" && ! grep -q "^$VLAN20MAC " <<<"$f100" || { echo "$f200"; echo "$f100"; return 1; }
}
check "host A: the mirror bridge of VNI 200 holds it, VNI 100's does not" only_in_200
# The mirror made again under the running switch: new interface indices, an empty bridge.
remade() {
    local args=(--vni 200 --bridge evmbr200 --vxlan evmvx200 --port evmve200)
    in_ns A Deploy/evpn-mirror/mirror-setup.sh down "${args[@]}" && in_ns A Deploy/evpn-mirror/mirror-setup.sh up --local "${VTEP[A]}" "${args[@]}"
}
t_remade=$(now)
check "host A: VNI 200's mirror deleted and made again while the switch runs" remade
in_200_bridge() { local f; f=$(in_ns A bridge fdb show dev evmve200) && grep -q "^$VLAN20MAC master evmbr200 static" <<<"$f"; }
check "the switch follows the new devices and writes $VLAN20MAC into the new bridge" wait_for 5 in_200_bridge &&
    note "mirror made again: $VLAN20MAC back in VNI 200's bridge $(since "$t_remade") s later"
check "host B (VNI 100 only) never gets $VLAN20MAC (its table has A's VNI 100 MACs)" \
    eval "sleep 1; b_has $LEARNMAC && b_lacks $VLAN20MAC"

t_del=$(now)
check "host A: yardctl fdb del $STATICMAC" yardctl_a fdb del 10 $STATICMAC
withdrawn() { b_lacks $STATICMAC; }
check "host B withdraws $STATICMAC once A's switch no longer has it (A's other routes still there)" wait_for 15 withdrawn &&
    note "withdrawal: $STATICMAC gone from B's $VX $(since "$t_del") s after yardctl fdb del"
check "positive control: $LEARNMAC is still on B's $VX" b_has $LEARNMAC

# --- the mirror carried no data ----------------------------------------------------------------------
vx_counters() { in_ns "$1" cat /sys/class/net/$VX/statistics/rx_packets /sys/class/net/$VX/statistics/tx_packets | paste -sd ' '; }
a_before=$(vx_counters A) b_before=$(vx_counters B)
# The guest pings an address of VLAN 10 behind A: ARP broadcasts go to A's VTEP (flood list) and
# unicast to A's advertised MACs, all to UDP 4789 on 10.255.7.1, where the mirror does not listen.
in_ns G busybox ping -c 5 -i 0.2 -W 1 10.0.10.1 >/dev/null 2>&1
in_ns G busybox arping -c 3 -w 2 -I eth0 10.0.10.1 >/dev/null 2>&1
a_after=$(vx_counters A) b_after=$(vx_counters B)
b_moved() { echo "B's $VX rx/tx packets: $b_before -> $b_after"; [ "${b_after#* }" -gt "${b_before#* }" ]; }
check "positive control: host B's $VX sent packets towards A while the guest pinged (tx moved)" b_moved
b_ok=$?
a_still() {
    [ "$b_ok" = 0 ] || { echo "nothing was sent towards A: the mirror's counters say nothing"; return 1; }
    echo "A's mirror $VX rx/tx packets: $a_before -> $a_after"; [ "$a_after" = "0 0" ]
}
check "host A's mirror $VX carried no data: rx and tx packets still 0" a_still
note "mirror $VX on A rx/tx packets $a_before -> $a_after; B's $VX $b_before -> $b_after"
check "switchyard A still runs" sy_pid_alive "$(cat "$SYD/switchyard.pid")"

# --- MAC mobility: B's guest MAC shows up on A's switch ---------------------------------------------
# The guest is silent now (its pings ended). A frame with its source enters A's switch on the tap
# port: the switch learns it locally, the daemon writes it into the mirror bridge (replacing
# zebra's remote entry), zebra A advertises it with a higher mobility sequence number and zebra B
# moves it from its bridge to its VXLAN device towards A. Positive control: it was remote (B's) above.
remote_has_g >/dev/null; was_remote=$?
t_move=$(now)
send_from_tap $GMAC >/dev/null
moved_to_a() { [ "$was_remote" = 0 ] || { echo "the MAC was not B's before"; return 1; }; b_has $GMAC; }
check "MAC mobility: $GMAC, seen on A's switch, is on B's $VX with dst ${VTEP[A]} (moved by a higher sequence)" wait_for 15 moved_to_a &&
    note "MAC move B -> A: $GMAC on B's $VX towards A $(since "$t_move") s after its frame entered A's switch"
a_side_moved() { evpn_json "'$GMAC' in m['advertised'] and '$GMAC' not in [r['mac'] for r in m['remoteMACs']]"; }
check "MAC mobility: A's yardctl evpn lists $GMAC as advertised and no longer as remote" wait_for 5 a_side_moved
note "host B's zebra on $GMAC after the move: $(vtysh_on B -c "show evpn mac vni 100 mac $GMAC" 2>/dev/null | grep -Ei 'remote|seq|local' | tr -s ' ' | paste -sd ';')"

# Stopping the switch removes what it wrote into the mirror bridge, so zebra withdraws it (the
# learned MAC was on B just above: the positive control).
t_stop=$(now)
sy_kill_pid "$(cat "$SYD/switchyard.pid")"
gone_after_stop() { b_lacks $LEARNMAC; }
check "switchyard A stopped (SIGTERM): host B withdraws $LEARNMAC (A's flood entry stays: FRR still runs)" wait_for 15 gone_after_stop &&
    note "withdrawal on stop: $LEARNMAC gone from B's $VX $(since "$t_stop") s after SIGTERM to switchyard A"
# Started again while FRR runs on: what zebra installed long ago comes from the daemon's first dump
# of the bridge FDB, not from notifications (there are none to come).
t_restart=$(now)
check "switchyard A starts again" sy_start_a
check "after the restart, A's yardctl evpn has B's flood entry at once (read by the first FDB dump)" wait_for 3 flood_has_b &&
    note "restart: B's VTEP in A's flood list $(since "$t_restart") s after switchyard A was started again"
if [ "$SY_FAILED" != 0 ]; then
    echo "[evm] switchyard A:" >&2; tail -n 20 "$SYD/switchyard.log" >&2
    echo "[evm] zebra A:" >&2; tail -n 10 "$SY_RUN_DIR/zebra-A.log" >&2
    echo "[evm] A's bridge fdb:" >&2; in_ns A bridge fdb show >&2
fi
check_summary
