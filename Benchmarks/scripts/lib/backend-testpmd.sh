# backend-testpmd.sh — DPDK testpmd with two net_vhost ports in io mode: the lower bound on what a
# vhost-user back-end costs (no switching decision, no header rewrite).
#
#   bench_testpmd_start      connects (client=1, reconnecting) to $SY_RUN_DIR/be0.sock, be1.sock, where
#                            the generator listens; sets BENCH_SOCK0/1. Its mbufs are on hugepages
#                            (-m 1024, as OVS's socket-mem), not --no-huge: every back-end's own
#                            memory under the same conditions.
#   bench_testpmd_diag       port stats, for the log
#   bench_testpmd_stop

[ -n "${BENCH_TPBE_SOURCED:-}" ] && return 0
BENCH_TPBE_SOURCED=1

bench_testpmd_start() {
    BENCH_SOCK0=$SY_RUN_DIR/be0.sock BENCH_SOCK1=$SY_RUN_DIR/be1.sock
    rm -f "$BENCH_SOCK0" "$BENCH_SOCK1"
    testpmd_vhost_args "sybench-be-$$" "$BENCH_SOCK0,client=1" "$BENCH_SOCK1,client=1"
    # testpmd_vhost_args gives the harness's --no-huge -m 1024; benchmarks run on hugepages.
    SY_TP_ARGS=(--in-memory --single-file-segments "${SY_TP_ARGS[@]:1}")
    # Main lcore 0 and forwarding lcore 1 both on the back-end CPU; the main one only reads commands.
    testpmd_start be "${SY_TP_ARGS[@]}" --lcores "0@$BENCH_BACKEND_CPU,1@$BENCH_BACKEND_CPU" \
        -- --nb-cores=1 --forward-mode=io --auto-start || return 1
    testpmd_wait_ready be 60
}

bench_testpmd_diag() {
    echo "--- testpmd back-end: port stats"
    testpmd_cmd be "show port stats all"
}

bench_testpmd_stop() {
    testpmd_stop be
}
