import VhostTestFrontEnd

/// Where the ring-level tests put things: guest RAM of two adjacent 1 MiB regions (`GuestRAM`
/// `.adjacent`: GPA == file offset, so a buffer across GPA 1 MiB is two pieces for the queue),
/// the ring's areas in region A, buffers anywhere the test chooses.
enum FixedRingAddresses {
    static let regionSize = 0x10_0000
    static let descriptorGPA: UInt64 = 0x1000
    static let availGPA: UInt64 = 0x9000
    static let usedGPA: UInt64 = 0xA000
    /// Scratch for indirect tables.
    static let indirectGPA: UInt64 = 0x2_0000

    static func guest() throws -> GuestRAM { try GuestRAM(regionSize: regionSize, layout: .adjacent) }

    /// A driver ring of `size` at the fixed addresses, in `guest` or in fresh guest RAM.
    static func driver(on guest: GuestRAM? = nil, size: UInt16, startIndex: UInt16 = 0) throws -> DriverRing {
        try DriverRing(ram: guest ?? self.guest(), size: Int(size), descriptorGPA: descriptorGPA, availGPA: availGPA,
                       usedGPA: usedGPA, startIndex: startIndex)
    }
}
