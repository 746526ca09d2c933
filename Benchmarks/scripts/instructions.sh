#!/usr/bin/env bash
# Instructions per forwarded 64-byte frame in the datapath engine, counted by callgrind.
#
# Builds DatapathInstructions (release), runs it under callgrind with collection on only inside
# Engine.runOnce (the engine's turn: control events + one pass over every ring; the guests'
# ring work in the benchmark loop is not counted), and with the set-up and warm-up discarded
# (CALLGRIND_ZERO_STATS before the measured loop, CALLGRIND_DUMP_STATS after it).
# Prints `instructions per frame: N` (all of runOnce), the share of pollPorts (the forwarding
# pass alone, without the epoll_wait every runOnce makes), and the top functions by inclusive cost.
#
# Usage: Benchmarks/scripts/instructions.sh [frames] [top-n]     (from anywhere)
#        DATAPATH_ARGS=--dirty-log ...: the receiver with live migration's dirty log on (docs/dirty-log.md).
# RING_FORMAT=packed measures both guests on packed virtqueues instead of split ones.
# Needs valgrind (apt-get install valgrind: it also provides valgrind/callgrind.h).
set -euo pipefail

frames=${1:-320000}
top=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
package=$(dirname "$here")
scratch=${SCRATCH_PATH:-$package/.build-callgrind}
out=${OUT_DIR:-$scratch/callgrind}

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

# Valgrind 3.19 (Debian 12) cannot read the DWARF 5 the Swift toolchain emits by default and gives
# up on the binary, so this build (its own scratch path: different flags) asks for DWARF 4, which
# also gives callgrind source lines.
flags=(-c release -Xswiftc -g -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4)
swift build --package-path "$package" --scratch-path "$scratch" "${flags[@]}" --product DatapathInstructions >&2
binary=$(swift build --package-path "$package" --scratch-path "$scratch" "${flags[@]}" --show-bin-path)/DatapathInstructions
mkdir -p "$out"

# Swift mangles Datapath.Engine.runOnce(timeoutMilliseconds:) and pollPorts(); look the names up
# rather than hard-coding them, so a signature change fails here loudly.
# (awk reads to the end: an early exit would SIGPIPE nm and, with pipefail, end the script.)
symbol() { nm "$binary" | awk -v p="$1" 'index($3, p) == 1 && !found { print $3; found = 1 }'; }
runonce=$(symbol '$s8Datapath6EngineC7runOnce')
pollports=$(symbol '$s8Datapath6EngineC9pollPorts')
[ -n "$runonce" ] || { echo "Engine.runOnce not found in $binary" >&2; exit 1; }

rm -f "$out"/callgrind.out.*
valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$runonce" --dump-instr=yes --dump-line=no \
    --callgrind-out-file="$out/callgrind.out.%p" \
    "$binary" --frames "$frames" --warmup-turns 500 ${RING_FORMAT:+--$RING_FORMAT} ${DATAPATH_ARGS:-} >"$out/run.log" 2>"$out/valgrind.log" || {
    cat "$out/run.log" "$out/valgrind.log" >&2
    exit 1
}
cat "$out/run.log"

# The measured loop's dump is callgrind.out.<pid>.1; the one at exit holds only the teardown.
dump=$(ls "$out"/callgrind.out.*.1 2>/dev/null | head -n 1)
[ -n "$dump" ] || { echo "no callgrind dump of the measured loop in $out" >&2; exit 1; }
forwarded=$(awk '/^frames forwarded:/ {print $3}' "$out/run.log")
total=$(awk '/^summary:/ {print $2}' "$dump")
[ -n "$total" ] && [ -n "$forwarded" ] && [ "$forwarded" -gt 0 ] || { echo "cannot parse $dump / run.log" >&2; exit 1; }

annotate() { callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$dump" 2>/dev/null; }
# Inclusive Ir of one function (its first line in the annotate listing).
inclusive() { annotate | awk -v f="$1" 'index($0, f) && !found { gsub(",", "", $1); print $1; found = 1 }'; }

echo "callgrind dump: $dump"
echo "engine instructions (Engine.runOnce, inclusive): $total for $forwarded frames"
echo "instructions per frame: $(( (total + forwarded / 2) / forwarded ))"
if [ -n "$pollports" ]; then
    poll=$(inclusive "$pollports")
    if [ -n "$poll" ]; then
        echo "of which Engine.pollPorts (forwarding pass, no epoll_wait): $(( (poll + forwarded / 2) / forwarded )) per frame"
    fi
fi
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
# Lines of the annotate listing: "Ir file:function [object]" → "per-frame  %  function". With line
# info, callgrind_annotate lists a function once per source file its inlined code came from, so
# merge by name: $2 = max (inclusive: the largest entry is the whole function) or sum (self).
table() {
    awk -v total="$total" -v merge="$2" '
        /^-+$/ { dashes++; next }
        dashes >= 3 && NF >= 2 && $1 ~ /^[0-9,]+$/ {
            ir = $1; gsub(",", "", ir); ir += 0
            if (ir > total + 0) next                          # callers of runOnce (main, libc)
            name = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", name); sub(/ \[[^]]*\]$/, "", name)
            sub(/^(\?\?\?|[^ ]*\.(swift|c|h|S|cc|cpp)|\/\/<compiler-generated>):/, "", name)
            if (name ~ /PROGRAM TOTALS|below main|libc_start|DatapathInstructions_main|TwoPort|EngineC7runOnce|^0x/) next
            if (merge == "max") { if (ir > cost[name]) cost[name] = ir } else cost[name] += ir
        }
        END { for (n in cost) printf "%d\t%s\n", cost[n], n }' |
    sort -t "$(printf '\t')" -k1,1nr | head -n "$1" |
    awk -F '\t' -v frames="$forwarded" -v total="$total" '{ printf "%8.1f  %5.1f%%  %s\n", $1 / frames, 100 * $1 / total, $2 }' |
    demangle
}
echo
echo "top $top functions by inclusive Ir (Ir per frame, share of runOnce):"
annotate | table "$top" max
echo
echo "top $top functions by self Ir:"
callgrind_annotate --auto=no --inclusive=no --threshold=100 "$dump" 2>/dev/null | table "$top" sum
echo
echo "Swift runtime calls per frame by call site (ARC, exclusivity checks, lazy globals, allocation):"
python3 "$here/callsites.py" "$dump" --per "$forwarded" --binary "$binary" \
    'swift_retain$' 'swift_release$' 'swift_beginAccess' 'unsafeMutableAddressor' 'swift_allocObject' '^malloc' \
    | awk '$1 + 0 >= 0.05' | sed "s|$(dirname "$package")/||g"
