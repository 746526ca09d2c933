#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import GuestMemory
import VhostTestFrontEnd
import Virtio

// The descriptor walker and guest-memory translation over rings the fuzzer writes: descriptor
// table, avail ring, indices, indirect tables and buffers all come from the input, laid into
// 64 KiB of memfd guest RAM exposed as two regions (adjacent in GPA, apart in UVA, two mappings,
// the way QEMU splits RAM), so buffers and indirect tables can straddle a region boundary.
//
// Input: byte 0 = ring size 2^((b & 15) % 7) | 0x10 EVENT_IDX | 0x20 INDIRECT_DESC | 0x40 MRG_RXBUF |
// 0x80 tight limits; bytes 1-2 last avail index; bytes 3-14 twelve operations (low 3 bits the
// operation, high 5 bits its argument); everything after is guest memory from GPA 0: the
// descriptor table at 0x0, avail ring at 0x400, used ring at 0x600 (buffers from 0x800 on).

private let regionSize = 0x8000
private let descriptorGPA: UInt64 = 0x0, availGPA: UInt64 = 0x400, usedGPA: UInt64 = 0x600

/// GuestRAM `.adjacent`: GPA == file offset, so the input's bytes are laid into both regions at once.
private let guest = try! GuestRAM(regionSize: regionSize, layout: .adjacent, name: "fuzz-ring-ram")
private let view = guest.mapping.base
private let frameSource = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
private var sink: UInt64 = 0

@inline(never)
private func touch(_ segments: UnsafeBufferPointer<GuestSegment>) {
    for s in segments {
        precondition(s.length >= 0)
        guard s.length > 0 else { continue }
        // Both ends must be mapped guest memory: a bad translation faults here.
        sink &+= UInt64(s.base.load(as: UInt8.self)) &+ UInt64(s.base.load(fromByteOffset: s.length - 1, as: UInt8.self))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSplitQueue(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let config = input.u8()
    let lastAvail = input.u16()
    let ops = (0..<12).map { _ in input.u8() }
    memset(view, 0, 2 * regionSize)
    let memory = input.take(2 * regionSize)
    if let base = memory.baseAddress { view.copyMemory(from: base, byteCount: memory.count) }
    for i in 0..<4096 { frameSource.storeBytes(of: UInt8(truncatingIfNeeded: i &* 7), toByteOffset: i, as: UInt8.self) }

    let ringSize = 1 << (Int(config & 0x0F) % 7)
    let eventIndex = config & 0x10 != 0
    let mergeable = config & 0x40 != 0
    let limits = config & 0x80 != 0
        ? SplitQueue.Limits(maxChains: 4, maxSegmentsPerChain: 3, maxTransmitBytes: 1600)
        : SplitQueue.Limits()
    guard let queue = guest.makeQueue(
        size: ringSize, descriptorGPA: descriptorGPA, availGPA: availGPA, usedGPA: usedGPA,
        eventIndex: eventIndex, indirect: config & 0x20 != 0, lastAvailIndex: lastAvail, limits: limits)
    else { preconditionFailure("a valid ring was refused") }

    for op in ops {
        let arg = Int(op >> 3)
        switch op & 7 {
        case 0, 1:
            let n = queue.popAvailable(maxChains: 1 + arg)
            precondition(n == queue.chains.count && n <= limits.maxChains)
            for chain in queue.chains {
                let segments = queue.segments(of: chain)
                precondition(segments.count <= limits.maxSegmentsPerChain)
                if chain.error == nil {
                    precondition(chain.length <= limits.maxTransmitBytes)
                    precondition(segments.reduce(0) { $0 + $1.length } == chain.length, "segments do not add up")
                }
                touch(segments)
                queue.pushUsed(head: chain.head, length: 0)
            }
            _ = queue.publishUsed()
        case 2:
            // One frame through the reservation API; odd arguments cancel instead of committing.
            let bytes = 12 + 60 * (arg + 1)
            if case .reserved = queue.reserve(bytes: bytes, mergeable: mergeable) {
                for chain in queue.chains { touch(queue.segments(of: chain)) }
                let source = [GuestSegment(base: frameSource, length: bytes - 12)]
                let written = source.withUnsafeBufferPointer {
                    queue.writeFrame(header: VirtioNetHeader(), headerLength: 12, from: $0, skipping: 0)
                }
                precondition(written <= bytes)
                if arg & 1 == 0 { _ = queue.commitReservation() } else { queue.cancelReservation() }
            }
            _ = queue.publishUsed()
        case 3:
            let bytes = 1 + 97 * arg
            let headerLength = arg & 1 == 0 ? VirtioNetHeader.length : VirtioNetHeader.legacyLength
            let source = [GuestSegment(base: frameSource, length: bytes)]
            _ = source.withUnsafeBufferPointer {
                queue.receiveFrame(header: VirtioNetHeader(), headerLength: headerLength, from: $0, skipping: 0,
                                   mergeable: mergeable)
            }
            _ = queue.publishUsed()
        case 4:
            _ = queue.needsNotification()
            if arg & 1 == 0 { queue.disableNotifications() } else { _ = queue.enableNotifications() }
        case 5:
            queue.resyncWithUsedIndex()
        case 6:
            // The guest moves avail.idx under us.
            let p = view + Int(availGPA) + 2
            p.storeBytes(of: p.load(as: UInt16.self) &+ UInt16(arg), as: UInt16.self)
        default:
            // The guest rewrites a descriptor's length under us.
            let p = view + Int(descriptorGPA) + 16 * (arg % ringSize) + 8
            p.storeBytes(of: UInt32(arg) << 10, as: UInt32.self)
        }
    }
    return 0
}
