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

/// `hyperward admit` (check, hook, install-hook, uninstall-hook) and the refusals of `vm create`,
/// through the built binary: exit codes, text and JSON output, and the events left in the store.
/// Nothing here touches libvirt or /etc/libvirt: the hook directory is a scratch one, and the
/// refused `vm create`s stop before connecting.
@Suite("hyperward admit and vm create refusals", .serialized)
struct AdmitCLITests {
    static let policy = """
        templates:
          tiny:
            machine: [pc, "pc-i440fx-*"]
            domain_types: [kvm, qemu]
            max_vcpus: 1
            max_memory_mib: 512
            disks: { pools: [POOL], formats: [qcow2], encryption: optional }
            networks: [default]
            console: { graphics: none, serial: pty-only }
          big:
            machine: [pc]
            domain_types: [qemu]
            max_vcpus: 4
            max_memory_mib: 4096
            disks: { pools: [POOL], formats: [qcow2], encryption: optional }
            console: { graphics: none, serial: pty-only }
        tenants:
          lab:
            templates: [tiny]
            roles: { root: operator }
        roles: { root: admin }

        """

    /// A scratch directory with the policy, a configuration naming it and a state directory.
    struct Lab {
        let scratch = Scratch()
        var config: String { scratch.path + "/hyperward.yaml" }
        var state: String { scratch.path + "/state" }

        init(admission: Bool = true) {
            scratch.write("policy.yaml", AdmitCLITests.policy.replacingOccurrences(of: "POOL", with: scratch.path + "/pool"))
            scratch.write("hyperward.yaml", "state_directory: \(scratch.path)/state\n" + (admission ? "admission:\n  policy: policy.yaml\n" : ""))
        }

        /// Runs `hyperward ARGUMENTS --config CONFIG` (`--config` before a `--`, which ends the options).
        func hyperward(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> CLI.Result {
            let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
            // SUDO_USER emptied unless a test sets it: the caller is then the user running the tests.
            return try CLI.run(Array(arguments[..<end]) + ["--config", config] + arguments[end...], stdin: stdin, environment: ["SUDO_USER": ""].merging(environment) { $1 })
        }

        func events(_ prefix: String) throws -> [Event] {
            guard FileManager.default.fileExists(atPath: state + "/" + StateStore.fileName) else { return [] }
            return try StateStore(stateDirectory: state).events(kindPrefix: prefix, limit: 10_000)
        }
    }

    static func domain(_ name: String, vcpus: Int = 1, extra: String = "") -> String {
        """
        <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>\(name)</name>
          <metadata><hw:admission xmlns:hw='https://hyperward.dev/xmlns/admission/1' template='tiny' tenant='lab'/></metadata>
          <memory unit='MiB'>256</memory><vcpu>\(vcpus)</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
          <cpu mode='host-model'/>
          <devices><serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console></devices>
          \(extra)
        </domain>
        """
    }

    static func denied(_ name: String) -> String {
        domain(name, vcpus: 3, extra: "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline>")
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func anAllowedDomainExitsZeroInTextAndJSON() throws {
        let lab = Lab()
        let file = lab.scratch.write("good.xml", Self.domain("good"))
        let text = try lab.hyperward(["admit", file])
        #expect(text.status == 0, "\(text.stdout) \(text.stderr)")
        #expect(text.stdout.hasPrefix("allowed: domain good (template tiny, tenant lab)"), "\(text.stdout)")
        let checked = try lab.hyperward(["admit", "check", "--format", "json", file])
        #expect(checked.status == 0)
        let decision = try json(checked.stdout)
        #expect(decision["allowed"] as? Bool == true)
        #expect(decision["domain_name"] as? String == "good" && decision["template"] as? String == "tiny" && decision["tenant"] as? String == "lab")
        #expect((decision["violations"] as? [Any])?.isEmpty == true)
        #expect(try lab.events("admission.").isEmpty, "admit check records nothing")
    }

    @Test func aDeniedDomainExitsOneWithEveryViolation() throws {
        let lab = Lab()
        let file = lab.scratch.write("bad.xml", Self.denied("bad"))
        let text = try lab.hyperward(["admit", file])
        #expect(text.status == 1, "\(text.stdout) \(text.stderr)")
        #expect(text.stdout.hasPrefix("denied: domain bad"), "\(text.stdout)")
        #expect(text.stdout.contains("qemu.commandline at /domain/"), "\(text.stdout)")
        let checked = try lab.hyperward(["admit", "--format", "json", file])
        #expect(checked.status == 1)
        let decision = try json(checked.stdout)
        #expect(decision["allowed"] as? Bool == false)
        let violations = try #require(decision["violations"] as? [[String: Any]])
        let rules = Set(violations.compactMap { $0["rule"] as? String })
        #expect(rules.contains("qemu.commandline") && rules.count >= 2, "\(rules)")
        #expect(violations.allSatisfy { ($0["xpath"] as? String)?.hasPrefix("/domain") == true }, "\(violations)")
        // Every violation of the JSON is a line of the text.
        for violation in violations {
            #expect(text.stdout.contains("\(violation["rule"] as? String ?? "?") at \(violation["xpath"] as? String ?? "?")"))
        }
    }

    @Test func withoutAPolicyAdmitIsAConfigurationError() throws {
        let lab = Lab(admission: false)
        let file = lab.scratch.write("good.xml", Self.domain("good"))
        let result = try lab.hyperward(["admit", file])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("admission.policy"), "\(result.stderr)")
    }

