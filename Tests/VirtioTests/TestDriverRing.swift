import GuestMemory
import Virtio
import TestSupport

/// The driver (guest) side of a split ring over `TwoRegionGuest` memory: fills descriptors and
/// the avail ring, reads the used ring. Single-threaded tests, so plain loads and stores suffice.
/// Rings live in region A; their UVAs are what SET_VRING_ADDR would carry.
final class TestDriverRing {
    static let descriptorGPA: UInt64 = 0x1000
    static let availGPA: UInt64 = 0x9000
    static let usedGPA: UInt64 = 0xA000
    /// Scratch for indirect tables.
    static let indirectGPA: UInt64 = 0x2_0000

    let guest: TwoRegionGuest
    let size: UInt16
    private(set) var availIndex: UInt16
    private var nextFree: UInt16 = 0

    init(guest: TwoRegionGuest, size: UInt16, startIndex: UInt16 = 0) {
        self.guest = guest
        self.size = size
        availIndex = startIndex
        store16(Self.availGPA + 2, startIndex)
        store16(Self.usedGPA + 2, startIndex)
    }

    /// The device side, built the way the vhost-user layer will: ring UVAs translated by the table.
    func makeQueue(eventIndex: Bool, indirect: Bool = false, lastAvail: UInt16? = nil,
                   limits: SplitQueue.Limits = SplitQueue.Limits()) -> SplitQueue? {
        let n = Int(size)
        let uva = TwoRegionGuest.regionA.userspaceAddress
        guard let d = guest.table.pointer(userspace: uva + Self.descriptorGPA,
                                          length: SplitRing.descriptorTableBytes(queueSize: n)),
              let a = guest.table.pointer(userspace: uva + Self.availGPA,
                                          length: SplitRing.availRingBytes(queueSize: n, eventIndex: eventIndex)),
              let u = guest.table.pointer(userspace: uva + Self.usedGPA,
                                          length: SplitRing.usedRingBytes(queueSize: n, eventIndex: eventIndex))
        else { return nil }
        return SplitQueue(size: size, descriptors: d, avail: a, used: u, memory: guest.table,
                          eventIndex: eventIndex, lastAvailIndex: lastAvail ?? availIndex,
                          indirectDescriptors: indirect, limits: limits)
    }

    // MARK: descriptors and avail ring

    func setDescriptor(_ i: UInt16, address: UInt64, length: UInt32, flags: UInt16, next: UInt16 = 0,
                       table: UInt64 = TestDriverRing.descriptorGPA) {
        let p = guest.driverPointer(table + UInt64(i) * 16)
        p.storeBytes(of: address.littleEndian, as: UInt64.self)
        p.storeBytes(of: length.littleEndian, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
        p.storeBytes(of: next.littleEndian, toByteOffset: 14, as: UInt16.self)
    }

    func makeAvailable(head: UInt16) {
        store16(Self.availGPA + 4 + 2 * UInt64(availIndex & (size - 1)), head)
        availIndex &+= 1
        store16(Self.availGPA + 2, availIndex)
    }

    /// Publishes an avail.idx without filling ring entries (for impossible-index tests).
    func forceAvailIndex(_ value: UInt16) { store16(Self.availGPA + 2, value) }

    /// A chain of direct descriptors; returns its head.
    @discardableResult
    func addChain(_ buffers: [(gpa: UInt64, length: UInt32)], writable: Bool) -> UInt16 {
        let head = nextFree
        for (k, b) in buffers.enumerated() {
            let i = nextFree
            nextFree = (nextFree &+ 1) & (size - 1)
            let last = k == buffers.count - 1
            let flags = (writable ? SplitRing.descriptorFlagWrite : 0) | (last ? 0 : SplitRing.descriptorFlagNext)
            setDescriptor(i, address: b.gpa, length: b.length, flags: flags, next: nextFree)
        }
        makeAvailable(head: head)
        return head
    }

    /// One ring descriptor pointing at an indirect table with `entries` (chained in order).
    @discardableResult
    func addIndirectChain(_ entries: [(gpa: UInt64, length: UInt32)], writable: Bool,
                          table: UInt64 = TestDriverRing.indirectGPA) -> UInt16 {
        for (k, e) in entries.enumerated() {
            let last = k == entries.count - 1
            let flags = (writable ? SplitRing.descriptorFlagWrite : 0) | (last ? 0 : SplitRing.descriptorFlagNext)
            setDescriptor(UInt16(k), address: e.gpa, length: e.length, flags: flags, next: UInt16(k + 1), table: table)
        }
        let head = nextFree
        nextFree = (nextFree &+ 1) & (size - 1)
        setDescriptor(head, address: table, length: UInt32(entries.count * 16), flags: SplitRing.descriptorFlagIndirect)
        makeAvailable(head: head)
        return head
    }

    // MARK: used ring and event fields

    var usedIndex: UInt16 { load16(Self.usedGPA + 2) }
    var usedFlags: UInt16 { load16(Self.usedGPA) }
    var availEvent: UInt16 { load16(Self.usedGPA + 4 + 8 * UInt64(size)) }

    func usedElement(_ i: UInt16) -> (id: UInt32, length: UInt32) {
        let p = guest.driverPointer(Self.usedGPA + 4 + 8 * UInt64(i & (size - 1)))
        return (UInt32(littleEndian: p.load(as: UInt32.self)),
                UInt32(littleEndian: p.load(fromByteOffset: 4, as: UInt32.self)))
    }

    func setUsedEvent(_ v: UInt16) { store16(Self.availGPA + 4 + 2 * UInt64(size), v) }
    func setAvailFlags(_ v: UInt16) { store16(Self.availGPA, v) }

    private func store16(_ gpa: UInt64, _ v: UInt16) {
        guest.driverPointer(gpa).storeBytes(of: v.littleEndian, as: UInt16.self)
    }
    private func load16(_ gpa: UInt64) -> UInt16 {
        UInt16(littleEndian: guest.driverPointer(gpa).load(as: UInt16.self))
    }
}
