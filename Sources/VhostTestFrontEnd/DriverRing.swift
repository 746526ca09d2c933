import CSwitchyard
import LinuxIO

/// The driver (guest) side of one split virtqueue in `GuestRAM`: descriptor table, available and
/// used rings, and the kick/call eventfds. The one driver-side ring of the tests and benchmarks
/// (the split-queue fuzzer lays its rings from the input into the same `GuestRAM`), used three ways:
/// * as a virtio-net driver (`init(ram:index:size:bufferSize:ringRegion:)`): one fixed buffer per
///   descriptor (`buffers[i]` for descriptor `i`), single-descriptor chains from a free list
///   (`post`, `popUsed`);
/// * with raw chains (`init(ram:size:descriptorGPA:availGPA:usedGPA:)`, DriverRing+RawChains.swift):
///   rings at addresses the test chooses, descriptors over any guest address, indices forced;
/// * recycling (DriverRing+Recycling.swift): every returned chain is made available again at once,
///   the cheapest steady-state guest, for the benchmarks.
public final class DriverRing {
    public let ram: GuestRAM
    public let index: Int
    public let size: Int
    public let descriptorTable: GuestRAM.Block
    public let availableRing: GuestRAM.Block
    public let usedRing: GuestRAM.Block
    public let buffers: [GuestRAM.Block]
    public let kick: EventFD
    public let call: EventFD
    /// Driver-side event idx: the driver publishes used_event after consuming.
    public var eventIndex = false

    var freeDescriptors: [UInt16]
    var availIdx: UInt16 = 0
    var lastUsed: UInt16 = 0
    /// Raw chains take descriptor ids in ring order, wrapping, with no bookkeeping.
    var nextRawDescriptor: UInt16 = 0
    /// Packed ring (VIRTIO_F_RING_PACKED; DriverRing+Packed.swift): `descriptorTable` is the
    /// ring, `availableRing` the driver event area, `usedRing` the device event area; `availIdx`
    /// and `lastUsed` are slots with the wrap counters below, and `spans[id]` the ring descriptors
    /// buffer `id` took. Set before the first post (`usePackedLayout`).
    public internal(set) var packed = false
    var availWrap = true
    var usedWrap = true
    var spans: [UInt16] = []
    /// The length each buffer id is posted with when recycled (TX: header + frame).
    var packedLengths: [UInt32] = []
    /// Times the driver's avail side went round the ring (tests of wrap-around).
    public internal(set) var packedLaps = 0
    /// Recycling: chains the device returned, and the bytes it reported for them (RX: header + frame).
    public internal(set) var completed = 0
    public internal(set) var completedBytes = 0

