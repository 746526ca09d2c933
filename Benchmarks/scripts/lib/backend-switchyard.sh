# backend-switchyard.sh — Switchyard as the back-end under test.
#
#   bench_switchyard_start IDLE       writes a two-port config (vhost-user, client mode: it connects to
#                                     the generator's sockets and retries every second, like OVS's
#                                     dpdkvhostuserclient; access VLAN 1, datapath on CPU
#                                     $BENCH_BACKEND_CPU, idle: IDLE = poll|sleep), starts the daemon and
#                                     waits for its control socket. Sets BENCH_SOCK0/1, BENCH_SY_PID.
#   bench_switchyard_drops            total of the daemon's drop counters (yardctl stats)
#   bench_switchyard_diag             yardctl ports / stats / fdb, for the log
#   bench_switchyard_stop
# Needs BENCH_SY_BIN and BENCH_YARDCTL_BIN.

[ -n "${BENCH_SY_SOURCED:-}" ] && return 0
BENCH_SY_SOURCED=1

bench_switchyard_start() {
    local idle=$1 dir=$SY_RUN_DIR/switchyard i
    rm -rf "$dir"; mkdir -p "$dir"
    cat >"$dir/switchyard.yaml" <<EOF
switch:
  socket-directory: $dir
  control-socket: $dir/control.sock
  log: { level: info }
  datapath: { cpus: [$BENCH_BACKEND_CPU], idle: $idle }
ports:
  - { name: gen0, type: vhost-user, socket: $SY_RUN_DIR/gen0.sock, mode: client, vlan: { access: 1 } }
  - { name: gen1, type: vhost-user, socket: $SY_RUN_DIR/gen1.sock, mode: client, vlan: { access: 1 } }
EOF
    BENCH_SOCK0=$SY_RUN_DIR/gen0.sock BENCH_SOCK1=$SY_RUN_DIR/gen1.sock
    "$BENCH_SY_BIN" --config "$dir/switchyard.yaml" >>"$SY_RUN_DIR/switchyard.log" 2>&1 &
    BENCH_SY_PID=$!
    sy_track "$BENCH_SY_PID" switchyard
    for i in $(seq 100); do
        [ -S "$dir/control.sock" ] && return 0
        sy_pid_alive "$BENCH_SY_PID" || break
        sleep 0.1
    done
    echo "switchyard did not come up:" >&2; tail -n 20 "$SY_RUN_DIR/switchyard.log" >&2
    return 1
}

bench_yardctl() {
    "$BENCH_YARDCTL_BIN" --socket "$SY_RUN_DIR/switchyard/control.sock" "$@"
}

bench_switchyard_drops() {
    bench_yardctl stats | awk '$1 == "drop" { s += $NF } END { printf "%d\n", s }'
}

bench_switchyard_diag() {
    echo "--- switchyard: threads (name, last CPU, allowed CPUs)"
    local t
    for t in /proc/"$BENCH_SY_PID"/task/*; do
        echo "$(cat "$t/comm") cpu=$(awk '{print $39}' "$t/stat") allowed=$(awk '/Cpus_allowed_list/ {print $2}' "$t/status")"
    done
    echo "--- yardctl ports"; bench_yardctl ports
    echo "--- yardctl stats"; bench_yardctl stats
    echo "--- yardctl fdb"; bench_yardctl fdb
}

bench_switchyard_stop() {
    sy_kill_pid "$BENCH_SY_PID"
}
