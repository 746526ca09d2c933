import CPcap

/// The link-layer header type recorded in the capture file (DLT_*).
public enum PcapLinkType: Sendable {
    case ethernet

    var dlt: Int32 {
        switch self {
        case .ethernet: return DLT_EN10MB
        }
    }
}
