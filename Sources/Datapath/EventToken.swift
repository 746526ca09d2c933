/// What an epoll registration stands for, packed into its 64-bit token:
/// kind in bits 56-63, port index in bits 32-47, a kind-specific number (ring index) in bits 0-31.
struct EventToken: Equatable {
    enum Kind: UInt8 {
        case mailbox = 1
        case listener = 2
        case connection = 3
        case kick = 4
        case link = 5
        case uplinkRx = 6
        case tapRx = 7
        case vxlanRx = 8
    }

    var kind: Kind
    var port: UInt16
    var detail: UInt32

    init(_ kind: Kind, port: UInt16 = 0, detail: UInt32 = 0) {
        self.kind = kind
        self.port = port
        self.detail = detail
    }

    init?(rawValue: UInt64) {
        guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: rawValue >> 56)) else { return nil }
        self.kind = kind
        port = UInt16(truncatingIfNeeded: rawValue >> 32)
        detail = UInt32(truncatingIfNeeded: rawValue)
    }

    var rawValue: UInt64 { UInt64(kind.rawValue) << 56 | UInt64(port) << 32 | UInt64(detail) }
}
