// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so the main build never resolves ordo-one/benchmark.
// Run: swift package --package-path Benchmarks --scratch-path Benchmarks/.build-bench benchmark
// SwiftPM names a path dependency after its directory, which differs between checkouts
// (main, worktrees, CI clones), so derive it instead of hard-coding it.
let switchyardPackage: String = {
    let components = Context.packageDirectory.split(separator: "/")
    return components.count >= 2 ? String(components[components.count - 2]) : "Switchyard"
}()

let package = Package(
    name: "SwitchyardBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "SwitchCoreBenchmarks",
            dependencies: [
                .product(name: "SwitchCore", package: switchyardPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SwitchCoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DatapathBenchmarks",
            dependencies: [
                "DatapathWorkload",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/DatapathBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // Not benchmarks for the plugin (it takes only targets directly under Benchmarks/):
        // the shared in-process datapath workload, the executable scripts/instructions.sh
        // runs under callgrind, and uplink-bench.
        .target(name: "CBenchSupport", path: "Sources/CBenchSupport"),
        .target(
            name: "DatapathWorkload",
            dependencies: [
                .product(name: "Datapath", package: switchyardPackage),
                .product(name: "SwitchCore", package: switchyardPackage),
                .product(name: "VhostTestFrontEnd", package: switchyardPackage),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/DatapathWorkload",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // Uplink frames/s with 64-byte frames on veth (measurement only; run in release as root).
        .executableTarget(
            name: "uplink-bench",
            dependencies: [
                .product(name: "Uplink", package: switchyardPackage),
                .product(name: "CSwitchyard", package: switchyardPackage),
                .product(name: "GuestMemory", package: switchyardPackage),
                .product(name: "Virtio", package: switchyardPackage),
            ],
            path: "Sources/UplinkBench",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "DatapathInstructions",
            dependencies: ["DatapathWorkload", "CBenchSupport"],
            path: "Sources/DatapathInstructions",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
