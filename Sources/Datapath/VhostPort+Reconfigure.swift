import VhostUser

/// A reload in place for a vhost-user port (docs/reload.md): the connection, rings and negotiated
/// features stay; what the new specification changes takes effect as follows.
extension VhostPort {
    func reconfigure(_ new: PortSpecification) {
        // The next frame delivered to this guest is checked against the new MTU. The guest's own
        // MTU is QEMU's (host_mtu, read at boot): the switch only enforces its side.
        maximumFrameLength = new.mtu + 14
        // min-mss and max-segments are read from the spec per segmented frame (Engine.limits(ofSender:)):
        // at once. max-chain-descriptors sizes a ring's scratch when the ring starts, so rings
        // started from now on (a driver reload, a reboot, a reconnect) take it; running rings keep
        // theirs. max-guest-memory applies to the next memory table the front-end sends; what is
        // mapped stays mapped.
        device.setMaxGuestMemory(new.limits.maxGuestMemory)
        spec = new
    }
}
