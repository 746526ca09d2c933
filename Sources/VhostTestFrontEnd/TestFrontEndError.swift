import LinuxIO

public enum TestFrontEndError: Error, Equatable, CustomStringConvertible {
    case timeout(String)
    case closedByBackEnd
    case badReply(String)
    case nack(UInt32)
    case io(Errno)
    case outOfGuestMemory
    case ringFull

    public var description: String {
        switch self {
        case .timeout(let what): return "timed out waiting for \(what)"
        case .closedByBackEnd: return "the back-end closed the connection"
        case .badReply(let what): return "bad reply: \(what)"
        case .nack(let code): return "request \(code) was refused (REPLY_ACK non-zero)"
        case .io(let e): return "I/O error: \(e)"
        case .outOfGuestMemory: return "guest RAM exhausted"
        case .ringFull: return "no free descriptor"
        }
    }
}
