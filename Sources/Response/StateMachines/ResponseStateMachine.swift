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

/// One response operation as a state machine (swift-nio's `…StateMachine` pattern): it holds the
/// case, returns the next ``ResponseAction``, and is told each action's ``ResponseOutcome``. It
/// does no I/O; the ``Responder`` runs the actions and saves the case around each one.
///
/// The loop is: `nextAction(now:)`; unless `.finished`, run it, then `actionCompleted(_:)`.
/// Exactly one action is outstanding at a time.
public protocol ResponseStateMachine {
    /// The case as the machine has updated it so far (the driver saves it).
    var record: ResponseCase { get }

    /// The next action. `now` dates what the machine records and names new ids.
    /// - Throws: `HyperwardError` when the operation must stop (a namespace mismatch, a changed
    ///   base, an unknown snapshot…) or when called with an action still outstanding.
    mutating func nextAction(now: Date) throws(HyperwardError) -> ResponseAction

    /// Tells the machine the outcome of the action it returned last.
    /// - Throws: `HyperwardError` when the outcome stops the operation or does not answer the action.
    mutating func actionCompleted(_ outcome: ResponseOutcome) throws(HyperwardError)
}

/// The bookkeeping every machine shares: the case, the actions queued behind the current one,
/// and the one outstanding.
struct MachineCore: Sendable {
    /// Who handles an outstanding action's outcome.
    enum Handler: Sendable {
        /// A change, report or step queued by the machine: `.done` is the only answer.
        case queued
        /// A read (or an action of a machine it delegates to) the machine's `receive` handles.
        case machine
    }

    var record: ResponseCase
    var dryRun: Bool
    var queue: [(action: ResponseAction, handler: Handler)] = []
    var outstanding: (action: ResponseAction, handler: Handler)?
    var now = Date(timeIntervalSince1970: 0)

    init(record: ResponseCase, dryRun: Bool) {
        self.record = record
        self.dryRun = dryRun
    }

    /// The current time as events and the case write it.
    var timestamp: String { Event.timestamp(now) }

    /// Queues a change, report or step; its outcome is `.done`.
    mutating func perform(_ action: ResponseAction) { queue.append((action, .queued)) }

    /// Queues a line for the operator.
    mutating func report(_ line: String) { perform(.report(line)) }

    /// Queues a step to record (a dry run records nothing).
    mutating func record(_ step: ResponseStep) {
        guard !dryRun else { return }
        perform(.recordStep(step))
    }

    /// Queues a change and the step it is recorded as, writing the step into the case first: the
    /// driver saves the case before it runs the change, so a run killed between the change and
    /// its record leaves the step pending, and the next run records it instead of forgetting it.
    mutating func change(_ action: ResponseAction, recordedAs step: ResponseStep) {
        record.pendingStep = step
        perform(action)
        perform(.recordStep(step))
    }

    /// The pending step of `kind`, when an interrupted run made the change but did not record it.
    func pendingStep(_ kind: String) -> ResponseStep? {
        record.pendingStep?.kind == kind ? record.pendingStep : nil
    }

    /// Drops a pending step this operation never settles (an interrupted run of another
    /// operation): it is reported, not recorded, since its change was never confirmed.
    mutating func dropForeignPendingStep(keeping kinds: Set<String>) {
        guard let pending = record.pendingStep, !kinds.contains(pending.kind) else { return }
        report("an interrupted \(pending.kind) step was never confirmed: not recorded (\(pending.message))")
        record.pendingStep = nil
    }

    /// The error for an outcome that does not answer the action.
    static func mismatch(_ action: ResponseAction, _ outcome: ResponseOutcome) -> HyperwardError {
        HyperwardError(.software, "response: \(action) was answered with \(outcome)")
    }
}

/// A machine whose own logic is `advance` (what to do when nothing is queued) and `receive`
/// (a read's outcome); queueing, outstanding actions and step records are shared.
protocol PhasedStateMachine: ResponseStateMachine {
    var core: MachineCore { get set }
    /// Moves the machine on when nothing is queued: returns an action whose outcome goes to
    /// `receive` (a read, or an action of a machine it delegates to), `.finished`, or nil after
    /// queueing actions or changing phase.
    mutating func advance() throws(HyperwardError) -> ResponseAction?
    /// Handles the outcome of a read `advance` asked.
    mutating func receive(_ action: ResponseAction, _ outcome: ResponseOutcome) throws(HyperwardError)
}

extension PhasedStateMachine {
    mutating func nextPhasedAction(now: Date) throws(HyperwardError) -> ResponseAction {
        if let outstanding = core.outstanding {
            throw HyperwardError(.software, "response: the next action was asked for before \(outstanding.action) completed")
        }
        core.now = now
        // Every `advance` either returns an action, queues one, or moves to a later phase; the
        // bound only turns a bug into an error instead of a hang.
        for _ in 0..<10_000 {
            if !core.queue.isEmpty {
                let next = core.queue.removeFirst()
                core.outstanding = next
                return next.action
            }
            if let action = try advance() {
                if action != .finished { core.outstanding = (action, .machine) }
                return action
            }
        }
        throw HyperwardError(.software, "response: the state machine made no progress")
    }

    mutating func completePhasedAction(_ outcome: ResponseOutcome) throws(HyperwardError) {
        guard let (action, handler) = core.outstanding else {
            throw HyperwardError(.software, "response: an outcome (\(outcome)) arrived with no action outstanding")
        }
        core.outstanding = nil
        switch handler {
        case .machine:
            try receive(action, outcome)
        case .queued:
            guard outcome == .done else { throw MachineCore.mismatch(action, outcome) }
            if case .recordStep(let step) = action { core.record.complete(step, time: core.timestamp) }
        }
    }
}
