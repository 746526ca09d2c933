import CNetlink

/// A failed libnl call: the operation, libnl's (negative) NLE_* code and its text.
public struct NetlinkError: Error, Equatable, CustomStringConvertible, Sendable {
    public let operation: String
    /// libnl error code, positive (NLE_NODEV, NLE_PERM, ...).
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code < 0 ? -code : code
    }

    public var description: String {
        let text = nl_geterror(code).map { String(cString: $0) } ?? "unknown"
        return "\(operation): \(text) (nle \(code))"
    }

    /// No link of that name or index exists (any more).
    public var isNoSuchLink: Bool { code == NLE_NODEV || code == NLE_OBJ_NOTFOUND }

    /// Error for a name lookup that found nothing.
    public static func noSuchLink(_ name: String) -> NetlinkError {
        NetlinkError("lookup \(name)", code: NLE_NODEV)
    }
}
