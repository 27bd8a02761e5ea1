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
import VMMonitor

/// Benchmarks the monitor (release build).
///
/// 1. **Detector**: values per second per core through one `StreamingDetector` (defaults, a
///    week of history), on a NAB series repeated.
/// 2. **Engine at fleet scale**: `--vms` simulated VMs, each a record with the fields a real
///    guest reports (a TCG guest's `virsh domstats`, 2 vCPUs, a tap, a disk), through the
///    whole per-round path: typed fields → sample → rates → limits, baseline, peers, incidents.
///    CPU time per round, as a share of one core at `--interval`, after the baselines are full.
/// 3. **libvirt** (`--libvirt`): `LibvirtCollector.collect()` over the domains running now, this
///    process's CPU and libvirtd's (from /proc) per domain, against `virsh domstats` timed in the
///    same run.
///
/// Usage: `MonitorBench [--vms 1000] [--interval 10] [--rounds 30] [--libvirt] [--series FILE]`.
@main
struct MonitorBench {
    static func main() throws {
        var vms = 1000, interval = 10.0, rounds = 30, libvirt = false
        var seriesPath: String?
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--vms": vms = Int(args.next() ?? "") ?? vms
            case "--interval": interval = Double(args.next() ?? "") ?? interval
            case "--rounds": rounds = Int(args.next() ?? "") ?? rounds
            case "--libvirt": libvirt = true
            case "--series": seriesPath = args.next()
            default: FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8)); exit(64)
            }
        }

        // 1. The detector alone.
        var values: [Double] = []
        if let seriesPath, let text = try? String(contentsOfFile: seriesPath, encoding: .utf8), let series = try? Series(csv: text) {
            values = series.values
        } else {
            for i in 0..<4032 {
                let wave: Double = 10 * sin(Double(i) / 40)
                values.append(50 + wave + Double(i % 7))
            }
        }
        var stream: [Double] = []
        while stream.count < 500_000 { stream += values }
        var detector = StreamingDetector()
        var alerts = 0
        let (detectorCPU, _) = cpuTime { for v in stream where detector.inspect(v).alert { alerts += 1 } }
        print(String(format: "detector: %.2f M values/s per core (%d values, %d alerts, history %d)",
                     Double(stream.count) / detectorCPU / 1e6, stream.count, alerts, StreamingDetector.Configuration().history))

        // 2. The engine over a fleet of simulated VMs.
        var engine = MonitorEngine()
        let fields = recordFields()
        var counters = (0..<vms).map { _ in UInt64.random(in: 1_000_000_000...9_000_000_000) }
        func round(_ n: Int) -> (Double, Int) {
            var produced = 0
            let (cpu, _) = cpuTime {
                var samples: [DomainSample] = []
                samples.reserveCapacity(vms)
                for vm in 0..<vms {
                    counters[vm] &+= UInt64.random(in: 50_000_000...150_000_000)
                    let c = counters[vm]
                    let record = fields.map { name, value -> (String, StatValue) in
                        switch name {
                        case "cpu.time": (name, .unsigned(c))
                        case "vcpu.0.time", "vcpu.1.time": (name, .unsigned(c / 2))
                        case "net.0.rx.bytes", "net.0.tx.bytes", "block.0.rd.bytes": (name, .unsigned(c / 1000))
                        case "net.0.rx.pkts", "net.0.tx.pkts", "block.0.rd.reqs": (name, .unsigned(c / 100_000))
                        default: (name, value)
                        }
                    }
                    if let sample = try? DomainSample(name: "vm-\(vm)", uuid: "uuid-\(vm)", time: Double(n) * interval, fields: record) {
                        samples.append(sample)
                    }
                }
                produced = engine.ingest(samples, now: Date()).alerts.count
            }
            return (cpu, produced)
        }
        let warm = StreamingDetector.Configuration().history + 10
        let rssBefore = residentMiB()
        let (warmCPU, _) = cpuTime { for n in 0..<warm { _ = round(n) } }
        var perRound: [Double] = []
        var produced = 0
        for n in warm..<(warm + rounds) {
            let (cpu, count) = round(n)
            perRound.append(cpu)
            produced += count
        }
        perRound.sort()
        let median = perRound[perRound.count / 2]
        print(String(format: "engine, %d VMs (%d fields per record, history full after %d rounds, %.1f s to fill): %.1f ms CPU per round (median of %d), %.1f µs per VM; at a %.0f s interval %.2f%% of one core; %d alerts in the measured rounds",
                     vms, fields.count, warm, warmCPU, median * 1000, rounds, median / Double(vms) * 1e6, interval, median / interval * 100, produced))
        print(String(format: "engine memory: %.0f MiB resident for %d VMs with full histories (%.0f KiB per VM)",
                     residentMiB() - rssBefore, vms, (residentMiB() - rssBefore) * 1024 / Double(vms)))

        // 3. Real libvirt.
        if libvirt {
            let collector = try LibvirtCollector()
            let first = try collector.collect()
            guard !first.isEmpty else { print("libvirt: no running domains to sample"); return }
            let daemon = libvirtdPID()
            let calls = 20
            let daemonBefore = daemon.map(processCPU) ?? 0
            let (ours, wall) = cpuTime { for _ in 0..<calls { _ = try? collector.collect() } }
            let daemonCost = (daemon.map(processCPU) ?? 0) - daemonBefore
            let n = Double(first.count * calls)
            let virshStart = Date()
            for _ in 0..<calls {
                // The baseline: the same statistics through virsh (output read and dropped).
                _ = HostCommand.run(["/usr/bin/virsh", "-c", "qemu:///system", "-r", "domstats", "--state", "--cpu-total", "--balloon", "--vcpu", "--interface", "--block"])
            }
            let virshWall = Date().timeIntervalSince(virshStart)
            print(String(format: "libvirt, %d domains × %d calls: collector %.0f µs CPU per VM in this process + %.0f µs in libvirtd; %.0f µs wall per VM; virsh domstats %.0f µs wall per VM (%.1f× the collector)",
                         first.count, calls, ours / n * 1e6, daemonCost / n * 1e6, wall / n * 1e6, virshWall / n * 1e6, virshWall / wall))
            let perVM = (ours + daemonCost) / n
            print(String(format: "libvirt projection: 1000 VMs at a %.0f s interval ≈ %.2f%% of one core (collector + libvirtd, if the per-VM cost stays flat)",
                         interval, perVM * 1000 / interval * 100))
        }
    }

    /// The fields of a real TCG guest's record (`virsh domstats`, 2 vCPUs, one tap, one disk).
    static func recordFields() -> [(String, StatValue)] {
        let text = """
            state.state=1 state.reason=1 cpu.time=7898808000 cpu.user=7209671000 cpu.system=689136000 cpu.cache.monitor.count=0
            cpu.haltpoll.success.time=0 cpu.haltpoll.fail.time=0 balloon.current=262144 balloon.maximum=262144 balloon.last-update=0
            balloon.rss=208248 vcpu.current=2 vcpu.maximum=2 vcpu.0.state=1 vcpu.0.time=6620000000 vcpu.0.wait=0 vcpu.0.delay=1017340915
            vcpu.1.state=1 vcpu.1.time=870000000 vcpu.1.wait=0 vcpu.1.delay=321831206 net.count=1 net.0.name=vnet12 net.0.rx.bytes=90
            net.0.rx.pkts=1 net.0.rx.errs=0 net.0.rx.drop=0 net.0.tx.bytes=0 net.0.tx.pkts=0 net.0.tx.errs=0 net.0.tx.drop=0 block.count=1
            block.0.name=vda block.0.path=/var/lib/libvirt/images/vm.qcow2 block.0.backingIndex=1 block.0.rd.reqs=1 block.0.rd.bytes=512
            block.0.rd.times=71504 block.0.wr.reqs=0 block.0.wr.bytes=0 block.0.wr.times=0 block.0.fl.reqs=0 block.0.fl.times=0
            block.0.allocation=0 block.0.capacity=16777216 block.0.physical=204800
            """
        var fields: [(String, StatValue)] = []
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let raw = String(parts[1])
            let value: StatValue = UInt64(raw).map { StatValue.unsigned($0) } ?? StatValue.string(raw)
            fields.append((String(parts[0]), value))
        }
        return fields
    }

    static func cpuTime<T>(_ body: () throws -> T) rethrows -> (Double, Double) {
        let start = Date()
        var before = rusage(), after = rusage()
        getrusage(RUSAGE_SELF.rawValue, &before)
        _ = try body()
        getrusage(RUSAGE_SELF.rawValue, &after)
        func seconds(_ r: rusage) -> Double {
            Double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + Double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6
        }
        return (seconds(after) - seconds(before), Date().timeIntervalSince(start))
    }

    static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(whereSeparator: \.isWhitespace)[1]) else { return 0 }
        return kib / 1024
    }

    static func libvirtdPID() -> Int32? {
        guard let text = try? String(contentsOfFile: "/run/libvirtd.pid", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A process's user + system CPU seconds (/proc/PID/stat, clock ticks).
    static func processCPU(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
