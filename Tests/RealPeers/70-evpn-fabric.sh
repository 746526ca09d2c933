#!/usr/bin/env bash
# The EVPN fabric path with no new datapath code (docs/evpn-fabric.md): two hosts as network
# namespaces, each with the Deploy/evpn-fabric recipe (a kernel bridge holding an FRR-managed VXLAN
# device for VNI 100 and one end of a veth pair), its own FRR (zebra, bgpd: iBGP, l2vpn evpn,
# advertise-all-vni) and its own Switchyard, whose uplink is the other end of the veth (access
# VLAN 10). One QEMU guest per host on VLAN 10. Guests boot once; every check reuses them.
#   fabA-<pid>  underlay fabu 10.255.0.1/24, VTEP 10.255.0.1; Switchyard A, guest gA 10.0.10.1
#   fabB-<pid>  underlay fabu 10.255.0.2/24, VTEP 10.255.0.2; Switchyard B, guest gB 10.0.10.2
# The underlay is one veth pair between the two namespaces (MTU 1550: the overlay keeps 1500).
# Checks: BGP established (time measured), the flood lists (type-3), guests ping across (RTT, a
# full 1500-byte packet), each Switchyard's FDB has the remote guest on its uplink, each kernel
# VXLAN FDB has the remote guest with the remote VTEP as dst (type-2, convergence time measured),
# a tagged frame from the fabric stays out of VLAN 10, and with host B's bgpd stopped its routes
# are withdrawn and the ping fails, then come back when it restarts (time measured).
# Everything (namespaces, FRR, daemons, guests, /run/frr/fab*) goes at exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh
. Tests/RealPeers/lib/netns.sh
. Tests/RealPeers/lib/frr.sh
sy_init

RECIPE=Deploy/evpn-fabric
HOSTS="A B"
declare -A NS VTEP PEER MAC GIP
NS[A]=fabA-$$ NS[B]=fabB-$$
VTEP[A]=10.255.0.1 VTEP[B]=10.255.0.2 PEER[A]=10.255.0.2 PEER[B]=10.255.0.1
MAC[A]=52:54:00:fa:b0:0a MAC[B]=52:54:00:fa:b0:0b
GIP[A]=10.0.10.1 GIP[B]=10.0.10.2
UNDERLAY=fabu BR=fabbr100 VX=fabvx100 UPLINK=fabsy100 BPORT=fabsy100br
BLASTMAC=02:fa:b0:00:00:bb
# FRR's per-host path space: sockets and the config files bgpd and zebra (user frr) read.
sy_dir() { echo "$SY_RUN_DIR/fab$1"; }

fab_cleanup() {
    local h
    for h in $HOSTS; do rm -rf "$(frr_dir $h)"; done
}
trap 'sy_cleanup; netns_cleanup; fab_cleanup' EXIT
trap 'sy_cleanup; netns_cleanup; fab_cleanup; trap - INT; kill -INT $$' INT
trap 'sy_cleanup; netns_cleanup; fab_cleanup; trap - TERM; kill -TERM $$' TERM

# --- the two hosts: namespaces, underlay, the recipe's bridge/VXLAN/veth ---------------------------
setup "hosts ${NS[A]} and ${NS[B]} joined by an underlay veth ($UNDERLAY, 10.255.0.1 <-> .2, MTU 1550)" hosts_underlay
for h in $HOSTS; do
    setup "host $h: $RECIPE/host-setup.sh up (bridge $BR, VXLAN $VX VNI 100 local ${VTEP[$h]}, veth $UPLINK/$BPORT)" \
        in_ns $h "$RECIPE/host-setup.sh" up --local "${VTEP[$h]}" --vni 100 --underlay-dev "$UNDERLAY" \
            --bridge $BR --vxlan $VX --uplink $UPLINK --bridge-port $BPORT
