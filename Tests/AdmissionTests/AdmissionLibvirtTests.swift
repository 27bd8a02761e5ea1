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
import Foundation
import HyperwardCore
import HyperwardHost
import HyperwardLibvirt
import Testing

/// libvirt as the oracle: rendered domains defined through the C API come back from libvirt
/// with its defaults filled in (emulator, controllers, addresses, expanded machine type, audio),
/// and that XML — what a libvirt hook sees — is still admitted; a forbidden device added to it
/// is still denied.
@Suite("Admission against libvirt's own XML")
struct AdmissionLibvirtTests {
    static var required: Bool { ProcessInfo.processInfo.environment["HYPERWARD_REQUIRE_LIBVIRT"] == "1" }
    static var usable: Bool {
        getuid() == 0 && FileManager.default.fileExists(atPath: "/dev/kvm") && (try? LibvirtConnection(readOnly: true)) != nil
    }

    @Test(.enabled(if: usable || required, "needs root, /dev/kvm and libvirtd"))
    func renderedDomainsAsLibvirtDefinesThemAreAdmitted() throws {
        try #require(Self.usable, "libvirtd or KVM is not usable (HYPERWARD_REQUIRE_LIBVIRT=1)")
        let control = try LibvirtDomainControl()
        let shapes: [(String, DomainTemplateRenderer.Request)] = [
            ("small", DomainTemplateRendererTests.request { $0.graphics = true }),
            ("small", DomainTemplateRendererTests.request {
                $0.network = .bridge("br0")
                $0.cpuModel = "Skylake-Server"
                $0.kernel = "/var/lib/hyperward/boot/vmlinuz"
                $0.initrd = "/var/lib/hyperward/boot/initrd.img"
                $0.cmdline = "console=ttyS0"
            }),
            ("sealed", DomainTemplateRendererTests.request("beta") {
                $0.diskPath = "/srv/sealed/a.img"
                $0.diskFormat = "raw"
                $0.network = nil
                $0.mac = nil
                $0.memoryMiB = 256
                $0.vcpus = 1
            }),
        ]
        // libvirt refuses an emulated TPM at definition when swtpm is not installed.
        let hasSWTPM = FileManager.default.isExecutableFile(atPath: "/usr/bin/swtpm")
        for (index, (template, shape)) in shapes.enumerated() where hasSWTPM || Fixtures.policy.templates[template]?.vtpm != .required {
            var request = shape
            request.name = "hw-admission-\(index)-\(UInt32.random(in: 0...UInt32.max))"
            request.uuid = UUID().uuidString.lowercased()
            let xml = try DomainTemplateRenderer.render(template: template, policy: Fixtures.policy, request: request)
            try control.define(xml: xml)
            defer { _ = HostCommand.run(["/usr/bin/virsh", "-c", LibvirtConnection.systemURI, "undefine", "--nvram", "--", request.name]) }
            let defined = try control.xml(ofDomain: request.name, inactive: true)
            #expect(defined.count > xml.count, "libvirt filled in its defaults")
            let decision = AdmissionJudge.judge(domainXML: defined, policy: Fixtures.policy)
            #expect(decision.isAllowed, "\(decision.text)\n\(defined)")
            #expect(decision.template == template && decision.domainName == request.name && decision.domainUUID == request.uuid)
            let tampered = defined.replacingOccurrences(of: "</devices>", with: "<hostdev mode='subsystem' type='usb'/></devices>")
            #expect(AdmissionJudge.judge(domainXML: tampered, policy: Fixtures.policy).ruleIDs == ["hostdev"])
        }
    }
}
