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

import HyperwardCore

/// What was done to one VM, persisted between runs as `<state>/response/<vm>/case.json`.
///
/// The state machines read and update it; the ``Responder`` saves it before and after every
/// action. Intentions are written before the action they announce (a pending snapshot or restore,
/// the step a change will be recorded as, `pausedByUs`), so a run killed at any point is finished
/// by the next one without repeating what cannot be repeated. Keys added since the first version
/// are optional, so older case files still read.
public struct ResponseCase: Codable, Sendable, Equatable {
    /// The domain's name.
    public var vm: String
    /// The domain's UUID (lower case): a case file never applies to another domain of that name.
    public var uuid: String
    /// The current quarantine's id (its start time, `yyyyMMdd'T'HHmmss`), naming its evidence;
    /// nil when the VM is not quarantined.
    public var quarantineID: String?
    /// The network namespace the quarantine acted in (nil: the host's).
    public var namespace: String?
    /// The taps put into the quarantine's `ports` set.
    public var interfaces: [String] = []
    /// The MACs put into the quarantine's `macs` set.
    public var macs: [String] = []
    /// Every address the VM was seen with (their conntrack entries were deleted).
    public var addresses: [String] = []
    /// Whether the quarantine paused the VM (release resumes only then).
    public var pausedByUs = false
    /// Files kept as evidence, with their hashes.
    public var evidence: [Evidence] = []
    /// Known-good (or frozen) disk states, one entry per disk.
    public var snapshots: [Snapshot] = []
    /// A snapshot announced and perhaps taken, not yet recorded.
    public var pendingSnapshot: PendingSnapshot?
    /// A restore started and not yet finished.
    public var pendingRestore: PendingRestore?
    /// The step a change about to be made (or made by a run that was killed) is recorded as.
    public var pendingStep: ResponseStep?
    /// Whether this quarantine's conntrack flush was recorded as a step.
    public var conntrackFlushed: Bool?
    /// One line per recorded step: `time kind: message`.
    public var events: [String] = []

    /// Creates an empty case for a domain.
    public init(vm: String, uuid: String) {
        self.vm = vm
        self.uuid = uuid
    }

    /// Whether the VM is quarantined (a quarantine began and was not released).
    public var isQuarantined: Bool { quarantineID != nil }

    /// A file kept as evidence.
    public struct Evidence: Codable, Sendable, Hashable {
        /// `memory`, or `disk:<target>` for a frozen disk image.
        public var kind: String
        public var path: String
        /// SHA-256, 64 lower-case hex digits.
        public var sha256: String
        public var bytes: Int64
        /// When it was hashed (ISO 8601).
        public var time: String

        /// Creates an evidence entry.
        public init(kind: String, path: String, sha256: String, bytes: Int64, time: String) {
            self.kind = kind
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
            self.time = time
        }

        /// The entry as event evidence.
        public var eventEvidence: EventEvidence { EventEvidence(kind: kind, path: path, sha256: sha256, bytes: bytes) }
    }

    /// A known-good disk state: a read-only base image its hash vouches for.
    public struct Snapshot: Codable, Sendable, Hashable {
        public var name: String
        /// The disk's target device (`vda`).
        public var target: String
        /// The frozen image, now a read-only backing file.
        public var base: String
        /// The base's format as the domain declared it (`raw` or `qcow2`).
        public var format: String
        public var sha256: String
        public var time: String

        /// Creates a snapshot entry.
        public init(name: String, target: String, base: String, format: String, sha256: String, time: String) {
            self.name = name
            self.target = target
            self.base = base
            self.format = format
            self.sha256 = sha256
            self.time = time
        }
    }

    /// A snapshot announced before it is taken (an interrupted run finishes it).
    public struct PendingSnapshot: Codable, Sendable, Equatable {
        public var name: String
        /// `golden` (`respond snapshot`) or `evidence` (a quarantine's).
        public var purpose: String
        public var disks: [PendingDisk]

        /// Creates a pending snapshot.
        public init(name: String, purpose: String, disks: [PendingDisk]) {
            self.name = name
            self.purpose = purpose
            self.disks = disks
        }
    }

    /// One disk of a pending snapshot or restore: its base and the overlay on it.
    public struct PendingDisk: Codable, Sendable, Hashable {
        public var target: String
        public var base: String
        public var format: String
        public var overlay: String

        /// Creates a pending disk.
        public init(target: String, base: String, format: String, overlay: String) {
            self.target = target
            self.base = base
            self.format = format
            self.overlay = overlay
        }
    }

    /// A restore started: whether the VM ran before it (the restore starts it again), and the
    /// overlays it gives the disks (so a resumed run makes no second set).
    public struct PendingRestore: Codable, Sendable, Equatable {
        public var name: String
        public var wasActive: Bool
        /// The restore's id (its start time), naming its overlays; nil in older case files.
        public var id: String?
        /// The overlays, one per disk of the snapshot; nil in older case files.
        public var disks: [PendingDisk]?

        /// Creates a pending restore.
        public init(name: String, wasActive: Bool, id: String? = nil, disks: [PendingDisk]? = nil) {
            self.name = name
            self.wasActive = wasActive
            self.id = id
            self.disks = disks
        }
    }
}

extension ResponseCase {
    /// Records `step` as done at `time`: its line, the evidence and snapshot it carries, and
    /// the pending step it settles.
    mutating func complete(_ step: ResponseStep, time: String) {
        events.append("\(time) \(step.kind): \(step.message)")
        if let entry = step.evidence { evidence.append(entry) }
        if let entry = step.snapshot { snapshots.append(entry) }
        if pendingStep?.kind == step.kind { pendingStep = nil }
        if step.kind == "quarantine.conntrack" { conntrackFlushed = true }
    }

    /// The recorded disks of snapshot `name`.
    func snapshots(named name: String) -> [Snapshot] { snapshots.filter { $0.name == name } }
}
