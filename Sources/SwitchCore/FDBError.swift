/// Why a control-plane FDB change was refused.
public enum FDBError: Error, Equatable, Sendable {
    case invalidVLAN(UInt16)
    case portOutOfRange(UInt16)
    /// Static entries forward unicast only.
    case multicastAddress(MACAddress)
    /// Full, and every entry is static.
    case tableFull
}
