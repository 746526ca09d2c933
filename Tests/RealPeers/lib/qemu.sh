# qemu.sh — boots busybox QEMU guests whose only NIC is virtio-net-pci on a vhost-user socket.
# Source it (bash). It sources common.sh and guest-image.sh.
#
#   guest_boot NAME MAC SOCKET [server|client] [KERNEL_ARGS] [DEVICE_OPTS]
#       Starts the guest in the background and returns at once (boot several, then wait for each).
#       client (default): QEMU connects to SOCKET, retrying every $SY_GUEST_RECONNECT seconds (default
#                         1; 0 = never). QEMU 7.2 does not boot until the back-end listens: it retries
#                         in its netdev set-up (without reconnect it exits when SOCKET is missing).
#       server:           QEMU listens on SOCKET (server=on,wait=off); the back-end connects.
#       KERNEL_ARGS: e.g. "sy.ip=10.0.0.1/24 sy.vlan=10:10.0.10.1/24 sy.mtu=9000" (see guest-image.sh).
#       DEVICE_OPTS: appended to -device virtio-net-pci, e.g. "mrg_rxbuf=off,packed=on".
#       SOCKET = tap:IFNAME instead attaches the NIC to an existing tap device (create it first:
#                         ip tuntap add IFNAME mode tap) with -netdev tap,script=no,downscript=no,vhost=off
#                         (SY_GUEST_TAP_VHOST=on: vhost=on, the kernel's vhost-net moves the frames);
#                         the role is ignored. Everything else (shared memory backend, device options,
#                         vectors=0 under TCG) stays as for vhost-user, so the two compare like for like.
#       Environment: SY_GUEST_QUEUES=N (queue pairs; adds queues=N, mq=on), SY_GUEST_SMP (vCPUs,
#       default = queue pairs), SY_GUEST_MEM (MiB, default 256), SY_GUEST_ACCEL=tcg|kvm (default: detect),
#       SY_GUEST_REBOOT=1 (a guest reset reboots it; by default QEMU exits instead: -no-reboot),
#       SY_GUEST_NETNS=NS (run QEMU in network namespace NS with ip netns exec, e.g. where its tap lives),
#       SY_GUEST_MAXMEM=SIZE (e.g. 1G: memory hot-plug, -m MEM,slots=N,maxmem=SIZE; plug a DIMM with
#       guest_monitor "object_add memory-backend-memfd,id=m1,size=256M,share=on" and
#       "device_add pc-dimm,id=d1,memdev=m1"), SY_GUEST_MEM_SLOTS=N (DIMM slots with MAXMEM, default 4).
#       SY_GUEST_EXTRA_ARGS="..." (more QEMU arguments, split on spaces: e.g. -qmp and -incoming for
#       a migration, 50-migration.sh).
#   guest_wait_ready NAME [TIMEOUT=120]   waits for the ready marker and a working serial shell
#   guest_run NAME "COMMAND" [TIMEOUT=30] runs COMMAND (sh -c) in the guest; prints its stdout+stderr,
#                                          returns its exit status (124 if the host-side wait timed out)
#   guest_ping_unanswered NAME "PING ARGS"
#                                         succeeds only if busybox ping ran, transmitted and got no
#                                         reply ("N packets transmitted, 0 packets received", exit 1);
#                                         a ping that could not run, failed to send or timed out fails
#   guest_monitor NAME "HMP COMMAND"      e.g. "set_link n0 off", "info network"
#   guest_stop NAME                       kills the guest and its helpers
#   guest_console NAME                    prints the console log (for failure diagnostics)
#   guest_accel                           prints tcg or kvm (what guest_boot will use)
# Files per guest in $SY_RUN_DIR: NAME.console.log, NAME.qemu.log, NAME.serial.log, NAME.shell.sock,
# NAME.mon.sock, NAME.pid.

[ -n "${SY_QEMU_SOURCED:-}" ] && return 0
SY_QEMU_SOURCED=1

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$SY_LIB_DIR/guest-image.sh"

# Under the nested "PVM" KVM of this project's machines Debian kernels die ("KVM internal error.
# Suberror: 1"), so KVM is only used where kvm_pvm is absent.
guest_accel() {
    if [ -n "${SY_GUEST_ACCEL:-}" ]; then
        echo "$SY_GUEST_ACCEL"
    elif [ -c /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ]; then
        echo kvm
    else
        echo tcg
    fi
}

