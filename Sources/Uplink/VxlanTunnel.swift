#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import LinuxIO
import Virtio

/// The underlay of a native vxlan port (docs/vxlan-ports.md): a UDP socket bound to
/// `local`:`port` receives encapsulated frames with recvmmsg; a raw IPv4 socket (protocol UDP)
/// sends them with sendmmsg, so the kernel adds the IP header, routes and resolves the next hop,
/// and the switch writes the UDP header itself (its source port carries the inner flow's
/// entropy, RFC 7348 §5). No IP stack of our own. Owned and driven by one engine thread.
///
/// Receive checks every datagram (RFC 7348 §5, as Linux's vxlan_rcv does) and counts each
/// refusal under its own counter; the port turns them into drop reasons.
public final class VxlanTunnel {
    /// VXLAN header: flags (I bit) in byte 0, VNI in bytes 4-6 (RFC 7348 §5).
    public static let headerLength = 8
    public static let udpHeaderLength = 8
    /// IPv4 20 + UDP 8 + VXLAN 8: what the underlay's IP packet adds to the inner frame. With the
    /// outer Ethernet header, the 50 bytes of RFC 7348's overhead.
    public static let underlayOverhead = 36
    /// The first 32-bit word of a VXLAN header as Linux sends it and accepts it without
    /// extensions: only the I flag.
    static let flagsWord: UInt32 = 0x0800_0000
    public static let maximumBurst = 32
    /// Frames staged for one sendmmsg; datagrams (a frame times its destinations) are capped by
    /// CSY_VXLAN_MAX_BATCH.
    static let stagingFrames = 32
    static let stagingDatagrams = Int(CSY_VXLAN_MAX_BATCH)
    /// The longest flood list: every copy of one frame fits one sendmmsg batch.
    public static let maximumRemotes = stagingDatagrams

    public let vni: UInt32
    /// Network byte order.
    public let localAddress: UInt32
    public let udpPort: UInt16
    /// Largest IP packet the underlay carries (underlay-mtu).
    public let underlayMTU: Int
    /// Largest inner frame accepted from the underlay, untagged (the port's MTU + 14).
    public let innerMaximum: Int
    /// Accept datagrams from any source (true) or only from the flood list.
    public let learnRemotes: Bool
    /// The flood list, network byte order (head-end replication targets): the configured
    /// `remotes:`, or what an EVPN control plane last set (`setFloodList`). Room for
    /// `maximumRemotes`, allocated once.
    public let floodList: UnsafeMutablePointer<UInt32>
    public private(set) var floodCount: Int
    public let remotes = VxlanRemoteTable()

    public struct Counters: Equatable, Sendable {
        public var receivedDatagrams: UInt64 = 0
        /// Shorter than the VXLAN header.
        public var headerTruncated: UInt64 = 0
        /// The flags word is not exactly the I flag.
        public var badFlags: UInt64 = 0
        public var wrongVNI: UInt64 = 0
        /// Inner frame shorter than an Ethernet header.
        public var innerRunt: UInt64 = 0
        /// Inner frame longer than the port's MTU allows, or cut short by the slot.
        public var innerTooLong: UInt64 = 0
        /// From an address not in the flood list while learn-remotes is off.
        public var remoteNotAllowed: UInt64 = 0
        /// Dropped by the kernel before we read them: the UDP socket's receive buffer was full.
        public var socketOverflow: UInt64 = 0
        public var receiveErrors: UInt64 = 0
        public var transmittedDatagrams: UInt64 = 0
        public var transmitErrors: UInt64 = 0
        public var transmitErrorBytes: UInt64 = 0
        public init() {}

        public var receiveDrops: UInt64 {
            headerTruncated &+ badFlags &+ wrongVNI &+ innerRunt &+ innerTooLong &+ remoteNotAllowed
        }
    }
    public private(set) var counters = Counters()
    /// What went wrong last on a socket (nil while all is well), for `yardctl ports`.
    public private(set) var lastError: String?

    private let udp: OwnedFileDescriptor
    private let raw: OwnedFileDescriptor
    // Receive: one slot per datagram; valid frames are compacted into the burst arrays.
    private let slotSize: Int
    private let slots: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<UInt32>
    private let sources: UnsafeMutablePointer<UInt32>
    private let truncated: UnsafeMutablePointer<UInt8>
    private let burstSegments: UnsafeMutablePointer<PacketSegment>
    private let burstSources: UnsafeMutablePointer<UInt32>
    public private(set) var burstCount = 0
    // Transmit staging: UDP + VXLAN header and the inner frame per slot; one datagram per
    // (frame, destination), all flushed with sendmmsg at the end of the turn.
    private let stagingSlotSize: Int
    private let staging: UnsafeMutableRawPointer
    private var stagedFrames = 0
    private let datagramBuffers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let datagramLengths: UnsafeMutablePointer<UInt32>
    private let datagramDestinations: UnsafeMutablePointer<UInt32>
    public private(set) var pendingDatagrams = 0

