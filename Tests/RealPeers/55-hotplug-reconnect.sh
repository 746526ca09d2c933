#!/usr/bin/env bash
# Memory hot-plug and reconnect with ring state, with real QEMU guests
# (docs/memory-hotplug-and-reconnect.md). Two guests, booted once:
#   g1  access 10, started with -m 256M,slots=4,maxmem=1G (SY_GUEST_MAXMEM): DIMMs are plugged into it
#       over the QEMU monitor (object_add memory-backend-memfd + device_add pc-dimm) while g2 pings it
#   g2  access 10, the pinger
#   g3  access 10, virtio-net-pci packed=on: a packed-ring guest, which pings g1 across the restarts too
# Both are QEMU socket clients with reconnect=1: Switchyard is stopped (SIGTERM) and killed (SIGKILL)
# under running pings and they come back with their rings where guest memory says they are (split) or
# where the port's ring journal says (packed: QEMU re-sends a stale base; docs/memory-hotplug-and-reconnect.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh
sy_init

MAC1=52:54:00:55:00:01 MAC2=52:54:00:55:00:02 MAC3=52:54:00:55:00:03
IP1=10.0.55.1 IP2=10.0.55.2 IP3=10.0.55.3
LOG=$SY_RUN_DIR/switchyard.log

cat >"$SY_RUN_DIR/switchyard.yaml" <<YAML
switch:
  socket-directory: $SY_RUN_DIR
  control-socket: $SY_RUN_DIR/control.sock
  log: { level: info }
ports:
  - { name: hp1, type: vhost-user, socket: hp1.sock, vlan: { access: 10 } }
  - { name: hp2, type: vhost-user, socket: hp2.sock, vlan: { access: 10 } }
  - { name: hp3, type: vhost-user, socket: hp3.sock, vlan: { access: 10 } }
YAML

check "switchyard starts" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
SY_GUEST_MAXMEM=1G guest_boot g1 $MAC1 "$SY_RUN_DIR/hp1.sock" client "sy.ip=$IP1/24"
guest_boot g2 $MAC2 "$SY_RUN_DIR/hp2.sock" client "sy.ip=$IP2/24"
guest_boot g3 $MAC3 "$SY_RUN_DIR/hp3.sock" client "sy.ip=$IP3/24" "packed=on"
for g in g1 g2 g3; do check "guest $g boots with its virtio-net device on Switchyard" guest_wait_ready $g 180; done
note "boot seconds: g1 $(guest_boot_seconds g1), g2 $(guest_boot_seconds g2), g3 $(guest_boot_seconds g3) ($(guest_accel))"
pings() { guest_run "$1" "ping -c 3 -W 2 $2 || ping -c 3 -W 2 $2" 30; }
check "g2 pings g1" pings g2 $IP1
check "g3 (packed ring) pings g1" pings g3 $IP1

# --- helpers ---------------------------------------------------------------------------------
port_field() {  # PORT PYTHON-EXPR over p (the port object of yardctl ports --json)
    yardctl ports --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; v=($2); print(v); sys.exit(0 if v else 1)"
}
regions() { port_field hp1 "len(p.get('memoryRegions') or [])"; }
# Waits (deadline) until hp1 has N memory regions.
wait_regions() {
    local n=$1 deadline=$((SECONDS + ${2:-30}))
    while [ $SECONDS -lt $deadline ]; do [ "$(regions 2>/dev/null)" = "$n" ] && return 0; sleep 0.5; done
    echo "hp1 has $(regions) regions, not $n"; return 1
}
# HMP prints nothing when object_add / device_add succeed.
monitor_ok() {
    local out; out=$(guest_monitor "$1" "$2")
    [ -z "$out" ] || { echo "$2: $out"; return 1; }
}
# Onlines every offline memory block of g1 (busybox has no udev) as kernel or movable memory.
online_blocks() {
    guest_run g1 "n=0; for m in /sys/devices/system/memory/memory*; do [ \"\$(cat \$m/state)\" = offline ] || continue; echo $1 >\$m/state && n=\$((n+1)); done; echo onlined \$n" 30
}
mem_total() { guest_run g1 "awk '/MemTotal/ {print \$2}' /proc/meminfo" 10; }
# A ping from g2 (or GUEST) to g1 in the background, its output in FILE: COUNT pings every 0.2 s;
# its job's pid in PINGPID (not in $(...): `wait` needs it to be this shell's child).
background_ping() {  # FILE COUNT [GUEST]
    guest_run "${3:-g2}" "ping -c $2 -i 0.2 -W 2 $IP1" $(($2 / 5 + 60)) >"$1" 2>&1 &
    PINGPID=$!
}
ping_stats() { grep -E 'packets transmitted' "$1" || echo "no statistics: $(tail -n 3 "$1" | tr '\n' ' ')"; }
ping_lost() {  # FILE: transmitted - received, or 999 when ping printed no statistics
    awk '/packets transmitted/ {print $1 - $4; found=1} END {if (!found) print 999}' "$1"
}
ping_received() { awk '/packets transmitted/ {print $4; found=1} END {if (!found) print 0}' "$1"; }
dups() { grep -c 'DUP!' "$1"; }

