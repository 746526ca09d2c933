import Testing
import SwitchCore

/// Ingress port mode × frame tagging × destination kind, every combination.
///
/// Topology (ingress is port 1, in the mode under test):
///   port 2: trunk allowing 10, 20, 30, no native — where destinations are learned
///   port 3: access 10     port 4: access 20     port 5: access 30
@Suite struct VLANForwardingMatrixTests {
    enum PortModeCase: String, CaseIterable, Sendable {
        case access10, trunkNoNative, trunkNativeAllowed, trunkNativeImplicit

        var portMode: PortMode {
            switch self {
            case .access10: return .access(vlan: 10)
            case .trunkNoNative: return .trunk(allowed: VLANSet([10, 20]), native: nil)
            case .trunkNativeAllowed: return .trunk(allowed: VLANSet([10, 20]), native: 10)
            case .trunkNativeImplicit: return .trunk(allowed: VLANSet([20]), native: 10)
            }
        }
    }

    enum Tagging: String, CaseIterable, Sendable {
        case untagged, priorityTagged, taggedAllowed20, taggedNotAllowed30

        var vid: UInt16? {
            switch self {
            case .untagged: return nil
            case .priorityTagged: return 0
            case .taggedAllowed20: return 20
            case .taggedNotAllowed30: return 30
            }
        }
    }

    enum Destination: String, CaseIterable, Sendable {
        case broadcast, multicast, unknownUnicast, learnedUnicast
    }

    /// VLAN classification, written out by hand: nil VLAN means dropped with the reason.
    static let classification: [PortModeCase: [Tagging: (vlan: UInt16?, reason: DropReason?)]] = [
        .access10: [
            .untagged: (10, nil), .priorityTagged: (10, nil),
            .taggedAllowed20: (nil, .vlanTaggedOnAccess), .taggedNotAllowed30: (nil, .vlanTaggedOnAccess),
        ],
        .trunkNoNative: [
            .untagged: (nil, .untaggedOnTrunk), .priorityTagged: (nil, .untaggedOnTrunk),
            .taggedAllowed20: (20, nil), .taggedNotAllowed30: (nil, .vlanNotAllowed),
        ],
        .trunkNativeAllowed: [
            .untagged: (10, nil), .priorityTagged: (10, nil),
            .taggedAllowed20: (20, nil), .taggedNotAllowed30: (nil, .vlanNotAllowed),
        ],
        .trunkNativeImplicit: [
            .untagged: (10, nil), .priorityTagged: (10, nil),
            .taggedAllowed20: (20, nil), .taggedNotAllowed30: (nil, .vlanNotAllowed),
        ],
    ]

    /// Other ports that carry each VLAN, i.e. the expected flood set.
    static let floodSets: [UInt16: [UInt16]] = [10: [2, 3], 20: [2, 4], 30: [2, 5]]

    struct Case: Sendable, CustomStringConvertible {
        var mode: PortModeCase
        var tagging: Tagging
        var destination: Destination
        var description: String { "\(mode.rawValue)/\(tagging.rawValue)/\(destination.rawValue)" }
    }

    static let cases: [Case] = PortModeCase.allCases.flatMap { mode in
        Tagging.allCases.flatMap { tagging in
            Destination.allCases.map { Case(mode: mode, tagging: tagging, destination: $0) }
        }
    }

    static let learnedHost = station(0x200)
    static let sender = station(0x100)

    func makeTopology(ingressMode: PortMode) throws -> Bridge {
        let engine = makeEngine()
        try engine.addPort(1, name: "in", mode: ingressMode)
        try engine.addPort(2, name: "trunk", mode: .trunk(allowed: VLANSet([10, 20, 30]), native: nil))
        try engine.addPort(3, name: "a10", mode: .access(vlan: 10))
        try engine.addPort(4, name: "a20", mode: .access(vlan: 20))
        try engine.addPort(5, name: "a30", mode: .access(vlan: 30))
        // The learned host talks on port 2 in every VLAN.
        for vlan: UInt16 in [10, 20, 30] {
            let d = engine.send(frame(from: Self.learnedHost, to: .broadcast, vid: vlan), on: 2)
            #expect(d.action == .flood)
        }
        return engine
    }

