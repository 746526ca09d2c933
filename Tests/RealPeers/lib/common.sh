# common.sh — shared state of the real-peer harness (sourced by qemu.sh and testpmd.sh).
#
# Every process the harness starts is recorded in $SY_RUN_DIR/pids so that sy_cleanup can end exactly
# those (never by name: other people run QEMU and testpmd on the same machine).
#
#   sy_init                    creates the run directory $SY_RUN_DIR (sockets, logs, FIFOs) and installs
#                              the cleanup trap; call it in the main shell before anything else
#   sy_run_dir                 creates $SY_RUN_DIR if needed (in the current shell: not in $(...))
#   sy_track PID WHAT          records a process for cleanup
#   sy_cleanup                 kills every tracked process, removes the run directory
#   sy_trap_cleanup            installs sy_cleanup on EXIT, INT, TERM
#   sy_kill_pid PID            TERM, wait up to 5 s, then KILL

[ -n "${SY_COMMON_SOURCED:-}" ] && return 0
SY_COMMON_SOURCED=1

SY_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SY_REALPEERS_DIR=${SY_REALPEERS_DIR:-$(cd "$SY_LIB_DIR/.." && pwd)}

sy_run_dir() {
    if [ -z "${SY_RUN_DIR:-}" ] || [ ! -d "$SY_RUN_DIR" ]; then
        SY_RUN_DIR=$(mktemp -d /tmp/sy-realpeers.XXXXXX) || return 1
        export SY_RUN_DIR
        : >"$SY_RUN_DIR/pids"
    fi
}

sy_init() {
    sy_run_dir || return 1
    sy_trap_cleanup
}

sy_track() {
    sy_run_dir || return 1
    echo "$1 $2" >>"$SY_RUN_DIR/pids"
}

# A child that exited but was not reaped yet still answers kill -0: treat zombies as dead.
sy_pid_alive() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

sy_kill_pid() {
    local pid=$1 i
    sy_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 50); do
        sy_pid_alive "$pid" || break
        # Reap it if it is our child, so kill -0 stops seeing a zombie.
        wait "$pid" 2>/dev/null && break
        sleep 0.1
    done
    sy_pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# Kills tracked processes in reverse start order (front-ends before back-ends, then helpers).
sy_cleanup() {
    local pid what
    [ -n "${SY_RUN_DIR:-}" ] && [ -d "$SY_RUN_DIR" ] || return 0
    if [ -f "$SY_RUN_DIR/pids" ]; then
        while read -r pid what; do
            sy_pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
        done < <(tac "$SY_RUN_DIR/pids")
        while read -r pid what; do
            sy_kill_pid "$pid"
        done < <(tac "$SY_RUN_DIR/pids")
    fi
    # DPDK leaves its runtime directory behind for --file-prefix runs.
    if [ -f "$SY_RUN_DIR/dpdk-prefixes" ]; then
        while read -r what; do
            [ -n "$what" ] && rm -rf "/var/run/dpdk/$what"
        done <"$SY_RUN_DIR/dpdk-prefixes"
    fi
    if [ -f "$SY_RUN_DIR/sockets" ]; then
        while read -r what; do
            [ -n "$what" ] && rm -f "$what"
        done <"$SY_RUN_DIR/sockets"
    fi
    # A failed check keeps the logs (and shows the daemon's last lines) so that a failure seen
    # once, in CI or a full run, can be read afterwards.
    if [ -n "${SY_KEEP_LOGS:-}" ] || [ "${SY_FAILED:-0}" != 0 ]; then
        echo "[harness] logs kept in $SY_RUN_DIR" >&2
        if [ "${SY_FAILED:-0}" != 0 ] && [ -f "$SY_RUN_DIR/switchyard.log" ]; then
            echo "[harness] last 60 lines of switchyard.log:" >&2
            tail -n 60 "$SY_RUN_DIR/switchyard.log" >&2
        fi
    else
        rm -rf "$SY_RUN_DIR"
    fi
    SY_RUN_DIR=
}

# Records a socket path (e.g. a vhost-user socket outside the run directory) for removal at cleanup.
sy_track_socket() {
    sy_run_dir || return 1
    echo "$1" >>"$SY_RUN_DIR/sockets"
}

sy_trap_cleanup() {
    trap 'sy_cleanup' EXIT
    trap 'sy_cleanup; trap - INT; kill -INT $$' INT
    trap 'sy_cleanup; trap - TERM; kill -TERM $$' TERM
}

# Escapes a string for use inside single quotes in a POSIX shell.
sy_squote() {
    local s=$1
    printf "'%s'" "${s//\'/\'\\\'\'}"
}

# Starts a process holding FIFO open read-write, so readers never see EOF between writers.
sy_fifo_open() {
    local fifo=$1
    rm -f "$fifo"
    mkfifo "$fifo" || return 1
    sleep 2147483647 <>"$fifo" >/dev/null 2>&1 &
    sy_track $! "fifo-holder $fifo"
    echo $!
}
