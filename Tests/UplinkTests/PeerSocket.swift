import CSwitchyard
import Foundation

/// A plain AF_PACKET socket on one interface of the outside namespace: the "outside host" that
/// sends frames to the uplink and receives what the uplink sent. Independent of the code under
/// test (no rings, no virtio-net header).
final class PeerSocket {
    let fd: Int32

    /// Opens a socket bound to `interface` inside `veth`'s namespace.
    init(in veth: NamespacedVeth, interface: String) throws {
        fd = try veth.enter { () throws -> Int32 in
            let index = if_nametoindex(interface)
            guard index > 0 else { throw SetupError("no interface \(interface) in \(veth.namespace)") }
            let s = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                           Int32(UInt16(ETH_P_ALL).bigEndian))
            guard s >= 0 else { throw SetupError("packet socket: errno \(errno)") }
            var address = sockaddr_ll()
            address.sll_family = UInt16(AF_PACKET)
            address.sll_protocol = UInt16(ETH_P_ALL).bigEndian
            address.sll_ifindex = Int32(index)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(s, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                }
            }
            guard rc == 0 else {
                close(s)
                throw SetupError("bind to \(interface): errno \(errno)")
            }
            // The receive path takes VLAN tags out of the data; auxdata tells us what they were.
            var on: Int32 = 1
            guard setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                close(s)
                throw SetupError("PACKET_AUXDATA: errno \(errno)")
            }
            return s
        }
    }

    deinit { close(fd) }

    func send(_ frame: [UInt8]) throws {
        let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard n == frame.count else { throw SetupError("peer send: \(n), errno \(errno)") }
    }

    /// Incoming frames as they were on the wire (a VLAN tag the kernel took out is put back from
    /// PACKET_AUXDATA; PACKET_OUTGOING skipped) until `count` arrived or `timeout` passed.
    func receive(count: Int, timeout: Double = 2.0) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 70_000)
        var control = [UInt64](repeating: 0, count: 16)
        while frames.count < count && Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            var from = sockaddr_ll()
            var tag: [UInt8] = []
            let n = buffer.withUnsafeMutableBytes { b in
                control.withUnsafeMutableBytes { c in
                    withUnsafeMutablePointer(to: &from) { f -> Int in
                        var vector = iovec(iov_base: b.baseAddress, iov_len: b.count)
                        return withUnsafeMutablePointer(to: &vector) { v -> Int in
                            var message = msghdr(msg_name: UnsafeMutableRawPointer(f),
                                                 msg_namelen: socklen_t(MemoryLayout<sockaddr_ll>.size),
                                                 msg_iov: v, msg_iovlen: 1, msg_control: c.baseAddress,
                                                 msg_controllen: c.count, msg_flags: 0)
                            let n = recvmsg(fd, &message, Int32(MSG_DONTWAIT))
                            tag = Self.tag(control: c, length: Int(message.msg_controllen))
                            return n
                        }
                    }
                }
            }
            guard n > 0, from.sll_pkttype != UInt8(PACKET_OUTGOING) else { continue }
            let bytes = Array(buffer[0..<n])
            frames.append(tag.isEmpty ? bytes : Array(bytes[0..<12]) + tag + Array(bytes[12...]))
        }
        return frames
    }

    /// The 4 tag bytes from a PACKET_AUXDATA control message, or [] when it says no tag.
    /// struct cmsghdr is {size_t len; int level; int type;} and its data starts 16 bytes in on
    /// LP64; tpacket_auxdata has tp_status at 0, tp_vlan_tci at 16 and tp_vlan_tpid at 18.
    private static func tag(control: UnsafeMutableRawBufferPointer, length: Int) -> [UInt8] {
        var offset = 0
        while offset + 16 <= length {
            let cmsgLength = Int(control.load(fromByteOffset: offset, as: UInt64.self))
            let level = control.load(fromByteOffset: offset + 8, as: Int32.self)
            let type = control.load(fromByteOffset: offset + 12, as: Int32.self)
            guard cmsgLength >= 16 else { return [] }
            if level == SOL_PACKET && type == PACKET_AUXDATA && cmsgLength >= 16 + 20 {
                let status = control.load(fromByteOffset: offset + 16, as: UInt32.self)
                guard status & UInt32(TP_STATUS_VLAN_VALID) != 0 else { return [] }
                let tci = control.load(fromByteOffset: offset + 16 + 16, as: UInt16.self)
                var tpid = control.load(fromByteOffset: offset + 16 + 18, as: UInt16.self)
                if status & UInt32(TP_STATUS_VLAN_TPID_VALID) == 0 { tpid = 0x8100 }
                return [UInt8(tpid >> 8), UInt8(tpid & 0xff), UInt8(tci >> 8), UInt8(tci & 0xff)]
            }
            offset += (cmsgLength + 7) & ~7
        }
        return []
    }
}
