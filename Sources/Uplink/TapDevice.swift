#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import GuestMemory
import LinkControl
import LinuxIO
import Virtio

/// A Linux TAP device as a switch port's frame I/O: one non-blocking /dev/net/tun fd with
/// IFF_TAP | IFF_NO_PI | IFF_VNET_HDR. Every frame read or written carries a 10-byte virtio-net
/// header (the layout PACKET_VNET_HDR uses too), and TUNSETOFFLOAD lets the host stack hand over
/// partial checksums and TSO super-frames, which cross the switch whole to guests that negotiated
/// them (docs/tap-ports.md). Owned and driven by one engine thread; nothing here locks.
///
/// When no interface of that name exists the switch creates it (non-persistent: it goes away
/// with the fd, i.e. when the port is removed), sets its MTU and brings it up over rtnetlink. An
/// existing TAP device (`ip tuntap add mode tap NAME`) is attached to and left as it was found.
public final class TapDevice {
    public let interfaceName: String
    /// True when the switch created the device (and so owns its MTU and its lifetime).
    public let created: Bool
    /// Largest L3 payload `transmit` accepts without GSO.
    public let mtu: Int
    /// False once the kernel detached the fd (the device was deleted): reopen to continue.
    public private(set) var isAttached = true
    /// The last write found the device administratively down (EIO); cleared by the next
    /// frame that crosses either way. Nothing else tells the fd side: the device may be in
    /// another network namespace, out of our rtnetlink's sight.
    public private(set) var isDown = false
    /// What went wrong last on the fd, for logs and `yardctl` (nil while all is well).
    public private(set) var lastError: String?
    public private(set) var counters = Counters()

    /// What the device saw, beyond what the switch core counts per port. Plain counters.
    public struct Counters: Equatable, Sendable {
        public var receivedFrames: UInt64 = 0
        public var receivedBytes: UInt64 = 0
        /// Reads shorter than a virtio-net header and an Ethernet header: dropped.
        public var receiveMalformed: UInt64 = 0
        /// Reads that filled a whole slot (the frame may have been cut short): dropped.
        public var receiveTruncated: UInt64 = 0
        /// Reads that failed with something other than EAGAIN.
        public var receiveErrors: UInt64 = 0
        public var transmittedFrames: UInt64 = 0
        public var transmittedBytes: UInt64 = 0
        public var transmitErrors: UInt64 = 0
        public init() {}
    }

    /// The virtio-net header both ways: the legacy 10-byte layout (no num_buffers).
    public static let vnetHeaderLength = 10
    public static let maximumBurst = 32
    /// One slot holds a whole GSO super-frame (gso_max_size 64 KiB) with a VLAN tag and its
    /// virtio-net header; a read that fills it may have been truncated.
    static let slotSize = 65_664

    private let fd: OwnedFileDescriptor
    private let slots: UnsafeMutableRawPointer
    private let burstSegments: UnsafeMutablePointer<PacketSegment>
    private let burstLengths: UnsafeMutablePointer<Int>
    private let burstHeaders: UnsafeMutablePointer<VirtioNetHeader>
    public private(set) var burstCount = 0
    private let transmitVectors: UnsafeMutablePointer<iovec>
    private static let transmitVectorCapacity = 130
    private let transmitHeader: UnsafeMutableRawPointer

    /// Opens (or creates) the device. `mtu` is set on a device the switch creates and is the
    /// frame-length limit either way.
    public init(interface name: String, mtu: Int) throws(UplinkError) {
        guard !name.isEmpty, name.utf8.count < 16, !name.contains("/"), !name.contains(" ") else {
            throw UplinkError("tap interface", reason: "'\(name)' is not a valid interface name")
        }
        guard (68...65535).contains(mtu) else { throw UplinkError("open tap \(name)", reason: "MTU \(mtu) out of range") }
        interfaceName = name
        self.mtu = mtu
        // TUNSETIFF creates a missing device and attaches to an existing one: look first to know which.
        created = if_nametoindex(name) == 0
        var step: UnsafePointer<CChar>?
        let raw = csy_tap_open(name, Int32(Self.vnetHeaderLength), &step)
        guard raw >= 0 else {
            let e = Errno.current
            let what = step.map { String(cString: $0) } ?? "open"
            throw UplinkError("open tap \(name): \(what)", reason: e.description + Self.hint(for: e.code, what: what))
        }
        fd = OwnedFileDescriptor(adopting: raw)
        if created {
            guard csy_tap_set_mtu(name, Int32(mtu)) == 0 else {
                throw UplinkError("set MTU \(mtu) on tap \(name)", errno: Errno.current)
            }
            do {
                try NetlinkLinks().setUp(name)
            } catch {
                throw UplinkError("bring tap \(name) up", reason: error.description)
            }
        }
        let n = Self.maximumBurst
        slots = .allocate(byteCount: Self.slotSize * n, alignment: 4096)
        burstSegments = .allocate(capacity: n)
        burstLengths = .allocate(capacity: n)
        burstHeaders = .allocate(capacity: n)
        transmitVectors = .allocate(capacity: Self.transmitVectorCapacity)
        transmitHeader = .allocate(byteCount: 16, alignment: 16)
    }

    deinit {
        // A device the switch created was non-persistent: closing the fd deletes it.
        fd.close()
        slots.deallocate()
        burstSegments.deallocate()
        burstLengths.deallocate()
        burstHeaders.deallocate()
        transmitVectors.deallocate()
        transmitHeader.deallocate()
    }

