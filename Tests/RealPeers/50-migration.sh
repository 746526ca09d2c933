#!/usr/bin/env bash
# Live migration through Switchyard (docs/dirty-log.md): a QEMU guest m moves between two
# vhost-user ports of one Switchyard, mA and mB, and back, while guest p (port p) pings it.
#   m   access 10, 10.0.50.1   starts on mA; each move starts a destination QEMU with -incoming on
#                              the other port and migrates with QMP (`migrate`, `query-migrate`)
#   p   access 10, 10.0.50.2   pings m through every move; sends it a 32 MiB TCP stream during the
#                              first, and a 20 Mbit/s iperf3 UDP stream during the second
# Checks per move: QMP reports completed (downtime printed), the ping loses at most a few replies,
# `yardctl fdb show` has m's MAC on the new port right after the move, the guest's shell answers on
# the destination. Once: a file written in m before the first move has the same checksum after the
# last one; a TCP stream received while migrating arrives intact (the switch's RX writes into m's
# memory during the move reach the destination only through the dirty log).
# Then the same for a packed-ring guest k (packed=on,mrg_rxbuf=off; ports kA and kB, 10.0.50.3): two
# moves under p's ping (the first under a TCP stream into k, checked end to end), its file's checksum
# kept, its ports negotiated ring_packed.
# Guests boot once. SY_GUEST_MEM defaults to 128 MiB here (TCG migrates every page).
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
. Tests/RealPeers/lib/qemu.sh
. Tests/RealPeers/lib/switchyard.sh
sy_init

export SY_GUEST_MEM=${SY_GUEST_MEM:-128}
MACM=52:54:00:50:00:01 MACP=52:54:00:50:00:02 MACK=52:54:00:50:00:03
IPM=10.0.50.1 IPP=10.0.50.2 IPK=10.0.50.3
MOVES=${SY_MIGRATIONS:-4}
PACKED_MOVES=${SY_PACKED_MIGRATIONS:-2}
# k's virtio-net device: packed rings without mergeable RX buffers (m and p keep both defaults,
# split and mergeable), so k's exchanges with p cover packed <-> split with mergeable off.
KOPTS="packed=on,mrg_rxbuf=off"
MAX_LOST=${SY_MIGRATION_MAX_LOST:-10}
dir=$SY_RUN_DIR

cat >"$dir/switchyard.yaml" <<YAML
switch:
  socket-directory: $dir
  control-socket: $dir/control.sock
  log: { level: info }
ports:
  - { name: mA, type: vhost-user, socket: mA.sock, vlan: { access: 10 } }
  - { name: mB, type: vhost-user, socket: mB.sock, vlan: { access: 10 } }
  - { name: p, type: vhost-user, socket: p.sock, vlan: { access: 10 } }
  - { name: kA, type: vhost-user, socket: kA.sock, vlan: { access: 10 } }
  - { name: kB, type: vhost-user, socket: kB.sock, vlan: { access: 10 } }
YAML

