#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

extension VhostUserDevice {
    /// tmpfs (memfd, /dev/shm) and hugetlbfs (MFD_HUGETLB, /dev/hugepages): the only file systems
    /// whose pages the engine can touch without ever sleeping on someone else. A page of a file on
    /// a FUSE mount is read by the FUSE server — possibly the front-end itself — and a page fault
    /// inside a burst would wait for it as long as it likes; NFS, 9p and disks wait on I/O
    /// (docs/never-blocking.md). QEMU (memory-backend-memfd, or -file on /dev/shm or hugetlbfs)
    /// and DPDK virtio-user (memfd, hugetlbfs) use these.
    static let sharedMemoryFileSystems: [UInt32: String] = [0x0102_1994: "tmpfs", 0x9584_58F6: "hugetlbfs"]

    /// nil when `fd` is guest RAM we may map, else why not.
    static func unmappableGuestMemory(_ fd: Int32) -> String? {
        let type: UInt32
        switch fileSystemType(of: fd) {
        case .success(let t): type = t
        case .failure(let e): return "fstatfs: \(e)"
        }
        guard sharedMemoryFileSystems[type] == nil else { return nil }
        return "the memory file is on file system 0x\(String(type, radix: 16)), not tmpfs or hugetlbfs " +
            "(use memory-backend-memfd, or a file on /dev/shm or hugetlbfs)"
    }
}
