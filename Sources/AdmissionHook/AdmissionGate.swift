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
import Crypto
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardStore

/// The admission policy of a configuration: the file with `templates:`, `tenants:` and `roles:`
/// (`admission.policy`, else `network.policy`), read whole and bounded.
public struct LoadedAdmissionPolicy: Sendable {
    public var policy: AdmissionPolicy
    public var path: String
    /// SHA-256 of the file's bytes, as recorded in every decision.
    public var sha256: String

    /// The largest policy file read.
    public static let maxBytes = 4 << 20

    public static func load(_ configuration: HyperwardConfiguration) throws(HyperwardError) -> LoadedAdmissionPolicy {
        let inline = configuration.admission.policy == nil && configuration.network.policyIsInline
        guard let path = configuration.admission.policy ?? configuration.network.policy else {
            throw HyperwardError(.configuration, "no admission policy: set admission.policy (or network.policy) to a file with templates: and tenants:")
        }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw HyperwardError(.configuration, "cannot read the admission policy \(path): \(error.localizedDescription)")
        }
        guard data.count <= maxBytes else { throw HyperwardError(.configuration, "the admission policy \(path) is larger than \(maxBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw HyperwardError(.configuration, "the admission policy \(path) is not UTF-8") }
        let policy = try AdmissionPolicy.parse(text, file: path, under: inline ? ["network", "policy"] : [])
        let digits = Array("0123456789abcdef".utf8)
        let digest = String(decoding: SHA256.hash(data: data).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
        return LoadedAdmissionPolicy(policy: policy, path: path, sha256: digest)
    }
}

/// The libvirt hook's decision (`hyperward admit hook`): on `prepare begin` the domain is judged
/// against its template, the decision is recorded (event + ledger), and anything but an allowed,
/// recorded decision refuses the start. Failing closed: no configuration, no policy, an unreadable
/// or unwritable store all refuse, unless a valid break-glass file allows the start, which is then
/// recorded (in the store when it can be written, and always in the system log). Never calls
/// libvirt: the daemon is waiting for this process.
public enum AdmissionGate {
    /// What the hook process does: its exit status and what it prints on standard error (which
    /// libvirt puts in the error of a refused start).
    public struct Outcome: Sendable, Hashable {
        public var status: Int32
        public var message: String?
        public var events: [Event]
    }

    /// Exit status of a refused start.
    public static let refusedStatus: Int32 = 1

    /// Decides one hook call. `readXML` reads the domain XML libvirt wrote to standard input;
    /// `loadConfiguration` is called only for a call that decides a start.
    public static func decide(_ invocation: LibvirtHook.Invocation, xml: String?,
                              loadConfiguration: () throws -> HyperwardConfiguration, stateDirectory: String? = nil,
                              caller: Caller = Caller.current(), now: Date = Date()) -> Outcome {
        guard invocation.decidesStart else { return Outcome(status: 0, message: nil, events: []) }
        var configuration: HyperwardConfiguration?
        do {
            let loaded = try loadConfiguration()
            configuration = loaded
            let policy = try LoadedAdmissionPolicy.load(loaded)
            // libvirt always writes the domain XML on `prepare begin`: without it there is nothing
            // to judge, which is not deciding (a denial of the domain would be a guess).
            guard let xml, !xml.allSatisfy(\.isWhitespace) else {
                throw HyperwardError(.invalidInput, "libvirt passed no domain XML on standard input")
            }
            var decision = AdmissionJudge.judge(domainXML: xml, policy: policy.policy)
            if decision.domainName == nil { decision.domainName = invocation.domain }
            let event = decisionEvent(decision, invocation: invocation, policy: policy, caller: caller)
            let reasons = decision.violations.map { "\($0.rule.id) at \($0.xpath): \($0.message)" }
            let denial = "domain \(invocation.domain) is not admitted (event \(event.id)): " + reasons.joined(separator: "; ")
            var unrecorded: HyperwardError?
            do { try StateStore(stateDirectory: loaded.stateDirectory).append([event]) } catch { unrecorded = error }
            if let unrecorded {
                // An allowance must be recorded, else the start is undecided. A denial stays a
                // denial even when it cannot be recorded (break-glass is only for starts Hyperward
                // cannot decide, never for one the judge refused).
                if decision.isAllowed { throw unrecorded }
                SystemLog.warning(denial + " (not recorded in the store: \(unrecorded))")
                return Outcome(status: refusedStatus, message: denial + " (not recorded in the store: \(unrecorded))", events: [event])
            }
            if decision.isAllowed { return Outcome(status: 0, message: nil, events: [event]) }
            return Outcome(status: refusedStatus, message: denial, events: [event])
        } catch {
            return undecided(invocation, reason: "\(error)", configuration: configuration, stateDirectory: stateDirectory,
                             caller: caller, now: now)
        }
    }

    /// Hyperward could not decide: refused, unless a valid break-glass file says otherwise.
    static func undecided(_ invocation: LibvirtHook.Invocation, reason: String, configuration: HyperwardConfiguration?,
                          stateDirectory: String?, caller: Caller, now: Date) -> Outcome {
        let file = configuration?.admission.breakGlassFile ?? HyperwardConfiguration.Admission.defaultBreakGlassFile
        let breakGlass: BreakGlass?
        var breakGlassProblem: String?
        do { breakGlass = try BreakGlass.load(file, now: now) } catch {
            breakGlass = nil
            breakGlassProblem = error.message
        }
        let stateDirectory = configuration?.stateDirectory ?? stateDirectory ?? HyperwardConfiguration.defaultStateDirectory
        if let breakGlass {
            let event = Event(time: Event.timestamp(now), kind: "admission.break_glass", engine: .admission, subject: invocation.domain,
                              vm: invocation.domain, severity: .high, threat: .vmEscape,
                              summary: "domain \(invocation.domain) started under break-glass: Hyperward could not decide (\(reason))",
                              evidence: [EventEvidence(kind: "break_glass_reason", value: breakGlass.reason),
                                         EventEvidence(kind: "break_glass_until", value: Event.timestamp(breakGlass.until)),
                                         EventEvidence(kind: "break_glass_file", value: breakGlass.file),
                                         EventEvidence(kind: "actor", value: ("libvirt hook as \(caller)"))])
            let recorded = (try? StateStore(stateDirectory: stateDirectory).append([event])) != nil
            SystemLog.warning("break-glass: domain \(invocation.domain) allowed to start without a decision (\(reason)); reason: \(breakGlass.reason); until \(Event.timestamp(breakGlass.until)); recorded in the store: \(recorded ? "yes" : "no")")
            return Outcome(status: 0, message: "break-glass: \(invocation.domain) started without a decision (\(reason))", events: [event])
        }
        let event = Event(time: Event.timestamp(now), kind: "admission.undecided", engine: .admission, subject: invocation.domain,
                          vm: invocation.domain, severity: .high, threat: .vmEscape,
                          summary: "domain \(invocation.domain) refused: Hyperward could not decide (\(reason))",
                          evidence: [EventEvidence(kind: "actor", value: ("libvirt hook as \(caller)"))])
        _ = try? StateStore(stateDirectory: stateDirectory).append([event])
        SystemLog.warning("domain \(invocation.domain) refused: Hyperward could not decide (\(reason))")
        var message = "domain \(invocation.domain) refused: Hyperward cannot decide (\(reason)); starts fail closed (break-glass: docs/governance.md)"
        if let breakGlassProblem { message += "; break-glass not applied: \(breakGlassProblem)" }
        return Outcome(status: refusedStatus, message: message, events: [event])
    }

    static func decisionEvent(_ decision: AdmissionDecision, invocation: LibvirtHook.Invocation, policy: LoadedAdmissionPolicy,
                              caller: Caller) -> Event {
        var event = decision.event()
        event.subject = event.subject ?? invocation.domain
        event.vm = event.vm ?? invocation.domain
        event.evidence += [EventEvidence(kind: "path", value: ("libvirt hook \(invocation.operation) \(invocation.subOperation)")),
                           EventEvidence(kind: "actor", value: ("libvirt hook as \(caller)")),
                           EventEvidence(kind: "policy_sha256", value: policy.sha256)]
        return event
    }
}
