import Datapath
import SwitchCore
import Testing

/// Checks that the engine's counters add up (PortCounters' doc, docs/port-security.md):
/// * receive side, per port: every frame received was forwarded (one unicast decision), flooded
///   (one flood decision) or dropped under exactly one reason:
///   `receivedFrames == forwarded + flooded + Σ receiveDrops`;
/// * transmit side, summed over ports: every copy the core asked for (one per unicast decision,
///   one per flood target) was delivered or dropped under a transmit reason:
///   `Σ (forwarded + floodCopies) == Σ (transmittedFrames + Σ transmitDrops)`.
///
/// Uplinks: a frame staged for sendmmsg is counted as transmitted when it is queued; one the
/// kernel then refuses at flush moves to `tx-error` at the port's next housekeeping
/// (`Bridge.recordTransmitLost`), so between the two it counts as transmitted, never
/// under both (it used to be counted under both, breaking the transmit identity).
/// A broken port (docs/port-faults.md) keeps the identity: frames to it count as `port-down`.
///
/// Pass `softwareSegmentation: true` when a TSO/UFO frame went to a receiver without that offload:
/// one copy then leaves as several segments, so the transmit side may exceed the copies.
/// Call it once traffic has settled (after the receives a test waits for); it reads the counters
/// on the engine thread, between turns, so one frame's decision and its copies are never split.
func expectAccountingAddsUp(_ engine: Engine, softwareSegmentation: Bool = false,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    let read = engine.perform { e in e.bridge.portSnapshots() }
    guard case .success(let ports) = read else {
        Issue.record("engine not running: \(read)", sourceLocation: sourceLocation)
        return
    }
    var copies: UInt64 = 0
    var accounted: UInt64 = 0
    for port in ports {
        let c = port.counters
        #expect(c.receivedFrames == c.forwarded + c.flooded + c.totalReceiveDrops,
                "\(port.name): received \(c.receivedFrames) ≠ forwarded \(c.forwarded) + flooded \(c.flooded) + dropped \(c.totalReceiveDrops)",
                sourceLocation: sourceLocation)
        copies += c.forwarded + c.floodCopies
        accounted += c.transmittedFrames + c.totalTransmitDrops
    }
    if softwareSegmentation {
        #expect(accounted >= copies, "transmitted + dropped \(accounted) < copies asked for \(copies)",
                sourceLocation: sourceLocation)
    } else {
        #expect(accounted == copies, "transmitted + dropped \(accounted) ≠ copies asked for \(copies)",
                sourceLocation: sourceLocation)
    }
}
