#if canImport(Glibc)
import Glibc
#endif
import CSwitchyard
import LinuxIO

extension UplinkSocket {
    /// AF_PACKET/SOCK_RAW with protocol 0: nothing is received until `bind` names a protocol.
    static func openPacketSocket() throws(UplinkError) -> OwnedFileDescriptor {
        let fd = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                              | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let e = Errno.current
            let hint = e.code == EPERM ? " (needs CAP_NET_RAW)" : ""
            throw UplinkError("socket(AF_PACKET)", reason: e.description + hint)
        }
        return OwnedFileDescriptor(adopting: fd)
    }

    static func setOption<T: BitwiseCopyable>(_ fd: Int32, _ name: Int32, _ value: T, _ what: String) throws(UplinkError) {
        var v = value
        try setOption(fd, name, &v, what)
    }

    /// `T` is a C struct or integer (BitwiseCopyable: no references to hand the kernel).
    static func setOption<T: BitwiseCopyable>(_ fd: Int32, _ name: Int32, _ value: inout T, _ what: String)
        throws(UplinkError) {
        let rc = withUnsafeBytes(of: &value) {
            setsockopt(fd, SOL_PACKET, name, $0.baseAddress, socklen_t($0.count))
        }
        guard rc == 0 else { throw UplinkError("setsockopt \(what)", errno: Errno.current) }
    }

    static func bind(_ fd: Int32, interfaceIndex: Int32, etherType: UInt16) throws(UplinkError) {
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = etherType.bigEndian
        address.sll_ifindex = interfaceIndex
        let rc = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
            }
        }
        guard rc == 0 else {
            let e = Errno.current
            let hint = e.code == ENODEV || e.code == ENXIO ? " (interface \(interfaceIndex) is gone)" : ""
            throw UplinkError("bind to ifindex \(interfaceIndex)", reason: e.description + hint)
        }
    }
}
