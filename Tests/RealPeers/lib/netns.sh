# netns.sh — a network namespace playing an outside host, joined to the root namespace by a veth pair.
# Source it (bash) after common.sh, and call netns_trap_cleanup after sy_init (it wraps sy_cleanup).
#
#   netns_create NS HOST_IF NS_IF   creates namespace NS and a veth pair: HOST_IF stays in the root
#                                   namespace (up, no address), NS_IF moves into NS (up; lo up too)
#   netns_exec NS COMMAND...        runs COMMAND inside NS
#   netns_spawn NS WHAT LOG COMMAND...
#                                   starts COMMAND inside NS in the background, tracked for cleanup
#                                   (sy_track); prints its pid
#   netns_cleanup                   kills what still runs in the namespaces we created, deletes them
#                                   and the host ends of their veth pairs
#   netns_trap_cleanup              EXIT/INT/TERM run netns_cleanup after sy_cleanup
#
# The namespaces and interfaces are kept in shell variables, not in $SY_RUN_DIR (sy_cleanup removes
# that), so netns_create must run in the main shell, not in $(...).

[ -n "${SY_NETNS_SOURCED:-}" ] && return 0
SY_NETNS_SOURCED=1

SY_NETNS_CREATED=()
SY_NETNS_HOST_LINKS=()

netns_create() {
    local ns=$1 host_if=$2 ns_if=$3
    [ -n "$ns" ] && [ -n "$host_if" ] && [ -n "$ns_if" ] || {
        echo "usage: netns_create NS HOST_IF NS_IF" >&2; return 2; }
    ip netns add "$ns" || return 1
    SY_NETNS_CREATED+=("$ns")
    # The peer is created directly inside the namespace: it never appears in the root namespace,
    # where another prober (NetworkManager, udev rules) could touch it.
    ip link add "$host_if" type veth peer name "$ns_if" netns "$ns" || return 1
    SY_NETNS_HOST_LINKS+=("$host_if")
    # No IPv6 on either end: router solicitations and MLD reports would otherwise show up in
    # counters and forwarding tables of whatever is attached.
    sysctl -qw "net.ipv6.conf.$host_if.disable_ipv6=1"
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ns_if.disable_ipv6=1"
    ip link set "$host_if" up || return 1
    ip -n "$ns" link set lo up || return 1
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
    local ns link pid
    for ns in "${SY_NETNS_CREATED[@]}"; do
        # Only processes inside a namespace this suite created: ours by construction.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do sy_kill_pid "$pid"; done
        ip netns del "$ns" 2>/dev/null
    done
    for link in "${SY_NETNS_HOST_LINKS[@]}"; do
        # Deleting the namespace destroys the peer and with it the pair; this covers a pair whose
        # peer never made it into the namespace.
        ip link show "$link" >/dev/null 2>&1 && ip link del "$link" 2>/dev/null
    done
    SY_NETNS_CREATED=()
    SY_NETNS_HOST_LINKS=()
    return 0
}

netns_trap_cleanup() {
    trap 'sy_cleanup; netns_cleanup' EXIT
    trap 'sy_cleanup; netns_cleanup; trap - INT; kill -INT $$' INT
    trap 'sy_cleanup; netns_cleanup; trap - TERM; kill -TERM $$' TERM
}
