import SwitchConfig
import Testing

/// `queues:` is the most queue pairs a vhost-user port lets its front-end use, 8 when absent
/// (docs/vhost-user-protocol.md#queue-pairs).
@Suite struct QueueLimitConfigTests {
    private func queues(_ yaml: String) throws -> [Int] {
        try parseValid(yaml).ports.compactMap {
            if case .vhostUser(_, _, let queues) = $0.kind { return queues }
            return nil
        }
    }

    @Test func aPortWithoutQueuesAllowsEightPairsAndOneWithTheKeyAllowsWhatItSays() throws {
        #expect(PortConfiguration.defaultQueues == 8)
        #expect(try queues("""
            ports:
              - {name: a, type: vhost-user, socket: a.sock}
              - {name: b, type: vhost-user, socket: b.sock, queues: ~}
              - {name: c, type: vhost-user, socket: c.sock, queues: 1}
              - {name: d, type: vhost-user, socket: d.sock, queues: 2}
              - {name: e, type: vhost-user, socket: e.sock, queues: 16}
            """) == [8, 8, 1, 2, 16])
    }

    @Test func aLimitOutsideOneToSixteenNamesTheFileLineAndColumn() throws {
        let high = try singleDiagnostic("ports:\n  - {name: a, type: vhost-user, socket: a.sock, queues: 17}\n")
        #expect(high.description == "test.yaml:2:57: ports[0].queues: queue count 17 is out of range 1...16")
        let zero = try singleDiagnostic("ports:\n  - {name: a, type: vhost-user, socket: a.sock, queues: 0}\n")
        #expect(zero.description == "test.yaml:2:57: ports[0].queues: queue count 0 is out of range 1...16")
        let word = try singleDiagnostic("ports:\n  - {name: a, type: vhost-user, socket: a.sock, queues: many}\n")
        #expect(word.keyPath == "ports[0].queues" && word.line == 2 && word.column == 57)
    }

    @Test func theLimitIsPartOfThePortSoChangingItIsAChange() throws {
        let old = try parseValid("ports: [{name: a, type: vhost-user, socket: a.sock}]")
        let same = try parseValid("ports: [{name: a, type: vhost-user, socket: a.sock, queues: 8}]")
        let raised = try parseValid("ports: [{name: a, type: vhost-user, socket: a.sock, queues: 16}]")
        // Writing the default out changes nothing; another limit is another port configuration.
        #expect(old.ports == same.ports)
        #expect(old.ports != raised.ports)
    }
}
