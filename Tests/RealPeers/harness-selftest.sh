#!/bin/bash
# harness-selftest.sh — proves the real-peer harness (lib/) with DPDK testpmd's own vhost back-end
# (net_vhost, io forwarding = a wire) standing in for Switchyard:
#
#   g1 ──v0.sock── port 0 ┐                              ┌ port 2 ── g3.sock ── g3 (QEMU is the
#                         sw (testpmd net_vhost, io: ports 0<->1, 2<->3)       socket server, 2 queues)
#   g2 ──v1.sock── port 1 ┘                              └ port 3 ── vu.sock ── tp (testpmd virtio-user)
#
# One switch process: each testpmd forwarding core busy-polls a whole CPU.
# Checks print one PASS/FAIL line each; the summary is "N passed, M failed"; exit status 1 on failure.
# Needs root. SY_KEEP_LOGS=1 keeps the run directory for inspection.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/qemu.sh"
. "$HERE/lib/testpmd.sh"

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

[ "$(id -u)" = 0 ] || { fail "harness needs root (run as root)"; finish; }
sy_init || { fail "run directory"; finish; }
D=$SY_RUN_DIR
t_start=$SECONDS

check "guest image is built or cached" guest_image_ensure
check "hugepages for virtio-user are available" testpmd_hugepages_ensure 256
[ "$failed" -eq 0 ] || finish

# The back-ends listen before the clients start (QEMU 7.2 with reconnect=1 still gives up at start-up
# when the socket does not exist yet).
sw_start() {
    testpmd_vhost_args "sy-sw-$$" "$D/v0.sock,queues=2" "$D/v1.sock,queues=2" \
        "$D/g3.sock,client=1,queues=2" "$D/vu.sock,queues=2"
    testpmd_start sw "${SY_TP_ARGS[@]}" -- --forward-mode=io --rxq=2 --txq=2 -a
    testpmd_wait_ready sw 60
}
check "stand-in switch (testpmd net_vhost) starts" sw_start
[ "$failed" -eq 0 ] || finish

t_boot=$SECONDS
guest_boot g1 52:54:00:5e:00:01 "$D/v0.sock" client "sy.ip=10.0.0.1/24"
guest_boot g2 52:54:00:5e:00:02 "$D/v1.sock" client "sy.ip=10.0.0.2/24 sy.vlan=10:10.0.10.2/24"
SY_GUEST_QUEUES=2 SY_GUEST_SMP=1 guest_boot g3 52:54:00:5e:00:03 "$D/g3.sock" server "sy.ip=10.0.1.3/24"
# QEMU as server waits in its netdev set-up until sw's port 2 (client=1, retrying) connects.
for g in g1 g2 g3; do
    check "guest $g boots (parallel with the others)" guest_wait_ready "$g" 150
done
echo "     boot to shell: g1 $(guest_boot_seconds g1)s, g2 $(guest_boot_seconds g2)s," \
     "g3 $(guest_boot_seconds g3)s; all three ready after $((SECONDS - t_boot))s (accel $(guest_accel))"
[ "$failed" -eq 0 ] || finish

# --- guest_run itself ---------------------------------------------------------------------------
out=$(guest_run g1 "echo 'it'\"'\"'s' \"\$((6*7))\"; exit 7"); rc=$?
check "guest_run returns output and exit status" [ "$out" = "it's 42" ] && [ "$rc" = 7 ]
out=$(guest_run g1 "printf 'no newline'"); rc=$?
check "guest_run keeps output without a trailing newline" [ "$out" = "no newline" ] && [ "$rc" = 0 ]
out=$(guest_run g1 "sleep 10" 1); rc=$?
check "guest_run times a hung command out and the shell survives" \
    [ "$rc" != 0 ] && [ "$(guest_run g1 'echo alive')" = alive ]

# --- two guests through the stand-in switch -----------------------------------------------------
ping_ok() { # GUEST DEST
    local o; o=$(guest_run "$1" "ping -c 3 -W 2 $2" 15) || { echo "$o" | tail -n 3; return 1; }
    echo "     $1 -> $2: $(echo "$o" | grep -o 'round-trip.*')"
}
check "g1 pings g2" ping_ok g1 10.0.0.2
check "g2 pings g1" ping_ok g2 10.0.0.1

