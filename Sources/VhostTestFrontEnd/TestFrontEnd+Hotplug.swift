import CSwitchyard
import LinuxIO

/// Memory plugged into a running guest, as QEMU does it for `object_add memory-backend-memfd` +
/// `device_add pc-dimm`: its own memfd, mapped on the front-end's side, announced with ADD_MEM_REG
/// and taken away with REM_MEM_REG (docs/memory-hotplug-and-reconnect.md).
public final class HotplugMemory {
    public let file: OwnedFileDescriptor
    public let mapping: MappedRegion
    public let guestPhysicalAddress: UInt64
    public let size: Int
    private var cursor = 0

    public init(guestPhysicalAddress: UInt64, size: Int = 1 << 20, name: String = "dimm") throws {
        file = try Memfd.create(name: name, size: size)
        mapping = try MappedRegion(descriptor: file.rawValue, length: size)
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
    }

    /// The region as ADD_MEM_REG / REM_MEM_REG carry it (UVA = this process's mapping, offset 0).
    public var region: GuestRAM.Region {
        GuestRAM.Region(guestPhysicalAddress: guestPhysicalAddress, size: size,
                        userspaceAddress: UInt64(UInt(bitPattern: mapping.base)), mmapOffset: 0, base: mapping.base)
    }

    /// Bump allocation, as `GuestRAM.allocate` (zeroed: a fresh memfd).
    public func allocate(_ length: Int, alignment: Int = 64) throws -> GuestRAM.Block {
        let start = (cursor + alignment - 1) / alignment * alignment
        guard start + length <= size else { throw TestFrontEndError.outOfGuestMemory }
        cursor = start + length
        return GuestRAM.Block(gpa: guestPhysicalAddress + UInt64(start),
                              uva: UInt64(UInt(bitPattern: mapping.base)) + UInt64(start),
                              pointer: mapping.base + start, length: length)
    }
}

extension TestFrontEnd {
    /// ADD_MEM_REG with the DIMM's memfd (acked when REPLY_ACK is negotiated: a refusal throws `.nack`).
    public func plug(_ memory: HotplugMemory) throws {
        try request(.addMemReg, FrontEndWire.singleRegion(memory.region), fds: [memory.file.rawValue])
    }

    /// REM_MEM_REG for hot-plugged memory.
    public func unplug(_ memory: HotplugMemory) throws {
        try request(.remMemReg, FrontEndWire.singleRegion(memory.region))
    }

    /// REM_MEM_REG for one of the regions of the boot-time table (`ram.regions[index]`).
    public func removeBootRegion(_ index: Int) throws {
        try request(.remMemReg, FrontEndWire.singleRegion(ram.regions[index]))
    }

    /// ADD_MEM_REG for one of the boot-time regions again (after `removeBootRegion`).
    public func addBootRegion(_ index: Int) throws {
        try request(.addMemReg, FrontEndWire.singleRegion(ram.regions[index]), fds: [ram.file.rawValue])
    }
}

extension DriverRing {
    /// Makes `buffer` (anywhere in guest memory, e.g. hot-plugged) available under a free
    /// descriptor id, holding `contents`; `length` defaults to the whole buffer. Returns the id:
    /// `popUsed` gives it back, and the caller reads the buffer it chose.
    @discardableResult
    public func post(buffer: GuestRAM.Block, length: Int? = nil, writable: Bool, contents: [UInt8] = []) throws -> UInt16 {
        guard let d = freeDescriptors.popLast() else { throw TestFrontEndError.ringFull }
        guard contents.count <= buffer.length else { throw TestFrontEndError.badReply("contents larger than a buffer") }
        contents.withUnsafeBytes { raw in
            if let base = raw.baseAddress { buffer.pointer.copyMemory(from: base, byteCount: raw.count) }
        }
        DriverRing.writeDescriptor(at: descriptorTable.pointer + 16 * Int(d), address: buffer.gpa,
                                   length: UInt32(length ?? buffer.length), flags: writable ? 2 : 0, next: 0)
        publish(head: d)
        return d
    }
}