# --- memory hot-plug -------------------------------------------------------------------------
boot_regions=$(regions)
check "yardctl ports --json shows g1's boot memory regions" test "${boot_regions:-0}" -ge 1
note "g1 boot regions: $boot_regions; slots announced in GET_MAX_MEM_SLOTS: 32"
mem_before=$(mem_total)

PINGLOG=$SY_RUN_DIR/ping-hotplug.log
background_ping "$PINGLOG" 100
sleep 3
check "QEMU creates a 256 MiB memfd backend for g1 (object_add)" \
    monitor_ok g1 "object_add memory-backend-memfd,id=mem1,size=256M,share=on"
check "QEMU plugs it into g1 as a DIMM (device_add pc-dimm) while g2 pings g1" \
    monitor_ok g1 "device_add pc-dimm,id=dimm1,memdev=mem1"
check "Switchyard maps the new region (ADD_MEM_REG): hp1 has one region more" wait_regions $((boot_regions + 1))
check "the log names the region and the slots in use" \
    grep -qE 'port=hp1 .*memory region added: GPA 0x[0-9a-f]+, 268435456 bytes; [0-9]+ of 32 slots in use' "$LOG"
wait "$PINGPID"
check "the ping across the hot-plug is answered (at most 2 lost): $(ping_stats "$PINGLOG")" \
    test "$(ping_lost "$PINGLOG")" -le 2

dimm_rx() { port_field hp1 "(p['memoryRegions'][-1]['receiveBuffers'])"; }
# Negative first (its probe, yardctl ports --json with the DIMM's region in it, must work): the DIMM
# is offline in the guest, so none of g1's RX buffers can lie in it yet.
check "before g1 onlines the DIMM, none of its RX buffers lie in it" eval '[ "$(dimm_rx)" = 0 ]'
# Online the DIMM as kernel memory: the guest's page allocator prefers ZONE_NORMAL, which only the
# DIMM has (its 256 MiB of boot RAM are all ZONE_DMA32), so new RX buffers come from it.
check "g1's kernel onlines the DIMM's memory blocks (online_kernel)" online_blocks online_kernel
mem_after=$(mem_total)
check "g1 sees more memory: MemTotal ${mem_before:-?} -> ${mem_after:-?} kB" test "${mem_after:-0}" -gt "$((${mem_before:-0} + 200000))"
guest_run g1 "iperf3 -s -D >/tmp/iperf.log 2>&1" 10
sleep 1
dimm_buffers_used() {
    local deadline=$((SECONDS + 90))
    while [ $SECONDS -lt $deadline ]; do
        guest_run g2 "iperf3 -c $IP1 -t 3" 40 >/dev/null
        local n; n=$(dimm_rx 2>/dev/null)
        [ "${n:-0}" -gt 0 ] 2>/dev/null && return 0
    done
    echo "no RX buffer of g1 in the DIMM: $(yardctl ports --json | python3 -c 'import json,sys; print([x.get("memoryRegions") for x in json.load(sys.stdin)["ports"] if x["name"]=="hp1"])')"
    return 1
}
check "after traffic into g1, its RX buffers lie in the hot-added memory (yardctl ports --json)" dimm_buffers_used
note "g1 regions (GPA, size, RX buffers of the last ring's worth): $(port_field hp1 "[(hex(r['guestPhysicalAddress']), r['size'], r['receiveBuffers']) for r in p['memoryRegions']]")"
check "g2 still pings g1 with its buffers in the new memory" pings g2 $IP1
check "no frame dropped as malformed-descriptor on either port" \
    port_field hp1 "p['counters']['drops'].get('malformed-descriptor', 0) == 0"

