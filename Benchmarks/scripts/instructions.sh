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
# Needs valgrind (apt-get install valgrind: it also provides valgrind/callgrind.h).
set -euo pipefail

frames=${1:-320000}
top=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
package=$(dirname "$here")
scratch=${SCRATCH_PATH:-$package/.build-bench}
out=${OUT_DIR:-$package/.build-bench/callgrind}

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

swift build --package-path "$package" --scratch-path "$scratch" -c release --product DatapathInstructions >&2
built=$(swift build --package-path "$package" --scratch-path "$scratch" -c release --show-bin-path)/DatapathInstructions

mkdir -p "$out"
# Valgrind 3.19 (Debian 12) cannot read the DWARF 5 the Swift toolchain emits and gives up; the
# symbol table is all callgrind needs for function names, so profile a copy without debug info.
binary="$out/DatapathInstructions"
objcopy --strip-debug "$built" "$binary"

# Swift mangles Datapath.Engine.runOnce(timeoutMilliseconds:) and pollPorts(); look the names up
# rather than hard-coding them, so a signature change fails here loudly.
# (awk reads to the end: an early exit would SIGPIPE nm and, with pipefail, end the script.)
symbol() { nm "$binary" | awk -v p="$1" 'index($3, p) == 1 && !found { print $3; found = 1 }'; }
runonce=$(symbol '$s8Datapath6EngineC7runOnce')
pollports=$(symbol '$s8Datapath6EngineC9pollPorts')
[ -n "$runonce" ] || { echo "Engine.runOnce not found in $binary" >&2; exit 1; }

rm -f "$out"/callgrind.out.*
valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$runonce" \
    --callgrind-out-file="$out/callgrind.out.%p" \
    "$binary" --frames "$frames" --warmup-turns 500 >"$out/run.log" 2>"$out/valgrind.log" || {
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

annotate() { callgrind_annotate --inclusive=yes --threshold=100 "$dump" 2>/dev/null; }
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
echo
echo "top $top functions by inclusive Ir (per frame, % of runOnce):"
demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
annotate | awk -v n="$top" -v frames="$forwarded" -v total="$total" '
    /^-+$/ { dashes++; next }
    dashes >= 3 && NF >= 2 && $1 ~ /^[0-9,]+$/ && shown < n {
        ir = $1; gsub(",", "", ir)
        name = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", name); sub(/ \[[^]]*\]$/, "", name)
        printf "%8.1f  %5.1f%%  %s\n", ir / frames, 100 * ir / total, name
        shown++
    }' | demangle
