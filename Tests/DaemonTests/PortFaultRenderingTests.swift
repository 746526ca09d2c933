import ControlClient
import ControlProtocol
import Foundation
import Testing

/// `yardctl ports` for a port its front-end broke (docs/port-faults.md).
@Suite struct PortFaultRenderingTests {
    private func port(state: String, reason: String?, faults: UInt64?) -> PortStatus {
        PortStatus(name: "x", type: "vhost-user", state: state, reason: reason, vlanMode: "access 10",
                   endpoint: "/run/switchyard/x.sock (server)", macCount: 0, queues: 1, mtu: 1500,
                   counters: TrafficCounters(), faults: faults)
    }

    @Test func showsTheBrokenStateItsReasonAndTheFaultCount() throws {
        let broken = port(state: "broken (guest-memory-fault)", reason: "guest memory faulted", faults: 1)
        let text = Rendering.ports([broken])
        #expect(text.contains("broken (guest-memory-fault)"))
        #expect(text.contains("broken (guest-memory-fault): guest memory faulted"))
        #expect(text.contains("faults: 1"))
        // The JSON carries the count too, and a reply without it (an older daemon) still decodes.
        let json = try JSONEncoder().encode(broken)
        #expect(try JSONDecoder().decode(PortStatus.self, from: json).faults == 1)
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        object["faults"] = nil
        let old = try JSONDecoder().decode(PortStatus.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.faults == nil)
        // Control: a healthy port shows no fault line.
        #expect(!Rendering.ports([port(state: "running", reason: nil, faults: 0)]).contains("faults:"))
    }
}
