#if canImport(Glibc)
import Glibc
#endif
@testable import Datapath
import Foundation
import LinuxIO
import SwitchCore
import Testing
import VhostTestFrontEnd

/// Feature and request attacks (see `HostileFrontEndTests`): bits never offered, requests we do
/// not support.
extension HostileFrontEndTests {
    @Test func featuresNeverOfferedAndUnsupportedRequestsAreRefusedAndTheirDescriptorsClosed() throws {
        let (h, baseline) = try harness()
        try survive(h, baseline: baseline, "features never offered", setup: .negotiated) { x in
            let offered = try x.getU64(.getFeatures)
            let never = (0..<64).map { UInt64(1) << $0 }.first { offered & $0 == 0 }!
            try expectRefused(x, code: FrontEndRequest.setFeatures.rawValue, payload: FrontEndWire.u64(offered | never),
                              "SET_FEATURES with bit \(never.trailingZeroBitCount)")
            let protocolOffered = try x.getU64(.getProtocolFeatures)
            try expectRefused(x, code: FrontEndRequest.setProtocolFeatures.rawValue,
                              payload: FrontEndWire.u64(protocolOffered | 1 << 40), "protocol bit 40")
        }
        try survive(h, baseline: baseline, "SET_PROTOCOL_FEATURES before GET", setup: .connected) { x in
            // Taken when every bit was offered (QEMU caches GET's answer across reconnects) ...
            try x.request(.setProtocolFeatures, FrontEndWire.u64(1 << 3), ack: false)
            #expect(try x.getU64(.getQueueNum) == 1)
            // ... refused otherwise; REPLY_ACK is on now, so it is a nack.
            try expectRefused(x, code: FrontEndRequest.setProtocolFeatures.rawValue, payload: FrontEndWire.u64(1 << 3 | 1 << 50),
                              "an unoffered protocol bit")
        }
        try survive(h, baseline: baseline, "MTU, status and RARP values out of range") { x in
            for mtu: UInt64 in [0, 67, 65536, UInt64.max] {
                try expectRefused(x, code: FrontEndRequest.netSetMTU.rawValue, payload: FrontEndWire.u64(mtu), "MTU \(mtu)")
            }
            try expectRefused(x, code: FrontEndRequest.setStatus.rawValue, payload: FrontEndWire.u64(0x1FF), "status 0x1FF")
            // SEND_RARP for the broadcast address: a multicast source, dropped and counted, not learned.
            let before = try h.counters("x").receiveDrops(.multicastSource)
            try expectAccepted(x, code: FrontEndRequest.sendRARP.rawValue, payload: FrontEndWire.u64(0xFFFF_FFFF_FFFF),
                               "SEND_RARP ff:ff:ff:ff:ff:ff")
            #expect(try h.counters("x").receiveDrops(.multicastSource) == before + 1)
            #expect(try h.receivesNothing("a") && h.receivesNothing("b"))
            try expectSwitching(h, "broadcast still floods after a RARP for it")
        }
        // The dirty log (docs/dirty-log.md): a log larger than any guest needs, or longer than its
        // file, is refused; a real one is mapped (and answered with 0). Either way the descriptor
        // is not kept.
        let logFile = try Memfd.create(name: "redteam-log", size: 1 << 20)
        try survive(h, baseline: baseline, "SET_LOG_BASE with a memfd") { x in
            try expectRefused(x, code: FrontEndRequest.setLogBase.rawValue, payload: FrontEndWire.u64(1 << 40) + FrontEndWire.u64(0),
                              fds: [logFile.rawValue], "SET_LOG_BASE of 1 TiB")
            try expectRefused(x, code: FrontEndRequest.setLogBase.rawValue, payload: FrontEndWire.u64(1 << 20) + FrontEndWire.u64(4096),
                              fds: [logFile.rawValue], "SET_LOG_BASE past the end of its file")
            try expectAccepted(x, code: FrontEndRequest.setLogBase.rawValue, payload: FrontEndWire.u64(1 << 20) + FrontEndWire.u64(0),
                               fds: [logFile.rawValue], "SET_LOG_BASE")
        }
        expectNoCopiesLeft(of: logFile.rawValue, "SET_LOG_BASE's memfd")
        let logEvent = try EventFD()
        try survive(h, baseline: baseline, "SET_LOG_FD") { x in
            try expectRefused(x, code: FrontEndRequest.setLogFd.rawValue, fds: [logFile.rawValue], "SET_LOG_FD with a memfd")
            try expectAccepted(x, code: FrontEndRequest.setLogFd.rawValue, fds: [logEvent.rawValue], "SET_LOG_FD with an eventfd")
        }
        expectNoCopiesLeft(of: logEvent.rawValue, "SET_LOG_FD's eventfd")
        for (name, code) in [("SET_BACKEND_REQ_FD", UInt32(21)), ("SET_INFLIGHT_FD", 32), ("GPU_SET_SOCKET", 33)] {
            let channel = Probe()
            try survive(h, baseline: baseline, name) { x in
                let payload: [UInt8] = code == 32 ? [UInt8](repeating: 0, count: 24) : []
                try expectRefused(x, code: code, payload: payload, fds: [channel.send], name)
            }
            #expect(channel.sawEOF(), "\(name): the back-end closed its copy of the channel")
        }
        let lateChannel = Probe()
        try survive(h, baseline: baseline, "SET_BACKEND_REQ_FD without an ack") { x in
            try expectRefused(x, code: 21, fds: [lateChannel.send], ack: false, "no ack: the connection closes")
        }
        #expect(lateChannel.sawEOF())
        expectAccountingAddsUp(h.engine)
    }
}
