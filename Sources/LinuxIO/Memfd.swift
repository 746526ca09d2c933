#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard

public enum Memfd {
    /// An anonymous memory file of `size` bytes: the test front-end's guest RAM.
    public static func create(name: String, size: Int) throws(Errno) -> OwnedFileDescriptor {
        let fd = csy_memfd_create(name)
        guard fd >= 0 else { throw Errno.current }
        let owned = OwnedFileDescriptor(adopting: fd)
        guard ftruncate(fd, off_t(size)) == 0 else { throw Errno.current }
        return owned
    }
}