    /// Ring areas go into region `ringRegion`, buffers into the other one, so a GPA/UVA mix-up in
    /// the back-end touches the wrong region.
    public init(ram: GuestRAM, index: Int, size: Int, bufferSize: Int, ringRegion: Int) throws {
        self.ram = ram
        self.index = index
        self.size = size
        descriptorTable = try ram.allocate(16 * size, alignment: 16, region: ringRegion)
        availableRing = try ram.allocate(6 + 2 * size, alignment: 64, region: ringRegion)
        usedRing = try ram.allocate(6 + 8 * size, alignment: 64, region: ringRegion)
        for block in [descriptorTable, availableRing, usedRing] { block.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: block.length) }
        buffers = try (0..<size).map { _ in try ram.allocate(bufferSize, alignment: 64, region: 1 - ringRegion) }
        kick = try EventFD()
        call = try EventFD()
        freeDescriptors = (0..<UInt16(size)).reversed().map { $0 }
    }

    /// A ring at fixed guest-physical addresses (each area inside one region), with no buffers:
    /// the test places every descriptor itself (DriverRing+RawChains.swift). avail.idx and used.idx
    /// start at `startIndex`; the areas' other bytes are left as they are.
    public init(ram: GuestRAM, size: Int, descriptorGPA: UInt64, availGPA: UInt64, usedGPA: UInt64,
                startIndex: UInt16 = 0) throws {
        func block(_ gpa: UInt64, _ length: Int) throws -> GuestRAM.Block {
            guard let p = ram.pointer(gpa: gpa, length: length),
                  let r = ram.regions.first(where: { gpa >= $0.guestPhysicalAddress && gpa - $0.guestPhysicalAddress < UInt64($0.size) })
            else { throw TestFrontEndError.outOfGuestMemory }
            return GuestRAM.Block(gpa: gpa, uva: r.userspaceAddress + (gpa - r.guestPhysicalAddress), pointer: p, length: length)
        }
        self.ram = ram
        index = 0
        self.size = size
        descriptorTable = try block(descriptorGPA, 16 * size)
        availableRing = try block(availGPA, 6 + 2 * size)
        usedRing = try block(usedGPA, 6 + 8 * size)
        buffers = []
        kick = try EventFD()
        call = try EventFD()
        freeDescriptors = []
        availIdx = startIndex
        lastUsed = startIndex
        availableRing.pointer.storeBytes(of: startIndex.littleEndian, toByteOffset: 2, as: UInt16.self)
        usedRing.pointer.storeBytes(of: startIndex.littleEndian, toByteOffset: 2, as: UInt16.self)
    }

    public var freeCount: Int { freeDescriptors.count }
    public var availableIndex: UInt16 { availIdx }
    public var usedIndex: UInt16 { csy_load_acquire_u16(usedRing.pointer + 2) }
    /// used.flags as the device left it (VRING_USED_F_NO_NOTIFY = 1: "do not kick me").
    public var usedFlags: UInt16 { csy_load_acquire_u16(usedRing.pointer) }
    /// avail_event (EVENT_IDX): the driver kicks when its avail.idx passes this value.
    public var availEvent: UInt16 { csy_load_acquire_u16(usedRing.pointer + 4 + 8 * size) }

    /// Makes one buffer (all of it, or `length` bytes) available. `contents` are copied into it
    /// first: once the index is published the device may read the buffer at any moment (a
    /// busy-polling back-end does).
    @discardableResult
    public func post(length: Int? = nil, writable: Bool, contents: [UInt8] = []) throws -> UInt16 {
        if packed { return try postPacked(length: length, writable: writable, contents: contents) }
        guard let d = freeDescriptors.popLast() else { throw TestFrontEndError.ringFull }
        let buffer = buffers[Int(d)]
        guard contents.count <= buffer.length else { throw TestFrontEndError.badReply("contents larger than a buffer") }
        contents.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.pointer.copyMemory(from: base, byteCount: raw.count) }
        }
        DriverRing.writeDescriptor(at: descriptorTable.pointer + 16 * Int(d), address: buffer.gpa,
                                   length: UInt32(length ?? buffer.length), flags: writable ? 2 : 0, next: 0)
        publish(head: d)
        return d
    }

    /// One 16-byte descriptor (virtio 1.1 §2.7.5: addr, len, flags, next; little-endian), in the
    /// ring's table or in an indirect table.
    @inline(__always)
    static func writeDescriptor(at entry: UnsafeMutableRawPointer, address: UInt64, length: UInt32,
                                flags: UInt16, next: UInt16) {
        entry.storeBytes(of: address.littleEndian, toByteOffset: 0, as: UInt64.self)
        entry.storeBytes(of: length.littleEndian, toByteOffset: 8, as: UInt32.self)
        entry.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
        entry.storeBytes(of: next.littleEndian, toByteOffset: 14, as: UInt16.self)
    }

    /// Makes the chain at `head` the next available one.
    @inline(__always)
    func publish(head: UInt16) {
        let slot = Int(availIdx) & (size - 1)
        availableRing.pointer.storeBytes(of: head.littleEndian, toByteOffset: 4 + 2 * slot, as: UInt16.self)
        availIdx &+= 1
        // The entry and descriptor must be visible before the index that publishes them.
        csy_store_release_u16(availableRing.pointer + 2, availIdx)
    }

    /// The next completed chain: (descriptor id, bytes written), or nil if none.
    public func popUsed() -> (id: UInt16, length: UInt32)? {
        if packed { return popUsedPacked() }
        guard usedIndex != lastUsed else { return nil }
        let slot = Int(lastUsed) & (size - 1)
        let elem = usedRing.pointer + 4 + 8 * slot
        let id = UInt32(littleEndian: elem.load(fromByteOffset: 0, as: UInt32.self))
        let len = UInt32(littleEndian: elem.load(fromByteOffset: 4, as: UInt32.self))
        lastUsed &+= 1
        if eventIndex {
            csy_store_release_u16(availableRing.pointer + 4 + 2 * size, lastUsed)
        }
        guard id < UInt32(size) else { return nil }
        freeDescriptors.append(UInt16(id))
        return (UInt16(id), len)
    }

    /// Chains made available and not yet returned.
    public var inFlight: Int { size - freeDescriptors.count }
}
