/// TPACKET_V3 constants and byte offsets as literals, so the ring code constant-folds them across
/// modules. CSwitchyard/packet.c checks the same numbers (CSY_TP3_*) against <linux/if_packet.h>
/// with _Static_assert, and UplinkTests checks these against CSY_TP3_*.
public enum TPacket {
    @inlinable public static var statusKernel: UInt32 { 0 }
    @inlinable public static var statusUser: UInt32 { 1 }
    @inlinable public static var statusVLANValid: UInt32 { 1 << 4 }
    @inlinable public static var statusVLANTPIDValid: UInt32 { 1 << 6 }

    @inlinable public static var blockStatus: Int { 8 }
    @inlinable public static var blockPacketCount: Int { 12 }
    @inlinable public static var blockFirstPacket: Int { 16 }
    @inlinable public static var nextOffset: Int { 0 }
    @inlinable public static var snapLength: Int { 12 }
    @inlinable public static var wireLength: Int { 16 }
    @inlinable public static var status: Int { 20 }
    @inlinable public static var macOffset: Int { 24 }
    @inlinable public static var vlanTCI: Int { 32 }
    @inlinable public static var vlanTPID: Int { 36 }
    /// The aligned tpacket3_hdr; sockaddr_ll follows it.
    @inlinable public static var headerSize: Int { 48 }
    /// sockaddr_ll.sll_pkttype, after the header.
    @inlinable public static var packetTypeOffset: Int { 48 + 10 }
    @inlinable public static var packetOutgoing: UInt8 { 4 }

    /// virtio_net_hdr as PACKET_VNET_HDR uses it: the 10-byte legacy layout.
    @inlinable public static var vnetHeaderLength: Int { 10 }
}