# A QMP client: migrate SRC's QEMU to URI and wait (deadline) for the outcome. Prints
# "completed downtime-ms=D total-ms=T" or the failure.
cat >"$dir/qmp-migrate.py" <<'PY'
import json, socket, sys, time
path, uri, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(path)
f = s.makefile("rw")
def cmd(name, args=None):
    msg = {"execute": name}
    if args: msg["arguments"] = args
    f.write(json.dumps(msg) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r: return r
json.loads(f.readline())
cmd("qmp_capabilities")
# QEMU 7.2 caps migration at 32 MiB/s by default: a local move need not wait for that.
cmd("migrate-set-parameters", {"max-bandwidth": 4 << 30, "downtime-limit": 300})
r = cmd("migrate", {"uri": uri})
if "error" in r:
    print("migrate refused:", r["error"].get("desc")); sys.exit(1)
deadline = time.time() + timeout
status = "?"
while time.time() < deadline:
    q = cmd("query-migrate")["return"]
    status = q.get("status", "?")
    if status == "completed":
        ram = q.get("ram", {})
        print("completed downtime-ms=%s total-ms=%s ram-transferred-mb=%.1f dirty-sync-count=%s" % (
            q.get("downtime"), q.get("total-time"), ram.get("transferred", 0) / 1048576.0, ram.get("dirty-sync-count")))
        sys.exit(0)
    if status in ("failed", "cancelled"):
        print(status, q.get("error-desc", "")); sys.exit(1)
    time.sleep(0.1)
print("no outcome within %ss (status %s)" % (timeout, status)); sys.exit(1)
PY

check "switchyard starts with ports mA, mB, p, kA and kB" switchyard_start "$dir/switchyard.yaml"
SY_GUEST_EXTRA_ARGS="-qmp unix:$dir/m0.qmp.sock,server=on,wait=off" \
    guest_boot m0 $MACM "$dir/mA.sock" client "sy.ip=$IPM/24"
guest_boot p $MACP "$dir/p.sock" client "sy.ip=$IPP/24"
SY_GUEST_EXTRA_ARGS="-qmp unix:$dir/k0.qmp.sock,server=on,wait=off" \
    guest_boot k0 $MACK "$dir/kA.sock" client "sy.ip=$IPK/24" "$KOPTS"
for g in m0 p k0; do check "guest $g boots on Switchyard" guest_wait_ready $g 240; done
note "boot seconds: m0 $(guest_boot_seconds m0), p $(guest_boot_seconds p), k0 $(guest_boot_seconds k0) ($(guest_accel), ${SY_GUEST_MEM} MiB)"

pings() { guest_run "$1" "ping -c 3 -W 2 $2 || ping -c 3 -W 2 $2" 30; }
check "p pings m on port mA before any move" pings p $IPM

# The payload: written in m's memory (tmpfs) before the first move, checked after the last.
SUM_BEFORE=$(guest_run m0 "dd if=/dev/urandom of=/root/blob bs=1024 count=8192 2>/dev/null && md5sum /root/blob" 30 | awk '{print $1}')
setup "m wrote an 8 MiB file and its checksum ($SUM_BEFORE)" test -n "$SUM_BEFORE"

fdb_port_of() { yardctl fdb show | awk -v m="$1" '$3==m {print $1}'; }
# Right after the move: the MAC must be on the new port within a few seconds (the guest's
# announcement or QEMU's SEND_RARP, then its ping replies).
fdb_moves_to() {  # PORT MAC
    local port=$1 mac=$2 deadline=$((SECONDS + 5))
    until [ "$(fdb_port_of "$mac")" = "$port" ]; do
        [ $SECONDS -ge $deadline ] && { echo "$mac is on '$(fdb_port_of "$mac")', not $port"; yardctl fdb show; return 1; }
        sleep 0.1
    done
    yardctl fdb show | grep -i "$mac"
}

# One move: boots NEW as the destination (-incoming) on port DST, runs `before_move N` (streams to
# start), migrates CUR there over QMP under a ping from p, and checks the outcome. MOVE_OK=0 when
# QMP did not report completed.
move_guest() {  # N CUR CURPORT NEW DST MAC IP LABEL [DEVICE_OPTS]
    local n=$1 cur=$2 curport=$3 new=$4 dst=$5 mac=$6 ip=$7 label=$8 opts=${9:-}
    SY_GUEST_EXTRA_ARGS="-qmp unix:$dir/$new.qmp.sock,server=on,wait=off -incoming unix:$dir/mig-$new.sock" \
        guest_boot "$new" "$mac" "$dir/$dst.sock" client "sy.ip=$ip/24" $opts
    waited() { local deadline=$((SECONDS + 30)); until [ -S "$dir/mig-$new.sock" ]; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done; }
    setup "destination QEMU $new listens for the migration on port $dst" waited
    before_move "$n"
    guest_run p "ping -i 0.2 $ip >/tmp/ping-$new.log 2>&1 & echo \$! >/tmp/ping-$new.pid" 10 >/dev/null
    sleep 1
    local out status
    out=$(python3 "$dir/qmp-migrate.py" "$dir/$cur.qmp.sock" "unix:$dir/mig-$new.sock" 120 2>&1)
    status=$?
    echo "$out" >"$dir/$new.result"
    MOVE_OK=1
    check "$label ($curport -> $dst): QMP migrate completes ($out)" test $status = 0
    if [ $status != 0 ]; then guest_console "$new"; MOVE_OK=0; return; fi
    check "$label: yardctl fdb show has the guest's MAC on port $dst right after the move" fdb_moves_to "$dst" "$mac"
    guest_shell_attach "$new"
    shell_ok() { [ "$(guest_run "$new" "echo shell-ok" 20)" = shell-ok ]; }
    check "$label: the guest's shell answers on the destination" shell_ok
    guest_stop "$cur"
    sleep 3
    # A background ping in a non-interactive shell ignores SIGINT, so no statistics line: the
    # replies' sequence numbers tell the losses (gaps between the first and the last reply).
    local seqs received first last sent lost
    seqs=$(guest_run p "kill \$(cat /tmp/ping-$new.pid); grep -o 'seq=[0-9]*' /tmp/ping-$new.log" 10 | tr -d 'seq=' | sort -n)
    received=$(printf '%s\n' "$seqs" | grep -c .)
    first=$(printf '%s\n' "$seqs" | head -n 1) last=$(printf '%s\n' "$seqs" | tail -n 1)
    sent=$(( ${last:-0} - ${first:-0} + 1 ))
    lost=$(( sent - received ))
    TOTAL_LOST=$((TOTAL_LOST + lost))
    note "$label ($curport -> $dst): $out; ping every 0.2 s: replies to seq ${first:-?}..${last:-?}, $received received, $lost lost"
    ping_survives() { [ "$received" -gt 10 ] && [ "$lost" -le "$MAX_LOST" ] &&
        guest_run p "tail -n 3 /tmp/ping-$new.log | grep -q 'bytes from $ip'" 10; }
    check "$label: the ping survives, $lost of $sent replies lost (at most $MAX_LOST)" ping_survives
}

# For the second move: a UDP stream (iperf3 numbers its datagrams). A frame the destination finds
# in an RX buffer whose new contents never reached it (a page the switch wrote but did not log)
# shows up as an old datagram: counted out of order. TCP would drop it as a duplicate unseen.
guest_run m0 "iperf3 -s -D --logfile /root/iperf-s.log" 10 >/dev/null

# A 32 MiB TCP stream from p into GUEST (at IP), still flowing when the move starts. It is generated
# as it is sent (urandom is slow in a TCG guest); p keeps its checksum to compare with.
# nc's stdin must stay open: busybox nc stops reading the socket when its stdin ends. Both
# ends run in their own session (guest_run's timeout would end them after 10 s) and hash the
# stream as it passes: a 128 MiB guest has no room to keep 32 MiB.
start_stream() {  # GUEST IP
    guest_run "$1" "setsid sh -c 'sleep 600 | nc -l -p 5001 | head -c $((32 << 20)) | md5sum >/root/received.md5' </dev/null >/dev/null 2>&1 &" 10 >/dev/null
    sleep 0.5
    guest_run p "rm -f /tmp/sent.fifo; mkfifo /tmp/sent.fifo; (md5sum </tmp/sent.fifo >/root/sent-$1.md5 &); setsid sh -c 'dd if=/dev/urandom bs=1024 count=32768 2>/dev/null | tee /tmp/sent.fifo | nc $2 5001' </dev/null >/tmp/nc.out 2>&1 & echo \$! >/tmp/nc.pid" 10 >/dev/null
    sleep 1
}
# Done when GUEST (now running as NOW) has hashed 32 MiB (deadline-based: TCG is slow).
stream_intact() {  # GUEST NOW
    local deadline=$((SECONDS + 150)) got sent
    until got=$(guest_run "$2" "cat /root/received.md5" 10 | awk '{print $1}'); [ -n "$got" ]; do
        [ $SECONDS -ge $deadline ] && break
        sleep 2
    done
    sent=$(guest_run p "cat /root/sent-$1.md5" 10 | awk '{print $1}')
    echo "received: ${got:-nothing}; sent: ${sent:-nothing}"
    if [ -z "$got" ] || [ "$got" != "$sent" ]; then
        # For a failure: what the sender says, and what the switch dropped.
        guest_run p "cat /tmp/nc.out; kill -0 \$(cat /tmp/nc.pid) && echo sender still running" 10
        yardctl stats | grep -E 'drop|rx:|tx:'
        return 1
    fi
}

# Streams that run through a move of m: a TCP stream through the first, a UDP stream through the second.
before_move() {  # N
    [ "$1" != 1 ] || start_stream m0 $IPM
    if [ "$1" = 2 ]; then
        guest_run p "setsid sh -c 'iperf3 -u -b 20M -l 1000 -t 8 -c $IPM' </dev/null >/tmp/iperf-c.log 2>&1 &" 10 >/dev/null
        sleep 2
    fi
    return 0
}

cur=m0 curport=mA
TOTAL_LOST=0
for n in $(seq 1 "$MOVES"); do
    if [ "$curport" = mA ]; then dst=mB; else dst=mA; fi
    move_guest "$n" "$cur" "$curport" "m$n" "$dst" $MACM $IPM "move $n"
    [ "$MOVE_OK" = 1 ] || break
    cur=m$n curport=$dst
done

check "the TCP stream (32 MiB) m received while migrating has the sender's checksum" stream_intact m0 "$cur"
file_intact() {
    local after; after=$(guest_run "$cur" "md5sum /root/blob" 30 | awk '{print $1}')
    echo "after $MOVES moves: $after"
    [ "$after" = "$SUM_BEFORE" ]
}
check "the file m wrote before the first move has the same checksum after the last" file_intact
udp_in_order() {
    [ "$MOVES" -ge 2 ] || { echo "needs at least two moves"; return 1; }
    local deadline=$((SECONDS + 60))
    until guest_run p "grep -q 'iperf Done' /tmp/iperf-c.log" 10; do
        [ $SECONDS -ge $deadline ] && { guest_run p "cat /tmp/iperf-c.log" 10; return 1; }
        sleep 1
    done
    local log; log=$(guest_run "$cur" "cat /root/iperf-s.log" 10)
    printf '%s\n' "$log" | grep -E 'receiver|out-of-order|Lost/Total' | tail -n 4
    # The probe worked: the server reported a receiver line with datagrams received.
    printf '%s\n' "$log" | grep -Eq '[0-9]+/[0-9]+ \(.*\).*receiver' || { echo "no receiver report"; return 1; }
    ! printf '%s\n' "$log" | grep -Eq '[1-9][0-9]* datagrams received out-of-order'
}
check "a UDP stream received while migrating (move 2) has no datagram out of order" udp_in_order
check "p pings m after the last move" pings p $IPM
note "pings lost over $MOVES moves: $TOTAL_LOST; per move: $(for n in $(seq 1 "$MOVES"); do cat "$dir/m$n.result" 2>/dev/null | awk '{print $2}'; done | tr '\n' ' ')"

# --- a packed-ring guest (docs/packed-rings.md): GET/SET_VRING_BASE carry the wrap counters ---
port_packed() {  # PORT: running with ring_packed negotiated
    yardctl ports --json | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['ports'] if x['name']=='$1'][0]; sys.exit(0 if p['state']=='running' and 'ring_packed' in p['features'] else 1)"
}
check "k0 negotiated packed rings on kA; m's port (split) did not" eval "port_packed kA && ! port_packed $curport"
no_mergeable() {  # kA without mrg_rxbuf, p with it (positive control)
    yardctl ports --json | python3 -c "import json,sys; q={x['name']: x['features'] for x in json.load(sys.stdin)['ports']}; sys.exit(0 if 'mrg_rxbuf' not in q['kA'] and 'mrg_rxbuf' in q['p'] else 1)"
}
check "kA negotiated no mergeable RX buffers; p (split) did" no_mergeable
check "p pings the packed guest k before it moves" pings p $IPK
KSUM_BEFORE=$(guest_run k0 "dd if=/dev/urandom of=/root/blob bs=1024 count=4096 2>/dev/null && md5sum /root/blob" 30 | awk '{print $1}')
setup "k wrote a 4 MiB file and its checksum ($KSUM_BEFORE)" test -n "$KSUM_BEFORE"
# The first packed move under a TCP stream into k: its RX ring's writes reach the destination only
# through the dirty log (packed: the used descriptors in the descriptor ring, docs/dirty-log.md).
before_move() { [ "$1" != 1 ] || start_stream k0 $IPK; }
kcur=k0 kport=kA
PACKED_LOST_BEFORE=$TOTAL_LOST
for n in $(seq 1 "$PACKED_MOVES"); do
    if [ "$kport" = kA ]; then dst=kB; else dst=kA; fi
    move_guest "$n" "$kcur" "$kport" "k$n" "$dst" $MACK $IPK "packed move $n" "$KOPTS"
    [ "$MOVE_OK" = 1 ] || break
    check "packed move $n: port $dst runs packed rings" port_packed "$dst"
    kcur=k$n kport=$dst
done
kfile_intact() {
    local after; after=$(guest_run "$kcur" "md5sum /root/blob" 30 | awk '{print $1}')
    echo "after $PACKED_MOVES moves: $after"
    [ "$after" = "$KSUM_BEFORE" ]
}
check "the TCP stream (32 MiB) k received while migrating has the sender's checksum" stream_intact k0 "$kcur"
check "the file k wrote before its first move has the same checksum after the last" kfile_intact
check "p pings k and k pings p after the last packed move" eval "pings p $IPK && pings $kcur $IPP"
note "packed guest: pings lost over $PACKED_MOVES moves: $((TOTAL_LOST - PACKED_LOST_BEFORE)); per move: $(for n in $(seq 1 "$PACKED_MOVES"); do cat "$dir/k$n.result" 2>/dev/null | awk '{print $2}'; done | tr '\n' ' ')"
grep -E 'dirty log|dirty logging' "$dir/switchyard.log" | head -n 6

check_summary
