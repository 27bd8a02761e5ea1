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
import NetworkPolicy
import Testing

/// The admission policy's YAML (docs/admission.md) and `Authorization`.
@Suite("Admission policy")
struct AdmissionPolicyTests {
    @Test func theFixturePolicyParsesAsWritten() throws {
        let policy = Fixtures.policy
        let small = try #require(policy.templates["small"])
        #expect(small.machines == ["pc-q35-*", "q35"])
        #expect(small.cpuModes == ["host-model", "custom"])
        #expect(small.cpuModels == ["EPYC", "Skylake-Server"])
        #expect(small.maxVCPUs == 4)
        #expect(small.maxMemoryMiB == 4096)
        #expect(small.diskPools == ["/var/lib/libvirt/images", "/srv/vm"])
        #expect(small.diskFormats == ["qcow2", "raw"])
        #expect(small.diskEncryption == .required)
        #expect(small.networks == ["default", "br0"])
        #expect(small.securityGroups == ["web"])
        #expect(small.vtpm == .optional)
        #expect(small.graphics == .loopback)
        #expect(small.serial == .ptyOnly)
        #expect(small.vhostUserPaths == ["/run/vhost"])
        #expect(small.bootPaths == ["/var/lib/hyperward/boot", "/usr/share/OVMF"])
        let exposed = try #require(policy.templates["exposed"])
        #expect(exposed.cpuModes == ["host-model"], "the default")
        #expect(exposed.diskFormats == ["qcow2", "raw"], "the default")
        #expect(exposed.bootPaths == AdmissionTemplate.defaultBootPaths)
        #expect(exposed.graphics == .tls)
        #expect(exposed.serial == .ptyOrUnix)
        #expect(policy.templates["sealed"]?.diskEncryption == .required, "encryption is required by default")
        #expect(policy.tenants["acme"]?.templates == ["small", "exposed"])
        #expect(policy.tenants["acme"]?.roles == [.user("alice"): .operator, .user("bob"): .viewer, .group("devs"): .operator])
        #expect(policy.roles == [.user("root"): .admin, .group("wheel"): .viewer])
    }

