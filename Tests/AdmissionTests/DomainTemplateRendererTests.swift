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
import Testing

/// `DomainTemplateRenderer`: every shape it renders is admitted by the judge under its template,
/// and requests the template does not allow are refused before any XML is written.
@Suite("Domain template renderer")
struct DomainTemplateRendererTests {
    static let secret = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"

    static func request(_ tenant: String = "acme", _ change: (inout DomainTemplateRenderer.Request) -> Void = { _ in }) -> DomainTemplateRenderer.Request {
        var r = DomainTemplateRenderer.Request(
            name: "web-1", tenant: tenant, uuid: "c7a5fdbd-cdaf-9455-926a-d65c16db1809", diskPath: "/srv/vm/web-1.qcow2",
            diskFormat: "qcow2", secretUUID: secret, network: .network("default"), mac: "52:54:00:12:34:56", memoryMiB: 1024, vcpus: 2)
        change(&r)
        return r
    }

    /// Every combination of the request's options under each template of the fixture policy.
    @Test func everyRenderedShapeIsAdmitted() throws {
        var shapes = 0
        let networks: [DomainTemplateRenderer.Attachment?] = [nil, .network("default"), .bridge("br0")]
        for network in networks {
            for direct in [false, true] {
                for graphics in [false, true] {
                    for (model, format) in [(nil as String?, "qcow2"), ("Skylake-Server", "raw")] {
                        let r = Self.request {
                            $0.network = network
                            $0.graphics = graphics
                            $0.cpuModel = model
                            $0.diskFormat = format
                            $0.mac = network == nil ? nil : $0.mac
                            if direct {
                                $0.kernel = "/var/lib/hyperward/boot/vmlinuz"
                                $0.initrd = "/var/lib/hyperward/boot/initrd.img"
                                $0.cmdline = "console=ttyS0 root=/dev/vda1 quiet & <ok>"
                            }
                        }
                        let xml = try DomainTemplateRenderer.render(template: "small", policy: Fixtures.policy, request: r)
                        let decision = AdmissionJudge.judge(domainXML: xml, policy: Fixtures.policy)
                        #expect(decision.isAllowed, "\(decision.text)\n\(xml)")
                        #expect(decision.notes.isEmpty, "the renderer sets <nosharepages/>")
                        #expect(decision.template == "small" && decision.tenant == "acme" && decision.domainName == "web-1")
                        let root = try DomainXML.tree(xml)
                        #expect(root.child("os")?.child("cmdline")?.text == (direct ? "console=ttyS0 root=/dev/vda1 quiet & <ok>" : nil))
                        shapes += 1
                    }
                }
            }
        }
        // The other templates: without encryption, with a required vTPM and a custom CPU.
        let exposed = try DomainTemplateRenderer.render(template: "exposed", policy: Fixtures.policy,
                                                        request: Self.request { $0.secretUUID = nil; $0.memoryMiB = 512; $0.graphics = true })
        #expect(AdmissionJudge.judge(domainXML: exposed, policy: Fixtures.policy).isAllowed)
        let sealed = try DomainTemplateRenderer.render(template: "sealed", policy: Fixtures.policy, request: Self.request("beta") {
            $0.diskPath = "/srv/sealed/a.img"
            $0.diskFormat = "raw"
            $0.network = nil
            $0.memoryMiB = 512
            $0.vcpus = 1
        })
        let decision = AdmissionJudge.judge(domainXML: sealed, policy: Fixtures.policy)
        #expect(decision.isAllowed, "\(decision.text)\n\(sealed)")
        #expect(sealed.contains("<backend type='emulator' version='2.0'/>"))
        #expect(sealed.contains("<model fallback='forbid'>EPYC</model>"))
        #expect(shapes == 24)
    }

    @Test func theConvenienceFormRendersTheSameDomain() throws {
        let a = try DomainTemplateRenderer.render(template: "small", policy: Fixtures.policy, request: Self.request())
        let b = try DomainTemplateRenderer.render(
            template: "small", policy: Fixtures.policy, name: "web-1", tenant: "acme", uuid: "c7a5fdbd-cdaf-9455-926a-d65c16db1809",
            diskPath: "/srv/vm/web-1.qcow2", diskFormat: "qcow2", secretUUID: Self.secret, network: .network("default"),
            mac: "52:54:00:12:34:56", memoryMiB: 1024, vcpus: 2)
        #expect(a == b)
    }

