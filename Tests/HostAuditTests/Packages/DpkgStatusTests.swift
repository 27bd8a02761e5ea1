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
import HostAudit
import HyperwardCore
import Testing

@Suite("DpkgStatus")
struct DpkgStatusTests {
    static let sample = """
        Package: qemu-system-x86
        Status: install ok installed
        Priority: optional
        Architecture: amd64
        Source: qemu (1:7.2+dfsg-7+deb12u7)
        Version: 1:7.2+dfsg-7+deb12u7+b1
        Description: QEMU full system emulation binaries (x86)
         QEMU is a fast processor emulator.
         .
         Status: not a field, a continuation line

        Package: libvirt-daemon
        Status: hold ok installed
        Architecture: amd64
        Source: libvirt
        Version: 9.0.0-4

        Package: old-package
        Status: deinstall ok config-files
        Version: 1.0

        Package: linux-image-6.1.0-28-amd64
        Status: install ok installed
        Source: linux-signed-amd64 (6.1.119+1)
        Version: 6.1.119-1

        """

    @Test func readsInstalledPackagesWithSourceAndVersions() throws {
        let status = DpkgStatus(parsing: Array(DpkgStatusTests.sample.utf8))
        #expect(status.stanzaCount == 4)
        #expect(status.malformedCount == 0)
        #expect(status.packages.map(\.name) == ["qemu-system-x86", "libvirt-daemon", "linux-image-6.1.0-28-amd64"])
        let qemu = try #require(status.packages.first)
        #expect(qemu.sourceName == "qemu")
        #expect(qemu.sourceVersion == (try DebianVersion("1:7.2+dfsg-7+deb12u7")))
        #expect(qemu.version.text == "1:7.2+dfsg-7+deb12u7+b1")
        #expect(qemu.architecture == "amd64")
        #expect(qemu.line == 1)
        let libvirt = status.packages[1]
        #expect(libvirt.sourceName == "libvirt")
        #expect(libvirt.sourceVersion.text == "9.0.0-4")
        let sources = InstalledSource.from(status)
        let linux = try #require(sources.first { $0.name == "linux" })
        #expect(linux.binaries.first?.matchVersion == "6.1.119-1", "linux-signed images match as linux at their own version")
    }

    @Test func countsMalformedStanzasWithoutStopping() {
        let text = """
            Package: good
            Status: install ok installed
            Version: 1.0

            this line has no colon
            Package: bad1

            Package: bad2
            Status: install ok installed
            Version: not a version!

             continuation first

            Package: bad3
            Status: install ok installed
            Version: 1.0
            Source: src (1.0

            Package: bad4
            Status: installed
            Version: 1.0

            Package: dup
            Package: dup
            Status: install ok installed
            Version: 1

            Package: tail
            Status: install ok installed
            Version: 2.0
            """
        let status = DpkgStatus(parsing: Array(text.utf8))
        #expect(status.packages.map(\.name) == ["good", "tail"])
        #expect(status.malformedCount == 6)
        #expect(status.problems.first?.line == 5)
    }

    @Test func survivesBinaryGarbageAndHugeInput() {
        var rng = SeededGenerator(seed: 7)
        let garbage = (0..<1_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let status = DpkgStatus(parsing: garbage)
        #expect(status.packages.isEmpty)
        // Many megabytes of well-formed stanzas parse; only the read limit bounds the size.
        let stanza = Array("Package: p\nStatus: install ok installed\nVersion: 1.0-1\nDescription: x\n long\n\n".utf8)
        var big: [UInt8] = []
        big.reserveCapacity(9 << 20)
        while big.count < 8 << 20 { big += stanza }
        let bigStatus = DpkgStatus(parsing: big)
        #expect(bigStatus.packages.count == big.count / stanza.count)
        #expect(DpkgStatus(parsing: []).packages.isEmpty)
        #expect(DpkgStatus(parsing: Array("\n\n\r\n \n".utf8)).stanzaCount == 0)
    }

    @Test func refusesAStatusFileOverTheReadLimit() throws {
        let host = FixtureHost()
        host.write(DpkgStatus.path, bytes: [UInt8](repeating: 0x41, count: DpkgStatus.readLimit + 1))
        #expect(throws: HyperwardError.self) { try DpkgStatus.read(from: host.fs) }
    }

    @Test func refusesAFIFOInsteadOfBlocking() {
        let host = FixtureHost().fifo(DpkgStatus.path)
        #expect(throws: HyperwardError.self) { try DpkgStatus.read(from: host.fs) }
    }

    /// The real database of this machine, against `dpkg-query`'s own count.
    @Test func parsesThisMachinesStatusLikeDpkgQuery() throws {
        guard Oracle.which("dpkg-query") != nil else {
            Issue.record("dpkg-query is not installed: the dpkg status oracle test cannot run (install dpkg)")
            return
        }
        let result = try Oracle.bash("dpkg-query -W -f='${db:Status-Status}\\n' | grep -c '^installed$'")
        let expected = try #require(Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)), "dpkg-query: \(result.error)")
        let status = try DpkgStatus.read(from: RootedFileSystem())
        #expect(status.packages.count == expected)
        #expect(status.malformedCount == 0, "\(status.problems.prefix(3))")
        let versions = try Oracle.bash("dpkg-query -W -f='${db:Status-Status} ${Package}:${Architecture} ${Version} ${source:Package} ${source:Version}\\n' | grep '^installed '")
        var oracle: Set<String> = []
        for line in versions.output.split(separator: "\n") { oracle.insert(String(line.dropFirst("installed ".count))) }
        let ours = Set(status.packages.map { "\($0.name):\($0.architecture) \($0.version.text) \($0.sourceName) \($0.sourceVersion.text)" })
        #expect(ours == oracle, "differences: \(ours.symmetricDifference(oracle).prefix(5))")
    }
}
