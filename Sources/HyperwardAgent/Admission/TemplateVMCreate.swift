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

import AdmissionHook
import Admission
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardLibvirt
import HyperwardStore
import KeyManagement

/// `hyperward vm create`: a domain rendered from a template, for a tenant, by a caller allowed to
/// create from it; its disk made (encrypted when the template requires it) and its certificate
/// issued through the key service; judged like any other domain; defined through the libvirt
/// API; and who asked recorded.
public enum TemplateVMCreate {
    public struct Request: Sendable {
        public var name: String
        public var template: String
        public var tenant: String
        public var diskSize: String?
        public var encryptDisk: Bool?
        public var pool: String?
        public var network: String?
        public var securityGroups: [String]
        public var memoryMiB: Int?
        public var vcpus: Int?
        public var kernel: String?
        public var initrd: String?
        public var commandLine: String?
        public var certificateDirectory: String?
        /// `kvm` or `qemu` (TCG); nil: KVM when /dev/kvm opens and the template allows it, else TCG.
        public var domainType: String?

        public init(name: String, template: String, tenant: String) {
            self.name = name
            self.template = template
            self.tenant = tenant
            securityGroups = []
        }
    }

    public struct Created: Sendable {
        public var name: String
        public var uuid: String
        public var disk: String?
        public var encrypted: Bool
        public var certificate: String?
        public var event: Event
    }

    public static func create(_ request: Request, configuration: HyperwardConfiguration, access: KeyAccess,
                              caller: Caller = Caller.current(), libvirtURI: String = LibvirtConnection.systemURI) throws -> Created {
        guard request.name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
            throw HyperwardError(.usage, "'\(request.name)' is not a VM name (letters, digits, '.', '_', '-'; at most 64)")
        }
        let loaded = try LoadedAdmissionPolicy.load(configuration)
        let policy = loaded.policy
        guard let template = policy.templates[request.template] else {
            throw HyperwardError(.unknownItem, "no template '\(request.template)' in \(loaded.path) (templates: \(policy.templates.keys.sorted().joined(separator: ", ")))")
        }
        let authorization = Authorization(policy: policy)
        guard authorization.mayCreate(user: caller.user, groups: caller.groups, tenant: request.tenant, template: request.template) else {
            let summary = "\(caller) may not create a VM from template \(request.template) in tenant \(request.tenant)"
            try? GovernanceAccess.record(kind: "authz.denied", summary: summary, configuration: configuration, severity: .medium,
                                         subject: request.name, vm: request.name, caller: caller,
                                         extra: [EventEvidence(kind: "action", value: "vm create"),
                                                 EventEvidence(kind: "template", value: request.template),
                                                 EventEvidence(kind: "tenant", value: request.tenant)])
            throw HyperwardError(.refused, summary + " (the tenant must be granted the template and the caller be its operator or admin)")
        }
        for group in request.securityGroups where !template.securityGroups.contains(group) {
            throw HyperwardError(.refused, "template \(request.template) does not allow security group '\(group)' (allowed: \(template.securityGroups.joined(separator: ", ")))")
        }
        let connection = try LibvirtConnection(uri: libvirtURI, readOnly: false)
        if connection.domain(named: request.name) != nil {
            throw HyperwardError(.cannotCreate, "a domain named \(request.name) exists already")
        }
        let uuid = UUID().uuidString.lowercased()

        // The disk: encrypted through the key service when the template requires it (or asked).
        let encrypt = template.diskEncryption == .required || (request.encryptDisk ?? false)
        var disk: (path: String, format: String, secretUUID: String?)?
        let size = request.diskSize ?? "0"
        if request.diskSize != nil || encrypt {
            guard let pool = request.pool ?? template.diskPools.first else {
                throw HyperwardError(.configuration, "template \(request.template) allows no disk pool")
            }
            let path = "\(pool.hasSuffix("/") ? String(pool.dropLast()) : pool)/\(request.name).qcow2"
            if encrypt {
                let record = try EncryptedDisks.create(EncryptedDisks.CreateRequest(vm: request.name, uuid: uuid, size: size, format: "qcow2", path: path),
                                                       operations: try KeyOperations(configuration: configuration), access: access)
                disk = (record.path, "qcow2", record.secretUUID)
            } else {
                try PlainDisk.create(path: path, size: size)
                disk = (path, "qcow2", nil)
            }
        }