    /// The network policy parser reads the same file and skips the admission keys; the admission
    /// parser skips the network keys.
    @Test func bothParsersReadTheSameFile() throws {
        let network = try NetworkPolicy.parse(Fixtures.policyYAML, file: "policy.yaml")
        #expect(network.groups.keys.sorted() == ["db", "web"])
        #expect(network.vms.keys.sorted() == ["web1"])
        let typo = Fixtures.policyYAML + "\ntemplate: {}\n"
        #expect { _ = try NetworkPolicy.parse(typo, file: "policy.yaml") } throws: { error in
            "\(error)".hasPrefix("policy.yaml:") && "\(error)".contains("unknown key 'template'")
        }
        #expect { _ = try AdmissionPolicy.parse(typo, file: "policy.yaml") } throws: { error in
            "\(error)".contains("unknown key 'template'")
        }
        #expect(try AdmissionPolicy.parse("groups: {a: {}}\nvms: {}\n", file: "p.yaml") == AdmissionPolicy())
        #expect(try AdmissionPolicy.parse("", file: "p.yaml") == AdmissionPolicy())
    }

    @Test func aPolicyInsideTheConfigurationIsReadAtItsPath() throws {
        let config = "state_dir: /x\nnetwork:\n  policy:\n    templates:\n      t: { machine: [q35], max_vcpus: 1, max_memory_mib: 64, disks: { pools: [/srv/vm] } }\n    tenants: { a: { templates: [t] } }\n"
        let policy = try AdmissionPolicy.parse(config, file: "hyperward.yaml", under: ["network", "policy"])
        #expect(policy.tenants["a"]?.templates == ["t"])
        #expect { _ = try AdmissionPolicy.parse(config.replacingOccurrences(of: "[t]", with: "[u]"), file: "hyperward.yaml", under: ["network", "policy"]) } throws: {
            "\($0)".hasPrefix("hyperward.yaml:6:")
        }
    }

    static let base = "templates:\n  t:\n    machine: [q35]\n    max_vcpus: 2\n    max_memory_mib: 1024\n    disks: { pools: [/srv/vm] }\n"

    static let mistakes: [(String, String, String)] = {
        let base = AdmissionPolicyTests.base
        var cases: [(String, String, String)] = []
        cases.append((base + "    colour: red\n", "p.yaml:7:5", "unknown key 'colour' in template t"))
        cases.append((base.replacingOccurrences(of: "[/srv/vm]", with: "[]"), "p.yaml:6:21", "disks.pools must not be empty"))
        cases.append((base.replacingOccurrences(of: "disks: { pools: [/srv/vm] }", with: "disks: { formats: [raw] }"), "p.yaml:3:5", "needs disks.pools"))
        cases.append((base.replacingOccurrences(of: "[/srv/vm]", with: "[/]"), "p.yaml:6:22", "absolute directory other than /"))
        cases.append((base.replacingOccurrences(of: "[/srv/vm]", with: "[srv/vm]"), "p.yaml:6:22", "absolute directory"))
        cases.append((base.replacingOccurrences(of: "[/srv/vm]", with: "[/srv/../etc]"), "p.yaml:6:22", "'..'"))
        cases.append((base.replacingOccurrences(of: "[/srv/vm]", with: "[/etc/libvirt]"), "p.yaml:6:22", "host system directory"))
        cases.append((base.replacingOccurrences(of: "machine: [q35]", with: "machine: []"), "p.yaml:3:14", "machine must not be empty"))
        cases.append((base.replacingOccurrences(of: "max_vcpus: 2", with: "max_vcpus: two"), "p.yaml:4:16", "max_vcpus must be an integer"))
        cases.append((base.replacingOccurrences(of: "max_vcpus: 2", with: "max_vcpus: 0"), "p.yaml:4:16", "from 1 to 4096"))
        cases.append((base.replacingOccurrences(of: "max_memory_mib: 1024", with: "max_memory_mib: 1.5"), "p.yaml:5:21", "max_memory_mib must be an integer"))
        cases.append((base.replacingOccurrences(of: "    max_vcpus: 2\n", with: ""), "p.yaml:3:5", "needs max_vcpus"))
        cases.append((base + "    cpu: { modes: [] }\n", "p.yaml:7:19", "cpu.modes must not be empty"))
        cases.append((base + "    cpu: { modes: [host] }\n", "p.yaml:7:19", "cpu mode 'host' is not one of"))
        cases.append((base + "    disks2: {}\n", "p.yaml:7:5", "unknown key 'disks2'"))
        cases.append((base.replacingOccurrences(of: "{ pools: [/srv/vm] }", with: "{ pools: [/srv/vm], encryption: maybe }"), "p.yaml:6:44", "encryption 'maybe' is not one of required, optional"))
        cases.append((base.replacingOccurrences(of: "{ pools: [/srv/vm] }", with: "{ pools: [/srv/vm], formats: [] }"), "p.yaml:6:41", "formats must not be empty"))
        cases.append((base.replacingOccurrences(of: "{ pools: [/srv/vm] }", with: "{ pools: [/srv/vm], formats: [cloop] }"), "p.yaml:6:41", "disk format 'cloop'"))
        cases.append((base + "    vtpm: yes\n", "p.yaml:7:11", "vtpm 'yes' is not one of"))
        cases.append((base + "    vtpm: sometimes\n", "p.yaml:7:11", "vtpm 'sometimes' is not one of required, optional, forbidden"))
        cases.append((base + "    console: { graphics: spice }\n", "p.yaml:7:26", "console.graphics 'spice'"))
        cases.append((base + "    security_groups: [web]\n", "p.yaml:7:22", "unknown security group 'web'"))
        cases.append((base + "    networks: [a/b]\n", "p.yaml:7:15", "not a libvirt network"))
        cases.append((base + "tenants:\n  acme: { templates: [t, big] }\n", "p.yaml:8:26", "unknown template 'big'"))
        cases.append((base + "tenants:\n  acme: { roles: { a: admin } }\n", "p.yaml:8:9", "needs templates"))
        cases.append((base + "tenants:\n  acme: { templates: [t], roles: { alice: owner } }\n", "p.yaml:8:43", "role of alice 'owner' is not one of viewer, operator, admin"))
        cases.append((base + "roles: { 'bad user': admin }\n", "p.yaml:7:10", "is not a user name or @group"))
        cases.append((base + "roles: { '@': admin }\n", "p.yaml:7:10", "is not a user name or @group"))
        cases.append((base + "tenants:\n  'a b': { templates: [t] }\n", "p.yaml:8:3", "tenant name 'a b'"))
        cases.append(("templates:\n  t: {}\n  t: {}\n", "p.yaml:2:3", "duplicate key(s) 't'"))
        cases.append(("templats: {}\n", "p.yaml:1:1", "unknown key 'templats' in policy"))
        return cases
    }()

    /// Each mistake is refused with the file, line and column of the offending node and a reason.
    @Test(arguments: mistakes)
    func mistakesAreRefusedAtTheirPlace(_ yaml: String, _ location: String, _ reason: String) {
        #expect {
            _ = try AdmissionPolicy.parse(yaml, file: "p.yaml")
        } throws: { error in
            guard let error = error as? HyperwardError else { return false }
            let text = "\(error)"
            let ok = text.hasPrefix(location + ":") && text.contains(reason) && error.code.name == "policy"
            if !ok { Issue.record("got: \(text)") }
            return ok
        }
    }

    @Test func securityGroupsMustBeTheNetworkPolicysGroups() throws {
        let yaml = "groups: { web: {} }\n" + Self.base + "    security_groups: [web]\n"
        #expect(try AdmissionPolicy.parse(yaml, file: "p.yaml").templates["t"]?.securityGroups == ["web"])
    }

    @Test func principalsParse() {
        #expect(Principal(parsing: "alice") == .user("alice"))
        #expect(Principal(parsing: "@wheel") == .group("wheel"))
        #expect(Principal(parsing: "svc$") == .user("svc$"))
        for bad in ["", "@", "1abc", "a b", "a/b", String(repeating: "a", count: 33), "@@x"] {
            #expect(Principal(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func rolesAreOrdered() {
        #expect(Role.viewer < .operator && Role.operator < .admin)
        #expect(Role.allCases.max() == .admin)
    }

    @Test func authorizationCombinesHostAndTenantRoles() {
        let auth = Authorization(policy: Fixtures.policy)
        #expect(auth.role(of: "root", groups: [], tenant: nil) == .admin)
        #expect(auth.role(of: "root", groups: [], tenant: "acme") == .admin, "a host admin is admin in every tenant")
        #expect(auth.role(of: "alice", groups: [], tenant: nil) == nil, "tenant roles are not host roles")
        #expect(auth.role(of: "alice", groups: [], tenant: "acme") == .operator)
        #expect(auth.role(of: "alice", groups: [], tenant: "beta") == nil)
        #expect(auth.role(of: "bob", groups: ["devs"], tenant: "acme") == .operator, "the highest of user and group roles")
        #expect(auth.role(of: "bob", groups: ["wheel"], tenant: nil) == .viewer)
        #expect(auth.role(of: "bob", groups: ["wheel"], tenant: "beta") == .viewer, "a host role carries into tenants")
        #expect(auth.role(of: "alice", groups: [], tenant: "nope") == nil)
        #expect(auth.role(of: "mallory", groups: ["users"], tenant: "acme") == nil)
    }

    @Test func mayCreateNeedsAnOperatorOfATenantGrantedTheTemplate() {
        let auth = Authorization(policy: Fixtures.policy)
        #expect(auth.mayCreate(user: "alice", groups: [], tenant: "acme", template: "small"))
        #expect(auth.mayCreate(user: "eve", groups: ["devs"], tenant: "acme", template: "exposed"))
        #expect(!auth.mayCreate(user: "bob", groups: [], tenant: "acme", template: "small"), "a viewer")
        #expect(!auth.mayCreate(user: "alice", groups: [], tenant: "acme", template: "sealed"), "not granted")
        #expect(!auth.mayCreate(user: "alice", groups: [], tenant: "beta", template: "sealed"), "not a member")
        #expect(auth.mayCreate(user: "carol", groups: [], tenant: "beta", template: "sealed"))
        #expect(!auth.mayCreate(user: "root", groups: [], tenant: nil, template: "small"), "every VM belongs to a tenant")
        #expect(!auth.mayCreate(user: "root", groups: [], tenant: "beta", template: "small"), "not granted, even for an admin")
        #expect(auth.mayCreate(user: "root", groups: [], tenant: "beta", template: "sealed"))
        #expect(!auth.mayCreate(user: "alice", groups: [], tenant: "acme", template: "nope"))
    }
}
