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

import CLibvirt
import Foundation
import HyperwardHost
import HyperwardLibvirt

/// Reads every running domain's statistics from libvirt in one call
/// (`virConnectGetAllDomainStats`) over a **read-only** connection: the monitor needs nothing
/// more, so it holds nothing more.
///
/// The call is synchronous C; `collect()` is meant for a thread of its own (the live monitor and
/// the agent run it on a dedicated queue) and passes `NOWAIT`, so a domain busy with a job (a
/// migration, a dump) reports what it can instead of stalling the round.
public final class LibvirtCollector: @unchecked Sendable {
    private let connection: virConnectPtr
    private let lock = NSLock()
    public let uri: String
    /// Domain records skipped because they did not read, since the collector opened, and why the last one was.
    public private(set) var skipped = 0
    public private(set) var lastSkipReason: String?

    /// Opens a read-only connection to `uri` (default: the system QEMU driver).
    public init(uri: String = "qemu:///system") throws(MonitorError) {
        Libvirt.silenceDefaultErrorPrinting()
        guard let connection = virConnectOpenReadOnly(uri) else {
            throw MonitorError("cannot connect to libvirt at \(uri): \(Self.lastError())")
        }
        self.connection = connection
        self.uri = uri
    }

    deinit { virConnectClose(connection) }

    static func lastError() -> String { Libvirt.lastError() }

    /// The statistics groups read: state, CPU, balloon, vCPU, interfaces, block devices.
    static let groups: UInt32 = VIR_DOMAIN_STATS_STATE.rawValue | VIR_DOMAIN_STATS_CPU_TOTAL.rawValue
        | VIR_DOMAIN_STATS_BALLOON.rawValue | VIR_DOMAIN_STATS_VCPU.rawValue
        | VIR_DOMAIN_STATS_INTERFACE.rawValue | VIR_DOMAIN_STATS_BLOCK.rawValue

    /// One sample of every active domain, stamped with the monotonic clock.
    public func collect() throws(MonitorError) -> [DomainSample] {
        lock.lock()
        defer { lock.unlock() }
        var records: UnsafeMutablePointer<virDomainStatsRecordPtr?>?
        let flags = VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE.rawValue | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT.rawValue
        let count = virConnectGetAllDomainStats(connection, Self.groups, &records, flags)
        guard count >= 0, let records else { throw MonitorError("libvirt did not report domain statistics: \(Self.lastError())") }
        defer { virDomainStatsRecordListFree(records) }
        let time = Self.monotonicSeconds()
        var samples: [DomainSample] = []
        samples.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            guard let record = records[i]?.pointee, let domain = record.dom else { continue }
            let name = virDomainGetName(domain).map { String(cString: $0) } ?? "?"
            var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
            let uuidText = virDomainGetUUIDString(domain, &uuid) == 0
                ? String(decoding: uuid.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : name
            let params = UnsafeBufferPointer(start: record.params, count: max(0, min(Int(record.nparams), DomainSample.maxFields)))
            // A record that does not read (absurd device indices) skips its domain, not the round.
            do { samples.append(try DomainSample(name: name, uuid: uuidText, time: time, fields: params.lazy.compactMap(Self.field))) } catch {
                skipped += 1
                lastSkipReason = error.description
            }
        }
        return samples
    }

    /// A typed parameter as a name and a value (nil for a type the monitor does not read).
    static func field(_ parameter: virTypedParameter) -> (String, StatValue)? {
        var copy = parameter
        let name = withUnsafeBytes(of: &copy.field) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let value: StatValue
        switch Int32(parameter.type) {
        case Int32(VIR_TYPED_PARAM_INT.rawValue): value = .signed(Int64(parameter.value.i))
        case Int32(VIR_TYPED_PARAM_UINT.rawValue): value = .unsigned(UInt64(parameter.value.ui))
        case Int32(VIR_TYPED_PARAM_LLONG.rawValue): value = .signed(parameter.value.l)
        case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): value = .unsigned(parameter.value.ul)
        case Int32(VIR_TYPED_PARAM_DOUBLE.rawValue): value = .double(parameter.value.d)
        case Int32(VIR_TYPED_PARAM_BOOLEAN.rawValue): value = .bool(parameter.value.b != 0)
        case Int32(VIR_TYPED_PARAM_STRING.rawValue):
            guard let s = parameter.value.s else { return nil }
            value = .string(String(cString: s))
        default: return nil
        }
        return (name, value)
    }

    /// Seconds on the monotonic clock (rates must not jump with the wall clock).
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
