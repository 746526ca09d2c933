#!/usr/bin/env bash
# EVPN for the native vxlan port (docs/evpn-mirror.md, "The native port"; docs/vxlan-ports.md):
# two hosts as network namespaces, each with its own Switchyard, FRR and QEMU guest on VLAN 10.
#   evnA-<pid>  underlay evnu 10.255.0.1/24 (MTU 1550); Switchyard A: vm1 (guest gA 10.0.10.1),
#               vm2 (empty until the moved guest gM comes), vx100 (native vxlan, VNI 100, local
#               10.255.0.1, no static remotes, learn-remotes: false), `evpn:` VNI 100 <-> VLAN 10
#               on the mirror Deploy/evpn-mirror/mirror-setup.sh made (evnbr100, evnvx100
#               dstport 4790, evnve100 with its peer down); zebra + bgpd.
#   evnB-<pid>  the same with 10.255.0.2, vm1 = guest gB 10.0.10.2.
# FRR on both: iBGP l2vpn evpn, advertise-all-vni (Deploy/evpn-fabric/frr-config.sh). The data goes
# vx100 <-> vx100 on UDP 4789; the mirrors only carry routes into and out of the daemons.
# A poller (yardctl fdb show / evpn --json on both hosts every 0.1 s) logs every change with its
# time: the convergence times below come from it.
# Checks: BGP up (timed); each host's flood list holds the other VTEP (type-3), each guest's MAC in
# the other host's `yardctl evpn` with its VTEP (timed from its first sight on its own host); the
# guests ping across (RTT); `yardctl fdb show` lists the remote guest on vx100 with its VTEP; the
# mirrors' VXLAN devices carry nothing while the guests ping (the native ports' counters move); an
# underlay datagram from an address outside the flood list is dropped vxlan-remote-not-allowed (the
# same datagram from B's VTEP is received); MAC mobility: gB stopped, gM started on host A with gB's
# MAC and IP: gA reaches it and B's `yardctl evpn` has the MAC behind A's VTEP (both timed).
# Everything (namespaces, FRR, daemons, guests, /run/frr/evn*) goes at exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh
. Tests/RealPeers/lib/netns.sh
. Tests/RealPeers/lib/frr.sh
sy_init

HOSTS="A B"
declare -A NS VTEP PEER MAC GIP
NS[A]=evnA-$$ NS[B]=evnB-$$
VTEP[A]=10.255.0.1 VTEP[B]=10.255.0.2 PEER[A]=10.255.0.2 PEER[B]=10.255.0.1
MAC[A]=52:54:00:e7:0a:0a MAC[B]=52:54:00:e7:0a:0b
GIP[A]=10.0.10.1 GIP[B]=10.0.10.2
UNDERLAY=evnu BR=evnbr100 VX=evnvx100 MPORT=evnve100
STRANGER=10.255.0.3 PROBEMAC=02:e7:00:00:0c:01
sy_dir() { echo "$SY_RUN_DIR/evn$1"; }
evn_cleanup() { local h; for h in $HOSTS; do rm -rf "$(frr_dir $h)"; done; }
trap 'sy_cleanup; netns_cleanup; evn_cleanup' EXIT
trap 'sy_cleanup; netns_cleanup; evn_cleanup; trap - INT; kill -INT $$' INT
trap 'sy_cleanup; netns_cleanup; evn_cleanup; trap - TERM; kill -TERM $$' TERM

# --- two hosts, underlay, a mirror on each ----------------------------------------------------------
# A second address on host B's underlay: a sender outside every flood list (check 4).
setup "hosts ${NS[A]} and ${NS[B]} joined by an underlay veth ($UNDERLAY, 10.255.0.1 <-> .2, MTU 1550; B also $STRANGER)" \
    eval 'hosts_underlay && in_ns B ip addr add "$STRANGER/24" dev "$UNDERLAY"'
for h in $HOSTS; do
    setup "host $h: Deploy/evpn-mirror/mirror-setup.sh up (mirror $VX VNI 100 local ${VTEP[$h]} dstport 4790 in $BR, port $MPORT)" \
        in_ns $h Deploy/evpn-mirror/mirror-setup.sh up --local "${VTEP[$h]}" --vni 100 --bridge $BR --vxlan $VX --port $MPORT
done

# --- FRR (as in 70-evpn-fabric.sh) -----------------------------------------------------------------
for h in $HOSTS; do setup "host $h: FRR configuration in $(frr_dir $h)" frr_files $h; done
for h in $HOSTS; do setup "host $h: zebra -N ${NS[$h]} -P 0" start_zebra $h; done

