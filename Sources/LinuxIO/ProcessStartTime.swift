#if canImport(Glibc)
import Glibc
#endif

/// When process `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat): with the
/// pid, it names one process for the life of the machine, since pids are reused but a reused pid
/// starts later. Nil if the process is gone or the file cannot be read.
public func processStartTime(_ pid: pid_t) -> UInt64? {
    let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return nil }
    // The command name (field 2) is in parentheses and may hold spaces and ')': fields 3 and on
    // follow the last ')'.
    let bytes = buffer[0..<n]
    guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
    let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
    guard fields.count > 19 else { return nil }
    return UInt64(String(decoding: fields[19], as: UTF8.self))
}
