# testpmd.sh — runs DPDK dpdk-testpmd interactively so that scripts can drive it. Source it (bash).
#
#   testpmd_hugepages_ensure [FREE_PAGES=256]
#       at least 512 2-MiB pages reserved and FREE_PAGES of them free; hugetlbfs on /dev/hugepages.
#       (virtio-user cannot create its mbuf pool under --no-huge on this project's machines.)
#   testpmd_start NAME EAL_ARGS... [-- APP_ARGS...]
#       starts dpdk-testpmd in the background with "-i" added to the app args, stdin on a FIFO, output
#       line-buffered (stdbuf -oL) into $SY_RUN_DIR/tp-NAME.log. Returns at once.
#       A --file-prefix=P argument is remembered so cleanup removes /var/run/dpdk/P.
#   testpmd_wait_ready NAME [TIMEOUT=60]   waits for the first "testpmd> " prompt.
#       (A virtio-user port with server=1 blocks in accept() until the back-end connects: connect first.)
#   testpmd_cmd NAME "COMMAND" [TIMEOUT=20] sends one interactive command; prints what it printed.
#   testpmd_stop NAME                      "quit", then kill if it does not exit.
#   testpmd_log NAME                       prints the whole log (diagnostics).
#   testpmd_port_stat NAME PORT FIELD      e.g. FIELD=RX-packets|TX-packets|RX-bytes|TX-bytes|RX-missed
#
# Ready-made argument sets (arrays, set by the functions; append your own then call testpmd_start):
#   testpmd_vhost_args PREFIX SOCK[,DEVARGS]...   the net_vhost back-end (a stand-in switch):
#       --no-huge -m 1024 --file-prefix=PREFIX --no-pci --vdev net_vhostI,iface=SOCK[,DEVARGS]...
#       DEVARGS e.g. "client=1" (connect to a QEMU in server role), "queues=2". -> SY_TP_ARGS
#   testpmd_virtio_user_args PREFIX SOCK MAC [server] [QUEUES]   a virtio-user front-end on hugepages:
#       --in-memory --single-file-segments -m 256 --file-prefix=PREFIX --no-pci
#       --vdev net_virtio_user0,path=SOCK,queue_size=1024,mac=MAC[,server=1][,queues=N] -> SY_TP_ARGS

[ -n "${SY_TESTPMD_SOURCED:-}" ] && return 0
SY_TESTPMD_SOURCED=1

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

testpmd_hugepages_ensure() {
    local want_free=${1:-256} total free
    grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts || {
        mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages || return 1; }
    total=$(cat /proc/sys/vm/nr_hugepages)
    [ "$total" -lt 512 ] && echo 512 >/proc/sys/vm/nr_hugepages
    total=$(cat /proc/sys/vm/nr_hugepages)
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    # Other users of the machine may hold pages: only ever grow the pool, never shrink it.
    if [ "$free" -lt "$want_free" ]; then
        echo $((total + want_free - free)) >/proc/sys/vm/nr_hugepages
        free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    fi
    [ "$free" -ge "$want_free" ] || {
        echo "testpmd_hugepages_ensure: only $free free 2-MiB hugepages (wanted $want_free)" >&2; return 1; }
}

testpmd_vhost_args() {
    local prefix=$1 i=0 s; shift
    SY_TP_ARGS=(--no-huge -m 1024 "--file-prefix=$prefix" --no-pci)
    for s in "$@"; do
        SY_TP_ARGS+=(--vdev "net_vhost$i,iface=$s")
        case "$s" in *client=1*) ;; *) sy_track_socket "${s%%,*}" ;; esac
        i=$((i + 1))
    done
}

testpmd_virtio_user_args() {
    local prefix=$1 sock=$2 mac=$3 server=${4:-} queues=${5:-1}
    local vdev="net_virtio_user0,path=$sock,queue_size=1024,mac=$mac"
    [ "$server" = server ] && { vdev+=",server=1"; sy_track_socket "$sock"; }
    [ "$queues" -gt 1 ] && vdev+=",queues=$queues"
    # --file-prefix even with --in-memory: EAL still creates /var/run/dpdk/PREFIX, which cleanup removes.
    SY_TP_ARGS=(--in-memory --single-file-segments -m 256 "--file-prefix=$prefix" --no-pci --vdev "$vdev")
}

