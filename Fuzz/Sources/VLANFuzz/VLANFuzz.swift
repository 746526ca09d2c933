import FuzzSupport
import SwitchCore

// VLAN classification of arbitrary frames: FrameHeader.parse and Bridge.decide over
// access and trunk ports, checked against the 802.1Q rules a tenant relies on: a frame is only
// ever assigned a VLAN its ingress port carries, and only reaches ports that carry that VLAN.
//
// Input: records of ingress port u8 (% 7; 6 is a port that does not exist), burst size u8 (% 4 + 1),
// then per frame a length u8 and that many bytes; a record whose port byte is >= 0xF0 advances
// the clock and runs the aging sweep.

private let modes: [PortMode] = [
    .access(vlan: 10),
    .access(vlan: 20),
    .trunk(allowed: VLANSet(ranges: [10...10, 20...20, 100...110]), native: 1),
    .trunk(allowed: VLANSet([10]), native: nil),
    .trunk(allowed: VLANSet(ranges: [1...4094]), native: 4094),
    .access(vlan: 4094),
]

private func makeEngine() -> Bridge {
    let engine = Bridge(maxPorts: 8, fdbCapacity: 64, agingTime: 30, hashSeed: 1)
    for (i, mode) in modes.enumerated() {
        try! engine.addPort(UInt16(i), name: "p\(i)", mode: mode, macLimit: i == 1 ? 4 : nil)
    }
    return engine
}

private let frames = UnsafeMutablePointer<FrameHeader>.allocate(capacity: 4)
private let decisions = UnsafeMutablePointer<ForwardingDecision>.allocate(capacity: 4)
private let targets = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVLAN(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let engine = makeEngine()
    var now: UInt32 = 0
    while !input.isEmpty {
        let portByte = input.u8()
        if portByte >= 0xF0 {
            now &+= UInt32(portByte & 0x0F) * 10
            engine.expire(now: now)
            continue
        }
        let ingress = UInt16(portByte % 7)
        let count = Int(input.u8() % 4) + 1
        var raw: [[UInt8]] = []
        for n in 0..<count {
            let bytes = Array(input.take(Int(input.u8())))
            raw.append(bytes)
            frames[n] = bytes.withUnsafeBytes { b in
                // parse must stay inside `length` bytes: give it exactly that (ASan sees overreads).
                let copy = UnsafeMutableRawPointer.allocate(byteCount: max(b.count, 1), alignment: 1)
                defer { copy.deallocate() }
                if b.count > 0 { copy.copyMemory(from: b.baseAddress!, byteCount: b.count) }
                return FrameHeader.parse(copy, length: b.count)
            }
        }
        engine.decide(ingress: ingress, frames: frames, count: count, into: decisions, now: now)
        for n in 0..<count {
            check(engine, ingress: ingress, frame: frames[n], decision: decisions[n])
        }
    }
    return 0
}

private func check(_ engine: Bridge, ingress: UInt16, frame: FrameHeader, decision d: ForwardingDecision) {
    guard Int(ingress) < modes.count else {
        precondition(d.kind == .drop, "frame from a port that does not exist was forwarded")
        return
    }
    if frame.isRunt { precondition(d.kind == .drop && d.reason == .runt, "runt not dropped as runt") }
    guard d.kind != .drop else { return }
    precondition((1...4094).contains(d.vlan), "forwarded in VLAN \(d.vlan)")
    precondition(engine.portCarries(ingress, vlan: d.vlan), "port \(ingress) does not carry VLAN \(d.vlan)")
    switch modes[Int(ingress)] {
    case .access(let vlan):
        precondition(d.vlan == vlan, "access port in VLAN \(vlan) forwarded into VLAN \(d.vlan)")
        precondition(!frame.isTagged || frame.vid == 0, "tagged frame accepted on an access port")
    case .trunk(_, let native):
        if frame.isTagged && frame.vid != 0 {
            precondition(d.vlan == frame.vid, "tag \(frame.vid) classified as VLAN \(d.vlan)")
        } else {
            precondition(d.vlan == native, "untagged frame on a trunk classified as VLAN \(d.vlan)")
        }
    }
    switch d.kind {
    case .unicast:
        precondition(d.port != ingress && engine.portCarries(d.port, vlan: d.vlan),
                     "unicast to port \(d.port), which does not carry VLAN \(d.vlan)")
    case .flood:
        let n = engine.floodTargets(vlan: d.vlan, excluding: ingress, into: targets)
        for t in targets.prefix(n) {
            precondition(t != ingress && engine.portCarries(t, vlan: d.vlan), "flood to port \(t) outside VLAN \(d.vlan)")
            let tag = engine.egressTag(port: t, vlan: d.vlan)
            if case .access = modes[Int(t)] { precondition(!tag.tagged, "tagged egress on an access port") }
            if tag.tagged { precondition(tag.vid == d.vlan) }
        }
    case .drop:
        break
    }
}