guest_boot() {
    local name=$1 mac=$2 sock=$3 role=${4:-client} kargs=${5:-} devopts=${6:-}
    [ -n "$name" ] && [ -n "$mac" ] && [ -n "$sock" ] || {
        echo "usage: guest_boot NAME MAC SOCKET [server|client] [KERNEL_ARGS] [DEVICE_OPTS]" >&2; return 2; }
    [ -n "${SY_GUEST_KERNEL:-}" ] || guest_image_ensure || return 1
    sy_run_dir || return 1
    local dir=$SY_RUN_DIR
    if sy_pid_alive "$(cat "$dir/$name.pid" 2>/dev/null)"; then
        echo "guest_boot: $name is already running" >&2; return 1
    fi
    local queues=${SY_GUEST_QUEUES:-1} mem=${SY_GUEST_MEM:-256} accel cpu
    local smp=${SY_GUEST_SMP:-$queues}
    # Without SY_GUEST_MAXMEM the command line is exactly what every other script has always used.
    local memarg="${mem}M"
    [ -n "${SY_GUEST_MAXMEM:-}" ] && memarg+=",slots=${SY_GUEST_MEM_SLOTS:-4},maxmem=$SY_GUEST_MAXMEM"
    accel=$(guest_accel)
    if [ "$accel" = kvm ]; then cpu=host; else cpu=max; fi

    local chardev="socket,id=c0,path=$sock" netdev="vhost-user,id=n0,chardev=c0" backend=()
    case "$sock" in
        tap:?*) netdev="tap,id=n0,ifname=${sock#tap:},script=no,downscript=no,vhost=${SY_GUEST_TAP_VHOST:-off}" ;;
        *)  case "$role" in
                server) chardev+=",server=on,wait=off"; rm -f "$sock"; sy_track_socket "$sock" ;;
                client) [ "${SY_GUEST_RECONNECT:-1}" != 0 ] && chardev+=",reconnect=${SY_GUEST_RECONNECT:-1}" ;;
                *) echo "guest_boot: role must be server or client, not '$role'" >&2; return 2 ;;
            esac
            backend=(-chardev "$chardev") ;;
    esac
    local device="virtio-net-pci,netdev=n0,mac=$mac"
    if [ "$queues" -gt 1 ]; then
        netdev+=",queues=$queues"
        device+=",mq=on"
    fi
    # QEMU 7.2 + TCG + vhost-user + MSI-X segfaults when the driver starts the device: use INTx.
    if [ "$accel" = tcg ]; then
        device+=",vectors=0"
    elif [ "$queues" -gt 1 ]; then
        device+=",vectors=$((2 * queues + 2))"
    fi
    [ -n "$devopts" ] && device+=",$devopts"

    local reboot=-no-reboot
    [ "${SY_GUEST_REBOOT:-0}" = 1 ] && reboot=
    rm -f "$dir/$name".{console.log,serial.log,shell.sock,mon.sock,qemu.log}
    local netns=()
    [ -n "${SY_GUEST_NETNS:-}" ] && netns=(ip netns exec "$SY_GUEST_NETNS")
    # ip netns exec execs QEMU in place, so $! is still QEMU's pid.
    "${netns[@]}" qemu-system-x86_64 -name "$name" -nodefaults -no-user-config -display none -vga none $reboot \
        -object "memory-backend-memfd,id=mem0,size=${mem}M,share=on" \
        -machine "q35,memory-backend=mem0,accel=$accel" -cpu "$cpu" -m "$memarg" -smp "$smp" \
        -kernel "$SY_GUEST_KERNEL" -initrd "$SY_GUEST_INITRD" \
        -append "console=ttyS0 quiet panic=1 mitigations=off no_timer_check sy.name=$name $kargs" \
        "${backend[@]}" -netdev "$netdev" -device "$device" ${SY_GUEST_EXTRA_ARGS:-} \
        -chardev "file,id=con,path=$dir/$name.console.log" -serial chardev:con \
        -chardev "socket,id=sh,path=$dir/$name.shell.sock,server=on,wait=off" -serial chardev:sh \
        -monitor "unix:$dir/$name.mon.sock,server=on,wait=off" \
        </dev/null >"$dir/$name.qemu.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/$name.pid"
    echo "$(date +%s.%N)" >"$dir/$name.boot-start"
    sy_track "$pid" "qemu $name"
}

guest_console() {
    local dir=${SY_RUN_DIR:-/nonexistent}
    echo "--- $1 qemu log ---"; cat "$dir/$1.qemu.log" 2>/dev/null
    echo "--- $1 console (last 40 lines) ---"; tail -n 40 "$dir/$1.console.log" 2>/dev/null
}

# Connects a persistent socat between the guest's ttyS1 socket and a FIFO (input) + log (output).
guest_shell_attach() {
    local name=$1 dir=$SY_RUN_DIR
    sy_pid_alive "$(cat "$dir/$name.socat.pid" 2>/dev/null)" && return 0
    sy_fifo_open "$dir/$name.in" >"$dir/$name.holder.pid" || return 1
    : >"$dir/$name.serial.log"
    socat -b 65536 - "UNIX-CONNECT:$dir/$name.shell.sock" <"$dir/$name.in" >>"$dir/$name.serial.log" \
        2>"$dir/$name.socat.err" &
    echo $! >"$dir/$name.socat.pid"
    sy_track $! "socat $name"
}

