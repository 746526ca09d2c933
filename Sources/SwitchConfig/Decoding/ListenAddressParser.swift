#if canImport(Glibc)
import Glibc
#endif

/// `HOST:PORT` with a numeric IPv4 address or a bracketed IPv6 one (RFC 3986's authority form,
/// so `[::1]:9469` cannot be misread as an address ending in `:9469`).
enum ListenAddressParser {
    static let portRange = 1...65535

    enum Problem: Error, Equatable {
        /// Not of the form HOST:PORT at all; the text says what was found.
        case form(String)
        /// The host part is not a numeric address.
        case host(String)
        /// The port part is not a number in `portRange`.
        case port(String)
    }

    static func parse(_ text: String) -> Result<ListenAddress, Problem> {
        let host: Substring
        let portText: Substring
        let family: ListenAddress.Family
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(.form("'\(text)' opens '[' without closing it; write [ADDRESS]:PORT, e.g. [::1]:9469"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                return .failure(.form("'\(text)' has no ':PORT' after ']'; write [ADDRESS]:PORT, e.g. [::1]:9469"))
            }
            portText = rest.dropFirst()
            family = .ipv6
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(.form("'\(text)' has no port; write ADDRESS:PORT, e.g. 127.0.0.1:9469"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(.form("'\(text)': an IPv6 address needs brackets, e.g. [::1]:9469"))
            }
            family = .ipv4
        }
        guard isNumeric(String(host), family) else {
            let example = family == .ipv6 ? "[::1]" : "127.0.0.1"
            return .failure(.host("'\(host)' is not a numeric IP\(family == .ipv6 ? "v6" : "v4") address "
                                  + "(host names are not resolved; e.g. \(example))"))
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = Int(portText), portRange.contains(port) else {
            return .failure(.port("port '\(portText)' is out of range \(portRange)"))
        }
        return .success(ListenAddress(family: family, host: String(host), port: UInt16(port)))
    }

    private static func isNumeric(_ host: String, _ family: ListenAddress.Family) -> Bool {
        guard !host.isEmpty else { return false }
        var buffer = in6_addr()
        return withUnsafeMutableBytes(of: &buffer) { raw in
            inet_pton(family == .ipv6 ? AF_INET6 : AF_INET, host, raw.baseAddress) == 1
        }
    }
}
