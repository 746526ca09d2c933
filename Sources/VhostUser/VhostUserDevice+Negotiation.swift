import Virtio
extension VhostUserDevice {
    func setFeatures(_ value: UInt64) -> HandlerResult {
        let requested = VirtioFeatures(rawValue: value)
        let unoffered = requested.subtracting(configuration.features)
        guard unoffered.isEmpty else {
            featuresRejected = true
            return .refused("features 0x\(String(unoffered.rawValue, radix: 16)) were never offered")
        }
        // QEMU sends SET_FEATURES once per queue pair, so the same value while rings run is normal;
        // a different one would change header length and ring layout under the datapath. The one
        // exception is LOG_ALL, which QEMU toggles on running rings when migration starts and
        // ends: every started ring is restarted with logging on or off (docs/dirty-log.md).
        let running = rings.contains(where: { $0.started })
        let change = requested.symmetricDifference(ackedFeatures)
        if featuresAcked && !change.isEmpty && running && change != .vhostLogAll {
            featuresRejected = true
            return .refused("features change while rings are running")
        }
        if featuresAcked && change == .vhostLogAll && running {
            ackedFeatures = requested
            restartStartedRings()
            logger.info("dirty logging \(requested.contains(.vhostLogAll) ? "on" : "off")")
            return .done
        }
        ackedFeatures = requested
        featuresAcked = true
        featuresRejected = false
        logger.debug("features acked 0x\(String(value, radix: 16)), net header \(requested.netHeaderLength) bytes")
        // Spec: without VHOST_USER_F_PROTOCOL_FEATURES rings are enabled as soon as features are set.
        if !requested.contains(.vhostUserProtocolFeatures) {
            for i in rings.indices where !rings[i].enabled {
                rings[i].enabled = true
                startIfRunnable(i)
            }
        }
        return .done
    }

    func setProtocolFeatures(_ value: UInt64) -> HandlerResult {
        let requested = VhostUserProtocolFeatures(rawValue: value)
        let unoffered = requested.subtracting(configuration.protocolFeatures)
        guard unoffered.isEmpty else {
            return .refused("protocol features 0x\(String(unoffered.rawValue, radix: 16)) were never offered")
        }
        protocolFeatures = requested
        return .done
    }

    /// Deprecated; old DPDK virtio-user sent it on stop. The spec allows ignoring it or disabling
    /// the rings; we stop them but keep the connection's state
    /// (docs/vhost-user-protocol.md#stopping-a-ring).
    func resetOwner() -> HandlerResult {
        for i in rings.indices where rings[i].started { stop(i) }
        return .done
    }

    func setMTU(_ value: UInt64) -> HandlerResult {
        guard value <= UInt64(Int.max), configuration.mtuRange.contains(Int(value)) else {
            return .refused("MTU \(value) outside \(configuration.mtuRange)")
        }
        mtu = Int(value)
        logger.debug("MTU \(value)")
        return .done
    }

    /// The MAC travels in the first six bytes of the u64, in memory order.
    func sendRARP(_ value: UInt64) -> HandlerResult {
        let mac = withUnsafeBytes(of: value.littleEndian) { Array($0.prefix(6)) }
        delegate?.sendRARP(device: self, mac: mac)
        return .done
    }

    func setStatus(_ value: UInt64) -> HandlerResult {
        guard value <= 0xFF else { return .refused("status 0x\(String(value, radix: 16)) is not a status byte") }
        status = UInt8(value)
        return .done
    }

    /// FEATURES_OK is withdrawn when we refused the driver's features (spec: the device clears it).
    var reportedStatus: UInt8 {
        featuresRejected ? status & ~VirtioDeviceStatus.featuresOK : status
    }
}
