import Yams

extension ConfigurationDecoder {
    /// `switch.metrics: { listen: "127.0.0.1:9469" }` (docs/metrics.md).
    mutating func decodeMetrics(_ node: Node, at path: ConfigPath) -> MetricsSettings? {
        guard let fields = fields(of: node, at: path, allowing: ["listen"]) else { return nil }
        guard let entry = fields["listen"] else {
            if let present = fields.rawEntry("listen") {
                report(.missingKey, at: present.value, path.appending("listen"), "'listen' needs a value")
            } else {
                report(.missingKey, at: node, path.appending("listen"),
                       "missing required key 'listen' (ADDRESS:PORT, e.g. 127.0.0.1:9469)")
            }
            return nil
        }
        guard let text = string(entry.value, at: entry.path) else { return nil }
        switch ListenAddressParser.parse(text) {
        case .success(let address):
            return MetricsSettings(listen: address)
        case .failure(.port(let why)):
            report(.outOfRange, at: entry.value, entry.path, why)
        case .failure(.host(let why)), .failure(.form(let why)):
            report(.invalidValue, at: entry.value, entry.path, why)
        }
        return nil
    }
}
