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
import HyperwardCore
import HyperwardHost

extension NetworkPolicy {
    /// The policy with a binding for every running domain that the file does not name, that its
    /// template admits, and whose metadata names security groups (`hyperward vm create
    /// --security-group`): its interfaces join those groups. The metadata can be forged by
    /// whoever defines a domain, so a domain is bound only when the judge admits it under the
    /// current policy (every group one its template allows); one that is not admitted is left
    /// unbound, with a note. VMs the file names keep the file's binding.
    public func addingAdmittedDomains(_ admission: AdmissionPolicy, source: any LibvirtXMLSource) -> (NetworkPolicy, [String]) {
        var result = self
        var notes: [String] = []
        let names: [String]
        do { names = try source.activeDomainNames() } catch {
            return (self, ["the running domains could not be listed: \(error.message); admitted domains are not bound"])
        }
        for name in names.sorted() where vms[name] == nil {
            let xml: String
            do { xml = try source.domainXML(name) } catch {
                notes.append("VM \(name): \(error.message); its metadata's security groups are not applied")
                continue
            }
            let decision = AdmissionJudge.judge(domainXML: xml, policy: admission)
            guard !decision.securityGroups.isEmpty else { continue }
            guard decision.isAllowed else {
                notes.append("VM \(name): its metadata names security groups (\(decision.securityGroups.joined(separator: ", "))) but it is not admitted (\(decision.ruleIDs.joined(separator: ", "))): not bound")
                continue
            }
            let unknown = decision.securityGroups.filter { groups[$0] == nil }
            guard unknown.isEmpty else {
                notes.append("VM \(name): unknown security groups \(unknown.joined(separator: ", ")): not bound")
                continue
            }
            result.vms[name] = VMBinding(groups: decision.securityGroups)
        }
        return (result, notes)
    }
}
