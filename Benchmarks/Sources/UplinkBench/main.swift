// uplink-bench: frames per second of the uplink with 64-byte frames on a veth pair whose far end
// lives in a throwaway network namespace. Root needed. Build and run in release:
//   swift build -c release --package-path Benchmarks --scratch-path Benchmarks/.build-bench --product uplink-bench
//   sudo Benchmarks/.build-bench/release/uplink-bench [seconds] [length]
// Prints numbers; never fails on a slow machine.
import CSwitchyard
import Foundation
import GuestMemory
import Uplink
import Virtio

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 1.0 : 1.0
let tag = "ub\(getpid() % 100_000)"
let (namespace, hostSide, farSide) = (tag + "ns", tag + "a", tag + "b")

func sh(_ command: String) {
    if system(command) != 0 { FileHandle.standardError.write(Data("failed: \(command)\n".utf8)) }
}
sh("ip netns add \(namespace)")
sh("ip link add \(hostSide) type veth peer name \(farSide) netns \(namespace)")
sh("ip netns exec \(namespace) ip link set \(farSide) up")
sh("ip link set \(hostSide) up")
defer {
    sh("ip link del \(hostSide) 2>/dev/null")
    sh("ip netns del \(namespace)")
}

/// A plain packet socket on the far side, made inside the namespace.
func farSocket() -> Int32 {
    let target = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
    let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
    defer { close(target); close(home) }
    guard csy_setns_net(target) == 0 else { fatalError("setns: \(errno)") }
    let index = if_nametoindex(farSide)
    let fd = plainSocket(index: Int32(index))
    guard csy_setns_net(home) == 0 else { fatalError("setns back: \(errno)") }
    return fd
}

/// AF_PACKET with protocol 0 (receives nothing) bound to `index`.
func plainSocket(index: Int32) -> Int32 {
    let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = sockaddr_ll()
    address.sll_family = UInt16(AF_PACKET)
    address.sll_ifindex = index
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
    }
    return fd
}

// 64-byte frames by default (60 + FCS on the wire; 2nd argument: other length without FCS), to a unicast MAC nobody owns: the far side drops it at L2.
let frameLength = CommandLine.arguments.count > 2 ? max(60, min(1514, Int(CommandLine.arguments[2]) ?? 60)) : 60
var frame = [UInt8](repeating: 0x5a, count: frameLength)
frame.replaceSubrange(0..<14, with: [0x02, 0x77, 0, 0, 0, 0x09, 0x02, 0x77, 0, 0, 0, 0x01, 0x08, 0x00])
let burst = 32
let frameBuffer = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 64)
UnsafeMutableRawBufferPointer(start: frameBuffer, count: frameLength).copyBytes(from: frame)

func now() -> Double { Date().timeIntervalSince1970 }
/// CPU time of this thread (user + system, softirq work done on its behalf included): less
/// sensitive than wall-clock rates to the other builds sharing the machine.
func cpu() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
func nsPerFrame(_ seconds: Double, _ frames: Int) -> String {
    frames > 0 ? String(format: "%.0f ns CPU/frame", seconds * 1e9 / Double(frames)) : "-"
}

/// The uplink's own path: transmit() into staging, flush() = sendmmsg.
func measureUplink(bypass: Bool) -> (Double, UInt64, String) {
    let index = Int32(if_nametoindex(hostSide))
    guard let uplink = try? UplinkSocket(interfaceIndex: index, mtu: 1500,
                                         configuration: UplinkConfiguration(bypassQdisc: bypass)) else {
        fatalError("open uplink")
    }
    var sent = 0
    let start = now()
    let cpuStart = cpu()
    var segment = GuestSegment(base: frameBuffer, length: frameLength)
    while now() - start < seconds {
        for _ in 0..<burst {
            let r = withUnsafePointer(to: &segment) {
                uplink.transmit(segments: UnsafeBufferPointer(start: $0, count: 1), skipping: 0,
                                vnetHeader: VirtioNetHeader())
            }
            if r == .queued { sent += 1 }
        }
        uplink.flush()
    }
    return (Double(sent) / (now() - start), uplink.counters.transmitDropped, nsPerFrame(cpu() - cpuStart, sent))
}

/// The alternative the uplink does not use: a TPACKET_V3 TX ring (the kernel maps the slot's
/// pages into the skb instead of copying) + one send() per burst. Kept here so the choice can be
/// re-measured.
func measureTransmitRing() -> (Double, String) {
    let fd = plainSocket(index: Int32(if_nametoindex(hostSide)))
    defer { close(fd) }
    var on: Int32 = 1
    var version = Int32(TPACKET_V3.rawValue)
    _ = setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, 4)
    _ = setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, 4)
    _ = setsockopt(fd, SOL_PACKET, PACKET_LOSS, &on, 4)
    _ = setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on, 4)
    let slots = 512, slotSize = 2048
    var request = tpacket_req3(tp_block_size: 65536, tp_block_nr: UInt32(slots * slotSize / 65536),
                               tp_frame_size: UInt32(slotSize), tp_frame_nr: UInt32(slots),
                               tp_retire_blk_tov: 0, tp_sizeof_priv: 0, tp_feature_req_word: 0)
    guard setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &request, socklen_t(MemoryLayout<tpacket_req3>.size)) == 0,
          let ring = mmap(nil, slots * slotSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), ring != MAP_FAILED else {
        fatalError("TX ring: errno \(errno)")
    }
    defer { munmap(ring, slots * slotSize) }
    var head = 0, sent = 0, full = 0
    let start = now()
    let cpuStart = cpu()
    while now() - start < seconds {
        for _ in 0..<burst {
            let slot = ring + head * slotSize
            guard csy_load_acquire_u32(slot + 20) == 0 else { full += 1; break }
            VirtioNetHeader().write(to: slot + 48, length: 10)
            (slot + 58).copyMemory(from: frameBuffer, byteCount: frameLength)
            slot.storeBytes(of: UInt32(10 + frameLength), toByteOffset: 16, as: UInt32.self)
            slot.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)
            csy_store_release_u32(slot + 20, 1)
            head = (head + 1) % slots
            sent += 1
        }
        _ = send(fd, nil, 0, Int32(MSG_DONTWAIT))
    }
    return (Double(sent) / (now() - start), nsPerFrame(cpu() - cpuStart, sent) + " (ring full \(full)x)")
}

