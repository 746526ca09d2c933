#!/usr/bin/env bash
# The README's quick tour (Deploy/demo.sh) run to completion, and what it prints checked: two
# guests ping each other, the FDB lists both, a capture filtered on `icmp` prints ICMP frames and
# nothing else, the pcap it writes reads back in tcpdump, `yardctl top` shows both ports, /metrics
# counts frames on both. Boots its two guests once (inside the demo); about 2 minutes under TCG.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
# SY_DEMO_OUTPUT=FILE checks a saved output instead of running the demo (to see a check fail on a
# doctored copy: docs/test-and-benchmark-method.md).
if [ -n "${SY_DEMO_OUTPUT:-}" ]; then
    demo_out=$SY_DEMO_OUTPUT demo_status=0
else
    demo_out=$(mktemp /tmp/sy-demo.XXXXXX)
    trap 'rm -f "$demo_out"' EXIT
    # The demo makes its own run directory and removes it; the release build is Tests/run.sh's.
    env -u SY_RUN_DIR SY_DEMO_NO_BUILD=1 Deploy/demo.sh >"$demo_out" 2>&1
    demo_status=$?
fi
section() { awk -v s="## $1" 'index($0, s) { on = 1; next } /## / { on = 0 } on' "$demo_out"; }

ran_to_completion() { [ "$demo_status" = 0 ] && grep -qx "demo complete" "$demo_out" || { tail -n 40 "$demo_out"; return 1; }; }
check "Deploy/demo.sh runs to completion (exit $demo_status)" ran_to_completion
check "vm1's three pings to vm2 are answered" \
    eval "section 'vm1 pings vm2' | grep -q '3 packets transmitted, 3 packets received'"
fdb_lists_both() {
    local fdb; fdb=$(section "The switch learned")
    echo "$fdb"
    grep -Eq '^vm1 +10 +52:54:00:de:00:01' <<<"$fdb" && grep -Eq '^vm2 +10 +52:54:00:de:00:02' <<<"$fdb"
}
check "yardctl fdb show lists each guest's MAC on its port in VLAN 10" fdb_lists_both
# Positive control first: the capture printed ICMP frames both ways; then the filter: it printed
# no other frame (a frame line starts with its time).
capture_frames() { section "A live capture" | sed -n '/^\$ yardctl capture vm2 -c 4 icmp/,/^\$ /p' | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.'; }
check "the icmp capture printed 4 frames, to vm2 (out) and from it (in)" \
    eval "capture_frames; [ \"\$(capture_frames | wc -l)\" -eq 4 ] && capture_frames | grep -q ' vm2 out ' && capture_frames | grep -q ' vm2 in '"
check "... all of them ICMP" eval "[ \"\$(capture_frames | grep -c ' ICMP, length ')\" -eq 4 ]"
check "the capture ends with its summary: 4 frames captured, none lost" \
    eval "section 'A live capture' | grep -E 'capture ended \(4 frames\): 4 frames captured, [0-9]+ filtered out, 0 lost'"
check "tcpdump reads the pcap the capture wrote: 2 ICMP echo frames" \
    eval "section 'A live capture' | grep -c 'ICMP echo' | grep -qx 2"
check "yardctl top shows both ports" \
    eval "section 'yardctl top' | grep -Eq '^vm1 +running' && section 'yardctl top' | grep -Eq '^vm2 +running'"
metrics_count() {
    local m; m=$(section "Prometheus metrics")
    echo "$m"
    grep -Eq '^switchyard_port_rx_frames_total\{port="vm1"\} [1-9]' <<<"$m" &&
        grep -Eq '^switchyard_port_rx_frames_total\{port="vm2"\} [1-9]' <<<"$m"
}
check "/metrics counts frames received from both guests" metrics_count
[ "$SY_FAILED" = 0 ] || { echo "--- demo output"; cat "$demo_out"; }
check_summary