    @Test func aMissingFileExits66() throws {
        let lab = Lab()
        let result = try lab.hyperward(["admit", lab.scratch.path + "/absent.xml"])
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr.contains("absent.xml"))
    }

    @Test func aDashReadsStandardInput() throws {
        let lab = Lab()
        let good = try lab.hyperward(["admit", "--format", "json", "-"], stdin: Data(Self.domain("from-stdin").utf8))
        #expect(good.status == 0, "\(good.stderr)")
        #expect(try json(good.stdout)["domain_name"] as? String == "from-stdin")
        let bad = try lab.hyperward(["admit", "-"], stdin: Data(Self.denied("bad-stdin").utf8))
        #expect(bad.status == 1 && bad.stdout.contains("bad-stdin"))
    }

    @Test func theHookLetsEveryCallButPrepareBeginThroughEvenWithoutConfiguration() throws {
        let scratch = Scratch()
        for call in [["started", "begin"], ["reconnect", "begin"], ["release", "end"], ["stopped", "end"]] {
            let result = try CLI.run(["admit", "hook", "--config", scratch.path + "/absent.yaml", "--state-dir", scratch.path + "/state",
                                      "--", "vm1"] + call + ["-"], stdin: Data(Self.denied("vm1").utf8))
            #expect(result.status == 0, "\(call): \(result.stderr)")
        }
        // The same binary does refuse prepare begin with that missing configuration.
        let prepare = try CLI.run(["admit", "hook", "--config", scratch.path + "/absent.yaml", "--state-dir", scratch.path + "/state",
                                   "--", "vm1", "prepare", "begin", "-"], stdin: Data(Self.domain("vm1").utf8))
        #expect(prepare.status == 1 && prepare.stderr.contains("cannot decide"), "\(prepare.stderr)")
    }