# Hot-unplug: a second DIMM onlined as movable memory (the kernel can empty and offline it), then
# device_del: the guest ejects it, QEMU removes the region (REM_MEM_REG).
check "a second DIMM is plugged (object_add + device_add)" eval \
    'monitor_ok g1 "object_add memory-backend-memfd,id=mem2,size=128M,share=on" && monitor_ok g1 "device_add pc-dimm,id=dimm2,memdev=mem2"'
check "Switchyard maps it: hp1 has two regions more than at boot" wait_regions $((boot_regions + 2))
check "g1 onlines it as movable memory" online_blocks online_movable
check "device_del dimm2 is accepted by QEMU" monitor_ok g1 "device_del dimm2"
check "the guest ejects it and Switchyard unmaps it (REM_MEM_REG): hp1 is back to one DIMM" wait_regions $((boot_regions + 1)) 90
check "the log names the removed region" grep -qE 'port=hp1 .*memory region removed: GPA 0x[0-9a-f]+, 134217728 bytes' "$LOG"
check "g2 pings g1 after the unplug" pings g2 $IP1
check "hp1 was never broken by the memory changes" port_field hp1 "p['state'] == 'running' and (p.get('faults') or 0) == 0"

# --- reconnect with ring state ---------------------------------------------------------------
# SIGTERM: every chain the switch took was completed and published before it exits; QEMU's
# GET_VRING_BASE fails on the closed socket, it falls back to the used index, and the rings resume
# there: nothing sent twice (docs/memory-hotplug-and-reconnect.md#reconnect-with-ring-state).
regions_before=$(regions)
PINGLOG=$SY_RUN_DIR/ping-sigterm.log
PACKEDLOG=$SY_RUN_DIR/ping-sigterm-packed.log
background_ping "$PACKEDLOG" 150 g3
PACKEDPID=$PINGPID
background_ping "$PINGLOG" 150
sleep 4
stopped=$(date +%s.%N)
switchyard_stop
check "switchyard restarts after SIGTERM" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
check "QEMU re-sends g1's hot-added memory on reconnect: hp1 has $regions_before regions again" wait_regions "$regions_before" 40
note "SIGTERM to g1's memory mapped again: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $stopped }") s (pings every 0.2 s go into g2's TX ring meanwhile)"
wait "$PINGPID"
check "the ping across the SIGTERM restart is answered again after it: $(ping_stats "$PINGLOG")" \
    test "$(ping_received "$PINGLOG")" -gt 0 -a "$(ping_lost "$PINGLOG")" -lt 150
# The requests g2 queued while the switch was away are still in its TX ring, unprocessed: the rings
# resume at the used index, so they go out (late) instead of being lost.
check "at most 2 of 150 pings lost across the SIGTERM restart: what the guests queued meanwhile was sent after it" \
    test "$(ping_lost "$PINGLOG")" -le 2
check "no duplicate reply across the SIGTERM restart ($(dups "$PINGLOG") DUP!)" test "$(dups "$PINGLOG")" = 0
# The packed guest: QEMU's GET_VRING_BASE failed on the closed socket and a packed ring has no used
# index in guest memory, so QEMU re-sends the base of the ring's first start; without the journal the
# ring never runs again (every ping after the restart lost).
wait "$PACKEDPID"
check "the packed guest g3's ping across the SIGTERM restart: at most 2 of 150 lost: $(ping_stats "$PACKEDLOG")" \
    test "$(ping_lost "$PACKEDLOG")" -le 2
journal_resumes() { grep -c 'port=hp3 .*packed ring [0-9]: resuming at 0x[0-9a-f]* from the ring journal' "$LOG"; }
check "hp3's packed rings resumed from the ring journal ($(journal_resumes) log lines), hp1/hp2 (split) never" \
    eval '[ "$(journal_resumes)" -ge 2 ] && ! grep -qE "port=hp[12] .*from the ring journal" "$LOG"'

PINGLOG=$SY_RUN_DIR/ping-sigkill.log
PACKEDLOG=$SY_RUN_DIR/ping-sigkill-packed.log
background_ping "$PACKEDLOG" 150 g3
PACKEDPID=$PINGPID
background_ping "$PINGLOG" 150
sleep 4
killed=$(date +%s.%N)
switchyard_kill
check "switchyard restarts after SIGKILL (stale sockets replaced)" switchyard_start "$SY_RUN_DIR/switchyard.yaml"
check "after the crash hp1 has $regions_before regions again" wait_regions "$regions_before" 40
note "SIGKILL to g1's memory mapped again: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $killed }") s"
wait "$PINGPID"
check "the ping across the SIGKILL restart is answered again after it: $(ping_stats "$PINGLOG")" \
    test "$(ping_received "$PINGLOG")" -gt 0 -a "$(ping_lost "$PINGLOG")" -lt 150
