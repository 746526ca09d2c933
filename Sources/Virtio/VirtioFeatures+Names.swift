/// Names for `yardctl ports` and logs, as the virtio spec and Linux spell them (lower case).
extension VirtioFeatures {
    static let knownNames: [(VirtioFeatures, String)] = [
        (.csum, "csum"), (.guestCsum, "guest_csum"), (.ctrlGuestOffloads, "ctrl_guest_offloads"), (.mtu, "mtu"),
        (.mac, "mac"), (.guestTSO4, "guest_tso4"), (.guestTSO6, "guest_tso6"), (.guestECN, "guest_ecn"),
        (.guestUFO, "guest_ufo"), (.hostTSO4, "host_tso4"), (.hostTSO6, "host_tso6"), (.hostECN, "host_ecn"),
        (.hostUFO, "host_ufo"), (.mergeableRxBuffers, "mrg_rxbuf"), (.status, "status"), (.controlQueue, "ctrl_vq"),
        (.controlRx, "ctrl_rx"), (.controlVLAN, "ctrl_vlan"), (.guestAnnounce, "guest_announce"), (.multiqueue, "mq"),
        (.controlMACAddress, "ctrl_mac_addr"), (.notifyOnEmpty, "notify_on_empty"), (.vhostLogAll, "log_all"),
        (.anyLayout, "any_layout"), (.indirectDescriptors, "indirect_desc"), (.eventIndex, "event_idx"),
        (.vhostUserProtocolFeatures, "protocol_features"), (.version1, "version_1"),
        (.accessPlatform, "access_platform"), (.ringPacked, "ring_packed"), (.inOrder, "in_order"),
    ]

    /// Known bit names in bit order, then `bit<N>` for any other set bit.
    public var names: [String] {
        var out: [String] = []
        var rest = self
        for bit in 0..<64 {
            let f = VirtioFeatures(bit: bit)
            guard contains(f) else { continue }
            rest.remove(f)
            out.append(VirtioFeatures.knownNames.first { $0.0 == f }?.1 ?? "bit\(bit)")
        }
        return out
    }
}
