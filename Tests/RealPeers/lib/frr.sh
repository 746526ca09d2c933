# Two hosts as network namespaces with FRR (zebra + bgpd), for the multi-host suites (70, 72, 74): two "hosts" A and
# B, each a namespace running its own zebra and bgpd with -N <namespace> -P 0 (docs/evpn-fabric.md).
# The caller sets, before sourcing:
#   HOSTS     "A B"                            UNDERLAY the underlay veth's name on both hosts
#   NS[h]     the namespace of host h          VTEP[h]  its underlay (VTEP) address
#   PEER[h]   the other host's VTEP address    FRR_BIN  (optional) where zebra and bgpd are
# and may use:
#   hosts_underlay [KEY...]  the namespaces NS[h] of $HOSTS (and of the KEYs given, e.g. a guest's),
#                         lo up, the underlay veth between A and B (MTU 1550: a 1500-byte overlay
#                         plus VXLAN's 50; VTEP[h]/24; IPv6 off), and A pinging B over it
#   in_ns H CMD...        CMD in host H's namespace     vtysh_on H ARGS...   vtysh for host H's daemons
#   frr_dir H             host H's FRR directory (config, sockets)
#   frr_files H           writes frr.conf (Deploy/evpn-fabric/frr-config.sh), zebra.conf, vtysh.conf
#   start_zebra H         starts zebra, waits for its zserv.api
#   start_bgpd H          starts bgpd; its pid in $SY_RUN_DIR/bgpd-H.pid
#   bgp_state H PEER      the session's state as host H's bgpd sees it ("none" if unknown)
#   established           both ends Established
#   sy_start_on H         starts Switchyard in host H's namespace on $(sy_dir H)/switchyard.yaml
#                         (sy_dir is the caller's), waits for its control socket; pid in switchyard.pid
#   yardctl_on H ARGS...  yardctl against host H's daemon
#   now / since T         wall clock seconds; seconds since T, two decimals
#   wait_for S CMD...     until CMD succeeds (quietly), at most S seconds, then once more with output
FRR_BIN=${FRR_BIN:-${SY_FRR_BIN:-/usr/lib/frr}}

frr_dir() { echo "/var/run/frr/${NS[$1]}"; }
in_ns() { local h=$1; shift; ip netns exec "${NS[$h]}" "$@"; }
vtysh_on() { local h=$1; shift; in_ns "$h" vtysh -N "${NS[$h]}" --config_dir "$(frr_dir "$h")" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
wait_for() {
    local deadline; deadline=$(awk -v s="$1" -v n="$(now)" 'BEGIN { printf "%.2f", n + s }'); shift
    while awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n < d) }'; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    "$@"
}

hosts_underlay() {
    local h
    for h in $HOSTS "$@"; do
        ip netns add "${NS[$h]}" || return 1
        echo "ns ${NS[$h]}" >>"$SY_NETNS_STATE"   # netns_cleanup kills what runs there and deletes it
        in_ns $h ip link set lo up || return 1
    done
    ip link add "$UNDERLAY" netns "${NS[A]}" type veth peer name "$UNDERLAY" netns "${NS[B]}" || return 1
    for h in $HOSTS; do
        in_ns $h sysctl -qw "net.ipv6.conf.$UNDERLAY.disable_ipv6=1"
        in_ns $h ip link set "$UNDERLAY" mtu 1550 up && in_ns $h ip addr add "${VTEP[$h]}/24" dev "$UNDERLAY" || return 1
    done
    in_ns A busybox ping -c 1 -W 2 "${VTEP[B]}"
}

sy_start_on() {
    local h=$1 d deadline; d=$(sy_dir "$h")
    netns_spawn "${NS[$h]}" "switchyard $h" "$d/switchyard.log" "$SY_SWITCHYARD" --config "$d/switchyard.yaml" >"$d/switchyard.pid"
    deadline=$((SECONDS + 20))
    until [ -S "$d/control.sock" ]; do
        sy_pid_alive "$(cat "$d/switchyard.pid")" || { echo "switchyard $h exited:"; tail -n 20 "$d/switchyard.log"; return 1; }
        [ $SECONDS -lt $deadline ] || { echo "switchyard $h: no control socket"; return 1; }
        sleep 0.1
    done
}
yardctl_on() { local h=$1; shift; "$SY_YARDCTL" --socket "$(sy_dir "$h")/control.sock" "$@"; }

frr_files() {
    local h=$1 d; d=$(frr_dir "$h")
    # The frr service makes /var/run/frr when it starts; if it never ran since boot, make it as it would.
    [ -d /var/run/frr ] || install -d -o frr -g frr -m 0755 /var/run/frr || return 1
    mkdir -p "$d" && chown frr:frr "$d" || return 1
    Deploy/evpn-fabric/frr-config.sh "${VTEP[$h]}" "${PEER[$h]}" --hostname "${NS[$h]}" >"$d/frr.conf" || return 1
    # The recipe's file is FRR's integrated configuration (vtysh hands each daemon its part); run
    # by hand, zebra gets the part before `router bgp` and bgpd the whole file.
    sed '/^router bgp/,$d' "$d/frr.conf" >"$d/zebra.conf"
    : >"$d/vtysh.conf"
    chown frr:frr "$d"/*.conf
}
start_zebra() {
    local h=$1 d deadline; d=$(frr_dir "$h")
    netns_spawn "${NS[$h]}" "zebra $h" "$SY_RUN_DIR/zebra-$h.log" "$FRR_BIN/zebra" -N "${NS[$h]}" -P 0 -f "$d/zebra.conf" >/dev/null
    deadline=$((SECONDS + 20))
    until [ -S "$d/zserv.api" ]; do
        [ $SECONDS -lt $deadline ] || { echo "zebra $h: no zserv.api"; cat "$SY_RUN_DIR/zebra-$h.log"; return 1; }
        sleep 0.1
    done
}
start_bgpd() {
    local h=$1
    netns_spawn "${NS[$h]}" "bgpd $h" "$SY_RUN_DIR/bgpd-$h.log" "$FRR_BIN/bgpd" -N "${NS[$h]}" -P 0 -f "$(frr_dir "$h")/frr.conf" >"$SY_RUN_DIR/bgpd-$h.pid"
}
bgp_state() {
    vtysh_on "$1" -c "show bgp l2vpn evpn summary json" 2>/dev/null | python3 -c "import json,sys
try: print(json.load(sys.stdin)['peers']['$2']['state'])
except Exception: print('none')"
}
established() { [ "$(bgp_state A "${PEER[A]}")" = Established ] && [ "$(bgp_state B "${PEER[B]}")" = Established ]; }
