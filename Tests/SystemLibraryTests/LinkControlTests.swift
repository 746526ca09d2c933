import Foundation
import LinkControl
import LinuxIO
import Testing
import TestSupport

@Suite struct LinkListingTests {
    @Test func listContainsLoopbackAtIndexOne() throws {
        let links = try NetlinkLinks().list()
        let lo = try #require(links.first { $0.name == "lo" })
        #expect(lo.index == 1)
        #expect(lo.flags.contains(.loopback))
        #expect(lo.isUp)
        #expect(lo.mac == [0, 0, 0, 0, 0, 0])
        #expect(links.map(\.index) == links.map(\.index).sorted())
    }

    @Test func looksUpALinkByNameAndReadsItsMTU() throws {
        let links = try NetlinkLinks()
        let lo = try #require(try links.link(named: "lo"))
        #expect(lo.index == 1)
        #expect(try links.mtu(of: "lo") == lo.mtu)
        #expect(lo.mtu >= 1500)
    }

    @Test func unknownLinkIsNilForLookupAndAnErrorForMTU() throws {
        let links = try NetlinkLinks()
        #expect(try links.link(named: "sy-nosuchlink") == nil)
        do {
            _ = try links.mtu(of: "sy-nosuchlink")
            Issue.record("mtu of a missing link returned a value")
        } catch {
            #expect(error.isNoSuchLink, "\(error)")
        }
    }
}

/// These tests create and delete veth interfaces in the host's network namespace (root needed).
@Suite(.serialized) struct LinkMutationTests {
    @Test func setsLinkUpAndPromiscuousOnRealVeth() throws {
        let veth = try VethPair(tag: "p")
        let links = try NetlinkLinks()
        let before = try #require(try links.link(named: veth.name))
        #expect(!before.isUp)
        #expect(!before.isPromiscuous)
        #expect(before.mac.count == 6)
        #expect(try veth.show().contains("link/ether \(before.macString)"))
        #expect(try links.list().contains { $0.name == veth.name && $0.index == before.index })

        try links.setUp(veth.name)
        try links.setPromiscuous(veth.name, true)
        let flags = try veth.ipFlags()
        #expect(flags.contains("UP"), "\(flags)")
        #expect(flags.contains("PROMISC"), "\(flags)")
        #expect(try veth.show().contains("promiscuity 1"))
        let after = try #require(try links.link(named: veth.name))
        #expect(after.isUp && after.isPromiscuous)
        #expect(links.modifiedLinks == [veth.name])

        // Restoring returns exactly the state found: down and not promiscuous.
        try links.restore(veth.name)
        let restored = try veth.ipFlags()
        #expect(!restored.contains("UP"), "\(restored)")
        #expect(!restored.contains("PROMISC"), "\(restored)")
        #expect(links.modifiedLinks.isEmpty)
    }

    @Test func restoreKeepsFlagsThatWereAlreadySetOnRealVeth() throws {
        let veth = try VethPair(tag: "r")
        #expect(try run("ip", ["link", "set", veth.name, "up", "promisc", "on"]).status == 0)
        let links = try NetlinkLinks()
        try links.setPromiscuous(veth.name, false)
        #expect(!(try veth.ipFlags()).contains("PROMISC"))
        try links.setUp(veth.name, false)
        try links.setPromiscuous(veth.name, true)
        try links.restoreAll()
        let flags = try veth.ipFlags()
        #expect(flags.contains("UP") && flags.contains("PROMISC"), "\(flags)")
    }

    @Test func reportsCarrierAndUpDownEventsOnRealVeth() throws {
        let monitor = try LinkEventMonitor()
        let epoll = try Epoll()
        try epoll.add(monitor.fileDescriptor, token: 42)
        let veth = try VethPair(tag: "e")
        let links = try NetlinkLinks()
        let index = try #require(try links.link(named: veth.name)).index

        // Carrier on a veth end needs both ends up.
        try links.setUp(veth.name)
        try links.setUp(veth.peer)
        let up = try waitForEvent(monitor, epoll) { $0.index == index && $0.isUp && $0.hasCarrier }
        #expect(up.name == veth.name)
        #expect(up.kind == .changed)

        try links.setUp(veth.peer, false)
        let lost = try waitForEvent(monitor, epoll) { $0.index == index && $0.isUp && !$0.hasCarrier }
        #expect(!lost.isRunning)

        try links.setUp(veth.name, false)
        _ = try waitForEvent(monitor, epoll) { $0.index == index && !$0.isUp }

        #expect(try run("ip", ["link", "del", veth.name]).status == 0)
        _ = try waitForEvent(monitor, epoll) { $0.index == index && $0.kind == .removed }
        #expect(!monitor.needsResync)
    }

    /// Waits (through the Epoll, as the daemon will) for the first event matching `match`.
    private func waitForEvent(_ monitor: LinkEventMonitor, _ epoll: Epoll,
                              _ match: (LinkEvent) -> Bool) throws -> LinkEvent {
        let deadline = MonotonicClock.nanoseconds() + 3_000_000_000
        var seen: [LinkEvent] = []
        while MonotonicClock.nanoseconds() < deadline {
            for ready in epoll.wait(timeoutMilliseconds: 100) where ready.token == 42 {
                let events = monitor.drainEvents()
                seen += events
                if let hit = events.first(where: match) { return hit }
            }
        }
        throw VethError("no matching link event within 3 s; saw: \(seen)")
    }
}
