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
import Yams

extension AttestationPolicy {
    static let keys: Set<String> = [
        "version", "bank", "secure_boot", "variables", "authorities", "boot_applications", "kernel_cmdlines",
        "kernels", "initrds", "pcrs", "quote_pcrs",
    ]

    /// Parses a policy file. An unknown key, a malformed digest or an empty policy (one that
    /// checks nothing) is an error at its line.
    public init(yaml text: String, file: String) throws(HyperwardError) {
        let reader = YAMLReader(file: file, code: .configuration, escapesMessages: true)
        guard let root = try reader.compose(text, limit: 4 << 20) else {
            throw HyperwardError(.configuration, "\(file) is empty: a measured-boot policy that checks nothing would pass any boot")
        }
        self.init()
        var sawVersion = false
        var checks = 0
        func digestSize() -> Int { bank.knownDigestSize ?? 32 }
        func digest(_ node: Node, what: String) throws(HyperwardError) -> String {
            let text = try reader.string(node, what: what).lowercased()
            guard let bytes = Hex.decode(text), bytes.count == digestSize() else {
                throw reader.fail("\(what) must be a \(bank) digest: \(digestSize() * 2) hex digits", node)
            }
            return Hex.encode(bytes)
        }
        func allowedList(_ node: Node, what: String) throws(HyperwardError) -> [Allowed] {
            var result: [Allowed] = []
            for item in try reader.list(node, what: what) {
                if item.scalar != nil {
                    result.append(Allowed(digest: try digest(item, what: what)))
                    continue
                }
                var entry: Allowed?
                var label: String?
                for (key, _, value) in try reader.entries(item, what: "an entry of \(what)", known: ["digest", "label"]) {
                    if key == "digest" { entry = Allowed(digest: try digest(value, what: "\(what): digest")) } else { label = try reader.string(value, what: "\(what): label") }
                }
                guard var entry else { throw reader.fail("an entry of \(what) needs a digest", item) }
                entry.label = label
                result.append(entry)
            }
            return result
        }
        let entries = try reader.entries(root, what: "the measured-boot policy", known: Self.keys)
        // The bank first: digest sizes depend on it.
        if let bankNode = entries.first(where: { $0.key == "bank" })?.value {
            let name = try reader.string(bankNode, what: "bank")
            guard let found = [TPMAlgorithm.sha1, .sha256, .sha384, .sha512].first(where: { $0.name == name }) else {
                throw reader.fail("bank must be sha1, sha256, sha384 or sha512", bankNode)
            }
            bank = found
        }
        for (key, _, value) in entries {
            switch key {
            case "version":
                guard try reader.int(value, what: "version", in: 1...1) == 1 else { break }
                sawVersion = true
            case "bank": break
            case "secure_boot":
                let text = try reader.string(value, what: "secure_boot")
                guard let rule = SecureBootRule(rawValue: text) else { throw reader.fail("secure_boot must be required or ignored", value) }
                secureBoot = rule
                if rule == .required { checks += 1 }
            case "variables":
                for (name, _, list) in try reader.entries(value, what: "variables") {
                    variables[name] = try allowedList(list, what: "variables: \(name)")
                    checks += 1
                }
            case "authorities": authorities = try allowedList(value, what: "authorities"); checks += 1
            case "boot_applications": bootApplications = try allowedList(value, what: "boot_applications"); checks += 1
            case "kernel_cmdlines": kernelCommandLines = try reader.list(value, what: "kernel_cmdlines").map { (n: Node) throws(HyperwardError) -> String in try reader.string(n, what: "kernel_cmdlines") }; checks += 1
            case "kernels": kernels = try allowedList(value, what: "kernels"); checks += 1
            case "initrds": initrds = try allowedList(value, what: "initrds"); checks += 1
            case "pcrs":
                for (index, keyNode, v) in try reader.entries(value, what: "pcrs") {
                    guard let pcr = UInt32(index), pcr < PCRReplay.pcrCount else { throw reader.fail("pcrs: '\(index)' is not a PCR index 0-23", keyNode) }
                    pcrs[pcr] = try digest(v, what: "pcrs: \(index)")
                    checks += 1
                }
            case "quote_pcrs":
                var list: [UInt32] = []
                for item in try reader.list(value, what: "quote_pcrs") {
                    list.append(UInt32(try reader.int(item, what: "quote_pcrs", in: 0...23)))
                }
                quotePCRs = list
            default: break
            }
        }
        guard sawVersion else { throw HyperwardError(.configuration, "\(file): 'version: 1' is missing", location: .init(file: file)) }
        guard checks > 0 else {
            throw HyperwardError(.configuration, "\(file) checks nothing (no secure_boot: required, variables, digests or PCRs): it would pass any boot",
                                 location: .init(file: file))
        }
    }
}