done
# The same call with an overlay MTU the underlay cannot carry must be refused before it creates
# anything (the calls above, MTU 1500 on the same underlay, are the positive control).
mtu_refused() {
    local out
    if out=$(in_ns A "$RECIPE/host-setup.sh" up --local "${VTEP[A]}" --underlay-dev "$UNDERLAY" --mtu 1600 \
        --bridge fabbrX --vxlan fabvxX --uplink fabsyX 2>&1); then
        echo "host-setup.sh accepted an overlay MTU of 1600 on a 1550-byte underlay: $out"; return 1
    fi
    echo "$out"
    grep -q "an overlay MTU of 1600 needs 1650" <<<"$out" || return 1
    ! in_ns A ip link show fabbrX 2>/dev/null
}
check "the recipe refuses an overlay MTU of 1600 on the 1550-byte underlay (VXLAN needs 50 more) and creates nothing" mtu_refused
# Every change of the two FDBs, timestamped: when a guest's MAC was learned on its host's bridge
# and when the other host's zebra installed it on the VXLAN device.
for h in $HOSTS; do
    netns_spawn "${NS[$h]}" "bridge monitor $h" "$SY_RUN_DIR/fdb-monitor-$h.log" bridge -t monitor fdb >/dev/null
done

# --- FRR ------------------------------------------------------------------------------------------
wait_established() {  # SECONDS: both ends Established
    local deadline=$((SECONDS + $1)) a b
    while [ $SECONDS -lt $deadline ]; do
        a=$(bgp_state A "${PEER[A]}") b=$(bgp_state B "${PEER[B]}")
        [ "$a" = Established ] && [ "$b" = Established ] && return 0
        sleep 0.1
    done
    echo "session state: A sees $a, B sees $b"; tail -n 5 "$SY_RUN_DIR"/bgpd-*.log; return 1
}
for h in $HOSTS; do setup "host $h: FRR configuration from $RECIPE/frr-config.sh in $(frr_dir $h)" frr_files $h; done
for h in $HOSTS; do setup "host $h: zebra -N ${NS[$h]} -P 0" start_zebra $h; done
start_bgpd A
t_bgp=$(now)
start_bgpd B
check "the iBGP session (l2vpn evpn) is established between 10.255.0.1 and 10.255.0.2" wait_established 30 &&
    note "BGP up: Established on both ends $(since "$t_bgp") s after the second bgpd started"

vni_remote_vtep() {  # HOST: zebra knows VNI 100 on $VX and the other VTEP is its flood list
    local h=$1 deadline=$((SECONDS + 15))
    while [ $SECONDS -lt $deadline ]; do
        in_ns $h bridge fdb show dev $VX | grep -q "^00:00:00:00:00:00 dst ${PEER[$h]} " && {
            vtysh_on $h -c "show evpn vni 100" 2>/dev/null | grep -E "VxLAN interface|Remote VTEPs" -A1; return 0; }
        sleep 0.1
    done
    vtysh_on $h -c "show evpn vni" 2>&1; in_ns $h bridge fdb show dev $VX; return 1
}
for h in $HOSTS; do
    check "host $h: the type-3 route of the other VTEP is the flood list of $VX (00:00:00:00:00:00 dst ${PEER[$h]})" vni_remote_vtep $h
done

# --- Switchyard and the guests --------------------------------------------------------------------
sy_yaml() {  # HOST: the recipe's YAML with this run's directories and interface name
    local d; d=$(sy_dir "$1")
    mkdir -p "$d" || return 1
    sed -e "s|/run/switchyard|$d|g" -e "s|interface: sy100|interface: $UPLINK|" "$RECIPE/switchyard.yaml" >"$d/switchyard.yaml"
    grep -q "interface: $UPLINK" "$d/switchyard.yaml" && grep -q "socket-directory: $d" "$d/switchyard.yaml" || {
        echo "the recipe's YAML did not take the substitutions:"; cat "$d/switchyard.yaml"; return 1; }
    "$SY_SWITCHYARD" --check-config "$d/switchyard.yaml"
}
for h in $HOSTS; do
    check "host $h: $RECIPE/switchyard.yaml (sockets in $(sy_dir $h), uplink $UPLINK) passes --check-config" sy_yaml $h
    check "host $h: switchyard starts in ${NS[$h]} with the guest port and the uplink" sy_start_on $h
done
for h in $HOSTS; do
    guest_boot g$h "${MAC[$h]}" "$(sy_dir $h)/vm1.sock" client "sy.ip=${GIP[$h]}/24"