# --- Switchyard on each host: guest ports, the native vxlan port, the mirror ------------------------
sy_yaml() {
    local h=$1 d; d=$(sy_dir "$h")
    mkdir -p "$d" || return 1
    cat >"$d/switchyard.yaml" <<YAML
switch:
  socket-directory: $d
  control-socket: $d/control.sock
ports:
  - { name: vm1, type: vhost-user, socket: vm1.sock, vlan: { access: 10 } }
  - { name: vm2, type: vhost-user, socket: vm2.sock, vlan: { access: 10 } }
  # No remotes: the flood list is FRR's (type-3), and only its VTEPs may send (learn-remotes: false).
  - name: vx100
    type: vxlan
    vni: 100
    local: ${VTEP[$h]}
    underlay-mtu: 1550
    learn-remotes: false
    vlan: { access: 10 }
evpn:
  - { vni: 100, vlan: 10, bridge: $BR, vxlan: $VX, port: $MPORT }
YAML
    "$SY_SWITCHYARD" --check-config "$d/switchyard.yaml"
}
for h in $HOSTS; do
    check "host $h: the YAML (vm1, vm2, vx100 vni 100 local ${VTEP[$h]} learn-remotes false, evpn VNI 100) passes --check-config" sy_yaml $h
    check "host $h: switchyard starts in ${NS[$h]}" sy_start_on $h
done

# The poller: every 0.1 s, both hosts' FDB (port, MAC, VTEP) and EVPN state (remote MAC -> VTEP,
# flood list), each fact logged with the time it appeared (+) and went (-).
cat >"$SY_RUN_DIR/poller.py" <<'PY'
import json, subprocess, sys, time
yardctl, log = sys.argv[1], sys.argv[2]
hosts = dict(h.split("=", 1) for h in sys.argv[3:])
def facts(h, sock):
    out = set()
    try:
        fdb = json.loads(subprocess.run([yardctl, "--socket", sock, "fdb", "show", "--json"], capture_output=True, timeout=5).stdout)
        for e in fdb["fdb"]["entries"]:
            out.add(f"{h} fdb {e['port']} {e['mac'].lower()} {e.get('vtep') or '-'}")
        ev = json.loads(subprocess.run([yardctl, "--socket", sock, "evpn", "--json"], capture_output=True, timeout=5).stdout)
        ev = ev["evpn"] if isinstance(ev, dict) else ev
        for m in ev:
            for r in m["remoteMACs"]: out.add(f"{h} remote {r['mac'].lower()} {r['vtep']}")
            for v in m["floodList"]: out.add(f"{h} flood {v}")
    except Exception:
        out.add(f"{h} error")
    return out
# Each host's facts carry the time its own reading began (not the cycle's).
seen = {h: set() for h in hosts}
with open(log, "a", buffering=1) as f:
    while True:
        start = time.time()
        for h, sock in hosts.items():
            t = time.time(); now = facts(h, sock)
            for x in sorted(now - seen[h]): f.write(f"+ {t:.3f} {x}\n")
            for x in sorted(seen[h] - now): f.write(f"- {t:.3f} {x}\n")
            seen[h] = now
        time.sleep(max(0, 0.1 - (time.time() - start)))
PY
POLL=$SY_RUN_DIR/poller.log
: >"$POLL"
python3 "$SY_RUN_DIR/poller.py" "$SY_YARDCTL" "$POLL" "A=$(sy_dir A)/control.sock" "B=$(sy_dir B)/control.sock" \
    </dev/null >"$SY_RUN_DIR/poller.err" 2>&1 &
sy_track $! poller
first_seen() {  # SIGN REGEX [AFTER]: the time of the first poller line "SIGN time FACT" with FACT matching
    awk -v s="$1" -v re="$2" -v after="${3:-0}" '$1==s && $2 >= after { f=$3; for (i=4; i<=NF; i++) f=f " " $i; if (f ~ re) { print $2; exit } }' "$POLL"
}
delta() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.2f", a - b }'; }

start_bgpd A
t_bgp=$(now)
start_bgpd B
check "the iBGP session (l2vpn evpn) between 10.255.0.1 and 10.255.0.2 is established" wait_for 30 established &&
    note "BGP up: Established on both ends $(since "$t_bgp") s after the second bgpd started"

