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

import ArgumentParser
import Foundation
import HyperwardCore
import HyperwardAgent
import HyperwardHost
import HyperwardStore
import NetworkPolicy
import Sensor

/// `hyperward sense`: intrusion detection (and prevention) for VM traffic.
struct SenseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sense",
        abstract: "Detect scans, floods, spoofing, rogue RA/DHCP and cleartext credentials in VM traffic.",
        discussion: """
            Reads a capture file (pcap or pcapng) or captures live on an interface (a libvirt bridge \
            such as virbr0, or a VM's tap). Alerts go to standard output, one per incident and \
            updated with counts; a summary follows (text: on standard error; JSON: a last object \
            with "type": "stats"). In JSON each alert also carries its event envelope under "event" \
            (docs/events.md); --record writes those events to the state store. Exit codes: 0 completed; 1 an alert at or above --fail-on; \
            64 usage; 65 a link type the decoder does not read (or an unsupported version); \
            66 unreadable capture or not a capture; 70 capture or internal error; 78 bad inventory.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Capture file to read (pcap or pcapng).", valueName: "FILE"))
    var pcap: String?

    @Option(help: ArgumentHelp("Interface to capture on live (root).", valueName: "IF"))
    var interface: String?

    @Option(help: ArgumentHelp("Authoritative bindings: a network policy file, optionally with an infrastructure: section (routers, DHCP servers).", valueName: "FILE"))
    var inventory: String?

    @Option(help: "json (one object per line) or text.")
    var format: String = "text"

    @Flag(help: "Block unforgeable offenders (IPS blocklist, --ttl) and rate-limit victims of forged floods.")
    var prevent = false

    @Option(help: "How long --prevent blocks or protects, e.g. 600s, 10m, 1h (default 10m).")
    var ttl: String = "10m"

    @Option(name: .customLong("allow"), help: ArgumentHelp("An address or CIDR --prevent never acts against (repeatable).", valueName: "CIDR"))
    var allow: [String] = []

    @Flag(name: .customLong("show-secrets"), help: "Show captured passwords instead of redacting them.")
    var showSecrets = false

    // `.unconditional`: `--duration -5` gets validate()'s message, not ArgumentParser's "Missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop a live capture after this many seconds.", valueName: "SECONDS"))
    var duration: Double?

    @Option(name: .customLong("fail-on"), help: "Exit 1 when an alert reaches this severity (info|low|medium|high|critical).")
    var failOn: String?

    @Option(help: ArgumentHelp("Act (--prevent) inside this network namespace.", valueName: "NAME"))
    var netns: String?

    @Flag(help: "Record alerts and prevention actions as events in the state store (--state-dir).")
    var record = false

    func validate() throws {
        guard (pcap == nil) != (interface == nil) else { throw ValidationError("give exactly one of --pcap FILE or --interface IF") }
        guard ["json", "text"].contains(format) else { throw ValidationError("--format must be json or text") }
        guard Blocklist.seconds(ttl) != nil else { throw ValidationError("--ttl '\(ttl)' must be like 600s, 10m, 1h or 1d (at most 30d)") }
        if let failOn, Severity(rawValue: failOn) == nil { throw ValidationError("--fail-on must be one of info, low, medium, high, critical") }
        for a in allow where (try? IPNetwork(parsing: a)) == nil { throw ValidationError("--allow '\(a)' is not an address or CIDR") }
        if let duration, !(duration > 0 && duration <= 31_536_000) { throw ValidationError("--duration must be a positive number of seconds") }
    }

    func run() async throws {
        try await reportingErrors {
            var configuration = SensorConfiguration()
            configuration.showSecrets = showSecrets
            if showSecrets { Output.warn("--show-secrets: captured passwords are printed in clear") }
            if let inventory {
                try OperatorFiles.refuseDirectory(inventory, exitCode: ExitStatus.configuration, what: "--inventory ")
                do { configuration.inventory = try SensorInventory.load(path: OperatorFiles.absolute(inventory)) } catch {
                    throw HyperwardError(.configuration, "\(error)")
                }
            }
            // The configuration file is read only to find the state directory: without --record,
            // `sense` works as before whatever that file says.
            let store = record ? try StateStore(stateDirectory: try global.loadConfiguration().stateDirectory) : nil
            var run = SenseRun(engine: SensorEngine(configuration: configuration), json: format == "json",
                               prevention: prevent ? try PreventionRunner(allow: allow, seconds: Blocklist.seconds(ttl) ?? 600, namespace: netns) : nil,
                               failOn: failOn.flatMap(Severity.init(rawValue:)))
            run.interface = interface
            run.inventory = configuration.inventory
            run.store = store
            if let pcap {
                try OperatorFiles.refuseDirectory(pcap, exitCode: ExitStatus.noInput)
                return try run.read(file: pcap)
            }
            StopSignal.stopOnTerminationSignals()
            return try run.capture(interface: interface ?? "", duration: duration, until: StopSignal())
        }
    }
}
