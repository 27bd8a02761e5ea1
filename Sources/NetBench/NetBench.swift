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

import HyperwardHost
import Foundation
import HyperwardCore
import NetTestSupport
import NetworkPolicy

/// Benchmarks `hyperward net` at scale, each figure beside a baseline measured in the same run:
/// compile and apply of N VMs × R rules, and forwarding throughput between two namespace VMs with
/// only their own rules loaded versus with N VMs' rules loaded.
///
/// Usage: `NetBench [--vms 1000] [--rules 20] [--seconds 3]` (root; release build recommended);
/// `NetBench --compile-only [--dump FILE]` times the compiler alone and can write its ruleset.
@main
struct NetBench {
    static func main() throws {
        var vms = 1000, rules = 20, seconds = 3, compileOnly = false
        var dumpPath: String?
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--vms": vms = Int(args.next() ?? "") ?? vms
            case "--rules": rules = Int(args.next() ?? "") ?? rules
            case "--seconds": seconds = Int(args.next() ?? "") ?? seconds
            case "--compile-only": compileOnly = true
            case "--dump": dumpPath = args.next()
            default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
            }
        }
        if compileOnly {
            // No lab, no root: the compiler alone, on synthetic VMs (for profiling).
            let p = try policy(lab: [], synthetic: vms, rules: rules)
            let t = median((0..<7).map { _ in time { _ = try? RulesetCompiler.compile(p) } })
            print(String(format: "compile %d VMs x %d rules: %.1f ms", vms, rules, t * 1000))
            if let dumpPath { try RulesetCompiler.compile(p).text.write(toFile: dumpPath, atomically: true, encoding: .utf8) }
            return
        }
        guard BridgeLab.isSupported else {
            FileHandle.standardError.write(Data("NetBench needs root, ip and nft\n".utf8))
            exit(2)
        }
        let lab = try BridgeLab(vmCount: 2)
        defer { lab.shutdown() }
        let a = lab.vms[0], b = lab.vms[1]

        let small = try policy(lab: [a, b], synthetic: 0, rules: rules)
        let large = try policy(lab: [a, b], synthetic: vms - 2, rules: rules)

        // Compile: median of 7.
        let compileSmall = median((0..<7).map { _ in time { _ = try? RulesetCompiler.compile(small) } })
        let compileLarge = median((0..<7).map { _ in time { _ = try? RulesetCompiler.compile(large) } })
        let smallText = try RulesetCompiler.compile(small).text
        let largeText = try RulesetCompiler.compile(large).text
        let applier = NftApplier(namespace: lab.hostNamespace)

        // Apply (nft -f of the whole transaction, after nft -c): median of 3.
        let applySmall = median(try (0..<3).map { _ in try timeThrowing { try applier.apply(smallText) } })
        let applyLarge = median(try (0..<3).map { _ in try timeThrowing { try applier.apply(largeText) } })

        // One VM's change at full scale, as a delta: a rule added to one VM's group, then a VM
        // joining, then one leaving (median of 5 each, a different VM every time).
        let enforcer = PolicyEnforcer(applier: applier, flusher: nil)
        var evolving = large
        _ = try enforcer.enforce(evolving, full: true)
        var ruleTimes: [Double] = [], joinTimes: [Double] = [], leaveTimes: [Double] = []
        var deltaLines = 0
        for i in 0..<5 {
            evolving.groups["s\(i)"]?.ingress.append(Rule(proto: .tcp, ports: [(9000 + i)...(9000 + i)]))
            ruleTimes.append(try timeThrowing {
                let outcome = try enforcer.enforce(evolving)
                guard outcome.mode == .delta else { throw HyperwardError(.commandFailed, "expected a delta, got \(outcome.mode): \(outcome.reason ?? "")") }
                deltaLines = outcome.commands
            })
            let mac = try MACAddress(parsing: String(format: "52:54:02:00:00:%02x", i))
            evolving.vms["new\(i)"] = VMBinding(groups: ["s\(i)"], interfaces: [VMInterface(device: "new\(i)", mac: mac, ipv4: [try IPNetwork(address: "172.31.0.\(i + 1)")])])
            joinTimes.append(try timeThrowing { _ = try enforcer.enforce(evolving) })
            evolving.vms["syn\(100 + i)"] = nil
            leaveTimes.append(try timeThrowing { _ = try enforcer.enforce(evolving) })
        }

        // Throughput b → a with the small ruleset vs the large one, alternated three times so drift
        // on a shared machine hits both alike; medians compared.
        var smallRuns: [Double] = [], largeRuns: [Double] = []
        for _ in 0..<3 {
            try applier.apply(smallText)
            smallRuns.append(try throughput(lab: lab, from: b, to: a, seconds: seconds))
            try applier.apply(largeText)
            largeRuns.append(try throughput(lab: lab, from: b, to: a, seconds: seconds))
        }
        let tputSmall = median(smallRuns), tputLarge = median(largeRuns)

        func ms(_ s: Double) -> String { String(format: "%8.1f ms", s * 1000) }
        print("ruleset: \(vms) VMs x \(rules) rules = \(largeText.utf8.count / 1024) KiB of nft text")
        print("compile  2 VMs: \(ms(compileSmall))   \(vms) VMs: \(ms(compileLarge))   (target < 100 ms)")
        print("apply    2 VMs: \(ms(applySmall))   \(vms) VMs: \(ms(applyLarge))   (target < 1000 ms; one nft -f batch)")
        print("delta at \(vms) VMs: rule added \(ms(median(ruleTimes))) (\(deltaLines) nft lines)   VM joins \(ms(median(joinTimes)))   VM leaves \(ms(median(leaveTimes)))")
        print(String(format: "throughput b->a: 2 VMs' rules %.2f Gbit/s, %d VMs' rules %.2f Gbit/s, ratio %.3f (target >= 0.9)",
                     tputSmall / 1e9, vms, tputLarge / 1e9, tputLarge / tputSmall))
    }

    static func policy(lab: [BridgeLab.VM], synthetic: Int, rules: Int) throws -> NetworkPolicy {
        var p = NetworkPolicy()
        func group(_ index: Int) -> SecurityGroup {
            var ingress: [Rule] = [Rule(proto: .tcp, ports: [5201...5201])]  // iperf3
            for r in 1..<rules {
                let net = try? IPNetwork(parsing: "10.\(r % 250).\(index % 250).0/24")
                ingress.append(Rule(proto: r % 2 == 0 ? .tcp : .udp, ports: [(1000 + r)...(1000 + r + index % 7)],
                                    networks: net.map { [$0] } ?? []))
            }
            return SecurityGroup(ingress: ingress, egress: nil)
        }
        for (i, vm) in lab.enumerated() {
            p.groups["g\(i)"] = group(i)
            p.vms[vm.name] = VMBinding(groups: ["g\(i)"], interfaces: [
                VMInterface(device: vm.port, mac: try MACAddress(parsing: vm.mac), ipv4: [try IPNetwork(address: vm.ipv4)], ipv6: [try IPNetwork(address: vm.ipv6)])])
        }
        for i in 0..<synthetic {
            let name = "syn\(i)"
            p.groups["s\(i)"] = group(i + 2)
            let mac = try MACAddress(parsing: String(format: "52:54:01:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff))
            let v4 = try IPNetwork(address: "172.\(16 + (i >> 16) % 16).\((i >> 8) & 0xff).\(i & 0xff)")
            p.vms[name] = VMBinding(groups: ["s\(i)"], interfaces: [VMInterface(device: "syn\(i)", mac: mac, ipv4: [v4])])
        }
        return p
    }

    static func throughput(lab: BridgeLab, from: BridgeLab.VM, to: BridgeLab.VM, seconds: Int) throws -> Double {
        let null = URL(fileURLWithPath: "/dev/null")
        let server = try HostChild(["/usr/sbin/ip", "netns", "exec", to.name, "iperf3", "-s", "-1"], stdout: null, stderr: null)
        Thread.sleep(forTimeInterval: 0.5)
        let r = try lab.run(in: from.name, ["iperf3", "-c", to.ipv4, "-t", "\(seconds)", "-J"], timeout: .seconds(seconds + 10))
        server.stop()
        guard let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let end = json["end"] as? [String: Any], let sum = end["sum_received"] as? [String: Any],
              let bps = sum["bits_per_second"] as? Double
        else { throw HyperwardError(.commandFailed, "iperf3 gave no result: \(r.stderr.prefix(300))") }
        return bps
    }

    static func time(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func timeThrowing(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
}
