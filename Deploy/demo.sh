#!/usr/bin/env bash
# The quick tour, live: builds a small guest image from Debian packages (a Debian cloud kernel and a
# busybox initramfs), starts Switchyard with two vhost-user ports and metrics on, boots two QEMU
# guests on them, and shows the guests pinging each other, the FDB, a live capture, `yardctl top`
# and the Prometheus metrics. Everything it starts is stopped when it ends (or on Ctrl-C).
#
#   sudo Deploy/demo.sh          # about 2 minutes with a built tree and a cached image, under TCG
#
# Needs root (QEMU, sockets) on Debian 12 with Swift. It reuses the real-peer test harness
# (Tests/RealPeers/lib: the guest image and the QEMU guests), so the demo and the tests boot the same
# guests; Tests/RealPeers/60-demo.sh runs it and checks what it prints. Exits non-zero when a step
# fails, naming the step.
#   SY_DEMO_METRICS=127.0.0.1:PORT  where /metrics listens (default 127.0.0.1:19469, not the
#                                   production 9469, so a demo beside a running switch works)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "Deploy/demo.sh needs root (QEMU guests, sockets)"; exit 1; fi

. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh
METRICS=${SY_DEMO_METRICS:-127.0.0.1:19469}

step() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
# A failed step ends the demo; background pings are stopped before the run directory goes.
fail() { echo "demo: $*" >&2; kill $(jobs -p) 2>/dev/null; wait; exit 1; }

step "Packages, the guest image and the build"
Tests/system-packages.sh >/dev/null || fail "could not install the packages (Tests/system-packages.sh)"
guest_image_ensure || fail "could not build the guest image"
echo "guest kernel $SY_GUEST_KERNEL"
echo "guest initrd $SY_GUEST_INITRD"
if [ -z "${SY_DEMO_NO_BUILD:-}" ]; then
    swift build -c release --product switchyard >/dev/null && swift build -c release --product yardctl >/dev/null ||
        fail "swift build -c release failed"
fi

sy_init || fail "no run directory"
cat >"$SY_RUN_DIR/demo.yaml" <<EOF
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
  metrics: { listen: "$METRICS" }
ports:
  - { name: vm1, type: vhost-user, socket: vm1.sock, mode: server, vlan: { access: 10 } }
  - { name: vm2, type: vhost-user, socket: vm2.sock, mode: server, vlan: { access: 10 } }
EOF

step "Start Switchyard with two guest ports in VLAN 10"
show "cat demo.yaml"; sed -n '/^ports:/,$p' "$SY_RUN_DIR/demo.yaml"
switchyard_start "$SY_RUN_DIR/demo.yaml" || fail "switchyard did not start"
show "yardctl ports"; yardctl ports || fail "yardctl ports"

step "Boot two QEMU guests (stock Debian kernel, virtio-net over vhost-user)"
echo "QEMU runs under $(guest_accel | tr a-z A-Z); each guest connects to its port's socket"
guest_boot vm1 52:54:00:de:00:01 "$SY_RUN_DIR/vm1.sock" client "sy.name=vm1 sy.ip=10.0.0.1/24" || fail "vm1 did not start"
guest_boot vm2 52:54:00:de:00:02 "$SY_RUN_DIR/vm2.sock" client "sy.name=vm2 sy.ip=10.0.0.2/24" || fail "vm2 did not start"
guest_wait_ready vm1 300 || fail "vm1 did not boot"
guest_wait_ready vm2 300 || fail "vm2 did not boot"
show "yardctl ports"; yardctl ports

step "vm1 pings vm2 through the switch"
show "vm1# ping -c 3 10.0.0.2"
out=$(guest_run vm1 "ping -c 3 -W 5 10.0.0.2" 40) || { echo "$out"; fail "vm1 could not ping vm2"; }
echo "$out"

step "The switch learned both MACs in VLAN 10"
show "yardctl fdb show"; yardctl fdb show || fail "yardctl fdb show"

step "A live capture of vm2's port: ICMP only, 4 frames (the filter runs in the switch)"
guest_run vm1 "ping -c 8 -i 0.5 10.0.0.2 >/dev/null" 40 &
pinger=$!
show "yardctl capture vm2 -c 4 icmp"
timeout 30 "$SY_YARDCTL" --socket "$SY_RUN_DIR/control.sock" capture vm2 -c 4 icmp || fail "yardctl capture failed"
show "yardctl capture vm2 -c 2 -w demo.pcap icmp && tcpdump -nr demo.pcap"
timeout 30 "$SY_YARDCTL" --socket "$SY_RUN_DIR/control.sock" capture vm2 -c 2 -w "$SY_RUN_DIR/demo.pcap" icmp ||
    fail "yardctl capture -w failed"
tcpdump -nr "$SY_RUN_DIR/demo.pcap" 2>/dev/null || fail "tcpdump could not read the capture"
wait "$pinger"

step "yardctl top: per-port rates while vm1 pings vm2 (two frames, 1 s apart)"
guest_run vm1 "ping -c 6 -i 0.2 10.0.0.2 >/dev/null" 40 &
pinger=$!
show "yardctl top -n 2 | cat"; yardctl top -n 2 | cat || fail "yardctl top"
wait "$pinger"

step "Prometheus metrics at http://$METRICS/metrics"
show "curl -s http://$METRICS/metrics | grep -E '^switchyard_port_(rx|tx)_frames'"
curl -sf "http://$METRICS/metrics" | grep -E '^switchyard_port_(rx|tx)_frames' || fail "no port counters at /metrics"

step "Counters and the forwarding loop"
show "yardctl stats"; yardctl stats || fail "yardctl stats"

step "Done: stopping the guests and the switch"
guest_stop vm1; guest_stop vm2
switchyard_stop
echo "demo complete"
