import Virtio
import LinuxIO
import Testing
import VhostTestFrontEnd
@testable import VhostUser

extension VhostUserTests {
@Suite struct Device {
    func device(_ configuration: VhostUserDevice.Configuration = .init()) -> VhostUserDevice {
        let d = VhostUserDevice(name: "t", configuration: configuration)
        d.connectionOpened()
        return d
    }

    func message(_ r: VhostUserRequest, _ payload: VhostUserPayload = .empty, needReply: Bool = false,
                 fds: [OwnedFileDescriptor] = []) -> VhostUserMessage {
        VhostUserMessage(code: r.rawValue, flags: needReply ? 0x9 : 0x1, payload: payload, descriptors: fds)
    }

    func reply(_ response: VhostUserDevice.Response) -> FrontEndReply? {
        guard case .reply(let bytes) = response else { return nil }
        return bytes.withUnsafeBytes { raw in
            let h = VhostUserHeader(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<12]))
            return FrontEndReply(code: h.code, flags: h.flags, payload: Array(bytes[12...]))
        }
    }

    @Test func repliesCarryFlags0x5AndEchoTheRequestEvenWhenAckWasAsked() throws {
        let d = device()
        _ = d.handle(message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures.replyAck.rawValue)))
        for r in [VhostUserRequest.getFeatures, .getProtocolFeatures, .getQueueNum, .getMaxMemSlots, .getStatus] {
            let rep = try #require(reply(d.handle(message(r, needReply: true))))
            #expect(rep.flags == 0x5)
            #expect(rep.code == r.rawValue)
            #expect(rep.payload.count == 8)
        }
        let base = try #require(reply(d.handle(message(.getVringBase, .vringState(VringState(index: 1, num: 0))))))
        #expect(base.code == 11 && base.flags == 0x5 && base.vringState?.index == 1)
    }

    @Test func offersProtocolFeatureBitAndDefaultSet() throws {
        let d = device()
        let features = try #require(reply(d.handle(message(.getFeatures)))?.u64)
        #expect(features & (1 << 30) != 0)
        // One queue pair (the device's default): everything but MQ (docs/vhost-user-protocol.md#queue-pairs).
        #expect(features == VirtioFeatures.defaultOffer.subtracting(.multiqueue).rawValue)
        let multiqueue = device(.init(queuePairs: 2))
        #expect(try #require(reply(multiqueue.handle(message(.getFeatures)))?.u64) == VirtioFeatures.defaultOffer.rawValue)
        let proto = try #require(reply(d.handle(message(.getProtocolFeatures)))?.u64)
        #expect(proto == VhostUserProtocolFeatures.defaultOffer.rawValue)
        #expect(proto & (1 << 1) != 0, "LOG_SHMFD: QEMU refuses to migrate a guest without it (docs/dirty-log.md)")
        #expect(features & (1 << 26) != 0, "VHOST_F_LOG_ALL")
    }

    @Test func acksOnlyWhenReplyAckNegotiatedAndRequested() throws {
        let d = device()
        #expect(d.handle(message(.setOwner, needReply: true)) == .none, "no REPLY_ACK negotiated yet")
        _ = d.handle(message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures.replyAck.rawValue)))
        #expect(d.handle(message(.setOwner)) == .none)
        let ack = try #require(reply(d.handle(message(.setOwner, needReply: true))))
        #expect(ack.u64 == 0 && ack.flags == 0x5 && ack.code == 3)
        let nack = try #require(reply(d.handle(message(.netSetMTU, .u64(10), needReply: true))))
        #expect(nack.u64 == 1)
        let mtu = try #require(reply(d.handle(message(.netSetMTU, .u64(9000), needReply: true))))
        #expect(mtu.u64 == 0 && d.mtu == 9000)
    }

    @Test func rejectsFeatureBitsNeverOffered() throws {
        let d = device(.init(features: [.version1, .mergeableRxBuffers]))
        // Without an ack to carry the refusal, the connection is closed.
        guard case .close = d.handle(message(.setFeatures, .u64(1 << 0))) else { Issue.record("CSUM accepted"); return }
        _ = d.handle(message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures.replyAck.rawValue)))
        #expect(reply(d.handle(message(.setFeatures, .u64(1 << 34), needReply: true)))?.u64 == 1)
        #expect(d.ackedFeatures == [])
        let ok = VirtioFeatures([.version1, .vhostUserProtocolFeatures]).rawValue
        #expect(reply(d.handle(message(.setFeatures, .u64(ok), needReply: true)))?.u64 == 0)
        #expect(d.netHeaderLength == 12)
    }

    @Test func protocolFeaturesOutsideTheOfferAreRefused() {
        let d = device()
        guard case .close = d.handle(message(.setProtocolFeatures, .u64(1 << 5))) else { Issue.record("BACKEND_REQ accepted"); return }
    }

    @Test(arguments: [(VirtioFeatures.version1, 12), (VirtioFeatures.mergeableRxBuffers, 12), (VirtioFeatures(), 10), (VirtioFeatures.eventIndex, 10)])
    func derivesNetHeaderLength(features: VirtioFeatures, length: Int) {
        #expect(features.netHeaderLength == length)
    }

    @Test func sendRARPPassesTheMACInMemoryOrder() {
        let delegate = RecordingDelegate()
        let d = device()
        d.delegate = delegate
        let mac: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
        var word: UInt64 = 0
        for (i, b) in mac.enumerated() { word |= UInt64(b) << (8 * UInt64(i)) }
        _ = d.handle(message(.sendRARP, .u64(word)))
        #expect(delegate.events.last == .rarp(mac))
    }

    @Test func unknownAndUnsupportedRequestsAreRefused() {
        let d = device()
        guard case .close = d.handle(VhostUserMessage(code: 99)) else { Issue.record("unknown code accepted"); return }
        guard case .close = d.handle(message(.getConfig, .opaque([0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]))) else {
            Issue.record("GET_CONFIG answered"); return
        }
    }

    @Test func statusWithdrawsFeaturesOKAfterRejectedFeatures() throws {
        let d = device()
        _ = d.handle(message(.setProtocolFeatures, .u64(VhostUserProtocolFeatures([.replyAck, .status]).rawValue)))
        _ = d.handle(message(.setFeatures, .u64(1 << 33), needReply: true))  // ACCESS_PLATFORM: never offered
        _ = d.handle(message(.setStatus, .u64(0xB), needReply: true))
        #expect(reply(d.handle(message(.getStatus)))?.u64 == 0x3)
    }
}
}
