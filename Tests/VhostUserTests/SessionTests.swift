#if canImport(Glibc)
import Glibc
#endif
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
@Suite struct Session {
    @Test func qemuBootStartsBothRingsWithPointersIntoTheFrontEndsRings() throws {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        #expect(s.delegate.runningRings == [0, 1])
        for ring in s.frontEnd.rings {
            let c = try #require(s.delegate.configurations[ring.index])
            // Same bytes through both mappings: write on the driver side, read on ours.
            ring.descriptorTable.pointer.storeBytes(of: UInt64(0xFEED_0000) + UInt64(ring.index), as: UInt64.self)
            #expect(c.descriptorTable.load(as: UInt64.self) == UInt64(0xFEED_0000) + UInt64(ring.index))
            #expect(c.availableRing.load(fromByteOffset: 2, as: UInt16.self) == ring.availableIndex)
            ring.usedRing.pointer.storeBytes(of: UInt32(0xABCD), toByteOffset: 4, as: UInt32.self)
            #expect(c.usedRing.load(fromByteOffset: 4, as: UInt32.self) == 0xABCD)
            #expect(c.size == 256 && c.netHeaderLength == 12 && c.eventIndex && c.mergeableRxBuffers)
            #expect(c.kick != nil && c.call != nil)
            #expect(c.nextAvailableIndex == 0)
            // Descriptor addresses are GPAs: the first RX buffer must translate to the same bytes.
            if ring.index == 0 {
                let buffer = ring.buffers[Int(ring.availableRing.pointer.load(fromByteOffset: 4, as: UInt16.self))]
                let p = try #require(c.memory.pointer(guestPhysical: buffer.gpa, length: buffer.length))
                buffer.pointer.storeBytes(of: UInt32(0x1234_5678), as: UInt32.self)
                #expect(p.load(as: UInt32.self) == 0x1234_5678)
            }
        }
        #expect(s.device.ringStatus(0)?.started == true)
    }

    @Test func getVringBaseStopsTheRingAndReportsTheDatapathsIndex() throws {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        s.delegate.stopIndex = 42
        let bases = try s.frontEnd.stopRings()
        #expect(bases == [42, 42])
        #expect(s.delegate.runningRings.isEmpty)
        #expect(s.device.ringStatus(0)?.started == false)
        #expect(s.device.ringStatus(0)?.hasKick == false)
    }

    @Test func driverResetRestartsRingsAtTheirNewAddresses() throws {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        let before = try #require(s.delegate.configurations[0]).descriptorTable
        try s.frontEnd.driverReset()
        let after = try #require(s.delegate.configurations[0])
        #expect(after.descriptorTable != before)
        #expect(after.nextAvailableIndex == 0)
        #expect(s.delegate.runningRings == [0, 1])
        #expect(s.delegate.events.filter { $0 == .stopping(0) }.count >= 1)
    }

    @Test func ringsRestartAcrossAMemoryTableChangeWithTheirIndex() throws {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        s.delegate.events = []
        s.delegate.stopIndex = 7
        let ram = s.frontEnd.ram
        try s.frontEnd.request(.setMemTable, FrontEndWire.memoryTable(ram.regions), fds: ram.regions.map { _ in ram.file.rawValue })
        let e = s.delegate.events
        #expect(e.first == .memoryWillChange)
        #expect(e.firstIndex(of: .memoryDidChange).map { $0 > e.firstIndex(of: .stopping(0))! } == true)
        #expect(e.last == .started(1))
        // Used index in guest memory is 0, so the resync rule takes over from the returned 7.
        #expect(s.delegate.configurations[0]?.usedIndex == 0)
    }

    @Test func disconnectStopsRingsAndLeavesNoDescriptorsOrMappings() throws {
        let name = uniqueName("disc")
        let engine = try TestEngine()
        let fdsBefore = openDescriptorCount()
        var options = TestFrontEnd.Options()
        options.memoryName = name
        do {
            let s = try PairedSetup(options: options, engine: engine)
            try s.frontEnd.negotiate()
            try s.frontEnd.start()
            #expect(mappingCount(of: name) == 3, "front-end's mapping + the back-end's two regions")
            s.frontEnd.disconnect()
            engine.pump(times: 3)
            #expect(s.delegate.events.suffix(3) == [.stopping(0), .stopping(1), .disconnected])
            #expect(!s.device.isConnected && s.device.ackedFeatures == [] && s.device.memory.count == 0)
            // The back-end unmapped its two regions; only the front-end's own mapping is left.
            #expect(mappingCount(of: name) == 1)
            engine.endpoints = [:]
        }
        #expect(mappingCount(of: name) == 0)
        // Other suites open and close descriptors in parallel: allow them a moment to settle.
        #expect(eventually { openDescriptorCount() <= fdsBefore }, "descriptors leaked: \(openDescriptorCount()) > \(fdsBefore)")
    }

