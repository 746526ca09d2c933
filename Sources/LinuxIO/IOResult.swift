#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a non-blocking I/O call. Expected outcomes are values, not throws:
/// `wouldBlock` is the normal state of an idle socket and `closed` the normal end of a peer.
public enum IOResult<Value> {
    case ok(Value)
    case wouldBlock
    case closed
    case error(Errno)
}

/// An errno value with its text, for errors that are worth a log line.
public struct Errno: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: Int32
    public init(_ code: Int32) { self.code = code }
    public static var current: Errno { Errno(errno) }
    public var description: String { "\(String(cString: strerror(code))) (errno \(code))" }
}

/// One funnel for syscalls returning -1/errno: EINTR is retried here so no caller forgets to.
@inline(__always)
public func retryingEINTR<T: FixedWidthInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r == -1 && errno == EINTR { continue }
        return r
    }
}

/// Classifies a -1 return of a read-like call: EAGAIN is a value, not an error.
@inline(__always)
func ioFailure<V>() -> IOResult<V> {
    let e = errno
    if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
    if e == ECONNRESET || e == EPIPE { return .closed }
    return .error(Errno(e))
}
