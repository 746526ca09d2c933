# generator.sh — the traffic generator of compare.sh: ONE dpdk-testpmd owning both virtio-user ports.
#
# Frames circulate generator -> back-end -> generator: "start tx_first 64" puts 64 bursts of 32 frames
# on each port, after which testpmd forwards whatever it receives on one port out of the other. The
# figure is the RX rate of the generator's two ports together.
#
# Forwarding mode "mac", not "io": io forwards a frame unchanged, so a frame that came back on port 1
# would go out again with port 0's source MAC. The back-end would see every source MAC on both of its
# ports and relearn it twice per round trip, which measures MAC moves, not switching. "mac" rewrites
# the source to the sending port's MAC and the destination to --eth-peer, so each back-end port always
# sees one stable source and one destination. It touches 12 bytes per frame, the same for every back-end.
#
#   bench_gen_start MODE SOCK0 SOCK1 DST0 DST1
#       MODE client: connect to back-end sockets; server: listen on them (server=1, for OVS's
#       dpdkvhostuserclient ports). Port 0 sends to DST0, port 1 to DST1. Waits until ready.
#   bench_gen_measure FRAME_SIZE WARMUP SECONDS
#       FRAME_SIZE is the Ethernet frame with FCS (64..1518); virtio carries no FCS, so the generator
#       sends FRAME_SIZE-4 bytes. Prints "PPS BPS" (both ports; BPS counts the bytes sent, no FCS)
#       and leaves forwarding stopped. If BENCH_WINDOW_HOOK names a function, it is called with
#       "begin" and "end" around the measured window.
#   bench_gen_stop

[ -n "${BENCH_GEN_SOURCED:-}" ] && return 0
BENCH_GEN_SOURCED=1

# Locally administered MACs of the generator's ports, and destinations no port ever sends from.
BENCH_MAC0=02:5b:00:00:00:01
BENCH_MAC1=02:5b:00:00:00:02
BENCH_UNKNOWN0=02:5b:00:00:0f:02
BENCH_UNKNOWN1=02:5b:00:00:0f:01
# The generator's forwarding lcore 1 and its main lcore 0 both run on CPU 0: testpmd needs a main
# lcore besides the forwarding one (-l 0 with --nb-cores=1 has no forwarding lcore), and the main lcore
# only sleeps in the command line read.
BENCH_GEN_LCORES=${BENCH_GEN_LCORES:-0@0,1@0}

# BENCH_RING=packed: the generator's virtio-user ports ask for packed rings (packed_vq=1), so the
# back-end serves packed virtqueues (docs/packed-rings.md); default split.
bench_gen_start() {
    local mode=$1 s0=$2 s1=$3 dst0=$4 dst1=$5 extra=""
    [ "$mode" = server ] && { extra=",server=1"; sy_track_socket "$s0"; sy_track_socket "$s1"; }
    [ "${BENCH_RING:-split}" = packed ] && extra+=",packed_vq=1"
    testpmd_start gen --in-memory --single-file-segments -m 256 --no-pci "--file-prefix=sybench-gen-$$" \
        --lcores "$BENCH_GEN_LCORES" \
        --vdev "net_virtio_user0,path=$s0,queue_size=1024,mac=$BENCH_MAC0$extra" \
        --vdev "net_virtio_user1,path=$s1,queue_size=1024,mac=$BENCH_MAC1$extra" \
        -- --nb-cores=1 --forward-mode=mac "--eth-peer=0,$dst0" "--eth-peer=1,$dst1" || return 1
    testpmd_wait_ready gen 60
}

# Sums one "Throughput (since last show)" field over all ports of a "show port stats all" output.
bench_gen_sum_field() {
    awk -v f="$1:" '{ for (i = 1; i < NF; i++) if ($i == f) s += $(i + 1) } END { printf "%.0f\n", s }'
}

bench_gen_measure() {
    local size=$1 warmup=$2 seconds=$3 out pps bps
    testpmd_cmd gen "set txpkts $((size - 4))" >/dev/null || return 1
    testpmd_cmd gen "start tx_first 64" >/dev/null || return 1
    sleep "$warmup"
    # testpmd computes the rates since the previous "show port stats" from its own clock, so the
    # window is exact whatever the latency of the command pipe.
    testpmd_cmd gen "show port stats all" >/dev/null || return 1
    [ -n "${BENCH_WINDOW_HOOK:-}" ] && "$BENCH_WINDOW_HOOK" begin
    sleep "$seconds"
    out=$(testpmd_cmd gen "show port stats all") || return 1
    [ -n "${BENCH_WINDOW_HOOK:-}" ] && "$BENCH_WINDOW_HOOK" end
    pps=$(bench_gen_sum_field Rx-pps <<<"$out")
    bps=$(bench_gen_sum_field Rx-bps <<<"$out")
    {
        echo "--- generator, frame $size B: port stats at the end of the window"
        echo "$out"
        echo "--- forward stats"
        testpmd_cmd gen "stop"
    } >>"$SY_RUN_DIR/measurements.log" 2>&1
    echo "$pps $bps"
}

bench_gen_stop() {
    testpmd_stop gen
}