    /// Opens both sockets. Addresses in network byte order; `innerMTU` is the port's MTU.
    public init(vni: UInt32, local: UInt32, port: UInt16, remotes: [UInt32], underlayMTU: Int, innerMTU: Int,
                learnRemotes: Bool) throws(UplinkError) {
        guard vni > 0 && vni < 1 << 24 else { throw UplinkError("vxlan", reason: "VNI \(vni) out of range 1-16777215") }
        guard (576...65535).contains(underlayMTU) else {
            throw UplinkError("vxlan", reason: "underlay MTU \(underlayMTU) out of range 576-65535")
        }
        // One frame's copies go out in one sendmmsg batch (head-end replication).
        guard remotes.count <= Self.maximumRemotes else {
            throw UplinkError("vxlan", reason: "\(remotes.count) remotes; at most \(Self.maximumRemotes)")
        }
        self.vni = vni
        localAddress = local
        udpPort = port
        self.underlayMTU = underlayMTU
        innerMaximum = innerMTU &+ 14
        self.learnRemotes = learnRemotes
        let u = csy_vxlan_udp_socket(local, port.bigEndian)
        guard u >= 0 else {
            throw UplinkError("vxlan: bind UDP \(Self.format(local)):\(port)", errno: Errno.current)
        }
        udp = OwnedFileDescriptor(adopting: u)
        let r = csy_vxlan_raw_socket(local)
        guard r >= 0 else {
            let e = Errno.current
            udp.close()
            throw UplinkError("vxlan: raw IPv4 socket on \(Self.format(local))",
                              reason: e.description + (e.code == EPERM ? " (needs CAP_NET_RAW)" : ""))
        }
        raw = OwnedFileDescriptor(adopting: r)
        floodCount = remotes.count
        floodList = .allocate(capacity: Self.maximumRemotes)
        for (i, a) in remotes.enumerated() { floodList[i] = a }
        // A datagram one byte longer than the largest valid one shows as truncated, not cut.
        slotSize = (Self.headerLength &+ innerMTU &+ 18 &+ 64) & ~63
        slots = .allocate(byteCount: slotSize &* Self.maximumBurst, alignment: 64)
        lengths = .allocate(capacity: Self.maximumBurst)
        sources = .allocate(capacity: Self.maximumBurst)
        truncated = .allocate(capacity: Self.maximumBurst)
        burstSegments = .allocate(capacity: Self.maximumBurst)
        burstSources = .allocate(capacity: Self.maximumBurst)
        stagingSlotSize = (underlayMTU &+ 63) & ~63
        staging = .allocate(byteCount: stagingSlotSize &* Self.stagingFrames, alignment: 64)
        datagramBuffers = .allocate(capacity: Self.stagingDatagrams)
        datagramLengths = .allocate(capacity: Self.stagingDatagrams)
        datagramDestinations = .allocate(capacity: Self.stagingDatagrams)
    }

    deinit {
        udp.close()
        raw.close()
        floodList.deallocate()
        slots.deallocate()
        lengths.deallocate()
        sources.deallocate()
        truncated.deallocate()
        burstSegments.deallocate()
        burstSources.deallocate()
        staging.deallocate()
        datagramBuffers.deallocate()
        datagramLengths.deallocate()
        datagramDestinations.deallocate()
    }

    /// Closes both sockets now (the port is removed or re-created: a new tunnel may bind the same
    /// address and port at once). Nothing may be sent or received afterwards.
    /// Reads how many datagrams the kernel dropped on the UDP socket for a full receive buffer
    /// (cold: once a second; they never reached us, so no per-datagram check can count them).
    public func readSocketOverflow() {
        let drops = csy_vxlan_socket_drops(udp.rawValue)
        if drops >= 0 { counters.socketOverflow = UInt64(drops) }
    }

    public func close() {
        udp.close()
        raw.close()
        pendingDatagrams = 0
        stagedFrames = 0
    }

    /// The UDP socket: readable while a datagram waits.
    public var fileDescriptor: Int32 { udp.rawValue }

    public static func format(_ address: UInt32) -> String {
        let h = UInt32(bigEndian: address)
        return "\(h >> 24).\(h >> 16 & 0xFF).\(h >> 8 & 0xFF).\(h & 0xFF)"
    }

    /// Whether `address` (network byte order) is in the flood list.
    @inline(__always)
    /// Replaces the flood list (EVPN type-3 routes, docs/vxlan-ports.md), duplicates dropped; false,
    /// with nothing changed, for more than `maximumRemotes` addresses. Engine thread, between bursts.
    @discardableResult
    public func setFloodList(_ addresses: [UInt32]) -> Bool {
        var unique: [UInt32] = []
        for a in addresses where !unique.contains(a) { unique.append(a) }
        guard unique.count <= Self.maximumRemotes else { return false }
        for (i, a) in unique.enumerated() { floodList[i] = a }
        floodCount = unique.count
        return true
    }

