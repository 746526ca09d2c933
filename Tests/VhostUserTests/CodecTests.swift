import GuestMemory
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
@Suite struct Codec {
    func decode(_ bytes: [UInt8], fds: [OwnedFileDescriptor] = []) -> Result<VhostUserMessage, VhostUserProtocolError> {
        bytes.withUnsafeBytes { raw in
            let header = VhostUserHeader(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<12]))
            return VhostUserCodec.decode(header: header, payload: UnsafeRawBufferPointer(rebasing: raw[12...]), descriptors: fds)
        }
    }

    @Test func decodesEveryPayloadShapeTheFrontEndEncodes() throws {
        let region = MemoryRegionDescriptor(guestPhysicalAddress: 0x1_0000_0000, size: 0x20_0000,
                                            userspaceAddress: 0x7f00_0000_0000, mmapOffset: 0x1000)
        let cases: [(VhostUserPayload, UInt32)] = [
            (.empty, 1), (.u64(0x1_4000_8000), 2),
            (.vringState(VringState(index: 3, num: 256)), 8),
            (.vringAddress(VringAddress(index: 1, flags: 1, descriptorUVA: 0x1000, usedUVA: 0x3000, availableUVA: 0x2000, logGPA: 0x9000)), 9),
            (.log(VhostUserLogArea(mmapSize: 4096, mmapOffset: 0)), 6),
            (.opaque([1, 2, 3]), 24),
        ]
        for (payload, code) in cases {
            let bytes = VhostUserCodec.encode(code: code, flags: 1, payload: payload)
            let m = try decode(bytes).get()
            #expect(m.payload == payload)
            #expect(m.code == code)
        }
        // Multi-fd and single-fd shapes need matching descriptors.
        let table = VhostUserCodec.encode(code: 5, flags: 1, payload: .memoryTable([region, region]))
        let fds = try [EventFD(), EventFD()].map { $0.descriptor }
        #expect(try decode(table, fds: fds).get().payload == .memoryTable([region, region]))
        let add = VhostUserCodec.encode(code: 37, flags: 1, payload: .singleRegion(region))
        #expect(add.count == 12 + 40)
        #expect(try decode(add, fds: [try EventFD().descriptor]).get().payload == .singleRegion(region))
    }

    @Test func vringAddressWireOrderIsDescUsedAvail() throws {
        let bytes = FrontEndWire.message(9, payload: FrontEndWire.vringAddress(2, desc: 0xD000, used: 0xE000, avail: 0xA000))
        let m = try decode(bytes).get()
        #expect(m.payload == .vringAddress(VringAddress(index: 2, descriptorUVA: 0xD000, usedUVA: 0xE000, availableUVA: 0xA000)))
    }

    @Test func acceptsPre52QEMUShortSingleRegion() throws {
        var payload = FrontEndWire.u64(0) + FrontEndWire.u64(0x1000) + FrontEndWire.u64(0x2000) + FrontEndWire.u64(0x3000)
        payload += [0x00, 0x10, 0, 0]
        let m = try decode(FrontEndWire.message(38, payload: payload)).get()
        #expect(m.payload == .singleRegion(MemoryRegionDescriptor(guestPhysicalAddress: 0x1000, size: 0x2000, userspaceAddress: 0x3000, mmapOffset: 0x1000)))
    }

    @Test func rejectsVersionOtherThanOne() {
        #expect(throws: VhostUserProtocolError.unsupportedVersion(flags: 2)) { try decode(FrontEndWire.message(1, flags: 2)).get() }
        #expect(throws: VhostUserProtocolError.unsupportedVersion(flags: 0)) { try decode(FrontEndWire.message(1, flags: 0)).get() }
    }

    @Test func rejectsReplyFlagOnRequests() {
        #expect(throws: VhostUserProtocolError.replyFlagOnRequest(code: 1)) { try decode(FrontEndWire.message(1, flags: 5)).get() }
    }

    @Test func rejectsPayloadsOver4096Bytes() {
        let header = VhostUserHeader(code: 24, flags: 1, size: 4097)
        #expect(VhostUserCodec.validate(header: header) == .payloadTooLarge(code: 24, size: 4097))
        #expect(VhostUserCodec.validate(header: VhostUserHeader(code: 24, flags: 1, size: 4096)) == nil)
    }

    @Test(arguments: [(1, 8), (2, 4), (2, 16), (8, 12), (9, 32), (11, 0), (3, 8), (39, 0)])
    func rejectsWrongPayloadSizePerRequest(code: Int, size: Int) {
        let bytes = FrontEndWire.message(UInt32(code), payload: [UInt8](repeating: 0, count: size))
        #expect(throws: VhostUserProtocolError.wrongPayloadSize(code: UInt32(code), size: UInt32(size))) { try decode(bytes).get() }
    }

    @Test func rejectsMemoryTablesWithBadRegionCounts() {
        let nine = FrontEndWire.u64(9) + [UInt8](repeating: 0, count: 9 * 32)
        #expect(throws: VhostUserProtocolError.invalidRegionCount(9)) { try decode(FrontEndWire.message(5, payload: nine)).get() }
        let claimsTwoSendsOne = [2, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 32)
        #expect(throws: VhostUserProtocolError.wrongPayloadSize(code: 5, size: 40)) { try decode(FrontEndWire.message(5, payload: claimsTwoSendsOne)).get() }
    }

    @Test func closesDescriptorsOfRejectedAndFdlessRequests() throws {
        // SET_FEATURES carries no descriptor: the one attached must be closed, not leaked.
        let stray = try handedOverSocket()
        let result = decode(FrontEndWire.message(2, payload: FrontEndWire.u64(1)), fds: [stray.handed])
        #expect(throws: VhostUserProtocolError.wrongDescriptorCount(code: 2, expected: "0", received: 1)) { try result.get() }
        #expect(seesClose(stray.peer))
        // Memory table with fewer fds than regions: all received fds are closed.
        let one = try handedOverSocket()
        let table = FrontEndWire.message(5, payload: [2, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 1, count: 64))
        #expect(throws: VhostUserProtocolError.wrongDescriptorCount(code: 5, expected: "2", received: 1)) { try decode(table, fds: [one.handed]).get() }
        #expect(seesClose(one.peer))
    }

    @Test func vringFdWordHonoursNoFdFlag() throws {
        // NOFD with an fd attached, and an fd missing without NOFD, are both errors.
        let e = try EventFD()
        #expect(throws: VhostUserProtocolError.self) { try decode(FrontEndWire.message(12, payload: FrontEndWire.u64(0x100)), fds: [e.descriptor]).get() }
        #expect(throws: VhostUserProtocolError.self) { try decode(FrontEndWire.message(13, payload: FrontEndWire.u64(0))).get() }
        #expect(throws: VhostUserProtocolError.invalidVringDescriptorWord(0x200)) { try decode(FrontEndWire.message(14, payload: FrontEndWire.u64(0x200))).get() }
        #expect(try decode(FrontEndWire.message(12, payload: FrontEndWire.u64(0x101))).get().payload == .u64(0x101))
    }
}
}
