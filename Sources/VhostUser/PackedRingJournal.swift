#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Virtio

/// One port's record of where its packed rings stand, in a file that outlives the daemon
/// (docs/memory-hotplug-and-reconnect.md, "Packed rings"). A split ring resumes from `used->idx`
/// in guest memory after Switchyard restarts; a packed ring has no such index, and QEMU's
/// fallback when GET_VRING_BASE fails on the dead socket keeps the base of the previous start,
/// which after any traffic names the wrong slot: the ring would never run again.
///
/// Per ring, a 64-byte entry: who it belongs to (the front-end process, the ring's descriptor
/// address in that process and its size, and the base that front-end sent when the entry began)
/// and the `PackedRingProgress` record the queue keeps up to date as it writes used descriptors.
/// The entry is trusted only for the same front-end process re-sending the same base: a front-end
/// that learned a newer base (a successful GET_VRING_BASE, which also clears the entry) or a new
/// QEMU starts from what it sends.
public final class PackedRingJournal {
    /// The front-end process at the other end of the socket: its pid and start time.
    public struct FrontEnd: Equatable, Sendable {
        public var pid: Int32
        public var startTime: UInt64

        public init(pid: Int32, startTime: UInt64) {
            self.pid = pid
            self.startTime = startTime
        }

        /// The connected peer's, from SO_PEERCRED and /proc; nil if either cannot be read.
        public init?(peerOf socket: UnixSocket) {
            guard case .success(let peer) = socket.peerCredentials(), peer.pid > 0,
                  let started = processStartTime(peer.pid) else { return nil }
            self.init(pid: peer.pid, startTime: started)
        }
    }

    static let entryBytes = 64
    static let magic: UInt32 = 0x5259_5350 // "PSYR"
    static let progressOffset = 32

    public let path: String
    let rings: Int
    private let base: UnsafeMutableRawPointer
    private let length: Int

    /// Opens or creates the file (0600) with room for `rings` entries, keeping what it holds.
    public init(path: String, rings: Int) throws(Errno) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Errno.current }
        defer { close(fd) }
        length = max(rings, 1) * Self.entryBytes
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Errno.current }
        // Only a regular file we own: the directory is ours, but a planted link or FIFO is refused.
        guard st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid() else { throw Errno(EPERM) }
        if Int(st.st_size) != length, ftruncate(fd, off_t(length)) != 0 { throw Errno.current }
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED
        else { throw Errno.current }
        base = p
        self.path = path
        self.rings = rings
    }

    deinit { munmap(base, length) }

    /// Deletes the file (the port is gone for good).
    public func remove() { unlink(path) }

    private func entry(_ ring: Int) -> UnsafeMutableRawPointer? {
        ring >= 0 && ring < rings ? base + ring * Self.entryBytes : nil
    }

    /// Ring `ring`'s progress record, for `PackedQueue(progressRecord:)`.
    public func progressRecord(ring: Int) -> UnsafeMutableRawPointer? {
        entry(ring).map { $0 + Self.progressOffset }
    }

    /// Where ring `ring` stood when the back-end before us stopped or died, if the entry is this
    /// front-end's for this ring and it sent the same base as then: the batch cut short is
    /// finished in the descriptor ring (`PackedRingProgress.recover`) and its end returned.
    public func resume(ring: Int, frontEnd: FrontEnd, descriptorUVA: UInt64, size: Int, frontEndBase: UInt32,
                       descriptors: UnsafeMutableRawPointer) -> UInt16? {
        guard let e = entry(ring), e.load(as: UInt32.self) == Self.magic,
              e.load(fromByteOffset: 4, as: UInt16.self) == UInt16(truncatingIfNeeded: size),
              e.load(fromByteOffset: 8, as: UInt64.self) == descriptorUVA,
              e.load(fromByteOffset: 16, as: Int32.self) == frontEnd.pid,
              e.load(fromByteOffset: 20, as: UInt32.self) == frontEndBase,
              e.load(fromByteOffset: 24, as: UInt64.self) == frontEnd.startTime
        else { return nil }
        return PackedRingProgress.recover(e + Self.progressOffset, ring: descriptors, size: UInt16(truncatingIfNeeded: size))
    }

    /// Starts (or keeps) ring `ring`'s entry for this front-end; the queue then keeps its progress.
    public func begin(ring: Int, frontEnd: FrontEnd, descriptorUVA: UInt64, size: Int, frontEndBase: UInt32) {
        guard let e = entry(ring) else { return }
        e.storeBytes(of: 0, as: UInt32.self)
        e.storeBytes(of: UInt16(truncatingIfNeeded: size), toByteOffset: 4, as: UInt16.self)
        e.storeBytes(of: descriptorUVA, toByteOffset: 8, as: UInt64.self)
        e.storeBytes(of: frontEnd.pid, toByteOffset: 16, as: Int32.self)
        e.storeBytes(of: frontEndBase, toByteOffset: 20, as: UInt32.self)
        e.storeBytes(of: frontEnd.startTime, toByteOffset: 24, as: UInt64.self)
        e.storeBytes(of: Self.magic, as: UInt32.self)
    }

    /// The front-end learned where ring `ring` stands (GET_VRING_BASE): its own base is right from
    /// now on.
    public func clear(ring: Int) {
        entry(ring)?.storeBytes(of: 0, as: UInt32.self)
    }
}