    @Test(arguments: cases)
    func classifiesAndForwards(_ c: Case) throws {
        let engine = try makeTopology(ingressMode: c.mode.portMode)
        let destination: MACAddress
        switch c.destination {
        case .broadcast: destination = .broadcast
        case .multicast: destination = multicastGroup
        case .unknownUnicast: destination = station(0x999)
        case .learnedUnicast: destination = Self.learnedHost
        }
        let decision = engine.send(frame(from: Self.sender, to: destination, vid: c.tagging.vid, pcp: 6), on: 1, at: 5)
        let expected = try #require(Self.classification[c.mode]?[c.tagging])

        if let reason = expected.reason {
            #expect(decision.action == .drop(reason))
            // Dropped before learning: the sender stays unknown everywhere.
            for vlan: UInt16 in [10, 20, 30] { #expect(engine.fdb.lookup(vlan: vlan, mac: Self.sender) == nil) }
            return
        }
        let vlan = try #require(expected.vlan)
        #expect(decision.vlan == vlan)
        // Tagged ingress keeps its priority (priority tags included); untagged has none.
        #expect(decision.pcp == (c.tagging.vid == nil ? 0 : 6))
        #expect(engine.fdb.lookup(vlan: vlan, mac: Self.sender) == 1)

        switch c.destination {
        case .broadcast, .multicast, .unknownUnicast:
            #expect(decision.action == .flood)
            #expect(engine.floodTargets(vlan: vlan, excluding: 1) == Self.floodSets[vlan])
        case .learnedUnicast:
            #expect(decision.action == .unicast(2))
            #expect(engine.egressTag(port: 2, vlan: vlan) == EgressTag(tagged: true, vid: vlan))
        }
        #expect(engine.counters(port: 1)?.receiveSideBalances == true)
    }

    @Test(arguments: [UInt16(10), 20, 30])
    func floodsOnlyWithinTheFramesVLAN(vlan: UInt16) throws {
        let engine = try makeTopology(ingressMode: .trunk(allowed: VLANSet([10, 20, 30]), native: nil))
        #expect(engine.floodTargets(vlan: vlan, excluding: 1) == Self.floodSets[vlan])
        #expect(engine.floodTargets(vlan: 40, excluding: 1).isEmpty)
    }

    @Test func egressTaggingFollowsPortMode() throws {
        let engine = try makeTopology(ingressMode: .trunk(allowed: VLANSet([20]), native: 10))
        #expect(engine.egressTag(port: 1, vlan: 10) == .untagged) // native leaves untagged
        #expect(engine.egressTag(port: 1, vlan: 20) == EgressTag(tagged: true, vid: 20))
        #expect(engine.egressTag(port: 3, vlan: 10) == .untagged) // access
        #expect(engine.egressTag(port: 2, vlan: 30) == EgressTag(tagged: true, vid: 30))
    }

    @Test func preservesPriorityTrunkToTrunk() throws {
        let engine = try makeTopology(ingressMode: .trunk(allowed: VLANSet([20]), native: nil))
        let d = engine.send(frame(from: Self.sender, to: Self.learnedHost, vid: 20, pcp: 5), on: 1)
        #expect(d.action == .unicast(2) && d.pcp == 5)
        #expect(d.egressTCI == 5 << 13 | 20)
    }

    @Test func rejectsReservedVID4095OnTrunk() throws {
        let engine = try makeTopology(ingressMode: .trunk(allowed: .all, native: nil))
        let d = engine.send(frame(from: Self.sender, to: .broadcast, vid: 4095), on: 1)
        #expect(d.action == .drop(.vlanNotAllowed))
    }
}
