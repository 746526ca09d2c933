/// Why a frame (or one flood copy) was not delivered. One enum for the switching core and the
/// datapath so every counter lives in one fixed-size table indexed by `rawValue`.
/// New reasons go at the end: raw values index counter storage and appear in snapshots.
public enum DropReason: UInt8, CaseIterable, Sendable {
    // Decided by SwitchCore.
    /// Shorter than an Ethernet header (14 bytes, or 18 with an 802.1Q tag).
    case runt
    /// Source address has the group bit set: no station can send from it (and learning it would
    /// let one frame poison every lookup for that multicast group).
    case multicastSource
    /// 01:80:C2:00:00:0X: IEEE 802.1D says a bridge never relays these.
    case linkLocal
    /// A tagged frame (VID ≠ 0) arrived on an access port.
    case vlanTaggedOnAccess
    /// An untagged or priority-tagged frame arrived on a trunk with no native VLAN.
    case untaggedOnTrunk
    /// The frame's VLAN is not carried by the ingress port (includes the reserved VID 4095).
    case vlanNotAllowed
    /// The source is a new address on a port already holding its MAC limit.
    case macLimit
    /// The destination was learned on the ingress port: sending it back would duplicate it.
    case samePort
    /// The ingress or the learned egress port is administratively/operationally down, or unknown.
    case portDown

    // Counted by the datapath.
    /// The receiving guest's RX ring (or the uplink's TX ring) had no room.
    case rxRingFull
    /// A guest descriptor chain failed validation (address, length, loop, flags).
    case malformedDescriptor
    /// The frame is longer than the egress port's MTU.
    case mtuExceeded
    /// The transmit syscall or copy failed.
    case txError
    /// Larger than the datapath's largest supported frame (before any MTU applies).
    case oversize
    /// The frame asks for an offload (segmentation, checksum) the egress cannot perform.
    case unsupportedOffload
    /// A descriptor chain had more descriptors (or translated pieces) than `max-chain-descriptors`
    /// allows; zero-length and indirect entries count too (docs/limits.md).
    case chainTooLong
    /// A GSO frame to be segmented in software whose gso_size is below the sender's `min-mss`.
    case gsoTooSmall
    /// A GSO frame that would be cut into more than the sender's `max-segments` frames.
    case tooManySegments

    // Port security (docs/port-security.md), decided by SwitchCore.
    /// The source address is not on the ingress port's `source-macs` allow-list, or it belongs to
    /// a port with an allow-list and this port may not take it (no FDB move).
    case sourceMACNotAllowed
    /// A broadcast, multicast or unknown-unicast frame over the ingress port's storm-control rate.
    case stormControl
    /// Unicast from an isolated port to another isolated port.
    case portIsolated

    // Decided by SwitchCore (appended: raw values index counter storage).
    /// The frame's tag stack does not fit any port: an 802.1ad/QinQ outer tag (0x88A8, 0x9100)
    /// or a second tag behind the 802.1Q one, e.g. the double-tagging attack's priority tag with
    /// another VLAN's tag inside (docs/vlan-safety.md).
    case vlanStack

    // Decided by SwitchCore (appended: raw values index counter storage).
    /// Received on a mirror's output port (docs/mirroring.md): the port is dedicated to the
    /// monitor, so the switch neither learns from nor forwards what the monitor sends.
    case mirrorOutput

    // Counted by the datapath's vxlan port on decapsulation (docs/vxlan-ports.md; appended).
    /// A UDP datagram on the VXLAN port shorter than the 8-byte VXLAN header.
    case vxlanTruncated
    /// The VXLAN flags word is not exactly the I flag (RFC 7348 §5; Linux drops the same).
    case vxlanFlags
    /// The VXLAN header carries another VNI than the port's.
    case vxlanWrongVNI
    /// The inner frame is shorter than an Ethernet header.
    case vxlanInnerRunt
    /// The inner frame is longer than the port's MTU allows (or did not fit the receive slot).
    case vxlanInnerTooLong
    /// From an underlay address not in the port's flood list while `learn-remotes` is off.
    case vxlanRemoteNotAllowed
    /// Dropped by the kernel before the switch read it: the vxlan port's UDP receive buffer was
    /// full (SO_MEMINFO; counted once a second, without bytes).
    case vxlanSocketOverflow

    /// Read per frame to index counters, so a constant rather than `allCases.count` (a lazily
    /// initialised global). `dropReasonCountCoversEveryCase` keeps it honest.
    @inlinable public static var count: Int { Int(DropReason.vxlanSocketOverflow.rawValue) + 1 }

    /// Kebab-case name for CLI, logs and metrics labels.
    public var name: String {
        switch self {
        case .runt: return "runt"
        case .multicastSource: return "multicast-source"
        case .linkLocal: return "link-local"
        case .vlanTaggedOnAccess: return "vlan-tagged-on-access"
        case .untaggedOnTrunk: return "untagged-on-trunk"
        case .vlanNotAllowed: return "vlan-not-allowed"
        case .macLimit: return "mac-limit"
        case .samePort: return "same-port"
        case .portDown: return "port-down"
        case .rxRingFull: return "rx-ring-full"
        case .malformedDescriptor: return "malformed-descriptor"
        case .mtuExceeded: return "mtu-exceeded"
        case .txError: return "tx-error"
        case .oversize: return "oversize"
        case .unsupportedOffload: return "unsupported-offload"
        case .chainTooLong: return "chain-too-long"
        case .gsoTooSmall: return "gso-too-small"
        case .tooManySegments: return "too-many-segments"
        case .sourceMACNotAllowed: return "source-mac-not-allowed"
        case .stormControl: return "storm-control"
        case .portIsolated: return "port-isolated"
        case .vlanStack: return "vlan-stack"
        case .mirrorOutput: return "mirror-output"
        case .vxlanTruncated: return "vxlan-truncated"
        case .vxlanFlags: return "vxlan-flags"
        case .vxlanWrongVNI: return "vxlan-wrong-vni"
        case .vxlanInnerRunt: return "vxlan-inner-runt"
        case .vxlanInnerTooLong: return "vxlan-inner-too-long"
        case .vxlanRemoteNotAllowed: return "vxlan-remote-not-allowed"
        case .vxlanSocketOverflow: return "vxlan-socket-overflow"
        }
    }

    public init?(name: String) {
        guard let match = DropReason.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

extension DropReason: CustomStringConvertible {
    public var description: String { name }
}
