#!/usr/bin/env bash
# Runs Deploy/switchyard.service under a real systemd (PID 1 of a throw-away systemd-nspawn
# container: the host's /usr, a tmpfs /etc and /run, a private network) and checks what a unit
# file alone cannot show (docs/deploy.md): the sandboxed daemon starts, `systemctl start` returns
# only once the sockets listen (Type=notify), reload works and a broken file fails the reload
# while the old config keeps running, an uplink works with CAP_NET_RAW + CAP_NET_ADMIN and fails
# without either, a tap port works (/dev/net/tun in the private /dev), the live exposure score, and a clean stop. Needs root and systemd-container.
#   [UNIT=FILE] Deploy/check-unit-systemd.sh [BIN-DIR]   (default .build/release, else .build/debug)
# Prints one line per check and `N passed, M failed`; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
command -v systemd-nspawn >/dev/null || { echo "needs systemd-nspawn: apt-get install systemd-container"; exit 1; }
bin="${1:-.build/release}"; [ -x "$bin/switchyard" ] || bin=.build/debug
work="$(mktemp -d /tmp/switchyard-nspawn.XXXXXX)"
machine="sy-check-$$"
mkdir -p "$work/bin" "$work/usrlocal"
cp "$bin/switchyard" "$bin/yardctl" "$work/bin/"
# The container's /etc: a copy of the host's with a libvirt-qemu user and without any Switchyard
# install, so Deploy/install.sh runs as on a fresh machine.
cp -a /etc "$work/etc"
rm -rf "$work/etc/switchyard" "$work/etc/machine-id"
sed -i '/^switchyard:/d' "$work/etc/group" "$work/etc/gshadow" 2>/dev/null
grep -q '^libvirt-qemu:' "$work/etc/passwd" || {
    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin' >> "$work/etc/passwd"
    echo 'libvirt-qemu:x:64055:' >> "$work/etc/group"
}
swift_libs=()
lib="$(ldd "$work/bin/switchyard" | sed -n 's/.*libswiftCore.so => \(.*\)\/usr\/lib\/swift\/linux\/libswiftCore.so.*/\1/p')"
[ -n "$lib" ] && [ "${lib#/usr}" = "$lib" ] && swift_libs=(--bind-ro="$lib")
systemd-nspawn -D / --volatile=yes --private-network -M "$machine" --register=no --keep-unit \
    "${swift_libs[@]}" --bind="$work/etc:/etc" --bind="$work/usrlocal:/usr/local" \
    --bind-ro="$PWD:/src" --bind-ro="$work/bin:/src-bin" \
    -b systemd.firstboot=off systemd.unit=sysinit.target </dev/null >"$work/console.log" 2>&1 &
