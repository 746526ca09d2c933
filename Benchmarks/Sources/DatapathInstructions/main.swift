#if canImport(Glibc)
import Glibc
#endif
import CBenchSupport
import DatapathWorkload

// Forwards N 64-byte frames A → B through a synchronously driven Engine (see TwoPortDatapath),
// then prints the wall-clock rate. Under callgrind (scripts/instructions.sh) the costs collected
// before the measured loop are discarded and the loop's are dumped on their own, so
// `--toggle-collect=<Engine.runOnce>` yields the engine's instructions for exactly these frames.
//
// Usage: DatapathInstructions [--frames N] [--warmup-turns N] [--dirty-log] [--packed]
//   --dirty-log: the receiving guest's front-end has live migration's dirty log on (docs/dirty-log.md).
//   --packed: both guests on packed rings (docs/packed-rings.md).

func argument(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]), v > 0 else { return value }
    return v
}

func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// `x` with `digits` decimals, without Foundation.
func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int((x * scale).rounded())
    let whole = n / Int(scale), fraction = String(n % Int(scale))
    return digits == 0 ? "\(whole)" : "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
}

let frames = argument("--frames", default: 3_200_000)
let warmupTurns = argument("--warmup-turns", default: 2_000)

let workload: TwoPortDatapath
do {
    workload = try TwoPortDatapath(dirtyLog: CommandLine.arguments.contains("--dirty-log"),
                                   packed: CommandLine.arguments.contains("--packed"))
} catch {
    fputs("\(error)\n", stderr)
    exit(1)
}

// Page faults, branch predictors, the FDB refresh: none of it belongs to the steady state.
for _ in 0..<warmupTurns { _ = workload.turn() }
let before = workload.delivered

cbs_callgrind_zero_stats()
let start = nanoseconds()
var moved = 0
var turns = 0
while moved < frames {
    moved &+= workload.turn()
    turns &+= 1
}
let elapsed = nanoseconds() &- start
cbs_callgrind_dump_stats("measured loop")

let after = workload.delivered
let deliveredFrames = after.frames - before.frames
let deliveredBytes = after.bytes - before.bytes

// What a turn costs with nothing to forward: runOnce's epoll_wait (a syscall the real engine loop
// makes only every 64 busy turns) plus an empty pass over the rings. Not under callgrind: the
// toggle would count it.
var idleNanoseconds = 0.0
let idleTurns = 100_000
if cbs_running_on_valgrind() == 0 {
    while workload.engine.runOnce() > 0 { workload.receive.recycle() }
    let idleStart = nanoseconds()
    for _ in 0..<idleTurns { workload.engine.runOnce() }
    idleNanoseconds = Double(nanoseconds() &- idleStart) / Double(idleTurns)
}
workload.close()

print("frames forwarded: \(moved)")
print("engine turns: \(turns) (\(fixed(Double(moved) / Double(turns), 2)) frames per turn)")
guard deliveredFrames == moved, deliveredBytes == moved * (12 + workload.frameLength) else {
    print("ERROR: B received \(deliveredFrames) frames / \(deliveredBytes) bytes for \(moved) forwarded")
    exit(1)
}
let nsPerFrame = Double(elapsed) / Double(moved)
print("wall-clock: \(fixed(nsPerFrame, 1)) ns per frame, \(fixed(1000.0 / nsPerFrame, 2)) Mpps"
      + " (one thread: engine + both guests\(cbs_running_on_valgrind() != 0 ? ", under valgrind: meaningless" : ""))")
if idleNanoseconds > 0 {
    print("idle engine turn (epoll_wait + empty ring pass): \(fixed(idleNanoseconds, 1)) ns"
          + " = \(fixed(idleNanoseconds / (Double(moved) / Double(turns)), 1)) ns per frame of the above")
}