    private static func hint(for code: Int32, what: String) -> String {
        switch (code, what) {
        case (EPERM, _): return " (needs CAP_NET_ADMIN)"
        case (EINVAL, "TUNSETIFF"): return " (an interface of that name exists but is not a single-queue TAP device)"
        case (EBUSY, "TUNSETIFF"): return " (another process has the TAP device open)"
        default: return ""
        }
    }

    /// Readable (EPOLLIN) while a frame waits; EPOLLERR once the device is gone.
    public var fileDescriptor: Int32 { fd.rawValue }

    // MARK: Receive

    /// Reads up to `max` (at most `maximumBurst`) frames, one read(2) each, into the preallocated
    /// slots; stops at the first EAGAIN. Frames stay valid until the next `receiveBurst`.
    public func receiveBurst(max: Int) -> Int {
        let limit = min(max, Self.maximumBurst)
        var count = 0
        var attempts = 0
        var bytes = 0
        // Bounded: a host sending only runt frames costs at most two bursts' worth of reads.
        while count < limit && attempts < 2 &* limit {
            attempts &+= 1
            let slot = slots + count &* Self.slotSize
            let n = read(fd.rawValue, slot, Self.slotSize)
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e != EAGAIN { receiveFailed(e) }
                break
            }
            guard n >= Self.vnetHeaderLength &+ 14 else {
                counters.receiveMalformed &+= 1
                continue
            }
            guard n < Self.slotSize else {
                counters.receiveTruncated &+= 1
                continue
            }
            isDown = false
            burstHeaders[count] = VirtioNetHeader(readingFrom: UnsafeRawPointer(slot), length: Self.vnetHeaderLength)
            let length = n &- Self.vnetHeaderLength
            burstSegments[count] = PacketSegment(base: slot + Self.vnetHeaderLength, length: length)
            burstLengths[count] = length
            bytes &+= length
            count &+= 1
        }
        burstCount = count
        counters.receivedFrames &+= UInt64(count)
        counters.receivedBytes &+= UInt64(bytes)
        return count
    }

    /// Frame `index` (0..<burstCount) of the current burst: one segment, in our own memory.
    @inline(__always)
    public func frame(_ index: Int) -> ReceivedFrame {
        precondition(index >= 0 && index < burstCount, "frame index outside the burst")
        return ReceivedFrame(segments: UnsafeBufferPointer(start: burstSegments + index, count: 1),
                             length: burstLengths[index], vnetHeader: burstHeaders[index], tagRestored: false)
    }

    private func receiveFailed(_ code: Int32) {
        counters.receiveErrors &+= 1
        noteError(code, "read")
    }

    /// EBADFD: the kernel detached the fd because the device was deleted (`ip link del`).
    private func noteError(_ code: Int32, _ what: String) {
        lastError = "\(what): \(Errno(code))"
        if code == EBADFD { isAttached = false }
    }

    // MARK: Transmit

    /// Writes one frame with writev(2): the virtio-net header, `prefix` (the L2 header, possibly
    /// re-tagged), then the bytes of `segments` after the first `skipping`. The kernel copies
    /// before writev returns, so nothing needs to outlive the call; it segments GSO frames and
    /// finishes partial checksums as the header asks.
    /// Not inlinable: one writev per frame outweighs reading the segments through the generic.
    public func transmit<Segment: ByteSegment>(prefix: UnsafeRawBufferPointer, segments: UnsafeBufferPointer<Segment>,
                                               skipping: Int, vnetHeader: VirtioNetHeader) -> UplinkTransmitResult {
        let (length, refusal) = OutgoingFrame.measure(prefix: prefix, segments: segments, skipping: skipping,
                                                      vnetHeader: vnetHeader, mtu: mtu)
        if let refusal { return refuse(refusal) }
        vnetHeader.write(to: transmitHeader, length: Self.vnetHeaderLength)
        guard let used = OutgoingFrame.gather(header: transmitHeader, headerLength: Self.vnetHeaderLength,
                                              prefix: prefix, segments: segments, skipping: skipping,
                                              into: transmitVectors, capacity: Self.transmitVectorCapacity)
        else { return refuse(.rejected) }
        var rc: Int
        repeat {
            rc = writev(fd.rawValue, transmitVectors, Int32(used))
        } while rc < 0 && errno == EINTR
        guard rc >= 0 else {
            let e = errno
            switch e {
            case EAGAIN, ENOBUFS:
                return refuse(.ringFull)
            case EIO:
                // tun_get_user refuses frames while the device is down.
                isDown = true
                return refuse(.rejected)
            default:
                noteError(e, "write")
                return refuse(.rejected)
            }
        }
        isDown = false
        counters.transmittedFrames &+= 1
        counters.transmittedBytes &+= UInt64(length)
        return .queued
    }

    /// `transmit` of one contiguous frame (tests, the host's own frames).
    public func transmit(frame: UnsafeRawBufferPointer, vnetHeader: VirtioNetHeader = VirtioNetHeader())
        -> UplinkTransmitResult {
        guard let base = frame.baseAddress else { return refuse(.rejected) }
        var segment = PacketSegment(base: UnsafeMutableRawPointer(mutating: base), length: frame.count)
        return withUnsafePointer(to: &segment) {
            transmit(prefix: UnsafeRawBufferPointer(start: nil, count: 0),
                     segments: UnsafeBufferPointer(start: $0, count: 1), skipping: 0, vnetHeader: vnetHeader)
        }
    }

    private func refuse(_ result: UplinkTransmitResult) -> UplinkTransmitResult {
        if result != .mtuExceeded { counters.transmitErrors &+= 1 }
        return result
    }
}
