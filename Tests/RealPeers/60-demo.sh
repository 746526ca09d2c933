#!/usr/bin/env bash
# The README's quick tour (Deploy/demo.sh) run to completion, and what it prints checked: two
# guests ping each other, the FDB lists both, a capture filtered on `icmp` prints ICMP frames and
# nothing else, the pcap it writes reads back in tcpdump, `yardctl top` shows both ports, /metrics
# counts frames on both. Boots its two guests once (inside the demo); about 2 minutes under TCG.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/RealPeers/lib/checks.sh
require_root
out=$(mktemp /tmp/sy-demo.XXXXXX)
trap 'rm -f "$out"' EXIT

# The demo makes its own run directory and removes it; the release build is Tests/run.sh's.
env -u SY_RUN_DIR SY_DEMO_NO_BUILD=1 Deploy/demo.sh >"$out" 2>&1
status=$?
section() { awk -v s="## $1" 'index($0, s) { on = 1; next } /## / { on = 0 } on' "$out"; }

ran_to_completion() { [ "$status" = 0 ] && grep -qx "demo complete" "$out" || { tail -n 40 "$out"; return 1; }; }
check "Deploy/demo.sh runs to completion (exit $status)" ran_to_completion
check "vm1's three pings to vm2 are answered" \
    eval "section 'vm1 pings vm2' | grep -q '3 packets transmitted, 3 packets received'"
fdb_lists_both() {
    local fdb; fdb=$(section "The switch learned")
    echo "$fdb"
    grep -Eq '^vm1 +10 +52:54:00:de:00:01' <<<"$fdb" && grep -Eq '^vm2 +10 +52:54:00:de:00:02' <<<"$fdb"
}
check "yardctl fdb show lists each guest's MAC on its port in VLAN 10" fdb_lists_both
# Positive control first: the capture printed ICMP frames; then the filter: it printed nothing else.
capture_lines() { section "A live capture" | sed -n '/^\$ yardctl capture vm2 -c 4 icmp/,/^\$ /p' | grep -v '^\$ '; }
check "the icmp capture printed 4 frames, echo requests and replies" \
    eval "capture_lines; [ \"\$(capture_lines | grep -ci 'icmp')\" -eq 4 ] && capture_lines | grep -qi 'request' && capture_lines | grep -qi 'reply'"
check "... and no frame that is not ICMP" eval "! capture_lines | grep -vi 'icmp' | grep -Eq '[0-9a-f]{2}:[0-9a-f]{2}:'"
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
[ "$SY_FAILED" = 0 ] || { echo "--- demo output"; cat "$out"; }
check_summary
