#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing

@Suite struct MappedRegionTests {
    @Test func twoMappingsOfOneMemfdShareTheirBytes() throws {
        let size = 4 * Int(getpagesize())
        let fd = try Memfd.create(name: "shared-view", size: size)
        var st = stat()
        #expect(fstat(fd.rawValue, &st) == 0)
        #expect(Int(st.st_size) == size)

        let writer = try MappedRegion(descriptor: fd.rawValue, length: size)
        let reader = try MappedRegion(descriptor: fd.rawValue, length: size, writable: false)
        #expect(writer.base != reader.base)
        #expect(reader.base.load(fromByteOffset: size - 8, as: UInt64.self) == 0)
        writer.base.storeBytes(of: 0x1122_3344_5566_7788, toByteOffset: size - 8, as: UInt64.self)
        #expect(reader.base.load(fromByteOffset: size - 8, as: UInt64.self) == 0x1122_3344_5566_7788)

        // The file itself sees the write too (pread, no mapping involved).
        var value: UInt64 = 0
        #expect(pread(fd.rawValue, &value, 8, off_t(size - 8)) == 8)
        #expect(value == 0x1122_3344_5566_7788)
    }

    @Test func mappingOutlivesItsDescriptor() throws {
        let size = Int(getpagesize())
        let fd = try Memfd.create(name: "outlive", size: size)
        let region = try MappedRegion(descriptor: fd.rawValue, length: size)
        fd.close()
        region.base.storeBytes(of: 42, as: UInt32.self)
        #expect(region.base.load(as: UInt32.self) == 42)
    }

    @Test func rejectsZeroLengthAndBadDescriptors() {
        #expect(throws: Errno(EINVAL)) { try MappedRegion(descriptor: 0, length: 0) }
        #expect(throws: Errno(EBADF)) { try MappedRegion(descriptor: -1, length: 4096) }
    }
}