func measureReceive() -> (Double, UInt64, Double, String) {
    let index = Int32(if_nametoindex(hostSide))
    guard let uplink = try? UplinkSocket(interfaceIndex: index, mtu: 1500) else { fatalError("open uplink") }
    let sender = farSocket()
    /// Shared with the sender thread, always under its lock.
    final class SenderState: @unchecked Sendable {
        let lock = NSLock()
        var running = true
        var offered = 0
    }
    let state = SenderState()
    let thread = Thread {
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: burst)
        let lengths = UnsafeMutablePointer<UInt32>.allocate(capacity: burst)
        for i in 0..<burst { pointers[i] = frameBuffer; lengths[i] = UInt32(frameLength) }
        var n = 0
        while state.lock.withLock({ state.running }) {
            for _ in 0..<64 {
                let k = csy_packet_sendmmsg(sender, pointers, lengths, Int32(burst))
                if k > 0 { n += Int(k) }
            }
        }
        state.lock.withLock { state.offered = n }
    }
    thread.start()
    var received = 0
    let start = now()
    let cpuStart = cpu()
    while now() - start < seconds {
        let n = uplink.receiveBurst(max: 32)
        received += n
        uplink.releaseBurst()
    }
    let elapsed = now() - start
    let cpuUsed = cpu() - cpuStart
    state.lock.withLock { state.running = false }
    usleep(200_000)
    uplink.collectKernelStatistics()
    return (Double(received) / elapsed, uplink.counters.kernelDrops, Double(state.lock.withLock { state.offered }) / elapsed,
            nsPerFrame(cpuUsed, received))
}

func format(_ fps: Double) -> String { String(format: "%.2f Mpps", fps / 1e6) }
/// The switch's side of RX alone: the ring is filled first (sender done, kernel work done), then
/// drained with receiveBurst/releaseBurst and each frame's segments touched.
func measureDrain() -> (Double, Int, UInt64) {
    let index = Int32(if_nametoindex(hostSide))
    guard let uplink = try? UplinkSocket(interfaceIndex: index, mtu: 1500) else { fatalError("open uplink") }
    let sender = farSocket()
    defer { close(sender) }
    let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: burst)
    let lengths = UnsafeMutablePointer<UInt32>.allocate(capacity: burst)
    for i in 0..<burst { pointers[i] = frameBuffer; lengths[i] = UInt32(frameLength) }
    var offered = 0
    while offered < 60_000 {
        let k = csy_packet_sendmmsg(sender, pointers, lengths, Int32(burst))
        if k > 0 { offered += Int(k) }
    }
    usleep(20_000)  // let the last block time out
    var received = 0
    var bytes = 0
    let start = cpu()
    while true {
        let n = uplink.receiveBurst(max: 32)
        if n == 0 { break }
        for i in 0..<n { bytes &+= uplink.frame(i).length }
        received += n
        uplink.releaseBurst()
    }
    let used = cpu() - start
    uplink.collectKernelStatistics()
    _ = bytes
    return (Double(received) / used, received, uplink.counters.kernelDrops)
}

let drain = measureDrain()
let uplinkBypass = measureUplink(bypass: true)
let uplinkQdisc = measureUplink(bypass: false)
let txRing = measureTransmitRing()
let rx = measureReceive()
print("uplink-bench on veth, \(frameLength + 4)-byte frames (with FCS), bursts of \(burst), \(seconds) s each, \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
print("TX  uplink (staging + sendmmsg), QDISC_BYPASS: \(format(uplinkBypass.0))  \(uplinkBypass.2)  (dropped at flush \(uplinkBypass.1))")
print("TX  uplink (staging + sendmmsg), via qdisc:    \(format(uplinkQdisc.0))  \(uplinkQdisc.2)  (dropped at flush \(uplinkQdisc.1))")
print("TX  alternative: TPACKET_V3 TX ring + send():  \(format(txRing.0))  \(txRing.1)")
print("RX  uplink TPACKET_V3 ring receiveBurst:       \(format(rx.0))  (offered \(format(rx.2)) by one sender thread, kernel drops \(rx.1))")
print("RX  drain of a pre-filled ring (switch side only): \(format(drain.0)) per CPU-second (\(drain.1) frames, kernel drops \(drain.2))")
