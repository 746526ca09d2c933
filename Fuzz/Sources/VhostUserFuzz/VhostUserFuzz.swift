#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import GuestMemory
import LinuxIO
import Virtio
@testable import VhostUser

// The vhost-user control path as a front-end drives it: bytes and descriptors on a real UNIX
// stream socket, reassembled by MessageAssembler, decoded by VhostUserCodec and applied to a
// VhostUserDevice whose delegate touches every ring it is handed (as the datapath would).
//
// Input: records until the input ends. First byte: bits 0-1 the kind, bits 2-7 which fds of the
// pool ride on the bytes (SCM_RIGHTS).
//   0  one message: code u8, flags u8 (bit 0 NEED_REPLY, bit 1 a raw flags word follows,
//      bit 2 a raw size u16 follows instead of the true one), length u16 % 320, payload
//   1  raw stream bytes: length u16 % 512, bytes (messages split or glued anywhere)
//   2  no fds: the front-end disconnects and a new one connects; else the guest writes RAM:
//      offset u16 · 4 into the 256 KiB memfd, length u8, bytes (rings the device then walks)
//   3  like 0, then a disconnect if the next byte is odd
// The pool: a 256 KiB and a 4 KiB memfd (guest RAM), two eventfds, a pipe, the big memfd again.

private let bigMemfdSize = 256 * 1024

final class FdPool {
    let fds: [Int32]
    let bigMemory: UnsafeMutableRawPointer

    init() {
        let big = try! Memfd.create(name: "fuzz-vhost-ram", size: bigMemfdSize)
        let small = try! Memfd.create(name: "fuzz-vhost-small", size: 4096)
        let e1 = try! EventFD(), e2 = try! EventFD()
        var p: [Int32] = [0, 0]
        precondition(pipe(&p) == 0)
        let bigFd = big.release()
        bigMemory = mmap(nil, bigMemfdSize, PROT_READ | PROT_WRITE, MAP_SHARED, bigFd, 0)!
        fds = [bigFd, small.release(), e1.descriptor.release(), e2.descriptor.release(), p[0], dup(bigFd)]
    }

    func pick(_ mask: UInt8) -> [Int32] {
        (0..<6).compactMap { mask & (1 << $0) != 0 ? fds[$0] : nil }
    }
}

/// What the engine does with a started ring, minus forwarding: walk what the guest made available.
final class TouchingDelegate: VhostUserDeviceDelegate {
    var queues: [Int: any Virtqueue] = [:]
    var sink: UInt64 = 0

    func ringStarted(device: VhostUserDevice, index: Int, configuration c: RingConfiguration) {
        precondition(queues[index] == nil, "ringStarted twice for ring \(index)")
        // Every byte of the three areas must be ours: touch both ends of each (a packed ring's
        // event areas are 4 bytes each).
        let packed = c.features.contains(.ringPacked)
        let ev = c.eventIndex ? 2 : 0
        for (p, n) in [(c.descriptorTable, 16 * c.size), (c.availableRing, packed ? 4 : 4 + 2 * c.size + ev),
                       (c.usedRing, packed ? 4 : 4 + 8 * c.size + ev)] {
            sink &+= UInt64(p.load(as: UInt8.self)) &+ UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self))
        }
        let indirect = c.features.contains(.indirectDescriptors)
        let made: (any Virtqueue)? = packed
            ? PackedQueue(size: UInt16(c.size), descriptors: c.descriptorTable, driverEvent: c.availableRing,
                          deviceEvent: c.usedRing, memory: c.memory, eventIndex: c.eventIndex,
                          lastAvailIndex: c.nextAvailableIndex, indirectDescriptors: indirect)
            : SplitQueue(size: UInt16(c.size), descriptors: c.descriptorTable, avail: c.availableRing,
                         used: c.usedRing, memory: c.memory, eventIndex: c.eventIndex,
                         lastAvailIndex: c.nextAvailableIndex, indirectDescriptors: indirect)
        guard let q = made else { preconditionFailure("device handed out a ring the queue refuses") }
        queues[index] = q
        if !c.isReceiveQueue {
            let n = q.popAvailable(maxChains: 64)
            for chain in q.chains.prefix(n) {
                for s in q.segments(of: chain) where s.length > 0 {
                    sink &+= UInt64(s.base.load(as: UInt8.self)) &+ UInt64(s.base.load(fromByteOffset: s.length - 1, as: UInt8.self))
                }
            }
            q.pushUsedTransmitted(count: n)
            _ = q.publishUsed()
        }
    }

    func ringStopping(device: VhostUserDevice, index: Int) -> UInt16 {
        guard let q = queues.removeValue(forKey: index) else { preconditionFailure("ringStopping without ringStarted (\(index))") }
        return q.lastAvailIndex
    }

    func deviceDisconnected(device: VhostUserDevice) {
        precondition(queues.isEmpty, "disconnected with started rings")
    }
}

