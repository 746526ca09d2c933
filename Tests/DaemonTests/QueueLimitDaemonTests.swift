import ControlClient
import ControlProtocol
import Foundation
import Testing
import VhostTestFrontEnd

/// `yardctl ports` shows a vhost-user port's queue-pair limit and the pairs its front-end enabled
/// (docs/vhost-user-protocol.md#queue-pairs): 8 for a port without `queues:`.
@Suite(.serialized) struct QueueLimitDaemonTests {
    @Test func portsShowTheLimitAndTheEnabledPairsOfAFrontEndThatAskedForFour() throws {
        let d = try DaemonProcess(yaml: """
            switch:
              socket-directory: SOCKDIR
              control-socket: SOCKDIR/control.sock
            ports:
              - { name: vm1, type: vhost-user, socket: vm1.sock }
              - { name: vm2, type: vhost-user, socket: vm2.sock, queues: 2 }
            """)
        func ports() throws -> [PortStatus] {
            guard case .ports(let ports) = try d.request(.ports) else { throw DaemonTestError("not a ports reply") }
            return ports
        }
        var listed = try ports()
        #expect(listed.map { [$0.queues, $0.enabledQueues] } == [[8, 0], [2, 0]])

        var options = TestFrontEnd.Options()
        options.queuePairs = 4
        let frontEnd = try TestFrontEnd(connectingTo: d.directory.appendingPathComponent("vm1.sock").path, options: options)
        try frontEnd.negotiate()
        try frontEnd.start()
        try frontEnd.sync()
        try waitFor("four enabled pairs on vm1") { (try? ports().first?.enabledQueues) == 4 }
        listed = try ports()
        #expect(listed.map { [$0.queues, $0.enabledQueues] } == [[8, 4], [2, 0]])
        #expect(listed[0].state == "running")
        #expect(listed[0].features.contains("mq"))
        let table = Rendering.ports(listed)
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("vm1 ") && $0.contains(" 4/8 ") })
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("vm2 ") && $0.contains(" 0/2 ") })
        frontEnd.disconnect()
        #expect(try d.stop().status == 0)
    }
}
