import Datapath
import Foundation
import Testing

/// CPU time of one engine's own thread, for tests that check an idle engine sleeps. By thread id,
/// not by name or for the whole process: other tests run engines of their own in this process at
/// the same time, each with a thread named switchyard-dp (a busy one once made such a test read
/// 1.24 s, and the process-wide figure 0.10 s in 0.5 s).
struct EngineThreadCPU {
    let tid: pid_t

    init(_ engine: Engine) throws {
        // `perform` runs on the engine thread: /proc/thread-self there ("PID/task/TID") names it.
        let threadSelf = try engine.perform { _ in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        }.get()
        tid = try #require(pid_t(threadSelf.split(separator: "/").last ?? ""), "/proc/thread-self: '\(threadSelf)'")
    }

    /// User + system CPU seconds of the thread so far.
    func seconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8)
        // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        let ticks = try #require(Double(fields[11])) + (try #require(Double(fields[12])))
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
