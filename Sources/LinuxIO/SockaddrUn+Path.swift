#if canImport(Glibc)
import Glibc
#endif

extension sockaddr_un {
    /// nil when `path` (plus its NUL) does not fit sun_path: truncating would bind the wrong file.
    init?(path: String) {
        self.init()
        sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &sun_path) { dst in
            dst.copyBytes(from: bytes)
            dst[bytes.count] = 0
        }
    }
}