note "SIGKILL restart: $(ping_lost "$PINGLOG") of 150 pings lost, $(dups "$PINGLOG") duplicate replies (after a kill, chains completed but not yet published are processed again: at most one burst per TX ring)"
wait "$PACKEDPID"
check "the packed guest g3's ping across the SIGKILL restart: at most 2 of 150 lost: $(ping_stats "$PACKEDLOG")" \
    test "$(ping_lost "$PACKEDLOG")" -le 2
note "SIGKILL restart, packed g3: $(ping_lost "$PACKEDLOG") of 150 pings lost, $(dups "$PACKEDLOG") duplicate replies (the journal finishes the batch the kill cut short: no duplicates expected)"
note "rings resumed at the used index after a base mismatch: $(grep -c 'differs from used index' "$LOG") log lines (QEMU sends the used index itself, so usually 0)"
# A TCP stream across a kill: the frames the kill lost or duplicated (at most a burst) are TCP's to
# repair; the stream goes on once the rings resume, and iperf3 reports its end.
IPERFLOG=$SY_RUN_DIR/iperf-sigkill.log
guest_run g2 "iperf3 -c $IP1 -t 10 -f m" 90 >"$IPERFLOG" 2>&1 &
iperfpid=$!
sleep 4
switchyard_kill
switchyard_start "$SY_RUN_DIR/switchyard.yaml"
wait "$iperfpid"
check "an iperf3 TCP stream g2 -> g1 running across a SIGKILL restart completes" \
    eval "grep -q receiver '$IPERFLOG' && ! grep -qi 'error' '$IPERFLOG' || { cat '$IPERFLOG'; false; }"
note "iperf3 across the SIGKILL: $(awk '/receiver/ {print $(NF-4), $(NF-3), "at", $(NF-2), $(NF-1)}' "$IPERFLOG" | tail -1) (the 10 s average, the outage included)"
check "g1 and g2 ping each other after all restarts" eval "pings g1 $IP2 && pings g2 $IP1"
check "g3 (packed) and g2 (split) ping each other after all restarts" eval "pings g3 $IP2 && pings g2 $IP3"
check "both ports running, never broken" eval \
    "port_field hp1 \"p['state'] == 'running' and (p.get('faults') or 0) == 0\" && port_field hp2 \"p['state'] == 'running'\" && port_field hp3 \"p['state'] == 'running' and 'ring_packed' in p['features']\""

check_summary
