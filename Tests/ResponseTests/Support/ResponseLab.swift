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

import Foundation
import HyperwardCore
import HyperwardHost
import Testing

@testable import Response

/// A host for the responder without a guest: a `FakeHost` and a private directory holding the
/// state directory (real case files, locks and atomic replaces) and the VM's disk images.
final class ResponseLab: @unchecked Sendable {
    static let vm = "web-1"
    static let uuid = "8d5c1f0e-31a4-4c55-9b7e-0c6a1c2f3d4e"
    static let mac = "52:54:00:aa:bb:01"
    static let tap = "vnet7"
    static let address = "192.168.122.50"
    /// 2026-11-29T09:02:30Z: every run of a lab sees this time unless told otherwise.
    static let time = Date(timeIntervalSince1970: 1_795_942_950)
    static let id = ResponseNames.id(at: time)

    let root: String
    let host = FakeHost()
    var lines: [String] = []

    var state: String { root + "/state" }
    var images: String { root + "/images" }
    var caseDirectory: String { "\(state)/response/\(Self.vm)" }
    var caseFile: String { caseDirectory + "/case.json" }

    /// A lab whose VM runs (or is stopped), with a bridged NIC and `disks` file-backed disks.
    init(running: Bool = true, disks: Int = 1) throws {
        root = FileManager.default.temporaryDirectory.path + "/hw-response-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        var domainDisks: [FakeHost.Disk] = []
        for (index, target) in ["vda", "vdb", "vdc"].prefix(disks).enumerated() {
            let format = index == 0 ? "qcow2" : "raw"
            let path = "\(images)/\(target == "vda" ? "web" : "web-\(target)").\(format == "qcow2" ? "qcow2" : "img")"
            try Data("disk \(target) as the VM wrote it\n".utf8).write(to: URL(fileURLWithPath: path))
            domainDisks.append(FakeHost.Disk(target: target, source: path, format: format))
        }
        host.domains = [Self.vm: FakeHost.Domain(
            name: Self.vm, uuid: Self.uuid, state: running ? .running : .shutOff,
            interfaces: [FakeHost.Interface(mac: Self.mac, tap: Self.tap, network: "default")],
            disks: domainDisks, leases: [Self.address])]
        host.neighbours = [Self.mac: [Self.address]]
        host.conntrack = [Self.address: 3]
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// A responder on this lab; every line it says is kept in `lines`.
    func responder(dryRun: Bool = false, namespace: String? = nil, now: Date = ResponseLab.time) -> Responder {
        let effects = ResponseEffects(domains: host, quarantineSet: host, connections: host, images: host, files: host, events: host,
                                      now: { now })
        return Responder(vm: Self.vm, stateDirectory: state, dryRun: dryRun, namespace: namespace, effects: effects,
                         say: { [weak self] line in self?.lines.append(line) })
    }

    /// The case on disk.
    func record() throws -> ResponseCase {
        try JSONDecoder().decode(ResponseCase.self, from: Data(contentsOf: URL(fileURLWithPath: caseFile)))
    }

    /// The VM as libvirt holds it.
    var domain: FakeHost.Domain { host.domains[Self.vm]! }

    /// Drives `machine` with the responder's own executor and this lab's host, without saving:
    /// the actions it asked for, in order.
    func actions<Machine: ResponseStateMachine>(of machine: inout Machine, now: Date = ResponseLab.time) throws -> [ResponseAction] {
        try FileManager.default.createDirectory(atPath: caseDirectory, withIntermediateDirectories: true)
        let responder = responder()
        let effects = ResponseEffects(domains: host, quarantineSet: host, connections: host, images: host, files: host, events: host,
                                      now: { now })
        var actions: [ResponseAction] = []
        while true {
            let action = try machine.nextAction(now: now)
            if action == .finished { return actions }
            actions.append(action)
            try machine.actionCompleted(responder.execute(action, through: effects, record: machine.record))
        }
    }

    /// Everything a run leaves: libvirt's domain, the quarantine sets, conntrack, every file
    /// under the lab (mode and content hash; the case file is compared as a record instead),
    /// and the case with its step lines reduced to their kinds (a resumed step may word its
    /// counts differently).
    struct Outcome: Equatable, CustomStringConvertible {
        var domain: String
        var macs: [String]
        var ports: [String]
        var conntrack: [String: Int]
        var files: [String: String]
        var record: ResponseCase?
        var eventKinds: Set<String>

        var description: String {
            "domain \(domain)\nmacs \(macs) ports \(ports) conntrack \(conntrack)\nfiles \(files.sorted { $0.key < $1.key })\nevents \(eventKinds.sorted())\nrecord \(String(describing: record))"
        }
    }

    func outcome() throws -> Outcome {
        let domain = self.domain
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, !relative.hasSuffix("case.json") else { continue }
            files[relative] = String(st.st_mode & 0o777, radix: 8) + " " + (try LocalEvidenceFiles().sha256(of: path).digest.prefix(16))
        }
        var record: ResponseCase?
        if FileManager.default.fileExists(atPath: caseFile) {
            // Paths relative to the lab, so that two labs compare.
            let text = try String(contentsOfFile: caseFile, encoding: .utf8).replacingOccurrences(of: root, with: "")
            var decoded = try JSONDecoder().decode(ResponseCase.self, from: Data(text.utf8))
            decoded.events = decoded.events.map { line in String(line.split(separator: " ").dropFirst().first ?? "") }
            record = decoded
        }
        return Outcome(domain: "\(domain.state.rawValue) \(domain.disks.map { "\($0.target)=\($0.source.replacingOccurrences(of: root, with: "")):\($0.format)" })",
                       macs: host.quarantinedMACs.sorted(), ports: host.quarantinedPorts.sorted(), conntrack: host.conntrack,
                       files: files, record: record, eventKinds: Set(host.events.map(\.kind)))
    }
}

extension ResponseLab {
    /// The non-idempotent changes that took effect, with paths relative to the lab.
    var nonIdempotentChanges: [String] { nonIdempotent(host.performed.map { $0.replacingOccurrences(of: root, with: "") }) }
}

/// The changes that must never happen twice for one run's worth of work: libvirt's lifecycle
/// changes, definitions, dumps, snapshots and overlays.
func nonIdempotent(_ calls: [String]) -> [String] {
    calls.filter { call in
        ["suspend", "resume", "destroy", "start", "define", "dumpMemory", "snapshotDisks", "createOverlay"].contains {
            call == $0 || call.hasPrefix($0 + " ")
        }
    }.sorted()
}