evpn_json() {  # HOST PYTHON-EXPR over m (VNI 100's entry of yardctl evpn --json)
    yardctl_on "$1" evpn --json | python3 -c "import json,sys
d=json.load(sys.stdin); e=d['evpn'] if isinstance(d, dict) else d
m=[x for x in e if x['vni']==100][0]; v=($2); print(v); sys.exit(0 if v else 1)"
}
flood_has_peer() { evpn_json "$1" "'${PEER[$1]}' in m['floodList']"; }
for h in $HOSTS; do
    check "host $h: yardctl evpn shows the other VTEP ${PEER[$h]} in VNI 100's flood list (type-3)" wait_for 15 flood_has_peer $h
done
t_flood=$(first_seen + "^A flood ${VTEP[B]}$")
note "flood lists: B's VTEP in A's yardctl evpn $(delta "$t_flood" "$t_bgp") s after the second bgpd started, A's in B's $(delta "$(first_seen + "^B flood ${VTEP[A]}$")" "$t_bgp") s"

# --- the guests ---------------------------------------------------------------------------------------
for h in $HOSTS; do guest_boot g$h "${MAC[$h]}" "$(sy_dir $h)/vm1.sock" client "sy.ip=${GIP[$h]}/24"; done
for h in $HOSTS; do check "guest g$h boots on host $h's Switchyard (vm1)" guest_wait_ready g$h 240; done
note "boot seconds: gA $(guest_boot_seconds gA), gB $(guest_boot_seconds gB) ($(guest_accel))"

# 1. Each guest's MAC, learned on its host's vm1, reaches the other host as a type-2 route: the
# daemon writes it into its mirror bridge (tick <= 1 s), zebra advertises it, the other zebra
# installs it on its mirror VXLAN device, the other daemon follows it (and feeds vx100, tick).
remote_has() { evpn_json "$1" "any(r['mac']=='$2' and r['vtep']=='$3' for r in m['remoteMACs'])"; }
pings() { guest_run "$1" "ping -c 3 -W 2 $2 || ping -c 3 -W 2 $2" 30; }
wait_ping() {  # GUEST IP SECONDS
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do guest_run "$1" "ping -c 1 -W 1 $2" 10 >/dev/null && return 0; sleep 0.2; done
    echo "$1 got no answer from $2 within $3 s"; return 1
}
for h in $HOSTS; do
    o=B; [ $h = B ] && o=A
    check "host $o: yardctl evpn shows g$h's MAC ${MAC[$h]} as remote behind VTEP ${VTEP[$h]} (type-2)" \
        wait_for 30 remote_has $o "${MAC[$h]}" "${VTEP[$h]}"
done
for h in $HOSTS; do
    o=B; [ $h = B ] && o=A
    t_local=$(first_seen + "^$h fdb vm1 ${MAC[$h]} ")
    t_remote=$(first_seen + "^$o remote ${MAC[$h]} ${VTEP[$h]}$")
    t_vx=$(first_seen + "^$o fdb vx100 ${MAC[$h]} ${VTEP[$h]}$")
    # The FDB entry on vx100 may come first: a frame the guest floods reaches the other host from
    # a flood-listed VTEP and is learned there with that VTEP; the route then pins it.
    note "type-2 convergence g$h -> host $o: $(delta "$t_remote" "$t_local") s from its MAC on host $h's vm1 to host $o's yardctl evpn; on host $o's vx100 with the VTEP after $(delta "$t_vx" "$t_local") s (poller, 0.1 s period)"
done

# 2. Pings across, the remote MACs in yardctl fdb show on vx100 with their VTEP.
check "gA (host A) pings gB (host B) across the native ports" wait_ping gA "${GIP[B]}" 30
ping_ok=$?
check "gB (host B) pings gA (host A)" pings gB "${GIP[A]}"
vtep_row() {  # HOST MAC VTEP: the fdb show row of MAC on vx100, VLAN 10, ending in VTEP
    local table; table=$(yardctl_on "$1" fdb show) || { echo "yardctl fdb show on $1 failed"; return 1; }
    printf '%s\n' "$table"
    awk -v m="$2" -v v="$3" '$1=="vx100" && $2==10 && tolower($3)==m && $NF==v {f=1} END {exit !f}' <<<"$table"
}
check "host A: yardctl fdb show lists gB's MAC on vx100 with VTEP ${VTEP[B]}" vtep_row A "${MAC[B]}" "${VTEP[B]}"
check "host B: yardctl fdb show lists gA's MAC on vx100 with VTEP ${VTEP[A]}" vtep_row B "${MAC[A]}" "${VTEP[A]}"

