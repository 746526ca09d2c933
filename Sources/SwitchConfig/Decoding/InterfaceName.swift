/// Linux network interface names, as the kernel's `dev_valid_name()` accepts them.
enum InterfaceName {
    /// IFNAMSIZ is 16 bytes including the terminating NUL.
    static let maximumBytes = 15

    /// Why `name` cannot be an interface name, or nil if it can.
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > maximumBytes { return "longer than \(maximumBytes) bytes" }
        if name == "." || name == ".." { return "'.' and '..' are reserved" }
        if name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace || $0 == "\0" }) {
            return "'/', ':' and whitespace are not allowed"
        }
        return nil
    }
}
