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
import ArgumentParser
import Foundation
import HyperwardAgent
import HyperwardCore
import HyperwardHost
import HyperwardStore
import Ledger

/// `hyperward ledger`: the tamper-evident ledger of every recorded event (docs/governance.md).
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "The tamper-evident ledger: signed checkpoints, verification, proofs, export, witness.",
        discussion: """
            Every event the store records is a leaf of an RFC 9162 Merkle log in the same store; \
            checkpoints are signed with the keystore's ledger key (C2SP signed notes). Verification \
            needs no passphrase. Exit codes: 0 verified or done; 64 usage; 66 no store, ledger, key \
            or file; 67 unknown event; 73 the export exists; 76 verification failed (the message \
            names the first bad index) or the witness refused the checkpoint; 77 wrong passphrase.
            """,
        subcommands: [Checkpoint.self, Verify.self, Prove.self, Export.self, Witness.self]
    )

    enum Format: String, ExpressibleByArgument { case text, json }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The store, for reading (nothing created); `.notFound` (66) otherwise.
    static func existingStore(_ global: GlobalOptions) throws -> StateStore {
        let store = try StateStore.openExisting(stateDirectory: try global.loadConfiguration().stateDirectory)
        guard try store.hasLedger() else {
            throw HyperwardError(.notFound, "the state store has no ledger yet (any command that records an event adds it)")
        }
        return store
    }

    static func render(_ result: LedgerVerification, format: Format, what: String) -> Int32 {
        switch format {
        case .json:
            var object: [String: Any] = ["ok": result.isValid, "entries": result.entries, "root": result.root.hex,
                                         "checkpoints_checked": result.checkpointsChecked, "signatures_checked": result.signaturesChecked]
            object["first_bad_index"] = result.failure?.firstBadIndex.map { $0 as Any } ?? NSNull()
            object["bad_range"] = result.failure?.range.map { [$0.lowerBound, $0.upperBound] as Any } ?? NSNull()
            object["message"] = result.failure?.message ?? NSNull()
            Output.write(json(object))
        case .text:
            if let failure = result.failure {
                let at = failure.firstBadIndex.map { " at index \($0)" } ?? ""
                Output.write("\(what) FAILED\(at): \(failure.message.terminalSafe)\n")
            } else {
                Output.write("\(what) verified: \(result.entries) entries, root \(result.root.hex), \(result.checkpointsChecked) signed checkpoint(s) checked\n")
            }
        }
        return result.isValid ? ExitStatus.completed : ExitStatus.corrupted
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "checkpoint", abstract: "Sign a checkpoint of the ledger now, store it and print it.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var access: KeyAccessOptions
        @Option(help: "text (the signed note) or json.") var format: Format = .text

        func run() async throws {
            try await reportingErrors {
                let configuration = try global.loadConfiguration()
                try GovernanceAccess.require(.operator, for: "ledger checkpoint", configuration: configuration)
                let keys = try KeyOperations(configuration: configuration)
                let keystore = try keys.open(access.keyAccess)
                let signer = try LedgerOperations(configuration: configuration).signer(keystore)
                let store = try StateStore(stateDirectory: configuration.stateDirectory)
                guard let checkpoint = try store.signCheckpoint(with: signer) else { return ExitStatus.software }
                switch format {
                case .text: Output.write(checkpoint.note)
                case .json:
                    Output.write(LedgerCommand.json(["size": checkpoint.size, "root": checkpoint.root.hex, "note": checkpoint.note,
                                                     "verifier_key": signer.verifier.verifierKey, "time": checkpoint.time]))
                }
                return ExitStatus.completed
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify the ledger (or an export) against its events and signed checkpoints; no passphrase.",
            discussion: "Exit 0 when everything checks, 76 naming the first bad index otherwise.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Also check this signed checkpoint (held outside the host).", valueName: "FILE")) var checkpoint: String?
        @Option(help: ArgumentHelp("Verify this export directory instead of the store.", valueName: "DIR")) var export: String?
        @Option(help: ArgumentHelp("The verifier key (default: the state directory's ledger.pub, or the export's).", valueName: "FILE")) var key: String?
        @Option(help: "text or json.") var format: Format = .text

        func run() async throws {
            try await reportingErrors {
                let given = try checkpoint.map { try LedgerExport.readNote($0) }.map { [$0] } ?? []
                if let export {
                    let keyFile = key ?? "\(export)/\(LedgerExport.keyFile)"
                    if key == nil { Output.warn("using the export's own ledger.pub: give --key with a copy kept elsewhere to rule out a re-signed export") }
                    let verifier = try NoteVerifier(verifierKey: try LedgerExport.readText(keyFile, limit: 1024))
                    return LedgerCommand.render(try LedgerExport.verify(directory: export, verifier: verifier, checkpoints: given), format: format, what: "export")
                }
                let store = try LedgerCommand.existingStore(global)
                let verifier: NoteVerifier?
                let signedBefore = !(try store.checkpoints()).isEmpty
                do {
                    verifier = try LedgerOperations(configuration: try global.loadConfiguration()).verifier(keyFile: key)
                } catch let error as HyperwardError where error.code == .notFound && key == nil && given.isEmpty && !signedBefore {
                    // Nothing was ever signed: the entries are checked against their events, and
                    // the operator told that no signature binds them yet.
                    Output.warn("no checkpoint has been signed yet: only the entries' consistency with the events is checked (sign one with `hyperward ledger checkpoint`)")
                    verifier = nil
                }
                return LedgerCommand.render(try store.verifyLedger(verifier: verifier, checkpoints: given), format: format, what: "ledger")
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prove", abstract: "Print an inclusion proof of an event, or a consistency proof between two sizes.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The event's id (as `hyperward events --format json` prints it).", valueName: "EVENT_ID")) var inclusion: String?
        @Option(help: ArgumentHelp("The tree size (default: the latest checkpoint's).", valueName: "N")) var size: UInt64?
        @Option(parsing: .upToNextOption, help: ArgumentHelp("Two tree sizes, OLD NEW.", valueName: "SIZE")) var consistency: [UInt64] = []
        @Option(help: "text (one `key value` per line) or json.") var format: Format = .text

        func validate() throws {
            if (inclusion == nil) == consistency.isEmpty { throw ValidationError("give either --inclusion EVENT_ID or --consistency OLD NEW") }
            if !consistency.isEmpty && consistency.count != 2 { throw ValidationError("--consistency takes two sizes, OLD NEW") }
            if size != nil && inclusion == nil { throw ValidationError("--size goes with --inclusion") }
        }

        func run() async throws {
            try await reportingErrors {
                let store = try LedgerCommand.existingStore(global)
                if let inclusion {
                    let p = try store.inclusionProof(eventID: inclusion, treeSize: size)
                    switch format {
                    case .text:
                        var out = "event \(p.eventID)\nindex \(p.index)\nsize \(p.treeSize)\nleaf \(p.leafHash.hex)\nroot \(p.root.hex)\n"
                        out += p.proof.map { "proof \($0.hex)\n" }.joined()
                        out += "data \(Data(p.leafData).base64EncodedString())\n"
                        Output.write(out)
                    case .json:
                        Output.write(LedgerCommand.json(["event_id": p.eventID, "index": p.index, "tree_size": p.treeSize, "leaf_hash": p.leafHash.hex,
                                                         "root": p.root.hex, "proof": p.proof.map(\.hex), "leaf_data": String(decoding: p.leafData, as: UTF8.self),
                                                         "checkpoint": p.checkpoint ?? NSNull()]))
                    }
                } else {
                    let (old, new) = (consistency[0], consistency[1])
                    let p = try store.consistencyProof(oldSize: old, newSize: new)
                    switch format {
                    case .text:
                        Output.write("old \(old)\nnew \(new)\nold_root \(p.oldRoot.hex)\nnew_root \(p.newRoot.hex)\n" + p.proof.map { "proof \($0.hex)\n" }.joined())
                    case .json:
                        Output.write(LedgerCommand.json(["old_size": old, "new_size": new, "old_root": p.oldRoot.hex, "new_root": p.newRoot.hex, "proof": p.proof.map(\.hex)]))
                    }
                }
                return ExitStatus.completed
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the ledger up to its latest checkpoint to a new directory (entries, checkpoint, verifier key).")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The directory to create (must not exist).", valueName: "DIR")) var output: String

        func run() async throws {
            try await reportingErrors {
                let store = try LedgerCommand.existingStore(global)
                let verifier = try LedgerOperations(configuration: try global.loadConfiguration()).verifier(keyFile: nil)
                let checkpoint = try LedgerExport.write(store, to: output, verifierKey: verifier.verifierKey)
                Output.write("exported \(checkpoint.size) entries and checkpoint #\(checkpoint.number) to \(output)\n")
                return ExitStatus.completed
            }
        }
    }

    struct Witness: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "witness",
            abstract: "Offer a signed checkpoint to a file-based witness, which accepts only consistent growth.",
            discussion: """
                The witness file holds the verifier key and the last checkpoint accepted. The proof \
                (from `ledger prove --consistency OLD NEW`, text) goes from the held size to the new \
                one; without --proof it is computed from this host's store. Exit 76 when refused.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The witness's state file.", valueName: "FILE")) var state: String
        @Option(help: ArgumentHelp("The consistency proof (`ledger prove --consistency` output).", valueName: "FILE")) var proof: String?
        @Option(help: ArgumentHelp("The verifier key, needed for the first checkpoint.", valueName: "FILE")) var key: String?
        @Argument(help: ArgumentHelp("The signed checkpoint to offer.", valueName: "CHECKPOINT_FILE")) var checkpoint: String

        func run() async throws {
            try await reportingErrors {
                let note = try LedgerExport.readNote(checkpoint)
                let newSize = try Ledger.Checkpoint(text: note.text).size
                let verifier = try key.map { try NoteVerifier(verifierKey: try LedgerExport.readText($0, limit: 1024)) }
                let held = FileManager.default.fileExists(atPath: state)
                    ? try WitnessState(parsing: try LedgerExport.readText(state, limit: WitnessState.maximumLength)).checkpoint.size : 0
                var hashes: [MerkleHash] = []
                if let proof {
                    hashes = try Witness.readProof(proof, old: held, new: newSize)
                } else if held > 0 && held < newSize {
                    hashes = try LedgerCommand.existingStore(global).consistencyProof(oldSize: held, newSize: newSize).proof
                }
                switch try WitnessFile.offer(note, proof: hashes, verifier: verifier, statePath: state) {
                case .accepted(_, let line):
                    Output.write("witness: \(line)\n")
                    return ExitStatus.completed
                case .refused(let reason):
                    Output.error("witness refused the checkpoint: \(reason.terminalSafe)")
                    return ExitStatus.corrupted
                }
            }
        }

        /// The proof lines of `prove --consistency` text output, for sizes `old` to `new`.
        static func readProof(_ path: String, old: UInt64, new: UInt64) throws -> [MerkleHash] {
            var hashes: [MerkleHash] = []
            var sizes: (UInt64?, UInt64?) = (nil, nil)
            for (number, line) in try LedgerExport.readText(path, limit: 64 * 1024).split(separator: "\n").enumerated() {
                let fields = line.split(separator: " ")
                guard fields.count == 2 else { throw HyperwardError(.invalidInput, "\(path):\(number + 1): not `key value`") }
                switch fields[0] {
                case "old": sizes.0 = UInt64(fields[1])
                case "new": sizes.1 = UInt64(fields[1])
                case "proof":
                    guard let hash = MerkleHash(hex: String(fields[1])) else { throw HyperwardError(.invalidInput, "\(path):\(number + 1): not a 64-digit hash") }
                    hashes.append(hash)
                default: continue
                }
            }
            guard sizes.0 == old, sizes.1 == new else {
                throw HyperwardError(.invalidInput, "\(path): a proof from \(sizes.0.map(String.init) ?? "?") to \(sizes.1.map(String.init) ?? "?"); the witness needs one from \(old) to \(new)")
            }
            return hashes
        }
    }
}
