// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets over the code that parses hostile input, in their own package so the product
// build never carries sanitizer flags or fuzz-only targets. Build and run with Fuzz/run.sh
// (docs/fuzzing.md): every target is built with -sanitize=fuzzer,address and runs libFuzzer's driver from its main.swift.
// SwiftPM names a path dependency after its directory, which differs between checkouts
// (main, worktrees, CI clones), so derive it instead of hard-coding it.
let switchyardPackage: String = {
    let components = Context.packageDirectory.split(separator: "/")
    return components.count >= 2 ? String(components[components.count - 2]) : "Switchyard"
}()

func product(_ name: String) -> Target.Dependency { .product(name: name, package: switchyardPackage) }

let systemsMode: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "SwitchyardFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        // libFuzzer's driver entry, and the cursor over the fuzzer's bytes every target reads with.
        .target(name: "CFuzzDriver", path: "Sources/CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"],
                path: "Sources/FuzzSupport", swiftSettings: systemsMode),
        .executableTarget(name: "fuzz-vhost-user", dependencies: [
            "FuzzSupport", product("VhostUser"), product("LinuxIO"), product("GuestMemory"), product("Virtio"),
        ], path: "Sources/VhostUserFuzz", swiftSettings: systemsMode),
        .executableTarget(name: "fuzz-split-queue", dependencies: [
            "FuzzSupport", product("Virtio"), product("GuestMemory"), product("VhostTestFrontEnd"),
        ], path: "Sources/SplitQueueFuzz", swiftSettings: systemsMode),
        .executableTarget(name: "fuzz-offload", dependencies: [
            "FuzzSupport", product("Offload"), product("Virtio"),
        ], path: "Sources/OffloadFuzz", swiftSettings: systemsMode),
        .executableTarget(name: "fuzz-vlan", dependencies: [
            "FuzzSupport", product("SwitchCore"),
        ], path: "Sources/VLANFuzz", swiftSettings: systemsMode),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", product("SwitchConfig")],
                          path: "Sources/ConfigFuzz", swiftSettings: systemsMode),
        .executableTarget(name: "fuzz-control", dependencies: [
            "FuzzSupport", product("ControlProtocol"), product("SwitchCore"),
        ], path: "Sources/ControlFuzz", swiftSettings: systemsMode),
    ]
)
