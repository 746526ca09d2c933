import LinuxIO

/// One validated front-end request: its code, flags, payload and the descriptors that came with
/// it (adopted, so dropping the message closes any that nobody took).
public struct VhostUserMessage {
    public var code: UInt32
    public var flags: UInt32
    public var payload: VhostUserPayload
    public var descriptors: [OwnedFileDescriptor]

    public init(code: UInt32, flags: UInt32 = VhostUserHeader.version, payload: VhostUserPayload = .empty,
                descriptors: [OwnedFileDescriptor] = []) {
        self.code = code
        self.flags = flags
        self.payload = payload
        self.descriptors = descriptors
    }

    public var request: VhostUserRequest? { VhostUserRequest(rawValue: code) }
    public var needsReply: Bool { flags & VhostUserHeader.needReplyFlag != 0 }

    /// Takes the first descriptor out of the message (the caller owns it from then on).
    mutating func takeDescriptor() -> OwnedFileDescriptor? {
        descriptors.isEmpty ? nil : descriptors.removeFirst()
    }
}

/// The u64 of SET_VRING_KICK / CALL / ERR: ring index in bits 0–7, bit 8 = no descriptor attached.
public struct VringDescriptorWord: Equatable, Sendable {
    public static let noDescriptorFlag: UInt64 = 0x100

    public var index: UInt32
    public var hasDescriptor: Bool

    public init(index: UInt32, hasDescriptor: Bool) {
        self.index = index
        self.hasDescriptor = hasDescriptor
    }

    public init?(_ raw: UInt64) {
        guard raw & ~(0xFF | Self.noDescriptorFlag) == 0 else { return nil }
        index = UInt32(raw & 0xFF)
        hasDescriptor = raw & Self.noDescriptorFlag == 0
    }

    public var rawValue: UInt64 { UInt64(index) | (hasDescriptor ? 0 : Self.noDescriptorFlag) }
}