iperf_ok() {
    local o rate
    guest_run g2 "iperf3 -s -D -1 >/tmp/iperf3-s.log 2>&1" 10 || return 1
    sleep 0.5
    o=$(guest_run g1 "iperf3 -c 10.0.0.2 -t 3 -f m" 30) || { echo "$o" | tail -n 5; return 1; }
    rate=$(echo "$o" | awk '/receiver/ {print $(NF-2), $(NF-1)}')
    [ -n "$rate" ] || { echo "$o" | tail -n 5; return 1; }
    echo "     iperf3 TCP g1 -> g2, 3 s: $rate"
}
check "iperf3 TCP g1 -> g2 for 3 s" iperf_ok

vlan_ok() {
    guest_run g1 "ip link add link eth0 name eth0.10 type vlan id 10 && ip link set eth0.10 up &&
                  ip addr add 10.0.10.1/24 dev eth0.10" 10 || return 1
    ping_ok g1 10.0.10.2 && ping_ok g2 10.0.10.1
}
check "VLAN 10 sub-interfaces (runtime on g1, boot-time sy.vlan on g2) ping" vlan_ok

# --- back-end restart: QEMU (client, reconnect=1) must come back -----------------------------------
reconnect_ok() {
    testpmd_stop sw
    sw_start || return 1
    local i
    for i in $(seq 10); do
        guest_run g1 "ping -c 1 -W 1 10.0.0.2" 5 >/dev/null && { echo "     ping back after ~${i} tries"; return 0; }
    done
    return 1
}
check "guests reconnect after the back-end restarts (QEMU client role)" reconnect_ok

# --- testpmd virtio-user <-> guest g3 (QEMU server role, 2 queue pairs) ---------------------------
testpmd_virtio_user_args "sy-vu-$$" "$D/vu.sock" 02:00:00:00:00:aa "" 2
testpmd_start tp "${SY_TP_ARGS[@]}" -- --rxq=2 --txq=2 --forward-mode=rxonly
check "virtio-user testpmd front-end starts" testpmd_wait_ready tp 60

check "g3 runs 2 queue pairs (ethtool -L combined 2)" \
    guest_run g3 "ethtool -L eth0 combined 2 && ethtool -l eth0 | tail -n 2 | grep -q 'Combined:.*2'" 10

stat_rx() { guest_run g3 "cat /sys/class/net/eth0/statistics/rx_packets"; }
vu_to_guest_ok() {
    local before after
    before=$(stat_rx) || return 1
    testpmd_cmd tp "set eth-peer 0 52:54:00:5e:00:03" >/dev/null
    testpmd_cmd tp "set fwd txonly" >/dev/null
    testpmd_cmd tp "start" >/dev/null
    sleep 1
    testpmd_cmd tp "stop" >/dev/null
    after=$(stat_rx) || return 1
    echo "     g3 rx_packets $before -> $after"
    [ "$after" -gt $((before + 100)) ]
}
check "virtio-user txonly frames reach guest g3" vu_to_guest_ok

guest_to_vu_ok() {
    local before after
    testpmd_cmd tp "set fwd rxonly" >/dev/null
    testpmd_cmd tp "start" >/dev/null
    before=$(testpmd_port_stat tp 0 RX-packets)
    # A static neighbour entry lets ping send at once (no ARP round) to the virtio-user MAC.
    guest_run g3 "ip neigh replace 10.0.1.99 lladdr 02:00:00:00:00:aa dev eth0 &&
                  ping -c 20 -i 0.05 -W 1 -w 8 10.0.1.99" 12 >/dev/null
    sleep 0.5
    after=$(testpmd_port_stat tp 0 RX-packets)
    testpmd_cmd tp "stop" >/dev/null
    echo "     virtio-user RX-packets $before -> $after"
    [ -n "$before" ] && [ -n "$after" ] && [ "$after" -ge $((before + 20)) ]
}
check "guest g3 frames reach virtio-user (show port stats)" guest_to_vu_ok

for g in g1 g2 g3; do guest_stop "$g"; done
for t in tp sw; do testpmd_stop "$t"; done
echo "     total time $((SECONDS - t_start))s"
finish
