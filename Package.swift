// swift-tools-version:6.1
//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import PackageDescription

/// Strictness is set once, here: Swift 6 mode (complete concurrency checking) plus
/// `ExistentialAny` so every existential is spelled `any`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "hyperward",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hyperward", targets: ["hyperward"]),
        .library(name: "HyperwardCore", targets: ["HyperwardCore"]),
        .library(name: "HostAudit", targets: ["HostAudit"]),
        .library(name: "HyperwardStore", targets: ["HyperwardStore"]),
        .library(name: "NetworkPolicy", targets: ["NetworkPolicy"]),
        .library(name: "Sensor", targets: ["Sensor"]),
        .library(name: "KeyManagement", targets: ["KeyManagement"]),
        .library(name: "VMMonitor", targets: ["VMMonitor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // Linux calls Glibc's Swift module does not import: O_TMPFILE, memfd, RENAME_NOREPLACE.
        .target(name: "CHostSupport"),
        .target(
            name: "HyperwardCore",
            dependencies: [
                "CHostSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HostAudit",
            dependencies: [
                "HyperwardCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "NetworkPolicy",
            dependencies: [
                "HyperwardCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HyperwardStore",
            dependencies: [
                "HyperwardCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // CPU hints the sensor's hot loop needs and Swift cannot spell (cache prefetch).
        .target(name: "CSensorSupport"),
        .target(
            name: "Sensor",
            dependencies: ["HyperwardCore", "NetworkPolicy", "CSensorSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // The system's libcrypto, for in-place AES-GCM on large streams (libssl-dev).
        .systemLibrary(name: "COpenSSLCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "KeyManagement",
            dependencies: [
                "HyperwardCore",
                "COpenSSLCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),
        // The system's libvirt, read through its C API (domain statistics for the monitor).
        .systemLibrary(name: "CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),
        .target(
            name: "VMMonitor",
            dependencies: ["HyperwardCore", "CLibvirt", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Test support only: a real-packet lab of network namespaces on a bridge.
        .target(
            name: "NetTestSupport",
            dependencies: ["HyperwardCore"],
            swiftSettings: strictSettings
        ),
        // Test support only: where the external test corpus is, and skipping or failing without it
        // (docs/testing.md).
        .target(
            name: "FixtureSupport",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "hyperward",
            dependencies: [
                "HyperwardCore",
                "HostAudit",
                "HyperwardStore",
                "NetworkPolicy",
                "Sensor",
                "KeyManagement",
                "VMMonitor",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Fuzz targets for the parsers of untrusted files (docs/fuzzing.md). The regular build
        // compiles a small corpus-replay tool; scripts/fuzz.sh builds it with `-D FUZZING` and
        // libFuzzer.
        .executableTarget(
            name: "HyperwardFuzz",
            dependencies: ["HostAudit", "NetworkPolicy", "Sensor", "KeyManagement", "VMMonitor", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "NetBench",
            dependencies: ["NetworkPolicy", "NetTestSupport", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "KeyBench",
            dependencies: ["KeyManagement"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "MonitorBench",
            dependencies: ["VMMonitor"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SenseBench",
            dependencies: ["Sensor"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardCoreTests",
            dependencies: ["HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HostAuditTests",
            dependencies: ["HostAudit", "HyperwardCore", "HyperwardFuzz", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NetworkPolicyTests",
            dependencies: ["NetworkPolicy", "HyperwardCore", "NetTestSupport", "HyperwardFuzz"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SensorTests",
            dependencies: ["Sensor", "HyperwardCore", "NetTestSupport", "HyperwardFuzz", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyManagementTests",
            dependencies: ["KeyManagement", "HyperwardCore", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VMMonitorTests",
            dependencies: ["VMMonitor", "FixtureSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardStoreTests",
            dependencies: ["HyperwardStore", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NetTestSupportTests",
            dependencies: ["NetTestSupport", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardCLITests",
            dependencies: ["HyperwardCore", "HyperwardStore", "KeyManagement", "FixtureSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
