/// The outcome of offering one frame to the uplink. Everything but `queued` is a drop the
/// caller counts under the named reason; none of them is an error of the port as a whole.
public enum UplinkTransmitResult: Equatable, Sendable {
    /// Staged (goes out at the next `flush`) or, for a GSO frame, already handed to the kernel.
    case queued
    /// Staging full and the kernel would not take it, or its queue is full (EAGAIN/ENOBUFS):
    /// count as ring-full.
    case ringFull
    /// Longer than MTU + 14 (+4 when tagged) and not a GSO frame: count as mtu-exceeded.
    case mtuExceeded
    /// Shorter than an Ethernet header, skip beyond the data, too many segments, or rejected by
    /// the kernel (e.g. an inconsistent virtio-net header): count as a TX error.
    case rejected
}
