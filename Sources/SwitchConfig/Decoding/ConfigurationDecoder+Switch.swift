import Yams

extension ConfigurationDecoder {
    // One year: aging is turned into nanosecond deadlines, and anything longer is "never" in
    // practice, which is spelt 0.
    static let agingRange = 0...31_536_000
    // The FDB is preallocated at its capacity, so the bound is a memory bound (16 Mi entries).
    static let capacityRange = 1...16_777_216
    // glibc's cpu_set_t holds CPU_SETSIZE = 1024 CPUs; sched_setaffinity cannot name more.
    static let cpuRange = 0...1023

    mutating func decodeSwitch(_ node: Node, at path: ConfigPath) -> SwitchSettings {
        var settings = SwitchSettings()
        guard let fields = fields(of: node, at: path,
                                  allowing: ["fdb", "socket-directory", "control-socket", "log", "datapath", "limits",
                                             "mac-limit", "socket-access", "metrics"])
        else { return settings }

        if let entry = fields["fdb"] { settings.fdb = decodeFDB(entry.value, at: entry.path) }
        if let entry = fields["socket-directory"], let raw = string(entry.value, at: entry.path) {
            if raw.hasPrefix("/"), let directory = SocketPath.normalise(raw) {
                settings.socketDirectory = directory
            } else {
                report(.invalidValue, at: entry.value, entry.path,
                       "socket directory must be an absolute path, found '\(raw)'")
            }
        }
        if let entry = fields["control-socket"],
           let path = socketPath(entry.value, at: entry.path, directory: settings.socketDirectory) {
            settings.controlSocket = path
        } else if fields["control-socket"] == nil, fields["socket-directory"] != nil {
            // The default control socket follows a moved socket directory.
            settings.controlSocket = SocketPath.resolve("control.sock", against: settings.socketDirectory)
        }
        if let entry = fields["log"] { settings.log = decodeLog(entry.value, at: entry.path) }
        if let entry = fields["datapath"] { settings.datapath = decodeDatapath(entry.value, at: entry.path) }
        if let entry = fields["limits"] { settings.limits = decodeSwitchLimits(entry.value, at: entry.path) }
        if let entry = fields["mac-limit"] { settings.guestMACLimit = macLimitValue(entry.value, at: entry.path) }
        if let entry = fields["socket-access"] { settings.socketAccess = decodeSocketAccess(entry.value, at: entry.path) }
        if let entry = fields["metrics"] { settings.metrics = decodeMetrics(entry.value, at: entry.path) }
        return settings
    }

    private mutating func decodeFDB(_ node: Node, at path: ConfigPath) -> FDBSettings {
        var fdb = FDBSettings()
        guard let fields = fields(of: node, at: path, allowing: ["aging-seconds", "capacity"]) else { return fdb }
        if let entry = fields["aging-seconds"],
           let value = integer(entry.value, at: entry.path, in: Self.agingRange, noun: "aging time") {
            fdb.agingSeconds = value
        }
        if let entry = fields["capacity"],
           let value = integer(entry.value, at: entry.path, in: Self.capacityRange, noun: "capacity") {
            fdb.capacity = value
        }
        return fdb
    }

    private mutating func decodeLog(_ node: Node, at path: ConfigPath) -> LogSettings {
        var log = LogSettings()
        guard let fields = fields(of: node, at: path, allowing: ["level", "format"]) else { return log }
        if let entry = fields["level"], let level: LogLevel = choice(entry.value, at: entry.path, noun: "log level") {
            log.level = level
        }
        if let entry = fields["format"],
           let format: LogFormat = choice(entry.value, at: entry.path, noun: "log format") {
            log.format = format
        }
        return log
    }

    private mutating func decodeDatapath(_ node: Node, at path: ConfigPath) -> DatapathSettings {
        var datapath = DatapathSettings()
        guard let fields = fields(of: node, at: path, allowing: ["cpus", "idle"]) else { return datapath }
        if let entry = fields["cpus"], let items = list(entry.value, at: entry.path) {
            var cpus = Set<Int>()
            for (index, item) in items.enumerated() {
                if let cpu = integer(item, at: entry.path.appending(index: index), in: Self.cpuRange, noun: "CPU") {
                    cpus.insert(cpu)
                }
            }
            datapath.cpus = cpus.sorted()
        }
        if let entry = fields["idle"],
           let idle: IdleStrategy = choice(entry.value, at: entry.path, noun: "idle strategy") {
            datapath.idle = idle
        }
        return datapath
    }
}
