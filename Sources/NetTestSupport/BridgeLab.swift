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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lab: one "host" network namespace with a Linux bridge `br0`, and N "VM" namespaces each
/// joined to the bridge by a veth pair whose host end is named like a libvirt tap (`hwvnetN`).
///
/// The lab is a stand-in for a virtualization host: the bridge plays libvirt's bridge, each host
/// port plays a guest's tap device, and each VM namespace plays the guest. Traffic between VMs is
/// bridged, and because the host namespace sets `net.bridge.bridge-nf-call-iptables` and
/// `-ip6tables`, bridged IPv4/IPv6 also traverses the `inet` family hooks there (where `ct` works
/// even on kernels without bridge-family conntrack). Rulesets applied with ``nft(_:)`` therefore
/// see VM-to-VM traffic exactly as a per-VM firewall on a real host would.
///
/// Addresses: VM *i* (from 1) is `10.77.0.(10+i)/24` and `fd77::(10+i)/64` (the same digits),
/// MAC `52:54:00:77:00:xx` with xx = 10+i in hex; the bridge itself has 10.77.0.1 and fd77::1.
/// Every probe is bounded in time; ``shutdown()`` (also run on deinit) kills every process in the
/// lab's namespaces and deletes them.
public final class BridgeLab: @unchecked Sendable {
    /// One simulated guest.
    public struct VM: Sendable, Hashable, CustomStringConvertible {
        /// The VM's network namespace.
        public let name: String
        /// The host-side interface (the "tap"), enslaved to `br0` in the host namespace.
        public let port: String
        /// The guest interface's MAC address, lowercase.
        public let mac: String
        /// The guest's IPv4 address (without prefix length).
        public let ipv4: String
        /// The guest's IPv6 address (without prefix length).
        public let ipv6: String
        /// The guest-side interface name inside the VM namespace.
        public let interface: String
        /// The VM's number, from 1.
        public let index: Int

        /// Creates a VM description.
        public init(name: String, port: String, mac: String, ipv4: String, ipv6: String, interface: String = "eth0", index: Int) {
            self.name = name
            self.port = port
            self.mac = mac
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.interface = interface
            self.index = index
        }

        /// The namespace name.
        public var description: String { name }
    }

    /// The bridge's name in the host namespace.
    public static let bridgeName = "br0"
    /// The bridge's own IPv4 address.
    public static let bridgeIPv4 = "10.77.0.1"
    /// The bridge's own IPv6 address.
    public static let bridgeIPv6 = "fd77::1"
    /// How many VMs a lab can hold (addresses run from .11 to .99).
    public static let maximumVMCount = 89

    /// Whether this process can build labs: running as root with `ip` and `nft` installed.
    /// Tests use `.enabled(if: BridgeLab.isSupported)`. Other tools (socat, tcpdump, scapy, dsniff)
    /// are not checked here on purpose: a missing one fails its test loudly instead of skipping it.
    public static var isSupported: Bool {
        getuid() == 0 && Subprocess.which("ip") != nil && Subprocess.which("nft") != nil
    }

    /// The lab's name; every namespace name starts with it.
    public let name: String
    /// The host namespace, holding `br0` and the VMs' host ports.
    public let hostNamespace: String
    /// The VMs, in order.
    public let vms: [VM]
    /// Every namespace of the lab, host first.
    public var namespaces: [String] { [hostNamespace] + vms.map(\.name) }

    /// Where the lab keeps command output, logs, and control sockets; removed on shutdown.
    let scratch: URL
    private let ipPath: String
    private let lock = NSLock()
    private var children: [Subprocess] = []
    private var listeners: [Listener] = []
    /// The namespaces this instance created: only these are deleted, so a lab that failed on a
    /// name collision never removes the other lab's namespaces.
    private var created: [String] = []
    private var isShutDown = false
    private var counter = 0

