import Yams

/// UNIX socket paths: resolution against the socket directory and the limits of `sockaddr_un`.
enum SocketPath {
    /// `sun_path` is 108 bytes on Linux and must hold the terminating NUL.
    static let maximumBytes = 107

    /// Lexically normalises an absolute path: collapses `//`, removes `.`, applies `..`.
    /// Returns nil if the path has no last component to bind (`/`, `/run/..`).
    /// Lexical, not via realpath: the directory may not exist yet when the config is checked.
    static func normalise(_ absolute: String) -> String? {
        var components: [Substring] = []
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        guard !components.isEmpty else { return nil }
        return "/" + components.joined(separator: "/")
    }

    /// `raw` as an absolute path: relative ones live in `directory`.
    static func resolve(_ raw: String, against directory: String) -> String {
        let absolute = raw.hasPrefix("/") ? raw : directory + "/" + raw
        return normalise(absolute) ?? absolute
    }
}

extension ConfigurationDecoder {
    /// A socket path resolved against `directory` and checked against what `bind`/`connect` accept.
    mutating func socketPath(_ node: Node, at path: ConfigPath, directory: String) -> String? {
        guard let raw = string(node, at: path) else { return nil }
        let lastComponent = raw.split(separator: "/").last ?? ""
        guard !raw.isEmpty, !raw.hasSuffix("/"), lastComponent != ".", lastComponent != ".." else {
            report(.invalidValue, at: node, path, "socket path '\(raw)' does not name a file")
            return nil
        }
        guard !raw.utf8.contains(0) else {
            report(.invalidValue, at: node, path, "socket path contains a NUL byte")
            return nil
        }
        let resolved = SocketPath.resolve(raw, against: directory)
        guard resolved.utf8.count <= SocketPath.maximumBytes else {
            report(.invalidValue, at: node, path,
                   "socket path '\(resolved)' is \(resolved.utf8.count) bytes; "
                   + "a UNIX socket address holds at most \(SocketPath.maximumBytes)")
            return nil
        }
        return resolved
    }
}