testpmd_start() {
    local name=$1; shift
    sy_run_dir || return 1
    local dir=$SY_RUN_DIR
    local eal=() app=() a seen=0
    for a in "$@"; do
        if [ $seen = 0 ] && [ "$a" = -- ]; then seen=1; continue; fi
        if [ $seen = 0 ]; then eal+=("$a"); else app+=("$a"); fi
        case "$a" in --file-prefix=*) echo "${a#--file-prefix=}" >>"$dir/dpdk-prefixes" ;; esac
    done
    case " ${app[*]} " in *" -i "*|*" --interactive "*) ;; *) app=(-i "${app[@]}") ;; esac
    sy_fifo_open "$dir/tp-$name.in" >"$dir/tp-$name.holder.pid" || return 1
    : >"$dir/tp-$name.log"
    stdbuf -oL -eL dpdk-testpmd "${eal[@]}" -- "${app[@]}" <"$dir/tp-$name.in" >>"$dir/tp-$name.log" 2>&1 &
    echo $! >"$dir/tp-$name.pid"
    sy_track $! "testpmd $name"
}

testpmd_log() { cat "$SY_RUN_DIR/tp-$1.log" 2>/dev/null; }

testpmd_wait_ready() {
    local name=$1 timeout=${2:-60} dir=$SY_RUN_DIR pid deadline
    pid=$(cat "$dir/tp-$name.pid" 2>/dev/null)
    deadline=$((SECONDS + timeout))
    until grep -q 'testpmd> ' "$dir/tp-$name.log" 2>/dev/null; do
        if ! sy_pid_alive "$pid"; then
            echo "testpmd_wait_ready: testpmd $name exited:" >&2; tail -n 30 "$dir/tp-$name.log" >&2; return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "testpmd_wait_ready: $name not ready after ${timeout}s:" >&2; tail -n 30 "$dir/tp-$name.log" >&2
            return 1
        fi
        sleep 0.2
    done
}

SY_TP_SEQ=0
# testpmd's command line echoes input and executes commands in order, so an unknown command sent right
# after COMMAND is only echoed once COMMAND has finished; the prompt after its error ends the output.
testpmd_cmd() {
    local name=$1 cmd=$2 timeout=${3:-20} dir=$SY_RUN_DIR
    local log="$dir/tp-$name.log" mark off deadline chunk
    SY_TP_SEQ=$((SY_TP_SEQ + 1))
    mark="sy_mark_${BASHPID}_${SY_TP_SEQ}_$RANDOM"
    sy_pid_alive "$(cat "$dir/tp-$name.pid" 2>/dev/null)" || { echo "testpmd_cmd: $name not running" >&2; return 1; }
    off=$(stat -c %s "$log")
    printf '%s\n%s\n' "$cmd" "$mark" >"$dir/tp-$name.in"
    deadline=$((SECONDS + timeout))
    while :; do
        chunk=$(tail -c +$((off + 1)) "$log" | tr -d '\r')
        case "$chunk" in *"$mark"$'\n'*"testpmd> "*) break ;; esac
        if [ $SECONDS -ge $deadline ]; then
            echo "testpmd_cmd: $name: no answer within ${timeout}s to: $cmd" >&2; return 124
        fi
        sleep 0.05
    done
    chunk=${chunk%%"$mark"*}
    case "$chunk" in *"$cmd"$'\n'*) chunk=${chunk#*"$cmd"$'\n'} ;; esac
    chunk=${chunk%testpmd> }
    printf '%s' "$chunk"
}

# Reads one counter of "show port stats PORT", e.g. testpmd_port_stat tp 0 RX-packets.
testpmd_port_stat() {
    local name=$1 port=$2 field=$3
    testpmd_cmd "$name" "show port stats $port" |
        awk -v f="$field:" '{ for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }'
}

testpmd_stop() {
    local name=$1 dir=$SY_RUN_DIR pid i
    pid=$(cat "$dir/tp-$name.pid" 2>/dev/null)
    if sy_pid_alive "$pid"; then
        printf 'stop\nquit\n' >"$dir/tp-$name.in" 2>/dev/null
        for i in $(seq 50); do sy_pid_alive "$pid" || break; sleep 0.1; done
        sy_kill_pid "$pid"
    fi
    sy_kill_pid "$(cat "$dir/tp-$name.holder.pid" 2>/dev/null)"
    rm -f "$dir/tp-$name.pid" "$dir/tp-$name.holder.pid" "$dir/tp-$name.in"
}