    @Test func multiqueueReportsPairsAndServesAllRings() throws {
        var options = TestFrontEnd.Options()
        options.queuePairs = 2
        let s = try PairedSetup(configuration: .init(queuePairs: 2), options: options)
        try s.frontEnd.negotiate()
        #expect(try s.frontEnd.getU64(.getQueueNum) == 2)
        try s.frontEnd.start()
        #expect(s.delegate.runningRings == [0, 1, 2, 3])
        #expect(s.device.ringCount == 4)
        #expect(throws: TestFrontEndError.nack(18)) {
            try s.frontEnd.request(.setVringEnable, FrontEndWire.vringState(4, 1), ack: true)
        }
    }

    @Test func dpdkVirtioUserOrderStartsRingsAndStops() throws {
        var options = TestFrontEnd.Options()
        options.layout = .identity
        let s = try PairedSetup(options: options)
        try s.frontEnd.dpdkBoot()
        #expect(s.delegate.runningRings == [0, 1])
        #expect(s.frontEnd.protocolFeatures == (1 | (1 << 3) | (1 << 16)))
        #expect(s.device.status == 0xF)
        s.delegate.stopIndex = 3
        #expect(try s.frontEnd.dpdkStop() == [3, 3])
        #expect(s.delegate.runningRings.isEmpty)
    }

    @Test func ringsStartWithoutEnableWhenProtocolFeaturesAreNotNegotiated() throws {
        let s = try PairedSetup(configuration: .init(features: [.version1]))
        var options = s.frontEnd.options
        options.ackEverything = false
        s.frontEnd.options = options
        // A legacy-style front-end: only SET_FEATURES without bit 30, no SET_VRING_ENABLE.
        try s.frontEnd.request(.setFeatures, FrontEndWire.u64(1 << 32))
        try s.frontEnd.request(.setMemTable, FrontEndWire.memoryTable(s.frontEnd.ram.regions),
                               fds: s.frontEnd.ram.regions.map { _ in s.frontEnd.ram.file.rawValue })
        let ring = try DriverRing(ram: s.frontEnd.ram, index: 0, size: 64, bufferSize: 256, ringRegion: 0)
        try s.frontEnd.request(.setVringNum, FrontEndWire.vringState(0, 64))
        try s.frontEnd.request(.setVringAddr, FrontEndWire.vringAddress(0, desc: ring.descriptorTable.uva, used: ring.usedRing.uva, avail: ring.availableRing.uva))
        try s.frontEnd.request(.setVringKick, FrontEndWire.u64(0x100))
        try s.frontEnd.sync()
        let c = try #require(s.delegate.configurations[0])
        #expect(c.kick == nil, "NOFD kick means poll mode")
        #expect(c.netHeaderLength == 12)
    }

    @Test func partialMessageWaitsWithoutBlockingTheEngine() throws {
        let s = try PairedSetup()
        let whole = FrontEndWire.message(1)
        try s.frontEnd.sendRaw(Array(whole[0..<5]))
        s.engine.pump(times: 3)  // must return: nothing complete yet
        try s.frontEnd.sendRaw(Array(whole[5...]))
        let reply = try s.frontEnd.readReply()
        #expect(reply.code == 1 && reply.flags == 0x5)
    }

    @Test func malformedMessageClosesOnlyThatConnection() throws {
        let engine = try TestEngine()
        let bad = try PairedSetup(engine: engine, name: "bad")
        let good = try PairedSetup(engine: engine, name: "good")
        try bad.frontEnd.sendRaw(FrontEndWire.message(1, flags: 3))
        #expect(bad.frontEnd.waitForClose())
        #expect(bad.delegate.events.last == .disconnected)
        try good.frontEnd.negotiate()
        try good.frontEnd.start()
        #expect(good.delegate.runningRings == [0, 1])
    }

    @Test func unexpectedDescriptorOverTheSocketIsClosedWithTheConnection() throws {
        let s = try PairedSetup()
        // A pipe's write end as the stray descriptor: the read end sees EOF only once every copy
        // of the write end is closed, so this proves the back-end closed its copy (counting the
        // process's descriptors would race with other suites running in parallel).
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        try s.frontEnd.sendRaw(FrontEndWire.message(3), fds: [ends[1]])
        close(ends[1])
        #expect(s.frontEnd.waitForClose())
        s.engine.pump()
        var byte: UInt8 = 0
        #expect(read(ends[0], &byte, 1) == 0, "the back-end still holds the stray descriptor")
        close(ends[0])
    }
}
}