done
for h in $HOSTS; do check "guest g$h boots on host $h's Switchyard" guest_wait_ready g$h 240; done
note "boot seconds: gA $(guest_boot_seconds gA), gB $(guest_boot_seconds gB) ($(guest_accel))"

port_json() {  # HOST PORT PYTHON-EXPR over p
    yardctl_on "$1" ports --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$2'][0]; v=($3); print(v); sys.exit(0 if v else 1)"
}
port_drop() {  # HOST PORT REASON: the count (0 when absent)
    port_json "$1" "$2" "p['counters']['drops'].get('$3', 0) or '0'" 2>/dev/null || echo 0
}
wait_uplink_up() {
    local deadline=$((SECONDS + 10))
    while [ $SECONDS -lt $deadline ]; do port_json "$1" fabric100 "p['state']=='up'" >/dev/null 2>&1 && return 0; sleep 0.2; done
    port_json "$1" fabric100 "p['state']"; return 1
}
for h in $HOSTS; do check "host $h: yardctl ports shows the uplink fabric100 up" wait_uplink_up $h; done

pings() { guest_run "$1" "ping -c 3 -W 2 $2 || ping -c 3 -W 2 $2" 30; }
wait_ping() {  # GUEST IP SECONDS
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do guest_run "$1" "ping -c 1 -W 1 $2" 10 >/dev/null && return 0; sleep 0.5; done
    echo "$1 got no answer from $2 within $3 s"; return 1
}
check "gA (host A) pings gB (host B) across the fabric" wait_ping gA "${GIP[B]}" 30
ping_ok=$?  # the positive control of the unanswered ping below
check "gB (host B) pings gA (host A) across the fabric" pings gB "${GIP[A]}"
check "a full-size packet (1500-byte IP, 1472 bytes of data) crosses: the overlay carries MTU 1500" \
    eval "guest_run gA 'ping -c 2 -W 2 -s 1472 ${GIP[B]}' 30 | grep -q '1480 bytes from'"
rtt=$(guest_run gA "ping -c 10 -i 0.2 ${GIP[B]}" 30 | sed -n 's/.*min\/avg\/max = \([0-9.\/]*\).*/\1/p')
note "ping gA -> gB across the fabric, RTT min/avg/max ms: ${rtt:-?} ($(guest_accel) guests)"

fdb_has() {  # HOST PORT VLAN MAC
    local table; table=$(yardctl_on "$1" fdb show) || { echo "yardctl fdb show on $1 failed"; return 1; }
    printf '%s\n' "$table"
    awk -v p="$2" -v v="$3" -v m="$4" '$1==p && $2==v && tolower($3)==m {found=1} END {exit !found}' <<<"$table"
}
fdb_lacks() {  # HOST PORT VLAN MAC: only when the table was read
    local table; table=$(yardctl_on "$1" fdb show) || { echo "yardctl fdb show on $1 failed"; return 1; }
    printf '%s\n' "$table"
    ! awk -v p="$2" -v v="$3" -v m="$4" '$1==p && $2==v && tolower($3)==m {found=1} END {exit !found}' <<<"$table"
}
check "host A: yardctl fdb show lists gB's MAC on the uplink fabric100 in VLAN 10" fdb_has A fabric100 10 "${MAC[B]}"
check "host B: yardctl fdb show lists gA's MAC on the uplink fabric100 in VLAN 10" fdb_has B fabric100 10 "${MAC[A]}"
check "host A: yardctl fdb show lists its own guest gA on vm1 in VLAN 10" fdb_has A vm1 10 "${MAC[A]}"

vxlan_has() {  # HOST MAC VTEP: zebra installed MAC on $VX towards VTEP (a type-2 route arrived)
    local fdb; fdb=$(in_ns "$1" bridge fdb show dev $VX) || return 1
    printf '%s\n' "$fdb"
    grep -Eq "^$2 dst $3 .*extern_learn" <<<"$fdb"
}
check "host A: the kernel VXLAN FDB has gB's MAC with host B's VTEP 10.255.0.2 as dst (type-2)" vxlan_has A "${MAC[B]}" "${VTEP[B]}"
check "host B: the kernel VXLAN FDB has gA's MAC with host A's VTEP 10.255.0.1 as dst (type-2)" vxlan_has B "${MAC[A]}" "${VTEP[A]}"
note "host A's zebra on gB's MAC: $(vtysh_on A -c "show evpn mac vni 100 mac ${MAC[B]}" 2>/dev/null | grep -E 'Remote VTEP|Sync|Seq' | tr -s ' ' | paste -sd ';')"

