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

import Admission
import AdmissionHook
import ArgumentParser
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost

/// `hyperward admit`: judge domain XML against the security templates, and the libvirt hook that
/// enforces it on every start.
struct AdmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admit",
        abstract: "Judge libvirt domain XML against the security templates; install the hook that enforces them at every start.",
        discussion: """
            The templates, tenants and roles are in the policy file (admission.policy, else \
            network.policy; docs/governance.md). Exit codes: 0 allowed; 1 denied; 64 usage; 66 \
            missing input; 78 no or invalid policy.
            """,
        subcommands: [Check.self, Hook.self, InstallHook.self, UninstallHook.self],
        defaultSubcommand: Check.self
    )
}

extension AdmitCommand {
    enum Format: String, ExpressibleByArgument { case text, json }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Print the decision for a domain XML file (or - for standard input); records nothing.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "text or json.") var format: Format = .text
        @Option(help: ArgumentHelp("Judge against this template instead of the one the domain's metadata names.", valueName: "TEMPLATE"))
        var template: String?
        @Option(help: ArgumentHelp("The tenant, with --template.", valueName: "TENANT")) var tenant: String?
        @Argument(help: ArgumentHelp("The domain XML file, or - for standard input.", valueName: "FILE")) var file: String

        func validate() throws {
            if (template == nil) != (tenant == nil) { throw ValidationError("--template and --tenant go together") }
        }

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                let policy = try LoadedAdmissionPolicy.load(configuration)
                let xml = try AdmitInput.read(file)
                let decision = if let template, let tenant {
                    AdmissionJudge.judge(domainXML: xml, policy: policy.policy, template: template, tenant: tenant)
                } else {
                    AdmissionJudge.judge(domainXML: xml, policy: policy.policy)
                }
                Output.write(format == .json ? decision.jsonText + "\n" : decision.text)
                return decision.isAllowed ? ExitStatus.completed : AdmissionGate.refusedStatus
            }
        }
    }

    struct Hook: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hook",
            abstract: "The libvirt QEMU hook (run by libvirt through /etc/libvirt/hooks/qemu, the domain XML on standard input).",
            discussion: """
                On `prepare begin` the domain is judged and the decision recorded; exit 1 refuses \
                the start, with the reasons on standard error (libvirt shows them in its error). \
                Every other call exits 0 at once. Never calls back into libvirt.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(parsing: .captureForPassthrough, help: "NAME OPERATION SUB-OPERATION EXTRA, as libvirt passes them.")
        var arguments: [String] = []

        func run() throws {
            let passed = arguments.first == "--" ? Array(arguments.dropFirst()) : arguments
            let outcome: AdmissionGate.Outcome
            do {
                let invocation = try LibvirtHook.Invocation(arguments: passed)
                // Read before deciding (libvirt writes the whole XML and would see a broken pipe).
                let xml = HookInput.read()
                outcome = AdmissionGate.decide(invocation, xml: xml, loadConfiguration: { try global.loadConfiguration() },
                                               stateDirectory: global.stateDirectory, caller: Caller.hook())
            } catch {
                Output.error("\(error)")
                throw ExitCode(AdmissionGate.refusedStatus)
            }
            if let message = outcome.message { Output.error(message) }
            if outcome.status != 0 { throw ExitCode(outcome.status) }
        }
    }

    struct InstallHook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install-hook",
            abstract: "Install /etc/libvirt/hooks/qemu so that every start of a domain is judged (and reload libvirtd so it takes effect).",
            discussion: """
                The hook runs this binary with this command's --config and --state-dir. It fails \
                closed: with no policy, an unreadable configuration or store, every start is \
                refused unless a valid break-glass file exists (docs/governance.md). Refuses to \
                install without a policy holding templates (every start would be refused) unless \
                --force. Another program's hook is kept unless --replace, which moves it to \
                qemu.before-hyperward.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("hook-dir"), help: ArgumentHelp("libvirt's hook directory.", valueName: "DIR"))
        var hookDirectory = LibvirtHook.defaultDirectory
        @Flag(help: "Move another program's hook aside instead of refusing.") var replace = false
        @Flag(help: "Install even though the policy has no templates (every start is then refused).") var force = false
        @Flag(name: .customLong("no-reload"), help: "Do not send SIGHUP to libvirtd/virtqemud (the hook then applies after their restart).")
        var noReload = false

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.admin, for: "admit install-hook", configuration: configuration)
                do {
                    let policy = try LoadedAdmissionPolicy.load(configuration)
                    if policy.policy.templates.isEmpty && !force {
                        throw HyperwardError(.configuration, "the policy \(policy.path) has no templates: every start would be refused (pass --force to install anyway)")
                    }
                } catch where !force {
                    throw error
                }
                let binary = OperatorFiles.absolute(CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : "/proc/self/exe")
                let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? binary
                // The small hook program beside this binary when it is there (no libvirt, no
                // argument parser: a start waits less), else this binary's `admit hook`.
                let hookProgram = SafeFile.parent(of: resolved) + "/hyperward-hook"
                let useHookProgram = FileManager.default.isExecutableFile(atPath: hookProgram)
                let script = LibvirtHook.script(binary: useHookProgram ? hookProgram : resolved,
                                                configuration: global.config.map(OperatorFiles.absolute),
                                                stateDirectory: global.stateDirectory.map(OperatorFiles.absolute),
                                                subcommand: useHookProgram ? [] : ["admit", "hook"])
                let installed = try LibvirtHook.install(script: script, directory: hookDirectory, replaceForeign: replace)
                if let aside = installed.movedAside { Output.warn("the previous hook was moved to \(aside); it no longer runs") }
                var out = "installed \(installed.path) (runs \(useHookProgram ? hookProgram : resolved + " admit hook"))\n"
                if noReload {
                    out += "restart or reload libvirtd (systemctl reload libvirtd) for it to take effect\n"
                } else {
                    let signalled = LibvirtHook.reloadDaemons()
                    out += signalled.isEmpty ? "no libvirtd or virtqemud is running: the hook applies when it starts\n"
                                             : "reloaded \(signalled.joined(separator: ", ")) so that it applies to the next start\n"
                }
                try GovernanceAccess.record(kind: "admission.hook_installed", summary: "admission hook installed at \(installed.path)",
                                            configuration: configuration)
                Output.write(out)
                return ExitStatus.completed
            }
        }
    }

    struct UninstallHook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "uninstall-hook",
            abstract: "Remove Hyperward's libvirt hook (never another program's) and reload libvirtd.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("hook-dir"), help: ArgumentHelp("libvirt's hook directory.", valueName: "DIR"))
        var hookDirectory = LibvirtHook.defaultDirectory
        @Flag(name: .customLong("no-reload"), help: "Do not send SIGHUP to libvirtd/virtqemud.") var noReload = false

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.admin, for: "admit uninstall-hook", configuration: configuration)
                let removed = try LibvirtHook.uninstall(directory: hookDirectory)
                if removed {
                    Output.warn("the admission hook is removed: domains start without being judged")
                    if !noReload { LibvirtHook.reloadDaemons() }
                    try GovernanceAccess.record(kind: "admission.hook_removed", summary: "admission hook removed from \(hookDirectory)/qemu",
                                                configuration: configuration, severity: .high)
                }
                Output.write(removed ? "removed \(hookDirectory)/qemu\n" : "no hook at \(hookDirectory)/qemu\n")
                return ExitStatus.completed
            }
        }
    }
}

/// Reading the domain XML of `admit` and of the hook.
enum AdmitInput {
    static func read(_ file: String) throws -> String {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readData(ofLength: DomainXML.maxBytes + 1)
        } else {
            try OperatorFiles.refuseDirectory(file, exitCode: ExitStatus.noInput)
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw HyperwardError(.notFound, "cannot read \(file)")
            }
            defer { try? handle.close() }
            data = handle.readData(ofLength: DomainXML.maxBytes + 1)
        }
        // Oversized or not UTF-8: judged (and denied) as malformed, never cut silently.
        return String(decoding: data, as: UTF8.self)
    }
}
