import Foundation
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

/// The queue-pair limit as front-ends meet it (docs/vhost-user-protocol.md#queue-pairs): QEMU asks
/// GET_QUEUE_NUM and gives up on its own when it wants more; DPDK virtio-user does not ask, and its
/// rings past the limit are refused; rings of pairs nobody enables never start.
extension VhostUserTests {
@Suite struct QueueLimit {
    /// A device allowing `pairs` queue pairs, logging into `log`, on an engine stand-in.
    final class Port {
        let engine: TestEngine
        let delegate = RecordingDelegate()
        let device: VhostUserDevice
        let endpoint: VhostUserEndpoint
        let log = LogCapture()

        init(pairs: Int) throws {
            engine = try TestEngine()
            device = VhostUserDevice(name: "mq", configuration: .init(queuePairs: pairs), delegate: delegate,
                                     logger: log.logger)
            endpoint = engine.add(.standalone, device: device)
        }

        /// A new front-end on a new connection, as after a reconnect.
        func connect(pairs: Int, layout: GuestRAM.Layout = .qemu) throws -> TestFrontEnd {
            var options = TestFrontEnd.Options()
            options.queuePairs = pairs
            options.layout = layout
            let (ours, theirs) = try UnixSocket.pair()
            endpoint.adopt(ours)
            let engine = self.engine
            return try TestFrontEnd(socket: theirs, options: options, pump: { engine.pump() })
        }

        /// Lets the device see a front-end's close.
        func settle() { engine.pump(times: 5) }
    }

    @Test func multiqueueIsOfferedOnlyWhenMoreThanOnePairIsAllowed() throws {
        let multiqueueBit: UInt64 = 1 << 22
        let one = try Port(pairs: 1)
        let single = try one.connect(pairs: 1)
        #expect(try single.getU64(.getFeatures) & multiqueueBit == 0)
        let eight = try Port(pairs: 8)
        let multi = try eight.connect(pairs: 1)
        #expect(try multi.getU64(.getFeatures) & multiqueueBit != 0)
        try multi.negotiate()
        #expect(try multi.getU64(.getQueueNum) == 8)
    }

    @Test func aFrontEndAskingForFourOfEightPairsRunsFourAndTheOtherRingsNeverStart() throws {
        let port = try Port(pairs: 8)
        let frontEnd = try port.connect(pairs: 4)
        try frontEnd.negotiate()
        try frontEnd.start()
        #expect(port.delegate.runningRings == Array(0..<8))
        #expect(port.device.ringCount == 16)
        for ring in 8..<16 { #expect(port.device.ringStatus(ring)?.started == false) }
        #expect(port.log.warnings.isEmpty)
    }

    @Test func aQEMULikeFrontEndWantingMoreThanTheLimitGivesUpAndTheLogSaysWhyOnce() throws {
        let port = try Port(pairs: 2)
        for _ in 0..<3 {  // QEMU reconnects every second and gives up again each time
            let greedy = try port.connect(pairs: 4)
            #expect(throws: TestFrontEndError.badReply("GET_QUEUE_NUM 2 < 4")) { try greedy.negotiate() }
            greedy.disconnect()
            port.settle()
        }
        #expect(port.delegate.runningRings.isEmpty)
        let explained = port.log.warnings.filter { $0.contains("left after GET_QUEUE_NUM") }
        #expect(explained.count == 1)
        #expect(explained.first?.contains("answered 2 queue pairs") == true)
        #expect(explained.first?.contains("queues= is above 2") == true)
        #expect(explained.first?.contains("`queues:`") == true)

        // Positive control: one asking for the limit gets every ring running, and its leaving is
        // no reason for a warning.
        let fitting = try port.connect(pairs: 2)
        try fitting.negotiate()
        try fitting.start()
        #expect(port.delegate.runningRings == [0, 1, 2, 3])
        fitting.disconnect()
        port.settle()
        #expect(port.delegate.runningRings.isEmpty)
        #expect(port.log.warnings.filter { $0.contains("left after GET_QUEUE_NUM") }.count == 1)

        // After a connection that started rings, the next early leave is explained again.
        let greedyAgain = try port.connect(pairs: 3)
        #expect(throws: TestFrontEndError.badReply("GET_QUEUE_NUM 2 < 3")) { try greedyAgain.negotiate() }
        greedyAgain.disconnect()
        port.settle()
        #expect(port.log.warnings.filter { $0.contains("left after GET_QUEUE_NUM") }.count == 2)
    }

    @Test func aConnectionTheSwitchClosesItselfNeedsNoExplaining() throws {
        let port = try Port(pairs: 2)
        let greedy = try port.connect(pairs: 4)
        #expect(throws: TestFrontEndError.badReply("GET_QUEUE_NUM 2 < 4")) { try greedy.negotiate() }
        port.endpoint.stop()  // the port is removed or the daemon stops before the front-end leaves
        #expect(!port.endpoint.isConnected)
        #expect(port.log.warnings.isEmpty)
        // Positive control: the same front-end leaving on its own is explained.
        let again = try port.connect(pairs: 4)
        #expect(throws: TestFrontEndError.badReply("GET_QUEUE_NUM 2 < 4")) { try again.negotiate() }
        again.disconnect()
        port.settle()
        #expect(port.log.warnings.filter { $0.contains("left after GET_QUEUE_NUM answered 2") }.count == 1)
    }

    @Test func ringsPastTheLimitAreRefusedAndTheLogNamesTheLimit() throws {
        let port = try Port(pairs: 2)
        // DPDK virtio-user does not ask GET_QUEUE_NUM: it sends SET_VRING_CALL for all six rings
        // without asking for an ack, so the connection closes at ring 4.
        let dpdk = try port.connect(pairs: 3, layout: .identity)
        #expect(throws: (any Error).self) { try dpdk.dpdkBoot() }
        port.settle()
        #expect(!port.endpoint.isConnected)
        #expect(port.delegate.runningRings.isEmpty)
        #expect(port.log.warnings.contains {
            $0.contains("setVringCall: ring 4") && $0.contains("ring 4 is beyond this port's limit of 2 queue pairs (rings 0...3)")
        })

        // With an ack asked for, the same refusal is a nack and the connection stays.
        let asking = try port.connect(pairs: 2)
        try asking.negotiate()
        try asking.start()
        #expect(throws: TestFrontEndError.nack(18)) {
            try asking.request(.setVringEnable, FrontEndWire.vringState(5, 1), ack: true)
        }
        #expect(port.endpoint.isConnected)
        #expect(port.log.warnings.contains { $0.contains("refused setVringEnable: ring 5 is beyond") })

        // Positive control: DPDK with as many pairs as the limit boots; it enables pair 0 itself.
        let fitting = try port.connect(pairs: 2, layout: .identity)
        try fitting.dpdkBoot()
        #expect(port.delegate.runningRings == [0, 1])
    }
}
}
