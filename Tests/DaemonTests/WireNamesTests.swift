import ControlProtocol
import Foundation
import Testing

/// ControlProtocol's `TrafficCounters` and `FDBSummary` were called `PortCounters` and
/// `FDBStatistics`, like SwitchCore's raw types. Renaming them must not change the wire: a reply
/// of a daemon from before still decodes, and what is sent now has exactly the old keys.
@Suite struct WireNamesTests {
    @Test func aStatsReplyFromBeforeTheRenameDecodesAndReencodesWithTheSameKeys() throws {
        let old = """
        {"stats":{"_0":{"datapath":{"backloggedBursts":3,"burstLimit":32,"bursts":9,"busyTurns":4,"frames":70,\
        "sleeps":1,"spinWindowNanoseconds":500,"turns":100},"fdb":{"agingSeconds":300,"capacity":8192,"evicted":0,\
        "expired":1,"learned":2,"learnedEvents":5,"moves":1,"staticCount":1,"total":3},"ports":2,\
        "totals":{"drops":{"rx-ring-full":4},"rxBytes":640,"rxFrames":10,"txBytes":1280,"txFrames":20},"uptimeSeconds":67}}}
        """
        let reply = try ControlCodec.decode(ControlResponse.self, from: Array(old.utf8))
        guard case .stats(let s) = reply else { throw DaemonTestError("not a stats reply: \(reply)") }
        #expect(s.totals == TrafficCounters(rxFrames: 10, rxBytes: 640, txFrames: 20, txBytes: 1280, drops: ["rx-ring-full": 4]))
        #expect(s.fdb.total == 3 && s.fdb.learnedEvents == 5 && s.fdb.staticCount == 1)
        let again = try ControlCodec.encodeLine(reply)
        #expect(String(decoding: again.dropLast(), as: UTF8.self) == old, "byte for byte what the old daemon sent")
    }

    @Test func aPortsReplyCarriesTrafficCountersUnderTheOldKeys() throws {
        let port = PortStatus(name: "t0", type: "tap", state: "up", vlanMode: "access 10", endpoint: "t0",
                              macCount: 0, queues: 0, mtu: 1500,
                              counters: TrafficCounters(rxFrames: 1, rxBytes: 2, txFrames: 3, txBytes: 4))
        let object = try JSONSerialization.jsonObject(with: Data(ControlCodec.encodeLine(ControlResponse.ports([port]))))
        let ports = (object as? [String: Any])?["ports"] as? [String: Any]
        let first = (ports?["_0"] as? [[String: Any]])?.first
        let counters = try #require(first?["counters"] as? [String: Any])
        #expect(Set(counters.keys) == ["drops", "rxBytes", "rxFrames", "txBytes", "txFrames"])
        #expect(first?["type"] as? String == "tap" && first?["state"] as? String == "up")
    }
}