        guard let disk else { throw HyperwardError(.usage, "give --disk-size: a VM from a template has a disk") }
        let network = request.network ?? template.networks.first
        let xml: String
        do {
            var render = DomainTemplateRenderer.Request(
                name: request.name, tenant: request.tenant, uuid: uuid, diskPath: disk.path, diskFormat: disk.format,
                secretUUID: disk.secretUUID, network: network.map { .network($0) },
                memoryMiB: request.memoryMiB ?? min(template.maxMemoryMiB, 1024), vcpus: request.vcpus ?? 1,
                kernel: request.kernel, initrd: request.initrd, cmdline: request.commandLine)
            render.securityGroups = request.securityGroups
            render.domainType = try request.domainType ?? domainType(template, name: request.template)
            xml = try DomainTemplateRenderer.render(template: request.template, policy: policy, request: render)
        } catch {
            unlink(disk.path)
            throw error
        }
        let decision = AdmissionJudge.judge(domainXML: xml, policy: policy)
        guard decision.isAllowed else {
            unlink(disk.path)
            throw HyperwardError(.configuration, "the domain rendered from template \(request.template) is not admitted by it: "
                                 + decision.violations.map { "\($0.rule.id) at \($0.xpath): \($0.message)" }.joined(separator: "; "))
        }
        do {
            try LibvirtDomainControl(connection: connection).define(xml: xml)
        } catch {
            unlink(disk.path)
            throw error
        }

        var certificate: String?
        if let directory = request.certificateDirectory {
            let store = try KeyOperations(configuration: configuration).open(access)
            let issued = try store.issueCertificate(vm: request.name, kind: .server, dnsNames: [request.name], destination: OperatorFiles.absolute(directory))
            certificate = try CertificateFiles.write(issued.record, keyPEM: issued.privateKeyPEM, caPEM: try store.caCertificatePEM(), to: directory)
        }

        var allowed = decision.event()
        allowed.evidence += [EventEvidence(kind: "path", value: "vm create"), EventEvidence(kind: "actor", value: caller.description),
                             EventEvidence(kind: "policy_sha256", value: loaded.sha256)]
        var evidence = [EventEvidence(kind: "actor", value: caller.description), EventEvidence(kind: "template", value: request.template),
                        EventEvidence(kind: "tenant", value: request.tenant), EventEvidence(kind: "uuid", value: uuid),
                        EventEvidence(kind: "encrypted", value: disk.secretUUID != nil ? "yes" : "no"),
                        EventEvidence(kind: "policy_sha256", value: loaded.sha256)]
        evidence.append(EventEvidence(kind: "disk", path: disk.path))
        if !request.securityGroups.isEmpty { evidence.append(EventEvidence(kind: "security_groups", value: request.securityGroups.joined(separator: ","))) }
        if let certificate { evidence.append(EventEvidence(kind: "certificate", path: certificate)) }
        let created = Event(time: Event.timestamp(), kind: "vm.created", engine: .admission, subject: request.name, vm: request.name,
                            severity: .info, threat: .vmEscape,
                            summary: "\(caller) created \(request.name) from template \(request.template) for tenant \(request.tenant)",
                            evidence: evidence)
        try StateStore(stateDirectory: configuration.stateDirectory).append([allowed, created])
        return Created(name: request.name, uuid: uuid, disk: disk.path, encrypted: disk.secretUUID != nil, certificate: certificate, event: created)
    }
}

extension TemplateVMCreate {
    /// KVM when this host can run it and the template allows it; else TCG (`qemu`) where the
    /// template allows it (labs, hosts without KVM).
    static func domainType(_ template: AdmissionTemplate, name: String) throws -> String {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        let kvmUsable = fd >= 0
        if fd >= 0 { close(fd) }
        if kvmUsable, template.domainTypes.contains("kvm") { return "kvm" }
        if template.domainTypes.contains("qemu") { return "qemu" }
        throw HyperwardError(.refused, "template \(name) allows only KVM domains and /dev/kvm is not usable on this host")
    }
}

/// An unencrypted qcow2 image (for templates that do not require encryption).
enum PlainDisk {
    static func create(path: String, size: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 { throw HyperwardError(.cannotCreate, "\(path) exists: not overwritten") }
        let result = HostCommand.run(["/usr/bin/qemu-img", "create", "-q", "-f", "qcow2", path, size])
        guard result.status == 0 else {
            unlink(path)
            throw HyperwardError(.software, "qemu-img could not create \(path): \(result.stderr.prefix(300))")
        }
        chmod(path, 0o600)
    }
}
