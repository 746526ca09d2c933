import SwitchCore

/// One bridge FDB notification or dump entry (RTM_NEWNEIGH / RTM_DELNEIGH of family AF_BRIDGE),
/// parsed from the raw netlink message. Pure Swift over bytes: the kernel's layout is fixed
/// (struct nlmsghdr, struct ndmsg, then rtattrs; include/uapi/linux/neighbour.h), and a parser that
/// never touches libnl can be tested with hand-made messages.
public struct BridgeFDBMessage: Equatable, Sendable {
    public enum Kind: Sendable { case added, removed }
    public var kind: Kind
    /// The device the entry is on: the VXLAN device (its own "self" FDB, with `destination`) or a
    /// bridge port (the bridge's FDB, with `master`).
    public var interfaceIndex: Int32
    public var mac: MACAddress
    /// NDA_DST: the remote VTEP of a VXLAN FDB entry (IPv4 or IPv6, as text).
    public var destination: String?
    /// NDA_VNI: present only when the entry's VNI differs from the device's own.
    public var vni: UInt32?
    /// NDA_MASTER: the bridge, on entries of the bridge's own FDB.
    public var master: Int32?
    /// ndm_state (NUD_*) and ndm_flags (NTF_*).
    public var state: UInt16
    public var flags: UInt8

    public static let familyBridge: UInt8 = 7          // AF_BRIDGE
    static let newNeighbour: UInt16 = 28                // RTM_NEWNEIGH
    static let deleteNeighbour: UInt16 = 29             // RTM_DELNEIGH
    static let attributeDestination: UInt16 = 1         // NDA_DST
    static let attributeLinkAddress: UInt16 = 2         // NDA_LLADDR
    static let attributeVNI: UInt16 = 7                 // NDA_VNI
    static let attributeMaster: UInt16 = 9              // NDA_MASTER
    public static let statePermanent: UInt16 = 0x80     // NUD_PERMANENT: the bridge's and ports' own MACs
    public static let stateNoARP: UInt16 = 0x40         // NUD_NOARP: a static entry
    public static let flagExternLearned: UInt8 = 0x10   // NTF_EXT_LEARNED: installed by a control plane (zebra)
    public static let flagMaster: UInt8 = 0x04          // NTF_MASTER

    public init(kind: Kind, interfaceIndex: Int32, mac: MACAddress, destination: String? = nil, vni: UInt32? = nil,
                master: Int32? = nil, state: UInt16 = 0, flags: UInt8 = 0) {
        self.kind = kind
        self.interfaceIndex = interfaceIndex
        self.mac = mac
        self.destination = destination
        self.vni = vni
        self.master = master
        self.state = state
        self.flags = flags
    }

    /// nil for anything that is not a well-formed AF_BRIDGE neighbour message with a 6-byte
    /// NDA_LLADDR (IPv4 ARP and IPv6 ND entries share the multicast group and are skipped here).
    public init?(message bytes: UnsafeRawBufferPointer) {
        let headerSize = 16, ndmsgSize = 12
        guard bytes.count >= headerSize + ndmsgSize else { return nil }
        let length = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let type = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        guard length >= headerSize + ndmsgSize, length <= bytes.count,
              type == Self.newNeighbour || type == Self.deleteNeighbour else { return nil }
        let body = headerSize
        guard bytes[body] == Self.familyBridge else { return nil }
        let index = bytes.loadUnaligned(fromByteOffset: body + 4, as: Int32.self)
        let state = bytes.loadUnaligned(fromByteOffset: body + 8, as: UInt16.self)
        let flags = bytes[body + 10]
        var mac: MACAddress?
        var destination: String?
        var vni: UInt32?
        var master: Int32?
        var offset = body + ndmsgSize
        while offset + 4 <= length {
            let attributeLength = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            // NLA_TYPE_MASK: the top two bits are the nested / byte-order flags.
            let attributeType = bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3FFF
            guard attributeLength >= 4, offset + attributeLength <= length else { return nil }
            let value = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + attributeLength)])
            switch attributeType {
            case Self.attributeLinkAddress where value.count == 6:
                mac = MACAddress(value[0], value[1], value[2], value[3], value[4], value[5])
            case Self.attributeDestination where value.count == 4 || value.count == 16:
                destination = Self.address(value)
            case Self.attributeVNI where value.count == 4:
                vni = value.loadUnaligned(as: UInt32.self)
            case Self.attributeMaster where value.count == 4:
                master = value.loadUnaligned(as: Int32.self)
            default:
                break
            }
            offset += (attributeLength + 3) & ~3
        }
        guard let mac else { return nil }
        self.init(kind: type == Self.deleteNeighbour ? .removed : .added, interfaceIndex: index, mac: mac,
                  destination: destination, vni: vni, master: master, state: state, flags: flags)
    }

    private static func address(_ value: UnsafeRawBufferPointer) -> String {
        if value.count == 4 { return value.map(String.init).joined(separator: ".") }
        // IPv6 without zero compression: unambiguous, and VTEPs are IPv4 in every test here.
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(value[$0]) << 8 | UInt16(value[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}

