#if canImport(Glibc)
import Glibc
#endif

extension VhostUserDevice {
    /// Whether eventfd `fd` was made with EFD_SEMAPHORE (false when the kernel does not say).
    ///
    /// A semaphore eventfd gives back 1 per read and stays readable until its counter is 0. As a
    /// kick fd, one `write` of 0xfffffffffffffffe by the front-end would keep the engine's
    /// level-triggered epoll reporting it readable on every turn, for ever: the engine would never
    /// sleep again, at no cost to the front-end. The mode is fixed at creation, so checking it
    /// once, when SET_VRING_KICK hands it over, is enough. Linux shows it in fdinfo since 6.4
    /// ("eventfd-semaphore: 1"); older kernels do not, and there the trap stays open
    /// (docs/red-team.md).
    static func isSemaphoreEventFD(_ fd: Int32) -> Bool {
        let path = "/proc/self/fdinfo/\(fd)"
        let info = open(path, O_RDONLY | O_CLOEXEC)
        guard info >= 0 else { return false }
        defer { close(info) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { read(info, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        return text.split(separator: "\n").contains { line in
            line.hasPrefix("eventfd-semaphore:") && line.dropFirst("eventfd-semaphore:".count).trimmingCharacters() == "1"
        }
    }
}

private extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
