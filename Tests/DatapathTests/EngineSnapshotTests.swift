import Datapath
import Foundation
import LinuxIO
import Logging
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Engine snapshots and the FDB façade (docs/engine-snapshots.md): what `yardctl`, metrics and
/// capture read instead of reaching into the engine.
@Suite(.serialized) struct EngineSnapshotTests {
    private static let mac1 = MACAddress(0x52, 0x54, 0x00, 0x00, 0x00, 1)
    private static let mac2 = MACAddress(0x52, 0x54, 0x00, 0x00, 0x00, 2)

    @Test func aRequestedSnapshotShowsTrafficCountersLearnedEntriesAndPortStates() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10)), ("idle", .access(vlan: 10))])
        for p in ["a", "b"] { try h.connect(p) }
        let before = try h.engine.snapshot(including: .fdbEntries).get()
        #expect(before.trigger == .request)
        #expect(before.fdbEntries?.isEmpty == true && before.port(named: "a")?.counters.receivedFrames == 0)

        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 60)
        try h.frontEnd("a").send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello])
        let reply = HarnessFrames.make(to: HarnessFrames.mac(1), from: HarnessFrames.mac(2), length: 1514)
        try h.frontEnd("b").send(frame: reply)
        #expect(try h.receive("a", expected: 1) == [reply])

        let s = try h.engine.snapshot(including: .fdbEntries).get()
        #expect(s.sequence > before.sequence && s.monotonicNanoseconds > before.monotonicNanoseconds)
        let a = try #require(s.port(named: "a"))
        let b = try #require(s.port(named: "b"))
        #expect(a.counters.receivedFrames == 1 && a.counters.flooded == 1 && a.counters.transmittedFrames == 1)
        #expect(a.counters.transmittedBytes == 1514 && b.counters.receivedBytes == 1514)
        #expect(b.counters.receivedFrames == 1 && b.counters.forwarded == 1 && b.counters.transmittedFrames == 1)
        #expect(a.fdbEntryCount == 1 && b.fdbEntryCount == 1)
        // States as values: the connected ports run, the one nobody connected to listens.
        #expect(a.state == .running && b.state == .running && a.isUp)
        #expect(s.port(named: "idle")?.state == .listening && s.port(named: "idle")?.isUp == false)
        #expect(s.port(named: "idle")?.state.description == "listening")

        let entries = try #require(s.fdbEntries)
        #expect(Set(entries.map { "\($0.vlan) \($0.mac) \($0.port)" })
            == ["10 \(Self.mac1) \(a.index)", "10 \(Self.mac2) \(b.index)"])
        #expect(entries.allSatisfy { !$0.isStatic })
        #expect(s.fdb.totalEntries == 2 && s.fdb.dynamicEntries == 2 && s.fdb.learned == 2)
        #expect(s.loop.frames >= 2 && s.loop.busyTurns >= 2)

        // The entries are copied only when asked for; statistics always.
        let light = try h.engine.snapshot().get()
        #expect(light.fdbEntries == nil && light.fdb.totalEntries == 2)
        // A request is published: it is the latest until the next one.
        #expect((h.engine.latestSnapshot()?.sequence ?? 0) >= light.sequence)
    }

    @Test func theHousekeepingTickPublishesASnapshotWithinTwoSecondsWithoutAnyRequest() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        for p in ["a", "b"] { try h.connect(p) }
        let hello = HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1), length: 60)
        try h.frontEnd("a").send(frame: hello)
        #expect(try h.receive("b", expected: 1) == [hello])
        let sent = MonotonicClock.nanoseconds()

        // Only reads of the latest from here: nothing asks the engine for one.
        func waitForPeriodic(after sequence: UInt64, seconds: Double = 2.5) -> EngineSnapshot? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let s = h.engine.latestSnapshot(), s.sequence > sequence, s.trigger == .housekeeping,
                   s.monotonicNanoseconds > sent {
                    return s
                }
                usleep(10_000)
            }
            return nil
        }
        let first = try #require(waitForPeriodic(after: 0), "no periodic snapshot within 2.5 s")
        print("first periodic snapshot \((first.monotonicNanoseconds &- sent) / 1_000_000) ms after the traffic, unasked; "
            + "it kept the engine thread \(first.buildNanoseconds / 1000) µs")
        #expect(first.port(named: "a")?.counters.receivedFrames == 1)
        #expect(first.port(named: "b")?.counters.transmittedFrames == 1)
        #expect(first.fdb.totalEntries == 1 && first.fdbEntries == nil)
        let second = try #require(waitForPeriodic(after: first.sequence), "the tick published only once")
        #expect(second.sequence > first.sequence && second.engineSeconds > first.engineSeconds)
        let gap = Double(second.monotonicNanoseconds &- first.monotonicNanoseconds) / 1e9
        // Ticks follow the engine clock's seconds; an idle engine notices a new second when its
        // epoll sleep (at most 1 s) ends, so two ticks can be closer than a second but never 2 s apart.
        #expect(gap < 2.5, "a tick about every second, got \(gap) s")
    }

    @Test func theLatestSnapshotIsReadWithoutWaitingForABusyEngineThread() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10))])
        let published = try h.engine.snapshot().get()
        let started = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let engine = h.engine
        let blocker = Thread { _ = engine.perform { _ in started.signal(); usleep(600_000) } }
        blocker.start()
        started.wait()
        // The engine thread is held for 600 ms from here.
        let t0 = MonotonicClock.nanoseconds()
        let latest = h.engine.latestSnapshot()
        let read = MonotonicClock.nanoseconds() &- t0
        #expect((latest?.sequence ?? 0) >= published.sequence && latest?.port(named: "a") != nil)
        #expect(read < 50_000_000, "read the board in \(read / 1000) µs")
        // Control: a fresh snapshot has to wait for the engine thread.
        let t1 = MonotonicClock.nanoseconds()
        let fresh = try h.engine.snapshot().get()
        let waited = MonotonicClock.nanoseconds() &- t1
        #expect(fresh.sequence > published.sequence && waited > 200_000_000, "waited \(waited / 1_000_000) ms")
    }

    private func refusal<T>(_ result: Result<T, FDBChangeError>) -> FDBChangeError? {
        if case .failure(let e) = result { return e }
        return nil
    }

    @Test func fdbFacadeChangesShowInTheNextSnapshot() throws {
        let h = try SwitchHarness(ports: [("a", .access(vlan: 10)), ("b", .access(vlan: 10))])
        try h.connect("a")
        try h.frontEnd("a").send(frame: HarnessFrames.make(to: HarnessFrames.broadcast, from: HarnessFrames.mac(1)))
        let deadline = Date().addingTimeInterval(2)
        while try h.engine.snapshot().get().fdb.dynamicEntries < 1 && Date() < deadline { usleep(5_000) }

        let pinned = try #require(MACAddress("52:54:00:aa:bb:01"))
        try h.engine.addStaticFDBEntry(vlan: 10, mac: pinned, port: "b").get()
        var s = try h.engine.snapshot(including: .fdbEntries).get()
        let b = try #require(s.port(named: "b")?.index)
        #expect(s.fdbEntries?.contains(FDBEntry(vlan: 10, mac: pinned, port: b, age: .static)) == true)
        #expect(s.fdb.staticEntries == 1 && s.fdb.dynamicEntries == 1)

        #expect(refusal(h.engine.addStaticFDBEntry(vlan: 10, mac: pinned, port: "nope")) == .noSuchPort("nope"))
        #expect(refusal(h.engine.addStaticFDBEntry(vlan: 10, mac: .broadcast, port: "b")) == .refused(.multicastAddress(.broadcast)))
        #expect(refusal(h.engine.addStaticFDBEntry(vlan: 5000, mac: pinned, port: "b")) == .refused(.invalidVLAN(5000)))
        // b is access 10: a static entry in VLAN 20 would never be used (the add above is the control).
        let outside = refusal(h.engine.addStaticFDBEntry(vlan: 20, mac: pinned, port: "b"))
        #expect(outside == .notAMember(port: "b", vlan: 20, mode: .access(vlan: 10)))
        #expect(outside?.description == "port b does not carry VLAN 20 (it is access 10): a static entry there would never be used")
        #expect(FDBChangeError.refused(.multicastAddress(.broadcast)).description.hasPrefix("ff:ff:ff:ff:ff:ff is the broadcast address"))
        #expect(h.engine.flushFDB(.portInVLAN(port: "a", vlan: 20)) == .success(0), "a's learned entry is in VLAN 10")
        #expect(h.engine.flushFDB(.portInVLAN(port: "nope", vlan: 10)) == .failure(.noSuchPort("nope")))

        // Flushes take learned entries only; deleting takes the static one.
        #expect(h.engine.flushFDB(.vlan(20)) == .success(0))
        #expect(h.engine.flushFDB(.port("nope")) == .failure(.noSuchPort("nope")))
        #expect(h.engine.flushFDB(.port("a")) == .success(1))
        s = try h.engine.snapshot(including: .fdbEntries).get()
        #expect(s.fdbEntries?.map(\.mac) == [pinned])
        #expect(refusal(h.engine.removeFDBEntry(vlan: 10, mac: pinned)) == nil)
        #expect(refusal(h.engine.removeFDBEntry(vlan: 10, mac: pinned)) == .noSuchEntry(vlan: 10, mac: pinned))
        #expect(try h.engine.snapshot(including: .fdbEntries).get().fdbEntries?.isEmpty == true)
        #expect(refusal(h.engine.setFDBAgingTime(seconds: 42)) == nil)
        #expect(try h.engine.snapshot().get().fdbAgingSeconds == 42)
    }

    /// With 50 000 entries, what `fdb show` costs the forwarding thread: before, it listed, sorted,
    /// filtered, sorted again and formatted every entry there (`Daemon.fdbTable` inside `perform`,
    /// replayed below); now it only copies the slots into a snapshot.
    @Test func withFiftyThousandEntriesFDBShowOnlyCopiesOnTheEngineThread() throws {
        let directory = NSTemporaryDirectory() + "snapshots-fdb-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let engine = try Engine(configuration: EngineConfiguration(fdbCapacity: 65_536), logger: logger)
        try engine.start()
        defer { engine.stop() }
        for name in ["a", "b"] {
            let spec = PortSpecification(name: name, kind: .vhostUser(socketPath: "\(directory)/\(name).sock", mode: .server, queuePairs: 1),
                                         vlan: .trunk(allowed: VLANSet([10, 20]), native: nil), macLimit: nil, mtu: 1500)
            try engine.perform { $0.addPort(spec) }.get().get()
        }
        let count = 50_000
        try engine.perform { e in
            let now = e.nowSeconds
            for i in 0..<count {
                _ = e.bridge.fdb.learn(vlan: i % 2 == 0 ? 10 : 20, mac: MACAddress(rawValue: 0x5254_0000_0000 | UInt64(i) &* 7919),
                                     port: UInt16(i % 2), now: now)
            }
        }.get()

        struct Row { var port: String; var vlan: UInt16; var mac: String; var age: UInt32?; var isStatic: Bool }
        var before = UInt64.max
        var after = UInt64.max
        var rows = 0
        for _ in 0..<3 {
            let (ns, n) = try engine.perform { e -> (UInt64, Int) in
                let start = MonotonicClock.nanoseconds()
                let names = Dictionary(e.portRuntime().map { ($0.index, $0.spec.name) }, uniquingKeysWith: { a, _ in a })
                let portFilter: UInt16? = nil
                let table = e.bridge.fdb.entries(now: e.nowSeconds)
                    .filter { x in portFilter == nil || x.port == portFilter }
                    .sorted { ($0.vlan, $0.mac) < ($1.vlan, $1.mac) }
                    .map { x -> Row in
                        var age: UInt32?
                        if case .dynamic(let s) = x.age { age = s }
                        return Row(port: names[x.port] ?? "#\(x.port)", vlan: x.vlan, mac: x.mac.description,
                                   age: age, isStatic: x.isStatic)
                    }
                return (MonotonicClock.nanoseconds() &- start, table.count)
            }.get()
            before = min(before, ns)
            rows = n
            let s = try engine.snapshot(including: .fdbEntries).get()
            #expect(s.fdbEntries?.count == count)
            after = min(after, s.buildNanoseconds)
        }
        #expect(rows == count)
        print("fdb show, engine thread busy with \(count) entries: before \(before / 1000) µs, after \(after / 1000) µs")
        #expect(after * 2 < before, "copy \(after) ns vs list+sort+format \(before) ns")
    }
}
