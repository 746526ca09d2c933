@testable import Datapath
import Testing
import Uplink

/// The one place a port's state becomes the string `yardctl ports` shows (`PortStatus.state`):
/// the strings are a wire format scripts read, and stay what they were when the state was a String.
@Suite struct PortOperationalStateTests {
    @Test func rendersEveryStateAsTheWireStringOfBefore() {
        let wire: [(PortOperationalState, String)] = [
            (.listening, "listening"), (.connecting, "connecting"), (.connected, "connected"), (.running, "running"),
            (.broken(.guestMemoryFault), "broken (guest-memory-fault)"),
            (.broken(.notificationBlocked), "broken (notification-blocked)"),
            (.broken(.kickBlocked), "broken (kick-blocked)"), (.broken(.ringBroken), "broken (ring-broken)"),
            (.up, "up"), (.linkDown, "link-down"), (.noSuchInterface, "no-such-interface"),
            (.failed("socket: Operation not permitted"), "error: socket: Operation not permitted"), (.down, "down"),
        ]
        for (state, text) in wire { #expect(state.description == text) }
        #expect(PortOperationalState.broken(.ringBroken).isBroken && !PortOperationalState.running.isBroken)
    }

    @Test func uplinkStatesRenderAsTheyDidWhenTheUplinkDescribedItself() {
        let states: [UplinkState] = [.up, .linkDown, .noSuchInterface, .failed(UplinkError("bind", reason: "No such device"))]
        for link in states { #expect(PortOperationalState(link).description == link.description) }
        #expect(PortOperationalState(.up) == .up && PortOperationalState(.linkDown) == .linkDown)
    }
}
