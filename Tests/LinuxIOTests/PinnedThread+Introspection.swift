import CSwitchyard
import LinuxIO

/// What the tests read back about the calling thread, to check that `PinnedThread` pinned and
/// named it (the daemon never asks).
extension PinnedThread {
    /// The CPUs the calling thread may run on.
    static func currentAffinity() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let n = cpus.withUnsafeMutableBufferPointer { csy_thread_current_affinity($0.baseAddress, Int32($0.count)) }
        return n > 0 ? cpus.prefix(Int(n)).map { Int($0) } : []
    }

    /// The CPU the calling thread runs on at this instant (-1 if unknown).
    static var currentCPU: Int { Int(csy_current_cpu()) }

    /// The calling thread's name as the kernel reports it.
    static func currentName() -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        guard csy_thread_current_name(&buffer, buffer.count) == 0 else { return "" }
        return String(cString: buffer)
    }
}
