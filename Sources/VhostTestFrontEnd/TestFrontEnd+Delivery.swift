#if canImport(Glibc)
import Glibc
#endif
import LinuxIO

/// Sends `frame` from `sender` until `receiver` gets it, within `timeout` seconds: after a
/// (re)connect the receiver's RX ring may start a moment after the sender's TX ring, so the
/// first copies can be dropped for lack of a receive buffer.
public func deliver(_ frame: [UInt8], from sender: TestFrontEnd, to receiver: TestFrontEnd,
                    timeout: Double = 2) throws -> Bool {
    let deadline = MonotonicClock.nanoseconds() + UInt64(timeout * 1e9)
    while MonotonicClock.nanoseconds() < deadline {
        _ = sender.reclaimTransmitted()
        try sender.send(frame: frame)
        let until = MonotonicClock.nanoseconds() + 50_000_000
        while MonotonicClock.nanoseconds() < until {
            if try receiver.receivedFrames().contains(frame) { return true }
            usleep(200)
        }
    }
    return false
}
