import CSwitchyard
import Foundation
import LinkControl
import Testing
import Uplink

/// The uplink's control side on real interfaces: state follows the link, a missing interface is
/// a port state, and flags are put back on close.
@Suite(.serialized) struct UplinkLinkTests {
    /// Handles link events until `state` is reached or `timeout` passes; returns the last state.
    private func waitForState(_ link: UplinkLink, _ wanted: UplinkState, timeout: Double = 3.0) -> UplinkState {
        let deadline = Date().addingTimeInterval(timeout)
        while link.state != wanted && Date() < deadline {
            var p = pollfd(fd: link.eventFileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) > 0 { link.handleEvents() }
        }
        return link.state
    }

    @Test func stateFollowsCarrierDownAndUpAndTrafficResumes() throws {
        let veth = try NamespacedVeth(tag: "cr")
        let link = try UplinkLink(interface: veth.hostSide)
        #expect(link.state == .up, "\(link.reason ?? "")")
        let socket = try #require(link.socket)

        try veth.inNamespace(["ip", "link", "set", veth.farSide, "down"])
        #expect(waitForState(link, .linkDown) == .linkDown)
        #expect(link.reason?.contains("carrier") == true, "\(link.reason ?? "nil")")

        try veth.inNamespace(["ip", "link", "set", veth.farSide, "up"])
        #expect(waitForState(link, .up) == .up)
        // Same interface, same socket: nothing to re-register, and frames flow again.
        #expect(link.socket === socket)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let frame = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0x51)
        try peer.send(frame)
        #expect(socket.collect(count: 1) { $0 == frame }.count == 1)
        let out = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0x52)
        #expect(socket.send(out) == .queued)
        #expect(socket.flush())
        #expect(peer.receive(count: 1).contains(out))
    }

    @Test func administrativelyDownIsLinkDownAndSocketRecovers() throws {
        let veth = try NamespacedVeth(tag: "ad")
        let link = try UplinkLink(interface: veth.hostSide)
        #expect(link.state == .up)
        let socket = try #require(link.socket)
        try must("ip", ["link", "set", veth.hostSide, "down"])
        #expect(waitForState(link, .linkDown) == .linkDown)
        #expect(link.reason?.contains("administratively down") == true, "\(link.reason ?? "nil")")
        // Frames offered while down are dropped at flush and counted, not kept.
        let lost = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0x50)
        #expect(socket.send(lost) == .queued)
        #expect(!socket.flush())
        #expect(socket.counters.transmitDropped == 1)
        #expect(socket.pendingTransmits == 0)
        try must("ip", ["link", "set", veth.hostSide, "up"])
        #expect(waitForState(link, .up) == .up)
        // The ENETDOWN the kernel left on the socket was cleared when the link came back.
        #expect(socket.clearPendingError() == nil)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let frame = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0x53)
        try peer.send(frame)
        #expect(socket.collect(count: 1) { $0 == frame }.count == 1)
    }

    @Test func missingInterfaceIsAPortStateAndComesUpWhenCreated() throws {
        let veth = try NamespacedVeth(tag: "mi", createHostSide: false)
        let link = try UplinkLink(interface: veth.hostSide)
        #expect(link.state == .noSuchInterface)
        #expect(link.socket == nil)
        #expect(link.reason == "interface \(veth.hostSide) does not exist")

        try veth.createPair()
        #expect(waitForState(link, .up) == .up, "\(link.reason ?? "")")
        let first = try #require(link.socket)

        try veth.deletePair()
        #expect(waitForState(link, .noSuchInterface) == .noSuchInterface)
        #expect(link.socket == nil)

        try veth.createPair()
        #expect(waitForState(link, .up) == .up, "\(link.reason ?? "")")
        let second = try #require(link.socket)
        #expect(second !== first)
        let index = try #require(try NetlinkLinks().link(named: veth.hostSide)).index
        #expect(second.interfaceIndex == index)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let frame = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0x54)
        try peer.send(frame)
        #expect(second.collect(count: 1) { $0 == frame }.count == 1)
    }

    @Test func mtuChangeOnTheInterfaceMovesTheTransmitLimit() throws {
        let veth = try NamespacedVeth(tag: "mu")
        let link = try UplinkLink(interface: veth.hostSide)
        let socket = try #require(link.socket)
        #expect(link.mtu == 1500 && socket.mtu == 1500)
        try must("ip", ["link", "set", veth.hostSide, "mtu", "1400"])
        let deadline = Date().addingTimeInterval(3)
        while link.mtu != 1400 && Date() < deadline {
            var p = pollfd(fd: link.eventFileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) > 0 { link.handleEvents() }
        }
        #expect(link.mtu == 1400)
        #expect(socket.mtu == 1400)
        let full = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0x55, length: 1514)
        #expect(socket.send(full) == .mtuExceeded)
        let fits = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0x56, length: 1414)
        #expect(socket.send(fits) == .queued)
        #expect(socket.flush())
    }

    @Test func refreshReportsWhatChanged() throws {
        let veth = try NamespacedVeth(tag: "rf", createHostSide: false)
        let link = try UplinkLink(interface: veth.hostSide)
        #expect(link.refresh().isEmpty)
        try veth.createPair()
        let changes = link.refresh()
        #expect(changes.contains(.state) && changes.contains(.socket))
        #expect(link.state == .up)
        #expect(link.refresh().isEmpty)
    }

    @Test func closeRestoresPromiscuousAndAdministrativeState() throws {
        let veth = try NamespacedVeth(tag: "cl")
        let links = try NetlinkLinks()
        let before = try #require(try links.link(named: veth.hostSide))
        #expect(!before.isUp && !before.isPromiscuous)
        let link = try UplinkLink(interface: veth.hostSide)
        let during = try #require(try links.link(named: veth.hostSide))
        #expect(during.isUp && during.isPromiscuous)
        #expect(link.mtu == Int(during.mtu))
        link.close()
        #expect(link.socket == nil)
        let after = try #require(try links.link(named: veth.hostSide))
        #expect(!after.isUp && !after.isPromiscuous)
    }

    @Test func invalidInterfaceNameIsAClearError() {
        #expect(throws: UplinkError.self) { try UplinkLink(interface: "a-name-far-too-long-for-linux") }
    }
}
