# report.sh — collecting per-run figures and rendering compare.sh's tables (Markdown).
#
#   bench_record BACKEND CASE SIZE RUN PPS BPS [MARK]   one run's figures; MARK (e.g. "†") is shown
#                                            after that run's Mpps and after every ratio it enters
#   bench_median "N N N"                     median of numbers (mean of the middle two if even)
#   bench_table                              rates: median and every run, per back-end and case
#   bench_ratio_table                        Switchyard ÷ each other back-end PER PAIRED RUN (run r of
#                                            Switchyard over run r of the other, same size, same
#                                            traffic; learned unicast against testpmd's port to port),
#                                            every run listed, then min / median / max
#   bench_targets                            the targets of issue #14; one holds only if the median
#                                            AND the worst paired run meet it
#
# Why paired: compare.sh runs the back-ends one after the other inside each run, so run r of every
# back-end shares the machine's state at that time; a ratio of medians mixes runs minutes apart
# (docs/test-and-benchmark-method.md).

[ -n "${BENCH_REPORT_SOURCED:-}" ] && return 0
BENCH_REPORT_SOURCED=1

declare -A BENCH_PPS BENCH_BPS BENCH_RUN_PPS BENCH_RUN_MARK
BENCH_ROWS=() BENCH_RUN_LIST=()

bench_record() {
    local key="$1|$2|$3" run=$4
    [ -n "${BENCH_PPS[$key]+x}" ] || BENCH_ROWS+=("$key")
    case " ${BENCH_RUN_LIST[*]} " in *" $run "*) ;; *) BENCH_RUN_LIST+=("$run") ;; esac
    BENCH_PPS[$key]="${BENCH_PPS[$key]:-} $5"
    BENCH_BPS[$key]="${BENCH_BPS[$key]:-} $6"
    BENCH_RUN_PPS[$key|$run]=$5
    BENCH_RUN_MARK[$key|$run]=${7:-}
}

bench_median() {
    tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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
    local key backend case size pps bps runs run
    echo "| back-end | traffic | frame | median Mpps | median Gbit/s | Mpps per run (run 1, 2, …) |"
    echo "|---|---|---:|---:|---:|---|"
    for key in "${BENCH_ROWS[@]}"; do
        IFS='|' read -r backend case size <<<"$key"
        pps=$(bench_median "${BENCH_PPS[$key]}") || pps=""
        bps=$(bench_median "${BENCH_BPS[$key]}") || bps=""
        runs=""
        for run in "${BENCH_RUN_LIST[@]}"; do
            if [ -n "${BENCH_RUN_PPS[$key|$run]+x}" ]; then
                runs+="$(awk -v p="${BENCH_RUN_PPS[$key|$run]}" 'BEGIN { printf "%.2f", p / 1e6 }')${BENCH_RUN_MARK[$key|$run]}, "
            else
                runs+="—, "
            fi
        done
        awk -v be="$(bench_backend_label "$backend")" -v c="$(bench_case_label "$case")" -v s="$size" \
            -v p="$pps" -v b="$bps" -v runs="${runs%, }" 'BEGIN {
                mp = (p == "") ? "failed" : sprintf("%.2f", p / 1e6)
                gb = (b == "") ? "failed" : sprintf("%.2f", b / 1e9)
                printf "| %s | %s | %d B | %s | %s | %s |\n", be, c, s, mp, gb, runs }'
    done
}

# Prints "LIST MIN MEDIAN MAX N" for Switchyard ÷ the row KEY over paired runs ("" if none paired).
bench_paired_ratios() {
    local key=$1 backend case size sykey run a b r mn md mx n list="" values=""
    IFS='|' read -r backend case size <<<"$key"
    sykey="switchyard|$case|$size"; [ "$backend" = testpmd ] && sykey="switchyard|learned|$size"
    for run in "${BENCH_RUN_LIST[@]}"; do
        a=${BENCH_RUN_PPS[$sykey|$run]:-} b=${BENCH_RUN_PPS[$key|$run]:-}
        [ -n "$a" ] && [ -n "$b" ] || continue
        awk -v b="$b" 'BEGIN { exit !(b > 0) }' || continue
        r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        list+="${r}×${BENCH_RUN_MARK[$sykey|$run]}${BENCH_RUN_MARK[$key|$run]}, "
        values+=" $r"
    done
    [ -n "$values" ] || return 1
    read -r mn md mx n < <(tr ' ' '\n' <<<"$values" | grep -v '^$' | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.2f %.2f %.2f %d\n", v[1], m, v[NR], NR }')
    echo "${list%, }|$mn|$md|$mx|$n"
}

bench_ratio_table() {
    local key backend case size out list mn md mx n
    echo "| Switchyard ÷ | traffic | frame | per paired run (run 1, 2, …) | min | median | max |"
    echo "|---|---|---:|---|---:|---:|---:|"
    for key in "${BENCH_ROWS[@]}"; do
        IFS='|' read -r backend case size <<<"$key"
        [ "$backend" = switchyard ] && continue
        if out=$(bench_paired_ratios "$key"); then
            IFS='|' read -r list mn md mx n <<<"$out"
            echo "| $(bench_backend_label "$backend") | $(bench_case_label "$case") | $size B | $list | ${mn}× | ${md}× | ${mx}× |"
        else
            echo "| $(bench_backend_label "$backend") | $(bench_case_label "$case") | $size B | no paired run | — | — | — |"
        fi
    done
}

# TARGET lines: BACKEND CASE SIZE MINIMUM DESCRIPTION
BENCH_TARGETS=(
    "ovs learned 64 2.0 64 B learned unicast ≥ 2× OVS-DPDK"
    "testpmd io 64 1.2 64 B learned unicast ≥ 1.2× testpmd (port to port)"
    "testpmd io 1518 1.5 1518 B learned unicast ≥ 1.5× testpmd (port to port)"
    "ovs flood 64 1.0 64 B flooding no slower than OVS-DPDK"
    "ovs flood 1518 1.0 1518 B flooding no slower than OVS-DPDK"
)

bench_targets() {
    local t backend case size min what out list mn md mx n verdict
    echo "| target | paired runs | median | worst run | holds (median and worst run) |"
    echo "|---|---:|---:|---:|---|"
    for t in "${BENCH_TARGETS[@]}"; do
        read -r backend case size min what <<<"$t"
        [ -n "${BENCH_PPS[$backend|$case|$size]+x}" ] || continue
        if out=$(bench_paired_ratios "$backend|$case|$size"); then
            IFS='|' read -r list mn md mx n <<<"$out"
            if awk -v a="$md" -v b="$mn" -v m="$min" 'BEGIN { exit !(a >= m && b >= m) }'; then verdict=yes
            elif awk -v a="$md" -v m="$min" 'BEGIN { exit !(a >= m) }'; then verdict="no (the median meets it, the worst run does not)"
            else verdict=no; fi
            echo "| $what | $n | ${md}× | ${mn}× | $verdict |"
        else
            echo "| $what | 0 | — | — | not measured |"
        fi
    done
}
