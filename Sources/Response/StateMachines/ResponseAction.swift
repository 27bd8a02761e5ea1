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

/// What a response state machine asks its driver to do next. The driver runs it through the
/// effect protocols (``ResponseEffects``) and tells the machine the ``ResponseOutcome``.
///
/// Reads are safe to repeat. Changes are either idempotent (set membership, conntrack, chmod) or
/// guarded by the machine: it asks only after a read showed the change not made yet, and records
/// its intention in the case first, so a resumed run neither repeats nor forgets one.
public enum ResponseAction: Sendable, Equatable {
    // MARK: Reads

    /// The domain's identity and run state. Answered with `.status`.
    case readStatus
    /// The domain's live XML (the persistent one when it is stopped), as facts. Answered with
    /// `.domain`; with `optional`, a domain that cannot be read is `.domain(nil)`, not an error.
    case readDomain(optional: Bool)
    /// The persistent definition with its secrets, to edit and define again. Answered with `.definition`.
    case readDefinition
    /// The taps of every other running domain. Answered with `.taps`.
    case readTapsOfOtherDomains
    /// The quarantine sets' members. Answered with `.quarantineSet`.
    case readQuarantineSet
    /// The addresses libvirt's DHCP server leased to the domain. Answered with `.addresses`.
    case readLeases
    /// The addresses the host's neighbour table holds for these MACs. Answered with `.addresses`.
    case readNeighbours(macs: [String])
    /// Whether a file exists. Answered with `.fileExists`.
    case checkFile(String)
    /// A file's SHA-256 and size. Answered with `.digest`.
    case hashFile(String)

    // MARK: Changes

    /// Puts MACs and taps into the quarantine sets (idempotent).
    case addToQuarantineSet(macs: [String], ports: [String])
    /// Takes MACs and taps out of the quarantine sets (idempotent).
    case removeFromQuarantineSet(macs: [String], ports: [String])
    /// Deletes the conntrack entries from and to these addresses. Answered with `.flushed`.
    case flushConntrack(addresses: [String])
    /// Pauses the domain.
    case suspend
    /// Resumes the domain.
    case resume
    /// Stops the domain at once.
    case destroy
    /// Starts the domain.
    case start
    /// Dumps the domain's memory (ELF) to the path; the file appears only complete.
    case dumpMemory(to: String)
    /// Takes an external disk-only snapshot of the running domain onto these overlays.
    case snapshotDisks(name: String, disks: [ResponseCase.PendingDisk])
    /// Creates a qcow2 overlay on a base (`qemu-img`); the file appears only complete.
    case createOverlay(ResponseCase.PendingDisk)
    /// Removes an overlay an interrupted run made and nothing uses.
    case removeStaleOverlay(String)
    /// Makes a frozen base image read-only (0440).
    case protectBase(String)
    /// Defines the domain from this XML.
    case define(xml: String)

    // MARK: Record

    /// Records a step: operator line, event, case-file line.
    case recordStep(ResponseStep)
    /// A line for the operator only (a check's result, a warning, what a dry run would do).
    case report(String)
    /// The operation is complete; the driver saves the case and returns.
    case finished

    /// Whether the action changes the host (the driver never runs one in a dry run).
    public var isChange: Bool {
        switch self {
        case .readStatus, .readDomain, .readDefinition, .readTapsOfOtherDomains, .readQuarantineSet, .readLeases,
             .readNeighbours, .checkFile, .hashFile, .recordStep, .report, .finished:
            false
        case .addToQuarantineSet, .removeFromQuarantineSet, .flushConntrack, .suspend, .resume, .destroy, .start,
             .dumpMemory, .snapshotDisks, .createOverlay, .removeStaleOverlay, .protectBase, .define:
            true
        }
    }
}
