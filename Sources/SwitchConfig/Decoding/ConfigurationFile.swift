#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a configuration file with plain POSIX calls, so a failure is reported with the errno
/// text (`No such file or directory`, `Permission denied`) rather than a Foundation error dump.
enum ConfigurationFile {
    /// Real configurations are a few kilobytes; the cap keeps a wrong path (a disk image, /dev/zero)
    /// from being read into memory.
    static let maximumBytes = 1 << 20

    static func contents(ofPath path: String) -> Result<String, ConfigurationError> {
        func failure(_ message: String) -> Result<String, ConfigurationError> {
            .failure(ConfigurationError(kind: .unreadableFile, file: path, line: 0, column: 0,
                                        keyPath: "", message: message))
        }
        func errnoText() -> String { String(cString: strerror(errno)) }

        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return failure("cannot open: \(errnoText())") }
        defer { close(descriptor) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return failure("cannot read: \(errnoText())")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumBytes { return failure("larger than \(maximumBytes) bytes; not a configuration file") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return failure("not valid UTF-8") }
        return .success(text)
    }
}
