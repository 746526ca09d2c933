# report.sh — collecting per-run figures and rendering compare.sh's table (Markdown).
#
#   bench_record BACKEND CASE SIZE PPS BPS [MARK]   adds one run's figures; MARK (e.g. "†") is shown
#                                            after that run's Mpps
#   bench_median "N N N"                     median of numbers (mean of the middle two if even)
#   bench_table                              the table; ratios are Switchyard's median over the row's,
#                                            same frame size, same traffic (learned for testpmd)

[ -n "${BENCH_REPORT_SOURCED:-}" ] && return 0
BENCH_REPORT_SOURCED=1

declare -A BENCH_PPS BENCH_BPS BENCH_RUNS
BENCH_ROWS=()

bench_record() {
    local key="$1|$2|$3"
    [ -n "${BENCH_PPS[$key]+x}" ] || BENCH_ROWS+=("$key")
    BENCH_PPS[$key]="${BENCH_PPS[$key]:-} $4"
    BENCH_BPS[$key]="${BENCH_BPS[$key]:-} $5"
    BENCH_RUNS[$key]="${BENCH_RUNS[$key]:-}$(awk -v p="$4" 'BEGIN { printf "%.2f", p / 1e6 }')${6:-} "
}

bench_median() {
    tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_backend_label() {
    case $1 in
        switchyard) echo Switchyard ;;
        testpmd) echo "testpmd (vhost io)" ;;
        ovs) echo OVS-DPDK ;;
        *) echo "$1" ;;
    esac
}

bench_case_label() {
    case $1 in
        learned) echo "learned unicast" ;;
        flood) echo "unknown unicast (flood)" ;;
        bcast) echo "broadcast (flood)" ;;
        io) echo "port to port" ;;
        *) echo "$1" ;;
    esac
}

bench_table() {
    local key backend case size pps bps runs ratio sycase sy
    echo "| back-end | traffic | frame | Mpps | Gbit/s | Mpps per run | Switchyard ÷ this |"
    echo "|---|---|---:|---:|---:|---|---:|"
    for key in "${BENCH_ROWS[@]}"; do
        IFS='|' read -r backend case size <<<"$key"
        pps=$(bench_median "${BENCH_PPS[$key]}") || pps=""
        bps=$(bench_median "${BENCH_BPS[$key]}") || bps=""
        runs=${BENCH_RUNS[$key]}
        ratio="—"
        if [ "$backend" != switchyard ] && [ -n "$pps" ]; then
            sycase=$case; [ "$backend" = testpmd ] && sycase=learned
            sy=${BENCH_PPS[switchyard|$sycase|$size]:-}
            if [ -n "$sy" ] && [ "$pps" != 0 ]; then
                ratio=$(awk -v a="$(bench_median "$sy")" -v b="$pps" 'BEGIN { printf "%.2f×", a / b }')
            fi
        fi
        awk -v be="$(bench_backend_label "$backend")" -v c="$(bench_case_label "$case")" -v s="$size" \
            -v p="$pps" -v b="$bps" -v runs="${runs% }" -v ratio="$ratio" 'BEGIN {
                mp = (p == "") ? "failed" : sprintf("%.2f", p / 1e6)
                gb = (b == "") ? "failed" : sprintf("%.2f", b / 1e9)
                printf "| %s | %s | %d B | %s | %s | %s | %s |\n", be, c, s, mp, gb, runs, ratio }'
    done
}
