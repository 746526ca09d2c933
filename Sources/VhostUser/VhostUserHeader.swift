/// The 12-byte message header: request, flags, payload size, in host byte order
/// (docs/vhost-user-protocol.md#message-header).
public struct VhostUserHeader: Equatable, Sendable {
    public static let byteCount = 12
    /// Largest payload we accept (rust-vmm's MAX_MSG_SIZE). The biggest a net back-end legitimately
    /// receives is SET_MEM_TABLE at 264 bytes.
    public static let maxPayloadSize: UInt32 = 4096

    public static let versionMask: UInt32 = 0x3
    public static let version: UInt32 = 0x1
    public static let replyFlag: UInt32 = 0x4
    public static let needReplyFlag: UInt32 = 0x8
    /// QEMU and DPDK virtio-user reject a reply whose flags are anything but version | REPLY.
    public static let replyFlags: UInt32 = version | replyFlag

    public var code: UInt32
    public var flags: UInt32
    public var size: UInt32

    public init(code: UInt32, flags: UInt32, size: UInt32) {
        self.code = code
        self.flags = flags
        self.size = size
    }

    public var needsReply: Bool { flags & Self.needReplyFlag != 0 }

    /// Parses 12 bytes. Validation (version, size) is the codec's job, so any bytes parse.
    public init(bytes: UnsafeRawBufferPointer) {
        code = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        flags = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        size = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    public func append(to bytes: inout [UInt8]) {
        bytes.appendLittleEndian(code)
        bytes.appendLittleEndian(flags)
        bytes.appendLittleEndian(size)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    func littleEndian<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
