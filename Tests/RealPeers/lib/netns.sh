# netns.sh — a network namespace playing an outside host, joined to the root namespace by a veth pair.
# Source it (bash) after common.sh, and call netns_trap_cleanup after sy_init (it wraps sy_cleanup).
#
#   netns_create NS HOST_IF NS_IF   creates namespace NS and a veth pair: HOST_IF stays in the root
#                                   namespace (up, no address), NS_IF moves into NS (up; lo up too)
#   netns_add_veth NS HOST_IF NS_IF  the veth pair alone (e.g. again after HOST_IF was deleted)
#   netns_exec NS COMMAND...        runs COMMAND inside NS
#   netns_spawn NS WHAT LOG COMMAND...
#                                   starts COMMAND inside NS in the background, tracked for cleanup
#                                   (sy_track); prints its pid
#   netns_cleanup                   kills what still runs in the namespaces we created, deletes them
#                                   and the host ends of their veth pairs
#   netns_trap_cleanup              EXIT/INT/TERM run netns_cleanup after sy_cleanup
#
# What to remove is listed in $SY_NETNS_STATE, outside $SY_RUN_DIR (sy_cleanup removes that first) and
# named after the main shell's $$, so netns_create also records from a subshell ($(...), `check`).

[ -n "${SY_NETNS_SOURCED:-}" ] && return 0
SY_NETNS_SOURCED=1

SY_NETNS_STATE=${TMPDIR:-/tmp}/sy-netns.$$

netns_create() {
    local ns=$1 host_if=$2 ns_if=$3
    [ -n "$ns" ] && [ -n "$host_if" ] && [ -n "$ns_if" ] || {
        echo "usage: netns_create NS HOST_IF NS_IF" >&2; return 2; }
    ip netns add "$ns" || return 1
    echo "ns $ns" >>"$SY_NETNS_STATE"
    ip -n "$ns" link set lo up || return 1
    netns_add_veth "$ns" "$host_if" "$ns_if"
}

netns_add_veth() {
    local ns=$1 host_if=$2 ns_if=$3
    # The peer is created directly inside the namespace: it never appears in the root namespace,
    # where another prober (NetworkManager, udev rules) could touch it.
    ip link add "$host_if" type veth peer name "$ns_if" netns "$ns" || return 1
    echo "link $host_if" >>"$SY_NETNS_STATE"
    # No IPv6 on either end: router solicitations and MLD reports would otherwise show up in
    # counters and forwarding tables of whatever is attached.
    sysctl -qw "net.ipv6.conf.$host_if.disable_ipv6=1"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ns_if.disable_ipv6=1"
    ip link set "$host_if" up || return 1
    ip -n "$ns" link set "$ns_if" up
}

netns_exec() {
    local ns=$1; shift
    ip netns exec "$ns" "$@"
}

netns_spawn() {
    local ns=$1 what=$2 log=$3; shift 3
    # `ip netns exec` execs COMMAND after setns, so $! is COMMAND's own pid.
    ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
    sy_track $! "$what" || return 1
    echo $!
}

netns_cleanup() {
    local kind name pid
    [ -f "$SY_NETNS_STATE" ] || return 0
    while read -r kind name; do
        [ "$kind" = ns ] || continue
        # Only processes inside a namespace this suite created: ours by construction.
        for pid in $(ip netns pids "$name" 2>/dev/null); do sy_kill_pid "$pid"; done
        ip netns del "$name" 2>/dev/null
    done <"$SY_NETNS_STATE"
    while read -r kind name; do
        # Deleting the namespace destroys the peer and with it the pair; this covers a pair whose
        # peer never made it into the namespace.
        [ "$kind" = link ] && ip link show "$name" >/dev/null 2>&1 && ip link del "$name" 2>/dev/null
    done <"$SY_NETNS_STATE"
    rm -f "$SY_NETNS_STATE"
    return 0
}

netns_trap_cleanup() {
    trap 'sy_cleanup; netns_cleanup' EXIT
    trap 'sy_cleanup; netns_cleanup; trap - INT; kill -INT $$' INT
    trap 'sy_cleanup; netns_cleanup; trap - TERM; kill -TERM $$' TERM
}