    /// Builds a lab of `vmCount` VMs on one bridge and brings everything up.
    ///
    /// - Parameters:
    ///   - name: The namespace name prefix: lowercase letters, digits and dashes, at most 32
    ///     characters. Namespaces are `<name>-host` and `<name>-vm1`…
    ///   - vmCount: How many VMs, 1...``maximumVMCount``.
    ///   - portPrefix: The host-side interface name prefix; ports are `<portPrefix>1`…
    /// - Throws: `HyperwardError` with code `invalidInput` for a bad name or count, or
    ///   `commandFailed` when a step fails (a namespace of that name exists, not root, …). Whatever
    ///   was created is removed before the error is thrown.
    public init(name: String = "hw-" + BridgeLab.randomSuffix(), vmCount: Int, portPrefix: String = "hwvnet") throws {
        guard !name.isEmpty, name.count <= 32,
              name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) else {
            throw HyperwardError(.invalidInput, "lab name \(name.debugDescription) must be 1-32 lowercase letters, digits or dashes")
        }
        guard (1...BridgeLab.maximumVMCount).contains(vmCount) else {
            throw HyperwardError(.invalidInput, "vmCount \(vmCount) is out of range 1...\(BridgeLab.maximumVMCount)")
        }
        guard !portPrefix.isEmpty, portPrefix.count + String(vmCount).count <= 15,
              portPrefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw HyperwardError(.invalidInput, "port prefix \(portPrefix.debugDescription) must be letters/digits and leave room in a 15-character interface name")
        }
        guard let ipPath = Subprocess.which("ip") else {
            throw HyperwardError(.commandFailed, "`ip` (iproute2) is not installed")
        }
        _ = BridgeLab.sweepOnce
        self.name = name
        self.ipPath = ipPath
        self.hostNamespace = "\(name)-host"
        self.vms = (1...vmCount).map { i in
            let octet = 10 + i
            return VM(
                name: "\(name)-vm\(i)",
                port: "\(portPrefix)\(i)",
                mac: String(format: "52:54:00:77:00:%02x", octet),
                ipv4: "10.77.0.\(octet)",
                ipv6: "fd77::\(octet)",
                index: i
            )
        }
        // Unique per instance: a lab that fails on a name collision must not share (and then
        // delete) the other lab's scratch directory.
        self.scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(getpid())-\(BridgeLab.randomSuffix())", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            // Written before any namespace exists, so a crashed test run can be cleaned up later
            // by `removeAbandonedLabs()`.
            try namespaces.joined(separator: "\n").write(to: scratch.appendingPathComponent(BridgeLab.markerName), atomically: true, encoding: .utf8)
            try build()
        } catch {
            shutdown()
            throw error
        }
    }

    deinit {
        shutdown()
    }

    /// Eight random lowercase hex digits, for default lab names.
    public static func randomSuffix() -> String {
        String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }

    // MARK: - Building

    /// Sysctls for every namespace, set before interfaces exist so new interfaces inherit them:
    /// no router solicitations, no RA acceptance, no SLAAC, no DAD (addresses are `nodad` too) —
    /// a crafted RA must be observable without reconfiguring the VMs, and addresses must be usable
    /// at once.
    private static let ipv6Quiet = [
        "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
        "net.ipv6.conf.all.autoconf=0", "net.ipv6.conf.default.autoconf=0",
        "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.all.router_solicitations=0", "net.ipv6.conf.default.router_solicitations=0",
        "net.ipv6.conf.default.use_tempaddr=0",
    ]

    private func build() throws {
        for namespace in namespaces {
            try check(runDirect([ipPath, "netns", "add", namespace]), "create namespace \(namespace)")
            lock.lock()
            created.append(namespace)
            lock.unlock()
        }
        for namespace in namespaces {
            try check(run(in: namespace, ["sysctl", "-q", "-w"] + BridgeLab.ipv6Quiet), "set IPv6 sysctls in \(namespace)")
        }
        // STP off and forward delay 0: ports forward as soon as they are up. Multicast snooping
        // off: the bridge floods ND/RA multicast instead of waiting for MLD reports.
        var host = [
            "link set lo up",
            "link add \(BridgeLab.bridgeName) type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
            "link set \(BridgeLab.bridgeName) up",
            "address add \(BridgeLab.bridgeIPv4)/24 dev \(BridgeLab.bridgeName)",
            "address add \(BridgeLab.bridgeIPv6)/64 dev \(BridgeLab.bridgeName) nodad",
        ]
        for vm in vms {
            host.append("link add \(vm.port) type veth peer name \(vm.interface) address \(vm.mac) netns \(vm.name)")
            host.append("link set \(vm.port) master \(BridgeLab.bridgeName) up")
        }
        try check(batch(in: hostNamespace, host), "build the bridge")
        for vm in vms {
            try check(batch(in: vm.name, [
                "link set lo up",
                "address add \(vm.ipv4)/24 dev \(vm.interface)",
                "address add \(vm.ipv6)/64 dev \(vm.interface) nodad",
                "link set \(vm.interface) up",
            ]), "configure \(vm.name)")
        }
        // The host ports are layer-2 only; without IPv6 on them they send no MLD/RS noise.
        try check(run(in: hostNamespace, ["sysctl", "-q", "-w"] + vms.map { "net.ipv6.conf.\($0.port).disable_ipv6=1" }),
                  "disable IPv6 on host ports")
        try enableBridgeNetfilter()
    }

    /// Makes bridged IPv4/IPv6 traverse the host namespace's inet hooks (br_netfilter; the
    /// sysctls are per namespace since Linux 5.3).
    private func enableBridgeNetfilter() throws {
        let keys = ["net.bridge.bridge-nf-call-iptables=1", "net.bridge.bridge-nf-call-ip6tables=1"]
        if try run(in: hostNamespace, ["sysctl", "-q", "-w"] + keys).succeeded { return }
        if let modprobe = Subprocess.which("modprobe") {
            _ = try runDirect([modprobe, "br_netfilter"])
        }
        try check(run(in: hostNamespace, ["sysctl", "-q", "-w"] + keys),
                  "enable bridge netfilter (is br_netfilter available?)")
    }

    private func batch(in namespace: String, _ commands: [String]) throws -> CommandResult {
        try runDirect([ipPath, "-n", namespace, "-batch", "-"], stdin: commands.joined(separator: "\n") + "\n")
    }

    private func check(_ result: CommandResult, _ what: String) throws {
        guard result.succeeded else {
            throw HyperwardError(.commandFailed, "lab \(name): cannot \(what): \(result)")
        }
    }

    // MARK: - Shutting down

    /// Kills every process in the lab's namespaces (its own background processes first) and
    /// deletes the namespaces and scratch files. Idempotent; also run on deinit. Never throws:
    /// cleanup keeps going past a failing step.
    public func shutdown() {
        lock.lock()
        if isShutDown {
            lock.unlock()
            return
        }
        isShutDown = true
        let started = children
        let ours = created
        children = []
        listeners = []
        lock.unlock()

        for child in started { child.kill() }
        for namespace in ours.reversed() {
            // A process left in a namespace would keep it alive after `ip netns del`.
            for _ in 0..<3 {
                let pids = ((try? runDirect([ipPath, "netns", "pids", namespace]))?.stdout ?? "")
                    .split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
                if pids.isEmpty { break }
                for pid in pids { _ = kill(pid, SIGKILL) }
                Thread.sleep(forTimeInterval: 0.02)
            }
            _ = try? runDirect([ipPath, "netns", "delete", namespace])
        }
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Whether ``shutdown()`` has run.
    public var isShutdownComplete: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isShutDown
    }

    /// The first lab of a process clears away what crashed earlier runs left behind.
    private static let sweepOnce: Void = { removeAbandonedLabs() }()

    /// The file in a lab's scratch directory that lists its namespaces.
    static let markerName = "namespaces"

    /// Deletes the namespaces of labs whose process died without shutting them down (a crashed
    /// or killed test run), found through the scratch directories they leave in the temporary
    /// directory. Labs of live processes are left alone.
    /// - Returns: The namespaces deleted.
    @discardableResult
    public static func removeAbandonedLabs() -> [String] {
        guard let ip = Subprocess.which("ip") else { return [] }
        let temporary = FileManager.default.temporaryDirectory
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        var removed: [String] = []
        for entry in entries {
            // <name>-<pid>-<8 hex digits>
            let parts = entry.split(separator: "-")
            guard parts.count >= 3, parts[parts.count - 1].count == 8, parts[parts.count - 1].allSatisfy(\.isHexDigit),
                  let pid = Int32(parts[parts.count - 2]), pid > 0
            else { continue }
            let directory = temporary.appendingPathComponent(entry, isDirectory: true)
            let marker = directory.appendingPathComponent(markerName)
            guard let list = try? String(contentsOf: marker, encoding: .utf8) else { continue }
            // Signal 0 probes for existence; EPERM still means alive.
            if sendSignal(pid, 0) == 0 || errno == EPERM { continue }
            for namespace in list.split(separator: "\n").map(String.init) where namespace.hasPrefix(parts.dropLast(2).joined(separator: "-")) {
                removed += removeNamespace(namespace, ip: ip) ? [namespace] : []
            }
            try? FileManager.default.removeItem(at: directory)
        }
        return removed
    }

    /// Kills everything in a namespace and deletes it; returns whether it existed.
    private static func removeNamespace(_ namespace: String, ip: String) -> Bool {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hw-cleanup-\(getpid())-\(randomSuffix())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        func direct(_ argv: [String]) -> CommandResult? {
            let out = scratch.appendingPathExtension("out"), err = scratch.appendingPathExtension("err")
            guard let child = try? Subprocess.start(argv, stdout: out, stderr: err) else { return nil }
            let status = child.wait(timeout: .seconds(10))
            child.signalGroup(SIGKILL)
            defer { for url in [out, err] { try? FileManager.default.removeItem(at: url) } }
            return CommandResult(status: status ?? 137, stdout: child.readStdout(), stderr: child.readStderr(), timedOut: status == nil)
        }
        for _ in 0..<3 {
            let pids = (direct([ip, "netns", "pids", namespace])?.stdout ?? "").split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
            if pids.isEmpty { break }
            for pid in pids { _ = sendSignal(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return direct([ip, "netns", "delete", namespace])?.succeeded ?? false
    }

    // MARK: - Running commands

    /// Runs a command in a namespace (the host's or a VM's) and waits for it.
    ///
    /// The command runs through `ip netns exec` in a process group of its own; on timeout the
    /// whole group is killed and the result says `timedOut`. `argv[0]` is looked up on PATH and
    /// the sbin directories.
    /// - Returns: The exit status and output.
    /// - Throws: `HyperwardError` when the command is not installed, the lab is shut down, or the
    ///   process cannot be started. A non-zero exit is a result, not an error.
    public func run(in namespace: String, _ argv: [String], timeout: Duration = .seconds(10), stdin: String? = nil) throws -> CommandResult {
        try runDirect(try namespaced(namespace, argv), timeout: timeout, stdin: stdin)
    }

    /// Applies an nft ruleset in the host namespace (`nft -f -` with the text on standard input).
    /// - Returns: nft's result; a rejected ruleset is a non-zero status with nft's message.
    public func nft(_ ruleset: String) throws -> CommandResult {
        try run(in: hostNamespace, ["nft", "-f", "-"], stdin: ruleset)
    }

    /// `ip netns exec namespace argv…` with argv[0] made absolute.
    func namespaced(_ namespace: String, _ argv: [String]) throws -> [String] {
        try ensureRunning()
        guard namespaces.contains(namespace) else {
            throw HyperwardError(.invalidInput, "\(namespace.debugDescription) is not a namespace of lab \(name) (\(namespaces.joined(separator: ", ")))")
        }
        guard let command = argv.first else {
            throw HyperwardError(.invalidInput, "empty command line")
        }
        guard let executable = Subprocess.which(command) else {
            throw HyperwardError(.commandFailed, "`\(command)` is not installed\(BridgeLab.packageHint(command))")
        }
        return [ipPath, "netns", "exec", namespace, executable] + argv.dropFirst()
    }

    /// The ids of the processes running in one of the lab's namespaces (`ip netns pids`).
    public func processes(in namespace: String) throws -> [Int32] {
        try ensureRunning()
        guard namespaces.contains(namespace) else {
            throw HyperwardError(.invalidInput, "\(namespace.debugDescription) is not a namespace of lab \(name)")
        }
        let result = try runDirect([ipPath, "netns", "pids", namespace])
        try check(result, "list the processes of \(namespace)")
        return result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
    }

    /// Runs an absolute command line outside any lab namespace.
    func runDirect(_ argv: [String], timeout: Duration = .seconds(10), stdin: String? = nil) throws -> CommandResult {
        // Recreated if something removed it, so cleanup commands still run.
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let base = scratchFile("cmd")
        let out = base.appendingPathExtension("out"), err = base.appendingPathExtension("err")
        var input: URL?
        if let stdin {
            let url = base.appendingPathExtension("in")
            guard FileManager.default.createFile(atPath: url.path, contents: Data(stdin.utf8)) else {
                throw HyperwardError(.commandFailed, "cannot write \(url.path)")
            }
            input = url
        }
        defer {
            for url in [out, err] + (input.map { [$0] } ?? []) { try? FileManager.default.removeItem(at: url) }
        }
        let child = try Subprocess.start(argv, stdout: out, stderr: err, stdin: input)
        var status = child.wait(timeout: timeout)
        let timedOut = status == nil
        // Kill the group either way: on timeout the command, otherwise anything it left behind.
        child.signalGroup(SIGKILL)
        if timedOut { status = child.wait(timeout: .seconds(5)) }
        return CommandResult(status: status ?? 137, stdout: child.readStdout(), stderr: child.readStderr(), timedOut: timedOut)
    }

    /// Starts a long-running command in a namespace with output to scratch files; the lab kills it
    /// on shutdown at the latest.
    func startBackground(in namespace: String, _ argv: [String], label: String) throws -> Subprocess {
        let full = try namespaced(namespace, argv)
        let base = scratchFile(label)
        let child = try Subprocess.start(full, stdout: base.appendingPathExtension("out"), stderr: base.appendingPathExtension("err"))
        lock.lock()
        let lateStart = isShutDown
        if !lateStart { children.append(child) }
        lock.unlock()
        if lateStart {
            child.kill()
            throw HyperwardError(.commandFailed, "lab \(name) is shut down")
        }
        return child
    }

    /// Remembers a listener so UDP probes can read what it received.
    func registerListener(_ listener: Listener) {
        lock.lock()
        listeners.append(listener)
        lock.unlock()
    }

    /// The lab's running listeners of a transport on a port.
    func activeListeners(transport: Listener.Transport, port: Int) -> [Listener] {
        lock.lock()
        let all = listeners
        lock.unlock()
        return all.filter { $0.transport == transport && $0.port == port && $0.isRunning }
    }

    /// A fresh path in the scratch directory (nothing is created).
    func scratchFile(_ label: String) -> URL {
        lock.lock()
        counter += 1
        let n = counter
        lock.unlock()
        return scratch.appendingPathComponent("\(label)-\(n)")
    }

    private func ensureRunning() throws {
        if isShutdownComplete {
            throw HyperwardError(.commandFailed, "lab \(name) is shut down")
        }
    }

    /// The Debian package providing a command, for "not installed" errors.
    static func packageHint(_ command: String) -> String {
        let packages = [
            "nft": "nftables", "conntrack": "conntrack", "arpspoof": "dsniff", "ping": "iputils-ping",
            "socat": "socat", "tcpdump": "tcpdump", "python3": "python3-scapy", "sysctl": "procps",
        ]
        return packages[command].map { " (Debian package \($0))" } ?? ""
    }

    /// An interpreter that can import scapy: the distribution's `/usr/bin/python3` first, since
    /// a PATH python (pyenv, venv) usually lacks the `python3-scapy` package.
    static let python: String? = {
        var candidates = ["/usr/bin/python3"]
        if let onPath = Subprocess.which("python3"), onPath != candidates[0] { candidates.append(onPath) }
        let existing = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
        let probeDir = FileManager.default.temporaryDirectory
        for candidate in existing {
            let base = probeDir.appendingPathComponent("hw-python-probe-\(getpid())-\(UInt32.random(in: .min ... .max))")
            let out = base.appendingPathExtension("out"), err = base.appendingPathExtension("err")
            defer { for url in [out, err] { try? FileManager.default.removeItem(at: url) } }
            guard let child = try? Subprocess.start([candidate, "-c", "import scapy"], stdout: out, stderr: err) else { continue }
            let status = child.wait(timeout: .seconds(10))
            if status == nil { child.kill() }
            if status == 0 { return candidate }
        }
        return existing.first
    }()

    /// The interpreter for the lab's scripts, or an error naming the missing package.
    func pythonPath() throws -> String {
        guard let python = BridgeLab.python else {
            throw HyperwardError(.commandFailed, "python3 is not installed (Debian packages python3, python3-scapy)")
        }
        return python
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