# Convergence: the first time the MAC shows on its own host's bridge port (the bridge learned it
# from the guest's frame, and zebra advertises it) to the first time it shows on the other host's
# VXLAN device with that host's VTEP as dst (bgpd received the type-2 route, zebra installed it).
mon_first() {  # LOG REGEX: the epoch time of the first event matching REGEX
    awk -v re="$2" '/^Timestamp:/ { ts = $2 " " $3 " " $4 " " $5 " " $6; us = $7; next }
                   $0 ~ re { print ts "|" us; exit }' "$1" | {
        IFS='|' read -r ts us || exit 1
        printf '%s.%06d\n' "$(date -d "$ts" +%s)" "$us"
    }
}
converged() {  # MAC-OWNER-HOST OTHER-HOST
    local mac=${MAC[$1]} learned installed
    learned=$(mon_first "$SY_RUN_DIR/fdb-monitor-$1.log" "^$mac dev $BPORT .*master $BR") ||
        { echo "no learn event of $mac on host $1's $BPORT" >&2; cat "$SY_RUN_DIR/fdb-monitor-$1.log" >&2; return 1; }
    installed=$(mon_first "$SY_RUN_DIR/fdb-monitor-$2.log" "^$mac dev $VX dst ${VTEP[$1]} ") ||
        { echo "no install event of $mac on host $2's $VX" >&2; cat "$SY_RUN_DIR/fdb-monitor-$2.log" >&2; return 1; }
    awk -v a="$installed" -v b="$learned" 'BEGIN { printf "%.3f\n", a - b; exit !(a >= b) }' >"$SY_RUN_DIR/converged-$1"
}
check "gA's MAC, learned on host A's bridge, then reaches host B's VXLAN FDB (bridge monitor events)" converged A B &&
    note "remote MAC convergence gA -> host B: $(cat "$SY_RUN_DIR/converged-A") s from host A's bridge learning it to host B's zebra installing it"
check "gB's MAC, learned on host B's bridge, then reaches host A's VXLAN FDB (bridge monitor events)" converged B A &&
    note "remote MAC convergence gB -> host A: $(cat "$SY_RUN_DIR/converged-B") s from host B's bridge learning it to host A's zebra installing it"

# --- VLAN mapping: what comes from the fabric joins VLAN 10 untagged, tagged frames stay out -------
# Host B's bridge device sends raw frames into its bridge: flooded to the VXLAN device (head-end
# replication to host A) and delivered by host A's bridge to Switchyard A's uplink.
fabric_send() {  # DST SRC VLAN COUNT (from host B's bridge)
    in_ns B python3 - "$BR" "$@" <<'PY'
import socket, struct, sys
iface, dst, src, vlan, count = sys.argv[1:6]
mac = lambda t: bytes(int(x, 16) for x in t.split(":"))
head = mac(dst) + mac(src) + (struct.pack("!HH", 0x8100, int(vlan)) if int(vlan) else b"")
frame = head + b"\x88\xb5" + bytes(60 - len(head) - 2)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
print(sum(s.send(frame) > 0 for _ in range(int(count))))
PY
}
tagged_dropped() {
    local before after sent
    before=$(port_drop A fabric100 vlan-tagged-on-access)
    sent=$(fabric_send ff:ff:ff:ff:ff:ff $BLASTMAC 20 20) || { echo "the generator failed"; return 1; }
    [ "$sent" = 20 ] || { echo "the generator sent $sent of 20 frames"; return 1; }
    local deadline=$((SECONDS + 5))
    while [ $SECONDS -lt $deadline ]; do
        after=$(port_drop A fabric100 vlan-tagged-on-access)
        [ $((after - before)) -ge 20 ] && break
        sleep 0.2
    done
    echo "vlan-tagged-on-access on host A's fabric100: $before -> $after"
    [ $((after - before)) -ge 20 ]
}
check "20 frames tagged VLAN 20 sent into host B's bridge cross the fabric and are dropped at host A's uplink as vlan-tagged-on-access" tagged_dropped
tagged_ok=$?
# Only means something if the tagged frames did reach host A's uplink (the check above).
tagged_not_learned() {
    [ "$tagged_ok" = 0 ] || { echo "the tagged frames were not seen at host A's uplink: nothing to show"; return 1; }
    fdb_lacks A fabric100 20 $BLASTMAC && fdb_lacks A fabric100 10 $BLASTMAC
}
check "host A: the tagged frames' source is not learned (no VLAN 20 entry, no VLAN 10 entry)" tagged_not_learned
untagged_learned() {
    local sent deadline=$((SECONDS + 5))
    sent=$(fabric_send ff:ff:ff:ff:ff:ff $BLASTMAC 0 5) && [ "$sent" = 5 ] || { echo "the generator sent '$sent' of 5"; return 1; }
    while [ $SECONDS -lt $deadline ]; do fdb_has A fabric100 10 $BLASTMAC >/dev/null && return 0; sleep 0.2; done
    fdb_has A fabric100 10 $BLASTMAC
}
check "positive control: the same source sending untagged through the fabric is learned on host A's uplink in VLAN 10" untagged_learned

