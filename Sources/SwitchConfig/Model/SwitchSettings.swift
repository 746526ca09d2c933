/// The `switch:` section: settings that apply to the whole switch rather than to one port.
public struct SwitchSettings: Equatable, Sendable {
    public static let defaultSocketDirectory = "/run/switchyard"
    public static let defaultControlSocket = "/run/switchyard/control.sock"

    public var fdb: FDBSettings
    /// Absolute; the daemon creates it. Relative port sockets were resolved against it.
    public var socketDirectory: String
    /// Absolute (a relative value in the file is resolved against `socketDirectory`).
    public var controlSocket: String
    public var log: LogSettings
    public var datapath: DatapathSettings
    /// Switch-wide `limits:`; each port's own keys override them (docs/limits.md).
    public var limits: LimitSettings
    /// `mac-limit`: the MAC limit of every vhost-user port that sets none; nil = unlimited.
    /// 256 (docs/port-security.md): a guest has one MAC, or a few dozen with containers or a nested
    /// bridge; at 256, 32 guests flooding random sources together are needed to fill the default
    /// 8192-entry FDB, and none can take more than 1/32 of it.
    public var guestMACLimit: Int?
    public static let defaultGuestMACLimit: Int? = 256
    /// Defaults for every vhost-user port's socket (docs/connections.md).
    public var socketAccess = SocketAccessSettings()
    /// `metrics:`: the Prometheus endpoint; nil = none (docs/metrics.md).
    public var metrics: MetricsSettings?

    public init(fdb: FDBSettings = FDBSettings(),
                socketDirectory: String = SwitchSettings.defaultSocketDirectory,
                controlSocket: String = SwitchSettings.defaultControlSocket,
                log: LogSettings = LogSettings(),
                datapath: DatapathSettings = DatapathSettings(),
                limits: LimitSettings = LimitSettings(),
                guestMACLimit: Int? = SwitchSettings.defaultGuestMACLimit) {
        self.fdb = fdb
        self.socketDirectory = socketDirectory
        self.controlSocket = controlSocket
        self.log = log
        self.datapath = datapath
        self.limits = limits
        self.guestMACLimit = guestMACLimit
    }
}

/// The forwarding database (MAC table).
public struct FDBSettings: Equatable, Sendable {
    /// Seconds after which an idle learned entry is removed; 0 means entries never age.
    public var agingSeconds: Int
    /// Upper bound on learned entries, switch-wide; the table never grows beyond it.
    public var capacity: Int

    // 300 s is the IEEE 802.1D default aging time; OVS uses the same.
    public init(agingSeconds: Int = 300, capacity: Int = 8192) {
        self.agingSeconds = agingSeconds
        self.capacity = capacity
    }
}
