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
import HyperwardStore

/// The gate every disk-key release passes when `attestation.required` is true: the host's latest
/// verification on record must have passed, be of this boot, and be younger than `max_age`.
/// Anything else (no record, a failed one, no store) refuses: the gate fails closed.
public enum AttestationGate {
    /// The latest verification on record: `attest.verified` or `attest.failed`.
    public static func latest(stateDirectory: String) throws(HyperwardError) -> Event? {
        let store = try StateStore.openExisting(stateDirectory: stateDirectory)
        return try store.events(kindPrefix: "attest.", limit: 200).last { $0.kind == "attest.verified" || $0.kind == "attest.failed" }
    }

    /// What the latest verification says, as one line for `audit` and refusals.
    public struct State: Sendable {
        public var passed: Bool
        public var age: TimeInterval?
        public var sameBoot: Bool
        public var event: Event?
        public var reason: String
    }

    /// The state of attestation now.
    public static func state(_ configuration: HyperwardConfiguration, now: Date = Date()) -> State {
        let event: Event?
        do { event = try latest(stateDirectory: configuration.stateDirectory) } catch {
            return State(passed: false, age: nil, sameBoot: false, event: nil, reason: "the state store cannot be read: \(error.message)")
        }
        guard let event else {
            return State(passed: false, age: nil, sameBoot: false, event: nil,
                         reason: "no attestation of this host is on record; run `hyperward attest verify` (the agent does so every \(configuration.attestation.intervalSeconds) s)")
        }
        let body = event.body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        let bootID = body["boot_id"] as? String
        let sameBoot = bootID != nil && bootID == HostAttestation.bootID()
        let age = Self.date(event.time).map { now.timeIntervalSince($0) }
        guard event.kind == "attest.verified", body["passed"] as? Bool == true else {
            return State(passed: false, age: age, sameBoot: sameBoot, event: event, reason: "the latest attestation (\(event.time)) failed: \(event.summary)")
        }
        guard sameBoot else {
            return State(passed: false, age: age, sameBoot: false, event: event,
                         reason: "the latest passing attestation (\(event.time)) is of an earlier boot; this boot is not verified yet")
        }
        guard let age, age >= -60, age <= Double(configuration.attestation.maxAgeSeconds) else {
            return State(passed: false, age: age, sameBoot: true, event: event,
                         reason: "the latest passing attestation (\(event.time)) is older than attestation.max_age (\(configuration.attestation.maxAgeSeconds) s)")
        }
        return State(passed: true, age: age, sameBoot: true, event: event, reason: "verified \(Int(age)) s ago (\(event.time)), this boot")
    }

    /// Throws `.refused` (69) unless keys may be released: attestation not required, or its
    /// state passes. `what` names the release in the message ("start vm1").
    public static func check(_ configuration: HyperwardConfiguration, releasing what: String, now: Date = Date()) throws(HyperwardError) {
        guard configuration.attestation.required else { return }
        let state = state(configuration, now: now)
        guard state.passed else {
            throw HyperwardError(.refused, "refused to \(what): attestation.required is set and \(state.reason)")
        }
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
