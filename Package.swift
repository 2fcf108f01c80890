// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "deployer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "deployer", targets: ["DeployerCLI"]),
        .executable(name: "deployer-lab", targets: ["deployer-lab"]),
        .library(name: "Deployer", targets: ["Deployer"]),
        .library(name: "Manifests", targets: ["Manifests"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.0"),
    ],
    targets: [
        .target(
            name: "Manifests",
            dependencies: [.product(name: "Yams", package: "Yams"), "JSONDocument"],
            swiftSettings: strict
        ),
        .target(
            name: "Deployer",
            dependencies: ["Manifests"],
            swiftSettings: strict
        ),
        .target(
            name: "HAProxy",
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSSL",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "Digests",
            dependencies: ["CCrypto"],
            swiftSettings: strict
        ),
        .target(
            name: "Providers",
            dependencies: ["Deployer", "Manifests", "HAProxy", "CLibSSH2", "CSSL", "Digests", "JSONDocument"],
            swiftSettings: strict
        ),
        // JSON kept as data, as ARM documents round-trip (the Azure provider and the ARM simulator).
        .target(
            name: "JSONDocument",
            swiftSettings: strict
        ),
        // What the test labs and the benchmarks share: child processes, loopback ports, a throwaway sshd.
        .target(
            name: "LabSupport",
            swiftSettings: strict
        ),
        .target(
            name: "AzureSimulator",
            dependencies: [
                "Digests", "JSONDocument", "CSSL",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "DeployerCLI",
            dependencies: [
                "Deployer", "Manifests", "Providers", "HAProxy", "AzureSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "deployer-bench",
            dependencies: ["Deployer", "Manifests", "Providers", "LabSupport"],
            path: "Benchmarks/deployer-bench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "deployer-lab",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/deployer-lab",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "deployer-bench-haproxy",
            dependencies: ["Deployer", "Manifests", "Providers", "HAProxy", "AzureSimulator", "LabSupport"],
            path: "Benchmarks/deployer-bench-haproxy",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "deployer-bench-azure",
            dependencies: ["Deployer", "Manifests", "Providers", "AzureSimulator"],
            path: "Benchmarks/deployer-bench-azure",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "deployer-bench-manifests",
            dependencies: ["Manifests", "LabSupport"],
            path: "Benchmarks/deployer-bench-manifests",
            exclude: ["requirements.txt"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ManifestsTests",
            dependencies: ["Manifests"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DeployerTests",
            dependencies: ["Deployer", "Manifests", "Providers", "JSONDocument"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HAProxyTests",
            dependencies: ["HAProxy"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AzureSimulatorTests",
            dependencies: ["AzureSimulator", "JSONDocument"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Deployer", "Manifests", "Providers", "HAProxy", "AzureSimulator", "LabSupport", "JSONDocument"],
            swiftSettings: strict
        ),
    ]
)