    public func isFloodListed(_ address: UInt32) -> Bool {
        for i in 0..<floodCount where floodList[i] == address { return true }
        return false
    }

    // MARK: Receive

    /// Reads up to `max` datagrams, checks and decapsulates each; returns how many inner frames
    /// are valid (frames 0..<n of `frame(_:)`). Refused datagrams are counted in `counters`.
    public func receiveBurst(max: Int) -> Int {
        let n = Int(csy_vxlan_recvmmsg(udp.rawValue, slots, slotSize, Int32(min(max, Self.maximumBurst)),
                                       lengths, sources, truncated))
        if n < 0 {
            counters.receiveErrors &+= 1
            lastError = "recvmmsg: \(Errno.current)"
            burstCount = 0
            return 0
        }
        var count = 0
        for i in 0..<n {
            let slot = slots + i &* slotSize
            let length = Int(lengths[i])
            let source = sources[i]
            if let inner = check(slot, length: length, truncated: truncated[i] != 0, source: source) {
                burstSegments[count] = PacketSegment(base: inner, length: length &- Self.headerLength)
                burstSources[count] = source
                count &+= 1
            }
        }
        counters.receivedDatagrams &+= UInt64(n)
        burstCount = count
        return count
    }

    /// The inner frame of one datagram, or nil (counted) when it is refused.
    @inline(__always)
    private func check(_ slot: UnsafeMutableRawPointer, length: Int, truncated: Bool,
                       source: UInt32) -> UnsafeMutableRawPointer? {
        guard length >= Self.headerLength else {
            counters.headerTruncated &+= 1
            return nil
        }
        // Linux's vxlan_rcv drops a header with flags it does not parse; the reserved byte after
        // the VNI is ignored on receipt (RFC 7348 §5).
        guard UInt32(bigEndian: slot.loadUnaligned(as: UInt32.self)) == Self.flagsWord else {
            counters.badFlags &+= 1
            return nil
        }
        guard UInt32(bigEndian: slot.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) >> 8 == vni else {
            counters.wrongVNI &+= 1
            return nil
        }
        guard learnRemotes || isFloodListed(source) else {
            counters.remoteNotAllowed &+= 1
            return nil
        }
        let inner = length &- Self.headerLength
        guard inner >= 14 else {
            counters.innerRunt &+= 1
            return nil
        }
        if truncated || inner > innerMaximum {
            // Four more bytes only for a tagged frame (which the access port then refuses,
            // counted as vlan-tagged-on-access).
            let etherType = UInt16(bigEndian: slot.loadUnaligned(fromByteOffset: Self.headerLength &+ 12, as: UInt16.self))
            guard !truncated, inner <= innerMaximum &+ 4, etherType == 0x8100 || etherType == 0x88a8 else {
                counters.innerTooLong &+= 1
                return nil
            }
        }
        return slot + Self.headerLength
    }

    /// Frame `index` (0..<burstCount) of the last burst: one segment in our own memory.
    @inline(__always)
    public func frame(_ index: Int) -> ReceivedFrame {
        precondition(index >= 0 && index < burstCount, "frame index outside the burst")
        return ReceivedFrame(segments: UnsafeBufferPointer(start: burstSegments + index, count: 1),
                             length: burstSegments[index].length, vnetHeader: VirtioNetHeader(), tagRestored: false)
    }

    /// Remembers the VTEP frame `index` of the last burst came from, for its inner source MAC
    /// (called for frames the switch accepted: a refused frame teaches nothing).
    @inline(__always)
    public func learnSource(ofFrame index: Int, now: UInt32) {
        let inner = UnsafeRawPointer(burstSegments[index].base)
        // A group address is no station.
        guard inner.load(fromByteOffset: 6, as: UInt8.self) & 1 == 0 else { return }
        remotes.learn(mac: Self.mac(at: inner + 6), address: burstSources[index], now: now)
    }

