import LinuxIO

/// Why a message (or the stream) was rejected. Every case closes that connection only.
public enum VhostUserProtocolError: Error, Equatable, CustomStringConvertible {
    case unsupportedVersion(flags: UInt32)
    /// A request carrying the REPLY bit: only the back-end sends replies.
    case replyFlagOnRequest(code: UInt32)
    case payloadTooLarge(code: UInt32, size: UInt32)
    case wrongPayloadSize(code: UInt32, size: UInt32)
    case invalidRegionCount(UInt32)
    case wrongDescriptorCount(code: UInt32, expected: String, received: Int)
    /// Bits in the u64 of SET_VRING_KICK/CALL/ERR beyond the index and NOFD.
    case invalidVringDescriptorWord(UInt64)
    /// More descriptors than the control buffer holds (the kernel may have dropped some).
    case descriptorsTruncated
    case socket(Errno)

    public var description: String {
        switch self {
        case .unsupportedVersion(let flags): return "unsupported protocol version (flags 0x\(String(flags, radix: 16)))"
        case .replyFlagOnRequest(let code): return "request \(requestName(code)) carries the REPLY flag"
        case .payloadTooLarge(let code, let size): return "\(requestName(code)) payload of \(size) bytes exceeds 4096"
        case .wrongPayloadSize(let code, let size): return "\(requestName(code)) with a \(size)-byte payload"
        case .invalidRegionCount(let count): return "memory table with \(count) regions (1...8 allowed)"
        case .wrongDescriptorCount(let code, let expected, let received):
            return "\(requestName(code)) carried \(received) descriptors, expected \(expected)"
        case .invalidVringDescriptorWord(let v): return "vring fd word 0x\(String(v, radix: 16)) has reserved bits set"
        case .descriptorsTruncated: return "descriptor control message truncated"
        case .socket(let e): return "socket error: \(e)"
        }
    }
}

func requestName(_ code: UInt32) -> String {
    if let r = VhostUserRequest(rawValue: code) { return "\(r)" }
    return "request \(code)"
}
