/// The per-port facts `decide` reads for every frame, packed in 4 bytes. The full
/// configuration (name, `PortMode`) lives beside it for the control plane only.
@usableFromInline
struct PortState {
    @usableFromInline var flags: UInt8
    /// The VLAN untagged (and priority-tagged) frames belong to: the access VLAN, or the
    /// trunk's native VLAN; 0 when the port accepts no untagged frames.
    @usableFromInline var untaggedVLAN: UInt16

    @usableFromInline static let exists: UInt8 = 1
    @usableFromInline static let up: UInt8 = 2
    @usableFromInline static let trunk: UInt8 = 4
    /// Has an allow-list, storm control or isolation: `decide` takes the guarded path.
    @usableFromInline static let guarded: UInt8 = 8
    @usableFromInline static let isolated: UInt8 = 16
    /// A mirror's output (docs/mirroring.md): receives copies only. Folded into the constants of
    /// the checks that already read the flags, so it costs the other ports nothing.
    @usableFromInline static let mirrorOutput: UInt8 = 32

    @usableFromInline static let absent = PortState(flags: 0, untaggedVLAN: 0)

    @inlinable var isPresent: Bool { flags & PortState.exists != 0 }
    /// Present and up: may receive and send.
    @inlinable var isActive: Bool { flags & (PortState.exists | PortState.up) == PortState.exists | PortState.up }
    /// Active and not a mirror output: frames from it are switched, unicast to it is delivered.
    @inlinable var isForwarding: Bool {
        flags & (PortState.exists | PortState.up | PortState.mirrorOutput) == PortState.exists | PortState.up
    }
    @inlinable var isTrunk: Bool { flags & PortState.trunk != 0 }
    /// Frames leave tagged unless in `untaggedVLAN`: a trunk, and a mirror output (its copies keep
    /// their VLAN, docs/mirroring.md).
    @inlinable var tagsOtherVLANs: Bool { flags & (PortState.trunk | PortState.mirrorOutput) != 0 }
    @inlinable var isGuarded: Bool { flags & PortState.guarded != 0 }
}
