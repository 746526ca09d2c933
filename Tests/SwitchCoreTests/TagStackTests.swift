import SwitchCore
import Testing

/// The tag-stack rule (docs/vlan-safety.md): every port takes at most one 802.1Q tag. Frames are
/// built as bytes and parsed, so the table covers `FrameHeader.parse` and `classify` together.
@Suite struct TagStackTests {
    enum PortModeCase: String, CaseIterable, Sendable {
        case access10, trunkNoNative, trunkNative10

        var portMode: PortMode {
            switch self {
            case .access10: return .access(vlan: 10)
            case .trunkNoNative: return .trunk(allowed: VLANSet([10, 20]), native: nil)
            case .trunkNative10: return .trunk(allowed: VLANSet([20]), native: 10)
            }
        }
    }

    /// Tags from the outside in, as (TPID, TCI).
    enum Stack: String, CaseIterable, Sendable {
        case untagged, priorityTagged, tagged20
        case priorityThen20, priorityThenServiceTag, tagged20Then30, tagged20ThenLegacyQinQ
        case serviceTag20, legacyQinQ20, serviceTagThen30

        var tags: [(UInt16, UInt16)] {
            switch self {
            case .untagged: return []
            case .priorityTagged: return [(0x8100, 5 << 13)]
            case .tagged20: return [(0x8100, 20)]
            case .priorityThen20: return [(0x8100, 0), (0x8100, 20)]
            case .priorityThenServiceTag: return [(0x8100, 0), (0x88A8, 20)]
            case .tagged20Then30: return [(0x8100, 20), (0x8100, 30)]
            case .tagged20ThenLegacyQinQ: return [(0x8100, 20), (0x9100, 30)]
            case .serviceTag20: return [(0x88A8, 20)]
            case .legacyQinQ20: return [(0x9100, 20)]
            case .serviceTagThen30: return [(0x88A8, 20), (0x8100, 30)]
            }
        }

        /// More than one tag, or a tag that is not 802.1Q.
        var isStack: Bool { tags.count > 1 || tags.contains { $0.0 != 0x8100 } }
    }

    /// Single-tag and untagged frames keep their usual classification (the positive controls).
    static func expected(_ mode: PortModeCase, _ stack: Stack) -> (vlan: UInt16?, reason: DropReason?) {
        if stack.isStack { return (nil, .vlanStack) }
        switch (mode, stack) {
        case (.access10, .tagged20): return (nil, .vlanTaggedOnAccess)
        case (.access10, _): return (10, nil)
        case (.trunkNoNative, .tagged20): return (20, nil)
        case (.trunkNoNative, _): return (nil, .untaggedOnTrunk)
        case (.trunkNative10, .tagged20): return (20, nil)
        case (.trunkNative10, _): return (10, nil)
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        var mode: PortModeCase
        var stack: Stack
        var description: String { "\(mode.rawValue)/\(stack.rawValue)" }
    }

    static let cases = PortModeCase.allCases.flatMap { mode in Stack.allCases.map { Case(mode: mode, stack: $0) } }
    static let sender = station(0x100)

    static func bytes(_ stack: Stack, to destination: MACAddress = .broadcast, from source: MACAddress = sender) -> [UInt8] {
        func be48(_ v: UInt64) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: v >> (40 - 8 * $0)) } }
        var f = be48(destination.rawValue) + be48(source.rawValue)
        for (tpid, tci) in stack.tags {
            f += [UInt8(tpid >> 8), UInt8(tpid & 0xFF), UInt8(tci >> 8), UInt8(tci & 0xFF)]
        }
        f += [0x08, 0x00]
        while f.count < 64 { f.append(0x5A) }
        return f
    }

    static func parse(_ f: [UInt8]) -> FrameHeader {
        f.withUnsafeBytes { FrameHeader.parse($0.baseAddress!, length: $0.count) }
    }

    @Test(arguments: cases)
    func classifiesTagStacks(_ c: Case) throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "in", mode: c.mode.portMode)
        try engine.addPort(2, name: "a10", mode: .access(vlan: 10))
        try engine.addPort(3, name: "a20", mode: .access(vlan: 20))
        let header = Self.parse(Self.bytes(c.stack))
        #expect(header.hasTagStack == c.stack.isStack)
        let decision = engine.send(header, on: 1)
        let expected = Self.expected(c.mode, c.stack)
        if let reason = expected.reason {
            #expect(decision.action == .drop(reason))
            for vlan: UInt16 in [10, 20, 30] { #expect(engine.fdb.lookup(vlan: vlan, mac: Self.sender) == nil) }
            #expect(engine.counters(port: 1)?.receiveDrops(reason) == 1)
        } else {
            #expect(decision.action == .flood && decision.vlan == expected.vlan)
            #expect(engine.fdb.lookup(vlan: try #require(expected.vlan), mac: Self.sender) == 1)
        }
        #expect(engine.counters(port: 1)?.receiveSideBalances == true)
    }

    /// A burst reuses a decision for frames that decide alike: a stacked frame right behind a
    /// legitimate one with the same addresses and outer tag must not inherit its verdict.
    @Test func aStackedFrameInABurstDoesNotRideOnTheLegitimateOneBeforeIt() throws {
        let engine = makeEngine()
        try engine.addPort(1, name: "in", mode: .access(vlan: 10))
        try engine.addPort(2, name: "a10", mode: .access(vlan: 10))
        let legit = Self.parse(Self.bytes(.priorityTagged))
        var attack = Self.parse(Self.bytes(.priorityThen20))
        attack.tci = legit.tci
        var frames = [legit, attack, legit]
        var decisions = [ForwardingDecision](repeating: .drop(.portDown), count: 3)
        engine.decide(ingress: 1, frames: &frames, count: 3, into: &decisions, now: 0)
        #expect(decisions.map(\.action) == [.flood, .drop(.vlanStack), .flood])
        #expect(engine.counters(port: 1)?.receiveDrops(.vlanStack) == 1)
    }

    @Test func theNewReasonHasItsName() {
        #expect(DropReason.vlanStack.name == "vlan-stack")
        #expect(DropReason(name: "vlan-stack") == .vlanStack)
        // Appended: raw values of older reasons unchanged (mirror-output came after it).
        #expect(DropReason.vlanStack.rawValue == DropReason.portIsolated.rawValue + 1)
    }
}