# 3. The mirrors carried no data while the guests pinged; the native ports did.
port_number() {  # HOST PORT PYTHON-EXPR over p: a number (0 when missing)
    yardctl_on "$1" ports --json 2>/dev/null | python3 -c "import json,sys
try: p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$2'][0]; print(int($3))
except Exception: print(0)"
}
mirror_counters() { in_ns "$1" cat /sys/class/net/$VX/statistics/rx_packets /sys/class/net/$VX/statistics/tx_packets | paste -sd ' '; }
native_counters() { echo "$(port_number "$1" vx100 "p['counters']['rxFrames']") $(port_number "$1" vx100 "p['counters']['txFrames']")"; }
declare -A M0 M1 N0 N1
for h in $HOSTS; do M0[$h]=$(mirror_counters $h) N0[$h]=$(native_counters $h); done
rtt=$(guest_run gA "ping -c 10 -i 0.2 ${GIP[B]}" 30 | sed -n 's/.*min\/avg\/max = \([0-9.\/]*\).*/\1/p')
for h in $HOSTS; do M1[$h]=$(mirror_counters $h) N1[$h]=$(native_counters $h); done
note "ping gA -> gB through the native ports, RTT min/avg/max ms: ${rtt:-?} ($(guest_accel) guests)"
native_moved() {  # HOST: rx and tx of vx100 each moved by the 10 requests/replies
    echo "host $1 vx100 rx/tx frames: ${N0[$1]} -> ${N1[$1]}"
    [ $(( ${N1[$1]% *} - ${N0[$1]% *} )) -ge 10 ] && [ $(( ${N1[$1]#* } - ${N0[$1]#* } )) -ge 10 ]
}
native_ok=0
for h in $HOSTS; do
    check "positive control: host $h's native vx100 received and sent >= 10 frames during the 10 pings" native_moved $h || native_ok=1
done
mirror_still() {
    [ "$native_ok" = 0 ] || { echo "the native ports carried nothing: the mirrors' counters say nothing"; return 1; }
    echo "host $1 mirror $VX rx/tx packets: ${M0[$1]} -> ${M1[$1]}"; [ "${M0[$1]}" = "${M1[$1]}" ]
}
for h in $HOSTS; do check "host $h's mirror $VX carried no data: rx/tx packets unchanged during the pings" mirror_still $h; done
note "mirror $VX rx/tx packets: A ${M0[A]} -> ${M1[A]}, B ${M0[B]} -> ${M1[B]}; native vx100 rx/tx frames: A ${N0[A]} -> ${N1[A]}, B ${N0[B]} -> ${N1[B]}"

# 4. An underlay datagram (VNI 100, a broadcast inner frame from $PROBEMAC) to A's vx100 from an
# address outside the flood list is refused; the same bytes from B's VTEP are taken.
datagram_from() {  # SOURCE-ADDRESS
    in_ns B python3 -c "import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0))
s.sendto(bytes.fromhex(sys.argv[2]), ('${VTEP[A]}', 4789))" "$1" \
        "0800000000006400ffffffffffff${PROBEMAC//:/}88b5$(printf '00%.0s' $(seq 1 46))"
}
wait_above() {  # SECONDS BEFORE COMMAND...: until COMMAND prints a number above BEFORE
    local deadline=$((SECONDS + $1)) before=$2 n; shift 2
    while [ $SECONDS -lt $deadline ]; do n=$("$@"); [ "$n" -gt "$before" ] && { echo "$before -> $n"; return 0; }; sleep 0.1; done
    echo "still $n (was $before)"; return 1
}
refused_drop() { port_number A vx100 "p['counters']['drops'].get('vxlan-remote-not-allowed', 0)"; }
refused_rx() { port_number A vx100 "p['counters']['rxFrames']"; }
stranger_refused() {
    local d0 r0; d0=$(refused_drop) r0=$(refused_rx)
    datagram_from "$STRANGER" || return 1
    wait_above 5 "$d0" refused_drop || return 1
    local table; table=$(yardctl_on A fdb show) || { echo "yardctl fdb show on A failed"; return 1; }
    ! grep -qi "$PROBEMAC" <<<"$table" || { printf '%s\n' "$table"; return 1; }
}
check "a datagram from $STRANGER (not in A's flood list) is dropped vxlan-remote-not-allowed on A's vx100, its source not learned" stranger_refused
vtep_accepted() {
    local r0 d0; r0=$(refused_rx) d0=$(refused_drop)  # rx may also move by the guests' own frames: the learned source is the proof
    datagram_from "${VTEP[B]}" || return 1
    wait_above 5 "$r0" refused_rx || return 1
    echo "vxlan-remote-not-allowed $d0 -> $(refused_drop)"; [ "$(refused_drop)" = "$d0" ] || return 1
    wait_for 3 vtep_row A "$PROBEMAC" "${VTEP[B]}"
}
check "positive control: the same datagram from B's VTEP ${VTEP[B]} is received on A's vx100 and its source learned behind ${VTEP[B]}" vtep_accepted

# 5. MAC mobility: gB stops on host B, gM (gB's MAC and IP) starts on host A's vm2. B's switch
# forgets the MAC (port down), B's daemon stops advertising it, A unpins it; gM's first frame
# teaches A's switch the MAC on vm2, A's daemon advertises it, B's zebra installs it behind A's VTEP.
# Positive control of the move: gB's MAC was remote behind B's VTEP on host A (check 1).
remote_has A "${MAC[B]}" "${VTEP[B]}" >/dev/null; was_remote=$?
t_stop=$(now)
guest_stop gB
withdrawn() {
    [ "$was_remote" = 0 ] || { echo "gB's MAC was not remote on A before: nothing to withdraw"; return 1; }
    evpn_json A "'${MAC[B]}' not in [r['mac'] for r in m['remoteMACs']] and '${VTEP[B]}' in m['floodList']"
}
check "gB stopped: host A's yardctl evpn no longer has its MAC as remote (B's flood entry stays)" wait_for 15 withdrawn &&
    note "withdrawal: gB's MAC gone from A's yardctl evpn $(since "$t_stop") s after gB was stopped"
t_boot=$(now)
guest_boot gM "${MAC[B]}" "$(sy_dir A)/vm2.sock" client "sy.ip=${GIP[B]}/24"
# gA pings gB's address until the moved guest answers: the first answer's time.
reach_moved() {
    local deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        guest_run gA "ping -c 1 -W 1 ${GIP[B]}" 10 >/dev/null && { now >"$SY_RUN_DIR/t-reached"; return 0; }
        sleep 0.1
    done
    echo "gA got no answer from ${GIP[B]} (now gM on host A)"; return 1
}
check "gA reaches gB's address again, now gM on host A's vm2" reach_moved
t_reached=$(cat "$SY_RUN_DIR/t-reached" 2>/dev/null)
check "guest gM (gB's MAC) boots on host A's Switchyard (vm2)" guest_wait_ready gM 240
check "host B: yardctl evpn shows gB's MAC behind A's VTEP ${VTEP[A]} (moved)" wait_for 15 remote_has B "${MAC[B]}" "${VTEP[A]}"
check "host B: yardctl fdb show lists it on vx100 with VTEP ${VTEP[A]}" wait_for 5 vtep_row B "${MAC[B]}" "${VTEP[A]}"
check "host A: yardctl fdb show lists it on vm2 (local), not on vx100" \
    eval "yardctl_on A fdb show | awk '\$1==\"vm2\" && tolower(\$3)==\"${MAC[B]}\" {f=1} \$1==\"vx100\" && tolower(\$3)==\"${MAC[B]}\" {v=1} END {exit !(f && !v)}'"
check "gM answers gA's pings" pings gA "${GIP[B]}"
t_learned=$(first_seen + "^A fdb vm2 ${MAC[B]} " "$t_boot")
t_moved=$(first_seen + "^B remote ${MAC[B]} ${VTEP[A]}$" "$t_boot")
t_movedfdb=$(first_seen + "^B fdb vx100 ${MAC[B]} ${VTEP[A]}$" "$t_boot")
note "MAC move: gM booted in $(guest_boot_seconds gM) s; its MAC first on A's vm2 $(delta "$t_learned" "$t_boot") s after its boot began"
note "MAC move: gA's first answer from gM $(delta "$t_reached" "$t_learned") s after A's switch learned the MAC on vm2 ($(delta "$t_reached" "$t_stop") s after gB stopped, boot included)"
note "MAC move: B's yardctl evpn has it behind A's VTEP $(delta "$t_moved" "$t_learned") s after that; B's FDB on vx100 with A's VTEP after $(delta "$t_movedfdb" "$t_learned") s"

for h in $HOSTS; do
    check "host $h: switchyard is still running after all of the above" sy_pid_alive "$(cat "$(sy_dir $h)/switchyard.pid")"
done
if [ "$SY_FAILED" != 0 ]; then
    for h in $HOSTS; do echo "[evn] last lines of switchyard $h:" >&2; tail -n 15 "$(sy_dir $h)/switchyard.log" >&2; done
    echo "[evn] poller log (last 40):" >&2; tail -n 40 "$POLL" >&2
fi
check_summary