guest_wait_ready() {
    local name=$1 timeout=${2:-120} dir=$SY_RUN_DIR pid deadline
    pid=$(cat "$dir/$name.pid" 2>/dev/null)
    deadline=$((SECONDS + timeout))
    until grep -q 'SY-GUEST-READY' "$dir/$name.console.log" 2>/dev/null; do
        if ! sy_pid_alive "$pid"; then
            echo "guest_wait_ready: QEMU for $name exited" >&2; guest_console "$name" >&2; return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "guest_wait_ready: $name not ready after ${timeout}s" >&2
            # QEMU 7.2 (client, reconnect=N) blocks before booting, retrying, until the back-end listens.
            grep -q 'Unable to connect character device c0' "$dir/$name.qemu.log" 2>/dev/null &&
                echo "guest_wait_ready: QEMU is still waiting for a back-end on its vhost-user socket" >&2
            guest_console "$name" >&2; return 1
        fi
        sleep 0.2
    done
    guest_shell_attach "$name" || return 1
    local out
    out=$(guest_run "$name" "echo shell-ok" 20) && [ "$out" = shell-ok ] || {
        echo "guest_wait_ready: $name shell does not answer (got '$out')" >&2; return 1; }
    local start; start=$(cat "$dir/$name.boot-start")
    awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{printf "%.1f\n", a-b}' >"$dir/$name.boot-seconds"
    return 0
}

# Seconds from guest_boot to a working shell (after guest_wait_ready).
guest_boot_seconds() { awk '{printf "%.1f\n", $1}' "$SY_RUN_DIR/$1.boot-seconds" 2>/dev/null; }

SY_RUN_SEQ=0
guest_run() {
    local name=$1 cmd=$2 timeout=${3:-30} dir=$SY_RUN_DIR
    local log="$dir/$name.serial.log" id off deadline chunk
    [ -p "$dir/$name.in" ] || { echo "guest_run: $name has no shell (guest_wait_ready first)" >&2; return 125; }
    SY_RUN_SEQ=$((SY_RUN_SEQ + 1))
    id="$$_${BASHPID}_${SY_RUN_SEQ}_$RANDOM"
    off=$(stat -c %s "$log")
    # The quotes split the markers in the command text, so only the guest's output contains them
    # whole (even if the tty ever echoed the input). The guest-side timeout keeps the shell usable.
    printf '%s\n' "echo __SY_B''EG_$id; timeout $timeout sh -c $(sy_squote ". /etc/sy-profile; $cmd") </dev/null 2>&1; echo __SY_E''ND_${id}_\$?" \
        >"$dir/$name.in"
    deadline=$((SECONDS + timeout + 5))
    while :; do
        chunk=$(tail -c +$((off + 1)) "$log")
        case "$chunk" in *"__SY_END_${id}_"[0-9]*) break ;; esac
        if [ $SECONDS -ge $deadline ]; then
            echo "guest_run: $name: no answer within ${timeout}s to: $cmd" >&2
            return 124
        fi
        sleep 0.05
    done
    local after out rest status
    after=${chunk#*__SY_BEG_$id$'\n'}
    out=${after%%__SY_END_${id}_*}
    rest=${after#*__SY_END_${id}_}
    status=${rest%%[!0-9]*}
    printf '%s' "$out"
    return "$status"
}

guest_monitor() {
    local name=$1 cmd=$2
    printf '%s\n' "$cmd" | socat -t 1 - "UNIX-CONNECT:$SY_RUN_DIR/$name.mon.sock" 2>/dev/null |
        tr -d '\r' | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e '/^QEMU .*monitor/d' -e '/^(qemu)/d'
}

guest_stop() {
    local name=$1 dir=$SY_RUN_DIR f
    for f in pid socat.pid holder.pid; do
        sy_kill_pid "$(cat "$dir/$name.$f" 2>/dev/null)"
        rm -f "$dir/$name.$f"
    done
    rm -f "$dir/$name.shell.sock" "$dir/$name.mon.sock" "$dir/$name.in"
}

# A negative ping check must not pass because the probe broke: exit 1 with a clean statistics line
# is "sent and unanswered"; anything else (124 = timed out, a sendto error, no statistics) is not.
guest_ping_unanswered() {
    local name=$1 args=$2 out status
    out=$(guest_run "$name" "ping $args" 40)
    status=$?
    printf '%s\n' "$out"
    if [ "$status" != 1 ]; then
        echo "guest_ping_unanswered: ping $args exited $status (1 = no reply; anything else means the probe itself failed)"
        return 1
    fi
    printf '%s\n' "$out" | grep -Eq '^[1-9][0-9]* packets transmitted, 0 packets received' || {
        echo "guest_ping_unanswered: no clean 'N packets transmitted, 0 packets received' line"; return 1; }
}
