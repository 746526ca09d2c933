import Datapath
import Prometheus
import SwitchCore

/// One port's series, labelled `port="NAME"` (docs/metrics.md lists them). Created when the port
/// first shows in a snapshot, unregistered when it leaves the port table.
final class PortSeries {
    let name: String
    let type: String
    private var counters: [Counter] = []
    private var gauges: [Gauge] = []
    private let registry: PrometheusCollectorRegistry

    private let rxFrames, rxBytes, txFrames, txBytes, forwarded, flooded, rxDropped, txDropped, faults: Counter
    private let refused: Counter?
    private let queuePairs, enabledQueuePairs, up, mtu, fdbEntries: Gauge
    /// One 0/1 series per state this kind of port can be in (a Prometheus state set).
    private var states: [(name: String, gauge: Gauge)] = []
    /// vhost-user ports: 1 for the fault that has the port broken now, 0 for the others.
    private var faultNow: [(fault: PortFault, gauge: Gauge)] = []
    /// Drop reasons by direction, made at a reason's first drop: 22 reasons × 2 directions of
    /// zeros per port would drown the few that happen. The per-direction totals are always there.
    private var drops: [DropKey: Counter] = [:]

    private struct DropKey: Hashable {
        let transmit: Bool
        let reason: DropReason
    }

    static func typeName(_ kind: PortSpecification.Kind) -> String {
        switch kind {
        case .vhostUser: "vhost-user"
        case .uplink: "uplink"
        case .tap: "tap"
        case .vxlan: "vxlan"
        }
    }

    /// The states a port of `type` goes through, as `switchyard_port_state`'s `state` label.
    static func stateNames(type: String) -> [String] {
        type == "vhost-user" ? ["listening", "connecting", "connected", "running", "broken", "down"]
            : ["up", "link-down", "no-such-interface", "detached", "failed", "down"]
    }

    /// A state's label value: the wire name without its detail (`broken (ring-broken)` → `broken`).
    static func stateName(_ state: PortOperationalState) -> String {
        switch state {
        case .broken: "broken"
        case .failed: "failed"
        default: state.description
        }
    }

    init(name: String, type: String, registry: PrometheusCollectorRegistry) {
        self.name = name
        self.type = type
        self.registry = registry
        let port = [("port", name)]
        var counters: [Counter] = []
        var gauges: [Gauge] = []
        func counter(_ metric: String, _ help: String) -> Counter {
            let c = registry.makeCounter(name: metric, labels: port, help: help)
            counters.append(c)
            return c
        }
        func gauge(_ metric: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
            let g = registry.makeGauge(name: metric, labels: port + labels, help: help)
            gauges.append(g)
            return g
        }
        gauge("switchyard_port_info", "1 for every port, with its type.", labels: [("type", type)]).set(Int64(1))
        rxFrames = counter("switchyard_port_rx_frames_total", "Frames the switch received from the port (sent by its guest or host side).")
        rxBytes = counter("switchyard_port_rx_bytes_total", "Bytes of those frames.")
        txFrames = counter("switchyard_port_tx_frames_total", "Frames the switch delivered to the port.")
        txBytes = counter("switchyard_port_tx_bytes_total", "Bytes of those frames.")
        forwarded = counter("switchyard_port_forwarded_frames_total", "Received frames sent to one learned port.")
        flooded = counter("switchyard_port_flooded_frames_total", "Received frames flooded within their VLAN (counted once).")
        rxDropped = counter("switchyard_port_rx_dropped_frames_total", "Received frames dropped, all reasons.")
        txDropped = counter("switchyard_port_tx_dropped_frames_total", "Copies towards the port not delivered, all reasons.")
        faults = counter("switchyard_port_faults_total", "Times the port was broken by its front-end (docs/port-faults.md).")
        queuePairs = gauge("switchyard_port_queue_pairs_configured", "Queue pairs configured (queues:); 0 for uplink and tap ports.")
        enabledQueuePairs = gauge("switchyard_port_queue_pairs_enabled", "Queue pairs the front-end has enabled now.")
        up = gauge("switchyard_port_up", "1 while the switching core forwards to and from the port.")
        mtu = gauge("switchyard_port_mtu", "The MTU in force on the port.")
        fdbEntries = gauge("switchyard_port_fdb_entries", "MAC table entries pointing at the port.")
        var states: [(name: String, gauge: Gauge)] = []
        var faultNow: [(fault: PortFault, gauge: Gauge)] = []
        for state in PortSeries.stateNames(type: type) {
            states.append((state, gauge("switchyard_port_state", "1 for the state the port is in, 0 for the others.",
                                        labels: [("state", state)])))
        }
        if type == "vhost-user" {
            refused = counter("switchyard_port_refused_connections_total",
                              "Connections refused by allowed-uids since the port was added.")
            for fault in PortFault.allCases {
                faultNow.append((fault, gauge("switchyard_port_fault", "1 for the fault that has the port broken now.",
                                              labels: [("fault", fault.name)])))
            }
        } else {
            refused = nil
        }
        self.states = states
        self.faultNow = faultNow
        self.counters = counters
        self.gauges = gauges
    }