private let pool = FdPool()

/// Open descriptors in a window above the pool: a descriptor the device keeps after the front-end
/// is gone is a leak (a guest could exhaust the daemon's fd table).
private func openDescriptors() -> [Int32] {
    (3..<(pool.fds.max()! + 64)).filter { fcntl($0, F_GETFD) != -1 }
}

final class DeviceSession {
    let device: VhostUserDevice
    let delegate = TouchingDelegate()
    var front: UnixSocket
    var back: UnixSocket
    var assembler = MessageAssembler()

    init() {
        var config = VhostUserDevice.Configuration(queuePairs: 2)
        config.maxMemorySlots = 8
        device = VhostUserDevice(name: "fuzz", configuration: config)
        device.logger.logLevel = .critical
        device.delegate = delegate
        (front, back) = try! UnixSocket.pair(nonBlocking: true)
        device.connectionOpened()
    }

    func reconnect() {
        assembler.reset()
        device.connectionClosed()
        (front, back) = try! UnixSocket.pair(nonBlocking: true)
        device.connectionOpened()
    }

    func send(_ bytes: [UInt8], fds: [Int32]) {
        guard !bytes.isEmpty else { return }
        _ = front.send(bytes, fds: fds)
        drain()
    }

    func drain() {
        while true {
            switch assembler.readNext(from: back) {
            case .message(let m):
                let code = m.code
                switch device.handle(m) {
                case .none: break
                case .reply(let bytes):
                    let h = bytes.withUnsafeBytes { VhostUserHeader(bytes: $0) }
                    precondition(h.code == code && h.flags == VhostUserHeader.replyFlags
                                 && Int(h.size) == bytes.count - VhostUserHeader.byteCount, "malformed reply")
                case .close:
                    reconnect()
                    return
                }
            case .wouldBlock:
                return
            case .closed, .failed:
                reconnect()
                return
            }
        }
    }

    func close() {
        assembler.reset()
        device.connectionClosed()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVhostUser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    // The closer thread and its doorbell start on first use: not a leak of this input.
    _ = DescriptorCloser.shared.backlog
    let before = openDescriptors()
    memset(pool.bigMemory, 0, bigMemfdSize)
    do {
        let session = DeviceSession()
        while !input.isEmpty {
            let op = input.u8()
            let fds = pool.pick(op >> 2)
            switch op & 3 {
            case 0, 3:
                let code = UInt32(input.u8())
                let sel = input.u8()
                var flags = VhostUserHeader.version | (sel & 1 != 0 ? VhostUserHeader.needReplyFlag : 0)
                if sel & 2 != 0 { flags = input.u32() }
                let rawSize: UInt16? = sel & 4 != 0 ? input.u16() : nil
                let length = Int(input.u16() % 320)
                let payload = input.take(length)
                var bytes: [UInt8] = []
                VhostUserHeader(code: code, flags: flags, size: UInt32(rawSize ?? UInt16(payload.count))).append(to: &bytes)
                bytes.append(contentsOf: payload)
                session.send(bytes, fds: fds)
                if op & 3 == 3, input.u8() & 1 == 1 { session.reconnect() }
            case 1:
                let length = Int(input.u16() % 512)
                session.send(Array(input.take(length)), fds: fds)
            default:
                if op >> 2 == 0 {
                    session.reconnect()
                } else {
                    let offset = Int(input.u16()) * 4
                    let bytes = input.take(min(Int(input.u8()), bigMemfdSize - offset))
                    if let base = bytes.baseAddress { (pool.bigMemory + offset).copyMemory(from: base, byteCount: bytes.count) }
                }
            }
        }
        session.close()
    }
    // Received descriptors are closed on the DescriptorCloser's thread (docs/never-blocking.md):
    // give it up to a second to catch up before calling a difference a leak.
    var after = openDescriptors()
    for _ in 0..<10_000 where after != before {
        usleep(100)
        after = openDescriptors()
    }
    precondition(after == before, "descriptor leak: open before \(before), after \(after)")
    return 0
}
