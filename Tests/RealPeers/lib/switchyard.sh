# switchyard.sh — runs the switchyard daemon for real-peer suites. Source it (bash), after common.sh.
#   switchyard_start YAML_FILE     starts .build/release/switchyard (or $SY_SWITCHYARD) in the
#                                  background, waits for its control socket; log in $SY_RUN_DIR/switchyard.log
#   switchyard_stop                SIGTERM and wait (sockets removed by the daemon)
#   switchyard_kill                SIGKILL (a crash: sockets left behind, guests see EOF)
#   yardctl ARGS...                the CLI against this daemon's control socket
#   switchyard_pid                 prints the daemon's pid
# The YAML must set `control-socket: $SY_RUN_DIR/control.sock`.

[ -n "${SY_SWITCHYARD_SOURCED:-}" ] && return 0
SY_SWITCHYARD_SOURCED=1

SY_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SY_SWITCHYARD=${SY_SWITCHYARD:-$SY_REPO_ROOT/.build/release/switchyard}
SY_YARDCTL=${SY_YARDCTL:-$SY_REPO_ROOT/.build/release/yardctl}

switchyard_start() {
    local yaml=$1 deadline
    [ -x "$SY_SWITCHYARD" ] || { echo "switchyard_start: $SY_SWITCHYARD not built (swift build -c release)" >&2; return 1; }
    rm -f "$SY_RUN_DIR/control.sock"
    "$SY_SWITCHYARD" --config "$yaml" >>"$SY_RUN_DIR/switchyard.log" 2>&1 &
    echo $! >"$SY_RUN_DIR/switchyard.pid"
    sy_track $! switchyard
    deadline=$((SECONDS + 20))
    until [ -S "$SY_RUN_DIR/control.sock" ]; do
        if ! sy_pid_alive "$(switchyard_pid)"; then
            echo "switchyard_start: daemon exited:" >&2; tail -n 20 "$SY_RUN_DIR/switchyard.log" >&2; return 1
        fi
        [ $SECONDS -ge $deadline ] && { echo "switchyard_start: no control socket" >&2; return 1; }
        sleep 0.1
    done
}

switchyard_pid() { cat "$SY_RUN_DIR/switchyard.pid" 2>/dev/null; }

switchyard_stop() {
    local pid; pid=$(switchyard_pid)
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do sy_pid_alive "$pid" || break; sleep 0.1; done
    sy_pid_alive "$pid" && kill -KILL "$pid"
    rm -f "$SY_RUN_DIR/switchyard.pid"
}

switchyard_kill() {
    local pid; pid=$(switchyard_pid)
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    # Until the kernel has closed its sockets: a next daemon started earlier finds them still
    # listening and (rightly) refuses to take their paths over.
    for _ in $(seq 200); do sy_pid_alive "$pid" || break; sleep 0.1; done
    if sy_pid_alive "$pid"; then
        echo "switchyard_kill: pid $pid still alive 20 s after SIGKILL: $(cat /proc/"$pid"/stat 2>/dev/null)" >&2
        return 1
    fi
    rm -f "$SY_RUN_DIR/switchyard.pid"
}

yardctl() { "$SY_YARDCTL" --socket "$SY_RUN_DIR/control.sock" "$@"; }