    func update(_ port: EngineSnapshot.Port) {
        let c = port.counters
        let rt = port.runtime
        rxFrames.set(c.receivedFrames)
        rxBytes.set(c.receivedBytes)
        txFrames.set(c.transmittedFrames)
        txBytes.set(c.transmittedBytes)
        forwarded.set(c.forwarded)
        flooded.set(c.flooded)
        rxDropped.set(c.totalReceiveDrops)
        txDropped.set(c.totalTransmitDrops)
        faults.set(rt.faults)
        refused?.set(UInt64(max(0, rt.refusedConnections)))
        if case .vhostUser(_, _, let pairs) = rt.spec.kind {
            queuePairs.set(Int64(pairs))
        } else {
            queuePairs.set(Int64(0))
        }
        enabledQueuePairs.set(Int64(rt.enabledQueuePairs))
        up.set(Int64(port.isUp ? 1 : 0))
        mtu.set(Int64(rt.mtu))
        fdbEntries.set(Int64(port.fdbEntryCount))

        let current = PortSeries.stateName(rt.state)
        if !states.contains(where: { $0.name == current }) {
            // A state this kind was not expected to reach: shown all the same.
            let g = registry.makeGauge(name: "switchyard_port_state", labels: [("port", name), ("state", current)],
                                       help: "1 for the state the port is in, 0 for the others.")
            gauges.append(g)
            states.append((current, g))
        }
        for (state, gauge) in states { gauge.set(Int64(state == current ? 1 : 0)) }
        var brokenBy: PortFault?
        if case .broken(let fault) = rt.state { brokenBy = fault }
        for (fault, gauge) in faultNow { gauge.set(Int64(fault == brokenBy ? 1 : 0)) }

        for reason in DropReason.allCases {
            updateDrop(DropKey(transmit: false, reason: reason), c.receiveDrops(reason))
            updateDrop(DropKey(transmit: true, reason: reason), c.transmitDrops(reason))
        }
    }

    private func updateDrop(_ key: DropKey, _ value: UInt64) {
        if let counter = drops[key] {
            counter.set(value)
            return
        }
        guard value > 0 else { return }
        let counter = registry.makeCounter(
            name: "switchyard_port_dropped_frames_total",
            labels: [("port", name), ("direction", key.transmit ? "tx" : "rx"), ("reason", key.reason.name)],
            help: "Frames dropped by reason; a series appears at its reason's first drop on the port.")
        counters.append(counter)
        drops[key] = counter
        counter.set(value)
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        for c in counters { registry.unregisterCounter(c) }
        for g in gauges { registry.unregisterGauge(g) }
        counters = []
        gauges = []
        drops = [:]
    }
}
