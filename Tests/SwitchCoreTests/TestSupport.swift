import SwitchCore

/// A locally administered unicast address whose last two bytes are `n`.
func station(_ n: Int, group: UInt8 = 0) -> MACAddress {
    MACAddress(0x02, 0x00, group, 0x00, UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n))
}

func frame(from source: MACAddress, to destination: MACAddress, vid: UInt16? = nil, pcp: UInt8 = 0,
           length: UInt32 = 64) -> FrameHeader {
    guard let vid else { return FrameHeader(destination: destination, source: source, length: length) }
    return FrameHeader(destination: destination, source: source, length: length, isTagged: true,
                       tci: UInt16(pcp) << 13 | vid)
}

let multicastGroup = MACAddress(0x01, 0x00, 0x5E, 0x00, 0x00, 0x01)
let stpAddress = MACAddress(0x01, 0x80, 0xC2, 0x00, 0x00, 0x00)

/// Deterministic engine: fixed hash seed, small port table.
func makeEngine(capacity: Int = 8192, agingTime: UInt32 = 300, maxPorts: Int = 32) -> Bridge {
    Bridge(maxPorts: maxPorts, fdbCapacity: capacity, agingTime: agingTime, hashSeed: 0x1234_5678)
}

extension Bridge {
    /// Sends one frame so its source is learned; returns the decision.
    @discardableResult
    func send(_ header: FrameHeader, on port: UInt16, at now: UInt32 = 0) -> ForwardingDecision {
        decide(ingress: port, frame: header, now: now)
    }

    func floodTargets(vlan: UInt16, excluding: UInt16) -> [UInt16] {
        var buffer = [UInt16](repeating: 0, count: maxPorts)
        let n = buffer.withUnsafeMutableBufferPointer { floodTargets(vlan: vlan, excluding: excluding, into: $0) }
        return Array(buffer.prefix(n))
    }
}

/// A small deterministic PRNG for model tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
