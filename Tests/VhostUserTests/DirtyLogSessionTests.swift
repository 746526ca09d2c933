import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

/// The migration messages in QEMU's order (docs/dirty-log.md): SET_LOG_BASE, then LOG_ALL and the
/// rings' log flag on running rings, the switch-over's GET_VRING_BASE, and logging off again.
extension VhostUserTests {
    @Test func logAllTogglesOnRunningRingsAndNothingElseMayChange() throws {
        let s = try PairedSetup()
        try s.frontEnd.negotiate()
        try s.frontEnd.start()
        #expect(s.delegate.runningRings == [0, 1])
        let logFile = try Memfd.create(name: uniqueName("dlog-session"), size: Int(s.frontEnd.fullLogSize))
        #expect(try s.frontEnd.setLogBase(fd: logFile.rawValue, size: s.frontEnd.fullLogSize) == 0)
        #expect(s.device.dirtyLog?.size == s.frontEnd.fullLogSize)
        // A log alone turns nothing on: LOG_ALL is not acked.
        #expect(s.delegate.configurations[0]?.dirtyLog == nil)

        try s.frontEnd.startLogging()
        #expect(s.delegate.runningRings == [0, 1], "the rings run on, restarted with logging")
        for ring in 0..<2 {
            #expect(s.delegate.configurations[ring]?.dirtyLog != nil)
            #expect(s.delegate.configurations[ring]?.usedLogAddress == s.frontEnd.rings[ring].usedRing.gpa)
        }
        // Any other feature change under running rings is still refused (nack: REPLY_ACK is on).
        let withoutMergeable = s.frontEnd.ackedFeatures & ~(1 << 15) | (1 << 26) | (1 << 30)
        #expect(throws: TestFrontEndError.self) { try s.frontEnd.request(.setFeatures, FrontEndWire.u64(withoutMergeable)) }

        try s.frontEnd.stopLogging()
        #expect(s.delegate.runningRings == [0, 1])
        #expect(s.delegate.configurations[0]?.dirtyLog == nil && s.delegate.configurations[0]?.usedLogAddress == nil)
        // Switch-over: GET_VRING_BASE stops each ring and answers its index.
        #expect(try s.frontEnd.stopRings() == [0, 0])
        #expect(s.delegate.runningRings.isEmpty)
    }

    @Test func setLogBaseNeedsLogShmfdNegotiated() throws {
        var options = TestFrontEnd.Options()
        options.protocolFeatures &= ~(1 << 1)
        let s = try PairedSetup(options: options)
        try s.frontEnd.negotiate()
        let logFile = try Memfd.create(name: uniqueName("dlog-session"), size: 4096)
        #expect(try s.frontEnd.setLogBase(fd: logFile.rawValue, size: 4096) == 1, "refused without LOG_SHMFD")
        #expect(s.device.dirtyLog == nil && s.device.logRefusals == 1)
    }
}