# --- the control plane carries the path: host B's bgpd stopped, then started again ----------------
# Positive control of the withdrawal: the routes are there just before host B's bgpd stops.
vxlan_has A "${MAC[B]}" "${VTEP[B]}" >/dev/null; present=$?
t_down=$(now)
sy_kill_pid "$(cat "$SY_RUN_DIR/bgpd-B.pid")"
withdrawn() {
    local deadline=$((SECONDS + 15)) fdb
    [ "$present" = 0 ] || { echo "gB's MAC was not on host A's $VX before bgpd stopped: nothing to withdraw"; return 1; }
    while [ $SECONDS -lt $deadline ]; do
        fdb=$(in_ns A bridge fdb show dev $VX) || return 1
        grep -q "dst ${VTEP[B]}" <<<"$fdb" || { printf '%s\n' "$fdb"; return 0; }
        sleep 0.1
    done
    printf '%s\n' "$fdb"; return 1
}
check "with host B's bgpd stopped, host A withdraws gB's MAC and host B's flood entry from $VX" withdrawn &&
    note "withdrawal: host B's routes gone from host A's $VX $(since "$t_down") s after its bgpd was stopped (a NOTIFICATION ends the session at once)"
unanswered() {
    [ "$ping_ok" = 0 ] || { echo "gA never reached gB in this run: an unanswered ping shows nothing"; return 1; }
    guest_ping_unanswered gA "-c 3 -W 1 ${GIP[B]}"
}
check "with host B's bgpd stopped, gA's pings to gB go unanswered (the same ping worked above)" unanswered
t_up=$(now)
start_bgpd B
back() {
    local deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ]; do
        in_ns A bridge fdb show dev $VX | grep -Eq "^${MAC[B]} dst ${VTEP[B]} " && return 0
        sleep 0.05
    done
    in_ns A bridge fdb show dev $VX; return 1
}
check "host B's bgpd started again: gB's MAC is back on host A's $VX" back &&
    note "recovery: gB's MAC back on host A $(since "$t_up") s after host B's bgpd was started (start, session, updates)"
check "the session is established again" wait_established 30
check "gA reaches gB again" wait_ping gA "${GIP[B]}" 20

for h in $HOSTS; do
    check "host $h: switchyard is still running after all of the above" sy_pid_alive "$(cat "$(sy_dir $h)/switchyard.pid")"
done
note "host A fabric100: $(port_json A fabric100 "f\"rx {p['counters']['rxFrames']} tx {p['counters']['txFrames']} drops {p['counters']['drops'] or 'none'}\"" 2>&1)"
if [ "$SY_FAILED" != 0 ]; then
    for h in $HOSTS; do echo "[fabric] last lines of switchyard $h:" >&2; tail -n 15 "$(sy_dir $h)/switchyard.log" >&2; done
fi
check_summary