    @Test func theHookRefusesADeniedDomainWithTheReasonAndRecordsIt() throws {
        let lab = Lab()
        let refused = try lab.hyperward(["admit", "hook", "--", "bad", "prepare", "begin", "-"], stdin: Data(Self.denied("bad").utf8))
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("domain bad is not admitted") && refused.stderr.contains("qemu.commandline at /domain/"),
                "\(refused.stderr)")
        let allowed = try lab.hyperward(["admit", "hook", "--", "good", "prepare", "begin", "-"], stdin: Data(Self.domain("good").utf8))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let recorded = try lab.events("admission.")
        #expect(recorded.map(\.kind) == ["admission.denied", "admission.allowed"])
        #expect(recorded.map(\.vm) == ["bad", "good"])
    }

    @Test func theHookWithNoInputCannotDecide() throws {
        let lab = Lab()
        let result = try lab.hyperward(["admit", "hook", "--", "vm1", "prepare", "begin", "-"])
        #expect(result.status == 1 && result.stderr.contains("cannot decide"), "\(result.stderr)")
    }

    @Test func installHookAndUninstallHookInAScratchDirectory() throws {
        let lab = Lab()
        let hooks = lab.scratch.path + "/hooks dir"
        let installed = try lab.hyperward(["admit", "install-hook", "--hook-dir", hooks, "--no-reload"])
        #expect(installed.status == 0, "\(installed.stderr)")
        let hook = hooks + "/qemu"
        #expect(LibvirtHook.isOurs(hook))
        let script = try String(contentsOfFile: hook, encoding: .utf8)
        #expect(script.contains("--config \(lab.config)"), "\(script)")
        #expect(FileManager.default.isExecutableFile(atPath: hook))
        // The installed hook itself, run as libvirt runs it, judges the domain.
        let refused = HostCommand.run([hook, "bad", "prepare", "begin", "-"], input: Data(Self.denied("bad").utf8))
        #expect(refused.status == 1 && refused.stderr.contains("qemu.commandline"), "\(refused.stderr)")
        let started = HostCommand.run([hook, "bad", "started", "begin", "-"], input: Data(Self.denied("bad").utf8))
        #expect(started.status == 0)

        let removed = try lab.hyperward(["admit", "uninstall-hook", "--hook-dir", hooks, "--no-reload"])
        #expect(removed.status == 0 && removed.stdout.contains("removed"), "\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: hook))
        let again = try lab.hyperward(["admit", "uninstall-hook", "--hook-dir", hooks, "--no-reload"])
        #expect(again.status == 0 && again.stdout.contains("no hook"))
        let changes = try lab.events("admission.").map(\.kind).filter { $0.hasPrefix("admission.hook") }
        #expect(changes == ["admission.hook_installed", "admission.hook_removed"])
    }

    @Test func installHookRefusesAForeignHookAndUninstallLeavesIt() throws {
        let lab = Lab()
        let hooks = lab.scratch.path + "/hooks"
        let foreign = lab.scratch.write("hooks/qemu", "#!/bin/sh\nexit 0\n")
        let installed = try lab.hyperward(["admit", "install-hook", "--hook-dir", hooks, "--no-reload"])
        #expect(installed.status != 0 && installed.stderr.contains("not Hyperward's hook"), "\(installed.stderr)")
        let removed = try lab.hyperward(["admit", "uninstall-hook", "--hook-dir", hooks, "--no-reload"])
        #expect(removed.status == 69, "\(removed.stderr)")
        #expect(try String(contentsOfFile: foreign, encoding: .utf8) == "#!/bin/sh\nexit 0\n")
    }

    @Test func installHookWithoutAPolicyIsRefused() throws {
        let lab = Lab(admission: false)
        let hooks = lab.scratch.path + "/hooks"
        let result = try lab.hyperward(["admit", "install-hook", "--hook-dir", hooks, "--no-reload"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: hooks + "/qemu"))
    }

    @Test(.enabled(if: getuid() == 0, "SUDO_USER is trusted only for root"))
    func vmCreateByACallerWhoIsNotTheTenantsOperatorIsRefused() throws {
        let lab = Lab()
        let name = "hw-authz-\(UInt16.random(in: 0...UInt16.max))"
        defer { _ = try? CLI.shell("virsh -c qemu:///system undefine \(name) >/dev/null 2>&1") }
        let result = try lab.hyperward(["vm", "create", "--template", "tiny", "--tenant", "lab", "--name", name, "--disk-size", "1M"],
                                       environment: ["SUDO_USER": "nobody"])
        #expect(result.status == 69, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("nobody (via sudo) may not create"), "\(result.stderr)")
        let denied = try lab.events("authz.")
        #expect(denied.map(\.kind) == ["authz.denied"])
        #expect(denied.first?.vm == name)
        #expect(denied.first?.evidence.contains { $0.kind == "actor" && $0.value == "nobody (via sudo)" } == true)
        #expect(!FileManager.default.fileExists(atPath: lab.scratch.path + "/pool/\(name).qcow2"), "no disk was made")
    }

    @Test func vmCreateFromATemplateTheTenantIsNotGrantedIsRefused() throws {
        let lab = Lab()
        let name = "hw-authz-\(UInt16.random(in: 0...UInt16.max))"
        defer { _ = try? CLI.shell("virsh -c qemu:///system undefine \(name) >/dev/null 2>&1") }
        // The user running the tests (root: lab's operator and the host's admin), but lab has no `big`.
        let result = try lab.hyperward(["vm", "create", "--template", "big", "--tenant", "lab", "--name", name, "--disk-size", "1M"])
        #expect(result.status == 69, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("template big"), "\(result.stderr)")
        let denied = try lab.events("authz.")
        #expect(denied.map(\.kind) == ["authz.denied"])
        #expect(denied.first?.evidence.contains { $0.kind == "template" && $0.value == "big" } == true)
    }

    @Test func vmCreateFromAnUnknownTemplateExits67() throws {
        let lab = Lab()
        let result = try lab.hyperward(["vm", "create", "--template", "huge", "--tenant", "lab", "--name", "x1", "--disk-size", "1M"])
        #expect(result.status == 67, "\(result.stderr)")
        #expect(result.stderr.contains("huge"))
    }
}
