# backend-ovs.sh — Open vSwitch with DPDK (Debian's ovs-vswitchd-dpdk) as the back-end under test.
#
# A private instance: its own database, ovsdb-server and ovs-vswitchd, all state under
# $SY_RUN_DIR/ovs (OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR), so a system OVS, if any, is left alone.
# One netdev bridge with the default NORMAL flow (MAC learning) and two dpdkvhostuserclient ports:
# OVS connects to sockets the generator listens on (so the generator must use server mode), and keeps
# reconnecting, so generators can come and go.
#
#   bench_ovs_start      sets BENCH_SOCK0/1 (the paths the generator must listen on)
#   bench_ovs_diag       PMD placement and stats, datapath flows, port stats, for the log
#   bench_ovs_stop

[ -n "${BENCH_OVS_SOURCED:-}" ] && return 0
BENCH_OVS_SOURCED=1

BENCH_OVS_VSWITCHD=${BENCH_OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
# OVS 3.1 always adds --in-memory to the EAL arguments, which DPDK refuses together with --no-huge,
# so OVS runs on hugepages: a fixed amount (socket-mem = socket-limit) so that it cannot take the
# generator's pages. 1024 MiB is OVS's own default. With 512 the shared mempool's first try
# (262144 mbufs, ~576 MB) fails and is retried at half size, and a vhost device that connects
# meanwhile fails "to allocate memory for new device"; that port then never reconnects.
BENCH_OVS_SOCKET_MEM=${BENCH_OVS_SOCKET_MEM:-1024}

bench_ovs_env() {
    export OVS_RUNDIR=$SY_RUN_DIR/ovs OVS_DBDIR=$SY_RUN_DIR/ovs OVS_LOGDIR=$SY_RUN_DIR/ovs
    export OVS_SYSCONFDIR=$SY_RUN_DIR/ovs
}

bench_ovs_vsctl() {
    ovs-vsctl --db="unix:$SY_RUN_DIR/ovs/db.sock" "$@"
}

bench_ovs_appctl() {
    ovs-appctl -t "$SY_RUN_DIR/ovs/ovs-vswitchd.ctl" "$@"
}

bench_ovs_start() {
    local o=$SY_RUN_DIR/ovs i
    BENCH_OVS_BRIDGE=syb$$
    rm -rf "$o"; mkdir -p "$o"
    bench_ovs_env
    BENCH_SOCK0=$SY_RUN_DIR/ovs0.sock BENCH_SOCK1=$SY_RUN_DIR/ovs1.sock
    ovsdb-tool create "$o/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
    ovsdb-server "$o/conf.db" "--remote=punix:$o/db.sock" "--unixctl=$o/ovsdb-server.ctl" \
        "--pidfile=$o/ovsdb-server.pid" "--log-file=$o/ovsdb-server.log" >/dev/null 2>&1 &
    BENCH_OVSDB_PID=$!
    sy_track "$BENCH_OVSDB_PID" ovsdb-server
    for i in $(seq 100); do [ -S "$o/db.sock" ] && break; sleep 0.1; done
    bench_ovs_vsctl --no-wait init || return 1
    # pmd-cpu-mask puts the one PMD (forwarding) thread on the back-end CPU; --no-pci: no NICs here.
    # EAL creates /var/run/dpdk/PREFIX even with --in-memory: a private prefix that cleanup removes.
    echo "sybench-ovs-$$" >>"$SY_RUN_DIR/dpdk-prefixes"
    bench_ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        "other_config:dpdk-extra=--no-pci --file-prefix=sybench-ovs-$$" \
        "other_config:dpdk-socket-mem=$BENCH_OVS_SOCKET_MEM" \
        "other_config:dpdk-socket-limit=$BENCH_OVS_SOCKET_MEM" \
        "other_config:pmd-cpu-mask=$(printf '0x%x' $((1 << BENCH_BACKEND_CPU)))" || return 1
    "$BENCH_OVS_VSWITCHD" "unix:$o/db.sock" "--unixctl=$o/ovs-vswitchd.ctl" \
        "--pidfile=$o/ovs-vswitchd.pid" "--log-file=$o/ovs-vswitchd.log" >/dev/null 2>&1 &
    BENCH_OVS_PID=$!
    sy_track "$BENCH_OVS_PID" ovs-vswitchd
    # The bridge's LOCAL port is a persistent tap that outlives ovs-vswitchd: delete it at exit.
    echo "$BENCH_OVS_BRIDGE" >>"$SY_RUN_DIR/ovs-taps"
    if ! bench_ovs_vsctl --timeout=60 add-br "$BENCH_OVS_BRIDGE" \
            -- set bridge "$BENCH_OVS_BRIDGE" datapath_type=netdev; then
        echo "ovs-vswitchd did not come up:" >&2; grep -v '|DBG|' "$o/ovs-vswitchd.log" | tail -n 20 >&2
        return 1
    fi
    # NORMAL floods to every port but the input, including the bridge's own tap (LOCAL). Leave LOCAL
    # out so that the flood domain is the two vhost ports, as for Switchyard.
    ovs-ofctl mod-port "$BENCH_OVS_BRIDGE" "$BENCH_OVS_BRIDGE" no-flood || return 1
    bench_ovs_vsctl --timeout=30 \
        -- add-port "$BENCH_OVS_BRIDGE" vhu0 -- set Interface vhu0 type=dpdkvhostuserclient \
            "options:vhost-server-path=$BENCH_SOCK0" \
        -- add-port "$BENCH_OVS_BRIDGE" vhu1 -- set Interface vhu1 type=dpdkvhostuserclient \
            "options:vhost-server-path=$BENCH_SOCK1" || return 1
}

bench_ovs_diag() {
    bench_ovs_env
    echo "--- ovs: PMD placement"; bench_ovs_appctl dpif-netdev/pmd-rxq-show
    echo "--- ovs: PMD stats"; bench_ovs_appctl dpif-netdev/pmd-stats-show
    echo "--- ovs: datapath flows"; bench_ovs_appctl dpctl/dump-flows
    echo "--- ovs: port stats"; ovs-ofctl dump-ports "$BENCH_OVS_BRIDGE"
}

bench_ovs_stop() {
    bench_ovs_env
    sy_pid_alive "$BENCH_OVS_PID" && bench_ovs_vsctl --timeout=10 --if-exists del-br "$BENCH_OVS_BRIDGE"
    sy_kill_pid "$BENCH_OVS_PID"
    sy_kill_pid "$BENCH_OVSDB_PID"
    bench_ovs_remove_taps
}

# Also run from the exit trap: an interrupted run may not have reached bench_ovs_stop.
bench_ovs_remove_taps() {
    local tap
    [ -f "$SY_RUN_DIR/ovs-taps" ] || return 0
    while read -r tap; do
        ip link show "$tap" >/dev/null 2>&1 && ip link delete "$tap"
    done <"$SY_RUN_DIR/ovs-taps"
    rm -f "$SY_RUN_DIR/ovs-taps"
}
