import SwitchCore

/// A mirror as the engine needs it (docs/mirroring.md): ports by name, resolved to indices by
/// `Engine.setMirrors` whenever the mirrors or the ports change.
public struct MirrorSpecification: Equatable, Sendable {
    public var name: String
    public var output: String
    public var sourcePorts: [String]
    public var destinationPorts: [String]
    public var vlans: [UInt16]

    public init(name: String, output: String, sourcePorts: [String] = [], destinationPorts: [String] = [],
                vlans: [UInt16] = []) {
        self.name = name
        self.output = output
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.vlans = vlans
    }
}

/// One mirror's counters, for `yardctl mirrors`.
public struct MirrorStatistics: Equatable, Sendable {
    public var name: String
    public var output: String
    /// False while the output port is missing (not added, or removed): nothing is copied.
    public var isActive: Bool
    /// Copies the output port took.
    public var copied: UInt64
    /// Copies the output port could not take (its ring full, it down, too long for it): counted
    /// here and under the reason on the output port, never on the original frame.
    public var dropped: UInt64

    public init(name: String, output: String, isActive: Bool, copied: UInt64, dropped: UInt64) {
        self.name = name
        self.output = output
        self.isActive = isActive
        self.copied = copied
        self.dropped = dropped
    }
}

/// The mirrors resolved to port indices, in fixed storage the forwarding thread reads without
/// allocation, reference counting or exclusivity checks: one flag byte per port (is any frame
/// it receives or is sent possibly selected), and per mirror its output, port bitmaps, VLAN
/// bitmap and counters. Written only by `Engine.setMirrors` on the engine thread.
final class MirrorTable {
    /// Computed, not stored `static let`s: a global would cost a lazy-initialisation check.
    @inline(__always) static var receiveSelected: UInt8 { 1 }
    @inline(__always) static var sendSelected: UInt8 { 2 }
    static var capacity: Int { 16 }

    let maxPorts: Int
    /// Per port: `receiveSelected` when a mirror selects it as a source or it carries a mirrored
    /// VLAN; `sendSelected` on every port when any mirror selects destinations (a frame from any
    /// port may go to one). Zero otherwise: the one test the hot path makes, once per burst.
    let portFlags: UnsafeMutablePointer<UInt8>
    /// UInt64 words in one port bitmap.
    let portWords: Int
    /// Active mirrors in slots 0..<count.
    let count: UnsafeMutablePointer<Int>
    let outputs: UnsafeMutablePointer<UInt16>
    let sources: UnsafeMutablePointer<UInt64>
    let destinations: UnsafeMutablePointer<UInt64>
    /// 64 words (4096 bits) per mirror.
    let vlans: UnsafeMutablePointer<UInt64>
    let copied: UnsafeMutablePointer<UInt64>
    let dropped: UnsafeMutablePointer<UInt64>
    /// What was configured, in order, and which slot each active one has (cold path only).
    var specifications: [MirrorSpecification] = []
    var slots: [Int?] = []
    /// Counters of configured mirrors that are inactive now (their output went), kept by name.
    var retired: [String: (copied: UInt64, dropped: UInt64)] = [:]

    init(maxPorts: Int) {
        self.maxPorts = maxPorts
        portWords = (maxPorts + 63) / 64
        let n = MirrorTable.capacity
        portFlags = .allocate(capacity: maxPorts)
        portFlags.initialize(repeating: 0, count: maxPorts)
        count = .allocate(capacity: 1)
        count.initialize(to: 0)
        outputs = .allocate(capacity: n)
        outputs.initialize(repeating: 0, count: n)
        sources = .allocate(capacity: n * portWords)
        sources.initialize(repeating: 0, count: n * portWords)
        destinations = .allocate(capacity: n * portWords)
        destinations.initialize(repeating: 0, count: n * portWords)
        vlans = .allocate(capacity: n * 64)
        vlans.initialize(repeating: 0, count: n * 64)
        copied = .allocate(capacity: n)
        copied.initialize(repeating: 0, count: n)
        dropped = .allocate(capacity: n)
        dropped.initialize(repeating: 0, count: n)
    }

    deinit {
        for p in [sources, destinations, vlans, copied, dropped] { p.deallocate() }
        portFlags.deallocate()
        count.deallocate()
        outputs.deallocate()
    }

    @inline(__always)
    static func bit(_ words: UnsafeMutablePointer<UInt64>, _ i: Int) -> Bool {
        words[i >> 6] & (1 &<< UInt64(i & 63)) != 0
    }

    @inline(__always)
    static func set(_ words: UnsafeMutablePointer<UInt64>, _ i: Int) {
        words[i >> 6] |= 1 &<< UInt64(i & 63)
    }

    @inline(__always) func selectsSource(_ m: Int, port: UInt16) -> Bool {
        MirrorTable.bit(sources + m &* portWords, Int(port))
    }

    @inline(__always) func selectsDestination(_ m: Int, port: UInt16) -> Bool {
        MirrorTable.bit(destinations + m &* portWords, Int(port))
    }

    @inline(__always) func selectsVLAN(_ m: Int, vlan: UInt16) -> Bool {
        MirrorTable.bit(vlans + m &* 64, Int(vlan & 0x0FFF))
    }

    /// Whether mirror `m` copies at the receive point a mirrorable frame from `port` in `vlan`.
    @inline(__always) func selectsAtReceive(_ m: Int, port: UInt16, vlan: UInt16) -> Bool {
        selectsSource(m, port: port) || selectsVLAN(m, vlan: vlan)
    }
}
