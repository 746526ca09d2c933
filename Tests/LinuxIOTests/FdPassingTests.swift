#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

@Suite struct FdPassingTests {
    @Test func passesThreeMemfdsWithAMessageAndTheyMapTheSameBytes() throws {
        let (a, b) = try UnixSocket.pair()
        let page = Int(getpagesize())
        var memfds: [OwnedFileDescriptor] = []
        var mappings: [MappedRegion] = []
        for i in 0..<3 {
            let fd = try Memfd.create(name: "fdpass-\(i)", size: page)
            let map = try MappedRegion(descriptor: fd.rawValue, length: page)
            map.base.storeBytes(of: UInt64(0xC0FFEE00 + i), as: UInt64.self)
            memfds.append(fd)
            mappings.append(map)
        }
        let message: [UInt8] = Array("SET_MEM_TABLE".utf8)
        #expect(a.send(message, fds: memfds.map(\.rawValue)).value != nil)

        var buffer = [UInt8](repeating: 0, count: 64)
        let received = try #require(buffer.withUnsafeMutableBytes { b.receive(into: $0) }.value)
        #expect(received.count == message.count)
        #expect(Array(buffer.prefix(received.count)) == message)
        #expect(received.descriptors.count == 3)

        for (i, fd) in received.descriptors.enumerated() {
            #expect(fd.rawValue != memfds[i].rawValue)
            #expect(fcntl(fd.rawValue, F_GETFD) & FD_CLOEXEC != 0)
            let view = try MappedRegion(descriptor: fd.rawValue, length: page)
            #expect(view.base.load(as: UInt64.self) == UInt64(0xC0FFEE00 + i))
            // The same pages, not a copy: a write through the received fd shows in the sender's map.
            view.base.storeBytes(of: 0xAB, toByteOffset: 100, as: UInt8.self)
            #expect(mappings[i].base.load(fromByteOffset: 100, as: UInt8.self) == 0xAB)
        }
    }

    /// DPDK virtio-user attaches an SCM_RIGHTS header even when it sends no descriptors.
    @Test func toleratesAnSCMRightsHeaderCarryingZeroDescriptors() throws {
        let (a, b) = try UnixSocket.pair()
        var payload: [UInt8] = [1, 2, 3, 4]
        // struct cmsghdr { size_t len; int level; int type; } with no data: CMSG_LEN(0) == 16.
        var control = [UInt64](repeating: 0, count: 2)
        control.withUnsafeMutableBytes { c in
            c.storeBytes(of: 16, toByteOffset: 0, as: Int.self)
            c.storeBytes(of: SOL_SOCKET, toByteOffset: 8, as: Int32.self)
            c.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: 12, as: Int32.self)
        }
        let sent = payload.withUnsafeMutableBytes { p in
            control.withUnsafeMutableBytes { c in
                var iov = iovec(iov_base: p.baseAddress, iov_len: p.count)
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    var msg = msghdr()
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    msg.msg_control = c.baseAddress
                    msg.msg_controllen = 16
                    return sendmsg(a.rawValue, &msg, 0)
                }
            }
        }
        #expect(sent == 4)
        var buffer = [UInt8](repeating: 0, count: 16)
        let received = try #require(buffer.withUnsafeMutableBytes { b.receive(into: $0) }.value)
        #expect(received.count == 4)
        #expect(received.descriptors.isEmpty)
        #expect(Array(buffer.prefix(4)) == payload)
    }

    @Test func refusesToSendMoreDescriptorsThanTheShimCarries() throws {
        let (a, b) = try UnixSocket.pair(nonBlocking: true)
        let pipe = try Pipe()
        let fds = [Int32](repeating: pipe.writeEnd.rawValue, count: 33)
        #expect(a.send([0x42], fds: fds).errorCode == EINVAL)
        // Nothing went out, not even the payload.
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(buffer.withUnsafeMutableBytes { b.receive(into: $0) }.isWouldBlock)
    }

    @Test func refusesDescriptorsWithoutPayload() throws {
        let (a, _) = try UnixSocket.pair()
        let pipe = try Pipe()
        #expect(a.send([], fds: [pipe.writeEnd.rawValue]).errorCode == EINVAL)
    }

    @Test func closesEveryDescriptorOfAMessageThatBringsTooMany() throws {
        let (a, b) = try UnixSocket.pair()
        let pipe = try Pipe()
        let w = pipe.writeEnd.rawValue
        #expect(a.send([7, 7], fds: [w, w, w]).value != nil)
        var buffer = [UInt8](repeating: 0, count: 8)
        let result = buffer.withUnsafeMutableBytes { b.receive(into: $0, maxDescriptors: 2) }
        #expect(result.errorCode == EMSGSIZE)
        pipe.writeEnd.close()
        // If the receiver had kept any of the three copies, the pipe would not be at EOF. Received
        // descriptors close on the DescriptorCloser thread (docs/never-blocking.md): allow it a moment.
        var waited = 0
        while !pipe.writersAreGone && waited < 100 { usleep(10_000); waited += 1 }
        #expect(pipe.writersAreGone)
    }

    @Test func descriptorsArriveWithTheFirstSegmentOfAPartiallyReadMessage() throws {
        let (a, b) = try UnixSocket.pair()
        let pipe = try Pipe()
        let message = [UInt8](0..<100)
        #expect(a.send(message, fds: [pipe.writeEnd.rawValue]).value != nil)
        var small = [UInt8](repeating: 0, count: 10)
        let first = try #require(small.withUnsafeMutableBytes { b.receive(into: $0) }.value)
        #expect(first.count == 10)
        #expect(first.descriptors.count == 1)
        var rest = [UInt8](repeating: 0, count: 200)
        let second = try #require(rest.withUnsafeMutableBytes { b.receive(into: $0) }.value)
        #expect(second.count == 90)
        #expect(second.descriptors.isEmpty)
        #expect(Array(rest.prefix(90)) == Array(message[10...]))
    }
}
