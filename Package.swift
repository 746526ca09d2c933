// swift-tools-version:6.0
import PackageDescription

// Low-level targets that work with raw pointers, fds and threads use the Swift 5 language mode:
// their data is guest memory and kernel objects, whose ownership Sendable cannot describe.
let systemsMode: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        .executable(name: "yardctl", targets: ["yardctl"]),
        .library(name: "SwitchCore", targets: ["SwitchCore"]),
        // For the Benchmarks package (in-process datapath benchmark); not a supported API.
        .library(name: "Datapath", targets: ["Datapath"]),
        .library(name: "VhostUser", targets: ["VhostUser"]),
        .library(name: "VhostTestFrontEnd", targets: ["VhostTestFrontEnd"]),
        // For the Benchmarks package's uplink-bench (AF_PACKET rates on veth); not a supported API.
        .library(name: "Uplink", targets: ["Uplink"]),
        .library(name: "CSwitchyard", targets: ["CSwitchyard"]),
        // For the Fuzz package (libFuzzer targets over the parsers of hostile input); not a supported API.
        .library(name: "LinuxIO", targets: ["LinuxIO"]),
        .library(name: "GuestMemory", targets: ["GuestMemory"]),
        .library(name: "Virtio", targets: ["Virtio"]),
        .library(name: "Offload", targets: ["Offload"]),
        .library(name: "SwitchConfig", targets: ["SwitchConfig"]),
        .library(name: "ControlProtocol", targets: ["ControlProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // The metrics endpoint (docs/metrics.md): Prometheus text from a registry, the endpoint's own
        // counters through the swift-metrics API.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // C shims: only what Swift cannot import (CMSG_* macros, eventfd/memfd/signalfd, C11 atomics).
        .target(name: "CSwitchyard"),
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),

        .target(name: "LinuxIO", dependencies: [
            "CSwitchyard", .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: systemsMode),
        .target(name: "LinkControl", dependencies: ["CNetlink", "LinuxIO"], swiftSettings: systemsMode),
        .target(name: "Capture", dependencies: ["CPcap"], swiftSettings: systemsMode),
        // The EVPN control-plane mirror (docs/evpn-mirror.md): follows the FDB zebra writes on a
        // kernel VXLAN device, writes local MACs into its bridge.
        .target(name: "EVPNMirror", dependencies: ["CNetlink", "LinkControl", "SwitchCore"], swiftSettings: systemsMode),
        .target(name: "Uplink", dependencies: [
            "LinuxIO", "LinkControl", "GuestMemory", "Virtio", "CSwitchyard",
        ], swiftSettings: systemsMode),
        .target(name: "GuestMemory", dependencies: ["LinuxIO", "CSwitchyard"], swiftSettings: systemsMode),
        .target(name: "Virtio", dependencies: ["GuestMemory", "CSwitchyard"], swiftSettings: systemsMode),
        .target(name: "VhostUser", dependencies: [
            "Virtio", "GuestMemory", "LinuxIO", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: systemsMode),
        .target(name: "SwitchCore", swiftSettings: systemsMode),
        // Software checksum / segmentation for peers that did not negotiate an offload.
        .target(name: "Offload", dependencies: ["Virtio"], swiftSettings: systemsMode),
        .target(name: "Datapath", dependencies: [
            "SwitchCore", "VhostUser", "Virtio", "GuestMemory", "LinuxIO", "CSwitchyard", "Offload", "Uplink",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: systemsMode),
        .target(name: "SwitchConfig", dependencies: ["Yams"]),
        .target(name: "ControlProtocol"),
        .target(name: "ControlClient", dependencies: ["ControlProtocol", "LinuxIO"], swiftSettings: systemsMode),
        // The Prometheus endpoint: engine snapshots as series, a non-blocking HTTP/1.x listener.
        .target(name: "MetricsExport", dependencies: [
            "Datapath", "SwitchCore", "LinuxIO",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: systemsMode),
        .target(name: "SwitchyardDaemon", dependencies: [
            "SwitchConfig", "ControlProtocol", "Datapath", "SwitchCore", "LinuxIO", "LinkControl", "MetricsExport", "Capture", "EVPNMirror",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: systemsMode),
        .executableTarget(name: "switchyard", dependencies: [
            "SwitchyardDaemon", "SwitchConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "yardctl", dependencies: [
            "ControlClient", "ControlProtocol", "Capture",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Plays QEMU in-process: memfd guest memory, rings it fills and drains itself. The one
        // driver-side front-end of the tests, the benchmarks and the fuzzers (DriverRing, GuestRAM).
        .target(name: "VhostTestFrontEnd", dependencies: ["LinuxIO", "GuestMemory", "Virtio", "CSwitchyard"],
                swiftSettings: systemsMode),

        // Fixtures shared by several test targets (byte patterns, host tool runner, sockets
        // and thread identities for access tests).
        .target(name: "TestSupport", dependencies: ["GuestMemory", "LinuxIO", "CSwitchyard"], swiftSettings: systemsMode),

        .testTarget(name: "SwitchCoreTests", dependencies: ["SwitchCore"]),
        .testTarget(name: "SwitchConfigTests", dependencies: ["SwitchConfig"]),
        .testTarget(name: "EVPNMirrorTests", dependencies: ["EVPNMirror", "SwitchCore"], swiftSettings: systemsMode),
        .testTarget(name: "LinuxIOTests", dependencies: ["LinuxIO", "CSwitchyard", "TestSupport"], swiftSettings: systemsMode),
        .testTarget(name: "SystemLibraryTests", dependencies: ["LinkControl", "Capture", "TestSupport"], swiftSettings: systemsMode),
        .testTarget(name: "GuestMemoryTests", dependencies: ["GuestMemory", "LinuxIO", "TestSupport", "CSwitchyard", "VhostTestFrontEnd"], swiftSettings: systemsMode),
        .testTarget(name: "OffloadTests", dependencies: ["Offload", "Virtio"], swiftSettings: systemsMode),
        .testTarget(name: "VirtioTests", dependencies: ["Virtio", "GuestMemory", "LinuxIO", "TestSupport", "VhostTestFrontEnd"], swiftSettings: systemsMode),
        .testTarget(name: "VhostUserTests", dependencies: [
            "VhostUser", "VhostTestFrontEnd", "LinuxIO", "Virtio", "TestSupport",
        ], swiftSettings: systemsMode),
        .testTarget(name: "DatapathTests", dependencies: [
            "Datapath", "VhostTestFrontEnd", "SwitchCore", "VhostUser", "LinuxIO", "Virtio", "Offload", "SwitchConfig",
            "TestSupport",
        ], swiftSettings: systemsMode),
        .testTarget(name: "UplinkTests", dependencies: [
            "Uplink", "LinkControl", "LinuxIO", "GuestMemory", "Virtio", "CSwitchyard", "TestSupport", "SwitchCore",
        ], swiftSettings: systemsMode),
        .testTarget(name: "MetricsExportTests", dependencies: [
            "MetricsExport", "Datapath", "SwitchCore", "LinuxIO", "TestSupport",
            .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: systemsMode),
        .testTarget(name: "DaemonTests", dependencies: ["ControlProtocol", "ControlClient", "LinuxIO", "VhostTestFrontEnd", "TestSupport"],
                    swiftSettings: systemsMode),
    ]
)