nspawn=$!
cleanup() {
    [ -n "${pid1:-}" ] && nsenter -t "$pid1" -a systemctl poweroff >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
    kill "$nspawn" 2>/dev/null; wait "$nspawn" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
pid1=""
for _ in $(seq 100); do
    pid1="$(pgrep -P "$nspawn" | head -1)"
    [ -n "$pid1" ] && [ "$(cat /proc/$pid1/comm 2>/dev/null)" = systemd ] && \
        nsenter -t "$pid1" -a systemctl is-active sysinit.target >/dev/null 2>&1 && break
    pid1=""; sleep 0.3
done
[ -n "$pid1" ] || { echo "container did not boot:"; tail -20 "$work/console.log"; exit 1; }
ct() { nsenter -t "$pid1" -a "$@"; }
passed=0; failed=0
check() {
    local out
    if out="$(eval "$2" 2>&1)"; then echo "PASS $1"; passed=$((passed+1))
    else echo "FAIL $1"; [ -n "$out" ] && echo "$out" | tail -5 | sed 's/^/     /'; failed=$((failed+1)); fi
}
show() { ct systemctl show switchyard -p "$1" --value; }

# Install as an admin would: group, libvirt-qemu in it, tmpfiles, default config, enabled unit.
check "Deploy/install.sh (BIN_DIR=build) installs and enables the unit" \
    'ct env BIN_DIR=/src-bin /src/Deploy/install.sh && [ "$(ct systemctl is-enabled switchyard)" = enabled ]'
check "group switchyard exists with libvirt-qemu in it" 'ct getent group switchyard | grep -q ":libvirt-qemu$"'
check "tmpfiles made /run/switchyard before the first start" 'ct test -d /run/switchyard'
check "default /etc/switchyard/switchyard.yaml installed" 'ct test -f /etc/switchyard/switchyard.yaml'
if [ -n "${UNIT:-}" ]; then cp "$UNIT" "$work/usrlocal/lib/systemd/system/switchyard.service"; ct systemctl daemon-reload; fi
config="$work/etc/switchyard/switchyard.yaml"

# Start: returns only after READY=1, so the sockets are there the moment it returns.
check "systemctl start switchyard returns with the sockets listening" \
    'ct systemctl start switchyard && ct test -S /run/switchyard/vm1.sock && ct test -S /run/switchyard/vm2.sock && ct test -S /run/switchyard/control.sock'
check "active (running), STATUS= from the daemon" '[ "$(show SubState)" = running ] && show StatusText | grep -q "2 ports configured"'
check "socket directory root:root 0755" '[ "$(ct stat -c %U:%G:%a /run/switchyard)" = root:root:755 ]'
# libvirt's QEMU user reaches the sockets through group switchyard (socket-access, docs/connections.md);
# a user outside the group does not. Only when this build's default config carries socket-access.
connect_as() { ct setpriv --reuid="$1" --regid="$1" --init-groups python3 -c \
    "import socket; socket.socket(socket.AF_UNIX).connect('/run/switchyard/vm1.sock')"; }
if grep -q '^  socket-access:' "$config"; then
    check "vm1.sock is root:switchyard 0660" '[ "$(ct stat -c %U:%G:%a /run/switchyard/vm1.sock)" = root:switchyard:660 ]'
    check "libvirt-qemu (in group switchyard) connects to vm1.sock" 'connect_as libvirt-qemu'
    check "nobody (not in the group) cannot" '! connect_as nobody'
else
    echo "NOTE this build has no socket-access: sockets stay root:root, libvirt-qemu cannot connect"
fi
# Why no CAP_CHOWN: with the unit's supplementary group and bounding set (setpriv here), root may chgrp its own
# socket to `switchyard` (a group it is in) but not to another group.
chgrp_as_unit() { ct setpriv --groups switchyard --bounding-set -all,+net_raw,+net_admin --inh-caps -all \
    --no-new-privs python3 -c \
    "import os, socket, grp; p='/run/sy-chgrp.sock'; os.path.exists(p) and os.unlink(p); socket.socket(socket.AF_UNIX).bind(p); os.lchown(p, 0, grp.getgrnam('$1').gr_gid)"; }
check "sandboxed root chgrps a socket to switchyard without CAP_CHOWN" 'chgrp_as_unit switchyard'
check "... but not to a group it is not in (libvirt-qemu)" '! chgrp_as_unit libvirt-qemu'
check "yardctl talks to it" 'ct yardctl ports | grep -q "vm1 .*listening"'
check "capabilities: cap_net_admin,cap_net_raw only; NoNewPrivs; seccomp" \
    'ct sh -c "grep -q \"^CapBnd:.*0000000000003000\" /proc/\$(systemctl show -p MainPID --value switchyard)/status && grep -q \"^NoNewPrivs:.*1\" /proc/\$(systemctl show -p MainPID --value switchyard)/status && grep -q \"^Seccomp:.*2\" /proc/\$(systemctl show -p MainPID --value switchyard)/status"'
score="$(ct systemd-analyze security switchyard --no-pager 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
check "systemd-analyze security (live): exposure $score <= 2.0" 'awk -v s="$score" "BEGIN { exit !(s != \"\" && s <= 2.0) }"'

# Reload: a new port appears; a broken file fails `systemctl reload` and changes nothing.
cp "$config" "$work/good.yaml"
printf '  - { name: vm3, type: vhost-user, socket: vm3.sock, vlan: { access: 1 } }\n' >> "$config"
check "systemctl reload adds a port" 'ct systemctl reload switchyard && ct test -S /run/switchyard/vm3.sock && show StatusText | grep -q "3 ports"'
printf 'ports:\n  - { name: vm1, type: vhost-user, sockt: vm1.sock }\n' > "$config"
check "a broken file fails systemctl reload" '! ct systemctl reload switchyard'
check "... and the previous config keeps running" '[ "$(show SubState)" = running ] && ct test -S /run/switchyard/vm3.sock'
cp "$work/good.yaml" "$config"
check "kill -HUP outside systemctl: reloaded, unit back to running" \
    'ct sh -c "kill -HUP \$(systemctl show -p MainPID --value switchyard)" && sleep 1 && [ "$(show SubState)" = running ] && ! ct test -e /run/switchyard/vm3.sock'

# Uplink in the sandbox: AF_PACKET, link up, promiscuous; and each capability is needed.
ct ip link add syckA type veth peer name syckB && ct ip link set syckB up
printf '  - { name: up0, type: uplink, interface: syckA, vlan: { access: 1 } }\n' >> "$config"
check "uplink up and promiscuous under the sandbox" \
    'ct systemctl reload switchyard && sleep 1 && ct yardctl ports | grep -q "up0 .*uplink  *up" && ct ip -d link show syckA | grep -q "promiscuity 1"'
for cap in CAP_NET_RAW CAP_NET_ADMIN; do
    ct sh -c "mkdir -p /etc/systemd/system/switchyard.service.d && printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=$cap\n' > /etc/systemd/system/switchyard.service.d/only.conf && systemctl daemon-reload && systemctl restart switchyard"
    sleep 1
    check "with $cap alone the uplink fails (the other one is needed)" 'ct yardctl ports | grep -q "up0 .*error"'
done
ct sh -c 'rm -r /etc/systemd/system/switchyard.service.d && systemctl daemon-reload && systemctl restart switchyard'
# A tap port in the sandbox: the private /dev has /dev/net/tun and nothing else beyond the basics.
printf '  - { name: tp0, type: tap, interface: sycktap, vlan: { access: 1 } }\n' >> "$config"
check "tap port up under the sandbox (/dev/net/tun bound into its private /dev)" \
    'ct systemctl reload switchyard && sleep 1 && ct yardctl ports | grep -q "tp0 .*tap  *up" && ct ip link show sycktap >/dev/null'
# Metrics (docs/metrics.md): the unit alone forbids AF_INET, so `switch.metrics` fails the start and
# says what to install; with Deploy/switchyard-metrics.conf it serves /metrics on loopback.
sed -i '/^switch:/a\  metrics: { listen: "127.0.0.1:9469" }' "$config"
scrape() { ct python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9469/metrics', timeout=5).read().decode())"; }
check "metrics without the drop-in: the start fails and the journal names the drop-in" \
    '! ct systemctl restart switchyard && ct journalctl -u switchyard --no-pager | grep -q "install the metrics drop-in"'
ct sh -c 'mkdir -p /etc/systemd/system/switchyard.service.d && cp /src/Deploy/switchyard-metrics.conf /etc/systemd/system/switchyard.service.d/metrics.conf && systemctl daemon-reload && systemctl reset-failed switchyard'
check "metrics with Deploy/switchyard-metrics.conf: /metrics on 127.0.0.1:9469 lists the ports" \
    'ct systemctl restart switchyard && scrape | grep -q "^switchyard_port_rx_frames_total{port=\"vm1\"} 0$"'
check "stop: clean exit, sockets removed, promiscuity restored, the tap it created gone" \
    'ct systemctl stop switchyard && [ "$(show Result)" = success ] && ! ct test -e /run/switchyard/vm1.sock && ct ip -d link show syckA | grep -q "promiscuity 0" && ! ct ip link show sycktap 2>/dev/null'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
