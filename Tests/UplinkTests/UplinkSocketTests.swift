import CSwitchyard
import Foundation
import LinkControl
import LinuxIO
import Testing
import Uplink
import GuestMemory
import Virtio

/// The uplink socket against real kernel objects: a veth pair whose far end sits in a network
/// namespace playing the outside host (root needed; each test makes and deletes its own).
@Suite(.serialized) struct UplinkSocketTests {
    /// Opens an uplink on the host side of a fresh pair, as UplinkLink would.
    private func openUplink(_ veth: NamespacedVeth) throws -> (UplinkLink, UplinkSocket) {
        let link = try UplinkLink(interface: veth.hostSide)
        #expect(link.state == .up, "\(link.state) \(link.reason ?? "")")
        let socket = try #require(link.socket)
        return (link, socket)
    }

    @Test func framesSentByTheOutsideHostArriveByteExact() throws {
        let veth = try NamespacedVeth(tag: "rx")
        let (link, uplink) = try openUplink(veth)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let small = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0xa1)
        let large = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0xa2, length: 1514)
        try peer.send(small)
        try peer.send(large)
        let got = uplink.collect(count: 2) { Array($0[6..<12]) == UplinkFrames.outside }
        #expect(got.map(\.bytes) == [small, large])
        #expect(got.allSatisfy { !$0.tagRestored && $0.segmentCount == 1 })
        #expect(uplink.counters.receivedFrames >= 2)
        withExtendedLifetime(link) {}
    }

    /// veth hands a tagged frame to our side's receive path, which moves the tag into the skb's
    /// metadata before packet sockets see it (skb_vlan_untag), exactly as a NIC with RX VLAN
    /// offload does: the ring's VLAN fields are the only place the tag survives.
    @Test func tagStrippedByTheKernelIsRestoredOnReceive() throws {
        let veth = try NamespacedVeth(tag: "vr")
        let (link, uplink) = try openUplink(veth)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let inner = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.broadcast, marker: 0xb1, length: 200)
        let dot1q = UplinkFrames.tagged(inner, vid: 10, pcp: 3)
        var dot1ad = UplinkFrames.tagged(inner, vid: 300)
        dot1ad[12] = 0x88
        dot1ad[13] = 0xa8
        try peer.send(dot1q)
        try peer.send(dot1ad)
        let got = uplink.collect(count: 2) { Array($0[6..<12]) == UplinkFrames.outside }
        #expect(got.map(\.bytes) == [dot1q, dot1ad])
        // The whole tagged Ethernet header is in the first segment, for the header parser.
        #expect(got.allSatisfy { $0.tagRestored && $0.segmentCount == 2 && $0.firstSegmentLength == 18 })
        #expect(uplink.counters.tagsRestored >= 2)
        withExtendedLifetime(link) {}
    }

    @Test func transmittedFramesArriveUntaggedAndTaggedInTheNamespace() throws {
        let veth = try NamespacedVeth(tag: "tx")
        let (link, uplink) = try openUplink(veth)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let untagged = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xc1, length: 300)
        let inner = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xc2, length: 400)
        let tagged = UplinkFrames.tagged(inner, vid: 20, pcp: 5)
        #expect(uplink.send(untagged) == .queued)
        #expect(uplink.send(tagged) == .queued)
        #expect(uplink.pendingTransmits == 2)
        #expect(uplink.flush())
        #expect(uplink.pendingTransmits == 0)
        // The peer rebuilds what was on the wire from the data and PACKET_AUXDATA.
        #expect(peer.receive(count: 2) == [untagged, tagged])
        #expect(uplink.counters.transmittedFrames == 2)
        withExtendedLifetime(link) {}
    }

    /// A prefix (MACs + a new tag, as the engine writes when it re-tags) ahead of the rest of a
    /// guest frame whose own virtio-net header and MACs are skipped.
    @Test func transmitJoinsPrefixAndSegmentsAfterSkipping() throws {
        let veth = try NamespacedVeth(tag: "px")
        let (link, uplink) = try openUplink(veth)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let frame = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xc3, length: 120)
        let guestBuffer = [UInt8](repeating: 0, count: 12) + frame
        let tagged = UplinkFrames.tagged(frame, vid: 7)
        let prefix = Array(tagged[0..<16])
        var result = UplinkTransmitResult.rejected
        guestBuffer.withUnsafeBytes { raw in
            guard let start = raw.baseAddress else { return }
            let base = UnsafeMutableRawPointer(mutating: start)
            let segments = [GuestSegment(base: base, length: 30), GuestSegment(base: base + 30, length: raw.count - 30)]
            segments.withUnsafeBufferPointer { list in
                prefix.withUnsafeBytes { p in
                    result = uplink.transmit(prefix: p, segments: list, skipping: 12 + 12, vnetHeader: VirtioNetHeader())
                }
            }
        }
        #expect(result == .queued)
        #expect(uplink.flush())
        #expect(peer.receive(count: 1) == [tagged])
        withExtendedLifetime(link) {}
    }

    @Test func ownTransmittedFramesAreNeverReadBack() throws {
        let veth = try NamespacedVeth(tag: "lo")
        let (link, uplink) = try openUplink(veth)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let mine = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xd1)
        for _ in 0..<16 { #expect(uplink.send(mine) == .queued) }
        #expect(uplink.flush())
        #expect(peer.receive(count: 16).filter { $0 == mine }.count == 16)
        // A frame from outside after ours proves the ring delivered everything before it.
        let theirs = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0xd2)
        try peer.send(theirs)
        let got = uplink.collect(count: 1) { $0 == theirs }
        #expect(got.count == 1)
        let echoes = uplink.collect(count: 1, timeout: 0.1) { $0 == mine }
        #expect(echoes.isEmpty)
        #expect(uplink.counters.outgoingIgnored == 0, "PACKET_IGNORE_OUTGOING should keep them out of the ring")
        withExtendedLifetime(link) {}
    }

    @Test func framesLongerThanTheMTURefusedAndCounted() throws {
        let veth = try NamespacedVeth(tag: "mt")
        let (link, uplink) = try openUplink(veth)
        #expect(uplink.mtu == 1500)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let fits = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xe1, length: 1514)
        let tooLong = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xe2, length: 1515)
        let taggedFits = UplinkFrames.tagged(fits, vid: 5)
        let taggedTooLong = UplinkFrames.tagged(tooLong, vid: 5)
        #expect(uplink.send(tooLong) == .mtuExceeded)
        #expect(uplink.send(taggedTooLong) == .mtuExceeded)
        let jumbo = UplinkFrames.udp(from: UplinkFrames.guest, to: UplinkFrames.broadcast, marker: 0xe3, length: 9000)
        #expect(uplink.send(jumbo) == .mtuExceeded)
        #expect(uplink.send(fits) == .queued)
        #expect(uplink.send(taggedFits) == .queued)
        #expect(uplink.flush())
        #expect(uplink.counters.mtuExceeded == 3)
        let arrived = peer.receive(count: 2).filter { $0.count >= 1514 }
        #expect(arrived == [fits, taggedFits])
        withExtendedLifetime(link) {}
    }

    @Test func gsoFrameLeavesAsMSSSizedSegmentsCutByTheKernel() throws {
        let veth = try NamespacedVeth(tag: "gs")
        let (link, uplink) = try openUplink(veth)
        // No TSO and no checksum offload on the host side: the kernel segments and checksums in
        // software, so the namespace sees exactly what a NIC would put on the wire.
        try must("ethtool", ["-K", veth.hostSide, "tso", "off", "tx", "off"])
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let payload = 10_000
        let superFrame = UplinkFrames.tcpSuperFrame(from: UplinkFrames.guest, to: UplinkFrames.outside, payload: payload)
        let header = VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: VirtioNetHeader.gsoTCPv4,
                                     headerLength: 54, gsoSize: 1448, checksumStart: 34, checksumOffset: 16)
        #expect(uplink.send(superFrame, vnetHeader: header) == .queued)
        #expect(uplink.counters.largeFrames == 1)
        let segments = peer.receive(count: 7).filter { $0.count > 34 && $0[23] == 6 }
        #expect(segments.count == 7, "segments of \(segments.map(\.count))")
        #expect(segments.map { $0.count - 54 } == [1448, 1448, 1448, 1448, 1448, 1448, 1312])
        #expect(segments.allSatisfy { UplinkFrames.tcpChecksumIsValid($0) })
        var body: [UInt8] = []
        for s in segments { body += s[54...] }
        #expect(body == Array(superFrame[54...]))

        // The same super-frame on a trunk VLAN: the tag goes in as a prefix (as the engine
        // re-tags), the offsets move by 4, and every segment leaves tagged.
        let tagged = UplinkFrames.tagged(superFrame, vid: 30)
        var result = UplinkTransmitResult.rejected
        superFrame.withUnsafeBytes { raw in
            guard let start = raw.baseAddress else { return }
            let segment = GuestSegment(base: UnsafeMutableRawPointer(mutating: start), length: raw.count)
            [segment].withUnsafeBufferPointer { list in
                Array(tagged[0..<16]).withUnsafeBytes { prefix in
                    result = uplink.transmit(prefix: prefix, segments: list, skipping: 12,
                                             vnetHeader: header.movingOffsets(by: 4))
                }
            }
        }
        #expect(result == .queued)
        let taggedSegments = peer.receive(count: 7).filter { $0.count > 38 && $0[12] == 0x81 && $0[27] == 6 }
        #expect(taggedSegments.map { $0.count - 58 } == [1448, 1448, 1448, 1448, 1448, 1448, 1312])
        #expect(taggedSegments.allSatisfy { Array($0[14..<16]) == [0x00, 30] })
        #expect(taggedSegments.allSatisfy { UplinkFrames.tcpChecksumIsValid(Array($0[0..<12]) + Array($0[16...])) })
        withExtendedLifetime(link) {}
    }

    /// 100 frames in bursts of at most 32: blocks are walked in order across bursts, a block
    /// read only partly stays ours, and every frame of a burst is intact until releaseBurst.
    @Test func burstsWalkBlocksInOrderAndFramesStayValidUntilRelease() throws {
        let veth = try NamespacedVeth(tag: "bw")
        let (link, uplink) = try openUplink(veth)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let frames = (0..<100).map {
            UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: UInt8($0), length: 60 + $0 * 7)
        }
        for f in frames { try peer.send(f) }
        var got: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(3)
        while got.count < 100 && Date() < deadline {
            let n = uplink.receiveBurst(max: 32)
            #expect(n <= 32)
            var burst: [[UInt8]] = []
            for i in 0..<n {
                let f = uplink.frame(i)
                var bytes = [UInt8](repeating: 0, count: f.length)
                _ = bytes.withUnsafeMutableBytes { b in
                    b.baseAddress.map { f.segments.gather(offset: 0, count: f.length, into: $0) }
                }
                burst.append(bytes)
            }
            // Read again at the end of the burst: nothing was handed back to the kernel yet.
            for i in 0..<n where burst[i].count == uplink.frame(i).length {
                let f = uplink.frame(i)
                #expect(f.segments[0].base.load(fromByteOffset: 14 + 20 + 8, as: UInt8.self) == burst[i][42])
            }
            uplink.releaseBurst()
            got += burst.filter { Array($0[6..<12]) == UplinkFrames.outside }
            if n == 0 { usleep(2_000) }
        }
        #expect(got == frames)
        withExtendedLifetime(link) {}
    }

    @Test func socketIsReadableInEpollWhenABlockIsReady() throws {
        let veth = try NamespacedVeth(tag: "ep")
        let (link, uplink) = try openUplink(veth)
        let epoll = try Epoll()
        try epoll.add(uplink.fileDescriptor, events: .readable, token: 77)
        // Drain whatever arrived while the link came up, then expect quiet.
        _ = uplink.collect(count: 1000, timeout: 0.05)
        #expect(epoll.wait(timeoutMilliseconds: 20).isEmpty)
        let peer = try PeerSocket(in: veth, interface: veth.farSide)
        let frame = UplinkFrames.udp(from: UplinkFrames.outside, to: UplinkFrames.guest, marker: 0x99)
        try peer.send(frame)
        let ready = epoll.wait(timeoutMilliseconds: 1000)
        #expect(ready.map(\.token) == [77])
        #expect(uplink.hasPendingFrames)
        #expect(uplink.collect(count: 1) { $0 == frame }.count == 1)
        #expect(!uplink.hasPendingFrames)
        #expect(epoll.wait(timeoutMilliseconds: 0).isEmpty)
        withExtendedLifetime(link) {}
    }

    @Test func retaggingMovesOnlyTheOffsetsInUse() {
        let csumOnly = VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, checksumStart: 34, checksumOffset: 16)
        #expect(csumOnly.movingOffsets(by: 4) == VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum,
                                                                 checksumStart: 38, checksumOffset: 16))
        let gso = VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum, gsoType: VirtioNetHeader.gsoTCPv4,
                                  headerLength: 58, gsoSize: 1448, checksumStart: 38, checksumOffset: 16)
        #expect(gso.movingOffsets(by: -4) == VirtioNetHeader(flags: VirtioNetHeader.flagNeedsChecksum,
                                                             gsoType: VirtioNetHeader.gsoTCPv4, headerLength: 54,
                                                             gsoSize: 1448, checksumStart: 34, checksumOffset: 16))
        let plain = VirtioNetHeader(checksumStart: 7)
        #expect(plain.movingOffsets(by: 4) == plain)
    }

    @Test func swiftOffsetsMatchTheKernelHeaders() {
        #expect(TPacket.blockStatus == Int(CSY_TP3_BLOCK_STATUS))
        #expect(TPacket.blockPacketCount == Int(CSY_TP3_BLOCK_NUM_PKTS))
        #expect(TPacket.blockFirstPacket == Int(CSY_TP3_BLOCK_FIRST_PKT))
        #expect(TPacket.snapLength == Int(CSY_TP3_SNAPLEN))
        #expect(TPacket.wireLength == Int(CSY_TP3_LEN))
        #expect(TPacket.status == Int(CSY_TP3_STATUS))
        #expect(TPacket.macOffset == Int(CSY_TP3_MAC))
        #expect(TPacket.vlanTCI == Int(CSY_TP3_VLAN_TCI))
        #expect(TPacket.vlanTPID == Int(CSY_TP3_VLAN_TPID))
        #expect(TPacket.headerSize == Int(CSY_TP3_HDR_SIZE))
        #expect(TPacket.packetTypeOffset == Int(CSY_TP3_HDR_SIZE) + Int(CSY_SLL_PKTTYPE))
        #expect(TPacket.statusVLANValid == UInt32(TP_STATUS_VLAN_VALID))
        #expect(TPacket.statusVLANTPIDValid == UInt32(TP_STATUS_VLAN_TPID_VALID))
        #expect(TPacket.packetOutgoing == UInt8(PACKET_OUTGOING))
    }
}
