@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// `VhostPort.fail` as the notification paths use it (docs/port-faults.md): the engine breaks the
/// port after the turn, signals SET_VRING_ERR, and a ring reset by the front-end brings it back.
@Suite(.serialized) struct PortFaultTests {
    private func state(_ h: SwitchHarness, _ port: String) throws -> String {
        let s = try h.engine.perform { $0.portRuntime().first { $0.spec.name == port }?.state.description }.get()
        return try #require(s)
    }

    private func waitForState(_ h: SwitchHarness, _ port: String, _ wanted: String, seconds: Double = 2) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try state(h, port)
            if last == wanted { break }
            usleep(5_000)
        }
        return last
    }

    @Test func failBreaksThePortSignalsEveryErrorNotifierAndARingResetRecoversIt() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("x", .access(vlan: 10))])
        for p in ["a", "b", "x"] { try h.connect(p) }
        let x = try h.frontEnd("x")
        let errors = try [0, 1].map { try x.installErrorNotifier(ring: $0) }
        let flood = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 64)
        try h.frontEnd("a").send(frame: flood)
        #expect(try h.receive("x", expected: 1) == [flood], "control: x is served")
        _ = try h.receive("b", expected: 1)
        #expect(errors.allSatisfy { $0.drain() == 0 }, "control: nothing signalled yet")

        // Recorded twice in one turn (as from inside a burst): one fault, one break.
        try h.engine.perform { e in
            let port = e.ports[Int(e.portIndex(named: "x")!)]!.vhost!
            port.fail(.notificationBlocked)
            port.fail(.kickBlocked)
        }.get()
        #expect(try waitForState(h, "x", "broken (notification-blocked)") == "broken (notification-blocked)")
        #expect(errors.allSatisfy { $0.drain() == 1 }, "SET_VRING_ERR signalled on every ring that has one")
        let faults = try h.engine.perform { $0.portRuntime().first { $0.spec.name == "x" }?.faults }.get()
        #expect(faults == 1)

        // Broken: a's flood reaches b only; x's rings are left alone.
        try h.frontEnd("a").send(frame: flood)
        #expect(try h.receive("b", expected: 1) == [flood])
        #expect(try h.receivesNothing("x"))

        // The front-end resets a ring (a new call fd, as QEMU does when it unmasks a vector):
        // not at once (a trapped eventfd earns a 1 s penalty), then the port is served again,
        // both rings.
        let call = try EventFD()
        try x.request(.setVringCall, FrontEndWire.u64(0), fds: [call.rawValue])
        #expect(try state(h, "x") == "broken (notification-blocked)", "still in its penalty")
        #expect(try waitForState(h, "x", "running", seconds: 4) == "running")
        try h.frontEnd("a").send(frame: flood)
        #expect(try h.receive("x", expected: 1) == [flood])
        let fromX = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(9), length: 64)
        try x.send(frame: fromX)
        #expect(try h.receive("a", expected: 1) == [fromX])
        expectAccountingAddsUp(h.engine)
    }
}
