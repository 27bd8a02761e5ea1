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
        .library(name: "HyperwardHost", targets: ["HyperwardHost"]),
        .library(name: "HyperwardLibvirt", targets: ["HyperwardLibvirt"]),
        .library(name: "AdmissionHook", targets: ["AdmissionHook"]),
        .executable(name: "hyperward-hook", targets: ["hyperward-hook"]),
        .library(name: "HostAudit", targets: ["HostAudit"]),
        .library(name: "HyperwardStore", targets: ["HyperwardStore"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "NetworkPolicy", targets: ["NetworkPolicy"]),
        .library(name: "Sensor", targets: ["Sensor"]),
        .library(name: "KeyManagement", targets: ["KeyManagement"]),
        .library(name: "VMMonitor", targets: ["VMMonitor"]),
        .library(name: "Response", targets: ["Response"]),
        .library(name: "HyperwardAgent", targets: ["HyperwardAgent"]),
        .library(name: "Admission", targets: ["Admission"]),
        .library(name: "Attestation", targets: ["Attestation"]),
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
        // The fleet server's HTTPS (Hummingbird 2 on SwiftNIO, TLS through swift-nio-ssl) and the
        // agent's client to it. swift-configuration support is left out: the server reads ours.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Linux calls Glibc's Swift module does not import: O_TMPFILE, memfd, RENAME_NOREPLACE.
        .target(name: "CHostSupport"),
        .target(
            name: "HyperwardCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // The system's libvirt through its C API (domains, their XML and lifecycle events, and
        // the monitor's statistics).
        .systemLibrary(name: "CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),
        // The one OS layer: processes, libvirt, secure files, locks, signals, sysctl, namespaces.
        .target(
            name: "HyperwardHost",
            dependencies: ["HyperwardCore", "CHostSupport"],
            swiftSettings: strictSettings
        ),
        // libvirt through its C API (domains, their XML, lifecycle events, secrets): apart from the
        // rest of the host layer, so a program that needs no libvirt (the admission hook) does not
        // load it and the libraries it pulls in.
        .target(
            name: "HyperwardLibvirt",
            dependencies: ["HyperwardHost", "HyperwardCore", "CLibvirt"],
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
                "HyperwardHost",
                "HyperwardLibvirt",
                "HyperwardCore",
                // A domain admitted under a template joins the security groups its metadata names.
                "Admission",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // SHA-256 for the ledger's millions of leaves and nodes: the system libcrypto's one-shot,
        // with its state on the stack (libssl-dev).
        .target(name: "CLedgerSupport", linkerSettings: [.linkedLibrary("crypto")]),
        // The tamper-evident ledger: RFC 9162 Merkle hashing and proofs, canonical JSON of events,
        // signed checkpoints (C2SP tlog-checkpoint, signed-note) and a witness's rules.
        .target(
            name: "Ledger",
            dependencies: [
                "HyperwardCore",
                "CLedgerSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HyperwardStore",
            dependencies: [
                "HyperwardCore",
                "HyperwardHost",
                "CHostSupport",
                "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, to read millions of ledger rows without building GRDB rows.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
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
                "HyperwardHost",
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
        .target(
            name: "VMMonitor",
            dependencies: ["HyperwardHost", "HyperwardLibvirt", "HyperwardCore", "CLibvirt", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Incident response: quarantine, evidence, release, golden snapshots and restore.
        .target(
            name: "Response",
            dependencies: [
                "HyperwardCore", "HyperwardHost", "HyperwardLibvirt", "HyperwardStore", "NetworkPolicy",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Admission control: security templates, tenants and roles, and the judge of domain XML.
        .target(
            name: "Admission",
            dependencies: [
                "HyperwardCore",
                "HyperwardHost",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // Measured boot: TCG PC Client event logs and IMA logs parsed and replayed to PCR values.
        // Pure: bytes in, values out.
        .target(
            name: "Attestation",
            dependencies: [
                "HyperwardCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // The fleet server: enrolled hosts, one-time enrollment tokens, pushed events (SQLite
        // through GRDB) and the HTTPS API that serves them (Hummingbird, mutual TLS).
        .target(
            name: "FleetServer",
            dependencies: [
                "HyperwardCore",
                "KeyManagement",
                "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The agent's side of the fleet: enrollment (its key, a CSR, the server's CA pinned by
        // fingerprint) and pushing the store's events over mutual TLS (an HTTP/1.1 client on SwiftNIO).
        .target(
            name: "FleetClient",
            dependencies: [
                "HyperwardCore", "HyperwardHost", "HyperwardStore", "Ledger", "KeyManagement",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The host daemon's services in one ServiceGroup, and the operations the command line and
        // the agent share (audit runs, keystore operations, encrypted disks and VM starts, sensor runs).
        .target(
            name: "HyperwardAgent",
            dependencies: [
                "HyperwardCore", "HyperwardHost", "HyperwardStore", "HostAudit", "NetworkPolicy", "Sensor",
                "KeyManagement", "VMMonitor", "Response", "Ledger", "Admission", "AdmissionHook", "HyperwardLibvirt", "Attestation",
                "FleetClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Test support only: a real-packet lab of network namespaces on a bridge.
        .target(
            name: "NetTestSupport",
            dependencies: ["HyperwardHost", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        // Test support only: where the external test corpus is, and skipping or failing without it
        // (docs/testing.md).
        .target(
            name: "FixtureSupport",
            swiftSettings: strictSettings
        ),
        // The libvirt hook's decision (judge, record, fail closed, break-glass): Admission and the
        // store, no libvirt, so the hook process starts fast.
        .target(
            name: "AdmissionHook",
            dependencies: [
                "Admission", "HyperwardStore", "HyperwardHost", "HyperwardCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The program /etc/libvirt/hooks/qemu runs (docs/governance.md).
        .executableTarget(
            name: "hyperward-hook",
            dependencies: ["AdmissionHook", "HyperwardHost", "HyperwardCore"],
            // Release builds link it with `--static-swift-stdlib` (scripts/install.sh): libvirt waits
            // for this process on every start, and resolving shared libraries' symbols was half its time.
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "hyperward",
            dependencies: [
                "FleetServer",
                "FleetClient",
                "HyperwardHost",
                "HyperwardCore",
                "HostAudit",
                "HyperwardStore",
                "NetworkPolicy",
                "Sensor",
                "KeyManagement",
                "VMMonitor",
                "Response",
                "HyperwardAgent",
                "HyperwardLibvirt",
                "Ledger",
                "Admission",
                "AdmissionHook",
                "Attestation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Fuzz targets for the parsers of untrusted files (docs/fuzzing.md). The regular build
        // compiles a small corpus-replay tool; scripts/fuzz.sh builds it with `-D FUZZING` and
        // libFuzzer.
        .executableTarget(
            name: "HyperwardFuzz",
            dependencies: ["HyperwardHost", "HostAudit", "NetworkPolicy", "Sensor", "KeyManagement", "VMMonitor", "Admission", "Attestation", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "NetBench",
            dependencies: ["HyperwardHost", "NetworkPolicy", "NetTestSupport", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        // Admission judge timing over generated domains; its generator also feeds the corpus test.
        .executableTarget(
            name: "AdmissionBench",
            dependencies: ["Admission", "HyperwardHost", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "KeyBench",
            dependencies: ["HyperwardHost", "KeyManagement"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "MonitorBench",
            dependencies: ["HyperwardHost", "VMMonitor"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "LedgerBench",
            dependencies: ["HyperwardCore", "HyperwardStore", "Ledger", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Event log parse and replay timing on a ~1 MiB log built from a real one (benchmarks/attest-log.sh).
        .executableTarget(
            name: "AttestationBench",
            dependencies: ["Attestation", "HyperwardCore", "HyperwardHost", "FixtureSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The fleet server under 1,000 simulated agents, and its dashboard on 1,000,000 events
        // (benchmarks/fleet-load.sh).
        .executableTarget(
            name: "FleetBench",
            dependencies: [
                "FleetClient", "FleetServer", "KeyManagement", "HyperwardCore", "HyperwardHost",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SenseBench",
            dependencies: ["HyperwardHost", "Sensor"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardCoreTests",
            dependencies: ["HyperwardHost", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HostAuditTests",
            dependencies: ["HostAudit", "HyperwardCore", "HyperwardHost", "HyperwardFuzz", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NetworkPolicyTests",
            dependencies: ["HyperwardHost", "NetworkPolicy", "Admission", "HyperwardCore", "NetTestSupport", "HyperwardFuzz"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SensorTests",
            dependencies: ["HyperwardHost", "Sensor", "HyperwardCore", "NetTestSupport", "HyperwardFuzz", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeyManagementTests",
            dependencies: ["HyperwardHost", "KeyManagement", "HyperwardCore", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VMMonitorTests",
            dependencies: ["VMMonitor", "HyperwardHost", "FixtureSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "HyperwardCore", "FixtureSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AdmissionTests",
            dependencies: ["Admission", "AdmissionBench", "HyperwardHost", "HyperwardLibvirt", "HyperwardCore", "NetworkPolicy", "HyperwardFuzz", "FixtureSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FleetServerTests",
            dependencies: ["FleetServer", "FleetClient", "KeyManagement", "HyperwardCore", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AttestationTests",
            dependencies: ["Attestation", "HyperwardCore", "HyperwardFuzz", "FixtureSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardStoreTests",
            dependencies: ["HyperwardStore", "HyperwardCore", "HyperwardHost", "Ledger", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NetTestSupportTests",
            dependencies: ["HyperwardHost", "NetTestSupport", "HyperwardCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ResponseTests",
            dependencies: ["Response", "HyperwardCore", "HyperwardHost", "HyperwardLibvirt"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardAgentTests",
            dependencies: [
                "AdmissionHook", "HyperwardLibvirt",
                "HyperwardAgent", "HyperwardCore", "HyperwardHost", "HyperwardStore", "KeyManagement", "Admission",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HyperwardCLITests",
            dependencies: ["HyperwardHost", "HyperwardLibvirt", "HyperwardCore", "HyperwardStore", "KeyManagement", "VMMonitor", "Response", "NetworkPolicy", "FixtureSupport", "Ledger", "Attestation", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
