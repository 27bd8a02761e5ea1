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
import HyperwardStore
import Testing

extension LibvirtGuestTests {
/// The agent's admission watch on the system's real libvirtd: a domain defined by hand (never
/// started) with raw QEMU arguments is recorded as defined outside the templates, and with
/// `admission.undefine_unadmitted` it is undefined again; the policy's hash is recorded when the
/// agent starts. (In the serialized guest suite: the agent watches every domain on the host.)
@Suite("Admission watch of the agent on real libvirt", .serialized)
struct AdmissionWatchGuestTests {
    static let policy = """
        templates:
          tiny:
            machine: [pc, "pc-i440fx-*"]
            domain_types: [kvm, qemu]
            max_vcpus: 1
            max_memory_mib: 512
            disks: { pools: [/var/lib/libvirt/images], formats: [qcow2], encryption: optional }
            networks: [default]
            console: { graphics: none, serial: pty-only }
        tenants:
          lab:
            templates: [tiny]

        """

    /// An agent with its configuration in a scratch directory; stopped by `stop()`.
    struct RunningAgent {
        let scratch = Scratch()
        var state: String { scratch.path + "/state" }
        var policy: String { scratch.path + "/policy.yaml" }
        var log: String { scratch.path + "/agent.log" }
        let child: HostChild

        init(undefineUnadmitted: Bool) throws {
            scratch.write("policy.yaml", AdmissionWatchGuestTests.policy)
            let config = scratch.write("hyperward.yaml", """
                state_directory: \(scratch.path)/state
                admission:
                  policy: policy.yaml
                  undefine_unadmitted: \(undefineUnadmitted)

                """)
            child = try HostChild([CLI.binary, "agent", "--config", config, "--interval", "3600"],
                                  stdout: HostChild.nullDevice, stderr: URL(fileURLWithPath: scratch.path + "/agent.log"))
        }

        func stop() {
            child.signal(SIGTERM)
            if child.wait(timeout: .seconds(20)) == nil {
                child.signal(SIGKILL)
                _ = child.wait()
            }
        }

        func events(_ prefix: String) -> [Event] {
            guard FileManager.default.fileExists(atPath: state + "/" + StateStore.fileName) else { return [] }
            return (try? StateStore(stateDirectory: state).events(kindPrefix: prefix, limit: 10_000)) ?? []
        }

        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    static func virsh(_ arguments: String) throws -> CLI.Result { try CLI.shell("virsh -c qemu:///system \(arguments) 2>&1") }

    /// A domain with raw QEMU arguments, defined (never started) by hand.
    static func defineForbidden(_ name: String, in scratch: Scratch) throws -> CLI.Result {
        let xml = scratch.write("\(name).xml", """
            <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
              <name>\(name)</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices><serial type='pty'/><console type='pty'/></devices>
              <qemu:commandline><qemu:arg value='-s'/></qemu:commandline>
            </domain>
            """)
        return try virsh("define \(xml)")
    }

    static func isDefined(_ name: String) throws -> Bool { try virsh("dominfo \(name)").status == 0 }

    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd"),
          .timeLimit(.minutes(2)))
    func aDomainDefinedOutsideTheTemplatesIsRecordedAndThePolicyHashAtStart() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd is not usable")
        let name = "hw-watch-\(UInt16.random(in: 0...UInt16.max))"
        let agent = try RunningAgent(undefineUnadmitted: false)
        defer {
            _ = try? Self.virsh("undefine \(name)")
            agent.stop()
        }
        // The policy's hash is recorded at start, the same as sha256sum's.
        let sha256 = String(HostCommand.run(["/usr/bin/sha256sum", agent.policy]).stdout.prefix(64))
        #expect(try await AgentNetworkSyncTests.poll(seconds: 15) { !agent.events("policy.changed").isEmpty }, "\(agent.logText)")
        let changed = try #require(agent.events("policy.changed").first)
        #expect(changed.evidence.contains { $0.kind == "policy_sha256" && $0.value == sha256 }, "\(changed.evidence)")
        #expect(changed.evidence.contains { $0.kind == "previous_sha256" && $0.value == "none" })
        // The watch is up when it says so (events before that are not seen).
        #expect(try await AgentNetworkSyncTests.poll(seconds: 15) { agent.logText.contains("admission watch started") }, "\(agent.logText)")

        let defined = try Self.defineForbidden(name, in: agent.scratch)
        #expect(defined.status == 0, "\(defined.stdout)")
        #expect(try await AgentNetworkSyncTests.poll(seconds: 15) { agent.events("admission.defined_outside").contains { $0.vm == name } },
                "\(agent.logText)")
        let event = try #require(agent.events("admission.defined_outside").first { $0.vm == name })
        #expect(event.severity == .high && event.subject == name)
        #expect(event.summary.contains("qemu.commandline"), "\(event.summary)")
        #expect(event.evidence.contains { $0.kind == "violation:qemu.commandline" })
        #expect(event.evidence.contains { $0.kind == "policy_sha256" && $0.value == sha256 })
        #expect(try Self.isDefined(name), "without undefine_unadmitted the domain stays")
        #expect(agent.events("admission.undefined").isEmpty)
    }

    @Test(.enabled(if: AgentNetworkSyncTests.libvirtUsable || AgentNetworkSyncTests.required, "needs root and libvirtd"),
          .timeLimit(.minutes(2)))
    func withUndefineUnadmittedTheDomainIsUndefinedAgain() async throws {
        try #require(AgentNetworkSyncTests.libvirtUsable, "libvirtd is not usable")
        let name = "hw-watch-\(UInt16.random(in: 0...UInt16.max))"
        let agent = try RunningAgent(undefineUnadmitted: true)
        defer {
            _ = try? Self.virsh("undefine \(name)")
            agent.stop()
        }
        #expect(try await AgentNetworkSyncTests.poll(seconds: 15) { agent.logText.contains("admission watch started") }, "\(agent.logText)")
        let defined = try Self.defineForbidden(name, in: agent.scratch)
        #expect(defined.status == 0, "\(defined.stdout)")
        #expect(try await AgentNetworkSyncTests.poll(seconds: 15) { agent.events("admission.undefined").contains { $0.vm == name } },
                "\(agent.logText)")
        #expect(try !Self.isDefined(name), "the domain is gone from libvirt")
        let kinds = agent.events("admission.").filter { $0.vm == name }.map(\.kind)
        #expect(kinds == ["admission.defined_outside", "admission.undefined"])
    }
}
}