    struct RefusalCase: Sendable, CustomTestStringConvertible {
        var reason: String
        var template: String
        var change: @Sendable (inout DomainTemplateRenderer.Request) -> Void
        var testDescription: String { reason }
        init(_ reason: String, _ template: String, _ change: @escaping @Sendable (inout DomainTemplateRenderer.Request) -> Void) {
            self.reason = reason
            self.template = template
            self.change = change
        }
    }

    static let refusals: [RefusalCase] = [
        RefusalCase("disk '/srv/other/a.qcow2' is outside", "small", { r in r.diskPath = "/srv/other/a.qcow2" }),
        RefusalCase("disk '/srv/vm/../x' is outside", "small", { r in r.diskPath = "/srv/vm/../x" }),
        RefusalCase("disk format 'vmdk'", "small", { r in r.diskFormat = "vmdk" }),
        RefusalCase("requires encrypted disks", "small", { r in r.secretUUID = nil }),
        RefusalCase("network 'evil' is not allowed", "small", { r in r.network = .network("evil") }),
        RefusalCase("8192 MiB of memory", "small", { r in r.memoryMiB = 8192 }),
        RefusalCase("5 vCPUs", "small", { r in r.vcpus = 5 }),
        RefusalCase("0 vCPUs", "small", { r in r.vcpus = 0 }),
        RefusalCase("outside the template's boot_paths", "small", { r in r.kernel = "/boot/vmlinuz" }),
        RefusalCase("needs a kernel", "small", { r in r.initrd = "/var/lib/hyperward/boot/i" }),
        RefusalCase("is not a UUID", "small", { r in r.uuid = "nope" }),
        RefusalCase("is not a unicast MAC", "small", { r in r.mac = "01:00:5e:00:00:01" }),
        RefusalCase("VM name", "small", { r in r.name = "a/b" }),
        RefusalCase("control characters", "small", { r in r.kernel = "/var/lib/hyperward/boot/k"; r.cmdline = "a\u{1B}b" }),
        RefusalCase("machine type 'pc-i440fx-7.2'", "small", { r in r.machine = "pc-i440fx-7.2" }),
        RefusalCase("CPU model 'Haswell'", "small", { r in r.cpuModel = "Haswell" }),
        RefusalCase("allows no graphics", "sealed", { r in r.tenant = "beta"; r.graphics = true; r.diskPath = "/srv/sealed/a"; r.diskFormat = "raw"; r.network = nil; r.memoryMiB = 1; r.vcpus = 1 }),
        RefusalCase("may not use template 'sealed'", "sealed", { _ in }),
        RefusalCase("tenant 'zeta' is not in the policy", "small", { r in r.tenant = "zeta" }),
        RefusalCase("template 'huge' is not in the policy", "huge", { _ in }),
    ]

    @Test(arguments: refusals)
    func requestsTheTemplateDoesNotAllowAreRefused(_ c: RefusalCase) {
        #expect {
            _ = try DomainTemplateRenderer.render(template: c.template, policy: Fixtures.policy, request: Self.request("acme", c.change))
        } throws: { error in
            let ok = (error as? HyperwardError)?.code.name == "admission" && "\(error)".contains(c.reason)
            if !ok { Issue.record("got: \(error)") }
            return ok
        }
    }

    @Test func allGlobMachineTypesNeedAChoice() throws {
        var policy = Fixtures.policy
        policy.templates["small"]?.machines = ["pc-q35-*"]
        #expect(throws: HyperwardError.self) { _ = try DomainTemplateRenderer.render(template: "small", policy: policy, request: Self.request()) }
        let xml = try DomainTemplateRenderer.render(template: "small", policy: policy, request: Self.request { $0.machine = "pc-q35-8.2" })
        #expect(AdmissionJudge.judge(domainXML: xml, policy: policy).isAllowed)
    }
}
