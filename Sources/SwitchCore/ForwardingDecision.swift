/// The core's verdict on one frame: where it goes and in which VLAN / priority, so the datapath
/// can copy it and add, keep or strip the tag (see `Bridge.egressTag`).
@frozen
public struct ForwardingDecision: Sendable, Equatable {
    @frozen
    public enum Kind: UInt8, Sendable {
        case drop
        case unicast
        case flood
    }

    public var kind: Kind
    /// Valid when `kind == .drop`.
    public var reason: DropReason
    /// Egress port when `kind == .unicast`.
    public var port: UInt16
    /// The classified VLAN (1...4094); 0 when the frame was dropped before classification.
    public var vlan: UInt16
    /// Ingress priority (PCP) to re-tag with on a tagged egress; 0 for untagged ingress.
    public var pcp: UInt8

    @inlinable
    public init(kind: Kind, reason: DropReason = .runt, port: UInt16 = 0, vlan: UInt16 = 0, pcp: UInt8 = 0) {
        self.kind = kind
        self.reason = reason
        self.port = port
        self.vlan = vlan
        self.pcp = pcp
    }

    @inlinable
    public static func drop(_ reason: DropReason, vlan: UInt16 = 0, pcp: UInt8 = 0) -> ForwardingDecision {
        ForwardingDecision(kind: .drop, reason: reason, vlan: vlan, pcp: pcp)
    }

    @inlinable
    public static func unicast(_ port: UInt16, vlan: UInt16, pcp: UInt8 = 0) -> ForwardingDecision {
        ForwardingDecision(kind: .unicast, port: port, vlan: vlan, pcp: pcp)
    }

    @inlinable
    public static func flood(vlan: UInt16, pcp: UInt8 = 0) -> ForwardingDecision {
        ForwardingDecision(kind: .flood, vlan: vlan, pcp: pcp)
    }

    /// Pattern-matchable view for tests and cold code.
    public enum Action: Equatable, Sendable {
        case drop(DropReason)
        case unicast(UInt16)
        case flood
    }

    @inlinable
    public var action: Action {
        switch kind {
        case .drop: return .drop(reason)
        case .unicast: return .unicast(port)
        case .flood: return .flood
        }
    }

    /// The 802.1Q TCI to write when the egress is tagged (DEI cleared).
    @inlinable
    public var egressTCI: UInt16 { UInt16(pcp & 7) << 13 | (vlan & 0x0FFF) }
}