    /// Six bytes at `p` as a 48-bit number, first byte highest (SwitchCore's MACAddress layout).
    @inline(__always)
    public static func mac(at p: UnsafeRawPointer) -> UInt64 {
        let hi = UInt64(UInt16(bigEndian: p.loadUnaligned(as: UInt16.self)))
        let lo = UInt64(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        return hi << 32 | lo
    }

    // MARK: Transmit

    /// Room for the next inner frame of up to `underlayMTU - 36` bytes: where to write it.
    /// Flushes first when the staging area is full.
    @inline(__always)
    public func reserveInner() -> UnsafeMutableRawPointer {
        if stagedFrames == Self.stagingFrames { flush() }
        return staging + (stagedFrames &* stagingSlotSize &+ Self.udpHeaderLength &+ Self.headerLength)
    }

    /// Stages the inner frame written at `reserveInner()` (`length` bytes) to each of
    /// `destinations` (network byte order), with UDP source port `sourcePort`.
    @inline(__always)
    public func commit(innerLength length: Int, sourcePort: UInt16, destinations: UnsafePointer<UInt32>, count: Int) {
        guard count > 0 else { return }
        if pendingDatagrams &+ count > Self.stagingDatagrams {
            // Keep the frame just written: move it to the first slot after the flush.
            let from = staging + stagedFrames &* stagingSlotSize
            flush()
            if stagedFrames == 0 && from != staging {
                staging.copyMemory(from: from, byteCount: Self.udpHeaderLength &+ Self.headerLength &+ length)
            }
        }
        let slot = staging + stagedFrames &* stagingSlotSize
        let udpLength = Self.udpHeaderLength &+ Self.headerLength &+ length
        slot.storeBytes(of: sourcePort.bigEndian, as: UInt16.self)
        slot.storeBytes(of: udpPort.bigEndian, toByteOffset: 2, as: UInt16.self)
        slot.storeBytes(of: UInt16(truncatingIfNeeded: udpLength).bigEndian, toByteOffset: 4, as: UInt16.self)
        // Zero: no UDP checksum over IPv4 (RFC 7348 §5, "UDP Checksum ... SHOULD be transmitted
        // as zero"); the inner frame carries its own.
        slot.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        slot.storeBytes(of: Self.flagsWord.bigEndian, toByteOffset: 8, as: UInt32.self)
        slot.storeBytes(of: (vni << 8).bigEndian, toByteOffset: 12, as: UInt32.self)
        for d in 0..<count {
            let m = pendingDatagrams &+ d
            datagramBuffers[m] = slot
            datagramLengths[m] = UInt32(truncatingIfNeeded: udpLength)
            datagramDestinations[m] = destinations[d]
        }
        pendingDatagrams &+= count
        stagedFrames &+= 1
    }

    /// Sends everything staged (one sendmmsg, more after a refused datagram, which is skipped and
    /// counted). Returns the datagrams the kernel refused and their inner bytes.
    @discardableResult
    public func flush() -> (datagrams: UInt64, bytes: UInt64) {
        var sent = 0
        var failed: UInt64 = 0
        var failedBytes: UInt64 = 0
        while sent < pendingDatagrams {
            let n = Int(csy_vxlan_sendmmsg(raw.rawValue, datagramBuffers + sent, datagramLengths + sent,
                                           datagramDestinations + sent, Int32(pendingDatagrams &- sent)))
            if n > 0 {
                sent &+= n
                counters.transmittedDatagrams &+= UInt64(n)
                continue
            }
            // The datagram at `sent` was refused (no route, EMSGSIZE, a full socket buffer): skip it.
            if n < 0 { lastError = "sendmmsg: \(Errno.current)" }
            failed &+= 1
            failedBytes &+= UInt64(datagramLengths[sent]) &- UInt64(Self.udpHeaderLength &+ Self.headerLength)
            sent &+= 1
        }
        counters.transmitErrors &+= failed
        counters.transmitErrorBytes &+= failedBytes
        pendingDatagrams = 0
        stagedFrames = 0
        return (failed, failedBytes)
    }

    /// A UDP source port from the inner flow (RFC 7348 §5: a hash of the inner headers, in the
    /// dynamic range 49152-65535), so underlay ECMP spreads flows but keeps each in order: the
    /// MACs and EtherType, and for IPv4 the addresses and, for TCP/UDP without IP options, the ports.
    @inline(__always)
    public static func entropyPort(inner p: UnsafeRawPointer, length: Int) -> UInt16 {
        var h = p.loadUnaligned(as: UInt64.self) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(p.loadUnaligned(fromByteOffset: 6, as: UInt64.self)) &* 0xC2B2_AE3D_27D4_EB4F
        if length >= 38 && p.loadUnaligned(fromByteOffset: 12, as: UInt16.self) == UInt16(0x0800).bigEndian {
            h ^= p.loadUnaligned(fromByteOffset: 26, as: UInt64.self) &* 0x1656_67B1_9E37_79F9
            let proto = p.load(fromByteOffset: 23, as: UInt8.self)
            if p.load(fromByteOffset: 14, as: UInt8.self) == 0x45 && (proto == 6 || proto == 17) {
                h ^= UInt64(p.loadUnaligned(fromByteOffset: 34, as: UInt32.self)) &* 0x27D4_EB2F_1656_67C5
            }
        }
        h ^= h >> 29
        return 49152 | UInt16(truncatingIfNeeded: h >> 32) & 0x3FFF
    }
}
